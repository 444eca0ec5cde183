# bash completion for raggedctl(1)
_raggedctl_plugins() {
	raggedctl --format json plugin list 2>/dev/null |
		sed -n 's/"name":"\([a-z0-9-]*\)"/\n\1\n/gp' | grep -E '^[a-z0-9][a-z0-9-]*$' | sort -u
}
_raggedctl_permissions="read:documents write:documents read:config write:config network:none
network:api network:download system:embedding system:vectorstore system:memory"

_raggedctl() {
	local cur prev words cword
	_init_completion -n = || return
	local i cmd="" sub=""
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--format | --socket) ((i++)) ;;
		-*) ;;
		*) if [[ -z $cmd ]]; then cmd=${words[i]}; elif [[ -z $sub ]]; then sub=${words[i]}; fi ;;
		esac
	done
	case $prev in
	--format) COMPREPLY=($(compgen -W "table json" -- "$cur")); return ;;
	--socket | --file | --source | --config) _filedir; return ;;
	--dir) _filedir -d; return ;;
	--min-count) return ;;
	--permission) COMPREPLY=($(compgen -W "$_raggedctl_permissions" -- "$cur")); return ;;
	--plugin) COMPREPLY=($(compgen -W "$(_raggedctl_plugins)" -- "$cur")); return ;;
	--event) COMPREPLY=($(compgen -W "plugin_installed plugin_loaded validation_finding
		permission_requested permission_granted permission_denied permission_revoked
		plugin_executed plugin_failed file_access network_access permission_violation
		sandbox_escape_attempt resource_limit_exceeded config_change events_suppressed
		events_lost agent_started agent_stopped advisories_updated" -- "$cur")); return ;;
	--result) COMPREPLY=($(compgen -W "success failure denied killed" -- "$cur")); return ;;
	--threshold) COMPREPLY=($(compgen -W "info low medium high critical" -- "$cur")); return ;;
	esac
	case $cmd in
	"") COMPREPLY=($(compgen -W "plugin run audit security advisories permissions status --format --socket
		--version --help" -- "$cur")) ;;
	plugin)
		case $sub in
		"") COMPREPLY=($(compgen -W "install list permissions grant revoke validate" -- "$cur")) ;;
		install | validate) COMPREPLY=($(compgen -W "--replace --accept-risk --threshold" -- "$cur")); _filedir -d ;;
		permissions | grant | revoke)
			if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "--permission" -- "$cur"))
			else COMPREPLY=($(compgen -W "$(_raggedctl_plugins)" -- "$cur")); fi ;;
		esac ;;
	run) if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "--yes --" -- "$cur"))
		else COMPREPLY=($(compgen -W "$(_raggedctl_plugins)" -- "$cur")); fi ;;
	audit)
		case $sub in
		"") COMPREPLY=($(compgen -W "show follow verify" -- "$cur")) ;;
		show | follow) COMPREPLY=($(compgen -W "--plugin --since --until --event --result" -- "$cur")) ;;
		verify) COMPREPLY=($(compgen -W "--file" -- "$cur")) ;;
		esac ;;
	security) [[ -z $sub ]] && COMPREPLY=($(compgen -W "report" -- "$cur")) ||
		COMPREPLY=($(compgen -W "--plugins" -- "$cur")) ;;
	advisories)
		case $sub in
		"") COMPREPLY=($(compgen -W "update status" -- "$cur")) ;;
		update) COMPREPLY=($(compgen -W "--source --dir --config --min-count" -- "$cur")) ;;
		status) COMPREPLY=($(compgen -W "--dir --config" -- "$cur")) ;;
		esac ;;
	permissions) COMPREPLY=($(compgen -W "$_raggedctl_permissions" -- "$cur")) ;;
	esac
} && complete -F _raggedctl raggedctl

_raggedd() {
	local cur prev words cword
	_init_completion || return
	case $prev in --config) _filedir toml; return ;; esac
	COMPREPLY=($(compgen -W "--config --foreground --version --help" -- "$cur"))
} && complete -F _raggedd raggedd

# bash completion for raggedctl(1) and raggedd(8); needs nothing but bash.
#
# The commands, options and values below are those of
# `raggedctl --format json help` (the client's one command table); the test
# of the command line fails when they differ. Installed plugin names come
# from `raggedctl --format json plugin list`, permission names from
# `raggedctl --format json permissions` (the agent's catalog; the list below
# when the agent cannot be reached).

_raggedctl_globals="--format --socket --help -h --version"
_raggedctl_commands="plugin run audit security advisories permissions status help"
declare -gA _raggedctl_subs=(
	[plugin]="install list validate permissions grant revoke"
	[audit]="show follow verify"
	[security]="report"
	[advisories]="update status"
)
declare -gA _raggedctl_opts=(
	[plugin install]="--replace --accept-risk"
	[plugin list]=""
	[plugin validate]="--threshold --osv-db --config"
	[plugin permissions]=""
	[plugin grant]="--permission -p"
	[plugin revoke]="--permission -p"
	[run]="--yes -y"
	[audit show]="--plugin --since --until --event --result"
	[audit follow]="--plugin --since --until --event --result"
	[audit verify]="--file"
	[security report]="--plugins --plugin --since --osv-db --config"
	[advisories update]="--source --dir --config --min-count"
	[advisories status]="--dir --config"
	[permissions]=""
	[status]=""
	[help]=""
)
# What completes a command's positional argument.
declare -gA _raggedctl_args=(
	[plugin install]=dir [plugin validate]=dir [plugin permissions]=plugin
	[plugin grant]=plugin [plugin revoke]=plugin [run]=plugin [permissions]=permission
	[help]=command
)
# The valid values of an option ...
declare -gA _raggedctl_values=(
	[--format]="table text json prometheus"
	[--threshold]="info low medium high critical"
	[--event]="plugin_installed plugin_loaded validation_finding permission_requested
		permission_granted permission_denied permission_revoked plugin_executed
		plugin_failed file_access network_access permission_violation
		sandbox_escape_attempt resource_limit_exceeded config_change events_suppressed
		events_lost agent_started agent_stopped audit_recovered audit_retention
		process_started process_exec process_exited client_dropped
		consent_channel_closed advisories_updated"
	[--result]="success failure denied allowed killed error pending observed suppressed"
)
# ... or what completes it (none: free text, such as a time).
declare -gA _raggedctl_kind=(
	[--socket]=file [--osv-db]=dir [--config]=file [--file]=file [--plugin]=plugin
	[--permission]=permission [-p]=permission [--since]=none [--until]=none
	[--source]=file [--dir]=dir [--min-count]=none
)
_raggedctl_permissions="read:documents write:documents read:config write:config network:none
network:api network:download system:embedding system:vectorstore system:memory"

_raggedctl_names() { # _raggedctl_names plugin|permission
	local out
	if [[ $1 == plugin ]]; then
		out=$(raggedctl --format json plugin list 2>/dev/null)
		grep -o '"name":"[a-z0-9][a-z0-9-]*"' <<<"$out" | cut -d'"' -f4 | sort -u
	else
		out=$(raggedctl --format json permissions 2>/dev/null)
		out=$(grep -o '"permission":"[a-z]*:[a-z]*"' <<<"$out" | cut -d'"' -f4)
		echo "${out:-$_raggedctl_permissions}"
	fi
}

# _raggedctl_complete KIND-OR-LIST CUR: the candidates for one word.
_raggedctl_complete() {
	case $1 in
	file) compgen -f -- "$2" ;;
	dir) compgen -d -- "$2" ;;
	plugin | permission) compgen -W "$(_raggedctl_names "$1")" -- "$2" ;;
	command) compgen -W "$_raggedctl_commands exit-codes" -- "$2" ;;
	none) ;;
	*) compgen -W "$1" -- "$2" ;;
	esac
}

_raggedctl_value_of() { # what completes option $1's value; empty if it takes none
	if [[ -n ${_raggedctl_values[$1]+x} ]]; then echo "${_raggedctl_values[$1]}"
	elif [[ -n ${_raggedctl_kind[$1]+x} ]]; then echo "${_raggedctl_kind[$1]}"
	fi
}

_raggedctl() {
	# Split the line ourselves: COMP_WORDBREAKS would cut at "=" and ":".
	local line=${COMP_LINE:0:COMP_POINT} cur="" cmd="" w i what pre
	local -a words
	read -ra words <<<"$line"
	[[ $line == *[[:space:]] ]] || { cur=${words[-1]}; unset 'words[-1]'; }
	COMPREPLY=()
	for ((i = 1; i < ${#words[@]}; i++)); do
		w=${words[i]}
		if [[ $w == -- ]]; then
			[[ $cmd == run ]] && { COMPREPLY=($(compgen -f -- "$cur")); return 0; }
			continue
		fi
		if [[ $w == -* ]]; then
			[[ $w != *=* && -n $(_raggedctl_value_of "$w") ]] && ((i++))
			continue
		fi
		if [[ -z $cmd ]]; then cmd=$w
		elif [[ $cmd != *" "* && -n ${_raggedctl_subs[$cmd]+x} ]]; then cmd="$cmd $w"
		elif [[ $cmd == help && -n ${_raggedctl_subs[$w]+x} ]]; then cmd="help $w"
		fi
	done
	# The value of the option before, or of --opt=VALUE.
	what=""
	if ((${#words[@]} > 1)) && [[ ${words[-1]} == -* && ${words[-1]} != *=* ]]; then
		what=$(_raggedctl_value_of "${words[-1]}")
	fi
	if [[ -n $what ]]; then
		COMPREPLY=($(_raggedctl_complete "$what" "$cur"))
	elif [[ $cur == --*=* ]]; then
		what=$(_raggedctl_value_of "${cur%%=*}")
		COMPREPLY=($(_raggedctl_complete "$what" "${cur#*=}"))
		# When "=" does not break words, the candidates carry the option.
		[[ $COMP_WORDBREAKS == *=* ]] || COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}")
	elif [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "${_raggedctl_opts[$cmd]} $_raggedctl_globals" -- "$cur"))
	elif [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$_raggedctl_commands" -- "$cur"))
	elif [[ $cmd == help* ]]; then
		[[ $cmd == help ]] && COMPREPLY=($(_raggedctl_complete command "$cur")) ||
			COMPREPLY=($(compgen -W "${_raggedctl_subs[${cmd#help }]}" -- "$cur"))
	elif [[ -z ${_raggedctl_opts[$cmd]+x} ]]; then
		COMPREPLY=($(compgen -W "${_raggedctl_subs[$cmd]}" -- "$cur"))
	else
		COMPREPLY=($(_raggedctl_complete "${_raggedctl_args[$cmd]:-none}" "$cur"))
	fi
	# bash replaces only the part after the last ":" of a permission name.
	if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
		pre=${cur%"${cur##*:}"}
		COMPREPLY=("${COMPREPLY[@]#"$pre"}")
	fi
	return 0
}
complete -F _raggedctl raggedctl

_raggedd() {
	local line=${COMP_LINE:0:COMP_POINT} cur="" prev=""
	local -a words
	read -ra words <<<"$line"
	[[ $line == *[[:space:]] ]] || { cur=${words[-1]}; unset 'words[-1]'; }
	prev=${words[-1]}
	COMPREPLY=()
	case $prev in --config | -c) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;; esac
	[[ $cur == --config=* ]] && { COMPREPLY=($(compgen -f -- "${cur#--config=}")); return 0; }
	COMPREPLY=($(compgen -W "--config -c --foreground -f --help -h --version -V" -- "$cur"))
}
complete -F _raggedd raggedd

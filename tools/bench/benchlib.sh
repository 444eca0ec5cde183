# shellcheck shell=sh
# What the bench scripts share: a private agent's scratch dir and config.
#
# bench_scratch NAME: $D, a fresh world-readable dir (plugins run as
# nobody read from it); $TAG, the name of the agent's cgroup and bpffs dir;
# $RAGGED_SOCKET, its socket (exported for raggedctl).
bench_scratch() {
	D=$(mktemp -d "/tmp/ragged-$1.XXXXXX"); chmod 755 "$D"
	TAG="ragged-$1-$$"
	export RAGGED_SOCKET="$D/agent.sock"
}

# bench_agent_toml [AUDIT_LOG]: the [paths] and [agent] sections of that
# agent's config on stdout (the log defaults to $D/audit.jsonl); a bench
# appends the sections of its own.
bench_agent_toml() {
	cat <<EOC
[paths]
socket = "$RAGGED_SOCKET"
state_dir = "$D/state"
audit_log = "${1:-$D/audit.jsonl}"
bpffs = "/sys/fs/bpf/$TAG"
cgroup = "$TAG"
[agent]
root_run_as = "nobody"
EOC
}

# shellcheck shell=sh
# A private agent for the benches that need one (enforce.sh, flood.sh):
# sourced after B (build dir), D (temp dir with agent.toml) and
# RAGGED_SOCKET are set. BENCH names the bench in messages.
APID=
agent_start() {
	"$B/raggedd" --config "$D/agent.toml" --foreground >> "$D/agent.log" 2>&1 &
	APID=$!
	i=0; while [ ! -S "$RAGGED_SOCKET" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	[ -S "$RAGGED_SOCKET" ] || { echo "$BENCH bench: agent did not start:" >&2; tail "$D/agent.log" >&2; exit 1; }
}
agent_stop() {
	[ -n "$APID" ] || return 0
	kill -TERM "$APID" 2>/dev/null || true
	wait "$APID" 2>/dev/null || true
	APID=
	rm -f "$RAGGED_SOCKET"
}

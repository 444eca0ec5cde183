#!/bin/sh
# Native integration tests (and, unchanged, the vmtest guest suite).
#
# Starts a private raggedd (own socket, state, log, bpffs dir and cgroup
# name, so it never collides with a real agent), runs every t_* function of
# every tests/integration/t_*.sh, stops the agent, then checks that nothing
# was left behind: no cgroups, no pins, no processes. Prints
#   integration: N passed, N failed, N skipped
# and exits non-zero on any failure.
set -u
RAGGED_ROOT=${RAGGED_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
RAGGED_BUILD=${RAGGED_BUILD:-$RAGGED_ROOT/build}
export RAGGED_ROOT RAGGED_BUILD
. "$RAGGED_ROOT/tests/integration/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "integration: the agent needs root; run as root"
	echo "integration: 0 passed, 1 failed, 0 skipped"
	exit 1
fi
for b in raggedd raggedctl plugins/probe; do
	if [ ! -x "$RAGGED_BUILD/$b" ]; then
		echo "integration: $RAGGED_BUILD/$b missing: run make test-bins first"
		echo "integration: 0 passed, 1 failed, 0 skipped"
		exit 1
	fi
done

RAGGED_T=$(mktemp -d /tmp/ragged-it.XXXXXX)
chmod 755 "$RAGGED_T"
TAG="ragged-it-$$"
export RAGGED_T TAG
export RAGGED_SOCKET="$RAGGED_T/agent.sock"
mkdir -p "$RAGGED_T/plugins" "$RAGGED_T/home" "$RAGGED_T/metrics"
chmod 755 "$RAGGED_T/plugins"
# A file every user may read (DAC allows it): only the sandbox can stop a plugin.
echo "top secret" > "$RAGGED_T/secret.txt"; chmod 644 "$RAGGED_T/secret.txt"

write_config() {
	cat > "$RAGGED_T/agent.toml" <<EOC
[paths]
socket = "$RAGGED_SOCKET"
state_dir = "$RAGGED_T/state"
audit_log = "$RAGGED_T/log/audit.jsonl"
bpffs = "/sys/fs/bpf/$TAG"
cgroup = "$TAG"
metrics_textfile = "$RAGGED_T/metrics/ragged.prom"

[agent]
root_run_as = "nobody"
${RAGGED_ENFORCEMENT:+enforcement = \"$RAGGED_ENFORCEMENT\"}

[limits]
scratch_mb = 16

[limits.max]
scratch_mb = 16
cpu_seconds = 600

[resources]
documents = ["$RAGGED_T/docs"]
EOC
}

# In the VMs a verifier refusal must be diagnosable from the console log.
if [ "${RAGGED_IN_VM:-0}" = 1 ]; then
	export RAGGED_BPF_DEBUG=1 RAGGED_LOG_LINES=${RAGGED_LOG_LINES:-150}
fi

AGENT_PID=""
start_agent() {
	# A killed agent leaves its socket: wait for the new one, not the old.
	rm -f "$RAGGED_SOCKET"
	"$RAGGED_BUILD/raggedd" --config "$RAGGED_T/agent.toml" --foreground \
		>> "$RAGGED_T/agent.log" 2>&1 &
	AGENT_PID=$!
	# Up means answering: the socket exists before start-up has written its
	# last records (a restarted agent's accounting of the runs it adopted),
	# and a reply flushes the audit batch, so once status answers, the log
	# holds everything start-up recorded.
	_sa=0
	until [ -S "$RAGGED_SOCKET" ] && "$RAGGED_BUILD/raggedctl" status > /dev/null 2>&1; do
		kill -0 "$AGENT_PID" 2>/dev/null || break
		[ $_sa -ge 600 ] && break
		sleep 0.1; _sa=$((_sa + 1))
	done
	[ -S "$RAGGED_SOCKET" ] && "$RAGGED_BUILD/raggedctl" status > /dev/null 2>&1
}
AGENT_STATUS=0
stop_agent() {
	[ -n "$AGENT_PID" ] || return 0
	kill -TERM "$AGENT_PID" 2>/dev/null
	# Bounded: an agent that hangs on the way out (a sanitizer's leak scan
	# stuck, a deadlock) fails the run instead of stalling it.
	n=0
	while kill -0 "$AGENT_PID" 2>/dev/null && [ "$n" -lt 1200 ]; do sleep 0.1; n=$((n + 1)); done
	if kill -0 "$AGENT_PID" 2>/dev/null; then
		echo "# raggedd still running 120 s after SIGTERM: killed"
		kill -KILL "$AGENT_PID" 2>/dev/null
	fi
	wait "$AGENT_PID" 2>/dev/null
	AGENT_STATUS=$?
	AGENT_PID=""
}

write_config
if ! start_agent; then
	echo "integration: raggedd did not start:"
	sed 's/^/    | /' "$RAGGED_T/agent.log"
	echo "integration: 0 passed, 1 failed, 0 skipped"
	exit 1
fi
echo "# raggedd up: enforcement $(mode)"

# RAGGED_TESTS: test names or shell patterns ("t_escape_fs_* t_overlay_*"):
# a vmtest guest's kernel command line cannot carry a long list of names.
only=${RAGGED_TESTS:-}
selected() {
	[ -z "$only" ] && return 0
	set -f	# the patterns are for case, not for file names
	for w in $only; do
		# shellcheck disable=SC2254  # w is a pattern
		case $1 in $w) set +f; return 0 ;; esac
	done
	set +f
	return 1
}
for f in "$RAGGED_ROOT"/tests/integration/t_*.sh; do
	. "$f"
	for t in $(sed -n 's/^\(t_[a-z0-9_]*\)() *{.*/\1/p' "$f"); do
		selected "$t" || continue
		T_CUR=$t
		$t
	done
done

stop_agent
T_CUR=agent
if [ "$AGENT_STATUS" -eq 0 ]; then pass "raggedd stopped cleanly on SIGTERM"; else
	fail "raggedd exited with status $AGENT_STATUS"; fi
if tail -1 "$RAGGED_T/log/audit.jsonl" | grep -q '"event":"agent_stopped"'; then
	pass "agent_stopped is the last record"; else fail "no agent_stopped record at the end of the log"; fi
# Every audit log of the run, now complete: the suite's agent's (with the
# records written after t_zz_audit and agent_stopped) and any a test's own
# agent left under $RAGGED_T.
for d in $(find "$RAGGED_T" -name audit.jsonl -exec dirname {} \; | sort); do
	audit_valid "$d" "${d#"$RAGGED_T"/}/audit.jsonl*"
done
# Sanitizer builds (make SANITIZE=1) report into the agent log.
if grep -Eq "ERROR: (Address|Leak)Sanitizer|runtime error:" "$RAGGED_T/agent.log"; then
	fail "sanitizer report in the agent log"; else pass "no sanitizer report from the agent"; fi
# Leave nothing behind: the agent removes its pins and cgroups on stop.
T_CUR=cleanup
left=""
[ -e "/sys/fs/bpf/$TAG" ] && left="$left bpffs:/sys/fs/bpf/$TAG($(ls -R "/sys/fs/bpf/$TAG" | tr '\n' ' '))"
for m in runs counters events orphan_counters net_rules file_rules inode_rules; do
	[ -e "/sys/fs/bpf/$m" ] && left="$left bpffs:/sys/fs/bpf/$m"
done
for d in $(find /sys/fs/cgroup -maxdepth 6 -type d -name "$TAG" 2>/dev/null); do left="$left cgroup:$d"; done
[ -n "$(ls "$RAGGED_T/state/runs" 2>/dev/null)" ] && left="$left scratch"
if [ -z "$left" ]; then pass "no cgroups, pins or scratch dirs left"; else fail "left behind:$left"; fi
# Do no harm: nothing a plugin (or a test) tried may have changed the host's mounts.
n=$(awk '$5 == "/"' /proc/self/mountinfo | wc -l)
[ "$n" -eq 1 ] && pass "the host's root mount is untouched" || fail "$n mounts on / (a stray mount escaped a test)"


if [ "$T_FAIL" -gt 0 ]; then
	echo "# agent log:"; sed 's/^/    | /' "$RAGGED_T/agent.log" | tail -${RAGGED_LOG_LINES:-30}
fi
# RAGGED_KEEP_AUDIT=FILE keeps a copy of the run's audit log (schema work).
[ -n "${RAGGED_KEEP_AUDIT:-}" ] && cp "$RAGGED_T/log/audit.jsonl" "$RAGGED_KEEP_AUDIT"
rm -rf "$RAGGED_T"
echo "integration: $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
[ "$T_FAIL" -eq 0 ]

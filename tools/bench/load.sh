#!/bin/sh
# Load bench (the full version of the integration test t_load_short): for
# SECONDS (default 60) five local users keep RUNS (default 50) runs going at
# once, FOLLOWERS (default 10) `raggedctl audit follow` read the log, one
# plugin floods denials (FLOOD_N opens a run, default 200000) and one floods
# its consent channel (ASK_N requests a run, default 5000). Asserts what the
# test asserts (tests/integration/loadrun.sh) and reports the figures:
# runs completed, status latency p50/p99/max (a status every 50 ms on a
# fresh connection), the agent's RSS early and late. Baseline, same run: the
# status latency of the same agent idle, before the load. The probe also
# reports the agent's CPU time and its time waiting for a CPU (schedstat):
# on a saturated machine the latency is the wait, not the agent's work.
#
# Creates and removes the test users ragload1..5; writes nothing else
# outside its temp dir, its cgroup and its bpffs dir.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B="$ROOT/build"
[ "$(id -u)" -eq 0 ] || { echo "load bench: run as root" >&2; exit 1; }
if command -v make > /dev/null; then
	make -s -C "$ROOT" build/raggedd build/raggedctl build/plugins/hog build/plugins/asker \
		build/plugins/loadprobe > /dev/null || exit 1
fi

. "$ROOT/tools/bench/benchlib.sh"
bench_scratch lbench
export RAGGED_BUILD="$B" RAGGED_T="$D" RAGGED_ROOT="$ROOT"
mkdir -p "$D/plugins" "$D/docs"; chmod 755 "$D/plugins"
echo "top secret" > "$D/secret.txt"; chmod 644 "$D/secret.txt"
{ bench_agent_toml "$D/log/audit.jsonl"; cat <<EOC; } > "$D/agent.toml"
[resources]
documents = ["$D/docs"]
EOC

BENCH=load
. "$ROOT/tools/bench/agent.sh"
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/loadrun.sh"
cleanup() {
	set +e
	load_cleanup
	agent_stop
	[ -n "${KEEP:-}" ] && echo "load bench: kept $D" || rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

agent_start
AGENT_PID=$APID
# AGENT_NICE=-5: the agent at a higher CPU priority than the load (what a
# unit's Nice= would do), to tell scheduling from the agent's own work.
[ -n "${AGENT_NICE:-}" ] && renice -n "$AGENT_NICE" -p "$AGENT_PID" > /dev/null
T_CUR=load
idle=$("$B/plugins/loadprobe" "$RAGGED_SOCKET" "$AGENT_PID" 5)
echo "load bench: idle baseline: $(echo "$idle" | sed -n 1p)"
echo "load bench: ${LOAD_SECONDS:-60} s, ${RUNS:-50} parallel runs, ${FOLLOWERS:-10} followers, 5 users"
load_run "${LOAD_SECONDS:-60}" "${RUNS:-50}" "${FOLLOWERS:-10}" "${FLOOD_N:-200000}" "${ASK_N:-5000}"
p50() { sed -n 's/.* p50 \([0-9.]*\) ms, p99 \([0-9.]*\) ms.*/\1 \2/p'; }
echo "$idle" | p50 > "$D/idle.p"; p50 < "$D/load/probe" > "$D/load.p"
read -r ip50 ip99 < "$D/idle.p"; read -r lp50 lp99 < "$D/load.p"
awk -v a="$ip50" -v b="$ip99" -v c="$lp50" -v d="$lp99" 'BEGIN {
	printf "load bench: status latency under load / idle: p50 %.1f / %.1f ms = %.1fx, p99 %.1f / %.1f ms = %.1fx\n",
		c, a, (a > 0 ? c / a : 0), d, b, (b > 0 ? d / b : 0) }'
echo "load bench: $T_PASS passed, $T_FAIL failed"
[ "$T_FAIL" -eq 0 ]

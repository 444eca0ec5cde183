#!/bin/sh
# Sandbox-start benchmark (SPEC §8 "sandbox start: request -> plugin's first
# instruction"); see docs/PERFORMANCE.md "Sandbox start".
#
#   tools/bench/run.sh [-n N] [--warmup K] [--gap-ms MS] [--fork] [--dynamic]
#                      [--raw FILE.csv] [--profile DIR] [--profile-runs K]
#
# 1. compiles tools/bench/startbench.c (the harness) and firstinsn.c (the
#    trivial plugin, static unless --dynamic) into build/bench/,
# 2. starts a private raggedd (config, socket, state and log under a temp
#    dir, its own bpffs dir and cgroup name, root_run_as = "nobody") and
#    installs firstinsn as a plugin,
# 3. runs the harness: N rounds (default 200, or $BENCH_ITERATIONS) of
#    A = bare spawn, B = bwrap --ro-bind / / --unshare-all, C = raggedctl run,
#    interleaved A,B,C,A,B,C,...; prints a table and "startbench:" lines,
# 4. with --profile DIR: K more `raggedctl run`s (default 5) with
#    `strace -f -tt -T` attached to the agent, log in DIR/raggedd.strace,
# 5. stops the agent and checks that no cgroup, pin or process is left.
#
# Exit status 0 when the benchmark ran (whether or not the targets hold),
# non-zero when it could not run or left something behind.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${RAGGED_BUILD:-$ROOT/build}	# raggedd, raggedctl (RAGGED_BUILD: another build)
CTL=${RAGGED_CTL:-$B/raggedctl}	# the client measured in C (RAGGED_CTL: another one)
OUT="$ROOT/build/bench"

ITER=${BENCH_ITERATIONS:-200}
WARMUP=5
GAP=50
SPAWN=""
LINK=-static
LINKNAME=static
RAW=""
PROFILE=""
PROFILE_RUNS=5
KEEPLOG=""
while [ $# -gt 0 ]; do
	case $1 in
	-n|--iterations) ITER=$2; shift 2 ;;
	--warmup) WARMUP=$2; shift 2 ;;
	--gap-ms) GAP=$2; shift 2 ;;
	--fork) SPAWN=--fork; shift ;;
	--dynamic) LINK=""; LINKNAME=dynamic; shift ;;
	--raw) RAW=$2; shift 2 ;;
	--profile) PROFILE=$2; shift 2 ;;
	--profile-runs) PROFILE_RUNS=$2; shift 2 ;;
	--keep-log) KEEPLOG=$2; shift 2 ;;
	-h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench: unknown option $1 (see --help)" >&2; exit 1 ;;
	esac
done

if [ "$(id -u)" -ne 0 ]; then echo "bench: run as root (the agent loads BPF programs)" >&2; exit 1; fi
for b in raggedd raggedctl; do
	[ -x "$B/$b" ] || { echo "bench: $B/$b missing: run make first" >&2; exit 1; }
done

mkdir -p "$OUT"
cc -O2 -Wall -Wextra -Werror "$ROOT/tools/bench/startbench.c" -o "$OUT/startbench"
# shellcheck disable=SC2086 # LINK is empty or one flag
cc -O2 -Wall -Wextra -Werror $LINK "$ROOT/tools/bench/firstinsn.c" -o "$OUT/firstinsn"

BWRAP=$(command -v bwrap || true)
if [ -z "$BWRAP" ]; then echo "bench: bwrap not installed: method B will be reported unavailable" >&2; fi

D=$(mktemp -d /tmp/ragged-bench.XXXXXX)
chmod 755 "$D"
TAG="ragged-bench-$$"
export RAGGED_SOCKET="$D/agent.sock"
cat > "$D/agent.toml" <<EOC
[paths]
socket = "$RAGGED_SOCKET"
state_dir = "$D/state"
audit_log = "$D/log/audit.jsonl"
bpffs = "/sys/fs/bpf/$TAG"
cgroup = "$TAG"

[agent]
root_run_as = "nobody"
EOC

AGENT_PID=""
STRACE_PID=""
stop_agent() {
	if [ -n "$STRACE_PID" ]; then kill "$STRACE_PID" 2>/dev/null || true; wait "$STRACE_PID" 2>/dev/null || true; STRACE_PID=""; fi
	if [ -n "$AGENT_PID" ]; then
		kill -TERM "$AGENT_PID" 2>/dev/null || true
		wait "$AGENT_PID" 2>/dev/null || true
		AGENT_PID=""
	fi
}
cleanup() {
	stop_agent
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$B/raggedd" --config "$D/agent.toml" --foreground >> "$D/agent.log" 2>&1 &
AGENT_PID=$!
i=0
while [ ! -S "$RAGGED_SOCKET" ] && [ $i -lt 100 ]; do
	kill -0 "$AGENT_PID" 2>/dev/null || break
	sleep 0.1; i=$((i + 1))
done
if [ ! -S "$RAGGED_SOCKET" ]; then
	echo "bench: raggedd did not start:" >&2; sed 's/^/    | /' "$D/agent.log" >&2
	exit 1
fi
MODE=$("$B/raggedctl" --format json status | sed -n 's/.*"enforcement":"\([a-z-]*\)".*/\1/p')

# The plugin: firstinsn and a manifest asking for nothing (no consent step).
P="$D/plugins/startbench"
mkdir -p "$P"
cp "$OUT/firstinsn" "$P/firstinsn"
cat > "$P/plugin.toml" <<EOT
[plugin]
name = "startbench"
version = "1.0.0"
type = "command"
description = "Sandbox-start benchmark: writes CLOCK_MONOTONIC to stdout and exits."
entry = ["./firstinsn"]

[permissions]
required = []
optional = []
EOT
chmod 755 "$D/plugins" "$P" "$P/firstinsn"; chmod 644 "$P/plugin.toml"
"$B/raggedctl" plugin install "$P" > /dev/null

echo "# raggedd pid $AGENT_PID, enforcement $MODE, firstinsn $LINKNAME"
rc=0
"$OUT/startbench" --bin "$OUT/firstinsn" --bwrap "$BWRAP" --ctl "$CTL" \
	--plugin startbench -n "$ITER" --warmup "$WARMUP" --gap-ms "$GAP" \
	--idle-dir "$D/state/runs" $SPAWN ${RAW:+--raw "$RAW"} || rc=$?
echo "startbench: agent enforcement=$MODE firstinsn=$LINKNAME"

if [ -n "$PROFILE" ] && [ $rc -eq 0 ]; then
	if command -v strace > /dev/null; then
		mkdir -p "$PROFILE"
		strace -f -tt -T -s 96 -p "$AGENT_PID" -o "$PROFILE/raggedd.strace" 2> "$PROFILE/strace.err" &
		STRACE_PID=$!
		sleep 1
		k=0
		while [ $k -lt "$PROFILE_RUNS" ]; do
			"$B/raggedctl" run startbench > /dev/null || true
			sleep 0.2; k=$((k + 1))
		done
		kill "$STRACE_PID" 2>/dev/null || true; wait "$STRACE_PID" 2>/dev/null || true; STRACE_PID=""
		echo "# profile: $PROFILE/raggedd.strace ($PROFILE_RUNS runs under strace -f -tt -T)"
	else
		echo "# profile: strace not installed, skipped" >&2
	fi
fi

stop_agent
[ -n "$KEEPLOG" ] && cp "$D/agent.log" "$KEEPLOG"
# Leave nothing behind: the agent removes its pins and cgroups on stop.
left=""
[ -e "/sys/fs/bpf/$TAG" ] && left="$left bpffs:/sys/fs/bpf/$TAG"
for d in $(find /sys/fs/cgroup -maxdepth 6 -type d -name "$TAG" 2>/dev/null); do left="$left cgroup:$d"; done
pgrep -f "$D/agent.toml" > /dev/null 2>&1 && left="$left process:raggedd"
pgrep -x firstinsn > /dev/null 2>&1 && left="$left process:firstinsn"
if [ -n "$left" ]; then
	echo "bench: left behind:$left" >&2
	sed 's/^/    | /' "$D/agent.log" | tail -20 >&2
	[ $rc -eq 0 ] && rc=1
fi
exit $rc

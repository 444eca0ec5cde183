#!/bin/sh
# Sandbox-start benchmark (docs/contract.md §8 "sandbox start: request -> plugin's first
# instruction"); method and results in docs/PERFORMANCE.md "Sandbox start".
#
#   tools/bench/run.sh [-n N] [--warmup K] [--gap-ms MS] [--fork] [--dynamic]
#                      [--no-direct] [--raw FILE.csv] [--keep-log FILE]
#                      [--phases K] [--profile DIR] [--profile-runs K]
#
# 1. builds tools/bench/startbench.c (the harness) and firstinsn.c (the
#    trivial plugin; static unless --dynamic) into build/bench/,
# 2. starts a private raggedd (config, socket, state and log under a temp
#    dir, its own bpffs dir and cgroup name, root_run_as = "nobody") and
#    installs firstinsn as the plugin "startbench",
# 3. runs the harness: N rounds (default 200, or $BENCH_ITERATIONS),
#    interleaved A,B,C,D,A,B,C,D,...:
#      A  bare spawn of firstinsn          B  bwrap --ro-bind / / --unshare-all
#      C  raggedctl run startbench         D  the same request on the agent
#                                             socket, no client (information)
#      F  the agent's own kernel start steps, called by the harness itself
#         (tools/bench/startfloor.c: scratch, cgroups, policy, the same
#         clone3 child), the floor of any launcher of this sandbox (information)
#      E  bare spawn of firstinsn linked dynamically: what any dynamically
#         linked client costs to start (information)
#    and prints a table and "startbench:" key=value lines,
# 4. with --phases K: K more rounds (C and D only) under `perf record` with
#    uprobes on the agent's launch functions, then tools/bench/phases.py
#    prints where the time of C and D goes, step by step;
#    with --profile DIR: K more `raggedctl run`s (default 5) with
#    `strace -f -tt -T` attached to the agent, log in DIR/raggedd.strace,
# 5. stops the agent and checks that no cgroup, pin, mount or process of
#    this run is left (anything found is reported, removed, and fails the run).
#
# --keep-log FILE keeps the agent's log. For experiments, RAGGED_BUILD=DIR
# takes raggedd/raggedctl from another build and RAGGED_CTL=PATH another client.
#
# Exit status 0 when the benchmark ran (whether or not the targets hold),
# non-zero when it could not run or left something behind.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${RAGGED_BUILD:-$ROOT/build}
CTL=${RAGGED_CTL:-$B/raggedctl}
OUT="$ROOT/build/bench"

ITER=${BENCH_ITERATIONS:-200}
WARMUP=5
GAP=50
SPAWN=""
DIRECT=""
LINKNAME=static
RAW=""
KEEPLOG=""
PROFILE=""
PROFILE_RUNS=5
PHASES=""
while [ $# -gt 0 ]; do
	case $1 in
	-n|--iterations) ITER=$2; shift 2 ;;
	--warmup) WARMUP=$2; shift 2 ;;
	--gap-ms) GAP=$2; shift 2 ;;
	--fork) SPAWN=--fork; shift ;;
	--no-direct) DIRECT=--no-direct; shift ;;
	--dynamic) LINKNAME=dynamic; shift ;;
	--raw) RAW=$2; shift 2 ;;
	--keep-log) KEEPLOG=$2; shift 2 ;;
	--profile) PROFILE=$2; shift 2 ;;
	--profile-runs) PROFILE_RUNS=$2; shift 2 ;;
	--phases) PHASES=$2; shift 2 ;;
	-h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench: unknown option $1 (see --help)" >&2; exit 1 ;;
	esac
done

if [ "$(id -u)" -ne 0 ]; then echo "bench: run as root (the agent loads BPF programs)" >&2; exit 1; fi
for f in "$B/raggedd" "$CTL"; do
	[ -x "$f" ] || { echo "bench: $f missing: run make first" >&2; exit 1; }
done

mkdir -p "$OUT"
FIRSTINSN="$OUT/firstinsn"	# the plugin: static, or with --dynamic the one of method E
[ "$LINKNAME" = static ] || FIRSTINSN="$OUT/firstinsn-dynamic"
if command -v make > /dev/null && command -v cc > /dev/null; then
	make -s -C "$ROOT" "$OUT/startbench" "$OUT/firstinsn" "$OUT/firstinsn-dynamic"
elif [ -x "$OUT/startbench" ] && [ -x "$OUT/firstinsn" ] && [ -x "$OUT/firstinsn-dynamic" ]; then
	# A vmtest guest (make vmbench): no compiler, the host built them.
	:
else
	echo "bench: no compiler here and no prebuilt $OUT/startbench, firstinsn and firstinsn-dynamic (make vmbench builds them)" >&2
	exit 1
fi

BWRAP=$(command -v bwrap || true)
[ -n "$BWRAP" ] || echo "bench: bwrap not installed: method B is reported unavailable" >&2

. "$ROOT/tools/bench/benchlib.sh"
bench_scratch bench
bench_agent_toml "$D/log/audit.jsonl" > "$D/agent.toml"

AGENT_PID=""
STRACE_PID=""
PROBES=""	# uprobe group to delete on exit (--phases)
stop_agent() {
	if [ -n "$STRACE_PID" ]; then
		kill "$STRACE_PID" 2>/dev/null || true
		wait "$STRACE_PID" 2>/dev/null || true
		STRACE_PID=""
	fi
	if [ -n "$AGENT_PID" ]; then
		kill -TERM "$AGENT_PID" 2>/dev/null || true
		wait "$AGENT_PID" 2>/dev/null || true
		AGENT_PID=""
	fi
}

# What this run could leave behind, one "kind:path" per line.
leftovers() {
	[ -e "/sys/fs/bpf/$TAG" ] && echo "bpffs:/sys/fs/bpf/$TAG"
	find /sys/fs/cgroup -maxdepth 6 -type d \( -name "$TAG" -o -name "$TAG-floor" \) 2>/dev/null |
		sed 's/^/cgroup:/'
	awk -v d="$D/" 'index($2, d) == 1 { print "mount:" $2 }' /proc/mounts
	for p in /proc/[0-9]*; do
		case $(readlink "$p/exe" 2>/dev/null) in
		"$D"/*) grep -qs -- "$D" "$p/cmdline" "$p/environ" 2>/dev/null &&
			echo "process:${p#/proc/}" ;;
		esac
	done
	[ -n "$(ls "$D/state/runs" 2>/dev/null)" ] && echo "scratch:$D/state/runs"
	[ -n "$(ls "$D/floor/runs" 2>/dev/null)" ] && echo "scratch:$D/floor/runs"
	return 0
}

# Last resort after a failed stop, so the machine is not left dirty.
# shellcheck disable=SC2317 # called from the EXIT trap
sweep() {
	for l in $(leftovers); do
		case $l in
		process:*) kill -KILL "${l#process:}" 2>/dev/null || true ;;
		esac
	done
	for l in $(leftovers); do
		case $l in
		mount:*) umount -l "${l#mount:}" 2>/dev/null || true ;;
		esac
	done
	for l in $(leftovers); do
		case $l in
		cgroup:*) find "${l#cgroup:}" -depth -type d -exec rmdir {} + 2>/dev/null || true ;;
		bpffs:*) rm -rf "${l#bpffs:}" 2>/dev/null || true ;;
		esac
	done
}

# shellcheck disable=SC2317 # the EXIT trap
cleanup() {
	[ -z "$PROBES" ] || perf probe -q -d "$PROBES:*" 2>/dev/null || true
	stop_agent
	[ -z "$(leftovers)" ] || sweep
	[ -n "$(awk -v d="$D/" 'index($2, d) == 1' /proc/mounts)" ] || rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The agent runs from a private copy: uprobes (--phases) then fire only for it.
cp "$B/raggedd" "$D/raggedd"
"$D/raggedd" --config "$D/agent.toml" --foreground >> "$D/agent.log" 2>&1 &
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
MODE=$("$CTL" --format json status | sed -n 's/.*"enforcement":"\([a-z-]*\)".*/\1/p')

# The plugin: firstinsn and a manifest asking for nothing (no consent step).
P="$D/plugins/startbench"
mkdir -p "$P"
cp "$FIRSTINSN" "$P/firstinsn"
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
chmod 755 "$D/plugins" "$P" "$P/firstinsn"
chmod 644 "$P/plugin.toml"
"$CTL" plugin install "$P" > /dev/null
# A plugin is installed once and run many times: measure that steady state,
# in which its files and its registry entry are older than the window in
# which the agent does not trust a file's stamp (2 s: a file written in it
# is read again on every run; docs/PERFORMANCE.md "Sandbox start").
# /proc/uptime, not date +%N: a vmtest guest's busybox date has no %N.
installed=$(cut -d' ' -f1 /proc/uptime)
until awk -v t0="$installed" '{ exit !($1 - t0 >= 2.5) }' /proc/uptime; do sleep 0.1; done

echo "# raggedd pid $AGENT_PID, enforcement $MODE, firstinsn $LINKNAME, client $CTL"
rc=0
# shellcheck disable=SC2086 # SPAWN and DIRECT are empty or one flag
"$OUT/startbench" --bin "$FIRSTINSN" --dyn-bin "$OUT/firstinsn-dynamic" --bwrap "$BWRAP" --ctl "$CTL" \
	--plugin startbench -n "$ITER" --warmup "$WARMUP" --gap-ms "$GAP" \
	--idle-dir "$D/state/runs" $SPAWN $DIRECT ${RAW:+--raw "$RAW"} \
	--floor-dir "$P" --floor-entry ./firstinsn --floor-mode "$MODE" --floor-state "$D/floor" \
	--floor-cgroup "$TAG-floor" || rc=$?
echo "startbench: agent enforcement=$MODE firstinsn=$LINKNAME"

if [ -n "$PHASES" ] && [ $rc -eq 0 ]; then
	if command -v perf > /dev/null && command -v python3 > /dev/null; then
		PROBES="ragbench$$"
		for f in server_accept run_start run_launch run_cgroup_create run_cgroup_create%return \
			policy_build%return kmaps_install%return run_cgroup_enter_v1 \
			run_cgroup_enter_v1%return landlock_apply landlock_apply%return; do
			# perf names a return probe EVENT__return itself.
			perf probe -q -x "$D/raggedd" -a "$PROBES:${f%%\%*}=$f" 2>/dev/null ||
				echo "# phases: no probe on $f in this build (steps merged)" >&2
		done
		perf record -q -k CLOCK_MONOTONIC -a -o "$D/perf.data" -e "$PROBES:*" \
			-e syscalls:sys_enter_clone3 -e syscalls:sys_enter_execve -- \
			"$OUT/startbench" --bin "$FIRSTINSN" --bwrap "" --ctl "$CTL" \
			--plugin startbench -n "$PHASES" --warmup 2 --gap-ms "$GAP" \
			--idle-dir "$D/state/runs" --raw "$D/phases.csv" > /dev/null 2>&1 || true
		perf probe -q -d "$PROBES:*" 2>/dev/null || true
		PROBES=""
		echo "# phases: $PHASES rounds of C and D with uprobes on the agent (perf record)"
		perf script -i "$D/perf.data" -F comm,pid,time,event --ns > "$D/perf.txt" 2>/dev/null &&
			python3 "$ROOT/tools/bench/phases.py" "$D/phases.csv" "$D/perf.txt" "$AGENT_PID" "ragbench$$" ||
			echo "# phases: perf record/script failed" >&2
	else
		echo "# phases: needs perf and python3, skipped" >&2
	fi
fi

if [ -n "$PROFILE" ] && [ $rc -eq 0 ]; then
	if command -v strace > /dev/null; then
		mkdir -p "$PROFILE"
		strace -f -tt -T -s 96 -p "$AGENT_PID" -o "$PROFILE/raggedd.strace" 2> "$PROFILE/strace.err" &
		STRACE_PID=$!
		sleep 1
		k=0
		while [ $k -lt "$PROFILE_RUNS" ]; do
			"$CTL" run startbench > /dev/null || true
			sleep 0.2; k=$((k + 1))
		done
		kill "$STRACE_PID" 2>/dev/null || true
		wait "$STRACE_PID" 2>/dev/null || true
		STRACE_PID=""
		echo "# profile: $PROFILE/raggedd.strace ($PROFILE_RUNS runs under strace -f -tt -T)"
	else
		echo "# profile: strace not installed, skipped" >&2
	fi
fi

stop_agent
[ -n "$KEEPLOG" ] && cp "$D/agent.log" "$KEEPLOG"
left=$(leftovers | tr '\n' ' ')
if [ -n "$left" ]; then
	echo "bench: left behind (now removed): $left" >&2
	sed 's/^/    | /' "$D/agent.log" | tail -20 >&2
	[ $rc -eq 0 ] && rc=1
fi
exit $rc

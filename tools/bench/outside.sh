#!/bin/sh
# What a process outside every sandbox pays per syscall while the agent
# runs a plugin (docs/contract.md §8: "processes outside any sandbox ≤ 1.02 ×
# agent stopped"): tools/bench/syscallloop.c (getppid: no LSM hook, no
# cgroup program) with the agent idle (nothing attached) and with one run
# alive (a plugin sleeping, once its start is over), interleaved N times
# (default 5). The idle samples wait until the agent has taken its programs
# off their hooks. Runs in the vmtest guests too (tools/bench/vm.sh), where
# nothing compiles: make builds build/bench/syscallloop.
#   tools/bench/outside.sh
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B="$ROOT/build"
N=${N:-5}
[ "$(id -u)" -eq 0 ] || { echo "outside bench: run as root" >&2; exit 1; }
[ -x "$B/plugins/probe" ] || { echo "outside bench: $B/plugins/probe missing: make test-bins" >&2; exit 1; }
mkdir -p "$B/bench"
# Built by make (make bench, make vmbench); the vmtest guests have no compiler.
if command -v cc > /dev/null; then
	cc -O2 -Wall -Wextra -Werror "$ROOT/tools/bench/syscallloop.c" -o "$B/bench/syscallloop"
fi
[ -x "$B/bench/syscallloop" ] || { echo "outside bench: $B/bench/syscallloop missing: make build/bench/syscallloop" >&2; exit 1; }

. "$ROOT/tools/bench/benchlib.sh"
bench_scratch obench
bench_agent_toml > "$D/agent.toml"
"$B/raggedd" --config "$D/agent.toml" --foreground > "$D/agent.log" 2>&1 &
APID=$!
RUN=""
stop() {
	[ -z "$RUN" ] || { kill "$RUN" 2>/dev/null; wait "$RUN" 2>/dev/null || true; }
	kill -TERM $APID 2>/dev/null; wait $APID 2>/dev/null || true
	rm -rf "$D"
}
trap stop EXIT INT TERM
i=0; while [ ! -S "$RAGGED_SOCKET" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
mkdir -p "$D/holder"; cp "$B/plugins/probe" "$D/holder/"
printf '[plugin]\nname = "holder"\nversion = "1.0.0"\ntype = "command"\nentry = ["./probe"]\n' > "$D/holder/plugin.toml"
chmod 755 "$D" "$D/holder"
"$B/raggedctl" plugin install --accept-risk "$D/holder" > /dev/null

# attached: how many of the agent's links are pinned (0 once it is idle).
attached() { find "/sys/fs/bpf/$TAG/links" -mindepth 1 2> /dev/null | wc -l; }
# The run has started and gone quiet: its plugin sleeps (nanosleep or
# clock_nanosleep) and the agent waits for events, so what the loop pays is
# the programs' presence, not a start still under way (slow in the guests).
run_pids() { find /sys/fs/cgroup -path "*/$TAG/run-*/cgroup.procs" -exec cat {} + 2> /dev/null; }
run_quiet() {
	pids=$(run_pids)
	[ -n "$pids" ] || return 1
	for p in $pids; do
		case $(cut -d' ' -f1 "/proc/$p/syscall" 2> /dev/null) in 35|230) ;; *) return 1 ;; esac
	done
	case $(cut -d' ' -f1 "/proc/$APID/syscall" 2> /dev/null) in 232|281|441) ;; *) return 1 ;; esac
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
: > "$D/idle"; : > "$D/run"
for _ in $(seq "$N"); do
	i=0; while [ "$(attached)" -gt 0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(attached)" -eq 0 ] || { echo "outside bench: the agent kept its programs attached with no run" >&2; exit 1; }
	"$B/bench/syscallloop" >> "$D/idle"
	"$B/raggedctl" run holder -- sleep 60 < /dev/null > /dev/null 2>&1 &
	RUN=$!
	i=0; while ! run_quiet && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
	if ! run_quiet; then
		echo "outside bench: the run never went quiet (agent in syscall $(cut -d' ' -f1 "/proc/$APID/syscall"))" >&2
		for p in $(run_pids); do echo "  run process $p in syscall $(cut -d' ' -f1 "/proc/$p/syscall")" >&2; done
		tail -n 5 "$D/agent.log" >&2; exit 1
	fi
	[ "$(attached)" -gt 0 ] || { echo "outside bench: no program attached while a run exists" >&2; exit 1; }
	"$B/bench/syscallloop" >> "$D/run"
	kill "$RUN"; wait "$RUN" 2>/dev/null || true; RUN=""
done
idle=$(median < "$D/idle"); run=$(median < "$D/run")
echo "outside bench (N=$N, $(nproc) cpus, kernel $(uname -r)): getppid $idle ns with the agent idle, $run ns while a run exists"
echo "BENCH metric=outside_syscall_while_a_run_exists value=$run base=$idle ratio=$(awk -v a="$run" -v b="$idle" 'BEGIN { printf "%.4f", a / b }') target=1.02 unit=ns"

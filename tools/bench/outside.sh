#!/bin/sh
# What a process outside every sandbox pays per syscall while the agent
# runs a plugin (docs/contract.md §8: "processes outside any sandbox ≤ 1.02 ×
# agent stopped"): tools/bench/syscallloop.c (getppid: no LSM hook, no
# cgroup program) with the agent idle (nothing attached) and with one run
# alive (a plugin sleeping), interleaved N times (default 5). The idle
# samples wait until the agent has taken its programs off their hooks.
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
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
: > "$D/idle"; : > "$D/run"
for _ in $(seq "$N"); do
	i=0; while [ "$(attached)" -gt 0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(attached)" -eq 0 ] || { echo "outside bench: the agent kept its programs attached with no run" >&2; exit 1; }
	"$B/bench/syscallloop" >> "$D/idle"
	"$B/raggedctl" run holder -- sleep 60 < /dev/null > /dev/null 2>&1 &
	RUN=$!
	i=0; while [ -z "$(ls "$D/state/runs" 2> /dev/null)" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ "$(attached)" -gt 0 ] || { echo "outside bench: no program attached while a run exists" >&2; exit 1; }
	"$B/bench/syscallloop" >> "$D/run"
	kill "$RUN"; wait "$RUN" 2>/dev/null || true; RUN=""
done
idle=$(median < "$D/idle"); run=$(median < "$D/run")
echo "outside bench (N=$N, $(nproc) cpus, kernel $(uname -r)): getppid $idle ns with the agent idle, $run ns while a run exists"
echo "BENCH metric=outside_syscall_while_a_run_exists value=$run base=$idle ratio=$(awk -v a="$run" -v b="$idle" 'BEGIN { printf "%.4f", a / b }') target=1.02 unit=ns"

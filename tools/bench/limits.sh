#!/bin/sh
# Benchmark: how long a run goes on after crossing a limit, for CPU and
# memory, measured against a baseline in the same run (the machine is noisy).
#
#   CPU:    a spinner with cpu_seconds = 1. The resource_limit_exceeded record
#           carries the CPU the run had used when the agent saw the breach;
#           overshoot = usage - bound. Also the run's wall time - 1 s.
#   memory: a bomb with memory_mb = 64 vs the same allocation loop stopping
#           at 60 MB with no kill: the difference is the time from crossing
#           the limit to the end of the run (kernel OOM kill + agent cleanup).
#
# Prints medians over N runs (default 10) and writes nothing else.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B="$ROOT/build"
N=${N:-10}
[ "$(id -u)" -eq 0 ] || { echo "limits bench: run as root" >&2; exit 1; }

. "$ROOT/tools/bench/benchlib.sh"
bench_scratch lbench
bench_agent_toml > "$D/agent.toml"
"$B/raggedd" --config "$D/agent.toml" --foreground > "$D/agent.log" 2>&1 &
APID=$!
trap 'kill -TERM $APID 2>/dev/null; wait $APID 2>/dev/null; rm -rf "$D"' EXIT INT TERM
i=0; while [ ! -S "$RAGGED_SOCKET" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done

plugin() { # plugin NAME LIMIT-LINE
	mkdir -p "$D/$1"; cp "$B/plugins/hog" "$D/$1/"
	printf '[plugin]\nname = "%s"\nversion = "1.0.0"\ntype = "command"\nentry = ["./hog"]\n[limits]\n%s\n' \
		"$1" "$2" > "$D/$1/plugin.toml"
	chmod 755 "$D/$1"
	"$B/raggedctl" plugin install "$D/$1" > /dev/null
}
now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

plugin spin 'cpu_seconds = 1'
plugin bomb 'memory_mb = 64'
plugin fill 'memory_mb = 512'

: > "$D/cpu_over"; : > "$D/cpu_wall"; : > "$D/mem_kill"; : > "$D/mem_base"
for k in $(seq "$N"); do
	t0=$(now_ms); "$B/raggedctl" run spin -- spin - > /dev/null 2>&1 || true; t1=$(now_ms)
	echo $((t1 - t0 - 1000)) >> "$D/cpu_wall"
	t0=$(now_ms); "$B/raggedctl" run bomb -- mem 4096 > /dev/null 2>&1 || true; t1=$(now_ms)
	echo $((t1 - t0)) >> "$D/mem_kill"
	t0=$(now_ms); "$B/raggedctl" run fill -- mem 60 > /dev/null 2>&1 || true; t1=$(now_ms)
	echo $((t1 - t0)) >> "$D/mem_base"
done
grep '"event":"resource_limit_exceeded".*"limit":"cpu"' "$D/audit.jsonl" |
	sed -n 's/.*"usage":\([0-9]*\),"bound":\([0-9]*\).*/\1 \2/p' | awk '{print $1 - $2}' > "$D/cpu_over"

c_over=$(median < "$D/cpu_over"); c_wall=$(median < "$D/cpu_wall")
m_kill=$(median < "$D/mem_kill"); m_base=$(median < "$D/mem_base")
echo "limits bench (N=$N, $(nproc) cpus, kernel $(uname -r), agent tick 50 ms)"
echo "cpu: median CPU used past the 1 s bound when the agent saw it: ${c_over} ms"
echo "cpu: median run wall time minus the 1 s of allowed CPU: ${c_wall} ms"
echo "memory: median run with a 64 MB bomb (killed): ${m_kill} ms; same loop to 60 MB, not killed: ${m_base} ms"
echo "memory: crossing-to-end ≈ $((m_kill - m_base)) ms (kill by the kernel's OOM killer at the limit, plus the agent's record and cleanup)"
echo "limits_bench cpu_overshoot_ms=$c_over cpu_wall_extra_ms=$c_wall mem_kill_ms=$m_kill mem_base_ms=$m_base"
awk -v k="$m_kill" -v b="$m_base" 'BEGIN { if (b > 0) printf "BENCH metric=limits_mem_bomb_vs_loop value=%d base=%d ratio=%.4f target=info unit=ms\n", k, b, k / b }'

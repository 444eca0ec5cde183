#!/bin/sh
# Audit end to end under a deny flood (docs/contract.md §8 "audit write").
#
# A sandboxed plugin (tests/plugins/hog.c "flood N:PATH") opens a file
# outside its grant N times. Timed from `raggedctl run` to its return: the
# agent replies only after the run's arithmetic is closed and every record of
# it (the first denials in full, the rest folded into events_suppressed
# counts, the closing plugin_executed) has been written to the file (the
# agent flushes its audit batch before any reply). Baseline in the same run,
# interleaved: the same binary, same user, agent stopped, the same N opens
# refused by file permissions alone. Reports decisions per second end to end,
# the ratio to the baseline, lines written, and checks the arithmetic
# (kernel decisions == records logged + suppressed + lost).
#
# Environment: N (opens per run, default 200000), R (rounds, default 5).
# Writes nothing outside its temp dir, its cgroup and its bpffs dir.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B="$ROOT/build"
N=${N:-200000}
R=${R:-5}
[ "$(id -u)" -eq 0 ] || { echo "flood bench: run as root" >&2; exit 1; }
if command -v make > /dev/null; then
	make -s -C "$ROOT" build/raggedd build/raggedctl build/plugins/hog > /dev/null
fi

. "$ROOT/tools/bench/benchlib.sh"
bench_scratch fbench
bench_agent_toml > "$D/agent.toml"
mkdir -p "$D/plugin"
cp "$B/plugins/hog" "$D/plugin/"
printf '[plugin]\nname = "flood"\nversion = "1.0.0"\ntype = "command"\nentry = ["./hog"]\n[limits]\ncpu_seconds = 300\n' \
	> "$D/plugin/plugin.toml"
chmod 755 "$D/plugin"
echo secret > "$D/secret"; chmod 600 "$D/secret"	# nobody may not read it

BENCH=flood
. "$ROOT/tools/bench/agent.sh"
cleanup() {
	set +e
	agent_stop
	[ -n "${KEEP:-}" ] && echo "flood bench: kept $D" || rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

agent_start
"$B/raggedctl" plugin install "$D/plugin" > /dev/null
agent_stop
: > "$D/e2e"; : > "$D/base"
ok=0
for r in $(seq 1 "$R"); do
	t0=$(now_ns)
	setpriv --reuid=65534 --regid=65534 --clear-groups "$B/plugins/hog" flood "$N:$D/secret" > "$D/b.out"
	t1=$(now_ns)
	grep -q "^flood: $N of $N opens failed" "$D/b.out" || { echo "flood bench: baseline: $(cat "$D/b.out")" >&2; exit 1; }
	echo $((t1 - t0)) >> "$D/base"

	agent_start
	before=$(wc -l < "$D/audit.jsonl")
	t0=$(now_ns)
	"$B/raggedctl" run --yes flood -- flood "$N:$D/secret" > "$D/a.out" 2>&1
	t1=$(now_ns)
	grep -q "^flood: $N of $N opens failed" "$D/a.out" || { echo "flood bench: sandboxed: $(cat "$D/a.out")" >&2; exit 1; }
	lines=$(( $(wc -l < "$D/audit.jsonl") - before ))
	last=$(grep '"event":"plugin_executed".*"plugin":"flood"' "$D/audit.jsonl" | tail -1)
	k=$(echo "$last" | sed -n 's/.*"kernel_audited":\([0-9]*\).*/\1/p')
	l=$(echo "$last" | sed -n 's/.*"records_logged":\([0-9]*\).*/\1/p')
	s=$(echo "$last" | sed -n 's/.*"records_suppressed":\([0-9]*\).*/\1/p')
	x=$(echo "$last" | sed -n 's/.*"records_lost":\([0-9]*\).*/\1/p')
	if [ -n "$k" ] && [ "$k" -ge "$N" ] && [ "$k" -eq $((l + s + x)) ]; then
		ok=$((ok + 1))
	else
		echo "flood bench: round $r: arithmetic does not hold: kernel $k, logged $l, suppressed $s, lost $x" >&2
	fi
	echo "$((t1 - t0)) $lines $x" >> "$D/e2e"
	agent_stop
done

base=$(median < "$D/base")
e2e=$(cut -d' ' -f1 "$D/e2e" | median)
lines=$(cut -d' ' -f2 "$D/e2e" | median)
lost=$(cut -d' ' -f3 "$D/e2e" | sort -n | tail -1)
awk -v n="$N" -v a="$e2e" -v b="$base" -v l="$lines" -v x="$lost" -v r="$R" -v ok="$ok" 'BEGIN {
	printf "flood bench: N=%d denied opens per run, %d rounds, medians\n", n, r
	printf "| | time | decisions/s |\n|---|---|---|\n"
	printf "| sandboxed, agent running (to the last record on disk) | %.0f ms | %.0f k/s |\n", a / 1e6, n / (a / 1e9) / 1000
	printf "| same loop, agent stopped (refused by file permissions) | %.0f ms | %.0f k/s |\n", b / 1e6, n / (b / 1e9) / 1000
	printf "end to end / baseline: %.2fx; %d audit lines per run (median), at most %d lost; arithmetic held in %d of %d rounds\n", a / b, l, x, ok, r
	printf "flood_bench n=%d e2e_ns=%.0f base_ns=%.0f ratio=%.3f lines=%d lost=%d arithmetic_ok=%d/%d\n", n, a, b, a / b, l, x, ok, r
	printf "BENCH metric=flood_e2e_vs_stopped value=%.0f base=%.0f ratio=%.4f target=info unit=ns\n", a, b, a / b
}'
[ "$ok" -eq "$R" ]

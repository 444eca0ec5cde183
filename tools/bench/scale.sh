#!/bin/bash
# How start time, status latency and audit throughput grow with the number
# of runs (docs/PERFORMANCE.md "Scale").
#
# Start and status: with K runs already going (a plugin sleeping, for K in
# SCALE_RUNS, default "0 9 99": 1, 10, 100 runs counting the measured one),
# M times (default 15) `raggedctl run p -- sleep 0` (request to return) and
# `raggedctl status`; medians, and the ratio to the same at the first K.
# Audit: F plugins at once (F in SCALE_FLOOD, default "1 16"), each opening
# a file outside its grant SCALE_N times (default 50000); decisions per
# second in all, from the first request to the last return (every record
# on disk), and the ratio to the first F. Every round checks the run's
# arithmetic (kernel decisions == logged + suppressed + lost). Also: the
# agent's own CPU share while the K runs idle (SCALE_IDLE_S, default 3 s,
# from /proc).
# All ratios are information (target=info): what grows, and how fast.
set -eu -o pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B="$ROOT/build"
RUNS=${SCALE_RUNS:-0 9 99}
FLOOD=${SCALE_FLOOD:-1 16}
N=${SCALE_N:-50000}
M=${SCALE_M:-15}
IDLE_S=${SCALE_IDLE_S:-3}
[ "$(id -u)" -eq 0 ] || { echo "scale bench: run as root" >&2; exit 1; }
for f in raggedd raggedctl plugins/hog; do
	[ -x "$B/$f" ] || { echo "scale bench: $B/$f missing: run make all test-bins" >&2; exit 1; }
done
. "$ROOT/tools/bench/benchlib.sh"
bench_scratch sbench
bench_agent_toml > "$D/agent.toml"
mkdir -p "$D/plugin"
cp "$B/plugins/hog" "$D/plugin/"
printf '[plugin]\nname = "scale"\nversion = "1.0.0"\ntype = "command"\nentry = ["./hog"]\n[limits]\ncpu_seconds = 300\nwall_seconds = 3600\n' \
	> "$D/plugin/plugin.toml"
chmod 755 "$D/plugin"
echo secret > "$D/secret"; chmod 600 "$D/secret"

# shellcheck disable=SC2034 # BENCH: for agent.sh
BENCH=scale
. "$ROOT/tools/bench/agent.sh"
SLEEPERS=()
stop_sleepers() {
	local p
	for p in "${SLEEPERS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${SLEEPERS[@]}"; do wait "$p" 2>/dev/null || true; done
	SLEEPERS=()
}
cleanup() {
	set +e
	stop_sleepers
	agent_stop
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
running() { "$B/raggedctl" --format json status | sed -n 's/.*"active_runs":\([0-9]*\).*/\1/p'; }
ctl() { "$B/raggedctl" "$@"; }
# The agent's CPU time (user + system, clock ticks) so far.
agent_ticks() { awk '{ print $14 + $15 }' "/proc/$APID/stat"; }

agent_start
ctl plugin install "$D/plugin" > /dev/null
ctl run --yes scale -- sleep 0 > /dev/null
echo "scale bench: $(nproc) cpus, kernel $(uname -r), M=$M per point, N=$N opens per flooding run"
first_run=""; first_status=""
for k in $RUNS; do
	while [ "${#SLEEPERS[@]}" -lt "$k" ]; do
		ctl run scale -- sleep 3000 < /dev/null > /dev/null 2>&1 &
		SLEEPERS+=($!)
	done
	i=0
	while [ "$(running)" -lt "$k" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(running)" -ge "$k" ] || { echo "scale bench: only $(running) of $k runs started" >&2; exit 1; }
	# What K idle runs cost the agent: its CPU time over IDLE_S s with nothing asked.
	c0=$(agent_ticks); t0=$(now_ns); sleep "$IDLE_S"; c1=$(agent_ticks); t1=$(now_ns)
	cpu=$(awk -v c=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v t=$((t1 - t0)) 'BEGIN { printf "%.2f", c / hz / (t / 1e9) * 100 }')
	echo "scale: $k idle runs: the agent uses ${cpu}% of a CPU"
	: > "$D/run.t"; : > "$D/status.t"
	for _ in $(seq 1 "$M"); do
		t0=$(now_ns); ctl run scale -- sleep 0 > /dev/null; t1=$(now_ns)
		echo $((t1 - t0)) >> "$D/run.t"
		t0=$(now_ns); ctl status > /dev/null; t1=$(now_ns)
		echo $((t1 - t0)) >> "$D/status.t"
	done
	r=$(median < "$D/run.t"); s=$(median < "$D/status.t")
	[ -n "$first_run" ] || { first_run=$r; first_status=$s; first_k=$((k + 1)); }
	echo "scale: $((k + 1)) runs: start $((r / 1000)) us, status $((s / 1000)) us (medians)"
	awk -v k=$((k + 1)) -v f="$first_k" -v r="$r" -v s="$s" -v r1="$first_run" -v s1="$first_status" 'BEGIN {
		printf "BENCH metric=scale_start_%druns_vs_%d value=%d base=%d ratio=%.4f target=info unit=ns\n", k, f, r, r1, r / r1
		printf "BENCH metric=scale_status_%druns_vs_%d value=%d base=%d ratio=%.4f target=info unit=ns\n", k, f, s, s1, s / s1
	}'
done
stop_sleepers

first_rate=""
for f in $FLOOD; do
	before=$(wc -l < "$D/audit.jsonl")
	pids=()
	t0=$(now_ns)
	for i in $(seq 1 "$f"); do
		ctl run --yes scale -- flood "$N:$D/secret" > "$D/f$i.out" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	t1=$(now_ns)
	for i in $(seq 1 "$f"); do
		grep -q "^flood: $N of $N opens failed" "$D/f$i.out" ||
			{ echo "scale bench: flood run $i: $(cat "$D/f$i.out")" >&2; exit 1; }
	done
	# Each run's closing record: kernel decisions == logged + suppressed + lost.
	tail -n +"$((before + 1))" "$D/audit.jsonl" | grep '"event":"plugin_executed"' |
		sed -n 's/.*"kernel_audited":\([0-9]*\).*"records_logged":\([0-9]*\).*"records_suppressed":\([0-9]*\).*"records_lost":\([0-9]*\).*/\1 \2 \3 \4/p' > "$D/arith"
	if [ "$(wc -l < "$D/arith")" -ne "$f" ] || ! awk '$1 != $2 + $3 + $4 { exit 1 }' "$D/arith"; then
		echo "scale bench: $f flooding runs: arithmetic does not hold:" >&2; cat "$D/arith" >&2; exit 1
	fi
	rate=$(awk -v n="$N" -v f="$f" -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", n * f / (t / 1e9) }')
	[ -n "$first_rate" ] || { first_rate=$rate; first_f=$f; }
	echo "scale: $f flooding runs: $rate denied decisions/s in all, to the last record on disk"
	awk -v f="$f" -v f1="$first_f" -v r="$rate" -v r1="$first_rate" 'BEGIN {
		printf "BENCH metric=scale_flood_%druns_vs_%d value=%d base=%d ratio=%.4f target=info cmp=ge unit=decisions/s\n", f, f1, r, r1, r / r1
	}'
done

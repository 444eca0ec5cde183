#!/bin/bash
# Every benchmark, then one table (tools/bench/summary.sh) of their BENCH
# lines: metric, target, ratio, holds/missed. `make bench` runs this.
#
#   tools/bench/all.sh [--smoke] [--where LABEL] [--log FILE]
#
# --smoke: each bench at a tiny size (a few samples; about a minute and a
# half in all), to show that every bench still runs and that its BENCH
# lines are well formed with ratios that follow from their own numbers
# (summary.sh --check); it never judges a target. Last line:
# "bench-smoke: N passed, N failed[, N skipped]", one count per bench plus
# one for the line check. Without --smoke, the full benches; the exit status
# is 0 when every bench ran, whatever the targets say.
# --where: the label of the table's rows (default "native"; the vmbench guest
# passes its kernel). --log: keep the combined output there.
set -u -o pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$ROOT/build
SMOKE=0
WHERE=native
LOG=""
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SMOKE=1; shift ;;
	--where) WHERE=$2; shift 2 ;;
	--log) LOG=$2; shift 2 ;;
	-h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root" >&2; exit 2; }
TMP=$(mktemp -d /tmp/ragged-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
[ -n "$LOG" ] || LOG=$TMP/all.log
: > "$LOG"
P=0; F=0; S=0

# bench NAME COMMAND...: run it, keep its output, count it.
bench() {
	local name=$1 rc start=$SECONDS
	shift
	echo "== bench $name: $*" | tee -a "$LOG"
	"$@" 2>&1 | tee "$TMP/$name.out" | tee -a "$LOG"
	rc=$?
	echo "== bench $name: exit $rc in $((SECONDS - start)) s" | tee -a "$LOG"
	if [ "$rc" -ne 0 ]; then
		echo "== bench $name: FAILED (exit $rc)" | tee -a "$LOG"; F=$((F + 1))
	elif ! grep -q '^BENCH metric=' "$TMP/$name.out"; then
		echo "== bench $name: FAILED (no BENCH line)" | tee -a "$LOG"; F=$((F + 1))
	else
		P=$((P + 1))
	fi
}

mkdir -p "$B/bench"
# Against the product's own archive (make all built it): nothing compiled twice.
[ -f "$B/libcommon.a" ] || { echo "bench: $B/libcommon.a missing: run make all test-bins" >&2; exit 1; }
for b in auditbench validate_bench; do
	cc -O2 -std=gnu11 -D_GNU_SOURCE -I"$ROOT/include" -I"$ROOT/agent/common" "$ROOT/tools/bench/$b.c" \
		"$B/libcommon.a" -o "$B/bench/$b" -lbpf -lelf -lz -lcjson -lcrypto -lutf8proc ||
		{ echo "bench: $b does not build" >&2; exit 1; }
done
# validate_bench exits 3 when its target is missed: it ran, the table says the rest.
validate() { "$B/bench/validate_bench" "$@"; local rc=$?; [ "$rc" -eq 3 ] && return 0; return "$rc"; }
if [ "$SMOKE" = 1 ]; then
	bench validate validate -n 3 --lines 500
	bench start "$ROOT/tools/bench/run.sh" -n 3 --warmup 1 --gap-ms 20
	bench limits env N=1 "$ROOT/tools/bench/limits.sh"
	bench consent env N=3 "$ROOT/tools/bench/consent.sh"
	bench audit "$B/bench/auditbench" 2000 1
	bench flood env N=2000 R=1 "$ROOT/tools/bench/flood.sh"
	bench scale env SCALE_RUNS="0 3" SCALE_FLOOD="1 2" SCALE_N=2000 SCALE_M=3 SCALE_IDLE_S=1 "$ROOT/tools/bench/scale.sh"
	bench sandbox "$ROOT/tools/bench/sandbox.sh" 1 200
	bench session "$ROOT/tools/bench/session.sh" 5
	bench outside env N=1 "$ROOT/tools/bench/outside.sh"
	if grep -q 'BENCH metric=' "$ROOT/tools/bench/enforce.sh"; then
		bench enforce env R=1 S=1 LOOP_ROUNDS=1 BLOCK=50 SCALE= "$ROOT/tools/bench/enforce.sh"
	else
		echo "== bench enforce: skipped (enforce.sh prints no BENCH line yet)" | tee -a "$LOG"
		S=$((S + 1))
	fi
else
	bench validate validate -n 50
	bench start "$ROOT/tools/bench/run.sh"
	bench limits "$ROOT/tools/bench/limits.sh"
	bench consent "$ROOT/tools/bench/consent.sh"
	bench audit "$B/bench/auditbench" 200000
	bench flood "$ROOT/tools/bench/flood.sh"
	bench scale "$ROOT/tools/bench/scale.sh"
	bench sandbox "$ROOT/tools/bench/sandbox.sh"
	bench session "$ROOT/tools/bench/session.sh"
	bench outside "$ROOT/tools/bench/outside.sh"
	bench load "$ROOT/tools/bench/load.sh"
	if grep -q 'BENCH metric=' "$ROOT/tools/bench/enforce.sh"; then
		bench enforce "$ROOT/tools/bench/enforce.sh"
	else
		echo "== bench enforce: runs, but prints no BENCH line yet: not in the table" | tee -a "$LOG"
		"$ROOT/tools/bench/enforce.sh" 2>&1 | tee -a "$LOG" || F=$((F + 1))
	fi
fi

echo "== summary ($WHERE)"
if [ "$SMOKE" = 1 ]; then
	"$ROOT/tools/bench/summary.sh" --check "$WHERE=$LOG" && P=$((P + 1)) || F=$((F + 1))
	echo "bench-smoke: $P passed, $F failed, $S skipped"
else
	"$ROOT/tools/bench/summary.sh" "$WHERE=$LOG"
	echo "bench: $P passed, $F failed"
fi
[ "$F" -eq 0 ]

#!/bin/sh
# Run every libFuzzer target in FUZZDIR for SECONDS each.
#   tests/fuzz/run.sh build/fuzz 60
# Each target fuzz_NAME starts from a copy of tests/fuzz/corpus/NAME in a
# temporary directory, so new inputs never land in the repository. A crash,
# leak, timeout or UBSan report fails the run; its reproducer is kept in
# FUZZDIR/artifacts/.
set -u

dir=${1:?usage: $0 FUZZDIR SECONDS}
secs=${2:?usage: $0 FUZZDIR SECONDS}
corpora=$(cd "$(dirname "$0")" && pwd)/corpus
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$dir/artifacts" || exit 1
artifacts=$(cd "$dir/artifacts" && pwd)

# UBSan only prints by default; make undefined behaviour a finding.
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS ASAN_OPTIONS

status=0
ran=0
npass=0
nfail=0
for bin in "$dir"/fuzz_*; do
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	name=$(basename "$bin")
	ran=$((ran + 1))
	corpus=$work/$name
	mkdir -p "$corpus"
	if [ -d "$corpora/${name#fuzz_}" ]; then
		cp -R "$corpora/${name#fuzz_}/." "$corpus/"
	fi
	"$bin" -max_len=70000 -max_total_time="$secs" -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$artifacts/$name-" \
	    "$corpus" >"$work/$name.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log")
	if [ "$rc" -ne 0 ]; then
		tail -n 60 "$work/$name.log"
		echo "FAIL $name: exit $rc after ${execs:-?} executions; reproducer in $artifacts"
		status=1
		nfail=$((nfail + 1))
	else
		echo "ok   $name: ${execs:-?} executions in ${secs}s, no crash"
		npass=$((npass + 1))
	fi
done

if [ "$ran" -eq 0 ]; then
	echo "no fuzz targets in $dir" >&2
	status=1
	nfail=$((nfail + 1))
fi
echo "fuzz: $npass passed, $nfail failed"
exit "$status"

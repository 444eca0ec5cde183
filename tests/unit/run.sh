#!/bin/sh
# Run every cmocka unit-test binary in BUILDDIR and sum the test cases.
#   tests/unit/run.sh build/tests
# Last line: "unit: N passed, N failed"; exit status non-zero on any failure.
# A binary that dies before its summary counts all its unpassed cases (at
# least one) as failed, so a crash can never read as success.
set -u

dir=${1:?usage: $0 BUILDDIR}
passed=0
failed=0
ran=0
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT INT TERM

for t in "$dir"/test_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	ran=$((ran + 1))
	CMOCKA_MESSAGE_OUTPUT=stdout "$t" >"$log" 2>&1
	rc=$?
	total=$(sed -n 's/^\[==========\] Running \([0-9][0-9]*\) test(s)\.$/\1/p' "$log" | head -n 1)
	ok=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\.$/\1/p' "$log" | tail -n 1)
	total=${total:-0}
	ok=${ok:-0}
	bad=$((total - ok))
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		bad=1
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
	if [ "$bad" -ne 0 ]; then
		cat "$log"
		echo "FAIL $(basename "$t"): $ok passed, $bad failed (exit $rc)"
	else
		echo "ok   $(basename "$t"): $ok passed"
	fi
done

if [ "$ran" -eq 0 ]; then
	echo "no test binaries in $dir" >&2
	failed=$((failed + 1))
fi
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

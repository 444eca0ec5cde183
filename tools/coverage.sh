#!/bin/sh
# make coverage: line coverage of the security modules, from the unit tests
# and the native integration tests run against an instrumented build
# (build-cov/). Prints per-file figures and the total, and fails below 90 %.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
THRESHOLD=${COVERAGE_MIN:-90}

# The security modules: everything the agent and the parsers run, i.e. every
# file under agent/daemon/ and agent/common/*/ (the client's renderers in
# agent/ctl/ decide nothing).
SECURITY_MODULES=$(ls agent/daemon/*.c agent/common/*/*.c)

rm -rf build-cov
if ! make -s BUILD=build-cov COVERAGE=1 build-cov/raggedd build-cov/raggedctl \
	$(ls tests/plugins/*.c | sed 's|tests/plugins/\(.*\)\.c|build-cov/plugins/\1|') $(ls tests/unit/test_*.c | sed 's|tests/unit/\(.*\)\.c|build-cov/tests/\1|') > build-cov.log 2>&1; then
	cat build-cov.log; rm -f build-cov.log
	echo "coverage: 0 passed, 1 failed"; exit 1
fi
rm -f build-cov.log
./tests/unit/run.sh build-cov/tests > /dev/null 2>&1 || echo "coverage: note: unit tests failed under coverage"
RAGGED_BUILD="$ROOT/build-cov" ./tests/integration/run.sh > /dev/null 2>&1 ||
	echo "coverage: note: integration tests failed under coverage"

filters=""
for f in $SECURITY_MODULES; do filters="$filters --filter $f"; done
# shellcheck disable=SC2086
gcovr -r . $filters --object-directory build-cov/obj --print-summary 2>/dev/null > build-cov/report.txt
cat build-cov/report.txt
total=$(sed -nE 's/^lines: ([0-9.]+)%.*/\1/p' build-cov/report.txt)
echo "coverage: security modules line coverage ${total:-?}% (threshold $THRESHOLD%)"
if [ -n "$total" ] && awk "BEGIN{exit !($total >= $THRESHOLD)}"; then
	echo "coverage: 1 passed, 0 failed"
else
	echo "coverage: 0 passed, 1 failed"
	exit 1
fi

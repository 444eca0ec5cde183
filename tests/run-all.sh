#!/bin/sh
# make test: every suite, in order of cost, with one closing line
#   N passed, N failed, N skipped
# Suites: unit (cmocka), layers (no include or call cycles between the
# agent's modules, tools/check-layers.sh), docs (tables generated from schemas
# match them), fuzz (bounded libFuzzer runs), native integration (real agent,
# real kernel), bench-smoke (every bench at a tiny size), coverage (the same unit+integration suites on
# an instrumented build, total for the security modules), vmtest (BPF-LSM on
# the kernel matrix under QEMU), vmtest-systemd (the agent as a systemd
# service with systemd as PID 1, oldest and newest kernel). A suite that
# cannot run says why and fails.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
LOG=$(mktemp -d /tmp/ragged-test.XXXXXX)
P=0; F=0; S=0

# Sum the "name: N passed, N failed[, N skipped]" closing line of a suite.
tally() {
	line=$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
	if [ -z "$line" ]; then
		echo "== $2: no summary line (crashed?); counted as 1 failure"
		F=$((F + 1)); return
	fi
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
	P=$((P + p)); F=$((F + f)); S=$((S + ${s:-0}))
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then F=$((F + 1)); echo "== $2: exit $3 with no failed test; counted as 1 failure"; fi
}

suite() { # suite NAME COMMAND...
	name=$1; shift
	echo "== $name: $*"
	start=$(date +%s)
	"$@" > "$LOG/$name.log" 2>&1
	rc=$?
	cat "$LOG/$name.log"
	echo "== $name: exit $rc in $(( $(date +%s) - start ))s"
	tally "$LOG/$name.log" "$name" "$rc"
	# The failed checks by name, repeated at the end where a short log tail
	# shows them, each with the first lines of what it printed about itself
	# (its indented "| " detail): a CI log may keep nothing else.
	awk '/(^|\| )(not ok|FAIL )/ { if (++f > 20) exit; print; d = 12; next }
	     d > 0 && /^( *\| )?    \| / { print; d--; next } { d = 0 }' "$LOG/$name.log" |
		sed "s/^/$name: /" >> "$LOG/failures"
}

suite unit ./tests/unit/run.sh build/tests
suite layers ./tools/check-layers.sh build
suite docs ./tests/docs/run.sh
suite fuzz ./tests/fuzz/run.sh build/fuzz "${FUZZ_SECONDS:-20}"
suite integration ./tests/integration/run.sh
# Every bench once at a tiny size: it runs, its BENCH lines add up (no target judged).
suite bench-smoke ./tools/bench/all.sh --smoke
suite coverage ./tools/coverage.sh
# Per boot: the whole suite takes about 9 minutes of a TCG guest (docs/vmtest.md).
suite vmtest ./vmtest/run.sh --timeout "${VMTEST_TIMEOUT:-1500}"
suite vmtest-systemd ./vmtest/run.sh --systemd --timeout "${VMTEST_TIMEOUT:-600}"

if [ -s "$LOG/failures" ]; then
	echo "== failed checks:"
	cat "$LOG/failures"
fi
rm -rf "$LOG"
echo "$P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]

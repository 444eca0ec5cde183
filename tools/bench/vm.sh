#!/bin/sh
# The bench inside a vmtest guest (make vmbench: ragged.run=bench): the
# benches that need no compiler there (the enforcement bench, a syscall
# outside the runs while one exists; BENCHES=enforce+outside by default,
# e.g. ragged.bench_env=BENCHES=outside,N=3), then the summary table of
# their BENCH lines, labelled with the guest's kernel.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LOG=$(mktemp /tmp/ragged-vmbench.XXXXXX)
rc=0
for b in $(echo "${BENCHES:-enforce+outside}" | tr '+' ' '); do
	# The bench's own exit status, not tee's.
	{ sh "$ROOT/tools/bench/$b.sh" 2>&1; echo $? > "$LOG.rc"; } | tee -a "$LOG"
	[ "$(cat "$LOG.rc" 2>/dev/null || echo 1)" = 0 ] || rc=1
done
"$ROOT/tools/bench/summary.sh" "$(uname -r)=$LOG"
rm -f "$LOG" "$LOG.rc"
exit "$rc"

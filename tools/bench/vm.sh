#!/bin/sh
# The bench inside a vmtest guest (make vmbench: ragged.run=bench): the
# benches that need no compiler there (the enforcement bench), then the
# summary table of their BENCH lines, labelled with the guest's kernel.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LOG=$(mktemp /tmp/ragged-vmbench.XXXXXX)
# The bench's own exit status, not tee's.
{ sh "$ROOT/tools/bench/enforce.sh" 2>&1; echo $? > "$LOG.rc"; } | tee "$LOG"
rc=$(cat "$LOG.rc" 2>/dev/null || echo 1)
"$ROOT/tools/bench/summary.sh" "$(uname -r)=$LOG"
rm -f "$LOG" "$LOG.rc"
exit "$rc"

#!/bin/sh
# The bench inside a vmtest guest (make vmbench: ragged.run=bench): the
# benches that need no compiler there (the enforcement bench), then the
# summary table of their BENCH lines, labelled with the guest's kernel.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LOG=$(mktemp /tmp/ragged-vmbench.XXXXXX)
sh "$ROOT/tools/bench/enforce.sh" 2>&1 | tee "$LOG"
rc=$?
"$ROOT/tools/bench/summary.sh" "$(uname -r)=$LOG"
rm -f "$LOG"
exit "$rc"

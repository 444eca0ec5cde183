#!/bin/sh
# One table from the "BENCH" lines the benchmarks print (docs/PERFORMANCE.md,
# "One bench command"):
#
#   BENCH metric=NAME value=V base=B ratio=R target=T [cmp=le|ge] [unit=U]
#
# ratio is value / base, both measured in the same run; target is the limit
# the ratio must meet (cmp=le: ratio <= target, the default; cmp=ge: ratio
# >= target), or "info" for a figure with no target. ratio=na (and value or
# base na) when the baseline could not be measured: the row says "unknown".
#
#   tools/bench/summary.sh [--check] [LABEL=]FILE...
#
# Prints, per file (LABEL, default the file name: "native", a kernel), one
# row per BENCH line: where, metric, target, ratio, holds / missed / info /
# unknown; then "bench summary: N holds, N missed, N info, N unknown".
# --check (the smoke suite) also verifies each line's arithmetic: every
# field present, numbers well formed, ratio = value / base within rounding,
# at least one line per file; it prints "bench-lines: N passed, N failed"
# and exits non-zero on any failure. It never judges a target.
set -eu
CHECK=0
[ "${1:-}" = --check ] && { CHECK=1; shift; }
[ $# -gt 0 ] || { echo "usage: summary.sh [--check] [LABEL=]FILE..." >&2; exit 2; }
for a in "$@"; do
	case $a in
	*=*) label=${a%%=*}; file=${a#*=} ;;
	*) label=$(basename "$a"); file=$a ;;
	esac
	[ -r "$file" ] || { echo "summary: $file: cannot read" >&2; exit 2; }
	# The label travels with the lines; a line may name its own place (where=).
	sed -n "s/^.*\(BENCH metric=\)/$label \1/p" "$file" | tr -d '\r'
	grep -q 'BENCH metric=' "$file" || echo "$label BENCH-NONE"
done | awk -v check="$CHECK" '
function num(s) { return s ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/ }
function bad(what) { failed++; printf "bench-lines: %s: %s: %s\n", where, what, $0 > "/dev/stderr" }
BEGIN { printf "| where | metric | target | ratio | result |\n|---|---|---|---|---|\n" }
$2 == "BENCH-NONE" { where = $1; if (check) bad("no BENCH line"); next }
{
	where = $1; delete f
	for (i = 3; i <= NF; i++) { k = $i; sub(/=.*/, "", k); v = $i; sub(/^[^=]*=/, "", v); f[k] = v }
	if ("where" in f) where = where "/" f["where"]
	ok = 1
	for (k in need) if (!(k in f)) { bad("missing " k); ok = 0 }
	cmp = ("cmp" in f) ? f["cmp"] : "le"
	if (cmp != "le" && cmp != "ge") { bad("cmp must be le or ge"); ok = 0 }
	if (ok && f["ratio"] != "na") {
		if (!num(f["value"]) || !num(f["base"]) || !num(f["ratio"])) { bad("not a number"); ok = 0 }
		else if (f["base"] + 0 <= 0) { bad("base <= 0"); ok = 0 }
		else {
			r = f["value"] / f["base"]; d = r - f["ratio"]; if (d < 0) d = -d
			# printed with 3 decimals at least: allow that rounding, or 0.5 %
			if (d > 0.0006 && d > 0.005 * r) { bad(sprintf("ratio %s but value/base = %.4f", f["ratio"], r)); ok = 0 }
		}
	}
	if (ok && f["target"] != "info" && !num(f["target"])) { bad("target is neither a number nor info"); ok = 0 }
	if (!ok) { res = "malformed" }
	else if (f["target"] == "info") res = "info"
	else if (f["ratio"] == "na") res = "unknown"
	else if (cmp == "le") res = (f["ratio"] + 0 <= f["target"] + 0) ? "holds" : "missed"
	else res = (f["ratio"] + 0 >= f["target"] + 0) ? "holds" : "missed"
	if (ok) passed++
	n[res]++
	tgt = f["target"] == "info" ? "-" : (cmp == "le" ? "<= " : ">= ") f["target"]
	printf "| %s | %s | %s | %s | %s |\n", where, f["metric"], tgt, f["ratio"], res
}
BEGIN { need["metric"]; need["value"]; need["base"]; need["ratio"]; need["target"] }
END {
	printf "bench summary: %d holds, %d missed, %d info, %d unknown\n", n["holds"], n["missed"], n["info"], n["unknown"]
	if (check) { printf "bench-lines: %d passed, %d failed\n", passed, failed; exit failed > 0 }
}'

#!/bin/sh
# Documentation generated from a schema matches it: docs/audit-format.md's
# record, result and event tables are rendered from docs/audit-schema.json
# (tools/audit-doc.py), so they cannot drift; the schema's events and
# results are those the agent's sources write. Cheap: no agent, no build.
# Prints "docs: N passed, N failed, N skipped".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
P=0; F=0
check() { # check DESC COMMAND...
	d=$1; shift
	if out=$("$@" 2>&1); then P=$((P + 1)); echo "ok - $d"; else
		F=$((F + 1)); echo "not ok - $d"; echo "$out" | head -40 | sed 's/^/    | /'
	fi
}
# fails: exits non-zero (the check can fail, and says so).
fails() { if "$@" > /dev/null 2>&1; then return 1; fi; }
S="$ROOT/docs/audit-schema.json"
T=$(mktemp -d /tmp/ragged-docs.XXXXXX)
check "docs/audit-format.md tables match docs/audit-schema.json" python3 "$ROOT/tools/audit-doc.py" --check
# A changed field description is a different doc.
sed 's/"Plugin type from the manifest."/"Plugin type."/' "$S" > "$T/schema.json"
cp "$ROOT/docs/audit-format.md" "$T/doc.md"
check "a schema change the doc lacks is caught" fails python3 "$ROOT/tools/audit-doc.py" --check "$T/schema.json" "$T/doc.md"
check "the schema names exactly the events and results the agent writes" \
	python3 "$ROOT/tests/docs/audit_events.py" "$S" "$ROOT/agent"
sed 's/"plugin_loaded",//' "$S" > "$T/schema.json"
check "an event the schema lacks is caught" fails python3 "$ROOT/tests/docs/audit_events.py" "$T/schema.json" "$ROOT/agent"
rm -rf "$T"
echo "docs: $P passed, $F failed, 0 skipped"
[ "$F" -eq 0 ]

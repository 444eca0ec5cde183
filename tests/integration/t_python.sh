# shellcheck shell=sh
# The Python client (agent/python) and the click group against this
# suite's live agent: pytest (Debian's python3-pytest) runs tests/python,
# and each pytest case counts as one check here.

# The interpreter with pytest: Debian's /usr/bin/python3 first (make deps
# installs python3-pytest there), then whatever python3 is on PATH.
py_bin() {
	for p in /usr/bin/python3 python3; do
		if "$p" -c 'import pytest' 2> /dev/null; then echo "$p"; return 0; fi
	done
	return 1
}

t_python_client() {
	if ! PY=$(py_bin); then
		skip "no python3 with pytest here (make deps installs python3-pytest)"; return
	fi
	# -rfE: a closing line per failure, "FAILED case - why", for its message.
	RAGGEDCTL="$RAGGED_BUILD/raggedctl" "$PY" -m pytest -v -rfE --tb=short -p no:cacheprovider \
		"$RAGGED_ROOT/tests/python" > "$RAGGED_T/pytest.out" 2>&1
	rc=$?
	n=0
	while read -r line; do
		case $line in
		*" PASSED"*) pass "${line%% PASSED*}"; n=$((n + 1)) ;;
		*" FAILED"* | *" ERROR"*)
			tc=${line%% *}
			why=$(grep -a -m1 -F -e "FAILED $tc - " -e "ERROR $tc - " "$RAGGED_T/pytest.out")
			fail "$tc${why:+: ${why#* - }}"; n=$((n + 1)) ;;
		*" SKIPPED"*) skip "${line}"; n=$((n + 1)) ;;
		esac
	done < "$RAGGED_T/pytest.out"
	if [ "$rc" -ne 0 ] || [ "$n" -eq 0 ]; then
		fail "pytest exit status $rc, $n cases"; sed 's/^/    | /' "$RAGGED_T/pytest.out" | tail -60
	fi
}

# audit.follow() is an iterator that ends cleanly when the agent goes away.
t_python_follow_ends_with_the_agent() {
	if ! PY=$(py_bin); then
		skip "no python3 with pytest here (make deps installs python3-pytest)"; return
	fi
	"$PY" - "$RAGGED_ROOT/agent/python" > "$RAGGED_T/follow.out" 2>&1 <<'PYEOF' &
import os, sys
sys.path.insert(0, sys.argv[1])
from ragged_sandbox import Client
f = Client(os.environ["RAGGED_SOCKET"]).audit.follow(timeout=120)
print("following", flush=True)
n = sum(1 for _ in f)
print("ended cleanly after", n, "records", flush=True)
PYEOF
	fpid=$!
	i=0
	while ! grep -q following "$RAGGED_T/follow.out" 2> /dev/null && [ $i -lt 600 ]; do
		kill -0 $fpid 2> /dev/null || break; sleep 0.1; i=$((i + 1))
	done
	stop_agent
	wait $fpid; rc=$?
	start_agent || fail "agent did not restart"
	if [ "$rc" -eq 0 ] && grep -q "ended cleanly" "$RAGGED_T/follow.out"; then
		pass "follow ended when the agent stopped"
	else
		fail "follower exit $rc:"; sed 's/^/    | /' "$RAGGED_T/follow.out"
	fi
}

# raggedctl permissions: every permission, what it grants here, did you mean.
t_permissions_catalog() {
	ctl permissions > "$RAGGED_T/perm.out" 2>&1
	expect_rc $? 0 "raggedctl permissions"
	expect_line "$RAGGED_T/perm.out" '^read:documents +medium +Read the files' "read:documents with risk and description"
	expect_line "$RAGGED_T/perm.out" "^ +read +$RAGGED_T/docs\$" "the documents dir it grants on this machine"
	expect_line "$RAGGED_T/perm.out" '^ +tcp +127\.0\.0\.1/32 port 11434$' "the embedding endpoint"
	[ "$(grep -c '^[a-z]*:[a-z]* ' "$RAGGED_T/perm.out")" -eq 10 ] && pass "all 10 permissions" ||
		fail "not 10 permissions"
	ctl --format json permissions network:download > "$RAGGED_T/perm.json"
	expect_line "$RAGGED_T/perm.json" '^\{"permission":"network:download","risk":"high"' "one permission as JSON"
	ctl permissions read:document > "$RAGGED_T/perm.err" 2>&1
	expect_rc $? 2 "unknown permission is bad input"
	expect_line "$RAGGED_T/perm.err" 'unknown permission "read:document" \(did you mean read:documents\?\)' "did you mean"
	ctl plugin grant nosuch --permission network:apii > "$RAGGED_T/perm.err" 2>&1
	expect_line "$RAGGED_T/perm.err" 'did you mean network:api\?' "did you mean on grant"
}

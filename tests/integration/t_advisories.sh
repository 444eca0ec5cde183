# shellcheck shell=sh
# raggedctl advisories update: the OSV export into [paths] advisory_db,
# atomically, verified, recorded; the scan reports the data's age and warns
# when it is stale. The export is a local fixture built here (a zip of the
# sample advisories); only t_advisories_network fetches the real one.

adv_zips() { # the fixtures, in $AD
	python3 - "$RAGGED_ROOT/tests/data/osv" "$AD" <<'PY'
import os, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
names = sorted(n for n in os.listdir(src) if n.endswith(".json"))
def mk(name, extra=()):
    with zipfile.ZipFile(os.path.join(out, name), "w", zipfile.ZIP_DEFLATED) as z:
        for n in names:
            z.write(os.path.join(src, n), n)
        for n, data in extra:
            z.writestr(n, data)
mk("good.zip")
mk("badjson.zip", [("PYSEC-0000-1.json", "{not json")])
mk("notosv.zip", [("PYSEC-0000-2.json", '{"id": "PYSEC-0000-2"}')])
mk("slip.zip", [("../escape.json", '{"id": "X", "affected": []}')])
data = open(os.path.join(out, "good.zip"), "rb").read()
open(os.path.join(out, "corrupt.zip"), "wb").write(data[:len(data) // 2])
PY
}

# adv_listing: what the advisory directory holds (names and contents).
adv_listing() { (cd "$AD/osv" 2> /dev/null && ls -A | sort | xargs -r sha256sum); }

adv_hup() { # adv_hup: reload, wait until the agent says it reloaded
	mark_audit
	_n=$(grep -c 'config reloaded' "$RAGGED_T/agent.log")
	kill -HUP "$AGENT_PID"
	_k=0
	until [ "$(grep -c 'config reloaded' "$RAGGED_T/agent.log")" -gt "$_n" ]; do
		[ $_k -ge 300 ] && return 1
		sleep 0.1; _k=$((_k + 1))
	done
	ctl status > /dev/null	# a reply flushes the audit batch: the reload's records are in the file
}

t_advisories_update() {
	if ! command -v python3 > /dev/null; then
		skip "needs python3 to build the zip fixtures"
		return
	fi
	AD="$RAGGED_T/adv"
	rm -rf "$AD"; mkdir -p "$AD"
	adv_zips
	cp "$RAGGED_T/agent.toml" "$RAGGED_T/agent.toml.adv"
	sed -i "s|^\[paths\]|[paths]\nadvisory_db = \"$AD/osv\"|" "$RAGGED_T/agent.toml"
	adv_hup || fail "no reload after pointing advisory_db at $AD/osv"

	mark_audit
	ctl advisories update --config "$RAGGED_T/agent.toml" --source "$AD/good.zip" --min-count 5 \
		> "$AD/u.out" 2>&1
	expect_rc $? 0 "update from a local copy of the export"
	n=$(ls "$AD/osv"/*.json | wc -l)
	[ "$n" -eq "$(ls "$RAGGED_ROOT"/tests/data/osv/*.json | wc -l)" ] &&
		pass "every advisory unpacked ($n)" || fail "$n advisories unpacked"
	sum=$(sha256sum "$AD/good.zip" | cut -d' ' -f1)
	new_audit | grep '"event":"advisories_updated"' > "$AD/rec"
	expect_line "$AD/rec" "\"result\":\"success\".*\"uid\":0.*\"source\":\"$AD/good.zip\",\"count\":$n,\"sha256\":\"$sum\"" \
		"advisories_updated names source, count and the archive's sha256"
	no_line "$AD/rec" 'previous_fetched_at' "the first update has no previous data"

	mark_audit
	ctl advisories update --config "$RAGGED_T/agent.toml" --source "file://$AD/good.zip" \
		--min-count=5 > "$AD/u.out" 2>&1
	expect_rc $? 0 "update again (file:// source, --opt=value)"
	new_audit | grep '"event":"advisories_updated"' > "$AD/rec"
	expect_line "$AD/rec" '"previous_fetched_at":"[0-9T:.-]*Z","previous_age_seconds":[0-9]+' \
		"the second names the previous data and its age"
	# The agent unreachable: the update stands, and is recorded when the agent next looks (reload, start), once.
	mark_audit
	RAGGED_SOCKET="$AD/nowhere.sock" "$RAGGED_BUILD/raggedctl" advisories update \
		--config "$RAGGED_T/agent.toml" --source "$AD/good.zip" --min-count 5 > "$AD/u.out" 2>&1
	expect_rc $? 0 "update with the agent unreachable still succeeds"
	expect_line "$AD/u.out" 'records the update when it starts' "and says when it will be recorded"
	new_audit | grep -q '"event":"advisories_updated"' && fail "recorded without the agent?" ||
		pass "not recorded yet"
	adv_hup || fail "no reload"
	new_audit | grep -c '"event":"advisories_updated"' > "$AD/n"
	[ "$(cat "$AD/n")" -eq 1 ] && pass "the reload records the pending update" ||
		fail "$(cat "$AD/n") advisories_updated records after the reload"
	adv_hup || fail "no reload"
	new_audit | grep -q '"event":"advisories_updated"' && fail "recorded twice" ||
		pass "a second reload records nothing"
	ls -A "$AD" | grep -q '^\.osv\.update-' && fail "a staging directory was left behind" ||
		pass "no staging directory left behind"

	mark_audit
	before=$(adv_listing)
	for bad in "corrupt.zip:not a valid zip archive" "badjson.zip:PYSEC-0000-1.json: not a JSON object" \
		"notosv.zip:PYSEC-0000-2.json: not an OSV advisory" "slip.zip:not a flat NAME.json" \
		"good.zip:fewer than --min-count 1000" "nothere.zip:No such file"; do
		z=${bad%%:*}; why=${bad#*:}
		ctl advisories update --config "$RAGGED_T/agent.toml" --source "$AD/$z" \
			$( [ "$z" = good.zip ] || echo --min-count 1 ) > "$AD/b.out" 2>&1
		rc=$?
		if [ $rc -ne 0 ] && grep -qF -- "$why" "$AD/b.out" && grep -q "is unchanged" "$AD/b.out"; then
			pass "$z refused: $why"
		else
			fail "$z: exit $rc, $(cat "$AD/b.out")"
		fi
	done
	[ "$(adv_listing)" = "$before" ] && pass "the old data is untouched by every refusal" ||
		fail "a refused update changed the advisory directory"
	[ -e "$AD/escape.json" ] && fail "an entry named ../ was written outside" || pass "nothing written outside"

	new_audit | grep -q "\"event\":\"advisories_updated\"" && fail "a refused update was recorded" || pass "refusals write no advisories_updated record"

	# Fresh data: its age is shown, no warning; 30 days old: dep-db-stale.
	d=$(make_plugin advdeps '[dependencies]' 'python = ["urllib3==2.5.0"]')
	ctl plugin validate "$d" --config "$RAGGED_T/agent.toml" > "$AD/v.out" 2>&1
	expect_line "$AD/v.out" '^advisories: fetched .*Z, 0 day\(s\) old' "validate reports the data's age"
	no_line "$AD/v.out" 'dep-db-stale' "fresh data: no stale warning"
	python3 - "$AD/osv/.ragged-advisories" <<'PY'
import json, sys, time
p = sys.argv[1]; s = json.load(open(p))
s["fetched_at_unix"] = int(time.time()) - 30 * 86400
s["fetched_at"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(s["fetched_at_unix"]))
open(p, "w").write(json.dumps(s))
PY
	ctl plugin validate "$d" --config "$RAGGED_T/agent.toml" > "$AD/v.out" 2>&1
	expect_line "$AD/v.out" 'dep-db-stale' "30-day-old data: dep-db-stale"
	expect_line "$AD/v.out" 'advisory data is 30 days old .*older than 7 days' "the warning names the age and the limit"
	ctl --format json plugin validate "$d" --config "$RAGGED_T/agent.toml" > "$AD/v.json" 2>&1
	expect_line "$AD/v.json" '"advisories_age_days":30' "JSON output has the age"
	ctl advisories status --config "$RAGGED_T/agent.toml" > "$AD/s.out" 2>&1
	expect_rc $? 1 "advisories status: exit 1 when stale"
	expect_line "$AD/s.out" 'STALE' "advisories status says STALE"
	mark_audit
	ctl plugin install --accept-risk "$d" > /dev/null 2>&1
	audit_has '"event":"validation_finding".*"plugin":"advdeps".*"rule":"dep-db-stale"' &&
		pass "the agent's vetting records the stale warning" || fail "no dep-db-stale record at install"

	# A request from a user other than root is refused.
	python3 - "$RAGGED_SOCKET" > "$AD/nr.out" 2>&1 <<'PY'
import os, sys
sys.path.insert(0, os.path.join(os.environ["RAGGED_ROOT"], "agent/python"))
from ragged_sandbox.wire import request
os.setgid(65534); os.setuid(65534)
try:
    print(request({"cmd": "advisories_updated"}, sys.argv[1]))
except Exception as e:
    print("refused:", e)
PY
	expect_line "$AD/nr.out" 'only root updates the advisory data' "advisories_updated from a non-root user is refused"
	cp "$RAGGED_T/agent.toml.adv" "$RAGGED_T/agent.toml"
	adv_hup || fail "no reload after restoring the config"
}

# The real export: only with the network (and it is large: tens of MB).
t_advisories_network() {
	url="https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
	if ! python3 -c "import urllib.request,sys; urllib.request.urlopen(urllib.request.Request(sys.argv[1], method='HEAD'), timeout=10)" \
		"$url" > /dev/null 2>&1; then
		skip "no network access to the OSV export ($url)"
		return
	fi
	ctl advisories update --dir "$RAGGED_T/adv-net/osv" > "$RAGGED_T/net.out" 2>&1
	expect_rc $? 0 "update from the public OSV PyPI export"
	n=$(ls "$RAGGED_T/adv-net/osv" | wc -l)
	[ "$n" -ge 1000 ] && pass "$n advisories" || fail "only $n advisories"
	rm -rf "$RAGGED_T/adv-net"
}

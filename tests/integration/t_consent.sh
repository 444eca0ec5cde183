# shellcheck shell=sh
# Consent (docs/contract.md §4): a person at a terminal says yes or no; no terminal
# means no; a changed manifest asks again; optional permissions are asked
# for by the running plugin; nobody else can see or change your consent.

pty() { "$RAGGED_BUILD/plugins/ptydrive" "$@"; }

consent_plugin() { # consent_plugin NAME VERSION TOML-LINES...
	n=$1; v=$2; shift 2
	d="$RAGGED_T/plugins/$n"
	mkdir -p "$d"
	cp "$RAGGED_BUILD/plugins/probe" "$RAGGED_BUILD/plugins/asker" "$d/"
	{
		printf '[plugin]\nname = "%s"\nversion = "%s"\ntype = "command"\nentry = ["%s"]\n' "$n" "$v" "${ENTRY:-./probe}"
		for l in "$@"; do printf '%s\n' "$l"; done
	} > "$d/plugin.toml"
	chmod 755 "$d"
	ctl plugin install --replace --accept-risk "$d" > /dev/null || fail "install $n"
}

t_consent_prompt_yes() {
	consent_plugin askyes 1.0.0 '[permissions]' 'required = ["read:documents"]'
	mark_audit
	pty yes "$RAGGED_BUILD/raggedctl" run askyes -- uid - > "$RAGGED_T/p.out" 2>&1
	expect_rc $? 0 "yes at the prompt: the plugin runs"
	expect_line "$RAGGED_T/p.out" "needs these permissions" "the prompt says what is needed"
	expect_line "$RAGGED_T/p.out" "read:documents +medium +[A-Z]" "each permission with its risk and description"
	expect_line "$RAGGED_T/p.out" "^uid 65534" "the plugin ran after the yes"
	new_audit > "$RAGGED_T/p.rec"
	expect_line "$RAGGED_T/p.rec" '"event":"permission_requested".*"plugin":"askyes"' "the request is recorded"
	expect_line "$RAGGED_T/p.rec" '"event":"permission_granted".*"plugin":"askyes".*"via":"prompt"' "the grant is recorded"
	ctl run askyes < /dev/null > /dev/null 2>&1
	expect_rc $? 0 "the answer is remembered: next run needs no terminal"
}

t_consent_prompt_no_eof_intr() {
	for ans in no eof; do
		consent_plugin "ask$ans" 1.0.0 '[permissions]' 'required = ["read:config"]'
		mark_audit
		pty "$ans" "$RAGGED_BUILD/raggedctl" run "ask$ans" -- uid - > "$RAGGED_T/p.out" 2>&1
		expect_rc $? 77 "$ans at the prompt: exit 77"
		no_line "$RAGGED_T/p.out" "^uid " "$ans: the plugin did not run"
		new_audit > "$RAGGED_T/p.rec"
		expect_line "$RAGGED_T/p.rec" "\"event\":\"permission_denied\".*\"plugin\":\"ask$ans\"" "$ans: the denial is recorded"
	done
	consent_plugin askintr 1.0.0 '[permissions]' 'required = ["read:config"]'
	mark_audit
	pty intr "$RAGGED_BUILD/raggedctl" run askintr -- uid - > "$RAGGED_T/p.out" 2>&1
	expect_rc $? 130 "Ctrl-C at the prompt ends raggedctl (SIGINT)"
	no_line "$RAGGED_T/p.out" "^uid " "Ctrl-C: the plugin did not run"
	# The agent sees the hangup on its next pass: wait for its record.
	wait_until 300 audit_has '"event":"permission_denied".*"plugin":"askintr"'
	new_audit > "$RAGGED_T/p.rec"
	expect_line "$RAGGED_T/p.rec" '"event":"permission_denied".*"plugin":"askintr".*"prompt abandoned"' "Ctrl-C: recorded as denied"
	ctl run askintr < /dev/null > /dev/null 2>&1
	expect_rc $? 77 "nothing was granted by the interrupted prompt"
}

t_consent_manifest_change_asks_again() {
	consent_plugin changing 1.0.0 '[permissions]' 'required = ["read:documents"]'
	ctl plugin grant changing > /dev/null || { fail "grant"; return; }
	ctl run changing < /dev/null > /dev/null 2>&1
	expect_rc $? 0 "granted: runs without a terminal"
	consent_plugin changing 1.1.0 '[permissions]' 'required = ["read:documents"]'
	ctl run changing < /dev/null > /dev/null 2>&1
	expect_rc $? 77 "a changed manifest needs consent again"
	ctl --format json plugin permissions changing > "$RAGGED_T/perm.json"
	expect_line "$RAGGED_T/perm.json" '"permission":"read:documents","kind":"required","risk":"medium","status":"not granted"' "permissions shows it as not granted"
	ctl plugin grant changing > /dev/null
	ctl plugin permissions changing > "$RAGGED_T/perm.txt"
	expect_line "$RAGGED_T/perm.txt" "^read:documents +required +medium +granted +20[0-9-]+T" "text output: granted, since when"
}

t_consent_optional_on_demand() {
	port=$(next_port)
	ENTRY=./asker consent_plugin optional 1.0.0 '[permissions]' 'optional = ["network:api"]' \
		'[network]' "endpoints = [\"127.0.0.1:$port\"]"
	unset ENTRY
	"$RAGGED_BUILD/plugins/probe" listen "127.0.0.1:$port" > /dev/null 2>&1 &
	lpid=$!
	wait_until 300 tcp_listening "$port" || fail "test server on port $port did not start"
	mark_audit
	pty yes "$RAGGED_BUILD/raggedctl" run optional -- network:api "127.0.0.1:$port" > "$RAGGED_T/o.out" 2>&1
	expect_rc $? 0 "run with an on-demand request exits 0"
	expect_line "$RAGGED_T/o.out" "asks, while running, for" "the running plugin's request is shown"
	expect_line "$RAGGED_T/o.out" '"granted":true' "the plugin is told it was granted"
	expect_line "$RAGGED_T/o.out" "^connect 127.0.0.1:$port -> ok" "the grant applies to the running plugin"
	new_audit > "$RAGGED_T/o.rec"
	expect_line "$RAGGED_T/o.rec" '"event":"permission_requested".*"plugin":"optional".*"network:api".*"via":"plugin"' "the plugin's request is recorded"
	expect_line "$RAGGED_T/o.rec" '"event":"permission_granted".*"plugin":"optional".*"network:api"' "the on-demand grant is recorded"
	wait "$lpid" 2>/dev/null
	ctl plugin revoke optional --permission network:api > /dev/null
	ctl run optional -- network:api "127.0.0.1:$port" < /dev/null > "$RAGGED_T/o2.out" 2>&1
	expect_line "$RAGGED_T/o2.out" '"granted":false.*no terminal' "no terminal: the request is denied"
	expect_line "$RAGGED_T/o2.out" "^connect 127.0.0.1:$port -> EPERM" "and the connect stays denied"
}

t_consent_other_users() {
	asnobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
	$asnobody "$RAGGED_BUILD/raggedctl" plugin permissions changing > /dev/null 2> "$RAGGED_T/ou.err"
	[ $? -ne 0 ] && pass "another user cannot read your consents" || fail "another user read them"
	$asnobody "$RAGGED_BUILD/raggedctl" plugin grant changing > /dev/null 2>&1
	[ $? -ne 0 ] && pass "another user cannot grant on your plugin" || fail "another user granted"
	$asnobody "$RAGGED_BUILD/raggedctl" plugin revoke changing --permission read:documents > /dev/null 2>&1
	[ $? -ne 0 ] && pass "another user cannot revoke on your plugin" || fail "another user revoked"
	ctl run changing < /dev/null > /dev/null 2>&1
	expect_rc $? 0 "your consent is intact"
	st=$(ls -ld "$RAGGED_T/state/consent" | cut -c1-10)
	[ "$st" = "drwx------" ] && pass "the consent store is private to the agent" || fail "consent store mode $st"
}

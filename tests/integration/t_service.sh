# shellcheck shell=sh
# The agent as a service: one version everywhere, diagnostics the journal
# can read, SIGHUP reloading the config (or refusing, and saying so).

t_version_one_source() {
	v=$(cat "$RAGGED_ROOT/VERSION" 2>/dev/null || cat "$RAGGED_BUILD/../VERSION")
	[ "$("$RAGGED_BUILD/raggedd" --version)" = "raggedd $v" ] && pass "raggedd --version" ||
		fail "raggedd --version: $("$RAGGED_BUILD/raggedd" --version)"
	[ "$(ctl --version)" = "raggedctl $v" ] && pass "raggedctl --version" ||
		fail "raggedctl --version: $(ctl --version)"
	grep '"event":"agent_started"' "$RAGGED_T/log/audit.jsonl" | tail -1 > "$RAGGED_T/started.json"
	expect_line "$RAGGED_T/started.json" "\"agent_version\":\"$v\"" "agent_started names the version"
}

# Under systemd stderr is the journal's stream ($JOURNAL_STREAM = its
# dev:ino): every line then starts with its syslog priority.
t_diagnostics_journal_priority() {
	: > "$RAGGED_T/journal.err"
	js=$(stat -c '%d:%i' "$RAGGED_T/journal.err")
	JOURNAL_STREAM=$js "$RAGGED_BUILD/raggedd" --foreground --config "$RAGGED_T/none.toml" \
		2>> "$RAGGED_T/journal.err"
	expect_rc $? 1 "a missing config stops the agent"
	expect_line "$RAGGED_T/journal.err" '^<3>.*none\.toml' "error line has priority <3> (err)"
	"$RAGGED_BUILD/raggedd" --foreground --config "$RAGGED_T/none.toml" 2> "$RAGGED_T/plain.err"
	expect_line "$RAGGED_T/plain.err" '^raggedd: .*none\.toml' "on a terminal: plain 'raggedd:' lines"
}

# wait_record EVENT PATTERN: until a new record of EVENT matching PATTERN.
wait_record() {
	_i=0
	while [ $_i -lt 300 ]; do
		new_audit | grep "\"event\":\"$1\"" | grep -Eq -- "$2" && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}

t_sighup_reloads_config() {
	cp "$RAGGED_T/agent.toml" "$RAGGED_T/agent.toml.orig"
	mark_audit
	printf '\n# reloaded\n' >> "$RAGGED_T/agent.toml"
	kill -HUP "$AGENT_PID"
	wait_record config_change '"result":"success"' && pass "HUP: config_change recorded" ||
		fail "no config_change record after HUP"
	ctl status > /dev/null && pass "still serving after reload" || fail "agent gone after HUP"

	mark_audit
	sed 's|^socket = .*|socket = "/tmp/elsewhere.sock"|' "$RAGGED_T/agent.toml.orig" > "$RAGGED_T/agent.toml"
	kill -HUP "$AGENT_PID"
	wait_record config_change '"result":"failure".*paths\] changed' &&
		pass "HUP with changed [paths]: refused and recorded" || fail "no refusal record"
	mark_audit
	printf '[limits\n' >> "$RAGGED_T/agent.toml"
	kill -HUP "$AGENT_PID"
	wait_record config_change '"result":"failure".*agent\.toml:[0-9]+' &&
		pass "HUP with a broken config: refused with file and line" || fail "no refusal record"
	expect_line "$RAGGED_T/agent.log" 'reload refused, the running config stays' "said in the agent log"
	ctl status > /dev/null && pass "the old config still serves" || fail "agent gone"

	cp "$RAGGED_T/agent.toml.orig" "$RAGGED_T/agent.toml"
	mark_audit
	kill -HUP "$AGENT_PID"
	wait_record config_change '"result":"success"' && pass "restored" || fail "restore not recorded"
}

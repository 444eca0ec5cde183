# shellcheck shell=sh
# The audit stream, checked after every other test has written to it
# (this file sorts last): every record matches the published schema, the
# chain verifies, tampering is caught, users see only their own records,
# bad filters are one-line errors, follow streams live records.

t_audit_schema_every_record() {
	# Everything written so far, rotated files included; run.sh checks the
	# whole log again (and every private agent's) once the agent has stopped.
	audit_valid "$RAGGED_T/log" "the run's audit log so far"
}

# The check can fail: a member an event does not define, a wrong type and
# a result the event does not have are each refused, naming where.
t_audit_schema_is_exact() {
	if ! /usr/bin/python3 -c "import jsonschema" 2>/dev/null; then
		skip "no Debian python3 with jsonschema here (make deps installs it)"; return
	fi
	rec=$(grep -m1 '"event":"plugin_loaded"' "$RAGGED_T/log/audit.jsonl")
	[ -n "$rec" ] || { fail "no plugin_loaded record to alter"; return; }
	for alter in 's/"details":{/"details":{"extra":1,/' 's/"pid":[0-9]*/"pid":"1"/' \
		     's/"result":"success"/"result":"denied"/'; do
		echo "$rec" | sed "$alter" > "$RAGGED_T/altered.jsonl"
		echo "$rec" | cmp -s "$RAGGED_T/altered.jsonl" - && { fail "$alter changed nothing"; continue; }
		/usr/bin/python3 "$RAGGED_ROOT/tests/integration/audit_check.py" "$RAGGED_ROOT/docs/audit-schema.json" \
			"$RAGGED_T/altered.jsonl" > "$RAGGED_T/altered.out" 2>&1
		expect_rc $? 1 "refused: $alter"
		expect_line "$RAGGED_T/altered.out" 'altered.jsonl:1: invalid record' "names the record's place"
		expect_line "$RAGGED_T/altered.out" '\(schema #/\$defs/event_plugin_loaded/properties/(details|result)/' \
			"and the schema path of the violation"
	done
}

# A log directory is read whole: rotated files (named by their last seq),
# oldest first, then the current file.
t_audit_check_reads_rotated_files() {
	if ! /usr/bin/python3 -c "import jsonschema" 2>/dev/null; then
		skip "no Debian python3 with jsonschema here (make deps installs it)"; return
	fi
	r="$RAGGED_T/rotated"; mkdir -p "$r"
	n=$(wc -l < "$RAGGED_T/log/audit.jsonl")
	head -n 10 "$RAGGED_T/log/audit.jsonl" > "$r/audit.jsonl.00000000000000000010"
	tail -n +11 "$RAGGED_T/log/audit.jsonl" > "$r/audit.jsonl"
	/usr/bin/python3 "$RAGGED_ROOT/tests/integration/audit_check.py" "$RAGGED_ROOT/docs/audit-schema.json" \
		"$r" > "$RAGGED_T/rotated.out" 2>&1
	expect_rc $? 0 "a rotated log validates"
	expect_line "$RAGGED_T/rotated.out" "^checked $n records in 2 files: 0 invalid\$" "every record of both files is checked"
	rm -rf "$r"
}

t_audit_event_coverage() {
	# Each docs/contract.md §6 event produced by a real action somewhere in this suite.
	for e in plugin_installed plugin_loaded permission_requested permission_granted \
		 permission_denied permission_revoked plugin_executed plugin_failed network_access \
		 permission_violation resource_limit_exceeded config_change events_suppressed \
		 agent_started process_started process_exec process_exited; do
		grep -q "\"event\":\"$e\"" "$RAGGED_T/log/audit.jsonl" && pass "$e" || fail "no $e record in the log"
	done
}

t_audit_tamper_detected() {
	ctl audit verify > "$RAGGED_T/v.txt" 2>&1
	expect_rc $? 0 "the live chain verifies"
	log="$RAGGED_T/log/audit.jsonl"
	cp "$log" "$RAGGED_T/edited.jsonl"
	sed -i '5s/"result":"[a-z]*"/"result":"success"/; 5s/"seq":5,/"seq":5, /' "$RAGGED_T/edited.jsonl"
	ctl audit verify --file "$RAGGED_T/edited.jsonl" > "$RAGGED_T/v.txt" 2>&1
	expect_rc $? 1 "an edited record breaks the chain"
	expect_line "$RAGGED_T/v.txt" "BROKEN at .*:5 .*hash mismatch" "reported at the edited line"
	sed '7d' "$log" > "$RAGGED_T/deleted.jsonl"
	ctl audit verify --file "$RAGGED_T/deleted.jsonl" > "$RAGGED_T/v.txt" 2>&1
	expect_rc $? 1 "a deleted record breaks the chain"
	expect_line "$RAGGED_T/v.txt" "BROKEN at .*:7 .*(seq gap|prev_hash)" "reported where the record is missing"
	{ sed -n '1,8p' "$log"; sed -n '10p' "$log"; sed -n '9p' "$log"; sed -n '11,$p' "$log"; } > "$RAGGED_T/reordered.jsonl"
	ctl audit verify --file "$RAGGED_T/reordered.jsonl" > "$RAGGED_T/v.txt" 2>&1
	expect_rc $? 1 "reordered records break the chain"
	expect_line "$RAGGED_T/v.txt" "BROKEN at .*:9 " "reported at the first moved record"
}

t_audit_show_filters_by_user() {
	asnobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
	$asnobody "$RAGGED_BUILD/raggedctl" --format json audit show > "$RAGGED_T/mine.json" 2>&1
	expect_rc $? 0 "a user can show the audit log"
	no_line "$RAGGED_T/mine.json" '"uid":0,' "a user sees none of root's records"
	expect_line "$RAGGED_T/mine.json" '"uid":65534' "a user sees their own records"
	ctl --format json audit show --plugin slice --event permission_violation > "$RAGGED_T/root.json"
	expect_line "$RAGGED_T/root.json" '"event":"permission_violation".*"plugin":"slice"' "root sees everyone's, filters apply"
	no_line "$RAGGED_T/root.json" '"event":"(plugin_loaded|plugin_executed)"' "--event filters"
	ctl audit show --since -1h --result denied > "$RAGGED_T/t.txt"
	expect_line "$RAGGED_T/t.txt" "^TIMESTAMP +SEQ +EVENT" "table output has a header"
	ctl audit show --since yesterday > /dev/null 2> "$RAGGED_T/bad.err"
	expect_rc $? 2 "a bad --since is a usage error"
	n=$(wc -l < "$RAGGED_T/bad.err")
	[ "$n" -eq 1 ] && pass "one line of error" || fail "$n lines of error"
	expect_line "$RAGGED_T/bad.err" "since" "the error names the option"
	ctl audit show --event no_such_event > /dev/null 2>&1
	expect_rc $? 2 "an unknown --event is a usage error"
}

follower_up() { ctl --format json status | grep -q '"followers":[1-9]'; }

t_audit_follow_live() {
	ctl --format json audit follow --plugin followed > "$RAGGED_T/follow.json" 2>&1 &
	fpid=$!
	# Subscribed: the agent counts it as a follower.
	wait_until 300 follower_up || fail "audit follow did not subscribe"
	d=$(make_plugin followed)
	ctl plugin install --accept-risk "$d" > /dev/null
	ctl run followed -- read /etc/shadow > /dev/null 2>&1
	wait_until 300 file_has "$RAGGED_T/follow.json" '"event":"plugin_executed".*"plugin":"followed"'
	kill "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null
	expect_line "$RAGGED_T/follow.json" '"event":"plugin_installed".*"plugin":"followed"' "follow streams new records"
	expect_line "$RAGGED_T/follow.json" '"event":"plugin_executed".*"plugin":"followed"' "including the run's end"
	no_line "$RAGGED_T/follow.json" '"plugin":"slice"' "and only what matches its filter"
}

# A run refused because the manifest no longer loads still names the
# plugin's (installed) version: every run record carries one.
t_audit_refused_run_names_version() {
	d=$(make_plugin unloadable)
	ctl plugin install --accept-risk "$d" > /dev/null || { fail "install"; return; }
	echo 'this is not toml' >> "$d/plugin.toml"
	mark_audit
	ctl run unloadable -- read /etc/hostname > /dev/null 2>&1
	expect_rc $? 125 "a manifest that does not load refuses the run"
	new_audit > "$RAGGED_T/unloadable.jsonl"
	expect_line "$RAGGED_T/unloadable.jsonl" '"event":"plugin_failed","result":"error".*"plugin":"unloadable","version":"1\.0\.0"' \
		"recorded as plugin_failed with the installed version"
	audit_valid "$RAGGED_T/unloadable.jsonl" "the refusal record"
}

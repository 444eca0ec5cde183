# shellcheck shell=sh
# Fail closed across the agent's life (SPEC §7): kill -9 the agent during a
# run and the plugin stays confined; the restarted agent ends the orphaned
# run, drains what the kernel recorded meanwhile, and the audit arithmetic
# and the hash chain still hold.

t_restart_kill9_stays_confined() {
	hog_plugin orphaned
	echo secret > "$RAGGED_T/secret.txt"; chmod 644 "$RAGGED_T/secret.txt"
	mark_audit
	ctl run orphaned -- later "2:$RAGGED_T/secret.txt" > "$RAGGED_T/r.out" 2> "$RAGGED_T/r.err" &
	cpid=$!
	sleep 0.7
	kill -9 "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=""
	wait "$cpid"
	expect_rc $? 125 "raggedctl reports losing the agent"
	sleep 2
	expect_line "$RAGGED_T/r.out" "^later $RAGGED_T/secret.txt -> EACCES$" "with the agent dead, the plugin is still denied"
	[ -n "$(pids_of "hog later")" ] && pass "the plugin outlived its agent (as expected)" ||
		pass "the plugin finished before the check"
	start_agent || { fail "agent restart"; return; }
	[ -z "$(pids_of "hog later")" ] && pass "the restarted agent ended the orphaned run" ||
		fail "orphaned plugin still running"
	left=$(find /sys/fs/cgroup -path "*/$TAG/run-*" -maxdepth 8 2>/dev/null | head -1)
	[ -z "$left" ] && pass "its cgroup is gone" || fail "stale cgroup left: $left"
	new_audit > "$RAGGED_T/r.rec"
	line=$(grep '"event":"plugin_failed".*"plugin":"orphaned".*agent stopped during the run' "$RAGGED_T/r.rec" | tail -1)
	if [ -z "$line" ]; then fail "no closing record for the orphaned run"; return; fi
	pass "the orphaned run has a closing record"
	k=$(echo "$line" | sed -n 's/.*"kernel_audited":\([0-9]*\).*/\1/p')
	l=$(echo "$line" | sed -n 's/.*"records_logged":\([0-9]*\).*/\1/p')
	s=$(echo "$line" | sed -n 's/.*"records_suppressed":\([0-9]*\).*/\1/p')
	x=$(echo "$line" | sed -n 's/.*"records_lost":\([0-9]*\).*/\1/p')
	d=$(echo "$line" | sed -n 's/.*"kernel_denied":\([0-9]*\).*/\1/p')
	if [ -n "$k" ] && [ "$d" -ge 1 ] && [ "$k" -eq $((l + s + x)) ]; then
		pass "arithmetic across the restart: kernel $k = logged $l + suppressed $s + lost $x"
	else
		fail "arithmetic across the restart: kernel $k, denied $d, logged $l, suppressed $s, lost $x"
		rid=$(echo "$line" | sed -n 's/.*"run_id":"\([0-9a-f]*\)".*/\1/p')
		grep "\"run_id\":\"$rid\"" "$RAGGED_T/log/audit.jsonl" | cut -c1-260 | sed 's/^/    | /'
	fi
	expect_line "$RAGGED_T/r.rec" "\"event\":\"permission_violation\".*\"plugin\":\"orphaned\".*\"path\":\"$RAGGED_T/secret.txt\"" "the denial made while the agent was down is in the log"
	ctl audit verify > /dev/null 2>&1
	expect_rc $? 0 "the hash chain verifies across the crash"
}

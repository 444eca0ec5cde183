# shellcheck shell=sh
# Runtime monitoring: the process tree of each run (fork, exec, exit) as
# audit events, unexpected execs flagged, and the audit arithmetic exact.

tree_exits_all() { [ "$(new_audit | grep -c '"event":"process_exited".*"plugin":"tree"')" -ge 5 ]; }
t_monitor_process_tree() {
	hog_plugin tree
	mark_audit
	ctl run tree -- modest - > /dev/null 2>&1
	expect_rc $? 0 "run exits 0"
	# An exit the agent drains after the closing record is still a record:
	# wait (bounded) for the five, then count.
	wait_until 50 tree_exits_all
	new_audit > "$RAGGED_T/t.rec"
	n=$(grep -c '"event":"process_started".*"plugin":"tree"' "$RAGGED_T/t.rec")
	[ "$n" -eq 4 ] && pass "4 forks recorded as process_started" || fail "$n process_started records, want 4"
	n=$(grep -c '"event":"process_exited".*"plugin":"tree"' "$RAGGED_T/t.rec")
	[ "$n" -eq 5 ] && pass "5 exits recorded (4 children + main)" || fail "$n process_exited records, want 5"
	expect_line "$RAGGED_T/t.rec" '"event":"process_exec".*"plugin":"tree".*"path":"[^"]*/tree/hog"' "the entry exec is recorded"
	no_line "$RAGGED_T/t.rec" '"event":"process_exec".*"plugin":"tree".*"unexpected":true' "the entry exec is not flagged"
}

t_monitor_unexpected_exec() {
	d=$(make_plugin shelly)
	ctl plugin install --accept-risk "$d" > /dev/null || { fail "install"; return; }
	mark_audit
	ctl run shelly -- exec /bin/true > /dev/null 2>&1
	new_audit > "$RAGGED_T/u.rec"
	expect_line "$RAGGED_T/u.rec" '"event":"process_exec".*"plugin":"shelly".*"path":"/bin/true".*"unexpected":true' "exec of a system binary is flagged"
	expect_line "$RAGGED_T/u.rec" '"event":"plugin_executed".*"unexpected_execs":1' "the run record counts it"
}

# Every decision and observation the kernel counted is a record, or counted as lost.
t_monitor_audit_arithmetic() {
	d=$(make_plugin sums)
	ctl plugin install --accept-risk "$d" > /dev/null || { fail "install"; return; }
	mark_audit
	ctl run sums -- read /etc/shadow read "$RAGGED_T/secret.txt" connect 127.0.0.1:9 udp 127.0.0.1:53 \
		read /usr/lib/os-release > /dev/null 2>&1
	new_audit > "$RAGGED_T/s.rec"
	line=$(grep '"event":"plugin_executed".*"plugin":"sums"' "$RAGGED_T/s.rec")
	audit_sums "$line"
	if [ -n "$k" ] && [ "$k" -gt 0 ] && [ "$k" -eq $((l + s + x)) ]; then
		pass "kernel counted $k = logged $l + suppressed $s + lost $x"
	else
		fail "arithmetic does not hold: kernel $k, logged $l, suppressed $s, lost $x"
	fi
	# And the records are really in the log, not just counted.
	n=$(grep -c "\"run_id\":\"$(echo "$line" | sed -n 's/.*"run_id":"\([0-9a-f]*\)".*/\1/p')\".*\"result\":\"\(denied\|allowed\|observed\)\"" "$RAGGED_T/s.rec")
	[ "$n" -eq "$l" ] && pass "$l kernel records of the run are in the log" || fail "$n kernel records in the log, agent says $l"
}

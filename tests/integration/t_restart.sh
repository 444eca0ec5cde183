# shellcheck shell=sh
# Fail closed across the agent's life (docs/contract.md §7): kill -9 the agent during a
# run and the plugin stays confined; the restarted agent ends the orphaned
# run, drains what the kernel recorded meanwhile, and the audit arithmetic
# and the hash chain still hold.

t_restart_kill9_stays_confined() {
	hog_plugin orphaned
	echo secret > "$RAGGED_T/secret.txt"; chmod 644 "$RAGGED_T/secret.txt"
	mark_audit
	ctl run orphaned -- later "2:$RAGGED_T/secret.txt" > "$RAGGED_T/r.out" 2> "$RAGGED_T/r.err" &
	cpid=$!
	# Killed once the run is under way (it opens the file 2 s after start).
	wait_until 300 audit_has '"event":"plugin_loaded".*"plugin":"orphaned"' || fail "the run did not start"
	kill -9 "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=""
	wait "$cpid"
	expect_rc $? 125 "raggedctl reports losing the agent"
	# The plugin made its attempt with no agent alive.
	wait_until 300 file_has "$RAGGED_T/r.out" "^later "
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
	audit_sums "$line"
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

# What a dead agent's run counted in its cgroup's own program storage (the
# sockets ragged_sock_run allowed) is read before that cgroup goes: the
# restarted agent's counts hold every one.
t_restart_kill9_counts_run_storage() {
	pd=$(make_plugin sockets)
	ctl plugin install --replace --accept-risk "$pd" > /dev/null || { fail "install sockets"; return; }
	ctl run sockets -- socket 2,2,0 socket 2,2,0 socket 2,1,0 socket 2,1,0 socket 10,2,0 \
		socket 10,2,0 socket 10,1,0 sleep 120 > "$RAGGED_T/r.out" 2>&1 &
	cpid=$!
	wait_until 300 file_has "$RAGGED_T/r.out" "^socket 10,1,0 -> ok" || {
		fail "the run did not make its sockets: $(cat "$RAGGED_T/r.out")"; kill "$cpid"; return; }
	n=$(grep -c ' -> ok$' "$RAGGED_T/r.out")
	[ "$n" -eq 7 ] || { fail "want 7 sockets made, have $n: $(cat "$RAGGED_T/r.out")"; kill "$cpid"; return; }
	kill -9 "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=""
	wait "$cpid"
	start_agent || { fail "agent restart"; return; }
	n=$(sock_decisions allow)
	[ "$n" -eq 7 ] && pass "the dead run's 7 sockets are 7 allowed decisions after the restart" ||
		fail "allowed sock_create decisions after the restart: $n, want 7"
	left=$(find /sys/fs/cgroup -path "*/$TAG/run-*" -maxdepth 8 2>/dev/null | head -1)
	[ -z "$left" ] && pass "the dead run's cgroup is gone once counted" || fail "stale cgroup left: $left"
}

# Kill -9 mid-flood: the chain verifies and the arithmetic still holds.
t_restart_kill9_mid_flood() {
	n=300000
	[ "${RAGGED_IN_VM:-0}" = 1 ] && n=30000
	hog_plugin midflood 'cpu_seconds = 300'
	mark_audit
	ctl run midflood -- flood "$n:$RAGGED_T/secret.txt" > /dev/null 2>&1 &
	cpid=$!
	# Mid-flood: its denials are reaching the log when the agent dies.
	wait_until 300 audit_has '"event":"(permission_violation|events_suppressed)".*"plugin":"midflood"' ||
		fail "the flood did not start"
	kill -9 "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null; AGENT_PID=""
	wait "$cpid"
	start_agent || { fail "agent restart"; return; }
	new_audit > "$RAGGED_T/mf.rec"
	line=$(grep '"event":"plugin_failed".*"plugin":"midflood".*agent stopped during the run' "$RAGGED_T/mf.rec" | tail -1)
	audit_sums "$line"
	if [ -n "$k" ] && [ "$d" -ge 1 ] && [ "$k" -eq $((l + s + x)) ]; then
		pass "mid-flood restart: kernel $k = logged $l + suppressed $s + lost $x ($d denials)"
	else
		fail "mid-flood restart: kernel $k, denied $d, logged $l, suppressed $s, lost $x"
	fi
	ctl audit verify > /dev/null 2>&1
	expect_rc $? 0 "the hash chain verifies after a kill mid-flood"
}

# kill -9, and then the run is ended and its cgroups removed before the agent
# is back (what systemd does to a unit whose main process died): the
# restarted agent finds the run by its scratch dir and still closes it.
t_restart_kill9_cgroup_gone() {
	hog_plugin gonecg
	mark_audit
	ctl run gonecg -- later "600:$RAGGED_T/secret.txt" > /dev/null 2>&1 &
	cpid=$!
	wait_until 300 audit_has '"event":"plugin_loaded".*"plugin":"gonecg"' || fail "the run did not start"
	kill -9 "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null; AGENT_PID=""
	wait "$cpid"
	cgs=$(find /sys/fs/cgroup -maxdepth 8 -type d -path "*/$TAG/run-*" 2>/dev/null)
	[ -n "$cgs" ] || { fail "no run cgroup to remove"; return; }
	for cg in $cgs; do
		for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
	for cg in $cgs; do
		wait_until 100 sh -c "[ ! -s '$cg/cgroup.procs' ]" && rmdir "$cg" 2>/dev/null
	done
	left=$(find /sys/fs/cgroup -maxdepth 8 -type d -path "*/$TAG/run-*" 2>/dev/null | head -1)
	[ -z "$left" ] || { fail "could not remove the run cgroup $left"; return; }
	start_agent || { fail "agent restart"; return; }
	new_audit > "$RAGGED_T/gc.rec"
	expect_line "$RAGGED_T/gc.rec" '"event":"plugin_failed".*"plugin":"gonecg".*agent stopped during the run.*cgroup was gone.*"counters":"unavailable"' \
		"a run whose cgroup was gone before the restart is closed, its counts marked unavailable"
	[ -z "$(ls "$RAGGED_T/state/runs" 2>/dev/null)" ] && pass "its scratch dir is gone" ||
		fail "scratch left: $(ls "$RAGGED_T/state/runs")"
	ctl audit verify > /dev/null 2>&1
	expect_rc $? 0 "the hash chain verifies"
}

# SIGKILL while consent is being written, in a loop: the store is always
# the old state or the new one, never torn, never unreadable.
t_restart_consent_store_crash_safe() {
	d=$(make_plugin crashy '[permissions]' 'optional = ["read:documents", "read:config"]')
	ctl plugin install --accept-risk "$d" > /dev/null || { fail "install"; return; }
	store="$RAGGED_T/state/consent/0/crashy.json"
	bad=0
	round=0	# not "i": start_agent uses that one
	rounds=15; [ "${RAGGED_IN_VM:-0}" = 1 ] && rounds=5
	while [ $round -lt $rounds ]; do
		( j=0; while [ $j -lt 40 ]; do
			ctl plugin grant crashy --permission read:documents > /dev/null 2>&1
			ctl plugin revoke crashy --permission read:documents > /dev/null 2>&1
			j=$((j + 1)); done ) &
		gpid=$!
		sleep 0.$((round % 5 + 1))
		kill -9 "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null; AGENT_PID=""
		kill "$gpid" 2>/dev/null; wait "$gpid" 2>/dev/null
		if [ -e "$store" ]; then
			if ! grep -q '"digest"' "$store" || ! grep -q '"granted"' "$store"; then bad=$((bad + 1)); fi
			/usr/bin/env python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$store" 2>/dev/null ||
				[ "${RAGGED_IN_VM:-0}" = 1 ] || bad=$((bad + 1))
		fi
		ls "$(dirname "$store")" | grep -q '\.tmp\.' && rm -f "$(dirname "$store")"/*.tmp.*
		start_agent || { fail "agent restart $round"; return; }
		round=$((round + 1))
	done
	[ "$bad" -eq 0 ] && pass "$rounds kills during consent writes: the store was always whole" ||
		fail "$bad torn or unreadable consent stores"
	ctl plugin permissions crashy > /dev/null 2>&1
	expect_rc $? 0 "the store is readable after the crashes"
}

# shellcheck shell=sh
# Resource limits (docs/contract.md §8, issue "Resource limits"): each hostile workload
# is stopped at its limit, the run exits 137 with a one-line reason, and a
# resource_limit_exceeded record names the limit, the usage and the bound.


# limit_case NAME OP ARG LIMIT: run, expect 137 + reason + record for LIMIT.
limit_case() {
	mark_audit
	ctl run "$1" -- "$2" "$3" > "$RAGGED_T/l.out" 2> "$RAGGED_T/l.err"
	expect_rc $? 137 "$2 is killed: exit 137"
	expect_line "$RAGGED_T/l.err" "$5" "one-line reason names the $4 limit"
	new_audit > "$RAGGED_T/l.rec"
	expect_line "$RAGGED_T/l.rec" "\"event\":\"resource_limit_exceeded\".*\"plugin\":\"$1\".*\"limit\":\"$4\",\"usage\":[0-9]+,\"bound\":[0-9]+" "record names limit, usage and bound"
	expect_line "$RAGGED_T/l.rec" "\"event\":\"plugin_failed\".*\"plugin\":\"$1\".*\"limit_exceeded\":\"$4\"" "run recorded as failed by the $4 limit"
}

t_limit_fork_bomb() {
	hog_plugin bomb 'pids = 16'
	# Another run started during the bomb completes normally.
	mark_audit
	ctl run bomb -- forkbomb - > "$RAGGED_T/bomb.out" 2> "$RAGGED_T/bomb.err" &
	bpid=$!
	# The bomb is running before the other run starts.
	wait_until 300 audit_has '"event":"plugin_loaded".*"plugin":"bomb"'
	hog_plugin calm
	ctl run calm -- modest - > "$RAGGED_T/calm.out" 2>&1
	expect_rc $? 0 "a run during the fork bomb completes normally"
	wait "$bpid"
	expect_rc $? 137 "fork bomb is killed: exit 137"
	expect_line "$RAGGED_T/bomb.err" "process limit of 16" "reason names the pids limit"
	limit_case bomb forkbomb - pids "process limit of 16"
}

t_limit_memory_bomb() {
	hog_plugin membomb 'memory_mb = 64'
	limit_case membomb mem 1024 memory "memory limit of 64 MB"
}

t_limit_cpu_spinner() {
	hog_plugin spinner 'cpu_seconds = 1'
	limit_case spinner spin - cpu "CPU time limit of 1 s"
}

t_limit_thread_bomb() {
	hog_plugin threads 'pids = 16'
	limit_case threads threads - pids "process limit of 16"
}

t_limit_scratch_filler() {
	hog_plugin filler
	limit_case filler fill - scratch "scratch space limit of 16 MB"
	# The tmpfs's size is the cap: it never holds more (usage = bound). The
	# agent's tick may see it full and kill the run before the filler's last
	# write returns and prints; if it printed, the error was ENOSPC.
	u=$(sed -n 's/.*"event":"resource_limit_exceeded".*"usage":\([0-9]*\),"bound":\([0-9]*\).*/\1 \2/p' "$RAGGED_T/l.rec" | head -1)
	[ -n "$u" ] && [ "${u% *}" -le "${u#* }" ] && pass "the scratch never held more than its cap (usage/bound $u)" ||
		fail "scratch usage above its cap, or no usage: '$u'"
	if grep -q "^fill:" "$RAGGED_T/l.out"; then
		expect_line "$RAGGED_T/l.out" "^fill: write: ENOSPC$" "the filler's write fails with ENOSPC at the cap"
	else echo "# the filler was killed before it printed (the agent saw the scratch full first)"; fi
}

t_limit_wall_clock() {
	hog_plugin sleeper 'wall_seconds = 1'
	limit_case sleeper sleep 30 wall "wall-clock limit of 1 s"
}

t_limit_modest_never_killed() {
	hog_plugin modest 'memory_mb = 64' 'pids = 16' 'cpu_seconds = 2' 'wall_seconds = 20'
	mark_audit
	ctl run modest -- modest - > "$RAGGED_T/m.out" 2>&1
	expect_rc $? 0 "a plugin under its limits is never killed"
	new_audit > "$RAGGED_T/m.rec"
	no_line "$RAGGED_T/m.rec" '"event":"resource_limit_exceeded"' "no limit record for it"
	expect_line "$RAGGED_T/m.rec" '"event":"plugin_executed".*"cpu_ms":[0-9]+,"peak_memory_bytes":[1-9][0-9]*,"peak_pids":[1-9]' "usage (CPU, peak memory, peak pids) in the record"
}

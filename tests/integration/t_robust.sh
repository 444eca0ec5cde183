# shellcheck shell=sh
# Agent robustness: no client and no plugin can crash, stall or slow the
# agent. A stateful fuzzer (tests/fuzz/agentfuzz.py) drives random request
# sequences on many connections as root and as nobody, disconnecting at any
# point; each class of failure it found has a named scenario here.
# (make fuzz runs the fuzzer longer: RAGGED_FUZZ_SECONDS.)

asnobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
afuzz() { /usr/bin/env python3 "$RAGGED_ROOT/tests/fuzz/agentfuzz.py" --socket "$RAGGED_SOCKET" \
	--pid "$AGENT_PID" --secret "$RAGGED_T/secret.txt" "$@"; }

# The fuzzer and the scenarios are python3 (standard library only); a
# vmtest guest built on a host without it has none: there they cannot run.
robust_py() {
	if /usr/bin/env python3 -c 'import socket; socket.send_fds' 2>/dev/null; then return 0; fi
	skip "no python3 (>= 3.9) on this machine: the agent fuzzer needs it"
	return 1
}

# robust_plugins: fzhog (hog: floods, sleeps) and fzask (asker: a required
# permission, so a run with a terminal gets a prompt), for root and nobody.
robust_plugins() {
	[ -n "${ROBUST_READY:-}" ] && return 0
	for p in fzhog:hog fzask:asker; do
		n=${p%%:*}; b=${p#*:}
		d="$RAGGED_T/plugins/$n"
		rm -rf "$d"; mkdir -p "$d"
		cp "$RAGGED_BUILD/plugins/$b" "$d/$b"
		{
			printf '[plugin]\nname = "%s"\nversion = "1.0.0"\ntype = "command"\nentry = ["./%s"]\n' "$n" "$b"
			printf '[permissions]\n'
			[ "$n" = fzask ] && printf 'required = ["read:documents"]\n'
			printf 'optional = ["network:api"]\n[network]\nendpoints = ["192.0.2.1:443"]\n[limits]\ncpu_seconds = 300\n'
		} > "$d/plugin.toml"
		chmod -R a+rX "$d"
		ctl plugin install --replace "$d" > /dev/null || { fail "install $n"; return 1; }
		$asnobody "$RAGGED_BUILD/raggedctl" plugin install --replace "$d" > /dev/null ||
			{ fail "install $n as nobody"; return 1; }
	done
	ROBUST_READY=1
}

t_robust_fuzz() {
	robust_py || return
	robust_plugins || return
	mark_audit
	# A long run (make fuzz) reports its counts every minute into the file.
	afuzz --seconds "${RAGGED_FUZZ_SECONDS:-20}" ${RAGGED_FUZZ_SEED:+--seed "$RAGGED_FUZZ_SEED"} \
		--report "${RAGGED_FUZZ_REPORT:-0}" > "$RAGGED_T/fz.out" 2>&1
	rc=$?
	grep '^agentfuzz: driven:' "$RAGGED_T/fz.out" | sed 's/^/# /'
	if [ $rc -eq 0 ]; then pass "$(tail -1 "$RAGGED_T/fz.out")"; else
		fail "agent fuzzer (exit $rc):"; sed 's/^/    | /' "$RAGGED_T/fz.out" | tail -60; fi
	ctl audit verify > /dev/null 2>&1
	expect_rc $? 0 "the hash chain verifies after the fuzzer"
	# Nothing the fuzzer started is still running once the agent settles.
	n=0
	while [ -n "$(ctl --format json status | sed -n 's/.*"active_runs":\([1-9][0-9]*\).*/\1/p')" ] && [ $n -lt 300 ]; do
		sleep 0.1; n=$((n + 1))
	done
	[ $n -lt 300 ] && pass "every fuzzer run ended with its client" ||
		fail "runs still active 30 s after the fuzzer: $(ctl status | grep active_runs)"
}

# The crash the review found: a run and an audit follow on one connection,
# never read. Dropping the follower ended its run from inside the send to
# the follower; ending the run emitted records that were sent to the same
# follower again (re-entry, use after free).
fzhog_run_ended() { new_audit | grep -q '"event":"plugin_failed".*"plugin":"fzhog"'; }

t_robust_follow_own_run_unread() {
	robust_py || return
	robust_plugins || return
	mark_audit
	afuzz --scenario follow-own-run --plugins fzhog,fzask --count 400000 --seconds 60 > "$RAGGED_T/r.out" 2>&1
	expect_rc $? 0 "a follower of its own run that never reads is dropped; the agent serves on: $(cat "$RAGGED_T/r.out")"
	# The run ends after the drop: its processes die, then it is recorded.
	wait_until 100 fzhog_run_ended || true
	new_audit > "$RAGGED_T/r.rec"
	expect_line "$RAGGED_T/r.rec" '"event":"client_dropped".*"uid":0.*"reason":"not reading its replies: output queue full".*"run_id":"[0-9a-f]' \
		"the drop is recorded with its reason and its run"
	expect_line "$RAGGED_T/r.rec" '"event":"plugin_failed".*"plugin":"fzhog".*"signal":9' "its run was ended and recorded"
	# The plugin holds after its flood: only the drop can have ended it,
	# and the drop's record comes first.
	drop=$(sed -n 's/.*"seq":\([0-9]*\),"event":"client_dropped".*/\1/p' "$RAGGED_T/r.rec" | head -1)
	end=$(sed -n 's/.*"seq":\([0-9]*\),"event":"plugin_\(failed\|executed\)".*"plugin":"fzhog".*/\1/p' "$RAGGED_T/r.rec" | head -1)
	if [ -n "$drop" ] && [ -n "$end" ] && [ "$end" -gt "$drop" ]; then
		pass "the run ended by the drop (record $end after the drop's $drop)"
	else fail "the run's end (record ${end:-none}) does not follow the drop (record ${drop:-none})"; fi
}

t_robust_request_flood_unread() {
	robust_py || return
	mark_audit
	afuzz --scenario flood-unread --count 20000 --seconds 60 > "$RAGGED_T/r.out" 2>&1
	expect_rc $? 0 "requests without reading the replies: dropped, not waited for: $(cat "$RAGGED_T/r.out")"
	new_audit > "$RAGGED_T/r.rec"
	expect_line "$RAGGED_T/r.rec" '"event":"client_dropped".*"queued_bytes":[0-9]' "recorded as client_dropped"
}

t_robust_gone_mid_prompt() {
	robust_py || return
	robust_plugins || return
	ctl plugin revoke fzask --permission read:documents > /dev/null 2>&1
	mark_audit
	afuzz --scenario prompt-gone --plugins fzask > "$RAGGED_T/r.out" 2>&1
	expect_rc $? 0 "a client that leaves at the first-run prompt: $(cat "$RAGGED_T/r.out")"
	n=0
	until new_audit | grep -q '"event":"permission_denied".*"plugin":"fzask".*"prompt abandoned"' || [ $n -ge 100 ]; do
		sleep 0.1; n=$((n + 1))
	done
	new_audit > "$RAGGED_T/r.rec"
	expect_line "$RAGGED_T/r.rec" '"event":"permission_denied".*"plugin":"fzask".*"prompt abandoned"' "recorded as abandoned"
}

t_robust_gone_mid_run() {
	robust_py || return
	robust_plugins || return
	mark_audit
	afuzz --scenario run-gone --plugins fzhog --count 400000 > "$RAGGED_T/r.out" 2>&1
	expect_rc $? 0 "a client that resets mid-run with replies unread: $(cat "$RAGGED_T/r.out")"
	n=0
	until new_audit | grep -q '"event":"plugin_failed".*"plugin":"fzhog"' || [ $n -ge 300 ]; do
		sleep 0.1; n=$((n + 1))
	done
	new_audit > "$RAGGED_T/r.rec"
	line=$(grep '"event":"plugin_failed".*"plugin":"fzhog"' "$RAGGED_T/r.rec" | tail -1)
	audit_sums "$line"
	if [ -n "$k" ] && [ "$k" -eq $((l + s + x)) ]; then
		pass "the run ended with its client; kernel $k = logged $l + suppressed $s + lost $x"
	else fail "run of the vanished client: kernel $k, logged $l, suppressed $s, lost $x"; fi
}

t_robust_connections_per_user() {
	robust_py || return
	afuzz --scenario conn-bound --count 40 > "$RAGGED_T/r.out" 2>&1
	expect_rc $? 0 "root is served while a user holds every connection it may"
	expect_line "$RAGGED_T/r.out" "^conn-bound: 32 held, 8 refused \(too many connections from this user\)" \
		"one user: at most 32 connections, the rest refused and told why"
}

# A plugin flooding its consent channel: answered (or rate-limited in the
# log with exact counts), the agent stays responsive, the log cannot be
# flooded: the arithmetic consent_requests = records + suppressed holds.
t_robust_consent_flood() {
	robust_plugins || return
	ctl plugin grant fzask > /dev/null 2>&1
	mark_audit
	n=20000; bound=5
	# TCG emulation is ~20x slower than the machine: keep the VM run bounded.
	[ "${RAGGED_IN_VM:-0}" = 1 ] && n=4000 && bound=30
	ctl run fzask -- flood $n network:download > "$RAGGED_T/cf.out" 2>&1 &
	cpid=$!
	# Responsive during the flood: status answers while the plugin floods.
	slow=0; i=0
	while kill -0 $cpid 2>/dev/null && [ $i -lt 20 ]; do
		timeout "$bound" "$RAGGED_BUILD/raggedctl" status > /dev/null 2>&1 || slow=$((slow + 1))
		i=$((i + 1))
	done
	wait $cpid
	expect_rc $? 0 "the flooding plugin ran to its end"
	expect_line "$RAGGED_T/cf.out" "^flood sent $n answered $n" "every request answered"
	[ $slow -eq 0 ] && pass "status answered within $bound s during the flood ($i checks)" ||
		fail "$slow of $i status checks took over $bound s during a consent flood"
	new_audit > "$RAGGED_T/cf.rec"
	line=$(grep '"event":"plugin_executed".*"plugin":"fzask"' "$RAGGED_T/cf.rec" | tail -1)
	req=$(echo "$line" | sed -n 's/.*"consent_requests":\([0-9]*\).*/\1/p')
	sup=$(echo "$line" | sed -n 's/.*"agent_records_suppressed":\([0-9]*\).*/\1/p')
	[ "$req" = "$n" ] && pass "the run counted $n consent requests" || fail "consent_requests $req, want $n"
	# Each request is one permission_requested and one permission_denied
	# (not declared): written, or counted in an events_suppressed record.
	for ev in permission_requested permission_denied; do
		logged=$(grep -c "\"event\":\"$ev\".*\"plugin\":\"fzask\"" "$RAGGED_T/cf.rec")
		folded=0
		for c in $(grep '"event":"events_suppressed".*"plugin":"fzask"' "$RAGGED_T/cf.rec" |
			grep "\"suppressed_event\":\"$ev\"" | sed -n 's/.*"count":\([0-9]*\).*/\1/p'); do
			folded=$((folded + c))
		done
		[ $((logged + folded)) -eq "$n" ] && pass "$ev: $logged logged + $folded suppressed = $n" ||
			fail "$ev: $logged logged + $folded suppressed != $n"
		total_folded=$(( ${total_folded:-0} + folded ))
	done
	[ "$sup" = "$total_folded" ] && pass "agent_records_suppressed $sup matches the events_suppressed counts" ||
		fail "agent_records_suppressed $sup, events_suppressed records sum $total_folded"
	unset total_folded
	# The log sees a rate, not the flood: per one-second window at most 20
	# records of the run's requests (AGENT_REC_RUN_BUDGET) and an
	# events_suppressed per event suppressed (2 here; 5 allowed), plus the
	# run's own few records. A slow machine (TCG) spreads the flood over
	# more windows, so the bound follows the run's duration.
	logged=$(grep -c '"plugin":"fzask"' "$RAGGED_T/cf.rec")
	ms=$(echo "$line" | sed -n 's/.*"duration_ms":\([0-9]*\).*/\1/p')
	max=$(( (${ms:-0} / 1000 + 2) * 25 + 20 ))
	[ "$logged" -le "$max" ] && [ "$logged" -lt "$n" ] &&
		pass "$n requests in ${ms} ms made $logged records (at most $max at the rate bound), not $((2 * n))" ||
		fail "$logged records for $n requests in ${ms} ms (rate bound $max): the flood reached the log"
}

# A plugin that asks and never reads the answers: the channel is closed
# (recorded, with the reason) instead of the agent blocking on it.
t_robust_consent_unread() {
	robust_plugins || return
	ctl plugin grant fzask > /dev/null 2>&1
	mark_audit
	timeout 120 "$RAGGED_BUILD/raggedctl" run fzask -- flood-noread 100000 network:download > "$RAGGED_T/cu.out" 2>&1
	expect_rc $? 0 "the plugin ran to its end"
	expect_line "$RAGGED_T/cu.out" "^noread sent [0-9]+ of 100000: E(PIPE|CONNRESET)" "its channel was closed under it"
	new_audit > "$RAGGED_T/cu.rec"
	expect_line "$RAGGED_T/cu.rec" '"event":"consent_channel_closed".*"plugin":"fzask".*"reason":"the plugin does not read its consent replies"' \
		"the closing is recorded with the reason"
	ctl status > /dev/null
	expect_rc $? 0 "the agent answers"
}

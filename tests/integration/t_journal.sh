# shellcheck shell=sh
# [audit] journal = true: each record also goes to the journal as fields.
# No systemd needed: a second agent runs in a private mount namespace whose
# /run is a tmpfs, where a Python stand-in binds journald's native socket
# (/run/systemd/journal/socket) and writes what it receives as JSON.

# j_wait COND...: until the command succeeds (30 s).
j_wait() {
	_j=0
	until "$@"; do
		[ $_j -ge 300 ] && return 1
		sleep 0.1; _j=$((_j + 1))
	done
}

j_ctl() { RAGGED_SOCKET="$JT/agent.sock" "$RAGGED_BUILD/raggedctl" "$@"; }

j_config() { # j_config true|false
	cat > "$JT/agent.toml" <<EOC
[paths]
socket = "$JT/agent.sock"
state_dir = "$JT/state"
audit_log = "$JT/log/audit.jsonl"
bpffs = "/sys/fs/bpf/$TAG-j"
cgroup = "$TAG-j"

[agent]
root_run_as = "nobody"
${RAGGED_ENFORCEMENT:+enforcement = \"$RAGGED_ENFORCEMENT\"}

[resources]
documents = ["$RAGGED_T/docs"]

[audit]
journal = $1
EOC
}

t_journal_fields() {
	if ! command -v unshare > /dev/null || ! command -v python3 > /dev/null; then
		skip "needs unshare(1) and python3 for the journal stand-in"
		return
	fi
	if ! unshare -m --propagation private true 2> /dev/null; then
		skip "no private mount namespace here (unshare -m refused)"
		return
	fi
	JT="$RAGGED_T/journal"
	rm -rf "$JT"; mkdir -p "$JT"; chmod 755 "$JT"
	j_config true
	: > "$JT/entries.jsonl"
	# The listener's pid is written where the test can stop it: it outlives the agent.
	unshare -m --propagation private sh -c '
		mount -t tmpfs -o mode=755 ragged-journal-test /run || exit 1
		mkdir -p /run/systemd/journal
		python3 "$1/tests/integration/journal_listen.py" listen /run/systemd/journal/socket \
			"$2/entries.jsonl" & echo $! > "$2/listener.pid"
		i=0; until [ -S /run/systemd/journal/socket ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i+1)); done
		exec "$3/raggedd" --config "$2/agent.toml" --foreground' \
		sh "$RAGGED_ROOT" "$JT" "$RAGGED_BUILD" >> "$JT/agent.log" 2>&1 &
	jpid=$!
	if ! j_wait j_ctl status > /dev/null 2>&1; then
		fail "the agent with journal = true did not start: $(tail -3 "$JT/agent.log")"
		j_stop "$jpid"
		return
	fi
	d=$(make_plugin jrnl)
	j_ctl plugin install --accept-risk "$d" > /dev/null || fail "install"
	j_ctl run jrnl --yes -- read "$RAGGED_T/secret.txt" > "$JT/run.out" 2>&1
	j_wait grep -q '"event":"plugin_executed".*"plugin":"jrnl"' "$JT/log/audit.jsonl"
	seq=$(grep '"event":"permission_violation".*"plugin":"jrnl"' "$JT/log/audit.jsonl" | head -1 |
		sed -n 's/.*"seq":\([0-9]*\).*/\1/p')
	if [ -z "$seq" ]; then
		fail "no permission_violation record for the denied read"
	else
		j_wait grep -q "\"RAGGED_SEQ\": \"$seq\"" "$JT/entries.jsonl"
		if out=$(python3 "$RAGGED_ROOT/tests/integration/journal_listen.py" check \
			"$JT/entries.jsonl" "$JT/log/audit.jsonl" "$seq" 2>&1); then
			pass "the denial's journal entry matches its JSON record ($out)"
		else
			fail "journal entry of seq $seq: $out"
		fi
	fi
	# Every record, not just denials: one entry per seq of the log.
	j_same_count() {
		nlog=$(grep -c '"seq"' "$JT/log/audit.jsonl")
		njr=$(grep -c '"RAGGED_SEQ"' "$JT/entries.jsonl")
		[ "$njr" -eq "$nlog" ]
	}
	j_wait j_same_count
	[ "$njr" -eq "$nlog" ] && pass "one journal entry per record ($nlog)" ||
		fail "$njr journal entries for $nlog records"

	# Reload turns it off: later records stay out of the journal.
	j_config false
	kill -HUP "$jpid" 2> /dev/null
	j_wait grep -q '"event":"config_change","result":"success"' "$JT/log/audit.jsonl"
	j_ctl run jrnl --yes -- read "$RAGGED_T/secret.txt" > /dev/null 2>&1
	last=$(tail -1 "$JT/log/audit.jsonl" | sed -n 's/.*"seq":\([0-9]*\).*/\1/p')
	grep -q "\"RAGGED_SEQ\": \"$last\"" "$JT/entries.jsonl" &&
		fail "journal = false after SIGHUP, yet seq $last was sent" ||
		pass "SIGHUP with journal = false: no more entries"

	# A journal that is gone: records are still logged, the failures counted.
	j_config true
	kill -HUP "$jpid" 2> /dev/null
	j_wait sh -c "[ \$(grep -c '\"event\":\"config_change\",\"result\":\"success\"' '$JT/log/audit.jsonl') -ge 2 ]"
	kill "$(cat "$JT/listener.pid")" 2> /dev/null
	j_wait sh -c "! kill -0 $(cat "$JT/listener.pid") 2> /dev/null"
	j_ctl run jrnl --yes -- read "$RAGGED_T/secret.txt" > /dev/null 2>&1
	errs=$(j_ctl --format json status | sed -n 's/.*"journal_send_errors":\([0-9]*\).*/\1/p' | head -1)
	[ "${errs:-0}" -gt 0 ] && pass "sends to a dead journal are counted ($errs), the run still works" ||
		fail "journal_send_errors is '${errs}' with no journal listening"
	grep -q "\"RAGGED_SEQ\"" "$JT/entries.jsonl" && j_ctl audit verify > /dev/null 2>&1 &&
		pass "the chain verifies" || fail "audit verify after journal failures"
	j_stop "$jpid"
	grep -Eq "ERROR: (Address|Leak)Sanitizer|runtime error:" "$JT/agent.log" &&
		fail "sanitizer report from the second agent: $(grep -m1 -E 'Sanitizer|runtime error' "$JT/agent.log")" ||
		pass "no sanitizer report from the second agent"
	[ -e "/sys/fs/bpf/$TAG-j" ] || [ -n "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$TAG-j" 2> /dev/null)" ] &&
		fail "the second agent left pins or cgroups behind" || pass "the second agent left nothing behind"
}

j_stop() {
	kill -TERM "$1" 2> /dev/null
	wait "$1" 2> /dev/null
	[ -f "$JT/listener.pid" ] && kill "$(cat "$JT/listener.pid")" 2> /dev/null
	rm -f "$JT/listener.pid"
}

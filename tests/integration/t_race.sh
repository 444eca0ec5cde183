# shellcheck shell=sh
# Decisions under preemption: two tasks of one run pinned to one CPU, one
# making an operation its grants allow, the other the same operation on
# something they do not, for RACE_MS each (tests/plugins/racer.c). The
# hooks can be preempted (migration stays disabled), so decision state
# shared per CPU would let one task's object decide the other's operation.
# Every refused attempt must be refused, every allowed one allowed, and the
# run's closing record must count every refusal the hooks made (their
# counters are per CPU too, and added atomically).

RACE_MS=${RACE_MS:-3000}
RACE_READY=""
race_setup() {
	[ -n "$RACE_READY" ] && return 0
	d=$(make_plugin racer '[permissions]' 'required = ["read:documents"]')
	cp "$RAGGED_BUILD/plugins/racer" "$d/racer"
	sed -i 's|^entry = .*|entry = ["./racer"]|' "$d/plugin.toml"
	ctl plugin install --accept-risk "$d" > /dev/null || { fail "install the racer plugin"; return 1; }
	RACE_MODE=$(mode)
	mkdir -p "$RAGGED_T/docs" "$RAGGED_T/race-out"
	echo "granted" > "$RAGGED_T/docs/race.txt"; chmod 644 "$RAGGED_T/docs/race.txt"
	# The plugin's user may create entries here: only the sandbox says no.
	chown 65534:65534 "$RAGGED_T/race-out"; chmod 755 "$RAGGED_T/race-out"
	RACE_READY=1
}

# race_case KIND GOOD BAD COUNT: run racer; COUNT=1 also checks that the
# closing record counts each refusal (the hooks made them all).
race_case() {
	race_setup || return
	mark_audit
	ctl run racer --yes -- "$1" "$2" "$3" "$RACE_MS" > "$RAGGED_T/race.out" 2>&1
	new_audit > "$RAGGED_T/race.rec"
	sed 's/^/    # /' "$RAGGED_T/race.out" | grep -v -- '->'
	expect_line "$RAGGED_T/race.out" "^racer $1 -> ok\$" \
		"$1: every granted attempt allowed, no refused one passed, on one CPU"
	grep -q "^racer $1 -> ok\$" "$RAGGED_T/race.out" ||
		grep '"event":"permission_violation"' "$RAGGED_T/race.rec" | head -3 | sed 's/^/    | /'
	n=$(sed -n "s/^racer $1 good [0-9]* of [0-9]* allowed, bad [0-9]* of \([0-9]*\) passed.*/\1/p" \
		"$RAGGED_T/race.out")
	g=$(sed -n "s/^racer $1 good [0-9]* of \([0-9]*\) allowed.*/\1/p" "$RAGGED_T/race.out")
	if [ "${n:-0}" -ge 100 ] && [ "${g:-0}" -ge 100 ]; then
		pass "$1: both sides raced ($g and $n attempts)"
	else
		fail "$1: too few attempts to race (granted ${g:-?}, refused ${n:-?})"
	fi
	[ "$4" = 1 ] || return 0
	line=$(grep '"event":"plugin_executed".*"plugin":"racer"' "$RAGGED_T/race.rec" | tail -1)
	audit_sums "$line"
	if [ -n "$d" ] && [ "$d" -eq "${n:-0}" ]; then
		pass "$1: the closing record counts all $d refusals"
	else
		fail "$1: the closing record counts ${d:-no} refusals, the plugin had ${n:-?}"
		echo "$line" | sed 's/^/    | /'
	fi
}

# File opens: bpf-lsm decides them in file_open (the path on the stack);
# landlock mode in Landlock.
t_race_file_open() {
	race_setup || return
	race_case read "$RAGGED_T/docs/race.txt" "$RAGGED_T/secret.txt" \
		"$([ "$RACE_MODE" = bpf-lsm ] && echo 1 || echo 0)"
}

# Directory changes: bpf-lsm's path hooks build the path in a buffer of the
# task's own (path_mkdir here; unlink, rename, chmod... share it).
t_race_path_hook() {
	race_setup || return
	race_case mkdir "@S/raced" "$RAGGED_T/race-out/raced" \
		"$([ "$RACE_MODE" = bpf-lsm ] && echo 1 || echo 0)"
}

# UNIX datagram names: landlock mode's cgroup sendmsg_unix hook decides on
# the name (bpf-lsm mode decides on the peer socket, which a name that
# leads nowhere never reaches).
t_race_unix_name() {
	race_setup || return
	if [ "$RACE_MODE" != landlock ]; then
		skip "bpf-lsm decides UNIX sockets on the peer, not the name"; return
	fi
	if ctl --format json status | grep -q '"unix_sockets":"refused'; then
		skip "this kernel has no cgroup sendmsg_unix hook (6.7+): UNIX sockets are refused"
		return
	fi
	race_case unixdgram "@S/race.sock" "$RAGGED_T/race-out/none.sock" 1
}

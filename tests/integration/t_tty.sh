# shellcheck shell=sh
# The plugin never holds the caller's terminal: under a terminal it gets a
# pseudo-terminal raggedctl relays, so what it does to its terminal (modes,
# line discipline, exclusive mode, stopped output) ends with the run; and a
# consent question is asked with the run frozen, from a known terminal
# state, on a line that names plugin, permission and risk.

tty_drive() { "$RAGGED_BUILD/plugins/ptydrive" "$@"; }

tty_plugin() { # tty_plugin NAME TOML-LINES...
	_tn=$1; shift
	_td="$RAGGED_T/plugins/$_tn"
	rm -rf "$_td"; mkdir -p "$_td"
	cp "$RAGGED_BUILD/plugins/ttyprobe" "$_td/"
	{
		printf '[plugin]\nname = "%s"\nversion = "1.0.0"\ntype = "command"\nentry = ["./ttyprobe"]\n' "$_tn"
		for l in "$@"; do printf '%s\n' "$l"; done
	} > "$_td/plugin.toml"
	chmod 755 "$_td"
	ctl plugin install --replace --accept-risk "$_td" > /dev/null || fail "install $_tn"
}

# tty_rdev FILE WHO: the device number WHO ("ptydrive tty" or "fd N tty") printed in FILE.
tty_rdev() { tr -d '\r' < "$1" | sed -n "s/^$2 rdev=\([0-9:]*\)$/\1/p" | head -1; }

t_tty_plugin_gets_its_own_pty() {
	tty_plugin ttyid
	PTYDRIVE_CHECK=1 tty_drive no "$RAGGED_BUILD/raggedctl" run ttyid -- id > "$RAGGED_T/tt.out" 2>&1
	expect_rc $? 0 "the run exits 0"
	drv=$(tty_rdev "$RAGGED_T/tt.out" "ptydrive tty")
	for fd in 0 1 2; do
		got=$(tty_rdev "$RAGGED_T/tt.out" "fd $fd tty")
		if [ -n "$got" ] && [ -n "$drv" ] && [ "$got" != "$drv" ]; then
			pass "fd $fd is a terminal ($got), not the caller's ($drv)"
		else
			fail "fd $fd: '$got', the caller's terminal is '$drv'"; sed 's/^/    | /' "$RAGGED_T/tt.out"
		fi
	done
	expect_line "$RAGGED_T/tt.out" "^ptydrive termios same" "the caller's terminal modes are as before the run"
	# Only the terminal is replaced: a redirected stdout reaches the plugin as it is.
	tty_drive no sh -c "\"$RAGGED_BUILD/raggedctl\" run ttyid -- id > \"$RAGGED_T/tt.file\"" > "$RAGGED_T/tt2.out" 2>&1
	expect_rc $? 0 "run with stdout to a file exits 0"
	expect_line "$RAGGED_T/tt.file" "^fd 1 notty$" "stdout redirected to a file: the plugin gets the file"
	expect_line "$RAGGED_T/tt.file" "^fd 0 tty rdev=" "stdin still a terminal there: the pty"
	ctl run ttyid -- id < /dev/null > "$RAGGED_T/tt3.out" 2>&1
	expect_line "$RAGGED_T/tt3.out" "^fd 0 notty$" "no terminal: pipes and files are passed as before"
	expect_line "$RAGGED_T/tt3.out" "^fd 1 notty$" "no terminal: stdout as before"
}

t_tty_size_follows_the_terminal() {
	tty_plugin ttywinch
	PTYDRIVE_RESIZE=1 tty_drive no "$RAGGED_BUILD/raggedctl" run ttywinch -- winch > "$RAGGED_T/tz.out" 2>&1
	expect_rc $? 0 "the run exits 0"
	expect_line "$RAGGED_T/tz.out" "^winsize 40x100" "the pty starts with the caller's terminal size"
	expect_line "$RAGGED_T/tz.out" "^winsize 30x90" "a resize of the caller's terminal reaches the pty (SIGWINCH)"
}

t_tty_ctrl_c_ends_the_run() {
	tty_plugin ttyctrlc
	PTYDRIVE_CHECK=1 PTYDRIVE_INTR_AT="resize me" \
		tty_drive no "$RAGGED_BUILD/raggedctl" run ttyctrlc -- winch > "$RAGGED_T/tc.out" 2>&1
	expect_rc $? 130 "Ctrl-C while the plugin waits for input ends raggedctl (SIGINT)"
	i=0
	while [ $i -lt 100 ] && [ -n "$(pids_of "ttyprobe winch")" ]; do sleep 0.05; i=$((i + 1)); done
	[ -z "$(pids_of "ttyprobe winch")" ] && pass "and the run with it" || fail "plugin left running: $(pids_of "ttyprobe winch")"
	expect_line "$RAGGED_T/tc.out" "^ptydrive termios same" "the caller's terminal is out of raw mode again"
}

t_tty_changes_end_with_the_run() {
	tty_plugin ttyatk
	# A line discipline the kernel already has: an unregistered one would load a module.
	ld=$(awk '$2 != 0 { print $2; exit }' /proc/tty/ldiscs 2>/dev/null)
	PTYDRIVE_CHECK=1 tty_drive no "$RAGGED_BUILD/raggedctl" run ttyatk -- attack ${ld:-0} > "$RAGGED_T/ta.out" 2>&1
	expect_rc $? 0 "TCOOFF${ld:+ and TIOCSETD $ld} succeeded on the plugin's terminal (exit 0)"
	[ -n "$ld" ] || skip "no line discipline but N_TTY registered: TIOCSETD not tried"
	expect_line "$RAGGED_T/ta.out" "^tcsetattr -> ok" "tcsetattr succeeded on the plugin's terminal"
	expect_line "$RAGGED_T/ta.out" "^tiocexcl -> ok" "TIOCEXCL succeeded on the plugin's terminal"
	expect_line "$RAGGED_T/ta.out" "^ptydrive termios same" "the caller's terminal modes are unchanged"
	expect_line "$RAGGED_T/ta.out" "^ptydrive ldisc 0$" "the caller's line discipline is still N_TTY"
	expect_line "$RAGGED_T/ta.out" "^ptydrive excl 0$" "the caller's terminal is not exclusive"
	expect_line "$RAGGED_T/ta.out" "^ptydrive output flowing" "the caller's terminal output is not stopped"
}

# The run's v2 cgroup.events while a prompt is on screen: frozen, and the
# plugin's counter does not move.
tty_write_hook() {
	cat > "$RAGGED_T/tty_hook.sh" <<'EOH'
ev=""
i=0
while [ $i -lt 100 ]; do
	ev=$(find /sys/fs/cgroup -path "*/$TAG/run-*/cgroup.events" 2>/dev/null | head -1)
	[ -n "$ev" ] && grep -q "^frozen 1" "$ev" && break
	sleep 0.05; i=$((i + 1))
done
if [ -n "$ev" ] && grep -q "^frozen 1" "$ev"; then echo "hook: run frozen"; else echo "hook: run not frozen ($ev)"; fi
t=$(ls "$RAGGED_T"/state/runs/*/ticks 2>/dev/null | head -1)
a=$(cat "$t" 2>/dev/null)
# A window to see nothing happen in: the ticker counts every 5 ms.
sleep 0.3
b=$(cat "$t" 2>/dev/null)
if [ -n "$a" ] && [ "$a" = "$b" ]; then echo "hook: ticks still"; else echo "hook: ticks moved '$a' '$b'"; fi
EOH
}

t_tty_prompt_freezes_the_run() {
	tty_plugin ttyask '[permissions]' 'optional = ["read:documents"]'
	tty_write_hook
	mark_audit
	PTYDRIVE_VIS=1 PTYDRIVE_HOOK="sh $RAGGED_T/tty_hook.sh" \
		tty_drive yes "$RAGGED_BUILD/raggedctl" run ttyask -- ask read:documents > "$RAGGED_T/tf.out" 2>&1
	expect_rc $? 0 "the run exits 0 after the answer"
	expect_line "$RAGGED_T/tf.out" '^Allow plugin "ttyask" read:documents \(medium risk\)\? \[y/N\] ' \
		"the prompt line names plugin, permission and risk"
	expect_line "$RAGGED_T/tf.out" "^hook: run frozen" "the run's cgroup is frozen while the prompt is on screen"
	expect_line "$RAGGED_T/tf.out" "^hook: ticks still" "the plugin makes no progress while the prompt is on screen"
	# From the prompt to the answer, not a byte of the plugin's reaches the screen.
	sed -n '/\[y\/N\] /,/^\[ptydrive: answered\]/p' "$RAGGED_T/tf.out" > "$RAGGED_T/tf.seg"
	no_line "$RAGGED_T/tf.seg" "OVERWRITE" "nothing the plugin writes appears between the prompt and the answer"
	# What it left open before asking is closed first: the question cannot be hidden.
	sed -n '/spoof-start/,/\[y\/N\] /p' "$RAGGED_T/tf.out" > "$RAGGED_T/tf.pre"
	expect_line "$RAGGED_T/tf.pre" '<1b>\[8m<0e><1b>\]0;' "the plugin left concealed, shifted-out text in an open OSC string"
	expect_line "$RAGGED_T/tf.pre" '<1b>\\<18><1b>7<1b>\[r<1b>8<0f><1b>\(B<1b>\[0m' \
		"raggedctl ends the string and resets attributes, margins and character set before the prompt"
	sed -n '/<1b>\\<18><1b>7/,/\[y\/N\] /p' "$RAGGED_T/tf.pre" > "$RAGGED_T/tf.draw"
	no_line "$RAGGED_T/tf.draw" "OVERWRITE" "no plugin output between the reset and the prompt"
	expect_line "$RAGGED_T/tf.out" '^answer .*"granted":true' "the plugin is told after it is thawed"
	new_audit > "$RAGGED_T/tf.rec"
	expect_line "$RAGGED_T/tf.rec" '"event":"permission_granted".*"plugin":"ttyask".*"via":"prompt"' "the grant is recorded"
	ev=$(find /sys/fs/cgroup -path "*/$TAG/run-*/cgroup.events" 2>/dev/null | head -1)
	[ -z "$ev" ] && pass "the run's cgroup is gone" || fail "a run cgroup is left: $ev"
}

t_tty_prompt_abandoned_thaws_and_ends() {
	tty_plugin ttyintr '[permissions]' 'optional = ["read:documents"]'
	mark_audit
	tty_drive intr "$RAGGED_BUILD/raggedctl" run ttyintr -- ask read:documents > "$RAGGED_T/ti.out" 2>&1
	expect_rc $? 130 "Ctrl-C at the prompt ends raggedctl"
	i=0
	while [ $i -lt 100 ] && [ -n "$(pids_of "ttyprobe ask")" ]; do sleep 0.05; i=$((i + 1)); done
	[ -z "$(pids_of "ttyprobe ask")" ] && pass "the frozen run is ended, no process left" ||
		fail "plugin processes left: $(pids_of "ttyprobe ask")"
	# The agent writes the closing records when its loop sees the client
	# gone, which can come after raggedctl and the plugin are (slow guests).
	wait_until 300 audit_has '"event":"plugin_failed".*"plugin":"ttyintr"'
	new_audit > "$RAGGED_T/ti.rec"
	expect_line "$RAGGED_T/ti.rec" '"event":"permission_denied".*"plugin":"ttyintr".*"prompt abandoned"' "recorded as denied"
	expect_line "$RAGGED_T/ti.rec" '"event":"plugin_failed".*"plugin":"ttyintr"' "the run's end is recorded"
}

# The limit leaves the prompt time to appear first on a loaded TCG guest
# (2 s did not: the run was killed before it asked, with nothing to withdraw).
t_tty_prompt_wall_limit_still_counts() {
	tty_plugin ttywall '[permissions]' 'optional = ["read:documents"]' '[limits]' 'wall_seconds = 6'
	tty_drive wait "$RAGGED_BUILD/raggedctl" run ttywall -- ask read:documents > "$RAGGED_T/tw.out" 2>&1
	expect_rc $? 137 "a run frozen at its prompt is still killed at its wall-clock limit"
	expect_line "$RAGGED_T/tw.out" "the run ended before the answer" "the unanswered prompt is withdrawn"
	expect_line "$RAGGED_T/tw.out" "wall-clock limit" "and the reason is shown"
	[ -z "$(pids_of "ttyprobe ask")" ] && pass "no process left" || fail "plugin processes left"
}

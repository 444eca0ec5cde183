# shellcheck shell=sh
# Issue 2's slice: one plugin run end to end, the two rules, the audit trail.

t_status_reports_mode() {
	m=$(mode)
	case "$m" in
	bpf-lsm|landlock) pass "mode $m" ;;
	*) fail "status reports no enforcement mode"; return ;;
	esac
	ctl status > "$RAGGED_T/status.txt"
	expect_line "$RAGGED_T/status.txt" "^enforcement +$m" "text status names the mode"
	expect_line "$RAGGED_T/status.txt" "^reason +[a-zA-Z]" "text status says why"
	if [ "${RAGGED_EXPECT_MODE:-}" ]; then
		if [ "$m" = "$RAGGED_EXPECT_MODE" ]; then pass "expected mode $m"; else
			fail "mode is $m, this machine must give $RAGGED_EXPECT_MODE"; ctl status; fi
	fi
}

t_denials_and_records() {
	d=$(make_plugin slice)
	ctl plugin install --accept-risk "$d" > /dev/null || { fail "install"; return; }
	echo "top secret" > "$RAGGED_T/secret.txt"; chmod 644 "$RAGGED_T/secret.txt"
	port=$(next_port)
	"$RAGGED_BUILD/plugins/probe" listen "127.0.0.1:$port" > "$RAGGED_T/listen.out" 2>&1 &
	lpid=$!
	wait_until 300 tcp_listening "$port" || fail "test server on port $port did not start"
	mark_audit
	ctl run slice -- read "$RAGGED_T/secret.txt" read /usr/lib/os-release \
		connect "127.0.0.1:$port" > "$RAGGED_T/out.txt" 2>&1
	expect_rc $? 0 "run exits with the plugin's status"
	expect_line "$RAGGED_T/out.txt" "^read $RAGGED_T/secret.txt -> EACCES$" "read outside the baseline fails with EACCES"
	expect_line "$RAGGED_T/out.txt" "^read /usr/lib/os-release -> ok$" "baseline read works"
	expect_line "$RAGGED_T/out.txt" "^connect 127.0.0.1:$port -> EPERM$" "connect to loopback fails with EPERM"
	new_audit > "$RAGGED_T/rec.txt"
	expect_line "$RAGGED_T/rec.txt" "\"event\":\"permission_violation\".*\"plugin\":\"slice\".*\"path\":\"$RAGGED_T/secret.txt\"" "file denial has an audit record with the path"
	expect_line "$RAGGED_T/rec.txt" "\"event\":\"permission_violation\".*\"address\":\"127.0.0.1\",\"port\":$port" "connect denial has an audit record with the address"
	expect_line "$RAGGED_T/rec.txt" "\"event\":\"plugin_executed\".*\"plugin\":\"slice\"" "run recorded as executed"
	for f in timestamp seq event plugin version user_id run_id permissions_used result enforcement details prev_hash hash; do
		grep '"event":"permission_violation"' "$RAGGED_T/rec.txt" | head -1 | grep -q "\"$f\":" ||
			{ fail "violation record lacks field $f"; return; }
	done
	pass "violation records carry every docs/contract.md §6 field"
	# The same operations succeed for a process outside the sandbox.
	"$RAGGED_BUILD/plugins/probe" read "$RAGGED_T/secret.txt" connect "127.0.0.1:$port" > "$RAGGED_T/outside.txt" 2>&1
	expect_line "$RAGGED_T/outside.txt" "^read $RAGGED_T/secret.txt -> ok$" "outside the sandbox the read works"
	expect_line "$RAGGED_T/outside.txt" "^connect 127.0.0.1:$port -> ok$" "outside the sandbox the connect works"
	wait "$lpid" 2>/dev/null
}

t_exit_status_and_signal() {
	d=$(make_plugin exits)
	ctl plugin install --accept-risk "$d" > /dev/null || { fail "install"; return; }
	ctl run exits -- exit 7 > /dev/null 2>&1
	expect_rc $? 7 "plugin exit status passes through"
	ctl run exits -- kill 15 > /dev/null 2>&1
	expect_rc $? 143 "killed by signal N gives 128+N"
}

t_runs_in_own_cgroup_as_user() {
	d=$(make_plugin whoami)
	ctl plugin install --accept-risk "$d" > /dev/null || { fail "install"; return; }
	ctl run whoami -- uid - cgroup - > "$RAGGED_T/who.txt" 2>&1
	expect_line "$RAGGED_T/who.txt" "^uid 65534 euid 65534$" "root's run uses the configured account, never root"
	expect_line "$RAGGED_T/who.txt" "^cgroup 0::.*/$TAG/run-[0-9a-f]+$" "plugin is born in its own run cgroup"
	# Never in the root cpu task group, where its setsid() would make a
	# scheduler autogroup that waits a slice on a busy machine.
	if grep -q "^cgroup [0-9]*:[a-z,]*\bcpu\b[a-z,]*:" "$RAGGED_T/who.txt"; then
		expect_line "$RAGGED_T/who.txt" "^cgroup [0-9]+:([a-z]+,)*cpu(,[a-z]+)*:.*/$TAG(/run-[0-9a-f]+)?$" \
			"on the v1 cpu hierarchy the plugin is in the agent's cpu group"
	elif v2=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$TAG" -exec test -e '{}/cgroup.subtree_control' ';' -print 2> /dev/null | head -1) &&
		grep -qw cpu "$v2/cgroup.subtree_control" 2> /dev/null; then
		pass "the agent hands the v2 cpu controller to its runs: the run cgroup is the plugin's cpu group"
	else
		skip "no cpu controller on v1 or v2: the plugin shares the root task group"
	fi
	left=$(find /sys/fs/cgroup -path "*/$TAG/run-*" -maxdepth 8 2>/dev/null | head -1)
	if [ -z "$left" ]; then pass "run cgroup removed afterwards"; else fail "run cgroup left: $left"; fi
}

t_malformed_manifest() {
	d=$(make_plugin broken 'colour = "blue"')
	ctl plugin validate "$d" > "$RAGGED_T/v.out" 2> "$RAGGED_T/v.err"
	rc=$?
	[ "$rc" -ne 0 ] && pass "validate fails" || fail "validate accepted an unknown key"
	n=$(wc -l < "$RAGGED_T/v.err")
	[ "$n" -eq 1 ] && pass "one line of error" || fail "$n lines of error"
	expect_line "$RAGGED_T/v.err" "plugin.toml:6: .*colour" "error names file, line and key"
	mark_audit
	ctl plugin install --accept-risk "$d" > /dev/null 2>&1 && fail "install accepted it" || pass "install refuses it"
	ctl run broken > /dev/null 2>&1
	rc=$?
	[ "$rc" -ne 0 ] && pass "nothing runs ($rc)" || fail "a broken plugin ran"
	new_audit > "$RAGGED_T/rec.txt"
	no_line "$RAGGED_T/rec.txt" '"event":"plugin_loaded".*"plugin":"broken"' "no plugin_loaded record"
}

t_consent_required() {
	d=$(make_plugin needy '[permissions]' 'required = ["read:documents"]')
	ctl plugin install --accept-risk "$d" > /dev/null || { fail "install"; return; }
	ctl run needy < /dev/null > /dev/null 2> "$RAGGED_T/c.err"
	expect_rc $? 77 "no terminal and no grant: exit 77"
	expect_line "$RAGGED_T/c.err" "consent" "says consent is missing"
	mkdir -p "$RAGGED_T/docs"; echo doc > "$RAGGED_T/docs/a.txt"; chmod -R a+rX "$RAGGED_T/docs"
	ctl run needy --yes -- read "$RAGGED_T/docs/a.txt" > "$RAGGED_T/c.out" 2>&1
	expect_rc $? 0 "--yes grants the required permissions"
	expect_line "$RAGGED_T/c.out" "^read $RAGGED_T/docs/a.txt -> ok$" "granted document is readable"
	ctl run needy -- read "$RAGGED_T/secret.txt" > "$RAGGED_T/c.out" 2>&1
	expect_line "$RAGGED_T/c.out" "-> EACCES$" "the grant is only what was granted"
}

t_stdio_passthrough() {
	d=$(make_plugin stdio)
	ctl plugin install --accept-risk "$d" > /dev/null || { fail "install"; return; }
	echo "hello through the sandbox" | ctl run stdio -- stdin - > "$RAGGED_T/io.out" 2> "$RAGGED_T/io.err"
	expect_line "$RAGGED_T/io.out" "^stdin hello through the sandbox$" "stdin and stdout reach the plugin"
	ctl run stdio -- read /nonexistent-path-for-stderr > /dev/null 2>&1
	expect_rc $? 0 "plugin runs with stderr passed"
}

t_non_root_caller() {
	# The plugin runs as the caller, whoever that is; the agent reads the
	# caller from SO_PEERCRED, so nobody can claim to be someone else.
	asnobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
	d=$(make_plugin mine)
	$asnobody "$RAGGED_BUILD/raggedctl" plugin install --accept-risk "$d" > /dev/null 2>&1 ||
		{ fail "a non-root user cannot install"; return; }
	$asnobody "$RAGGED_BUILD/raggedctl" run mine -- uid - > "$RAGGED_T/nr.out" 2>&1
	expect_rc $? 0 "non-root run exits 0"
	expect_line "$RAGGED_T/nr.out" "^uid 65534 euid 65534$" "plugin runs as the invoking user"
	$asnobody "$RAGGED_BUILD/raggedctl" run slice > /dev/null 2> "$RAGGED_T/nr.err"
	expect_rc $? 125 "another user's plugin is not visible"
	expect_line "$RAGGED_T/nr.err" "not installed" "says it is not installed (for this user)"
	$asnobody "$RAGGED_BUILD/raggedctl" --format json plugin list > "$RAGGED_T/nr.list"
	no_line "$RAGGED_T/nr.list" '"name":"slice"' "root's plugins are not listed for another user"
	expect_line "$RAGGED_T/nr.list" '"name":"mine"' "own plugin listed"
}

t_agent_start_rules() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$RAGGED_BUILD/raggedd" --foreground \
		> "$RAGGED_T/nr-agent.out" 2>&1
	rc=$?
	[ "$rc" -ne 0 ] && pass "raggedd refuses to run without root" || fail "raggedd ran as nobody"
	# (Under make coverage, libgcov adds "profiling:" lines: nobody cannot
	# write root's .gcda files. They are not the agent's words.)
	n=$(grep -vc '^profiling:' "$RAGGED_T/nr-agent.out")
	[ "$n" -eq 1 ] && pass "one line of reason" || fail "$n lines of reason"
	expect_line "$RAGGED_T/nr-agent.out" "root" "the reason mentions root"
	printf '[paths]\nsocket = "relative.sock"\n' > "$RAGGED_T/bad.toml"
	"$RAGGED_BUILD/raggedd" --config "$RAGGED_T/bad.toml" --foreground > "$RAGGED_T/bad.out" 2>&1
	[ $? -ne 0 ] && pass "a bad config stops the agent" || fail "agent started with a bad config"
	expect_line "$RAGGED_T/bad.out" "bad.toml:2: paths.socket" "config error names file, line and key"
	# Daemon mode: the parent returns once the child is ready, or with its error.
	sed -e "s|$TAG|$TAG-d|g" -e "s|$RAGGED_T/log/|$RAGGED_T/log-d/|" \
		-e "s|$RAGGED_T/state|$RAGGED_T/state-d|" -e "s|agent.sock|agent-d.sock|" \
		"$RAGGED_T/agent.toml" > "$RAGGED_T/daemon.toml"
	"$RAGGED_BUILD/raggedd" --config "$RAGGED_T/daemon.toml"
	expect_rc $? 0 "daemon mode starts"
	sock=$(sed -n 's/^socket = "\(.*\)"/\1/p' "$RAGGED_T/daemon.toml")
	RAGGED_SOCKET="$sock" ctl --format json status > "$RAGGED_T/d.json" 2>&1
	expect_line "$RAGGED_T/d.json" '"enforcement":"(bpf-lsm|landlock)"' "daemon answers status as JSON"
	pid=$(pids_of "raggedd --config $RAGGED_T/daemon.toml")
	[ -n "$pid" ] && kill -TERM $pid
	i=0; while [ -n "$(pids_of "raggedd --config $RAGGED_T/daemon.toml")" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1)); done
	[ ! -e "/sys/fs/bpf/$TAG-d" ] && pass "daemon stop removes its pins" || fail "daemon left /sys/fs/bpf/$TAG-d"
	audit_valid "$RAGGED_T/log-d" "the daemon's audit log"
	left=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$TAG-d" 2>/dev/null | head -1)
	[ -z "$left" ] && pass "daemon stop removes its cgroups" || fail "daemon left $left"
}

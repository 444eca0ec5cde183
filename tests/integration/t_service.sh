# shellcheck shell=sh
# The agent as a service: one version everywhere, diagnostics the journal
# can read, SIGHUP reloading the config (or refusing, and saying so).

t_version_one_source() {
	v=$(cat "$RAGGED_ROOT/VERSION")
	[ "$("$RAGGED_BUILD/raggedd" --version)" = "raggedd $v" ] && pass "raggedd --version" ||
		fail "raggedd --version: $("$RAGGED_BUILD/raggedd" --version)"
	[ "$(ctl --version)" = "raggedctl $v" ] && pass "raggedctl --version" ||
		fail "raggedctl --version: $(ctl --version)"
	grep '"event":"agent_started"' "$RAGGED_T/log/audit.jsonl" | tail -1 > "$RAGGED_T/started.json"
	expect_line "$RAGGED_T/started.json" "\"agent_version\":\"$v\"" "agent_started names the version"
}

# Under systemd stderr is the journal's stream ($JOURNAL_STREAM = its
# dev:ino): every line then starts with its syslog priority.
t_diagnostics_journal_priority() {
	: > "$RAGGED_T/journal.err"
	js=$(stat -c '%d:%i' "$RAGGED_T/journal.err")
	JOURNAL_STREAM=$js "$RAGGED_BUILD/raggedd" --foreground --config "$RAGGED_T/none.toml" \
		2>> "$RAGGED_T/journal.err"
	expect_rc $? 1 "a missing config stops the agent"
	expect_line "$RAGGED_T/journal.err" '^<3>.*none\.toml' "error line has priority <3> (err)"
	"$RAGGED_BUILD/raggedd" --foreground --config "$RAGGED_T/none.toml" 2> "$RAGGED_T/plain.err"
	expect_line "$RAGGED_T/plain.err" '^raggedd: .*none\.toml' "on a terminal: plain 'raggedd:' lines"
}

# wait_record EVENT PATTERN: until a new record of EVENT matching PATTERN.
wait_record() {
	_i=0
	while [ $_i -lt 300 ]; do
		new_audit | grep "\"event\":\"$1\"" | grep -Eq -- "$2" && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}

t_sighup_reloads_config() {
	cp "$RAGGED_T/agent.toml" "$RAGGED_T/agent.toml.orig"
	mark_audit
	printf '\n# reloaded\n' >> "$RAGGED_T/agent.toml"
	kill -HUP "$AGENT_PID"
	wait_record config_change '"result":"success"' && pass "HUP: config_change recorded" ||
		fail "no config_change record after HUP"
	ctl status > /dev/null && pass "still serving after reload" || fail "agent gone after HUP"

	mark_audit
	sed 's|^socket = .*|socket = "/tmp/elsewhere.sock"|' "$RAGGED_T/agent.toml.orig" > "$RAGGED_T/agent.toml"
	kill -HUP "$AGENT_PID"
	wait_record config_change '"result":"failure".*paths\] changed' &&
		pass "HUP with changed [paths]: refused and recorded" || fail "no refusal record"
	mark_audit
	printf '[limits\n' >> "$RAGGED_T/agent.toml"
	kill -HUP "$AGENT_PID"
	wait_record config_change '"result":"failure".*agent\.toml:[0-9]+' &&
		pass "HUP with a broken config: refused with file and line" || fail "no refusal record"
	expect_line "$RAGGED_T/agent.log" 'reload refused, the running config stays' "said in the agent log"
	ctl status > /dev/null && pass "the old config still serves" || fail "agent gone"

	cp "$RAGGED_T/agent.toml.orig" "$RAGGED_T/agent.toml"
	mark_audit
	kill -HUP "$AGENT_PID"
	wait_record config_change '"result":"success"' && pass "restored" || fail "restore not recorded"
}

# make install / uninstall into a staging DESTDIR: every file in its FHS
# place, the unit valid, the config the defaults; uninstall keeps the config.
t_install_staged() {
	if ! command -v make > /dev/null || [ ! -f "$RAGGED_ROOT/Makefile" ]; then
		skip "no make or source tree here (the vmtest guest): the install layout is checked natively"
		return
	fi
	st="$RAGGED_T/stage"
	make -s -C "$RAGGED_ROOT" install BUILD="$RAGGED_BUILD" DESTDIR="$st" PREFIX=/usr \
		> "$RAGGED_T/install.out" 2>&1
	expect_rc $? 0 "make install DESTDIR=... PREFIX=/usr"
	for f in usr/sbin/raggedd usr/bin/raggedctl etc/ragged/agent.toml \
		usr/lib/systemd/system/raggedd.service usr/share/man/man8/raggedd.8 \
		usr/share/man/man1/raggedctl.1 usr/share/man/man5/agent.toml.5 \
		usr/share/man/man5/plugin.toml.5 usr/share/bash-completion/completions/raggedctl \
		usr/share/doc/ragged/LICENSE usr/share/doc/ragged/protocol.md \
		usr/lib/python3/dist-packages/ragged_sandbox/client.py; do
		[ -e "$st/$f" ] || { fail "not installed: /$f"; return; }
	done
	pass "every file in place"
	[ "$("$st/usr/sbin/raggedd" --version)" = "raggedd $(cat "$RAGGED_ROOT/VERSION")" ] &&
		pass "installed raggedd runs" || fail "installed raggedd --version"
	expect_line "$st/usr/lib/systemd/system/raggedd.service" '^ExecStart=/usr/sbin/raggedd --foreground$' \
		"unit points at the installed agent"
	if command -v systemd-analyze > /dev/null; then
		# the staged copy, pointing at the staged binary (verify checks it exists)
		sed "s|/usr/sbin/raggedd|$st/usr/sbin/raggedd|" \
			"$st/usr/lib/systemd/system/raggedd.service" > "$RAGGED_T/raggedd.service"
		systemd-analyze verify "$RAGGED_T/raggedd.service" > "$RAGGED_T/verify.out" 2>&1
		# documentation links need man-db's index of the staged tree: not an error of the unit
		if grep -v "Command 'man " "$RAGGED_T/verify.out" | grep -q .; then
			fail "systemd-analyze verify:"; sed 's/^/    | /' "$RAGGED_T/verify.out"
		else pass "systemd-analyze verify accepts the unit"; fi
	fi
	for f in ragged-advisories.service ragged-advisories.timer; do
		[ -e "$st/usr/lib/systemd/system/$f" ] || fail "not installed: $f"
	done
	expect_line "$st/usr/lib/systemd/system/ragged-advisories.service" \
		'^ExecStart=/usr/bin/raggedctl advisories update$' "the advisories service runs the installed client"
	expect_line "$st/usr/lib/systemd/system/ragged-advisories.timer" '^RandomizedDelaySec=' \
		"the advisories timer spreads its start"
	if command -v systemd-analyze > /dev/null; then
		sed "s|/usr/bin/raggedctl|$st/usr/bin/raggedctl|" \
			"$st/usr/lib/systemd/system/ragged-advisories.service" > "$RAGGED_T/ragged-advisories.service"
		cp "$st/usr/lib/systemd/system/ragged-advisories.timer" "$RAGGED_T/"
		systemd-analyze verify "$RAGGED_T/ragged-advisories.service" "$RAGGED_T/ragged-advisories.timer" \
			> "$RAGGED_T/verify.out" 2>&1
		if grep -v "Command 'man " "$RAGGED_T/verify.out" | grep -q .; then
			fail "systemd-analyze verify (advisories):"; sed 's/^/    | /' "$RAGGED_T/verify.out"
		else pass "systemd-analyze verify accepts the advisories service and timer"; fi
	fi
	if command -v man > /dev/null; then
		for m in "$st"/usr/share/man/man*/*; do
			man -l "$m" > /dev/null 2> "$RAGGED_T/man.err" && [ ! -s "$RAGGED_T/man.err" ] ||
				{ fail "man page $m:"; cat "$RAGGED_T/man.err"; }
		done
		pass "man pages render"
	fi
	bash -n "$st/usr/share/bash-completion/completions/raggedctl" && pass "completion parses" ||
		fail "completion syntax"
	PYTHONPATH="$st/usr/lib/python3/dist-packages" python3 -c 'import ragged_sandbox' 2> /dev/null &&
		pass "installed Python client imports" || fail "installed Python client"
	make -s -C "$RAGGED_ROOT" uninstall DESTDIR="$st" PREFIX=/usr > /dev/null 2>&1
	left=$(cd "$st" && find . -type f -o -type l | sort | tr '\n' ' ')
	[ "$left" = "./etc/ragged/agent.toml " ] && pass "uninstall leaves only the config" ||
		fail "after uninstall: $left"
}

# Under systemd (Delegate=yes) the agent starts inside its service's cgroup:
# on cgroup v2 it moves itself into a leaf so run cgroups can be created
# beside it (a cgroup handing controllers to children holds no process).
# A second agent is started the way systemd starts it: alone in a cgroup.
t_cgroup_delegated_leaf() {
	v2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
	if [ -z "$v2" ] || ! grep -qw memory "$v2/cgroup.controllers" 2> /dev/null ||
		! grep -qw memory "$v2/cgroup.subtree_control" 2> /dev/null; then
		skip "cgroup v2 has no memory controller for children here (hybrid host: limits use v1; the leaf is tested where v2 has them, in vmtest)"
		return
	fi
	own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	d="$v2${own%/}/$TAG-deleg.service"
	mkdir "$d" || { fail "mkdir $d"; return; }
	sed -e "s|^socket = .*|socket = \"$RAGGED_T/deleg.sock\"|" \
		-e "s|^state_dir = .*|state_dir = \"$RAGGED_T/deleg-state\"|" \
		-e "s|^audit_log = .*|audit_log = \"$RAGGED_T/deleg-log/audit.jsonl\"|" \
		-e "s|^bpffs = .*|bpffs = \"/sys/fs/bpf/$TAG-d\"|" \
		-e "s|^cgroup = .*|cgroup = \"$TAG-d\"|" "$RAGGED_T/agent.toml" > "$RAGGED_T/deleg.toml"

	# Not alone in the cgroup (the shell stays): refused, saying why.
	sh -c "echo \$\$ > '$d/cgroup.procs'; '$RAGGED_BUILD/raggedd' --foreground --config '$RAGGED_T/deleg.toml'" \
		> "$RAGGED_T/deleg-shared.log" 2>&1
	expect_rc $? 1 "next to another process: the agent does not start"
	expect_line "$RAGGED_T/deleg-shared.log" 'holds other processes .*Delegate=yes' "and says why"

	sh -c "echo \$\$ > '$d/cgroup.procs' && exec '$RAGGED_BUILD/raggedd' --foreground --config '$RAGGED_T/deleg.toml'" \
		>> "$RAGGED_T/deleg.log" 2>&1 &
	dpid=$!
	i=0
	while [ ! -S "$RAGGED_T/deleg.sock" ] && [ $i -lt 600 ]; do
		kill -0 $dpid 2> /dev/null || break; sleep 0.1; i=$((i + 1))
	done
	if [ -S "$RAGGED_T/deleg.sock" ]; then
		pass "alone in its cgroup: the agent starts"
		grep -q "^0::${own%/}/$TAG-deleg.service/raggedd.agent\$" "/proc/$dpid/cgroup" &&
			pass "the agent moved itself into a leaf" || fail "agent cgroup: $(cat /proc/$dpid/cgroup)"
		pd=$(make_plugin deleg-probe)
		RAGGED_SOCKET="$RAGGED_T/deleg.sock" ctl plugin install --accept-risk "$pd" > /dev/null
		RAGGED_SOCKET="$RAGGED_T/deleg.sock" ctl run deleg-probe -- cgroup - > "$RAGGED_T/deleg.out" 2>&1
		expect_line "$RAGGED_T/deleg.out" "^cgroup 0::${own%/}/$TAG-deleg.service/$TAG-d/run-" \
			"the run's cgroup is a sibling of the agent's leaf"
	else
		fail "the agent did not start:"; sed 's/^/    | /' "$RAGGED_T/deleg.log"
	fi
	kill -TERM $dpid 2> /dev/null; wait $dpid
	expect_rc $? 0 "and stops cleanly"
	audit_valid "$RAGGED_T/deleg-log" "its audit log"
	[ -e "$d/$TAG-d" ] && ls "$d/$TAG-d" | grep -q run- && fail "run cgroups left in $d/$TAG-d"
	rmdir "$d/$TAG-d" "$d/raggedd.agent" "$d" 2> /dev/null
	[ -e "$d" ] && fail "could not remove $d" || pass "nothing left"
	rm -rf "/sys/fs/bpf/$TAG-d"
}

# Metrics: the agent keeps a Prometheus textfile current ([paths]
# metrics_textfile) and `raggedctl status --format prometheus` prints the
# same; Debian's node_exporter scrapes the file.
t_metrics_prometheus() {
	pd=$(make_plugin metrics-probe)
	ctl plugin install --accept-risk "$pd" > /dev/null
	ctl run metrics-probe -- read "$RAGGED_T/secret.txt" > /dev/null 2>&1
	ctl --format prometheus status > "$RAGGED_T/prom.txt"
	expect_rc $? 0 "status --format prometheus"
	expect_line "$RAGGED_T/prom.txt" '^ragged_runs_started_total [1-9][0-9]*$' "runs started counted"
	expect_line "$RAGGED_T/prom.txt" '^ragged_info\{version="[^"]+",enforcement="(landlock|bpf-lsm)"\} 1$' "info line"
	expect_line "$RAGGED_T/prom.txt" '^ragged_decisions_total\{hook="[a-z_0-9/]+",mechanism="[a-z-]+",decision="deny"\} [1-9]' \
		"the denied read is a counted decision"
	bad=$(grep -vE '^(# (HELP|TYPE) ragged_[a-z_]+ .+|ragged_[a-z_]+(\{[^}]*\})? [0-9]+)$' "$RAGGED_T/prom.txt")
	[ -z "$bad" ] && pass "every line is exposition format" || fail "not exposition format: $bad"
	ctl --format prometheus plugin list > /dev/null 2>&1
	expect_rc $? 2 "prometheus is for status only"
	# The textfile: written at start and then at most every 10 s.
	i=0
	while ! grep -Eq '^ragged_runs_started_total [1-9]' "$RAGGED_T/metrics/ragged.prom" 2> /dev/null &&
		[ $i -lt 300 ]; do
		ctl status > /dev/null; sleep 0.1; i=$((i + 1))
	done
	expect_line "$RAGGED_T/metrics/ragged.prom" '^ragged_runs_started_total [1-9]' "the textfile follows the counters"
	ls "$RAGGED_T/metrics" | grep -v '^ragged.prom$' | grep -q . && fail "temporary files left in the textfile dir" ||
		pass "replaced atomically (no temporary file left)"
	ne=$(command -v prometheus-node-exporter || command -v node_exporter)
	if [ -z "$ne" ] || ! command -v python3 > /dev/null; then
		skip "no node_exporter here (make deps installs prometheus-node-exporter natively)"; return
	fi
	port=$(next_port)
	"$ne" --collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$RAGGED_T/metrics" \
		--web.listen-address="127.0.0.1:$port" > "$RAGGED_T/ne.log" 2>&1 &
	nep=$!
	python3 - "$port" > "$RAGGED_T/scrape.txt" 2>&1 <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode())
        break
    except OSError:
        time.sleep(0.1)
PY
	kill $nep 2> /dev/null; wait $nep 2> /dev/null
	expect_line "$RAGGED_T/scrape.txt" '^ragged_runs_started_total [1-9]' "node_exporter serves the agent's metrics"
	expect_line "$RAGGED_T/scrape.txt" '^node_textfile_scrape_error 0$' "and parsed the file without error"
}

# Shipping with existing software: rsyslog tails the audit log (imfile) and
# forwards it over TCP to a second rsyslog, which writes what it receives.
# Every record must arrive intact: the received file verifies as a chain.
t_ship_rsyslog_pipeline() {
	rs=$(command -v rsyslogd)
	if [ -z "$rs" ]; then
		skip "no rsyslogd here (make deps installs rsyslog natively)"; return
	fi
	w="$RAGGED_T/rsyslog"; mkdir -p "$w/recv" "$w/send"
	port=$(next_port)
	cat > "$w/recv.conf" <<EOC
global(workDirectory="$w/recv" maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$port")
template(name="raw" type="string" string="%msg%\n")
action(type="omfile" file="$w/received.jsonl" template="raw")
EOC
	cat > "$w/send.conf" <<EOC
global(workDirectory="$w/send" maxMessageSize="64k")
module(load="imfile")
input(type="imfile" file="$RAGGED_T/log/audit.jsonl" tag="ragged-audit" freshStartTail="off")
action(type="omfwd" target="127.0.0.1" port="$port" protocol="tcp"
       tcp_framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
EOC
	"$rs" -n -f "$w/recv.conf" -i "$w/recv.pid" > "$w/recv.log" 2>&1 &
	rp=$!
	"$rs" -n -f "$w/send.conf" -i "$w/send.pid" > "$w/send.log" 2>&1 &
	sp=$!
	pd=$(make_plugin ship-probe)
	ctl plugin install --accept-risk "$pd" > /dev/null
	ctl run ship-probe -- read "$RAGGED_T/secret.txt" connect 127.0.0.1:9 > /dev/null 2>&1
	# everything written so far must arrive, in order
	ctl audit show > /dev/null
	want=$(wc -l < "$RAGGED_T/log/audit.jsonl")
	i=0
	while [ "$(wc -l < "$w/received.jsonl" 2> /dev/null || echo 0)" -lt "$want" ] && [ $i -lt 600 ]; do
		sleep 0.1; i=$((i + 1))
	done
	kill $sp $rp 2> /dev/null; wait $sp $rp 2> /dev/null
	head -n "$want" "$RAGGED_T/log/audit.jsonl" > "$w/sent.jsonl"
	head -n "$want" "$w/received.jsonl" > "$w/got.jsonl" 2> /dev/null
	if cmp -s "$w/sent.jsonl" "$w/got.jsonl"; then
		pass "all $want records arrived byte for byte"
	else
		fail "records differ after shipping ($(wc -l < "$w/got.jsonl" 2>/dev/null) of $want lines)"
		diff "$w/sent.jsonl" "$w/got.jsonl" | head -5 | sed 's/^/    | /'
		sed 's/^/    | /' "$w/send.log" "$w/recv.log" | head -10
	fi
	ctl audit verify --file "$w/got.jsonl" > "$w/verify.out" 2>&1
	expect_rc $? 0 "the shipped copy verifies as a hash chain"
}

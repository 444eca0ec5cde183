#!/bin/sh
# vmtest/guest-systemd.sh — the systemd mode's test (vmtest/run.sh --systemd).
# systemd is PID 1 on pure cgroup v2 and runs this as ragged-vmtest.service
# (root). The product was installed by `make install DESTDIR=<root>
# PREFIX=/usr` on the host; this drives it the way an operator does:
# systemctl daemon-reload/start, a plugin run as an ordinary user that is
# denied a file and a connect, the audit records, journalctl -u raggedd, a
# restart and a crash with a live run, systemctl stop, and what is left.
#
# Results go to the results channel (ttyS1) as in guest-init.sh: opened on a
# private descriptor, the device node removed, closed for every child. Then
# the VM stops through isa-debug-exit.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C
umask 022

# shellcheck source=vmtest/guest-results.sh
. /ragged/vmtest/guest-results.sh

# pass/fail/expect_line/wait_until/pids_of of the integration suite
# shellcheck disable=SC1091,SC2034  # the guest path; T_CUR is used by lib.sh
. /ragged/tests/integration/lib.sh
ctl() { raggedctl "$@" 9>&-; }
T_CUR=systemd
USER_ID=1000
asuser() { setpriv --reuid=$USER_ID --regid=$USER_ID --init-groups "$@" 9>&-; }
UNIT_CG=/sys/fs/cgroup/system.slice/raggedd.service
LOG=/var/log/ragged/audit.jsonl
T=/run/vmtest-systemd
mkdir -p $T
finish() {
	echo "systemd: $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	echo "vmtest: unit states: $(systemctl list-units --failed --no-legend 9>&- | tr '\n' ';')"
	rc=0; [ "$T_FAIL" -eq 0 ] && [ "$T_SKIP" -eq 0 ] || rc=1
	result "rc=$rc"
	result "summary=systemd: $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	result "passed=$T_PASS"
	result "failed=$T_FAIL"
	result "skipped=$T_SKIP"
	result "stray_processes=0"
	result "taint_after=$(cat /proc/sys/kernel/tainted)"
	result "uptime_at_end=$(cut -d' ' -f1 /proc/uptime)"
	result "end"
	exec 9>&-
	sync
	# exec: guest-exit acts only for PID 1 or its direct child (this service)
	exec /ragged/vmtest/guest-exit "$rc"
}

echo "vmtest: kernel $(uname -r); cmdline $(cat /proc/cmdline)"

# --- the system ---------------------------------------------------------
[ "$(readlink /proc/1/exe)" = /usr/lib/systemd/systemd ] && pass "systemd is PID 1" ||
	fail "PID 1 is $(readlink /proc/1/exe)"
if [ "$(awk '$2 == "/sys/fs/cgroup" {print $3}' /proc/mounts)" = cgroup2 ] &&
	! awk '$3 == "cgroup" {f = 1} END {exit !f}' /proc/mounts; then
	pass "pure cgroup v2"
else
	fail "cgroup mounts: $(grep cgroup /proc/mounts | tr '\n' ';')"
fi
grep -qw bpf /sys/kernel/security/lsm && pass "bpf is an active LSM" ||
	fail "active LSMs: $(cat /sys/kernel/security/lsm)"

# --- what make install put in place --------------------------------------
for f in /usr/sbin/raggedd /usr/bin/raggedctl /usr/lib/systemd/system/raggedd.service \
	/etc/ragged/agent.toml /usr/share/man/man8/raggedd.8; do
	[ -e "$f" ] && pass "installed $f" || fail "not installed: $f"
done
expect_line /usr/lib/systemd/system/raggedd.service '^ExecStart=/usr/sbin/raggedd ' "the unit starts the installed agent"

# --- start ---------------------------------------------------------------
systemctl daemon-reload 9>&-
expect_rc $? 0 "systemctl daemon-reload"
echo "vmtest: mounts: $(grep -E ' /sys/fs/(bpf|cgroup) ' /proc/self/mountinfo | tr '\n' ';')"
systemctl start raggedd 9>&-
expect_rc $? 0 "systemctl start raggedd (returns once the agent said READY=1)"
if [ "$(systemctl is-active raggedd 9>&-)" != active ]; then
	# everything below needs the service: say why it is not up, and end
	systemctl stop raggedd 9>&-
	journalctl -u raggedd --no-pager -o cat 9>&- | tail -n 20 | sed 's/^/    | /'
	fail "the service did not start; the rest is not run"
	finish
fi
systemctl show raggedd -p Type -p ActiveState -p SubState -p StatusText > $T/show 9>&-
expect_line $T/show '^Type=notify$' "Type=notify"
expect_line $T/show '^ActiveState=active$' "the service is active"
expect_line $T/show '^StatusText=enforcement bpf-lsm$' "its status text names the mode"
mainpid() { systemctl show raggedd -p MainPID --value 9>&-; }
pid=$(mainpid)
echo "vmtest: the agent's /sys mounts: $(grep -E ' /sys(/fs/[a-z]*)? ' "/proc/$pid/mountinfo" | cut -d' ' -f5,6 | tr '\n' ';')"
[ "$(mode)" = bpf-lsm ] && pass "raggedctl status: bpf-lsm" || fail "raggedctl status: enforcement '$(mode)'"
grep -qx "0::/system.slice/raggedd.service/raggedd.agent" "/proc/$pid/cgroup" &&
	pass "the agent moved itself into the leaf raggedd.agent" || fail "agent cgroup: $(cat "/proc/$pid/cgroup")"
# The unit's hardening is in force on the agent (its children inherit it).
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status" && pass "the agent runs with no_new_privs" ||
	fail "NoNewPrivileges= not in force: $(grep NoNewPrivs "/proc/$pid/status")"
awk '$5 == "/usr" && $6 ~ /(^|,)ro(,|$)/ {f = 1} END {exit !f}' "/proc/$pid/mountinfo" &&
	pass "/usr is read-only for the agent (ProtectSystem=)" || fail "/usr is writable for the agent"
awk '$5 == "/proc/sys" && $6 ~ /(^|,)ro(,|$)/ {f = 1} END {exit !f}' "/proc/$pid/mountinfo" &&
	pass "/proc/sys is read-only for the agent (ReadOnlyPaths=)" || fail "/proc/sys is writable for the agent"

# --- a plugin run as an ordinary user -------------------------------------
echo "top secret" > /srv/secret.txt; chmod 644 /srv/secret.txt	# DAC allows it
mkdir -p /home/raggedtest/Documents
echo "granted document" > /home/raggedtest/Documents/doc.txt
chown -R $USER_ID:$USER_ID /home/raggedtest
RAGGED_T=$T
RAGGED_BUILD=/ragged/build
mkdir -p $T/plugins; chmod 755 $T $T/plugins
d=$(make_plugin sysprobe '[permissions]' 'required = ["write:documents"]')
# plugins are installed per user: the user who runs them installs them
asuser raggedctl plugin install --accept-risk "$d" > $T/install.out 2>&1
expect_rc $? 0 "raggedctl plugin install (as the user)"
hog_dir=$T/plugins/syshog
mkdir -p $hog_dir; cp /ragged/build/plugins/hog $hog_dir/
printf '[plugin]\nname = "syshog"\nversion = "1.0.0"\ntype = "command"\nentry = ["./hog"]\n' > $hog_dir/plugin.toml
chmod 755 $hog_dir
asuser raggedctl plugin install --accept-risk "$hog_dir" > /dev/null 2>&1 || fail "install syshog"

port=20517
/ragged/build/plugins/probe listen "127.0.0.1:$port" > $T/listen.out 2>&1 9>&- &
lpid=$!
wait_until 300 tcp_listening $port || fail "the test listener did not start"
asuser raggedctl run --yes sysprobe -- read /home/raggedtest/Documents/doc.txt \
	write /home/raggedtest/Documents/out.txt creat @S/scratch.txt read /srv/secret.txt \
	connect "127.0.0.1:$port" cgroup - exit 7 > $T/run.out 2>&1
expect_rc $? 7 "the run ends with the plugin's exit status"
expect_line $T/run.out '^read /home/raggedtest/Documents/doc.txt -> ok$' "a granted document is readable (no ProtectHome=)"
expect_line $T/run.out '^write /home/raggedtest/Documents/out.txt -> ok$' "and writable (no ProtectSystem=strict)"
expect_line $T/run.out '^creat .*/scratch.txt -> ok$' "the run's scratch space is writable"
expect_line $T/run.out '^read /srv/secret.txt -> EACCES$' "a file outside the grants is denied"
expect_line $T/run.out "^connect 127.0.0.1:$port -> EPERM$" "a connect without network permission is denied"
expect_line $T/run.out '^cgroup 0::/system.slice/raggedd.service/ragged/run-' \
	"the run's cgroup is a sibling of the agent's leaf under raggedd.service"
kill $lpid 2> /dev/null; wait $lpid 2> /dev/null

# --- its records ------------------------------------------------------------
ctl --format json audit show > $T/audit.out 2>&1
expect_rc $? 0 "raggedctl audit show"
expect_line $T/audit.out '"event":"permission_violation".*"plugin":"sysprobe".*"/srv/secret.txt"' "the file denial is recorded"
expect_line $T/audit.out "\"event\":\"permission_violation\".*\"plugin\":\"sysprobe\".*\"address\":\"127.0.0.1\",\"port\":$port" \
	"the connect denial is recorded"
expect_line $T/audit.out '"event":"plugin_failed".*"plugin":"sysprobe"|"event":"plugin_executed".*"plugin":"sysprobe"' "the run has a closing record"
ctl audit verify > $T/verify.out 2>&1
expect_rc $? 0 "the hash chain verifies"

# --- the agent's own diagnostics in the journal ------------------------------
journalctl -u raggedd --no-pager -o cat > $T/journal.out 2>&1 9>&-
expect_line $T/journal.out '^raggedd: ready: enforcement bpf-lsm|^ready: enforcement bpf-lsm' "journalctl -u raggedd shows the agent's diagnostics"
no_line $T/journal.out '^<[0-7]>' "the priority prefixes are read by journald, not printed"
journalctl -u raggedd --no-pager -o cat -p notice > $T/journal-p.out 2>&1 9>&-
expect_line $T/journal-p.out 'ready: enforcement' "with their syslog priority (-p notice)"

# --- restart with a live run --------------------------------------------------
run_cgroups() { find $UNIT_CG/ragged -maxdepth 1 -name 'run-*' -type d 2> /dev/null; }
live_run() { # live_run OUT: a run that sleeps, as the ordinary user, until it has started
	T_AUDIT_MARK=$(wc -l < $LOG)
	asuser raggedctl run syshog -- sleep 600 > "$1" 2>&1 &
	cpid=$!
	# cheap conditions only: TCG makes a scan of /proc take seconds
	wait_until 600 run_started || fail "the long run did not start: $(cat "$1")"
}
run_started() {
	tail -n +$((T_AUDIT_MARK + 1)) $LOG | grep -q '"event":"plugin_loaded".*"plugin":"syshog"' &&
		[ -n "$(run_cgroups)" ]
}
live_run $T/restart.out
systemctl restart raggedd 9>&-
expect_rc $? 0 "systemctl restart raggedd"
wait "$cpid"; rc=$?
[ "$rc" -ne 0 ] && pass "the client of the live run learns it ended (exit $rc)" || fail "the client exited 0"
[ -z "$(pids_of "hog sleep 600")" ] && pass "the stopping agent ended its live run" || fail "the run outlived the restart"
grep -q '"event":"plugin_failed".*"plugin":"syshog"' $LOG && pass "the ended run has a closing record" ||
	fail "no closing record for the run ended by the restart"
[ -z "$(run_cgroups)" ] && pass "no run cgroup left after restart" || fail "run cgroups left: $(run_cgroups)"
[ "$(systemctl is-active raggedd 9>&-)" = active ] && pass "active again after restart" || fail "not active after restart"
asuser raggedctl run sysprobe -- read /srv/secret.txt > $T/after.out 2>&1
expect_line $T/after.out '^read /srv/secret.txt -> EACCES$' "the restarted agent enforces"

# --- a crash with a live run: restarted by systemd, the dead run accounted for
live_run $T/crash.out
oldpid=$(mainpid)
kill -9 "$oldpid"
wait "$cpid"; rc=$?
[ "$rc" -ne 0 ] && pass "the client of the live run learns its agent died (exit $rc)" || fail "the client exited 0"
newpid() { p=$(mainpid); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$oldpid" ] &&
	[ "$(systemctl is-active raggedd 9>&-)" = active ]; }
# Restart=on-failure, RestartSec=2
# RestartSec=2, then the agent's start-up (seconds under TCG): 3 minutes
# of guest time at most, however slow each look is
wait_secs() { # wait_secs S CMD...: run CMD until it succeeds, for S seconds of uptime
	_end=$(( $(cut -d. -f1 /proc/uptime) + $1 )); shift
	until "$@"; do
		[ "$(cut -d. -f1 /proc/uptime)" -ge "$_end" ] && return 1
		sleep 0.5
	done
}
if wait_secs 180 newpid; then
	pass "systemd restarted the killed agent (Restart=on-failure)"
else
	fail "no new agent: $(systemctl show raggedd -p ActiveState -p SubState -p NRestarts 9>&- | tr '\n' ' ')"
	journalctl -u raggedd --no-pager -o cat 9>&- | tail -n 30 | sed 's/^/    | /'
fi
[ -z "$(pids_of "hog sleep 600")" ] && pass "the dead agent's run is not running any more" || fail "the orphaned run still runs"
# systemd SIGKILLs what is left in the unit's cgroup when the main process
# dies (KillMode=mixed) and removes the emptied run cgroups before the
# restart; the new agent must still close the dead agent's run in the log.
if tail -n +$((T_AUDIT_MARK + 1)) $LOG | grep -q '"event":"plugin_failed".*"plugin":"syshog".*agent stopped during the run'; then
	pass "the new agent accounted for the dead agent's run"
else
	fail "no closing record for the dead agent's run; its records since the run started:"
	tail -n +$((T_AUDIT_MARK + 1)) $LOG | grep '"plugin":"syshog"\|"event":"agent_' | cut -c1-300 | sed 's/^/    | /'
fi
[ -z "$(run_cgroups)" ] && pass "no run cgroup left after the crash" || fail "run cgroups left: $(run_cgroups)"
ctl audit verify > $T/verify2.out 2>&1
expect_rc $? 0 "the hash chain verifies across the crash"

# --- stop: nothing left ------------------------------------------------------
systemctl stop raggedd 9>&-
expect_rc $? 0 "systemctl stop raggedd"
[ "$(systemctl is-active raggedd 9>&-)" = inactive ] && pass "inactive after stop" ||
	fail "after stop: $(systemctl is-active raggedd 9>&-)"
[ -z "$(run_cgroups)" ] && [ ! -e $UNIT_CG ] && pass "no run cgroup left (raggedd.service's cgroup is gone)" ||
	fail "cgroups left: $(find $UNIT_CG -type d 2>/dev/null | tr '\n' ' ')"
[ ! -e /sys/fs/bpf/ragged ] && pass "no pins left in bpffs" ||
	fail "pins left: $(ls -R /sys/fs/bpf/ragged | tr '\n' ' ')"
if grep -q ' /var/lib/ragged' /proc/self/mountinfo || [ -n "$(ls /var/lib/ragged/runs 2>/dev/null)" ]; then
	fail "scratch left: $(grep ' /var/lib/ragged' /proc/self/mountinfo) $(ls /var/lib/ragged/runs)"
else
	pass "no scratch mount or directory left"
fi
left=$(pids_of raggedd; pids_of "hog sleep"; pids_of plugins/probe)
[ -z "$left" ] && pass "no process left" || fail "processes left: $left"
tail -n 1 $LOG | grep -q '"event":"agent_stopped"' && pass "the log ends with agent_stopped" ||
	fail "last record: $(tail -n 1 $LOG | cut -c1-200)"

finish

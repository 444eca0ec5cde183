# shellcheck shell=sh
# Shared helpers for the integration tests. POSIX sh: the same files run
# natively and inside the vmtest guests (busybox sh).
#
# A test is a shell function named t_<name> in a t_*.sh file. It calls
# pass/fail/skip (or the expect_* helpers) and returns. skip needs a reason;
# inside vmtest (RAGGED_IN_VM=1) a skipped BPF-LSM test counts as a failure.

T_PASS=0
T_FAIL=0
T_SKIP=0
T_CUR=""

pass() { T_PASS=$((T_PASS + 1)); echo "ok - $T_CUR${1:+: $1}"; }
fail() { T_FAIL=$((T_FAIL + 1)); echo "not ok - $T_CUR: $1"; }
skip() { T_SKIP=$((T_SKIP + 1)); echo "skip - $T_CUR: $1"; }

# expect_line FILE PATTERN DESC: a line of FILE matches the extended regex.
expect_line() {
	if grep -Eq -- "$2" "$1"; then pass "$3"; else
		fail "$3 (no line matching '$2' in:)"; sed 's/^/    | /' "$1" | head -20
	fi
}
no_line() {
	if grep -Eq -- "$2" "$1"; then
		fail "$3 (unexpected line matching '$2')"; grep -E -- "$2" "$1" | head -5 | sed 's/^/    | /'
	else pass "$3"; fi
}
expect_rc() { # expect_rc GOT WANT DESC
	if [ "$1" -eq "$2" ]; then pass "$3"; else fail "$3 (exit status $1, want $2)"; fi
}

ctl() { "$RAGGED_BUILD/raggedctl" "$@"; }

# Audit records appended since mark_audit was called.
mark_audit() { T_AUDIT_MARK=$(wc -l < "$RAGGED_T/log/audit.jsonl" 2>/dev/null || echo 0); }
new_audit() {
	# The writer is in-process and synchronous, but the ring buffer drain is
	# asynchronous: records for a finished run are in before its exit reply.
	tail -n +"$((T_AUDIT_MARK + 1))" "$RAGGED_T/log/audit.jsonl"
}

# audit_valid PATH WHAT: every record of an audit log (a file, or a log
# directory with its rotated files) matches docs/audit-schema.json; a
# violation fails with the record and the schema path. Call it for every
# log a test's own agent wrote, once that agent has stopped. Needs Debian's
# python3 with python3-jsonschema (make deps; vmtest copies both into the
# guests, so there a missing one is a failure, not a skip).
audit_valid() {
	_py=/usr/bin/python3
	if [ ! -x "$_py" ] || ! "$_py" -c "import jsonschema" 2>/dev/null; then
		if [ "${RAGGED_IN_VM:-0}" = 1 ]; then fail "$2: no python3 with jsonschema in the guest"
		else skip "$2: no Debian python3 with jsonschema here (make deps installs it)"; fi
		return
	fi
	"$_py" "$RAGGED_ROOT/tests/integration/audit_check.py" "$RAGGED_ROOT/docs/audit-schema.json" \
		"$1" > "$RAGGED_T/audit_check.out" 2>&1
	_rc=$?
	_sum=$(tail -1 "$RAGGED_T/audit_check.out")
	if [ "$_rc" -eq 0 ]; then pass "$2: every record matches docs/audit-schema.json ($_sum)"; else
		fail "$2: records that do not match docs/audit-schema.json ($_sum):"
		sed 's/^/    | /' "$RAGGED_T/audit_check.out" | head -40
	fi
}

# make_plugin NAME [TOML-LINES...]: a plugin dir with the probe binary.
# probe carries the escape-attempt operations (ptrace, mount, bpf...), so
# validation rightly blocks it: tests install it with --accept-risk, the
# explicit, audited override (t_validation.sh checks the block itself).
make_plugin() {
	name=$1; shift
	d="$RAGGED_T/plugins/$name"
	rm -rf "$d"; mkdir -p "$d"
	cp "$RAGGED_BUILD/plugins/probe" "$d/probe"
	{
		printf '[plugin]\nname = "%s"\nversion = "1.0.0"\ntype = "command"\n' "$name"
		printf 'entry = ["./probe"]\n'
		for l in "$@"; do printf '%s\n' "$l"; done
	} > "$d/plugin.toml"
	chmod 755 "$d"; chmod 644 "$d/plugin.toml"
	echo "$d"
}

mode() { ctl --format json status | sed -n 's/.*"enforcement":"\([a-z-]*\)".*/\1/p'; }

# A free TCP port on loopback, different per call.
T_PORT=20000
next_port() { T_PORT=$((T_PORT + 1)); echo $((T_PORT + $$ % 2000)); }

# pids_of STRING: processes whose command line contains STRING (busybox has
# no reliable pgrep -f across versions).
pids_of() {
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = "$$" ] && continue
		{ tr '\000' ' ' < "$p/cmdline"; } 2>/dev/null | grep -qF -- "$1" && echo "${p#/proc/}"
	done
}

# hog_plugin NAME LIMIT-LINES...: install the hog test plugin with [limits].
# sock_decisions allow|deny: the agent's count of sock_create decisions (its
# finished runs' and its live ones'), from its metrics.
sock_decisions() {
	ctl --format prometheus status | awk -v d="$1" '
		$1 == "ragged_decisions_total{hook=\"sock_create\",mechanism=\"cgroup-bpf\",decision=\"" d "\"}" {n = $2}
		END {print n + 0}'
}

hog_plugin() { # hog_plugin NAME LIMIT-LINES...
	_hn=$1; shift
	_hd="$RAGGED_T/plugins/$_hn"
	rm -rf "$_hd"; mkdir -p "$_hd"
	cp "$RAGGED_BUILD/plugins/hog" "$_hd/hog"
	{
		printf '[plugin]\nname = "%s"\nversion = "1.0.0"\ntype = "command"\nentry = ["./hog"]\n' "$_hn"
		printf '[limits]\n'
		for l in "$@"; do printf '%s\n' "$l"; done
	} > "$_hd/plugin.toml"
	chmod 755 "$_hd"
	ctl plugin install --replace "$_hd" > /dev/null || fail "install $_hn"
}

# audit_sums LINE: the audit arithmetic of a run's closing record, as
# k (kernel_audited) l (records_logged) s (records_suppressed)
# x (records_lost) d (kernel_denied).
audit_sums() {
	k=$(echo "$1" | sed -n 's/.*"kernel_audited":\([0-9]*\).*/\1/p')
	l=$(echo "$1" | sed -n 's/.*"records_logged":\([0-9]*\).*/\1/p')
	s=$(echo "$1" | sed -n 's/.*"records_suppressed":\([0-9]*\).*/\1/p')
	x=$(echo "$1" | sed -n 's/.*"records_lost":\([0-9]*\).*/\1/p')
	d=$(echo "$1" | sed -n 's/.*"kernel_denied":\([0-9]*\).*/\1/p')
}

# Waits are on conditions, never fixed sleeps: a loaded machine (or TCG)
# makes any fixed delay too short some day.
# wait_until TENTHS CMD...: run CMD every 0.1 s until it succeeds; 1 if it
# never did within TENTHS tenths of a second.
wait_until() {
	_wt=$1; shift
	while ! "$@"; do
		[ "$_wt" -le 0 ] && return 1
		sleep 0.1; _wt=$((_wt - 1))
	done
	return 0
}
# tcp_listening PORT: something listens on 127.0.0.1:PORT (/proc/net/tcp, state 0A).
tcp_listening() {
	grep -q "^ *[0-9]*: 0100007F:$(printf '%04X' "$1") [0-9A-F]*:0000 0A" /proc/net/tcp
}
# audit_has REGEX: a record appended since mark_audit matches.
audit_has() { new_audit | grep -Eq -- "$1"; }
# proc_runs PID STRING: process PID exists and its command line contains STRING.
proc_runs() { { tr '\000' ' ' < "/proc/$1/cmdline"; } 2>/dev/null | grep -qF -- "$2"; }
# file_has FILE REGEX
file_has() { grep -Eq -- "$2" "$1" 2>/dev/null; }

# test_user_add NAME: a local account for a test (no home, no login shell);
# test_user_del NAME removes it. The vmtest guests have no shadow tools: there
# the account is a line in the initramfs's own /etc/passwd and /etc/group.
test_user_add() {
	id "$1" > /dev/null 2>&1 && test_user_del "$1"	# a leftover of an interrupted run
	if command -v useradd > /dev/null 2>&1; then
		# Another program may hold the passwd lock a moment: try again then.
		wait_until 50 useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin --user-group "$1"
	else
		_tu=61000
		while cut -d: -f3 /etc/passwd | grep -qx "$_tu" || cut -d: -f3 /etc/group | grep -qx "$_tu"; do
			_tu=$((_tu + 1))
		done
		echo "$1:x:$_tu:$_tu:ragged test:/nonexistent:/bin/false" >> /etc/passwd &&
			echo "$1:x:$_tu:" >> /etc/group
	fi
}
test_user_del() {
	if command -v userdel > /dev/null 2>&1; then
		wait_until 50 userdel "$1"
		groupdel "$1" 2>/dev/null
	else
		sed -i "/^$1:/d" /etc/passwd /etc/group
	fi
	! id "$1" > /dev/null 2>&1
}

# shellcheck shell=sh
# The escape surface: one named test per attempt, each made by the real probe
# plugin inside the sandbox, asserting the exact errno (or the kill) AND the
# audit record. The same tests run natively (landlock mode) and in the vmtest
# guests (bpf-lsm mode); where the two modes stop an attempt with different
# mechanisms, the expected record differs and the test says which applies.
# docs/security-model.md has the table of every attempt and its mechanism.
#
# Tests named t_escape_lsm_* check the BPF-LSM layer alone: a process placed
# into a run's cgroup by root, without the seccomp filter and as root where
# that matters, so only the LSM hooks stand in the way (defence in depth).

# run.sh uses "set -u": every variable is set here, so a failed setup ends
# one test, not the runner (which would leave its agent behind).
ESC_READY="" ESC_DIR="" ESC_MODE="" ESC_SECRET="" ESC_RC=0 ESC_BATCH_RC=0
ESC_SLEEPER="" ESC_PS="" ESC_PS_ALIVE=0 ESC_CG="" ESC_DROP=""
# esc_setup: the plugin, a secret outside every rule, the mode.
esc_setup() {
	[ -n "$ESC_READY" ] && return 0
	ESC_DIR=$(make_plugin escape)
	ctl plugin install --accept-risk "$ESC_DIR" > /dev/null || { fail "install the escape plugin"; return 1; }
	ESC_MODE=$(mode)
	# The plugin's user (nobody) could read it: only the sandbox stands in the way.
	mkdir -p "$RAGGED_T/private"
	echo "secret" > "$RAGGED_T/private/secret"
	chown -R 65534:65534 "$RAGGED_T/private"; chmod 755 "$RAGGED_T/private"
	chmod 644 "$RAGGED_T/private/secret"
	ESC_SECRET="$RAGGED_T/private/secret"
	ESC_READY=1
}

# esc_run OPS...: run the plugin; output, its new audit records, exit status.
esc_run() {
	mark_audit
	ctl run escape -- "$@" > "$RAGGED_T/esc.out" 2>&1
	ESC_RC=$?
	new_audit > "$RAGGED_T/esc.rec"
}

# by_mode LANDLOCK-VALUE BPF-LSM-VALUE
by_mode() { if [ "$ESC_MODE" = landlock ]; then echo "$1"; else echo "$2"; fi; }
# Where the filter's refusals are reported: the syscall tracepoint in
# landlock mode, the exit of __seccomp_filter in bpf-lsm mode.
seccomp_hook() { by_mode sys_exit seccomp_filter; }

# esc_errno OP ARG ERRNO: the plugin printed "OP ARG -> ERRNO".
esc_errno() { expect_line "$RAGGED_T/esc.out" "^$1 $2 -> $3\$" "$1 $2 fails with $3"; }

# esc_record EVENT PATTERN: exactly one EVENT record of the run, matching PATTERN.
esc_record() {
	n=$(grep -c "\"event\":\"$1\"" "$RAGGED_T/esc.rec")
	if grep "\"event\":\"$1\"" "$RAGGED_T/esc.rec" | grep -Eq -- "$2" && [ "$n" -eq 1 ]; then
		pass "one $1 record ($2)"
	else
		fail "want exactly one $1 record matching '$2', have $n:"
		grep '"event":"\(sandbox_escape_attempt\|permission_violation\)"' "$RAGGED_T/esc.rec" |
			head -5 | sed 's/^/    | /'
	fi
}

# Calls the seccomp filter refuses in both modes are tried in two runs (a
# plugin run costs seconds under the vmtest TCG emulator); each test then
# checks its own line and its own record: the record's "arg" tells attempts
# on the same syscall apart. At most 5 attempts per syscall go in one run:
# the agent's flood control logs the first 5 records of an event per second
# and only counts the rest (events_suppressed). The fexecve attempt comes
# last: if it worked, it would replace the probe.
ESC_BATCH=""
esc_batch() {
	[ -n "$ESC_BATCH" ] && return 0
	esc_setup || return 1
	esc_run unshare ipc unshare uts unshare cgroup unshare time
	mv "$RAGGED_T/esc.out" "$RAGGED_T/esc-batch.out"
	mv "$RAGGED_T/esc.rec" "$RAGGED_T/esc-batch.rec"
	esc_run ptrace "$AGENT_PID" mount /tmp umount / fsopen tmpfs open_tree / chroot /tmp \
		pivot_root /tmp unshare user unshare mnt unshare net unshare pid \
		clone user clone net clone parent clone3 user setns - \
		bpf - perf - init_module - finit_module /etc/passwd kexec - keyctl - add_key - \
		userfaultfd - io_uring - syslog - open_by_handle - handle "$ESC_SECRET" \
		socket 17,3,0 socket 16,3,0 socket 2,3,1 socket 0x100000011,3,0 \
		ioctl 0x5412 ioctl 0x100005412 ioctl 0x541c ioctl 0x8901 personality 0x40000 \
		memfd_exec fexecve
	ESC_BATCH_RC=$ESC_RC
	cat "$RAGGED_T/esc.out" >> "$RAGGED_T/esc-batch.out"
	cat "$RAGGED_T/esc.rec" >> "$RAGGED_T/esc-batch.rec"
	ESC_BATCH=1
}

# esc_seccomp OP ARG SYSCALL [ARG-IN-RECORD [ERRNO]]: refused by the filter,
# exactly one record of it.
esc_seccomp() {
	esc_batch || return
	expect_line "$RAGGED_T/esc-batch.out" "^$1 $2 -> ${5:-EPERM}\$" "$1 $2 fails with ${5:-EPERM}"
	pat="\"hook\":\"$(seccomp_hook)\",\"mechanism\":\"seccomp\".*\"syscall\":\"$3\""
	[ -n "${4:-}" ] && pat="$pat,\"syscall_nr\":[0-9]+,\"arg\":$4,"
	n=$(grep '"event":"sandbox_escape_attempt"' "$RAGGED_T/esc-batch.rec" | grep -Ec -- "$pat")
	if [ "$n" -eq 1 ]; then pass "one sandbox_escape_attempt record ($3${4:+ arg $4})"; else
		fail "want one sandbox_escape_attempt record matching '$pat', have $n"; fi
}

# A process outside any run, as the plugin's user, so the user's own rights
# would allow what the sandbox must refuse.
esc_sleeper() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$ESC_DIR/probe" sleep 60 \
		> /dev/null 2>&1 &
	ESC_SLEEPER=$!
	wait_until 300 proc_runs "$ESC_SLEEPER" "probe sleep" || fail "the outside process did not start"
}
esc_sleeper_stop() { kill "$ESC_SLEEPER" 2>/dev/null; wait "$ESC_SLEEPER" 2>/dev/null; }

# In the VM every test of the BPF-LSM layer must run: a skip there is a failure.
esc_skip() { if [ "${RAGGED_IN_VM:-0}" = 1 ]; then fail "skipped in the VM: $1"; else skip "$1"; fi; }

# --- another process --------------------------------------------------------

t_escape_ptrace_agent() { esc_seccomp ptrace "$AGENT_PID" ptrace 16; }

# Attempts on a process outside any run, as the plugin's own user, in one run.
# Yama runs before the BPF LSM and refuses ATTACH checks itself at
# ptrace_scope 1 (hiding pidfd_getfd from our hook): scope 0 meanwhile.
ESC_PBATCH=""
esc_pbatch() {
	[ -n "$ESC_PBATCH" ] && return 0
	esc_setup || return 1
	yama=/proc/sys/kernel/yama/ptrace_scope; old=""
	[ -w "$yama" ] && old=$(cat "$yama") && echo 0 > "$yama"
	esc_sleeper
	ESC_PS=$ESC_SLEEPER
	esc_run ptrace "$ESC_PS" vmread "$ESC_PS" pidfd_getfd "$ESC_PS" read "/proc/$ESC_PS/mem" \
		signal "$ESC_PS" fsetown "$ESC_PS" renice "$ESC_PS"
	kill -0 "$ESC_PS" 2>/dev/null && ESC_PS_ALIVE=1 || ESC_PS_ALIVE=0
	esc_sleeper_stop
	[ -n "$old" ] && echo "$old" > "$yama"
	mv "$RAGGED_T/esc.out" "$RAGGED_T/esc-p.out"
	mv "$RAGGED_T/esc.rec" "$RAGGED_T/esc-p.rec"
	ESC_PBATCH=1
}
esc_precord() { # EVENT PATTERN DESC
	n=$(grep "\"event\":\"$1\"" "$RAGGED_T/esc-p.rec" | grep -Ec -- "$2")
	if [ "$n" -eq 1 ]; then pass "one $1 record: $3"; else
		fail "want one $1 record matching '$2', have $n"; fi
}

t_escape_ptrace_same_user() {
	esc_pbatch || return
	expect_line "$RAGGED_T/esc-p.out" "^ptrace $ESC_PS -> EPERM\$" "ptrace fails with EPERM"
	esc_precord sandbox_escape_attempt '"mechanism":"seccomp".*"syscall":"ptrace"' "seccomp"
}

t_escape_process_vm_readv() {
	esc_pbatch || return
	expect_line "$RAGGED_T/esc-p.out" "^vmread $ESC_PS -> EPERM\$" "process_vm_readv fails with EPERM"
	esc_precord sandbox_escape_attempt '"mechanism":"seccomp".*"syscall":"process_vm_readv"' "seccomp"
}

# Not in the filter: Landlock's ptrace rule (landlock mode) or the
# ptrace_access_check hook (bpf-lsm). On 6.9+ kernels pidfds live on pidfs
# and pass the file_open hook, which has no rule for them: there pidfd_open
# itself is refused (docs/security-model.md, "pidfds").
t_escape_pidfd_getfd() {
	esc_pbatch || return
	if grep -q "^pidfd_open $ESC_PS -> EACCES\$" "$RAGGED_T/esc-p.out" && [ "$ESC_MODE" = bpf-lsm ]; then
		pass "pidfd_open fails with EACCES (pidfs file refused by file_open)"
		esc_precord permission_violation '"hook":"file_open".*"path":"anon_inode:\[pidfd\]"' "file_open"
		return
	fi
	expect_line "$RAGGED_T/esc-p.out" "^pidfd_getfd $ESC_PS -> EPERM\$" "pidfd_getfd fails with EPERM"
	esc_precord sandbox_escape_attempt "$(by_mode '"mechanism":"landlock".*"syscall":"pidfd_getfd"' \
		"\"hook\":\"ptrace_access_check\".*\"target_pid\":$ESC_PS")" "$(by_mode landlock ptrace_access_check)"
}

t_escape_proc_pid_mem() {
	esc_pbatch || return
	expect_line "$RAGGED_T/esc-p.out" "^read /proc/$ESC_PS/mem -> EACCES\$" "reading its memory fails with EACCES"
	esc_precord permission_violation "\"path\":\"/proc/$ESC_PS/mem\"" "the path"
}

t_escape_kill_outside_batch() {
	esc_pbatch || return
	abi=$(ctl --format json status | sed -n 's/.*"landlock_abi":\([0-9]*\).*/\1/p')
	if [ "$ESC_MODE" = landlock ] && [ "${abi:-0}" -lt 6 ]; then
		skip "Landlock ABI ${abi:-?} < 6 has no signal scoping (docs/security-model.md)"; return
	fi
	expect_line "$RAGGED_T/esc-p.out" "^signal $ESC_PS -> EPERM\$" "kill fails with EPERM"
	esc_precord sandbox_escape_attempt "$(by_mode '"mechanism":"landlock".*"syscall":"kill"' \
		"\"hook\":\"task_kill\".*\"signal\":15,.*\"target_pid\":$ESC_PS")" "$(by_mode landlock task_kill)"
	[ "$ESC_PS_ALIVE" = 1 ] && pass "the process outside lives" || fail "the signal reached the process outside the run"
}

# F_SETOWN aims SIGIO (or any signal, with F_SETSIG) at another process,
# past task_kill: the filter refuses it in both modes.
t_escape_sigio_owner() {
	esc_pbatch || return
	expect_line "$RAGGED_T/esc-p.out" "^fsetown $ESC_PS -> EPERM\$" "F_SETOWN fails with EPERM"
	esc_precord sandbox_escape_attempt '"mechanism":"seccomp".*"syscall":"fcntl","syscall_nr":72,"arg":8,' "seccomp"
}

# Refused by the filter in both modes (only the caller itself, target 0);
# the task_setnice hook behind it is checked alone by t_escape_proc_lsm_setnice.
t_escape_renice_outside() {
	esc_pbatch || return
	expect_line "$RAGGED_T/esc-p.out" "^renice $ESC_PS -> EPERM\$" "setpriority fails with EPERM"
	esc_precord sandbox_escape_attempt "\"mechanism\":\"seccomp\".*\"syscall\":\"setpriority\".*\"target_pid\":$ESC_PS" "seccomp"
}

# /proc/<pid>/root is a magic link into another process's view: the lookup
# itself asks ptrace_may_access.
t_escape_proc_pid_root() {
	esc_setup || return
	esc_sleeper
	esc_run read "/proc/$ESC_SLEEPER/root/etc/passwd"
	esc_errno read "/proc/$ESC_SLEEPER/root/etc/passwd" EACCES
	esc_record "$(by_mode permission_violation sandbox_escape_attempt)" \
		"$(by_mode "\"path\":\"/proc/$ESC_SLEEPER/root/etc/passwd\"" \
			"\"hook\":\"ptrace_access_check\".*\"target_pid\":$ESC_SLEEPER")"
	esc_sleeper_stop
}

t_escape_proc_self_root() {
	esc_setup || return
	esc_run read "/proc/self/root$ESC_SECRET"
	esc_errno read "/proc/self/root$ESC_SECRET" EACCES
	esc_record permission_violation "\"path\":\"$(by_mode "/proc/self/root$ESC_SECRET" "$ESC_SECRET")\""
}

# Its own processes are the run's: a plugin signals its child (no lookup
# in bpf-lsm mode: the target is in the caller's cgroup), nothing recorded.
t_escape_kill_own_child() {
	esc_setup || return
	esc_run signal_child -
	expect_line "$RAGGED_T/esc.out" "^signal_child - -> ok\$" "SIGTERM to its own child is delivered"
	no_line "$RAGGED_T/esc.rec" '"event":"(permission_violation|sandbox_escape_attempt)"' \
		"no refusal recorded"
}

t_escape_kill_outside() {
	esc_setup || return
	abi=$(ctl --format json status | sed -n 's/.*"landlock_abi":\([0-9]*\).*/\1/p')
	if [ "$ESC_MODE" = landlock ] && [ "${abi:-0}" -lt 6 ]; then
		skip "Landlock ABI ${abi:-?} < 6 has no signal scoping (docs/security-model.md)"; return
	fi
	esc_sleeper
	esc_run signal "$ESC_SLEEPER"
	esc_errno signal "$ESC_SLEEPER" EPERM
	esc_record sandbox_escape_attempt "$(by_mode '"mechanism":"landlock".*"syscall":"kill"' \
		"\"hook\":\"task_kill\".*\"signal\":15,.*\"target_pid\":$ESC_SLEEPER")"
	if kill -0 "$ESC_SLEEPER" 2>/dev/null; then pass "the process outside lives"; else
		fail "the signal reached the process outside the run"; fi
	esc_sleeper_stop
}

# --- mounts, namespaces ------------------------------------------------------

t_escape_mount() { esc_seccomp mount /tmp mount; }
t_escape_umount() { esc_seccomp umount / umount2; }
t_escape_fsopen() { esc_seccomp fsopen tmpfs fsopen; }
t_escape_open_tree() { esc_seccomp open_tree / open_tree; }
t_escape_chroot() { esc_seccomp chroot /tmp chroot; }
t_escape_pivot_root() { esc_seccomp pivot_root /tmp pivot_root; }
t_escape_unshare_user() { esc_seccomp unshare user unshare $((0x10000000)); }
t_escape_unshare_mnt() { esc_seccomp unshare mnt unshare $((0x20000)); }
t_escape_unshare_net() { esc_seccomp unshare net unshare $((0x40000000)); }
t_escape_unshare_pid() { esc_seccomp unshare pid unshare $((0x20000000)); }
t_escape_unshare_ipc() { esc_seccomp unshare ipc unshare $((0x8000000)); }
t_escape_unshare_uts() { esc_seccomp unshare uts unshare $((0x4000000)); }
t_escape_unshare_cgroup() { esc_seccomp unshare cgroup unshare $((0x2000000)); }
t_escape_unshare_time() { esc_seccomp unshare time unshare $((0x80)); }
t_escape_clone_newuser() { esc_seccomp clone user clone $((0x10000000 | 17)); }
t_escape_clone_newnet() { esc_seccomp clone net clone $((0x40000000 | 17)); }
# CLONE_PARENT would make raggedd the parent of a plugin process.
t_escape_clone_parent() { esc_seccomp clone parent clone $((0x8000 | 17)); }

# clone3's flags are in memory, out of a filter's reach: always ENOSYS (libc
# falls back to clone), reported only when it asked for a namespace.
t_escape_clone3_newuser() { esc_seccomp clone3 user clone3 $((0x10000000)) ENOSYS; }

t_escape_setns() { esc_seccomp setns - setns 0; }

# Opening another process's namespace file is itself a ptrace-mode check.
t_escape_setns_proc_ns() {
	esc_setup || return
	esc_sleeper
	esc_run setns_path "/proc/$ESC_SLEEPER/ns/mnt"
	esc_errno setns_path "/proc/$ESC_SLEEPER/ns/mnt" EACCES
	esc_record "$(by_mode permission_violation sandbox_escape_attempt)" \
		"$(by_mode "\"path\":\"/proc/$ESC_SLEEPER/ns/mnt\"" '"hook":"ptrace_access_check"')"
	esc_sleeper_stop
}

# --- the kernel itself ---------------------------------------------------------

t_escape_bpf() { esc_seccomp bpf - bpf; }
t_escape_perf_event_open() { esc_seccomp perf - perf_event_open; }
t_escape_init_module() { esc_seccomp init_module - init_module; }
t_escape_finit_module() { esc_seccomp finit_module /etc/passwd finit_module; }
t_escape_kexec_load() { esc_seccomp kexec - kexec_load; }
t_escape_keyctl() { esc_seccomp keyctl - keyctl; }
t_escape_add_key() { esc_seccomp add_key - add_key; }
t_escape_userfaultfd() { esc_seccomp userfaultfd - userfaultfd; }
t_escape_io_uring() { esc_seccomp io_uring - io_uring_setup; }
t_escape_syslog() { esc_seccomp syslog - syslog; }
t_escape_open_by_handle() { esc_seccomp open_by_handle - open_by_handle_at; }
t_escape_name_to_handle() { esc_seccomp handle "$ESC_SECRET" name_to_handle_at; }

# --- sockets -------------------------------------------------------------------

t_escape_socket_packet() { esc_seccomp socket 17,3,0 socket 17; }	# AF_PACKET raw frames
t_escape_socket_netlink() { esc_seccomp socket 16,3,0 socket 16; }	# NETLINK_ROUTE
t_escape_socket_raw_inet() { esc_seccomp socket 2,3,1 socket 2; }	# raw ICMP
# An int argument with the upper half set must not slip past a 64-bit compare.
t_escape_socket_high_bits() { esc_seccomp socket 0x100000011,3,0 socket $((0x100000011)); }

# In a run's cgroup, sock_create is decided by the run's own program
# (ragged_sock_run, attached to that cgroup over the subtree's override
# attachment): every socket it allows is counted in the attachment's storage
# and reaches the run's counters exactly; what it refuses (MPTCP: an INET
# protocol that is neither TCP nor UDP) is refused, counted and recorded.
t_escape_socket_own_program() {
	esc_setup || return
	mptcp=0; [ "$(cat /proc/sys/net/mptcp/enabled 2>/dev/null)" = 1 ] && mptcp=1
	a0=$(sock_decisions allow); d0=$(sock_decisions deny)
	if [ $mptcp = 1 ]; then
		esc_run socket 2,1,0 socket 2,2,0 socket 10,1,0 socket 10,2,17 socket 2,1,6 socket 2,1,262
	else
		esc_run socket 2,1,0 socket 2,2,0 socket 10,1,0 socket 10,2,17 socket 2,1,6
	fi
	for op in "socket 2,1,0" "socket 2,2,0" "socket 10,1,0" "socket 10,2,17" "socket 2,1,6"; do
		expect_line "$RAGGED_T/esc.out" "^$op -> ok\$" "$op works"
	done
	a1=$(sock_decisions allow); d1=$(sock_decisions deny)
	if [ $((a1 - a0)) -eq 5 ]; then pass "the five sockets are five allowed decisions"
	else fail "allowed sock_create decisions went from $a0 to $a1, want +5"; fi
	if [ $mptcp = 1 ]; then
		esc_errno socket 2,1,262 EPERM
		esc_record permission_violation '"hook":"sock_create"'
		if [ $((d1 - d0)) -eq 1 ]; then pass "the MPTCP socket is one denied decision"
		else fail "denied sock_create decisions went from $d0 to $d1, want +1"; fi
	else
		skip "MPTCP is not enabled on this kernel (net.mptcp.enabled): no INET socket for sock_create to refuse"
	fi
	# Where each program is attached (bpftool: in the build's dependencies and the VM).
	if ! command -v bpftool > /dev/null; then esc_skip "no bpftool to list the attachments"; return; fi
	esc_holder || { fail "no holder run"; return; }
	bpftool cgroup show "$ESC_CG" > "$RAGGED_T/esc.att" 2>&1
	expect_line "$RAGGED_T/esc.att" "sock_create +ragged_sock_run" "the run's cgroup has its own sock_create program"
	bpftool cgroup show "$(dirname "$ESC_CG")" > "$RAGGED_T/esc.att" 2>&1
	expect_line "$RAGGED_T/esc.att" "sock_create +override +ragged_sock_create" \
		"the plugin subtree's sock_create program is attached to be overridden"
	esc_holder_stop
}

# --- terminal, personality -------------------------------------------------------

t_escape_tiocsti() { esc_seccomp ioctl 0x5412 ioctl $((0x5412)); }
t_escape_tiocsti_high_bits() { esc_seccomp ioctl 0x100005412 ioctl $((0x100005412)); }
t_escape_tioclinux() { esc_seccomp ioctl 0x541c ioctl $((0x541c)); }
# FIOSETOWN: the socket/pipe's SIGIO goes to a process of our choosing.
t_escape_fiosetown() { esc_seccomp ioctl 0x8901 ioctl $((0x8901)); }
t_escape_personality_no_aslr() { esc_seccomp personality 0x40000 personality $((0x40000)); }

# --- foreign ABIs: the filter kills --------------------------------------------------

esc_abi() { # OP ABI
	# A kernel without IA32 emulation (CONFIG_IA32_EMULATION off, or
	# ia32_emulation=0) has no int $0x80 entry: the instruction faults
	# (SIGSEGV) before any filter could see a syscall, sandbox or not. Check
	# outside the sandbox first. A seccomp test, not a BPF-LSM one: the skip
	# holds in the VMs too.
	if [ "$1" = int80 ]; then
		"$RAGGED_BUILD/plugins/probe" int80 - > /dev/null 2>&1
		_n=$?
		if [ $_n -ne 0 ]; then
			skip "this kernel has no IA32 emulation: int \$0x80 fails outside any sandbox too (exit $_n)"
			return
		fi
	fi
	esc_setup || return
	esc_run "$1" -
	expect_rc "$ESC_RC" 159 "$1: killed by SIGSYS (128+31)"
	esc_record sandbox_escape_attempt "\"result\":\"killed\".*\"hook\":\"signal_generate\".*\"abi\":\"$2\""
}
t_escape_int80() { esc_abi int80 i386; }
t_escape_x32() { esc_abi x32 x32; }

# --- code that no exec rule granted ------------------------------------------------------

t_escape_memfd_fexecve() {
	esc_seccomp memfd_exec fexecve execveat $((0x1000))
	expect_rc "$ESC_BATCH_RC" 0 "the memfd never ran (it would exit 42)"
}

# execve("/proc/self/fd/N"): no filter can see it. bpf-lsm: the exec never
# starts, file_open refuses to open the memfd by path (no rule matches
# /memfd:...). landlock: Landlock ignores memfds, so the monitor kills the new
# image before its first instruction.
t_escape_memfd_proc_exec() {
	esc_setup || return
	esc_run memfd_exec proc
	if [ "$ESC_MODE" = landlock ]; then
		expect_rc "$ESC_RC" 137 "killed by SIGKILL, never exits 42"
		esc_record sandbox_escape_attempt '"result":"killed".*"hook":"sched_process_exec".*"path":"memfd:payload"'
	else
		esc_errno memfd_exec proc EACCES
		expect_rc "$ESC_RC" 0 "the memfd never ran (it would exit 42)"
		esc_record permission_violation '"hook":"file_open".*"path":"/memfd:payload \(deleted\)"'
	fi
}

# Executable mappings: Landlock does not mediate mmap (a documented limit).
esc_map() { # OP PATH HOOK
	esc_setup || return
	if [ "$ESC_MODE" = landlock ]; then
		esc_skip "Landlock does not mediate executable mappings (docs/security-model.md)"; return
	fi
	esc_run "$1" "$2"
	esc_errno "$1" "$2" EPERM
	esc_record sandbox_escape_attempt "\"hook\":\"$3\".*\"path\":\"$4\""
}
t_escape_memfd_mmap_exec() { esc_map memfd_mmap - mmap_file "memfd:payload"; }
t_escape_mmap_exec_data() { esc_map mmap_exec /etc/passwd mmap_file /etc/passwd; }
t_escape_mprotect_exec_data() { esc_map mprotect_exec /etc/passwd file_mprotect /etc/passwd; }

# Fetched code in the scratch dir. The scratch dir is a noexec mount, and
# the kernel checks that before any LSM hook: in bpf-lsm mode no hook sees
# the attempt (no record); in landlock mode the monitor reports the EACCES.
t_escape_scratch_exec() {
	esc_setup || return
	esc_run scratch_exec -
	esc_errno scratch_exec - EACCES
	expect_rc "$ESC_RC" 0 "the fetched copy never ran (it would exit 42)"
	if [ "$ESC_MODE" = landlock ]; then
		esc_record permission_violation '"syscall":"execve".*"path":"[^"]*/fetched"'
	else
		no_line "$RAGGED_T/esc.rec" '"event":"(permission_violation|sandbox_escape_attempt)"' \
			"noexec mount: refused before any hook, no record (docs/security-model.md)"
	fi
}

# --- files by other roads -----------------------------------------------------------------

t_escape_proc_fd_reopen() {
	esc_setup || return
	esc_run opath_reopen "$ESC_SECRET"
	esc_errno opath_reopen "$ESC_SECRET" EACCES
	esc_record permission_violation "\"path\":\"$(by_mode '/proc/self/fd/[0-9]+' "$ESC_SECRET")\""
}

t_escape_openat2_resolve() {
	esc_setup || return
	esc_run openat2 "$ESC_SECRET"
	esc_errno openat2 "$ESC_SECRET" EACCES
	esc_record permission_violation "\"path\":\"$ESC_SECRET\""
}

# A writable document dir on the secret's file system, so a link or rename
# is not stopped by the mount boundary (EXDEV) before the sandbox decides.
esc_docs() {
	esc_setup || return 1
	ESC_DROP="$RAGGED_T/docs/esc-drop"
	mkdir -p "$ESC_DROP"; chmod 755 "$RAGGED_T/docs"; chown 65534:65534 "$ESC_DROP"
	rm -f "$ESC_DROP"/*
	[ -d "$RAGGED_T/plugins/escdocs" ] && return 0
	d=$(make_plugin escdocs '[permissions]' 'required = ["write:documents"]')
	ctl plugin install --accept-risk "$d" > /dev/null || { fail "install escdocs"; return 1; }
}
esc_docs_run() {
	mark_audit
	ctl run escdocs --yes -- "$@" > "$RAGGED_T/esc.out" 2>&1
	ESC_RC=$?
	new_audit > "$RAGGED_T/esc.rec"
}

# Fetched code in a writable documents dir: no exec rule there.
t_escape_exec_document() {
	esc_docs || return
	esc_docs_run copy_exec "$ESC_DROP"
	esc_errno copy_exec "$ESC_DROP" EACCES
	expect_rc "$ESC_RC" 0 "the fetched copy never ran (it would exit 42)"
	esc_record permission_violation "$(by_mode "\"syscall\":\"execve\".*\"path\":\"$ESC_DROP/fetched\"" \
		"\"hook\":\"bprm_check_security\".*\"path\":\"$ESC_DROP/fetched\",\"mode\":\"exec\"")"
}

t_escape_symlink() {
	esc_docs || return
	esc_docs_run symlink_read "$ESC_SECRET:$ESC_DROP/link"
	esc_errno symlink_read "$ESC_SECRET:$ESC_DROP/link" EACCES
	esc_record permission_violation "\"path\":\"$(by_mode "$ESC_DROP/link" "$ESC_SECRET")\""
}

# Landlock's rule, mirrored by path_link: a link must not gain access (EXDEV).
t_escape_hardlink() {
	esc_docs || return
	esc_docs_run link "$ESC_SECRET:$ESC_DROP/hard"
	esc_errno link "$ESC_SECRET:$ESC_DROP/hard" EXDEV
	esc_record permission_violation "$(by_mode '"syscall":"link"' '"hook":"path_link"').*\"path\":\"$ESC_SECRET\""
	[ ! -e "$ESC_DROP/hard" ] && pass "no link was made" || fail "the link exists"
}

# landlock mode: the write tree is a mount of its own in the plugin's
# read-only view (agent/daemon/fsview.c), so the rename fails with EXDEV as
# across file systems, before Landlock, and like every rename EXDEV it is not
# recorded (a rename within the read-only view is EROFS and recorded:
# t_fs_rename).
t_escape_rename() {
	esc_docs || return
	esc_docs_run rename "$ESC_SECRET:$ESC_DROP/moved"
	esc_errno rename "$ESC_SECRET:$ESC_DROP/moved" "$(by_mode EXDEV EACCES)"
	if [ "$ESC_MODE" = landlock ]; then
		no_line "$RAGGED_T/esc.rec" '"event":"permission_violation"' "no record for the EXDEV"
	else
		esc_record permission_violation "\"hook\":\"path_rename\".*\"path\":\"$ESC_SECRET\""
	fi
	[ -e "$ESC_SECRET" ] && pass "the secret stayed where it was" || fail "the secret was moved"
}

# A cgroup the plugin's user owns: writing our pid there would leave the run's
# cgroup and with it every cgroup-keyed BPF program.
t_escape_cgroup_procs() {
	esc_setup || return
	v2=$(awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $5; break } }' \
		/proc/self/mountinfo | head -1)
	cg="$v2/$TAG-esc"
	mkdir -p "$cg" && chown 65534:65534 "$cg" "$cg/cgroup.procs" || { fail "make $cg"; return; }
	esc_run writepid "$cg/cgroup.procs"
	# landlock mode: the cgroup file system is read-only in the plugin's view.
	esc_errno writepid "$cg/cgroup.procs" "$(by_mode EROFS EACCES)"
	esc_record permission_violation "\"path\":\"$cg/cgroup.procs\""
	rmdir "$cg"
}

# Descriptors over SCM_RIGHTS from a process outside the run: the caller
# hands the plugin a socket as its stdin and sends a secret's descriptor
# through it (connecting to an outside socket is refused on its own:
# t_escape_unix_named).
t_escape_scm_rights() {
	esc_setup || return
	if [ "$ESC_MODE" = landlock ]; then
		esc_skip "Landlock does not check received descriptors (docs/security-model.md)"; return
	fi
	mark_audit
	"$ESC_DIR/probe" fdpass "$ESC_SECRET" "$RAGGED_BUILD/raggedctl" \
		run escape -- recvfd - > "$RAGGED_T/esc.out" 2>&1
	new_audit > "$RAGGED_T/esc.rec"
	esc_errno recvfd - MSG_CTRUNC
	esc_record permission_violation "\"hook\":\"file_receive\".*\"path\":\"$ESC_SECRET\""
}

# --- what must keep working -----------------------------------------------------------------

t_escape_runtime_still_works() {
	esc_setup || return
	esc_run thread - fork - personality 0xffffffff socket 1,1,0 socket 2,2,0 socket 10,1,0
	for op in "thread -" "fork -" "personality 0xffffffff" "socket 1,1,0" "socket 2,2,0" "socket 10,1,0"; do
		expect_line "$RAGGED_T/esc.out" "^$op -> ok\$" "$op works under the filter"
	done
	no_line "$RAGGED_T/esc.rec" '"event":"sandbox_escape_attempt"' \
		"threads (clone3 -> ENOSYS -> clone) are not escape attempts"
}

# Every decision of every run above counted once: kernel == logged + suppressed + lost.
t_escape_counted_once() {
	esc_setup || return
	n=0
	grep -E '"event":"plugin_(executed|failed)".*"plugin":"esc(ape|docs)"' "$RAGGED_T/log/audit.jsonl" |
		sed -n 's/.*"kernel_audited":\([0-9]*\),"records_logged":\([0-9]*\),"records_suppressed":\([0-9]*\),"records_lost":\([0-9]*\).*/\1 \2 \3 \4/p' \
		> "$RAGGED_T/esc.counts"
	while read -r k l s o; do
		n=$((n + 1))
		[ "$k" -eq $((l + s + o)) ] || { fail "run $n: kernel $k != logged $l + suppressed $s + lost $o"; return; }
	done < "$RAGGED_T/esc.counts"
	[ "$n" -gt 0 ] && pass "$n runs: every kernel decision logged once" || fail "no run records"
}

# --- the BPF-LSM layer alone (bpf-lsm mode) ------------------------------------------------------
#
# A holder run sleeps; root moves an intruder into its cgroup. The intruder
# has no seccomp filter, so each attempt reaches the kernel and only the LSM
# hook refuses it. Its records belong to the holder run.

ESC_HOLDER=""
ESC_HOLDER_RUN="escape"	# the plugin (and options) of the holder run
esc_holder() {
	[ -n "$ESC_HOLDER" ] && kill -0 "$ESC_HOLDER" 2>/dev/null && return 0
	# shellcheck disable=SC2086
	ctl run $ESC_HOLDER_RUN -- sleep 30 > /dev/null 2>&1 &
	ESC_HOLDER=$!
	i=0; ESC_CG=""
	while [ -z "$ESC_CG" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
		ESC_CG=$(find /sys/fs/cgroup -maxdepth 8 -path "*/$TAG/run-*" -type d 2>/dev/null | head -1)
		[ -n "$ESC_CG" ] && [ -z "$(cat "$ESC_CG/cgroup.procs" 2>/dev/null)" ] && ESC_CG=""
	done
	[ -n "$ESC_CG" ]
}
esc_holder_stop() {
	[ -n "$ESC_HOLDER" ] || return 0
	for p in $(cat "$ESC_CG/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	wait "$ESC_HOLDER" 2>/dev/null; ESC_HOLDER=""
}

# esc_intrude AS OP ARG HOOK ERRNO: AS is root or nobody. The intruder is
# the holder run's plugin binary (file_open grants exactly that plugin dir).
ESC_INTRUDER=""
esc_intrude() {
	esc_setup || return
	[ -n "$ESC_INTRUDER" ] || ESC_INTRUDER="$ESC_DIR/probe"
	if [ "$ESC_MODE" = landlock ]; then
		esc_skip "the BPF-LSM layer is loaded in bpf-lsm mode only"; return
	fi
	esc_holder || { fail "no holder run"; return; }
	mark_audit
	as=""; [ "$1" = nobody ] && as="setpriv --reuid=65534 --regid=65534 --clear-groups"
	# shellcheck disable=SC2016
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$ESC_CG" \
		$as "$ESC_INTRUDER" "$2" "$3" > "$RAGGED_T/esc.out" 2>&1
	esc_errno "$2" "$3" "$5"
	# The intruder is not a run: its records are drained asynchronously.
	i=0
	while ! new_audit | grep -q "\"hook\":\"$4\"" && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	new_audit > "$RAGGED_T/esc.rec"
	esc_record sandbox_escape_attempt "\"hook\":\"$4\""
}

# (Should a hook fail to refuse, the mount is undone so nothing is left behind.)
t_escape_lsm_mount() {
	mkdir -p "$RAGGED_T/mnt"
	esc_intrude root mount "$RAGGED_T/mnt" sb_mount EPERM
	umount -l "$RAGGED_T/mnt" 2>/dev/null
}
t_escape_lsm_move_mount() {
	mkdir -p "$RAGGED_T/mnt"
	esc_intrude root move_mount "$RAGGED_T/mnt" move_mount EPERM
	umount -l "$RAGGED_T/mnt" 2>/dev/null
}
t_escape_lsm_userns() { esc_intrude root unshare user userns_create EPERM; }
t_escape_lsm_bpf() { esc_intrude root bpf - bpf EPERM; }
t_escape_lsm_finit_module() { esc_intrude root finit_module /etc/passwd kernel_read_file EPERM; }
t_escape_lsm_init_module() { esc_intrude root init_module - kernel_load_data EPERM; }
# The refused keyring search surfaces as ENOKEY (without the hook: success).
t_escape_lsm_keyctl() { esc_intrude nobody keyctl - key_permission ENOKEY; }
t_escape_lsm_ptrace() {
	esc_setup || return
	esc_sleeper
	esc_intrude root ptrace "$ESC_SLEEPER" ptrace_access_check EPERM
	esc_sleeper_stop
}
# A file unlinked after it was opened: bprm_check_security refuses a file
# with no name. The file lies in a write tree of the holder run (the unlink
# itself must be allowed: path_unlink refuses it in the read-only plugin dir)
# on a mount without noexec (unlike the scratch dir).
t_escape_lsm_exec_unlinked() {
	esc_setup || return
	esc_docs || return
	esc_holder_stop
	ESC_HOLDER_RUN="escdocs --yes"
	ESC_INTRUDER="$RAGGED_T/plugins/escdocs/probe"
	cp "$ESC_DIR/probe" "$ESC_DROP/victim"
	esc_intrude root exec_deleted "$ESC_DROP/victim" bprm_check_security EACCES
	rm -f "$ESC_DROP/victim"
	esc_holder_stop
	ESC_HOLDER_RUN="escape" ESC_INTRUDER="$ESC_DIR/probe"
}

# links_none: no link pinned in the agent's bpffs dir (no program on any hook).
links_none() { [ -z "$(ls -A "/sys/fs/bpf/$TAG/links" 2>/dev/null)" ]; }

# holder_asleep: every process of the holder run blocked in (clock_)nanosleep.
holder_asleep() {
	for p in $(cat "$ESC_CG/cgroup.procs" 2>/dev/null); do
		case $(cut -d' ' -f1 "/proc/$p/syscall" 2>/dev/null) in 35|230) ;; *) return 1 ;; esac
	done
}

# runs_of SNAP NAME: a program's run count in a bpfstats snapshot (0 if absent).
runs_of() { awk -v n="$2" '$3 == n {c += $4} END {print c + 0}' "$1"; }

# The hooks every process calls often (executable mappings at each exec and
# dlopen, signals) are lsm_cgroup programs on the plugin subtree: while a
# run exists they run for its processes, never for the rest of the machine
# (the kernel's own run counts, kernel.bpf_stats_enabled).
t_escape_hot_hooks_only_in_runs() {
	esc_setup || return
	if [ "$ESC_MODE" = landlock ]; then
		esc_skip "the BPF-LSM layer is loaded in bpf-lsm mode only"; return
	fi
	bs="$RAGGED_BUILD/bench/bpfstats"
	[ -x "$bs" ] || { fail "$bs missing: make test-bins builds it"; return; }
	esc_holder || { fail "no holder run"; return; }
	# The holder's own exec maps libraries too: wait until it sleeps.
	wait_until 100 holder_asleep || { fail "the holder run never went to sleep"; return; }
	stats=/proc/sys/kernel/bpf_stats_enabled; old=$(cat $stats); echo 1 > $stats
	"$bs" snap > "$RAGGED_T/st.0"
	for i in 1 2 3; do
		"$ESC_DIR/probe" mmap_exec /bin/sh mprotect_exec /bin/sh kill 0 > /dev/null 2>&1
	done
	"$bs" snap > "$RAGGED_T/st.1"
	# shellcheck disable=SC2016
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$ESC_CG" \
		"$ESC_DIR/probe" mmap_exec "$ESC_DIR/probe" mprotect_exec "$ESC_DIR/probe" kill 0 \
		> "$RAGGED_T/esc.out" 2>&1
	"$bs" snap > "$RAGGED_T/st.2"
	# The filter's refusals are reported at __seccomp_filter's exit, which
	# only tasks under a seccomp filter reach: a sandboxed plugin's calls.
	ctl run escape -- kill 0 > /dev/null 2>&1
	"$bs" snap > "$RAGGED_T/st.3"
	echo "$old" > $stats
	for p in ragged_mmap_fil ragged_file_mpr ragged_task_kil; do
		out=$(( $(runs_of "$RAGGED_T/st.1" $p) - $(runs_of "$RAGGED_T/st.0" $p) ))
		in=$(( $(runs_of "$RAGGED_T/st.2" $p) - $(runs_of "$RAGGED_T/st.1" $p) ))
		if [ "$out" -eq 0 ] && [ "$in" -gt 0 ]; then
			pass "$p: ran $in times for a process in a run, 0 for one outside"
		else
			fail "$p: ran $out times for processes outside any run (want 0), $in inside (want > 0)"
		fi
	done
	p=ragged_seccomp
	out=$(( $(runs_of "$RAGGED_T/st.1" $p) - $(runs_of "$RAGGED_T/st.0" $p) ))
	in=$(( $(runs_of "$RAGGED_T/st.3" $p) - $(runs_of "$RAGGED_T/st.2" $p) ))
	if [ "$out" -eq 0 ] && [ "$in" -gt 0 ]; then
		pass "$p: ran $in times for a sandboxed plugin's syscalls, 0 for a process without a filter"
	else
		fail "$p: ran $out times for processes without a seccomp filter (want 0), $in for a plugin (want > 0)"
	fi
}

# Every escape-surface program loaded and attached on this kernel while a run
# exists (a missing hook would only be logged by the agent, so the VMs check
# it here); none attached while no run exists, so processes outside runs
# pay nothing.
t_escape_programs_attached() {
	esc_setup || return
	esc_holder_stop
	if wait_until 100 links_none; then pass "no run: no program attached (no link pinned)"
	else fail "no run, yet links are pinned: $(ls "/sys/fs/bpf/$TAG/links" | tr '\n' ' ')"; fi
	esc_holder || { fail "no holder run"; return; }
	progs="$(by_mode ragged_sys_exit ragged_seccomp) ragged_seccomp_kill ragged_exec_anon ragged_bind4 ragged_bind6"
	# bpf-lsm mode: nothing on a syscall tracepoint (it would put every
	# process of the machine on the syscall tracing path while a run exists)
	if [ "$ESC_MODE" = bpf-lsm ]; then
		if [ -e "/sys/fs/bpf/$TAG/links/ragged_sys_exit" ]; then
			fail "bpf-lsm mode, yet the syscall tracepoint program is attached"
		else pass "bpf-lsm mode: no program on the syscall tracepoint"; fi
	fi
	# landlock mode: UNIX socket names, on kernels that have the hooks (6.7+)
	[ "$ESC_MODE" = landlock ] && ! grep -q "no cgroup connect_unix hook" "$RAGGED_T/agent.log" &&
		progs="$progs ragged_connect_unix ragged_sendmsg_unix"
	[ "$ESC_MODE" = bpf-lsm ] && progs="$progs ragged_unix_stream_connect ragged_unix_may_send
		ragged_ptrace ragged_task_kill ragged_sb_mount
		ragged_move_mount ragged_bpf ragged_kernel_read_file ragged_kernel_load_data
		ragged_userns_create ragged_bprm_check ragged_mmap_file ragged_file_mprotect
		ragged_file_receive ragged_key_permission ragged_uring_creds ragged_path_link
		ragged_path_rename ragged_task_setnice ragged_task_setscheduler ragged_task_setioprio
		ragged_path_unlink ragged_path_rmdir ragged_path_mkdir ragged_path_mknod
		ragged_path_symlink ragged_path_truncate ragged_path_chmod ragged_path_chown
		ragged_inode_setxattr ragged_inode_removexattr ragged_file_ioctl"
	# 6.2+: ftruncate and O_TRUNC have file_truncate (before: path_truncate),
	# POSIX ACLs their own hooks (before: the xattr hooks).
	old_kernel=0; uname -r | grep -q '^6\.[01]\.' && old_kernel=1
	[ "$ESC_MODE" = bpf-lsm ] && [ $old_kernel = 0 ] &&
		progs="$progs ragged_file_truncate ragged_inode_set_acl ragged_inode_remove_acl"
	# inode_setattr: one of two programs, by the hook's arguments on this kernel
	if [ "$ESC_MODE" = bpf-lsm ]; then
		if [ -e "/sys/fs/bpf/$TAG/links/ragged_inode_setattr" ]; then
			progs="$progs ragged_inode_setattr"
		else progs="$progs ragged_inode_setattr_noidmap"; fi
	fi
	n=0
	for p in $progs; do
		[ -e "/sys/fs/bpf/$TAG/links/$p" ] || { fail "no link pinned for $p"; esc_holder_stop; return; }
		n=$((n + 1))
	done
	pass "$n programs attached, links pinned"
	grep "has no LSM hook" "$RAGGED_T/agent.log" | { if [ $old_kernel = 1 ]; then
		grep -Ev 'hook (file_truncate|inode_set_acl|inode_remove_acl):'; else cat; fi
	} > "$RAGGED_T/missing-hooks"
	no_line "$RAGGED_T/missing-hooks" "has no LSM hook" "no escape hook missing on this kernel"
	esc_holder_stop	# the last test: end the LSM tests' holder run if one is left
	if wait_until 100 links_none; then pass "the last run ended: every program detached"
	else fail "links still pinned after the last run: $(ls "/sys/fs/bpf/$TAG/links" | tr '\n' ' ')"; fi
}

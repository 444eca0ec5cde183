# shellcheck shell=sh
# Other processes of the same user through non-signal paths: resource
# limits, priority, scheduling, CPU affinity and I/O priority of a process
# outside the run, and the SysV / POSIX IPC objects of outside processes.
# The kernel would allow all of it (same uid). Each attempt is made by the
# probe plugin; the test asserts the errno, exactly one record, and that the
# outside process is unchanged (read from /proc by root). The helpers of
# t_escape.sh (esc_setup, esc_sleeper, esc_intrude, ...) are shared.
# docs/security-model.md, "Other processes without signals", has the table.

EP_BATCH="" EP_PS="" EP_ALIVE=0 EP_BEFORE="" EP_AFTER="" EP_PTRACE_MODE_CALLS=0

# ep_state PID: what the attempts could change, one line per item.
ep_state() {
	grep -E '^Max (cpu time|open files|nice priority)' "/proc/$1/limits"
	# nice is field 19 of stat and the policy field 41: 17 and 39 after "pid (comm) "
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print "nice " $17; print "policy " $39 }'
	grep '^Cpus_allowed_list' "/proc/$1/status"
	"$ESC_DIR/probe" getioprio "$1"
}

# One run, every refused attempt against one sleeper of the plugin's user.
# At most 5 refusals per syscall (flood control folds the rest).
ep_batch() {
	[ -n "$EP_BATCH" ] && return 0
	esc_setup || return 1
	esc_sleeper
	EP_PS=$ESC_SLEEPER
	EP_BEFORE=$(ep_state "$EP_PS")
	esc_run prlimit "$EP_PS" prlimit_cpu "$EP_PS" prlimit_hi "$EP_PS" prlimit_read "$EP_PS" \
		setprio_user - setprio_self_pid - affinity "$EP_PS" setattr "$EP_PS" \
		setsched "$EP_PS" setparam "$EP_PS" ioprio "$EP_PS" ioprio_user - \
		move_pages "$EP_PS" robust_list "$EP_PS" sched_core "$EP_PS"
	EP_AFTER=$(ep_state "$EP_PS")
	EP_PTRACE_MODE_CALLS=$(grep -Ec "^(move_pages|robust_list|sched_core) $EP_PS -> EPERM\$" "$RAGGED_T/esc.out")
	kill -0 "$EP_PS" 2>/dev/null && EP_ALIVE=1 || EP_ALIVE=0
	esc_sleeper_stop
	mv "$RAGGED_T/esc.out" "$RAGGED_T/ep.out"
	mv "$RAGGED_T/esc.rec" "$RAGGED_T/ep.rec"
	EP_BATCH=1
}

# ep_refused OP ARG SYSCALL PATTERN: "OP ARG -> EPERM" and exactly one
# seccomp record of SYSCALL whose details also match PATTERN.
ep_refused() {
	ep_batch || return
	expect_line "$RAGGED_T/ep.out" "^$1 $2 -> EPERM\$" "$1 $2 fails with EPERM"
	pat="\"hook\":\"$(seccomp_hook)\",\"mechanism\":\"seccomp\".*\"syscall\":\"$3\",\"syscall_nr\":[0-9]+$4"
	n=$(grep '"event":"sandbox_escape_attempt"' "$RAGGED_T/ep.rec" | grep -Ec -- "$pat")
	if [ "$n" -eq 1 ]; then pass "one sandbox_escape_attempt record ($3$4)"; else
		fail "want one sandbox_escape_attempt record matching '$pat', have $n:"
		grep '"event":"sandbox_escape_attempt"' "$RAGGED_T/ep.rec" | head -14 | sed 's/^/    | /'
	fi
}

# ep_unchanged PATTERN DESC: the sleeper's line matching PATTERN is the same after the run.
ep_unchanged() {
	b=$(echo "$EP_BEFORE" | grep -E -- "$1") a=$(echo "$EP_AFTER" | grep -E -- "$1")
	if [ -n "$b" ] && [ "$b" = "$a" ]; then pass "$2 unchanged ($b)"; else
		fail "$2 changed or unreadable: before '$b', after '$a'"; fi
}

t_escape_proc_prlimit() {
	ep_batch || return
	ep_refused prlimit "$EP_PS" prlimit64 ",\"arg\":7,.*\"target_pid\":$EP_PS"
	ep_unchanged '^Max open files' "the outside process's open-file limit"
}

# A hard RLIMIT_CPU of one second: the kernel itself would SIGKILL the target.
t_escape_proc_rlimit_cpu() {
	ep_batch || return
	ep_refused prlimit_cpu "$EP_PS" prlimit64 ",\"arg\":0,.*\"target_pid\":$EP_PS"
	ep_unchanged '^Max cpu time' "the outside process's CPU limit"
	if [ "$EP_ALIVE" = 1 ]; then pass "the outside process survived"; else
		fail "the outside process died"; fi
}

# pid_t is an int: bit 32 set must not slip past a 64-bit comparison.
t_escape_proc_prlimit_high_bits() {
	ep_batch || return
	ep_refused prlimit_hi "$EP_PS" prlimit64 ",\"arg\":13,.*\"target_pid\":$EP_PS"
	ep_unchanged '^Max nice priority' "the outside process's nice limit"
}

# Reading another process's limits changes nothing: allowed, no record.
t_escape_proc_prlimit_read() {
	ep_batch || return
	expect_line "$RAGGED_T/ep.out" "^prlimit_read $EP_PS -> ok\$" "prlimit without a new limit works"
	# "prlimit" leaves one record with the same resource; the read adds none.
	n=$(grep -c '"syscall":"prlimit64","syscall_nr":302,"arg":7,' "$RAGGED_T/ep.rec")
	if [ "$n" -eq 1 ]; then pass "no record for the read"; else fail "$n prlimit64 records for RLIMIT_NOFILE, want 1"; fi
}

t_escape_proc_setpriority_user() {
	ep_refused setprio_user - setpriority ',"arg":2,'
	ep_unchanged '^nice ' "the outside process's nice value"
}

# The filter cannot know the caller's pid: naming itself by pid is refused
# too (0 works, t_escape_proc_self); a documented limit.
t_escape_proc_setpriority_own_pid() { ep_refused setprio_self_pid - setpriority ',"arg":0,'; }

t_escape_proc_sched_setaffinity() {
	ep_batch || return
	ep_refused affinity "$EP_PS" sched_setaffinity ".*\"target_pid\":$EP_PS"
	ep_unchanged '^Cpus_allowed_list' "the outside process's CPU affinity"
}

t_escape_proc_sched_setattr() {
	ep_batch || return
	ep_refused setattr "$EP_PS" sched_setattr ".*\"target_pid\":$EP_PS"
	ep_unchanged '^nice ' "the outside process's nice value"
}

t_escape_proc_sched_setscheduler() {
	ep_batch || return
	ep_refused setsched "$EP_PS" sched_setscheduler ".*\"target_pid\":$EP_PS"
	ep_refused setparam "$EP_PS" sched_setparam ".*\"target_pid\":$EP_PS"
	ep_unchanged '^policy ' "the outside process's scheduling policy"
}

t_escape_proc_ioprio() {
	ep_batch || return
	ep_refused ioprio "$EP_PS" ioprio_set ",\"arg\":1,.*\"target_pid\":$EP_PS"
	ep_refused ioprio_user - ioprio_set ',"arg":3,'
	ep_unchanged '^getioprio ' "the outside process's I/O priority"
}

# Calls under the kernel's ptrace-mode check (like process_madvise, kcmp,
# pidfd_getfd): Landlock's ptrace rule or the ptrace_access_check hook.
ep_ptrace_mode() { # OP SYSCALL
	ep_batch || return
	expect_line "$RAGGED_T/ep.out" "^$1 $EP_PS -> EPERM\$" "$1 fails with EPERM"
	if [ "$ESC_MODE" = landlock ]; then
		pat="\"hook\":\"sys_exit\",\"mechanism\":\"landlock\".*\"syscall\":\"$2\".*\"target_pid\":$EP_PS"
	else
		pat="\"hook\":\"ptrace_access_check\".*\"target_pid\":$EP_PS"
	fi
	n=$(grep '"event":"sandbox_escape_attempt"' "$RAGGED_T/ep.rec" | grep -Ec -- "$pat")
	# bpf-lsm: these calls meet the same hook, so each of them matches there.
	want=1; [ "$ESC_MODE" = landlock ] || want=$EP_PTRACE_MODE_CALLS
	if [ "$n" -eq "$want" ]; then pass "sandbox_escape_attempt record ($pat)"; else
		fail "want $want records matching '$pat', have $n"; fi
}
t_escape_proc_move_pages() { ep_ptrace_mode move_pages move_pages; }
t_escape_proc_robust_list() { ep_ptrace_mode robust_list get_robust_list; }
# Only on kernels with core scheduling (CONFIG_SCHED_CORE; else EINVAL).
t_escape_proc_sched_core() {
	ep_batch || return
	if grep -q "^sched_core $EP_PS -> EINVAL\$" "$RAGGED_T/ep.out"; then
		skip "no core scheduling in this kernel (PR_SCHED_CORE: EINVAL)"; return
	fi
	ep_ptrace_mode sched_core prctl
}

# What a process may do to itself keeps working, with no record.
t_escape_proc_self() {
	esc_setup || return
	esc_run self_sched -
	for s in setrlimit prlimit_self nice sched_yield affinity setsched ioprio getprio_other; do
		expect_line "$RAGGED_T/esc.out" "^self_sched $s -> ok\$" "$s on itself works"
	done
	no_line "$RAGGED_T/esc.rec" '"event":"sandbox_escape_attempt"' "no escape record"
}

# SysV shm, message queues, semaphores and a POSIX queue made by an outside
# process of the plugin's user: the run has an IPC namespace of its own, so
# none of them exists there, by key, id or name. Nothing is refused (there is
# nothing to refuse), so there is no record.
t_escape_proc_ipc_outside() {
	esc_setup || return
	key=$((0x5261 + $$ % 1000))
	setpriv --reuid=65534 --regid=65534 --clear-groups "$ESC_DIR/probe" ipcsrv "$key" \
		> "$RAGGED_T/ipcsrv.out" 2>&1 &
	srv=$!
	i=0
	while ! grep -q '^ipcsrv ids' "$RAGGED_T/ipcsrv.out" && kill -0 "$srv" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	ids=$(sed -n 's/^ipcsrv ids //p' "$RAGGED_T/ipcsrv.out")
	if [ -z "$ids" ]; then
		fail "the outside IPC helper did not start: $(cat "$RAGGED_T/ipcsrv.out")"
		kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null; return
	fi
	# shellcheck disable=SC2086
	set -- $ids
	# Mounted (as /dev/mqueue usually is), the outside queue has a path:
	# the file rules decide, and none grants it; the grant of the run's
	# own queues is for its own namespace's queue filesystem only.
	mkdir -p "$RAGGED_T/mq"; hostq=""
	mount -t mqueue none "$RAGGED_T/mq" && hostq="$RAGGED_T/mq/ragged-$key"
	esc_run shmget "$key" shmat "$1" msgget "$key" msgsnd "$2" semget "$key" semop "$3" \
		mq_open "ragged-$key" ${hostq:+read "$hostq"}
	# Still there for the user outside, untouched: no message queued, semaphore 0.
	msgq=$(awk -v id="$2" '$2 == id { print $5 }' /proc/sysvipc/msg)
	semv=$(awk -v id="$3" '$2 == id { print "sem" }' /proc/sysvipc/sem)
	kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null
	[ -n "$hostq" ] && umount "$RAGGED_T/mq"
	esc_errno shmget "$key" ENOENT
	esc_errno shmat "$1" EINVAL
	esc_errno msgget "$key" ENOENT
	esc_errno msgsnd "$2" EINVAL
	esc_errno semget "$key" ENOENT
	esc_errno semop "$3" EINVAL
	esc_errno mq_open "ragged-$key" ENOENT
	if [ -n "$hostq" ]; then
		esc_errno read "$hostq" EACCES
		esc_record permission_violation "\"path\":\"$hostq\""
	else
		esc_skip "no mqueue filesystem to mount"
	fi
	if [ "$msgq" = 0 ] && [ "$semv" = sem ]; then pass "the outside objects exist and are untouched"; else
		fail "outside message queue: '$msgq' messages, semaphore set: '$semv'"; fi
	if awk -v k="$key" '$1 == k' /proc/sysvipc/shm /proc/sysvipc/msg /proc/sysvipc/sem | grep -q .; then
		fail "the helper left IPC objects behind"; else pass "the helper removed its objects"; fi
	no_line "$RAGGED_T/esc.rec" '"event":"sandbox_escape_attempt"' "no escape record"
}

# The run's own processes share SysV and POSIX IPC objects as usual, in
# their own namespace.
t_escape_proc_ipc_own() {
	esc_setup || return
	esc_run ipc_own - mq_own -
	for s in shmget msgget semget semop shm msg; do
		expect_line "$RAGGED_T/esc.out" "^ipc_own $s -> ok\$" "own SysV $s works"
	done
	for s in mq_open mq mq_unlink; do
		expect_line "$RAGGED_T/esc.out" "^mq_own $s -> ok\$" "own POSIX $s works"
	done
	no_line "$RAGGED_T/esc.rec" '"result":"denied"' "nothing refused"
}

# The BPF-LSM layer alone (bpf-lsm mode): an intruder without the filter,
# placed in a run's cgroup, names an outside process by pid.
ep_intrude() { # OP HOOK-OPERATION
	esc_setup || return
	esc_sleeper
	esc_intrude nobody "$1" "$ESC_SLEEPER" "task_setnice/setscheduler/setioprio" EPERM
	[ "$ESC_MODE" = landlock ] || expect_line "$RAGGED_T/esc.rec" "\"operation\":\"$2\".*\"target_pid\":$ESC_SLEEPER" "the $2 hook refused it"
	esc_sleeper_stop
}
t_escape_proc_lsm_setnice() { ep_intrude renice setnice; }
t_escape_proc_lsm_setscheduler() { ep_intrude affinity setscheduler; }
t_escape_proc_lsm_setioprio() { ep_intrude ioprio setioprio; }

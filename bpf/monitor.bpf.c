// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Denial reporting for refusals that no BPF-LSM hook sees, in both modes.
 *
 * raw_tp/sys_exit (landlock mode; in bpf-lsm mode only on a kernel without
 * the seccomp function ragged_seccomp needs, see there) sees every syscall
 * exit. It drops it unless the result is EPERM/EACCES/ENOSYS (one compare:
 * the cost for tasks outside a run), then unless the task belongs to a run,
 * and then reports:
 *
 *  - calls the seccomp filter refused (agent/daemon/seccomp.c; bpf-lsm
 *    mode reports them from ragged_seccomp instead, with the same test).
 *    The filter cannot log, so this program re-evaluates the filter's own
 *    predicate (same table, include/ragged/syscalls.h) on the registers,
 *    which still hold the arguments at exit. A refusal is reported only when
 *    the task runs under a seccomp filter and the predicate holds, so it is
 *    exactly the filter's decision, counted once: the LSM hooks behind the
 *    filter never run for it. -> RAGGED_HOOK_SECCOMP.
 *  - landlock mode only: calls on another process that Landlock or the
 *    kernel refused (signals, pidfd_getfd, ...) -> RAGGED_HOOK_PROC_DENIED;
 *    and path syscalls refused with EACCES/EPERM, or a hard link refused
 *    with EXDEV (Landlock tells nobody but the caller) ->
 *    RAGGED_HOOK_SYSCALL_EXIT. In bpf-lsm mode the LSM hooks
 *    (file_open, escape.bpf.c) make and report those decisions themselves,
 *    so reporting them here too would count one decision twice.
 *  - landlock mode only: changes to files (names, contents, metadata) that
 *    failed with EROFS. The plugin's mount view is read-only outside its
 *    writable trees (agent/daemon/fsview.c); the kernel refuses there
 *    before Landlock is asked, so this is the one report of the refusal
 *    -> RAGGED_HOOK_READONLY_MOUNT, with the path given, or the path of
 *    the descriptor's file for the fd variants.
 *
 * Two more programs cover what ends a process instead of failing a call:
 *  - tp_btf/signal_generate: SIGSYS from seccomp = a foreign-ABI syscall
 *    (int 0x80, x32) killed the process -> RAGGED_HOOK_SECCOMP_KILL.
 *  - tp_btf/sched_process_exec: a run exec'd an anonymous file (memfd,
 *    unlinked): killed with SIGKILL before its first instruction (the
 *    signal is pending when exec returns to user space) ->
 *    RAGGED_HOOK_EXEC_ANON. In bpf-lsm mode bprm_check_security refuses
 *    the same exec earlier, so this only ever fires in landlock mode.
 *
 * Network denials come from net.bpf.c and are never reported here.
 */
#include "pathwalk.bpf.h"
#include "ragged/syscalls.h"

#define EXDEV 18
#define EROFS 30
#define ENOSYS 38
#define AF_UNIX 1
#define SIGKILL 9
#define SIGSYS 31
#define SYS_SECCOMP 1
#define SECCOMP_MODE_FILTER 2

/* Set by the loader before load: the agent's enforcement mode. */
const volatile __u32 landlock_mode = 0;
/* Set by the loader: the seccomp function ragged_seccomp is attached to
 * returns bool (true: permitted; kernels since 2025) rather than int (-1:
 * refused). */
const volatile __u32 seccomp_ret_bool = 0;

struct args {
	__u64 a0, a1, a2, a4;
};

/* Did the seccomp filter refuse this call? Mirrors seccomp.c exactly. */
static __always_inline int seccomp_refused(long nr, long ret, const struct args *a, __u64 *arg,
					   __u32 *target)
{
	__u32 lo;

	*arg = a->a0;
	switch (nr) {
#define NR(n, name) case n:
	RAGGED_SECCOMP_SELF_ONLY(NR)
#undef NR
		/* arg: setpriority/ioprio_set's "which", prlimit's resource,
		 * else the pid (all 64 bits); target: the pid named, if any. */
		if (nr == RAGGED_NR_SETPRIORITY || nr == RAGGED_NR_IOPRIO_SET) {
			if (a->a0 == (nr == RAGGED_NR_SETPRIORITY ? RAGGED_PRIO_PROCESS :
				      RAGGED_IOPRIO_WHO_PROCESS))
				*target = (__u32)a->a1;
		} else {
			*target = (__u32)a->a0;
			if (nr == RAGGED_NR_PRLIMIT64)
				*arg = a->a1;
		}
		return ret == -EPERM && ragged_self_only_refused(nr, a->a0, a->a1, a->a2);
#define NR(n, name) case n:
	RAGGED_SECCOMP_DENY(NR)
#undef NR
		return ret == -EPERM;
	case RAGGED_NR_CLONE:
		return ret == -EPERM && (a->a0 & RAGGED_CLONE_REFUSED);
	case RAGGED_NR_FCNTL:
		*arg = a->a1;
		lo = (__u32)a->a1;
		return ret == -EPERM && (lo == RAGGED_F_SETOWN || lo == RAGGED_F_SETOWN_EX);
	case RAGGED_NR_SOCKET:
		/* family in arg; the type goes with the record (report()) */
		return ret == -EPERM && ((a->a0 != 1 && a->a0 != 2 && a->a0 != 10) ||
			(a->a1 & RAGGED_SOCK_TYPE_MASK) == RAGGED_SOCK_RAW ||
			(a->a1 & RAGGED_SOCK_TYPE_MASK) == RAGGED_SOCK_PACKET);
	case RAGGED_NR_IOCTL:
		lo = (__u32)a->a1;
		*arg = a->a1;	/* all 64 bits: shows an attempt to slip past the filter */
		return ret == -EPERM && (lo == RAGGED_TIOCSTI || lo == RAGGED_TIOCLINUX ||
					 lo == RAGGED_FIOSETOWN || lo == RAGGED_SIOCSPGRP);
	case RAGGED_NR_PERSONALITY:
		return ret == -EPERM && (__u32)a->a0 != RAGGED_PERSONALITY_QUERY;
	case RAGGED_NR_EXECVEAT:
		*arg = a->a4;
		return ret == -EPERM && (a->a4 & RAGGED_AT_EMPTY_PATH);
	case RAGGED_NR_CLONE3: {
		/* Always ENOSYS; an escape attempt only if it asked for a
		 * namespace. The flags are the first field of clone_args. */
		__u64 flags = 0;

		if (ret != -ENOSYS)
			return 0;
		bpf_probe_read_user(&flags, sizeof(flags), (void *)a->a0);
		*arg = flags;
		return (flags & (RAGGED_CLONE_NEW_ALL | RAGGED_CLONE_PARENT)) != 0;
	}
	}
	return 0;
}

static __always_inline int proc_target(long nr)
{
	switch (nr) {
#define NR(n, name) case n:
	RAGGED_PROC_TARGET(NR)
#undef NR
		return 1;
	}
	return 0;
}

static __always_inline int path_arg(long nr)
{
	switch (nr) {
#define NR(n, name, which) case n: return which;
	RAGGED_PATH_SYSCALLS(NR)
#undef NR
	}
	return 0;
}

static __always_inline int fsmod_arg(long nr)
{
	switch (nr) {
#define NR(n, name, which) case n: return which;
	RAGGED_FSMOD_SYSCALLS(NR)
#undef NR
	}
	return 0;
}

/* upath: a path in the caller's memory; else kpath, one in the kernel's. */
static __always_inline void report_k(__u64 cgid, __u32 hook, long nr, long ret, __u64 arg,
				     __u32 target, const char *upath, const char *kpath,
				     const struct args *a)
{
	struct ragged_event *ev;

	account(cgid, hook, 1, 1, &ev);
	if (!ev)
		return;
	ev->kind = RAGGED_EV_SYSCALL_DENIED;
	ev->err = -ret;
	ev->access = nr;
	ev->arg = arg;
	ev->target_pid = target;
	if (nr == RAGGED_NR_SOCKET) {
		ev->family = (__u16)a->a0;
		ev->sock_type = (__u32)a->a1;
	}
	if (upath)
		bpf_probe_read_user_str(ev->path, sizeof(ev->path), upath);
	else if (kpath)
		bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), kpath);
	bpf_ringbuf_submit(ev, 0);
}

static __always_inline void report(__u64 cgid, __u32 hook, long nr, long ret, __u64 arg,
				   __u32 target, const char *upath, const struct args *a)
{
	report_k(cgid, hook, nr, ret, arg, target, upath, 0, a);
}

/* The path of the file open at descriptor fd of the current task, or 0. */
static __always_inline const char *fd_path(__u64 fd)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct esc_scratch *s = scratch_get();	/* put by the caller */
	struct file *f = 0;

	if (!s || fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f)
		return 0;
	return path_of(s, build_path(BPF_CORE_READ(f, f_path.mnt), BPF_CORE_READ(f, f_path.dentry), s));
}

/* A change refused by the read-only mount view (landlock mode). */
static __always_inline void report_readonly(__u64 cgid, long nr, long ret, const struct args *a,
					    __u64 dx)
{
	const char *upath = 0;
	char c = 0;
	__u16 family = 0;

	switch (fsmod_arg(nr)) {
	case RAGGED_PATH_ARG_DI:
		upath = (const char *)a->a0;
		break;
	case RAGGED_PATH_ARG_SI:
		upath = (const char *)a->a1;
		/* utimensat(fd, NULL), fchownat(fd, "", AT_EMPTY_PATH), ...: the fd's file */
		if (!upath || bpf_probe_read_user(&c, 1, upath) < 0 || !c)
			upath = 0;
		break;
	case RAGGED_PATH_ARG_DX:
		upath = (const char *)dx;
		break;
	case RAGGED_FD_ARG_DI:
		break;
	case RAGGED_SUN_ARG_SI:
		/* Only a socket name in the file system can meet a read-only mount. */
		if (bpf_probe_read_user(&family, sizeof(family), (void *)a->a1) < 0 ||
		    family != AF_UNIX)
			return;
		upath = (const char *)a->a1 + 2;
		break;
	default:
		return;
	}
	if (upath)
		report_k(cgid, RAGGED_HOOK_READONLY_MOUNT, nr, ret, 0, 0, upath, 0, a);
	else {
		report_k(cgid, RAGGED_HOOK_READONLY_MOUNT, nr, ret, 0, 0, 0, fd_path(a->a0), a);
		scratch_put();
	}
}

/*
 * bpf-lsm mode: the seccomp filter's refusals, seen where the filter ran.
 *
 * raw_tp/sys_exit has a cost for the whole machine: attaching any program
 * to a syscall tracepoint puts every task on the syscall tracing path, so
 * every syscall of every process pays while a run exists. In bpf-lsm mode
 * the monitor only reports the filter's refusals (the LSM hooks report
 * the rest), and those can be seen at the exit of the kernel's
 * __seccomp_filter(), which only tasks under a seccomp filter reach:
 * processes without one pay nothing. It returns -1 (false on kernels where
 * it returns bool) when the filter refused the call (the errno is already
 * in the return register; a kill never returns), so the same predicate as
 * at sys_exit decides what is ours.
 * The loader attaches it to __secure_computing() (the same result, one
 * call up) on a kernel whose BTF lacks __seccomp_filter, and keeps
 * sys_exit where neither is there. The landlock-mode hosts have no BPF
 * trampolines, and their monitor needs sys_exit anyway (Landlock and the
 * read-only mount tell only the caller): they keep it.
 */
SEC("fexit/__seccomp_filter")
int BPF_PROG(ragged_seccomp)
{
	struct task_struct *task;
	struct pt_regs *regs;
	struct args a;
	__u64 cgid, arg = 0, ret = 0;
	__u32 target = 0;
	long nr, err;

	/* The arguments differ between kernels and targets: the result
	 * through the helper, read at its own width (the register's upper
	 * bits are not the result's). */
	if (bpf_get_func_ret(ctx, &ret) < 0 ||
	    (seccomp_ret_bool ? (__u8)ret != 0 : (int)ret != -1))
		return 0;
	cgid = bpf_get_current_cgroup_id();
	if (!bpf_map_lookup_elem(&runs, &cgid))
		return 0;
	task = bpf_get_current_task_btf();
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	nr = BPF_CORE_READ(regs, orig_ax);
	err = BPF_CORE_READ(regs, ax);
	a.a0 = BPF_CORE_READ(regs, di);
	a.a1 = BPF_CORE_READ(regs, si);
	a.a2 = BPF_CORE_READ(regs, dx);
	a.a4 = BPF_CORE_READ(regs, r8);
	if (seccomp_refused(nr, err, &a, &arg, &target))
		report(cgid, RAGGED_HOOK_SECCOMP_ENTRY, nr, err, arg, target,
		       nr == 161 ? (const char *)a.a0 : 0, &a);
	return 0;
}

SEC("raw_tp/sys_exit")
int ragged_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	long ret = (long)ctx->args[1];
	struct task_struct *task;
	struct pt_regs *regs;
	struct args a;
	__u64 cgid, arg = 0;
	__u32 target = 0;
	long nr;
	int which;

	if (ret != -EACCES && ret != -EPERM && ret != -ENOSYS && ret != -EXDEV && ret != -EROFS)
		return 0;
	cgid = bpf_get_current_cgroup_id();
	if (!bpf_map_lookup_elem(&runs, &cgid))
		return 0;	/* not a plugin: none of our business */
	regs = (struct pt_regs *)ctx->args[0];
	nr = BPF_CORE_READ(regs, orig_ax);
	a.a0 = BPF_CORE_READ(regs, di);
	a.a1 = BPF_CORE_READ(regs, si);
	a.a2 = BPF_CORE_READ(regs, dx);
	a.a4 = BPF_CORE_READ(regs, r8);

	/* Only a task under a filter can have been refused by ours: a task
	 * placed in a run cgroup without it (tests of the LSM layer) gets
	 * its refusals reported by the LSM hooks instead. */
	task = (struct task_struct *)bpf_get_current_task();
	if (BPF_CORE_READ(task, seccomp.mode) == SECCOMP_MODE_FILTER &&
	    seccomp_refused(nr, ret, &a, &arg, &target)) {
		/* chroot is the one refused call with a path worth showing. */
		report(cgid, RAGGED_HOOK_SECCOMP, nr, ret, arg, target,
		       nr == 161 ? (const char *)a.a0 : 0, &a);
		return 0;
	}
	if (!landlock_mode || ret == -ENOSYS)
		return 0;
	if (ret == -EROFS) {
		report_readonly(cgid, nr, ret, &a, BPF_CORE_READ(regs, dx));
		return 0;
	}
	if (ret == -EPERM && nr == RAGGED_NR_PRCTL && (__u32)a.a0 == RAGGED_PR_SCHED_CORE &&
	    a.a2 != 0) {
		report(cgid, RAGGED_HOOK_PROC_DENIED, nr, ret, a.a0, (__u32)a.a2, 0, &a);
		return 0;
	}
	if (ret == -EPERM && proc_target(nr)) {
		/* kill/tkill/tgkill/...: a0 is the target (a pidfd for the
		 * pidfd_* calls, reported as 0 = unknown pid). Pages of the
		 * caller itself (pid 0) are refused only by the kernel's own
		 * capability check, not by Landlock: not reported. */
		target = nr == 424 || nr == 438 || nr == 440 ? 0 : (__u32)a.a0;
		if ((nr == RAGGED_NR_MIGRATE_PAGES || nr == RAGGED_NR_MOVE_PAGES) && a.a0 == 0)
			return 0;
		report(cgid, RAGGED_HOOK_PROC_DENIED, nr, ret, a.a1, target, 0, &a);
		return 0;
	}
	/* EXDEV: Landlock refuses a hard link that would gain access rights
	 * with EXDEV. link(2) across mounts fails the same way, but a plugin
	 * has little reason to try that; rename's EXDEV (mv across mounts)
	 * is everyday and not reported. */
	if (ret == -EXDEV && nr != 86 && nr != 265)
		return 0;
	which = path_arg(nr);
	if (!which)
		return 0;
	report(cgid, RAGGED_HOOK_SYSCALL_EXIT, nr, ret, 0, 0,
	       (const char *)(which == RAGGED_PATH_ARG_DI ? a.a0 :
			      which == RAGGED_PATH_ARG_SI ? a.a1 : BPF_CORE_READ(regs, dx)), &a);
	return 0;
}

/*
 * A seccomp kill (the filter's bad-ABI action) sends SIGSYS with si_code
 * SYS_SECCOMP to the offending task, in its own context. The siginfo holds
 * the syscall number and the AUDIT_ARCH of the ABI used.
 */
SEC("tp_btf/signal_generate")
int BPF_PROG(ragged_seccomp_kill, int sig, struct kernel_siginfo *info, struct task_struct *task)
{
	struct ragged_event *ev;
	__u64 cgid;

	if (sig != SIGSYS || !info || BPF_CORE_READ(info, si_code) != SYS_SECCOMP)
		return 0;
	cgid = bpf_get_current_cgroup_id();
	if (!bpf_map_lookup_elem(&runs, &cgid))
		return 0;
	account(cgid, RAGGED_HOOK_SECCOMP_KILL, 1, 1, &ev);
	if (!ev)
		return 0;
	ev->kind = RAGGED_EV_SYSCALL_DENIED;
	ev->access = BPF_CORE_READ(info, _sifields._sigsys._syscall);
	ev->arg = BPF_CORE_READ(info, _sifields._sigsys._arch);	/* AUDIT_ARCH_* */
	ev->target_pid = BPF_CORE_READ(task, tgid);
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

/*
 * Exec of an anonymous file: a memfd or an unlinked file. Landlock cannot
 * refuse it (memfds live on an internal mount it ignores), and in landlock
 * mode nothing else can make exec fail, so the new image is killed before
 * it runs. The name is the file's dentry ("memfd:NAME").
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(ragged_exec_anon, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct file *file = BPF_CORE_READ(bprm, file);
	struct ragged_event *ev;
	__u64 cgid = bpf_get_current_cgroup_id();
	int internal;

	if (!bpf_map_lookup_elem(&runs, &cgid) || !file)
		return 0;
	internal = BPF_CORE_READ(file, f_path.mnt, mnt_flags) & MNT_INTERNAL;
	if (!internal && BPF_CORE_READ(file, f_inode, i_nlink) != 0)
		return 0;
	bpf_send_signal(SIGKILL);
	account(cgid, RAGGED_HOOK_EXEC_ANON, 1, 1, &ev);
	if (!ev)
		return 0;
	ev->kind = RAGGED_EV_SYSCALL_DENIED;
	ev->access = 59;	/* execve (or execveat: the monitor cannot tell) */
	ev->err = 0;		/* nothing returned: the process is killed */
	ev->target_pid = BPF_CORE_READ(p, tgid);
	bpf_probe_read_kernel_str(ev->path, sizeof(ev->path),
				  BPF_CORE_READ(file, f_path.dentry, d_name.name));
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

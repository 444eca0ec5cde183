/* SPDX-License-Identifier: MIT */
/*
 * x86_64 syscall tables shared by the seccomp filter (agent/daemon/seccomp.c),
 * the denial monitor (bpf/monitor.bpf.c) and the audit naming
 * (agent/daemon/events.c), so the three can never disagree on what a number
 * is or on which calls the filter refuses. x86_64 only: the filter kills
 * every other ABI (i386 via int 0x80, x32), see seccomp.c.
 *
 * X(nr, name) lists; the reasons for each entry are in seccomp.c.
 */
#ifndef RAGGED_SYSCALLS_H
#define RAGGED_SYSCALLS_H

/*
 * Refused with EPERM whatever the arguments, one list per kind of thing the
 * call would do. RAGGED_SECCOMP_DENY_GROUPS(G) pairs each list with the
 * words a record uses for it (G(what, list), list(X)); the audit naming
 * (agent/daemon/events.c) takes its categories from here and nowhere else.
 */
#define RAGGED_DENY_PROC_ACCESS(X) \
	X(101, ptrace) X(310, process_vm_readv) X(311, process_vm_writev)
#define RAGGED_DENY_MOUNT(X) \
	X(165, mount) X(166, umount2) X(155, pivot_root) X(161, chroot) \
	X(428, open_tree) X(429, move_mount) X(430, fsopen) X(431, fsconfig) \
	X(432, fsmount) X(433, fspick) X(442, mount_setattr)
#define RAGGED_DENY_BPF_PERF(X) X(321, bpf) X(298, perf_event_open)
#define RAGGED_DENY_KERNEL_LOAD(X) \
	X(175, init_module) X(313, finit_module) X(176, delete_module) \
	X(246, kexec_load) X(320, kexec_file_load)
#define RAGGED_DENY_NAMESPACE(X) X(272, unshare) X(308, setns)
#define RAGGED_DENY_KEYRING(X) X(250, keyctl) X(248, add_key) X(249, request_key)
#define RAGGED_DENY_USERFAULTFD(X) X(323, userfaultfd)
#define RAGGED_DENY_IO_URING(X) X(425, io_uring_setup) X(426, io_uring_enter) X(427, io_uring_register)
#define RAGGED_DENY_FILE_HANDLE(X) X(303, name_to_handle_at) X(304, open_by_handle_at)
#define RAGGED_DENY_LEGACY(X) X(154, modify_ldt) X(134, uselib)
#define RAGGED_DENY_HOST_ADMIN(X) \
	X(163, acct) X(167, swapon) X(168, swapoff) X(169, reboot) \
	X(164, settimeofday) X(227, clock_settime) X(159, adjtimex) X(305, clock_adjtime) \
	X(103, syslog) X(179, quotactl) X(443, quotactl_fd) X(180, nfsservctl) \
	X(212, lookup_dcookie) X(153, vhangup) X(172, iopl) X(173, ioperm)

#define RAGGED_SECCOMP_DENY_GROUPS(G) \
	G("access to another process", RAGGED_DENY_PROC_ACCESS) \
	G("mount", RAGGED_DENY_MOUNT) \
	G("bpf or perf", RAGGED_DENY_BPF_PERF) \
	G("kernel module or image load", RAGGED_DENY_KERNEL_LOAD) \
	G("namespace", RAGGED_DENY_NAMESPACE) \
	G("keyring", RAGGED_DENY_KEYRING) \
	G("userfaultfd", RAGGED_DENY_USERFAULTFD) \
	G("io_uring", RAGGED_DENY_IO_URING) \
	G("open by file handle", RAGGED_DENY_FILE_HANDLE) \
	G("legacy kernel interface", RAGGED_DENY_LEGACY) \
	G("host administration", RAGGED_DENY_HOST_ADMIN)

/* All of them, X(nr, name): what the filter refuses and the monitor reports. */
#define RAGGED_SECCOMP_DENY(X) \
	RAGGED_DENY_PROC_ACCESS(X) RAGGED_DENY_MOUNT(X) RAGGED_DENY_BPF_PERF(X) \
	RAGGED_DENY_KERNEL_LOAD(X) RAGGED_DENY_NAMESPACE(X) RAGGED_DENY_KEYRING(X) \
	RAGGED_DENY_USERFAULTFD(X) RAGGED_DENY_IO_URING(X) RAGGED_DENY_FILE_HANDLE(X) \
	RAGGED_DENY_LEGACY(X) RAGGED_DENY_HOST_ADMIN(X)

/* Refused only for some arguments (see seccomp.c and monitor.bpf.c). */
#define RAGGED_NR_IOCTL 16
#define RAGGED_NR_FCNTL 72
#define RAGGED_NR_SOCKET 41
#define RAGGED_NR_CLONE 56
#define RAGGED_NR_PERSONALITY 135
#define RAGGED_NR_EXECVEAT 322
#define RAGGED_NR_CLONE3 435		/* always ENOSYS: libc falls back to clone */
#define RAGGED_SECCOMP_COND(X) \
	X(16, ioctl) X(41, socket) X(56, clone) X(72, fcntl) X(135, personality) \
	X(322, execveat) X(435, clone3)

/*
 * Calls that change a process named by pid, process group or user: nice
 * value, scheduling policy and parameters, CPU affinity, I/O priority,
 * resource limits. The kernel lets a user change all of their processes
 * this way (prlimit can even have the kernel kill one: a hard RLIMIT_CPU
 * sends SIGKILL), Landlock has no rule for them and a filter cannot tell
 * whose pid an argument is; so the filter refuses them unless they name the
 * caller itself, i.e. 0 (what libc's setrlimit, getrlimit and nice pass).
 * A caller naming itself by its own pid or tid is refused too. Reading
 * (prlimit with no new limit) stays allowed: it changes nothing.
 */
#define RAGGED_NR_SETPRIORITY 141
#define RAGGED_NR_IOPRIO_SET 251
#define RAGGED_NR_PRLIMIT64 302
#define RAGGED_PRIO_PROCESS 0
#define RAGGED_IOPRIO_WHO_PROCESS 1
#define RAGGED_SELF_ONLY_SCHED(X) X(142, sched_setparam) X(144, sched_setscheduler) X(314, sched_setattr)
#define RAGGED_SELF_ONLY_AFFINITY(X) X(203, sched_setaffinity)
#define RAGGED_SECCOMP_SELF_ONLY(X) \
	X(141, setpriority) RAGGED_SELF_ONLY_SCHED(X) RAGGED_SELF_ONLY_AFFINITY(X) \
	X(251, ioprio_set) X(302, prlimit64)
/* The words a record uses; setpriority, ioprio_set and prlimit64 depend on their arguments. */
#define RAGGED_SELF_ONLY_GROUPS(G) \
	G("scheduling of another process", RAGGED_SELF_ONLY_SCHED) \
	G("CPU affinity of another process", RAGGED_SELF_ONLY_AFFINITY)

/*
 * The filter's predicate for RAGGED_SECCOMP_SELF_ONLY calls (nr one of
 * them): refused unless the target is the caller. All 64 bits of each
 * argument are compared: pid_t and int are truncated by the kernel, so a
 * value with the upper half set is refused even when its lower half says 0.
 *   setpriority(which, who, nice): only PRIO_PROCESS, who 0
 *   ioprio_set(which, who, ioprio): only IOPRIO_WHO_PROCESS, who 0
 *   prlimit64(pid, resource, new, old): pid 0, or new NULL (a read)
 *   sched_set{param,scheduler,affinity,attr}(pid, ...): pid 0
 */
static __inline__ __attribute__((always_inline)) int
ragged_self_only_refused(long nr, unsigned long long a0, unsigned long long a1,
			 unsigned long long a2)
{
	switch (nr) {
	case RAGGED_NR_SETPRIORITY:
		return a0 != RAGGED_PRIO_PROCESS || a1 != 0;
	case RAGGED_NR_IOPRIO_SET:
		return a0 != RAGGED_IOPRIO_WHO_PROCESS || a1 != 0;
	case RAGGED_NR_PRLIMIT64:
		return a0 != 0 && a2 != 0;
	}
	return a0 != 0;
}

/*
 * Calls on another process that Landlock (signal scoping, ABI 6+; ptrace
 * domain rule) or the kernel refuses with EPERM: reported as escape
 * attempts in landlock mode, where no BPF-LSM hook sees them.
 */
#define RAGGED_PROC_TARGET(X) \
	X(62, kill) X(200, tkill) X(234, tgkill) X(129, rt_sigqueueinfo) \
	X(297, rt_tgsigqueueinfo) X(424, pidfd_send_signal) X(438, pidfd_getfd) \
	X(440, process_madvise) X(312, kcmp) X(256, migrate_pages) X(279, move_pages) \
	X(274, get_robust_list)
#define RAGGED_NR_MIGRATE_PAGES 256
#define RAGGED_NR_MOVE_PAGES 279
/* prctl(PR_SCHED_CORE, cmd, pid, ...) with pid != 0: also a ptrace-mode
 * check on the target; other prctl refusals are not about other processes. */
#define RAGGED_NR_PRCTL 157
#define RAGGED_PR_SCHED_CORE 62
#define RAGGED_PROC_TARGET_PRCTL(X) X(157, prctl)

/* Path-taking calls reported in landlock mode, and the argument holding the path. */
#define RAGGED_PATH_ARG_DI 1
#define RAGGED_PATH_ARG_SI 2
#define RAGGED_PATH_ARG_DX 3
#define RAGGED_PATH_SYSCALLS(X) \
	X(2, open, 1) X(4, stat, 1) X(6, lstat, 1) X(21, access, 1) X(59, execve, 1) \
	X(76, truncate, 1) X(80, chdir, 1) X(82, rename, 1) X(83, mkdir, 1) \
	X(84, rmdir, 1) X(85, creat, 1) X(86, link, 1) X(87, unlink, 1) \
	X(89, readlink, 1) X(90, chmod, 1) X(92, chown, 1) X(94, lchown, 1) \
	X(133, mknod, 1) X(88, symlink, 2) X(257, openat, 2) X(258, mkdirat, 2) \
	X(259, mknodat, 2) X(260, fchownat, 2) X(262, newfstatat, 2) X(263, unlinkat, 2) \
	X(264, renameat, 2) X(265, linkat, 2) X(267, readlinkat, 2) X(268, fchmodat, 2) \
	X(269, faccessat, 2) X(316, renameat2, 2) X(322, execveat, 2) X(437, openat2, 2) \
	X(439, faccessat2, 2) X(266, symlinkat, 3)

/*
 * Calls that change a file's name, contents or metadata, reported in
 * landlock mode when they fail with EROFS: the plugin's mount view is
 * read-only outside its writable trees (agent/daemon/fsview.c), so EROFS is
 * that refusal. Where the object is: a path argument (DI/SI/DX), a
 * descriptor (FD, in DI; also an *at call given a NULL or empty path), or
 * a UNIX socket address (SUN, in SI); ioctl: inode flags (chattr). access(2)
 * is not here: asking is not trying.
 */
#define RAGGED_FD_ARG_DI 4
#define RAGGED_SUN_ARG_SI 5
#define RAGGED_FSMOD_SYSCALLS(X) \
	X(2, open, 1) X(85, creat, 1) X(257, openat, 2) X(437, openat2, 2) \
	X(76, truncate, 1) X(77, ftruncate, 4) X(82, rename, 1) X(264, renameat, 2) \
	X(316, renameat2, 2) X(83, mkdir, 1) X(258, mkdirat, 2) X(84, rmdir, 1) \
	X(86, link, 1) X(265, linkat, 2) X(87, unlink, 1) X(263, unlinkat, 2) \
	X(88, symlink, 2) X(266, symlinkat, 3) X(133, mknod, 1) X(259, mknodat, 2) \
	X(90, chmod, 1) X(91, fchmod, 4) X(268, fchmodat, 2) X(452, fchmodat2, 2) \
	X(92, chown, 1) X(93, fchown, 4) X(94, lchown, 1) X(260, fchownat, 2) \
	X(132, utime, 1) X(235, utimes, 1) X(261, futimesat, 2) X(280, utimensat, 2) \
	X(188, setxattr, 1) X(189, lsetxattr, 1) X(190, fsetxattr, 4) \
	X(197, removexattr, 1) X(198, lremovexattr, 1) X(199, fremovexattr, 4) \
	X(463, setxattrat, 2) X(466, removexattrat, 2) X(49, bind, 5) X(16, ioctl, 4)

/* Bits of the conditional entries. */
#define RAGGED_CLONE_NEW_ALL 0x7e020080ULL	/* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME */
#define RAGGED_CLONE_PARENT 0x8000ULL
/* What clone(2) may not ask for: CLONE_NEWTIME is not expressible there (exit-signal byte). */
#define RAGGED_CLONE_REFUSED ((RAGGED_CLONE_NEW_ALL & ~0xffULL) | RAGGED_CLONE_PARENT)
#define RAGGED_F_SETOWN 8
#define RAGGED_F_SETOWN_EX 15
#define RAGGED_FIOSETOWN 0x8901
#define RAGGED_SIOCSPGRP 0x8902
#define RAGGED_TIOCSTI 0x5412
#define RAGGED_TIOCLINUX 0x541C
#define RAGGED_AT_EMPTY_PATH 0x1000
#define RAGGED_SOCK_TYPE_MASK 0xf
#define RAGGED_SOCK_RAW 3
#define RAGGED_SOCK_PACKET 10
#define RAGGED_PERSONALITY_QUERY 0xffffffffU

#endif

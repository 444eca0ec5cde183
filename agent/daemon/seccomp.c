// SPDX-License-Identifier: MIT
/*
 * Escape-surface syscall filter (libseccomp), installed in the child right
 * before exec, in BOTH enforcement modes. In landlock mode it is the only
 * thing between a plugin and the kernel's escape surface; in bpf-lsm mode
 * the LSM hooks of bpf/escape.bpf.c deny the same operations again behind
 * it (defence in depth: a filter bug or a new syscall does not open a hole
 * on its own, and the hooks also cover roads the filter cannot see, such as
 * /proc/<pid>/root or descriptors received over SCM_RIGHTS).
 *
 * Default allow, listed calls -> EPERM. An allow-list would be tighter, but
 * plugins are Python programs with native extensions whose syscall needs we
 * do not know; the escape surface, in contrast, is a short, stable list.
 * Every entry below says why it is on it. The numbers live in
 * include/ragged/syscalls.h, shared with bpf/monitor.bpf.c, which reports
 * each refusal as a sandbox_escape_attempt (the filter itself cannot log).
 *
 * ABI: the filter is for x86_64. Syscalls made through another ABI (i386
 * via int 0x80 or sysenter, x32 numbers) kill the process
 * (SCMP_ACT_KILL_PROCESS): their numbers differ, so an EPERM list for
 * x86_64 would not apply to them, and no plugin has a reason to use them.
 *
 * Argument filters compare register values, and the kernel truncates "int"
 * arguments to 32 bits. libseccomp's 64-bit comparisons would let
 * ioctl(fd, TIOCSTI | 1UL << 32) through, so 32-bit arguments are matched
 * with SCMP_CMP_MASKED_EQ and a 32-bit mask (upper half ignored), or with a
 * comparison that refuses whenever the upper half is set.
 *
 * The filter is compiled once (seccomp_prepare(), called by the agent at
 * start from bpf_load()) and the child only hands the finished program to
 * the kernel: compiling it per run would cost milliseconds of start time.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "agent.h"
#include "ragged/syscalls.h"
#include "seccomp.h"

#if !defined(__x86_64__)
#error "the escape-surface filter and include/ragged/syscalls.h are x86_64 only"
#endif

#define MAX_INSNS 4096			/* BPF_MAXINSNS */
/*
 * The filter as a binary tree of syscall numbers (libseccomp's
 * SCMP_FLTATR_CTL_OPTIMIZE=2), not libseccomp's default linear list. Per
 * syscall the two cost the same (the kernel skips the filter for the calls
 * it allows whatever their arguments, and the rest are few), but the child
 * installs the filter on every start, and at install the kernel works out
 * that set by running the filter once per syscall number: along a tree's
 * short paths, not the whole list. tools/bench/sandbox.sh measures both
 * (1 builds the linear list there).
 */
#ifndef RAGGED_SECCOMP_OPTIMIZE
#define RAGGED_SECCOMP_OPTIMIZE 2
#endif
static struct sock_filter prog[MAX_INSNS];
static unsigned short prog_len;
static bool refuse_unix;

void seccomp_refuse_unix_sockets(void)
{
	refuse_unix = true;
	prog_len = 0;	/* compile again with the refusal */
}

/*
 * Why each unconditional entry (RAGGED_SECCOMP_DENY) is refused:
 *
 * ptrace, process_vm_readv/writev: read or write another process's memory
 *   and registers: the way out of any sandbox that shares a uid.
 * mount, umount2, pivot_root, chroot and the new mount API (open_tree,
 *   move_mount, fsopen, fsconfig, fsmount, fspick, mount_setattr): change
 *   what paths mean; with a user namespace they would not even need root.
 * bpf, perf_event_open: kernel programs and kernel/other-process observation;
 *   also a large kernel attack surface.
 * init_module, finit_module, delete_module, kexec_load, kexec_file_load:
 *   load code into, or replace, the kernel.
 * unshare, setns (any flags): new or foreign namespaces; a user namespace
 *   hands out every capability within it and with it the mount and network
 *   escape routes above. clone with CLONE_NEW* is filtered on its flags
 *   below; clone3 cannot be (flags in memory), so it is ENOSYS.
 * keyctl, add_key, request_key: the user's kernel keyrings (Kerberos
 *   tickets, fscrypt/ecryptfs keys) and a history of kernel bugs.
 * userfaultfd: a classic primitive for winning kernel races (exploits).
 * io_uring_setup/enter/register: a second syscall interface that seccomp
 *   and several LSM hooks do not see per operation; also the largest single
 *   source of kernel exploits of recent years.
 * acct, swapon, swapoff, reboot, settimeofday, clock_settime, adjtimex,
 *   clock_adjtime, syslog, quotactl(_fd), nfsservctl, lookup_dcookie,
 *   vhangup, iopl, ioperm: host administration; need capabilities the
 *   plugin never has, refused here so an attempt is visible and so a
 *   capability leak is not enough.
 * name_to_handle_at, open_by_handle_at: open a file by handle, bypassing
 *   path resolution, so no path rule (Landlock or LSM) could see it.
 * modify_ldt, uselib: legacy x86 interfaces, old kernel attack surface,
 *   nothing modern uses them.
 *
 * Not on the list, on purpose: kcmp (only compares the caller's own
 * objects; on other processes the ptrace rules of both modes refuse it),
 * memfd_create (used by runtimes; executing a memfd is stopped at exec, see
 * execveat below and docs/security-model.md), seccomp and landlock_* (they
 * can only restrict the caller further).
 */
static const int deny_nrs[] = {
#define NR(nr, name) nr,
	RAGGED_SECCOMP_DENY(NR)
#undef NR
};

static int add(scmp_filter_ctx ctx, uint32_t act, int nr, unsigned n,
	       const struct scmp_arg_cmp *cmp)
{
	return seccomp_rule_add_array(ctx, act, nr, n, cmp);
}

static int build(scmp_filter_ctx ctx)
{
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	int rc;

	for (size_t i = 0; i < sizeof(deny_nrs) / sizeof(deny_nrs[0]); i++)
		if ((rc = add(ctx, eperm, deny_nrs[i], 0, NULL)) < 0)
			return rc;

	/* clone: refuse any CLONE_NEW* bit (one rule per bit: rules OR).
	 * CLONE_NEWTIME (0x80) lies in clone's exit-signal byte and cannot
	 * be asked for through clone(2). CLONE_PARENT too: it would make
	 * raggedd the parent of a plugin process. The flags are 64-bit. */
	for (int bit = 8; bit < 32; bit++) {
		uint64_t f = 1ULL << bit;
		struct scmp_arg_cmp c = SCMP_A0_64(SCMP_CMP_MASKED_EQ, f, f);

		if (!(RAGGED_CLONE_REFUSED & f))
			continue;
		if ((rc = add(ctx, eperm, RAGGED_NR_CLONE, 1, &c)) < 0)
			return rc;
	}
	/* clone3 passes its flags in memory, which a filter cannot read:
	 * ENOSYS, which glibc (and every libc we know) answers by falling
	 * back to clone(2), whose flags are filtered above. Not reported
	 * as an escape unless the flags ask for a namespace (monitor). */
	if ((rc = add(ctx, SCMP_ACT_ERRNO(ENOSYS), RAGGED_NR_CLONE3, 0, NULL)) < 0)
		return rc;

	/* socket: only AF_UNIX (1), AF_INET (2) and AF_INET6 (10).
	 * AF_NETLINK is refused whole, NETLINK_ROUTE included: glibc's
	 * getaddrinfo(AI_ADDRCONFIG) then assumes both IP families, which is
	 * harmless, while netlink would expose the host's interfaces, routes,
	 * sockets (sock_diag), audit and uevents. AF_PACKET, AF_KEY, AF_ALG,
	 * AF_VSOCK, AF_BLUETOOTH, ...: raw frames, kernel crypto and rarely
	 * used protocol code (bugs). "domain" is an int: a value with the
	 * upper half set is refused by the GT rule (libseccomp compares 64
	 * bits, any upper bit makes it greater than 10). */
	{
		struct scmp_arg_cmp gt = SCMP_A0_64(SCMP_CMP_GT, 10);

		if ((rc = add(ctx, eperm, RAGGED_NR_SOCKET, 1, &gt)) < 0)
			return rc;
		for (uint64_t fam = 0; fam < 10; fam++) {
			struct scmp_arg_cmp c = SCMP_A0_64(SCMP_CMP_EQ, fam);

			/* AF_UNIX only where its names are checked (bpfload.c). */
			if ((fam == 1 && !refuse_unix) || fam == 2)
				continue;
			if ((rc = add(ctx, eperm, RAGGED_NR_SOCKET, 1, &c)) < 0)
				return rc;
		}
	}
	/* Raw sockets of any family (and the old SOCK_PACKET): forged
	 * packets bypass the connect/sendmsg address checks. The cgroup
	 * sock_create program refuses raw INET sockets too, and the kernel
	 * wants CAP_NET_RAW, but refusing here first makes every attempt
	 * visible, privileged or not. Type carries SOCK_CLOEXEC|NONBLOCK
	 * bits, hence the 0xf mask. */
	{
		struct scmp_arg_cmp raw = SCMP_A1_64(SCMP_CMP_MASKED_EQ, RAGGED_SOCK_TYPE_MASK,
						     RAGGED_SOCK_RAW);
		struct scmp_arg_cmp pkt = SCMP_A1_64(SCMP_CMP_MASKED_EQ, RAGGED_SOCK_TYPE_MASK,
						     RAGGED_SOCK_PACKET);

		if ((rc = add(ctx, eperm, RAGGED_NR_SOCKET, 1, &raw)) < 0 ||
		    (rc = add(ctx, eperm, RAGGED_NR_SOCKET, 1, &pkt)) < 0)
			return rc;
	}

	/* ioctl TIOCSTI pushes characters into a terminal's input queue and
	 * TIOCLINUX can do the same on a VT: with the caller's tty as stdio a
	 * plugin could type commands into the user's shell after it exits.
	 * The command is an unsigned int: match the low 32 bits only. */
	{
		struct scmp_arg_cmp sti = SCMP_A1_64(SCMP_CMP_MASKED_EQ, 0xffffffffULL, RAGGED_TIOCSTI);
		struct scmp_arg_cmp lnx = SCMP_A1_64(SCMP_CMP_MASKED_EQ, 0xffffffffULL, RAGGED_TIOCLINUX);

		if ((rc = add(ctx, eperm, RAGGED_NR_IOCTL, 1, &sti)) < 0 ||
		    (rc = add(ctx, eperm, RAGGED_NR_IOCTL, 1, &lnx)) < 0)
			return rc;
	}

	/* Signal-driven I/O aimed elsewhere: fcntl F_SETOWN/F_SETOWN_EX and
	 * ioctl FIOSETOWN/SIOCSPGRP name the process the kernel signals
	 * (SIGIO, or any signal chosen with F_SETSIG) when the file is ready.
	 * The kernel only compares uids, and the signal bypasses task_kill,
	 * so a plugin could kill the user's shell that way. A plugin has no
	 * need for signal-driven I/O, even to itself. Commands are 32-bit. */
	{
		static const uint32_t fcntls[] = { RAGGED_F_SETOWN, RAGGED_F_SETOWN_EX };
		static const uint32_t ioctls[] = { RAGGED_FIOSETOWN, RAGGED_SIOCSPGRP };

		for (size_t i = 0; i < 2; i++) {
			struct scmp_arg_cmp f = SCMP_A1_64(SCMP_CMP_MASKED_EQ, 0xffffffffULL, fcntls[i]);
			struct scmp_arg_cmp o = SCMP_A1_64(SCMP_CMP_MASKED_EQ, 0xffffffffULL, ioctls[i]);

			if ((rc = add(ctx, eperm, RAGGED_NR_FCNTL, 1, &f)) < 0 ||
			    (rc = add(ctx, eperm, RAGGED_NR_IOCTL, 1, &o)) < 0)
				return rc;
		}
	}

	/* personality: only the query form (0xffffffff) is allowed. A
	 * persona survives exec, and ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC,
	 * MMAP_PAGE_ZERO or ADDR_COMPAT_LAYOUT weaken the memory layout of
	 * everything the plugin starts. "Any low bit clear" = "not the
	 * query": one rule per bit, since libseccomp allows one comparison
	 * per argument per rule. The persona is an unsigned int. */
	for (int bit = 0; bit < 32; bit++) {
		struct scmp_arg_cmp c = SCMP_A0_64(SCMP_CMP_MASKED_EQ, 1ULL << bit, 0);

		if ((rc = add(ctx, eperm, RAGGED_NR_PERSONALITY, 1, &c)) < 0)
			return rc;
	}

	/* Priority, scheduling, affinity, I/O priority and resource limits
	 * of other processes (RAGGED_SECCOMP_SELF_ONLY): only target 0, the
	 * caller itself. The kernel lets a user change every process of
	 * theirs, by pid, process group or uid (setpriority(PRIO_USER)
	 * renices the user's whole session), and a hard RLIMIT_CPU set with
	 * prlimit has the kernel kill the target. Landlock has no rule for
	 * these; in bpf-lsm mode the task_set{nice,scheduler,ioprio} hooks
	 * stand behind this for the first three kinds, but prlimit has no
	 * hook that names the target task. The filter cannot know the
	 * caller's pid, so a plugin naming itself by pid or tid (psutil,
	 * pthread_setaffinity_np) is refused too: 0 is what libc's nice(),
	 * setrlimit() and sched_setaffinity(0, ...) pass. The rules mirror
	 * ragged_self_only_refused() (syscalls.h), which the monitor
	 * evaluates to report each refusal; all comparisons are 64-bit, so a
	 * truncated int with junk in its upper half is refused. */
	{
		static const int self_only[] = {
#define NR(nr, name) nr,
			RAGGED_SECCOMP_SELF_ONLY(NR)
#undef NR
		};
		struct scmp_arg_cmp a0_nz = SCMP_A0_64(SCMP_CMP_NE, 0);
		struct scmp_arg_cmp a1_nz = SCMP_A1_64(SCMP_CMP_NE, 0);
		struct scmp_arg_cmp not_prio_proc = SCMP_A0_64(SCMP_CMP_NE, RAGGED_PRIO_PROCESS);
		struct scmp_arg_cmp not_ioprio_proc = SCMP_A0_64(SCMP_CMP_NE, RAGGED_IOPRIO_WHO_PROCESS);
		struct scmp_arg_cmp prlimit_set[2] = { SCMP_A0_64(SCMP_CMP_NE, 0),
						       SCMP_A2_64(SCMP_CMP_NE, 0) };

		for (size_t i = 0; i < sizeof(self_only) / sizeof(self_only[0]); i++) {
			int nr = self_only[i];

			/* Rules for one call OR; comparisons within a rule AND. */
			if (nr == RAGGED_NR_SETPRIORITY || nr == RAGGED_NR_IOPRIO_SET) {
				rc = add(ctx, eperm, nr, 1, nr == RAGGED_NR_SETPRIORITY ?
					 &not_prio_proc : &not_ioprio_proc);
				if (rc == 0)
					rc = add(ctx, eperm, nr, 1, &a1_nz);
			} else if (nr == RAGGED_NR_PRLIMIT64)
				rc = add(ctx, eperm, nr, 2, prlimit_set);
			else
				rc = add(ctx, eperm, nr, 1, &a0_nz);
			if (rc < 0)
				return rc;
		}
	}

	/* execveat(fd, "", ..., AT_EMPTY_PATH), i.e. fexecve(): the usual
	 * way to run a memfd. Landlock's EXECUTE right does not cover memfds
	 * (they live on an internal mount Landlock ignores; verified by
	 * t_escape_memfd_fexecve), so it is refused here in both modes. The
	 * /proc/self/fd/N road is stopped at exec (bpf/escape.bpf.c in
	 * bpf-lsm mode, bpf/monitor.bpf.c in landlock mode). */
	{
		struct scmp_arg_cmp c = SCMP_A4_64(SCMP_CMP_MASKED_EQ, RAGGED_AT_EMPTY_PATH,
						   RAGGED_AT_EMPTY_PATH);

		if ((rc = add(ctx, eperm, RAGGED_NR_EXECVEAT, 1, &c)) < 0)
			return rc;
	}
	return 0;
}

int seccomp_prepare(char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	int pfd[2] = { -1, -1 }, rc;
	size_t got = 0;
	ssize_t n;

	if (prog_len)
		return 0;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	/* Foreign ABIs die (see the top of the file). The native arch is
	 * the only one in the filter; libseccomp also routes x32 numbers on
	 * the x86_64 arch token to this action. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
#if RAGGED_SECCOMP_OPTIMIZE > 1
	/* A binary tree of syscall numbers instead of a linear list (see above). */
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, RAGGED_SECCOMP_OPTIMIZE);
#endif
	if (rc == 0)
		rc = build(ctx);
	if (rc == 0 && pipe2(pfd, O_CLOEXEC) < 0)
		rc = -errno;
	if (rc == 0)
		rc = seccomp_export_bpf(ctx, pfd[1]);
	seccomp_release(ctx);
	if (pfd[1] >= 0)
		close(pfd[1]);
	while (rc == 0 && (n = read(pfd[0], (char *)prog + got, sizeof(prog) - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || got + (size_t)n >= sizeof(prog))
			rc = n < 0 ? -errno : -E2BIG;
		else
			got += (size_t)n;
	}
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (rc == 0 && (got == 0 || got % sizeof(prog[0]) != 0))
		rc = -EINVAL;
	if (rc < 0) {
		snprintf(err, errlen, "build seccomp filter: %s", strerror(-rc));
		return -1;
	}
	prog_len = (unsigned short)(got / sizeof(prog[0]));
	return 0;
}

/*
 * In the child, after no_new_privs and right before exec. Identical in
 * both modes: in bpf-lsm mode the LSM hooks repeat the refusals behind it.
 */
int seccomp_apply(enum enforcement_mode mode, char *err, size_t errlen)
{
	struct sock_fprog fprog;

	(void)mode;
	/* Normally compiled at agent start; a child of an agent that did not
	 * (a unit test) compiles its own copy. */
	if (!prog_len && seccomp_prepare(err, errlen) < 0)
		return -1;
	fprog.len = prog_len;
	fprog.filter = prog;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0) {
		snprintf(err, errlen, "install seccomp filter: %s", strerror(errno));
		return -1;
	}
	return 0;
}

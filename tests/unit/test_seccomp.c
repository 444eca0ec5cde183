// SPDX-License-Identifier: MIT
/*
 * The escape-surface filter, installed for real in forked children of this
 * (root) test: every refused class fails with the documented errno even
 * though root could otherwise do it, argument tricks (upper 32 bits) do not
 * get around it, and what plugins need keeps working. The child reports
 * the first failed check through a pipe; the filter cannot be removed, so
 * the test process itself never installs it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <cmocka.h>

#include "../../agent/daemon/agent.h"
#include "../../agent/daemon/seccomp.h"

static int report_fd = -1;
static char tmpdir[PATH_MAX];
static char no_filter[256];	/* why no filter can be built here, "" if it can */

/*
 * Whether the filter can be built here (valgrind, for one, lacks
 * seccomp(2)). Probed in a child, so that every case's child compiles its
 * own filter the way a child of an agent that did not prepare one does.
 */
static int setup_group(void **state)
{
	int pfd[2], st;
	ssize_t n;
	pid_t pid;

	(void)state;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		char err[256] = "";

		close(pfd[0]);
		if (seccomp_prepare(err, sizeof(err)) < 0 &&
		    write(pfd[1], err[0] ? err : "seccomp_prepare failed", err[0] ? strlen(err) : 22) < 0)
			_exit(2);
		exit(0);
	}
	close(pfd[1]);
	n = read(pfd[0], no_filter, sizeof(no_filter) - 1);
	close(pfd[0]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	no_filter[n > 0 ? n : 0] = '\0';
	return 0;
}

static void __attribute__((format(printf, 1, 2))) child_fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (write(report_fd, msg, strlen(msg)) < 0)
		_exit(3);
	exit(1);
}

/* A raw syscall's result must be -1 with want_errno (0: must succeed). */
static long check(const char *what, long rc, int want_errno)
{
	if (want_errno && (rc != -1 || errno != want_errno))
		child_fail("%s: %s, want %s", what, rc == -1 ? strerror(errno) : "success",
			   strerror(want_errno));
	if (!want_errno && rc == -1)
		child_fail("%s: %s, want success", what, strerror(errno));
	return rc;
}

static bool child_refuse_unix;

static void in_child(void (*fn)(void))
{
	int pfd[2], status;
	char msg[512];
	ssize_t n;
	pid_t pid;

	if (no_filter[0]) {
		print_message("skip: the filter cannot be built in this process (%s)\n", no_filter);
		skip();
	}
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256] = "";

		close(pfd[0]);
		report_fd = pfd[1];
		/*
		 * Do no harm: these children try mount, unshare and friends as
		 * root. A private mount namespace first means a filter that
		 * failed to block can only touch this child's own copy.
		 */
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			child_fail("private mount namespace: %s", strerror(errno));
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			child_fail("no_new_privs: %s", strerror(errno));
		if (child_refuse_unix)
			seccomp_refuse_unix_sockets();
		if (seccomp_apply(MODE_LANDLOCK, err, sizeof(err)) < 0)
			child_fail("seccomp_apply: %s", err);
		fn();
		exit(0);
	}
	close(pfd[1]);
	n = read(pfd[0], msg, sizeof(msg) - 1);
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (n > 0) {
		msg[n] = '\0';
		fail_msg("child: %s", msg);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child ended with status %#x", status);
}

static int setup(void **state)
{
	char t[] = "/tmp/ragged-ut-seccomp.XXXXXX";

	(void)state;
	if (!mkdtemp(t))
		return -1;
	snprintf(tmpdir, sizeof(tmpdir), "%s", t);
	return 0;
}

static int teardown(void **state)
{
	char path[PATH_MAX + 8];

	(void)state;
	snprintf(path, sizeof(path), "%s/m", tmpdir);
	umount2(path, MNT_DETACH);	/* only if the filter failed to stop the mount */
	rmdir(path);
	rmdir(tmpdir);
	return 0;
}

/* ---- the refusals ---- */

static void c_mounts_and_namespaces(void)
{
	char path[PATH_MAX + 8];

	snprintf(path, sizeof(path), "%s/m", tmpdir);
	if (mkdir(path, 0700) < 0)
		child_fail("mkdir: %s", strerror(errno));
	/* Root could mount here without the filter. */
	check("mount", mount("none", path, "tmpfs", 0, NULL), EPERM);
	check("umount2", umount2("/", MNT_DETACH), EPERM);
	check("chroot", chroot("/"), EPERM);
	check("pivot_root", syscall(SYS_pivot_root, "/", "/"), EPERM);
	check("fsopen", syscall(430, "tmpfs", 0), EPERM);
	check("open_tree", syscall(428, AT_FDCWD, "/", 0), EPERM);
	check("unshare(NEWUSER)", unshare(CLONE_NEWUSER), EPERM);
	check("unshare(0)", unshare(0), EPERM);
	check("setns", setns(0, 0), EPERM);
	/* clone with any namespace bit; plain clone (fork) works. */
	check("clone(NEWNS)", syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0), EPERM);
	check("clone(NEWNET)", syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0), EPERM);
	check("clone(NEWUSER|NEWPID)", syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD,
					      0, 0, 0, 0), EPERM);
	/* clone3's flags are in memory: it is refused as missing, libc falls back. */
	{
		struct clone_args ca = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };

		check("clone3", syscall(SYS_clone3, &ca, sizeof(ca)), ENOSYS);
	}
	{
		pid_t pid = fork();
		int st;

		if (pid == 0)
			_exit(7);
		check("fork", pid, 0);
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
			child_fail("forked child: status %#x", st);
	}
}

static void c_kernel_surface(void)
{
	check("bpf", syscall(SYS_bpf, 0, NULL, 0), EPERM);
	check("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0), EPERM);
	check("ptrace", syscall(SYS_ptrace, 0 /* TRACEME */, 0, 0, 0), EPERM);
	check("process_vm_readv", syscall(SYS_process_vm_readv, getppid(), NULL, 0, NULL, 0, 0), EPERM);
	check("init_module", syscall(SYS_init_module, NULL, 0, ""), EPERM);
	check("finit_module", syscall(SYS_finit_module, -1, "", 0), EPERM);
	check("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0), EPERM);
	check("keyctl", syscall(SYS_keyctl, 0, 0, 0, 0, 0), EPERM);
	check("add_key", syscall(SYS_add_key, "user", "k", "v", 1, 0), EPERM);
	check("userfaultfd", syscall(SYS_userfaultfd, 0), EPERM);
	check("io_uring_setup", syscall(425, 1, NULL), EPERM);
	check("name_to_handle_at", syscall(SYS_name_to_handle_at, AT_FDCWD, "/", NULL, NULL, 0), EPERM);
	check("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, 0), EPERM);
	check("reboot", syscall(SYS_reboot, 0, 0, 0, NULL), EPERM);
	check("syslog", syscall(SYS_syslog, 3, NULL, 0), EPERM);
	check("iopl", syscall(SYS_iopl, 3), EPERM);
	check("modify_ldt", syscall(SYS_modify_ldt, 0, NULL, 0), EPERM);
	check("acct", syscall(SYS_acct, NULL), EPERM);
}

static void c_sockets(void)
{
	int fd;

	/* The families a plugin needs. */
	fd = (int)check("socket(AF_UNIX)", socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), 0);
	close(fd);
	fd = (int)check("socket(AF_INET, STREAM)", socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), 0);
	close(fd);
	fd = (int)check("socket(AF_INET6, DGRAM)", socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), 0);
	close(fd);
	/* Everything else. */
	check("socket(AF_NETLINK)", socket(AF_NETLINK, SOCK_RAW, 0), EPERM);
	check("socket(AF_NETLINK, DGRAM)", socket(AF_NETLINK, SOCK_DGRAM, 0), EPERM);
	check("socket(AF_PACKET)", socket(AF_PACKET, SOCK_RAW, 0), EPERM);
	check("socket(AF_ALG)", socket(AF_ALG, SOCK_SEQPACKET, 0), EPERM);
	check("socket(AF_VSOCK)", socket(AF_VSOCK, SOCK_STREAM, 0), EPERM);
	check("socket(AF_KEY)", socket(AF_KEY, SOCK_RAW, 2), EPERM);
	check("socket(AF_INET, RAW)", socket(AF_INET, SOCK_RAW, 1), EPERM);
	check("socket(AF_INET6, RAW|CLOEXEC)", socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, 58), EPERM);
	check("socket(AF_INET, SOCK_PACKET)", socket(AF_INET, SOCK_PACKET, 0), EPERM);
	check("socket(AF_UNSPEC)", socket(AF_UNSPEC, SOCK_STREAM, 0), EPERM);
	/* An int argument with junk in the upper half is not a way around the list. */
	check("socket(AF_INET | 1 << 32, RAW)", syscall(SYS_socket, (1UL << 32) | AF_INET, SOCK_RAW, 1),
	      EPERM);
	check("socket(AF_NETLINK | 1 << 32)", syscall(SYS_socket, (1UL << 32) | AF_NETLINK, SOCK_RAW, 0),
	      EPERM);
}

static void c_tty_personality_exec(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char c = 'x';

	check("open", fd, 0);
	/* TIOCSTI refused before the driver sees it, also with upper bits set. */
	check("ioctl(TIOCSTI)", ioctl(fd, TIOCSTI, &c), EPERM);
	check("ioctl(TIOCSTI | 1 << 32)", syscall(SYS_ioctl, fd, (1UL << 32) | TIOCSTI, &c), EPERM);
	check("ioctl(TIOCLINUX)", ioctl(fd, TIOCLINUX, &c), EPERM);
	/* Other ioctls reach the driver (/dev/null is no tty: ENOTTY). */
	check("ioctl(TCGETS)", ioctl(fd, TCGETS, &(struct termios){ 0 }), ENOTTY);
	/* personality: query only. */
	check("personality(query)", personality(0xffffffff), 0);
	check("personality(ADDR_NO_RANDOMIZE)", personality(ADDR_NO_RANDOMIZE), EPERM);
	check("personality(READ_IMPLIES_EXEC)", personality(READ_IMPLIES_EXEC), EPERM);
	check("personality(PER_LINUX)", personality(PER_LINUX), EPERM);
	/* fexecve/execveat on a descriptor: refused; exec by path: allowed. */
	{
		int exe = open("/bin/true", O_RDONLY | O_CLOEXEC);
		char *argv[] = { "true", NULL }, *envp[] = { NULL };

		check("open /bin/true", exe, 0);
		check("execveat(AT_EMPTY_PATH)", syscall(SYS_execveat, exe, "", argv, envp, AT_EMPTY_PATH),
		      EPERM);
		close(exe);
		{
			pid_t pid = fork();
			int st;

			if (pid == 0) {
				execve("/bin/true", argv, envp);
				_exit(99);
			}
			if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
				child_fail("execve /bin/true: status %#x", st);
		}
	}
	close(fd);
}

/*
 * Priority, scheduling, affinity, I/O priority and limits: only on the
 * caller itself (0). Aimed at the test process (root could change it), with
 * its current values, so that a filter that failed to refuse changes nothing;
 * process groups and users that do not exist, for the same reason.
 */
static void c_other_processes(void)
{
	pid_t pp = getppid();
	struct rlimit rl, mine;
	struct sched_param sp = { 0 };
	cpu_set_t set;
	int prio, ioprio;
	long nobody_uid = 4000000, no_pgrp = 4000000;

	check("prlimit(parent, read)", prlimit(pp, RLIMIT_NOFILE, NULL, &rl), 0);
	check("prlimit(parent, set)", prlimit(pp, RLIMIT_NOFILE, &rl, NULL), EPERM);
	check("prlimit(parent, RLIMIT_CPU)", prlimit(pp, RLIMIT_CPU, &(struct rlimit){ 1, 1 }, NULL), EPERM);
	check("getrlimit", getrlimit(RLIMIT_NOFILE, &mine), 0);
	check("setrlimit", setrlimit(RLIMIT_NOFILE, &mine), 0);
	check("prlimit(0, set)", prlimit(0, RLIMIT_NOFILE, &mine, NULL), 0);
	/* pid_t is an int: the upper half set is refused even over a 0. */
	check("prlimit64(1 << 32, set)", syscall(SYS_prlimit64, 1UL << 32, RLIMIT_NOFILE, &mine, NULL), EPERM);
	check("prlimit64(parent | 1 << 32)", syscall(SYS_prlimit64, (1UL << 32) | (unsigned long)pp,
						     RLIMIT_NOFILE, &rl, NULL), EPERM);

	errno = 0;
	prio = getpriority(PRIO_PROCESS, (id_t)pp);
	if (prio == -1 && errno)
		child_fail("getpriority(parent): %s", strerror(errno));
	check("setpriority(parent)", setpriority(PRIO_PROCESS, (id_t)pp, prio), EPERM);
	check("setpriority(own pid)", setpriority(PRIO_PROCESS, (id_t)getpid(), 0), EPERM);
	check("setpriority(PRIO_PGRP)", setpriority(PRIO_PGRP, (id_t)no_pgrp, 0), EPERM);
	check("setpriority(PRIO_USER)", setpriority(PRIO_USER, (id_t)nobody_uid, 0), EPERM);
	check("setpriority(PRIO_PROCESS | 1 << 32)", syscall(SYS_setpriority, 1UL << 32, 0, 0), EPERM);
	check("setpriority(self)", setpriority(PRIO_PROCESS, 0, 1), 0);
	errno = 0;
	if (nice(1) == -1 && errno)
		child_fail("nice: %s", strerror(errno));
	check("getpriority(PRIO_USER)", getpriority(PRIO_USER, (id_t)nobody_uid) == -1 && errno != ESRCH ?
	      -1 : 0, 0);

	check("sched_getaffinity(parent)", sched_getaffinity(pp, sizeof(set), &set), 0);
	check("sched_setaffinity(parent)", sched_setaffinity(pp, sizeof(set), &set), EPERM);
	check("sched_setaffinity(1 << 32)", syscall(SYS_sched_setaffinity, 1UL << 32, sizeof(set), &set), EPERM);
	check("sched_getaffinity(self)", sched_getaffinity(0, sizeof(set), &set), 0);
	check("sched_setaffinity(self)", sched_setaffinity(0, sizeof(set), &set), 0);
	check("sched_setscheduler(parent)", sched_setscheduler(pp, sched_getscheduler(pp), &sp), EPERM);
	check("sched_setparam(parent)", sched_setparam(pp, &sp), EPERM);
	{
		unsigned int attr[14] = { 56 };	/* struct sched_attr: size, policy SCHED_OTHER */

		check("sched_setattr(parent)", syscall(SYS_sched_setattr, pp, attr, 0), EPERM);
		check("sched_setattr(self)", syscall(SYS_sched_setattr, 0, attr, 0), 0);
	}
	check("sched_setscheduler(self)", sched_setscheduler(0, SCHED_BATCH, &sp), 0);
	check("sched_yield", sched_yield(), 0);

	ioprio = (int)check("ioprio_get(parent)", syscall(SYS_ioprio_get, 1, pp), 0);
	check("ioprio_set(parent)", syscall(SYS_ioprio_set, 1, pp, ioprio), EPERM);
	check("ioprio_set(WHO_PGRP)", syscall(SYS_ioprio_set, 2, no_pgrp, ioprio), EPERM);
	check("ioprio_set(WHO_USER)", syscall(SYS_ioprio_set, 3, nobody_uid, ioprio), EPERM);
	check("ioprio_set(WHO_PROCESS | 1 << 32)", syscall(SYS_ioprio_set, (1UL << 32) | 1, 0, 2 << 13 | 7),
	      EPERM);
	check("ioprio_set(self)", syscall(SYS_ioprio_set, 1, 0, 2 << 13 | 7), 0);
}

/* The filter is inherited and cannot be lifted: a second, looser one does not help. */
static void c_stacked(void)
{
	char err[256];

	if (seccomp_apply(MODE_BPF_LSM, err, sizeof(err)) < 0)
		child_fail("second seccomp_apply: %s", err);
	check("mount after stacking", mount("none", "/mnt", "tmpfs", 0, NULL), EPERM);
	{
		pid_t pid = fork();
		int st;

		if (pid == 0)
			_exit(unshare(CLONE_NEWNS) == -1 && errno == EPERM ? 0 : 1);
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			child_fail("grandchild escaped the filter");
	}
}

static void t_mounts_and_namespaces(void **state)
{
	(void)state;
	in_child(c_mounts_and_namespaces);
}

static void t_kernel_surface(void **state)
{
	(void)state;
	in_child(c_kernel_surface);
}

static void t_sockets(void **state)
{
	(void)state;
	in_child(c_sockets);
}

/* A kernel without UNIX socket hooks: no AF_UNIX sockets, socket pairs stay. */
static void c_no_unix_sockets(void)
{
	int sv[2];

	check("socket(AF_UNIX) refused", socket(AF_UNIX, SOCK_STREAM, 0), EPERM);
	check("socketpair(AF_UNIX)", socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[0]);
	close(sv[1]);
	check("socket(AF_INET)", socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), 0);
}

static void t_no_unix_sockets(void **state)
{
	(void)state;
	child_refuse_unix = true;
	in_child(c_no_unix_sockets);
	child_refuse_unix = false;
}

static void t_tty_personality_exec(void **state)
{
	(void)state;
	in_child(c_tty_personality_exec);
}

static void t_other_processes(void **state)
{
	(void)state;
	in_child(c_other_processes);
}

static void t_stacked(void **state)
{
	(void)state;
	in_child(c_stacked);
}

static void t_prepare_once(void **state)
{
	char err[128] = "";

	(void)state;
	if (no_filter[0]) {
		print_message("skip: %s\n", no_filter);
		skip();
	}
	/* Compiled once; again is a no-op that succeeds. */
	assert_int_equal(seccomp_prepare(err, sizeof(err)), 0);
	assert_int_equal(seccomp_prepare(err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

/* Installing needs no_new_privs or CAP_SYS_ADMIN: without both it fails and says so. */
static void t_apply_unprivileged(void **state)
{
	pid_t pid;
	int st, pfd[2];
	char msg[256] = "";
	ssize_t n;

	(void)state;
	if (no_filter[0]) {
		print_message("skip: %s\n", no_filter);
		skip();
	}
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		char err[200] = "";
		/* Still uid 0 (it owns the coverage counters), but no capabilities. */
		struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct d[2];

		close(pfd[0]);
		memset(d, 0, sizeof(d));
		if (syscall(SYS_capset, &h, d) < 0)
			_exit(2);
		if (seccomp_apply(MODE_LANDLOCK, err, sizeof(err)) == 0)
			exit(3);
		if (write(pfd[1], err, strlen(err)) < 0)
			_exit(4);
		exit(0);
	}
	close(pfd[1]);
	n = read(pfd[0], msg, sizeof(msg) - 1);
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true(n > 0);
	msg[n] = '\0';
	assert_string_equal(msg, "install seccomp filter: Permission denied");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_mounts_and_namespaces, setup, teardown),
		cmocka_unit_test(t_kernel_surface),
		cmocka_unit_test(t_sockets),
		cmocka_unit_test(t_no_unix_sockets),
		cmocka_unit_test(t_tty_personality_exec),
		cmocka_unit_test(t_other_processes),
		cmocka_unit_test(t_stacked),
		cmocka_unit_test(t_prepare_once),
		cmocka_unit_test(t_apply_unprivileged),
	};

	return cmocka_run_group_tests(tests, setup_group, NULL);
}

// SPDX-License-Identifier: MIT
/*
 * Start the plugin: clone3(CLONE_INTO_CGROUP) so the child is born inside
 * the run's cgroup (there is no instant at which it runs unconfined by the
 * BPF programs), then in the child, in this order:
 *   v1 controllers -> new session -> stdio -> rlimits -> cwd -> drop to the
 *   plugin's uid/gid -> Landlock (fallback) -> no_new_privs -> exec.
 * Any failure before exec is reported through a close-on-exec pipe, so the
 * parent sees either EOF (exec happened) or the reason it did not.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif

#include "agent.h"
#include "util/util.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#define RAGGED_CLONE_INTO_CGROUP 0x200000000ULL
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

struct ragged_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size,
		 tls, set_tid, set_tid_size, cgroup;
};

#define MAX_ARGV 256
#define MAX_ENV 16

/* Find argv[0]: relative to the plugin dir if it has a '/', else on PATH. */
static int resolve_exe(const char *dir, const char *name, char *out, size_t len)	/* out: PATH_MAX */
{
	static const char *const path[] = { "/usr/local/bin", "/usr/bin", "/bin" };

	char raw[PATH_MAX];
	size_t n = strlen(dir);

	if (strchr(name, '/')) {
		if (name[0] == '/')
			return xsnprintf(out, len, "%s", name) < 0 ? -1 : 0;
		/* Relative entries name a file of the plugin, and must stay one. */
		if (xsnprintf(raw, sizeof(raw), "%s/%s", dir, name) < 0 || !realpath(raw, out))
			return -1;
		if (strncmp(out, dir, n) != 0 || out[n] != '/') {
			errno = EXDEV;
			return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(path); i++) {
		if (xsnprintf(out, len, "%s/%s", path[i], name) < 0)
			return -1;
		if (access(out, X_OK) == 0)
			return 0;
	}
	errno = ENOENT;
	return -1;
}

static void child_fail(int errfd, const char *what)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "%s: %s", what, strerror(errno));

	if (n > 0 && write(errfd, msg, (size_t)n) < 0) {
		/* nothing left to tell anyone */
	}
	_exit(125);
}

static void child_fail_msg(int errfd, const char *msg)
{
	if (write(errfd, msg, strlen(msg)) < 0) {
		/* nothing left to tell anyone */
	}
	_exit(125);
}

static void child(struct agent *a, struct run *r, const struct policy *p,
		  const struct launch_req *req, const char *exe, char **argv, char **envp,
		  int errfd)
{
	sigset_t all;
	struct rlimit rl;
	int hi[4], mq_root = -1;
	char err[256];

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (run_cgroup_enter_v1(&a->cg, &r->cg) < 0)
		child_fail(errfd, "join v1 cgroups");
	if (setsid() < 0)
		child_fail(errfd, "setsid");
	/* Lift the caller's fds and the consent channel clear of 0..3, then place them. */
	for (int i = 0; i < 4; i++)
		if ((hi[i] = fcntl(i < 3 ? req->stdio[i] : req->chan_fd, F_DUPFD_CLOEXEC, 10)) < 0)
			child_fail(errfd, "dup stdio");
	for (int i = 0; i < 4; i++)
		if (dup2(hi[i], i) < 0)
			child_fail(errfd, "dup2 stdio");
	/* Nothing of the agent's survives exec: sockets, maps, logs. */
	if (syscall(SYS_close_range, 4, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		child_fail(errfd, "close_range");

	rl.rlim_cur = rl.rlim_max = 0;
	setrlimit(RLIMIT_CORE, &rl);
	if (r->limits.cpu_seconds) {
		/* Backstop only: the agent sums CPU over the whole cgroup. */
		rl.rlim_cur = r->limits.cpu_seconds + 1;
		rl.rlim_max = r->limits.cpu_seconds + 2;
		if (setrlimit(RLIMIT_CPU, &rl) < 0)
			child_fail(errfd, "RLIMIT_CPU");
	}
	/* Landlock mode: metadata changes outside the writable trees (fsview.c). */
	if (a->feat.mode == MODE_LANDLOCK && fsview_enter(err, sizeof(err)) < 0)
		child_fail_msg(errfd, err);
	if (chdir(r->plugin_dir) < 0)
		child_fail(errfd, "chdir plugin dir");
	/* While still root: what Landlock needs to grant the run's own POSIX queues. */
	if (a->feat.mode == MODE_LANDLOCK)
		mq_root = landlock_mqueue_root();
	/* Raw syscalls: we share the agent's memory (CLONE_VM), no libc setxid machinery. */
	if (syscall(SYS_setgroups, 1, &r->gid) < 0 ||
	    syscall(SYS_setresgid, r->gid, r->gid, r->gid) < 0 ||
	    syscall(SYS_setresuid, r->uid, r->uid, r->uid) < 0)
		child_fail(errfd, "drop privileges");
	if (getuid() == 0 || geteuid() == 0)
		child_fail_msg(errfd, "refusing to run a plugin as root");
	if (a->feat.mode == MODE_LANDLOCK &&
	    landlock_apply(p, a->feat.landlock_abi, mq_root, err, sizeof(err)) < 0)
		child_fail_msg(errfd, err);
	if (mq_root >= 0)
		close(mq_root);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(errfd, "no_new_privs");
	/* Last: the filter also covers what the steps above needed. */
	if (seccomp_apply(a->feat.mode, err, sizeof(err)) < 0)
		child_fail_msg(errfd, err);
	/*
	 * The raw syscall, not execve(3): a coverage build wraps execve() to
	 * dump its counters first, which in this CLONE_VM child would mark the
	 * agent's own counters as already dumped.
	 */
	syscall(SYS_execve, exe, argv, envp);
	child_fail(errfd, "exec");
}

struct child_ctx {
	struct agent *a;
	struct run *r;
	const struct policy *p;
	const struct launch_req *req;
	const char *exe;
	char **argv, **envp;
	int errfd, closefd;
};

static int child_entry(void *arg)
{
	struct child_ctx *c = arg;

	close(c->closefd);
	child(c->a, c->r, c->p, c->req, c->exe, c->argv, c->envp, c->errfd);
	return 125;
}

/*
 * clone3 with a stack of its own (x86-64): the child calls fn(arg) on it and
 * exits with its return value; the parent gets the pid or -errno. fn and arg
 * ride in r8/r9, which the syscall preserves in both.
 */
long ragged_clone3_fn(void *args, size_t size, int (*fn)(void *), void *arg);
__asm__(".text\n"
	".globl ragged_clone3_fn\n"
	".type ragged_clone3_fn,@function\n"
	"ragged_clone3_fn:\n"
	"	mov %rdx, %r8\n"
	"	mov %rcx, %r9\n"
	"	mov $435, %eax\n"	/* __NR_clone3 */
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	xor %ebp, %ebp\n"
	"	mov %r9, %rdi\n"
	"	call *%r8\n"
	"	mov %eax, %edi\n"
	"	mov $60, %eax\n"	/* __NR_exit */
	"	syscall\n"
	"	hlt\n"
	"1:	ret\n"
	".size ragged_clone3_fn, .-ragged_clone3_fn\n");

/* One child at a time: CLONE_VFORK holds us until it execs or exits. */
static char child_stack[256 * 1024] __attribute__((aligned(64)));

int launch_run(struct agent *a, struct run *r, const struct policy *p,
	       const struct launch_req *req, char *err, size_t errlen)
{
	struct ragged_clone_args ca = { 0 };
	char *argv[MAX_ARGV + 1], *envp[MAX_ENV + 1];
	char envbuf[MAX_ENV][PATH_MAX + 32];
	char exe[PATH_MAX], msg[512];
	int pipefd[2], pidfd = -1, ne = 0;
	size_t na = 0;
	ssize_t n;
	long pid;

	if (req->m->entry_len + req->n_extra > MAX_ARGV) {
		snprintf(err, errlen, "too many arguments (max %d)", MAX_ARGV);
		return -1;
	}
	if (resolve_exe(r->plugin_dir, req->m->entry[0], exe, sizeof(exe)) < 0) {
		snprintf(err, errlen, "entry %s: %s", req->m->entry[0],
			 errno == EXDEV ? "resolves outside the plugin directory" : strerror(errno));
		return -1;
	}
	snprintf(r->entry_exe, sizeof(r->entry_exe), "%s", exe);
	for (size_t i = 0; i < req->m->entry_len; i++)
		argv[na++] = req->m->entry[i];
	for (size_t i = 0; i < req->n_extra; i++)
		argv[na++] = req->extra_args[i];
	argv[na] = NULL;

#define ENV(...) snprintf(envbuf[ne], sizeof(envbuf[ne]), __VA_ARGS__), envp[ne] = envbuf[ne], ne++
	ENV("PATH=/usr/local/bin:/usr/bin:/bin");
	ENV("HOME=%s", r->home);
	ENV("USER=%s", r->user);
	ENV("TMPDIR=%s", r->scratch);
	ENV("LANG=C.UTF-8");
	ENV("RAGGED_SCRATCH=%s", r->scratch);
	ENV("RAGGED_RUN_ID=%s", r->run_id);
	ENV("RAGGED_PLUGIN=%s", r->plugin);
	ENV("RAGGED_ENFORCEMENT=%s", mode_name(a->feat.mode));
	ENV("RAGGED_CONSENT_FD=3");
	/* The plugin dir is read-only and ~/.local is not the plugin's. */
	ENV("PYTHONDONTWRITEBYTECODE=1");
	ENV("PYTHONNOUSERSITE=1");
#undef ENV
	envp[ne] = NULL;

	if (a->feat.mode == MODE_LANDLOCK && fsview_prepare(p) < 0) {
		snprintf(err, errlen, "plan the mount view: %s", strerror(errno));
		return -1;
	}
	/* Not fatal: without it the child opens every rule's path itself. */
	if (a->feat.mode == MODE_LANDLOCK)
		(void)landlock_prepare(p);
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		fsview_release();
		landlock_release();
		return -1;
	}
	/*
	 * CLONE_VM | CLONE_VFORK: no copy of the agent's page tables (its
	 * 128 MiB of ring-buffer mappings made fork + exec cost 3-14 ms); we
	 * wait for the exec anyway. The child must not allocate or return.
	 */
	ca.flags = CLONE_PIDFD | RAGGED_CLONE_INTO_CGROUP | CLONE_VM | CLONE_VFORK;
	/*
	 * An IPC namespace of its own: SysV shared memory, message queues and
	 * semaphores, and POSIX message queues, are per namespace, and those
	 * of the user's other processes (X11 clients keep window contents in
	 * SysV shm) are otherwise theirs to read and write by key or id.
	 */
	ca.flags |= CLONE_NEWIPC;
	ca.stack = (uint64_t)(uintptr_t)child_stack;
	ca.stack_size = sizeof(child_stack);
	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	ca.exit_signal = SIGCHLD;
	ca.cgroup = (uint64_t)r->cg.v2_fd;
	{
		struct child_ctx cc = { a, r, p, req, exe, argv, envp, pipefd[1], pipefd[0] };

#ifdef __SANITIZE_ADDRESS__
		/*
		 * ASan builds: the last child (same memory, CLONE_VM) left its
		 * frames' redzones poisoned in child_stack; the next child's
		 * frames would trip over them.
		 */
		ASAN_UNPOISON_MEMORY_REGION(child_stack, sizeof(child_stack));
#endif
		pid = ragged_clone3_fn(&ca, sizeof(ca), child_entry, &cc);
		if (pid < 0) {
			errno = (int)-pid;
			pid = -1;
		}
	}
	fsview_release();	/* the child has exec'd or failed: the plan is done */
	landlock_release();
	if (pid < 0) {
		snprintf(err, errlen, "clone3 into cgroup: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	close(pipefd[1]);
	r->pid = (pid_t)pid;
	r->pidfd = pidfd;
	do
		n = read(pipefd[0], msg, sizeof(msg) - 1);
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n > 0) {
		/* The child never reached exec; it exits 125 and we reap it. */
		msg[n] = '\0';
		snprintf(err, errlen, "%s", msg);
		return -1;
	}
	return 0;
}

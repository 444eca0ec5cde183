// SPDX-License-Identifier: MIT
/*
 * landlock_apply against the real kernel. Each case forks: the child
 * restricts itself, checks what it can and cannot open, and reports the
 * first failed check through a pipe (a Landlock domain cannot be left, so
 * the test process itself must never enter one).
 *
 * Coverage builds: the child ends with exit() so its counters are written,
 * which needs write access to the build directory holding the .gcda files;
 * every policy therefore grants the test binary's build directory (outside
 * the temp dir all checks run in).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../agent/daemon/agent.h"

#define R RAGGED_ACC_READ
#define W RAGGED_ACC_WRITE
#define X RAGGED_ACC_EXEC

static char tmp[PATH_MAX];	/* canonical temp dir of the current case */
static char build_dir[PATH_MAX];
static int kernel_abi;
static char no_landlock[128];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void put(const char *rel, const char *content)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void dir(const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int setup_group(void **state)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	(void)state;
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	/*
	 * <build>/tests/test_landlock -> <build>. Anywhere else (a binary
	 * copied elsewhere) no build dir is granted: it could contain the
	 * temp dir the checks run in.
	 */
	{
		char *d = dirname(exe);
		size_t len = strlen(d);

		if (len > 6 && strcmp(d + len - 6, "/tests") == 0) {
			d = dirname(d);
			if (strcmp(d, "/") != 0)
				snprintf(build_dir, sizeof(build_dir), "%s", d);
		}
	}
	kernel_abi = landlock_abi_version();
	if (kernel_abi < 1) {
		long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

		snprintf(no_landlock, sizeof(no_landlock), "landlock_create_ruleset(VERSION): %s",
			 v < 0 ? strerror(errno) : "ABI 0");
	}
	return 0;
}

static int setup(void **state)
{
	char t[] = "/tmp/ragged-ut-landlock.XXXXXX";

	(void)state;
	if (!mkdtemp(t) || !realpath(t, tmp))
		return -1;
	put("allowed.txt", "allowed\n");
	put("denied.txt", "denied\n");
	dir("rw");
	dir("rw/sub");
	put("rw/sub/f.txt", "beneath\n");
	dir("rw2");		/* sibling sharing the prefix "rw" */
	put("rw2/f.txt", "sibling\n");
	dir("ro");
	put("ro/f.txt", "read-only\n");
	dir("listed");
	put("listed/inner.txt", "x\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (tmp[0])
		nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	tmp[0] = '\0';
	return 0;
}

/* The build dir is granted only if no checked path lies beneath it. */
static bool grant_build_dir(void)
{
	size_t n = strlen(build_dir);

	return n && !(strncmp(tmp, build_dir, n) == 0 && (tmp[n] == '/' || tmp[n] == '\0'));
}

/* ---- a policy on the stack ---- */

struct pol {
	struct policy p;
	struct file_rule rules[32];
};

static void pol_init(struct pol *pl)
{
	memset(pl, 0, sizeof(*pl));
	pl->p.files = pl->rules;
	pl->p.cap_files = 32;
}

static void rule(struct pol *pl, const char *path, uint32_t access)
{
	struct file_rule *fr = &pl->rules[pl->p.n_files++];

	assert_true(pl->p.n_files <= 32);
	snprintf(fr->path, sizeof(fr->path), "%s", path);
	fr->access = access;
	fr->perm = RAGGED_PERM_COUNT;
	fr->system = true;
}

static void trule(struct pol *pl, const char *rel, uint32_t access)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	rule(pl, path, access);
}

/* ---- the child side ---- */

static int report_fd = -1;

static void __attribute__((format(printf, 1, 2))) child_fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n > 0 && write(report_fd, msg, strlen(msg)) < 0)
		_exit(3);
	exit(1);
}

/* open(tmp/rel, flags) must give want_errno (0 = success). */
static void expect_open(const char *rel, int flags, int want_errno)
{
	char path[PATH_MAX];
	int fd;

	if (rel[0] == '/')
		snprintf(path, sizeof(path), "%s", rel);
	else
		snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	fd = open(path, flags | O_CLOEXEC, 0644);
	if (fd >= 0) {
		close(fd);
		if (want_errno)
			child_fail("open %s (flags %#x) succeeded, want %s", path, flags,
				   strerror(want_errno));
	} else if (errno != want_errno) {
		child_fail("open %s (flags %#x): %s, want %s", path, flags, strerror(errno),
			   want_errno ? strerror(want_errno) : "success");
	}
}

static void apply_or_fail(const struct pol *pl, int abi)
{
	char err[256] = "";

	if (landlock_apply(&pl->p, abi, -1, err, sizeof(err)) < 0)
		child_fail("landlock_apply: %s", err);
}

/*
 * Run fn in a child; fail the test with the child's message if it reports
 * one or does not exit 0.
 */
static void in_child(void (*fn)(int abi), int abi)
{
	int pfd[2], status;
	char msg[512];
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	fflush(NULL);	/* the child exits through exit(): nothing twice */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		report_fd = pfd[1];
		fn(abi);
		exit(0);
	}
	close(pfd[1]);
	n = read(pfd[0], msg, sizeof(msg) - 1);
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (n > 0) {
		msg[n] = '\0';
		fail_msg("child (abi %d): %s", abi, msg);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child (abi %d) ended with status %#x", abi, status);
}

static void need_landlock(void)
{
	if (kernel_abi < 1) {
		/* Also under valgrind, which does not know the Landlock syscalls. */
		print_message("skip: Landlock is not available to this process (%s)\n", no_landlock);
		skip();
	}
}

/* The test's standard policy plus the build dir (see the header comment). */
static void base_policy(struct pol *pl)
{
	pol_init(pl);
	trule(pl, "allowed.txt", R);
	trule(pl, "rw/", R | W);
	trule(pl, "ro/", R);
	trule(pl, "listed", R);		/* a directory given without '/' */
	trule(pl, "absent", R);		/* does not exist: skipped */
	trule(pl, "absent-dir/", R | W);
	trule(pl, "allowed.txt/below", R);	/* ENOTDIR: skipped too */
	trule(pl, "denied.txt", 0);	/* no access bits: no rule */
	rule(pl, "/", 0);
	if (grant_build_dir())
		rule(pl, build_dir, R | W);
	rule(pl, "/dev/null", R | W);
}

/* The kept-descriptor cases: a policy prepared by the parent (landlock_prepare). */
static struct pol *prepared_pol;

static void c_files(int abi)
{
	struct pol own, *pl = prepared_pol;
	char path[PATH_MAX];

	if (!pl) {
		base_policy(&own);
		pl = &own;
	}
	apply_or_fail(pl, abi);
	/* An exact read rule: that file reads, nothing more. */
	expect_open("allowed.txt", O_RDONLY, 0);
	expect_open("allowed.txt", O_WRONLY, EACCES);
	expect_open("allowed.txt", O_RDWR, EACCES);
	/* No rule, or a rule without access bits: denied. */
	expect_open("denied.txt", O_RDONLY, EACCES);
	/* A dir rule allows beneath it, writes included... */
	expect_open("rw/sub/f.txt", O_RDONLY, 0);
	expect_open("rw/sub/f.txt", O_WRONLY | O_APPEND, 0);
	expect_open("rw/new.txt", O_WRONLY | O_CREAT | O_EXCL, 0);
	snprintf(path, sizeof(path), "%s/rw/newdir", tmp);
	if (mkdir(path, 0755) < 0)
		child_fail("mkdir %s: %s", path, strerror(errno));
	if (rmdir(path) < 0)
		child_fail("rmdir %s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/rw/new.txt", tmp);
	if (unlink(path) < 0)
		child_fail("unlink %s: %s", path, strerror(errno));
	/* ...but not a sibling that shares its name as a prefix. */
	expect_open("rw2/f.txt", O_RDONLY, EACCES);
	/* A read-only dir rule: reads, never writes or creates. */
	expect_open("ro/f.txt", O_RDONLY, 0);
	expect_open("ro/f.txt", O_WRONLY, EACCES);
	expect_open("ro/new.txt", O_WRONLY | O_CREAT | O_EXCL, EACCES);
	snprintf(path, sizeof(path), "%s/ro/f.txt", tmp);
	if (unlink(path) == 0 || errno != EACCES)
		child_fail("unlink in a read-only dir: %s, want EACCES",
			   errno ? strerror(errno) : "success");
	/* A directory named without its '/': listed and read beneath. */
	expect_open("listed", O_RDONLY | O_DIRECTORY, 0);
	expect_open("listed/inner.txt", O_RDONLY, 0);
	expect_open("listed/inner.txt", O_WRONLY, EACCES);
	/* The parent of all of it was never granted. */
	expect_open(".", O_RDONLY | O_DIRECTORY, EACCES);
	expect_open("/etc/hostname", O_RDONLY, EACCES);
	expect_open("/etc/passwd", O_RDONLY, EACCES);
	/* "/" with no access bits granted nothing either. */
	expect_open("/", O_RDONLY | O_DIRECTORY, EACCES);
	/* The baseline's /proc/self is added by landlock_apply itself. */
	expect_open("/proc/self/status", O_RDONLY, 0);
	expect_open("/dev/null", O_WRONLY, 0);
}

static void t_abi(void **state)
{
	(void)state;
	need_landlock();
	assert_true(kernel_abi >= 1);
	assert_int_equal(landlock_abi_version(), kernel_abi);
}

static void t_unavailable(void **state)
{
	struct pol pl;
	char err[128] = "";

	(void)state;
	/* No Landlock: refused up front, nothing applied. */
	pol_init(&pl);
	trule(&pl, "allowed.txt", R);
	assert_int_equal(landlock_apply(&pl.p, 0, -1, err, sizeof(err)), -1);
	assert_string_equal(err, "Landlock unavailable");
	assert_int_equal(landlock_apply(&pl.p, -1, -1, err, sizeof(err)), -1);
	/* Still unrestricted. */
	assert_int_equal(access("/etc/passwd", R_OK), 0);
}

static void t_files(void **state)
{
	(void)state;
	need_landlock();
	in_child(c_files, kernel_abi);
}

/* Every ABI level the agent knows, up to the kernel's: same file semantics. */
static void t_older_abis(void **state)
{
	static const int abis[] = { 1, 2, 3, 4, 5, 6, 7 };

	(void)state;
	need_landlock();
	for (size_t i = 0; i < sizeof(abis) / sizeof(abis[0]) && abis[i] <= kernel_abi; i++)
		in_child(c_files, abis[i]);
}

/* ABI 6+: signals stay inside the domain; below, they are not scoped. */
static void c_signal(int abi)
{
	struct pol pl;
	int rc;

	base_policy(&pl);
	apply_or_fail(&pl, abi);
	rc = kill(getppid(), 0);
	if (abi >= 6 && (rc == 0 || errno != EPERM))
		child_fail("kill(parent, 0) from a scoped domain: %s, want EPERM",
			   rc == 0 ? "success" : strerror(errno));
	if (abi < 6 && rc != 0)
		child_fail("kill(parent, 0) without scoping: %s", strerror(errno));
	/* Its own process is in the domain. */
	if (kill(getpid(), 0) != 0)
		child_fail("kill(self, 0): %s", strerror(errno));
}

static void t_signal_scope(void **state)
{
	(void)state;
	need_landlock();
	if (kernel_abi >= 6)
		in_child(c_signal, kernel_abi);
	in_child(c_signal, 5 < kernel_abi ? 5 : kernel_abi);
}

/* A rule whose path cannot be opened for another reason than absence fails the apply. */
static void c_loop(int abi)
{
	struct pol pl;
	char err[256] = "", want[PATH_MAX + 64];

	pol_init(&pl);
	if (grant_build_dir())
		rule(&pl, build_dir, R | W);
	trule(&pl, "allowed.txt", R);
	trule(&pl, "loop/", R);
	if (landlock_apply(&pl.p, abi, -1, err, sizeof(err)) == 0)
		child_fail("applied a policy with an unresolvable rule");
	snprintf(want, sizeof(want), "landlock rule %s/loop: Too many levels of symbolic links", tmp);
	if (strcmp(err, want) != 0)
		child_fail("err \"%s\", want \"%s\"", err, want);
	/* Failed before restricting: this process is still unconfined. */
	expect_open("denied.txt", O_RDONLY, 0);
	expect_open("/etc/passwd", O_RDONLY, 0);
}

static void t_rule_error(void **state)
{
	char path[PATH_MAX];

	(void)state;
	need_landlock();
	snprintf(path, sizeof(path), "%s/loop", tmp);
	assert_int_equal(symlink(path, path), 0);
	in_child(c_loop, kernel_abi);
}

/* Execute needs X: a read-only rule on a binary does not let it run. */
static void c_exec(int abi)
{
	struct pol pl;
	char path[PATH_MAX];
	pid_t pid;
	int st;

	pol_init(&pl);
	if (grant_build_dir())
		rule(&pl, build_dir, R | W);
	rule(&pl, "/usr/", R | X);
	rule(&pl, "/lib/", R | X);
	rule(&pl, "/lib64/", R | X);
	rule(&pl, "/etc/ld.so.cache", R);
	trule(&pl, "noexec/", R);
	apply_or_fail(&pl, abi);
	snprintf(path, sizeof(path), "%s/noexec/true", tmp);
	expect_open(path, O_RDONLY, 0);
	pid = fork();
	if (pid == 0) {
		execl(path, "true", (char *)NULL);
		_exit(errno == EACCES ? 42 : 43);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 42)
		child_fail("exec from a read-only rule: status %#x, want EACCES (42)", st);
	pid = fork();
	if (pid == 0) {
		execl("/usr/bin/true", "true", (char *)NULL);
		_exit(errno == EACCES ? 42 : 43);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		child_fail("exec /usr/bin/true under R|X: status %#x, want 0", st);
}

static void t_exec(void **state)
{
	char src[PATH_MAX], path[PATH_MAX];
	int in, out;
	char buf[65536];
	ssize_t n;

	(void)state;
	need_landlock();
	dir("noexec");
	snprintf(path, sizeof(path), "%s/noexec/true", tmp);
	snprintf(src, sizeof(src), "/usr/bin/true");
	in = open(src, O_RDONLY | O_CLOEXEC);
	out = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
	in_child(c_exec, kernel_abi);
}

/*
 * POSIX message queues live on the IPC namespace's internal mount, which no
 * path rule names: refused, unless landlock_apply gets the queue root of
 * the caller's namespace (a fresh one here, as for a run).
 */
static void c_mqueue(int abi, bool grant)
{
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = 8 };
	struct pol pl;
	char err[256] = "";
	int root = -1;
	mqd_t q;

	if (unshare(CLONE_NEWIPC) < 0)
		child_fail("unshare(CLONE_NEWIPC): %s", strerror(errno));
	if (grant && (root = landlock_mqueue_root()) < 0)
		child_fail("landlock_mqueue_root: %s", strerror(errno));
	pol_init(&pl);
	if (grant_build_dir())
		rule(&pl, build_dir, R | W);
	if (landlock_apply(&pl.p, abi, root, err, sizeof(err)) < 0)
		child_fail("landlock_apply: %s", err);
	q = mq_open("/ragged-ut", O_CREAT | O_RDWR | O_CLOEXEC, 0600, &attr);
	if (grant && q == (mqd_t)-1)
		child_fail("mq_open with the queue root granted: %s", strerror(errno));
	if (!grant && (q != (mqd_t)-1 || errno != EACCES))
		child_fail("mq_open without a grant: %s, want EACCES",
			   q == (mqd_t)-1 ? strerror(errno) : "success");
	if (q != (mqd_t)-1)
		mq_close(q);
	mq_unlink("/ragged-ut");
}

/* Failures say so: no CAP_SYS_ADMIN, no queue root; a descriptor no rule can take. */
static void c_mqueue_errors(int abi)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	char err[256] = "";
	struct pol pl;
	int pfd[2];

	if (pipe2(pfd, O_CLOEXEC) < 0)
		child_fail("pipe: %s", strerror(errno));
	pol_init(&pl);
	if (landlock_apply(&pl.p, abi, pfd[0], err, sizeof(err)) == 0)
		child_fail("a pipe was accepted as the queue root");
	if (strncmp(err, "landlock rule for the run's message queues: ", 44) != 0)
		child_fail("err \"%s\"", err);
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) < 0)
		child_fail("capset: %s", strerror(errno));
	if (landlock_mqueue_root() != -1)
		child_fail("a queue root without CAP_SYS_ADMIN");
}

static void c_mqueue_granted(int abi) { c_mqueue(abi, true); }
static void c_mqueue_refused(int abi) { c_mqueue(abi, false); }

static void t_mqueue(void **state)
{
	(void)state;
	need_landlock();
	in_child(c_mqueue_granted, kernel_abi);
	in_child(c_mqueue_refused, kernel_abi);
	in_child(c_mqueue_errors, kernel_abi);
}

/* ---- the baseline rules' objects, kept open by the agent (landlock_kept.c) ---- */

static struct pol kept_pol;

static int kept_fd(struct pol *pl, const char *rel, bool *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	for (size_t i = 0; i < pl->p.n_files; i++)
		if (strcmp(pl->rules[i].path, path) == 0)
			return landlock_prepared_fd(&pl->p, i, dir);
	fail_msg("no rule for %s", path);
	return -1;
}

static void same_object(int fd, const char *rel)
{
	char path[PATH_MAX];
	struct stat a, b;

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(stat(path, &b), 0);
	assert_true(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
}

static void replace(const char *rel)
{
	char from[PATH_MAX], to[PATH_MAX];

	put("replacement.tmp", "replaced\n");
	snprintf(from, sizeof(from), "%s/replacement.tmp", tmp);
	snprintf(to, sizeof(to), "%s/%s", tmp, rel);
	assert_int_equal(rename(from, to), 0);
}

static void prepare(struct pol *pl, bool resolve)
{
	landlock_release();
	if (resolve)
		policy_resolve_inodes(&pl->p);
	assert_int_equal(landlock_prepare(&pl->p), 0);
}

static void t_kept(void **state)
{
	struct pol other;
	bool dir = true;
	int fd, fd2;

	(void)state;
	need_landlock();
	landlock_forget();
	base_policy(&kept_pol);
	put("own.txt", "a run's own path\n");
	trule(&kept_pol, "own.txt", R);
	kept_pol.rules[kept_pol.p.n_files - 1].system = false;	/* a run's own path */
	prepare(&kept_pol, true);
	/* Baseline rules on existing objects: opened by the agent, the objects the paths name. */
	fd = kept_fd(&kept_pol, "allowed.txt", &dir);
	assert_true(fd >= 0);
	assert_false(dir);
	same_object(fd, "allowed.txt");
	assert_true(kept_fd(&kept_pol, "rw/", &dir) >= 0);
	assert_true(dir);
	/* Absent paths and a run's own paths: left to the child. */
	assert_int_equal(kept_fd(&kept_pol, "absent", &dir), -1);
	assert_int_equal(kept_fd(&kept_pol, "own.txt", &dir), -1);
	/* Only for the policy prepared. */
	other = kept_pol;
	assert_int_equal(landlock_prepared_fd(&other.p, 0, &dir), -1);
	prepared_pol = &kept_pol;
	in_child(c_files, kernel_abi);

	/* The next run: the same descriptor. */
	prepare(&kept_pol, true);
	assert_int_equal(kept_fd(&kept_pol, "allowed.txt", &dir), fd);

	/* Replaced by rename: a descriptor of the new object, and the run reads the new file. */
	replace("allowed.txt");
	prepare(&kept_pol, true);
	fd2 = kept_fd(&kept_pol, "allowed.txt", &dir);
	assert_true(fd2 >= 0);
	same_object(fd2, "allowed.txt");
	in_child(c_files, kernel_abi);

	/*
	 * Replaced after the policy build: the rule stays on the object the
	 * build saw (as bpf-lsm mode's inode rules do), the one kept.
	 */
	policy_resolve_inodes(&kept_pol.p);
	replace("allowed.txt");
	prepare(&kept_pol, false);
	assert_int_equal(kept_fd(&kept_pol, "allowed.txt", &dir), fd2);

	/*
	 * Replaced twice, once before the build and once after: the kept
	 * object is not the build's, and a fresh open finds a third one. No
	 * descriptor: the child opens the path and gets what it names then.
	 */
	policy_resolve_inodes(&kept_pol.p);
	replace("allowed.txt");
	prepare(&kept_pol, false);
	assert_int_equal(kept_fd(&kept_pol, "allowed.txt", &dir), -1);
	in_child(c_files, kernel_abi);
	prepared_pol = NULL;

	/* The agent's exit closes what is kept. */
	prepare(&kept_pol, true);
	fd = kept_fd(&kept_pol, "rw/", &dir);
	assert_true(fd >= 0);
	landlock_release();
	assert_int_equal(kept_fd(&kept_pol, "rw/", &dir), -1);
	landlock_forget();
	assert_int_equal(fcntl(fd, F_GETFD), -1);
}

/* At most 64 paths are kept: the rest the child opens. */
static void t_kept_limits(void **state)
{
	static struct pol many;
	char rel[16];
	bool dir;
	int kept_n = 0;

	(void)state;
	landlock_forget();
	memset(&many, 0, sizeof(many));
	many.p.files = calloc(80, sizeof(struct file_rule));
	assert_non_null(many.p.files);
	for (int i = 0; i < 70; i++) {
		struct file_rule *fr = &many.p.files[many.p.n_files++];

		snprintf(rel, sizeof(rel), "f%02d", i);
		put(rel, "x\n");
		snprintf(fr->path, sizeof(fr->path), "%s/%s", tmp, rel);
		fr->access = R;
		fr->perm = RAGGED_PERM_COUNT;
		fr->system = true;
	}
	policy_resolve_inodes(&many.p);
	assert_int_equal(landlock_prepare(&many.p), 0);
	for (size_t i = 0; i < 70; i++)
		kept_n += landlock_prepared_fd(&many.p, i, &dir) >= 0;
	assert_int_equal(kept_n, 64);
	assert_int_equal(landlock_prepared_fd(&many.p, 69, &dir), -1);
	landlock_forget();
	free(many.p.files);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(t_abi),
		T(t_unavailable),
		T(t_files),
		T(t_older_abis),
		T(t_signal_scope),
		T(t_rule_error),
		T(t_exec),
		T(t_mqueue),
		T(t_kept),
		T(t_kept_limits),
#undef T
	};

	return cmocka_run_group_tests(tests, setup_group, NULL);
}

// SPDX-License-Identifier: MIT
/*
 * Run cgroups on this machine's real hierarchies (hybrid here: v2 for the
 * BPF hooks, memory/pids/cpuacct from v1). Everything lives under a subtree
 * named ragged-ut-<pid> beneath this process's own cgroups, and teardown
 * removes every cgroup a case created, also when the case failed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../agent/daemon/agent.h"
#include "util/util.h"

#define MAX_CG 8
#define MAX_KIDS 8

struct fx {
	char name[64];
	struct cgroup_env env;
	bool env_ok;
	struct run_cgroup cg[MAX_CG];	/* created by the case: destroyed in teardown */
	int n_cg;
	pid_t kids[MAX_KIDS];
	int n_kids;
	char err[512];
};

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	*state = f;
	f->env.v2_fd = -1;
	snprintf(f->name, sizeof(f->name), "ragged-ut-%d", (int)getpid());
	if (cgroup_env_init(&f->env, f->name, f->err, sizeof(f->err)) < 0) {
		print_error("cgroup_env_init: %s\n", f->err);
		cgroup_env_remove(&f->env);
		return -1;
	}
	f->env_ok = true;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int rc = 0;

	if (!f)
		return 0;
	for (int i = 0; i < f->n_cg; i++) {
		if (f->cg[i].v2_fd < 0 && f->cg[i].name[0])
			f->cg[i].v2_fd = openat(f->env.v2_fd, f->cg[i].name,
						O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		run_cgroup_kill(&f->env, &f->cg[i]);
		if (run_cgroup_destroy(&f->env, &f->cg[i]) < 0) {
			print_error("could not remove cgroup %s\n", f->cg[i].name);
			rc = -1;
		}
	}
	for (int i = 0; i < f->n_kids; i++) {
		kill(f->kids[i], SIGKILL);
		waitpid(f->kids[i], NULL, 0);
	}
	cgroup_env_remove(&f->env);
	if (exists(f->env.v2) || (f->env.v1_memory[0] && exists(f->env.v1_memory)) ||
	    (f->env.v1_pids[0] && exists(f->env.v1_pids)) ||
	    (f->env.v1_cpuacct[0] && exists(f->env.v1_cpuacct)) ||
	    (f->env.v1_cpu[0] && exists(f->env.v1_cpu))) {
		print_error("cgroup subtree %s left behind\n", f->name);
		rc = -1;
	}
	free(f);
	return rc;
}

static struct run_cgroup *create(struct fx *f, const char *name, uint32_t mem_mb, uint32_t pids)
{
	struct run_limits lim = { .memory_mb = mem_mb, .cpu_seconds = 10, .pids = pids };
	struct run_cgroup *cg;

	assert_true(f->n_cg < MAX_CG);
	cg = &f->cg[f->n_cg];
	f->err[0] = '\0';
	if (run_cgroup_create(&f->env, name, &lim, cg, f->err, sizeof(f->err)) < 0)
		fail_msg("run_cgroup_create %s: %s", name, f->err);
	f->n_cg++;
	return cg;
}

static void read_knob(const char *dir, const char *knob, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, knob);
	if (read_file(path, buf, len) < 0)
		fail_msg("read %s: %s", path, strerror(errno));
}

/* This process's own cgroup path in one v1 hierarchy. */
static void own_v1(const char *ctrl, char *out, size_t len)
{
	FILE *fp = fopen("/proc/self/cgroup", "re");
	char line[1024];

	out[0] = '\0';
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		*c2 = '\0';
		c2[strcspn(c2 + 1, "\n") + 1] = '\0';
		if (strcmp(c1 + 1, ctrl) == 0)
			snprintf(out, len, "%s", strcmp(c2 + 1, "/") ? c2 + 1 : "");
	}
	fclose(fp);
}

/* ---- a process in the run cgroup ---- */

enum kid_mode { KID_SLEEP, KID_FORKS };

/*
 * Fork a child that joins cg (v2 through cgroup.procs, v1 through
 * run_cgroup_enter_v1, as launch does), reports readiness, then works.
 */
static pid_t spawn(struct fx *f, const struct run_cgroup *cg, enum kid_mode mode, int *result_fd)
{
	int ready[2], res[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(res, O_CLOEXEC), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		close(res[0]);
		if (write_fileat(cg->v2_fd, "cgroup.procs", "0") < 0 || run_cgroup_enter_v1(&f->env, cg) < 0)
			_exit(2);
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		if (mode == KID_SLEEP) {
			/* A grandchild too: the kill must take the whole run. */
			if (fork() == 0)
				for (;;)
					pause();
			for (;;)
				pause();
		}
		/* KID_FORKS: as many children as the limit lets us have. */
		{
			int n = 0;
			char msg[16];

			for (int i = 0; i < 16; i++) {
				pid_t k = fork();

				if (k == 0) {
					pause();
					_exit(0);
				}
				if (k < 0)
					break;
				n++;
			}
			snprintf(msg, sizeof(msg), "%d", n);
			/* Its children stay behind in the cgroup for run_cgroup_kill. */
			_exit(write(res[1], msg, strlen(msg)) < 0 ? 4 : 0);
		}
	}
	close(ready[1]);
	close(res[1]);
	assert_true(f->n_kids < MAX_KIDS);
	f->kids[f->n_kids++] = pid;
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	if (result_fd)
		*result_fd = res[0];
	else
		close(res[0]);
	return pid;
}

static void forget_kid(struct fx *f, pid_t pid)
{
	for (int i = 0; i < f->n_kids; i++)
		if (f->kids[i] == pid)
			f->kids[i] = f->kids[--f->n_kids];
}

static int count_procs(const struct run_cgroup *cg)
{
	char buf[4096];
	int n = 0;

	if (read_fileat(cg->v2_fd, "cgroup.procs", buf, sizeof(buf)) < 0)
		return -1;
	for (char *p = buf; *p; p++)
		n += *p == '\n';
	return buf[0] ? n + 1 : 0;
}

/* ---- tests ---- */

static void t_env(void **state)
{
	struct fx *f = *state;
	char own[PATH_MAX], want[PATH_MAX * 2];
	struct stat st;

	/* The v2 subtree: a directory of cgroup2, held open for clone3. */
	assert_true(f->env.v2_fd >= 0);
	assert_int_equal(fstat(f->env.v2_fd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	snprintf(want, sizeof(want), "/%s", f->name);
	assert_string_equal(f->env.v2 + strlen(f->env.v2) - strlen(want), want);
	assert_true(exists(f->env.v2));
	/* Limits need memory and pids somewhere: v2 or the v1 fallback. */
	assert_true(f->env.v2_memory || f->env.v1_memory[0]);
	assert_true(f->env.v2_pids || f->env.v1_pids[0]);
	if (!f->env.v2_memory) {
		/* Beneath our own v1 memory cgroup, never anyone else's. */
		own_v1("memory", own, sizeof(own));
		snprintf(want, sizeof(want), "/sys/fs/cgroup/memory%s/%s", own, f->name);
		assert_string_equal(f->env.v1_memory, want);
		assert_true(exists(f->env.v1_memory));
	}
	if (!f->env.v2_pids) {
		own_v1("pids", own, sizeof(own));
		snprintf(want, sizeof(want), "/sys/fs/cgroup/pids%s/%s", own, f->name);
		assert_string_equal(f->env.v1_pids, want);
	}
	/* Init again (an agent restart): the same subtree, no error. */
	{
		struct cgroup_env again;

		assert_int_equal(cgroup_env_init(&again, f->name, f->err, sizeof(f->err)), 0);
		assert_string_equal(again.v2, f->env.v2);
		assert_string_equal(again.v1_memory, f->env.v1_memory);
		close(again.v2_fd);
	}
}

static void t_env_bad_name(void **state)
{
	struct cgroup_env env;
	char longname[PATH_MAX + 16];	/* longer than any path: nothing gets created */
	char *err = malloc(3 * PATH_MAX);

	(void)state;
	assert_non_null(err);
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(cgroup_env_init(&env, longname, err, 3 * PATH_MAX), -1);
	assert_true(strstr(err, "create cgroup ") == err);
	assert_true(strstr(err, ": File name too long") != NULL);
	assert_int_equal(env.v2_fd, -1);
	free(err);
}

static void t_create_limits(void **state)
{
	struct fx *f = *state;
	struct run_cgroup *cg = create(f, "run-ut-limits", 64, 17);
	char buf[64], path[PATH_MAX * 2];
	struct stat st;

	assert_string_equal(cg->name, "run-ut-limits");
	assert_true(cg->v2_fd >= 0);
	/* The id the BPF programs key on is the v2 directory's cgroup id (its inode). */
	snprintf(path, sizeof(path), "%s/run-ut-limits", f->env.v2);
	assert_int_equal(stat(path, &st), 0);
	assert_true(cg->id != 0);
	assert_int_equal(cg->id, st.st_ino);
	if (f->env.v2_memory) {
		assert_int_equal(read_fileat(cg->v2_fd, "memory.max", buf, sizeof(buf)) > 0, 1);
		assert_string_equal(buf, "67108864");
	} else {
		snprintf(path, sizeof(path), "%s/run-ut-limits", f->env.v1_memory);
		assert_string_equal(cg->v1_memory, path);
		read_knob(cg->v1_memory, "memory.limit_in_bytes", buf, sizeof(buf));
		assert_string_equal(buf, "67108864");
	}
	if (f->env.v2_pids) {
		assert_true(read_fileat(cg->v2_fd, "pids.max", buf, sizeof(buf)) > 0);
		assert_string_equal(buf, "17");
	} else {
		read_knob(cg->v1_pids, "pids.max", buf, sizeof(buf));
		assert_string_equal(buf, "17");
	}
	if (f->env.v1_cpuacct[0])
		assert_true(exists(cg->v1_cpuacct));
	/* Run names are unique: the same one again is refused, the first stays. */
	{
		struct run_limits lim = { .memory_mb = 1, .pids = 1 };
		struct run_cgroup dup;

		assert_int_equal(run_cgroup_create(&f->env, "run-ut-limits", &lim, &dup, f->err,
						   sizeof(f->err)), -1);
		snprintf(path, sizeof(path), "create cgroup %s/run-ut-limits: File exists",
			 f->env.v2);
		assert_string_equal(f->err, path);
		assert_int_equal(dup.v2_fd, -1);
		if (!f->env.v2_memory) {
			read_knob(cg->v1_memory, "memory.limit_in_bytes", buf, sizeof(buf));
			assert_string_equal(buf, "67108864");
		}
	}
}

/* A v1 hierarchy that cannot take the run: nothing of it is left. */
static void t_create_fails_cleanly(void **state)
{
	struct fx *f = *state;
	struct cgroup_env bad = f->env;
	struct run_limits lim = { .memory_mb = 32, .pids = 8 };
	struct run_cgroup cg;
	char path[PATH_MAX * 2];

	snprintf(bad.v1_pids, sizeof(bad.v1_pids), "/nonexistent-ragged-ut");
	bad.v2_pids = false;
	assert_int_equal(run_cgroup_create(&bad, "run-ut-fail", &lim, &cg, f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, "set up cgroup run-ut-fail: No such file or directory");
	assert_int_equal(cg.v2_fd, -1);
	snprintf(path, sizeof(path), "%s/run-ut-fail", f->env.v2);
	assert_false(exists(path));
	if (f->env.v1_memory[0]) {
		snprintf(path, sizeof(path), "%s/run-ut-fail", f->env.v1_memory);
		assert_false(exists(path));
	}
	/* v2 controllers that are not really there: the first knob fails, all undone. */
	if (!f->env.v2_memory && !f->env.v2_pids) {
		static const bool mem[] = { true, false };

		for (size_t i = 0; i < 2; i++) {
			bad = f->env;
			bad.v2_memory = mem[i];
			bad.v2_pids = !mem[i];
			assert_int_equal(run_cgroup_create(&bad, "run-ut-v2", &lim, &cg, f->err,
							   sizeof(f->err)), -1);
			assert_string_equal(f->err, "set up cgroup run-ut-v2: No such file or directory");
			snprintf(path, sizeof(path), "%s/run-ut-v2", f->env.v2);
			assert_false(exists(path));
		}
	}
}

static bool in_cgroup(pid_t pid, const char *ctrl, const char *dir)
{
	char path[64], line[1024], want[PATH_MAX];
	const char *mnt = strstr(dir, ctrl);
	bool hit = false;
	FILE *fp;

	/* dir is /sys/fs/cgroup/<ctrl><path>: the process's line says <path>. */
	assert_non_null(mnt);
	snprintf(want, sizeof(want), "%s", mnt + strlen(ctrl));
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	fp = fopen(path, "re");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		*c2 = '\0';
		c2[strcspn(c2 + 1, "\n") + 1] = '\0';
		if (strcmp(c1 + 1, ctrl) == 0 && strcmp(c2 + 1, want) == 0)
			hit = true;
	}
	fclose(fp);
	return hit;
}

static void t_enter_v1_and_kill(void **state)
{
	struct fx *f = *state;
	struct run_cgroup *cg = create(f, "run-ut-kill", 64, 16);
	struct timespec t0, t1;
	pid_t pid;
	int st;

	pid = spawn(f, cg, KID_SLEEP, NULL);
	if (cg->v1_memory[0])
		assert_true(in_cgroup(pid, "memory", cg->v1_memory));
	if (cg->v1_pids[0])
		assert_true(in_cgroup(pid, "pids", cg->v1_pids));
	if (cg->v1_cpuacct[0])
		assert_true(in_cgroup(pid, "cpuacct", cg->v1_cpuacct));
	/* The child and its own child. */
	for (int i = 0; i < 1000 && count_procs(cg) < 2; i++)
		usleep(1000);
	assert_int_equal(count_procs(cg), 2);
	/* The cgroup cannot go while it has tasks. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_cgroup_kill(&f->env, cg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(count_procs(cg), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	forget_kid(f, pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	/* Empty now: destroy removes every hierarchy's directory. */
	{
		char v2[PATH_MAX * 2], mem[PATH_MAX], pids[PATH_MAX];

		snprintf(v2, sizeof(v2), "%s/%s", f->env.v2, cg->name);
		snprintf(mem, sizeof(mem), "%s", cg->v1_memory);
		snprintf(pids, sizeof(pids), "%s", cg->v1_pids);
		assert_int_equal(run_cgroup_destroy(&f->env, cg), 0);
		assert_int_equal(cg->v2_fd, -1);
		assert_false(exists(v2));
		if (mem[0])
			assert_false(exists(mem));
		if (pids[0])
			assert_false(exists(pids));
		/* Twice is harmless (ENOENT), killing a destroyed run too. */
		assert_int_equal(run_cgroup_destroy(&f->env, cg), 0);
		run_cgroup_kill(&f->env, cg);
	}
	/* Well under the 2 s the kill loop allows. */
	assert_true(t1.tv_sec - t0.tv_sec < 2);
}

static void t_enter_v1_missing(void **state)
{
	struct fx *f = *state;
	struct cgroup_env env;
	struct run_cgroup cg;

	(void)f;
	memset(&env, 0, sizeof(env));
	memset(&cg, 0, sizeof(cg));
	/* No v1 dirs (a pure v2 host): nothing to join, success. */
	assert_int_equal(run_cgroup_enter_v1(&env, &cg), 0);
	/* The shared cpu group gone: placement only, still success. */
	snprintf(env.v1_cpu, sizeof(env.v1_cpu), "/nonexistent-ragged-ut/cpu");
	assert_int_equal(run_cgroup_enter_v1(&env, &cg), 0);
	/* A v1 dir that is gone: the child must not exec unlimited. */
	snprintf(cg.v1_memory, sizeof(cg.v1_memory), "/nonexistent-ragged-ut/run-x");
	assert_int_equal(run_cgroup_enter_v1(&env, &cg), -1);
}

/*
 * A KID_FORKS child in cg, run to its end: how many children it could fork
 * (they stay behind in cg, paused, for run_cgroup_kill).
 */
static int forks_until_limit(struct fx *f, const struct run_cgroup *cg)
{
	char buf[16] = "";
	int res, st;
	ssize_t n;
	pid_t pid = spawn(f, cg, KID_FORKS, &res);

	n = read(res, buf, sizeof(buf) - 1);
	close(res);
	assert_true(n > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	forget_kid(f, pid);
	return atoi(buf);
}

/* pids.max holds: a run cannot fork past it, and the usage says so. */
static void t_pids_limit_and_usage(void **state)
{
	struct fx *f = *state;
	struct run_cgroup *cg = create(f, "run-ut-pids", 64, 4);
	struct run_usage u;

	/* The child itself counts: 3 more. */
	assert_int_equal(forks_until_limit(f, cg), 3);
	run_cgroup_kill(&f->env, cg);
	memset(&u, 0, sizeof(u));
	run_cgroup_usage(cg, &u, RUN_USAGE_ALL);
	assert_true(u.pids_peak >= 4);
	assert_true(u.pids_max_hits >= 1);
	assert_true(u.mem_peak > 0);
	assert_int_equal(u.oom_kills, 0);
	/* A later reading never lowers the peak it already saw. */
	u.pids_peak = 1000;
	run_cgroup_usage(cg, &u, RUN_USAGE_ALL);
	assert_int_equal(u.pids_peak, 1000);
}

/*
 * A tick's read (no RUN_USAGE_* asked) takes the breach counters and leaves
 * what the kernel keeps a peak of alone; a full read then gets the peak.
 * Without pids.peak every read watches pids.current, or the peak is lost.
 */
static void t_usage_tick_reads(void **state)
{
	struct fx *f = *state;
	struct run_cgroup *cg = create(f, "run-ut-tick", 64, 4);
	struct run_usage u;
	int peak_fd;

	assert_int_equal(forks_until_limit(f, cg), 3);
	memset(&u, 0, sizeof(u));
	u.cpu_usec = 77;
	run_cgroup_usage(cg, &u, 0);
	assert_true(u.pids_max_hits >= 1);	/* the fork refused at pids.max */
	assert_int_equal(u.cpu_usec, 77);	/* CPU not asked for */
	assert_int_equal(u.mem_peak, 0);
	peak_fd = cg->usage_fd[USAGE_PIDS_PEAK];
	if (peak_fd >= 0)
		assert_int_equal(u.pids_peak, 0);	/* the kernel keeps it */
	else
		assert_true(u.pids_peak >= 1);	/* pids.current, watched on every read */
	run_cgroup_usage(cg, &u, RUN_USAGE_ALL);
	assert_true(u.pids_peak >= 4);
	assert_true(u.mem_peak > 0);
	assert_int_not_equal(u.cpu_usec, 77);
	/*
	 * Without pids.peak (older kernels), the tick's read sees pids.current:
	 * the three children the forker left are still there.
	 */
	if (peak_fd >= 0) {
		cg->usage_fd[USAGE_PIDS_PEAK] = -1;
		u.pids_peak = 0;
		run_cgroup_usage(cg, &u, 0);
		assert_int_equal(u.pids_peak, 3);
		cg->usage_fd[USAGE_PIDS_PEAK] = peak_fd;
	}
	run_cgroup_kill(&f->env, cg);
}

/*
 * When CPU must next be read: never later than the run could use up its
 * headroom on every CPU at once, less one tick; at every tick once the
 * headroom is within that.
 */
static void t_cpu_check_after(void **state)
{
	const uint64_t tick = (uint64_t)TICK_MS * 1000000;

	(void)state;
	/* 10 s bound, 2 s used, 2 CPUs: 4 s of wall time at the soonest. */
	assert_true(cpu_check_after_ns(10000000, 2000000, 2) == 4000000000ULL - tick);
	assert_true(cpu_check_after_ns(10000000, 2000000, 1) == 8000000000ULL - tick);
	/* Within a tick (or a tick and a bit) of the bound: every tick. */
	assert_true(cpu_check_after_ns(10000000, 9950000, 1) == 0);
	assert_true(cpu_check_after_ns(10000000, 9900000, 2) == 0);
	assert_true(cpu_check_after_ns(10000000, 9880000, 1) == 120000000ULL - tick);
	/* At or past the bound, or no CPU count: every tick. */
	assert_true(cpu_check_after_ns(10000000, 10000000, 2) == 0);
	assert_true(cpu_check_after_ns(10000000, 20000000, 2) == 0);
	assert_true(cpu_check_after_ns(10000000, 0, 0) == 0);
	/* The largest bound the manifest allows does not overflow. */
	assert_true(cpu_check_after_ns(UINT32_MAX * 1000000ULL, 0, 1) ==
		    UINT32_MAX * 1000000000ULL - tick);
}

/* A run left by a dead agent: its processes are killed, its cgroups removed. */
static void t_reap_stale(void **state)
{
	struct fx *f = *state;
	struct run_cgroup *a = create(f, "run-ut-stale1", 64, 16);
	struct run_cgroup *b = create(f, "run-ut-stale2", 64, 16);
	char keep[PATH_MAX * 2], a_v2[PATH_MAX * 2], a_mem[PATH_MAX], b_v2[PATH_MAX * 2];
	pid_t pid;
	int st;

	pid = spawn(f, a, KID_SLEEP, NULL);
	snprintf(keep, sizeof(keep), "%s/keep-me", f->env.v2);
	assert_int_equal(mkdir(keep, 0755), 0);
	snprintf(a_v2, sizeof(a_v2), "%s/%s", f->env.v2, a->name);
	snprintf(b_v2, sizeof(b_v2), "%s/%s", f->env.v2, b->name);
	snprintf(a_mem, sizeof(a_mem), "%s", a->v1_memory);
	/* The agent died: its descriptors are gone. */
	close(a->v2_fd);
	a->v2_fd = -1;
	close(b->v2_fd);
	b->v2_fd = -1;
	{
		uint64_t ida = a->id, idb = b->id;
		struct stale_run out[4];
		int n = cgroup_reap_stale(&f->env, out, 4);

		/* Reported for the records: the run id part of the name and the cgroup id. */
		assert_int_equal(n, 2);
		if (strcmp(out[0].name, "ut-stale1") != 0) {
			struct stale_run t = out[0];

			out[0] = out[1];
			out[1] = t;
		}
		assert_string_equal(out[0].name, "ut-stale1");
		assert_int_equal(out[0].cgid, ida);
		assert_string_equal(out[1].name, "ut-stale2");
		assert_int_equal(out[1].cgid, idb);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	forget_kid(f, pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/*
	 * Emptied but kept until counted (what a run's own program counted
	 * goes with its cgroup), then removed by name, v1 groups too.
	 */
	assert_true(exists(a_v2));
	assert_true(exists(b_v2));
	assert_int_equal(cgroup_stale_destroy(&f->env, "run-ut-stale1"), 0);
	assert_int_equal(cgroup_stale_destroy(&f->env, "run-ut-stale2"), 0);
	assert_false(exists(a_v2));
	assert_false(exists(b_v2));
	if (a_mem[0])
		assert_false(exists(a_mem));
	/* Beyond max: not accounted for, so removed at once. */
	{
		struct run_cgroup *c = create(f, "run-ut-stale3", 64, 16);
		struct run_cgroup *d = create(f, "run-ut-stale4", 64, 16);
		char c_v2[PATH_MAX * 2], d_v2[PATH_MAX * 2];
		struct stale_run out[1];
		char kept[48];

		snprintf(c_v2, sizeof(c_v2), "%s/%s", f->env.v2, c->name);
		snprintf(d_v2, sizeof(d_v2), "%s/%s", f->env.v2, d->name);
		close(c->v2_fd);
		c->v2_fd = -1;
		close(d->v2_fd);
		d->v2_fd = -1;
		assert_int_equal(cgroup_reap_stale(&f->env, out, 1), 1);
		assert_int_equal(exists(c_v2) + exists(d_v2), 1);
		snprintf(kept, sizeof(kept), "run-%s", out[0].name);
		assert_int_equal(cgroup_stale_destroy(&f->env, kept), 0);
		assert_false(exists(c_v2));
		assert_false(exists(d_v2));
	}
	/* Not a run: left alone. */
	assert_true(exists(keep));
	assert_int_equal(rmdir(keep), 0);
	/* Nothing left to reap: a no-op. */
	{
		struct stale_run out[1];

		assert_int_equal(cgroup_reap_stale(&f->env, out, 1), 0);
	}
	/* An env that was never set up: nothing happens. */
	{
		struct cgroup_env none;

		memset(&none, 0, sizeof(none));
		none.v2_fd = -1;
		assert_int_equal(cgroup_reap_stale(&none, NULL, 0), 0);
	}
}


/*
 * Kernels before cgroup.kill (5.14): the fallback kills every process the
 * cgroup lists. Exercised on a v1 directory, which has cgroup.procs but no
 * cgroup.kill (nor cgroup.events).
 */
static void t_kill_fallback(void **state)
{
	struct fx *f = *state;
	struct run_cgroup *cg = create(f, "run-ut-fallback", 64, 16);
	struct run_cgroup v1 = *cg;
	pid_t pid;
	int st;

	if (!cg->v1_pids[0]) {
		print_message("skip: no v1 pids hierarchy on this host\n");
		skip();
	}
	pid = spawn(f, cg, KID_SLEEP, NULL);
	for (int i = 0; i < 1000 && count_procs(cg) < 2; i++)
		usleep(1000);
	v1.v2_fd = open(cg->v1_pids, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(v1.v2_fd >= 0);
	{
		char probe[8];

		assert_true(read_fileat(v1.v2_fd, "cgroup.kill", probe, sizeof(probe)) < 0);
	}
	run_cgroup_kill(&f->env, &v1);
	close(v1.v2_fd);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	forget_kid(f, pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* Its child was listed too. */
	for (int i = 0; i < 1000 && count_procs(cg) > 0; i++)
		usleep(1000);
	assert_int_equal(count_procs(cg), 0);
}

/* A v2-only host: the usage comes from the v2 files (cpu.stat is always there). */
static void t_usage_v2(void **state)
{
	struct fx *f = *state;
	struct run_cgroup *cg = create(f, "run-ut-usage", 64, 16);
	struct run_cgroup v2only = *cg;
	struct run_usage u;
	uint64_t before;
	pid_t pid;
	int st;

	v2only.v1_memory[0] = v2only.v1_pids[0] = v2only.v1_cpuacct[0] = '\0';
	/* The first check opens the files; later checks re-read the same fds. */
	memset(&u, 0, sizeof(u));
	run_cgroup_usage(&v2only, &u, RUN_USAGE_ALL);
	assert_true(v2only.usage_open);
	before = u.cpu_usec;
	/* Burn some CPU inside the run, in v2 only. */
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		volatile unsigned long x = 0;

		if (write_fileat(cg->v2_fd, "cgroup.procs", "0") < 0)
			_exit(2);
		for (unsigned long i = 0; i < 200000000UL; i++)
			x += i;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	memset(&u, 0, sizeof(u));
	run_cgroup_usage(&v2only, &u, RUN_USAGE_ALL);
	/* The loop took well over a millisecond, and the held file says so. */
	assert_true(u.cpu_usec > before + 1000);
	if (!f->env.v2_memory)
		assert_int_equal(u.mem_peak, 0);	/* no memory.peak without the controller */
	if (!f->env.v2_pids)
		assert_int_equal(u.pids_peak, 0);
	assert_int_equal(u.oom_kills, 0);
	run_cgroup_usage_close(&v2only);
	assert_false(v2only.usage_open);
	/* Nothing readable at all: zeros, no crash. */
	v2only.v2_fd = -1;
	memset(&u, 0, sizeof(u));
	run_cgroup_usage(&v2only, &u, RUN_USAGE_ALL);
	assert_int_equal(u.cpu_usec, 0);
	for (int i = 0; i < RUN_USAGE_FILES; i++)
		assert_int_equal(v2only.usage_fd[i], -1);
	run_cgroup_usage_close(&v2only);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(t_env),
		T(t_env_bad_name),
		T(t_create_limits),
		T(t_create_fails_cleanly),
		T(t_enter_v1_and_kill),
		T(t_enter_v1_missing),
		T(t_pids_limit_and_usage),
		T(t_reap_stale),
		T(t_kill_fallback),
		T(t_usage_v2),
		T(t_usage_tick_reads),
		T(t_cpu_check_after),
#undef T
	};

	if (geteuid() != 0) {
		printf("test_cgroup: skipped: creating cgroups needs root\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

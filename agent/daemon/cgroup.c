// SPDX-License-Identifier: MIT
/*
 * Run cgroups.
 *
 * The BPF programs key on the v2 cgroup id, so every run gets a v2 cgroup:
 * <agent's own v2 cgroup>/<name>/run-<id>. Resource controllers come from
 * v2 where the kernel offers them there, else (hybrid hosts, docs/contract.md §9) from
 * v1, in a parallel <agent's own v1 cgroup>/<name>/run-<id>. We only ever
 * create directories beneath our own cgroup and never touch anyone else's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "util/util.h"

struct mnt {
	char v2[PATH_MAX];
	char memory[PATH_MAX], pids[PATH_MAX], cpuacct[PATH_MAX], cpu[PATH_MAX];
};

static bool has_opt(const char *opts, const char *want)
{
	size_t n = strlen(want);
	const char *p = opts;

	while ((p = strstr(p, want))) {
		if ((p == opts || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

static void find_mounts(struct mnt *m)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];

	memset(m, 0, sizeof(*m));
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char root[PATH_MAX], mp[PATH_MAX], type[64], src[256], sopts[1024];
		char *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mp) != 2 ||
		    sscanf(dash + 3, "%63s %255s %1023s", type, src, sopts) != 3)
			continue;
		/* Only mounts of the hierarchy root map cgroup paths 1:1. */
		if (strcmp(root, "/") != 0)
			continue;
		if (strcmp(type, "cgroup2") == 0 && !m->v2[0])
			snprintf(m->v2, sizeof(m->v2), "%s", mp);
		else if (strcmp(type, "cgroup") == 0) {
			if (has_opt(sopts, "memory") && !m->memory[0])
				snprintf(m->memory, sizeof(m->memory), "%s", mp);
			if (has_opt(sopts, "pids") && !m->pids[0])
				snprintf(m->pids, sizeof(m->pids), "%s", mp);
			if (has_opt(sopts, "cpuacct") && !m->cpuacct[0])
				snprintf(m->cpuacct, sizeof(m->cpuacct), "%s", mp);
			if (has_opt(sopts, "cpu") && !m->cpu[0])
				snprintf(m->cpu, sizeof(m->cpu), "%s", mp);
		}
	}
	fclose(f);
}

/* Our own cgroup path in hierarchy "ctrl" ("" = the v2 line). */
static int own_cgroup(const char *ctrl, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096];
	int rc = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		*c2 = '\0';
		line[strcspn(line, "\n")] = '\0';
		c2[1 + strcspn(c2 + 1, "\n")] = '\0';
		if ((ctrl[0] == '\0' && strcmp(c1 + 1, "") == 0 && strncmp(line, "0", 1) == 0) ||
		    (ctrl[0] && has_opt(c1 + 1, ctrl))) {
			snprintf(out, len, "%s", strcmp(c2 + 1, "/") == 0 ? "" : c2 + 1);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

static bool controller_listed(const char *dir, const char *ctrl)
{
	char path[PATH_MAX], buf[512];
	char *tok, *save = NULL;

	if (xsnprintf(path, sizeof(path), "%s/cgroup.controllers", dir) < 0 ||
	    read_file(path, buf, sizeof(buf)) < 0)
		return false;
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (strcmp(tok, ctrl) == 0)
			return true;
	return false;
}

/* Enable a v2 controller for our subtree: in our own cgroup, then in ours/<name>. */
static bool v2_enable(const char *parent, const char *base, const char *ctrl)
{
	char path[PATH_MAX], val[32];

	if (!controller_listed(parent, ctrl))
		return false;
	snprintf(val, sizeof(val), "+%s", ctrl);
	if (xsnprintf(path, sizeof(path), "%s/cgroup.subtree_control", parent) < 0 ||
	    write_file(path, val) < 0)
		return false;
	if (xsnprintf(path, sizeof(path), "%s/cgroup.subtree_control", base) < 0 ||
	    write_file(path, val) < 0)
		return false;
	return true;
}

/*
 * cgroup v2 lets no process live in a cgroup that hands controllers to its
 * children. Under systemd (Delegate=yes) the agent's own cgroup is its
 * service's, with the agent in it, so enabling controllers there would fail
 * with EBUSY. The agent then moves itself into a leaf of its own and the
 * run cgroups become its siblings. It does so only when it is alone there:
 * next to other processes (a login session's scope) it cannot make room,
 * and says how to run it instead. The leaf's name cannot clash with a run
 * subtree: [paths] cgroup allows no '.'.
 */
#define AGENT_LEAF "raggedd.agent"

static bool wants_controllers(const char *dir)
{
	return controller_listed(dir, "memory") || controller_listed(dir, "pids") ||
	       controller_listed(dir, "cpu");
}

static int enter_leaf(const char *parent, char *err, size_t errlen)
{
	char path[PATH_MAX], procs[4096], self[24];
	char *tok, *save = NULL;

	snprintf(self, sizeof(self), "%d", (int)getpid());
	if (xsnprintf(path, sizeof(path), "%s/cgroup.procs", parent) < 0 ||
	    read_file(path, procs, sizeof(procs)) < 0) {
		snprintf(err, errlen, "read %s: %s", path, strerror(errno));
		return -1;
	}
	for (tok = strtok_r(procs, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save))
		if (strcmp(tok, self) != 0) {
			snprintf(err, errlen, "cgroup %s holds other processes (pid %s): the agent "
				 "needs a cgroup of its own to create run cgroups below (run it as "
				 "raggedd.service, Delegate=yes)", parent, tok);
			return -1;
		}
	if (xsnprintf(path, sizeof(path), "%s/" AGENT_LEAF, parent) < 0 ||
	    (mkdir(path, 0755) < 0 && errno != EEXIST) ||
	    xsnprintf(path, sizeof(path), "%s/" AGENT_LEAF "/cgroup.procs", parent) < 0 ||
	    write_file(path, self) < 0) {
		snprintf(err, errlen, "move the agent into %s/" AGENT_LEAF ": %s", parent,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int v1_base(const char *mnt, const char *ctrl, const char *name, char *out, size_t len)
{
	char own[PATH_MAX];

	out[0] = '\0';
	if (!mnt[0] || own_cgroup(ctrl, own, sizeof(own)) < 0)
		return 0;
	if (xsnprintf(out, len, "%s%s/%s", mnt, own, name) < 0 || mkdir_p(out, 0755) < 0) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

int cgroup_env_init(struct cgroup_env *env, const char *name, char *err, size_t errlen)
{
	struct mnt m;
	char own[PATH_MAX], parent[PATH_MAX];

	memset(env, 0, sizeof(*env));
	env->v2_fd = -1;
	find_mounts(&m);
	if (!m.v2[0] || own_cgroup("", own, sizeof(own)) < 0) {
		snprintf(err, errlen, "no cgroup v2 hierarchy mounted: the BPF cgroup hooks need one");
		return -1;
	}
	if (xsnprintf(parent, sizeof(parent), "%s%s", m.v2, own) < 0) {
		snprintf(err, errlen, "cgroup path too long: %s%s", m.v2, own);
		return -1;
	}
	/* Not the root cgroup, and controllers to hand down: make room first. */
	if (own[0] && wants_controllers(parent) && enter_leaf(parent, err, errlen) < 0)
		return -1;
	if (xsnprintf(env->v2, sizeof(env->v2), "%s/%s", parent, name) < 0 ||
	    mkdir_p(env->v2, 0755) < 0) {
		snprintf(err, errlen, "create cgroup %s/%s: %s", parent, name, strerror(errno));
		return -1;
	}
	env->v2_fd = open(env->v2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (env->v2_fd < 0) {
		snprintf(err, errlen, "open %s: %s", env->v2, strerror(errno));
		return -1;
	}
	env->v2_memory = v2_enable(parent, env->v2, "memory");
	env->v2_pids = v2_enable(parent, env->v2, "pids");
	env->v2_cpu = v2_enable(parent, env->v2, "cpu");
	/* Hybrid host: whatever v2 lacks comes from the v1 hierarchy. */
	if ((!env->v2_memory && v1_base(m.memory, "memory", name, env->v1_memory, PATH_MAX) < 0) ||
	    (!env->v2_pids && v1_base(m.pids, "pids", name, env->v1_pids, PATH_MAX) < 0) ||
	    (!env->v2_cpu && v1_base(m.cpuacct, "cpuacct", name, env->v1_cpuacct, PATH_MAX) < 0)) {
		snprintf(err, errlen, "create v1 cgroup for %s: %s", name, strerror(errno));
		return -1;
	}
	/*
	 * Co-mounted with cpuacct, the run's cpuacct group is its cpu group
	 * already. Only placement for the scheduler, not a limit: without it
	 * runs start slower, not less confined.
	 */
	if (!env->v2_cpu && strcmp(m.cpu, m.cpuacct) != 0 &&
	    v1_base(m.cpu, "cpu", name, env->v1_cpu, PATH_MAX) < 0)
		env->v1_cpu[0] = '\0';
	if (!env->v2_memory && !env->v1_memory[0]) {
		snprintf(err, errlen, "no memory controller (v2 or v1): limits cannot be enforced");
		return -1;
	}
	if (!env->v2_pids && !env->v1_pids[0]) {
		snprintf(err, errlen, "no pids controller (v2 or v1): limits cannot be enforced");
		return -1;
	}
	return 0;
}

int cgroup_env_remove(struct cgroup_env *env)
{
	const char *v1[] = { env->v1_memory, env->v1_pids, env->v1_cpuacct, env->v1_cpu };
	int rc = 0;

	if (env->v2_fd >= 0)
		close(env->v2_fd);
	env->v2_fd = -1;
	/* rmdir only: a cgroup that still has children or tasks stays, never forced. */
	if (env->v2[0] && rmdir(env->v2) < 0 && errno != ENOENT)
		rc = -1;
	for (size_t i = 0; i < ARRAY_SIZE(v1); i++)
		if (v1[i][0])
			rmdir(v1[i]);
	return rc;
}

static int v1_create(const char *base, const char *name, char *out, const char *knob,
		     const char *val)
{
	char path[PATH_MAX];

	out[0] = '\0';
	if (!base[0])
		return 0;
	if (xsnprintf(out, PATH_MAX, "%s/%s", base, name) < 0 || mkdir(out, 0755) < 0)
		return -1;
	if (knob && (xsnprintf(path, sizeof(path), "%s/%s", out, knob) < 0 ||
		     write_file(path, val) < 0))
		return -1;
	return 0;
}

int run_cgroup_create(const struct cgroup_env *env, const char *name,
		      const struct run_limits *lim, struct run_cgroup *cg,
		      char *err, size_t errlen)
{
	char mem[32], pids[32];
	int dfd;

	memset(cg, 0, sizeof(*cg));
	cg->v2_fd = -1;
	snprintf(cg->name, sizeof(cg->name), "%s", name);
	snprintf(mem, sizeof(mem), "%llu", (unsigned long long)lim->memory_mb << 20);
	snprintf(pids, sizeof(pids), "%u", lim->pids);

	if (mkdirat(env->v2_fd, name, 0755) < 0) {
		snprintf(err, errlen, "create cgroup %s/%s: %s", env->v2, name, strerror(errno));
		return -1;
	}
	dfd = openat(env->v2_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		goto fail;
	cg->v2_fd = dfd;
	cg->id = cgroup_id_of(dfd);
	if (!cg->id)
		goto fail;
	if (env->v2_memory && (write_fileat(dfd, "memory.max", mem) < 0 ||
			       /* No swap: a limit a plugin can page around is no limit. */
			       (write_fileat(dfd, "memory.swap.max", "0") < 0 && errno != ENOENT)))
		goto fail;
	if (env->v2_pids && write_fileat(dfd, "pids.max", pids) < 0)
		goto fail;
	/* An OOM kill takes the whole run, not one process of it. */
	if (env->v2_memory && write_fileat(dfd, "memory.oom.group", "1") < 0 && errno != ENOENT)
		goto fail;
	if (v1_create(env->v1_memory, name, cg->v1_memory, "memory.limit_in_bytes", mem) < 0 ||
	    v1_create(env->v1_pids, name, cg->v1_pids, "pids.max", pids) < 0 ||
	    v1_create(env->v1_cpuacct, name, cg->v1_cpuacct, NULL, NULL) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "set up cgroup %s: %s", name, strerror(errno));
	run_cgroup_destroy(env, cg);
	return -1;
}

int run_cgroup_enter_v1(const struct cgroup_env *env, const struct run_cgroup *cg)
{
	const char *dirs[] = { cg->v1_memory, cg->v1_pids, cg->v1_cpuacct };
	char path[PATH_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (!dirs[i][0])
			continue;
		/*
		 * "tasks", not "cgroup.procs": we are the child's only thread, so
		 * moving it moves the process, and a thread moving itself does not
		 * take cgroup_threadgroup_rwsem for writing, which costs an RCU
		 * grace period (~10 ms) on every run.
		 */
		if (xsnprintf(path, sizeof(path), "%s/tasks", dirs[i]) < 0 ||
		    write_file(path, "0") < 0)
			return -1;
	}
	/* The shared cpu group places, it does not limit: never a reason to refuse. */
	if (env->v1_cpu[0] && xsnprintf(path, sizeof(path), "%s/tasks", env->v1_cpu) >= 0)
		(void)!write_file(path, "0");
	return 0;
}

static bool populated(int dfd)
{
	char buf[256];

	if (read_fileat(dfd, "cgroup.events", buf, sizeof(buf)) < 0)
		return false;
	return strstr(buf, "populated 1") != NULL;
}

static void kill_procs(int dfd)
{
	char buf[8192];
	char *p, *save = NULL;

	if (read_fileat(dfd, "cgroup.procs", buf, sizeof(buf)) < 0)
		return;
	for (p = strtok_r(buf, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
		kill((pid_t)atoi(p), SIGKILL);
}

void run_cgroup_kill(const struct cgroup_env *env, struct run_cgroup *cg)
{
	struct timespec ts = { 0, 1000000 };

	(void)env;
	if (cg->v2_fd < 0)
		return;
	/* cgroup.kill (5.14+) is atomic against forks; the loop is the fallback. */
	if (write_fileat(cg->v2_fd, "cgroup.kill", "1") < 0)
		kill_procs(cg->v2_fd);
	for (int i = 0; i < 2000 && populated(cg->v2_fd); i++) {
		if (i % 50 == 49)
			kill_procs(cg->v2_fd);
		nanosleep(&ts, NULL);
	}
}

/*
 * Freeze or thaw every process of the run (cgroup v2 cgroup.freeze, in every
 * non-root v2 cgroup since 5.2; the run always has one, the BPF programs key
 * on it). Frozen processes still die of SIGKILL, so cgroup.kill and the
 * limits keep working. Asynchronous: cgroup.events says "frozen 1" when done.
 */
int run_cgroup_freeze(const struct run_cgroup *cg, bool frozen)
{
	if (cg->v2_fd < 0) {
		errno = EBADF;
		return -1;
	}
	return write_fileat(cg->v2_fd, "cgroup.freeze", frozen ? "1" : "0");
}

static int rmdir_retry(int dirfd, const char *path)
{
	struct timespec ts = { 0, 1000000 };

	for (int i = 0; i < 200; i++) {
		if ((dirfd >= 0 ? unlinkat(dirfd, path, AT_REMOVEDIR) : rmdir(path)) == 0 ||
		    errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -1;
		nanosleep(&ts, NULL);
	}
	return -1;
}

int run_cgroup_destroy(const struct cgroup_env *env, struct run_cgroup *cg)
{
	int rc = 0;

	run_cgroup_usage_close(cg);
	if (cg->v2_fd >= 0) {
		close(cg->v2_fd);
		cg->v2_fd = -1;
	}
	if (cg->name[0] && rmdir_retry(env->v2_fd, cg->name) < 0)
		rc = -1;
	if (cg->v1_memory[0] && rmdir_retry(-1, cg->v1_memory) < 0)
		rc = -1;
	if (cg->v1_pids[0] && rmdir_retry(-1, cg->v1_pids) < 0)
		rc = -1;
	if (cg->v1_cpuacct[0] && rmdir_retry(-1, cg->v1_cpuacct) < 0)
		rc = -1;
	return rc;
}

/* The cgroups of a dead agent's run named name ("run-<id>"), v2 dir not opened. */
static void stale_cg(const struct cgroup_env *env, const char *name, struct run_cgroup *cg)
{
	memset(cg, 0, sizeof(*cg));
	cg->v2_fd = -1;
	snprintf(cg->name, sizeof(cg->name), "%s", name);
	if (env->v1_memory[0])
		snprintf(cg->v1_memory, sizeof(cg->v1_memory), "%s/%s", env->v1_memory, name);
	if (env->v1_pids[0])
		snprintf(cg->v1_pids, sizeof(cg->v1_pids), "%s/%s", env->v1_pids, name);
	if (env->v1_cpuacct[0])
		snprintf(cg->v1_cpuacct, sizeof(cg->v1_cpuacct), "%s/%s", env->v1_cpuacct, name);
}

/*
 * Runs left by an agent that died: their supervisor is gone, so end them.
 * Their names and cgroup ids go to out (up to max) so the new agent can
 * account for what the kernel counted for them. Returns how many. The
 * emptied cgroups stay until cgroup_stale_destroy: what a run's own program
 * counted in its cgroup's storage (sockrun.c) goes with the cgroup.
 */
int cgroup_reap_stale(const struct cgroup_env *env, struct stale_run *out, int max)
{
	int n = 0;
	DIR *d;
	struct dirent *de;
	int fd = dup(env->v2_fd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	/* A dup shares the directory's offset: where an earlier scan stopped. */
	rewinddir(d);
	while ((de = readdir(d))) {
		struct run_cgroup cg;
		bool kept = false;

		if (strncmp(de->d_name, "run-", 4) != 0 || de->d_type != DT_DIR)
			continue;
		stale_cg(env, de->d_name, &cg);
		cg.v2_fd = openat(env->v2_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (n < max && cg.v2_fd >= 0) {
			out[n].cgid = cgroup_id_of(cg.v2_fd);
			snprintf(out[n].name, sizeof(out[n].name), "%s", de->d_name + 4);
			n++;
			kept = true;
		}
		run_cgroup_kill(env, &cg);
		/* Beyond max it is not accounted for: nothing to keep it for. */
		if (kept) {
			close(cg.v2_fd);
		} else {
			run_cgroup_destroy(env, &cg);
		}
	}
	closedir(d);
	return n;
}

/* Remove the cgroups ("run-<id>") of a run cgroup_reap_stale kept. */
int cgroup_stale_destroy(const struct cgroup_env *env, const char *name)
{
	struct run_cgroup cg;

	stale_cg(env, name, &cg);
	return run_cgroup_destroy(env, &cg);
}

/* Open a usage file: in the v1 hierarchy's dir, or under the v2 dir fd. */
static int usage_file_open(const char *dir, int dfd, const char *name)
{
	char path[PATH_MAX];

	if (!dir[0])
		return dfd >= 0 ? openat(dfd, name, O_RDONLY | O_CLOEXEC) : -1;
	if (xsnprintf(path, sizeof(path), "%s/%s", dir, name) < 0)
		return -1;
	return open(path, O_RDONLY | O_CLOEXEC);
}

static void usage_files_open(struct run_cgroup *cg)
{
	const char *mem = cg->v1_memory, *pids = cg->v1_pids;
	int *fd = cg->usage_fd;

	/* cpu.stat is core cgroup v2: there even without the cpu controller. */
	fd[USAGE_CPU_STAT] = usage_file_open("", cg->v2_fd, "cpu.stat");
	fd[USAGE_MEM_PEAK] = usage_file_open(mem, cg->v2_fd,
					     mem[0] ? "memory.max_usage_in_bytes" : "memory.peak");
	fd[USAGE_MEM_EVENTS] = usage_file_open(mem, cg->v2_fd,
					       mem[0] ? "memory.oom_control" : "memory.events");
	fd[USAGE_PIDS_PEAK] = usage_file_open(pids, cg->v2_fd, "pids.peak");
	fd[USAGE_PIDS_CURRENT] = usage_file_open(pids, cg->v2_fd, "pids.current");
	fd[USAGE_PIDS_EVENTS] = usage_file_open(pids, cg->v2_fd, "pids.events");
	cg->usage_open = true;
}

void run_cgroup_usage_close(struct run_cgroup *cg)
{
	if (!cg->usage_open)
		return;
	for (int i = 0; i < RUN_USAGE_FILES; i++)
		if (cg->usage_fd[i] >= 0)
			close(cg->usage_fd[i]);
	cg->usage_open = false;
}

/* The file's text now: a read from offset 0 makes cgroupfs render it anew. */
static int usage_read(const struct run_cgroup *cg, int which, char *buf, size_t len)
{
	ssize_t n;

	if (cg->usage_fd[which] < 0 || (n = pread(cg->usage_fd[which], buf, len - 1, 0)) < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static uint64_t read_u64(const struct run_cgroup *cg, int which)
{
	char buf[64];

	return usage_read(cg, which, buf, sizeof(buf)) < 0 ? 0 : strtoull(buf, NULL, 10);
}

/* "key N" out of a flat-keyed cgroup file. */
static uint64_t read_key(const struct run_cgroup *cg, int which, const char *key)
{
	size_t kl = strlen(key);
	char buf[1024], *p;

	if (usage_read(cg, which, buf, sizeof(buf)) < 0)
		return 0;
	for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
			return strtoull(p + kl + 1, NULL, 10);
	return 0;
}

/*
 * The breach counters always; CPU and the peaks when what asks. The peaks
 * are the kernel's own (memory.peak, pids.peak), so a tick need not watch
 * them; without pids.peak (older kernels) the peak is the largest
 * pids.current any check saw, read on every check.
 */
void run_cgroup_usage(struct run_cgroup *cg, struct run_usage *u, unsigned what)
{
	uint64_t cur = 0;

	if (!cg->usage_open)
		usage_files_open(cg);
	if (what & RUN_USAGE_CPU)
		u->cpu_usec = read_key(cg, USAGE_CPU_STAT, "usage_usec");
	u->oom_kills = read_key(cg, USAGE_MEM_EVENTS, "oom_kill");
	u->pids_max_hits = read_key(cg, USAGE_PIDS_EVENTS, "max");
	if (what & RUN_USAGE_PEAKS) {
		u->mem_peak = read_u64(cg, USAGE_MEM_PEAK);
		cur = read_u64(cg, USAGE_PIDS_PEAK);
	}
	if (!cur && ((what & RUN_USAGE_PEAKS) || cg->usage_fd[USAGE_PIDS_PEAK] < 0))
		cur = read_u64(cg, USAGE_PIDS_CURRENT);
	if (cur > u->pids_peak)
		u->pids_peak = cur;
}

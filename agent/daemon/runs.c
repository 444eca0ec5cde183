// SPDX-License-Identifier: MIT
/*
 * A run's life: admission (registry, manifest digest, consent), setup
 * (scratch, cgroup, policy into the kernel, launch), supervision (pidfd in
 * the event loop) and teardown (kill what is left, drain and reconcile the
 * kernel's counters, record, remove maps and cgroup, answer the client).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "perms.h"
#include "proto.h"
#include "util.h"

#define EXIT_CONSENT 77
#define EXIT_SANDBOX 125
#define TICK_MS 50	/* limit checks: the bound on how late a CPU/wall kill can be */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* FTW_PHYS: the plugin may have left symlinks; never follow them out. */
static void rm_tree(const char *path)
{
	if (path[0])
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static int run_account(struct agent *a, struct client *c, struct run *r, char *err, size_t errlen)
{
	char buf[4096];
	struct passwd pw, *res = NULL;

	/* The name in records is the caller's; the account is who the plugin runs as. */
	r->owner = c->uid;
	if (getpwuid_r(c->uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(r->user, sizeof(r->user), "%s", res->pw_name);
	else
		snprintf(r->user, sizeof(r->user), "%u", (unsigned)c->uid);
	res = NULL;
	if (c->uid == 0) {
		if (!a->cfg.root_run_as[0]) {
			snprintf(err, errlen, "plugins never run as root; set [agent] root_run_as "
				 "in the agent config to run them for root");
			return -1;
		}
		if (getpwnam_r(a->cfg.root_run_as, &pw, buf, sizeof(buf), &res) != 0 || !res) {
			snprintf(err, errlen, "root_run_as account %s does not exist", a->cfg.root_run_as);
			return -1;
		}
	} else if (getpwuid_r(c->uid, &pw, buf, sizeof(buf), &res) != 0 || !res) {
		snprintf(err, errlen, "uid %u has no passwd entry", (unsigned)c->uid);
		return -1;
	}
	if (res->pw_uid == 0) {
		snprintf(err, errlen, "refusing to run a plugin as root");
		return -1;
	}
	r->uid = res->pw_uid;
	r->gid = res->pw_gid;
	snprintf(r->home, sizeof(r->home), "%s", res->pw_dir);
	return 0;
}

static uint32_t lim(uint32_t manifest, uint32_t def, uint32_t max)
{
	return manifest ? (manifest < max ? manifest : max) : def;
}

static void run_free(struct agent *a, struct run *r)
{
	struct run **pp;

	for (pp = &a->runs; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	policy_free(&r->pol);
	free(r);
}

/* Undo whatever setup got done; used on every failure path and at the end. */
static void run_teardown(struct agent *a, struct run *r)
{
	if (r->pidfd >= 0) {
		ep_del(a, r->pidfd);
		close(r->pidfd);
		r->pidfd = -1;
	}
	if (r->timerfd >= 0) {
		ep_del(a, r->timerfd);
		close(r->timerfd);
		r->timerfd = -1;
	}
	run_cgroup_kill(&a->cg, &r->cg);
	kmaps_remove(a, r);
	run_cgroup_destroy(&a->cg, &r->cg);
	if (r->scratch_mounted && umount2(r->scratch, MNT_DETACH) == 0)
		r->scratch_mounted = false;
	rm_tree(r->scratch);
}

/*
 * The scratch dir is its own tmpfs: its size is the cap, its pages are
 * charged to the writer (the plugin's memory cgroup), and noexec backs the
 * "nothing fetched is executed" rule.
 */
static int scratch_setup(struct run *r, char *err, size_t errlen)
{
	char opts[128];

	if (mkdir_p(r->scratch, 0700) < 0) {
		snprintf(err, errlen, "scratch dir: %s", strerror(errno));
		return -1;
	}
	snprintf(opts, sizeof(opts), "size=%um,mode=0700,uid=%u,gid=%u", r->limits.scratch_mb,
		 (unsigned)r->uid, (unsigned)r->gid);
	if (mount("ragged-scratch", r->scratch, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0) {
		snprintf(err, errlen, "scratch tmpfs: %s", strerror(errno));
		return -1;
	}
	r->scratch_mounted = true;
	return 0;
}

void runs_reap_stale_scratch(struct agent *a)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (xsnprintf(dir, sizeof(dir), "%s/runs", a->cfg.state_dir) < 0 || !(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || xsnprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < 0)
			continue;
		umount2(path, MNT_DETACH);
		rm_tree(path);
	}
	closedir(d);
}

static void refuse(struct agent *a, struct client *c, struct run *r, int code,
		   const char *event, const char *err)
{
	cJSON *rec = auditrec_new(a, event, code == EXIT_CONSENT ? "denied" : "error");

	auditrec_run_fields(rec, r);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(rec, "details"), "reason", err);
	auditrec_emit(a, rec);
	reply_error(c, code, "%s", err);
}

static int admit(struct agent *a, struct client *c, const cJSON *msg, struct run *r,
		 struct manifest *m, uint32_t *granted, int *code, char *err, size_t errlen)
{
	const char *name = proto_str(msg, "plugin");
	char mpath[PATH_MAX], digest[65];
	const char *want;
	cJSON *e;
	uint32_t need;

	*code = EXIT_SANDBOX;
	if (registry_lookup(a, c->uid, name, &e, err, errlen) < 0)
		return -1;
	snprintf(r->plugin, sizeof(r->plugin), "%s", name);
	snprintf(r->plugin_dir, sizeof(r->plugin_dir), "%s", proto_str(e, "dir") ?: "");
	want = proto_str(e, "digest");
	if (xsnprintf(mpath, sizeof(mpath), "%s/plugin.toml", r->plugin_dir) < 0 ||
	    manifest_load(mpath, m, err, errlen) < 0) {
		cJSON_Delete(e);
		return -1;
	}
	snprintf(r->version, sizeof(r->version), "%s", m->version);
	manifest_digest_hex(m, digest);
	if (!want || strcmp(want, digest) != 0) {
		snprintf(err, errlen, "%s changed since it was installed; review it and run "
			 "`raggedctl plugin install --replace %s`", mpath, r->plugin_dir);
		cJSON_Delete(e);
		return -1;
	}
	cJSON_Delete(e);
	if (run_account(a, c, r, err, errlen) < 0)
		return -1;
	if (consent_granted(a, c->uid, name, digest, granted) < 0) {
		*code = EXIT_CONSENT;
		snprintf(err, errlen, "consent store for %s is unreadable: nothing is granted", name);
		return -1;
	}
	need = m->required & ~*granted;
	if (need && proto_bool(msg, "yes")) {
		/* --yes grants exactly what the first-run prompt would have shown. */
		if (consent_store(a, c->uid, name, digest, *granted | m->required, err, errlen) < 0)
			return -1;
		*granted |= m->required;
		{
			cJSON *rec = auditrec_new(a, "permission_granted", "success");

			auditrec_run_fields(rec, r);
			cJSON_DeleteItemFromObject(rec, "permissions_used");
			auditrec_perms(rec, "permissions_used", need);
			cJSON_AddStringToObject(cJSON_AddObjectToObject(rec, "details"), "via", "--yes");
			auditrec_emit(a, rec);
		}
		need = 0;
	}
	if (need) {
		*code = EXIT_CONSENT;
		snprintf(err, errlen, "consent not given for %s (required: %d permission(s)); "
			 "grant with `raggedctl plugin grant %s` or run with --yes", name,
			 __builtin_popcount(need), name);
		return -1;
	}
	/* Only what the manifest declares can be in force, whatever the store says. */
	*granted &= m->required | m->optional;
	return 0;
}

void run_start(struct agent *a, struct client *c, const cJSON *msg, int *fds, int nfds)
{
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(msg, "args"), *it;
	char err[512], cgname[48];
	char *extra[256];
	struct launch_req req = { 0 };
	struct manifest m;
	struct policy pol;
	struct run *r;
	uint32_t granted = 0;
	size_t n_extra = 0;
	int code;
	cJSON *rep;

	memset(&m, 0, sizeof(m));
	if (c->run || nfds != 3) {
		reply_error(c, EXIT_SANDBOX, c->run ? "a run is already attached to this connection"
						   : "run needs the caller's stdin, stdout and stderr");
		goto out_fds;
	}
	cJSON_ArrayForEach(it, args) {
		if (!cJSON_IsString(it) || n_extra >= ARRAY_SIZE(extra)) {
			reply_error(c, EXIT_SANDBOX, "run arguments must be at most 256 strings");
			goto out_fds;
		}
		extra[n_extra++] = it->valuestring;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		reply_error(c, EXIT_SANDBOX, "out of memory");
		goto out_fds;
	}
	r->agent = a;
	r->pidfd = -1;
	r->timerfd = -1;
	r->cg.v2_fd = -1;
	r->start_ns = now_monotonic_ns();
	if (random_hex(r->run_id) < 0) {
		reply_error(c, EXIT_SANDBOX, "no randomness for a run id");
		free(r);
		goto out_fds;
	}
	if (admit(a, c, msg, r, &m, &granted, &code, err, sizeof(err)) < 0) {
		if (r->plugin[0])
			refuse(a, c, r, code, code == EXIT_CONSENT ? "permission_denied"
								  : "plugin_failed", err);
		else
			reply_error(c, code, "%s", err);
		manifest_free(&m);
		free(r);
		goto out_fds;
	}
	r->limits.memory_mb = lim(m.limits.memory_mb, a->cfg.limits.memory_mb, a->cfg.limits_max.memory_mb);
	r->limits.cpu_seconds = lim(m.limits.cpu_seconds, a->cfg.limits.cpu_seconds, a->cfg.limits_max.cpu_seconds);
	r->limits.pids = lim(m.limits.pids, a->cfg.limits.pids, a->cfg.limits_max.pids);
	r->limits.wall_seconds = lim(m.limits.wall_seconds, a->cfg.limits.wall_seconds,
				     a->cfg.limits_max.wall_seconds ? a->cfg.limits_max.wall_seconds : UINT32_MAX);
	r->limits.scratch_mb = a->cfg.limits.scratch_mb ? a->cfg.limits.scratch_mb : 100;
	r->next = a->runs;
	a->runs = r;

	snprintf(cgname, sizeof(cgname), "run-%.16s", r->run_id);
	if (xsnprintf(r->scratch, sizeof(r->scratch), "%s/runs/%s", a->cfg.state_dir, r->run_id) < 0) {
		snprintf(err, sizeof(err), "scratch dir: %s", strerror(errno));
		goto fail;
	}
	if (scratch_setup(r, err, sizeof(err)) < 0)
		goto fail;
	if (run_cgroup_create(&a->cg, cgname, &r->limits, &r->cg, err, sizeof(err)) < 0 ||
	    policy_build(a, r, &m, granted, &pol, err, sizeof(err)) < 0)
		goto fail;
	r->pol = pol;
	if (kmaps_install(a, r, &r->pol, err, sizeof(err)) < 0)
		goto fail;
	req.m = &m;
	req.extra_args = extra;
	req.n_extra = n_extra;
	memcpy(req.stdio, fds, sizeof(req.stdio));
	if (launch_run(a, r, &r->pol, &req, err, sizeof(err)) < 0)
		goto fail;
	r->client = c;
	c->run = r;
	ep_add(a, r->pidfd, EP_RUN, r);
	{
		struct itimerspec its = { { 0, TICK_MS * 1000000L }, { 0, TICK_MS * 1000000L } };

		r->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (r->timerfd < 0 || timerfd_settime(r->timerfd, 0, &its, NULL) < 0 ||
		    ep_add(a, r->timerfd, EP_TIMER, r) < 0) {
			/* Unwatched limits are no limits: end the run now. */
			snprintf(r->breach, sizeof(r->breach), "monitor");
			snprintf(r->breach_reason, sizeof(r->breach_reason),
				 "cannot watch the run's limits: %s", strerror(errno));
			run_cgroup_kill(&a->cg, &r->cg);
		}
	}
	{
		cJSON *rec = auditrec_new(a, "plugin_loaded", "success");

		auditrec_run_fields(rec, r);
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(rec, "details"), "pid", r->pid);
		auditrec_emit(a, rec);
	}
	rep = cJSON_CreateObject();
	cJSON_AddStringToObject(rep, "type", "started");
	cJSON_AddStringToObject(rep, "run_id", r->run_id);
	cJSON_AddStringToObject(rep, "enforcement", mode_name(a->feat.mode));
	client_send(c, rep);
	cJSON_Delete(rep);
	manifest_free(&m);
	goto out_fds;
fail:
	if (r->pid > 0) {
		/* A child that failed before exec: collect it. */
		siginfo_t si;

		waitid(P_PID, (id_t)r->pid, &si, WEXITED);
		r->pid = 0;
	}
	run_teardown(a, r);
	refuse(a, c, r, EXIT_SANDBOX, "plugin_failed", err);
	manifest_free(&m);
	run_free(a, r);
out_fds:
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
}

struct run *run_find_pidfd(struct agent *a, int fd)
{
	for (struct run *r = a->runs; r; r = r->next)
		if (r->pidfd == fd)
			return r;
	return NULL;
}

/*
 * Reconcile: what the kernel counted must equal what we logged plus what
 * the ring buffer could not take. Anything else is reported, never hidden.
 */
static void reconcile(struct agent *a, struct run *r, cJSON *details)
{
	struct ragged_run_counters sum;
	uint64_t denied = 0, allowed = 0;

	if (kmaps_counters(a, r->cg.id, &sum) < 0) {
		cJSON_AddStringToObject(details, "counters", "unavailable");
		return;
	}
	for (int h = 0; h < RAGGED_HOOK_MAX; h++) {
		denied += sum.deny[h];
		allowed += sum.allow[h];
	}
	cJSON_AddNumberToObject(details, "kernel_denied", (double)denied);
	cJSON_AddNumberToObject(details, "kernel_allowed", (double)allowed);
	cJSON_AddNumberToObject(details, "kernel_audited",
				(double)(denied + sum.allow_audited + sum.observed));
	cJSON_AddNumberToObject(details, "records_logged", (double)r->records);
	cJSON_AddNumberToObject(details, "records_suppressed", (double)r->suppressed);
	cJSON_AddNumberToObject(details, "records_lost", (double)sum.lost);
	if (sum.lost) {
		cJSON *rec = auditrec_new(a, "events_lost", "error");

		auditrec_run_fields(rec, r);
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(rec, "details"), "count", (double)sum.lost);
		auditrec_emit(a, rec);
	}
}

/* Say which limit ended the run, once: record, reason for the caller, kill. */
static void breach(struct agent *a, struct run *r, const char *limit, uint64_t usage,
		   uint64_t bound, const char *unit, const char *reason)
{
	cJSON *rec, *d;

	if (r->breach[0])
		return;
	snprintf(r->breach, sizeof(r->breach), "%s", limit);
	snprintf(r->breach_reason, sizeof(r->breach_reason), "%s", reason);
	rec = auditrec_new(a, "resource_limit_exceeded", "killed");
	auditrec_run_fields(rec, r);
	d = cJSON_AddObjectToObject(rec, "details");
	cJSON_AddStringToObject(d, "limit", limit);
	cJSON_AddNumberToObject(d, "usage", (double)usage);
	cJSON_AddNumberToObject(d, "bound", (double)bound);
	cJSON_AddStringToObject(d, "unit", unit);
	cJSON_AddStringToObject(d, "reason", reason);
	auditrec_emit(a, rec);
	run_cgroup_kill(&a->cg, &r->cg);
}

/* Check every limit against what the cgroups say now. */
static void check_limits(struct agent *a, struct run *r)
{
	uint64_t elapsed_ms = (now_monotonic_ns() - r->start_ns) / 1000000;
	struct run_usage *u = &r->usage;
	struct statfs sf;
	char why[160];

	run_cgroup_usage(&r->cg, u);
	if (r->scratch_mounted && statfs(r->scratch, &sf) == 0) {
		u->scratch_size = (uint64_t)sf.f_blocks * (uint64_t)sf.f_bsize;
		u->scratch_used = (uint64_t)(sf.f_blocks - sf.f_bfree) * (uint64_t)sf.f_bsize;
	}
	if (u->oom_kills > 0) {
		snprintf(why, sizeof(why), "memory limit of %u MB reached (out-of-memory kill)",
			 r->limits.memory_mb);
		breach(a, r, "memory", u->mem_peak, (uint64_t)r->limits.memory_mb << 20, "bytes", why);
	} else if (u->pids_max_hits > 0) {
		snprintf(why, sizeof(why), "process limit of %u reached (%llu forks refused)",
			 r->limits.pids, (unsigned long long)u->pids_max_hits);
		breach(a, r, "pids", u->pids_peak, r->limits.pids, "processes", why);
	} else if (r->limits.cpu_seconds && u->cpu_usec > (uint64_t)r->limits.cpu_seconds * 1000000) {
		snprintf(why, sizeof(why), "CPU time limit of %u s reached", r->limits.cpu_seconds);
		breach(a, r, "cpu", u->cpu_usec / 1000, (uint64_t)r->limits.cpu_seconds * 1000, "ms", why);
	} else if (r->limits.wall_seconds && elapsed_ms > (uint64_t)r->limits.wall_seconds * 1000) {
		snprintf(why, sizeof(why), "wall-clock limit of %u s reached", r->limits.wall_seconds);
		breach(a, r, "wall", elapsed_ms, (uint64_t)r->limits.wall_seconds * 1000, "ms", why);
	} else if (u->scratch_size && u->scratch_used >= u->scratch_size) {
		snprintf(why, sizeof(why), "scratch space limit of %u MB reached", r->limits.scratch_mb);
		breach(a, r, "scratch", u->scratch_used, u->scratch_size, "bytes", why);
	}
}

struct run *run_find_timerfd(struct agent *a, int fd)
{
	for (struct run *r = a->runs; r; r = r->next)
		if (r->timerfd == fd)
			return r;
	return NULL;
}

void run_tick(struct agent *a, struct run *r)
{
	uint64_t n;

	if (read(r->timerfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	check_limits(a, r);
}

static void run_finish(struct agent *a, struct run *r, int status, bool have_status)
{
	uint64_t ms = (now_monotonic_ns() - r->start_ns) / 1000000;
	bool ok = have_status && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	cJSON *rec, *d, *rep;

	/* A limit may have ended it between two ticks: look once more. */
	check_limits(a, r);
	ok = ok && !r->breach[0];
	/* Children the plugin left behind die with it. */
	run_cgroup_kill(&a->cg, &r->cg);
	events_drain(a);
	rec = auditrec_new(a, ok ? "plugin_executed" : "plugin_failed", ok ? "success" : "failure");
	auditrec_run_fields(rec, r);
	cJSON_AddNumberToObject(rec, "duration_ms", (double)ms);
	d = cJSON_AddObjectToObject(rec, "details");
	if (have_status && WIFEXITED(status))
		cJSON_AddNumberToObject(d, "exit_status", WEXITSTATUS(status));
	else if (have_status && WIFSIGNALED(status))
		cJSON_AddNumberToObject(d, "signal", WTERMSIG(status));
	cJSON_AddNumberToObject(d, "cpu_ms", (double)(r->usage.cpu_usec / 1000));
	cJSON_AddNumberToObject(d, "peak_memory_bytes", (double)r->usage.mem_peak);
	cJSON_AddNumberToObject(d, "peak_pids", (double)r->usage.pids_peak);
	cJSON_AddNumberToObject(d, "processes_forked", (double)r->forks);
	cJSON_AddNumberToObject(d, "execs", (double)r->execs);
	cJSON_AddNumberToObject(d, "unexpected_execs", (double)r->unexpected_execs);
	if (r->breach[0])
		cJSON_AddStringToObject(d, "limit_exceeded", r->breach);
	reconcile(a, r, d);
	auditrec_emit(a, rec);

	if (r->client) {
		rep = cJSON_CreateObject();
		cJSON_AddStringToObject(rep, "type", "exit");
		if (have_status && WIFEXITED(status))
			cJSON_AddNumberToObject(rep, "status", WEXITSTATUS(status));
		else if (have_status && WIFSIGNALED(status))
			cJSON_AddNumberToObject(rep, "signal", WTERMSIG(status));
		else
			cJSON_AddNumberToObject(rep, "status", EXIT_SANDBOX);
		if (r->breach[0]) {
			/* Killed for a limit: 137 and one line saying which. */
			cJSON_DeleteItemFromObject(rep, "status");
			cJSON_DeleteItemFromObject(rep, "signal");
			cJSON_AddNumberToObject(rep, "signal", SIGKILL);
			cJSON_AddStringToObject(rep, "reason", r->breach_reason);
		}
		client_send(r->client, rep);
		cJSON_Delete(rep);
		r->client->run = NULL;
	}
	run_teardown(a, r);
	run_free(a, r);
}

void run_reap(struct agent *a, struct run *r)
{
	siginfo_t si = { 0 };
	int status = 0;

	if (waitid((idtype_t)3 /* P_PIDFD */, (id_t)r->pidfd, &si, WEXITED | WNOHANG) < 0 ||
	    si.si_pid == 0)
		return;
	if (si.si_code == CLD_EXITED)
		status = (si.si_status & 0xff) << 8;
	else
		status = si.si_status & 0x7f;
	run_finish(a, r, status, true);
}

void run_abort(struct agent *a, struct run *r)
{
	siginfo_t si = { 0 };
	int status = 0;

	run_cgroup_kill(&a->cg, &r->cg);
	if (waitid((idtype_t)3, (id_t)r->pidfd, &si, WEXITED) == 0 && si.si_pid) {
		status = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 : si.si_status & 0x7f;
		run_finish(a, r, status, true);
	} else {
		run_finish(a, r, 0, false);
	}
}

void runs_consent_changed(struct agent *a, uid_t owner, const char *plugin, uint32_t granted)
{
	for (struct run *r = a->runs, *next; r; r = next) {
		next = r->next;
		if (r->owner != owner || strcmp(r->plugin, plugin) != 0)
			continue;
		if ((r->perms & ~granted) == 0)
			continue;	/* nothing taken away; widening applies at next run here */
		if (a->feat.mode == MODE_BPF_LSM) {
			struct policy np = r->pol;
			char err[256];

			/* Same rules minus the revoked permission's, swapped in one update. */
			np.perms = r->perms & granted;
			np.files = NULL;
			np.nets = NULL;
			np.n_files = np.n_nets = np.cap_files = np.cap_nets = 0;
			for (size_t i = 0; i < r->pol.n_files; i++)
				if (r->pol.files[i].perm == RAGGED_PERM_COUNT ||
				    (granted & RAGGED_PERM_BIT(r->pol.files[i].perm))) {
					if (np.n_files == np.cap_files) {
						np.cap_files = np.cap_files ? np.cap_files * 2 : 64;
						np.files = realloc(np.files, np.cap_files * sizeof(*np.files));
					}
					np.files[np.n_files++] = r->pol.files[i];
				}
			for (size_t i = 0; i < r->pol.n_nets; i++)
				if (granted & RAGGED_PERM_BIT(r->pol.nets[i].perm)) {
					if (np.n_nets == np.cap_nets) {
						np.cap_nets = np.cap_nets ? np.cap_nets * 2 : 16;
						np.nets = realloc(np.nets, np.cap_nets * sizeof(*np.nets));
					}
					np.nets[np.n_nets++] = r->pol.nets[i];
				}
			if (kmaps_install(a, r, &np, err, sizeof(err)) == 0) {
				policy_free(&r->pol);
				r->pol = np;
				continue;
			}
			policy_free(&np);
		}
		/*
		 * Landlock cannot narrow a running domain: end the instance
		 * (SPEC §7). Also the bpf-lsm fallback if the swap failed.
		 */
		{
			cJSON *rec = auditrec_new(a, "permission_revoked", "killed");

			auditrec_run_fields(rec, r);
			cJSON_AddStringToObject(cJSON_AddObjectToObject(rec, "details"), "action",
						"running instance ended: permission cannot be narrowed live");
			auditrec_emit(a, rec);
		}
		run_abort(a, r);
	}
}

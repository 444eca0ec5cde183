// SPDX-License-Identifier: MIT
/*
 * Resource limits of a run: the scratch tmpfs (its size is the cap), and
 * the checks of every limit against the run's cgroups, every TICK_MS and
 * once more when the run ends. A breach kills the whole run, records
 * resource_limit_exceeded (limit, usage, bound) and gives the caller one
 * line saying which limit it was (docs/contract.md §8).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "agent.h"
#include "util/util.h"

/* CPUs the machine may ever have online: a bound a hotplug cannot exceed. */
static unsigned ncpu_possible(void)
{
	static unsigned n;

	if (!n) {
		int c = get_nprocs_conf();

		n = c > 0 ? (unsigned)c : 1024;
	}
	return n;
}

/*
 * The scratch dir is its own tmpfs: its size is the cap, its pages are
 * charged to the writer (the plugin's memory cgroup), and noexec backs the
 * "nothing fetched is executed" rule.
 */
int scratch_setup(struct run *r, char *err, size_t errlen)
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

/* The scratch unmounted (lazily: a plugin may still hold it) and its descriptor closed. */
void scratch_release(struct run *r)
{
	if (r->scratch_fd_open) {
		close(r->scratch_fd);
		r->scratch_fd_open = false;
	}
	if (r->scratch_mounted && umount2(r->scratch, MNT_DETACH) == 0)
		r->scratch_mounted = false;
}

/*
 * The scratch's usage: fstatfs of its root, held from the first check on
 * (no path walk per tick). -1 if the scratch is not mounted.
 */
static int scratch_statfs(struct run *r, struct statfs *sf)
{
	if (!r->scratch_mounted)
		return -1;
	if (!r->scratch_fd_open) {
		r->scratch_fd = open(r->scratch, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (r->scratch_fd < 0)
			return statfs(r->scratch, sf);
		r->scratch_fd_open = true;
	}
	return fstatfs(r->scratch_fd, sf);
}

/*
 * Scratch tmpfs of runs whose agent died. A run whose scratch is here but
 * whose cgroup cgroup_reap_stale() did not find was ended by someone else
 * (a service manager kills the whole unit when its main process dies and
 * removes the emptied cgroups): it joins st[] with no cgroup id, so the
 * restarted agent still closes it in the log. Returns the new count.
 */
int runs_reap_stale_scratch(struct agent *a, struct stale_run *st, int n, int max)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (xsnprintf(dir, sizeof(dir), "%s/runs", a->cfg.state_dir) < 0 || !(d = opendir(dir)))
		return n;
	while ((de = readdir(d))) {
		bool known = false;

		if (de->d_name[0] == '.' || xsnprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < 0)
			continue;
		umount2(path, MNT_DETACH);
		rm_tree(path);
		for (int i = 0; i < n && !known; i++)
			known = st[i].name[0] && strncmp(de->d_name, st[i].name, strlen(st[i].name)) == 0;
		if (!known && n < max && strlen(de->d_name) < sizeof(st[n].name)) {
			snprintf(st[n].name, sizeof(st[n].name), "%s", de->d_name);
			st[n].cgid = 0;
			n++;
		}
	}
	closedir(d);
	return n;
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
	r->breach_usage = usage;
	r->breach_bound = bound;
	r->breach_unit = unit;
	a->stats.limit_kills++;
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

/*
 * When a run that has used used_usec of its bound_usec of CPU must next be
 * looked at: its processes together use at most one second of CPU per
 * second on each of ncpu CPUs, so no breach can come sooner than the
 * headroom spread over all of them. One tick is taken off that for what
 * cpu.stat may not show yet (a running task's time since its last
 * scheduler tick). 0: at every tick.
 */
uint64_t cpu_check_after_ns(uint64_t bound_usec, uint64_t used_usec, unsigned ncpu)
{
	uint64_t ns;

	if (used_usec >= bound_usec || !ncpu)
		return 0;
	ns = (bound_usec - used_usec) / ncpu * 1000;
	return ns > (uint64_t)TICK_MS * 1000000 ? ns - (uint64_t)TICK_MS * 1000000 : 0;
}

/*
 * Check every limit against what the cgroups say now. A tick (full false)
 * reads only what can change a verdict before the next one: the kernel's
 * counts of OOM kills and refused forks (memory and pids are the kernel's
 * own limits; these say one was hit), the scratch, and CPU only once the
 * run could have used up its headroom (cpu_check_after_ns). Wall time is
 * the clock's. The run's end reads everything, for its record.
 */
void check_limits(struct agent *a, struct run *r, bool full)
{
	uint64_t now = now_monotonic_ns(), elapsed_ms = (now - r->start_ns) / 1000000;
	uint64_t cpu_bound = (uint64_t)r->limits.cpu_seconds * 1000000;
	unsigned what = full ? RUN_USAGE_ALL : 0;
	struct run_usage *u = &r->usage;
	struct statfs sf;
	char why[160];

	if (cpu_bound && now >= r->cpu_check_ns)
		what |= RUN_USAGE_CPU;
	run_cgroup_usage(&r->cg, u, what);
	/* A breach record names the peak: read it now if this check did not. */
	if (!(what & RUN_USAGE_PEAKS) && (u->oom_kills || u->pids_max_hits))
		run_cgroup_usage(&r->cg, u, what | RUN_USAGE_PEAKS);
	if (what & RUN_USAGE_CPU)
		r->cpu_check_ns = now + cpu_check_after_ns(cpu_bound, u->cpu_usec, ncpu_possible());
	if (scratch_statfs(r, &sf) == 0) {
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
	} else if (cpu_bound && u->cpu_usec > cpu_bound) {
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

/*
 * One timer for all runs: 100 runs cost one wakeup per tick, not 100. It is
 * armed while any run is watched or the programs linger after the last one
 * (HOOKS_LINGER_MS), and disarmed at the first tick that finds neither, so
 * an idle agent is never woken by it.
 */
static int tick_set(struct agent *a, long ns)
{
	struct itimerspec its = { { 0, ns }, { 0, ns } };

	return timerfd_settime(a->tick_fd, 0, &its, NULL);
}

/* The timer running, made at first use. -1 (errno set) if it cannot be. */
static int tick_arm(struct agent *a)
{
	if (!a->tick_made) {
		a->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (a->tick_fd < 0)
			return -1;
		if (ep_add(a, a->tick_fd, EP_TIMER, NULL) < 0) {
			close(a->tick_fd);
			return -1;
		}
		a->tick_made = true;
	}
	/* Re-arming a running timer would delay every other run's check. */
	if (!a->tick_armed && tick_set(a, TICK_MS * 1000000L) < 0)
		return -1;
	a->tick_armed = true;
	return 0;
}

/* Watch r's limits from now on. -1 (errno set): no timer, so no limits. */
int limits_watch(struct agent *a, struct run *r)
{
	if (tick_arm(a) < 0)
		return -1;
	r->ticking = true;
	return 0;
}

/*
 * The last run is gone: the tick takes the programs off their hooks
 * HOOKS_LINGER_MS from now, unless a run comes first. Without a timer they
 * come off at once.
 */
void limits_hooks_idle(struct agent *a)
{
	if (a->runs || !a->bpf.hooks_attached)
		return;
	a->hooks_idle_ns = now_monotonic_ns();
	if (tick_arm(a) < 0)
		bpf_hooks_release_if_idle(a);
}

void limits_tick(struct agent *a)
{
	bool any = false;
	uint64_t n;

	if (!a->tick_made || (read(a->tick_fd, &n, sizeof(n)) < 0 && errno != EAGAIN))
		return;
	for (struct run *r = a->runs; r; r = r->next) {
		if (!r->ticking)
			continue;
		any = true;
		check_limits(a, r, false);
		flood_tick(a, r);
	}
	/* Records of allowed operations do not wake us (submit() in ragged.bpf.h). */
	events_drain(a);
	if (any)
		return;
	if (!a->runs && a->bpf.hooks_attached &&
	    now_monotonic_ns() - a->hooks_idle_ns < (uint64_t)HOOKS_LINGER_MS * 1000000)
		return;
	bpf_hooks_release_if_idle(a);
	if (tick_set(a, 0) == 0)
		a->tick_armed = false;
}


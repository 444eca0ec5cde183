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
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "util/util.h"
#include "proto/proto.h"



static uint32_t lim(uint32_t manifest, uint32_t def, uint32_t max)
{
	return manifest ? (manifest < max ? manifest : max) : def;
}

void run_free(struct agent *a, struct run *r)
{
	struct run **pp;

	for (pp = &a->runs; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	policy_free(&r->pol);
	manifest_free(&r->m);
	free(r->flood);
	free(r->agent_recs);
	free(r);
	/* The last run gone: no program stays on a hook for nobody, after HOOKS_LINGER_MS. */
	limits_hooks_idle(a);
}

/* Undo whatever setup got done; used on every failure path and at the end. */
static void run_teardown(struct agent *a, struct run *r)
{
	if (r->pidfd >= 0) {
		ep_del(a, r->pidfd);
		close(r->pidfd);
		r->pidfd = -1;
	}
	r->ticking = false;
	if (r->chan_fd >= 0) {
		ep_del(a, r->chan_fd);
		close(r->chan_fd);
		r->chan_fd = -1;
	}
	run_cgroup_kill(&a->cg, &r->cg);
	sockrun_detach(a, r);	/* before the slot: then the subtree's program decides */
	kmaps_remove(a, r);
	run_cgroup_destroy(&a->cg, &r->cg);
	scratch_release(r);
	rm_tree(r->scratch);
}





void run_refuse(struct agent *a, struct client *c, struct run *r, int code,
		const char *event, const char *err)
{
	cJSON *rec = auditrec_new(a, event, code == EXIT_CONSENT ? "denied" : "error");

	auditrec_run_fields(rec, r);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(rec, "details"), "reason", err);
	auditrec_emit(a, rec);
	reply_error(c, code, "%s", err);
}

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * A run request: admission (registry, manifest digest, account, consent).
 * If the user must be asked, the request waits in c->pending for the answer
 * (consent.c) and run_launch continues it; otherwise it launches now.
 */
void run_start(struct agent *a, struct client *c, const cJSON *msg, int *fds, int nfds)
{
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(msg, "args"), *it;
	uint32_t granted = 0, need = 0;
	char err[512];
	struct run *r;
	int code, n = 0;

	if (c->run || c->pending || nfds != 3) {
		reply_error(c, EXIT_SANDBOX, nfds != 3 ? "run needs the caller's stdin, stdout and stderr"
						       : "a run is already attached to this connection");
		close_fds(fds, nfds);
		return;
	}
	cJSON_ArrayForEach(it, args) {
		if (!cJSON_IsString(it) || ++n > 256) {
			reply_error(c, EXIT_SANDBOX, "run arguments must be at most 256 strings");
			close_fds(fds, nfds);
			return;
		}
	}
	r = calloc(1, sizeof(*r));
	if (!r || random_hex(r->run_id) < 0) {
		reply_error(c, EXIT_SANDBOX, "cannot allocate a run");
		free(r);
		close_fds(fds, nfds);
		return;
	}
	r->agent = a;
	r->pidfd = r->chan_fd = -1;
	r->cg.v2_fd = -1;
	r->start_ns = now_monotonic_ns();
	c->tty = proto_bool(msg, "tty");
	/* Who asked, for every record of this request, even a refusal. */
	caller_account(r, c->uid);
	if (consent_admit(a, c, msg, r, &granted, &need, &code, err, sizeof(err)) < 0) {
		if (r->plugin[0])
			run_refuse(a, c, r, code, code == EXIT_CONSENT ? "permission_denied"
								      : "plugin_failed", err);
		else
			reply_error(c, code, "%s", err);
		manifest_free(&r->m);
		free(r);
		close_fds(fds, nfds);
		return;
	}
	if (need) {
		struct pending_run *p = calloc(1, sizeof(*p));

		if (!p) {
			reply_error(c, EXIT_SANDBOX, "out of memory");
			manifest_free(&r->m);
			free(r);
			close_fds(fds, nfds);
			return;
		}
		p->r = r;
		p->granted = granted;
		p->need = need;
		memcpy(p->fds, fds, sizeof(p->fds));
		p->args = cJSON_Duplicate(args, 1);
		c->pending = p;
		consent_prompt(c, r, need, "required");
		return;
	}
	run_launch(a, c, r, granted, fds, args);
}

/* Set up and start an admitted run. Owns r and the fds from here on. */
void run_launch(struct agent *a, struct client *c, struct run *r, uint32_t granted,
		int *fds, const cJSON *args)
{
	const struct manifest *m = &r->m;
	struct launch_req req = { 0 };
	char err[512], cgname[48];
	char *extra[256];
	size_t n_extra = 0;
	int chan[2] = { -1, -1 };
	const cJSON *it;
	cJSON *rep;

	cJSON_ArrayForEach(it, args)
		if (cJSON_IsString(it) && n_extra < ARRAY_SIZE(extra))
			extra[n_extra++] = it->valuestring;
	r->granted = granted;
	r->limits.memory_mb = lim(m->limits.memory_mb, a->cfg.limits.memory_mb, a->cfg.limits_max.memory_mb);
	r->limits.cpu_seconds = lim(m->limits.cpu_seconds, a->cfg.limits.cpu_seconds, a->cfg.limits_max.cpu_seconds);
	r->limits.pids = lim(m->limits.pids, a->cfg.limits.pids, a->cfg.limits_max.pids);
	r->limits.wall_seconds = lim(m->limits.wall_seconds, a->cfg.limits.wall_seconds,
				     a->cfg.limits_max.wall_seconds ? a->cfg.limits_max.wall_seconds : UINT32_MAX);
	r->limits.scratch_mb = a->cfg.limits.scratch_mb ? a->cfg.limits.scratch_mb : 100;
	r->next = a->runs;
	a->runs = r;

	snprintf(cgname, sizeof(cgname), "run-%.16s", r->run_id);
	if (xsnprintf(r->scratch, sizeof(r->scratch), "%s/runs/%s", a->cfg.state_dir, r->run_id) < 0) {
		snprintf(err, sizeof(err), "scratch dir: %s", strerror(errno));
		goto fail;
	}
	if (scratch_setup(r, err, sizeof(err)) < 0 ||
	    run_cgroup_create(&a->cg, cgname, &r->limits, &r->cg, err, sizeof(err)) < 0 ||
	    policy_build(a, r, m, granted, &r->pol, err, sizeof(err)) < 0 ||
	    bpf_hooks_hold(a, true, err, sizeof(err)) < 0 ||
	    kmaps_install(a, r, &r->pol, err, sizeof(err)) < 0 ||
	    sockrun_attach(a, r, err, sizeof(err)) < 0)
		goto fail;
	/* The channel through which the plugin asks for optional permissions. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, chan) < 0) {
		snprintf(err, sizeof(err), "consent channel: %s", strerror(errno));
		goto fail;
	}
	r->chan_fd = chan[0];
	{
		/* Our end only: the plugin's end stays blocking, as it was given. */
		int fl = fcntl(chan[0], F_GETFL), sb = CHAN_SNDBUF;

		if (fl < 0 || fcntl(chan[0], F_SETFL, fl | O_NONBLOCK) < 0 ||
		    setsockopt(chan[0], SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb)) < 0) {
			snprintf(err, sizeof(err), "consent channel: %s", strerror(errno));
			goto fail;
		}
	}
	req.m = m;
	req.chan_fd = chan[1];
	req.extra_args = extra;
	req.n_extra = n_extra;
	memcpy(req.stdio, fds, sizeof(req.stdio));
	if (launch_run(a, r, &r->pol, &req, err, sizeof(err)) < 0)
		goto fail;
	close(chan[1]);
	chan[1] = -1;
	r->client = c;
	c->run = r;
	ep_add(a, r->pidfd, EP_RUN, r);
	ep_add(a, r->chan_fd, EP_CHAN, r);
	if (limits_watch(a, r) < 0) {
		/* Unwatched limits are no limits: end the run now. */
		snprintf(r->breach, sizeof(r->breach), "monitor");
		snprintf(r->breach_reason, sizeof(r->breach_reason),
			 "cannot watch the run's limits: %s", strerror(errno));
		run_cgroup_kill(&a->cg, &r->cg);
	}
	{
		cJSON *rec = auditrec_new(a, "plugin_loaded", "success");

		auditrec_run_fields(rec, r);
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(rec, "details"), "pid", r->pid);
		auditrec_emit(a, rec);
	}
	rep = cJSON_CreateObject();
	a->stats.runs_started++;
	cJSON_AddStringToObject(rep, "type", "started");
	cJSON_AddStringToObject(rep, "run_id", r->run_id);
	cJSON_AddStringToObject(rep, "enforcement", mode_name(a->feat.mode));
	client_send(c, rep);
	cJSON_Delete(rep);
	close_fds(fds, 3);
	return;
fail:
	if (chan[1] >= 0)
		close(chan[1]);
	if (r->pid > 0) {
		/* A child that failed before exec: collect it. */
		siginfo_t si;

		waitid(P_PID, (id_t)r->pid, &si, WEXITED);
		r->pid = 0;
	}
	run_teardown(a, r);
	run_refuse(a, c, r, EXIT_SANDBOX, "plugin_failed", err);
	run_free(a, r);
	close_fds(fds, 3);
}

struct run *run_find_chan(struct agent *a, int fd)
{
	for (struct run *r = a->runs; r; r = r->next)
		if (r->chan_fd == fd)
			return r;
	return NULL;
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
void run_reconcile(struct agent *a, struct run *r, cJSON *details)
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
		a->stats.deny[h] += sum.deny[h];
		a->stats.allow[h] += sum.allow[h];
	}
	a->stats.runs_finished++;
	a->stats.suppressed += r->suppressed;
	a->stats.lost += sum.lost + r->lost_extra;
	cJSON_AddNumberToObject(details, "kernel_denied", (double)denied);
	cJSON_AddNumberToObject(details, "kernel_allowed", (double)allowed);
	cJSON_AddNumberToObject(details, "kernel_audited",
				(double)(denied + sum.allow_audited + sum.observed));
	/* A run adopted after a crash: what the dead agent logged counts too. */
	cJSON_AddNumberToObject(details, "records_logged", (double)(r->records + r->prior_logged));
	cJSON_AddNumberToObject(details, "records_suppressed",
				(double)(r->suppressed + r->prior_suppressed));
	cJSON_AddNumberToObject(details, "records_lost", (double)(sum.lost + r->lost_extra));
	/* What the plugin sent on its consent channel, and the records of it folded away. */
	cJSON_AddNumberToObject(details, "consent_requests", (double)r->chan_requests);
	cJSON_AddNumberToObject(details, "agent_records_suppressed", (double)r->agent_suppressed);
	if (sum.lost) {
		cJSON *rec = auditrec_new(a, "events_lost", "error");

		auditrec_run_fields(rec, r);
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(rec, "details"), "count", (double)sum.lost);
		auditrec_emit(a, rec);
	}
}





static void run_finish(struct agent *a, struct run *r, int status, bool have_status)
{
	uint64_t ms = (now_monotonic_ns() - r->start_ns) / 1000000;
	bool ok = have_status && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	cJSON *rec, *d, *rep;

	/* A limit may have ended it between two ticks: look once more. */
	check_limits(a, r, true);
	ok = ok && !r->breach[0];
	/* Children the plugin left behind die with it. */
	run_cgroup_kill(&a->cg, &r->cg);
	events_drain_all(a);
	flood_flush(a, r);
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
	run_reconcile(a, r, d);
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
			/* The same facts as the resource_limit_exceeded record, for library clients. */
			cJSON_AddStringToObject(rep, "limit", r->breach);
			cJSON_AddNumberToObject(rep, "usage", (double)r->breach_usage);
			cJSON_AddNumberToObject(rep, "bound", (double)r->breach_bound);
			cJSON_AddStringToObject(rep, "unit", r->breach_unit ? r->breach_unit : "");
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


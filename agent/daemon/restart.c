// SPDX-License-Identifier: MIT
/*
 * After a crash. The dead agent's BPF objects stayed pinned, so its runs
 * stayed confined; cgroup_reap_stale() has killed them, since nobody
 * supervises them any more. What is left is accounting: records the kernel
 * produced while no agent drained the ring buffer, and the runs' counters.
 *
 * Each dead run is adopted as a "ghost": what the dead agent had already
 * logged for it is counted from the audit log (by the run id in its cgroup
 * name), the pinned ring buffer is drained into the log under the ghost,
 * and a closing plugin_failed record carries the same arithmetic as any
 * run: kernel count == logged (before + after) + suppressed + lost.
 * Then every map entry no live run owns is removed. A run whose cgroup
 * was already gone (a service manager ended it with the dead agent) is
 * found by its scratch dir and closed too, its kernel counts unavailable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "agent.h"
#include "audit/audit.h"
#include "log.h"
#include "proto/proto.h"
#include "util/util.h"

struct scan {
	struct run *r;
	const char *prefix;
};

static int scan_cb(const cJSON *rec, const char *line, size_t len, void *arg)
{
	struct scan *s = arg;
	const char *id = proto_str(rec, "run_id"), *ev = proto_str(rec, "event");
	const char *res = proto_str(rec, "result");
	long long v;

	(void)line;
	(void)len;
	if (!id || strncmp(id, s->prefix, strlen(s->prefix)) != 0 || !ev)
		return 0;
	if (strcmp(ev, "plugin_loaded") == 0) {
		snprintf(s->r->run_id, sizeof(s->r->run_id), "%s", id);
		snprintf(s->r->plugin, sizeof(s->r->plugin), "%s", proto_str(rec, "plugin") ?: "?");
		snprintf(s->r->version, sizeof(s->r->version), "%s", proto_str(rec, "version") ?: "?");
		snprintf(s->r->user, sizeof(s->r->user), "%s", proto_str(rec, "user_id") ?: "?");
		if (proto_int(rec, "uid", &v) == 0)
			s->r->owner = (uid_t)v;
	} else if (strcmp(ev, "events_suppressed") == 0) {
		if (proto_int(cJSON_GetObjectItemCaseSensitive(rec, "details"), "count", &v) == 0)
			s->r->prior_suppressed += (uint64_t)v;
	} else if (res && (strcmp(res, "denied") == 0 || strcmp(res, "allowed") == 0 ||
			   strcmp(res, "observed") == 0)) {
		/* Exactly the records that came from the kernel's ring buffer. */
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(rec, "details");

		s->r->prior_logged++;
		if (proto_int(d, "kernel_ns", &v) == 0)
			s->r->dup_ns = (uint64_t)v;
		if (proto_int(d, "pid", &v) == 0)
			s->r->dup_pid = (uint32_t)v;
	}
	return 0;
}

void restart_adopt(struct agent *a, const struct stale_run *st, int n)
{
	struct auditquery q;

	auditquery_init(&q);
	for (int i = 0; i < n; i++) {
		struct run *r = calloc(1, sizeof(*r));
		struct scan s = { r, st[i].name };
		struct auditquery_stats qs;

		if (!r)
			return;
		r->agent = a;
		r->ghost = true;
		r->pidfd = r->chan_fd = -1;
		r->cg.v2_fd = -1;
		r->cg.id = st[i].cgid;
		r->start_ns = now_monotonic_ns();
		snprintf(r->run_id, sizeof(r->run_id), "%s", st[i].name);
		snprintf(r->cg.name, sizeof(r->cg.name), "run-%s", st[i].name);
		snprintf(r->plugin, sizeof(r->plugin), "?");
		auditquery_scan(a->cfg.audit_log, &q, scan_cb, &s, &qs);
		r->next = a->runs;
		a->runs = r;
	}
}

/* Delete every entry of a map whose key the keep() callback rejects. */
static void sweep(int fd, size_t key_size, bool (*keep)(struct agent *, const void *),
		  struct agent *a)
{
	unsigned char key[512], next[512];
	bool first = true;

	if (fd < 0 || key_size > sizeof(key))
		return;
	while (bpf_map_get_next_key(fd, first ? NULL : key, next) == 0) {
		first = false;
		memcpy(key, next, key_size);
		if (!keep(a, key) && bpf_map_delete_elem(fd, key) == 0)
			first = true;	/* restart: deleting invalidates the iteration */
	}
}

static bool live_cgroup(struct agent *a, const void *key)
{
	uint64_t id;

	memcpy(&id, key, sizeof(id));
	for (struct run *r = a->runs; r; r = r->next)
		if (!r->ghost && r->cg.id == id)
			return true;
	return false;
}

static bool live_policy(struct agent *a, const void *key)
{
	uint32_t id;

	/* Both rule keys start with prefixlen, then the big-endian policy id. */
	memcpy(&id, (const char *)key + 4, sizeof(id));
	id = __builtin_bswap32(id);
	for (struct run *r = a->runs; r; r = r->next)
		if (!r->ghost && r->policy_id == id)
			return true;
	return false;
}

/* inode_rules keys start with the policy id in host order. */
static bool live_inode_policy(struct agent *a, const void *key)
{
	const struct ragged_inode_key *k = key;

	for (struct run *r = a->runs; r; r = r->next)
		if (!r->ghost && r->policy_id == k->policy_id)
			return true;
	return false;
}

void restart_settle(struct agent *a)
{
	for (struct run *r = a->runs, *next; r; r = next) {
		cJSON *rec, *d;

		next = r->next;
		if (!r->ghost)
			continue;
		flood_flush(a, r);
		/*
		 * What the dead agent had drained but held only in memory (its
		 * flood counts not yet written) is gone with it. It is not
		 * hidden: the gap is reported as events_lost, with the reason.
		 */
		{
			struct ragged_run_counters sum;
			uint64_t audited = 0, have;

			if (kmaps_counters(a, r->cg.id, &sum) == 0) {
				for (int h = 0; h < RAGGED_HOOK_MAX; h++)
					audited += sum.deny[h];
				audited += sum.allow_audited + sum.observed;
				have = r->records + r->prior_logged + r->suppressed + r->prior_suppressed +
				       sum.lost;
				if (audited > have) {
					cJSON *lost = auditrec_new(a, "events_lost", "error");

					r->lost_extra = audited - have;
					auditrec_run_fields(lost, r);
					d = cJSON_AddObjectToObject(lost, "details");
					cJSON_AddNumberToObject(d, "count", (double)r->lost_extra);
					cJSON_AddStringToObject(d, "reason", "drained by the agent that died, "
								"but not yet written (flood counts and the unwritten "
								"part of its last write batch)");
					auditrec_emit(a, lost);
				}
			}
		}
		rec = auditrec_new(a, "plugin_failed", "killed");
		auditrec_run_fields(rec, r);
		d = cJSON_AddObjectToObject(rec, "details");
		cJSON_AddStringToObject(d, "reason", r->cg.id ? "the agent stopped during the run; the "
					"restarted agent ended it (it stayed confined meanwhile)" :
					"the agent stopped during the run; it was ended before the "
					"restart (its cgroup was gone: its kernel counts are unknown)");
		run_reconcile(a, r, d);
		auditrec_emit(a, rec);
		/* Counted: its emptied cgroup can go (cgroup_reap_stale kept it). */
		if (r->cg.id && cgroup_stale_destroy(&a->cg, r->cg.name) < 0)
			log_msg(LOG_WARNING, "remove the dead run's cgroup %s: %s", r->cg.name,
				strerror(errno));
		run_free(a, r);
	}
	/* Whatever no live run owns goes: dead runs' slots (policy and counters), rules. */
	sweep(a->bpf.runs_fd, sizeof(uint64_t), live_cgroup, a);
	sweep(a->bpf.net_rules_fd, sizeof(struct ragged_net_key), live_policy, a);
	sweep(a->bpf.file_rules_fd, sizeof(struct ragged_file_key), live_policy, a);
	if (a->bpf.inode_rules_fd >= 0)
		sweep(a->bpf.inode_rules_fd, sizeof(struct ragged_inode_key), live_inode_policy, a);
}

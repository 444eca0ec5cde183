// SPDX-License-Identifier: MIT
/*
 * Ring buffer drain: each kernel record becomes one audit record, enriched
 * with the run it belongs to (cgroup id -> run -> plugin, version, user).
 * The ring buffer is pinned, so records produced while the agent was down
 * are drained when it comes back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "agent.h"
#include "perms.h"
#include "util.h"

static const char *hook_name(unsigned h)
{
	static const char *const names[] = {
		[RAGGED_HOOK_FILE_OPEN] = "file_open",
		[RAGGED_HOOK_CONNECT4] = "connect4",
		[RAGGED_HOOK_CONNECT6] = "connect6",
		[RAGGED_HOOK_SENDMSG4] = "sendmsg4",
		[RAGGED_HOOK_SENDMSG6] = "sendmsg6",
		[RAGGED_HOOK_SOCK_CREATE] = "sock_create",
		[RAGGED_HOOK_SYSCALL_EXIT] = "sys_exit",
		[RAGGED_HOOK_BIND4] = "bind4",
		[RAGGED_HOOK_BIND6] = "bind6",
	};

	return h < ARRAY_SIZE(names) && names[h] ? names[h] : "unknown";
}

static const char *access_name(uint32_t acc)
{
	static const char *const names[] = { "none", "read", "write", "read-write",
					     "exec", "read-exec", "write-exec", "read-write-exec" };
	return names[acc & 7];
}

static struct run *run_by_cgroup(struct agent *a, uint64_t id)
{
	for (struct run *r = a->runs; r; r = r->next)
		if (r->cg.id == id)
			return r;
	return NULL;
}

static void set_time(struct agent *a, cJSON *rec, uint64_t boot_ns)
{
	int64_t real = (int64_t)boot_ns + a->boot_to_real_ns;
	char ts[32];

	format_rfc3339_ms(real / 1000000000, (long)(real % 1000000000), ts);
	cJSON_AddStringToObject(rec, "timestamp", ts);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct agent *a = ctx;
	const struct ragged_event *e = data;
	bool deny = e->verdict == RAGGED_DENY;
	const char *event;
	struct run *r;
	cJSON *rec, *d;
	char addr[INET6_ADDRSTRLEN];

	if (size < sizeof(*e))
		return 0;
	r = run_by_cgroup(a, e->cgroup_id);
	if (e->kind == RAGGED_EV_PROC) {
		procmon_record(a, r, e);	/* the process tree: procmon.c */
		return 0;
	}
	if (deny)
		event = "permission_violation";
	else if (e->kind == RAGGED_EV_NET)
		event = "network_access";
	else
		event = "file_access";
	rec = cJSON_CreateObject();
	set_time(a, rec, e->boot_ns);
	cJSON_AddStringToObject(rec, "event", event);
	if (r) {
		auditrec_run_fields(rec, r);
		r->records++;
	} else {
		a->orphan_records++;
		auditrec_user(rec, e->uid);
	}
	cJSON_AddStringToObject(rec, "result", deny ? "denied" : "allowed");
	cJSON_AddStringToObject(rec, "enforcement", mode_name(a->feat.mode));
	d = cJSON_AddObjectToObject(rec, "details");
	cJSON_AddStringToObject(d, "hook", hook_name(e->hook));
	cJSON_AddNumberToObject(d, "pid", e->pid);
	cJSON_AddStringToObject(d, "comm", e->comm);
	if (!r)
		cJSON_AddNumberToObject(d, "cgroup_id", (double)e->cgroup_id);
	if (deny)
		cJSON_AddStringToObject(d, "errno", strerrorname_np(e->err) ?: "?");
	switch (e->kind) {
	case RAGGED_EV_FILE:
		cJSON_AddStringToObject(d, "path", e->path);
		cJSON_AddStringToObject(d, "mode", access_name(e->access));
		break;
	case RAGGED_EV_NET:
		inet_ntop(e->family, e->addr, addr, sizeof(addr));
		cJSON_AddStringToObject(d, "address", addr);
		cJSON_AddNumberToObject(d, "port", e->port);
		cJSON_AddStringToObject(d, "protocol", e->protocol == 17 ? "udp" : "tcp");
		if (!deny && e->access < RAGGED_PERM_COUNT)
			cJSON_AddStringToObject(d, "permission", perm_name(e->access));
		break;
	case RAGGED_EV_SOCKET:
		cJSON_AddNumberToObject(d, "family", e->family);
		cJSON_AddNumberToObject(d, "type", e->sock_type);
		cJSON_AddNumberToObject(d, "protocol", e->protocol);
		break;
	case RAGGED_EV_SYSCALL_DENIED:
		cJSON_AddNumberToObject(d, "syscall", e->access);
		cJSON_AddStringToObject(d, "path", e->path);
		break;
	}
	a->records_total++;
	auditrec_emit(a, rec);
	return 0;
}

int events_setup(struct agent *a, char *err, size_t errlen)
{
	struct timespec rt, bt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	a->boot_to_real_ns = ((int64_t)rt.tv_sec - bt.tv_sec) * 1000000000LL +
			     (rt.tv_nsec - bt.tv_nsec);
	a->bpf.rb = ring_buffer__new(a->bpf.events_fd, on_event, a, NULL);
	if (!a->bpf.rb) {
		snprintf(err, errlen, "ring buffer: %s", strerror(errno));
		return -1;
	}
	return ep_add(a, ring_buffer__epoll_fd(a->bpf.rb), EP_RINGBUF, NULL);
}

int events_drain(struct agent *a)
{
	return a->bpf.rb ? ring_buffer__consume(a->bpf.rb) : 0;
}

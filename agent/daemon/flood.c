// SPDX-License-Identifier: MIT
/*
 * Flood control (docs/contract.md §6 "events_suppressed"). A hostile plugin can deny
 * itself a million times a second; the log must neither fill the disk nor
 * lose count, nor let the flood hide a different, later event.
 *
 * Per run and per one-second window:
 *   - the first FLOOD_PER_KEY records of each distinct event (same kind,
 *     hook, verdict, errno, access and target) are logged in full;
 *   - at most FLOOD_RUN_BUDGET records in all are logged, so many distinct
 *     targets cannot flood either;
 *   - everything else is counted per distinct event and written, when the
 *     window closes or the run ends, as one events_suppressed record with
 *     the exact count and a sample of what was suppressed.
 * A new kind of event after a flood still gets its own FLOOD_PER_KEY full
 * records in the next window at the latest, and its exact count always.
 * The decision is made on the raw kernel record, before any JSON is built.
 *
 * Records the agent writes on a plugin's behalf, that the plugin can cause
 * at will (its consent channel requests and their refusals), get the same
 * treatment from a second, smaller table (flood_agent_record): per run and
 * window, AGENT_REC_PER_KEY records of each (event, via, permissions) and
 * AGENT_REC_RUN_BUDGET in all, the rest counted exactly into
 * events_suppressed records with "source":"agent". They never count
 * against the kernel arithmetic (r->suppressed): the run's closing record
 * reports them as agent_records_suppressed.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "util/util.h"

#define FLOOD_WINDOW_MS 1000
#define FLOOD_PER_KEY 5
#define FLOOD_RUN_BUDGET 500
#define FLOOD_SLOTS 256		/* distinct events tracked per window; more share one slot */

struct flood_slot {
	uint64_t key;
	uint32_t seen;
	uint64_t suppressed;
	struct ragged_event sample;
};

#define AGENT_REC_PER_KEY 5
#define AGENT_REC_RUN_BUDGET 20
#define AGENT_REC_SLOTS 32	/* distinct (event, via, permissions) per window; more share one */

struct agent_rec_slot {
	char event[32];
	char via[32];
	uint32_t perms;
	uint32_t seen;
	uint64_t suppressed;
};

struct agent_recs {
	uint64_t window_start_ms;
	uint32_t logged;
	struct agent_rec_slot slots[AGENT_REC_SLOTS];
};

struct flood {
	uint64_t window_start_ms;
	uint32_t logged;
	uint32_t used;
	struct flood_slot slots[FLOOD_SLOTS];
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* What makes two records "the same event": everything but time and pid. */
static uint64_t key_of(const struct ragged_event *e)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t f[10] = { e->kind, e->hook, e->verdict, (uint32_t)e->err, e->access,
			   e->family, e->port, e->proc_op, e->target_pid, (uint32_t)e->arg };

	h = fnv(h, f, sizeof(f));
	h = fnv(h, e->addr, sizeof(e->addr));
	h = fnv(h, e->path, strnlen(e->path, sizeof(e->path)));
	return h ? h : 1;
}

static const char *event_name(const struct ragged_event *e)
{
	if (e->kind == RAGGED_EV_PROC)
		return e->proc_op == RAGGED_PROC_FORK ? "process_started" :
		       e->proc_op == RAGGED_PROC_EXEC ? "process_exec" : "process_exited";
	if (e->verdict == RAGGED_DENY)
		return "permission_violation";
	return e->kind == RAGGED_EV_NET || e->kind == RAGGED_EV_SOCKET ? "network_access" : "file_access";
}

static void agent_recs_flush(struct agent *a, struct run *r)
{
	struct agent_recs *f = r->agent_recs;

	if (!f)
		return;
	for (int i = 0; i < AGENT_REC_SLOTS; i++) {
		struct agent_rec_slot *s = &f->slots[i];
		cJSON *rec, *d;

		if (!s->event[0] || !s->suppressed)
			continue;
		rec = auditrec_new(a, "events_suppressed", "suppressed");
		auditrec_run_fields(rec, r);
		cJSON_DeleteItemFromObject(rec, "permissions_used");
		auditrec_perms(rec, "permissions_used", s->perms);
		d = cJSON_AddObjectToObject(rec, "details");
		cJSON_AddNumberToObject(d, "count", (double)s->suppressed);
		cJSON_AddStringToObject(d, "suppressed_event", s->event);
		if (s->via[0])
			cJSON_AddStringToObject(d, "via", s->via);
		cJSON_AddStringToObject(d, "source", "agent");
		cJSON_AddNumberToObject(d, "window_ms", FLOOD_WINDOW_MS);
		auditrec_emit(a, rec);
	}
	memset(f->slots, 0, sizeof(f->slots));
	f->logged = 0;
	f->window_start_ms = now_monotonic_ns() / 1000000;
}

/* True: the plugin caused this record too often this window; it is counted, not written. */
bool flood_agent_record(struct agent *a, struct run *r, const char *event, const char *via,
			uint32_t perms)
{
	struct agent_recs *f = r->agent_recs;
	struct agent_rec_slot *s = NULL;
	uint64_t key = 0xcbf29ce484222325ULL;
	unsigned i;

	if (!f) {
		f = r->agent_recs = calloc(1, sizeof(*f));
		if (!f)
			return false;	/* no memory for bookkeeping: log in full */
		f->window_start_ms = now_monotonic_ns() / 1000000;
	}
	if (now_monotonic_ns() / 1000000 - f->window_start_ms >= FLOOD_WINDOW_MS)
		agent_recs_flush(a, r);
	key = fnv(key, event, strlen(event));
	key = fnv(key, via ? via : "", via ? strlen(via) : 0);
	key = fnv(key, &perms, sizeof(perms));
	for (i = 0; i < AGENT_REC_SLOTS; i++) {
		s = &f->slots[(key + i) % AGENT_REC_SLOTS];
		if (!s->event[0] || (strcmp(s->event, event) == 0 &&
				     strcmp(s->via, via ? via : "") == 0 && s->perms == perms))
			break;
	}
	if (i == AGENT_REC_SLOTS)
		s = &f->slots[key % AGENT_REC_SLOTS];	/* table full: share, still counted */
	if (!s->event[0]) {
		snprintf(s->event, sizeof(s->event), "%s", event);
		snprintf(s->via, sizeof(s->via), "%s", via ? via : "");
		s->perms = perms;
	}
	s->seen++;
	if (s->seen > AGENT_REC_PER_KEY || f->logged >= AGENT_REC_RUN_BUDGET) {
		s->suppressed++;
		r->agent_suppressed++;
		return true;
	}
	f->logged++;
	return false;
}

void flood_flush(struct agent *a, struct run *r)
{
	struct flood *f = r->flood;

	agent_recs_flush(a, r);
	if (!f)
		return;
	for (int i = 0; i < FLOOD_SLOTS; i++) {
		struct flood_slot *s = &f->slots[i];
		cJSON *rec, *d;

		if (!s->key || !s->suppressed)
			continue;
		rec = auditrec_new(a, "events_suppressed", "suppressed");
		auditrec_run_fields(rec, r);
		d = cJSON_AddObjectToObject(rec, "details");
		cJSON_AddNumberToObject(d, "count", (double)s->suppressed);
		cJSON_AddStringToObject(d, "suppressed_event", event_name(&s->sample));
		/* The hook by name, as in the records it stands for (process records have none). */
		if (s->sample.kind != RAGGED_EV_PROC)
			cJSON_AddStringToObject(d, "hook", events_hook_name(s->sample.hook) ?: "unknown");
		if (s->sample.path[0])
			cJSON_AddStringToObject(d, "sample_path", s->sample.path);
		if (s->sample.kind == RAGGED_EV_NET) {
			char addr[INET6_ADDRSTRLEN];

			inet_ntop(s->sample.family, s->sample.addr, addr, sizeof(addr));
			cJSON_AddStringToObject(d, "sample_address", addr);
			cJSON_AddNumberToObject(d, "sample_port", s->sample.port);
		}
		cJSON_AddNumberToObject(d, "window_ms", FLOOD_WINDOW_MS);
		auditrec_emit(a, rec);
	}
	memset(f->slots, 0, sizeof(f->slots));
	f->used = 0;
	f->logged = 0;
	f->window_start_ms = now_monotonic_ns() / 1000000;
}

void flood_tick(struct agent *a, struct run *r)
{
	if (r->agent_recs &&
	    now_monotonic_ns() / 1000000 - r->agent_recs->window_start_ms >= FLOOD_WINDOW_MS)
		agent_recs_flush(a, r);
	if (r->flood && now_monotonic_ns() / 1000000 - r->flood->window_start_ms >= FLOOD_WINDOW_MS)
		flood_flush(a, r);
}

/* True: count it as suppressed and do not log it. */
bool flood_suppress(struct agent *a, struct run *r, const struct ragged_event *e)
{
	struct flood *f = r->flood;
	struct flood_slot *s = NULL;
	uint64_t key = key_of(e);
	unsigned i;

	if (!f) {
		f = r->flood = calloc(1, sizeof(*f));
		if (!f)
			return false;	/* no memory for bookkeeping: log in full */
		f->window_start_ms = now_monotonic_ns() / 1000000;
	}
	flood_tick(a, r);
	for (i = 0; i < FLOOD_SLOTS; i++) {
		s = &f->slots[(key + i) % FLOOD_SLOTS];
		if (s->key == key || !s->key)
			break;
	}
	if (i == FLOOD_SLOTS)
		s = &f->slots[key % FLOOD_SLOTS];	/* table full: share, still counted */
	if (!s->key) {
		s->key = key;
		s->sample = *e;
		f->used++;
	}
	s->seen++;
	if (s->seen > FLOOD_PER_KEY || f->logged >= FLOOD_RUN_BUDGET) {
		s->suppressed++;
		r->suppressed++;
		return true;
	}
	f->logged++;
	return false;
}

// SPDX-License-Identifier: MIT
/*
 * The agent's counters since it started: runs, limit kills, kernel
 * decisions per hook (finished runs from their closing reconciliation, live
 * runs from their BPF counters now), audit records written, suppressed,
 * lost, refused. They go out in the status reply ("metrics") and, when
 * [paths] metrics_textfile is set, to a Prometheus textfile that
 * node_exporter's textfile collector reads: replaced atomically, at most
 * every METRICS_TEXTFILE_MS, so a scrape never sees half a file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "util/util.h"

#define METRICS_TEXTFILE_MS 10000

cJSON *metrics_snapshot(struct agent *a)
{
	uint64_t allow[RAGGED_HOOK_MAX], deny[RAGGED_HOOK_MAX];
	uint64_t suppressed = a->stats.suppressed, lost = a->stats.lost;
	cJSON *m = cJSON_CreateObject(), *dec;
	int active = 0;

	memcpy(allow, a->stats.allow, sizeof(allow));
	memcpy(deny, a->stats.deny, sizeof(deny));
	for (struct run *r = a->runs; r; r = r->next) {
		struct ragged_run_counters sum;

		active++;
		suppressed += r->suppressed;
		if (kmaps_counters(a, r->cg.id, &sum) < 0)
			continue;
		lost += sum.lost;
		for (int h = 0; h < RAGGED_HOOK_MAX; h++) {
			allow[h] += sum.allow[h];
			deny[h] += sum.deny[h];
		}
	}
	cJSON_AddStringToObject(m, "version", RAGGED_VERSION);
	cJSON_AddStringToObject(m, "enforcement", mode_name(a->feat.mode));
	cJSON_AddNumberToObject(m, "runs_started", (double)a->stats.runs_started);
	cJSON_AddNumberToObject(m, "runs_finished", (double)a->stats.runs_finished);
	cJSON_AddNumberToObject(m, "runs_active", active);
	cJSON_AddNumberToObject(m, "limit_kills", (double)a->stats.limit_kills);
	cJSON_AddNumberToObject(m, "records_logged", (double)a->records_total);
	cJSON_AddNumberToObject(m, "records_suppressed", (double)suppressed);
	cJSON_AddNumberToObject(m, "records_lost", (double)lost);
	cJSON_AddNumberToObject(m, "orphan_records", (double)a->orphan_records);
	cJSON_AddNumberToObject(m, "audit_write_errors", (double)a->audit_errors);
	cJSON_AddNumberToObject(m, "journal_send_errors", (double)a->journal_errors);
	/* One entry per (hook, mechanism): some hooks share a program (sys_exit). */
	dec = cJSON_AddArrayToObject(m, "decisions");
	for (int h = 0; h < RAGGED_HOOK_MAX; h++) {
		const char *name = events_hook_name(h), *mech = events_hook_mechanism(h);
		const cJSON *it;
		cJSON *o = NULL;

		if (!name)
			continue;
		cJSON_ArrayForEach(it, dec)
			if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(it, "hook")), name) == 0 &&
			    strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(it, "mechanism")), mech) == 0)
				o = (cJSON *)it;
		if (!o) {
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "hook", name);
			cJSON_AddStringToObject(o, "mechanism", mech);
			cJSON_AddNumberToObject(o, "allowed", 0);
			cJSON_AddNumberToObject(o, "denied", 0);
			cJSON_AddItemToArray(dec, o);
		}
		cJSON_SetNumberValue(cJSON_GetObjectItem(o, "allowed"),
				     cJSON_GetObjectItem(o, "allowed")->valuedouble + (double)allow[h]);
		cJSON_SetNumberValue(cJSON_GetObjectItem(o, "denied"),
				     cJSON_GetObjectItem(o, "denied")->valuedouble + (double)deny[h]);
	}
	return m;
}

void metrics_tick(struct agent *a)
{
	int64_t now = (int64_t)now_monotonic_ns() / 1000000;
	cJSON *m;
	char *text;

	if (!a->cfg.metrics_textfile[0] ||
	    (a->stats.textfile_written_ms && now - a->stats.textfile_written_ms < METRICS_TEXTFILE_MS))
		return;
	a->stats.textfile_written_ms = now ? now : 1;
	m = metrics_snapshot(a);
	text = prom_render(m);
	cJSON_Delete(m);
	/* Readable by node_exporter, which does not run as root. */
	if (!text || write_atomic(a->cfg.metrics_textfile, text, strlen(text), 0644) < 0)
		log_msg(LOG_WARNING, "metrics textfile %s: %s", a->cfg.metrics_textfile,
			strerror(text ? errno : ENOMEM));
	free(text);
}

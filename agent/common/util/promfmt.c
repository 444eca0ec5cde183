// SPDX-License-Identifier: MIT
#include "promfmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		char *np = realloc(b->p, b->cap * 2 + (size_t)n);

		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = b->cap * 2 + (size_t)n;
	}
}

/* Label values come from the agent, but escape as the format says anyway. */
static void label(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			put(b, "\\%c", *s);
		else if (*s == '\n')
			put(b, "\\n");
		else
			put(b, "%c", *s);
	}
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void counter(struct buf *b, const cJSON *m, const char *key, const char *name,
		    const char *type, const char *help)
{
	put(b, "# HELP ragged_%s %s\n# TYPE ragged_%s %s\nragged_%s %.0f\n", name, help, name, type,
	    name, num(m, key));
}

char *prom_render(const cJSON *m)
{
	struct buf b = { .cap = 4096 };
	const cJSON *it;

	if (!cJSON_IsObject(m) || !(b.p = malloc(b.cap)))
		return NULL;
	b.p[0] = '\0';
	put(&b, "# HELP ragged_info The agent: version and enforcement mode.\n"
	    "# TYPE ragged_info gauge\nragged_info{version=\"");
	label(&b, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "version")));
	put(&b, "\",enforcement=\"");
	label(&b, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "enforcement")));
	put(&b, "\"} 1\n");
	counter(&b, m, "runs_started", "runs_started_total", "counter", "Plugin runs started.");
	counter(&b, m, "runs_finished", "runs_finished_total", "counter", "Plugin runs ended.");
	counter(&b, m, "runs_active", "runs_active", "gauge", "Plugin runs now.");
	counter(&b, m, "limit_kills", "limit_kills_total", "counter", "Runs killed for a resource limit.");
	counter(&b, m, "records_logged", "audit_records_total", "counter",
		"Audit records of kernel events written.");
	counter(&b, m, "records_suppressed", "audit_records_suppressed_total", "counter",
		"Records folded into events_suppressed counts (flood control).");
	counter(&b, m, "records_lost", "audit_records_lost_total", "counter",
		"Records lost (ring buffer full, agent crash), counted in events_lost.");
	counter(&b, m, "orphan_records", "audit_orphan_records_total", "counter",
		"Records of cgroups with no run.");
	counter(&b, m, "audit_write_errors", "audit_write_errors_total", "counter",
		"Records the audit log refused (disk full, I/O error).");
	counter(&b, m, "journal_send_errors", "journal_send_errors_total", "counter",
		"Journal copies of records that could not be sent ([audit] journal).");
	put(&b, "# HELP ragged_decisions_total Kernel decisions on plugin runs, by hook.\n"
	    "# TYPE ragged_decisions_total counter\n");
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(m, "decisions")) {
		for (int deny = 0; deny < 2; deny++) {
			put(&b, "ragged_decisions_total{hook=\"");
			label(&b, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "hook")));
			put(&b, "\",mechanism=\"");
			label(&b, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "mechanism")));
			put(&b, "\",decision=\"%s\"} %.0f\n", deny ? "deny" : "allow",
			    num(it, deny ? "denied" : "allowed"));
		}
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

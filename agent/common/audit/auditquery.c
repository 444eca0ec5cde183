/* SPDX-License-Identifier: MIT */
/*
 * The read side of the audit log: names, line parsing and the filters of
 * `raggedctl audit show`. Time stamps are in audittime.c, the file set in
 * auditfiles.c. See docs/audit-format.md.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "auditquery.h"
#include "util/util.h"

const char *const audit_event_names[] = {
	"plugin_installed", "plugin_loaded", "validation_finding",
	"permission_requested", "permission_granted", "permission_denied",
	"permission_revoked", "plugin_executed", "plugin_failed",
	"file_access", "network_access", "permission_violation",
	"sandbox_escape_attempt", "resource_limit_exceeded", "config_change",
	"events_suppressed", "events_lost", "agent_started", "agent_stopped",
	"audit_recovered", "audit_retention",
	/* runtime monitoring: the process tree of each run */
	"process_started", "process_exec", "process_exited",
	/* agent robustness: a client dropped, a plugin's consent channel ended */
	"client_dropped", "consent_channel_closed", "advisories_updated", NULL,
};

/*
 * success: the operation or run completed; failure: it ran and failed (a
 * plugin's non-zero exit); denied/allowed: a permission or access decision;
 * killed: ended by a signal or a limit; error: ragged itself failed.
 */
const char *const audit_result_names[] = {
	"success", "failure", "denied", "allowed", "killed", "error",
	/* pending: asked, not answered yet; observed: monitoring, no decision;
	 * suppressed: an events_suppressed aggregate */
	"pending", "observed", "suppressed", NULL,
};

static bool
in_list(const char *const *list, const char *name)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

bool
audit_event_known(const char *name)
{
	return name != NULL && in_list(audit_event_names, name);
}

bool
audit_result_known(const char *name)
{
	return name != NULL && in_list(audit_result_names, name);
}

cJSON *
audit_parse_line(const char *line, size_t len)
{
	const char *end = NULL;
	cJSON *j;

	if (len == 0 || memchr(line, '\0', len) != NULL)
		return NULL;
	j = cJSON_ParseWithLengthOpts(line, len, &end, 0);
	if (j != NULL && (!cJSON_IsObject(j) || end != line + len)) {
		cJSON_Delete(j);
		j = NULL;
	}
	return j;
}

void
auditquery_init(struct auditquery *q)
{
	memset(q, 0, sizeof(*q));
}

/* docs/contract.md §3 plugin names: [a-z0-9][a-z0-9-]{0,63}. */
static bool
plugin_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > AUDIT_NAME_MAX || s[0] == '-')
		return false;
	for (; *s != '\0'; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

static int
bad(char *err, size_t errlen, const char *opt, const char *msg, const char *val)
{
	char shown[80];
	size_t i;

	/* The value is user input: keep the error one short printable line. */
	for (i = 0; val != NULL && val[i] != '\0' && i + 4 < sizeof(shown); i++)
		shown[i] = isprint((unsigned char)val[i]) ? val[i] : '?';
	shown[i] = '\0';
	if (val != NULL && val[i] != '\0')
		strcpy(shown + i, "...");
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s \"%s\"", opt, msg, shown);
	return -1;
}

static int
set_name(char *dst, size_t dstlen, const char *opt, const char *val,
	 bool ok, const char *msg, char *err, size_t errlen)
{
	if (dst[0] != '\0')
		return bad(err, errlen, opt, "given twice, second value", val);
	if (!ok || strlen(val) >= dstlen)
		return bad(err, errlen, opt, msg, val);
	strcpy(dst, val);
	return 0;
}

static int
set_time(bool *has, int64_t *ms, const char *opt, const char *val,
	 int64_t now_ms, char *err, size_t errlen)
{
	if (*has)
		return bad(err, errlen, opt, "given twice, second value", val);
	if (audit_time_arg(val, now_ms, ms) < 0)
		return bad(err, errlen, opt,
		    "expected -Nd, -Nh, -Nm, -Ns or RFC 3339, got", val);
	*has = true;
	return 0;
}

int
auditquery_option(struct auditquery *q, const char *opt, const char *val,
		  int64_t now_ms, char *err, size_t errlen)
{
	if (val == NULL)
		val = "";
	if (strcmp(opt, "--plugin") == 0)
		return set_name(q->plugin, sizeof(q->plugin), opt, val,
		    plugin_name_ok(val), "invalid plugin name", err, errlen);
	if (strcmp(opt, "--event") == 0)
		return set_name(q->event, sizeof(q->event), opt, val,
		    audit_event_known(val), "unknown event", err, errlen);
	if (strcmp(opt, "--result") == 0)
		return set_name(q->result, sizeof(q->result), opt, val,
		    audit_result_known(val),
		    "expected success|failure|denied|allowed|killed|error, got",
		    err, errlen);
	if (strcmp(opt, "--since") == 0)
		return set_time(&q->has_since, &q->since_ms, opt, val, now_ms,
		    err, errlen);
	if (strcmp(opt, "--until") == 0)
		return set_time(&q->has_until, &q->until_ms, opt, val, now_ms,
		    err, errlen);
	return 1;
}

int
auditquery_check(const struct auditquery *q, char *err, size_t errlen)
{
	char a[RFC3339_MS_LEN + 1], b[RFC3339_MS_LEN + 1];

	if (q->has_since && q->has_until && q->since_ms > q->until_ms) {
		format_rfc3339_ms(q->since_ms, a);
		format_rfc3339_ms(q->until_ms, b);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "--until: %s is before --since %s", b, a);
		return -1;
	}
	return 0;
}

int
auditquery_parse_args(struct auditquery *q, int argc, char *const argv[],
		      int64_t now_ms, char *err, size_t errlen)
{
	for (int i = 0; i < argc; i++) {
		char opt[16];
		const char *val, *eq = strchr(argv[i], '=');
		size_t olen = eq != NULL ? (size_t)(eq - argv[i]) : strlen(argv[i]);
		int rc;

		if (strncmp(argv[i], "--", 2) != 0 || olen >= sizeof(opt))
			return bad(err, errlen, "audit show", "unknown argument", argv[i]);
		memcpy(opt, argv[i], olen);
		opt[olen] = '\0';
		if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return bad(err, errlen, opt, "missing value", "");
		rc = auditquery_option(q, opt, val, now_ms, err, errlen);
		if (rc == 1)
			return bad(err, errlen, "audit show", "unknown option", opt);
		if (rc < 0)
			return -1;
	}
	return auditquery_check(q, err, errlen);
}

void
auditquery_restrict(struct auditquery *q, uid_t uid, const char *user)
{
	q->restricted = uid != 0;
	q->uid = uid;
	q->user[0] = '\0';
	if (user != NULL && strlen(user) < sizeof(q->user))
		strcpy(q->user, user);
}

static bool
str_is(const cJSON *rec, const char *key, const char *want)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, key));

	return v != NULL && strcmp(v, want) == 0;
}

/* The numeric uid is authoritative; user_id only for records without one. */
static bool
user_match(const struct auditquery *q, const cJSON *rec)
{
	const cJSON *uid = cJSON_GetObjectItemCaseSensitive(rec, "uid");

	if (uid != NULL)
		return cJSON_IsNumber(uid) && uid->valuedouble == (double)q->uid;
	return q->user[0] != '\0' && str_is(rec, "user_id", q->user);
}

bool
auditquery_match(const struct auditquery *q, const cJSON *rec)
{
	const char *ts;
	int64_t ms;

	if (!cJSON_IsObject(rec))
		return false;
	if (q->restricted && !user_match(q, rec))
		return false;
	if ((q->plugin[0] != '\0' && !str_is(rec, "plugin", q->plugin)) ||
	    (q->event[0] != '\0' && !str_is(rec, "event", q->event)) ||
	    (q->result[0] != '\0' && !str_is(rec, "result", q->result)))
		return false;
	if (!q->has_since && !q->has_until)
		return true;
	ts = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "timestamp"));
	if (ts == NULL || audit_time_parse(ts, &ms) < 0)
		return false;
	return (!q->has_since || ms >= q->since_ms) &&
	    (!q->has_until || ms <= q->until_ms);
}

cJSON *
auditquery_to_json(const struct auditquery *q)
{
	cJSON *o = cJSON_CreateObject();
	char t[RFC3339_MS_LEN + 1];
	bool ok = o != NULL;

	if (ok && q->plugin[0] != '\0')
		ok = cJSON_AddStringToObject(o, "plugin", q->plugin) != NULL;
	if (ok && q->event[0] != '\0')
		ok = cJSON_AddStringToObject(o, "event", q->event) != NULL;
	if (ok && q->result[0] != '\0')
		ok = cJSON_AddStringToObject(o, "result", q->result) != NULL;
	if (ok && q->has_since) {
		format_rfc3339_ms(q->since_ms, t);
		ok = cJSON_AddStringToObject(o, "since", t) != NULL;
	}
	if (ok && q->has_until) {
		format_rfc3339_ms(q->until_ms, t);
		ok = cJSON_AddStringToObject(o, "until", t) != NULL;
	}
	if (!ok) {
		cJSON_Delete(o);
		o = NULL;
	}
	return o;
}

/* Same validation as the options; relative times are not accepted on the wire. */
int
auditquery_from_json(struct auditquery *q, const cJSON *obj,
		     char *err, size_t errlen)
{
	const cJSON *it;

	auditquery_init(q);
	if (!cJSON_IsObject(obj))
		return bad(err, errlen, "query", "not an object", "");
	cJSON_ArrayForEach(it, obj) {
		char opt[16];
		const char *v = cJSON_GetStringValue(it);

		if (it->string == NULL || strlen(it->string) > 6 ||
		    (strcmp(it->string, "plugin") != 0 && strcmp(it->string, "event") != 0 &&
		     strcmp(it->string, "result") != 0 && strcmp(it->string, "since") != 0 &&
		     strcmp(it->string, "until") != 0))
			return bad(err, errlen, "query", "unknown key",
			    it->string != NULL ? it->string : "");
		snprintf(opt, sizeof(opt), "--%s", it->string);
		if (v == NULL)
			return bad(err, errlen, opt, "not a string", "");
		if (v[0] == '-')
			return bad(err, errlen, opt, "relative time on the wire", v);
		if (auditquery_option(q, opt, v, 0, err, errlen) != 0)
			return -1;
	}
	return auditquery_check(q, err, errlen);
}

struct scan_ctx {
	const struct auditquery *q;
	auditquery_cb cb;
	void *arg;
	struct auditquery_stats *st;
};

static int
scan_line(const char *file, unsigned long lineno, const char *line, size_t len,
	  bool torn, bool last_file, void *arg)
{
	struct scan_ctx *c = arg;
	cJSON *rec;
	int rc = 0;

	if (torn && last_file) {
		c->st->torn_bytes += len;
		return 0;
	}
	c->st->lines++;
	if ((rec = audit_parse_line(line, len)) == NULL) {
		c->st->unparsable++;
		return 0;
	}
	if (auditquery_match(c->q, rec)) {
		c->st->matched++;
		rc = c->cb != NULL ? c->cb(rec, line, len, c->arg) : 0;
	}
	cJSON_Delete(rec);
	return rc;
}

int
auditquery_scan(const char *path, const struct auditquery *q,
		auditquery_cb cb, void *arg, struct auditquery_stats *st)
{
	struct auditquery_stats dummy;
	struct scan_ctx c = { q, cb, arg, st != NULL ? st : &dummy };

	memset(c.st, 0, sizeof(*c.st));
	return audit_files_each_line(path, scan_line, &c);
}

// SPDX-License-Identifier: MIT
/*
 * raggedctl security report --plugins [--plugin NAME] [--since T] [--osv-db DIR]
 *
 * One view of the risk each installed plugin carries, built in the client
 * from what the agent already answers (so it works for every user, who sees
 * only their own plugins and records):
 *   plugin_list          the plugins: name, version, dir, required, optional (paged)
 *   permissions NAME     granted or not, since when (older agents: unknown)
 *   status               the enforcement mode
 *   audit_show           permission_violation, sandbox_escape_attempt and
 *                        resource_limit_exceeded records in the window
 *   plugin_vetting NAME  the vetting results the agent kept (at install, and
 *                        before a run when the content had changed): every
 *                        finding, the accepted risks (who, when, how)
 *   validate_dir         run here on each plugin's directory, only to tell
 *                        whether its files changed since install (and as
 *                        the findings for an entry the agent kept none for)
 * and the exposure score of validate_exposure() from all of it: the findings
 * counted are the agent's, which decided install and run. One model
 * (cJSON), rendered as text or JSON.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "cmd_validate.h"
#include "cmdtab.h"
#include "ctl.h"
#include "config/config.h"
#include "util/util.h"
#include "proto/proto.h"

#define LAST_RECORDS 3

static const char *const activity_events[] = {
	"permission_violation", "sandbox_escape_attempt", "resource_limit_exceeded",
};
static const char *const activity_keys[] = { "violations", "escape_attempts", "limit_kills" };

/* The reply's data, or NULL with the exit code of the failure in *rc (when rc is given). */
static cJSON *request(struct ctl *c, cJSON *req, cJSON **reply, bool quiet, int *rc)
{
	cJSON *data = NULL;
	int code = ctl_request(c, req, reply);

	if (code == 0) {
		if (quiet && proto_str(*reply, "type") && strcmp(proto_str(*reply, "type"), "ok"))
			data = NULL;
		else
			data = ctl_reply_data(*reply, &code);
	} else
		code = -code;
	cJSON_Delete(req);
	if (rc)
		*rc = data ? 0 : code ? code : EXIT_FAILED;
	return data;
}

/* The record's one-line detail: path, address:port, or reason (as `audit show`). */
static void detail(const cJSON *rec, char *out, size_t len)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(rec, "details");
	long long port;

	if (proto_str(d, "path"))
		snprintf(out, len, "%s", proto_str(d, "path"));
	else if (proto_str(d, "address") && proto_int(d, "port", &port) == 0)
		snprintf(out, len, "%s:%lld", proto_str(d, "address"), port);
	else
		snprintf(out, len, "%s", proto_str(d, "reason") ? proto_str(d, "reason") : "");
}

/* The plugin entry a record belongs to (name, and uid when both say). */
static cJSON *owner(cJSON *plugins, const cJSON *rec)
{
	const char *name = proto_str(rec, "plugin");
	long long ru, pu;
	cJSON *p;

	cJSON_ArrayForEach(p, plugins) {
		if (!name || strcmp(name, proto_str(p, "name") ?: ""))
			continue;
		if (proto_int(rec, "uid", &ru) == 0 && proto_int(p, "uid", &pu) == 0 && ru != pu)
			continue;
		return p;
	}
	return NULL;
}

/* Stream one audit_show query into the plugins' "recent" objects. -1 if the agent failed. */
static int activity(struct ctl *c, cJSON *plugins, int ev, const char *since)
{
	struct auditquery q;
	char err[256];
	cJSON *req;
	int fd, rc = -1;

	auditquery_init(&q);
	if (auditquery_option(&q, "--since", since, (int64_t)now_realtime_ms(), err, sizeof(err)) < 0 ||
	    auditquery_option(&q, "--event", activity_events[ev], 0, err, sizeof(err)) < 0) {
		ctl_err("security report: %s", err);
		return -1;
	}
	req = ctl_req("audit_show");
	cJSON_AddItemToObject(req, "query", auditquery_to_json(&q));
	fd = ctl_connect(c);
	if (fd >= 0 && proto_send(fd, req, NULL, 0) == 0) {
		for (;;) {
			int fds[3], nfds;
			cJSON *msg, *rec, *p;
			const char *type;

			if (proto_recv_reply(fd, &msg, fds, &nfds) <= 0)
				break;
			for (int k = 0; k < nfds; k++)
				close(fds[k]);
			type = proto_str(msg, "type");
			rec = cJSON_GetObjectItemCaseSensitive(msg, "record");
			if (type && !strcmp(type, "record") && (p = owner(plugins, rec))) {
				cJSON *recent = cJSON_GetObjectItemCaseSensitive(p, "recent");
				cJSON *n = cJSON_GetObjectItemCaseSensitive(recent, activity_keys[ev]);
				cJSON *last = cJSON_GetObjectItemCaseSensitive(recent, "last"), *o;
				char d[300];

				cJSON_SetNumberValue(n, n->valuedouble + 1);
				o = cJSON_CreateObject();
				cJSON_AddStringToObject(o, "timestamp", proto_str(rec, "timestamp") ?: "");
				cJSON_AddStringToObject(o, "event", activity_events[ev]);
				detail(rec, d, sizeof(d));
				cJSON_AddStringToObject(o, "detail", d);
				cJSON_AddItemToArray(last, o);
				if (cJSON_GetArraySize(last) > LAST_RECORDS)
					cJSON_DeleteItemFromArray(last, 0);
			}
			if (type && (!strcmp(type, "end") || !strcmp(type, "error"))) {
				if (!strcmp(type, "error"))
					ctl_err("audit: %s", proto_str(msg, "message") ?: "agent error");
				rc = strcmp(type, "end") == 0 ? 0 : -1;
				cJSON_Delete(msg);
				break;
			}
			cJSON_Delete(msg);
		}
	}
	if (fd >= 0)
		close(fd);
	cJSON_Delete(req);
	return rc;
}

/* Known permission names of a list as a mask; unknown ones are left out. */
static uint32_t mask_of(const cJSON *arr)
{
	uint32_t m;

	perm_mask_from_json(arr, &m);
	return m;
}

/*
 * Granted permissions: from the list entry if the agent put them there,
 * else from `permissions NAME`; false when the agent cannot say.
 * The agent's plugin list carries "granted" (consent for the entry's
 * current digest) for every user's plugins; the `permissions` request is
 * only the fallback for an older agent.
 */
static bool granted_of(struct ctl *c, cJSON *p, uint32_t *granted)
{
	cJSON *req, *reply = NULL, *data, *it;
	bool ok;

	*granted = 0;
	if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(p, "granted"))) {
		*granted = mask_of(cJSON_GetObjectItemCaseSensitive(p, "granted"));
		cJSON_DeleteItemFromObjectCaseSensitive(p, "granted");	/* re-added in order below */
		return true;
	}
	req = ctl_req("permissions");
	cJSON_AddStringToObject(req, "plugin", proto_str(p, "name"));
	data = request(c, req, &reply, true, NULL);
	ok = cJSON_IsArray(data);
	if (!ok)
		data = NULL;
	cJSON_ArrayForEach(it, data) {
		int perm = perm_from_name(proto_str(it, "permission"));

		if (perm >= 0 && proto_str(it, "status") && !strcmp(proto_str(it, "status"), "granted"))
			*granted |= RAGGED_PERM_BIT(perm);
	}
	cJSON_Delete(reply);
	return ok;
}

/*
 * The agent's kept vetting results with their findings (plugin_vetting: the
 * plugin list carries only their counts). An older agent answers nothing
 * and the entry stays as the list gave it.
 */
static void fetch_vetting(struct ctl *c, cJSON *p)
{
	static const char *const keys[] = { "validation", "validation_last_run" };
	cJSON *req = ctl_req("plugin_vetting"), *reply = NULL, *data, *v;
	long long uid;

	cJSON_AddStringToObject(req, "plugin", proto_str(p, "name") ?: "");
	if (proto_int(p, "uid", &uid) == 0)
		cJSON_AddNumberToObject(req, "uid", (double)uid);
	data = request(c, req, &reply, true, NULL);
	for (int k = 0; data && k < 2; k++)
		if ((v = cJSON_DetachItemFromObjectCaseSensitive(data, keys[k]))) {
			cJSON_DeleteItemFromObjectCaseSensitive(p, keys[k]);
			cJSON_AddItemToObject(p, keys[k], v);
		}
	cJSON_Delete(reply);
}

/*
 * The findings the agent acted on: the result it kept at install, or the
 * one it kept before a run when the content had changed since. Returns that
 * record (owned by p) and fills *rf, NULL for an entry from before findings
 * were kept.
 */
static const cJSON *recorded(cJSON *p, struct recorded_findings *rf)
{
	cJSON *inst = cJSON_DetachItemFromObjectCaseSensitive(p, "validation");
	cJSON *last = cJSON_DetachItemFromObjectCaseSensitive(p, "validation_last_run");
	cJSON *use = last && validate_record_counts(last, rf) == 0 ? last : inst;

	if (use == last && inst)
		cJSON_AddItemToObject(p, "validation_at_install", inst);
	else if (use == inst) {
		cJSON_Delete(last);
		last = NULL;
	}
	if (!use || validate_record_counts(use, rf) < 0) {
		if (use)	/* counts only: kept as it was, under its old name */
			cJSON_AddItemToObject(p, "validation_at_install", use);
		return NULL;
	}
	cJSON_AddStringToObject(use, "source", "agent");
	cJSON_AddItemToObject(p, "validation", use);
	return use;
}

/*
 * The plugin's findings into p: the agent's record when it has one. The
 * directory is scanned here too, but only to tell whether its files changed
 * since (the digest), or, for an entry without findings, as the findings
 * themselves ("source":"local scan"; this client may lack analysers the
 * agent has). *r is the local scan when *scanned.
 */
static void validation(cJSON *p, const struct validate_opts *o, struct validate_report *r,
		       bool *scanned, struct recorded_findings *rf, bool *have_rf)
{
	char path[PATH_MAX], err[512], digest[65];
	const char *dir = proto_str(p, "dir");
	const cJSON *rec = recorded(p, rf);
	struct manifest m;
	bool valid;
	cJSON *v;

	*have_rf = rec != NULL;
	*scanned = false;
	if (!dir || snprintf(path, sizeof(path), "%s/plugin.toml", dir) >= (int)sizeof(path)) {
		if (!rec)
			cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "validation"), "error", "no directory");
		return;
	}
	valid = manifest_load(path, &m, err, sizeof(err)) == 0;
	if (validate_dir(dir, valid ? &m : NULL, o, r, path, sizeof(path)) < 0) {
		if (!rec)
			cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "validation"), "error", path);
		if (valid)
			manifest_free(&m);
		return;
	}
	if (!valid)
		validate_add_manifest_error(r, err);
	if (!rec) {
		v = validate_report_json(r);
		cJSON_AddStringToObject(v, "source", "local scan");
		cJSON_AddBoolToObject(v, "blocked", validate_blocks(r, SEV_CRITICAL));
		cJSON_AddItemToObject(p, "validation", v);
		*scanned = true;
	}
	/* The install's digest: from the kept record when it is the one shown, else its own. */
	v = cJSON_GetObjectItemCaseSensitive(p, "validation_at_install");
	if (!v && rec)
		v = cJSON_GetObjectItemCaseSensitive(p, "validation");
	if (proto_str(v, "digest"))
		cJSON_AddBoolToObject(p, "files_changed_since_install", strcmp(proto_str(v, "digest"), r->digest));
	if (valid) {
		manifest_digest_hex(&m, digest);
		cJSON_AddBoolToObject(p, "changed_since_install",
				      !proto_str(p, "digest") || strcmp(digest, proto_str(p, "digest")));
		manifest_free(&m);
	}
	if (!*scanned)
		validate_report_free(r);
}

/* " [accepted by uid 0 (root) with --accept-risk at T]" for an accepted finding, else "". */
static const char *accepted_note(const cJSON *f, char *out, size_t len)
{
	long long uid = -1;
	char name[256];
	bool named;

	out[0] = '\0';
	if (!proto_bool(f, "accepted"))
		return out;
	proto_int(f, "accepted_by_uid", &uid);
	named = uid >= 0 && uid_name((uid_t)uid, name, sizeof(name)) == 0;
	snprintf(out, len, "  [accepted by uid %lld%s%s%s with %s at %s]", uid, named ? " (" : "",
		 named ? ctl_safe(name) : "", named ? ")" : "",
		 ctl_safe(proto_str(f, "accepted_how")) ?: "?", ctl_safe(proto_str(f, "accepted_at")) ?: "?");
	return out;
}

/* The findings block of one plugin's text report. */
static void text_findings(const cJSON *p)
{
	const cJSON *val = cJSON_GetObjectItemCaseSensitive(p, "validation"), *it;
	char note[256];

	if (proto_str(val, "error"))
		printf("  %-10s not validated: %s\n", "findings", ctl_safe(proto_str(val, "error")));
	else if (!strcmp(proto_str(val, "source") ?: "", "agent"))
		printf("  %-10s recorded by the agent %s %s%s\n", "findings",
		       !strcmp(proto_str(val, "when") ?: "", "run") ? "before a run on" : "at install on",
		       ctl_safe(proto_str(val, "scanned_at")) ?: "?",
		       proto_bool(val, "blocked") ? ", blocking" : "");
	else if (val)
		printf("  %-10s scanned here (the agent kept no findings for this entry)\n", "findings");
	if (!proto_str(val, "error") && !cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(val, "findings")))
		printf("  %-10s none\n", "");
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(val, "findings")) {
		long long line = 0;

		proto_int(it, "line", &line);
		printf("  %-10s %-8s %-26s %s%s%.0lld  %s%s\n", "",
		       ctl_safe(proto_str(it, "severity")) ?: "?", ctl_safe(proto_str(it, "rule")) ?: "?",
		       ctl_safe(proto_str(it, "file")) ?: "(plugin)", line ? ":" : "", line,
		       ctl_safe(proto_str(it, "message")) ?: "", accepted_note(it, note, sizeof(note)));
	}
}

static void text(const cJSON *report)
{
	const cJSON *p, *it;

	printf("enforcement: %s; activity since %s\n",
	       ctl_safe(proto_str(report, "enforcement")) ?: "unknown",
	       ctl_safe(proto_str(report, "since")) ?: "?");
	if (!cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(report, "plugins")))
		printf("no plugins installed\n");
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(report, "plugins")) {
		const cJSON *ex = cJSON_GetObjectItemCaseSensitive(p, "exposure");
		const cJSON *rec = cJSON_GetObjectItemCaseSensitive(p, "recent");
		long long score = 0, n;
		bool first = true;

		proto_int(ex, "score", &score);
		printf("\n%s %s (%s)  exposure %lld/100 %s\n", ctl_safe(proto_str(p, "name")) ?: "?",
		       ctl_safe(proto_str(p, "version")) ?: "?", ctl_safe(proto_str(p, "type")) ?: "?",
		       score, ctl_safe(proto_str(ex, "level")) ?: "?");
		printf("  %-10s %s\n", "dir", ctl_safe(proto_str(p, "dir")) ?: "?");
		printf("  %-10s", "requested");
		for (int k = 0; k < 2; k++)
			cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(p, k ? "optional" : "required")) {
				int perm = perm_from_name(it->valuestring);

				printf("%s %s (%s, %s)", first ? "" : ",", ctl_safe(it->valuestring),
				       k ? "optional" : "required",
				       perm >= 0 ? perm_risk_name(perm_info(perm)->risk) : "?");
				first = false;
			}
		printf("%s\n  %-10s", first ? " nothing" : "", "granted");
		if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(p, "granted")))
			printf(" unknown (the agent did not say)\n");
		else if (!cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "granted")))
			printf(" nothing yet\n");
		else {
			cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(p, "granted"))
				printf(" %s%s", ctl_safe(it->valuestring), it->next ? "," : "");
			printf("\n");
		}
		first = true;
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(ex, "reasons")) {
			n = 0;
			proto_int(it, "points", &n);
			printf("  %-10s %+3lld %s\n", first ? "exposure" : "", n,
			       ctl_safe(proto_str(it, "reason")) ?: "");
			first = false;
		}
		text_findings(p);
		if (proto_bool(p, "changed_since_install"))
			printf("  %-10s the manifest changed since install: the agent will refuse to run it\n", "note");
		else if (proto_bool(p, "files_changed_since_install"))
			printf("  %-10s files changed since install: the agent validates them again before the "
			       "next run\n", "note");
		printf("  %-10s", "activity");
		for (int k = 0; k < 3; k++) {
			n = 0;
			proto_int(rec, activity_keys[k], &n);
			printf("%s %lld %s", k ? "," : "", n, activity_events[k]);
		}
		printf("\n");
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(rec, "last"))
			printf("  %-10s %s %s %s\n", "", ctl_safe_logged(proto_str(it, "timestamp")) ?: "?",
			       ctl_safe_logged(proto_str(it, "event")) ?: "?",
			       ctl_safe_logged(proto_str(it, "detail")) ?: "");
	}
}

int cmd_security_report(struct ctl *c, const struct ctl_args *args)
{
	struct {
		const char *plugin, *since;
	} a = { ctl_arg(args, "--plugin"), ctl_arg(args, "--since") ?: "-7d" };
	struct validate_opts o;
	cJSON *req, *sreply = NULL, *list = NULL, *status, *report, *out, *p, *next;
	char osv[PATH_MAX], ts[RFC3339_MS_LEN + 1];
	const char *mode;
	int rc = 0;

	{
		struct auditquery q;
		char err[256];

		auditquery_init(&q);
		if (auditquery_option(&q, "--since", a.since, (int64_t)now_realtime_ms(), err,
				      sizeof(err)) < 0) {
			ctl_err("security report: %s", err);
			return EXIT_BAD_INPUT;
		}
	}
	ctl_validate_opts(ctl_arg(args, "--config"), ctl_arg(args, "--osv-db"), &o, osv, sizeof(osv));
	if ((rc = ctl_plugin_list(c, &list)) != 0)
		return rc;
	req = ctl_req("status");
	status = request(c, req, &sreply, false, NULL);
	mode = proto_str(status, "enforcement");

	report = cJSON_CreateObject();
	format_rfc3339_ms((int64_t)now_realtime_ms(), ts);
	cJSON_AddStringToObject(report, "generated_at", ts);
	cJSON_AddStringToObject(report, "since", a.since);
	if (mode)
		cJSON_AddStringToObject(report, "enforcement", mode);
	else
		cJSON_AddNullToObject(report, "enforcement");
	out = cJSON_AddArrayToObject(report, "plugins");
	for (p = list->child; p; p = next) {
		cJSON *recent;

		next = p->next;
		if (a.plugin && strcmp(proto_str(p, "name") ?: "", a.plugin))
			continue;
		cJSON_DetachItemViaPointer(list, p);
		cJSON_AddItemToArray(out, p);
		recent = cJSON_AddObjectToObject(p, "recent");
		for (int k = 0; k < 3; k++)
			cJSON_AddNumberToObject(recent, activity_keys[k], 0);
		cJSON_AddArrayToObject(recent, "last");
	}
	if (a.plugin && !cJSON_GetArraySize(out)) {
		ctl_err("plugin %s is not installed", a.plugin);
		rc = EXIT_FAILED;
	}
	for (int k = 0; k < 3 && rc == 0; k++)
		if (activity(c, out, k, a.since) < 0)
			cJSON_AddBoolToObject(report, "activity_incomplete", 1);
	cJSON_ArrayForEach(p, out) {
		struct exposure_input in = { .enforcement = mode };
		struct validate_report r;
		struct recorded_findings rf;
		bool scanned, have_rf;
		const cJSON *recent = cJSON_GetObjectItemCaseSensitive(p, "recent");
		long long n;

		in.requested = mask_of(cJSON_GetObjectItemCaseSensitive(p, "required")) |
			       mask_of(cJSON_GetObjectItemCaseSensitive(p, "optional"));
		in.granted_known = granted_of(c, p, &in.granted);
		cJSON_AddItemToObject(p, "granted", in.granted_known ? perm_mask_to_json(in.granted) : cJSON_CreateNull());
		cJSON_AddStringToObject(p, "enforcement", mode ? mode : "unknown");
		fetch_vetting(c, p);
		validation(p, &o, &r, &scanned, &rf, &have_rf);
		in.report = scanned ? &r : NULL;
		in.recorded = have_rf ? &rf : NULL;
		in.violations = proto_int(recent, "violations", &n) == 0 ? (unsigned)n : 0;
		in.escapes = proto_int(recent, "escape_attempts", &n) == 0 ? (unsigned)n : 0;
		in.limit_kills = proto_int(recent, "limit_kills", &n) == 0 ? (unsigned)n : 0;
		cJSON_AddItemToObject(p, "exposure", validate_exposure(&in));
		if (scanned)
			validate_report_free(&r);
	}
	if (rc == 0) {
		if (c->format == FMT_JSON)
			render_json(report);
		else
			text(report);
	}
	cJSON_Delete(report);
	cJSON_Delete(list);
	cJSON_Delete(sreply);
	return rc;
}

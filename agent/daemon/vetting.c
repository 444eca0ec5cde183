// SPDX-License-Identifier: MIT
/*
 * Plugin validation in the agent (issue "Plugin validation"): the static
 * scan runs on install and before every run. It is cached by content
 * digest, so an unchanged plugin costs a read and a hash; any changed file
 * re-runs the analysis. A finding at or above the blocking threshold
 * (critical) refuses the install or the run. On install every finding is
 * an audit record (validation_finding), and the whole result is kept in
 * the registry entry (validate_record_json).
 */
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "util/util.h"
#include "validate/validate.h"

#define VET_THRESHOLD SEV_CRITICAL

static void opts_of(const struct agent *a, struct validate_opts *o, char *cache, size_t len)
{
	memset(o, 0, sizeof(*o));
	o->osv_dir = a->cfg.advisory_db[0] ? a->cfg.advisory_db : NULL;
	o->osv_max_age_days = a->cfg.advisory_max_age_days;
	o->cache_dir = xsnprintf(cache, len, "%s/validate-cache", a->cfg.state_dir) < 0 ? NULL : cache;
	/* The local services the system:* permissions name, for the cross-check. */
	o->embedding_port = a->cfg.embedding.port;
	o->vectorstore_port = a->cfg.vectorstore.port;
}

/*
 * Returns 0 clean enough, 1 blocked (err says why; *digest_out is the
 * scanned content's digest, which a user may have accepted the risk of),
 * -1 the scan could not complete (never treated as clean).
 */
int vet_plugin(struct agent *a, const char *dir, const struct manifest *m, uid_t uid,
	       bool record, bool accepted, cJSON **summary, char digest_out[65],
	       char *err, size_t errlen)
{
	struct validate_report rep;
	struct validate_opts o;
	char cache[PATH_MAX];
	unsigned counts[5];
	int rc = 0;

	if (summary)
		*summary = NULL;
	opts_of(a, &o, cache, sizeof(cache));
	memset(&rep, 0, sizeof(rep));
	if (validate_dir(dir, m, &o, &rep, err, errlen) < 0)
		return -1;	/* a scan that cannot complete is not a clean scan */
	for (size_t i = 0; record && i < rep.n; i++) {
		const struct validate_finding *f = &rep.findings[i];
		bool blocks = f->severity >= VET_THRESHOLD;
		cJSON *rec = auditrec_new(a, "validation_finding",
					  !blocks ? "success" : accepted ? "allowed" : "denied");

		cJSON_AddStringToObject(rec, "plugin", m->name);
		cJSON_AddStringToObject(rec, "version", m->version);
		auditrec_user(rec, uid);
		cJSON_AddItemToObject(rec, "details", validate_finding_json(f));
		if (blocks && accepted)
			cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(rec, "details"),
						"accepted_by", "user (--accept-risk)");
		auditrec_emit(a, rec);
	}
	validate_counts(&rep, counts);
	/*
	 * What the agent acted on, kept in the registry: every finding, and
	 * who accepted the blocking ones, when (the security report shows it).
	 */
	if (summary) {
		struct validate_acceptance acc = { .uid = (unsigned)uid, .how = "--accept-risk" };
		uint64_t ms = now_realtime_ms();
		char ts[32];

		format_rfc3339_ms((int64_t)ms, ts);
		acc.at = ts;
		*summary = validate_record_json(&rep, VET_THRESHOLD, accepted ? &acc : NULL, ts,
						record ? "install" : "run");
	}
	if (validate_blocks(&rep, VET_THRESHOLD)) {
		const struct validate_finding *f = &rep.findings[0];	/* most severe first */

		snprintf(err, errlen, "validation blocks %s: %u %s finding(s), first: %s %s:%u: %s "
			 "(see `raggedctl plugin validate %s`)", m->name, counts[VET_THRESHOLD],
			 severity_name(VET_THRESHOLD), f->rule ? f->rule->id : "?",
			 f->file ? f->file : "-", f->line, f->message ? f->message : "", dir);
		rc = 1;
	}
	if (digest_out)
		snprintf(digest_out, 65, "%s", rep.digest);
	validate_report_free(&rep);
	return rc;
}

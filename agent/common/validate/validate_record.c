// SPDX-License-Identifier: MIT
/*
 * The vetting result the agent keeps in its registry (at install, and
 * before a run when the content changed since), and what the security
 * report reads back from it: the report tells what the agent acted on,
 * including the risks a user accepted, instead of scanning again in a
 * client that may lack the agent's analysers (libelf).
 */
#include <stdio.h>
#include <string.h>

#include "validate.h"

/* The registry entry stays small: the counts always hold every finding. */
#define RECORD_FINDINGS_MAX 100

cJSON *validate_record_json(const struct validate_report *r, enum severity threshold,
			    const struct validate_acceptance *acc, const char *scanned_at,
			    const char *when)
{
	cJSON *o = cJSON_CreateObject(), *counts, *arr;
	bool blocked = validate_blocks(r, threshold);
	unsigned c[5];

	validate_counts(r, c);
	/* The first five keep the form older entries have: {critical..info, digest}. */
	for (int s = SEV_CRITICAL; s >= SEV_INFO; s--)
		cJSON_AddNumberToObject(o, severity_name((enum severity)s), c[s]);
	cJSON_AddStringToObject(o, "digest", r->digest);
	cJSON_AddStringToObject(o, "ruleset", VALIDATE_RULESET_VERSION);
	cJSON_AddStringToObject(o, "scanned_at", scanned_at);
	cJSON_AddStringToObject(o, "when", when);
	cJSON_AddBoolToObject(o, "complete", r->complete);
	cJSON_AddStringToObject(o, "threshold", severity_name(threshold));
	cJSON_AddBoolToObject(o, "blocked", blocked);
	counts = cJSON_AddObjectToObject(o, "counts");
	for (int s = SEV_CRITICAL; s >= SEV_INFO; s--)
		cJSON_AddNumberToObject(counts, severity_name((enum severity)s), c[s]);
	if (blocked && acc) {
		cJSON *a = cJSON_AddObjectToObject(o, "accepted_risk");

		cJSON_AddNumberToObject(a, "by_uid", acc->uid);
		cJSON_AddStringToObject(a, "how", acc->how);
		cJSON_AddStringToObject(a, "at", acc->at);
	}
	arr = cJSON_AddArrayToObject(o, "findings");
	for (size_t i = 0; i < r->n && i < RECORD_FINDINGS_MAX; i++) {
		const struct validate_finding *f = &r->findings[i];
		cJSON *j = validate_finding_json(f);
		bool blocks = f->severity >= threshold;

		cJSON_AddBoolToObject(j, "blocking", blocks);
		if (blocks && acc) {
			cJSON_AddBoolToObject(j, "accepted", true);
			cJSON_AddNumberToObject(j, "accepted_by_uid", acc->uid);
			cJSON_AddStringToObject(j, "accepted_how", acc->how);
			cJSON_AddStringToObject(j, "accepted_at", acc->at);
		}
		cJSON_AddItemToArray(arr, j);
	}
	cJSON_AddNumberToObject(o, "findings_not_listed",
				(double)(r->n > RECORD_FINDINGS_MAX ? r->n - RECORD_FINDINGS_MAX : 0) +
				(double)r->dropped);
	return o;
}

static bool count_of(const cJSON *o, const char *key, unsigned *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e9 ||
	    v->valuedouble != (double)(unsigned)v->valuedouble)
		return false;
	*out = (unsigned)v->valuedouble;
	return true;
}

int validate_record_counts(const cJSON *rec, struct recorded_findings *out)
{
	const cJSON *counts = cJSON_GetObjectItemCaseSensitive(rec, "counts"), *it;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(rec, "findings")) ||
	    !cJSON_IsObject(counts))
		return -1;	/* an entry from before findings were kept */
	for (int s = SEV_INFO; s <= SEV_CRITICAL; s++)
		if (!count_of(counts, severity_name((enum severity)s), &out->counts[s]))
			return -1;
	out->complete = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "complete"));
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(rec, "findings"))
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "accepted")))
			out->accepted++;
	return 0;
}

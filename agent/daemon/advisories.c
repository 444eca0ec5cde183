// SPDX-License-Identifier: MIT
/*
 * Recording advisory updates. `raggedctl advisories update` (run by root,
 * or by the ragged-advisories timer) fetches, verifies and swaps the OSV
 * data into [paths] advisory_db itself, then sends advisories_updated; the
 * agent's loop never downloads or unpacks anything. The record's facts come
 * from the stamp root left in the directory (osvstamp.h), not from the
 * request, so a request cannot make the log say something untrue; and the
 * agent compares the stamp with the one it recorded last
 * (state_dir/advisories.recorded), so an update made while the agent was
 * down is recorded when it starts, and a repeated request records nothing.
 * The scan reads the directory afresh each time (its cache is keyed by the
 * directory's fingerprint), so there is nothing to reload.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "log.h"
#include "validate/validate.h"
#include "util/util.h"

/* 1 recorded, 0 nothing new (or no data), -1 the stamp is unusable (err says why). */
int advisories_record(struct agent *a, const struct client *by, char *err, size_t errlen)
{
	char state[PATH_MAX], old[160] = "", now[160];
	struct osv_stamp st;
	cJSON *rec, *d;

	if (!a->cfg.advisory_db[0]) {
		snprintf(err, errlen, "no advisory_db is configured");
		return by ? -1 : 0;
	}
	if (osv_stamp_read(a->cfg.advisory_db, &st) < 0) {
		if (errno == ENOENT && !by)
			return 0;	/* never updated by raggedctl: nothing to record */
		snprintf(err, errlen, "%s/%s: %s", a->cfg.advisory_db, OSV_STAMP_NAME,
			 errno == EINVAL ? "not an update stamp" : errno == EPERM ?
			 "not root's, or writable by others" : strerror(errno));
		return -1;
	}
	snprintf(now, sizeof(now), "%s %s", st.sha256, st.fetched_at);
	if (xsnprintf(state, sizeof(state), "%s/advisories.recorded", a->cfg.state_dir) < 0)
		return -1;
	read_file(state, old, sizeof(old));
	if (strcmp(old, now) == 0)
		return 0;
	rec = auditrec_new(a, "advisories_updated", "success");
	if (by)
		auditrec_user(rec, by->uid);
	d = cJSON_AddObjectToObject(rec, "details");
	cJSON_AddStringToObject(d, "path", a->cfg.advisory_db);
	cJSON_AddStringToObject(d, "source", st.source);
	cJSON_AddNumberToObject(d, "count", (double)st.count);
	cJSON_AddStringToObject(d, "sha256", st.sha256);
	cJSON_AddStringToObject(d, "fetched_at", st.fetched_at);
	if (st.previous_fetched_at[0]) {
		cJSON_AddStringToObject(d, "previous_fetched_at", st.previous_fetched_at);
		cJSON_AddNumberToObject(d, "previous_age_seconds",
					(double)(st.fetched_unix > st.previous_unix ?
						 st.fetched_unix - st.previous_unix : 0));
	}
	if (auditrec_emit(a, rec) < 0) {
		snprintf(err, errlen, "the audit log refused the record");
		return -1;
	}
	/* Only once it is in the log: a failed write is retried by the next request or start. */
	if (write_atomic(state, now, strlen(now), 0600) < 0)
		log_msg(LOG_WARNING, "%s: %s", state, strerror(errno));
	log_msg(LOG_NOTICE, "advisories updated: %llu from %s", (unsigned long long)st.count, st.source);
	return 1;
}

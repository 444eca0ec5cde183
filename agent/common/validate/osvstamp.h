/* SPDX-License-Identifier: MIT */
/*
 * The stamp `raggedctl advisories update` leaves in the advisory directory:
 * where the OSV data came from, when, how many advisories, the SHA-256 of
 * the archive. The scan reads it for the data's age (a directory unpacked
 * by hand has none: its age is unknown, and not reported); the agent reads
 * it to record the update (advisories_updated). Not *.json, so osv_scan
 * never takes it for an advisory.
 */
#ifndef RAGGED_OSVSTAMP_H
#define RAGGED_OSVSTAMP_H

#include <stdint.h>

#define OSV_STAMP_NAME ".ragged-advisories"
#define OSV_STAMP_MAX 8192

struct osv_stamp {
	char fetched_at[32];		/* RFC 3339 UTC */
	int64_t fetched_unix;		/* the same, seconds since the epoch */
	char source[2048];
	uint64_t count;			/* advisories */
	char sha256[65];		/* of the archive as fetched */
	char previous_fetched_at[32];	/* of the data this replaced; "" if none */
	int64_t previous_unix;		/* 0 if none */
};

/*
 * Read dir's stamp. 0, or -1 with errno: ENOENT no stamp, EINVAL not a
 * stamp (missing or mistyped keys), EPERM owned by neither root nor
 * the caller, or writable by others (the agent, root, records only root's word).
 */
int osv_stamp_read(const char *dir, struct osv_stamp *st);
/* The stamp as JSON text (malloc'd), for writing; NULL when out of memory. */
char *osv_stamp_json(const struct osv_stamp *st);
/* Whole days between the fetch and now_unix (>= 0). */
int64_t osv_stamp_age_days(const struct osv_stamp *st, int64_t now_unix);

#endif

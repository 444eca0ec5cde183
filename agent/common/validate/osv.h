/* SPDX-License-Identifier: MIT */
/*
 * Offline vulnerability lookup for Python dependencies: a directory of OSV
 * JSON files (https://ossf.github.io/osv-schema/, as in the osv.dev PyPI
 * export), PEP 440 version ordering, and OSV's range evaluation for the
 * PyPI ecosystem. Nothing here touches the network.
 */
#ifndef RAGGED_OSV_H
#define RAGGED_OSV_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "validate.h"

#define PEP440_MAX_RELEASE 16

/* A parsed PEP 440 version; normalised forms compare equal ("1.0RC1" == "1.0rc1"). */
struct pep440 {
	unsigned long long epoch;
	unsigned long long release[PEP440_MAX_RELEASE];
	int nrelease;			/* trailing zeros dropped: 1.0 == 1 */
	int pre;			/* -1 none, 0 a, 1 b, 2 rc */
	unsigned long long pre_n;
	bool has_post, has_dev;
	unsigned long long post, dev;
	char local[64];			/* after '+', lowercase, separators as '.' */
};

/* 0, or -1 when s is not a valid PEP 440 version. */
int pep440_parse(const char *s, struct pep440 *v);
/* <0, 0, >0 in PEP 440 order (dev < pre < release < post; local after public). */
int pep440_cmp(const struct pep440 *a, const struct pep440 *b);
/* Both parse and compare: 0 ok with *cmp set, -1 if either does not parse. */
int pep440_cmp_str(const char *a, const char *b, int *cmp);

/* PEP 503 name normalisation: lowercase, runs of "-_." become "-". */
void pypi_normalize(const char *in, char *out, size_t outlen);

enum osv_dep { OSV_DEP_PINNED, OSV_DEP_UNPINNED, OSV_DEP_INVALID };
/*
 * A requirement from [dependencies] python (PEP 508 subset): the name, and
 * the version when it is pinned with exactly one "==V" or "===V" clause (no
 * wildcard). Extras and environment markers are accepted and ignored;
 * ranges, URLs and bare names are OSV_DEP_UNPINNED.
 */
enum osv_dep osv_dep_parse(const char *spec, char *name, size_t namelen, char *version,
			   size_t versionlen);

/*
 * Does the advisory affect PyPI package name (any spelling) at version?
 * 1 yes, 0 no, -1 the version does not parse. On 1, fixed gets the lowest
 * "fixed" version above it in the matching range ("" if none is known).
 * Withdrawn advisories affect nothing.
 */
int osv_affected(const cJSON *vuln, const char *name, const char *version, char *fixed,
		 size_t fixedlen);

/*
 * The advisory's severity: database_specific.severity (GHSA: LOW, MODERATE,
 * HIGH, CRITICAL), else the CVSS v3 base score of severity[] (>= 9.0
 * critical, >= 7.0 high, >= 4.0 medium, else low), else high.
 */
enum severity osv_severity(const cJSON *vuln);
/* CVSS v3.x base score from a vector ("CVSS:3.1/AV:N/AC:L/..."); -1 if invalid. */
double cvss3_base_score(const char *vector);

struct osv_query {
	const char *name;	/* as written; matched normalised */
	const char *version;	/* pinned version */
};
struct osv_hit {
	const char *id;
	const char *summary;	/* may be "" */
	const char *alias;	/* first CVE-* alias, or NULL */
	enum severity severity;
	const char *fixed;	/* "" if no fixed version is known */
};
typedef void (*osv_hit_fn)(void *arg, size_t query, const struct osv_hit *hit);

/*
 * Check every query against the *.json files of dir (and of its
 * subdirectories, one level deep, as in per-ecosystem exports). Files over
 * 4 MiB and files that are not JSON objects are skipped. Returns the
 * number of advisory files read, or -1 with err when dir cannot be read.
 */
int osv_scan(const char *dir, const struct osv_query *q, size_t nq, osv_hit_fn fn, void *arg,
	     char *err, size_t errlen);

/*
 * A SHA-256 that changes when the database changes, for caches, from
 * directory metadata only (inode, mtime, ctime of the root and of each
 * subdirectory): adding, removing or renaming a file changes it, a file
 * rewritten in place (unzip -o) does not, so a cache must also expire (the
 * validator's does after VALIDATE_DEPS_TTL). -1 if dir is unreadable.
 */
int osv_db_fingerprint(const char *dir, char out[65]);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The read side of the audit log (docs/audit-format.md): event and result
 * names, RFC 3339 time stamps, the set of files that make up one log, and
 * the filters of `raggedctl audit show`.
 */
#ifndef RAGGED_AUDITQUERY_H
#define RAGGED_AUDITQUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#define AUDIT_NAME_MAX 64	/* plugin names, docs/contract.md §3 */
#define AUDIT_USER_MAX 64

/* Known names, NULL-terminated; the schema's enums list the same. */
extern const char *const audit_event_names[];
extern const char *const audit_result_names[];
bool audit_event_known(const char *name);
bool audit_result_known(const char *name);

/*
 * Strict RFC 3339 ("2026-03-15T10:30:45Z", ".123", "+02:00") or a bare
 * date ("2026-03-15" = midnight UTC). Fractions beyond ms are truncated.
 * Returns 0 or -1.
 */
int audit_time_parse(const char *s, int64_t *ms);
/* A --since/--until value: "-7d", "-12h", "-30m", "-45s" before now_ms, or as above. */
int audit_time_arg(const char *s, int64_t now_ms, int64_t *ms);

/*
 * The files of one log, oldest first: rotated files "<path>.<20-digit seq>"
 * (seq of their last record) in seq order, then <path> itself if it exists.
 */
struct audit_files {
	char **paths;
	uint64_t *last_seq;	/* per rotated file; 0 for the current file */
	size_t n;
	bool has_current;	/* paths[n - 1] is <path> */
};
int audit_files_list(const char *path, struct audit_files *f);
void audit_files_free(struct audit_files *f);

/*
 * Calls cb for every line of every file of the log, oldest first, without
 * the newline. torn: the file's last line has no newline (a crash or a
 * write in progress). cb returns non-zero to stop; that value is returned.
 * -1 with errno on I/O errors, and for a file of the set that is a symlink
 * or not a regular file (the agent reads as root). A file removed between
 * listing and reading (retention) is skipped.
 */
typedef int (*audit_line_cb)(const char *file, unsigned long lineno,
			     const char *line, size_t len, bool torn,
			     bool last_file, void *arg);
int audit_files_each_line(const char *path, audit_line_cb cb, void *arg);

/* One compact JSON line, fully consumed, as an object; NULL otherwise. */
cJSON *audit_parse_line(const char *line, size_t len);

struct auditquery {
	char plugin[AUDIT_NAME_MAX + 1];	/* "" = any */
	char event[40];
	char result[16];
	bool has_since, has_until;
	int64_t since_ms, until_ms;	/* inclusive bounds */
	/* Set by the agent from SO_PEERCRED, never from the client. */
	bool restricted;
	uid_t uid;
	char user[AUDIT_USER_MAX + 1];
};

void auditquery_init(struct auditquery *q);
/*
 * Apply one option ("--plugin", "--since", "--until", "--event", "--result").
 * Returns 0, 1 when opt is not a filter option (q untouched), or -1 with one
 * line "OPTION: message \"VALUE\"" in err.
 */
int auditquery_option(struct auditquery *q, const char *opt, const char *val,
		      int64_t now_ms, char *err, size_t errlen);
/* All of argv must be filter options ("--opt V" or "--opt=V"). 0 or -1. */
int auditquery_parse_args(struct auditquery *q, int argc, char *const argv[],
			  int64_t now_ms, char *err, size_t errlen);
/* Cross-option checks (--since after --until). 0 or -1. */
int auditquery_check(const struct auditquery *q, char *err, size_t errlen);
/* Non-root callers (uid != 0) see only records with their uid/user_id. */
void auditquery_restrict(struct auditquery *q, uid_t uid, const char *user);
bool auditquery_match(const struct auditquery *q, const cJSON *rec);

/*
 * The filter on the wire, client → agent: {"plugin","event","result",
 * "since","until"} with absolute RFC 3339 times. The restriction is never
 * serialized nor read: the agent applies it after from_json.
 */
cJSON *auditquery_to_json(const struct auditquery *q);
int auditquery_from_json(struct auditquery *q, const cJSON *obj,
			 char *err, size_t errlen);

/*
 * Stream matching records of the log at path, oldest first. cb gets the
 * parsed record and its raw line (print it verbatim for --format json so
 * the chain stays verifiable); non-zero stops. Unparsable lines are
 * counted and skipped, a torn last line of the current file is ignored.
 */
struct auditquery_stats {
	uint64_t lines;
	uint64_t matched;
	uint64_t unparsable;
	uint64_t torn_bytes;
};
typedef int (*auditquery_cb)(const cJSON *rec, const char *line, size_t len,
			     void *arg);
int auditquery_scan(const char *path, const struct auditquery *q,
		    auditquery_cb cb, void *arg, struct auditquery_stats *st);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Plugin validation (docs/contract.md §5 `plugin validate`, the install and run checks):
 * static analysis of a plugin directory before anything in it runs.
 *
 *   struct validate_report r;
 *   if (validate_dir(dir, &m, &opts, &r, err, sizeof(err)) < 0) -> cannot scan
 *   if (validate_blocks(&r, opts.threshold ...)) -> refuse install/run
 *   cJSON *j = validate_report_json(&r);   // or one record per finding:
 *   for (i...) validate_finding_json(&r.findings[i]) -> "validation_finding" details
 *   validate_report_free(&r);
 *
 * What is checked (docs/validation-rules.md has every rule with examples):
 * the directory itself (symlinks leaving it, world-writable, setuid/setgid
 * and special files, hard links, the entry point), Python sources on tokens
 * (pytokens.h: strings and comments never trigger a call rule), shell
 * scripts, ELF files (dynamic imports through libelf), compiled bytecode,
 * the manifest's permissions against what the code does, and pinned Python
 * dependencies against an offline OSV database (osv.h).
 *
 * The walk never follows a symlink, opens nothing but regular files and
 * directories (O_NOFOLLOW, O_NONBLOCK), and stops at the size, count and
 * depth caps of validate_opts (reported as the finding fs-limit).
 */
#ifndef RAGGED_VALIDATE_H
#define RAGGED_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "osvstamp.h"

struct manifest;

enum severity { SEV_INFO, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };

const char *severity_name(enum severity s);
/* "info" | "low" | "medium" | "high" | "critical"; -1 for anything else. */
int severity_parse(const char *s, enum severity *out);

/* What the code was seen doing, for the permission cross-check and reports. */
#define VUSE_NETWORK	0x01	/* socket / HTTP clients, curl, nc */
#define VUSE_FILE_READ	0x02	/* open() for reading, listing directories */
#define VUSE_FILE_WRITE	0x04	/* writes outside the run's scratch dir */
#define VUSE_PROCESS	0x08	/* os.system, subprocess, exec of programs */
#define VUSE_NATIVE	0x10	/* ctypes, cffi, ELF files */
#define VUSE_DYNAMIC	0x20	/* eval/exec/compile, dynamic imports */
#define VUSE_COUNT	6

struct validate_rule {
	const char *id;		/* "py-eval-exec" */
	enum severity severity;	/* default; a finding may be raised or lowered */
	const char *title;	/* one line */
	const char *remediation;
};

/* The catalog, NULL-id terminated, and lookup by id (NULL if unknown). */
extern const struct validate_rule validate_rules[];
const struct validate_rule *validate_rule_find(const char *id);

struct validate_finding {
	const struct validate_rule *rule;
	enum severity severity;
	char *file;		/* relative to the plugin dir; NULL: the plugin as a whole */
	unsigned line;		/* 1-based; 0 when not about one line */
	char *message;
};

struct validate_report {
	struct validate_finding *findings;	/* most severe first, then file, line */
	size_t n, cap;
	size_t dropped;		/* repeats over the per-rule, per-file cap (not in findings) */
	uint32_t uses;		/* VUSE_* */
	unsigned files;		/* regular files read */
	unsigned lines;		/* lines of code analysed (Python and shell) */
	uint64_t bytes;		/* bytes read */
	bool complete;		/* false when a cap stopped the walk (finding fs-limit) */
	bool cached;		/* filled from the cache, not scanned now */
	/*
	 * The advisory data the dependencies were checked against, from its
	 * update stamp (osvstamp.h): fetched_at "" when unknown (no stamp, no
	 * dependencies checked); age in whole days.
	 */
	char advisories_fetched_at[32];
	int64_t advisories_age_days;
	char digest[65];	/* SHA-256 of the files: paths, types, modes, contents */
};

struct validate_opts {
	/*
	 * Offline OSV database (a directory of OSV JSON files). NULL or
	 * missing: dependencies are not checked, and a plugin that declares
	 * some gets the finding dep-db-unavailable.
	 */
	const char *osv_dir;
	/* Older advisory data (by its update stamp) is reported: dep-db-stale. 0: 7 days. */
	unsigned osv_max_age_days;
	/*
	 * Cache of reports keyed by the content digest, the rule set, the
	 * options that change findings and (for plugins with dependencies)
	 * the OSV database's fingerprint: a hit skips the analysis (the files
	 * are still read and hashed, so any change re-runs it); entries with
	 * dependency results expire after VALIDATE_DEPS_TTL. NULL: no cache.
	 * Created 0700 if missing; entries are written atomically.
	 */
	const char *cache_dir;
	/*
	 * The local services' ports from the agent config ([resources]
	 * embedding, vectorstore): URLs to loopback at these ports need
	 * system:embedding / system:vectorstore. 0: 11434 / 8001 (and 8000,
	 * ChromaDB's own default).
	 */
	uint16_t embedding_port, vectorstore_port;
	unsigned max_files;		/* 0: 4096 */
	unsigned max_depth;		/* 0: 16 directory levels */
	uint64_t max_file_bytes;	/* 0: 4 MiB; larger files are hashed, not analysed */
	uint64_t max_total_bytes;	/* 0: 64 MiB read in all */
};

/*
 * Part of every cache key: bump it whenever the same files can get different
 * findings, or a report cached by the older rules would stand. 2: Python
 * identifiers are checked and NFKC-folded as CPython does (pyident.c), and
 * declared source encodings are checked (pysource.c).
 */
#define VALIDATE_RULESET_VERSION "2"
/* Cached dependency results expire after this many seconds (the database may have changed in place). */
#define VALIDATE_DEPS_TTL 3600

/*
 * Scan dir. m is the parsed manifest (entry point, permissions and
 * dependencies); NULL when it did not parse: the caller then adds the
 * finding manifest-invalid with validate_add_manifest_error, and the
 * checks that need the manifest are skipped. opts may be NULL.
 *
 * Returns 0 with *out filled (findings or none), or -1 with one line in
 * err when dir cannot be scanned at all (not a directory, unreadable,
 * out of memory); *out is then empty but safe to free.
 */
int validate_dir(const char *dir, const struct manifest *m, const struct validate_opts *opts,
		 struct validate_report *out, char *err, size_t errlen);

/* The manifest-invalid finding for plugin.toml, from manifest_load's error line. */
int validate_add_manifest_error(struct validate_report *r, const char *err);

/* Analyse one buffer as if it were a file of the plugin (tests, fuzzing). */
int validate_python_buffer(const char *name, const char *src, size_t len,
			   struct validate_report *out);
int validate_shell_buffer(const char *name, const char *src, size_t len,
			  struct validate_report *out);

/* True when a finding is at or above threshold. */
bool validate_blocks(const struct validate_report *r, enum severity threshold);
/* Findings at each severity, indexed by enum severity. */
void validate_counts(const struct validate_report *r, unsigned counts[5]);

/*
 * The model both renderers use: {"digest","complete","cached","files",
 * "lines","bytes","uses":[...],"counts":{...},"dropped","findings":[...]}.
 * One finding: {"rule","severity","file","line","message","remediation"}
 * (file null and line 0 when not about one), which is also the "details"
 * of a validation_finding audit record.
 */
cJSON *validate_report_json(const struct validate_report *r);
cJSON *validate_finding_json(const struct validate_finding *f);
/* Human-readable lines, most severe first; "no findings" when clean. */
void validate_report_text(const struct validate_report *r, FILE *out);
const char *validate_use_name(uint32_t use_bit);

void validate_report_free(struct validate_report *r);

/*
 * The vetting result the agent keeps (validate_record.c, docs/validation-
 * rules.md "What the agent records"): {critical,high,medium,low,info,
 * digest, ruleset, scanned_at, when ("install" | "run"), complete,
 * threshold, blocked, counts, accepted_risk?, findings, findings_not_listed}.
 * Each finding is validate_finding_json's plus "blocking" and, for a
 * blocking one whose risk was accepted, accepted (true), accepted_by_uid,
 * accepted_how and accepted_at.
 */
struct validate_acceptance {
	unsigned uid;		/* who accepted */
	const char *how;	/* "--accept-risk" */
	const char *at;		/* RFC 3339 */
};
cJSON *validate_record_json(const struct validate_report *r, enum severity threshold,
			    const struct validate_acceptance *acc, const char *scanned_at,
			    const char *when);
struct recorded_findings {
	unsigned counts[5];	/* by enum severity: every finding, listed or not */
	unsigned accepted;	/* listed findings marked accepted */
	bool complete;
};
/* -1 when rec is not such a result (an older entry: counts only, no findings). */
int validate_record_counts(const cJSON *rec, struct recorded_findings *out);

/*
 * Exposure score of one plugin for `raggedctl security report`: 0-100 with
 * a level ("low" < 25 <= "medium" < 50 <= "high") and its reasons, each
 * {"points","reason"}. granted_known false: grants are unknown and the
 * requested permissions are counted as if granted (the worst case).
 */
struct exposure_input {
	uint32_t requested;	/* required | optional */
	uint32_t granted;
	bool granted_known;
	const struct validate_report *report;	/* a scan made here, or NULL */
	const struct recorded_findings *recorded;	/* the agent's, when report is NULL */
	unsigned violations;	/* permission_violation records in the window */
	unsigned escapes;	/* sandbox_escape_attempt */
	unsigned limit_kills;	/* resource_limit_exceeded */
	const char *enforcement;	/* "bpf-lsm", "landlock", ... or NULL */
};
cJSON *validate_exposure(const struct exposure_input *in);

#endif

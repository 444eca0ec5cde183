/* SPDX-License-Identifier: MIT */
/* Internals shared by the validator's modules (validate*.c, pyrules, shrules, elfscan). */
#ifndef RAGGED_VALIDATE_INT_H
#define RAGGED_VALIDATE_INT_H

#include <dirent.h>
#include <stdarg.h>

#include "validate.h"

#define VSEV_DEFAULT ((enum severity)-1)
#define VALIDATE_MAX_FINDINGS 2000
#define VALIDATE_MAX_REPEAT 20		/* findings of one rule in one file */
#define VALIDATE_MAX_URLS 256
#define VALIDATE_MAX_CODE_DEPTH 4	/* code in strings in code ... */

struct vurl {
	char host[256];		/* lowercase; IPv6 without brackets */
	uint16_t port;		/* explicit or the scheme's default */
	const char *file;
	unsigned line;
};

struct vctx {
	struct validate_report *r;
	const struct manifest *m;
	const char *root;	/* the plugin directory's real path */
	uint16_t embed_port, store_port, store_port2;	/* the local services */
	struct { const char *file; unsigned line; } first_use[VUSE_COUNT];
	struct vurl *urls;
	size_t n_urls;
	bool opaque;		/* code we cannot see into: no unused-permission hints */
	int depth;		/* nesting of code found in string literals */
};

/* Add a finding (sev VSEV_DEFAULT: the rule's); deduplicated and capped. */
void vfind(struct vctx *v, const char *rule, enum severity sev, const char *file, unsigned line,
	   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void vuse(struct vctx *v, uint32_t use, const char *file, unsigned line);
/* Record the URL if s starts with http:// or https:// (for the endpoint checks). */
void vurl(struct vctx *v, const char *s, const char *file, unsigned line);
/*
 * Resolve path (relative to the plugin dir rootfd, whose real path is root)
 * the way the kernel would, following every symlink, into a path relative
 * to the root ("." for the root). -1 with errno EXDEV when that leaves the
 * root (".." above it, an absolute link elsewhere), ELOOP after 40 links.
 * Components that do not exist are taken as they are.
 */
int vresolve_beneath(int rootfd, const char *root, const char *path, char *out, size_t outlen);
/* The secret location s names ("~/.ssh", "/etc/shadow", ...), else NULL. */
const char *vsecret_path(const char *s);

/*
 * validate_fp.c: the stat fingerprint of the directory rootfd (every
 * entry's name, mode, size, links, device, inode, mtime, ctime). -1 when it
 * cannot be taken (unreadable, over max_files or max_depth): then there is
 * none. *settled: every ctime is settled (util/stamp.h, file_stamp_settle_s:
 * 2; the unit tests set 0).
 */
int validate_fingerprint(int rootfd, unsigned max_files, unsigned max_depth, char out[65],
			 bool *settled);
/* The content digest (and the walk's counters) a fingerprint was recorded with; 0 or -1 (a miss). */
int validate_fp_lookup(const char *cache_dir, const char *fp, const char *salt, char digest[65],
		       unsigned *files, uint64_t *bytes);
void validate_fp_store(const char *cache_dir, const char *fp, const char *salt, const char *digest,
		       unsigned files, uint64_t bytes);
/*
 * Both caches keep, in this process, the entries they read or wrote (an
 * entry never changes under its name). Forget them all: the next lookups
 * read the files (what the unit tests of damaged files need).
 */
void validate_fp_forget(void);
void validate_reports_forget(void);

/* validate_report.c */
int report_add(struct validate_report *r, const struct validate_rule *rule, enum severity sev,
	       const char *file, unsigned line, const char *msg);
void report_sort(struct validate_report *r);
int report_from_json(struct validate_report *r, const cJSON *j);

/* The analysers. */
/* A Python file's declared source encoding (pysource.c): py-source-encoding unless read as UTF-8. */
void pysource_check(struct vctx *v, const char *file, const char *src, size_t len);
void pyrules_scan(struct vctx *v, const char *file, const char *src, size_t len,
		  uint32_t first_line);
void shrules_scan(struct vctx *v, const char *file, const char *src, size_t len,
		  uint32_t first_line);
void elfscan(struct vctx *v, const char *file, const unsigned char *data, size_t len);

/* validate_perm.c: after the files are analysed. */
void ventry_check(struct vctx *v, int rootfd);
void vperm_check(struct vctx *v);
void vdeps_check(struct vctx *v, const char *osv_dir);
/* The age of the advisory data (never cached: it grows); dep-db-stale when too old. */
void vdeps_freshness(struct vctx *v, const char *osv_dir, unsigned max_age_days);
/*
 * validate_fp.c: the entries of a directory but "." and "..", sorted by
 * name (neither the digest nor the fingerprint may depend on the order the
 * directory lists them in). 0, or -1: out of memory or a readdir error.
 */
int dir_sorted_names(DIR *d, char ***names, size_t *n);
void dir_names_free(char **names, size_t n);

#endif

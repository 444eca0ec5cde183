// SPDX-License-Identifier: MIT
/* Offline OSV lookups with PEP 440 ordering (osv.h). */
#include "osv.h"
#include "util/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#define OSV_FILE_MAX (4 << 20)

enum osv_dep osv_dep_parse(const char *spec, char *name, size_t namelen, char *version,
			   size_t versionlen)
{
	const char *p = spec, *start, *vs;
	size_t n;

	name[0] = version[0] = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	start = p;
	if (!isalnum((unsigned char)*p))
		return OSV_DEP_INVALID;
	while (isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.')
		p++;
	n = (size_t)(p - start);
	if (n >= namelen || !isalnum((unsigned char)p[-1]))
		return OSV_DEP_INVALID;
	memcpy(name, start, n);
	name[n] = '\0';
	while (*p == ' ')
		p++;
	if (*p == '[') {	/* extras */
		p = strchr(p, ']');
		if (!p)
			return OSV_DEP_INVALID;
		p++;
		while (*p == ' ')
			p++;
	}
	if (*p == '\0' || *p == ';')
		return OSV_DEP_UNPINNED;
	if (*p == '@')
		return OSV_DEP_UNPINNED;	/* a URL: nothing to look up */
	if (*p == '(')
		p++;
	if (strncmp(p, "===", 3) == 0)
		p += 3;
	else if (strncmp(p, "==", 2) == 0)
		p += 2;
	else
		return strchr("<>!~=", *p) ? OSV_DEP_UNPINNED : OSV_DEP_INVALID;
	while (*p == ' ')
		p++;
	vs = p;
	p += strcspn(p, " ;,)");
	n = (size_t)(p - vs);
	while (*p == ' ' || *p == ')')
		p++;
	if (*p == ',')
		return OSV_DEP_UNPINNED;	/* "==1.0,!=..." is a range, however odd */
	if (*p != '\0' && *p != ';')
		return OSV_DEP_INVALID;
	if (n == 0 || n >= versionlen)
		return OSV_DEP_INVALID;
	memcpy(version, vs, n);
	version[n] = '\0';
	if (strchr(version, '*'))
		return OSV_DEP_UNPINNED;
	{
		struct pep440 v;

		if (pep440_parse(version, &v) < 0)
			return OSV_DEP_INVALID;
	}
	return OSV_DEP_PINNED;
}

struct event {
	int kind;	/* 0 introduced, 1 fixed, 2 last_affected, 3 limit */
	bool zero;	/* introduced "0": before everything */
	struct pep440 v;
	const char *raw;
	int order;
};

static int cmp_event(const void *pa, const void *pb)
{
	const struct event *a = pa, *b = pb;
	int c;

	if (a->zero != b->zero)
		return a->zero ? -1 : 1;
	if (!a->zero && (c = pep440_cmp(&a->v, &b->v)))
		return c;
	return a->order - b->order;
}

/* OSV's evaluation of one ECOSYSTEM range: 1 affected, 0 not. */
static int range_affects(const cJSON *events, const struct pep440 *v, char *fixed, size_t fixedlen)
{
	static const char *const kinds[] = { "introduced", "fixed", "last_affected", "limit" };
	struct event ev[64];
	int n = 0, affected = 0;
	const cJSON *e;

	cJSON_ArrayForEach(e, events) {
		for (int k = 0; k < 4 && n < 64; k++) {
			const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, kinds[k]));

			if (!s)
				continue;
			ev[n] = (struct event){ .kind = k, .raw = s, .order = n };
			ev[n].zero = k == 0 && strcmp(s, "0") == 0;
			if (ev[n].zero || pep440_parse(s, &ev[n].v) == 0)
				n++;	/* an event that does not parse cannot be placed: skipped */
		}
	}
	qsort(ev, (size_t)n, sizeof(ev[0]), cmp_event);
	for (int i = 0; i < n; i++) {
		int c = ev[i].zero ? 1 : pep440_cmp(v, &ev[i].v);

		if (ev[i].kind == 0 && c >= 0)
			affected = 1;
		else if ((ev[i].kind == 1 || ev[i].kind == 3) && c >= 0)
			affected = 0;
		else if (ev[i].kind == 2 && c > 0)
			affected = 0;
	}
	if (affected && fixed) {
		for (int i = 0; i < n; i++)
			if (ev[i].kind == 1 && pep440_cmp(v, &ev[i].v) < 0) {
				snprintf(fixed, fixedlen, "%s", ev[i].raw);
				break;
			}
	}
	return affected;
}

int osv_affected(const cJSON *vuln, const char *name, const char *version, char *fixed,
		 size_t fixedlen)
{
	char want[256], have[256];
	struct pep440 v, x;
	const cJSON *a, *r, *it;

	if (fixed && fixedlen)
		fixed[0] = '\0';
	if (pep440_parse(version, &v) < 0)
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(vuln, "withdrawn"))
		return 0;
	pypi_normalize(name, want, sizeof(want));
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(vuln, "affected")) {
		const cJSON *pkg = cJSON_GetObjectItemCaseSensitive(a, "package");
		const char *eco = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(pkg, "ecosystem"));
		const char *pn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(pkg, "name"));

		if (!eco || strcmp(eco, "PyPI") != 0 || !pn)
			continue;
		pypi_normalize(pn, have, sizeof(have));
		if (strcmp(have, want) != 0)
			continue;
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(a, "ranges")) {
			const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "type"));

			if (type && strcmp(type, "ECOSYSTEM") == 0 &&
			    range_affects(cJSON_GetObjectItemCaseSensitive(r, "events"), &v, fixed, fixedlen))
				return 1;
		}
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(a, "versions"))
			if (cJSON_IsString(it) && pep440_parse(it->valuestring, &x) == 0 &&
			    pep440_cmp(&v, &x) == 0)
				return 1;
	}
	return 0;
}

double cvss3_base_score(const char *vector)
{
	double av = -1, ac = -1, pr = -1, ui = -1, c = -1, in = -1, a = -1, iss, imp, expl, s;
	int scope = -1;
	char pr_l = 0;
	const char *p;

	if (!vector || strncmp(vector, "CVSS:3.", 7) != 0)
		return -1;
	for (p = strchr(vector, '/'); p; p = strchr(p + 1, '/')) {
		char k[4] = "", v = 0;

		if (sscanf(p + 1, "%3[A-Z]:%c", k, &v) != 2)
			continue;
		if (!strcmp(k, "AV"))
			av = v == 'N' ? 0.85 : v == 'A' ? 0.62 : v == 'L' ? 0.55 : v == 'P' ? 0.2 : -1;
		else if (!strcmp(k, "AC"))
			ac = v == 'L' ? 0.77 : v == 'H' ? 0.44 : -1;
		else if (!strcmp(k, "PR"))
			pr_l = v;
		else if (!strcmp(k, "UI"))
			ui = v == 'N' ? 0.85 : v == 'R' ? 0.62 : -1;
		else if (!strcmp(k, "S"))
			scope = v == 'U' ? 0 : v == 'C' ? 1 : -1;
		else if (!strcmp(k, "C") || !strcmp(k, "I") || !strcmp(k, "A")) {
			double x = v == 'H' ? 0.56 : v == 'L' ? 0.22 : v == 'N' ? 0 : -1;

			*(k[0] == 'C' ? &c : k[0] == 'I' ? &in : &a) = x;
		}
	}
	if (scope < 0)
		return -1;
	pr = pr_l == 'N' ? 0.85 : pr_l == 'L' ? (scope ? 0.68 : 0.62) : pr_l == 'H' ? (scope ? 0.5 : 0.27) : -1;
	if (av < 0 || ac < 0 || pr < 0 || ui < 0 || c < 0 || in < 0 || a < 0)
		return -1;
	iss = 1 - (1 - c) * (1 - in) * (1 - a);
	{
		double x = iss - 0.02, x15 = 1;	/* (iss - 0.02)^15 without libm */

		for (int i = 0; i < 15; i++)
			x15 *= x;
		imp = scope ? 7.52 * (iss - 0.029) - 3.25 * x15 : 6.42 * iss;
	}
	expl = 8.22 * av * ac * pr * ui;
	if (imp <= 0)
		return 0;
	s = scope ? 1.08 * (imp + expl) : imp + expl;
	if (s > 10)
		s = 10;
	/* CVSS 3.1 Roundup: the smallest one-decimal number >= s, without float noise. */
	{
		long i = (long)(s * 100000 + 0.5);

		return i % 10000 == 0 ? (double)i / 100000.0 : (double)(i / 10000 + 1) / 10.0;
	}
}

enum severity osv_severity(const cJSON *vuln)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(vuln, "database_specific"), "severity"));
	const cJSON *it;

	if (s) {
		if (!strcasecmp(s, "critical"))
			return SEV_CRITICAL;
		if (!strcasecmp(s, "high"))
			return SEV_HIGH;
		if (!strcasecmp(s, "moderate") || !strcasecmp(s, "medium"))
			return SEV_MEDIUM;
		if (!strcasecmp(s, "low"))
			return SEV_LOW;
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(vuln, "severity")) {
		double sc = cvss3_base_score(cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(it, "score")));

		if (sc >= 9.0)
			return SEV_CRITICAL;
		if (sc >= 7.0)
			return SEV_HIGH;
		if (sc >= 4.0)
			return SEV_MEDIUM;
		if (sc >= 0)
			return SEV_LOW;
	}
	return SEV_HIGH;
}

/* The database's files, sorted (strcmp), one subdirectory level deep. */
struct flist { char **p; size_t n, cap; };

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_json(const char *dir, int depth, struct flist *l)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t first = l->n;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		const char *nm = de->d_name;
		size_t len = strlen(nm);
		unsigned char type = de->d_type;
		char path[PATH_MAX];
		struct stat st;

		if (nm[0] == '.' || snprintf(path, sizeof(path), "%s/%s", dir, nm) >= (int)sizeof(path))
			continue;
		if (type == DT_UNKNOWN || type == DT_LNK)	/* d_type is free; stat only when it is not */
			type = stat(path, &st) < 0 ? DT_UNKNOWN : S_ISDIR(st.st_mode) ? DT_DIR :
			       S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
		if (type == DT_DIR && depth == 0) {
			list_json(path, 1, l);
		} else if (type == DT_REG && len > 5 && strcmp(nm + len - 5, ".json") == 0) {
			if (ARRAY_RESERVE(l->p, l->n, l->cap, 256) < 0)
				continue;
			if ((l->p[l->n] = strdup(path)))
				l->n++;
		}
	}
	closedir(d);
	if (depth == 0)
		qsort(l->p + first, l->n - first, sizeof(*l->p), cmp_str);
	return 0;
}

static void flist_free(struct flist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->p[i]);
	free(l->p);
}

/* The longest alphanumeric run of a normalised name: what any spelling contains. */
static void needle(const char *norm, char *out, size_t len)
{
	size_t best = 0, bi = 0;

	for (size_t i = 0; norm[i];) {
		size_t k = strcspn(norm + i, "-");

		if (k > best)
			best = k, bi = i;
		i += k + (norm[i + k] == '-');
	}
	if (best >= len)
		best = len - 1;
	memcpy(out, norm + bi, best);
	out[best] = '\0';
}

int osv_scan(const char *dir, const struct osv_query *q, size_t nq, osv_hit_fn fn, void *arg,
	     char *err, size_t errlen)
{
	struct flist l = { 0 };
	char (*needles)[128] = calloc(nq ? nq : 1, sizeof(*needles));
	char *buf = malloc(OSV_FILE_MAX + 1);
	int files = 0;

	if (!needles || !buf || list_json(dir, 0, &l) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno ? errno : ENOMEM));
		free(needles);
		free(buf);
		flist_free(&l);
		return -1;
	}
	for (size_t i = 0; i < nq; i++) {
		char norm[256];

		pypi_normalize(q[i].name, norm, sizeof(norm));
		needle(norm, needles[i], sizeof(needles[i]));
	}
	for (size_t f = 0; f < l.n; f++) {
		int fd = open(l.p[f], O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		ssize_t len = 0, got;
		bool any = false;
		cJSON *j;

		if (fd < 0)
			continue;
		while (len <= OSV_FILE_MAX && (got = read(fd, buf + len, (size_t)(OSV_FILE_MAX + 1 - len))) > 0)
			len += got;
		close(fd);
		if (len > OSV_FILE_MAX)
			continue;
		buf[len] = '\0';
		files++;
		for (size_t i = 0; i < nq && !any; i++)
			any = strcasestr(buf, needles[i]) != NULL;
		if (!any || !(j = cJSON_ParseWithLength(buf, (size_t)len)))
			continue;
		for (size_t i = 0; i < nq; i++) {
			char fixed[64];
			const cJSON *al;
			struct osv_hit h = { .fixed = fixed };

			if (osv_affected(j, q[i].name, q[i].version, fixed, sizeof(fixed)) != 1)
				continue;
			h.id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "id"));
			h.summary = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "summary"));
			cJSON_ArrayForEach(al, cJSON_GetObjectItemCaseSensitive(j, "aliases"))
				if (cJSON_IsString(al) && strncmp(al->valuestring, "CVE-", 4) == 0) {
					h.alias = al->valuestring;
					break;
				}
			h.id = h.id ? h.id : "(no id)";
			h.summary = h.summary ? h.summary : "";
			h.severity = osv_severity(j);
			fn(arg, i, &h);
		}
		cJSON_Delete(j);
	}
	free(needles);
	free(buf);
	flist_free(&l);
	return files;
}

static void meta_line(struct sha256 *ctx, const char *name, const struct stat *st)
{
	char line[PATH_MAX + 128];

	snprintf(line, sizeof(line), "%s %llu %lld.%09ld %lld.%09ld\n", name,
		 (unsigned long long)st->st_ino, (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
		 (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
	sha256_update(ctx, line, strlen(line));
}

/*
 * Directory metadata only, no per-file stat (a full PyPI export has tens of
 * thousands of files): a directory's mtime and ctime change whenever an
 * entry is added, removed or renamed. The root, and its subdirectories in
 * name order (looked for only when its link count says there are some).
 */
int osv_db_fingerprint(const char *dir, char out[65])
{
	struct sha256 ctxs, *ctx = &ctxs;
	struct flist subs = { 0 };
	unsigned char md[32];
	struct dirent *de;
	struct stat st;
	DIR *d = NULL;
	int rc = -1;

	sha256_init(ctx);
	if (!(d = opendir(dir)) ||
	    fstat(dirfd(d), &st) < 0)
		goto out;
	meta_line(ctx, ".", &st);
	while (st.st_nlink != 2 && (de = readdir(d))) {
		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		if (ARRAY_RESERVE(subs.p, subs.n, subs.cap, 16) < 0)
			goto out;
		if ((subs.p[subs.n] = strdup(de->d_name)))
			subs.n++;
	}
	if (subs.n > 1)	/* qsort(NULL, 0) is undefined: a flat export has no subdirectories */
		qsort(subs.p, subs.n, sizeof(*subs.p), cmp_str);
	for (size_t i = 0; i < subs.n; i++) {
		struct stat sst;

		if (fstatat(dirfd(d), subs.p[i], &sst, 0) == 0 && S_ISDIR(sst.st_mode))
			meta_line(ctx, subs.p[i], &sst);
	}
	sha256_final(ctx, md);
	sha256_hex(md, out);
	rc = 0;
out:
	if (d)
		closedir(d);
	flist_free(&subs);
	return rc;
}

// SPDX-License-Identifier: MIT
/*
 * raggedctl advisories update [--source URL|PATH] [--dir DIR] [--config FILE] [--min-count N]
 * raggedctl advisories status [--dir DIR] [--config FILE]
 * (options parsed by the command table, cmdtab.c)
 *
 * update fetches the OSV export of PyPI advisories (an all.zip) into the
 * agent's advisory directory ([paths] advisory_db), run by root (the
 * ragged-advisories timer does it daily). Atomically: everything happens in
 * a staging directory beside the target (.NAME.update-XXXXXX: the archive
 * is downloaded there, checked, unpacked, checked again), and only a
 * complete, verified copy is exchanged with the old one (renameat2
 * RENAME_EXCHANGE), so a scan sees the old data or the new, never a mix,
 * and a failure anywhere leaves the old data as it was. Verified: a valid
 * zip; flat *.json entries; each an OSV object with an "id" and an
 * "affected" array; at least --min-count of them. The stamp OSV_STAMP_NAME
 * records source, time, count and the archive's SHA-256. Then the agent is
 * told (advisories_updated); it reads the stamp and writes the audit
 * record itself, so its loop never blocks on a download.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


/* Plain prototypes: every option below is passed with its documented type. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <zip.h>

#include "config/config.h"
#include "cmdtab.h"
#include "ctl.h"
#include "validate/validate.h"
#include "proto/proto.h"
#include "util/util.h"

#define DEFAULT_SOURCE "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
#define DEFAULT_MIN_COUNT 1000		/* the PyPI export has well over ten thousand */
#define ARCHIVE_MAX (1ULL << 30)	/* bytes downloaded */
#define ENTRY_MAX (4 << 20)		/* osv_scan skips larger files anyway */
#define ENTRIES_MAX 1000000
#define ARCHIVE_NAME ".archive.zip"	/* in the staging dir, removed before the swap */

/*
 * libcurl and libzip are loaded by this command alone (dl.c), so that no
 * other start of raggedctl, a plugin run's above all, loads and relocates
 * them and the TLS stack behind libcurl.
 */
static struct {
	__typeof__(curl_global_init) *curl_global_init;
	__typeof__(curl_global_cleanup) *curl_global_cleanup;
	__typeof__(curl_easy_init) *curl_easy_init;
	__typeof__(curl_easy_setopt) *curl_easy_setopt;
	__typeof__(curl_easy_perform) *curl_easy_perform;
	__typeof__(curl_easy_cleanup) *curl_easy_cleanup;
	__typeof__(curl_easy_strerror) *curl_easy_strerror;
	__typeof__(zip_open) *zip_open;
	__typeof__(zip_error_init_with_code) *zip_error_init_with_code;
	__typeof__(zip_error_strerror) *zip_error_strerror;
	__typeof__(zip_error_fini) *zip_error_fini;
	__typeof__(zip_get_num_entries) *zip_get_num_entries;
	__typeof__(zip_stat_index) *zip_stat_index;
	__typeof__(zip_fopen_index) *zip_fopen_index;
	__typeof__(zip_fread) *zip_fread;
	__typeof__(zip_fclose) *zip_fclose;
	__typeof__(zip_strerror) *zip_strerror;
	__typeof__(zip_discard) *zip_discard;
} L;

static int load_libs(char *err, size_t errlen)
{
	static const char *const curl[] = { "curl_global_init", "curl_global_cleanup", "curl_easy_init", "curl_easy_setopt", "curl_easy_perform", "curl_easy_cleanup", "curl_easy_strerror" };
	static const char *const zip[] = { "zip_open", "zip_error_init_with_code", "zip_error_strerror", "zip_error_fini", "zip_get_num_entries", "zip_stat_index", "zip_fopen_index", "zip_fread", "zip_fclose", "zip_strerror", "zip_discard" };
	void *cslots[ARRAY_SIZE(curl)], *zslots[ARRAY_SIZE(zip)];

	if (L.zip_open)
		return 0;
	if (ctl_dl_load(RAGGED_CURL_SONAME, curl, cslots, ARRAY_SIZE(curl), err, errlen) < 0 ||
	    ctl_dl_load(RAGGED_ZIP_SONAME, zip, zslots, ARRAY_SIZE(zip), err, errlen) < 0)
		return -1;
	L.curl_global_init = (__typeof__(L.curl_global_init))cslots[0];
	L.curl_global_cleanup = (__typeof__(L.curl_global_cleanup))cslots[1];
	L.curl_easy_init = (__typeof__(L.curl_easy_init))cslots[2];
	L.curl_easy_setopt = (__typeof__(L.curl_easy_setopt))cslots[3];
	L.curl_easy_perform = (__typeof__(L.curl_easy_perform))cslots[4];
	L.curl_easy_cleanup = (__typeof__(L.curl_easy_cleanup))cslots[5];
	L.curl_easy_strerror = (__typeof__(L.curl_easy_strerror))cslots[6];
	L.zip_open = (__typeof__(L.zip_open))zslots[0];
	L.zip_error_init_with_code = (__typeof__(L.zip_error_init_with_code))zslots[1];
	L.zip_error_strerror = (__typeof__(L.zip_error_strerror))zslots[2];
	L.zip_error_fini = (__typeof__(L.zip_error_fini))zslots[3];
	L.zip_get_num_entries = (__typeof__(L.zip_get_num_entries))zslots[4];
	L.zip_stat_index = (__typeof__(L.zip_stat_index))zslots[5];
	L.zip_fopen_index = (__typeof__(L.zip_fopen_index))zslots[6];
	L.zip_fread = (__typeof__(L.zip_fread))zslots[7];
	L.zip_fclose = (__typeof__(L.zip_fclose))zslots[8];
	L.zip_strerror = (__typeof__(L.zip_strerror))zslots[9];
	L.zip_discard = (__typeof__(L.zip_discard))zslots[10];
	return 0;
}

struct aargs {
	const char *sub, *source, *dir, *config;
	unsigned long min_count;
};

/* The options as the command table parsed them (cmdtab.c). */
static int get_args(const struct ctl_args *ca, const char *sub, struct aargs *a)
{
	const char *v;

	memset(a, 0, sizeof(*a));
	a->sub = sub;
	a->source = (v = ctl_arg(ca, "--source")) ? v : DEFAULT_SOURCE;
	a->dir = ctl_arg(ca, "--dir");
	a->config = ctl_arg(ca, "--config");
	a->min_count = DEFAULT_MIN_COUNT;
	if ((v = ctl_arg(ca, "--min-count"))) {
		char *end;

		errno = 0;
		a->min_count = strtoul(v, &end, 10);
		if (errno || !*v || *end || v[0] == '-') {
			ctl_err("advisories update: --min-count: not a number: %s", v);
			return -1;
		}
	}
	return 0;
}

/* --dir, else advisory_db of the agent config (--config, $RAGGED_CONFIG, the default). */
static int target_dir(const struct aargs *a, char *out, size_t len, unsigned *max_age)
{
	const char *path = a->config ? a->config : getenv("RAGGED_CONFIG");
	struct ragged_config cfg;
	char err[512];

	if (config_load(path && *path ? path : CONFIG_DEFAULT_PATH, path && *path, &cfg, err,
			sizeof(err)) < 0) {
		ctl_err("%s", err);
		return -1;
	}
	*max_age = cfg.advisory_max_age_days;
	snprintf(out, len, "%s", a->dir ? a->dir : cfg.advisory_db);
	config_free(&cfg);
	if (!out[0]) {
		ctl_err("advisories: no directory: set [paths] advisory_db in the agent config, or --dir");
		return -1;
	}
	if (out[0] != '/') {
		ctl_err("advisories: %s: must be an absolute path", out);
		return -1;
	}
	return 0;
}

struct sink {
	int fd;
	struct sha256 md;
	uint64_t bytes;
	bool failed;
};

static int sink_write(struct sink *s, const void *p, size_t n)
{
	const char *c = p;

	if (s->bytes + n > ARCHIVE_MAX) {
		errno = EFBIG;
		return -1;
	}
	sha256_update(&s->md, p, n);
	s->bytes += n;
	while (n > 0) {
		ssize_t w = write(s->fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static size_t curl_write(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	if (sink_write(s, p, size * n) < 0) {
		s->failed = true;
		return 0;	/* curl stops: CURLE_WRITE_ERROR */
	}
	return size * n;
}

static int fetch_http(const char *url, struct sink *s, char *err, size_t errlen)
{
	char ebuf[CURL_ERROR_SIZE] = "";
	CURL *h;
	CURLcode rc;

	if (L.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(h = L.curl_easy_init())) {
		snprintf(err, errlen, "libcurl did not initialise");
		return -1;
	}
	L.curl_easy_setopt(h, CURLOPT_URL, url);
	L.curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
	L.curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	L.curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	L.curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	L.curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	L.curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A stalled transfer ends: under 1 KiB/s for a minute. */
	L.curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	L.curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	L.curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)ARCHIVE_MAX);
	L.curl_easy_setopt(h, CURLOPT_USERAGENT, "raggedctl/" RAGGED_VERSION);
	L.curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	L.curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_write);
	L.curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	rc = L.curl_easy_perform(h);
	L.curl_easy_cleanup(h);
	L.curl_global_cleanup();
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s: %s", url, s->failed ? strerror(errno) :
			 ebuf[0] ? ebuf : L.curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

static int fetch_file(const char *path, struct sink *s, char *err, size_t errlen)
{
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || sink_write(s, buf, (size_t)n) < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

/* A flat name of an advisory file: no directory, no dot file, *.json. */
static bool entry_name_ok(const char *n)
{
	size_t len = strlen(n);

	return len > 5 && len < 200 && n[0] != '.' && !strchr(n, '/') && !strchr(n, '\\') &&
	       strcmp(n + len - 5, ".json") == 0;
}

/* Unpack and check every entry into dirfd. The count, or -1 with err. */
static long unpack(const char *archive, int dirfd, char *err, size_t errlen)
{
	zip_int64_t n;
	zip_t *z;
	int zerr;
	long count = 0;
	char *buf = malloc(ENTRY_MAX + 1);

	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!(z = L.zip_open(archive, ZIP_RDONLY | ZIP_CHECKCONS, &zerr))) {
		zip_error_t ze;

		L.zip_error_init_with_code(&ze, zerr);
		snprintf(err, errlen, "not a valid zip archive: %s", L.zip_error_strerror(&ze));
		L.zip_error_fini(&ze);
		free(buf);
		return -1;
	}
	n = L.zip_get_num_entries(z, 0);
	if (n > ENTRIES_MAX) {
		snprintf(err, errlen, "%lld entries: more than %d", (long long)n, ENTRIES_MAX);
		count = -1;
	}
	for (zip_int64_t i = 0; count >= 0 && i < n; i++) {
		zip_stat_t st;
		zip_file_t *f;
		zip_int64_t got;
		cJSON *o, *id, *aff;
		int fd;

		if (L.zip_stat_index(z, (zip_uint64_t)i, 0, &st) < 0 || !(st.valid & ZIP_STAT_NAME) ||
		    !(st.valid & ZIP_STAT_SIZE)) {
			snprintf(err, errlen, "entry %lld: unreadable", (long long)i);
			count = -1;
			break;
		}
		if (st.name[0] && st.name[strlen(st.name) - 1] == '/')
			continue;	/* a directory entry: nothing to unpack */
		if (!entry_name_ok(st.name)) {
			snprintf(err, errlen, "entry %.200s: not a flat NAME.json advisory file", st.name);
			count = -1;
			break;
		}
		if (st.size > ENTRY_MAX) {
			snprintf(err, errlen, "entry %s: %llu bytes, more than %d", st.name,
				 (unsigned long long)st.size, ENTRY_MAX);
			count = -1;
			break;
		}
		if (!(f = L.zip_fopen_index(z, (zip_uint64_t)i, 0)) ||
		    (got = L.zip_fread(f, buf, st.size)) != (zip_int64_t)st.size) {
			snprintf(err, errlen, "entry %s: %s", st.name, L.zip_strerror(z));
			if (f)
				L.zip_fclose(f);
			count = -1;
			break;
		}
		L.zip_fclose(f);	/* the CRC is checked here */
		o = cJSON_ParseWithLength(buf, (size_t)got);
		id = cJSON_GetObjectItemCaseSensitive(o, "id");
		aff = cJSON_GetObjectItemCaseSensitive(o, "affected");
		if (!cJSON_IsObject(o) || !cJSON_IsString(id) || !id->valuestring[0] || !cJSON_IsArray(aff)) {
			snprintf(err, errlen, "entry %s: %s", st.name, !cJSON_IsObject(o) ?
				 "not a JSON object" : "not an OSV advisory (needs \"id\" and \"affected\")");
			cJSON_Delete(o);
			count = -1;
			break;
		}
		cJSON_Delete(o);
		fd = openat(dirfd, st.name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, buf, (size_t)got) != got) {
			snprintf(err, errlen, "entry %s: %s", st.name,
				 errno == EEXIST ? "appears twice" : strerror(errno));
			if (fd >= 0)
				close(fd);
			count = -1;
			break;
		}
		close(fd);
		count++;
	}
	L.zip_discard(z);
	free(buf);
	return count;
}

static int write_stamp(int dirfd, const struct osv_stamp *st)
{
	char *s = osv_stamp_json(st);
	size_t len = s ? strlen(s) : 0;
	int fd = s ? openat(dirfd, OSV_STAMP_NAME, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644) : -1;
	int rc = fd >= 0 && write(fd, s, len) == (ssize_t)len ? 0 : -1;

	if (fd >= 0)
		close(fd);
	free(s);
	return rc;
}

/* Exchange staging with dir (or move it there); the old data ends up in staging. */
static int swap_in(const char *staging, const char *dir, char *err, size_t errlen)
{
	struct stat sb;

	if (lstat(dir, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode)) {
			snprintf(err, errlen, "%s: not a directory%s", dir, S_ISLNK(sb.st_mode) ?
				 " (a symlink: point advisory_db at the real directory)" : "");
			return -1;
		}
		if (renameat2(AT_FDCWD, staging, AT_FDCWD, dir, RENAME_EXCHANGE) < 0) {
			snprintf(err, errlen, "exchange %s with %s: %s", staging, dir, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT || rename(staging, dir) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int update(struct ctl *c, const struct aargs *a, const char *dir)
{
	char d1[PATH_MAX], d2[PATH_MAX], staging[PATH_MAX], archive[PATH_MAX + 32], err[1024] = "";
	unsigned char md[SHA256_BYTES];
	struct osv_stamp st, old;
	struct sink s = { .fd = -1 };
	const char *parent, *base, *src = a->source;
	int dirfd = -1, rc = EXIT_IO;
	uint64_t ms;
	long count;

	if (load_libs(err, sizeof(err)) < 0) {
		ctl_err("advisories update: %s (libcurl and libzip fetch and unpack the export)", err);
		return EXIT_IO;
	}
	snprintf(d1, sizeof(d1), "%s", dir);
	snprintf(d2, sizeof(d2), "%s", dir);
	parent = dirname(d1);
	base = basename(d2);
	if (mkdir_p(parent, 0755) < 0 ||
	    xsnprintf(staging, sizeof(staging), "%s/.%s.update-XXXXXX", parent, base) < 0 ||
	    !mkdtemp(staging)) {
		ctl_err("advisories update: staging directory beside %s: %s", dir, strerror(errno));
		return EXIT_IO;
	}
	snprintf(archive, sizeof(archive), "%s/%s", staging, ARCHIVE_NAME);
	sha256_init(&s.md);
	if ((dirfd = open(staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (s.fd = open(archive, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, sizeof(err), "%s: %s", staging, strerror(errno));
		goto out;
	}
	if (!strncmp(src, "https://", 8) || !strncmp(src, "http://", 7)) {
		if (fetch_http(src, &s, err, sizeof(err)) < 0)
			goto out;
	} else if (fetch_file(!strncmp(src, "file://", 7) ? src + 7 : src, &s, err, sizeof(err)) < 0)
		goto out;
	close(s.fd);
	s.fd = -1;
	memset(&st, 0, sizeof(st));
	sha256_final(&s.md, md);
	sha256_hex(md, st.sha256);
	if ((count = unpack(archive, dirfd, err, sizeof(err))) < 0)
		goto out;
	if ((unsigned long)count < a->min_count) {
		snprintf(err, sizeof(err), "%ld advisories, fewer than --min-count %lu: refusing to replace "
			 "the data with a partial export", count, a->min_count);
		goto out;
	}
	unlink(archive);
	ms = now_realtime_ms();
	format_rfc3339_ms((int64_t)ms, st.fetched_at);
	st.fetched_unix = (int64_t)(ms / 1000);
	{
		/* A local source as an absolute path: the record must say which file. */
		char *abs = strncmp(src, "https://", 8) && strncmp(src, "http://", 7) ?
		    realpath(!strncmp(src, "file://", 7) ? src + 7 : src, NULL) : NULL;

		snprintf(st.source, sizeof(st.source), "%s", abs ? abs : src);
		free(abs);
	}
	st.count = (uint64_t)count;
	if (osv_stamp_read(dir, &old) == 0) {
		memcpy(st.previous_fetched_at, old.fetched_at, sizeof(st.previous_fetched_at));
		st.previous_unix = old.fetched_unix;
	}
	/* Readable by every user (raggedctl plugin validate reads it); on disk before the swap. */
	if (write_stamp(dirfd, &st) < 0 || fchmod(dirfd, 0755) < 0 || syncfs(dirfd) < 0) {
		snprintf(err, sizeof(err), "%s: %s", staging, strerror(errno));
		goto out;
	}
	if (swap_in(staging, dir, err, sizeof(err)) < 0)
		goto out;
	rc = 0;
out:
	if (s.fd >= 0)
		close(s.fd);
	if (dirfd >= 0)
		close(dirfd);
	rm_tree(staging);	/* on success: the previous data */
	if (rc) {
		ctl_err("advisories update: %s; %s is unchanged", err, dir);
		return rc;
	}
	{
		cJSON *reply = NULL, *data = NULL, *req;
		bool reached, recorded;
		int code = 0;

		/* The agent records it; if it is down, it does so when it starts. */
		req = ctl_req("advisories_updated");

		reached = ctl_request(c, req, &reply) == 0;
		cJSON_Delete(req);
		if (reached)
			data = ctl_reply_data(reply, &code);
		recorded = data && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "recorded"));
		if (c->format == FMT_JSON) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "dir", dir);
			cJSON_AddNumberToObject(o, "count", (double)count);
			cJSON_AddStringToObject(o, "source", st.source);
			cJSON_AddStringToObject(o, "sha256", st.sha256);
			cJSON_AddStringToObject(o, "fetched_at", st.fetched_at);
			cJSON_AddBoolToObject(o, "recorded", recorded);
			render_json(o);
			cJSON_Delete(o);
		} else {
			printf("%s: %ld advisories from %s, sha256 %.12s\n", dir, count,
			       ctl_safe(st.source), st.sha256);
			if (recorded)
				printf("recorded in the audit log (advisories_updated)\n");
		}
		if (!reached)
			fprintf(stderr, "raggedctl: the agent is not reachable: it records the update "
				"when it starts\n");
		cJSON_Delete(reply);
		return !reached || data ? 0 : code ? code : 1;
	}
}

static int status(struct ctl *c, const char *dir, unsigned max_age)
{
	struct osv_stamp st;
	int64_t age;

	if (osv_stamp_read(dir, &st) < 0) {
		ctl_err("advisories status: %s: %s", dir, errno == ENOENT ?
			"no update stamp (never updated by raggedctl advisories update): age unknown" :
			strerror(errno));
		return 1;
	}
	age = osv_stamp_age_days(&st, (int64_t)time(NULL));
	if (c->format == FMT_JSON) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "dir", dir);
		cJSON_AddStringToObject(o, "fetched_at", st.fetched_at);
		cJSON_AddNumberToObject(o, "age_days", (double)age);
		cJSON_AddBoolToObject(o, "stale", age > (int64_t)max_age);
		cJSON_AddNumberToObject(o, "count", (double)st.count);
		cJSON_AddStringToObject(o, "source", st.source);
		cJSON_AddStringToObject(o, "sha256", st.sha256);
		render_json(o);
		cJSON_Delete(o);
	} else {
		printf("%s: %llu advisories from %s\nfetched %s, %lld day(s) old%s\n", dir,
		       (unsigned long long)st.count, ctl_safe(st.source), st.fetched_at, (long long)age,
		       age > (int64_t)max_age ? ": STALE (run raggedctl advisories update)" : "");
	}
	return age > (int64_t)max_age ? 1 : 0;
}

static int advisories(struct ctl *c, const struct ctl_args *ca, const char *sub)
{
	struct aargs a;
	char dir[PATH_MAX];
	unsigned max_age = 7;

	if (get_args(ca, sub, &a) < 0 || target_dir(&a, dir, sizeof(dir), &max_age) < 0)
		return EXIT_BAD_INPUT;
	if (!strcmp(sub, "status"))
		return status(c, dir, max_age);
	return update(c, &a, dir);
}

int cmd_advisories_update(struct ctl *c, const struct ctl_args *a)
{
	return advisories(c, a, "update");
}

int cmd_advisories_status(struct ctl *c, const struct ctl_args *a)
{
	return advisories(c, a, "status");
}

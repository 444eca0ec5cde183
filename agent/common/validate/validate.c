// SPDX-License-Identifier: MIT
/*
 * The validator's driver: a safe walk of the plugin directory, the content
 * digest, the cache, and dispatch of each file to its analyser.
 *
 * Safety of the walk: every entry is looked at with fstatat(AT_SYMLINK_
 * NOFOLLOW) and opened relative to its parent's descriptor with O_NOFOLLOW
 * (directories O_DIRECTORY, files O_NONBLOCK so a FIFO swapped in cannot
 * block us), and the opened file is checked again with fstat. Symlinks are
 * read, judged, hashed and never followed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "osv.h"
#include "util/util.h"
#include "validate_int.h"

enum ftype { FT_OTHER, FT_PY, FT_SH, FT_ELF, FT_PYC };

struct walk {
	struct vctx *v;
	int rootfd;
	char root[PATH_MAX];
	struct sha256 md;
	unsigned max_files, max_depth, entries;
	uint64_t max_file, max_total;
	/* Files kept for analysis, in walk order. */
	struct wfile { char *rel; unsigned char *data; size_t len; enum ftype type; } *f;
	size_t n, cap;
};

void vfind(struct vctx *v, const char *rule, enum severity sev, const char *file, unsigned line,
	   const char *fmt, ...)
{
	const struct validate_rule *r = validate_rule_find(rule);
	char msg[512];
	va_list ap;

	if (!r) {
		/* A rule id missing from the catalog is a programming error: say it, never crash the agent. */
		fprintf(stderr, "validate: internal error: unknown rule \"%s\"\n", rule);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report_add(v->r, r, sev == VSEV_DEFAULT ? r->severity : sev, file, line, msg);
}

void vuse(struct vctx *v, uint32_t use, const char *file, unsigned line)
{
	for (int i = 0; i < VUSE_COUNT; i++)
		if ((use & (1u << i)) && !(v->r->uses & (1u << i))) {
			v->first_use[i].file = file;
			v->first_use[i].line = line;
		}
	v->r->uses |= use;
}

/*
 * Secret locations, matched on path-component boundaries: the match starts
 * the string or follows '/' or '~' (patterns that start with '/' match
 * anywhere), and ends it or is followed by '/'. One pass over s: patterns
 * are only tried where one can start.
 */
static const char *const secrets[] = {
	".ssh", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "authorized_keys",
	"/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssh/ssh_host_rsa_key",
	".aws/credentials", ".aws/config", ".azure", ".config/gcloud", ".kube/config",
	".docker/config.json", ".gnupg", ".netrc", ".git-credentials", ".pgpass",
	".password-store", ".local/share/keyrings", ".mozilla/firefox",
	".config/google-chrome", ".config/chromium", ".config/BraveSoftware",
	"Library/Application Support/Google/Chrome", "Library/Keychains",
	"AppData/Local/Google/Chrome", "Login Data", "key4.db", "logins.json",
	NULL,
};

const char *vsecret_path(const char *s)
{
	for (const char *p = s; *p; p++) {
		bool boundary = p == s || p[-1] == '/' || p[-1] == '~';

		if (!boundary && *p != '/')
			continue;
		for (int i = 0; secrets[i]; i++) {
			size_t n;

			if (secrets[i][0] != *p || (!boundary && secrets[i][0] != '/'))
				continue;
			n = strlen(secrets[i]);
			if (strncmp(p, secrets[i], n) == 0 && (p[n] == '\0' || p[n] == '/'))
				return secrets[i];
		}
	}
	return NULL;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

static enum ftype classify(const char *rel, const unsigned char *d, size_t len)
{
	const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	char line[128], *w, *save = NULL;
	size_t n;

	if (has_suffix(base, ".pyc") || has_suffix(base, ".pyo"))
		return FT_PYC;
	if (len >= 4 && memcmp(d, "\177ELF", 4) == 0)
		return FT_ELF;
	if (has_suffix(base, ".py") || has_suffix(base, ".pyw"))
		return FT_PY;
	if (has_suffix(base, ".sh") || has_suffix(base, ".bash"))
		return FT_SH;
	if (len < 3 || d[0] != '#' || d[1] != '!')
		return FT_OTHER;
	/* "#!/usr/bin/env -S python3 -u" -> python3 */
	for (n = 0; n + 2 < len && n < sizeof(line) - 1 && d[n + 2] != '\n'; n++)
		line[n] = (char)d[n + 2];
	line[n] = '\0';
	for (w = strtok_r(line, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
		const char *b = strrchr(w, '/') ? strrchr(w, '/') + 1 : w;

		if (strcmp(b, "env") == 0 || w[0] == '-')
			continue;
		if (strncmp(b, "python", 6) == 0)
			return FT_PY;
		if (!strcmp(b, "sh") || !strcmp(b, "bash") || !strcmp(b, "dash") || !strcmp(b, "zsh") ||
		    !strcmp(b, "ksh") || !strcmp(b, "ash") || !strcmp(b, "busybox"))
			return FT_SH;
		break;
	}
	return FT_OTHER;
}

static void hash_str(struct walk *w, const char *s)
{
	sha256_update(&w->md, s, strlen(s) + 1);
}

/* Following the symlink at rel (and any links its target goes through) leaves the directory. */
static bool link_escapes(struct walk *w, const char *rel)
{
	char out[PATH_MAX];

	return vresolve_beneath(w->rootfd, w->root, rel, out, sizeof(out)) < 0 && errno == EXDEV;
}

static int keep(struct walk *w, const char *rel, unsigned char *data, size_t len, enum ftype t)
{
	if (ARRAY_RESERVE(w->f, w->n, w->cap, 32) < 0)
		return -1;
	w->f[w->n].rel = strdup(rel);
	if (!w->f[w->n].rel)
		return -1;
	w->f[w->n].data = data;
	w->f[w->n].len = len;
	w->f[w->n].type = t;
	w->n++;
	return 0;
}

static void limit(struct walk *w, const char *rel, const char *what)
{
	w->v->r->complete = false;
	vfind(w->v, "fs-limit", VSEV_DEFAULT, rel, 0, "%s", what);
}

/*
 * Read and hash one regular file; keep it when an analyser wants it. A
 * file over the per-file cap is streamed through the hash in 64 KiB
 * chunks and classified by its head. -1 only on ENOMEM.
 */
static int read_regular(struct walk *w, int fd, const char *rel, const struct stat *st)
{
	struct validate_report *r = w->v->r;
	bool big = (uint64_t)st->st_size > w->max_file;
	size_t cap = big ? 65536 : (size_t)st->st_size + 1, len = 0;
	uint64_t done = 0;	/* bytes of this file already streamed */
	enum ftype head = FT_OTHER;
	unsigned char *buf;
	ssize_t got;
	char meta[96];

	if (r->bytes >= w->max_total) {
		/* Over the total cap: hash what identifies the content, not the content. */
		snprintf(meta, sizeof(meta), "meta %lld %lld.%09ld %llu", (long long)st->st_size,
			 (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
			 (unsigned long long)st->st_ino);
		hash_str(w, meta);
		limit(w, rel, "not read: the plugin is larger than the total size cap");
		return 0;
	}
	if (!(buf = malloc(cap)))
		return -1;
	for (;;) {
		got = read(fd, buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			vfind(w->v, "fs-unreadable", VSEV_DEFAULT, rel, 0, "read: %s", strerror(errno));
		if (got <= 0)
			break;
		len += (size_t)got;
		r->bytes += (uint64_t)got;
		if (len < cap)
			continue;
		if (!big && cap <= w->max_file) {
			/* It grew since fstat: grow up to the cap. */
			unsigned char *nb;

			cap = cap * 2 > w->max_file + 1 ? (size_t)w->max_file + 1 : cap * 2;
			if (!(nb = realloc(buf, cap))) {
				free(buf);
				return -1;
			}
			buf = nb;
			continue;
		}
		if (done == 0)
			head = classify(rel, buf, len);
		big = true;
		sha256_update(&w->md, buf, len);
		done += len;
		len = 0;
		if (r->bytes >= w->max_total) {
			limit(w, rel, "partly read: the plugin is larger than the total size cap");
			break;
		}
	}
	sha256_update(&w->md, buf, len);
	r->files++;
	if (big) {
		if (done == 0)
			head = classify(rel, buf, len);
		if (head != FT_OTHER)
			limit(w, rel, "not analysed: larger than the per-file size cap");
		free(buf);
		return 0;
	}
	head = classify(rel, buf, len);
	if (head != FT_OTHER) {
		if (keep(w, rel, buf, len, head) == 0)
			return 0;
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

static int walk_dir(struct walk *w, int dfd, const char *prefix, unsigned depth);

static int walk_entry(struct walk *w, int dfd, const char *name, const char *prefix,
		      unsigned depth)
{
	struct vctx *v = w->v;
	char rel[PATH_MAX], target[PATH_MAX], head[160];
	struct stat st, st2;
	ssize_t n;
	int fd, rc = 0;

	if (xsnprintf(rel, sizeof(rel), "%s%s", prefix, name) < 0) {
		limit(w, prefix, "a path is too long to analyse");
		return 0;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;	/* gone meanwhile */
	if (++w->entries > w->max_files) {
		if (w->entries == w->max_files + 1)
			limit(w, rel, "not analysed: the plugin has more files than the cap");
		return 0;
	}
	snprintf(head, sizeof(head), "%o %lld %d", (unsigned)st.st_mode, (long long)st.st_size,
		 st.st_nlink > 1 && !S_ISDIR(st.st_mode));
	hash_str(w, rel);
	hash_str(w, head);
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(dfd, name, target, sizeof(target) - 1);
		if (n < 0)
			return 0;
		target[n] = '\0';
		hash_str(w, target);
		if (link_escapes(w, rel))
			vfind(v, "fs-symlink-escape", VSEV_DEFAULT, rel, 0,
			      "symlink to \"%s\" leaves the plugin directory", target);
		return 0;
	}
	if ((st.st_mode & S_IWOTH))
		vfind(v, "fs-world-writable", VSEV_DEFAULT, rel, 0, "mode %04o: any user can change it",
		      (unsigned)(st.st_mode & 07777));
	if (S_ISDIR(st.st_mode)) {
		if (depth + 1 > w->max_depth) {
			limit(w, rel, "not analysed: directories nested deeper than the cap");
			return 0;
		}
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			vfind(v, "fs-unreadable", VSEV_DEFAULT, rel, 0, "directory: %s", strerror(errno));
			return 0;
		}
		if (xsnprintf(target, sizeof(target), "%s/", rel) < 0) {
			close(fd);
			return 0;
		}
		return walk_dir(w, fd, target, depth + 1);
	}
	if (!S_ISREG(st.st_mode)) {
		vfind(v, "fs-special-file", VSEV_DEFAULT, rel, 0, "%s",
		      S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISSOCK(st.st_mode) ? "a socket"
		      : "a device node");
		return 0;
	}
	if (st.st_mode & (S_ISUID | S_ISGID))
		vfind(v, "fs-setuid", VSEV_DEFAULT, rel, 0, "mode %04o: %s%s%s",
		      (unsigned)(st.st_mode & 07777), st.st_mode & S_ISUID ? "setuid" : "",
		      (st.st_mode & S_ISUID) && (st.st_mode & S_ISGID) ? " and " : "",
		      st.st_mode & S_ISGID ? "setgid" : "");
	if (st.st_nlink > 1)
		vfind(v, "fs-hardlink", VSEV_DEFAULT, rel, 0, "%lu links to this file",
		      (unsigned long)st.st_nlink);
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		vfind(v, "fs-unreadable", VSEV_DEFAULT, rel, 0, "open: %s", strerror(errno));
		return 0;
	}
	if (fstat(fd, &st2) == 0 && S_ISREG(st2.st_mode) && st2.st_ino == st.st_ino &&
	    st2.st_dev == st.st_dev)
		rc = read_regular(w, fd, rel, &st2);
	close(fd);
	return rc;
}

static int walk_dir(struct walk *w, int dfd, const char *prefix, unsigned depth)
{
	DIR *d = fdopendir(dfd);
	char **names;
	size_t n;
	int rc = 0;

	if (!d) {
		close(dfd);
		return 0;
	}
	if (dir_sorted_names(d, &names, &n) < 0) {
		closedir(d);
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = walk_entry(w, dirfd(d), names[i], prefix, depth);
	dir_names_free(names, n);
	closedir(d);
	return rc;
}

static void analyse(struct walk *w)
{
	for (size_t i = 0; i < w->n; i++) {
		struct wfile *f = &w->f[i];

		switch (f->type) {
		case FT_PY:
			pysource_check(w->v, f->rel, (const char *)f->data, f->len);
			pyrules_scan(w->v, f->rel, (const char *)f->data, f->len, 1);
			break;
		case FT_SH:
			shrules_scan(w->v, f->rel, (const char *)f->data, f->len, 1);
			break;
		case FT_ELF:
			elfscan(w->v, f->rel, f->data, f->len);
			break;
		case FT_PYC:
			w->v->opaque = true;
			vfind(w->v, "py-bytecode", VSEV_DEFAULT, f->rel, 0,
			      "compiled bytecode: Python may run it instead of the reviewed source");
			break;
		case FT_OTHER:
			break;
		}
	}
	ventry_check(w->v, w->rootfd);
	vperm_check(w->v);
}

/* cache key: content digest + rule set + (when dependencies are checked) the database. */
static int cache_path(const struct walk *w, const struct validate_opts *o, const struct manifest *m,
		      char *out, size_t len)
{
	unsigned char k[32];
	char fp[65] = "", in[256], hex[65];

	if (!o || !o->cache_dir)
		return -1;
	if (m && m->n_python_deps && o->osv_dir && osv_db_fingerprint(o->osv_dir, fp) < 0)
		snprintf(fp, sizeof(fp), "none");
	snprintf(in, sizeof(in), "%s|%s|%s|%llu|%llu|%u|%u", w->v->r->digest, VALIDATE_RULESET_VERSION,
		 fp, (unsigned long long)w->max_file, (unsigned long long)w->max_total,
		 (unsigned)w->v->embed_port, (unsigned)w->v->store_port);
	sha256_digest(in, strlen(in), k);
	sha256_hex(k, hex);
	return xsnprintf(out, len, "%s/%s.json", o->cache_dir, hex) < 0 ? -1 : 0;
}

/*
 * The reports this process loaded or stored, kept parsed: a report's file
 * name is its content digest, rule set, database and settings, so it does
 * not change under that name (the age of dependency results is checked on
 * every use, as on disk). A run of an unchanged plugin then opens no file.
 */
static struct file_cache reports;

static void report_val_free(void *j)
{
	cJSON_Delete(j);
}

void validate_reports_forget(void)
{
	file_cache_clear(&reports);
}

/* A kept report as *r (the walk's counters and digest stay), or false. */
static bool cache_use(const cJSON *j, struct validate_report *r, bool deps)
{
	double at = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "checked_at"));
	double age = (double)(now_realtime_ms() / 1000) - at;
	struct validate_report c;

	if (deps && !(age >= 0 && age < VALIDATE_DEPS_TTL))
		return false;	/* dependency results too old (or no time): a miss */
	if (report_from_json(&c, j) < 0)
		return false;
	/* The walk's own counters stay; findings and uses come from the cache. */
	c.files = r->files;
	c.bytes = r->bytes;
	c.cached = true;
	memcpy(c.digest, r->digest, sizeof(c.digest));
	validate_report_free(r);
	*r = c;
	return true;
}

static bool cache_load(const char *path, struct validate_report *r, bool deps)
{
	const cJSON *kept = file_cache_get(&reports, path, &file_unstamped);
	struct stat st;
	char *buf;
	ssize_t n;
	cJSON *j;
	bool ok;
	int fd;

	if (kept)
		return cache_use(kept, r, deps);
	/* Sized by the file (a 4 MiB buffer was an mmap and munmap per run). */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return false;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > (4 << 20) || !(buf = malloc((size_t)st.st_size))) {
		close(fd);
		return false;
	}
	n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	j = n == st.st_size ? cJSON_ParseWithLength(buf, (size_t)n) : NULL;
	free(buf);
	if (!j)
		return false;
	ok = cache_use(j, r, deps);
	if (ok)
		file_cache_put(&reports, path, &file_unstamped, j, report_val_free);
	else
		cJSON_Delete(j);
	return ok;
}

static void cache_store(const char *dir, const char *path, const struct validate_report *r)
{
	cJSON *j = validate_report_json(r);
	char *s;

	if (j)
		cJSON_AddNumberToObject(j, "checked_at", (double)(now_realtime_ms() / 1000));
	s = j ? cJSON_PrintUnformatted(j) : NULL;

	if (s && mkdir_p(dir, 0700) == 0)
		write_atomic(path, s, strlen(s), 0600);	/* a failed write only costs a rescan */
	free(s);
	if (j)
		file_cache_put(&reports, path, &file_unstamped, j, report_val_free);
}

int validate_dir(const char *dir, const struct manifest *m, const struct validate_opts *o,
		 struct validate_report *out, char *err, size_t errlen)
{
	struct vctx v = { .r = out, .m = m };
	struct walk w = { .v = &v };
	unsigned char md[32];
	char cpath[PATH_MAX], fp[65], fp2[65], salt[96];
	bool cache = false, fp_ok = false, settled = false;
	int rc;

	v.root = w.root;
	v.embed_port = o && o->embedding_port ? o->embedding_port : 11434;
	v.store_port = o && o->vectorstore_port ? o->vectorstore_port : 8001;
	v.store_port2 = o && o->vectorstore_port ? o->vectorstore_port : 8000;

	memset(out, 0, sizeof(*out));
	out->complete = true;
	w.max_files = o && o->max_files ? o->max_files : 4096;
	w.max_depth = o && o->max_depth ? o->max_depth : 16;
	w.max_file = o && o->max_file_bytes ? o->max_file_bytes : 8u << 20;
	w.max_total = o && o->max_total_bytes ? o->max_total_bytes : 64u << 20;
	/* Open first, then name what was opened: no window for a swap in between. */
	if ((w.rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	{
		char proc[64];
		ssize_t n;

		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w.rootfd);
		n = readlink(proc, w.root, sizeof(w.root) - 1);
		if (n > 0 && w.root[0] == '/')
			w.root[n] = '\0';
		else if (!realpath(dir, w.root)) {	/* no /proc */
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			close(w.rootfd);
			return -1;
		}
	}
	/*
	 * An unchanged plugin (same stat fingerprint) has the content digest
	 * it had: its cached report is used without reading the files.
	 */
	snprintf(salt, sizeof(salt), "%u|%u|%llu|%llu", w.max_files, w.max_depth,
		 (unsigned long long)w.max_file, (unsigned long long)w.max_total);
	if (o && o->cache_dir &&
	    validate_fingerprint(w.rootfd, w.max_files, w.max_depth, fp, &settled) == 0 && settled) {
		fp_ok = true;
		if (validate_fp_lookup(o->cache_dir, fp, salt, out->digest, &out->files,
				       &out->bytes) == 0 &&
		    cache_path(&w, o, m, cpath, sizeof(cpath)) == 0 &&
		    cache_load(cpath, out, m && m->n_python_deps && o->osv_dir)) {
			rc = 0;
			goto out;
		}
		memset(out->digest, 0, sizeof(out->digest));
		out->files = 0;
		out->bytes = 0;
	}
	sha256_init(&w.md);
	rc = walk_dir(&w, dup(w.rootfd), "", 0);
	if (rc == 0) {
		sha256_final(&w.md, md);
		sha256_hex(md, out->digest);
	} else {
		snprintf(err, errlen, "%s: out of memory", dir);
		rc = -1;
		goto out;
	}
	cache = cache_path(&w, o, m, cpath, sizeof(cpath)) == 0;
	if (!cache || !cache_load(cpath, out, m && m->n_python_deps && o->osv_dir)) {
		analyse(&w);
		vdeps_check(&v, o ? o->osv_dir : NULL);
		report_sort(out);
		if (cache && out->complete)
			cache_store(o->cache_dir, cpath, out);
	}
	/* Only a fingerprint that held from before the read until after it. */
	if (cache && out->complete && fp_ok &&
	    validate_fingerprint(w.rootfd, w.max_files, w.max_depth, fp2, &settled) == 0 &&
	    settled && strcmp(fp, fp2) == 0)
		validate_fp_store(o->cache_dir, fp, salt, out->digest, out->files, out->bytes);
	if (o && o->osv_dir) {
		vdeps_freshness(&v, o->osv_dir, o->osv_max_age_days);
		report_sort(out);
	}
out:
	for (size_t i = 0; i < w.n; i++) {
		free(w.f[i].rel);
		free(w.f[i].data);
	}
	free(w.f);
	free(v.urls);
	close(w.rootfd);
	if (rc < 0)
		validate_report_free(out);
	return rc;
}

static int buffer_scan(const char *name, const char *src, size_t len, struct validate_report *out,
		       bool python)
{
	struct vctx v = { .r = out };

	memset(out, 0, sizeof(*out));
	out->complete = true;
	if (python) {
		pysource_check(&v, name, src, len);
		pyrules_scan(&v, name, src, len, 1);
	} else {
		shrules_scan(&v, name, src, len, 1);
	}
	free(v.urls);
	report_sort(out);
	return 0;
}

int validate_python_buffer(const char *name, const char *src, size_t len,
			   struct validate_report *out)
{
	return buffer_scan(name, src, len, out, true);
}

int validate_shell_buffer(const char *name, const char *src, size_t len,
			  struct validate_report *out)
{
	return buffer_scan(name, src, len, out, false);
}

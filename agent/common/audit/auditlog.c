/* SPDX-License-Identifier: MIT */
/*
 * The audit log writer: open, crash recovery, append, rotation, retention
 * and sync. The record serializer, the line check and the hasher are in
 * auditfmt.c, the verifier in auditverify.c; audit_int.h holds what they
 * share, including how a record is chained by SHA-256.
 * docs/audit-format.md is the reference for everything here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit_int.h"
#include "auditlog.h"
#include "auditquery.h"

#define RECOVER_MAX_DROP (1024 * 1024)	/* most garbage a crash can explain */

static int
fail(char *err, size_t errlen, const char *path, const char *what)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", path, what);
	return -1;
}

static int
fail_errno(char *err, size_t errlen, const char *path, const char *what)
{
	int e = errno;

	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s: %s", path, what, strerror(e));
	errno = e;
	return -1;
}

/*
 * Find the last record in fd's final bytes. A crash can leave a torn tail:
 * bytes after the last newline, or whole lines that do not parse (blocks
 * the file system had not written, read back as zeros). With may_drop,
 * such garbage up to RECOVER_MAX_DROP is reported in *keep (offset to cut
 * at) and *lines; anything else, including a last record that parses but
 * fails its own hash (an edit, not a crash), is an error. found=false: no
 * record at all.
 */
static int
tail_scan(struct hasher *h, int fd, uint64_t size, bool may_drop, uint64_t *keep,
	  unsigned *lines, bool *found, uint64_t *seq, char *hash,
	  char *err, size_t errlen, const char *name)
{
	size_t win = size < RECOVER_MAX_DROP + AUDITLOG_RECORD_MAX ? size :
	    RECOVER_MAX_DROP + AUDITLOG_RECORD_MAX;
	uint64_t base = size - win;
	size_t end, start;
	char *buf, *nl;
	int rc = -1;

	*found = false;
	*lines = 0;
	*keep = size;
	if (size == 0)
		return 0;
	if ((buf = malloc(win)) == NULL)
		return fail_errno(err, errlen, name, "recovery buffer");
	if (pread(fd, buf, win, (off_t)base) != (ssize_t)win) {
		fail_errno(err, errlen, name, "read tail");
		goto out;
	}
	nl = memrchr(buf, '\n', win);
	end = nl != NULL ? (size_t)(nl - buf) + 1 : 0;
	if (end < win)
		(*lines)++;
	while (end > 0) {
		struct line_rec lr;
		const char *why;

		nl = end > 1 ? memrchr(buf, '\n', end - 1) : NULL;
		start = nl != NULL ? (size_t)(nl - buf) + 1 : 0;
		if (nl == NULL && base > 0) {
			fail(err, errlen, name, "last record longer than the recovery window");
			goto out;
		}
		why = audit_line_check(h, buf + start, end - 1 - start, &lr);
		if (why == NULL) {
			*found = true;
			*seq = lr.seq;
			memcpy(hash, lr.hash, AUDITLOG_HASH_HEX + 1);
			cJSON_Delete(lr.rec);
			break;
		}
		cJSON_Delete(lr.rec);
		if (strcmp(why, "unparsable line") != 0) {
			fail(err, errlen, name, "last record fails verification "
			    "(not a crash): refusing to continue the chain; run raggedctl audit verify");
			goto out;
		}
		end = start;
		(*lines)++;
	}
	*keep = base + end;
	if (*keep < size && (!may_drop || size - *keep > RECOVER_MAX_DROP)) {
		fail(err, errlen, name, may_drop ? "torn tail too long to be a crash" :
		    "rotated file has a torn tail");
		goto out;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

/* The last record of a closed file (a rotated one): no garbage allowed. */
static int
file_last_record(struct hasher *h, const char *path, bool *found, uint64_t *seq,
		 char *hash, char *err, size_t errlen)
{
	struct stat st;
	uint64_t keep;
	unsigned lines;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 || fstat(fd, &st) < 0) {
		rc = fail_errno(err, errlen, path, "open");
		if (fd >= 0)
			close(fd);
		return rc;
	}
	rc = tail_scan(h, fd, (uint64_t)st.st_size, false, &keep, &lines, found,
	    seq, hash, err, errlen, path);
	close(fd);
	return rc;
}

int64_t
audit_clock_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Write the pending records: one write(2) for all of them; a short write is
 * continued. If the file then refuses (ENOSPC), the whole records that made
 * it stay (log->size covers them), a torn one is cut off again so the file
 * never holds half a record, and the rest stays pending, in order. If even
 * the cut fails the log stays wedged: nothing is appended after garbage.
 */
static int
flush_pending(struct auditlog *log)
{
	size_t done = 0, keep;
	const char *nl;
	ssize_t w;
	int e;

	if (log->pend == 0)
		return 0;
	if (log->wedged) {
		if (ftruncate(log->fd, (off_t)log->size) < 0)
			return -1;
		log->wedged = false;
	}
	while (done < log->pend) {
		if ((w = write(log->fd, log->buf + done, log->pend - done)) > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		e = w == 0 ? EIO : errno;
		/* Lines hold no raw newline: each newline ends a whole record. */
		nl = done > 0 ? memrchr(log->buf, '\n', done) : NULL;
		keep = nl != NULL ? (size_t)(nl - log->buf) + 1 : 0;
		if (done > keep && ftruncate(log->fd, (off_t)(log->size + keep)) < 0)
			log->wedged = true;
		if (keep > 0) {
			log->size += keep;
			log->pend -= keep;
			memmove(log->buf, log->buf + keep, log->pend);
			log->dirty = true;
		}
		errno = e;
		return -1;
	}
	log->size += done;
	log->pend = 0;
	log->dirty = true;
	return 0;
}

static void
policy_sync(struct auditlog *log)
{
	int64_t now;

	if (log->o.fsync == AUDITLOG_FSYNC_NEVER || !log->dirty)
		return;
	now = audit_clock_ms(CLOCK_MONOTONIC);
	if (log->o.fsync == AUDITLOG_FSYNC_BATCH &&
	    now - log->synced_ms < (int64_t)log->o.fsync_interval_ms)
		return;
	if (fdatasync(log->fd) < 0)
		log->sync_errno = errno;
	else
		log->dirty = false;
	log->synced_ms = now;
}

int
auditlog_flush(struct auditlog *log)
{
	if (flush_pending(log) < 0)
		return -1;
	policy_sync(log);
	return 0;
}

size_t
auditlog_pending(const struct auditlog *log)
{
	return log->pend;
}

/*
 * Append without rotating: the hot path, and the log's own records. The
 * line is serialized after the pending ones and hashed in place; it is
 * written now (write-through, force, line_out) or once the batch is full.
 */
static int
write_record(struct auditlog *log, const cJSON *rec, char **line_out, bool force)
{
	char hex[AUDITLOG_HASH_HEX + 1], prev[AUDITLOG_HASH_HEX + 1];
	size_t len, total, at = log->pend;
	char *line;
	int e;

	if (line_out != NULL)
		*line_out = NULL;
	if (!cJSON_IsObject(rec) || log->seq >= SEQ_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (audit_serialize(log, rec) < 0)
		return -1;
	len = log->len;
	line = log->buf + at;
	if (audit_hash2(&log->h, line, len, NULL, 0, hex) < 0) {
		errno = EIO;
		return -1;
	}
	total = len + SUFFIX_LEN;	/* "}" replaced by the suffix, plus "\n" */
	if (total > AUDITLOG_RECORD_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	/* room() kept SUFFIX_LEN + 1 spare bytes for this. */
	memcpy(line + len - 1, ",\"hash\":\"", 9);
	memcpy(line + len + 8, hex, AUDITLOG_HASH_HEX);
	memcpy(line + len + 8 + AUDITLOG_HASH_HEX, "\"}\n", 3);
	/* Accepted: the chain moves on. Undone below if it cannot be written. */
	log->pend += total;
	log->seq++;
	memcpy(prev, log->hash, sizeof(prev));
	memcpy(log->hash, hex, sizeof(hex));
	if (line_out != NULL && (*line_out = strndup(line, total - 1)) == NULL)
		errno = ENOMEM;	/* written anyway: the follower misses one line */
	if (log->batch != 0 && !force && line_out == NULL && log->pend < log->batch)
		return 0;
	if (flush_pending(log) < 0) {
		/* Never fully written (it is the last): only this one is undone. */
		e = errno;
		log->pend -= total;
		log->seq--;
		memcpy(log->hash, prev, sizeof(prev));
		if (line_out != NULL) {
			free(*line_out);
			*line_out = NULL;
		}
		errno = e;
		return -1;
	}
	policy_sync(log);
	return 0;
}

/* A record of the log's own, with details. */
static int
write_own(struct auditlog *log, const char *event, cJSON *details)
{
	cJSON *rec = cJSON_CreateObject();
	int rc = -1;

	if (rec != NULL && details != NULL &&
	    cJSON_AddStringToObject(rec, "event", event) != NULL &&
	    cJSON_AddItemToObject(rec, "details", details)) {
		details = NULL;
		rc = write_record(log, rec, NULL, true);
	}
	cJSON_Delete(details);
	cJSON_Delete(rec);
	return rc;
}

static const char *
base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s != NULL ? s + 1 : p;
}

/* Remove the oldest rotated files, first writing the anchor that lets verify start after them. */
static int
retention_apply(struct auditlog *log, struct audit_files *f, size_t nvict)
{
	char hash[AUDITLOG_HASH_HEX + 1];
	cJSON *d = cJSON_CreateObject(), *names = NULL;
	uint64_t seq = 0;
	bool found, ok;

	if (file_last_record(&log->h, f->paths[nvict - 1], &found, &seq, hash, NULL, 0) < 0 ||
	    !found || seq != f->last_seq[nvict - 1]) {
		cJSON_Delete(d);
		errno = EBADMSG;	/* no anchor: keep the files, verify will say why */
		return -1;
	}
	/* Half an anchor would be worse than none: all of it, or keep the files. */
	ok = d != NULL && (names = cJSON_AddArrayToObject(d, "removed_files")) != NULL;
	for (size_t i = 0; ok && i < nvict; i++)
		ok = cJSON_AddItemToArray(names, cJSON_CreateString(base_name(f->paths[i])));
	ok = ok && cJSON_AddNumberToObject(d, "removed_through_seq", (double)seq) != NULL &&
	    cJSON_AddStringToObject(d, "removed_last_hash", hash) != NULL &&
	    cJSON_AddNumberToObject(d, "max_files", log->o.max_files) != NULL &&
	    cJSON_AddNumberToObject(d, "max_age_days", log->o.max_age_days) != NULL;
	if (!ok) {
		cJSON_Delete(d);
		errno = ENOMEM;
		return -1;
	}
	if (write_own(log, "audit_retention", d) < 0)
		return -1;
	for (size_t i = 0; i < nvict; i++)
		unlink(f->paths[i]);
	fsync(log->dirfd);
	return 0;
}

int
auditlog_retention(struct auditlog *log)
{
	struct audit_files f;
	int64_t cutoff = (int64_t)time(NULL) - (int64_t)log->o.max_age_days * 86400;
	size_t nrot, nvict = 0;
	int rc = 0;

	if (log->o.max_files == 0 && log->o.max_age_days == 0)
		return 0;
	if (audit_files_list(log->path, &f) < 0)
		return -1;
	nrot = f.n - (f.has_current ? 1 : 0);
	/* Only ever a prefix: never a hole in the middle of the chain. */
	for (; nvict < nrot; nvict++) {
		struct stat st;
		bool by_count = log->o.max_files != 0 && nrot - nvict > log->o.max_files;
		bool by_age = log->o.max_age_days != 0 &&
		    stat(f.paths[nvict], &st) == 0 && st.st_mtime < cutoff;

		if (!by_count && !by_age)
			break;
	}
	if (nvict > 0)
		rc = retention_apply(log, &f, nvict);
	audit_files_free(&f);
	return rc;
}

/*
 * Rotation with link(2) then rename(2): at every step a failure or a crash
 * leaves either the old layout or the new one, and auditlog_open cleans the
 * one in-between state (a rotated name linked to the current file).
 */
static int
rotate(struct auditlog *log)
{
	char *rot;
	int nfd;

	if (fdatasync(log->fd) < 0)
		return -1;
	if (asprintf(&rot, "%s.%020llu", log->path, (unsigned long long)log->seq) < 0)
		return -1;
	if (link(log->path, rot) < 0)
		goto fail;
	unlink(log->tmp_path);
	nfd = open(log->tmp_path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0640);
	/* The shipper's group, before the file takes the log's name. */
	if (nfd >= 0 && log->o.has_read_group)
		(void)!fchown(nfd, (uid_t)-1, log->o.read_group);
	if (nfd < 0 || rename(log->tmp_path, log->path) < 0) {
		if (nfd >= 0) {
			close(nfd);
			unlink(log->tmp_path);
		}
		unlink(rot);
		goto fail;
	}
	fsync(log->dirfd);
	close(log->fd);
	log->fd = nfd;
	log->size = 0;
	log->dirty = false;
	log->rotate_retry_at = 0;
	free(rot);
	auditlog_retention(log);	/* a failure keeps files, never records */
	return 0;
fail:
	free(rot);
	return -1;
}

int
auditlog_append(struct auditlog *log, const cJSON *rec, char **line_out)
{
	uint64_t size = log->size + log->pend;

	/* The rotated file's name is its last seq: pending records go first. */
	if (log->o.max_bytes != 0 && size >= log->o.max_bytes &&
	    size >= log->rotate_retry_at && (flush_pending(log) < 0 || rotate(log) < 0))
		/* Keep logging into the big file; try again a bit later. */
		log->rotate_retry_at = log->size + log->pend + log->o.max_bytes / 8 + 1;
	return write_record(log, rec, line_out, false);
}

static int
mkdir_parents(char *dir)
{
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0750) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(dir, 0750) < 0 && errno != EEXIST ? -1 : 0;
}

/* Undo what an interrupted rotate() left: the temp file, a second link to the current file. */
static void
clean_rotation(struct auditlog *log)
{
	struct audit_files f;
	struct stat a, b;

	unlink(log->tmp_path);
	if (audit_files_list(log->path, &f) < 0)
		return;
	if (f.has_current && f.n >= 2 && stat(f.paths[f.n - 1], &a) == 0 &&
	    stat(f.paths[f.n - 2], &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		unlink(f.paths[f.n - 2]);
	audit_files_free(&f);
}

/*
 * The newest rotated file holds the chain state when the current file has
 * no record; otherwise the current file must be newer than it (an old
 * current file restored over a rotated log would fork the chain).
 */
static int
check_rotated(struct auditlog *log, bool have_current, char *err, size_t errlen)
{
	struct audit_files f;
	size_t nrot;
	bool found = false;
	int rc = 0;

	if (audit_files_list(log->path, &f) < 0)
		return fail_errno(err, errlen, log->path, "list rotated files");
	nrot = f.n - (f.has_current ? 1 : 0);
	if (nrot > 0 && have_current && log->seq <= f.last_seq[nrot - 1]) {
		rc = fail(err, errlen, log->path, "ends before the newest rotated "
		    "file: refusing to fork the chain");
	} else if (nrot > 0 && !have_current) {
		rc = file_last_record(&log->h, f.paths[nrot - 1], &found, &log->seq,
		    log->hash, err, errlen);
		if (rc == 0 && (!found || log->seq != f.last_seq[nrot - 1]))
			rc = fail(err, errlen, f.paths[nrot - 1],
			    "no last record matching its name: cannot continue the chain");
	}
	audit_files_free(&f);
	return rc;
}

/* Cut a torn tail and say so in the chain itself. */
static int
recover(struct auditlog *log, char *err, size_t errlen)
{
	char dhash[AUDITLOG_HASH_HEX + 1];
	struct stat st;
	uint64_t keep, size;
	unsigned lines;
	bool found;
	char *tail;
	cJSON *d;

	if (fstat(log->fd, &st) < 0)
		return fail_errno(err, errlen, log->path, "stat");
	size = (uint64_t)st.st_size;
	if (tail_scan(&log->h, log->fd, size, true, &keep, &lines, &found,
	    &log->seq, log->hash, err, errlen, log->path) < 0)
		return -1;
	log->size = keep;
	if (check_rotated(log, found, err, errlen) < 0)
		return -1;
	if (keep == size)
		return 0;
	/* The dropped bytes are evidence: their digest goes into the record. */
	if ((tail = malloc(size - keep)) == NULL ||
	    pread(log->fd, tail, size - keep, (off_t)keep) != (ssize_t)(size - keep) ||
	    audit_hash2(&log->h, tail, size - keep, NULL, 0, dhash) < 0) {
		free(tail);
		return fail_errno(err, errlen, log->path, "read torn tail");
	}
	free(tail);
	if (ftruncate(log->fd, (off_t)keep) < 0 || fdatasync(log->fd) < 0)
		return fail_errno(err, errlen, log->path, "truncate torn tail");
	if ((d = cJSON_CreateObject()) != NULL) {
		cJSON_AddStringToObject(d, "file", base_name(log->path));
		cJSON_AddNumberToObject(d, "offset", (double)keep);
		cJSON_AddNumberToObject(d, "dropped_bytes", (double)(size - keep));
		cJSON_AddNumberToObject(d, "dropped_lines", lines);
		cJSON_AddStringToObject(d, "dropped_sha256", dhash);
	}
	if (write_own(log, "audit_recovered", d) < 0)
		return fail_errno(err, errlen, log->path, "write audit_recovered");
	return 0;
}

static int
open_current(struct auditlog *log, char *err, size_t errlen)
{
	struct stat st;

	log->fd = open(log->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (log->fd < 0 || fstat(log->fd, &st) < 0)
		return fail_errno(err, errlen, log->path, "open");
	if (!S_ISREG(st.st_mode))
		return fail(err, errlen, log->path, "not a regular file");
	/* Records of every user: never readable beyond the owner and group. */
	if ((st.st_mode & 0137) != 0 && fchmod(log->fd, 0640) < 0)
		return fail_errno(err, errlen, log->path, "chmod 0640");
	if (log->o.has_read_group && st.st_gid != log->o.read_group &&
	    fchown(log->fd, (uid_t)-1, log->o.read_group) < 0)
		return fail_errno(err, errlen, log->path, "chgrp");
	return 0;
}

static int
open_dir(struct auditlog *log, char *err, size_t errlen)
{
	const char *slash = strrchr(log->path, '/');
	char *dir = slash == NULL ? strdup(".") :
	    strndup(log->path, slash == log->path ? 1 : (size_t)(slash - log->path));
	int rc = -1;

	if (dir == NULL)
		return fail_errno(err, errlen, log->path, "alloc");
	if (mkdir_parents(dir) < 0)
		fail_errno(err, errlen, dir, "mkdir");
	else if ((log->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		fail_errno(err, errlen, dir, "open");
	/* One writer per directory: two would fork the chain. */
	else if (flock(log->dirfd, LOCK_EX | LOCK_NB) < 0)
		fail_errno(err, errlen, dir, "locked by another audit writer");
	else if (log->o.has_read_group &&
		 (fchown(log->dirfd, (uid_t)-1, log->o.read_group) < 0 || fchmod(log->dirfd, 0750) < 0))
		fail_errno(err, errlen, dir, "chgrp");
	else
		rc = 0;
	free(dir);
	return rc;
}

struct auditlog *
auditlog_open(const struct auditlog_opts *opts, char *err, size_t errlen)
{
	struct auditlog *log;

	if (opts == NULL || opts->path == NULL || opts->path[0] == '\0' ||
	    opts->fsync > AUDITLOG_FSYNC_ALWAYS) {
		errno = EINVAL;
		fail(err, errlen, "audit log", "invalid options");
		return NULL;
	}
	if ((log = calloc(1, sizeof(*log))) == NULL)
		return NULL;
	log->fd = log->dirfd = -1;
	log->o = *opts;
	if (log->o.fsync_interval_ms == 0)
		log->o.fsync_interval_ms = 1000;
	/* ALWAYS promises every acknowledged record on disk: no batching. */
	if (log->o.fsync != AUDITLOG_FSYNC_ALWAYS)
		log->batch = opts->batch_bytes < AUDITLOG_BATCH_MAX ? opts->batch_bytes :
		    AUDITLOG_BATCH_MAX;
	memcpy(log->hash, audit_zero_hash, sizeof(audit_zero_hash));
	log->bufsz = 4096;
	if ((log->path = strdup(opts->path)) == NULL ||
	    asprintf(&log->tmp_path, "%s.tmp", opts->path) < 0)
		log->tmp_path = NULL;
	if (log->tmp_path == NULL || (log->buf = malloc(log->bufsz)) == NULL ||
	    audit_hasher_init(&log->h) < 0) {
		fail_errno(err, errlen, opts->path, "init");
		goto bad;
	}
	log->o.path = log->path;
	if (open_dir(log, err, errlen) < 0)
		goto bad;
	clean_rotation(log);
	if (open_current(log, err, errlen) < 0 || recover(log, err, errlen) < 0)
		goto bad;
	fsync(log->dirfd);
	log->synced_ms = audit_clock_ms(CLOCK_MONOTONIC);
	auditlog_retention(log);	/* a failure keeps files, never records */
	return log;
bad:
	auditlog_close(log);
	return NULL;
}

int
auditlog_sync(struct auditlog *log)
{
	int e = log->sync_errno;

	log->sync_errno = 0;
	if (flush_pending(log) < 0)
		e = errno;	/* still sync what did reach the file */
	if (log->dirty) {
		if (fdatasync(log->fd) < 0)
			e = errno;
		else
			log->dirty = false;
		log->synced_ms = audit_clock_ms(CLOCK_MONOTONIC);
	}
	if (e != 0) {
		errno = e;
		return -1;
	}
	return 0;
}

int
auditlog_sync_due_ms(const struct auditlog *log)
{
	int64_t left;

	if (log->pend > 0)
		return 0;
	if (log->o.fsync != AUDITLOG_FSYNC_BATCH || !log->dirty)
		return -1;
	left = log->synced_ms + log->o.fsync_interval_ms -
	    audit_clock_ms(CLOCK_MONOTONIC);
	return left < 0 ? 0 : (int)left;
}

int
auditlog_set_enforcement(struct auditlog *log, const char *mode)
{
	char *m = mode != NULL ? strdup(mode) : NULL;

	if (mode != NULL && m == NULL)
		return -1;
	free(log->enforcement);
	log->enforcement = m;
	return 0;
}

uint64_t
auditlog_last_seq(const struct auditlog *log)
{
	return log->seq;
}

const char *
auditlog_last_hash(const struct auditlog *log)
{
	return log->hash;
}

void
auditlog_close(struct auditlog *log)
{
	if (log == NULL)
		return;
	if (log->fd >= 0) {
		flush_pending(log);	/* what the file refuses now is lost */
		if (log->dirty && log->o.fsync != AUDITLOG_FSYNC_NEVER)
			fdatasync(log->fd);
		close(log->fd);
	}
	if (log->dirfd >= 0)
		close(log->dirfd);	/* drops the lock */
	audit_hasher_free(&log->h);
	free(log->buf);
	free(log->enforcement);
	free(log->tmp_path);
	free(log->path);
	free(log);
}

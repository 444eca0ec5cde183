/* SPDX-License-Identifier: MIT */
/*
 * The audit log writer and verifier: JSON lines chained by SHA-256.
 *
 * A record's canonical form is its compact JSON without the "hash" member;
 * the writer prints exactly that (prev_hash last), hashes it, and replaces
 * the closing brace by ,"hash":"<hex>"}. So the hashed bytes are the line
 * minus its last 75 bytes, plus "}", and verification never re-serializes.
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

#include <openssl/evp.h>

#include "auditlog.h"
#include "auditquery.h"

#define SUFFIX_LEN 75			/* ,"hash":"<64 hex>"} */
#define RECOVER_MAX_DROP (1024 * 1024)	/* most garbage a crash can explain */
#define SEQ_MAX (1ULL << 53)		/* exact in a JSON number (double) */

static const char zero_hash[AUDITLOG_HASH_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct hasher {
	EVP_MD *md;
	EVP_MD_CTX *ctx;
};

struct auditlog {
	struct auditlog_opts o;
	char *path, *tmp_path, *enforcement;
	int fd, dirfd;
	uint64_t size, seq, rotate_retry_at;
	char hash[AUDITLOG_HASH_HEX + 1];
	struct hasher h;
	char *buf;
	size_t bufsz, len;
	bool dirty, wedged;
	int64_t synced_ms;
	int sync_errno;
};

/* A parsed line and the members the chain is made of. */
struct line_rec {
	cJSON *rec;
	uint64_t seq;
	const char *prev, *hash, *event;
};

static int
hasher_init(struct hasher *h)
{
	/* Fetch once: an implicit fetch per EVP_DigestInit costs a lookup. */
	h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	h->ctx = EVP_MD_CTX_new();
	return h->md != NULL && h->ctx != NULL ? 0 : -1;
}

static void
hasher_free(struct hasher *h)
{
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->md);
}

/* Lowercase hex SHA-256 of a || b. */
static int
hash2(struct hasher *h, const void *a, size_t alen, const void *b, size_t blen,
      char out[AUDITLOG_HASH_HEX + 1])
{
	static const char hx[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0;

	if (!EVP_DigestInit_ex(h->ctx, h->md, NULL) ||
	    !EVP_DigestUpdate(h->ctx, a, alen) ||
	    (blen > 0 && !EVP_DigestUpdate(h->ctx, b, blen)) ||
	    !EVP_DigestFinal_ex(h->ctx, md, &n) || n != sizeof(md))
		return -1;
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[AUDITLOG_HASH_HEX] = '\0';
	return 0;
}

static bool
is_hash(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!(s[i] >= '0' && s[i] <= '9') && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return i == AUDITLOG_HASH_HEX;
}

/*
 * The members the chain relies on appear once (parsers disagree on which
 * duplicate wins), seq is an exact positive integer, hashes are hex.
 */
static int
record_shape(struct line_rec *lr)
{
	static const char *const keys[] = { "timestamp", "seq", "event", "prev_hash", "hash" };
	int count[5] = { 0 };
	const cJSON *it, *seq = NULL;

	cJSON_ArrayForEach(it, lr->rec)
		for (int k = 0; k < 5; k++)
			if (strcmp(it->string, keys[k]) == 0) {
				count[k]++;
				if (k == 1)
					seq = it;
				else if (k == 2)
					lr->event = cJSON_GetStringValue(it);
				else if (k == 3)
					lr->prev = cJSON_GetStringValue(it);
				else if (k == 4)
					lr->hash = cJSON_GetStringValue(it);
			}
	for (int k = 0; k < 5; k++)
		if (count[k] > 1)
			return -1;
	if (!cJSON_IsNumber(seq) || seq->valuedouble < 1 ||
	    seq->valuedouble > (double)SEQ_MAX ||
	    seq->valuedouble != (double)(uint64_t)seq->valuedouble)
		return -1;
	lr->seq = (uint64_t)seq->valuedouble;
	return lr->prev != NULL && lr->hash != NULL && is_hash(lr->prev) &&
	    is_hash(lr->hash) ? 0 : -1;
}

/* Checks that need no neighbour. NULL, or the reason the line fails them. */
static const char *
line_check(struct hasher *h, const char *line, size_t len, struct line_rec *lr)
{
	char hex[AUDITLOG_HASH_HEX + 1];
	const char *sfx = line + len - SUFFIX_LEN;

	memset(lr, 0, sizeof(*lr));
	if ((lr->rec = audit_parse_line(line, len)) == NULL)
		return "unparsable line";
	/* hash must be the last member, written exactly as the writer does. */
	if (record_shape(lr) < 0 || len < SUFFIX_LEN + 2 ||
	    memcmp(sfx, ",\"hash\":\"", 9) != 0 ||
	    memcmp(sfx + 9, lr->hash, AUDITLOG_HASH_HEX) != 0 ||
	    memcmp(sfx + 9 + AUDITLOG_HASH_HEX, "\"}", 2) != 0)
		return "malformed record";
	if (hash2(h, line, len - SUFFIX_LEN, "}", 1, hex) < 0)
		return "hash unavailable";
	if (memcmp(hex, lr->hash, AUDITLOG_HASH_HEX) != 0)
		return "hash mismatch";
	return NULL;
}

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
		why = line_check(h, buf + start, end - 1 - start, &lr);
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

static int64_t
clock_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The serializer. cJSON's printer formats every number with "%1.15g" and
 * reads it back with sscanf, which alone halves the throughput; this one
 * prints integers directly, and writes the chain's members without ever
 * touching the caller's object. Escaping follows cJSON: ", \, \b \f \n \r
 * \t and other bytes below 0x20 as \u00xx, UTF-8 verbatim.
 */
static bool
room(struct auditlog *log, size_t n)
{
	size_t cap = log->bufsz;
	char *nb;

	if (log->len + n + SUFFIX_LEN + 1 <= cap)
		return true;
	while (cap < log->len + n + SUFFIX_LEN + 1)
		cap *= 2;
	if (cap > 2 * AUDITLOG_RECORD_MAX || (nb = realloc(log->buf, cap)) == NULL) {
		errno = cap > 2 * AUDITLOG_RECORD_MAX ? EMSGSIZE : ENOMEM;
		return false;
	}
	log->buf = nb;
	log->bufsz = cap;
	return true;
}

static int
put(struct auditlog *log, const char *s, size_t n)
{
	if (!room(log, n))
		return -1;
	memcpy(log->buf + log->len, s, n);
	log->len += n;
	return 0;
}

/*
 * ASCII copied as it is: not below 0x20, not '"', not '\\'. Eight bytes at
 * a time (SWAR): a byte needs care if it is < 0x20, >= 0x80, '"' or '\\'.
 */
static size_t
plain_run(const unsigned char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	size_t k = 0;

	for (; k + 8 <= n; k += 8) {
		uint64_t w, ctl, quo, bsl;

		memcpy(&w, s + k, 8);
		ctl = (w - ones * 0x20) & ~w;
		quo = ((w ^ (ones * '"')) - ones) & ~(w ^ (ones * '"'));
		bsl = ((w ^ (ones * '\\')) - ones) & ~(w ^ (ones * '\\'));
		if (((ctl | quo | bsl | w) & high) != 0)
			break;
	}
	for (; k < n && s[k] >= 0x20 && s[k] < 0x80 && s[k] != '"' && s[k] != '\\'; k++)
		;
	return k;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), 0 if there is none. */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	uint32_t cp = c & (0x7f >> n);

	if (c < 0xc2 || c > 0xf4)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * A JSON string. Bytes that are not UTF-8 (a kernel path can hold any)
 * become U+FFFD, so every line is valid JSON for every reader.
 */
static int
put_str(struct auditlog *log, const char *str)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), k;
	char *p;

	if (!room(log, 6 * n + 2))
		return -1;
	p = log->buf + log->len;
	*p++ = '"';
	for (;;) {
		/* Runs of plain bytes are copied at once: most strings are one run. */
		k = plain_run(s, n - (size_t)(s - (const unsigned char *)str));
		memcpy(p, s, k);
		p += k;
		s += k;
		if (*s == '\0')
			break;
		if (*s >= 0x80) {
			if ((k = utf8_len(s)) == 0) {
				memcpy(p, "\xef\xbf\xbd", 3);
				k = 1;
				p += 3;
			} else {
				memcpy(p, s, k);
				p += k;
			}
			s += k;
			continue;
		}
		*p++ = '\\';
		switch (*s) {
		case '"': *p++ = '"'; break;
		case '\\': *p++ = '\\'; break;
		case '\b': *p++ = 'b'; break;
		case '\f': *p++ = 'f'; break;
		case '\n': *p++ = 'n'; break;
		case '\r': *p++ = 'r'; break;
		case '\t': *p++ = 't'; break;
		default:
			memcpy(p, "u00", 3);
			p[3] = hx[*s >> 4];
			p[4] = hx[*s & 15];
			p += 5;
		}
		s++;
	}
	*p++ = '"';
	log->len = (size_t)(p - log->buf);
	return 0;
}

static int
put_u64(struct auditlog *log, uint64_t v, bool neg)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	if (neg)
		*--p = '-';
	return put(log, p, (size_t)(tmp + sizeof(tmp) - p));
}

static int
put_num(struct auditlog *log, double d)
{
	char tmp[32];
	int n;

	if (d != d || d > 1.7976931348623157e308 || d < -1.7976931348623157e308)
		return put(log, "null", 4);	/* NaN, inf: as cJSON prints them */
	if (d > -(double)SEQ_MAX && d < (double)SEQ_MAX && (double)(int64_t)d == d)
		return put_u64(log, (uint64_t)(d < 0 ? -d : d), d < 0);
	n = snprintf(tmp, sizeof(tmp), "%1.15g", d);
	if (strtod(tmp, NULL) != d)
		n = snprintf(tmp, sizeof(tmp), "%1.17g", d);
	return put(log, tmp, (size_t)n);
}

static int
put_value(struct auditlog *log, const cJSON *v, int depth)
{
	const cJSON *it;
	bool obj = cJSON_IsObject(v);

	switch (v->type & 0xff) {
	case cJSON_False: return put(log, "false", 5);
	case cJSON_True: return put(log, "true", 4);
	case cJSON_NULL: return put(log, "null", 4);
	case cJSON_Number: return put_num(log, v->valuedouble);
	case cJSON_String: return put_str(log, v->valuestring != NULL ? v->valuestring : "");
	case cJSON_Array:
	case cJSON_Object:
		break;
	default:	/* raw text could break the line or the JSON */
		errno = EINVAL;
		return -1;
	}
	if (depth > 32) {
		errno = EINVAL;
		return -1;
	}
	if (put(log, obj ? "{" : "[", 1) < 0)
		return -1;
	cJSON_ArrayForEach(it, v) {
		if ((it != v->child && put(log, ",", 1) < 0) ||
		    (obj && (it->string == NULL || put_str(log, it->string) < 0 ||
		    put(log, ":", 1) < 0)) || put_value(log, it, depth + 1) < 0)
			return -1;
	}
	return put(log, obj ? "}" : "]", 1);
}

static bool
key_is(const cJSON *it, const char *key)
{
	return it->string != NULL && it->string[0] == key[0] &&
	    strcmp(it->string, key) == 0;
}

/* Members only the log writes. */
static bool
owned(const cJSON *it)
{
	return key_is(it, "seq") || key_is(it, "prev_hash") || key_is(it, "hash");
}

/*
 * The canonical form: timestamp, seq, event, the caller's other members in
 * their order, enforcement if the log supplies it, prev_hash. Members the
 * log owns (seq, prev_hash, hash) are never taken from the caller.
 */
static int
serialize(struct auditlog *log, const cJSON *rec)
{
	const cJSON *it, *ts = NULL, *ev = NULL, *enf = NULL;
	char tbuf[AUDIT_TIME_LEN + 1];

	cJSON_ArrayForEach(it, rec) {
		if (key_is(it, "timestamp")) {
			if (ts != NULL || !cJSON_IsString(it))
				goto inval;
			ts = it;
		} else if (key_is(it, "event")) {
			if (ev != NULL || !cJSON_IsString(it) || it->valuestring[0] == '\0')
				goto inval;
			ev = it;
		} else if (key_is(it, "enforcement"))
			enf = it;
	}
	if (ev == NULL)
		goto inval;
	if (ts == NULL)
		audit_time_format(clock_ms(CLOCK_REALTIME), tbuf);
	log->len = 0;
	if (put(log, "{\"timestamp\":", 13) < 0 ||
	    put_str(log, ts != NULL ? ts->valuestring : tbuf) < 0 ||
	    put(log, ",\"seq\":", 7) < 0 || put_u64(log, log->seq + 1, false) < 0 ||
	    put(log, ",\"event\":", 9) < 0 || put_str(log, ev->valuestring) < 0)
		return -1;
	cJSON_ArrayForEach(it, rec) {
		if (it == ts || it == ev || owned(it))
			continue;
		if (it->string == NULL || put(log, ",", 1) < 0 ||
		    put_str(log, it->string) < 0 || put(log, ":", 1) < 0 ||
		    put_value(log, it, 1) < 0)
			return -1;
	}
	if (enf == NULL && log->enforcement != NULL &&
	    (put(log, ",\"enforcement\":", 15) < 0 || put_str(log, log->enforcement) < 0))
		return -1;
	if (put(log, ",\"prev_hash\":\"", 14) < 0 ||
	    put(log, log->hash, AUDITLOG_HASH_HEX) < 0 || put(log, "\"}", 2) < 0)
		return -1;
	return 0;
inval:
	errno = EINVAL;
	return -1;
}

/*
 * One write(2) for the whole line; a short write is continued, and if the
 * file then refuses (ENOSPC), the partial line is cut off again so the file
 * never holds half a record. If even that fails the log stays wedged:
 * nothing is appended after garbage.
 */
static int
write_line(struct auditlog *log, const char *p, size_t n)
{
	size_t done = 0;
	ssize_t w;
	int e;

	if (log->wedged) {
		if (ftruncate(log->fd, (off_t)log->size) < 0)
			return -1;
		log->wedged = false;
	}
	while (done < n) {
		if ((w = write(log->fd, p + done, n - done)) > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		e = w == 0 ? EIO : errno;
		if (done > 0 && ftruncate(log->fd, (off_t)log->size) < 0)
			log->wedged = true;
		errno = e;
		return -1;
	}
	return 0;
}

static void
policy_sync(struct auditlog *log)
{
	int64_t now;

	if (log->o.fsync == AUDITLOG_FSYNC_NEVER)
		return;
	now = clock_ms(CLOCK_MONOTONIC);
	if (log->o.fsync == AUDITLOG_FSYNC_BATCH &&
	    now - log->synced_ms < (int64_t)log->o.fsync_interval_ms)
		return;
	if (fdatasync(log->fd) < 0)
		log->sync_errno = errno;
	else
		log->dirty = false;
	log->synced_ms = now;
}

/* Append without rotating: the hot path, and the log's own records. */
static int
write_record(struct auditlog *log, const cJSON *rec, char **line_out)
{
	char hex[AUDITLOG_HASH_HEX + 1];
	size_t len, total;

	if (line_out != NULL)
		*line_out = NULL;
	if (!cJSON_IsObject(rec) || log->seq >= SEQ_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (serialize(log, rec) < 0)
		return -1;
	len = log->len;
	if (hash2(&log->h, log->buf, len, NULL, 0, hex) < 0) {
		errno = EIO;
		return -1;
	}
	/* room() kept SUFFIX_LEN + 1 spare bytes for this. */
	memcpy(log->buf + len - 1, ",\"hash\":\"", 9);
	memcpy(log->buf + len + 8, hex, AUDITLOG_HASH_HEX);
	memcpy(log->buf + len + 8 + AUDITLOG_HASH_HEX, "\"}\n", 3);
	total = len + SUFFIX_LEN;	/* "}" replaced by the suffix, plus "\n" */
	if (total > AUDITLOG_RECORD_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (write_line(log, log->buf, total) < 0)
		return -1;
	log->seq++;
	memcpy(log->hash, hex, sizeof(hex));
	log->size += total;
	log->dirty = true;
	if (line_out != NULL && (*line_out = strndup(log->buf, total - 1)) == NULL)
		errno = ENOMEM;	/* written anyway: the follower misses one line */
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
		rc = write_record(log, rec, NULL);
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
	if (log->o.max_bytes != 0 && log->size >= log->o.max_bytes &&
	    log->size >= log->rotate_retry_at && rotate(log) < 0)
		/* Keep logging into the big file; try again a bit later. */
		log->rotate_retry_at = log->size + log->o.max_bytes / 8 + 1;
	return write_record(log, rec, line_out);
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
	    hash2(&log->h, tail, size - keep, NULL, 0, dhash) < 0) {
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
	memcpy(log->hash, zero_hash, sizeof(zero_hash));
	log->bufsz = 4096;
	if ((log->path = strdup(opts->path)) == NULL ||
	    asprintf(&log->tmp_path, "%s.tmp", opts->path) < 0)
		log->tmp_path = NULL;
	if (log->tmp_path == NULL || (log->buf = malloc(log->bufsz)) == NULL ||
	    hasher_init(&log->h) < 0) {
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
	log->synced_ms = clock_ms(CLOCK_MONOTONIC);
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
	if (log->dirty) {
		if (fdatasync(log->fd) < 0)
			e = errno;
		else
			log->dirty = false;
		log->synced_ms = clock_ms(CLOCK_MONOTONIC);
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

	if (log->o.fsync != AUDITLOG_FSYNC_BATCH || !log->dirty)
		return -1;
	left = log->synced_ms + log->o.fsync_interval_ms - clock_ms(CLOCK_MONOTONIC);
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
		if (log->dirty && log->o.fsync != AUDITLOG_FSYNC_NEVER)
			fdatasync(log->fd);
		close(log->fd);
	}
	if (log->dirfd >= 0)
		close(log->dirfd);	/* drops the lock */
	hasher_free(&log->h);
	free(log->buf);
	free(log->enforcement);
	free(log->tmp_path);
	free(log->path);
	free(log);
}

/*
 * Verification: a state machine over lines, fed from the files or a buffer.
 * The chain's start is checked last: when the oldest records were removed
 * by retention, the newest audit_retention record names the last removed
 * seq and hash, and the first remaining record must continue from them.
 */
struct vstate {
	struct hasher h;
	struct auditlog_verify_result *res;
	bool started, probing, have_anchor;
	uint64_t expect, anchor_seq;
	char prev[AUDITLOG_HASH_HEX + 1], first_prev[AUDITLOG_HASH_HEX + 1];
	char anchor_hash[AUDITLOG_HASH_HEX + 1];
	char first_file[PATH_MAX];
	unsigned long first_line;
};

static int
broken(struct vstate *v, const char *file, unsigned long line, uint64_t seq,
       const char *why)
{
	struct auditlog_verify_result *r = v->res;

	r->broken = true;
	r->anchored = false;
	snprintf(r->file, sizeof(r->file), "%s", file);
	r->line = line;
	r->seq = seq;
	snprintf(r->reason, sizeof(r->reason), "%s", why);
	return 1;
}

/* After a seq gap: if the missing seq shows up later, records were moved, not removed. */
static int
probe(struct vstate *v, const char *line, size_t len)
{
	cJSON *rec = audit_parse_line(line, len);
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(rec, "seq");
	int rc = 0;

	if (cJSON_IsNumber(seq) && seq->valuedouble == (double)v->expect) {
		snprintf(v->res->reason, sizeof(v->res->reason), "seq out of order");
		rc = 1;
	}
	cJSON_Delete(rec);
	return rc;
}

static void
take_anchor(struct vstate *v, const cJSON *rec)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(rec, "details");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(d, "removed_through_seq");
	const char *h = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d,
	    "removed_last_hash"));

	if (cJSON_IsNumber(s) && s->valuedouble >= 1 && s->valuedouble <= (double)SEQ_MAX &&
	    h != NULL && is_hash(h)) {
		v->have_anchor = true;
		v->anchor_seq = (uint64_t)s->valuedouble;
		memcpy(v->anchor_hash, h, sizeof(v->anchor_hash));
	}
}

static int
verify_line(const char *file, unsigned long lineno, const char *line, size_t len,
	    bool torn, bool last_file, void *arg)
{
	struct vstate *v = arg;
	struct auditlog_verify_result *r = v->res;
	struct line_rec lr;
	const char *why;
	int rc = 0;

	if (v->probing)
		return probe(v, line, len);
	if (torn && last_file) {	/* a crash, or a write in progress */
		r->torn_bytes = len;
		return 0;
	}
	if ((why = line_check(&v->h, line, len, &lr)) != NULL)
		rc = broken(v, file, lineno, lr.seq != 0 ? lr.seq : v->expect, why);
	else if (!v->started) {
		v->started = true;
		r->first_seq = lr.seq;
		memcpy(v->first_prev, lr.prev, sizeof(v->first_prev));
		snprintf(v->first_file, sizeof(v->first_file), "%s", file);
		v->first_line = lineno;
		if (lr.seq == 1 && strcmp(lr.prev, zero_hash) != 0)
			rc = broken(v, file, lineno, lr.seq, "prev_hash mismatch");
	} else if (lr.seq < v->expect) {
		rc = broken(v, file, lineno, lr.seq, "seq out of order");
	} else if (lr.seq > v->expect) {
		broken(v, file, lineno, lr.seq, "seq gap");
		v->probing = true;
	} else if (strcmp(lr.prev, v->prev) != 0) {
		rc = broken(v, file, lineno, lr.seq, "prev_hash mismatch");
	}
	if (!r->broken) {
		r->verified++;
		r->last_seq = lr.seq;
		memcpy(r->last_hash, lr.hash, sizeof(r->last_hash));
		memcpy(v->prev, lr.hash, sizeof(v->prev));
		v->expect = lr.seq + 1;
		if (lr.event != NULL && strcmp(lr.event, "audit_retention") == 0)
			take_anchor(v, lr.rec);
	}
	cJSON_Delete(lr.rec);
	return rc;
}

static int
verify_finish(struct vstate *v)
{
	struct auditlog_verify_result *r = v->res;

	if (r->broken || !v->started)
		return r->broken ? 1 : 0;
	if (r->first_seq == 1) {
		r->anchored = true;
	} else if (!v->have_anchor || v->anchor_seq + 1 < r->first_seq) {
		/* Records before the first one are gone and no retention accounts for them. */
		broken(v, v->first_file, v->first_line, r->first_seq, "seq gap");
	} else if (v->anchor_seq + 1 == r->first_seq &&
	    strcmp(v->anchor_hash, v->first_prev) != 0) {
		broken(v, v->first_file, v->first_line, r->first_seq, "prev_hash mismatch");
	} else {
		r->anchored = true;	/* anchored, or removal announced but not done yet */
	}
	return r->broken ? 1 : 0;
}

static int
vstate_init(struct vstate *v, struct auditlog_verify_result *res)
{
	memset(v, 0, sizeof(*v));
	memset(res, 0, sizeof(*res));
	v->res = res;
	v->expect = 1;
	if (hasher_init(&v->h) < 0) {
		hasher_free(&v->h);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* The newest rotated file's name: it changes when the writer rotates or removes. */
static uint64_t
files_epoch(const char *path)
{
	struct audit_files f;
	uint64_t e = 0;

	if (audit_files_list(path, &f) == 0) {
		e = f.n > (f.has_current ? 1u : 0u) ? f.last_seq[f.n - 1 - f.has_current] : 0;
		e = e * 1000003 + f.n;
		audit_files_free(&f);
	}
	return e;
}

int
auditlog_verify(const char *path, struct auditlog_verify_result *res)
{
	struct vstate v;
	uint64_t epoch;
	int rc, tries = 0;

	/* A rotation during the walk looks like a gap: walk again, a few times. */
	do {
		epoch = files_epoch(path);
		if (vstate_init(&v, res) < 0)
			return -1;
		rc = audit_files_each_line(path, verify_line, &v);
		if (rc >= 0)
			rc = verify_finish(&v);
		hasher_free(&v.h);
	} while (rc == 1 && ++tries < 3 && files_epoch(path) != epoch);
	return rc;
}

int
auditlog_verify_buf(const char *buf, size_t len, const char *name,
		    struct auditlog_verify_result *res)
{
	struct vstate v;
	unsigned long lineno = 0;
	const char *p = buf, *end = buf + len, *nl;
	int rc = 0;

	if (vstate_init(&v, res) < 0)
		return -1;
	while (rc == 0 && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		rc = verify_line(name, ++lineno, p, nl != NULL ? (size_t)(nl - p) :
		    (size_t)(end - p), nl == NULL, true, &v);
		p = nl != NULL ? nl + 1 : end;
	}
	rc = verify_finish(&v);
	hasher_free(&v.h);
	return rc;
}

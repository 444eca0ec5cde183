/* SPDX-License-Identifier: MIT */
/*
 * The audit log's record format: the hasher, the check of one line against
 * its own hash, and the serializer of the canonical form. audit_int.h says
 * what the canonical form is; docs/audit-format.md is the reference.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_int.h"
#include "auditlog.h"
#include "auditquery.h"
#include "util/util.h"

const char audit_zero_hash[AUDITLOG_HASH_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

int
audit_hasher_init(struct hasher *h)
{
	h->unused = 0;
	return 0;
}

void
audit_hasher_free(struct hasher *h)
{
	(void)h;
}

/* Lowercase hex SHA-256 of a || b. */
int
audit_hash2(struct hasher *h, const void *a, size_t alen, const void *b, size_t blen,
	    char out[AUDITLOG_HASH_HEX + 1])
{
	unsigned char md[SHA256_BYTES];
	struct sha256 c;

	(void)h;
	sha256_init(&c);
	sha256_update(&c, a, alen);
	sha256_update(&c, b, blen);
	sha256_final(&c, md);
	sha256_hex(md, out);
	return 0;
}

bool
audit_is_hash(const char *s)
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
	return lr->prev != NULL && lr->hash != NULL && audit_is_hash(lr->prev) &&
	    audit_is_hash(lr->hash) ? 0 : -1;
}

/* Checks that need no neighbour. NULL, or the reason the line fails them. */
const char *
audit_line_check(struct hasher *h, const char *line, size_t len, struct line_rec *lr)
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
	if (audit_hash2(h, line, len - SUFFIX_LEN, "}", 1, hex) < 0)
		return "hash unavailable";
	if (memcmp(hex, lr->hash, AUDITLOG_HASH_HEX) != 0)
		return "hash mismatch";
	return NULL;
}

/*
 * The serializer. cJSON's printer formats every number with "%1.15g" and
 * reads it back with sscanf, which alone halves the throughput; this one
 * prints integers directly, and writes the chain's members without ever
 * touching the caller's object. Escaping is textesc.h's "bytes" mode.
 */
static bool
grow(struct auditlog *log, size_t n)
{
	size_t need = log->pend + log->len + n + SUFFIX_LEN + 1, cap = log->bufsz;
	char *nb;

	/* The record's own bound; pending records before it do not count. */
	if (log->len + n + SUFFIX_LEN + 1 > 2 * AUDITLOG_RECORD_MAX) {
		errno = EMSGSIZE;
		return false;
	}
	while (cap < need)
		cap *= 2;
	if ((nb = realloc(log->buf, cap)) == NULL) {
		errno = ENOMEM;
		return false;
	}
	log->buf = nb;
	log->bufsz = cap;
	return true;
}

static inline bool
room(struct auditlog *log, size_t n)
{
	return log->pend + log->len + n + SUFFIX_LEN + 1 <= log->bufsz || grow(log, n);
}

static inline int
put(struct auditlog *log, const char *s, size_t n)
{
	if (!room(log, n))
		return -1;
	memcpy(log->buf + log->pend + log->len, s, n);
	log->len += n;
	return 0;
}

/*
 * Copy the run of plain bytes at s to p and return its length: ASCII as it
 * is, not below 0x20, not DEL, not '"', not '\\'. Eight bytes at a time (SWAR), read,
 * checked and stored in one pass: a byte needs care if it is < 0x20,
 * 0x7f, >= 0x80, '"' or '\\'. n bounds the reads (the string's length).
 */
static inline size_t
copy_plain(char *p, const unsigned char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	size_t k = 0;

	for (; k + 8 <= n; k += 8) {
		uint64_t w, ctl, quo, bsl, del;

		memcpy(&w, s + k, 8);
		ctl = (w - ones * 0x20) & ~w;
		quo = ((w ^ (ones * '"')) - ones) & ~(w ^ (ones * '"'));
		bsl = ((w ^ (ones * '\\')) - ones) & ~(w ^ (ones * '\\'));
		del = ((w ^ (ones * 0x7f)) - ones) & ~(w ^ (ones * 0x7f));
		if (((ctl | quo | bsl | del | w) & high) != 0)
			break;
		memcpy(p + k, &w, 8);
	}
	for (; k < n && s[k] >= 0x20 && s[k] < 0x7f && s[k] != '"' && s[k] != '\\'; k++)
		p[k] = (char)s[k];
	return k;
}

/*
 * A JSON string in the "bytes" encoding of textesc.h: a kernel path can
 * hold any byte, and every line stays valid UTF-8 JSON that a terminal
 * cannot be driven by. A byte that is not UTF-8 becomes the text \xNN (a
 * backslash that would read as one, \x5c): lossless, and the line is hashed
 * as written, so `audit verify` needs nothing more.
 */
static int
put_str(struct auditlog *log, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), k;
	char *p;

	if (!room(log, JSON_ESCAPE_MAX(n) + 2))
		return -1;
	p = log->buf + log->pend + log->len;
	*p++ = '"';
	for (;;) {
		/* Runs of plain bytes are copied at once: most strings are one run. */
		k = copy_plain(p, s, n - (size_t)(s - (const unsigned char *)str));
		p += k;
		s += k;
		if (*s == '\0')
			break;
		p += json_escape_char(p, s, &k, true);
		s += k;
	}
	*p++ = '"';
	log->len = (size_t)(p - log->buf) - log->pend;
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
	bool obj = (v->type & 0xff) == cJSON_Object;

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
int
audit_serialize(struct auditlog *log, const cJSON *rec)
{
	const cJSON *it, *ts = NULL, *ev = NULL, *enf = NULL;
	char tbuf[RFC3339_MS_LEN + 1];

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
		format_rfc3339_ms(audit_clock_ms(CLOCK_REALTIME), tbuf);
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

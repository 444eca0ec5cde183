/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the audit record serializer's string escaping and
 * the batched writer. The input is raw bytes: "key\0value" (a missing NUL
 * gives an empty value), any byte allowed, as a kernel path can hold. The
 * record {"event":..., key: value} is appended to a batched log; every
 * fourth input asks for the line back (a flush point). The line must hold
 * exactly the reference escaping of key and value (written here, apart
 * from the serializer: RFC 8259 escapes, RFC 3629 UTF-8, each other byte
 * as U+FFFD) and parse back; every 64 appends the log is flushed and must
 * verify.
 */
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auditlog.h"
#include "auditquery.h"

static char dir[64], path[128];
static struct auditlog *alog;
static unsigned long appended;

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void
cleanup(void)
{
	auditlog_close(alog);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static size_t
ref_utf8(const unsigned char *s)
{
	uint32_t cp;
	size_t n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

static char *
ref_json(const char *str)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	char *out = malloc(6 * strlen(str) + 3), *p = out;

	if (out == NULL)
		abort();
	*p++ = '"';
	while (*s != '\0') {
		size_t n;

		switch (*s) {
		case '"': case '\\': *p++ = '\\'; *p++ = (char)*s; break;
		case '\b': *p++ = '\\'; *p++ = 'b'; break;
		case '\f': *p++ = '\\'; *p++ = 'f'; break;
		case '\n': *p++ = '\\'; *p++ = 'n'; break;
		case '\r': *p++ = '\\'; *p++ = 'r'; break;
		case '\t': *p++ = '\\'; *p++ = 't'; break;
		default:
			if (*s < 0x20) {
				memcpy(p, "\\u00", 4);
				p[4] = hx[*s >> 4];
				p[5] = hx[*s & 15];
				p += 6;
			} else if (*s < 0x80) {
				*p++ = (char)*s;
			} else if ((n = ref_utf8(s)) > 0) {
				memcpy(p, s, n);
				p += n;
				s += n;
				continue;
			} else {
				memcpy(p, "\xef\xbf\xbd", 3);
				p += 3;
			}
		}
		s++;
	}
	*p++ = '"';
	*p = '\0';
	return out;
}

static void
open_log(void)
{
	struct auditlog_opts o = { .path = path, .max_bytes = 256 * 1024, .max_files = 2,
		.fsync = AUDITLOG_FSYNC_NEVER, .batch_bytes = 8192 };
	char err[256];

	snprintf(dir, sizeof(dir), "/tmp/fuzz_auditfmt.%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/audit.jsonl", dir);
	if ((alog = auditlog_open(&o, err, sizeof(err))) == NULL)
		abort();
	atexit(cleanup);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auditlog_verify_result res;
	char *buf, *key, *val, *line = NULL, *want, *got;
	bool ask;
	cJSON *rec, *back;

	if (size > 64 * 1024)
		return 0;
	if (alog == NULL)
		open_log();
	/* key\0value\0, both NUL-terminated whatever the input. */
	if ((buf = calloc(1, size + 2)) == NULL)
		return 0;
	memcpy(buf, data, size);
	key = buf;
	val = buf + strlen(buf) + 1;
	ask = appended % 4 == 0;
	rec = cJSON_CreateObject();
	if (rec == NULL || cJSON_AddStringToObject(rec, "event", "file_access") == NULL ||
	    cJSON_AddStringToObject(rec, key, val) == NULL)
		abort();
	if (auditlog_append(alog, rec, ask ? &line : NULL) != 0) {
		/* Only the log's own members and oversized records are refused. */
		if (errno != EINVAL && errno != EMSGSIZE)
			abort();
		if (errno == EINVAL && strcmp(key, "timestamp") != 0 && strcmp(key, "event") != 0)
			abort();
		goto out;
	}
	appended++;
	if (ask) {
		if (line == NULL || (back = audit_parse_line(line, strlen(line))) == NULL)
			abort();
		cJSON_Delete(back);
		if (auditlog_pending(alog) != 0)
			abort();	/* a line handed out is in the file */
		/* The members the log owns are not the caller's: no check there. */
		if (strcmp(key, "seq") != 0 && strcmp(key, "prev_hash") != 0 &&
		    strcmp(key, "hash") != 0 && strcmp(key, "event") != 0 &&
		    strcmp(key, "timestamp") != 0) {
			char *wk = ref_json(key);

			want = ref_json(val);
			got = strstr(line, ",\"prev_hash\":\"");
			/* ...,"key":"value","prev_hash": the member just before the chain's. */
			if (got == NULL || (size_t)(got - line) < strlen(want) + strlen(wk) + 1 ||
			    memcmp(got - strlen(want), want, strlen(want)) != 0 ||
			    got[-(long)strlen(want) - 1] != ':' ||
			    memcmp(got - strlen(want) - 1 - strlen(wk), wk, strlen(wk)) != 0)
				abort();
			free(wk);
			free(want);
		}
	}
	if (appended % 64 == 0) {
		if (auditlog_flush(alog) != 0 || auditlog_verify(path, &res) != 0 ||
		    res.broken || res.torn_bytes != 0 || res.last_seq != auditlog_last_seq(alog))
			abort();
	}
out:
	free(line);
	cJSON_Delete(rec);
	free(buf);
	return 0;
}

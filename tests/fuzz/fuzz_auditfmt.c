/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the audit record serializer's string escaping and
 * the batched writer. The input is raw bytes: "key\0value" (a missing NUL
 * gives an empty value), any byte allowed, as a kernel path can hold. The
 * record {"event":..., key: value} is appended to a batched log; every
 * fourth input asks for the line back (a flush point). The line must hold
 * exactly the reference escaping of key and value (written here, apart
 * from the serializer: RFC 8259 escapes, RFC 3629 UTF-8, each other byte
 * as the text \xNN, a backslash that reads as one as \x5c, controls, DEL,
 * C1 and format characters as \u escapes), be valid UTF-8 JSON with no raw
 * control byte whatever the input, parse back, and give back the exact
 * value once its \xNN escapes are decoded; raggedctl's printer (json_print)
 * of the parsed record must print the same values, valid UTF-8 too. Every 64
 * appends the log is flushed and must verify.
 */
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "util/util.h"

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
ref_utf8(const unsigned char *s, uint32_t *cpo)
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
	*cpo = cp;
	return n;
}

static bool
ref_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char *
ref_json(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	char *out = malloc(6 * strlen(str) + 3), *p = out;

	if (out == NULL)
		abort();
	*p++ = '"';
	while (*s != '\0') {
		uint32_t cp;
		size_t n;

		switch (*s) {
		case '"': *p++ = '\\'; *p++ = '"'; break;
		case '\\':
			if (s[1] == 'x' && ref_hex(s[2]) && ref_hex(s[3]))
				p += sprintf(p, "\\\\x5c");
			else
				*p++ = '\\', *p++ = '\\';
			break;
		case '\b': *p++ = '\\'; *p++ = 'b'; break;
		case '\f': *p++ = '\\'; *p++ = 'f'; break;
		case '\n': *p++ = '\\'; *p++ = 'n'; break;
		case '\r': *p++ = '\\'; *p++ = 'r'; break;
		case '\t': *p++ = '\\'; *p++ = 't'; break;
		default:
			if (*s < 0x20 || *s == 0x7f) {
				p += sprintf(p, "\\u%04x", *s);
			} else if (*s < 0x80) {
				*p++ = (char)*s;
			} else if ((n = ref_utf8(s, &cp)) > 0) {
				if (!text_cp_unsafe(cp))
					memcpy(p, s, n), p += n;
				else if (cp < 0x10000)
					p += sprintf(p, "\\u%04x", cp);
				else
					p += sprintf(p, "\\u%04x\\u%04x", 0xd800 + ((cp - 0x10000) >> 10),
						     0xdc00 + ((cp - 0x10000) & 0x3ff));
				s += n;
				continue;
			} else {
				p += sprintf(p, "\\\\x%02x", *s);
			}
		}
		s++;
	}
	*p++ = '"';
	*p = '\0';
	return out;
}

/* Valid UTF-8 throughout, and no raw control byte (a line a terminal cannot be driven by). */
static void
check_text(const char *line)
{
	const unsigned char *s = (const unsigned char *)line;
	uint32_t cp;
	size_t n;

	while (*s != '\0') {
		if ((n = ref_utf8(s, &cp)) == 0) {
			if (*s >= 0x80 || *s < 0x20 || *s == 0x7f)
				abort();
			n = 1;
		} else if (text_cp_unsafe(cp)) {
			abort();
		}
		s += n;
	}
}

/* The value's \xNN escapes decoded: must be the bytes that went in. */
static void
check_lossless(const char *value, const char *want)
{
	size_t k = 0, wn = strlen(want);

	for (size_t i = 0; value[i] != '\0'; k++) {
		unsigned char b;

		if (value[i] == '\\' && value[i + 1] == 'x' && ref_hex((unsigned char)value[i + 2]) &&
		    ref_hex((unsigned char)value[i + 3])) {
			char hex[3] = { value[i + 2], value[i + 3], '\0' };

			b = (unsigned char)strtoul(hex, NULL, 16);
			i += 4;
		} else {
			b = (unsigned char)value[i++];
		}
		if (k >= wn || (unsigned char)want[k] != b)
			abort();
	}
	if (k != wn)
		abort();
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
		check_text(line);
		if (strcmp(key, "seq") != 0 && strcmp(key, "prev_hash") != 0 &&
		    strcmp(key, "hash") != 0 && strcmp(key, "event") != 0 &&
		    strcmp(key, "timestamp") != 0 && strcmp(key, "enforcement") != 0) {
			const cJSON *it;
			char *printed;

			/* The member whose name decodes to key holds what decodes to val. */
			cJSON_ArrayForEach(it, back) {
				if (it->string != NULL && cJSON_IsString(it) &&
				    strcmp(it->string, "event") != 0 && strcmp(it->string, "timestamp") != 0 &&
				    strcmp(it->string, "enforcement") != 0 && strcmp(it->string, "prev_hash") != 0 &&
				    strcmp(it->string, "hash") != 0) {
					check_lossless(it->string, key);
					check_lossless(it->valuestring, val);
				}
			}
			/* raggedctl prints what it parsed: the same values, still safe text. */
			if ((printed = json_print(back)) == NULL)
				abort();
			check_text(printed);
			{
				cJSON *again = cJSON_Parse(printed);

				if (again == NULL || !cJSON_Compare(again, back, 1))
					abort();
				cJSON_Delete(again);
			}
			free(printed);
		}
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

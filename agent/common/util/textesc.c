// SPDX-License-Identifier: MIT
/* Safe text and JSON from plugin-chosen bytes; textesc.h says what each encoding is. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textesc.h"

static const char hx[] = "0123456789abcdef";

size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c < 0xc2 || c > 0xf4)	/* continuation, overlong 2-byte lead, > U+10FFFF */
		return 0;
	n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	v = c & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL: truncated */
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10ffff)) ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;	/* overlong, beyond Unicode, surrogate */
	*cp = v;
	return n;
}

bool utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	size_t n;

	for (; *s; s += n)
		if ((n = utf8_decode(s, &cp)) == 0)
			return false;
	return true;
}

/*
 * Format characters (general category Cf, Unicode 15) and the line and
 * paragraph separators: invisible, and the bidi ones reorder what follows.
 */
static const uint32_t unsafe_ranges[][2] = {
	{ 0x80, 0x9f }, { 0xad, 0xad }, { 0x600, 0x605 }, { 0x61c, 0x61c }, { 0x6dd, 0x6dd },
	{ 0x70f, 0x70f }, { 0x890, 0x891 }, { 0x8e2, 0x8e2 }, { 0x180e, 0x180e },
	{ 0x200b, 0x200f }, { 0x2028, 0x202e }, { 0x2060, 0x2064 }, { 0x2066, 0x206f },
	{ 0xfeff, 0xfeff }, { 0xfff9, 0xfffb }, { 0x110bd, 0x110bd }, { 0x110cd, 0x110cd },
	{ 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a }, { 0xe0001, 0xe0001 },
	{ 0xe0020, 0xe007f },
};

bool text_cp_unsafe(uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7f)
		return true;
	if (cp < 0x80)
		return false;
	for (size_t i = 0; i < sizeof(unsafe_ranges) / sizeof(unsafe_ranges[0]); i++)
		if (cp >= unsafe_ranges[i][0] && cp <= unsafe_ranges[i][1])
			return true;
	return false;
}

/* The text escape of the character at s into e (at most 11 bytes); its length. */
static size_t text_char(char *e, const unsigned char *s, size_t *used)
{
	uint32_t cp;
	size_t n = utf8_decode(s, &cp);

	*used = n ? n : 1;
	if (n == 0)
		return (size_t)sprintf(e, "\\x%c%c", hx[s[0] >> 4], hx[s[0] & 15]);
	if (cp == '\\')
		return (size_t)sprintf(e, "\\\\");
	if (cp == '\n' || cp == '\r' || cp == '\t')
		return (size_t)sprintf(e, "\\%c", cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't');
	if (cp < 0x20 || cp == 0x7f)
		return (size_t)sprintf(e, "\\x%02x", (unsigned)cp);
	if (text_cp_unsafe(cp))
		return (size_t)sprintf(e, cp > 0xffff ? "\\U%08x" : "\\u%04x", (unsigned)cp);
	memcpy(e, s, n);
	return n;
}

char *text_escape_to(char *out, size_t outsz, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t k = 0, used, n;
	char e[16];

	if (outsz == 0)
		return out;
	for (; *s; s += used) {
		n = text_char(e, s, &used);
		if (k + n >= outsz)
			break;	/* a whole escape or nothing: no half sequence */
		memcpy(out + k, e, n);
		k += n;
	}
	out[k] = '\0';
	return out;
}

char *text_escape(const char *s)
{
	size_t n;
	char *out;

	if (!s)
		return NULL;
	n = TEXT_ESCAPE_MAX(strlen(s));
	if ((out = malloc(n)) == NULL)
		return NULL;
	return text_escape_to(out, n, s);
}

static bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned hex_val(unsigned char c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

char *bytes_decode(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	char *out, *p;

	if (!str || (out = malloc(strlen(str) + 1)) == NULL)
		return NULL;
	for (p = out; *s;) {
		unsigned b;

		if (s[0] == '\\' && s[1] == 'x' && is_hex(s[2]) && is_hex(s[3]) &&
		    (b = hex_val(s[2]) << 4 | hex_val(s[3])) != 0) {
			*p++ = (char)b;
			s += 4;
		} else
			*p++ = (char)*s++;
	}
	*p = '\0';
	return out;
}

static size_t u_escape(char *p, uint32_t cp)
{
	p[0] = '\\';
	p[1] = 'u';
	p[2] = hx[cp >> 12 & 15];
	p[3] = hx[cp >> 8 & 15];
	p[4] = hx[cp >> 4 & 15];
	p[5] = hx[cp & 15];
	return 6;
}

size_t json_escape_char(char *p, const unsigned char *s, size_t *used, bool bytes)
{
	uint32_t cp;
	size_t n;

	*used = 1;
	switch (s[0]) {
	case '"': memcpy(p, "\\\"", 2); return 2;
	case '\\':
		/* In bytes mode "\xNN" is an escape: a backslash that reads as one is itself escaped. */
		if (bytes && s[1] == 'x' && is_hex(s[2]) && is_hex(s[3])) {
			memcpy(p, "\\\\x5c", 5);
			return 5;
		}
		memcpy(p, "\\\\", 2);
		return 2;
	case '\b': memcpy(p, "\\b", 2); return 2;
	case '\f': memcpy(p, "\\f", 2); return 2;
	case '\n': memcpy(p, "\\n", 2); return 2;
	case '\r': memcpy(p, "\\r", 2); return 2;
	case '\t': memcpy(p, "\\t", 2); return 2;
	}
	if ((n = utf8_decode(s, &cp)) == 0) {
		if (!bytes) {	/* callers pass only text here; never emit invalid JSON */
			memcpy(p, "\\ufffd", 6);
			return 6;
		}
		p[0] = '\\';
		p[1] = '\\';
		p[2] = 'x';
		p[3] = hx[s[0] >> 4];
		p[4] = hx[s[0] & 15];
		return 5;
	}
	*used = n;
	if (!text_cp_unsafe(cp)) {
		memcpy(p, s, n);
		return n;
	}
	if (cp <= 0xffff)
		return u_escape(p, cp);
	cp -= 0x10000;	/* a UTF-16 surrogate pair, as JSON spells what lies beyond the BMP */
	u_escape(p, 0xd800 | cp >> 10);
	return 6 + u_escape(p + 6, 0xdc00 | (cp & 0x3ff));
}

size_t json_escape_body(char *out, const char *str, size_t n, bool bytes)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + n;
	size_t k = 0, used;

	while (s < end) {
		if (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\') {
			out[k++] = (char)*s++;
			continue;
		}
		k += json_escape_char(out + k, s, &used, bytes);
		s += used;
	}
	return k;
}

/* A growing buffer for json_print. */
struct jbuf {
	char *p;
	size_t len, cap;
	bool failed;
	int err;	/* EINVAL: not printable as JSON; else out of memory */
};

static char *jb_room(struct jbuf *b, size_t n)
{
	if (b->failed)
		return NULL;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->failed = true;
			return NULL;
		}
		b->p = np;
		b->cap = cap;
	}
	return b->p + b->len;
}

static void jb_put(struct jbuf *b, const char *s, size_t n)
{
	char *p = jb_room(b, n);

	if (p) {
		memcpy(p, s, n);
		b->len += n;
	}
}

static void jb_str(struct jbuf *b, const char *s)
{
	size_t n = strlen(s);
	char *p = jb_room(b, JSON_ESCAPE_MAX(n) + 2);

	if (!p)
		return;
	*p++ = '"';
	p += json_escape_body(p, s, n, !utf8_valid(s));
	*p++ = '"';
	b->len = (size_t)(p - b->p);
}

/* Numbers as cJSON prints them: integers exactly, others with the shortest round trip. */
static void jb_num(struct jbuf *b, double d)
{
	char tmp[32];
	int n;

	if (d != d || d > 1.7976931348623157e308 || d < -1.7976931348623157e308)
		n = snprintf(tmp, sizeof(tmp), "null");
	else if (d > -9007199254740992.0 && d < 9007199254740992.0 && (double)(long long)d == d)
		n = snprintf(tmp, sizeof(tmp), "%lld", (long long)d);
	else if ((n = snprintf(tmp, sizeof(tmp), "%1.15g", d)) > 0 && strtod(tmp, NULL) != d)
		n = snprintf(tmp, sizeof(tmp), "%1.17g", d);
	jb_put(b, tmp, (size_t)n);
}

static void jb_value(struct jbuf *b, const cJSON *v, int depth)
{
	const cJSON *it;
	bool obj;

	if (depth > 64) {
		b->failed = true;
		b->err = EINVAL;
		return;
	}
	switch (v->type & 0xff) {
	case cJSON_False: jb_put(b, "false", 5); return;
	case cJSON_True: jb_put(b, "true", 4); return;
	case cJSON_NULL: jb_put(b, "null", 4); return;
	case cJSON_Number: jb_num(b, v->valuedouble); return;
	case cJSON_String: jb_str(b, v->valuestring ? v->valuestring : ""); return;
	case cJSON_Array: obj = false; break;
	case cJSON_Object: obj = true; break;
	default:	/* raw text: nothing says it is JSON */
		b->failed = true;
		b->err = EINVAL;
		return;
	}
	jb_put(b, obj ? "{" : "[", 1);
	cJSON_ArrayForEach(it, v) {
		if (it != v->child)
			jb_put(b, ",", 1);
		if (obj) {
			jb_str(b, it->string ? it->string : "");
			jb_put(b, ":", 1);
		}
		jb_value(b, it, depth + 1);
	}
	jb_put(b, obj ? "}" : "]", 1);
}

char *json_print(const cJSON *v)
{
	struct jbuf b = { 0 };

	if (!v) {
		errno = EINVAL;
		return NULL;
	}
	jb_value(&b, v, 0);
	if (b.failed || !jb_room(&b, 0)) {
		free(b.p);
		errno = b.err ? b.err : ENOMEM;
		return NULL;
	}
	b.p[b.len] = '\0';
	return b.p;
}

// SPDX-License-Identifier: MIT
/* Values of Python string literals (pytokens.h); names are folded in pyident.c. */
#include "pytokens.h"

#include <stdint.h>
#include <string.h>

static void put(char *buf, size_t cap, size_t *n, char c)
{
	if (*n + 1 < cap)
		buf[*n] = c;
	(*n)++;
}

static void put_utf8(char *buf, size_t cap, size_t *n, uint32_t cp)
{
	if (cp < 0x80) {
		put(buf, cap, n, (char)cp);
	} else if (cp < 0x800) {
		put(buf, cap, n, (char)(0xc0 | cp >> 6));
		put(buf, cap, n, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		put(buf, cap, n, (char)(0xe0 | cp >> 12));
		put(buf, cap, n, (char)(0x80 | ((cp >> 6) & 0x3f)));
		put(buf, cap, n, (char)(0x80 | (cp & 0x3f)));
	} else {
		put(buf, cap, n, (char)(0xf0 | (cp >> 18 & 0x07)));
		put(buf, cap, n, (char)(0x80 | ((cp >> 12) & 0x3f)));
		put(buf, cap, n, (char)(0x80 | ((cp >> 6) & 0x3f)));
		put(buf, cap, n, (char)(0x80 | (cp & 0x3f)));
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

size_t pyt_string_value(const char *src, const struct pyt_token *t, char *buf, size_t cap)
{
	const char *p = src + t->body_off, *end = p + t->body_len;
	size_t n = 0;

	while (p < end) {
		if (*p != '\\' || (t->flags & PYT_STR_RAW) || p + 1 >= end) {
			put(buf, cap, &n, *p++);
			continue;
		}
		p++;
		switch (*p) {
		case 'n': put(buf, cap, &n, '\n'); p++; break;
		case 't': put(buf, cap, &n, '\t'); p++; break;
		case 'r': put(buf, cap, &n, '\r'); p++; break;
		case 'a': put(buf, cap, &n, '\a'); p++; break;
		case 'b': put(buf, cap, &n, '\b'); p++; break;
		case 'f': put(buf, cap, &n, '\f'); p++; break;
		case 'v': put(buf, cap, &n, '\v'); p++; break;
		case '\n': p++; break;
		case '\r': p += p + 1 < end && p[1] == '\n' ? 2 : 1; break;
		case 'x': case 'u': case 'U': {
			int want = *p == 'x' ? 2 : *p == 'u' ? 4 : 8, got = 0;
			uint32_t cp = 0;
			bool bytes_unicode = (t->flags & PYT_STR_BYTES) && *p != 'x';

			if (bytes_unicode) {
				put(buf, cap, &n, '\\');
				break;
			}
			p++;
			while (got < want && p < end && hexval(*p) >= 0) {
				cp = cp << 4 | (uint32_t)hexval(*p++);
				got++;
			}
			if (want == 2 || (t->flags & PYT_STR_BYTES))
				put(buf, cap, &n, (char)cp);
			else
				put_utf8(buf, cap, &n, cp > 0x10ffff ? 0xfffd : cp);
			break;
		}
		case 'N':
			if (p + 1 < end && p[1] == '{' && !(t->flags & PYT_STR_BYTES)) {
				while (p < end && *p != '}')
					p++;
				p += p < end;
				put(buf, cap, &n, '?');
				break;
			}
			put(buf, cap, &n, '\\');
			break;
		default:
			if (*p >= '0' && *p <= '7') {
				unsigned v = 0;

				for (int k = 0; k < 3 && p < end && *p >= '0' && *p <= '7'; k++)
					v = v * 8 + (unsigned)(*p++ - '0');
				if (t->flags & PYT_STR_BYTES)
					put(buf, cap, &n, (char)v);
				else
					put_utf8(buf, cap, &n, v);
			} else {
				/* \\ \' \" and unknown escapes (kept with their backslash). */
				if (*p != '\\' && *p != '\'' && *p != '"')
					put(buf, cap, &n, '\\');
				put(buf, cap, &n, *p++);
			}
		}
	}
	if (cap)
		buf[n < cap ? n : cap - 1] = '\0';
	return n;
}

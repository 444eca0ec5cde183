// SPDX-License-Identifier: MIT
/* Values of Python tokens (pytokens.h): string literals decoded, names NFKC-folded. */
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

/* NFKC for the compatibility characters that spell ASCII; NULL if none. */
static const char *fold_cp(uint32_t cp, char tmp[2])
{
	static const struct { uint32_t cp; const char *s; } table[] = {
		{ 0x00aa, "a" }, { 0x00ba, "o" }, { 0x02b0, "h" }, { 0x02b2, "j" }, { 0x02b3, "r" },
		{ 0x02b7, "w" }, { 0x02b8, "y" }, { 0x02e1, "l" }, { 0x02e2, "s" }, { 0x02e3, "x" },
		{ 0x1d43, "a" }, { 0x1d47, "b" }, { 0x1d48, "d" }, { 0x1d49, "e" }, { 0x1d4d, "g" },
		{ 0x1d4f, "k" }, { 0x1d50, "m" }, { 0x1d52, "o" }, { 0x1d56, "p" }, { 0x1d57, "t" },
		{ 0x1d58, "u" }, { 0x1d5b, "v" }, { 0x1d9c, "c" }, { 0x1da0, "f" }, { 0x1dbb, "z" },
		{ 0x2071, "i" }, { 0x207f, "n" }, { 0x2102, "C" }, { 0x210a, "g" }, { 0x210b, "H" },
		{ 0x210c, "H" }, { 0x210d, "H" }, { 0x210e, "h" }, { 0x2110, "I" }, { 0x2111, "I" },
		{ 0x2112, "L" }, { 0x2113, "l" }, { 0x2115, "N" }, { 0x2119, "P" }, { 0x211a, "Q" },
		{ 0x211b, "R" }, { 0x211c, "R" }, { 0x211d, "R" }, { 0x2124, "Z" }, { 0x2128, "Z" },
		{ 0x212c, "B" }, { 0x212d, "C" }, { 0x212f, "e" }, { 0x2130, "E" }, { 0x2131, "F" },
		{ 0x2133, "M" }, { 0x2134, "o" }, { 0x2139, "i" }, { 0xfb00, "ff" }, { 0xfb01, "fi" },
		{ 0xfb02, "fl" }, { 0xfb03, "ffi" }, { 0xfb04, "ffl" }, { 0xfb05, "st" },
		{ 0xfb06, "st" },
	};

	tmp[1] = '\0';
	if (cp >= 0xff21 && cp <= 0xff3a)
		return tmp[0] = (char)('A' + cp - 0xff21), tmp;
	if (cp >= 0xff41 && cp <= 0xff5a)
		return tmp[0] = (char)('a' + cp - 0xff41), tmp;
	if (cp >= 0xff10 && cp <= 0xff19)
		return tmp[0] = (char)('0' + cp - 0xff10), tmp;
	if (cp == 0xff3f)
		return "_";
	if (cp >= 0x1d400 && cp <= 0x1d6a3) {
		uint32_t k = (cp - 0x1d400) % 52;

		return tmp[0] = (char)(k < 26 ? 'A' + k : 'a' + k - 26), tmp;
	}
	if (cp >= 0x1d7ce && cp <= 0x1d7ff)
		return tmp[0] = (char)('0' + (cp - 0x1d7ce) % 10), tmp;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].cp == cp)
			return table[i].s;
	return NULL;
}

bool pyt_name_fold(const char *src, const struct pyt_token *t, char *buf, size_t cap)
{
	const unsigned char *p = (const unsigned char *)src + t->off, *end = p + t->len;
	bool ascii = true;
	size_t n = 0;
	char tmp[2];

	while (p < end) {
		uint32_t cp;
		int k;

		if (*p < 0x80) {
			put(buf, cap, &n, (char)*p++);
			continue;
		}
		k = *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : *p >= 0xc0 ? 1 : 0;
		cp = *p & (0x3f >> k);
		bool bad = k == 0 || (size_t)(end - p) <= (size_t)k;

		for (int i = 1; !bad && i <= k; i++)
			bad = (p[i] & 0xc0) != 0x80;
		if (bad) {
			put(buf, cap, &n, (char)*p++);
			ascii = false;
			continue;
		}
		for (int i = 1; i <= k; i++)
			cp = cp << 6 | (p[i] & 0x3f);
		const char *f = fold_cp(cp, tmp);

		if (f) {
			while (*f)
				put(buf, cap, &n, *f++);
		} else {
			for (int i = 0; i <= k; i++)
				put(buf, cap, &n, (char)p[i]);
			ascii = false;
		}
		p += k + 1;
	}
	if (cap)
		buf[n < cap ? n : cap - 1] = '\0';
	return ascii && n < cap;
}

// SPDX-License-Identifier: MIT
/*
 * Python identifiers (pyident.h) on libutf8proc: the library supplies the
 * general categories and the normalisation; the identifier properties are
 * derived from them as UAX #31 and PEP 3131 define them, because the
 * library does not export ID_Start/ID_Continue. The derivation is checked
 * against python3 for every code point (tests/unit/test_pyident.c).
 */
#include "pyident.h"
#include "pytokens.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/*
 * The two small property lists UAX #31 adds to the categories
 * (PropList.txt). They exist for stability: characters that were in ID_Start
 * or ID_Continue stay there when their category changes, so they only grow.
 * Other_ID_Continue is the Unicode 15.1 list (U+200C, U+200D, U+30FB and
 * U+FF65 joined it then): a Python on a newer Unicode accepts them, and
 * accepting more than the local python3 only means analysing more.
 */
static bool other_id_start(uint32_t c)
{
	return c == 0x1885 || c == 0x1886 || c == 0x2118 || c == 0x212e || c == 0x309b || c == 0x309c;
}

static bool other_id_continue(uint32_t c)
{
	return c == 0x00b7 || c == 0x0387 || (c >= 0x1369 && c <= 0x1371) || c == 0x19da ||
	       c == 0x200c || c == 0x200d || c == 0x30fb || c == 0xff65;
}

/*
 * ID_Start: letters, letter numbers, Other_ID_Start, minus Pattern_Syntax
 * (whose only letter is U+2E2F VERTICAL TILDE; Pattern_White_Space has no
 * letters, marks or digits).
 */
static bool id_start(uint32_t c)
{
	switch (utf8proc_category((utf8proc_int32_t)c)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_NL:
		return c != 0x2e2f;
	default:
		return other_id_start(c);
	}
}

/* ID_Continue: ID_Start, marks, decimal digits, connector punctuation, Other_ID_Continue. */
static bool id_continue(uint32_t c)
{
	switch (utf8proc_category((utf8proc_int32_t)c)) {
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_PC:
		return true;
	default:
		return id_start(c) || other_id_continue(c);
	}
}

/*
 * The NFKC closure that turns ID_* into XID_*: a character whose NFKC form
 * is not itself a valid start (continuation) is not one either (U+037A
 * GREEK YPOGEGRAMMENI becomes a space and a mark). Only characters with a
 * decomposition can change under NFKC; Hangul syllables compose back.
 */
static bool nfkc_is_ident(uint32_t c, bool start)
{
	utf8proc_int32_t out[32];
	utf8proc_ssize_t n;

	if (utf8proc_get_property((utf8proc_int32_t)c)->decomp_seqindex == UINT16_MAX)
		return true;
	n = utf8proc_decompose_char((utf8proc_int32_t)c, out, 32,
				    UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_STABLE, NULL);
	if (n < 1 || n > 32)
		return false;
	n = utf8proc_normalize_utf32(out, n, UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_STABLE);
	for (utf8proc_ssize_t i = 0; i < n; i++) {
		uint32_t o = (uint32_t)out[i];

		if (i == 0 && start ? !id_start(o) : !id_continue(o))
			return false;
	}
	return n > 0;
}

bool pyid_can_start(uint32_t c)
{
	return c == '_' || (id_start(c) && nfkc_is_ident(c, true));
}

bool pyid_can_continue(uint32_t c)
{
	return id_continue(c) && nfkc_is_ident(c, false);
}

bool pyid_assigned(uint32_t c)
{
	return c <= 0x10ffff && utf8proc_category((utf8proc_int32_t)c) != UTF8PROC_CATEGORY_CN;
}

static bool ascii_name_byte(unsigned char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

enum pyid_verdict pyid_check(const char *s, size_t len, uint32_t *cp, size_t *at)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	size_t i = 0;

	while (i < len) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k;
		bool first = i == 0;

		if (p[i] < 0x80) {
			if (!ascii_name_byte(p[i], first)) {
				*cp = p[i];
				*at = i;
				return PYID_INVALID;
			}
			i++;
			continue;
		}
		k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
		if (k < 1) {
			*cp = UINT32_MAX;
			*at = i;
			return PYID_INVALID;
		}
		if (!(first ? pyid_can_start((uint32_t)c) : pyid_can_continue((uint32_t)c))) {
			*cp = (uint32_t)c;
			*at = i;
			if (pyid_assigned((uint32_t)c))
				return PYID_INVALID;
			/* Unassigned here: keep looking for a character that is invalid everywhere. */
			for (size_t j = i + (size_t)k; j < len;) {
				utf8proc_int32_t d;
				utf8proc_ssize_t m = p[j] < 0x80 ? 1 : utf8proc_iterate(p + j, (utf8proc_ssize_t)(len - j), &d);

				if (m < 1 || (p[j] < 0x80 ? !ascii_name_byte(p[j], false) :
					      pyid_assigned((uint32_t)d) && !pyid_can_continue((uint32_t)d))) {
					*cp = m < 1 ? UINT32_MAX : p[j] < 0x80 ? p[j] : (uint32_t)d;
					*at = j;
					return PYID_INVALID;
				}
				j += (size_t)m;
			}
			return PYID_UNKNOWN;
		}
		i += (size_t)k;
	}
	return PYID_OK;
}

static void put_raw(const char *s, size_t len, char *buf, size_t cap)
{
	size_t n = len < cap ? len : cap - 1;

	memcpy(buf, s, n);
	buf[n] = '\0';
}

long pyid_nfkc(const char *s, size_t len, char *buf, size_t cap)
{
	const utf8proc_option_t opt = UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_STABLE;
	utf8proc_int32_t stack[128], *cps = stack;
	utf8proc_ssize_t n;
	size_t out = 0, written = 0;
	bool full = false;

	if (cap == 0)
		return -1;
	if (len > INT32_MAX) {
		put_raw(s, len, buf, cap);
		return -1;
	}
	n = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, stack, 128, opt);
	if (n > 128) {
		/* Longer than any name the rules look for, but fold it exactly anyway. */
		cps = malloc((size_t)n * sizeof(*cps));
		if (!cps) {
			put_raw(s, len, buf, cap);
			return -1;
		}
		n = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, cps, n, opt);
	}
	if (n >= 0)
		n = utf8proc_normalize_utf32(cps, n, opt);
	if (n < 0) {
		if (cps != stack)
			free(cps);
		put_raw(s, len, buf, cap);
		return -1;
	}
	for (utf8proc_ssize_t i = 0; i < n; i++) {
		utf8proc_uint8_t enc[4];
		utf8proc_ssize_t k = utf8proc_encode_char(cps[i], enc);

		/* Truncate between characters, never inside one. */
		if (full || out + (size_t)k >= cap) {
			full = true;
		} else {
			memcpy(buf + out, enc, (size_t)k);
			written = out + (size_t)k;
		}
		out += (size_t)k;
	}
	buf[written] = '\0';
	if (cps != stack)
		free(cps);
	return (long)out;
}

const char *pyid_unicode_version(void)
{
	return utf8proc_unicode_version();
}

bool pyt_name_fold(const char *src, const struct pyt_token *t, char *buf, size_t cap)
{
	const char *s = src + t->off;
	long n;

	if (cap == 0)
		return false;
	if (!(t->flags & PYT_NAME_NONASCII)) {
		put_raw(s, t->len, buf, cap);
		return t->len < cap;
	}
	n = pyid_nfkc(s, t->len, buf, cap);
	if (n < 0 || (size_t)n >= cap)
		return false;
	for (long i = 0; i < n; i++)
		if ((unsigned char)buf[i] >= 0x80)
			return false;
	return true;
}

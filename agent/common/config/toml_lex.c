// SPDX-License-Identifier: MIT
/*
 * The scalar lexer of the TOML parser (toml.c): strings with their
 * escapes, integers and booleans.
 *
 * toml_parse() has checked the whole input for NUL and UTF-8 validity
 * before any of this runs, so bytes >= 0x80 are copied through as parts of
 * valid characters.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml_lex.h"

static void
put_utf8(char **o, uint32_t cp)
{
	static const unsigned char lead[] = { 0, 0, 0xc0, 0xe0, 0xf0 };
	int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4, i;

	for (i = n - 1; i > 0; i--, cp >>= 6)
		(*o)[i] = (char)(0x80 | (cp & 0x3f));
	(*o)[0] = (char)(lead[n] | cp);
	*o += n;
}

static int
unicode_escape(struct parser *ps, const char *key, int digits, char **o)
{
	uint32_t cp = 0;
	int i, c;

	for (i = 0; i < digits; i++) {
		c = ps->p < ps->end ? (unsigned char)*ps->p++ : 0;
		if (c >= '0' && c <= '9')
			cp = cp << 4 | (c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			cp = cp << 4 | ((c | 0x20) - 'a' + 10);
		else
			return fail(ps, ps->line, key,
			    "\\%c needs %d hex digits", digits == 4 ? 'u' : 'U',
			    digits);
	}
	if (cp == 0)
		return fail(ps, ps->line, key, "NUL is not allowed in strings");
	if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return fail(ps, ps->line, key, "escape is not a Unicode scalar value");
	put_utf8(o, cp);
	return 0;
}

static int
escape(struct parser *ps, const char *key, char **o)
{
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	const char *hit;
	char c;

	if (ps->p >= ps->end)
		return fail(ps, ps->line, key, "unterminated string");
	c = *ps->p++;
	if (c == 'u' || c == 'U')
		return unicode_escape(ps, key, c == 'u' ? 4 : 8, o);
	if (c != '\0' && (hit = strchr(from, c)) != NULL) {
		*(*o)++ = to[hit - from];
		return 0;
	}
	if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
		return fail(ps, ps->line, key, "invalid escape sequence");
	return fail(ps, ps->line, key, "invalid escape sequence \\%c", c);
}

/*
 * A basic ("...") or literal ('...') string on one line. The decoded form
 * is never longer than the source, so one allocation of the source length
 * suffices.
 */
int
toml_lex_string(struct parser *ps, struct toml_value *v, const char *key)
{
	char q = *ps->p++, *o;
	const char *s;
	int c;

	if (ps->p + 1 < ps->end && ps->p[0] == q && ps->p[1] == q)
		return fail(ps, ps->line, key,
		    "multi-line strings are not supported");
	/* Only up to the closing quote: scanning whole lines would be quadratic. */
	for (s = ps->p; s < ps->end && *s != q && *s != '\n'; s++)
		if (*s == '\\' && q == '"' && s + 1 < ps->end)
			s++;
	if ((v->str = o = malloc(s - ps->p + 1)) == NULL)
		return fail(ps, ps->line, key, "out of memory");
	v->type = TOML_STRING;
	for (;;) {
		if (ps->p >= ps->end || *ps->p == '\n' || *ps->p == '\r')
			return fail(ps, ps->line, key, "unterminated string");
		c = (unsigned char)*ps->p;
		if (c == q) {
			ps->p++;
			break;
		}
		if (is_ctl(c))
			return fail(ps, ps->line, key,
			    "control character in string");
		if (c == '\\' && q == '"') {
			ps->p++;
			if (escape(ps, key, &o) < 0)
				return -1;
			continue;
		}
		*o++ = *ps->p++;
	}
	*o = '\0';
	return 0;
}

/* Classify a token that is not a valid integer, for a useful message. */
static int
bad_number(struct parser *ps, const char *key, const char *tok, size_t n)
{
	char t[32];
	const char *u;

	snprintf(t, sizeof(t), "%.*s", (int)(n < 31 ? n : 31), tok);
	u = t + (t[0] == '+' || t[0] == '-');
	if (u[0] == '0' && (u[1] == 'x' || u[1] == 'o' || u[1] == 'b'))
		return fail(ps, ps->line, key, "only decimal integers are supported");
	if (strchr(t, ':') || strchr(t, 'T'))
		return fail(ps, ps->line, key, "dates and times are not supported");
	if (strpbrk(t, ".eE") || strncmp(u, "inf", 3) == 0 ||
	    strncmp(u, "nan", 3) == 0)
		return fail(ps, ps->line, key, "floats are not supported");
	if (strchr(t + 1, '-'))
		return fail(ps, ps->line, key, "dates and times are not supported");
	return fail(ps, ps->line, key, "invalid integer");
}

/* Decimal integer: optional sign, '_' only between digits, no leading zero. */
int
toml_lex_integer(struct parser *ps, struct toml_value *v, const char *key)
{
	const char *t = ps->p, *s, *u;
	uint64_t acc = 0, lim;
	size_t n, digits = 0;
	bool neg;

	while (ps->p < ps->end && (is_bare((unsigned char)*ps->p) ||
	    *ps->p == '.' || *ps->p == '+' || *ps->p == ':'))
		ps->p++;
	n = ps->p - t;
	neg = t[0] == '-';
	s = t + (t[0] == '+' || t[0] == '-');
	for (u = s; u < t + n; u++)
		if ((*u < '0' || *u > '9') && *u != '_')
			break;
	if (s == t + n || u < t + n)
		return bad_number(ps, key, t, n);
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; s < t + n; s++) {
		if (*s == '_') {
			if (digits == 0 || s + 1 == t + n || s[1] == '_')
				return fail(ps, ps->line, key,
				    "'_' must sit between digits");
			continue;
		}
		if (digits++ == 1 && acc == 0)
			return fail(ps, ps->line, key,
			    "leading zeros are not allowed");
		if (acc > (lim - (*s - '0')) / 10)
			return fail(ps, ps->line, key, "integer out of range");
		acc = acc * 10 + (*s - '0');
	}
	v->type = TOML_INTEGER;
	v->num = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return 0;
}

int
toml_lex_boolean(struct parser *ps, struct toml_value *v, const char *key)
{
	size_t left = ps->end - ps->p;

	if (left >= 4 && memcmp(ps->p, "true", 4) == 0)
		v->boolean = true, ps->p += 4;
	else if (left >= 5 && memcmp(ps->p, "false", 5) == 0)
		v->boolean = false, ps->p += 5;
	else
		return fail(ps, ps->line, key, "invalid value");
	if (ps->p < ps->end && is_bare((unsigned char)*ps->p))
		return fail(ps, ps->line, key, "invalid value");
	v->type = TOML_BOOLEAN;
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * Shape checks for the strings of plugin.toml (docs/contract.md §3): names, versions,
 * text shown at consent time, Python requirements.
 */
#include <stdint.h>
#include <string.h>

#include "manifest.h"
#include "manifest_check.h"

static bool
is_alnum(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9');
}

bool
manifest_valid_name(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    (s[i] == '-' && i > 0)))
			return false;
	return i >= 1 && i <= MANIFEST_NAME_MAX;
}

/* A semver numeric identifier: digits, no leading zero. */
static bool
sv_number(const char **p)
{
	const char *s = *p;

	while (**p >= '0' && **p <= '9')
		(*p)++;
	return *p > s && !(s[0] == '0' && *p - s > 1);
}

/* Dot-separated [0-9A-Za-z-]+ identifiers; numeric ones without leading 0. */
static bool
sv_idents(const char **p, bool strict_numbers)
{
	const char *s;
	bool digits;

	do {
		for (s = *p, digits = true; is_alnum(**p) || **p == '-'; (*p)++)
			digits &= **p >= '0' && **p <= '9';
		if (*p == s || (strict_numbers && digits && s[0] == '0' &&
		    *p - s > 1))
			return false;
	} while (**p == '.' && (*p)++);
	return true;
}

/* Semantic Versioning 2.0.0, exactly. */
bool
manifest_valid_semver(const char *s)
{
	int i;

	for (i = 0; i < 3; i++)
		if (!sv_number(&s) || (i < 2 && *s++ != '.'))
			return false;
	if (*s == '-' && (s++, !sv_idents(&s, true)))
		return false;
	if (*s == '+' && (s++, !sv_idents(&s, false)))
		return false;
	return *s == '\0';
}

/*
 * Text shown in the consent prompt may not carry control characters (a
 * newline could fake a prompt line, ESC drives the terminal) nor the
 * Unicode formatting characters that reorder what the user sees.
 */
bool
manifest_display_safe(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;

	while (*u != '\0') {
		if (*u < 0x80) {
			cp = *u++;
		} else if (*u < 0xe0) {
			cp = (u[0] & 0x1f) << 6 | (u[1] & 0x3f);
			u += 2;
		} else if (*u < 0xf0) {
			cp = (u[0] & 0x0f) << 12 | (u[1] & 0x3f) << 6 | (u[2] & 0x3f);
			u += 3;
		} else {
			cp = 0x10000;	/* astral planes hold no such characters */
			u += 4;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x061c ||
		    cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			return false;
	}
	return true;
}

static bool
py_name(const char **p)
{
	const char *s = *p;

	while (is_alnum(**p) || **p == '.' || **p == '_' || **p == '-')
		(*p)++;
	return *p > s && is_alnum(s[0]) && is_alnum((*p)[-1]);
}

static void
py_sp(const char **p)
{
	while (**p == ' ')
		(*p)++;
}

/*
 * A PEP 508 requirement without markers or URLs: name[extras] followed by
 * optional comma-separated version clauses, e.g. "requests[socks]>=2.31,<3".
 */
bool
manifest_valid_py_dep(const char *s)
{
	static const char *ops[] = { "===", "~=", "==", "!=", "<=", ">=", "<", ">" };
	size_t i, n;

	if (py_sp(&s), !py_name(&s))
		return false;
	if (py_sp(&s), *s == '[') {
		do {
			s++;
			if (py_sp(&s), !py_name(&s))
				return false;
			py_sp(&s);
		} while (*s == ',');
		if (*s++ != ']')
			return false;
	}
	if (py_sp(&s), *s == '\0')
		return true;
	for (;;) {
		for (i = 0; i < 8; i++)
			if (strncmp(s, ops[i], strlen(ops[i])) == 0)
				break;
		if (i == 8)
			return false;
		s += strlen(ops[i]);
		py_sp(&s);
		n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789.*+!_-");
		if (n == 0)
			return false;
		s += n;
		if (py_sp(&s), *s == '\0')
			return true;
		if (*s++ != ',')
			return false;
		py_sp(&s);
	}
}

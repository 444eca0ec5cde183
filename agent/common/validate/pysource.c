// SPDX-License-Identifier: MIT
/*
 * A Python file's declared source encoding (PEP 263). Python decodes the
 * file with the encoding a comment on its first or second line names before
 * it reads a single name, and some codecs spell ASCII code without its
 * bytes: under "utf-7" the bytes "+AGUAeABlAGM-" are the name exec, under
 * "unicode_escape" so are "\x65xec". The validator reads UTF-8, so a file
 * declaring anything else is not the text that was analysed
 * (py-source-encoding), except where both readings are the same text.
 * The declaration is found the way CPython's tokenizer finds it.
 */
#include <ctype.h>
#include <string.h>

#include "validate_int.h"

/* Line [p, end) is a comment-only or blank line. */
static bool comment_or_blank(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\f'))
		p++;
	return p == end || *p == '#';
}

/*
 * The encoding a line declares: only whitespace before '#', then the first
 * "coding" followed by ':' or '=', optional blanks and a name of letters,
 * digits, '-', '_' and '.'. Writes it to raw as written, and to name
 * lower-cased with '-' as '_' (Python's codec lookup does the same).
 */
static bool cookie(const char *p, const char *end, char *name, size_t cap, char *raw)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\f'))
		p++;
	if (p == end || *p != '#')
		return false;
	for (; end - p > 6; p++) {
		const char *q, *begin;
		size_t n = 0;

		if (memcmp(p, "coding", 6) != 0 || (p[6] != ':' && p[6] != '='))
			continue;
		q = p + 7;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		begin = q;
		while (q < end && (isalnum((unsigned char)*q) || *q == '-' || *q == '_' || *q == '.'))
			q++;
		if (q == begin)
			continue;
		for (const char *c = begin; c < q && n + 1 < cap; c++) {
			raw[n] = *c;
			name[n++] = *c == '.' || isalnum((unsigned char)*c) ? (char)tolower((unsigned char)*c) : '_';
		}
		name[n] = raw[n] = '\0';
		return true;
	}
	return false;
}

static bool in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(name, *list))
			return true;
	return false;
}

static bool starts(const char *name, const char *prefix)
{
	return !strncmp(name, prefix, strlen(prefix));
}

/* Decodes every file exactly as UTF-8 does, or refuses what UTF-8 would not read the same. */
static bool utf8_reading(const char *name)
{
	static const char *const same[] = {
		"utf_8", "utf8", "u8", "utf", "cp65001", "utf8_ucs2", "utf8_ucs4",
		"ascii", "us_ascii", "646", "us", NULL,
	};

	/* CPython's own shortcut: "utf-8" and "utf-8-anything" are UTF-8. */
	return in(name, same) || starts(name, "utf_8_");
}

/* Single-byte encodings that read ASCII bytes as ASCII: the same text while the file is ASCII. */
static bool ascii_superset(const char *name)
{
	static const char *const single[] = {
		"latin_1", "latin1", "latin", "l1", "iso_latin_1", "iso8859", "8859", "cp819",
		"koi8_r", "koi8_u", NULL,
	};

	return in(name, single) || starts(name, "iso_8859_") || starts(name, "iso8859_") ||
	       starts(name, "latin_1_") || starts(name, "iso_latin_1_") ||
	       (starts(name, "cp125") && strlen(name) == 6) ||
	       (starts(name, "windows_125") && strlen(name) == 12);
}

void pysource_check(struct vctx *v, const char *file, const char *src, size_t len)
{
	const char *p = src, *end = src + len;
	char name[64], raw[64];

	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;	/* a UTF-8 BOM: Python then allows only a UTF-8 declaration */
	for (unsigned line = 1; line <= 2 && p < end; line++) {
		const char *eol = p;

		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		if (cookie(p, eol, name, sizeof(name), raw)) {
			bool ascii = true;

			if (utf8_reading(name))
				return;
			for (size_t i = 0; i < len && ascii; i++)
				ascii = (unsigned char)src[i] < 0x80;
			if (ascii_superset(name) && ascii)
				return;
			vfind(v, "py-source-encoding", VSEV_DEFAULT, file, line,
			      "the file declares the source encoding \"%s\"%s: Python decodes it before "
			      "reading the code, the validator reads UTF-8", raw,
			      ascii_superset(name) ? " and has non-ASCII bytes" : "");
			return;
		}
		/* The second line counts only after a blank or comment-only first line. */
		if (!comment_or_blank(p, eol))
			return;
		p = eol < end && *eol == '\r' && eol + 1 < end && eol[1] == '\n' ? eol + 2 : eol + 1;
	}
}

// SPDX-License-Identifier: MIT
/*
 * Python identifiers as CPython reads them (pyident.h): every code point
 * and a set of whole identifiers compared with this machine's python3
 * (tests/unit/pyident_oracle.py), the verdicts for what CPython rejects, and
 * the validator giving a disguised plugin file the findings of its ASCII
 * spelling (tests/data/validate/unicode/), and the declared source
 * encoding (pysource.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "validate/pyident.h"
#include "validate/pytokens.h"
#include "validate/validate.h"

static char root[4096];	/* the source tree */

static int setup(void **state)
{
	char exe[4096];
	ssize_t n;

	if (access("tests/unit/pyident_oracle.py", F_OK) == 0) {
		snprintf(root, sizeof(root), ".");
	} else if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		snprintf(root, sizeof(root), "%s/../..", dirname(exe));
	}
	return 0;
}

static size_t utf8(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* "41,30A" -> UTF-8 in out (NUL-terminated); false when a code point is not in both versions. */
static bool hex_seq(const char *hex, char *out, size_t cap, const uint8_t *py_assigned)
{
	size_t n = 0;
	bool both = true;

	while (*hex) {
		char *end;
		unsigned long cp = strtoul(hex, &end, 16);

		assert_true(end > hex && cp <= 0x10ffff && n + 4 < cap);
		if (!pyid_assigned((uint32_t)cp) || !(py_assigned[cp >> 3] & (1u << (cp & 7))))
			both = false;
		n += utf8((uint32_t)cp, out + n);
		hex = *end == ',' ? end + 1 : end;
	}
	out[n] = '\0';
	return both;
}

static bool is_identifier_n(const char *s, size_t len)
{
	uint32_t cp;
	size_t at;

	return len && pyid_check(s, len, &cp, &at) == PYID_OK;
}

static bool is_identifier(const char *s)
{
	return is_identifier_n(s, strlen(s));
}

static char *nfkc_n(const char *s, size_t len)
{
	static char buf[1024];

	assert_true(pyid_nfkc(s, len, buf, sizeof(buf)) >= 0);
	return buf;
}

static char *nfkc(const char *s)
{
	return nfkc_n(s, strlen(s));
}

/*
 * Code points that joined Other_ID_Continue in Unicode 15.1: the validator
 * accepts them as every Python from that version on does; an older python3
 * does not. Accepting more than python3 is allowed only here.
 */
static bool newer_continue(uint32_t cp)
{
	return cp == 0x200c || cp == 0x200d || cp == 0x30fb || cp == 0xff65;
}

static void mismatch(unsigned *bad, const char *what, const char *line)
{
	if (++*bad <= 20)
		fprintf(stderr, "differs from python3 (%s): %s", what, line);
}

/*
 * Every code point both Unicode versions assign (python3's unicodedata and
 * libutf8proc may be different versions: a code point unassigned in either
 * is counted and skipped, never compared): may it start an identifier, may
 * it continue one, and its NFKC. Then whole strings: identifier or not, and
 * the NFKC of the whole string.
 */
static void test_python_oracle(void **state)
{
	static uint8_t py_assigned[0x110000 / 8];
	char cmd[4300], line[4096], text[1024], want[1024];
	unsigned compared = 0, seqs = 0, seq_skipped = 0, py_only = 0, lib_only = 0, bad = 0;
	bool ended = false;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/unit/pyident_oracle.py'", root);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned long cp;
		size_t len;
		const char *got;
		int start, cont, ident;
		char nf[512] = "", seq[1024];

		if (line[0] == 'V') {
			fprintf(stderr, "python3 Unicode %.*s, libutf8proc Unicode %s\n",
				(int)strcspn(line + 2, "\n"), line + 2, pyid_unicode_version());
		} else if (line[0] == 'C') {
			assert_true(sscanf(line, "C %lx %d %d %511s", &cp, &start, &cont, nf) >= 3);
			assert_true(cp <= 0x10ffff);
			py_assigned[cp >> 3] |= (uint8_t)(1u << (cp & 7));
			if (!pyid_assigned((uint32_t)cp)) {
				py_only++;
				continue;
			}
			compared++;
			len = utf8((uint32_t)cp, text);
			text[len] = '\0';
			/* Lengths, not strlen: U+0000 is a code point like any other here. */
			if (is_identifier_n(text, len) != (start == 1) ||
			    pyid_can_start((uint32_t)cp) != (start == 1))
				mismatch(&bad, "identifier start", line);
			want[0] = 'a';
			memcpy(want + 1, text, len + 1);
			if ((is_identifier_n(want, len + 1) != (cont == 1) ||
			     pyid_can_continue((uint32_t)cp) != (cont == 1)) &&
			    !(cont == 0 && newer_continue((uint32_t)cp)))
				mismatch(&bad, "identifier continuation", line);
			if (nf[0])
				hex_seq(nf, want, sizeof(want), py_assigned);
			else
				memcpy(want, text, len + 1);
			got = nfkc_n(text, len);
			if (memcmp(got, want, (nf[0] ? strlen(want) : len) + 1) != 0)
				mismatch(&bad, "NFKC", line);
		} else if (line[0] == 'S') {
			assert_int_equal(sscanf(line, "S %1023s %d %511s", seq, &ident, nf), 3);
			/* The NFKC side needs only assigned code points of the string itself. */
			if (!hex_seq(seq, text, sizeof(text), py_assigned)) {
				seq_skipped++;
				continue;
			}
			hex_seq(nf, want, sizeof(want), py_assigned);
			seqs++;
			if (is_identifier(text) != (ident == 1)) {
				bool newer = false;

				for (const char *c = seq; *c; c += strcspn(c, ",") + (c[strcspn(c, ",")] == ','))
					newer |= newer_continue((uint32_t)strtoul(c, NULL, 16));
				if (!(ident == 0 && newer))
					mismatch(&bad, "identifier", line);
			}
			if (strcmp(nfkc(text), want) != 0)
				mismatch(&bad, "NFKC of the whole string", line);
		} else if (line[0] == 'E') {
			ended = true;
		}
	}
	if (pclose(p) != 0 || !ended)
		fail_msg("%s did not run to its end (python3 is a build dependency, tools/deps.sh)", cmd);
	for (uint32_t cp = 0; cp <= 0x10ffff; cp++)
		if ((cp < 0xd800 || cp > 0xdfff) && pyid_assigned(cp) &&
		    !(py_assigned[cp >> 3] & (1u << (cp & 7))))
			lib_only++;
	fprintf(stderr, "compared %u code points and %u strings; not compared: %u code points "
		"assigned only in python3's Unicode, %u only in libutf8proc's, %u strings using them\n",
		compared, seqs, py_only, lib_only, seq_skipped);
	assert_int_equal(bad, 0);
	assert_true(compared > 250000);
	assert_true(seqs > 20000);
}

static enum pyid_verdict check(const char *s, uint32_t *cp, size_t *at)
{
	*cp = 0;
	*at = 0;
	return pyid_check(s, strlen(s), cp, at);
}

/* What CPython rejects, and what a newer Python might accept. */
static void test_verdicts(void **state)
{
	uint32_t cp;
	size_t at;

	assert_int_equal(check("\xef\xbd\x85xec", &cp, &at), PYID_OK);
	/* U+00A0 NO-BREAK SPACE: not a name character; CPython's "invalid non-printable character". */
	assert_int_equal(check("exec\xc2\xa0", &cp, &at), PYID_INVALID);
	assert_int_equal(cp, 0xa0);
	assert_int_equal(at, 4);
	/* A continuation-only character first: U+FF3F FULLWIDTH LOW LINE, a combining mark. */
	assert_int_equal(check("\xef\xbc\xbf_import__", &cp, &at), PYID_INVALID);
	assert_int_equal(cp, 0xff3f);
	assert_int_equal(check("\xcc\x81" "a", &cp, &at), PYID_INVALID);
	assert_int_equal(check("_\xef\xbc\xbfimport__", &cp, &at), PYID_OK);
	/* U+037A YPOGEGRAMMENI is a letter, but NFKC makes it a space: never in an identifier. */
	assert_int_equal(check("a\xcd\xba", &cp, &at), PYID_INVALID);
	/* Not UTF-8: truncated, overlong, an encoded surrogate, a stray continuation byte. */
	assert_int_equal(check("a\xc3", &cp, &at), PYID_INVALID);
	assert_int_equal(cp, UINT32_MAX);
	assert_int_equal(at, 1);
	assert_int_equal(check("a\xc1\xa1", &cp, &at), PYID_INVALID);
	assert_int_equal(check("a\xed\xa0\x80", &cp, &at), PYID_INVALID);
	assert_int_equal(check("\x80", &cp, &at), PYID_INVALID);
	assert_int_equal(check("a\xf4\x90\x80\x80", &cp, &at), PYID_INVALID);
	/* U+0378 is unassigned (in every version so far): unknown, unless something else is invalid. */
	assert_int_equal(check("a\xcd\xb8", &cp, &at), PYID_UNKNOWN);
	assert_int_equal(cp, 0x378);
	assert_int_equal(check("a\xcd\xb8\xc2\xa0", &cp, &at), PYID_INVALID);
	assert_int_equal(cp, 0xa0);
	assert_int_equal(check("a\xcd\xb8\xc3", &cp, &at), PYID_INVALID);
	assert_int_equal(cp, UINT32_MAX);
	/* ASCII that is no name character inside the run (never produced by the tokenizer). */
	assert_int_equal(check("\xc3\xa9-", &cp, &at), PYID_INVALID);
	assert_int_equal(cp, '-');
	assert_int_equal(check("1\xc3\xa9", &cp, &at), PYID_INVALID);
	assert_string_equal(pyid_unicode_version(), pyid_unicode_version());
}

/* NFKC of a whole name, truncation, bad input. */
static void test_nfkc(void **state)
{
	char buf[8];

	/* "s" + U+0301 composes to U+015B; fullwidth and ligatures spell ASCII. */
	assert_string_equal(nfkc("s\xcc\x81"), "\xc5\x9b");
	assert_string_equal(nfkc("\xef\xac\x81le"), "file");
	/* Compatibility jamo decompose and then compose, across characters: one syllable. */
	assert_string_equal(nfkc("\xe3\x84\xb1\xe3\x85\x8f"), "\xea\xb0\x80");
	/* Truncated between characters, full length returned. */
	assert_int_equal(pyid_nfkc("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8, buf, sizeof(buf)), 8);
	assert_string_equal(buf, "\xc3\xa9\xc3\xa9\xc3\xa9");
	assert_int_equal(pyid_nfkc("abc", 3, buf, 0), -1);
	/* Not UTF-8: -1, the bytes as written. */
	assert_int_equal(pyid_nfkc("a\xc3", 2, buf, sizeof(buf)), -1);
	assert_string_equal(buf, "a\xc3");
	/* Longer than the stack buffer: still exact. */
	{
		char name[3 * 200 + 1], *big = malloc(1024);

		for (int i = 0; i < 200; i++)
			memcpy(name + 3 * i, "\xef\xbd\x85", 3);	/* fullwidth e */
		name[600] = '\0';
		assert_non_null(big);
		assert_int_equal(pyid_nfkc(name, 600, big, 1024), 200);
		assert_int_equal(strspn(big, "e"), 200);
		free(big);
	}
}

/* The tokenizer: names CPython accepts are names, flagged; the rest are errors. */
static void test_tokens(void **state)
{
	static const char src[] = "\xef\xbd\x85xec(x)\n"	/* fullwidth e */
				  "a\xcd\xb8 = 1\n"		/* U+0378, unassigned */
				  "exec\xc2\xa0(x)\n";		/* NO-BREAK SPACE */
	struct pyt_stream s;
	char buf[64];

	assert_int_equal(pyt_tokenize(src, sizeof(src) - 1, 1, &s), 0);
	assert_int_equal(s.t[0].kind, PYT_NAME);
	assert_int_equal(s.t[0].flags, PYT_NAME_NONASCII);
	assert_true(pyt_name_fold(src, &s.t[0], buf, sizeof(buf)));
	assert_string_equal(buf, "exec");
	assert_false(pyt_name_fold(src, &s.t[0], buf, 4));	/* does not fit */
	assert_int_equal(s.t[5].kind, PYT_NAME);
	assert_int_equal(s.t[5].flags, PYT_NAME_NONASCII | PYT_NAME_UNKNOWN);
	assert_false(pyt_name_fold(src, &s.t[5], buf, sizeof(buf)));
	assert_string_equal(buf, "a\xcd\xb8");
	assert_int_equal(s.t[9].kind, PYT_ERROR);
	assert_int_equal(s.t[9].flags, PYT_NAME_INVALID);
	assert_int_equal(s.t[9].len, 6);
	assert_int_equal(s.errors, 1);
	/* ASCII names: as written. */
	assert_int_equal(s.t[2].kind, PYT_NAME);
	assert_true(pyt_name_fold(src, &s.t[2], buf, sizeof(buf)));
	assert_string_equal(buf, "x");
	assert_false(pyt_name_fold(src, &s.t[2], buf, 0));
	pyt_free(&s);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 16);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, (1 << 16) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void validate_fixture(const char *name, struct validate_report *r, char **src)
{
	char path[4400];
	size_t len;

	snprintf(path, sizeof(path), "%s/tests/data/validate/unicode/%s", root, name);
	*src = slurp(path, &len);
	assert_int_equal(validate_python_buffer(name, *src, len, r), 0);
}

static bool has(const struct validate_report *r, const char *rule, unsigned line,
		enum severity sev)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->findings[i].rule->id, rule) && r->findings[i].line == line &&
		    r->findings[i].severity == sev)
			return true;
	return false;
}

/*
 * disguised-*.py are plain-*.py with their names written in fullwidth
 * forms, mathematical alphanumerics, modifier letters, letterlike symbols,
 * ligatures, the long s and a combining sequence: every finding of the
 * ASCII spelling, on the same line at the same severity, and nothing else
 * but py-unicode-identifier on each line marked "# folds".
 */
static void compare_pair(const char *what, unsigned *folds, unsigned *shells)
{
	struct validate_report plain, disguised;
	char pname[64], dname[64], *psrc, *dsrc, *line;
	unsigned n = 1;

	snprintf(pname, sizeof(pname), "plain-%s.py", what);
	snprintf(dname, sizeof(dname), "disguised-%s.py", what);
	validate_fixture(pname, &plain, &psrc);
	validate_fixture(dname, &disguised, &dsrc);
	assert_int_equal(plain.dropped, 0);
	assert_int_equal(disguised.dropped, 0);
	for (size_t i = 0; i < plain.n; i++) {
		const struct validate_finding *f = &plain.findings[i];

		if (!has(&disguised, f->rule->id, f->line, f->severity)) {
			validate_report_text(&disguised, stderr);
			fail_msg("%s:%u lacks %s (%s)", dname, f->line, f->rule->id, f->message);
		}
		*shells += !strcmp(f->rule->id, "py-shell");
	}
	for (size_t i = 0; i < disguised.n; i++) {
		const struct validate_finding *f = &disguised.findings[i];

		if (strcmp(f->rule->id, "py-unicode-identifier") != 0 &&
		    !has(&plain, f->rule->id, f->line, f->severity))
			fail_msg("%s:%u has %s that %s has not (%s)", dname, f->line, f->rule->id,
				 pname, f->message);
	}
	for (line = dsrc; line; n++) {
		size_t len = strcspn(line, "\n");

		if (len > 9 && !memcmp(line + len - 9, "  # folds", 9)) {
			(*folds)++;
			if (!has(&disguised, "py-unicode-identifier", n, SEV_HIGH)) {
				validate_report_text(&disguised, stderr);
				fail_msg("%s:%u: no py-unicode-identifier", dname, n);
			}
		}
		line = line[len] ? line + len + 1 : NULL;
	}
	validate_report_free(&plain);
	validate_report_free(&disguised);
	free(psrc);
	free(dsrc);
}

static void test_disguised_plugin(void **state)
{
	unsigned folds = 0, shells = 0;

	compare_pair("calls", &folds, &shells);
	compare_pair("imports", &folds, &shells);
	/* The fixtures mean what they say: real findings, and most lines fold. */
	assert_true(shells >= 10);
	assert_true(folds >= 25);
}

/* What CPython rejects is reported as unparsable, once, and never crashes; unknown is flagged. */
static void test_rejected_and_unknown(void **state)
{
	static const char rejected[] = "x = 1\nexec\xc2\xa0('1')\n";
	static const char bad_utf8[] = "ex\xff" "ec('1')\n";
	static const char unknown[] = "import os\nos.syst\xcd\xb8m('id')\n";
	struct validate_report r;

	assert_int_equal(validate_python_buffer("r.py", rejected, sizeof(rejected) - 1, &r), 0);
	assert_true(has(&r, "py-unparsable", 2, SEV_MEDIUM));
	assert_non_null(strstr(r.findings[0].message, "U+00A0"));
	validate_report_free(&r);
	assert_int_equal(validate_python_buffer("b.py", bad_utf8, sizeof(bad_utf8) - 1, &r), 0);
	assert_true(has(&r, "py-unparsable", 1, SEV_MEDIUM));
	assert_non_null(strstr(r.findings[0].message, "0xFF"));
	validate_report_free(&r);
	assert_int_equal(validate_python_buffer("u.py", unknown, sizeof(unknown) - 1, &r), 0);
	assert_true(has(&r, "py-unicode-identifier", 2, SEV_HIGH));
	assert_non_null(strstr(r.findings[0].message, "U+0378"));
	validate_report_free(&r);
	/* A long disguised name is quoted cut between characters: the message stays UTF-8. */
	{
		char src[200] = "a", msg[600];
		size_t n = 1;

		for (int i = 0; i < 30; i++, n += 3)
			memcpy(src + n, "\xef\xbd\x85", 3);
		memcpy(src + n, " = 1\n", 6);
		assert_int_equal(validate_python_buffer("l.py", src, strlen(src), &r), 0);
		assert_true(has(&r, "py-unicode-identifier", 1, SEV_HIGH));
		assert_true(pyid_nfkc(r.findings[0].message, strlen(r.findings[0].message), msg,
				      sizeof(msg)) >= 0);
		assert_non_null(strstr(r.findings[0].message, "\"aeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\""));
		validate_report_free(&r);
	}
}

static unsigned encoding_findings(const char *src, unsigned *line)
{
	struct validate_report r;
	unsigned n = 0;

	assert_int_equal(validate_python_buffer("e.py", src, strlen(src), &r), 0);
	for (size_t i = 0; i < r.n; i++)
		if (!strcmp(r.findings[i].rule->id, "py-source-encoding")) {
			assert_int_equal(r.findings[i].severity, SEV_CRITICAL);
			*line = r.findings[i].line;
			n++;
		}
	validate_report_free(&r);
	return n;
}

/* The declared source encoding, found where CPython looks for it (PEP 263). */
static void test_source_encoding(void **state)
{
	unsigned line = 0;

	assert_int_equal(encoding_findings("# -*- coding: utf-7 -*-\nx = 1\n", &line), 1);
	assert_int_equal(line, 1);
	/* The second line, after a comment-only or blank first line; CRLF; a BOM. */
	assert_int_equal(encoding_findings("#!/usr/bin/python3\r\n# coding=rot13\r\n", &line), 1);
	assert_int_equal(line, 2);
	assert_int_equal(encoding_findings("\n  # vim: fileencoding=UTF-16 :\n", &line), 1);
	assert_int_equal(encoding_findings("\xef\xbb\xbf# coding: utf-7\n", &line), 1);
	assert_int_equal(encoding_findings("\r# coding: utf-7\r", &line), 1);
	/* Not a declaration: after code, on the third line, outside a comment, no name. */
	assert_int_equal(encoding_findings("x = 1\n# coding: utf-7\n", &line), 0);
	assert_int_equal(encoding_findings("#\n#\n# coding: utf-7\n", &line), 0);
	assert_int_equal(encoding_findings("x = '# coding: utf-7'\n", &line), 0);
	assert_int_equal(encoding_findings("# coding: \n# coding:utf-7\n", &line), 1);
	assert_int_equal(encoding_findings("# coding is fun\n", &line), 0);
	/* UTF-8 under any of its names, ASCII; single-byte encodings while the file is ASCII. */
	assert_int_equal(encoding_findings("# coding: UTF_8\n", &line), 0);
	assert_int_equal(encoding_findings("# coding: utf-8-sig\n", &line), 0);
	assert_int_equal(encoding_findings("# coding: utf8\n", &line), 0);
	assert_int_equal(encoding_findings("# coding: us-ascii\n", &line), 0);
	assert_int_equal(encoding_findings("# coding: windows-1252\nx = 1\n", &line), 0);
	assert_int_equal(encoding_findings("# coding: iso-8859-15\nx = 1\n", &line), 0);
	assert_int_equal(encoding_findings("# coding: cp1252\nx = '\xe9'\n", &line), 1);
	assert_int_equal(encoding_findings("# coding: latin-1\n__imp\xbart__('os')\n", &line), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_python_oracle),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_nfkc),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_disguised_plugin),
		cmocka_unit_test(test_rejected_and_unknown),
		cmocka_unit_test(test_source_encoding),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

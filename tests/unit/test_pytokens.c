// SPDX-License-Identifier: MIT
/* The Python tokenizer: every token kind, string forms, f-string fields, lines, folding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "validate/pytokens.h"

static struct pyt_stream S;
static const char *SRC;

static void lex(const char *src)
{
	pyt_free(&S);
	SRC = src;
	assert_int_equal(pyt_tokenize(src, strlen(src), 1, &S), 0);
}

/* "KIND:text@line" for every token, comments included, joined by spaces. */
static const char *dump(void)
{
	static char out[4096];
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < S.n; i++) {
		const struct pyt_token *t = &S.t[i];

		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s:%.*s@%u", i ? " " : "",
				      pyt_kind_name(t->kind),
				      t->kind == PYT_NEWLINE ? 0 : (int)t->len, SRC + t->off, t->line);
		assert_true(n < sizeof(out));
	}
	return out;
}

static void test_basic_kinds(void **state)
{
	lex("import os  # run it\nx = os.system('id')\n");
	assert_string_equal(dump(),
		"NAME:import@1 NAME:os@1 COMMENT:# run it@1 NEWLINE:@1 "
		"NAME:x@2 OP:=@2 NAME:os@2 OP:.@2 NAME:system@2 OP:(@2 STRING:'id'@2 OP:)@2 NEWLINE:@2");
	lex("a **= 2; b //= 3 ... c != d -> e := 1.5e-3 + 0x1F + .5j");
	assert_string_equal(dump(),
		"NAME:a@1 OP:**=@1 NUMBER:2@1 OP:;@1 NAME:b@1 OP://=@1 NUMBER:3@1 OP:...@1 "
		"NAME:c@1 OP:!=@1 NAME:d@1 OP:->@1 NAME:e@1 OP::=@1 NUMBER:1.5e-3@1 OP:+@1 "
		"NUMBER:0x1F@1 OP:+@1 NUMBER:.5j@1 NEWLINE:@1");
}

static void test_lines_brackets_continuation(void **state)
{
	/* No NEWLINE inside brackets, none for blank or comment-only lines. */
	lex("f(a,\n  b)\n\n# only a comment\n\nx = 1 + \\\n  2\n");
	assert_string_equal(dump(),
		"NAME:f@1 OP:(@1 NAME:a@1 OP:,@1 NAME:b@2 OP:)@2 NEWLINE:@2 "
		"COMMENT:# only a comment@4 NAME:x@6 OP:=@6 NUMBER:1@6 OP:+@6 NUMBER:2@7 NEWLINE:@7");
	assert_int_equal(S.lines, 7);
	/* CRLF and lone CR are line breaks too. */
	lex("a\r\nb\rc");
	assert_string_equal(dump(), "NAME:a@1 NEWLINE:@1 NAME:b@2 NEWLINE:@2 NAME:c@3 NEWLINE:@3");
	/* Unbalanced closers do not underflow the bracket depth. */
	lex(")\nx\n");
	assert_string_equal(dump(), "OP:)@1 NEWLINE:@1 NAME:x@2 NEWLINE:@2");
}

static void test_strings(void **state)
{
	lex("s = 'eval(x)'  # exec(y)\nt = \"\"\"a\nos.system('b')\n\"\"\"\nu = rb'\\x' + F\"{1}\" + Rb\"q\"\n");
	assert_int_equal(S.t[2].kind, PYT_STRING);
	assert_int_equal(S.t[3].kind, PYT_COMMENT);
	assert_int_equal(S.t[7].kind, PYT_STRING);
	assert_true(S.t[7].flags & PYT_STR_TRIPLE);
	assert_int_equal(S.t[7].line, 2);
	assert_int_equal(S.t[9].line, 5);		/* "u" after the 3-line string */
	assert_int_equal(S.t[11].flags & (PYT_STR_RAW | PYT_STR_BYTES), PYT_STR_RAW | PYT_STR_BYTES);
	assert_true(S.t[13].flags & PYT_STR_F);
	assert_int_equal(S.t[15].flags & (PYT_STR_RAW | PYT_STR_BYTES), PYT_STR_RAW | PYT_STR_BYTES);
	/* Names that only look like prefixes. */
	lex("ub'x' bar'y' rr'z' f");
	assert_string_equal(dump(), "NAME:ub@1 STRING:'x'@1 NAME:bar@1 STRING:'y'@1 NAME:rr@1 "
				    "STRING:'z'@1 NAME:f@1 NEWLINE:@1");
	/* Escaped quotes, also in raw strings; escaped line breaks. */
	lex("a = 'it\\'s' + r'\\'' + 'x\\\ny'\nb");
	assert_int_equal(S.t[2].kind, PYT_STRING);
	assert_int_equal(S.t[4].kind, PYT_STRING);
	assert_int_equal(S.t[6].kind, PYT_STRING);
	assert_int_equal(S.t[8].line, 3);
}

static void test_unterminated(void **state)
{
	lex("x = 'abc\ny = 1\n");
	assert_int_equal(S.t[2].kind, PYT_ERROR);
	assert_true(S.t[2].flags & PYT_STR_UNTERM);
	assert_int_equal(S.errors, 1);
	/* Tokenizing goes on on the next line. */
	assert_true(pyt_is(SRC, &S.t[4], "y"));
	assert_int_equal(S.t[4].line, 2);
	lex("'''never closed\n\n");
	assert_int_equal(S.t[0].kind, PYT_ERROR);
	lex("f'{x'");
	assert_int_equal(S.t[0].kind, PYT_ERROR);
	lex("a $ ? `b` \x01");
	assert_int_equal(S.errors, 5);
	/* A NUL byte is an error token, not the end of the input. */
	{
		static const char nul[] = "a\0b";

		pyt_free(&S);
		SRC = nul;
		assert_int_equal(pyt_tokenize(nul, 3, 1, &S), 0);
		assert_int_equal(S.n, 4);
		assert_int_equal(S.t[1].kind, PYT_ERROR);
		assert_true(pyt_is(nul, &S.t[2], "b"));
	}
}

static void field(size_t i, const char *want, uint32_t line)
{
	assert_true(i < S.nfields);
	assert_int_equal(S.fields[i].len, strlen(want));
	assert_memory_equal(SRC + S.fields[i].off, want, strlen(want));
	assert_int_equal(S.fields[i].line, line);
}

static void test_fstring_fields(void **state)
{
	lex("f'a {x} {{lit}} {y!r:>{w}} {d[\"k\"]:%Y}'");
	assert_int_equal(S.n, 2);
	assert_int_equal(S.t[0].kind, PYT_STRING);
	assert_int_equal(S.t[0].nfields, 4);
	field(0, "x", 1);
	field(1, "w", 1);	/* the nested field in the spec is recorded first */
	field(2, "y", 1);
	field(3, "d[\"k\"]", 1);
	/* PEP 701: the same quote nests inside a field, the string does not end there. */
	lex("f\"{eval(\"1+1\")}\" + 'x'");
	assert_int_equal(S.t[0].kind, PYT_STRING);
	assert_int_equal(S.t[0].nfields, 1);
	field(0, "eval(\"1+1\")", 1);
	assert_true(pyt_is(SRC, &S.t[1], "+"));
	/* Nested f-strings are skipped as a whole; != is not a conversion. */
	lex("f'{f\"{a}\" if b != c else {1: 2}[1]}'");
	assert_int_equal(S.t[0].nfields, 1);
	field(0, "f\"{a}\" if b != c else {1: 2}[1]", 1);
	/* Multi-line triple-quoted f-string: each field has its own line. */
	lex("f'''\n{a}\n\n{b\n}'''\nz");
	field(0, "a", 2);
	field(1, "b\n", 4);
	assert_int_equal(S.t[2].line, 6);
	/* A backslash never escapes a brace; raw f-strings keep it. */
	lex("rf'\\{x}' f'\\}}'");
	assert_int_equal(S.t[0].nfields, 1);
	field(0, "x", 1);
	assert_int_equal(S.t[1].kind, PYT_STRING);
	assert_int_equal(S.t[1].nfields, 0);
	/* Not an f-string: braces are text. */
	lex("'{eval(x)}'");
	assert_int_equal(S.nfields, 0);
}

static void test_fstring_nesting_cap(void **state)
{
	char buf[2048];
	size_t n = 0;

	/* 40 levels of f'{f'{...}'}': deeper than the cap, reported, never a crash. */
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "f'{");
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "x");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "}'");
	lex(buf);
	assert_int_equal(S.t[0].kind, PYT_ERROR);
	/* 10 levels are fine. */
	n = 0;
	for (int i = 0; i < 10; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "f'{");
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "x");
	for (int i = 0; i < 10; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "}'");
	lex(buf);
	assert_int_equal(S.n, 2);
	assert_int_equal(S.t[0].kind, PYT_STRING);
}

static const char *value(const char *src)
{
	static char buf[256];

	lex(src);
	assert_true(S.t[0].kind == PYT_STRING);
	pyt_string_value(SRC, &S.t[0], buf, sizeof(buf));
	return buf;
}

static void test_string_value(void **state)
{
	assert_string_equal(value("'\\x65v\\141l'"), "eval");
	assert_string_equal(value("'\\u0065\\U00000076al'"), "eval");
	assert_string_equal(value("'a\\tb\\nc\\\\d\\'e\\qf'"), "a\tb\nc\\d'e\\qf");
	assert_string_equal(value("r'\\x65'"), "\\x65");
	assert_string_equal(value("b'\\x41\\u0042'"), "A\\u0042");
	assert_string_equal(value("'\\N{LATIN SMALL LETTER E}x'"), "?x");
	assert_string_equal(value("'\\u00e9'"), "\xc3\xa9");
	assert_string_equal(value("'\\U0001F600'"), "\xf0\x9f\x98\x80");
	assert_string_equal(value("'''a\nb'''"), "a\nb");
	assert_string_equal(value("'a\\\nb'"), "ab");
	assert_string_equal(value("'\\a\\b\\f\\v\\r'"), "\a\b\f\v\r");
	/* Truncation: NUL-terminated, full length returned. */
	{
		char small[4];

		lex("'abcdef'");
		assert_int_equal(pyt_string_value(SRC, &S.t[0], small, sizeof(small)), 6);
		assert_string_equal(small, "abc");
	}
}

static const char *fold(const char *src, bool *ascii)
{
	static char buf[64];

	lex(src);
	assert_int_equal(S.t[0].kind, PYT_NAME);
	assert_true(S.t[0].flags & PYT_NAME_NONASCII);
	*ascii = pyt_name_fold(SRC, &S.t[0], buf, sizeof(buf));
	return buf;
}

static void test_name_fold(void **state)
{
	bool ascii;

	/* Fullwidth, mathematical bold, script e (U+212F), ligature fi, modifier e. */
	assert_string_equal(fold("\xef\xbd\x85\xef\xbd\x96\xef\xbd\x81\xef\xbd\x8c", &ascii), "eval");
	assert_true(ascii);
	assert_string_equal(fold("\xf0\x9d\x90\x9e\xf0\x9d\x90\xaf\xf0\x9d\x90\x9a\xf0\x9d\x90\xa5",
				 &ascii), "eval");
	assert_true(ascii);
	assert_string_equal(fold("\xe2\x84\xafval", &ascii), "eval");
	assert_string_equal(fold("\xef\xac\x81le", &ascii), "file");
	assert_string_equal(fold("\xe1\xb5\x89xec", &ascii), "exec");
	assert_string_equal(fold("x\xef\xbc\x91\xef\xbc\xbf", &ascii), "x1_");
	/* Greek stays Greek. */
	assert_string_equal(fold("\xce\xb1\xce\xb2", &ascii), "\xce\xb1\xce\xb2");
	assert_false(ascii);
	/*
	 * Broken UTF-8 is no name (CPython rejects the file): one ERROR token for
	 * the run of name bytes, never read past it. Every code point is in
	 * test_pyident.c.
	 */
	lex("a\xc3");
	assert_string_equal(dump(), "ERROR:a\xc3@1 NEWLINE:@1");
	assert_int_equal(S.t[0].flags, PYT_NAME_INVALID);
	lex("a\xe2\x28\xa1");
	assert_string_equal(dump(), "ERROR:a\xe2@1 OP:(@1 ERROR:\xa1@1 NEWLINE:@1");
	assert_int_equal(S.errors, 2);
}

static void test_empty_and_kinds(void **state)
{
	lex("");
	assert_int_equal(S.n, 0);
	lex("   \n\n");
	assert_int_equal(S.n, 0);
	assert_string_equal(pyt_kind_name(PYT_COMMENT), "COMMENT");
	assert_string_equal(pyt_kind_name((enum pyt_kind)99), "?");
	/* first_line numbers the input as part of a larger file. */
	pyt_free(&S);
	SRC = "a\nb";
	assert_int_equal(pyt_tokenize(SRC, 3, 40, &S), 0);
	assert_int_equal(S.t[2].line, 41);
}

static int teardown(void **state)
{
	pyt_free(&S);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_basic_kinds, teardown),
		cmocka_unit_test_teardown(test_lines_brackets_continuation, teardown),
		cmocka_unit_test_teardown(test_strings, teardown),
		cmocka_unit_test_teardown(test_unterminated, teardown),
		cmocka_unit_test_teardown(test_fstring_fields, teardown),
		cmocka_unit_test_teardown(test_fstring_nesting_cap, teardown),
		cmocka_unit_test_teardown(test_string_value, teardown),
		cmocka_unit_test_teardown(test_name_fold, teardown),
		cmocka_unit_test_teardown(test_empty_and_kinds, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

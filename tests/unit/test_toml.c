// SPDX-License-Identifier: MIT
/* The TOML subset: what parses, and every class of rejection with its line and key. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/toml.h"

static void
parse_ok(const char *src, struct toml_doc *doc)
{
	struct toml_err e;

	if (toml_parse(src, strlen(src), doc, &e) != 0)
		fail_msg("unexpected error: %d: %s: %s", e.line, e.key, e.msg);
}

static void
reject_len(const char *src, size_t len, int line, const char *key,
	   const char *msg)
{
	struct toml_doc doc;
	struct toml_err e;

	assert_int_equal(toml_parse(src, len, &doc, &e), -1);
	assert_int_equal(doc.n_tables, 0);
	assert_null(doc.tables);
	assert_int_equal(e.line, line);
	assert_string_equal(e.key, key);
	assert_string_equal(e.msg, msg);
	toml_free(&doc);
}

static void
reject(const char *src, int line, const char *key, const char *msg)
{
	reject_len(src, strlen(src), line, key, msg);
}

static const struct toml_kv *
kv(const struct toml_doc *doc, size_t t, size_t k)
{
	assert_true(t < doc->n_tables);
	assert_true(k < doc->tables[t].n_kv);
	return &doc->tables[t].kv[k];
}

#define REJECT(name, src, line, key, msg) \
	static void name(void **state) { reject(src, line, key, msg); }

REJECT(t_float, "[t]\na = 1.5\n", 2, "t.a", "floats are not supported")
REJECT(t_float_exp, "[t]\na = 1e-5\n", 2, "t.a", "floats are not supported")
REJECT(t_float_inf, "[t]\na = inf\n", 2, "t.a", "floats are not supported")
REJECT(t_float_nan, "[t]\na = -nan\n", 2, "t.a", "floats are not supported")
REJECT(t_date, "[t]\na = 1979-05-27\n", 2, "t.a",
    "dates and times are not supported")
REJECT(t_datetime, "[t]\n\na = 1979-05-27T07:32:00Z\n", 3, "t.a",
    "dates and times are not supported")
REJECT(t_time, "a = 07:32:00\n", 1, "a", "dates and times are not supported")
REJECT(t_hex, "[t]\na = 0x1F\n", 2, "t.a", "only decimal integers are supported")
REJECT(t_octal, "[t]\na = 0o17\n", 2, "t.a", "only decimal integers are supported")
REJECT(t_leading_zero, "[t]\na = 012\n", 2, "t.a", "leading zeros are not allowed")
REJECT(t_leading_zero_us, "[t]\na = 0_1\n", 2, "t.a",
    "leading zeros are not allowed")
REJECT(t_overflow, "[t]\na = 9223372036854775808\n", 2, "t.a",
    "integer out of range")
REJECT(t_underflow, "[t]\na = -9223372036854775809\n", 2, "t.a",
    "integer out of range")
REJECT(t_underscore_double, "[t]\na = 1__0\n", 2, "t.a",
    "'_' must sit between digits")
REJECT(t_underscore_trailing, "[t]\na = 1_\n", 2, "t.a",
    "'_' must sit between digits")
REJECT(t_underscore_leading, "[t]\na = _1\n", 2, "t.a", "invalid value")
REJECT(t_sign_only, "[t]\na = -\n", 2, "t.a", "invalid integer")
REJECT(t_inline_table, "[t]\na = { b = 1 }\n", 2, "t.a",
    "inline tables are not supported")
REJECT(t_multiline_basic, "[t]\na = \"\"\"x\"\"\"\n", 2, "t.a",
    "multi-line strings are not supported")
REJECT(t_multiline_literal, "[t]\na = '''x'''\n", 2, "t.a",
    "multi-line strings are not supported")
REJECT(t_dotted_key, "[t]\na.b = 1\n", 2, "t.a", "dotted keys are not supported")
REJECT(t_quoted_key, "[t]\n\"a\" = 1\n", 2, "t", "quoted keys are not supported")
REJECT(t_quoted_table, "[\"t\"]\n", 1, "", "quoted keys are not supported")
REJECT(t_dup_key, "[t]\na = 1\nb = 2\na = 3\n", 4, "t.a",
    "duplicate key (first at line 2)")
REJECT(t_dup_table, "[t]\na = 1\n[u]\n[t]\n", 4, "t",
    "duplicate table (first at line 1)")
REJECT(t_table_redefines_key, "[a]\nb = 1\n[a.b]\n", 3, "a.b",
    "table redefines the key set at line 2")
REJECT(t_table_redefines_root_key, "a = 1\n[a]\n", 2, "a",
    "table redefines the key set at line 1")
REJECT(t_key_redefines_table, "[a.b]\nx = 1\n[a]\nb = 2\n", 4, "a.b",
    "key redefines the table at line 1")
REJECT(t_array_of_tables, "[[t]]\n", 1, "", "arrays of tables are not supported")
REJECT(t_nested_array, "[t]\na = [[1], [2]]\n", 2, "t.a[0]",
    "nested arrays are not supported")
REJECT(t_mixed_array, "[t]\na = [\n  \"x\",\n  1,\n]\n", 4, "t.a[1]",
    "mixed types in array")
REJECT(t_bool_array, "[t]\na = [true]\n", 2, "t.a[0]",
    "arrays may hold only strings or integers")
REJECT(t_unterminated_array, "[t]\na = [\n1,\n2\n", 2, "t.a",
    "unterminated array")
REJECT(t_array_missing_comma, "[t]\na = [1 2]\n", 2, "t.a",
    "expected ',' or ']' in array")
REJECT(t_array_empty_item, "[t]\na = [1,,2]\n", 2, "t.a[1]", "invalid value")
REJECT(t_unterminated_string, "[t]\na = \"abc\nb = 1\n", 2, "t.a",
    "unterminated string")
REJECT(t_unterminated_literal, "[t]\na = 'abc", 2, "t.a", "unterminated string")
REJECT(t_invalid_escape, "[t]\na = \"\\x41\"\n", 2, "t.a",
    "invalid escape sequence \\x")
REJECT(t_short_unicode, "[t]\na = \"\\u12\"\n", 2, "t.a", "\\u needs 4 hex digits")
REJECT(t_surrogate, "[t]\na = \"\\uD800\"\n", 2, "t.a",
    "escape is not a Unicode scalar value")
REJECT(t_beyond_unicode, "[t]\na = \"\\U00110000\"\n", 2, "t.a",
    "escape is not a Unicode scalar value")
REJECT(t_escaped_nul, "[t]\na = \"\\u0000\"\n", 2, "t.a",
    "NUL is not allowed in strings")
REJECT(t_ctl_in_string, "[t]\na = \"a\x01b\"\n", 2, "t.a",
    "control character in string")
REJECT(t_del_in_literal, "[t]\na = 'a\x7f'\n", 2, "t.a",
    "control character in string")
REJECT(t_ctl_in_comment, "[t]\n# bell \x07\n", 2, "", "control character in comment")
REJECT(t_invalid_utf8, "[t]\na = 1\n# \xff\n", 3, "", "invalid UTF-8")
REJECT(t_overlong_utf8, "[t]\na = \"\xc0\x80\"\n", 2, "", "invalid UTF-8")
REJECT(t_utf8_surrogate, "[t]\na = \"\xed\xa0\x80\"\n", 2, "", "invalid UTF-8")
REJECT(t_truncated_utf8, "[t]\na = \"\xe2\x82", 2, "", "invalid UTF-8")
REJECT(t_bare_cr, "[t]\na = 1\rb = 2\n", 2, "t.a",
    "carriage return without line feed")
REJECT(t_missing_value, "[t]\na =\n", 2, "t.a", "missing value")
REJECT(t_missing_value_eof, "[t]\na = ", 2, "t.a", "missing value")
REJECT(t_bare_word, "[t]\na = yes\n", 2, "t.a", "invalid value")
REJECT(t_bool_prefix, "[t]\na = truex\n", 2, "t.a", "invalid value")
REJECT(t_trailing_text, "[t]\na = 1 2\n", 2, "t.a", "unexpected text at end of line")
REJECT(t_header_trailing, "[t] x\n", 1, "t", "unexpected text at end of line")
REJECT(t_header_unclosed, "[t\n", 1, "t", "expected ']' after table name")
REJECT(t_header_empty, "[]\n", 1, "", "expected a bare key")
REJECT(t_header_empty_seg, "[a.]\n", 1, "a", "expected a bare key")
REJECT(t_missing_equals, "[t]\na 1\n", 2, "t.a", "expected '=' after key")
REJECT(t_no_key, "[t]\n= 1\n", 2, "t", "expected a bare key")
REJECT(t_key_too_long,
    "[t]\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa = 1\n",
    2, "t", "key too long")

static void
t_nul_byte(void **state)
{
	reject_len("[t]\na = 1\n\0", 11, 3, "", "NUL byte in file");
}

static void
t_too_many_items(void **state)
{
	size_t i, n = 7 + 2 * (TOML_MAX_ITEMS + 1) + 3;
	char *src = malloc(n), *p = src;

	assert_non_null(src);
	p += sprintf(p, "a = [");
	for (i = 0; i <= TOML_MAX_ITEMS; i++)
		p += sprintf(p, "1,");
	p += sprintf(p, "]\n");
	reject(src, 1, "a", "more than 1024 items");
	free(src);
}

static void
t_too_many_keys(void **state)
{
	char src[4096], *p = src;
	int i;

	p += sprintf(p, "[t]\n");
	for (i = 0; i <= TOML_MAX_KEYS; i++)
		p += sprintf(p, "k%d = 1\n", i);
	reject(src, TOML_MAX_KEYS + 2, "t.k128", "too many keys in table");
}

static void
t_too_many_tables(void **state)
{
	char src[4096], *p = src;
	int i;

	for (i = 0; i < TOML_MAX_TABLES; i++)
		p += sprintf(p, "[t%d]\n", i);
	reject(src, TOML_MAX_TABLES, "t63", "too many tables");
}

static void
t_integers(void **state)
{
	const char *src = "[t]\na = 0\nb = +17\nc = -0\nd = 1_000_000\n"
	    "e = 9223372036854775807\nf = -9223372036854775808\ng = -42\n";
	const int64_t want[] = { 0, 17, 0, 1000000, INT64_MAX, INT64_MIN, -42 };
	struct toml_doc doc;
	size_t i;

	parse_ok(src, &doc);
	for (i = 0; i < 7; i++) {
		assert_int_equal(kv(&doc, 1, i)->val.type, TOML_INTEGER);
		assert_true(kv(&doc, 1, i)->val.num == want[i]);
		assert_int_equal(kv(&doc, 1, i)->line, (int)i + 2);
	}
	toml_free(&doc);
}

static void
t_strings(void **state)
{
	const char *src = "[t]\n"
	    "a = \"q\\\" b\\\\ n\\n t\\t r\\r b\\b f\\f \\u00e9 \\U0001F600\"\n"
	    "b = 'C:\\path\\no escape \"'\n"
	    "c = \"\"\n"
	    "d = 'tab\there'\n"
	    "e = \"caf\xc3\xa9\"\n";
	struct toml_doc doc;

	parse_ok(src, &doc);
	assert_string_equal(kv(&doc, 1, 0)->val.str,
	    "q\" b\\ n\n t\t r\r b\b f\f \xc3\xa9 \xf0\x9f\x98\x80");
	assert_string_equal(kv(&doc, 1, 1)->val.str, "C:\\path\\no escape \"");
	assert_string_equal(kv(&doc, 1, 2)->val.str, "");
	assert_string_equal(kv(&doc, 1, 3)->val.str, "tab\there");
	assert_string_equal(kv(&doc, 1, 4)->val.str, "caf\xc3\xa9");
	toml_free(&doc);
}

static void
t_booleans(void **state)
{
	struct toml_doc doc;

	parse_ok("[t]\na = true\nb = false # no\n", &doc);
	assert_int_equal(kv(&doc, 1, 0)->val.type, TOML_BOOLEAN);
	assert_true(kv(&doc, 1, 0)->val.boolean);
	assert_false(kv(&doc, 1, 1)->val.boolean);
	toml_free(&doc);
}

static void
t_multiline_array(void **state)
{
	const char *src = "[t]\n"
	    "a = [ # opening comment\n"
	    "  \"x\",   # first\n"
	    "\n"
	    "  'y' ,\n"
	    "]\n"
	    "b = []\n"
	    "c = [1, 2,3]\n";
	struct toml_doc doc;
	const struct toml_kv *a;

	parse_ok(src, &doc);
	a = kv(&doc, 1, 0);
	assert_int_equal(a->val.type, TOML_ARRAY);
	assert_int_equal(a->val.n_items, 2);
	assert_string_equal(a->val.items[0].str, "x");
	assert_int_equal(a->val.items[0].line, 3);
	assert_string_equal(a->val.items[1].str, "y");
	assert_int_equal(a->val.items[1].line, 5);
	assert_int_equal(kv(&doc, 1, 1)->val.n_items, 0);
	assert_int_equal(kv(&doc, 1, 1)->line, 7);
	assert_int_equal(kv(&doc, 1, 2)->val.n_items, 3);
	assert_true(kv(&doc, 1, 2)->val.items[2].num == 3);
	toml_free(&doc);
}

static void
t_tables(void **state)
{
	const char *src = "top = 1\n"
	    "[ a . b ]  # spaced\n"
	    "x = 1\n"
	    "[a]\n"
	    "y-2_Z = 2\n"
	    "\n"
	    "[c]\n";
	struct toml_doc doc;

	parse_ok(src, &doc);
	assert_int_equal(doc.n_tables, 4);
	assert_string_equal(doc.tables[0].name, "");
	assert_string_equal(kv(&doc, 0, 0)->key, "top");
	assert_string_equal(doc.tables[1].name, "a.b");
	assert_int_equal(doc.tables[1].line, 2);
	assert_string_equal(doc.tables[2].name, "a");
	assert_string_equal(kv(&doc, 2, 0)->key, "y-2_Z");
	assert_string_equal(doc.tables[3].name, "c");
	assert_int_equal(doc.tables[3].n_kv, 0);
	toml_free(&doc);
}

static void
t_crlf_and_empty(void **state)
{
	struct toml_doc doc;

	parse_ok("[t]\r\na = 1\r\n# c\r\nb = 2", &doc);
	assert_int_equal(kv(&doc, 1, 1)->line, 4);
	toml_free(&doc);
	parse_ok("", &doc);
	assert_int_equal(doc.n_tables, 1);
	toml_free(&doc);
	parse_ok("\n# only a comment\n\n", &doc);
	toml_free(&doc);
}

static void
t_unterminated_input(void **state)
{
	/* No terminating NUL: the parser must stop at len, not at a NUL. */
	const char src[] = { '[', 't', ']', '\n', 'a', ' ', '=', ' ', '1', '2' };
	struct toml_doc doc;
	struct toml_err e;

	assert_int_equal(toml_parse(src, 9, &doc, &e), 0);
	assert_true(kv(&doc, 1, 0)->val.num == 1);
	toml_free(&doc);
	assert_int_equal(toml_parse(src, 7, &doc, &e), -1);
	assert_string_equal(e.msg, "missing value");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_float), cmocka_unit_test(t_float_exp),
		cmocka_unit_test(t_float_inf), cmocka_unit_test(t_float_nan),
		cmocka_unit_test(t_date), cmocka_unit_test(t_datetime),
		cmocka_unit_test(t_time), cmocka_unit_test(t_hex),
		cmocka_unit_test(t_octal), cmocka_unit_test(t_leading_zero),
		cmocka_unit_test(t_leading_zero_us), cmocka_unit_test(t_overflow),
		cmocka_unit_test(t_underflow),
		cmocka_unit_test(t_underscore_double),
		cmocka_unit_test(t_underscore_trailing),
		cmocka_unit_test(t_underscore_leading),
		cmocka_unit_test(t_sign_only), cmocka_unit_test(t_inline_table),
		cmocka_unit_test(t_multiline_basic),
		cmocka_unit_test(t_multiline_literal),
		cmocka_unit_test(t_dotted_key), cmocka_unit_test(t_quoted_key),
		cmocka_unit_test(t_quoted_table), cmocka_unit_test(t_dup_key),
		cmocka_unit_test(t_dup_table),
		cmocka_unit_test(t_table_redefines_key),
		cmocka_unit_test(t_table_redefines_root_key),
		cmocka_unit_test(t_key_redefines_table),
		cmocka_unit_test(t_array_of_tables),
		cmocka_unit_test(t_nested_array), cmocka_unit_test(t_mixed_array),
		cmocka_unit_test(t_bool_array),
		cmocka_unit_test(t_unterminated_array),
		cmocka_unit_test(t_array_missing_comma),
		cmocka_unit_test(t_array_empty_item),
		cmocka_unit_test(t_unterminated_string),
		cmocka_unit_test(t_unterminated_literal),
		cmocka_unit_test(t_invalid_escape),
		cmocka_unit_test(t_short_unicode), cmocka_unit_test(t_surrogate),
		cmocka_unit_test(t_beyond_unicode),
		cmocka_unit_test(t_escaped_nul), cmocka_unit_test(t_ctl_in_string),
		cmocka_unit_test(t_del_in_literal),
		cmocka_unit_test(t_ctl_in_comment),
		cmocka_unit_test(t_invalid_utf8),
		cmocka_unit_test(t_overlong_utf8),
		cmocka_unit_test(t_utf8_surrogate),
		cmocka_unit_test(t_truncated_utf8), cmocka_unit_test(t_bare_cr),
		cmocka_unit_test(t_missing_value),
		cmocka_unit_test(t_missing_value_eof),
		cmocka_unit_test(t_bare_word), cmocka_unit_test(t_bool_prefix),
		cmocka_unit_test(t_trailing_text),
		cmocka_unit_test(t_header_trailing),
		cmocka_unit_test(t_header_unclosed),
		cmocka_unit_test(t_header_empty),
		cmocka_unit_test(t_header_empty_seg),
		cmocka_unit_test(t_missing_equals), cmocka_unit_test(t_no_key),
		cmocka_unit_test(t_key_too_long), cmocka_unit_test(t_nul_byte),
		cmocka_unit_test(t_too_many_items),
		cmocka_unit_test(t_too_many_keys),
		cmocka_unit_test(t_too_many_tables),
		cmocka_unit_test(t_integers), cmocka_unit_test(t_strings),
		cmocka_unit_test(t_booleans), cmocka_unit_test(t_multiline_array),
		cmocka_unit_test(t_tables), cmocka_unit_test(t_crlf_and_empty),
		cmocka_unit_test(t_unterminated_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

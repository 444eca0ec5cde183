// SPDX-License-Identifier: MIT
/*
 * The output escapers (textesc.h): every C0 byte, DEL, every C1 code point,
 * the format characters that reorder a line, and every kind of byte that is
 * not UTF-8 (lone continuation, overlong, surrogate, truncated, beyond
 * U+10FFFF, bytes that never start a sequence), in the text encoding and
 * in the JSON one; the JSON one is checked to be valid UTF-8 JSON that
 * decodes back to the input, and the printer of whole cJSON trees.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/util.h"

/* What the escapers promise: UTF-8, and no raw control, C1 or format character. */
static void assert_safe(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t n;

	for (; *p; p += n)
		if ((n = utf8_decode(p, &cp)) == 0 || text_cp_unsafe(cp))
			fail_msg("raw byte 0x%02x in \"%s\"", *p, s);
}

static void text_is(const char *in, const char *want)
{
	char *got = text_escape(in);

	assert_non_null(got);
	assert_safe(got);
	if (strcmp(got, want) != 0)
		fail_msg("text_escape(%s): got \"%s\", want \"%s\"", in, got, want);
	free(got);
}

/* The JSON encoding of in, as a whole string literal. */
static char *json_of(const char *in, bool bytes)
{
	size_t n = strlen(in);
	char *out = malloc(JSON_ESCAPE_MAX(n) + 3);

	assert_non_null(out);
	out[0] = '"';
	n = json_escape_body(out + 1, in, n, bytes);
	out[n + 1] = '"';
	out[n + 2] = '\0';
	return out;
}

static void json_is(const char *in, const char *want)
{
	char *got = json_of(in, true);

	if (strcmp(got, want) != 0)
		fail_msg("json(%s): got %s, want %s", in, got, want);
	free(got);
}

/* Decode a JSON string literal (what any reader does) and then its \xNN escapes. */
static size_t json_decode_bytes(const char *lit, unsigned char *out)
{
	cJSON *j = cJSON_Parse(lit);
	const char *v;
	size_t k = 0;

	assert_non_null(j);
	assert_true(cJSON_IsString(j));
	v = j->valuestring;
	assert_true(utf8_valid(v));
	for (size_t i = 0; v[i];) {
		if (v[i] == '\\' && v[i + 1] == 'x' && isxdigit((unsigned char)v[i + 2]) &&
		    isxdigit((unsigned char)v[i + 3])) {
			char hex[3] = { v[i + 2], v[i + 3], 0 };

			out[k++] = (unsigned char)strtoul(hex, NULL, 16);
			i += 4;
		} else
			out[k++] = (unsigned char)v[i++];
	}
	cJSON_Delete(j);
	return k;
}

static void t_utf8_decode(void **state)
{
	uint32_t cp;

	(void)state;
	assert_int_equal(utf8_decode((const unsigned char *)"A", &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(utf8_decode((const unsigned char *)"\xc3\xa9", &cp), 2);
	assert_int_equal(cp, 0xe9);
	assert_int_equal(utf8_decode((const unsigned char *)"\xe2\x80\xae", &cp), 3);
	assert_int_equal(cp, 0x202e);
	assert_int_equal(utf8_decode((const unsigned char *)"\xf4\x8f\xbf\xbf", &cp), 4);
	assert_int_equal(cp, 0x10ffff);
	/* Overlong forms of '/', NUL and U+FFFF; surrogates; beyond U+10FFFF; truncated. */
	static const char *const bad[] = {
		"\xc0\xaf", "\xc1\xbf", "\xc0\x80", "\xe0\x80\xaf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf",
		"\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80",
		"\xff", "\xfe", "\x80", "\xbf", "\xc3", "\xe2\x80", "\xf0\x9f\x98", "\xe2\x28\xa1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (utf8_decode((const unsigned char *)bad[i], &cp) != 0)
			fail_msg("bad[%zu] decoded", i);
		assert_false(utf8_valid(bad[i]));
	}
	assert_true(utf8_valid("plain \xc3\xa9\xe2\x80\xae\xf0\x9f\x98\x80"));
}

static void t_text_every_c0_and_del(void **state)
{
	char in[2] = { 0 }, want[8];

	(void)state;
	for (int c = 1; c < 0x20; c++) {
		in[0] = (char)c;
		if (c == '\n')
			strcpy(want, "\\n");
		else if (c == '\r')
			strcpy(want, "\\r");
		else if (c == '\t')
			strcpy(want, "\\t");
		else
			snprintf(want, sizeof(want), "\\x%02x", c);
		text_is(in, want);
	}
	text_is("\x7f", "\\x7f");
	text_is("\x1b[2J\x1b]0;title\x07", "\\x1b[2J\\x1b]0;title\\x07");
}

static void t_text_every_c1(void **state)
{
	char in[3] = { 0 }, want[8];

	(void)state;
	for (int c = 0x80; c < 0xa0; c++) {
		in[0] = (char)(0xc0 | c >> 6);
		in[1] = (char)(0x80 | (c & 0x3f));
		snprintf(want, sizeof(want), "\\u%04x", c);
		text_is(in, want);
	}
	text_is("\xc2\xa0", "\xc2\xa0");	/* NBSP is printable: kept */
}

static void t_text_format_chars(void **state)
{
	(void)state;
	text_is("a\xe2\x80\xae" "exe.txt", "a\\u202eexe.txt");	/* RLO */
	text_is("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", "\\u202a\\u202b\\u202c\\u202d");
	text_is("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", "\\u2066\\u2067\\u2068\\u2069");
	text_is("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\\u200e\\u200f\\u061c");	/* LRM RLM ALM */
	text_is("\xe2\x80\x8b\xe2\x80\x8d\xef\xbb\xbf\xc2\xad", "\\u200b\\u200d\\ufeff\\u00ad");
	text_is("\xe2\x80\xa8\xe2\x80\xa9", "\\u2028\\u2029");
	text_is("\xf3\xa0\x80\x81\xf3\xa0\x81\xbf", "\\U000e0001\\U000e007f");	/* tags */
	text_is("caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80", "caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80");
	assert_true(text_cp_unsafe(0x202e));
	assert_false(text_cp_unsafe(0x2030));
	assert_false(text_cp_unsafe('~'));
}

static void t_text_invalid_utf8(void **state)
{
	(void)state;
	text_is("\xff\xfe", "\\xff\\xfe");
	text_is("\xc0\x80", "\\xc0\\x80");	/* overlong NUL */
	text_is("\xe0\x80\xaf", "\\xe0\\x80\\xaf");	/* overlong '/' */
	text_is("\xed\xa0\x80", "\\xed\\xa0\\x80");	/* surrogate */
	text_is("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");	/* > U+10FFFF */
	text_is("ab\xe2\x80", "ab\\xe2\\x80");	/* truncated at the end */
	text_is("\xe2\x80z", "\\xe2\\x80z");	/* truncated before ASCII */
	text_is("\x80\xbf", "\\x80\\xbf");	/* lone continuations */
	text_is("a\\x41", "a\\\\x41");	/* a backslash never reads as an escape */
	text_is("", "");
	assert_null(text_escape(NULL));
	/* Every pair and triple prefix of bytes: the output is always safe text. */
	for (int a = 1; a < 256; a++)
		for (int b = 1; b < 256; b++) {
			char in[4] = { (char)a, (char)b, (char)0xa0, 0 }, *got = text_escape(in);

			assert_safe(got);
			free(got);
		}
}

static void t_text_to_truncates_whole(void **state)
{
	char buf[6];

	(void)state;
	assert_string_equal(text_escape_to(buf, sizeof(buf), "ab\x1b" "cd"), "ab");
	assert_string_equal(text_escape_to(buf, sizeof(buf), "abcdefgh"), "abcde");
	assert_string_equal(text_escape_to(buf, sizeof(buf), NULL), "");
	assert_ptr_equal(text_escape_to(buf, 0, "x"), buf);
}

static void t_json_escapes(void **state)
{
	(void)state;
	json_is("plain", "\"plain\"");
	json_is("\"\\\b\f\n\r\t", "\"\\\"\\\\\\b\\f\\n\\r\\t\"");
	json_is("\x01\x1b\x1f\x7f", "\"\\u0001\\u001b\\u001f\\u007f\"");
	json_is("\xc2\x85\xe2\x80\xae", "\"\\u0085\\u202e\"");
	json_is("\xf3\xa0\x80\x81", "\"\\udb40\\udc01\"");	/* U+E0001 as a surrogate pair */
	json_is("\xff", "\"\\\\xff\"");
	json_is("\xed\xa0\x80", "\"\\\\xed\\\\xa0\\\\x80\"");
	json_is("\\x41", "\"\\\\x5cx41\"");	/* reads as an escape: escaped */
	json_is("\\xg1\\", "\"\\\\xg1\\\\\"");	/* does not: a plain backslash */
	json_is("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	/* Text mode keeps a backslash as it is and never emits a raw bad byte. */
	char *t = json_of("\\x41\xff", false);

	assert_string_equal(t, "\"\\\\x41\\ufffd\"");
	free(t);
}

/* Every byte value, alone and around others: valid JSON, ASCII, lossless. */
static void t_json_every_byte_lossless(void **state)
{
	unsigned char in[8], back[64];

	(void)state;
	for (int b = 1; b < 256; b++) {
		static const char *const around[] = { "", "\\x", "\\", "\xe2\x80", "a" };

		for (size_t k = 0; k < sizeof(around) / sizeof(around[0]); k++) {
			size_t n = strlen(around[k]);
			char *lit;

			memcpy(in, around[k], n);
			in[n] = (unsigned char)b;
			in[n + 1] = '7';
			in[n + 2] = 'f';
			in[n + 3] = '\0';
			lit = json_of((const char *)in, true);
			assert_safe(lit);
			if (json_decode_bytes(lit, back) != n + 3 || memcmp(back, in, n + 3) != 0)
				fail_msg("byte 0x%02x after \"%s\" does not come back from %s", b, around[k], lit);
			/* bytes_decode, which raggedctl uses on logged values, agrees. */
			{
				cJSON *j = cJSON_Parse(lit);
				char *dec = bytes_decode(j->valuestring);

				assert_string_equal(dec, (const char *)in);
				free(dec);
				cJSON_Delete(j);
			}
			free(lit);
		}
	}
}

static void t_bytes_decode(void **state)
{
	char *d;

	(void)state;
	d = bytes_decode("a\\xff\\x5cx41\\xZZ\\x00\\x4");
	assert_string_equal(d, "a\xff\\x41\\xZZ\\x00\\x4");	/* \x00 would end the string: kept */
	free(d);
	assert_null(bytes_decode(NULL));
	/* A logged value on the terminal: the byte reads \xff, the literal text \\x41. */
	d = bytes_decode("\\xff\\x5cx41");
	text_is(d, "\\xff\\\\x41");
	free(d);
}

static void t_json_print_tree(void **state)
{
	cJSON *o = cJSON_CreateObject(), *back;
	char *s;

	(void)state;
	cJSON_AddStringToObject(o, "path", "/tmp/\x1b[2J\xff\xe2\x80\xae");
	cJSON_AddStringToObject(o, "text", "\\x41 \xc3\xa9");	/* UTF-8 already: value kept */
	cJSON_AddStringToObject(o, "k\x1b", "v");
	cJSON_AddNumberToObject(o, "int", 42);
	cJSON_AddNumberToObject(o, "neg", -7);
	cJSON_AddNumberToObject(o, "frac", 0.1);
	cJSON_AddNumberToObject(o, "big", 1e300);
	cJSON_AddBoolToObject(o, "t", 1);
	cJSON_AddNullToObject(o, "n");
	cJSON_AddItemToObject(o, "a", cJSON_CreateIntArray((const int[]){ 1, 2 }, 2));
	s = json_print(o);
	assert_non_null(s);
	assert_string_equal(s, "{\"path\":\"/tmp/\\u001b[2J\\\\xff\\u202e\",\"text\":\"\\\\x41 \xc3\xa9\","
			    "\"k\\u001b\":\"v\",\"int\":42,\"neg\":-7,\"frac\":0.1,\"big\":1e+300,"
			    "\"t\":true,\"n\":null,\"a\":[1,2]}");
	back = cJSON_Parse(s);
	assert_non_null(back);
	assert_string_equal(cJSON_GetObjectItem(back, "text")->valuestring, "\\x41 \xc3\xa9");
	assert_true(cJSON_GetObjectItem(back, "frac")->valuedouble == 0.1);
	cJSON_Delete(back);
	free(s);
	/* Raw text is not JSON the printer can vouch for. */
	cJSON_AddItemToObject(o, "raw", cJSON_CreateRaw("{"));
	assert_null(json_print(o));
	assert_null(json_print(NULL));
	cJSON_Delete(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_utf8_decode),
		cmocka_unit_test(t_text_every_c0_and_del),
		cmocka_unit_test(t_text_every_c1),
		cmocka_unit_test(t_text_format_chars),
		cmocka_unit_test(t_text_invalid_utf8),
		cmocka_unit_test(t_text_to_truncates_whole),
		cmocka_unit_test(t_json_escapes),
		cmocka_unit_test(t_json_every_byte_lossless),
		cmocka_unit_test(t_bytes_decode),
		cmocka_unit_test(t_json_print_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

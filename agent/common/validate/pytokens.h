/* SPDX-License-Identifier: MIT */
/*
 * A small Python tokenizer for the plugin validator (validate.h).
 *
 * It splits source into names, numbers, string literals, operators,
 * comments and logical-line ends, with line numbers, so that the rules
 * work on tokens: text inside a string literal or a comment can never
 * look like a call. It follows the Python 3.12 lexical rules the rules
 * depend on: string prefixes (r, b, u, f, t and their combinations, any
 * case), triple quotes, backslash continuation, implicit line joining
 * inside brackets, and f-string replacement fields with nested quotes
 * (PEP 701), whose expressions are recorded so they can be analysed as
 * code. Indentation is not tracked. Nothing here allocates per token
 * beyond the token array; every offset is into the caller's buffer.
 */
#ifndef RAGGED_PYTOKENS_H
#define RAGGED_PYTOKENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pyt_kind {
	PYT_NAME,	/* identifier or keyword */
	PYT_NUMBER,
	PYT_STRING,	/* one literal: prefix, quotes and body */
	PYT_OP,		/* operator or bracket, longest match */
	PYT_NEWLINE,	/* end of a logical line (not inside brackets) */
	PYT_COMMENT,	/* "# ..." up to the end of the line */
	PYT_ERROR,	/* a byte that starts no token, or an unterminated string */
};

/* String token flags. */
#define PYT_STR_RAW	0x01
#define PYT_STR_BYTES	0x02
#define PYT_STR_F	0x04	/* f-string (or t-string): has replacement fields */
#define PYT_STR_TRIPLE	0x08
#define PYT_STR_UNTERM	0x10	/* no closing quote before the end (kind is PYT_ERROR) */
/*
 * Name token flags. A run of name bytes with non-ASCII in it is checked as
 * CPython checks an identifier (pyident.h): a NAME when it is one (fold it
 * with pyt_name_fold), else an ERROR token with PYT_NAME_INVALID.
 */
#define PYT_NAME_NONASCII 0x20
#define PYT_NAME_UNKNOWN 0x40	/* NAME with a code point the Unicode tables do not know */
#define PYT_NAME_INVALID 0x80	/* ERROR: an identifier CPython rejects */

struct pyt_token {
	uint32_t off, len;		/* the whole token in the source */
	uint32_t body_off, body_len;	/* strings: between the quotes */
	uint32_t line;			/* 1-based line of the first byte */
	uint32_t field0, nfields;	/* f-strings: index range in pyt_stream.fields */
	uint8_t kind;			/* enum pyt_kind */
	uint8_t flags;
};

/* One f-string replacement field's expression text ("{expr!r:spec}" -> "expr"). */
struct pyt_field {
	uint32_t off, len;
	uint32_t line;
};

struct pyt_stream {
	struct pyt_token *t;
	size_t n, cap;
	struct pyt_field *fields;
	size_t nfields, fcap;
	uint32_t lines;		/* physical lines seen */
	uint32_t errors;	/* PYT_ERROR tokens */
	uint32_t nonascii;	/* NAME tokens with PYT_NAME_NONASCII */
};

/*
 * Tokenize len bytes of src (need not be NUL-terminated; NUL bytes are
 * errors, not terminators). first_line numbers the first line (1 for a
 * file; the line of a string when its contents are analysed as code).
 * Lexical errors become PYT_ERROR tokens and tokenizing goes on. Returns 0,
 * or -1 (ENOMEM, or EFBIG for inputs of 4 GiB or more); the stream is
 * always safe to pass to pyt_free.
 */
int pyt_tokenize(const char *src, size_t len, uint32_t first_line, struct pyt_stream *out);
void pyt_free(struct pyt_stream *s);

/* Token text equals s exactly (names, operators). */
bool pyt_is(const char *src, const struct pyt_token *t, const char *s);

/*
 * The value of a string literal: escape sequences decoded for non-raw
 * strings (\n \t \xHH \ooo \uXXXX \UXXXXXXXX as UTF-8, \N{...} as '?'),
 * the body as written for raw ones; f-string fields are kept as text.
 * Writes at most cap-1 bytes and a NUL; returns the full decoded length.
 */
size_t pyt_string_value(const char *src, const struct pyt_token *t, char *buf, size_t cap);

/*
 * A name as Python sees it: NFKC of the whole identifier when it has
 * non-ASCII characters (PEP 3131; "ｅｖａｌ", "𝐞𝐯𝐚𝐥" and "ℯval" are eval,
 * "a" and U+0300 compose to "à"), the name as written otherwise. Writes at
 * most cap-1 bytes and a NUL (truncated between characters). Returns true
 * when the result is pure ASCII and fits.
 */
bool pyt_name_fold(const char *src, const struct pyt_token *t, char *buf, size_t cap);

const char *pyt_kind_name(enum pyt_kind k);

#endif

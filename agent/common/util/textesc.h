/* SPDX-License-Identifier: MIT */
/*
 * What raggedctl prints and what the audit log holds are built from bytes a
 * plugin chooses (paths, socket names, argv, reasons). One module turns them
 * into safe output; docs/audit-format.md "Strings" is the reference.
 *
 * Two encodings:
 *  - text (terminal): printable ASCII and well-formed UTF-8 as they are,
 *    except that nothing reaches the terminal that moves the cursor,
 *    starts an escape sequence or reorders the line: C0 controls and DEL
 *    (\n \r \t \xNN), C1 controls and Unicode format characters (bidi
 *    overrides and isolates, zero-width characters, U+2028/U+2029: \uXXXX
 *    or \UXXXXXXXX), bytes that are not UTF-8 (\xNN, NN >= 80) and the
 *    backslash itself (\\), so every escape reads one way.
 *  - JSON: always valid UTF-8 JSON. In "bytes" mode (the audit log, and
 *    any string that is not UTF-8) a byte that is not UTF-8 becomes the
 *    four characters \xNN of the string's value, and a backslash that
 *    would read as such an escape is written \x5c: lossless, decode every
 *    "\xNN" of the value back to byte NN. Controls, DEL, C1 and format
 *    characters are written as \u escapes (the value is unchanged), so a
 *    raw line cannot drive a terminal either.
 */
#ifndef RAGGED_TEXTESC_H
#define RAGGED_TEXTESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* The well-formed UTF-8 sequence at s (RFC 3629): its length and code point, 0 if none. */
size_t utf8_decode(const unsigned char *s, uint32_t *cp);
/* Is s (NUL-terminated) well-formed UTF-8 throughout? */
bool utf8_valid(const char *s);
/* C0, DEL, C1, format characters (Cf), line and paragraph separators. */
bool text_cp_unsafe(uint32_t cp);

/* The text encoding of s; the worst case is TEXT_ESCAPE_MAX(strlen(s)) bytes with the NUL. */
#define TEXT_ESCAPE_MAX(n) (4 * (n) + 1)
/* Into out (snprintf-like: truncated at a whole escape, always terminated); returns out. */
char *text_escape_to(char *out, size_t outsz, const char *s);
/* malloc'd; NULL for NULL or out of memory. */
char *text_escape(const char *s);

/*
 * A value in the "bytes" encoding (an audit record's strings) back to the
 * bytes it stands for: each \xNN becomes byte NN (one that would be a NUL
 * stays as it is written). malloc'd, NULL for NULL or out of memory. Text
 * output of a logged value is text_escape of this, so a byte that is not
 * UTF-8 reads \xNN on the terminal too, not \\xNN.
 */
char *bytes_decode(const char *s);

/* JSON string body (no quotes) of the n bytes at s (s[n] is a NUL) into out, which has JSON_ESCAPE_MAX(n). */
#define JSON_ESCAPE_MAX(n) (6 * (n))
size_t json_escape_body(char *out, const char *s, size_t n, bool bytes);
/*
 * The escape of the one character at s (s[0] is '"', '\\', < 0x20, 0x7f or
 * >= 0x80); *used says how many bytes it took. For a writer with its own
 * fast path for plain ASCII (the audit serializer).
 */
size_t json_escape_char(char *out, const unsigned char *s, size_t *used, bool bytes);

/*
 * Unformatted JSON of v, each string in "bytes" mode only if it is not
 * UTF-8 (a value that already is text keeps its value). malloc'd, NULL on
 * error or nesting deeper than 64.
 */
char *json_print(const cJSON *v);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Python identifiers as CPython reads them (PEP 3131), on libutf8proc's
 * Unicode data: which code points may start and continue an identifier
 * (XID_Start, XID_Continue), and the NFKC normalisation CPython applies to
 * a whole non-ASCII identifier before it names anything ("ｅｘｅｃ",
 * "𝐞𝐱𝐞𝐜" and "ᵉxec" are all exec). The tokenizer (pytokens.c) checks
 * every non-ASCII name with pyid_check; pyt_name_fold (pytokens.h) folds
 * it. tests/unit/test_pyident.c compares all of this, code point by code
 * point, with the python3 of the build machine.
 */
#ifndef RAGGED_PYIDENT_H
#define RAGGED_PYIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pyid_verdict {
	PYID_OK,	/* an identifier CPython accepts */
	PYID_INVALID,	/* CPython rejects it: bytes that are not UTF-8, or a code point
			 * that is not XID_Start (first) / XID_Continue (after) */
	PYID_UNKNOWN,	/* a code point unassigned in the library's Unicode version: a
			 * newer Python may accept it, as a name nobody here can fold */
};

/*
 * Check the len bytes at s (len > 0) as one identifier, the way CPython's
 * tokenizer does after it has taken a run of name bytes: decode UTF-8, then
 * the first code point must be XID_Start or '_', the others XID_Continue.
 * *cp gets the first offending code point (UINT32_MAX for bytes that are
 * not UTF-8), *at its byte offset; both are left alone for PYID_OK.
 */
enum pyid_verdict pyid_check(const char *s, size_t len, uint32_t *cp, size_t *at);

/*
 * One code point: may it start a Python identifier (XID_Start or '_'), may
 * it continue one (XID_Continue), is it assigned in the library's Unicode.
 */
bool pyid_can_start(uint32_t cp);
bool pyid_can_continue(uint32_t cp);
bool pyid_assigned(uint32_t cp);

/*
 * NFKC of the whole UTF-8 string s (not code point by code point: a base
 * and its combining marks compose). Writes at most cap-1 bytes and a NUL;
 * returns the full length, or -1 when s is not valid UTF-8 (buf then holds
 * s as written, truncated to fit).
 */
long pyid_nfkc(const char *s, size_t len, char *buf, size_t cap);

/* The Unicode version of the tables in use ("15.0.0"). */
const char *pyid_unicode_version(void);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Internal to the TOML parser, shared by toml.c (structure: tables, keys,
 * arrays) and toml_lex.c (scalars: strings, escapes, integers, booleans).
 * Schema code uses toml.h only.
 */
#ifndef RAGGED_TOML_LEX_H
#define RAGGED_TOML_LEX_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "toml.h"

struct parser {
	const char *p, *end;
	int line;
	struct toml_doc *doc;
	size_t cur;		/* index of the table keys go into */
	struct toml_err *e;
};

static inline int __attribute__((format(printf, 4, 5)))
fail(struct parser *ps, int line, const char *key, const char *fmt, ...)
{
	va_list ap;

	ps->e->line = line;
	snprintf(ps->e->key, sizeof(ps->e->key), "%s", key ? key : "");
	va_start(ap, fmt);
	vsnprintf(ps->e->msg, sizeof(ps->e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static inline bool
is_bare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* TOML forbids control characters other than tab in strings and comments. */
static inline bool
is_ctl(int c)
{
	return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

/*
 * One scalar starting at ps->p (toml_lex.c). Each fills v, or returns -1
 * through fail() with key (the dotted key, or "key[i]" for an array item).
 */
int toml_lex_string(struct parser *ps, struct toml_value *v, const char *key);
int toml_lex_integer(struct parser *ps, struct toml_value *v, const char *key);
int toml_lex_boolean(struct parser *ps, struct toml_value *v, const char *key);

#endif

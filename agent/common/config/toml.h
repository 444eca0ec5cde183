/* SPDX-License-Identifier: MIT */
/*
 * A strict parser for the small TOML subset that plugin manifests and the
 * agent config use, plus the helpers both schemas share.
 *
 * Accepted: [table] and [a.b] headers, bare keys, basic and literal strings,
 * decimal integers, booleans, one-level arrays of strings or of integers,
 * comments. Everything else TOML has (floats, dates, inline tables, arrays
 * of tables, multi-line strings, quoted or dotted keys, mixed arrays) is
 * rejected, as are duplicate keys and tables and any redefinition.
 *
 * The parser is the first thing that touches untrusted plugin input, so it
 * prefers refusing to guessing: a file either parses into exactly what its
 * author wrote or is rejected with a line number and a key.
 */
#ifndef RAGGED_TOML_H
#define RAGGED_TOML_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOML_MAX_TABLES 64	/* both schemas need fewer than ten */
#define TOML_MAX_KEYS 128	/* per table */
#define TOML_MAX_ITEMS 1024	/* per array */
#define TOML_MAX_KEY 64		/* bytes in one bare key */
#define TOML_MAX_TABLE_NAME 128

enum toml_type {
	TOML_STRING = 1,
	TOML_INTEGER,
	TOML_BOOLEAN,
	TOML_ARRAY,
};

struct toml_value {
	enum toml_type type;
	int line;			/* where the value (or array item) starts */
	char *str;			/* STRING: UTF-8, never contains NUL */
	int64_t num;			/* INTEGER */
	bool boolean;			/* BOOLEAN */
	struct toml_value *items;	/* ARRAY: all STRING or all INTEGER */
	size_t n_items;
};

struct toml_kv {
	char *key;
	int line;
	struct toml_value val;
};

struct toml_table {
	char *name;		/* dotted ("limits.max"); "" is the root table */
	int line;		/* header line; 0 for the root */
	struct toml_kv *kv;	/* in file order */
	size_t n_kv;
};

struct toml_doc {
	struct toml_table *tables;	/* tables[0] is the root; then file order */
	size_t n_tables;
};

struct toml_err {
	int line;		/* 0 = not about a line */
	char key[192];		/* dotted key, "" = not about a key */
	char msg[192];
};

/*
 * Parse len bytes (no NUL terminator needed). Returns 0, or -1 with e
 * filled in and doc empty. toml_free() is safe on either outcome.
 */
int toml_parse(const char *buf, size_t len, struct toml_doc *doc,
	       struct toml_err *e);
void toml_free(struct toml_doc *doc);
const char *toml_type_name(enum toml_type t);

/*
 * Schema helpers shared by manifest.c and config.c (implemented in
 * schema.c).
 *
 * Every error leaves the building as one line "FILE:LINE: KEY: message"
 * (": KEY" dropped when there is no key, ":LINE" when there is no line),
 * with control characters replaced so a hostile file cannot forge lines or
 * drive a terminal.
 */
struct toml_ctx {
	const char *file;
	char *err;
	size_t errlen;
};

int toml_errf(const struct toml_ctx *x, int line, const char *key,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* "table.key" into buf (just "key" for the root table). */
const char *toml_fullkey(char *buf, size_t sz, const char *table,
			 const char *key);
/* Type checks; -1 with an error naming the key. */
int toml_want(const struct toml_ctx *x, const char *table,
	      const struct toml_kv *kv, enum toml_type t);
int toml_want_array(const struct toml_ctx *x, const char *table,
		    const struct toml_kv *kv, enum toml_type item);
/* An integer in [lo, hi]. */
int toml_want_uint(const struct toml_ctx *x, const char *table,
		   const struct toml_kv *kv, uint32_t lo, uint32_t hi,
		   uint32_t *out);
/* Duplicate an array of strings into a NULL-terminated vector. */
char **toml_strv(const struct toml_value *arr);
void toml_strv_free(char **v);

/*
 * Read a whole file into a NUL-terminated heap buffer, refusing anything
 * but a regular file and anything over cap bytes. open_flags are added to
 * O_RDONLY|O_CLOEXEC|O_NONBLOCK (non-blocking so a FIFO cannot hang us).
 * Returns 0, or -errno (-EFBIG over the cap, -EINVAL not a regular file).
 * st_uid/st_mode of the opened file are returned when the pointers are set.
 */
int toml_read_file(const char *path, int open_flags, size_t cap,
		   char **buf, size_t *len, unsigned *uid, unsigned *mode);
/* Check size cap, emptiness (line number of the cap for the message). */
int toml_check_size(const struct toml_ctx *x, const char *buf, size_t len,
		    size_t cap);

#endif

// SPDX-License-Identifier: MIT
/*
 * Strict parser for the TOML subset of toml.h.
 *
 * One pass over the buffer, no recursion beyond "array holds scalars". The
 * whole input is checked for NUL and UTF-8 validity first so the rest of the
 * parser can treat every byte >= 0x80 as part of a valid character.
 * Scalars (strings, integers, booleans) are lexed in toml_lex.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml_lex.h"

/* Length of the UTF-8 sequence at s, 0 if invalid (overlong, surrogate, >U+10FFFF). */
static size_t
utf8_len(const unsigned char *s, const unsigned char *end)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if ((size_t)(end - s) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

static int
check_encoding(struct parser *ps)
{
	const unsigned char *s = (const unsigned char *)ps->p;
	const unsigned char *end = (const unsigned char *)ps->end;
	int line = 1;
	size_t n;

	while (s < end) {
		if (*s == '\0')
			return fail(ps, line, NULL, "NUL byte in file");
		if ((n = utf8_len(s, end)) == 0)
			return fail(ps, line, NULL, "invalid UTF-8");
		if (*s == '\n')
			line++;
		s += n;
	}
	return 0;
}

static bool
at(struct parser *ps, char c)
{
	return ps->p < ps->end && *ps->p == c;
}

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
}

static int
skip_comment(struct parser *ps)
{
	if (!at(ps, '#'))
		return 0;
	for (ps->p++; ps->p < ps->end && *ps->p != '\n'; ps->p++) {
		if (*ps->p == '\r' && ps->p + 1 < ps->end && ps->p[1] == '\n')
			break;
		if (is_ctl((unsigned char)*ps->p))
			return fail(ps, ps->line, NULL,
			    "control character in comment");
	}
	return 0;
}

/* Consume one newline (LF or CRLF); a lone CR is not a line ending. */
static int
eat_newline(struct parser *ps)
{
	if (at(ps, '\n')) {
		ps->p++;
	} else if (at(ps, '\r') && ps->p + 1 < ps->end && ps->p[1] == '\n') {
		ps->p += 2;
	} else {
		return -1;
	}
	ps->line++;
	return 0;
}

static int
end_of_line(struct parser *ps, const char *key)
{
	skip_ws(ps);
	if (skip_comment(ps) < 0)
		return -1;
	if (ps->p == ps->end || eat_newline(ps) == 0)
		return 0;
	if (at(ps, '\r'))
		return fail(ps, ps->line, key, "carriage return without line feed");
	return fail(ps, ps->line, key, "unexpected text at end of line");
}

/* Whitespace, newlines and comments, as allowed inside arrays. */
static int
skip_blank(struct parser *ps)
{
	for (;;) {
		skip_ws(ps);
		if (skip_comment(ps) < 0)
			return -1;
		if (eat_newline(ps) < 0)
			return 0;
	}
}

static int
bare_key(struct parser *ps, char *out, const char *ctx)
{
	size_t n = 0;

	if (at(ps, '"') || at(ps, '\''))
		return fail(ps, ps->line, ctx, "quoted keys are not supported");
	while (ps->p < ps->end && is_bare((unsigned char)*ps->p)) {
		if (n == TOML_MAX_KEY)
			return fail(ps, ps->line, ctx, "key too long");
		out[n++] = *ps->p++;
	}
	out[n] = '\0';
	if (n == 0)
		return fail(ps, ps->line, ctx, "expected a bare key");
	return 0;
}

static void
value_free(struct toml_value *v)
{
	size_t i;

	free(v->str);
	for (i = 0; i < v->n_items; i++)
		value_free(&v->items[i]);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

static int scalar(struct parser *ps, struct toml_value *v, const char *key);

static int
array_item(struct parser *ps, struct toml_value *v, const char *key)
{
	char ik[sizeof(ps->e->key)];
	struct toml_value *it;

	snprintf(ik, sizeof(ik), "%s[%zu]", key, v->n_items);
	if (at(ps, '['))
		return fail(ps, ps->line, ik, "nested arrays are not supported");
	if (v->n_items == TOML_MAX_ITEMS)
		return fail(ps, ps->line, key, "more than %d items",
		    TOML_MAX_ITEMS);
	it = realloc(v->items, (v->n_items + 1) * sizeof(*it));
	if (it == NULL)
		return fail(ps, ps->line, key, "out of memory");
	v->items = it;
	it = &v->items[v->n_items++];
	memset(it, 0, sizeof(*it));
	if (scalar(ps, it, ik) < 0)
		return -1;
	if (it->type != TOML_STRING && it->type != TOML_INTEGER)
		return fail(ps, it->line, ik,
		    "arrays may hold only strings or integers");
	if (it->type != v->items[0].type)
		return fail(ps, it->line, ik, "mixed types in array");
	return 0;
}

static int
array(struct parser *ps, struct toml_value *v, const char *key)
{
	int open = ps->line;

	ps->p++;
	v->type = TOML_ARRAY;
	for (;;) {
		if (skip_blank(ps) < 0)
			return -1;
		if (ps->p == ps->end)
			return fail(ps, open, key, "unterminated array");
		if (at(ps, ']'))
			break;
		if (array_item(ps, v, key) < 0 || skip_blank(ps) < 0)
			return -1;
		if (ps->p == ps->end)
			return fail(ps, open, key, "unterminated array");
		if (at(ps, ','))
			ps->p++;
		else if (!at(ps, ']'))
			return fail(ps, ps->line, key,
			    "expected ',' or ']' in array");
	}
	ps->p++;
	return 0;
}

static int
scalar(struct parser *ps, struct toml_value *v, const char *key)
{
	int c = ps->p < ps->end ? (unsigned char)*ps->p : -1;

	v->line = ps->line;
	if (c == '"' || c == '\'')
		return toml_lex_string(ps, v, key);
	if (c == '{')
		return fail(ps, ps->line, key, "inline tables are not supported");
	if (c == 't' || c == 'f')
		return toml_lex_boolean(ps, v, key);
	if ((c >= '0' && c <= '9') || c == '+' || c == '-')
		return toml_lex_integer(ps, v, key);
	if (c == 'i' || c == 'n')
		return fail(ps, ps->line, key, "floats are not supported");
	if (c == -1 || c == '\n' || c == '\r' || c == '#')
		return fail(ps, ps->line, key, "missing value");
	return fail(ps, ps->line, key, "invalid value");
}

static struct toml_table *
find_table(struct toml_doc *doc, const char *name)
{
	size_t i;

	for (i = 0; i < doc->n_tables; i++)
		if (strcmp(doc->tables[i].name, name) == 0)
			return &doc->tables[i];
	return NULL;
}

static struct toml_kv *
find_key(struct toml_table *t, const char *key, size_t klen)
{
	size_t i;

	for (i = 0; t != NULL && i < t->n_kv; i++)
		if (strlen(t->kv[i].key) == klen &&
		    strncmp(t->kv[i].key, key, klen) == 0)
			return &t->kv[i];
	return NULL;
}

/*
 * A table may not redefine a key: for [a.b.c], neither the root may hold
 * key a, nor [a] key b, nor [a.b] key c.
 */
static int
table_conflict(struct parser *ps, const char *name, int line)
{
	char parent[TOML_MAX_TABLE_NAME + 1] = "";
	const char *seg = name, *dot;
	struct toml_kv *kv;

	for (;;) {
		dot = strchr(seg, '.');
		kv = find_key(find_table(ps->doc, parent), seg,
		    dot ? (size_t)(dot - seg) : strlen(seg));
		if (kv != NULL)
			return fail(ps, line, name,
			    "table redefines the key set at line %d", kv->line);
		if (dot == NULL)
			return 0;
		snprintf(parent, sizeof(parent), "%.*s", (int)(dot - name), name);
		seg = dot + 1;
	}
}

static int
add_table(struct parser *ps, const char *name, int line)
{
	struct toml_table *t;

	if ((t = find_table(ps->doc, name)) != NULL)
		return fail(ps, line, name, "duplicate table (first at line %d)",
		    t->line);
	if (table_conflict(ps, name, line) < 0)
		return -1;
	if (ps->doc->n_tables == TOML_MAX_TABLES)
		return fail(ps, line, name, "too many tables");
	t = realloc(ps->doc->tables, (ps->doc->n_tables + 1) * sizeof(*t));
	if (t == NULL)
		return fail(ps, line, name, "out of memory");
	ps->doc->tables = t;
	t = &t[ps->doc->n_tables];
	memset(t, 0, sizeof(*t));
	if ((t->name = strdup(name)) == NULL)
		return fail(ps, line, name, "out of memory");
	t->line = line;
	ps->cur = ps->doc->n_tables++;
	return 0;
}

static int
header(struct parser *ps)
{
	char name[TOML_MAX_TABLE_NAME + 1] = "", seg[TOML_MAX_KEY + 1];
	int line = ps->line;

	ps->p++;
	if (at(ps, '['))
		return fail(ps, line, NULL, "arrays of tables are not supported");
	for (;;) {
		skip_ws(ps);
		if (bare_key(ps, seg, name) < 0)
			return -1;
		if (strlen(name) + strlen(seg) + 1 > TOML_MAX_TABLE_NAME)
			return fail(ps, line, name, "table name too long");
		if (name[0] != '\0')
			strcat(name, ".");
		strcat(name, seg);
		skip_ws(ps);
		if (!at(ps, '.'))
			break;
		ps->p++;
	}
	if (!at(ps, ']'))
		return fail(ps, line, name, "expected ']' after table name");
	ps->p++;
	if (add_table(ps, name, line) < 0)
		return -1;
	return end_of_line(ps, name);
}

/* A key may not be a table already defined, e.g. [a.b] then b = 1 in [a]. */
static struct toml_table *
key_is_table(struct parser *ps, const char *fk)
{
	size_t i, n = strlen(fk);
	const char *tn;

	for (i = 1; i < ps->doc->n_tables; i++) {
		tn = ps->doc->tables[i].name;
		if (strncmp(tn, fk, n) == 0 && (tn[n] == '\0' || tn[n] == '.'))
			return &ps->doc->tables[i];
	}
	return NULL;
}

static int
keyval(struct parser *ps)
{
	struct toml_table *t = &ps->doc->tables[ps->cur], *sub;
	char key[TOML_MAX_KEY + 1], fk[sizeof(ps->e->key)];
	struct toml_kv *kv;
	int line = ps->line, rc;

	if (bare_key(ps, key, t->name) < 0)
		return -1;
	toml_fullkey(fk, sizeof(fk), t->name, key);
	skip_ws(ps);
	if (at(ps, '.'))
		return fail(ps, line, fk, "dotted keys are not supported");
	if (!at(ps, '='))
		return fail(ps, line, fk, "expected '=' after key");
	ps->p++;
	skip_ws(ps);
	if ((kv = find_key(t, key, strlen(key))) != NULL)
		return fail(ps, line, fk, "duplicate key (first at line %d)",
		    kv->line);
	if ((sub = key_is_table(ps, fk)) != NULL)
		return fail(ps, line, fk, "key redefines the table at line %d",
		    sub->line);
	if (t->n_kv == TOML_MAX_KEYS)
		return fail(ps, line, fk, "too many keys in table");
	if ((kv = realloc(t->kv, (t->n_kv + 1) * sizeof(*kv))) == NULL)
		return fail(ps, line, fk, "out of memory");
	t->kv = kv;
	kv = &t->kv[t->n_kv++];
	memset(kv, 0, sizeof(*kv));
	kv->line = line;
	if ((kv->key = strdup(key)) == NULL)
		return fail(ps, line, fk, "out of memory");
	kv->val.line = line;
	if (at(ps, '['))
		rc = array(ps, &kv->val, fk);
	else
		rc = scalar(ps, &kv->val, fk);
	if (rc < 0)
		return -1;
	return end_of_line(ps, fk);
}

int
toml_parse(const char *buf, size_t len, struct toml_doc *doc,
	   struct toml_err *e)
{
	struct parser ps = { buf, buf + len, 1, doc, 0, e };
	int rc = 0;

	memset(doc, 0, sizeof(*doc));
	memset(e, 0, sizeof(*e));
	if (check_encoding(&ps) < 0 || add_table(&ps, "", 0) < 0) {
		toml_free(doc);
		return -1;
	}
	while (rc == 0) {
		skip_ws(&ps);
		if (ps.p == ps.end)
			break;
		if (at(&ps, '#') || at(&ps, '\n') || at(&ps, '\r'))
			rc = end_of_line(&ps, NULL);
		else if (at(&ps, '['))
			rc = header(&ps);
		else
			rc = keyval(&ps);
	}
	if (rc < 0)
		toml_free(doc);
	return rc;
}

void
toml_free(struct toml_doc *doc)
{
	struct toml_table *t;
	size_t i, j;

	for (i = 0; i < doc->n_tables; i++) {
		t = &doc->tables[i];
		for (j = 0; j < t->n_kv; j++) {
			free(t->kv[j].key);
			value_free(&t->kv[j].val);
		}
		free(t->kv);
		free(t->name);
	}
	free(doc->tables);
	memset(doc, 0, sizeof(*doc));
}

const char *
toml_type_name(enum toml_type t)
{
	switch (t) {
	case TOML_STRING:	return "a string";
	case TOML_INTEGER:	return "an integer";
	case TOML_BOOLEAN:	return "a boolean";
	case TOML_ARRAY:	return "an array";
	}
	return "a value";
}

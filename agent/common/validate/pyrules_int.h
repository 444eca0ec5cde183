/* SPDX-License-Identifier: MIT */
/*
 * The Python analyser's internals: a token view (comments dropped, brackets
 * matched), the module state (import aliases, tainted names), constant
 * folding and name resolution (pyresolve.c), the sink table (pysinks.c),
 * and the rules (pyrules.c).
 */
#ifndef RAGGED_PYRULES_INT_H
#define RAGGED_PYRULES_INT_H

#include <string.h>

#include "pytokens.h"
#include "validate_int.h"

#define PY_NAME_MAX 64
#define PY_DOTTED_MAX 160
#define PY_FOLD_MAX 4096

struct py_alias {
	char name[PY_NAME_MAX];
	char target[PY_DOTTED_MAX];	/* "os", "os.system", "<local>.compile" */
	int next;			/* hash chain, -1 ends */
};

struct py_names {		/* a small set of names */
	char (*v)[PY_NAME_MAX];
	size_t n, cap;
};

/* Per file: shared by the file's code and the code found in its strings. */
struct py_module {
	struct vctx *v;
	const char *file;
	struct py_alias *al;
	size_t nal, alcap;
	int bucket[64];
	struct py_names decoded;	/* names holding decoded data (base64, zlib, ...) */
	struct py_names scratch;	/* names holding paths in the run's scratch dir */
	bool star;			/* "from X import *": any name may be a module */
	uint64_t bloom[16];		/* names py_interesting may accept */
};

/* A non-ASCII name folded once (NFKC), for every question asked about it. */
struct py_folded {
	uint32_t tok;			/* index in py_scan.t */
	char name[PY_NAME_MAX];		/* "<long>" when the fold does not fit */
};

/* One token stream (a file, an f-string field, code in a string). */
struct py_scan {
	struct py_module *mod;
	const char *src;
	struct pyt_token *t;		/* comments removed */
	size_t n;
	uint32_t *match;		/* matching bracket, or UINT32_MAX */
	uint16_t *depth;		/* bracket depth at each token */
	uint8_t *skip;			/* tokens of import statements */
	uint8_t *start;			/* token starts a statement */
	const struct pyt_field *fields;	/* the stream's f-string fields */
	struct py_folded *folded;	/* the non-ASCII names, by token index */
	size_t nfolded;
	int level;			/* 0 for a file, +1 per string of code */
};

/* Resolution flags. */
#define PYR_GETATTR	0x01	/* getattr(X, "name") in the chain */
#define PYR_PIECES	0x02	/* a name folded from several literals */
#define PYR_NONCONST	0x04	/* a name part not known statically */
#define PYR_DYN_HEAD	0x08	/* the chain starts with __import__/import_module(...) */
#define PYR_BUILTINS	0x10	/* reached through builtins (getattr/subscript/module) */
#define PYR_SUBSCRIPT	0x20	/* a name part came from ["..."] */

/* Token helpers. */
static inline const struct pyt_token *py_tok(const struct py_scan *s, size_t i)
{
	return i < s->n ? &s->t[i] : NULL;
}
/* Token i is the operator op / the name name (byte for byte). Inline: the hot path. */
static inline bool py_tok_is(const struct py_scan *s, size_t i, int kind, const char *w, size_t n)
{
	const struct pyt_token *t = py_tok(s, i);

	return t && t->kind == kind && t->len == n && s->src[t->off] == w[0] &&
	       (n == 1 || memcmp(s->src + t->off, w, n) == 0);
}
#define py_op(s, i, op) py_tok_is((s), (i), PYT_OP, (op), strlen(op))
#define py_kw(s, i, name) py_tok_is((s), (i), PYT_NAME, (name), strlen(name))
/* The (NFKC-folded) name of NAME token i into buf; false if not a name. */
bool py_name(const struct py_scan *s, size_t i, char buf[PY_NAME_MAX]);
bool py_after_dot(const struct py_scan *s, size_t i);
static inline bool py_stmt_start(const struct py_scan *s, size_t i)
{
	return i < s->n && s->start[i];
}
/* Index of the token ending the statement that contains i (NEWLINE or ';'). */
size_t py_stmt_end(const struct py_scan *s, size_t i);

int py_scan_init(struct py_scan *s, struct py_module *mod, const char *src,
		 const struct pyt_stream *ts, int level);
void py_scan_free(struct py_scan *s);

/* name -> target; target == name undoes an alias ("del name"). Last one wins. */
void py_alias_set(struct py_module *m, const char *name, const char *target);
const char *py_alias_get(const struct py_module *m, const char *name);
bool py_names_has(const struct py_names *set, const char *name);
void py_names_add(struct py_names *set, const char *name);
void py_module_init(struct py_module *m, struct vctx *v, const char *file);
void py_module_free(struct py_module *m);

/*
 * Fold the constant string expression starting at i: literals, implicit
 * and '+' concatenation, parentheses, "sep".join([...]), chr(N), and the
 * [::-1] reversal. Returns the index after it, or -1 when it is not
 * constant. *pieces counts the literals and chr() calls it is made of.
 */
long py_fold(const struct py_scan *s, size_t i, char *buf, size_t cap, size_t *len, int *pieces);
/* The same for a whole argument or subscript: followed by ',', ')' or ']', fits in cap. */
long py_fold_arg(const struct py_scan *s, size_t i, char *buf, size_t cap, int *pieces);

/*
 * Resolve the primary expression at NAME token i to a dotted name through
 * the import aliases, __import__/importlib.import_module with constant
 * names, getattr with constant names, builtins subscripts and "__dict__".
 * Builtins are plain ("eval", not "builtins.eval"). fetched (may be NULL)
 * gets the name looked up on builtins by getattr or a subscript, if any.
 * Returns the index after the chain (the '(' of a call), or -1.
 */
long py_resolve(const struct py_scan *s, size_t i, char out[PY_DOTTED_MAX], unsigned *flags,
		char fetched[PY_NAME_MAX]);

/*
 * Can the name at the head of an expression denote anything the rules
 * look for? Names bound by an import or an alias, the builtins the rules
 * name, and the usual names of the modules they name (a module may be used
 * without an import in this file). Everything else is a local value and is
 * not resolved at all; after a star import, every name is resolved.
 */
bool py_interesting(const struct py_scan *s, const char *name);

/* pysinks.c: what a resolved dotted name is to the rules. */
enum py_kind { K_NONE, K_EXEC, K_SHELL, K_DESER, K_DECODE, K_RAWSOCK, K_WRITE, K_READ, K_OPEN,
	       K_OSOPEN, K_FETCH };
enum py_kind py_sink_kind(const char *dotted);
bool py_in_list(const char *const *list, const char *s);
/* dotted is mod or inside it ("os.path" is in "os"). */
bool py_module_is(const char *dotted, const char *mod);
bool py_is_network(const char *dotted);
/* eval, exec, __import__, getattr, ...: fetched by a computed name, an evasion. */
bool py_dangerous_builtin(const char *name);
/* 0 when the sink table is sorted, else the first index out of order (tests). */
int pyrules_selftest(void);

#endif

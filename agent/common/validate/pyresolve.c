// SPDX-License-Identifier: MIT
/*
 * The Python analyser's view of code: tokens without comments, matched
 * brackets, import aliases, constant folding of string expressions and
 * resolution of names to what they denote ("o.system" after "import os as
 * o", getattr(__import__('o' + 's'), 'system') -> "os.system").
 */
#include <stdlib.h>
#include <string.h>

#include "pyident.h"
#include "pyrules_int.h"
#include "util/util.h"

/* A non-ASCII name: folded once in py_scan_init, in token order. Off the ASCII path. */
static __attribute__((noinline, cold)) void folded_name(const struct py_scan *s, size_t i,
						  char buf[PY_NAME_MAX])
{
	size_t lo = 0, hi = s->nfolded;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->folded[mid].tok < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	memcpy(buf, lo < s->nfolded && s->folded[lo].tok == i ? s->folded[lo].name : "<long>",
	       lo < s->nfolded && s->folded[lo].tok == i ? PY_NAME_MAX : 7);
}

bool py_name(const struct py_scan *s, size_t i, char buf[PY_NAME_MAX])
{
	const struct pyt_token *t = py_tok(s, i);

	if (!t || t->kind != PYT_NAME)
		return false;
	if (__builtin_expect(t->flags & PYT_NAME_NONASCII, 0)) {
		folded_name(s, i, buf);
		return true;
	}
	if (t->len >= PY_NAME_MAX) {
		/* Longer than anything we look for: keep it unmatchable. */
		memcpy(buf, "<long>", 7);
		return true;
	}
	memcpy(buf, s->src + t->off, t->len);
	buf[t->len] = '\0';
	return true;
}

bool py_after_dot(const struct py_scan *s, size_t i)
{
	return i > 0 && py_op(s, i - 1, ".");
}

size_t py_stmt_end(const struct py_scan *s, size_t i)
{
	while (i < s->n && s->t[i].kind != PYT_NEWLINE && !(py_op(s, i, ";") && s->depth[i] == 0))
		i++;
	return i;
}

static void fold_name(struct py_scan *s, const struct pyt_token *t, size_t i)
{
	struct py_folded *f = &s->folded[s->nfolded++];

	f->tok = (uint32_t)i;
	memset(f->name, 0, sizeof(f->name));
	if (pyid_nfkc(s->src + t->off, t->len, f->name, PY_NAME_MAX) >= PY_NAME_MAX)
		memcpy(f->name, "<long>", 7);	/* longer than anything looked for */
}

int py_scan_init(struct py_scan *s, struct py_module *mod, const char *src,
		 const struct pyt_stream *ts, int level)
{
	uint32_t stack[256];
	size_t sp = 0, n = 0;
	uint16_t d = 0;

	memset(s, 0, sizeof(*s));
	s->mod = mod;
	s->src = src;
	s->level = level;
	s->t = malloc((ts->n + 1) * sizeof(*s->t));
	s->match = malloc((ts->n + 1) * sizeof(*s->match));
	s->depth = malloc((ts->n + 1) * sizeof(*s->depth));
	s->skip = calloc(ts->n + 1, 1);
	s->start = calloc(ts->n + 1, 1);
	if (!s->t || !s->match || !s->depth || !s->skip || !s->start) {
		py_scan_free(s);
		return -1;
	}
	/* Non-ASCII names: NFKC of the whole name, as Python reads it, once per token. */
	if (ts->nonascii && !(s->folded = malloc(ts->nonascii * sizeof(*s->folded)))) {
		py_scan_free(s);
		return -1;
	}
	for (size_t i = 0; i < ts->n && !ts->nonascii; i++)	/* all ASCII: the fast path */
		if (ts->t[i].kind != PYT_COMMENT)
			s->t[n++] = ts->t[i];
	for (size_t i = 0; i < ts->n && ts->nonascii; i++) {
		const struct pyt_token *t = &ts->t[i];

		if (t->kind == PYT_COMMENT)
			continue;
		if (t->kind == PYT_NAME && (t->flags & PYT_NAME_NONASCII) && s->nfolded < ts->nonascii)
			fold_name(s, t, n);
		s->t[n++] = *t;
	}
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		const struct pyt_token *t = &s->t[i];
		char c = t->kind == PYT_OP && t->len == 1 ? src[t->off] : 0;

		s->match[i] = UINT32_MAX;
		if (c == '(' || c == '[' || c == '{') {
			s->depth[i] = d;
			if (sp < sizeof(stack) / sizeof(stack[0]))
				stack[sp] = (uint32_t)i;
			sp++;
			if (d < UINT16_MAX)
				d++;
			continue;
		}
		if ((c == ')' || c == ']' || c == '}') && sp > 0) {
			sp--;
			if (sp < sizeof(stack) / sizeof(stack[0])) {
				s->match[stack[sp]] = (uint32_t)i;
				s->match[i] = stack[sp];
			}
			d = d ? d - 1 : 0;
		}
		if (t->kind == PYT_NEWLINE)
			sp = 0, d = 0;	/* the tokenizer closes lines only at depth 0 */
		s->depth[i] = d;
	}
	/* Statement starts: after a NEWLINE or ';', or after ':' at depth 0 ("if x: import os"). */
	for (size_t i = 0; i < n; i++)
		s->start[i] = i == 0 || s->t[i - 1].kind == PYT_NEWLINE || py_op(s, i - 1, ";") ||
			      (py_op(s, i - 1, ":") && s->depth[i - 1] == 0);
	return 0;
}

void py_scan_free(struct py_scan *s)
{
	free(s->t);
	free(s->match);
	free(s->depth);
	free(s->skip);
	free(s->start);
	free(s->folded);
	memset(s, 0, sizeof(*s));
}

/* The builtins the rules name, and the usual names of the modules they name. */
static const char *const known[] = {
	"__builtin__", "__builtins__", "__import__", "breakpoint", "builtins", "bytearray",
	"bytes", "compile", "eval", "exec", "execfile", "getattr", "globals", "locals", "open",
	"vars",
	"_ctypes", "_pickle", "aiohttp", "asyncio", "base64", "binascii", "bz2", "cPickle",
	"cffi", "cloudpickle", "codecs", "commands", "ctypes", "dill", "ftplib", "glob",
	"grpc", "gzip", "http", "httplib2", "httpx", "imaplib", "importlib", "io", "joblib",
	"jsonpickle", "lzma", "marshal", "numpy", "os", "pandas", "paramiko", "pickle",
	"platform", "poplib", "pty", "pycurl", "requests", "shelve", "shutil", "smtplib",
	"socket", "subprocess", "telnetlib", "tempfile", "torch", "types", "urllib", "urllib2",
	"urllib3", "websocket", "websockets", "xmlrpc", "yaml", "zlib", "zmq",
};

static uint32_t fnv(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static void bloom_add(struct py_module *m, const char *name)
{
	uint32_t h = fnv(name) & 1023;

	m->bloom[h / 64] |= 1ull << (h % 64);
}

static unsigned hash(const char *s)
{
	unsigned h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % 64;
}

void py_alias_set(struct py_module *m, const char *name, const char *target)
{
	struct py_alias *a;
	unsigned h = hash(name);

	if (strlen(name) >= PY_NAME_MAX)
		return;
	for (int k = m->nal ? m->bucket[h] : -1; k >= 0; k = m->al[k].next)
		if (strcmp(m->al[k].name, name) == 0) {
			snprintf(m->al[k].target, PY_DOTTED_MAX, "%s", target);
			return;
		}
	if (m->nal == 0)
		memset(m->bucket, 0xff, sizeof(m->bucket));
	bloom_add(m, name);
	/* At most 4096 aliases (the array grows 32, 64, ... 4096). */
	if (m->nal >= 4096 || ARRAY_RESERVE(m->al, m->nal, m->alcap, 32) < 0)
		return;
	a = &m->al[m->nal];
	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->target, sizeof(a->target), "%s", target);
	a->next = m->bucket[h];
	m->bucket[h] = (int)m->nal++;
}

const char *py_alias_get(const struct py_module *m, const char *name)
{
	for (int k = m->nal ? m->bucket[hash(name)] : -1; k >= 0; k = m->al[k].next)
		if (strcmp(m->al[k].name, name) == 0)
			return m->al[k].target;
	return NULL;
}

bool py_names_has(const struct py_names *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->v[i], name) == 0)
			return true;
	return false;
}

void py_names_add(struct py_names *set, const char *name)
{
	if (py_names_has(set, name) || strlen(name) >= PY_NAME_MAX || set->n >= 1024)
		return;
	if (ARRAY_RESERVE(set->v, set->n, set->cap, 16) < 0)
		return;
	snprintf(set->v[set->n++], PY_NAME_MAX, "%s", name);
}

void py_module_free(struct py_module *m)
{
	free(m->al);
	free(m->decoded.v);
	free(m->scratch.v);
	m->al = NULL;
	m->decoded.v = m->scratch.v = NULL;
}

static void append(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
	for (size_t k = 0; k < n; k++, (*len)++)
		if (*len + 1 < cap)
			buf[*len] = s[k];
	if (cap)
		buf[*len < cap ? *len : cap - 1] = '\0';
}

static bool plain_string(const struct py_scan *s, size_t i)
{
	const struct pyt_token *t = py_tok(s, i);

	return t && t->kind == PYT_STRING && t->nfields == 0;
}

static long fold_expr(const struct py_scan *s, size_t i, char *buf, size_t cap, size_t *len,
		      int *pieces, int nest);

/* A number token as a small non-negative integer ("101", "0x65"); -1 otherwise. */
static long small_int(const struct py_scan *s, size_t i)
{
	const struct pyt_token *t = py_tok(s, i);
	char tmp[16];
	char *end;
	long v;

	if (!t || t->kind != PYT_NUMBER || t->len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s->src + t->off, t->len);
	tmp[t->len] = '\0';
	v = strtol(tmp, &end, 0);
	return *end || v < 0 || v > 0x10ffff ? -1 : v;
}

static long fold_operand(const struct py_scan *s, size_t i, char *buf, size_t cap, size_t *len,
			 int *pieces, int nest)
{
	size_t start = *len;
	long j;

	if (nest > 16)
		return -1;
	if (plain_string(s, i)) {
		char tmp[PY_FOLD_MAX];
		size_t k = i;

		/* "sep".join([...]) */
		if (py_op(s, i + 1, ".") && py_kw(s, i + 2, "join") && py_op(s, i + 3, "(") &&
		    (py_op(s, i + 4, "[") || py_op(s, i + 4, "("))) {
			char sep[256];
			size_t seplen = pyt_string_value(s->src, &s->t[i], sep, sizeof(sep));
			size_t p = i + 5;
			bool first = true;

			while (!py_op(s, p, "]") && !py_op(s, p, ")")) {
				if (!first)
					append(buf, cap, len, sep, seplen < sizeof(sep) ? seplen : sizeof(sep) - 1);
				j = fold_expr(s, p, buf, cap, len, pieces, nest + 1);
				if (j < 0)
					return -1;
				p = (size_t)j;
				first = false;
				if (py_op(s, p, ","))
					p++;
				else if (!py_op(s, p, "]") && !py_op(s, p, ")"))
					return -1;
			}
			if (!py_op(s, p + 1, ")"))
				return -1;
			j = (long)p + 2;
		} else {
			while (plain_string(s, k)) {	/* implicit concatenation */
				size_t n = pyt_string_value(s->src, &s->t[k], tmp, sizeof(tmp));

				append(buf, cap, len, tmp, n < sizeof(tmp) ? n : sizeof(tmp) - 1);
				(*pieces)++;
				k++;
			}
			j = (long)k;
		}
	} else if (py_op(s, i, "(")) {
		j = fold_expr(s, i + 1, buf, cap, len, pieces, nest + 1);
		if (j < 0 || !py_op(s, (size_t)j, ")"))
			return -1;
		j++;
	} else if (py_kw(s, i, "chr") && py_op(s, i + 1, "(") && small_int(s, i + 2) >= 0 &&
		   py_op(s, i + 3, ")")) {
		long c = small_int(s, i + 2);

		if (c < 0x80) {
			char ch = (char)c;

			append(buf, cap, len, &ch, 1);
		}
		(*pieces)++;
		j = (long)i + 4;
	} else {
		return -1;
	}
	/* [::-1] */
	if (py_op(s, (size_t)j, "[") && py_op(s, (size_t)j + 1, ":") && py_op(s, (size_t)j + 2, ":") &&
	    py_op(s, (size_t)j + 3, "-") && small_int(s, (size_t)j + 4) == 1 && py_op(s, (size_t)j + 5, "]")) {
		size_t end = *len < cap ? *len : cap - 1;

		for (size_t a = start, b = end; a + 1 < b; a++, b--) {
			char c = buf[a];

			buf[a] = buf[b - 1];
			buf[b - 1] = c;
		}
		(*pieces)++;	/* reversing is itself a disguise */
		j += 6;
	}
	return j;
}

static long fold_expr(const struct py_scan *s, size_t i, char *buf, size_t cap, size_t *len,
		      int *pieces, int nest)
{
	long j = fold_operand(s, i, buf, cap, len, pieces, nest);

	while (j >= 0 && py_op(s, (size_t)j, "+"))
		j = fold_operand(s, (size_t)j + 1, buf, cap, len, pieces, nest);
	return j;
}

long py_fold(const struct py_scan *s, size_t i, char *buf, size_t cap, size_t *len, int *pieces)
{
	*len = 0;
	*pieces = 0;
	if (cap)
		buf[0] = '\0';
	return fold_expr(s, i, buf, cap, len, pieces, 0);
}

/* A constant that is a whole argument or subscript (followed by ',', ')' or ']'). */
long py_fold_arg(const struct py_scan *s, size_t i, char *buf, size_t cap, int *pieces)
{
	size_t len;
	long j = py_fold(s, i, buf, cap, &len, pieces);

	if (j < 0 || !(py_op(s, (size_t)j, ",") || py_op(s, (size_t)j, ")") || py_op(s, (size_t)j, "]")) ||
	    len >= cap)
		return -1;
	return j;
}

/* out = a + "." + b (just a when b is empty, just b when a is), truncated. */
static void set_dotted(char out[PY_DOTTED_MAX], const char *a, const char *b)
{
	size_t n = strlen(a), m = b ? strlen(b) : 0;

	if (out != a) {
		n = n < PY_DOTTED_MAX - 1 ? n : PY_DOTTED_MAX - 1;
		memmove(out, a, n);
	}
	if (m && n && n + 1 < PY_DOTTED_MAX)
		out[n++] = '.';
	m = n + m < PY_DOTTED_MAX ? m : PY_DOTTED_MAX - 1 - n;
	memmove(out + n, b ? b : "", m);
	out[n + m] = '\0';
}

/* "builtins.eval" -> "eval"; "__builtins__" -> "builtins". */
static void normalize(char out[PY_DOTTED_MAX], unsigned *flags)
{
	static const char *const heads[] = { "builtins", "__builtins__", "__builtin__" };
	char tmp[PY_DOTTED_MAX];

	for (size_t k = 0; k < 3; k++) {
		size_t n = strlen(heads[k]);

		if (strcmp(out, heads[k]) == 0) {
			strcpy(out, "builtins");
			*flags |= PYR_BUILTINS;
			return;
		}
		if (strncmp(out, heads[k], n) == 0 && out[n] == '.') {
			snprintf(tmp, sizeof(tmp), "%s", out + n + 1);
			strcpy(out, tmp);
			*flags |= PYR_BUILTINS;
			return;
		}
	}
}

static bool is_import_fn(const char *d)
{
	return !strcmp(d, "__import__") || !strcmp(d, "importlib.import_module") ||
	       !strcmp(d, "importlib.__import__");
}

static long resolve(const struct py_scan *s, size_t i, char out[PY_DOTTED_MAX], unsigned *flags,
		    char *fetched, int nest);

/* The name fetched from builtins by getattr or a subscript (the first one). */
static void fetch(char *fetched, const char *base, const char *name)
{
	if (fetched && !fetched[0] && !strcmp(base, "builtins"))
		snprintf(fetched, PY_NAME_MAX, "%.*s", PY_NAME_MAX - 1, name);
}

/* getattr(X, "name"[, default]) at i (the NAME getattr). */
static long resolve_getattr(const struct py_scan *s, size_t i, char out[PY_DOTTED_MAX],
			    unsigned *flags, char *fetched, int nest)
{
	char base[PY_DOTTED_MAX], attr[PY_DOTTED_MAX];
	size_t close = s->match[i + 1];
	unsigned bf = 0;
	int pieces = 0;
	long j;

	if (close == UINT32_MAX)
		return -1;
	j = resolve(s, i + 2, base, &bf, fetched, nest + 1);
	if (j < 0 || !py_op(s, (size_t)j, ","))
		return -1;
	*flags |= PYR_GETATTR | (bf & ~(unsigned)PYR_DYN_HEAD);
	if (py_fold_arg(s, (size_t)j + 1, attr, sizeof(attr), &pieces) < 0) {
		*flags |= PYR_NONCONST;
		snprintf(attr, sizeof(attr), "?");
	}
	if (pieces > 1)
		*flags |= PYR_PIECES;
	fetch(fetched, base, attr);
	set_dotted(out, base, attr);
	return (long)close + 1;
}

static long resolve(const struct py_scan *s, size_t i, char out[PY_DOTTED_MAX], unsigned *flags,
		    char *fetched, int nest)
{
	char name[PY_NAME_MAX], tmp[PY_DOTTED_MAX];
	const char *al;
	bool dict = false;
	size_t j;

	if (nest > 8 || !py_name(s, i, name))
		return -1;
	if (!strcmp(name, "getattr") && !py_alias_get(s->mod, name) && py_op(s, i + 1, "(")) {
		long r = resolve_getattr(s, i, out, flags, fetched, nest);

		if (r < 0)
			return -1;
		j = (size_t)r;
	} else if ((!strcmp(name, "globals") || !strcmp(name, "locals")) && py_op(s, i + 1, "(") &&
		   py_op(s, i + 2, ")") && py_op(s, i + 3, "[")) {
		/* globals()["__builtins__"] */
		snprintf(out, PY_DOTTED_MAX, "%s", "");
		dict = true;
		j = i + 3;
	} else if (!strcmp(name, "vars") && py_op(s, i + 1, "(") && s->match[i + 1] != UINT32_MAX) {
		long r = resolve(s, i + 2, out, flags, fetched, nest + 1);

		if (r < 0 || (size_t)r != s->match[i + 1])
			return -1;
		dict = true;
		j = (size_t)r + 1;
	} else {
		size_t n;

		al = py_alias_get(s->mod, name);
		al = al ? al : name;
		n = strlen(al);
		n = n < PY_DOTTED_MAX ? n : PY_DOTTED_MAX - 1;
		memcpy(out, al, n);
		out[n] = '\0';
		j = i + 1;
	}
	for (;;) {
		normalize(out, flags);
		if (is_import_fn(out) && py_op(s, j, "(") && s->match[j] != UINT32_MAX) {
			int pieces = 0;

			if (py_fold_arg(s, j + 1, tmp, sizeof(tmp), &pieces) < 0) {
				*flags |= PYR_NONCONST;
				snprintf(tmp, sizeof(tmp), "?");
			}
			if (pieces > 1)
				*flags |= PYR_PIECES;
			*flags |= PYR_DYN_HEAD;	/* getattr() strips it from its base */
			snprintf(out, PY_DOTTED_MAX, "%s", tmp);
			j = s->match[j] + 1;
			continue;
		}
		if (py_op(s, j, ".") && py_name(s, j + 1, name)) {
			if (!strcmp(name, "__dict__"))
				dict = true;
			else
				set_dotted(out, out, name);
			j += 2;
			continue;
		}
		if (py_op(s, j, "[") && (dict || !strcmp(out, "builtins"))) {
			int pieces = 0;
			char key[PY_NAME_MAX];
			long k = py_fold_arg(s, j + 1, key, sizeof(key), &pieces);

			if (k < 0 || !py_op(s, (size_t)k, "]"))
				break;
			*flags |= PYR_SUBSCRIPT | (pieces > 1 ? PYR_PIECES : 0);
			fetch(fetched, out, key);
			snprintf(tmp, sizeof(tmp), "%s", out);
			set_dotted(out, tmp, key);
			if (!strcmp(key, "__builtins__") && !tmp[0])
				snprintf(out, PY_DOTTED_MAX, "builtins");
			dict = false;
			j = (size_t)k + 1;
			continue;
		}
		break;
	}
	return out[0] ? (long)j : -1;
}

void py_module_init(struct py_module *m, struct vctx *v, const char *file)
{
	memset(m, 0, sizeof(*m));
	m->v = v;
	m->file = file;
	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		bloom_add(m, known[k]);
}

bool py_interesting(const struct py_scan *s, const char *name)
{
	uint32_t h = fnv(name) & 1023;

	if (s->mod->star)
		return true;
	if (!(s->mod->bloom[h / 64] & (1ull << (h % 64))))
		return false;	/* the common case: a local name */
	if (py_alias_get(s->mod, name))
		return true;
	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		if (name[0] == known[k][0] && !strcmp(name, known[k]))
			return true;
	return false;
}

long py_resolve(const struct py_scan *s, size_t i, char out[PY_DOTTED_MAX], unsigned *flags,
		char fetched[PY_NAME_MAX])
{
	*flags = 0;
	out[0] = '\0';
	if (fetched)
		fetched[0] = '\0';
	return resolve(s, i, out, flags, fetched, 0);
}

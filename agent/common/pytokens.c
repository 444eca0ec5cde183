// SPDX-License-Identifier: MIT
/* The Python tokenizer of pytokens.h. */
#include "pytokens.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define MAX_NEST 32	/* f-strings nested in f-string fields */

struct lexer {
	const char *s;
	size_t len;
	uint32_t line;
	struct pyt_stream *out;
	int oom;
};

static int push_token(struct lexer *lx, const struct pyt_token *t)
{
	struct pyt_stream *o = lx->out;

	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64 + lx->len / 8;
		struct pyt_token *nt = realloc(o->t, cap * sizeof(*nt));

		if (!nt) {
			lx->oom = 1;
			return -1;
		}
		o->t = nt;
		o->cap = cap;
	}
	o->t[o->n++] = *t;
	if (t->kind == PYT_ERROR)
		o->errors++;
	return 0;
}

static int push_field(struct lexer *lx, size_t off, size_t len, uint32_t line)
{
	struct pyt_stream *o = lx->out;

	if (o->nfields == o->fcap) {
		size_t cap = o->fcap ? o->fcap * 2 : 16;
		struct pyt_field *nf = realloc(o->fields, cap * sizeof(*nf));

		if (!nf) {
			lx->oom = 1;
			return -1;
		}
		o->fields = nf;
		o->fcap = cap;
	}
	o->fields[o->nfields++] = (struct pyt_field){ (uint32_t)off, (uint32_t)len, line };
	return 0;
}

/* A line break at p ("\n", "\r\n" or a lone "\r"): its length, else 0. */
static size_t newline_at(const struct lexer *lx, size_t p)
{
	if (p >= lx->len)
		return 0;
	if (lx->s[p] == '\n')
		return 1;
	if (lx->s[p] == '\r')
		return p + 1 < lx->len && lx->s[p + 1] == '\n' ? 2 : 1;
	return 0;
}

static bool is_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c >= 0x80;
}

/* "r", "b", "rb", "f", "rf", "t", "rt", "u" in any case and order: the flags, or -1. */
static int string_prefix(const char *p, size_t n)
{
	int flags = 0, kinds = 0;

	if (n == 0 || n > 2)
		return n == 0 ? 0 : -1;
	for (size_t i = 0; i < n; i++) {
		switch (p[i] | 0x20) {
		case 'r':
			if (flags & PYT_STR_RAW)
				return -1;
			flags |= PYT_STR_RAW;
			break;
		case 'b':
			flags |= PYT_STR_BYTES;
			kinds++;
			break;
		case 'f':
		case 't':
			flags |= PYT_STR_F;
			kinds++;
			break;
		case 'u':
			if (n != 1)
				return -1;
			kinds++;
			break;
		default:
			return -1;
		}
	}
	return kinds > 1 ? -1 : flags;
}

static ssize_t scan_string(struct lexer *lx, size_t p, int flags, bool record, int nest);

/* Skip a string literal (with its prefix) starting at p inside a field; -1 if unterminated. */
static ssize_t skip_nested_string(struct lexer *lx, size_t p, int nest)
{
	size_t q = p;
	int flags;

	while (q < lx->len && is_name_char((unsigned char)lx->s[q]))
		q++;
	flags = string_prefix(lx->s + p, q - p);
	if (flags < 0)
		return -1;
	return scan_string(lx, q, flags, false, nest + 1);
}

/*
 * One replacement field whose '{' is at p - 1: the expression, then an
 * optional "!conv" and ":spec" (whose own fields nest). Returns the
 * position after the closing '}', or -1.
 */
static ssize_t scan_field(struct lexer *lx, size_t p, bool record, int nest)
{
	size_t start = p, end = 0;
	uint32_t line = lx->line;
	int depth = 0;
	bool spec = false;

	if (nest > MAX_NEST)
		return -1;
	while (p < lx->len) {
		unsigned char c = (unsigned char)lx->s[p];
		size_t nl = newline_at(lx, p);

		if (nl) {
			lx->line++;
			p += nl;
			continue;
		}
		if (spec) {
			/* Format spec: literal text with nested fields. */
			if (c == '{') {
				ssize_t r = scan_field(lx, p + 1, record, nest + 1);

				if (r < 0)
					return -1;
				p = (size_t)r;
				continue;
			}
			if (c == '}')
				break;
			p++;
			continue;
		}
		if (c == '\'' || c == '"' || (is_name_char(c) && !(c >= '0' && c <= '9'))) {
			size_t q = p;

			while (q < lx->len && is_name_char((unsigned char)lx->s[q]))
				q++;
			if (q < lx->len && (lx->s[q] == '\'' || lx->s[q] == '"') &&
			    string_prefix(lx->s + p, q - p) >= 0) {
				ssize_t r = skip_nested_string(lx, p, nest);

				if (r < 0)
					return -1;
				p = (size_t)r;
			} else {
				p = q > p ? q : p + 1;
			}
			continue;
		}
		if (c == '(' || c == '[' || c == '{') {
			depth++;
		} else if ((c == ')' || c == ']') && depth > 0) {
			depth--;
		} else if (c == '}') {
			if (depth == 0)
				break;
			depth--;
		} else if (depth == 0 && c == '!' && !(p + 1 < lx->len && lx->s[p + 1] == '=')) {
			if (!end)
				end = p;	/* conversion: "!r" up to ':' or '}' */
		} else if (depth == 0 && c == ':') {
			if (!end)
				end = p;
			spec = true;
		}
		p++;
	}
	if (p >= lx->len)
		return -1;
	if (!end)
		end = p;
	if (record && push_field(lx, start, end - start, line) < 0)
		return -1;
	return (ssize_t)(p + 1);
}

/*
 * A literal whose opening quote is at p. Returns the position after the
 * closing quote, or -(position where it stops) - 1 when unterminated.
 */
static ssize_t scan_string(struct lexer *lx, size_t p, int flags, bool record, int nest)
{
	char q = lx->s[p];
	bool triple = p + 2 < lx->len && lx->s[p + 1] == q && lx->s[p + 2] == q;

	if (nest > MAX_NEST)
		return -1;
	p += triple ? 3 : 1;
	while (p < lx->len) {
		char c = lx->s[p];
		size_t nl = newline_at(lx, p);

		if (nl) {
			if (!triple)
				return -(ssize_t)p - 1;
			lx->line++;
			p += nl;
		} else if (c == '\\') {
			/* Escapes a quote or a line break even in raw strings; never a brace. */
			if (p + 1 < lx->len && (flags & PYT_STR_F) &&
			    (lx->s[p + 1] == '{' || lx->s[p + 1] == '}')) {
				p++;
				continue;
			}
			p++;
			nl = newline_at(lx, p);
			if (nl) {
				lx->line++;
				p += nl;
			} else if (p < lx->len) {
				p++;
			}
		} else if (c == q) {
			if (!triple)
				return (ssize_t)p + 1;
			if (p + 2 < lx->len && lx->s[p + 1] == q && lx->s[p + 2] == q)
				return (ssize_t)p + 3;
			p++;
		} else if ((flags & PYT_STR_F) && c == '{') {
			if (p + 1 < lx->len && lx->s[p + 1] == '{') {
				p += 2;
				continue;
			}
			ssize_t r = scan_field(lx, p + 1, record, nest);

			if (r < 0)
				return lx->oom ? -1 : -(ssize_t)lx->len - 1;
			p = (size_t)r;
		} else {
			p++;
		}
	}
	return -(ssize_t)lx->len - 1;
}

static int emit_string(struct lexer *lx, size_t start, size_t quote, int flags)
{
	struct pyt_token t = { .off = (uint32_t)start, .line = lx->line, .kind = PYT_STRING };
	char q = lx->s[quote];
	bool triple = quote + 2 < lx->len && lx->s[quote + 1] == q && lx->s[quote + 2] == q;
	size_t f0 = lx->out->nfields;
	ssize_t end = scan_string(lx, quote, flags, true, 0);

	if (lx->oom)
		return -1;
	t.flags = (uint8_t)(flags | (triple ? PYT_STR_TRIPLE : 0));
	t.body_off = (uint32_t)(quote + (triple ? 3 : 1));
	if (end < 0) {
		end = -end - 1;
		t.kind = PYT_ERROR;
		t.flags |= PYT_STR_UNTERM;
		t.body_len = (uint32_t)((size_t)end > t.body_off ? (size_t)end - t.body_off : 0);
	} else {
		t.body_len = (uint32_t)((size_t)end - t.body_off - (triple ? 3 : 1));
	}
	t.len = (uint32_t)((size_t)end - start);
	t.field0 = (uint32_t)f0;
	t.nfields = (uint32_t)(lx->out->nfields - f0);
	return push_token(lx, &t) < 0 ? -1 : (int)(end - (ssize_t)start);
}

static size_t op_len(const char *p, size_t avail)
{
	static const char *const three[] = { "**=", "//=", ">>=", "<<=", "...", NULL };
	static const char *const two[] = { "**", "//", ">>", "<<", "<=", ">=", "==", "!=", "->",
					   "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=",
					   ":=", NULL };

	for (int i = 0; avail >= 3 && three[i]; i++)
		if (memcmp(p, three[i], 3) == 0)
			return 3;
	for (int i = 0; avail >= 2 && two[i]; i++)
		if (memcmp(p, two[i], 2) == 0)
			return 2;
	return strchr("+-*/%@&|^~<>()[]{},:;.=!", *p) && *p ? 1 : 0;
}

static size_t number_len(const char *p, size_t avail)
{
	bool hex = avail > 1 && p[0] == '0' && (p[1] | 0x20) == 'x';
	size_t i = 0;

	while (i < avail) {
		unsigned char c = (unsigned char)p[i];

		if ((c | 0x20) == 'e' && !hex && i + 1 < avail && (p[i + 1] == '+' || p[i + 1] == '-'))
			i += 2;
		else if (is_name_char(c) || c == '.')
			i++;
		else
			break;
	}
	return i;
}

int pyt_tokenize(const char *src, size_t len, uint32_t first_line, struct pyt_stream *out)
{
	struct lexer lx = { .s = src, .len = len, .line = first_line ? first_line : 1, .out = out };
	size_t p = 0;
	int depth = 0;
	bool code_on_line = false;

	memset(out, 0, sizeof(*out));
	if (len >= UINT32_MAX) {
		errno = EFBIG;
		return -1;
	}
	while (p < len) {
		unsigned char c = (unsigned char)src[p];
		struct pyt_token t = { .off = (uint32_t)p, .line = lx.line };
		size_t nl = newline_at(&lx, p), n;

		if (nl) {
			if (depth == 0 && code_on_line) {
				t.kind = PYT_NEWLINE;
				t.len = (uint32_t)nl;
				if (push_token(&lx, &t) < 0)
					goto oom;
				code_on_line = false;
			}
			lx.line++;
			p += nl;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\f') {
			p++;
			continue;
		}
		if (c == '\\' && (nl = newline_at(&lx, p + 1))) {
			lx.line++;
			p += 1 + nl;
			continue;
		}
		if (c == '#') {
			n = p;
			while (n < len && src[n] != '\n' && src[n] != '\r')
				n++;
			t.kind = PYT_COMMENT;
			t.len = (uint32_t)(n - p);
			if (push_token(&lx, &t) < 0)
				goto oom;
			p = n;
			continue;
		}
		code_on_line = true;
		if (is_name_char(c) && !(c >= '0' && c <= '9')) {
			int flags;

			n = p;
			while (n < len && is_name_char((unsigned char)src[n])) {
				if ((unsigned char)src[n] >= 0x80)
					t.flags = PYT_NAME_NONASCII;
				n++;
			}
			if (n < len && (src[n] == '\'' || src[n] == '"') &&
			    (flags = string_prefix(src + p, n - p)) >= 0) {
				int r = emit_string(&lx, p, n, flags);

				if (r < 0)
					goto oom;
				p += (size_t)r;
				continue;
			}
			t.kind = PYT_NAME;
		} else if (c == '\'' || c == '"') {
			int r = emit_string(&lx, p, p, 0);

			if (r < 0)
				goto oom;
			p += (size_t)r;
			continue;
		} else if ((c >= '0' && c <= '9') ||
			   (c == '.' && p + 1 < len && src[p + 1] >= '0' && src[p + 1] <= '9')) {
			n = p + number_len(src + p, len - p);
			t.kind = PYT_NUMBER;
		} else if ((n = op_len(src + p, len - p)) > 0) {
			if (c == '(' || c == '[' || c == '{')
				depth++;
			else if ((c == ')' || c == ']' || c == '}') && depth > 0)
				depth--;
			n += p;
			t.kind = PYT_OP;
		} else {
			n = p + 1;
			t.kind = PYT_ERROR;
		}
		t.len = (uint32_t)(n - p);
		if (push_token(&lx, &t) < 0)
			goto oom;
		p = n;
	}
	if (code_on_line) {
		struct pyt_token t = { .off = (uint32_t)len, .line = lx.line, .kind = PYT_NEWLINE };

		if (push_token(&lx, &t) < 0)
			goto oom;
	}
	out->lines = lx.line - (first_line ? first_line : 1) + 1;
	return 0;
oom:
	errno = ENOMEM;
	return -1;
}

void pyt_free(struct pyt_stream *s)
{
	free(s->t);
	free(s->fields);
	memset(s, 0, sizeof(*s));
}

bool pyt_is(const char *src, const struct pyt_token *t, const char *s)
{
	size_t n = strlen(s);

	return t->len == n && memcmp(src + t->off, s, n) == 0;
}

static void put(char *buf, size_t cap, size_t *n, char c)
{
	if (*n + 1 < cap)
		buf[*n] = c;
	(*n)++;
}

static void put_utf8(char *buf, size_t cap, size_t *n, uint32_t cp)
{
	if (cp < 0x80) {
		put(buf, cap, n, (char)cp);
	} else if (cp < 0x800) {
		put(buf, cap, n, (char)(0xc0 | cp >> 6));
		put(buf, cap, n, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		put(buf, cap, n, (char)(0xe0 | cp >> 12));
		put(buf, cap, n, (char)(0x80 | ((cp >> 6) & 0x3f)));
		put(buf, cap, n, (char)(0x80 | (cp & 0x3f)));
	} else {
		put(buf, cap, n, (char)(0xf0 | (cp >> 18 & 0x07)));
		put(buf, cap, n, (char)(0x80 | ((cp >> 12) & 0x3f)));
		put(buf, cap, n, (char)(0x80 | ((cp >> 6) & 0x3f)));
		put(buf, cap, n, (char)(0x80 | (cp & 0x3f)));
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

size_t pyt_string_value(const char *src, const struct pyt_token *t, char *buf, size_t cap)
{
	const char *p = src + t->body_off, *end = p + t->body_len;
	size_t n = 0;

	while (p < end) {
		if (*p != '\\' || (t->flags & PYT_STR_RAW) || p + 1 >= end) {
			put(buf, cap, &n, *p++);
			continue;
		}
		p++;
		switch (*p) {
		case 'n': put(buf, cap, &n, '\n'); p++; break;
		case 't': put(buf, cap, &n, '\t'); p++; break;
		case 'r': put(buf, cap, &n, '\r'); p++; break;
		case 'a': put(buf, cap, &n, '\a'); p++; break;
		case 'b': put(buf, cap, &n, '\b'); p++; break;
		case 'f': put(buf, cap, &n, '\f'); p++; break;
		case 'v': put(buf, cap, &n, '\v'); p++; break;
		case '\n': p++; break;
		case '\r': p += p + 1 < end && p[1] == '\n' ? 2 : 1; break;
		case 'x': case 'u': case 'U': {
			int want = *p == 'x' ? 2 : *p == 'u' ? 4 : 8, got = 0;
			uint32_t cp = 0;
			bool bytes_unicode = (t->flags & PYT_STR_BYTES) && *p != 'x';

			if (bytes_unicode) {
				put(buf, cap, &n, '\\');
				break;
			}
			p++;
			while (got < want && p < end && hexval(*p) >= 0) {
				cp = cp << 4 | (uint32_t)hexval(*p++);
				got++;
			}
			if (want == 2 || (t->flags & PYT_STR_BYTES))
				put(buf, cap, &n, (char)cp);
			else
				put_utf8(buf, cap, &n, cp > 0x10ffff ? 0xfffd : cp);
			break;
		}
		case 'N':
			if (p + 1 < end && p[1] == '{' && !(t->flags & PYT_STR_BYTES)) {
				while (p < end && *p != '}')
					p++;
				p += p < end;
				put(buf, cap, &n, '?');
				break;
			}
			put(buf, cap, &n, '\\');
			break;
		default:
			if (*p >= '0' && *p <= '7') {
				unsigned v = 0;

				for (int k = 0; k < 3 && p < end && *p >= '0' && *p <= '7'; k++)
					v = v * 8 + (unsigned)(*p++ - '0');
				if (t->flags & PYT_STR_BYTES)
					put(buf, cap, &n, (char)v);
				else
					put_utf8(buf, cap, &n, v);
			} else {
				/* \\ \' \" and unknown escapes (kept with their backslash). */
				if (*p != '\\' && *p != '\'' && *p != '"')
					put(buf, cap, &n, '\\');
				put(buf, cap, &n, *p++);
			}
		}
	}
	if (cap)
		buf[n < cap ? n : cap - 1] = '\0';
	return n;
}

/* NFKC for the compatibility characters that spell ASCII; NULL if none. */
static const char *fold_cp(uint32_t cp, char tmp[2])
{
	static const struct { uint32_t cp; const char *s; } table[] = {
		{ 0x00aa, "a" }, { 0x00ba, "o" }, { 0x02b0, "h" }, { 0x02b2, "j" }, { 0x02b3, "r" },
		{ 0x02b7, "w" }, { 0x02b8, "y" }, { 0x02e1, "l" }, { 0x02e2, "s" }, { 0x02e3, "x" },
		{ 0x1d43, "a" }, { 0x1d47, "b" }, { 0x1d48, "d" }, { 0x1d49, "e" }, { 0x1d4d, "g" },
		{ 0x1d4f, "k" }, { 0x1d50, "m" }, { 0x1d52, "o" }, { 0x1d56, "p" }, { 0x1d57, "t" },
		{ 0x1d58, "u" }, { 0x1d5b, "v" }, { 0x1d9c, "c" }, { 0x1da0, "f" }, { 0x1dbb, "z" },
		{ 0x2071, "i" }, { 0x207f, "n" }, { 0x2102, "C" }, { 0x210a, "g" }, { 0x210b, "H" },
		{ 0x210c, "H" }, { 0x210d, "H" }, { 0x210e, "h" }, { 0x2110, "I" }, { 0x2111, "I" },
		{ 0x2112, "L" }, { 0x2113, "l" }, { 0x2115, "N" }, { 0x2119, "P" }, { 0x211a, "Q" },
		{ 0x211b, "R" }, { 0x211c, "R" }, { 0x211d, "R" }, { 0x2124, "Z" }, { 0x2128, "Z" },
		{ 0x212c, "B" }, { 0x212d, "C" }, { 0x212f, "e" }, { 0x2130, "E" }, { 0x2131, "F" },
		{ 0x2133, "M" }, { 0x2134, "o" }, { 0x2139, "i" }, { 0xfb00, "ff" }, { 0xfb01, "fi" },
		{ 0xfb02, "fl" }, { 0xfb03, "ffi" }, { 0xfb04, "ffl" }, { 0xfb05, "st" },
		{ 0xfb06, "st" },
	};

	tmp[1] = '\0';
	if (cp >= 0xff21 && cp <= 0xff3a)
		return tmp[0] = (char)('A' + cp - 0xff21), tmp;
	if (cp >= 0xff41 && cp <= 0xff5a)
		return tmp[0] = (char)('a' + cp - 0xff41), tmp;
	if (cp >= 0xff10 && cp <= 0xff19)
		return tmp[0] = (char)('0' + cp - 0xff10), tmp;
	if (cp == 0xff3f)
		return "_";
	if (cp >= 0x1d400 && cp <= 0x1d6a3) {
		uint32_t k = (cp - 0x1d400) % 52;

		return tmp[0] = (char)(k < 26 ? 'A' + k : 'a' + k - 26), tmp;
	}
	if (cp >= 0x1d7ce && cp <= 0x1d7ff)
		return tmp[0] = (char)('0' + (cp - 0x1d7ce) % 10), tmp;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].cp == cp)
			return table[i].s;
	return NULL;
}

bool pyt_name_fold(const char *src, const struct pyt_token *t, char *buf, size_t cap)
{
	const unsigned char *p = (const unsigned char *)src + t->off, *end = p + t->len;
	bool ascii = true;
	size_t n = 0;
	char tmp[2];

	while (p < end) {
		uint32_t cp;
		int k;

		if (*p < 0x80) {
			put(buf, cap, &n, (char)*p++);
			continue;
		}
		k = *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : *p >= 0xc0 ? 1 : 0;
		cp = *p & (0x3f >> k);
		bool bad = k == 0 || (size_t)(end - p) <= (size_t)k;

		for (int i = 1; !bad && i <= k; i++)
			bad = (p[i] & 0xc0) != 0x80;
		if (bad) {
			put(buf, cap, &n, (char)*p++);
			ascii = false;
			continue;
		}
		for (int i = 1; i <= k; i++)
			cp = cp << 6 | (p[i] & 0x3f);
		const char *f = fold_cp(cp, tmp);

		if (f) {
			while (*f)
				put(buf, cap, &n, *f++);
		} else {
			for (int i = 0; i <= k; i++)
				put(buf, cap, &n, (char)p[i]);
			ascii = false;
		}
		p += k + 1;
	}
	if (cap)
		buf[n < cap ? n : cap - 1] = '\0';
	return ascii && n < cap;
}

const char *pyt_kind_name(enum pyt_kind k)
{
	static const char *const names[] = { "NAME", "NUMBER", "STRING", "OP", "NEWLINE",
					     "COMMENT", "ERROR" };

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

// SPDX-License-Identifier: MIT
/* The Python tokenizer of pytokens.h. */
#include "pytokens.h"
#include "pyident.h"
#include "util/util.h"

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

	if (ARRAY_RESERVE(o->t, o->n, o->cap, 64 + lx->len / 8) < 0) {
		lx->oom = 1;
		return -1;
	}
	o->t[o->n++] = *t;
	if (t->kind == PYT_ERROR)
		o->errors++;
	return 0;
}

static int push_field(struct lexer *lx, size_t off, size_t len, uint32_t line)
{
	struct pyt_stream *o = lx->out;

	if (ARRAY_RESERVE(o->fields, o->nfields, o->fcap, 16) < 0) {
		lx->oom = 1;
		return -1;
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

/*
 * A run of name bytes with non-ASCII in it: CPython takes the same run and
 * then checks it (pyident.h). What it rejects is an error here too (the file
 * cannot run); a code point too new for the tables stays a name, flagged.
 */
static struct pyt_token ident_token(const char *src, size_t p, size_t n, struct pyt_token t)
{
	uint32_t cp;
	size_t at;

	switch (pyid_check(src + p, n - p, &cp, &at)) {
	case PYID_OK:
		break;
	case PYID_UNKNOWN:
		t.flags |= PYT_NAME_UNKNOWN;
		break;
	case PYID_INVALID:
		t.kind = PYT_ERROR;
		t.flags = PYT_NAME_INVALID;
		break;
	}
	return t;
}

static size_t op_len(const char *p, size_t avail)
{
	char a = p[0], b = avail > 1 ? p[1] : '\0', c = avail > 2 ? p[2] : '\0';

	switch (a) {
	case '*': case '/': case '>': case '<':
		if (b == a)
			return c == '=' ? 3 : 2;		/* ** // >> << and **= //= >>= <<= */
		return b == '=' ? 2 : 1;
	case '.':
		return b == '.' && c == '.' ? 3 : 1;
	case '-':
		return b == '>' || b == '=' ? 2 : 1;
	case '+': case '%': case '&': case '|': case '^': case '@': case '=': case '!': case ':':
		return b == '=' ? 2 : 1;
	case '~': case '(': case ')': case '[': case ']': case '{': case '}': case ',': case ';':
		return 1;
	default:
		return 0;
	}
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
			if (t.flags & PYT_NAME_NONASCII) {
				t = ident_token(src, p, n, t);
				out->nonascii += t.kind == PYT_NAME;
			}
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
		/* On the line of the last token (brackets left open can span lines). */
		struct pyt_token t = { .off = (uint32_t)len, .line = out->t[out->n - 1].line,
				       .kind = PYT_NEWLINE };

		if (push_token(&lx, &t) < 0)
			goto oom;
	}
	/* Physical lines: line breaks, plus an unterminated last line. */
	out->lines = len > 0 && src[len - 1] != '\n' && src[len - 1] != '\r';
	for (p = 0; p < len; p++)
		out->lines += src[p] == '\n' || (src[p] == '\r' && (p + 1 == len || src[p + 1] != '\n'));
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

const char *pyt_kind_name(enum pyt_kind k)
{
	static const char *const names[] = { "NAME", "NUMBER", "STRING", "OP", "NEWLINE",
					     "COMMENT", "ERROR" };

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

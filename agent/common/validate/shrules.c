// SPDX-License-Identifier: MIT
/*
 * Shell rules (docs/validation-rules.md): a small shell lexer (words with
 * their quotes removed, operators, comments dropped, line numbers) and the
 * checks on each simple command and pipeline: downloads piped or
 * substituted into an interpreter, /dev/tcp and /dev/udp, netcat-style
 * tools, secret paths, and what the script uses (network, file writes).
 * Quoted text is kept as words: in shell, a quoted string is very often an
 * argument that names a file or holds a script (sh -c "..."), so it is
 * checked; the scripts of sh -c, bash -c and eval are analysed in turn,
 * and python -c code goes to the Python rules.
 */
#include <stdlib.h>
#include <string.h>

#include "validate_int.h"
#include "util/util.h"

#define SH_MAX_WORD 4096

/* Operators: '|' pipe, ';' end of command (also newline, &&, ||, &), 'S' substitution start, ')' end. */
struct shtok {
	char *w;		/* NULL for operators */
	char op;
	uint32_t line;
};

struct shlex {
	const char *s;
	size_t len, p;
	uint32_t line;
	struct shtok *t;
	size_t n, cap;
	char word[SH_MAX_WORD];
	size_t wl;
	bool inword;
	uint32_t wline;
	int backtick;		/* inside `...` */
	int oom;
};

static void push(struct shlex *lx, char *w, char op, uint32_t line)
{
	if (ARRAY_RESERVE(lx->t, lx->n, lx->cap, 64) < 0) {
		free(w);
		lx->oom = 1;
		return;
	}
	lx->t[lx->n++] = (struct shtok){ w, op, line };
}

static void end_word(struct shlex *lx)
{
	char *w;

	if (!lx->inword)
		return;
	lx->word[lx->wl] = '\0';
	w = strdup(lx->word);
	if (!w)
		lx->oom = 1;
	else
		push(lx, w, 0, lx->wline);
	lx->inword = false;
	lx->wl = 0;
}

static void add(struct shlex *lx, char c)
{
	if (!lx->inword) {
		lx->inword = true;
		lx->wline = lx->line;
	}
	if (lx->wl + 1 < SH_MAX_WORD)
		lx->word[lx->wl++] = c;
}

static void op(struct shlex *lx, char o)
{
	end_word(lx);
	push(lx, NULL, o, lx->line);
}

static void lex(struct shlex *lx)
{
	while (lx->p < lx->len && !lx->oom) {
		char c = lx->s[lx->p], n = lx->p + 1 < lx->len ? lx->s[lx->p + 1] : '\0';

		if (c == '\n') {
			op(lx, ';');
			lx->line++;
			lx->p++;
		} else if (c == '\\') {
			if (n == '\n')
				lx->line++;
			else if (lx->p + 1 < lx->len)
				add(lx, n);
			lx->p += 2;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			end_word(lx);
			lx->p++;
		} else if (c == '#' && !lx->inword) {
			while (lx->p < lx->len && lx->s[lx->p] != '\n')
				lx->p++;
		} else if (c == '\'' || c == '"') {
			if (!lx->inword) {
				lx->inword = true;
				lx->wline = lx->line;
			}
			for (lx->p++; lx->p < lx->len && lx->s[lx->p] != c; lx->p++) {
				if (lx->s[lx->p] == '\n')
					lx->line++;
				if (c == '"' && lx->s[lx->p] == '\\' && lx->p + 1 < lx->len &&
				    strchr("\"\\$`", lx->s[lx->p + 1]))
					lx->p++;
				add(lx, lx->s[lx->p]);
			}
			lx->p++;
		} else if (c == '`') {
			op(lx, lx->backtick ? ')' : 'S');
			lx->backtick = !lx->backtick;
			lx->p++;
		} else if ((c == '$' || c == '<' || c == '>') && n == '(') {
			op(lx, 'S');
			lx->p += 2;
		} else if (c == '|') {
			op(lx, n == '|' ? ';' : '|');
			lx->p += n == '|' || n == '&' ? 2 : 1;
		} else if (c == '&' && n != '>' && (lx->p == 0 || lx->s[lx->p - 1] != '>')) {
			op(lx, ';');
			lx->p += n == '&' ? 2 : 1;
		} else if (c == ';' || c == '(' || c == ')') {
			op(lx, c == ')' ? ')' : c == '(' ? 'S' : ';');
			lx->p++;
		} else {
			add(lx, c);
			lx->p++;
		}
	}
	end_word(lx);
}

static const char *base(const char *w)
{
	const char *b = strrchr(w, '/');

	return b ? b + 1 : w;
}

static bool one_of(const char *w, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(w, *list) == 0)
			return true;
	return false;
}

static const char *const downloaders[] = { "curl", "wget", "fetch", "aria2c", NULL };
static const char *const shells[] = { "sh", "bash", "dash", "zsh", "ksh", "ash", "busybox", NULL };
static const char *const others[] = { "perl", "ruby", "node", "php", "lua", NULL };

static bool interpreter(const char *name)
{
	return one_of(name, shells) || one_of(name, others) || strncmp(name, "python", 6) == 0;
}

static bool evaluator(const char *name)
{
	return interpreter(name) || !strcmp(name, "eval") || !strcmp(name, "source") ||
	       !strcmp(name, ".");
}

/* Skip VAR=x, sudo, env -i, timeout 5, if/then/do ...: the command's own index. */
static size_t command_start(struct shtok *t, size_t a, size_t b)
{
	static const char *const prefixes[] = { "if", "then", "else", "elif", "do", "while",
						"until", "!", "{", "}", "time", "sudo", "exec",
						"command", "builtin", "nohup", "nice", "env",
						"stdbuf", "setsid", NULL };

	while (a < b) {
		const char *w = t[a].w, *eq = strchr(w, '=');

		if (eq && eq > w && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
		    (size_t)(eq - w)) {
			a++;
		} else if (one_of(w, prefixes) || (w[0] == '-' && a > 0 && t[a - 1].w &&
						     (!strcmp(base(t[a - 1].w), "env") ||
						      !strcmp(base(t[a - 1].w), "sudo")))) {
			a++;
		} else if (!strcmp(w, "timeout") && a + 1 < b) {
			a += 2;
		} else {
			break;
		}
	}
	return a;
}

struct shstate {
	struct vctx *v;
	const char *file;
	bool pipe_dl;		/* a downloader earlier in this pipeline */
	uint32_t dl_line;
	bool want_dl;		/* an interpreter's <(...) or $(...) just opened */
};

static void scan_buf(struct vctx *v, const char *file, const char *src, size_t len, uint32_t line);

static bool scratch_target(const char *w)
{
	return strstr(w, "TMPDIR") || strstr(w, "RAGGED_SCRATCH") || strstr(w, "mktemp") ||
	       !strcmp(w, "/dev/null") || !strncmp(w, "&", 1) || !strncmp(w, "/dev/std", 8);
}

static void words(struct shstate *st, struct shtok *t, size_t a, size_t b)
{
	static const char *const writers[] = { "rm", "mv", "cp", "mkdir", "touch", "tee", "dd", "ln",
					       "chmod", "install", "rsync", NULL };
	const char *f = st->file;
	bool writer;
	size_t c = command_start(t, a, b);
	const char *name;

	for (size_t k = a; k < b; k++) {
		const char *w = t[k].w, *what;

		if (strstr(w, "/dev/tcp/") || strstr(w, "/dev/udp/")) {
			vuse(st->v, VUSE_NETWORK, f, t[k].line);
			vfind(st->v, "sh-dev-tcp", VSEV_DEFAULT, f, t[k].line,
			      "\"%.80s\" opens a raw network channel", w);
		}
		if ((what = vsecret_path(w)))
			vfind(st->v, "sh-secret-path", VSEV_DEFAULT, f, t[k].line, "\"%.80s\" names %s", w, what);
		vurl(st->v, w, f, t[k].line);
		/* > file, >> file, 2>file */
		const char *gt = strchr(w, '>');

		if (gt && !strchr(gt + 1, '(')) {
			const char *target = gt[1] == '>' ? gt + 2 : gt + 1;

			if (!*target && k + 1 < b)
				target = t[k + 1].w;
			if (*target && !scratch_target(target))
				vuse(st->v, VUSE_FILE_WRITE, f, t[k].line);
		}
	}
	if (c >= b)
		return;
	name = base(t[c].w);
	writer = one_of(name, writers);
	for (size_t k = c + 1; writer && k < b; k++)
		if (scratch_target(t[k].w))
			writer = false;
	if (writer)
		vuse(st->v, VUSE_FILE_WRITE, f, t[c].line);
	if (one_of(name, downloaders) || !strcmp(name, "ssh") || !strcmp(name, "scp") ||
	    !strcmp(name, "ftp") || !strcmp(name, "telnet"))
		vuse(st->v, VUSE_NETWORK, f, t[c].line);
	if (one_of(name, downloaders)) {
		if (st->want_dl)
			vfind(st->v, "sh-pipe-to-shell", VSEV_DEFAULT, f, t[c].line,
			      "%s output is run through process substitution", name);
		st->pipe_dl = true;
		st->dl_line = t[c].line;
	} else if (interpreter(name) && st->pipe_dl) {
		vfind(st->v, "sh-pipe-to-shell", VSEV_DEFAULT, f, t[c].line,
		      "a download (line %u) is piped into %s", st->dl_line, name);
	}
	st->want_dl = false;
	if (!strcmp(name, "nc") || !strcmp(name, "ncat") || !strcmp(name, "netcat") ||
	    !strcmp(name, "socat")) {
		bool shell = false;

		for (size_t k = c + 1; k < b; k++)
			shell |= !strcmp(t[k].w, "-e") || !strcmp(t[k].w, "-c") ||
				 !strncmp(t[k].w, "--exec", 6) || !strncmp(t[k].w, "--sh-exec", 9) ||
				 strstr(t[k].w, "EXEC:") || strstr(t[k].w, "SYSTEM:");
		vuse(st->v, VUSE_NETWORK, f, t[c].line);
		vfind(st->v, "sh-netcat", shell ? SEV_CRITICAL : VSEV_DEFAULT, f, t[c].line,
		      shell ? "%s runs a shell for the other end: a remote shell" : "%s opens raw connections",
		      name);
	}
	if (!evaluator(name))
		return;
	for (size_t k = c + 1; k < b; k++) {
		const char *w = t[k].w;

		if (strstr(w, "$(curl") || strstr(w, "$(wget") || strstr(w, "`curl") || strstr(w, "`wget"))
			vfind(st->v, "sh-pipe-to-shell", VSEV_DEFAULT, f, t[k].line,
			      "%s runs the output of a download", name);
		if (st->v->depth >= VALIDATE_MAX_CODE_DEPTH)
			continue;
		/* sh -c SCRIPT, python -c CODE, eval WORDS: analysed in turn */
		if (!strcmp(w, "-c") && k + 1 < b) {
			st->v->depth++;
			if (!strncmp(name, "python", 6))
				pyrules_scan(st->v, f, t[k + 1].w, strlen(t[k + 1].w), t[k + 1].line);
			else if (one_of(name, shells))
				scan_buf(st->v, f, t[k + 1].w, strlen(t[k + 1].w), t[k + 1].line);
			st->v->depth--;
		} else if (!strcmp(name, "eval")) {
			st->v->depth++;
			scan_buf(st->v, f, w, strlen(w), t[k].line);
			st->v->depth--;
		}
	}
}

static void scan_buf(struct vctx *v, const char *file, const char *src, size_t len, uint32_t line)
{
	struct shlex lx = { .s = src, .len = len, .line = line };
	struct shstate st = { .v = v, .file = file };
	size_t a = 0;

	lex(&lx);
	for (size_t k = 0; k <= lx.n; k++) {
		char o = k < lx.n ? lx.t[k].op : ';';

		if (!o)
			continue;
		if (k > a)
			words(&st, lx.t, a, k);
		if (o == 'S' && k > a) {
			size_t c = command_start(lx.t, a, k);

			if (c < k && evaluator(base(lx.t[c].w)))
				st.want_dl = true;
		}
		if (o != '|')
			st.pipe_dl = false;
		a = k + 1;
	}
	for (size_t k = 0; k < lx.n; k++)
		free(lx.t[k].w);
	free(lx.t);
}

void shrules_scan(struct vctx *v, const char *file, const char *src, size_t len,
		  uint32_t first_line)
{
	if (v->depth == 0) {
		uint32_t lines = 0;

		for (size_t i = 0; i < len; i++)
			lines += src[i] == '\n';
		v->r->lines += lines + (len && src[len - 1] != '\n');
	}
	scan_buf(v, file, src, len, first_line);
}

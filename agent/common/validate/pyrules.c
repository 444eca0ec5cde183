// SPDX-License-Identifier: MIT
/*
 * The Python rules (docs/validation-rules.md). Each file is analysed in
 * passes over its tokens: imports (aliases), assignments (aliases and two
 * kinds of taint: decoded data, scratch paths), then every name that
 * starts an expression is resolved (pyresolve.c) and checked against the
 * sink table, and every string literal against the secret paths and URL
 * lists. Code found in strings (exec("..."), f-string fields) is analysed
 * the same way, a few levels deep.
 */
#include <stdlib.h>
#include <string.h>

#include "pyident.h"
#include "pyrules_int.h"

static void scan_code(struct py_module *mod, const char *src, size_t len, uint32_t line, int level);

#define LINE(s, i) ((s)->t[(i) < (s)->n ? (i) : (s)->n - 1].line)

static void check_module(struct py_scan *s, const char *mod, size_t i, bool star)
{
	struct vctx *v = s->mod->v;
	const char *f = s->mod->file;

	/* socket is also UNIX sockets (the consent channel): counted where it connects. */
	if (py_is_network(mod) && !py_module_is(mod, "socket"))
		vuse(v, VUSE_NETWORK, f, LINE(s, i));
	if (py_module_is(mod, "ctypes") || py_module_is(mod, "_ctypes") || py_module_is(mod, "cffi")) {
		vuse(v, VUSE_NATIVE, f, LINE(s, i));
		vfind(v, "py-native-code", VSEV_DEFAULT, f, LINE(s, i), "imports %s", mod);
	}
	if (!star)
		return;
	if (!strcmp(mod, "os") || !strcmp(mod, "subprocess") || !strcmp(mod, "pty"))
		vfind(v, "py-shell", VSEV_DEFAULT, f, LINE(s, i),
		      "\"from %s import *\" hides which process functions are called", mod);
	if (!strcmp(mod, "pickle") || !strcmp(mod, "marshal"))
		vfind(v, "py-unsafe-deserialization", VSEV_DEFAULT, f, LINE(s, i),
		      "\"from %s import *\" hides which loaders are called", mod);
}

/* A dotted module name at i ("a.b.c", "..pkg"); the index after it, or -1 (none, or too long). */
static long dotted_at(const struct py_scan *s, size_t i, char out[PY_DOTTED_MAX])
{
	char name[PY_NAME_MAX];
	size_t n = 0, k;

	out[0] = '\0';
	while (py_op(s, i, ".")) {	/* relative: "from ..pkg import x" */
		if (n + 1 >= PY_DOTTED_MAX)
			return -1;
		out[n++] = '.';
		out[n] = '\0';
		i++;
	}
	while (py_name(s, i, name)) {
		bool dot = n && out[n - 1] != '.';

		k = strlen(name);
		if (n + dot + k >= PY_DOTTED_MAX)
			return -1;
		if (dot)
			out[n++] = '.';
		memcpy(out + n, name, k + 1);
		n += k;
		i++;
		if (!py_op(s, i, ".") || !py_tok(s, i + 1) || s->t[i + 1].kind != PYT_NAME)
			break;
		i++;
	}
	return n ? (long)i : -1;
}

static void pass_imports(struct py_scan *s)
{
	char mod[PY_DOTTED_MAX], name[PY_NAME_MAX], as[PY_NAME_MAX], full[PY_DOTTED_MAX * 2];

	for (size_t i = 0; i < s->n; i++) {
		size_t end;
		long j;

		if (!py_stmt_start(s, i) || !(py_kw(s, i, "import") || py_kw(s, i, "from")))
			continue;
		end = py_stmt_end(s, i);
		memset(s->skip + i, 1, end - i);
		if (py_kw(s, i, "import")) {
			for (j = (long)i + 1; (size_t)j < end;) {
				j = dotted_at(s, (size_t)j, mod);
				if (j < 0)
					break;
				snprintf(as, sizeof(as), "%.*s", (int)strcspn(mod, "."), mod);
				if (py_kw(s, (size_t)j, "as") && py_name(s, (size_t)j + 1, name)) {
					py_alias_set(s->mod, name, mod);
					j += 2;
				} else {
					py_alias_set(s->mod, as, as);
				}
				check_module(s, mod, i, false);
				if (!py_op(s, (size_t)j, ","))
					break;
				j++;
			}
			continue;
		}
		j = dotted_at(s, i + 1, mod);
		if (j < 0 || !py_kw(s, (size_t)j, "import"))
			continue;
		check_module(s, mod, i, false);
		for (j++; (size_t)j < end; j++) {
			if (py_op(s, (size_t)j, "*")) {
				s->mod->star = true;
				check_module(s, mod, i, true);
				continue;
			}
			if (!py_name(s, (size_t)j, name))
				continue;
			snprintf(full, sizeof(full), "%s%s%s", mod[0] == '.' ? "<local>" : mod,
				 mod[0] == '.' ? "." : ".", name);
			snprintf(as, sizeof(as), "%s", name);
			if (py_kw(s, (size_t)j + 1, "as") && py_name(s, (size_t)j + 2, as))
				j += 2;
			py_alias_set(s->mod, as, full);
			if (mod[0] != '.')
				check_module(s, full, i, false);
		}
	}
}

/* Does [a, b) hold a call that decodes (base64, zlib, hex, rot13 ...) or a decoded name? */
static bool decodes(const struct py_scan *s, size_t a, size_t b)
{
	char d[PY_DOTTED_MAX], name[PY_NAME_MAX], codec[32];
	unsigned fl;
	int pieces;

	for (size_t k = a; k < b && k < s->n; k++) {
		if (!py_name(s, k, name))
			continue;
		if (py_after_dot(s, k)) {
			if ((!strcmp(name, "decode") || !strcmp(name, "fromhex")) && py_op(s, k + 1, "(")) {
				if (!strcmp(name, "fromhex"))
					return true;
				if (py_fold_arg(s, k + 2, codec, sizeof(codec), &pieces) >= 0 &&
				    (!strncmp(codec, "rot", 3) || !strcmp(codec, "base64") ||
				     !strcmp(codec, "zlib") || !strcmp(codec, "hex") || !strcmp(codec, "bz2")))
					return true;
			}
			continue;
		}
		if (py_names_has(&s->mod->decoded, name))
			return true;
		if (!py_interesting(s, name))
			continue;
		long e = py_resolve(s, k, d, &fl, NULL);

		if (e >= 0 && py_op(s, (size_t)e, "(") &&
		    (py_sink_kind(d) == K_DECODE || !strcmp(d, "marshal.loads")))
			return true;
	}
	return false;
}

/* Does [a, b) mention the run's scratch dir (tempfile, $TMPDIR, $RAGGED_SCRATCH, a name holding it)? */
static bool scratchy(const struct py_scan *s, size_t a, size_t b)
{
	char d[PY_DOTTED_MAX], name[PY_NAME_MAX], val[32];
	unsigned fl;

	for (size_t k = a; k < b && k < s->n; k++) {
		const struct pyt_token *t = &s->t[k];

		if (t->kind == PYT_STRING) {
			pyt_string_value(s->src, t, val, sizeof(val));
			if (!strcmp(val, "TMPDIR") || !strcmp(val, "RAGGED_SCRATCH") ||
			    !strcmp(val, "TMP") || !strcmp(val, "TEMP"))
				return true;
			continue;
		}
		if (!py_name(s, k, name) || py_after_dot(s, k))
			continue;
		if (py_names_has(&s->mod->scratch, name))
			return true;
		if (py_interesting(s, name) && py_resolve(s, k, d, &fl, NULL) >= 0 &&
		    py_module_is(d, "tempfile"))
			return true;
	}
	return false;
}

static void pass_assign(struct py_scan *s)
{
	char name[PY_NAME_MAX], d[PY_DOTTED_MAX];
	unsigned fl;

	for (int round = 0; round < 2; round++) {	/* a = decode(x); b = a; exec(b) */
		for (size_t i = 0; i < s->n; i++) {
			size_t end;

			if (!py_stmt_start(s, i) || s->t[i].kind != PYT_NAME)
				continue;
			end = py_stmt_end(s, i);
			if (py_kw(s, i, "with") || (py_kw(s, i, "async") && py_kw(s, i + 1, "with"))) {
				/* with EXPR as NAME, EXPR as NAME: */
				size_t from = i + 1;

				for (size_t k = i + 1; k < end; k++) {
					if (py_kw(s, k, "as") && py_name(s, k + 1, name) && s->depth[k] == s->depth[i]) {
						if (scratchy(s, from, k))
							py_names_add(&s->mod->scratch, name);
						if (decodes(s, from, k))
							py_names_add(&s->mod->decoded, name);
						from = k + 2;
					}
				}
				continue;
			}
			if (py_kw(s, i, "del") && py_name(s, i + 1, name)) {
				py_alias_set(s->mod, name, name);
				continue;
			}
			if (!py_op(s, i + 1, "=") || !py_name(s, i, name))
				continue;
			long e = -1;

			if (round == 0 && py_name(s, i + 2, d) && py_interesting(s, d))
				e = py_resolve(s, i + 2, d, &fl, NULL);
			if (e >= 0 && (size_t)e == end)
				py_alias_set(s->mod, name, d);	/* e = eval; run = os.system */
			if (decodes(s, i + 2, end))
				py_names_add(&s->mod->decoded, name);
			if (scratchy(s, i + 2, end))
				py_names_add(&s->mod->scratch, name);
		}
	}
}

/* Argument n (0-based; -1 the last) of the call whose '(' is at open: [*a, *b). */
static bool arg_range(const struct py_scan *s, size_t open, int n, size_t *a, size_t *b)
{
	size_t close = s->match[open], start = open + 1;
	int idx = 0;
	bool found = false;

	if (close == UINT32_MAX)
		return false;
	for (size_t k = open + 1; k <= close; k++) {
		if (k == close || (py_op(s, k, ",") && s->depth[k] == s->depth[open] + 1)) {
			if (k > start && (idx == n || n < 0)) {
				*a = start;
				*b = k;
				found = true;
				if (n >= 0)
					return true;
			}
			idx++;
			start = k + 1;
		}
	}
	return found;
}

/* keyword=True among the arguments of the call at open. */
static bool kwarg_true(const struct py_scan *s, size_t open, const char *kw)
{
	size_t close = s->match[open];

	for (size_t k = open + 1; close != UINT32_MAX && k + 2 < close; k++)
		if (py_kw(s, k, kw) && py_op(s, k + 1, "=") && py_kw(s, k + 2, "True"))
			return true;
	return false;
}

static bool mentions(const struct py_scan *s, size_t a, size_t b, const char *const *names)
{
	char name[PY_NAME_MAX];

	for (size_t k = a; k < b && k < s->n; k++)
		if (py_name(s, k, name) && py_in_list(names, name))
			return true;
	return false;
}

/* The file mode of open()/Path.open(): a constant among the first args, or mode=. */
static bool opens_for_writing(const struct py_scan *s, size_t open, int first)
{
	char mode[16];
	int pieces;
	size_t a, b, close = s->match[open];

	for (int n = first; n < first + 2; n++)
		if (arg_range(s, open, n, &a, &b) && py_fold_arg(s, a, mode, sizeof(mode), &pieces) >= 0 &&
		    strspn(mode, "rwxabt+U:gzbz2xz") == strlen(mode))
			return strpbrk(mode, "wax+") != NULL;
	for (size_t k = open + 1; close != UINT32_MAX && k + 2 < close; k++)
		if (py_kw(s, k, "mode") && py_op(s, k + 1, "=") &&
		    py_fold_arg(s, k + 2, mode, sizeof(mode), &pieces) >= 0)
			return strpbrk(mode, "wax+") != NULL;
	return false;
}

static void file_use(struct py_scan *s, size_t i, bool write, size_t a, size_t b)
{
	if (write && !scratchy(s, a, b))
		vuse(s->mod->v, VUSE_FILE_WRITE, s->mod->file, LINE(s, i));
	else if (!write)
		vuse(s->mod->v, VUSE_FILE_READ, s->mod->file, LINE(s, i));
}

/* Shell rules on the string literals passed to a process call. */
static void shell_args(struct py_scan *s, size_t open)
{
	size_t close = s->match[open];
	char *buf;

	if (close == UINT32_MAX || s->level >= VALIDATE_MAX_CODE_DEPTH || !(buf = malloc(PY_FOLD_MAX)))
		return;
	for (size_t k = open + 1; k < close; k++)
		if (s->t[k].kind == PYT_STRING) {
			size_t n = pyt_string_value(s->src, &s->t[k], buf, PY_FOLD_MAX);

			s->mod->v->depth++;	/* not a file of its own: no line count */
			shrules_scan(s->mod->v, s->mod->file, buf, n < PY_FOLD_MAX ? n : PY_FOLD_MAX - 1,
				     s->t[k].line);
			s->mod->v->depth--;
		}
	free(buf);
}

static void attribute(struct py_scan *s, size_t i, const char *name)
{
	static const char *const internals[] = { "__subclasses__", "__globals__", "__builtins__",
						 "__code__", "f_globals", "f_builtins", NULL };
	static const char *const writes[] = { "write_text", "write_bytes", "touch", "mkdir", "unlink",
					      "rmdir", "symlink_to", "hardlink_to", "extractall", NULL };
	static const char *const reads[] = { "read_text", "read_bytes", "iterdir", "rglob", NULL };
	struct vctx *v = s->mod->v;
	size_t start = i;

	if (py_in_list(internals, name))
		vfind(v, "py-introspection", VSEV_DEFAULT, s->mod->file, LINE(s, i),
		      ".%s reaches interpreter internals", name);
	if (!py_op(s, i + 1, "("))
		return;
	/* The receiver: back to the statement's start, at most 64 tokens (no quadratic walk). */
	while (start > 0 && i - start < 64 && !py_stmt_start(s, start))
		start--;
	if (py_in_list(writes, name))
		file_use(s, i, true, start, s->match[i + 1] == UINT32_MAX ? i : s->match[i + 1]);
	else if (py_in_list(reads, name))
		file_use(s, i, false, 0, 0);
	else if (!strcmp(name, "open"))
		file_use(s, i, opens_for_writing(s, i + 1, 0), start, i);
}

static void dynamic_import(struct py_scan *s, size_t i, const char *d, unsigned fl)
{
	struct vctx *v = s->mod->v;

	vuse(v, VUSE_DYNAMIC, s->mod->file, LINE(s, i));
	if (fl & PYR_NONCONST)
		vfind(v, "py-dynamic-import", VSEV_DEFAULT, s->mod->file, LINE(s, i),
		      "the module name is computed at run time");
	else if (fl & PYR_PIECES)
		vfind(v, "py-dynamic-import", SEV_CRITICAL, s->mod->file, LINE(s, i),
		      "the module name is assembled from pieces (\"%.*s\"): an evasion",
		      (int)strcspn(d, "."), d);
	check_module(s, d, i, false);
}

static void builtin_lookup(struct py_scan *s, size_t i, const char *d, unsigned fl)
{
	const char *f = s->mod->file;

	if (fl & PYR_NONCONST)
		vfind(s->mod->v, "py-getattr-builtins", SEV_HIGH, f, LINE(s, i),
		      "a builtin is fetched by a name computed at run time");
	else if (py_dangerous_builtin(d))
		vfind(s->mod->v, "py-getattr-builtins", VSEV_DEFAULT, f, LINE(s, i),
		      "%s the builtin %s by name%s", fl & PYR_GETATTR ? "getattr fetches" : "a subscript fetches",
		      d, fl & PYR_PIECES ? " assembled from pieces" : "");
	else
		vfind(s->mod->v, "py-getattr-builtins", SEV_MEDIUM, f, LINE(s, i),
		      "the builtin %s is fetched by name", d);
}

static void sink(struct py_scan *s, size_t i, long e, const char *d, unsigned fl)
{
	struct vctx *v = s->mod->v;
	const char *f = s->mod->file;
	bool called = py_op(s, (size_t)e, "(") && s->match[e] != UINT32_MAX;
	bool hidden = fl & (PYR_GETATTR | PYR_PIECES | PYR_SUBSCRIPT | PYR_DYN_HEAD);
	size_t open = (size_t)e, close = called ? s->match[e] : open, a, b;
	char *code;
	int pieces;

	switch (py_sink_kind(d)) {
	case K_EXEC:
		vuse(v, VUSE_DYNAMIC, f, LINE(s, i));
		if (called && decodes(s, open + 1, close)) {
			vfind(v, "py-obfuscated-exec", VSEV_DEFAULT, f, LINE(s, i),
			      "%s() runs code decoded at run time", d);
		} else {
			vfind(v, "py-eval-exec", VSEV_DEFAULT, f, LINE(s, i), called ?
			      "%s() runs code built at run time" : "a reference to %s hides where it is called", d);
		}
		/* exec("...") with constant code: that code is analysed too. */
		if (called && s->level < VALIDATE_MAX_CODE_DEPTH && (code = malloc(PY_FOLD_MAX))) {
			if (py_fold_arg(s, open + 1, code, PY_FOLD_MAX, &pieces) >= 0)
				scan_code(s->mod, code, strlen(code), LINE(s, i), s->level + 1);
			free(code);
		}
		break;
	case K_SHELL:
		vuse(v, VUSE_PROCESS, f, LINE(s, i));
		vfind(v, "py-shell", hidden ? SEV_CRITICAL : VSEV_DEFAULT, f, LINE(s, i), "%s%s starts a program",
		      d, hidden ? " (reached through getattr/__import__/strings)" : "");
		if (called)
			shell_args(s, open);
		break;
	case K_DESER: {
		static const char *const safe_loaders[] = { "SafeLoader", "CSafeLoader", "BaseLoader", NULL };

		if (!called ||
		    (!strcmp(d, "numpy.load") && !kwarg_true(s, open, "allow_pickle")) ||
		    (!strcmp(d, "torch.load") && kwarg_true(s, open, "weights_only")) ||
		    (!strncmp(d, "yaml.load", 9) && mentions(s, open, close, safe_loaders)))
			break;
		vfind(v, "py-unsafe-deserialization", VSEV_DEFAULT, f, LINE(s, i),
		      "%s() can run code embedded in the data it loads", d);
		break;
	}
	case K_DECODE:
		if (called && (code = malloc(PY_FOLD_MAX))) {
			if (py_fold_arg(s, open + 1, code, PY_FOLD_MAX, &pieces) >= 0 && strlen(code) >= 64)
				vfind(v, "py-encoded-payload", VSEV_DEFAULT, f, LINE(s, i),
				      "%s() of a %zu-byte literal", d, strlen(code));
			free(code);
		}
		break;
	case K_RAWSOCK:
		vuse(v, VUSE_NETWORK, f, LINE(s, i));
		vfind(v, "py-raw-socket", VSEV_DEFAULT, f, LINE(s, i), "%s", d);
		break;
	case K_WRITE:
		/* The destination: the last argument of copies and moves, else the first. */
		if (called && arg_range(s, open, py_module_is(d, "shutil") || strstr(d, "rename") ||
					strstr(d, "replace") || strstr(d, "link") ? -1 : 0, &a, &b))
			file_use(s, i, true, a, b);
		break;
	case K_READ:
		file_use(s, i, false, 0, 0);
		break;
	case K_OPEN:
		if (called)
			file_use(s, i, opens_for_writing(s, open, 1), open + 1,
				 arg_range(s, open, 0, &a, &b) ? b : close);
		break;
	case K_OSOPEN: {
		static const char *const wflags[] = { "O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND",
						      "O_TRUNC", NULL };

		if (called)
			file_use(s, i, mentions(s, open, close, wflags), open + 1,
				 arg_range(s, open, 0, &a, &b) ? b : close);
		break;
	}
	case K_FETCH:
		vuse(v, VUSE_NETWORK, f, LINE(s, i));
		if (called && arg_range(s, open, 1, &a, &b))
			file_use(s, i, true, a, b);
		break;
	default:
		if (py_module_is(d, "socket")) {
			static const char *const unix_only[] = { "AF_UNIX", "fileno", NULL };
			static const char *const lookups[] = { "socket.create_connection",
				"socket.create_server", "socket.getaddrinfo", "socket.gethostbyname",
				"socket.gethostbyname_ex", NULL };

			/* socket.socket(AF_UNIX, ...) and socket.socket(fileno=N) are local. */
			if (called && ((!strcmp(d, "socket.socket") && !mentions(s, open, close, unix_only)) ||
				       py_in_list(lookups, d)))
				vuse(v, VUSE_NETWORK, f, LINE(s, i));
		} else if (py_is_network(d)) {
			vuse(v, VUSE_NETWORK, f, LINE(s, i));
		}
	}
}

static bool ascii(const char *s)
{
	while (*s && (unsigned char)*s < 0x80)
		s++;
	return !*s;
}

/* A name as written, for a message: cut between UTF-8 characters, never inside one. */
static void raw_name(const struct py_scan *s, const struct pyt_token *t, char raw[PY_NAME_MAX])
{
	size_t n = t->len < PY_NAME_MAX ? t->len : PY_NAME_MAX - 1;

	if (n < t->len)
		while (n > 0 && ((unsigned char)s->src[t->off + n] & 0xc0) == 0x80)
			n--;
	memcpy(raw, s->src + t->off, n);
	raw[n] = '\0';
}

static void pass_main(struct py_scan *s)
{
	char name[PY_NAME_MAX], d[PY_DOTTED_MAX], raw[PY_NAME_MAX], fetched[PY_NAME_MAX];
	unsigned fl;

	for (size_t i = 0; i < s->n; i++) {
		const struct pyt_token *t = &s->t[i];

		if (!py_name(s, i, name))
			continue;
		/* name is the fold (or "<long>"): only one that is ASCII can be a disguise. */
		if ((t->flags & PYT_NAME_NONASCII) && ascii(name) && pyt_name_fold(s->src, t, d, sizeof(d))) {
			raw_name(s, t, raw);
			vfind(s->mod->v, "py-unicode-identifier", VSEV_DEFAULT, s->mod->file, t->line,
			      "\"%s\" is read by Python as \"%s\"", raw, d);
		} else if (t->flags & PYT_NAME_UNKNOWN) {
			uint32_t cp = 0;
			size_t at = 0;

			pyid_check(s->src + t->off, t->len, &cp, &at);
			raw_name(s, t, raw);
			vfind(s->mod->v, "py-unicode-identifier", VSEV_DEFAULT, s->mod->file, t->line,
			      "\"%s\" has U+%04X, unassigned in Unicode %s: a newer Python may read it as another name",
			      raw, cp, pyid_unicode_version());
		}
		if (py_after_dot(s, i)) {
			attribute(s, i, name);
			continue;
		}
		if (s->skip[i] || (i > 0 && (py_kw(s, i - 1, "def") || py_kw(s, i - 1, "class"))))
			continue;
		/* f(exec=1) and "eval = ...": names bound, not used. */
		if (py_op(s, i + 1, "=") && (py_stmt_start(s, i) ||
					     (s->depth[i] > 0 && (py_op(s, i - 1, "(") || py_op(s, i - 1, ",")))))
			continue;
		if (!py_interesting(s, name))
			continue;	/* a local value: nothing to resolve */
		long e = py_resolve(s, i, d, &fl, fetched);

		if (e < 0)
			continue;
		if (fl & PYR_DYN_HEAD)
			dynamic_import(s, i, d, fl);
		if (fetched[0])
			builtin_lookup(s, i, fetched, fl);
		sink(s, i, e, d, fl);
	}
}

/* A string that is a whole statement: a docstring, never used as a value. */
static bool docstring(const struct py_scan *s, size_t i)
{
	size_t k = i;

	if (!py_stmt_start(s, i))
		return false;
	while (k < s->n && s->t[k].kind == PYT_STRING)
		k++;
	return k >= s->n || s->t[k].kind == PYT_NEWLINE || py_op(s, k, ";");
}

static void secret(struct py_scan *s, size_t i, const char *val)
{
	const char *what = vsecret_path(val);

	if (what)
		vfind(s->mod->v, "py-secret-path", VSEV_DEFAULT, s->mod->file, s->t[i].line,
		      "the string \"%.80s\" names %s", val, what);
}

static void pass_strings(struct py_scan *s)
{
	char *val = malloc(PY_FOLD_MAX);
	size_t len;
	int pieces;

	if (!val)
		return;
	for (size_t i = 0; i < s->n; i++) {
		const struct pyt_token *t = &s->t[i];

		if (t->kind != PYT_STRING)
			continue;
		for (uint32_t k = 0; k < t->nfields && s->level < VALIDATE_MAX_CODE_DEPTH; k++) {
			const struct pyt_field *fd = &s->fields[t->field0 + k];

			scan_code(s->mod, s->src + fd->off, fd->len, fd->line, s->level + 1);
		}
		if (docstring(s, i))
			continue;
		pyt_string_value(s->src, t, val, PY_FOLD_MAX);
		secret(s, i, val);
		vurl(s->mod->v, val, s->mod->file, t->line);
		/* The start of "a" "b", "a" + "b", "sep".join(...), "abc"[::-1]: fold it. */
		if ((i == 0 || (!py_op(s, i - 1, "+") && s->t[i - 1].kind != PYT_STRING)) &&
		    (py_op(s, i + 1, "+") || py_op(s, i + 1, ".") || py_op(s, i + 1, "[") ||
		     (i + 1 < s->n && s->t[i + 1].kind == PYT_STRING)) &&
		    py_fold(s, i, val, PY_FOLD_MAX, &len, &pieces) >= 0 && pieces > 1)
			secret(s, i, val);
	}
	free(val);
}

static void scan_stream(struct py_module *mod, const char *src, const struct pyt_stream *ts,
			int level)
{
	struct py_scan s;

	if (py_scan_init(&s, mod, src, ts, level) < 0)
		return;
	s.fields = ts->fields;
	pass_imports(&s);
	pass_assign(&s);
	pass_main(&s);
	pass_strings(&s);
	py_scan_free(&s);
}

static void scan_code(struct py_module *mod, const char *src, size_t len, uint32_t line, int level)
{
	struct pyt_stream ts;

	if (level > VALIDATE_MAX_CODE_DEPTH)
		return;
	if (pyt_tokenize(src, len, line, &ts) == 0)
		scan_stream(mod, src, &ts, level);
	pyt_free(&ts);
}

void pyrules_scan(struct vctx *v, const char *file, const char *src, size_t len,
		  uint32_t first_line)
{
	struct py_module mod;
	struct pyt_stream ts;

	py_module_init(&mod, v, file);
	if (pyt_tokenize(src, len, first_line, &ts) < 0) {
		vfind(v, "py-unparsable", VSEV_DEFAULT, file, 0, "not analysed: out of memory");
		pyt_free(&ts);
		return;
	}
	if (v->depth == 0)
		v->r->lines += ts.lines;
	for (size_t i = 0; i < ts.n; i++)
		if (ts.t[i].kind == PYT_ERROR) {
			const struct pyt_token *t = &ts.t[i];
			unsigned char c = (unsigned char)src[t->off];
			uint32_t cp = 0;
			size_t at = 0;

			if (t->flags & PYT_STR_UNTERM)
				vfind(v, "py-unparsable", VSEV_DEFAULT, file, t->line, "unterminated string");
			else if ((t->flags & PYT_NAME_INVALID) &&
				 pyid_check(src + t->off, t->len, &cp, &at) == PYID_INVALID)
				vfind(v, "py-unparsable", VSEV_DEFAULT, file, t->line, cp == UINT32_MAX ?
				      "byte 0x%02X in an identifier is not UTF-8" :
				      "U+%04X cannot be part of a Python identifier",
				      cp == UINT32_MAX ? (unsigned char)src[t->off + at] : cp);
			else
				vfind(v, "py-unparsable", VSEV_DEFAULT, file, t->line,
				      c >= 0x20 && c < 0x7f ? "unexpected character '%c'" : "unexpected byte 0x%02x", c);
			break;
		}
	scan_stream(&mod, src, &ts, 0);
	pyt_free(&ts);
	py_module_free(&mod);
}

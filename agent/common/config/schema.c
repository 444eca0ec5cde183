// SPDX-License-Identifier: MIT
/*
 * Schema helpers shared by manifest.c and config.c (declared in toml.h):
 * one-line error messages, type checks on parsed values, string vectors,
 * and the size-capped file read both loaders go through.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "toml.h"

int
toml_errf(const struct toml_ctx *x, int line, const char *key,
	  const char *fmt, ...)
{
	char msg[256], pos[24] = "";
	va_list ap;
	char *c;

	if (x->err == NULL || x->errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(pos, sizeof(pos), ":%d", line);
	snprintf(x->err, x->errlen, "%s%s: %s%s%s", x->file ? x->file : "-",
	    pos, key ? key : "", key && *key ? ": " : "", msg);
	/* The file name and quoted values come from outside: one line only. */
	for (c = x->err; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return -1;
}

const char *
toml_fullkey(char *buf, size_t sz, const char *table, const char *key)
{
	snprintf(buf, sz, "%s%s%s", table, *table ? "." : "", key);
	return buf;
}

int
toml_want(const struct toml_ctx *x, const char *table,
	  const struct toml_kv *kv, enum toml_type t)
{
	char fk[256];

	if (kv->val.type == t)
		return 0;
	return toml_errf(x, kv->line, toml_fullkey(fk, sizeof(fk), table,
	    kv->key), "must be %s, not %s", toml_type_name(t),
	    toml_type_name(kv->val.type));
}

int
toml_want_array(const struct toml_ctx *x, const char *table,
		const struct toml_kv *kv, enum toml_type item)
{
	char fk[256];

	if (toml_want(x, table, kv, TOML_ARRAY) < 0)
		return -1;
	if (kv->val.n_items == 0 || kv->val.items[0].type == item)
		return 0;
	return toml_errf(x, kv->line, toml_fullkey(fk, sizeof(fk), table,
	    kv->key), "must be an array of %ss",
	    item == TOML_STRING ? "string" : "integer");
}

int
toml_want_uint(const struct toml_ctx *x, const char *table,
	       const struct toml_kv *kv, uint32_t lo, uint32_t hi,
	       uint32_t *out)
{
	char fk[256];

	if (toml_want(x, table, kv, TOML_INTEGER) < 0)
		return -1;
	if (kv->val.num < lo || kv->val.num > hi)
		return toml_errf(x, kv->line, toml_fullkey(fk, sizeof(fk),
		    table, kv->key), "must be between %u and %u", lo, hi);
	*out = (uint32_t)kv->val.num;
	return 0;
}

char **
toml_strv(const struct toml_value *arr)
{
	char **v;
	size_t i;

	if ((v = calloc(arr->n_items + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < arr->n_items; i++) {
		if ((v[i] = strdup(arr->items[i].str)) == NULL) {
			toml_strv_free(v);
			return NULL;
		}
	}
	return v;
}

void
toml_strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

int
toml_read_file(const char *path, int open_flags, size_t cap, char **buf,
	       size_t *len, unsigned *uid, unsigned *mode)
{
	struct stat st;
	size_t n = 0;
	ssize_t r;
	char *b;
	int fd, rc = 0;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | open_flags);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto out;
	}
	if (uid != NULL)
		*uid = st.st_uid;
	if (mode != NULL)
		*mode = st.st_mode;
	/* Read at most cap + 1 bytes whatever st_size claims: files change. */
	if ((b = malloc(cap + 2)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	while (n <= cap) {
		r = read(fd, b + n, cap + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			free(b);
			goto out;
		}
		if (r == 0)
			break;
		n += r;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
out:
	close(fd);
	return rc;
}

int
toml_check_size(const struct toml_ctx *x, const char *buf, size_t len,
		size_t cap)
{
	const char *p;
	int line = 1;

	if (len == 0)
		return toml_errf(x, 1, NULL, "file is empty");
	if (len <= cap)
		return 0;
	for (p = buf; p < buf + cap; p++)
		line += *p == '\n';
	return toml_errf(x, line, NULL, "file is larger than %zu bytes", cap);
}

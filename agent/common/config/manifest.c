// SPDX-License-Identifier: MIT
/*
 * plugin.toml (docs/contract.md §3). The manifest is written by the plugin's author,
 * i.e. by whoever we are sandboxing: every field is checked for shape here
 * so the consent prompt and the policy builder only ever see values that
 * mean exactly one thing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "config_parse.h"
#include "manifest.h"
#include "manifest_check.h"
#include "util/util.h"
#include "toml.h"

#define DESCRIPTION_MAX 1024
#define AUTHOR_MAX 256
#define ARG_MAX_BYTES 4096
#define PY_DEPS_MAX 256
#define PY_DEP_BYTES 256

struct mctx {
	struct toml_ctx x;
	struct manifest *m;
	int plugin_line;	/* header lines, 0 = table absent */
	int network_line;
	int api_line;		/* where network:api was asked for */
	const struct toml_kv *endpoints;
	bool seen[4];		/* name, version, type, entry */
};

struct key_handler {
	const char *key;
	int (*fn)(struct mctx *, const char *, const struct toml_kv *);
};

static int
kerr(struct mctx *c, const char *table, const struct toml_kv *kv,
     const char *msg)
{
	char fk[256];

	return toml_errf(&c->x, kv->line, toml_fullkey(fk, sizeof(fk), table,
	    kv->key), "%s", msg);
}

/* An error about item i of an array, e.g. permissions.required[2]. */
static int __attribute__((format(printf, 5, 6)))
ierr(struct mctx *c, const char *table, const struct toml_kv *kv, size_t i,
     const char *fmt, ...)
{
	char fk[256], ik[280], msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	toml_fullkey(fk, sizeof(fk), table, kv->key);
	snprintf(ik, sizeof(ik), "%s[%zu]", fk, i);
	return toml_errf(&c->x, kv->val.items[i].line, ik, "%s", msg);
}

/* [plugin] */

static int
plugin_name(struct mctx *c, const char *t, const struct toml_kv *kv)
{
	if (toml_want(&c->x, t, kv, TOML_STRING) < 0)
		return -1;
	if (!manifest_valid_name(kv->val.str))
		return kerr(c, t, kv, "must be 1-64 characters of a-z, 0-9 and "
		    "'-', not starting with '-'");
	strcpy(c->m->name, kv->val.str);
	c->seen[0] = true;
	return 0;
}

static int
plugin_version(struct mctx *c, const char *t, const struct toml_kv *kv)
{
	if (toml_want(&c->x, t, kv, TOML_STRING) < 0)
		return -1;
	if (strlen(kv->val.str) >= sizeof(c->m->version) ||
	    !manifest_valid_semver(kv->val.str))
		return kerr(c, t, kv, "must be a semantic version such as 1.2.0 "
		    "(at most 64 characters)");
	strcpy(c->m->version, kv->val.str);
	c->seen[1] = true;
	return 0;
}

static int
plugin_type(struct mctx *c, const char *t, const struct toml_kv *kv)
{
	enum plugin_type pt;

	if (toml_want(&c->x, t, kv, TOML_STRING) < 0)
		return -1;
	for (pt = PLUGIN_EMBEDDER; pt <= PLUGIN_COMMAND; pt++)
		if (strcmp(kv->val.str, plugin_type_name(pt)) == 0)
			break;
	if (pt > PLUGIN_COMMAND)
		return kerr(c, t, kv, "must be one of embedder, retriever, "
		    "processor, command");
	c->m->type = pt;
	c->seen[2] = true;
	return 0;
}

static int
plugin_text(struct mctx *c, const char *t, const struct toml_kv *kv)
{
	bool desc = strcmp(kv->key, "description") == 0;
	char **dst = desc ? &c->m->description : &c->m->author;
	size_t max = desc ? DESCRIPTION_MAX : AUTHOR_MAX;

	if (toml_want(&c->x, t, kv, TOML_STRING) < 0)
		return -1;
	if (strlen(kv->val.str) > max)
		return kerr(c, t, kv, desc ? "longer than 1024 bytes" :
		    "longer than 256 bytes");
	if (!manifest_display_safe(kv->val.str))
		return kerr(c, t, kv, "must not contain control or text "
		    "direction characters");
	if ((*dst = strdup(kv->val.str)) == NULL)
		return kerr(c, t, kv, "out of memory");
	return 0;
}

static int
plugin_entry(struct mctx *c, const char *t, const struct toml_kv *kv)
{
	size_t i, n = kv->val.n_items;

	if (toml_want_array(&c->x, t, kv, TOML_STRING) < 0)
		return -1;
	if (n == 0)
		return kerr(c, t, kv, "must not be empty");
	if (n > MANIFEST_MAX_ENTRY)
		return kerr(c, t, kv, "more than 64 arguments");
	for (i = 0; i < n; i++) {
		if (kv->val.items[i].str[0] == '\0')
			return ierr(c, t, kv, i, "must not be empty");
		if (strlen(kv->val.items[i].str) > ARG_MAX_BYTES)
			return ierr(c, t, kv, i, "longer than 4096 bytes");
		/* The command line is shown at consent time too. */
		if (!manifest_display_safe(kv->val.items[i].str))
			return ierr(c, t, kv, i, "must not contain control or "
			    "text direction characters");
	}
	if ((c->m->entry = toml_strv(&kv->val)) == NULL)
		return kerr(c, t, kv, "out of memory");
	c->m->entry_len = n;
	c->seen[3] = true;
	return 0;
}

/* [permissions] */

static int
perm_list(struct mctx *c, const char *t, const struct toml_kv *kv)
{
	const uint32_t net = RAGGED_PERM_BIT(RAGGED_PERM_NETWORK_API) |
	    RAGGED_PERM_BIT(RAGGED_PERM_NETWORK_DOWNLOAD);
	const uint32_t none = RAGGED_PERM_BIT(RAGGED_PERM_NETWORK_NONE);
	bool opt = strcmp(kv->key, "optional") == 0;
	uint32_t *mine = opt ? &c->m->optional : &c->m->required;
	uint32_t other = opt ? c->m->required : c->m->optional, bit;
	const char *s;
	size_t i;
	int p;

	if (toml_want_array(&c->x, t, kv, TOML_STRING) < 0)
		return -1;
	for (i = 0; i < kv->val.n_items; i++) {
		s = kv->val.items[i].str;
		if ((p = perm_from_name(s)) < 0) {
			const char *sug = perm_suggest(s);

			return ierr(c, t, kv, i, "unknown permission \"%.64s\"%s%s%s", s,
				    sug ? " (did you mean \"" : "", sug ? sug : "", sug ? "\"?)" : "");
		}
		bit = RAGGED_PERM_BIT(p);
		if (*mine & bit)
			return ierr(c, t, kv, i, "duplicate permission \"%s\"", s);
		if (other & bit)
			return ierr(c, t, kv, i,
			    "\"%s\" is both required and optional", s);
		if (((bit & none) && ((*mine | other) & net)) ||
		    ((bit & net) && ((*mine | other) & none)))
			return ierr(c, t, kv, i, "\"%s\" conflicts: network:none "
			    "excludes every other network permission", s);
		*mine |= bit;
		if (p == RAGGED_PERM_NETWORK_API)
			c->api_line = kv->val.items[i].line;
	}
	return 0;
}

/* [network] */

static bool
same_endpoint(const struct manifest_endpoint *a, const struct net_endpoint *b)
{
	return a->port == b->port && a->is_cidr == b->is_cidr &&
	    a->prefix == b->prefix && strcmp(a->host, b->host) == 0;
}

static int
net_endpoints(struct mctx *c, const char *t, const struct toml_kv *kv)
{
	struct manifest *m = c->m;
	struct net_endpoint ep;
	const char *why;
	size_t i, j, n = kv->val.n_items;

	if (toml_want_array(&c->x, t, kv, TOML_STRING) < 0)
		return -1;
	if (n > MANIFEST_MAX_ENDPOINTS)
		return kerr(c, t, kv, "more than 64 endpoints");
	if (n > 0 && (m->endpoints = calloc(n, sizeof(*m->endpoints))) == NULL)
		return kerr(c, t, kv, "out of memory");
	for (i = 0; i < n; i++) {
		if (net_parse_endpoint(kv->val.items[i].str, true, &ep, &why) < 0)
			return ierr(c, t, kv, i, "%s", why);
		for (j = 0; j < i; j++)
			if (same_endpoint(&m->endpoints[j], &ep))
				return ierr(c, t, kv, i, "duplicate endpoint");
		memcpy(m->endpoints[i].host, ep.host, sizeof(ep.host));
		m->endpoints[i].port = ep.port;
		m->endpoints[i].is_cidr = ep.is_cidr;
		m->endpoints[i].prefix = ep.prefix;
		m->endpoints[i].line = kv->val.items[i].line;
		m->n_endpoints = i + 1;
	}
	c->endpoints = kv;
	return 0;
}

/* [limits] */

static int
limit(struct mctx *c, const char *t, const struct toml_kv *kv)
{
	struct manifest_limits *l = &c->m->limits;

	if (strcmp(kv->key, "memory_mb") == 0)
		return toml_want_uint(&c->x, t, kv, 1, LIMIT_MEMORY_MB_MAX,
		    &l->memory_mb);
	if (strcmp(kv->key, "cpu_seconds") == 0)
		return toml_want_uint(&c->x, t, kv, 1, LIMIT_CPU_SECONDS_MAX,
		    &l->cpu_seconds);
	if (strcmp(kv->key, "pids") == 0)
		return toml_want_uint(&c->x, t, kv, 1, LIMIT_PIDS_MAX, &l->pids);
	return toml_want_uint(&c->x, t, kv, 1, LIMIT_WALL_SECONDS_MAX,
	    &l->wall_seconds);
}

/* [dependencies] */

static int
python_deps(struct mctx *c, const char *t, const struct toml_kv *kv)
{
	size_t i, n = kv->val.n_items;
	const char *s;

	if (toml_want_array(&c->x, t, kv, TOML_STRING) < 0)
		return -1;
	if (n > PY_DEPS_MAX)
		return kerr(c, t, kv, "more than 256 dependencies");
	for (i = 0; i < n; i++) {
		s = kv->val.items[i].str;
		if (strlen(s) > PY_DEP_BYTES || !manifest_valid_py_dep(s))
			return ierr(c, t, kv, i, "\"%.64s\" is not a requirement "
			    "such as name or name==1.0", s);
	}
	if (n > 0 && (c->m->python_deps = toml_strv(&kv->val)) == NULL)
		return kerr(c, t, kv, "out of memory");
	c->m->n_python_deps = n;
	return 0;
}

static const struct key_handler plugin_keys[] = {
	{ "name", plugin_name }, { "version", plugin_version },
	{ "type", plugin_type }, { "description", plugin_text },
	{ "author", plugin_text }, { "entry", plugin_entry }, { NULL, NULL },
};
static const struct key_handler permission_keys[] = {
	{ "required", perm_list }, { "optional", perm_list }, { NULL, NULL },
};
static const struct key_handler network_keys[] = {
	{ "endpoints", net_endpoints }, { NULL, NULL },
};
static const struct key_handler limit_keys[] = {
	{ "memory_mb", limit }, { "cpu_seconds", limit }, { "pids", limit },
	{ "wall_seconds", limit }, { NULL, NULL },
};
static const struct key_handler dependency_keys[] = {
	{ "python", python_deps }, { NULL, NULL },
};
static const struct {
	const char *name;
	const struct key_handler *keys;
} tables[] = {
	{ "plugin", plugin_keys }, { "permissions", permission_keys },
	{ "network", network_keys }, { "limits", limit_keys },
	{ "dependencies", dependency_keys },
};

static int
walk_table(struct mctx *c, const struct toml_table *t)
{
	const struct key_handler *h = NULL;
	size_t i, j;

	if (t->name[0] == '\0') {
		if (t->n_kv == 0)
			return 0;
		return toml_errf(&c->x, t->kv[0].line, t->kv[0].key,
		    "key outside of any table");
	}
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (strcmp(t->name, tables[i].name) == 0)
			h = tables[i].keys;
	if (h == NULL)
		return toml_errf(&c->x, t->line, t->name, "unknown table");
	if (strcmp(t->name, "plugin") == 0)
		c->plugin_line = t->line;
	if (strcmp(t->name, "network") == 0)
		c->network_line = t->line;
	for (i = 0; i < t->n_kv; i++) {
		for (j = 0; h[j].key != NULL; j++)
			if (strcmp(t->kv[i].key, h[j].key) == 0)
				break;
		if (h[j].key == NULL)
			return kerr(c, t->name, &t->kv[i], "unknown key");
		if (h[j].fn(c, t->name, &t->kv[i]) < 0)
			return -1;
	}
	return 0;
}

/* Rules that span keys or tables, checked once everything is read. */
static int
finish(struct mctx *c)
{
	static const char *req[] = { "name", "version", "type", "entry" };
	uint32_t api = RAGGED_PERM_BIT(RAGGED_PERM_NETWORK_API);
	char fk[64];
	int i;

	if (c->plugin_line == 0)
		return toml_errf(&c->x, 1, "plugin", "missing required table "
		    "[plugin]");
	for (i = 0; i < 4; i++)
		if (!c->seen[i])
			return toml_errf(&c->x, c->plugin_line, toml_fullkey(fk,
			    sizeof(fk), "plugin", req[i]), "required key missing");
	if (!((c->m->required | c->m->optional) & api)) {
		if (c->network_line != 0)
			return toml_errf(&c->x, c->network_line, "network",
			    "only allowed with the network:api permission");
		return 0;
	}
	if (c->endpoints == NULL)
		return toml_errf(&c->x, c->network_line ? c->network_line :
		    c->api_line, "network.endpoints", "required with network:api");
	if (c->m->n_endpoints == 0)
		return toml_errf(&c->x, c->endpoints->line, "network.endpoints",
		    "must not be empty with network:api");
	return 0;
}

static int
walk(struct mctx *c, const struct toml_doc *doc)
{
	size_t i;

	for (i = 0; i < doc->n_tables; i++)
		if (walk_table(c, &doc->tables[i]) < 0)
			return -1;
	return finish(c);
}

int
manifest_parse(const char *buf, size_t len, const char *filename,
	       struct manifest *m, char *err, size_t errlen)
{
	struct mctx c = { { filename, err, errlen }, m, 0, 0, 0, NULL, { 0 } };
	struct toml_doc doc;
	struct toml_err te;
	int rc;

	memset(m, 0, sizeof(*m));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (toml_check_size(&c.x, buf, len, MANIFEST_MAX_BYTES) < 0)
		return -1;
	if (toml_parse(buf, len, &doc, &te) < 0)
		return toml_errf(&c.x, te.line, te.key, "%s", te.msg);
	rc = walk(&c, &doc);
	toml_free(&doc);
	if (rc == 0)
		sha256_digest(buf, len, m->digest);
	if (rc < 0)
		manifest_free(m);
	return rc;
}

int
manifest_load(const char *path, struct manifest *m, char *err, size_t errlen)
{
	struct toml_ctx x = { path, err, errlen };
	size_t len;
	char *buf;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = toml_read_file(path, O_NOFOLLOW, MANIFEST_MAX_BYTES, &buf, &len,
	    NULL, NULL);
	if (rc == -ELOOP)
		return toml_errf(&x, 0, NULL, "is a symbolic link");
	if (rc == -EINVAL)
		return toml_errf(&x, 0, NULL, "not a regular file");
	if (rc < 0)
		return toml_errf(&x, 0, NULL, "%s", strerror(-rc));
	rc = manifest_parse(buf, len, path, m, err, errlen);
	free(buf);
	return rc;
}

void
manifest_free(struct manifest *m)
{
	toml_strv_free(m->entry);
	toml_strv_free(m->python_deps);
	free(m->description);
	free(m->author);
	free(m->endpoints);
	memset(m, 0, sizeof(*m));
}

static char **
strv_dup(char *const *v)
{
	size_t n = 0;
	char **out;

	while (v && v[n])
		n++;
	if (!v || !(out = calloc(n + 1, sizeof(*out))))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(out[i] = strdup(v[i]))) {
			toml_strv_free(out);
			return NULL;
		}
	return out;
}

int
manifest_dup(const struct manifest *src, struct manifest *m)
{
	*m = *src;
	m->description = m->author = NULL;
	m->entry = m->python_deps = NULL;
	m->endpoints = NULL;
	if ((src->description && !(m->description = strdup(src->description))) ||
	    (src->author && !(m->author = strdup(src->author))) ||
	    (src->entry && !(m->entry = strv_dup(src->entry))) ||
	    (src->python_deps && !(m->python_deps = strv_dup(src->python_deps))))
		goto oom;
	if (src->n_endpoints) {
		m->endpoints = calloc(src->n_endpoints, sizeof(*m->endpoints));
		if (!m->endpoints)
			goto oom;
		memcpy(m->endpoints, src->endpoints, src->n_endpoints * sizeof(*m->endpoints));
	}
	return 0;
oom:
	manifest_free(m);
	return -1;
}

const char *
plugin_type_name(enum plugin_type t)
{
	switch (t) {
	case PLUGIN_EMBEDDER:	return "embedder";
	case PLUGIN_RETRIEVER:	return "retriever";
	case PLUGIN_PROCESSOR:	return "processor";
	case PLUGIN_COMMAND:	return "command";
	}
	return "unknown";
}

void
manifest_digest_hex(const struct manifest *m, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[m->digest[i] >> 4];
		out[2 * i + 1] = hex[m->digest[i] & 0xf];
	}
	out[64] = '\0';
}

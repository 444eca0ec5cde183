// SPDX-License-Identifier: MIT
/*
 * The agent config (/etc/ragged/agent.toml). It is root's file, but it
 * decides what every plugin may touch, so it gets the same strictness as a
 * manifest: a typo must stop the agent, not silently widen a grant.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config_parse.h"
#include "util/util.h"
#include "toml.h"

#define RESOURCE_PATHS_MAX 64
#define DNS_RESOLVERS_MAX 16

enum { L_MEMORY, L_CPU, L_PIDS, L_WALL, L_SCRATCH, L_COUNT };

static const struct {
	const char *key;
	uint32_t lo, hi;
} limit_keys[L_COUNT] = {
	[L_MEMORY] = { "memory_mb", 1, LIMIT_MEMORY_MB_MAX },
	[L_CPU] = { "cpu_seconds", 1, LIMIT_CPU_SECONDS_MAX },
	[L_PIDS] = { "pids", 1, LIMIT_PIDS_MAX },
	[L_WALL] = { "wall_seconds", 0, LIMIT_WALL_SECONDS_MAX },	/* 0 = none */
	[L_SCRATCH] = { "scratch_mb", 1, LIMIT_SCRATCH_MB_MAX },
};

struct cctx {
	struct toml_ctx x;
	struct ragged_config *c;
	int line[2][L_COUNT];	/* [limits] / [limits.max] key lines, 0 = unset */
};

/* Paths. */

/*
 * Absolute (or "~/..." for per-user resources), and already in the one
 * canonical spelling: no "//", ".", ".." or trailing "/". The policy turns
 * these into path-prefix rules, where two spellings would be two rules.
 */
static const char *
path_problem(const char *s, bool tilde, size_t max)
{
	const char *p = s + 1, *e;

	if (tilde && strncmp(s, "~/", 2) == 0)
		p = s + 2;
	else if (s[0] != '/')
		return tilde ? "must be an absolute path or start with ~/" :
		    "must be an absolute path";
	if (strlen(s) >= max)
		return "path too long";
	if (strcmp(s, "/") == 0)
		return NULL;
	for (e = s; *e != '\0'; e++)
		if ((unsigned char)*e < 0x20 || *e == 0x7f)
			return "control character in path";
	for (; ; p = e + 1) {
		e = strchrnul(p, '/');
		if (e == p)
			return "empty path component ('//' or trailing '/')";
		if ((e - p == 1 && p[0] == '.') ||
		    (e - p == 2 && p[0] == '.' && p[1] == '.'))
			return "'.' and '..' are not allowed in paths";
		if (*e == '\0')
			return NULL;
	}
}

static int
set_path(struct cctx *x, const char *t, const struct toml_kv *kv, char *dst,
	 size_t max, bool tilde, bool may_be_empty)
{
	const char *why;
	char fk[128];

	if (toml_want(&x->x, t, kv, TOML_STRING) < 0)
		return -1;
	if (!(may_be_empty && kv->val.str[0] == '\0') &&
	    (why = path_problem(kv->val.str, tilde, max)) != NULL)
		return toml_errf(&x->x, kv->line, toml_fullkey(fk, sizeof(fk), t,
		    kv->key), "%s", why);
	strcpy(dst, kv->val.str);
	return 0;
}

static int
kerr(struct cctx *x, const char *t, const struct toml_kv *kv, const char *msg)
{
	char fk[128];

	return toml_errf(&x->x, kv->line, toml_fullkey(fk, sizeof(fk), t,
	    kv->key), "%s", msg);
}

/* [paths] */

static int
paths_key(struct cctx *x, const char *t, const struct toml_kv *kv)
{
	struct ragged_config *c = x->c;
	const char *k = kv->key, *s;

	if (strcmp(k, "socket") == 0)	/* bound as a sockaddr_un */
		return set_path(x, t, kv, c->socket_path,
		    sizeof(((struct sockaddr_un *)0)->sun_path), false, false);
	if (strcmp(k, "state_dir") == 0)
		return set_path(x, t, kv, c->state_dir, PATH_MAX, false, false);
	if (strcmp(k, "audit_log") == 0)
		return set_path(x, t, kv, c->audit_log, PATH_MAX, false, false);
	if (strcmp(k, "bpffs") == 0)
		return set_path(x, t, kv, c->bpffs_dir, PATH_MAX, false, false);
	if (strcmp(k, "advisory_db") == 0)
		return set_path(x, t, kv, c->advisory_db, PATH_MAX, false, true);
	if (strcmp(k, "metrics_textfile") == 0)
		return set_path(x, t, kv, c->metrics_textfile, PATH_MAX, false, true);
	if (strcmp(k, "cgroup") != 0)
		return kerr(x, t, kv, "unknown key");
	if (toml_want(&x->x, t, kv, TOML_STRING) < 0)
		return -1;
	s = kv->val.str;
	if (s[0] == '\0' || strlen(s) >= sizeof(c->cgroup_name) ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-") != strlen(s))
		return kerr(x, t, kv, "must be 1-63 characters of A-Z, a-z, "
		    "0-9, '_' and '-'");
	strcpy(c->cgroup_name, s);
	return 0;
}

/* [agent] */

static bool
valid_account(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 32 && ((s[0] >= 'a' && s[0] <= 'z') ||
	    s[0] == '_') && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-")
	    == n;
}

static int
agent_key(struct cctx *x, const char *t, const struct toml_kv *kv)
{
	static const char *modes[] = { "auto", "bpf-lsm", "landlock" };
	const char *s;
	int i;

	if (strcmp(kv->key, "enforcement") != 0 &&
	    strcmp(kv->key, "root_run_as") != 0)
		return kerr(x, t, kv, "unknown key");
	if (toml_want(&x->x, t, kv, TOML_STRING) < 0)
		return -1;
	s = kv->val.str;
	if (strcmp(kv->key, "enforcement") == 0) {
		for (i = 0; i < 3; i++)
			if (strcmp(s, modes[i]) == 0) {
				x->c->enforcement = (enum enforcement_pref)i;
				return 0;
			}
		return kerr(x, t, kv, "must be one of auto, bpf-lsm, landlock");
	}
	/* Plugins never run as root (docs/contract.md §2); "" means refuse root callers. */
	if (s[0] != '\0' && !valid_account(s))
		return kerr(x, t, kv, "must be an account name such as "
		    "\"ragged-run\", or \"\" to refuse root callers");
	if (strcmp(s, "root") == 0)
		return kerr(x, t, kv, "plugins must never run as root");
	strcpy(x->c->root_run_as, s);
	return 0;
}

/* [limits] and [limits.max] */

static uint32_t *
limit_field(struct config_limits *l, int i)
{
	uint32_t *f[L_COUNT] = { &l->memory_mb, &l->cpu_seconds, &l->pids,
	    &l->wall_seconds, &l->scratch_mb };

	return f[i];
}

static int
limits_key(struct cctx *x, const char *t, const struct toml_kv *kv)
{
	bool max = strcmp(t, "limits.max") == 0;
	int i;

	for (i = 0; i < L_COUNT; i++)
		if (strcmp(kv->key, limit_keys[i].key) == 0)
			break;
	if (i == L_COUNT)
		return kerr(x, t, kv, "unknown key");
	x->line[max][i] = kv->line;
	return toml_want_uint(&x->x, t, kv, limit_keys[i].lo, limit_keys[i].hi,
	    limit_field(max ? &x->c->limits_max : &x->c->limits, i));
}

/* For wall_seconds 0 means "no limit", i.e. larger than any number. */
static bool
above(int i, uint32_t a, uint32_t b)
{
	if (i == L_WALL)
		return b != 0 && (a == 0 || a > b);
	return a > b;
}

/*
 * A maximum left unset equals the default. A default left unset but above
 * a configured maximum is lowered to it; a configured default above a
 * configured maximum contradicts itself and is an error.
 */
static int
limits_finish(struct cctx *x)
{
	uint32_t *d, *m;
	char fk[64];
	int i;

	for (i = 0; i < L_COUNT; i++) {
		d = limit_field(&x->c->limits, i);
		m = limit_field(&x->c->limits_max, i);
		if (x->line[1][i] == 0)
			*m = *d;
		else if (above(i, *d, *m) && x->line[0][i] == 0)
			*d = *m;
		else if (above(i, *d, *m))
			return toml_errf(&x->x, x->line[0][i], toml_fullkey(fk,
			    sizeof(fk), "limits", limit_keys[i].key),
			    "default is above limits.max.%s", limit_keys[i].key);
	}
	return 0;
}

/* [resources] */

static int
path_list(struct cctx *x, const char *t, const struct toml_kv *kv,
	  char ***dst, size_t *n)
{
	const char *why;
	char fk[128], ik[160];
	char **v;
	size_t i;

	if (toml_want_array(&x->x, t, kv, TOML_STRING) < 0)
		return -1;
	if (kv->val.n_items > RESOURCE_PATHS_MAX)
		return kerr(x, t, kv, "more than 64 paths");
	toml_fullkey(fk, sizeof(fk), t, kv->key);
	for (i = 0; i < kv->val.n_items; i++) {
		snprintf(ik, sizeof(ik), "%s[%zu]", fk, i);
		if ((why = path_problem(kv->val.items[i].str, true, PATH_MAX)))
			return toml_errf(&x->x, kv->val.items[i].line, ik, "%s",
			    why);
	}
	if ((v = toml_strv(&kv->val)) == NULL)
		return kerr(x, t, kv, "out of memory");
	toml_strv_free(*dst);
	*dst = v;
	*n = kv->val.n_items;
	return 0;
}

static int
endpoint(struct cctx *x, const char *t, const struct toml_kv *kv,
	 struct config_endpoint *ep)
{
	struct net_endpoint ne;
	const char *why;

	if (toml_want(&x->x, t, kv, TOML_STRING) < 0)
		return -1;
	if (net_parse_endpoint(kv->val.str, false, &ne, &why) < 0)
		return kerr(x, t, kv, why);
	memcpy(ep->host, ne.host, sizeof(ep->host));
	ep->port = ne.port;
	return 0;
}

static int
resolvers(struct cctx *x, const char *t, const struct toml_kv *kv)
{
	struct ragged_config *c = x->c;
	char ip[INET6_ADDRSTRLEN], fk[128], ik[160];
	size_t i, n = kv->val.n_items;

	if (toml_want_array(&x->x, t, kv, TOML_STRING) < 0)
		return -1;
	if (n > DNS_RESOLVERS_MAX)
		return kerr(x, t, kv, "more than 16 resolvers");
	toml_strv_free(c->dns_resolvers);
	c->n_dns_resolvers = 0;
	if ((c->dns_resolvers = calloc(n + 1, sizeof(char *))) == NULL)
		return kerr(x, t, kv, "out of memory");
	for (i = 0; i < n; i++) {
		snprintf(ik, sizeof(ik), "%s[%zu]", toml_fullkey(fk, sizeof(fk),
		    t, kv->key), i);
		if (net_parse_ip(kv->val.items[i].str, ip, sizeof(ip)) < 0)
			return toml_errf(&x->x, kv->val.items[i].line, ik,
			    "must be an IP address");
		if ((c->dns_resolvers[i] = strdup(ip)) == NULL)
			return kerr(x, t, kv, "out of memory");
		c->n_dns_resolvers = i + 1;
	}
	return 0;
}

static int
resources_key(struct cctx *x, const char *t, const struct toml_kv *kv)
{
	struct ragged_config *c = x->c;
	const char *k = kv->key;

	if (strcmp(k, "documents") == 0)
		return path_list(x, t, kv, &c->documents, &c->n_documents);
	if (strcmp(k, "config") == 0)
		return path_list(x, t, kv, &c->config, &c->n_config);
	if (strcmp(k, "models") == 0)
		return path_list(x, t, kv, &c->models, &c->n_models);
	if (strcmp(k, "memory") == 0)
		return set_path(x, t, kv, c->memory_dir, PATH_MAX, true, true);
	if (strcmp(k, "vectorstore_dir") == 0)
		return set_path(x, t, kv, c->vectorstore_dir, PATH_MAX, true, true);
	if (strcmp(k, "cache") == 0)
		return set_path(x, t, kv, c->cache_dir, PATH_MAX, true, true);
	if (strcmp(k, "embedding_endpoint") == 0)
		return endpoint(x, t, kv, &c->embedding);
	if (strcmp(k, "vectorstore_endpoint") == 0)
		return endpoint(x, t, kv, &c->vectorstore);
	if (strcmp(k, "dns_resolvers") == 0)
		return resolvers(x, t, kv);
	return kerr(x, t, kv, "unknown key");
}

/* [audit]: rotation, who besides root may read the log (a shipper), the journal copy. */
static int
audit_key(struct cctx *x, const char *t, const struct toml_kv *kv)
{
	struct ragged_config *c = x->c;
	const char *k = kv->key;

	if (strcmp(k, "rotate_mb") == 0)
		return toml_want_uint(&x->x, t, kv, 1, 1048576, &c->audit_rotate_mb);
	if (strcmp(k, "keep_files") == 0)
		return toml_want_uint(&x->x, t, kv, 0, 100000, &c->audit_keep_files);
	if (strcmp(k, "max_age_days") == 0)
		return toml_want_uint(&x->x, t, kv, 0, 36500, &c->audit_max_age_days);
	if (strcmp(k, "journal") == 0) {
		if (toml_want(&x->x, t, kv, TOML_BOOLEAN) < 0)
			return -1;
		c->audit_journal = kv->val.boolean;
		return 0;
	}
	if (strcmp(k, "group") != 0)
		return kerr(x, t, kv, "unknown key");
	if (toml_want(&x->x, t, kv, TOML_STRING) < 0)
		return -1;
	if (kv->val.str[0] != '\0' && !valid_account(kv->val.str))
		return kerr(x, t, kv, "must be a group name such as \"adm\", or \"\" for root only");
	strcpy(c->audit_group, kv->val.str);
	return 0;
}

/* [advisories]: the OSV data of advisory_db (raggedctl advisories update). */
static int
advisories_key(struct cctx *x, const char *t, const struct toml_kv *kv)
{
	if (strcmp(kv->key, "max_age_days") != 0)
		return kerr(x, t, kv, "unknown key");
	return toml_want_uint(&x->x, t, kv, 1, 36500, &x->c->advisory_max_age_days);
}

static int
walk(struct cctx *x, const struct toml_doc *doc)
{
	static const struct {
		const char *name;
		int (*fn)(struct cctx *, const char *, const struct toml_kv *);
	} tables[] = {
		{ "paths", paths_key }, { "agent", agent_key },
		{ "limits", limits_key }, { "limits.max", limits_key },
		{ "resources", resources_key }, { "audit", audit_key },
		{ "advisories", advisories_key },
	};
	const struct toml_table *t;
	size_t i, j, k;

	for (i = 0; i < doc->n_tables; i++) {
		t = &doc->tables[i];
		if (i == 0 && t->n_kv > 0)
			return toml_errf(&x->x, t->kv[0].line, t->kv[0].key,
			    "key outside of any table");
		for (j = 0; i > 0 && j < sizeof(tables) / sizeof(tables[0]); j++)
			if (strcmp(t->name, tables[j].name) == 0)
				break;
		if (i > 0 && j == sizeof(tables) / sizeof(tables[0]))
			return toml_errf(&x->x, t->line, t->name, "unknown table");
		for (k = 0; i > 0 && k < t->n_kv; k++)
			if (tables[j].fn(x, t->name, &t->kv[k]) < 0)
				return -1;
	}
	return limits_finish(x);
}

static char **
strv2(const char *a, const char *b, size_t *n)
{
	char **v = calloc(3, sizeof(*v));

	*n = 0;
	if (v == NULL || (v[0] = strdup(a)) == NULL ||
	    (v[1] = strdup(b)) == NULL) {
		toml_strv_free(v);
		return NULL;
	}
	*n = 2;
	return v;
}

void
config_defaults(struct ragged_config *c)
{
	static const struct config_limits dl = { 500, 10, 64, 0, 100 };

	memset(c, 0, sizeof(*c));
	strcpy(c->socket_path, "/run/ragged/agent.sock");
	strcpy(c->state_dir, "/var/lib/ragged");
	strcpy(c->audit_log, "/var/log/ragged/audit.jsonl");
	strcpy(c->bpffs_dir, "/sys/fs/bpf/ragged");
	strcpy(c->cgroup_name, "ragged");
	c->enforcement = ENFORCE_AUTO;
	c->limits = c->limits_max = dl;
	/* On allocation failure a list stays empty: fewer grants, not more. */
	c->documents = strv2("~/Documents", "~/.ragged/documents", &c->n_documents);
	c->config = strv2("~/.ragged/config.yml", "~/.config/ragged", &c->n_config);
	c->models = strv2("~/.ollama/models", "~/.ragged/models", &c->n_models);
	strcpy(c->memory_dir, "~/.ragged/memory");
	strcpy(c->vectorstore_dir, "~/.ragged/chroma");
	strcpy(c->cache_dir, "~/.ragged/cache");
	strcpy(c->embedding.host, "127.0.0.1");
	c->embedding.port = 11434;
	strcpy(c->vectorstore.host, "127.0.0.1");
	c->vectorstore.port = 8001;
	c->audit_rotate_mb = 64;
	c->audit_keep_files = 10;
	c->advisory_max_age_days = 7;
}

int
config_parse(const char *buf, size_t len, const char *filename,
	     struct ragged_config *c, char *err, size_t errlen)
{
	struct ragged_config tmp;
	struct cctx x = { { filename, err, errlen }, &tmp, { { 0 } } };
	struct toml_doc doc;
	struct toml_err te;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	config_defaults(&tmp);
	/* Unlike a manifest, an empty config is meaningful: all defaults. */
	if (len == 0)
		rc = 0;
	else if ((rc = toml_check_size(&x.x, buf, len, CONFIG_MAX_BYTES)) == 0) {
		if ((rc = toml_parse(buf, len, &doc, &te)) < 0)
			toml_errf(&x.x, te.line, te.key, "%s", te.msg);
		else
			rc = walk(&x, &doc);
		toml_free(&doc);
	}
	if (rc < 0) {
		config_free(&tmp);
		config_defaults(&tmp);
	}
	*c = tmp;
	return rc;
}

int
config_load(const char *path, int explicit_path, struct ragged_config *c,
	    char *err, size_t errlen)
{
	struct toml_ctx x = { path, err, errlen };
	unsigned uid, mode;
	size_t len;
	char *buf;
	int rc;

	config_defaults(c);
	rc = toml_read_file(path, 0, CONFIG_MAX_BYTES, &buf, &len, &uid, &mode);
	if (rc == -ENOENT && !explicit_path)
		return 0;
	if (rc == -EINVAL)
		return toml_errf(&x, 0, NULL, "not a regular file");
	if (rc < 0)
		return toml_errf(&x, 0, NULL, "%s", strerror(-rc));
	/* Whoever can write this file decides what plugins may do. */
	if ((uid != 0 && uid != geteuid()) || (mode & (S_IWGRP | S_IWOTH))) {
		free(buf);
		return toml_errf(&x, 0, NULL, "must be owned by root and not "
		    "writable by group or others");
	}
	config_free(c);
	rc = config_parse(buf, len, path, c, err, errlen);
	free(buf);
	return rc;
}

void
config_free(struct ragged_config *c)
{
	toml_strv_free(c->documents);
	toml_strv_free(c->config);
	toml_strv_free(c->models);
	toml_strv_free(c->dns_resolvers);
	c->documents = c->config = c->models = c->dns_resolvers = NULL;
	c->n_documents = c->n_config = c->n_models = c->n_dns_resolvers = 0;
}

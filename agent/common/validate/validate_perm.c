// SPDX-License-Identifier: MIT
/*
 * The checks that need the manifest: the entry point, the permission
 * cross-check (what the code does against what it declares, both ways),
 * and the dependency scan against the offline OSV database.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "util/util.h"
#include "osv.h"
#include "osvstamp.h"
#include "validate_int.h"

#define P(x) RAGGED_PERM_BIT(RAGGED_PERM_##x)
#define MANIFEST "plugin.toml"

int vresolve_beneath(int rootfd, const char *root, const char *path, char *out, size_t outlen)
{
	char pending[PATH_MAX], cur[PATH_MAX] = "", cand[PATH_MAX], link[PATH_MAX], rest[PATH_MAX];
	size_t rl = strlen(root);
	const char *p;
	int hops = 0;

	if (xsnprintf(pending, sizeof(pending), "%s", path) < 0)
		return -1;
	if (pending[0] == '/') {
		if (strncmp(pending, root, rl) != 0 || (pending[rl] != '/' && pending[rl] != '\0')) {
			errno = EXDEV;
			return -1;
		}
		memmove(pending, pending + rl, strlen(pending + rl) + 1);
	}
	p = pending;
	while (*p) {
		size_t n = strcspn(p, "/");
		struct stat st;
		ssize_t k;

		if (n == 0 || (n == 1 && p[0] == '.')) {
			p += n + (p[n] == '/');
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(cur, '/');

			if (!cur[0]) {
				errno = EXDEV;
				return -1;
			}
			*(slash ? slash : cur) = '\0';
			p += n + (p[n] == '/');
			continue;
		}
		if (xsnprintf(cand, sizeof(cand), "%s%s%.*s", cur, cur[0] ? "/" : "", (int)n, p) < 0)
			return -1;
		p += n + (p[n] == '/');
		if (fstatat(rootfd, cand, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
			if (++hops > 40) {
				errno = ELOOP;
				return -1;
			}
			k = readlinkat(rootfd, cand, link, sizeof(link) - 1);
			if (k < 0)
				return -1;
			link[k] = '\0';
			if (link[0] == '/') {
				if (strncmp(link, root, rl) != 0 || (link[rl] != '/' && link[rl] != '\0')) {
					errno = EXDEV;
					return -1;
				}
				cur[0] = '\0';
				memmove(link, link + rl, strlen(link + rl) + 1);
			}
			/* Go on with the link's target, then what was left of the path. */
			if (xsnprintf(rest, sizeof(rest), "%s/%s", link, p) < 0)
				return -1;
			memcpy(pending, rest, strlen(rest) + 1);
			p = pending;
			continue;
		}
		memcpy(cur, cand, strlen(cand) + 1);	/* a directory, a file, or nothing yet */
	}
	return xsnprintf(out, outlen, "%s", cur[0] ? cur : ".") < 0 ? -1 : 0;
}

void vurl(struct vctx *v, const char *s, const char *file, unsigned line)
{
	struct vurl u = { .file = file, .line = line };
	const char *p, *host, *end;
	size_t n;

	if (strncasecmp(s, "http://", 7) == 0)
		p = s + 7, u.port = 80;
	else if (strncasecmp(s, "https://", 8) == 0)
		p = s + 8, u.port = 443;
	else
		return;
	end = p + strcspn(p, "/?#");
	host = memchr(p, '@', (size_t)(end - p));
	host = host ? host + 1 : p;
	if (*host == '[') {
		const char *close = memchr(host, ']', (size_t)(end - host));

		if (!close)
			return;
		n = (size_t)(close - host - 1);
		host++;
		p = close + 1;
	} else {
		p = memchr(host, ':', (size_t)(end - host));
		n = (size_t)((p ? p : end) - host);
		p = p ? p : end;
	}
	if (n == 0 || n >= sizeof(u.host) || v->n_urls >= VALIDATE_MAX_URLS)
		return;
	for (size_t i = 0; i < n; i++)
		u.host[i] = (char)(host[i] >= 'A' && host[i] <= 'Z' ? host[i] + 32 : host[i]);
	if (*p == ':' && p + 1 < end) {
		char *e;
		long port = strtol(p + 1, &e, 10);

		if (e != end || port <= 0 || port > 65535)
			return;	/* "{port}" from a format string, or junk */
		u.port = (uint16_t)port;
	}
	if (strchr(u.host, '{') || strchr(u.host, '%'))
		return;	/* a template, not a host */
	struct vurl *nu = realloc(v->urls, (v->n_urls + 1) * sizeof(*nu));

	if (!nu)
		return;
	v->urls = nu;
	v->urls[v->n_urls++] = u;
}

/* Stat path inside the plugin dir, following links but never out of it (EXDEV). */
static int stat_beneath(const struct vctx *v, int rootfd, const char *path, struct stat *st)
{
	char rel[PATH_MAX];

	if (vresolve_beneath(rootfd, v->root ? v->root : "/", path, rel, sizeof(rel)) < 0)
		return -1;
	return fstatat(rootfd, rel, st, AT_SYMLINK_NOFOLLOW);
}

static bool system_program(const char *p)
{
	return !strncmp(p, "/usr/", 5) || !strncmp(p, "/bin/", 5) || !strncmp(p, "/sbin/", 6);
}

/* A file of the plugin that entry runs: it must exist inside the directory. */
static void entry_file(struct vctx *v, int rootfd, const char *path, bool program)
{
	struct stat st;

	if (stat_beneath(v, rootfd, path, &st) < 0) {
		if (errno == EXDEV)
			vfind(v, "entry-outside", VSEV_DEFAULT, MANIFEST, 0,
			      "entry runs \"%s\", which is outside the plugin directory", path);
		else
			vfind(v, "entry-missing", VSEV_DEFAULT, MANIFEST, 0,
			      "entry runs \"%s\": %s", path, strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode) && !program) {
		char main_py[4200];

		/* python3 DIR runs DIR/__main__.py */
		snprintf(main_py, sizeof(main_py), "%s/__main__.py", path);
		if (stat_beneath(v, rootfd, main_py, &st) == 0 && S_ISREG(st.st_mode))
			return;
		vfind(v, "entry-missing", VSEV_DEFAULT, MANIFEST, 0,
		      "entry runs the directory \"%s\", which has no __main__.py", path);
	} else if (!S_ISREG(st.st_mode))
		vfind(v, "entry-missing", VSEV_DEFAULT, MANIFEST, 0, "entry runs \"%s\", which is not a file",
		      path);
	else if (program && !(st.st_mode & S_IXUSR))
		vfind(v, "entry-not-executable", VSEV_DEFAULT, MANIFEST, 0,
		      "\"%s\" has no execute permission", path);
}

void ventry_check(struct vctx *v, int rootfd)
{
	static const char *const path[] = { "/usr/local/bin/", "/usr/bin/", "/bin/" };
	const struct manifest *m = v->m;
	const char *a0, *name;
	char exe[512];
	bool found = false, python, shell;

	if (!m || !m->entry || !m->entry[0])
		return;
	a0 = m->entry[0];
	if (strchr(a0, '/') && a0[0] != '/') {
		entry_file(v, rootfd, a0, true);	/* the plugin's own program */
		return;
	}
	if (a0[0] == '/' && !system_program(a0)) {
		vfind(v, "entry-outside", VSEV_DEFAULT, MANIFEST, 0,
		      "entry runs \"%s\", outside the plugin directory and the system runtime", a0);
		return;
	}
	/* A system program: it must exist where the agent looks (launch.c: PATH). */
	for (size_t i = 0; i < 3 && !found; i++)
		found = a0[0] == '/' ? access(a0, X_OK) == 0
				     : snprintf(exe, sizeof(exe), "%s%s", path[i], a0) < (int)sizeof(exe) &&
				       access(exe, X_OK) == 0;
	if (!found)
		vfind(v, "entry-missing", VSEV_DEFAULT, MANIFEST, 0,
		      "\"%s\" is not installed in /usr/local/bin, /usr/bin or /bin", a0);
	name = strrchr(a0, '/') ? strrchr(a0, '/') + 1 : a0;
	python = !strncmp(name, "python", 6);
	shell = !strcmp(name, "sh") || !strcmp(name, "bash") || !strcmp(name, "dash") ||
		!strcmp(name, "zsh");
	if (!python && !shell && strcmp(name, "node") && strcmp(name, "perl") && strcmp(name, "ruby"))
		return;	/* some other program: its arguments are not files we know how to find */
	for (size_t i = 1; i < m->entry_len; i++) {
		const char *a = m->entry[i];

		if (!strcmp(a, "-c") || !strcmp(a, "-e") || !strcmp(a, "--eval")) {
			const char *code = i + 1 < m->entry_len ? m->entry[i + 1] : "";

			vfind(v, "entry-inline-code", VSEV_DEFAULT, MANIFEST, 0,
			      "%s %s runs code written in the manifest", name, a);
			if (python)
				pyrules_scan(v, MANIFEST, code, strlen(code), 1);
			else if (shell)
				shrules_scan(v, MANIFEST, code, strlen(code), 1);
			else
				v->opaque = true;
			return;
		}
		if (python && !strcmp(a, "-m") && i + 1 < m->entry_len) {
			char mod[512], pkg[600];
			struct stat st;
			size_t k;

			snprintf(mod, sizeof(mod), "%s", m->entry[i + 1]);
			for (k = 0; mod[k]; k++)
				if (mod[k] == '.')
					mod[k] = '/';
			snprintf(pkg, sizeof(pkg), "%s/__main__.py", mod);
			strncat(mod, ".py", sizeof(mod) - strlen(mod) - 1);
			if (stat_beneath(v, rootfd, mod, &st) < 0 && stat_beneath(v, rootfd, pkg, &st) < 0)
				vfind(v, "entry-outside", SEV_HIGH, MANIFEST, 0,
				      "-m %s is not a module of the plugin: it runs code from outside it",
				      m->entry[i + 1]);
			return;
		}
		if (a[0] == '-') {
			/* Interpreter options that take a value. */
			if ((python && (!strcmp(a, "-W") || !strcmp(a, "-X"))) ||
			    (shell && (!strcmp(a, "-o") || !strcmp(a, "+o"))))
				i++;
			continue;
		}
		if (a[0] == '/')
			vfind(v, "entry-outside", VSEV_DEFAULT, MANIFEST, 0,
			      "entry runs \"%s\", outside the plugin directory", a);
		else
			entry_file(v, rootfd, a, false);
		return;
	}
	if (python || shell)
		vfind(v, "entry-inline-code", VSEV_DEFAULT, MANIFEST, 0,
		      "%s without a script reads its code from standard input", name);
}

static bool loopback(const char *h)
{
	return !strcmp(h, "localhost") || !strncmp(h, "127.", 4) || !strcmp(h, "::1") ||
	       !strcmp(h, "0.0.0.0") || !strcmp(h, "ip6-localhost");
}

static bool in_cidr(const char *host, const struct manifest_endpoint *ep)
{
	unsigned char a[16], b[16];
	int fam = strchr(host, ':') ? AF_INET6 : AF_INET, bits = ep->prefix;

	if (inet_pton(fam, host, a) != 1 || inet_pton(fam, ep->host, b) != 1 ||
	    bits > (fam == AF_INET ? 32 : 128))
		return false;
	for (int i = 0; bits > 0; i++, bits -= 8) {
		unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));

		if ((a[i] & mask) != (b[i] & mask))
			return false;
	}
	return true;
}

static bool endpoint_declared(const struct manifest *m, const struct vurl *u)
{
	for (size_t i = 0; i < m->n_endpoints; i++) {
		const struct manifest_endpoint *ep = &m->endpoints[i];

		if (ep->port == u->port &&
		    (ep->is_cidr ? in_cidr(u->host, ep) : !strcasecmp(ep->host, u->host)))
			return true;
	}
	return false;
}

static void urls(struct vctx *v, uint32_t perms)
{
	for (size_t i = 0; i < v->n_urls; i++) {
		const struct vurl *u = &v->urls[i];

		if (loopback(u->host)) {
			bool embed = u->port == v->embed_port;
			bool store = u->port == v->store_port || u->port == v->store_port2;

			if (embed && !(perms & P(SYSTEM_EMBEDDING)))
				vfind(v, "perm-undeclared-network", VSEV_DEFAULT, u->file, u->line,
				      "%s:%u is the embedding service: declare system:embedding", u->host, u->port);
			else if (store && !(perms & P(SYSTEM_VECTORSTORE)))
				vfind(v, "perm-undeclared-network", VSEV_DEFAULT, u->file, u->line,
				      "%s:%u is the vector store: declare system:vectorstore", u->host, u->port);
			else if (!embed && !store && !(perms & (P(SYSTEM_EMBEDDING) | P(SYSTEM_VECTORSTORE))))
				vfind(v, "perm-undeclared-network", SEV_MEDIUM, u->file, u->line,
				      "%s:%u is a local service no permission grants", u->host, u->port);
		} else if (!(perms & (P(NETWORK_API) | P(NETWORK_DOWNLOAD)))) {
			vfind(v, "perm-undeclared-network", VSEV_DEFAULT, u->file, u->line,
			      "%s is a remote host: declare network:api (with the endpoint) or network:download",
			      u->host);
		} else if (!(perms & P(NETWORK_DOWNLOAD)) && !endpoint_declared(v->m, u)) {
			vfind(v, "perm-endpoint-undeclared", VSEV_DEFAULT, u->file, u->line,
			      "%s:%u is not among the [network] endpoints", u->host, u->port);
		}
	}
}

/*
 * Endpoints that lead to this host, its link or a private network: allowed
 * when named exactly (the sandbox keeps wildcard grants off them), but what
 * they reach is the user's own services, so each one is a high finding.
 */
static void local_endpoints(struct vctx *v)
{
	for (size_t i = 0; i < v->m->n_endpoints; i++) {
		const struct manifest_endpoint *ep = &v->m->endpoints[i];
		const char *scope = net_endpoint_scope(ep->host, ep->is_cidr, ep->prefix);
		char s[300];

		if (!scope)
			continue;
		net_format_endpoint(s, sizeof(s), ep->host, ep->is_cidr, ep->prefix, ep->port);
		vfind(v, "perm-endpoint-local", VSEV_DEFAULT, MANIFEST, (unsigned)ep->line,
		      "network endpoint %s reaches %s", s, scope);
	}
}

/* Least privilege: which declared permissions the code shows no sign of using. */
static bool perm_used(const struct vctx *v, int p)
{
	uint32_t u = v->r->uses;
	bool any_loop = false, ollama = false, chroma = false, remote = false;

	for (size_t i = 0; i < v->n_urls; i++) {
		bool l = loopback(v->urls[i].host);

		any_loop |= l;
		remote |= !l;
		ollama |= l && v->urls[i].port == v->embed_port;
		chroma |= l && (v->urls[i].port == v->store_port || v->urls[i].port == v->store_port2);
	}
	switch (p) {
	case RAGGED_PERM_READ_DOCUMENTS:
	case RAGGED_PERM_READ_CONFIG:
	case RAGGED_PERM_SYSTEM_MEMORY:
		return u & (VUSE_FILE_READ | VUSE_FILE_WRITE);
	case RAGGED_PERM_WRITE_DOCUMENTS:
	case RAGGED_PERM_WRITE_CONFIG:
		return u & VUSE_FILE_WRITE;
	case RAGGED_PERM_NETWORK_API:
	case RAGGED_PERM_NETWORK_DOWNLOAD:
		return (u & VUSE_NETWORK) && (remote || v->n_urls == 0);
	case RAGGED_PERM_SYSTEM_EMBEDDING:
		return (u & VUSE_FILE_READ) || ((u & VUSE_NETWORK) && (ollama || !any_loop));
	case RAGGED_PERM_SYSTEM_VECTORSTORE:
		return (u & VUSE_FILE_READ) || ((u & VUSE_NETWORK) && (chroma || !any_loop));
	default:
		return true;
	}
}

static const char *const unused_what[RAGGED_PERM_COUNT] = {
	[RAGGED_PERM_READ_DOCUMENTS] = "file access",
	[RAGGED_PERM_WRITE_DOCUMENTS] = "file writes",
	[RAGGED_PERM_READ_CONFIG] = "file access",
	[RAGGED_PERM_WRITE_CONFIG] = "file writes",
	[RAGGED_PERM_NETWORK_NONE] = "",
	[RAGGED_PERM_NETWORK_API] = "connection to a remote host",
	[RAGGED_PERM_NETWORK_DOWNLOAD] = "download from a remote host",
	[RAGGED_PERM_SYSTEM_EMBEDDING] = "use of the embedding service",
	[RAGGED_PERM_SYSTEM_VECTORSTORE] = "use of the vector store",
	[RAGGED_PERM_SYSTEM_MEMORY] = "file access",
};

void vperm_check(struct vctx *v)
{
	const struct manifest *m = v->m;
	uint32_t perms, uses = v->r->uses;

	if (!m)
		return;
	perms = m->required | m->optional;
	local_endpoints(v);
	if ((uses & VUSE_NETWORK) && !(perms & (P(NETWORK_API) | P(NETWORK_DOWNLOAD) |
						P(SYSTEM_EMBEDDING) | P(SYSTEM_VECTORSTORE))))
		vfind(v, "perm-undeclared-network", VSEV_DEFAULT, v->first_use[0].file,
		      v->first_use[0].line, "the code uses the network but the manifest declares no "
		      "network:* or system:* permission");
	else if (uses & VUSE_NETWORK)
		urls(v, perms);
	if ((uses & VUSE_FILE_WRITE) && !(perms & (P(WRITE_DOCUMENTS) | P(WRITE_CONFIG) |
						   P(NETWORK_DOWNLOAD) | P(SYSTEM_MEMORY))))
		vfind(v, "perm-undeclared-write", VSEV_DEFAULT, v->first_use[2].file, v->first_use[2].line,
		      "the code writes files but declares no write permission (only $TMPDIR is writable)");
	if (v->opaque)
		return;	/* binaries, bytecode: what they do is not visible here */
	for (int p = 0; p < RAGGED_PERM_COUNT; p++)
		if ((perms & RAGGED_PERM_BIT(p)) && p != RAGGED_PERM_NETWORK_NONE && !perm_used(v, p))
			vfind(v, "perm-unused", VSEV_DEFAULT, MANIFEST, 0,
			      "declares %s, but the code shows no %s", perm_name((enum ragged_perm)p),
			      unused_what[p]);
}

struct deps_ctx {
	struct vctx *v;
	const struct osv_query *q;
	char seen[128][96];	/* "query:CVE-..." already reported */
	size_t nseen;
};

static void hit(void *arg, size_t qi, const struct osv_hit *h)
{
	struct deps_ctx *c = arg;
	char key[96];

	/* One finding per vulnerability: GHSA and PYSEC records share the CVE alias. */
	snprintf(key, sizeof(key), "%zu:%s", qi, h->alias ? h->alias : h->id);
	for (size_t i = 0; i < c->nseen; i++)
		if (!strcmp(c->seen[i], key))
			return;
	if (c->nseen < sizeof(c->seen) / sizeof(c->seen[0]))
		snprintf(c->seen[c->nseen++], sizeof(c->seen[0]), "%s", key);

	vfind(c->v, "dep-vulnerable", h->severity, MANIFEST, 0, "%s==%s: %s%s%s%s%s%.200s%s%s",
	      c->q[qi].name, c->q[qi].version, h->id, h->alias ? " (" : "", h->alias ? h->alias : "",
	      h->alias ? ")" : "", h->summary[0] ? ": " : "", h->summary,
	      h->fixed[0] ? "; fixed in " : "; no fixed version known", h->fixed);
}

void vdeps_check(struct vctx *v, const char *osv_dir)
{
	const struct manifest *m = v->m;
	struct osv_query *q;
	char (*names)[128], (*vers)[64], err[300];
	size_t nq = 0;
	struct stat st;

	if (!m || m->n_python_deps == 0)
		return;
	q = calloc(m->n_python_deps, sizeof(*q));
	names = calloc(m->n_python_deps, sizeof(*names));
	vers = calloc(m->n_python_deps, sizeof(*vers));
	if (!q || !names || !vers)
		goto out;
	for (size_t i = 0; i < m->n_python_deps; i++) {
		switch (osv_dep_parse(m->python_deps[i], names[nq], sizeof(names[nq]), vers[nq],
				      sizeof(vers[nq]))) {
		case OSV_DEP_PINNED:
			q[nq].name = names[nq];
			q[nq].version = vers[nq];
			nq++;
			break;
		case OSV_DEP_UNPINNED:
			vfind(v, "dep-unpinned", VSEV_DEFAULT, MANIFEST, 0,
			      "\"%.200s\" is not pinned with ==: known vulnerabilities cannot be checked",
			      m->python_deps[i]);
			break;
		default:
			vfind(v, "dep-invalid", VSEV_DEFAULT, MANIFEST, 0, "\"%.200s\" does not parse",
			      m->python_deps[i]);
		}
	}
	if (nq == 0)
		goto out;
	if (!osv_dir || stat(osv_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		vfind(v, "dep-db-unavailable", VSEV_DEFAULT, MANIFEST, 0,
		      "no advisory database%s%s: %zu pinned dependenc%s not checked", osv_dir ? " at " : "",
		      osv_dir ? osv_dir : " configured", nq, nq == 1 ? "y" : "ies");
		goto out;
	}
	{
		struct deps_ctx *c = calloc(1, sizeof(*c));

		if (!c)
			goto out;
		c->v = v;
		c->q = q;
		if (osv_scan(osv_dir, q, nq, hit, c, err, sizeof(err)) < 0)
			vfind(v, "dep-db-unavailable", VSEV_DEFAULT, MANIFEST, 0,
			      "advisory database unreadable (%s): dependencies not checked", err);
		free(c);
	}
out:
	free(q);
	free(names);
	free(vers);
}

void vdeps_freshness(struct vctx *v, const char *osv_dir, unsigned max_age_days)
{
	struct osv_stamp st;
	bool pinned = false;
	char n[128], ver[64];

	for (size_t i = 0; v->m && i < v->m->n_python_deps; i++)
		pinned = pinned || osv_dep_parse(v->m->python_deps[i], n, sizeof(n), ver,
						 sizeof(ver)) == OSV_DEP_PINNED;
	if (!pinned || osv_stamp_read(osv_dir, &st) < 0)
		return;	/* nothing checked against it, or its age is unknown */
	snprintf(v->r->advisories_fetched_at, sizeof(v->r->advisories_fetched_at), "%s", st.fetched_at);
	v->r->advisories_age_days = osv_stamp_age_days(&st, (int64_t)time(NULL));
	if (max_age_days == 0)
		max_age_days = 7;
	if (v->r->advisories_age_days > (int64_t)max_age_days)
		vfind(v, "dep-db-stale", VSEV_DEFAULT, MANIFEST, 0,
		      "advisory data is %lld days old (fetched %s), older than %u days: vulnerabilities "
		      "published since are not checked; run raggedctl advisories update",
		      (long long)v->r->advisories_age_days, st.fetched_at, max_age_days);
}

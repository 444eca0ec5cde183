// SPDX-License-Identifier: MIT
/*
 * Policy build: manifest + granted permissions + agent config, resolved
 * against the invoking user's home, into one list of file and network
 * rules. The same list feeds both modes (BPF maps or Landlock), so the two
 * modes cannot drift apart on what a permission means.
 *
 * Paths are canonicalised (symlinks resolved) because the kernel decides on
 * resolved paths. A user-controlled symlink (~/Documents -> elsewhere) can
 * point a grant at another place the user can read; the plugin still runs
 * as that user, so it never gains more than the user already has.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <dirent.h>

#include "agent.h"
#include "config/toml.h"
#include "util/util.h"

#define R RAGGED_ACC_READ
#define W RAGGED_ACC_WRITE
#define X RAGGED_ACC_EXEC
#define S RAGGED_ACC_SOCK
#define BASELINE RAGGED_PERM_COUNT

/* The runtime every plugin needs, read-only (docs/contract.md §2 "Baseline"). */
static const struct { const char *path; uint32_t access; } baseline[] = {
	{ "/usr/", R | X }, { "/lib/", R | X }, { "/lib64/", R | X }, { "/lib32/", R | X },
	{ "/bin/", R | X }, { "/sbin/", R | X },
	{ "/etc/ld.so.cache", R }, { "/etc/ld.so.conf", R }, { "/etc/ld.so.conf.d/", R },
	{ "/etc/localtime", R }, { "/etc/nsswitch.conf", R }, { "/etc/passwd", R },
	{ "/etc/group", R }, { "/etc/locale.alias", R }, { "/etc/ssl/certs/", R },
	{ "/etc/ssl/openssl.cnf", R }, { "/etc/ca-certificates.conf", R },
	{ "/dev/null", R | W }, { "/dev/zero", R }, { "/dev/urandom", R }, { "/dev/random", R },
};

/* What a process needs to resolve names, given only with a network permission. */
static const char *const resolver_files[] = {
	"/etc/resolv.conf", "/etc/hosts", "/etc/gai.conf", "/etc/host.conf",
};

static int add_file(struct policy *p, const char *path, uint32_t access, uint32_t perm)
{
	struct file_rule *fr;

	if (ARRAY_RESERVE(p->files, p->n_files, p->cap_files, 64) < 0)
		return -1;
	fr = &p->files[p->n_files];
	memset(fr, 0, sizeof(*fr));
	if (xsnprintf(fr->path, sizeof(fr->path), "%s", path) < 0)
		return -1;
	fr->access = access;
	fr->perm = perm;
	p->n_files++;
	return 0;
}

/* The runtime's own files and the resolver's: the same paths for every run. */
static int add_system_file(struct policy *p, const char *path, uint32_t access, uint32_t perm)
{
	if (add_file(p, path, access, perm) < 0)
		return -1;
	p->files[p->n_files - 1].system = true;
	return 0;
}

static int add_net(struct policy *p, int family, const void *addr, int prefix,
		   uint16_t port, uint32_t proto_mask, uint32_t perm)
{
	struct net_rule *nr;

	if (p->n_nets == p->cap_nets) {
		size_t cap = p->cap_nets ? p->cap_nets * 2 : 16;
		struct net_rule *nn = realloc(p->nets, cap * sizeof(*nn));

		if (!nn)
			return -1;
		p->nets = nn;
		p->cap_nets = cap;
	}
	nr = &p->nets[p->n_nets++];
	memset(nr, 0, sizeof(*nr));
	nr->family = family;
	if (addr)
		memcpy(nr->addr, addr, family == AF_INET ? 4 : 16);
	nr->prefix = (uint8_t)prefix;
	nr->named_bits = (uint8_t)prefix;	/* as named; add_endpoint narrows names */
	nr->port = port;
	nr->proto_mask = proto_mask;
	nr->perm = perm;
	return 0;
}

/* "~/x" against home; canonical if it exists, else canonical parent + name. */
static int resolve_path(const char *home, const char *in, char *out, size_t len)
{
	char raw[PATH_MAX], tmp[PATH_MAX];
	char *slash;

	if (strncmp(in, "~/", 2) == 0) {
		if (xsnprintf(raw, sizeof(raw), "%s/%s", home, in + 2) < 0)
			return -1;
	} else if (xsnprintf(raw, sizeof(raw), "%s", in) < 0) {
		return -1;
	}
	if (realpath(raw, tmp))
		return xsnprintf(out, len, "%s", tmp) < 0 ? -1 : 0;
	slash = strrchr(raw, '/');
	if (!slash || slash == raw)
		return xsnprintf(out, len, "%s", raw) < 0 ? -1 : 0;
	*slash = '\0';
	if (!realpath(raw, tmp))
		return xsnprintf(out, len, "%s/%s", raw, slash + 1) < 0 ? -1 : 0;
	return xsnprintf(out, len, "%s/%s", tmp, slash + 1) < 0 ? -1 : 0;
}

/*
 * A directory grant is two rules: the directory itself (to open and list it)
 * and everything beneath it. A path that does not exist yet may become
 * either, so it gets both.
 */
static int add_tree(struct policy *p, const char *home, const char *in, uint32_t access,
		    uint32_t perm)
{
	char path[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	bool exists;

	if (resolve_path(home, in, path, sizeof(path)) < 0)
		return -1;
	exists = stat(path, &st) == 0;
	if (add_file(p, path, access, perm) < 0)
		return -1;
	if (exists && !S_ISDIR(st.st_mode))
		return 0;
	if (strcmp(path, "/") == 0)
		return 0;	/* never grant the whole tree */
	if (xsnprintf(dir, sizeof(dir), "%s/", path) < 0)
		return -1;
	return add_file(p, dir, access, perm);
}

static int add_paths(struct policy *p, const char *home, char **paths, size_t n,
		     uint32_t access, uint32_t perm)
{
	for (size_t i = 0; i < n; i++)
		if (add_tree(p, home, paths[i], access, perm) < 0)
			return -1;
	return 0;
}

#define TCP (1u << IPPROTO_TCP)
#define UDP (1u << IPPROTO_UDP)

/*
 * host:port: an IP literal as is, a name resolved now, once, at run start.
 * What a manifest's DNS name resolves to is decided by whoever runs its DNS:
 * such an address reaches only ordinary destinations, never loopback, this
 * host or the local link (named_bits 0, bpf/net.bpf.c), unless the name is
 * one that means this host ("localhost"), which the install finding and the
 * consent prompt show. The agent config's service hosts are the
 * administrator's and trusted as named (trusted_name).
 */
static int add_endpoint(struct policy *p, const char *host, uint16_t port, uint32_t perm,
			bool trusted_name, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	unsigned char lit[16];
	bool as_named = trusted_name || net_host_means_local(host) ||
			inet_pton(AF_INET, host, lit) == 1 || inet_pton(AF_INET6, host, lit) == 1;
	size_t first = p->n_nets;
	int rc;

	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "endpoint %s:%u: cannot resolve: %s", host, port,
			 gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			struct sockaddr_in *s = (struct sockaddr_in *)ai->ai_addr;

			rc = add_net(p, AF_INET, &s->sin_addr, 32, port, TCP, perm);
		} else if (ai->ai_family == AF_INET6) {
			struct sockaddr_in6 *s = (struct sockaddr_in6 *)ai->ai_addr;

			rc = add_net(p, AF_INET6, &s->sin6_addr, 128, port, TCP, perm);
		}
		if (rc < 0)
			break;
	}
	freeaddrinfo(res);
	for (size_t i = first; rc == 0 && !as_named && i < p->n_nets; i++)
		p->nets[i].named_bits = 0;
	return rc;
}

static int add_cidr(struct policy *p, const struct manifest_endpoint *e, uint32_t perm)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, e->host, a) == 1)
		return add_net(p, AF_INET, a, e->prefix, e->port, TCP, perm);
	if (inet_pton(AF_INET6, e->host, a) == 1)
		return add_net(p, AF_INET6, a, e->prefix, e->port, TCP, perm);
	errno = EINVAL;
	return -1;
}

/* DNS to the system resolvers: what "network:*" needs to use names at all. */
static int add_dns(struct policy *p, const struct ragged_config *cfg, uint32_t perm)
{
	char line[512];
	FILE *f;

	for (size_t i = 0; i < ARRAY_SIZE(resolver_files); i++)
		if (add_system_file(p, resolver_files[i], R, perm) < 0)
			return -1;
	for (size_t i = 0; i < cfg->n_dns_resolvers; i++) {
		unsigned char a[16];

		if (inet_pton(AF_INET, cfg->dns_resolvers[i], a) == 1) {
			if (add_net(p, AF_INET, a, 32, 53, TCP | UDP, perm) < 0)
				return -1;
		} else if (inet_pton(AF_INET6, cfg->dns_resolvers[i], a) == 1) {
			if (add_net(p, AF_INET6, a, 128, 53, TCP | UDP, perm) < 0)
				return -1;
		}
	}
	if (cfg->n_dns_resolvers > 0 || !(f = fopen("/etc/resolv.conf", "re")))
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char addr[256];
		unsigned char a[16];

		if (sscanf(line, "nameserver %255s", addr) != 1)
			continue;
		if (inet_pton(AF_INET, addr, a) == 1)
			add_net(p, AF_INET, a, 32, 53, TCP | UDP, perm);
		else if (inet_pton(AF_INET6, addr, a) == 1)
			add_net(p, AF_INET6, a, 128, 53, TCP | UDP, perm);
	}
	fclose(f);
	return 0;
}

/*
 * /etc's python3* entries (/etc/python3.N holds sitecustomize.py, which
 * the interpreter imports), kept while /etc's stamp holds: an entry made,
 * removed or renamed changes /etc's times. A readdir of /etc cost ~0.1 ms
 * of every start.
 */
static struct file_cache etc_python;

static void names_free(void *v)
{
	toml_strv_free(v);
}

/* The python3* names in /etc, NULL-terminated; NULL if /etc is unreadable or no memory. */
static char **etc_python_scan(void)
{
	DIR *d = opendir("/etc");
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "python3", 7) != 0)
			continue;
		if (ARRAY_RESERVE(names, n + 1, cap, 4) < 0 || !(names[n] = strdup(de->d_name))) {
			closedir(d);
			names_free(names);
			return NULL;
		}
		names[++n] = NULL;
	}
	closedir(d);
	if (!names && (names = calloc(1, sizeof(*names))) == NULL)
		return NULL;
	return names;
}

static int add_python_etc(struct policy *p)
{
	struct file_stamp st;
	int settled = file_stamp("/etc", true, &st);
	char *const *names = settled == 1 ? file_cache_get(&etc_python, "/etc", &st) : NULL;
	char **scanned = NULL;
	char path[PATH_MAX];
	int rc = 0;

	if (!names && !(names = scanned = etc_python_scan()))
		return 0;
	for (size_t i = 0; names[i] && rc == 0; i++)
		if (xsnprintf(path, sizeof(path), "/etc/%s/", names[i]) >= 0)
			rc = add_system_file(p, path, R, BASELINE);
	if (scanned && rc == 0 && settled == 1)
		file_cache_put(&etc_python, "/etc", &st, scanned, names_free);
	else if (scanned)
		names_free(scanned);
	return rc;
}

/* The kernel's dev_t (sb->s_dev) from a stat(2) st_dev. */
uint32_t policy_kernel_dev(dev_t dev)
{
	return (uint32_t)major(dev) << 20 | (minor(dev) & 0xfffff);
}

void policy_rule_path(const struct file_rule *fr, char out[RAGGED_PATH_MAX])
{
	size_t len = strnlen(fr->path, RAGGED_PATH_MAX - 1);

	memcpy(out, fr->path, len);
	out[len > 1 && out[len - 1] == '/' ? len - 1 : len] = '\0';
}

/*
 * Each rule's object by device and inode, for the bpf-lsm hooks that see a
 * dentry but no mount (bpf/fsmod.bpf.c). A path that does not exist (yet)
 * gets no entry: what it would have granted there is refused.
 */
void policy_resolve_inodes(struct policy *p)
{
	for (size_t i = 0; i < p->n_files; i++) {
		struct file_rule *fr = &p->files[i];
		char path[RAGGED_PATH_MAX];
		struct stat st;

		policy_rule_path(fr, path);
		fr->has_inode = stat(path, &st) == 0;
		fr->kdev = fr->has_inode ? policy_kernel_dev(st.st_dev) : 0;
		fr->ino = fr->has_inode ? (uint64_t)st.st_ino : 0;
	}
}

#define HAS(perm) (granted & RAGGED_PERM_BIT(perm))

int policy_build(const struct agent *a, const struct run *r, const struct manifest *m,
		 uint32_t granted, struct policy *p, char *err, size_t errlen)
{
	const struct ragged_config *cfg = &a->cfg;
	const char *home = r->home;
	char buf[PATH_MAX];

	memset(p, 0, sizeof(*p));
	p->perms = granted;
	for (size_t i = 0; i < ARRAY_SIZE(baseline); i++)
		if (add_system_file(p, baseline[i].path, baseline[i].access, BASELINE) < 0)
			goto oom;
	if (add_python_etc(p) < 0 ||
	    xsnprintf(buf, sizeof(buf), "%s/", r->plugin_dir) < 0 ||
	    add_file(p, r->plugin_dir, R | X, BASELINE) < 0 ||
	    add_file(p, buf, R | X, BASELINE) < 0 ||
	    /* Scratch is writable but never executable: no fetched code runs.
	     * Its UNIX sockets are the run's own (S: bpf/unixaddr.bpf.c). */
	    xsnprintf(buf, sizeof(buf), "%s/", r->scratch) < 0 ||
	    add_file(p, r->scratch, R | W | S, BASELINE) < 0 ||
	    add_file(p, buf, R | W | S, BASELINE) < 0)
		goto oom;

	if ((HAS(RAGGED_PERM_READ_DOCUMENTS) && !HAS(RAGGED_PERM_WRITE_DOCUMENTS) &&
	     add_paths(p, home, cfg->documents, cfg->n_documents, R, RAGGED_PERM_READ_DOCUMENTS) < 0) ||
	    (HAS(RAGGED_PERM_WRITE_DOCUMENTS) &&
	     add_paths(p, home, cfg->documents, cfg->n_documents, R | W, RAGGED_PERM_WRITE_DOCUMENTS) < 0) ||
	    (HAS(RAGGED_PERM_READ_CONFIG) && !HAS(RAGGED_PERM_WRITE_CONFIG) &&
	     add_paths(p, home, cfg->config, cfg->n_config, R, RAGGED_PERM_READ_CONFIG) < 0) ||
	    (HAS(RAGGED_PERM_WRITE_CONFIG) &&
	     add_paths(p, home, cfg->config, cfg->n_config, R | W, RAGGED_PERM_WRITE_CONFIG) < 0) ||
	    (HAS(RAGGED_PERM_SYSTEM_EMBEDDING) &&
	     add_paths(p, home, cfg->models, cfg->n_models, R, RAGGED_PERM_SYSTEM_EMBEDDING) < 0))
		goto oom;
	if (HAS(RAGGED_PERM_SYSTEM_MEMORY) && cfg->memory_dir[0] &&
	    add_tree(p, home, cfg->memory_dir, R | W, RAGGED_PERM_SYSTEM_MEMORY) < 0)
		goto oom;
	if (HAS(RAGGED_PERM_SYSTEM_VECTORSTORE) && cfg->vectorstore_dir[0] &&
	    add_tree(p, home, cfg->vectorstore_dir, R, RAGGED_PERM_SYSTEM_VECTORSTORE) < 0)
		goto oom;

	if (HAS(RAGGED_PERM_SYSTEM_EMBEDDING) && cfg->embedding.host[0] &&
	    add_endpoint(p, cfg->embedding.host, cfg->embedding.port,
			 RAGGED_PERM_SYSTEM_EMBEDDING, true, err, errlen) < 0)
		goto fail;
	if (HAS(RAGGED_PERM_SYSTEM_VECTORSTORE) && cfg->vectorstore.host[0] &&
	    add_endpoint(p, cfg->vectorstore.host, cfg->vectorstore.port,
			 RAGGED_PERM_SYSTEM_VECTORSTORE, true, err, errlen) < 0)
		goto fail;
	if (HAS(RAGGED_PERM_NETWORK_API)) {
		for (size_t i = 0; i < m->n_endpoints; i++) {
			const struct manifest_endpoint *e = &m->endpoints[i];

			if (e->is_cidr && add_cidr(p, e, RAGGED_PERM_NETWORK_API) < 0) {
				snprintf(err, errlen, "endpoint %s/%u:%u: not a valid CIDR", e->host,
					 e->prefix, e->port);
				goto fail;
			}
			if (!e->is_cidr && add_endpoint(p, e->host, e->port, RAGGED_PERM_NETWORK_API,
							false, err, errlen) < 0)
				goto fail;
		}
		if (add_dns(p, cfg, RAGGED_PERM_NETWORK_API) < 0)
			goto oom;
	}
	if (HAS(RAGGED_PERM_NETWORK_DOWNLOAD)) {
		static const uint8_t any[16];

		/*
		 * "Any address" is the internet, not this host: a prefix-0 grant
		 * never reaches loopback, this host's addresses, the unspecified
		 * or link-local ranges (the network program refuses those
		 * destination classes to it; ragged/netclass.h).
		 */
		if (add_net(p, AF_INET, any, 0, 80, TCP, RAGGED_PERM_NETWORK_DOWNLOAD) < 0 ||
		    add_net(p, AF_INET, any, 0, 443, TCP, RAGGED_PERM_NETWORK_DOWNLOAD) < 0 ||
		    add_net(p, AF_INET6, any, 0, 80, TCP, RAGGED_PERM_NETWORK_DOWNLOAD) < 0 ||
		    add_net(p, AF_INET6, any, 0, 443, TCP, RAGGED_PERM_NETWORK_DOWNLOAD) < 0 ||
		    add_dns(p, cfg, RAGGED_PERM_NETWORK_DOWNLOAD) < 0)
			goto oom;
		if (cfg->cache_dir[0]) {
			if (xsnprintf(buf, sizeof(buf), "%s/%s", cfg->cache_dir, r->plugin) < 0 ||
			    add_tree(p, home, buf, R | W, RAGGED_PERM_NETWORK_DOWNLOAD) < 0)
				goto oom;
		}
	}
	policy_resolve_inodes(p);
	return 0;
oom:
	snprintf(err, errlen, "build policy: %s", strerror(errno ? errno : ENOMEM));
fail:
	policy_free(p);
	return -1;
}

void policy_free(struct policy *p)
{
	free(p->files);
	free(p->nets);
	memset(p, 0, sizeof(*p));
}

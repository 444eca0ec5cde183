// SPDX-License-Identifier: MIT
/*
 * policy_build: every permission's rules, exactly (path, access bits,
 * granting permission), resolved against a fake home in a temp dir:
 * directories get an exact and a beneath rule, files only the exact one,
 * missing paths both; endpoints as IP literal, CIDR, resolved name or
 * error; DNS resolver rules; network:download's loopback exclusion.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../agent/daemon/agent.h"
#include "config/config.h"
#include "util/util.h"

#define R RAGGED_ACC_READ
#define W RAGGED_ACC_WRITE
#define X RAGGED_ACC_EXEC
#define S RAGGED_ACC_SOCK
#define BASELINE RAGGED_PERM_COUNT
#define BIT(p) RAGGED_PERM_BIT(RAGGED_PERM_##p)
#define TCP (1u << IPPROTO_TCP)
#define UDP (1u << IPPROTO_UDP)

struct fx {
	char tmp[PATH_MAX];	/* canonical temp dir */
	char home[PATH_MAX];
	struct agent *a;
	struct run *r;
	struct manifest m;
	struct policy p;
	char err[512];
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void rm_fixture_tree(const char *path)
{
	if (path[0])
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void mk(struct fx *f, const char *rel, bool dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", f->tmp, rel);
	if (dir) {
		assert_int_equal(mkdir(path, 0755), 0);
	} else {
		FILE *fp = fopen(path, "w");

		assert_non_null(fp);
		fclose(fp);
	}
}

/* A manifest that declares nothing beyond the plugin table. */
#define HEAD "[plugin]\nname = \"demo\"\nversion = \"1.0.0\"\n" \
	"type = \"command\"\nentry = [\"python3\", \"main.py\"]\n"

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char t[] = "/tmp/ragged-ut-policy.XXXXXX";

	if (!f || !mkdtemp(t) || !realpath(t, f->tmp))
		return -1;
	f->a = calloc(1, sizeof(*f->a));
	f->r = calloc(1, sizeof(*f->r));
	if (!f->a || !f->r)
		return -1;
	config_defaults(&f->a->cfg);
	/*
	 * home/Documents            dir    (documents)
	 * home/.ragged/documents    absent (documents)
	 * home/.ragged/config.yml   file   (config)
	 * home/.config/ragged       absent, parent absent too (config)
	 * home/.ollama/models       dir    (models)
	 * home/.ragged/models       absent (models)
	 * home/.ragged/memory       dir
	 * home/.ragged/chroma       absent
	 * home/.ragged/cache        dir, per-plugin subdir absent
	 */
	*state = f;
	mk(f, "home", true);
	mk(f, "home/Documents", true);
	mk(f, "home/.ragged", true);
	mk(f, "home/.ragged/config.yml", false);
	mk(f, "home/.ollama", true);
	mk(f, "home/.ollama/models", true);
	mk(f, "home/.ragged/memory", true);
	mk(f, "home/.ragged/cache", true);
	mk(f, "plugin", true);
	mk(f, "scratch", true);
	snprintf(f->home, sizeof(f->home), "%s/home", f->tmp);
	snprintf(f->r->home, sizeof(f->r->home), "%s", f->home);
	snprintf(f->r->plugin_dir, sizeof(f->r->plugin_dir), "%s/plugin", f->tmp);
	snprintf(f->r->scratch, sizeof(f->r->scratch), "%s/scratch", f->tmp);
	snprintf(f->r->plugin, sizeof(f->r->plugin), "demo");
	assert_int_equal(manifest_parse(HEAD, strlen(HEAD), "plugin.toml", &f->m, f->err,
					sizeof(f->err)), 0);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	policy_free(&f->p);
	manifest_free(&f->m);
	if (f->a)
		config_free(&f->a->cfg);
	rm_fixture_tree(f->tmp);
	free(f->a);
	free(f->r);
	free(f);
	return 0;
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Parse an inline manifest into the fixture (replacing the default one). */
static void manifest(struct fx *f, const char *src)
{
	manifest_free(&f->m);
	if (manifest_parse(src, strlen(src), "plugin.toml", &f->m, f->err, sizeof(f->err)) < 0)
		fail_msg("manifest rejected: %s", f->err);
}

static void build(struct fx *f, uint32_t granted)
{
	f->err[0] = '\0';
	if (policy_build(f->a, f->r, &f->m, granted, &f->p, f->err, sizeof(f->err)) < 0)
		fail_msg("policy_build: %s", f->err);
	assert_int_equal(f->p.perms, granted);
}

static const struct file_rule *find_file(const struct policy *p, const char *path)
{
	const struct file_rule *hit = NULL;

	for (size_t i = 0; i < p->n_files; i++)
		if (strcmp(p->files[i].path, path) == 0) {
			if (hit)
				fail_msg("duplicate rule for %s", path);
			hit = &p->files[i];
		}
	return hit;
}

/* The rule for path exists with exactly this access and granting permission. */
static void want_file(const struct policy *p, const char *path, uint32_t access, uint32_t perm)
{
	const struct file_rule *fr = find_file(p, path);

	if (!fr)
		fail_msg("no rule for %s", path);
	if (fr->access != access || fr->perm != perm)
		fail_msg("%s: access %#x perm %u, want access %#x perm %u", path, fr->access,
			 fr->perm, access, perm);
}

/* Relative to the temp dir, for readability. */
static void want_tmp(const struct fx *f, const char *rel, uint32_t access, uint32_t perm)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", f->tmp, rel);
	want_file(&f->p, path, access, perm);
}

static void no_tmp(const struct fx *f, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", f->tmp, rel);
	if (find_file(&f->p, path))
		fail_msg("unexpected rule for %s", path);
}

/* Rules granted by one permission (or the baseline). */
static size_t count_perm(const struct policy *p, uint32_t perm)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_files; i++)
		n += p->files[i].perm == perm;
	return n;
}

static size_t count_net_perm(const struct policy *p, uint32_t perm)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_nets; i++)
		n += p->nets[i].perm == perm;
	return n;
}

static const struct net_rule *find_net(const struct policy *p, const char *addr, int prefix,
				       uint16_t port)
{
	unsigned char a[16] = { 0 };
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;

	assert_int_equal(inet_pton(family, addr, a), 1);
	for (size_t i = 0; i < p->n_nets; i++) {
		const struct net_rule *nr = &p->nets[i];

		if (nr->family == family && nr->prefix == prefix && nr->port == port &&
		    memcmp(nr->addr, a, family == AF_INET ? 4 : 16) == 0)
			return nr;
	}
	return NULL;
}

static void want_net(const struct policy *p, const char *addr, int prefix, uint16_t port,
		     uint32_t proto_mask, uint32_t perm)
{
	const struct net_rule *nr = find_net(p, addr, prefix, port);

	if (!nr)
		fail_msg("no net rule %s/%d port %u", addr, prefix, port);
	if (nr->proto_mask != proto_mask || nr->perm != perm)
		fail_msg("%s/%d:%u: proto %#x perm %u, want proto %#x perm %u", addr, prefix, port,
			 nr->proto_mask, nr->perm, proto_mask, perm);
}

/* The nameservers of /etc/resolv.conf, as policy_build should read them. */
static size_t system_resolvers(char out[][64], size_t max)
{
	FILE *fp = fopen("/etc/resolv.conf", "re");
	char line[512], addr[256];
	unsigned char a[16];
	size_t n = 0;

	if (!fp)
		return 0;
	while (n < max && fgets(line, sizeof(line), fp))
		if (sscanf(line, "nameserver %255s", addr) == 1 &&
		    (inet_pton(AF_INET, addr, a) == 1 || inet_pton(AF_INET6, addr, a) == 1))
			snprintf(out[n++], 64, "%s", addr);
	fclose(fp);
	return n;
}

static void want_resolver_files(const struct policy *p, uint32_t perm)
{
	want_file(p, "/etc/resolv.conf", R, perm);
	want_file(p, "/etc/hosts", R, perm);
	want_file(p, "/etc/gai.conf", R, perm);
	want_file(p, "/etc/host.conf", R, perm);
}

static void want_system_dns(const struct policy *p, uint32_t perm)
{
	char res[16][64];
	size_t n = system_resolvers(res, 16);

	for (size_t i = 0; i < n; i++)
		want_net(p, res[i], strchr(res[i], ':') ? 128 : 32, 53, TCP | UDP, perm);
}

/* ---- baseline ---- */

static size_t python_etc_dirs(void)
{
	DIR *d = opendir("/etc");
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strncmp(de->d_name, "python3", 7) == 0;
	closedir(d);
	return n;
}

static void t_baseline_only(void **state)
{
	struct fx *f = *state;
	size_t npy = python_etc_dirs();

	build(f, 0);
	want_file(&f->p, "/usr/", R | X, BASELINE);
	want_file(&f->p, "/lib/", R | X, BASELINE);
	want_file(&f->p, "/lib64/", R | X, BASELINE);
	want_file(&f->p, "/bin/", R | X, BASELINE);
	want_file(&f->p, "/etc/ld.so.cache", R, BASELINE);
	want_file(&f->p, "/etc/ld.so.conf.d/", R, BASELINE);
	want_file(&f->p, "/etc/ssl/certs/", R, BASELINE);
	want_file(&f->p, "/dev/null", R | W, BASELINE);
	want_file(&f->p, "/dev/zero", R, BASELINE);
	want_file(&f->p, "/dev/urandom", R, BASELINE);
	/* Plugin dir read+exec, never writable; scratch writable, never executable. */
	want_tmp(f, "plugin", R | X, BASELINE);
	want_tmp(f, "plugin/", R | X, BASELINE);
	want_tmp(f, "scratch", R | W | S, BASELINE);
	want_tmp(f, "scratch/", R | W | S, BASELINE);
	/* Nothing else: not the home, not /etc as a whole, no network. */
	assert_null(find_file(&f->p, "/etc/"));
	assert_null(find_file(&f->p, "/"));
	assert_null(find_file(&f->p, "/etc/resolv.conf"));
	no_tmp(f, "home");
	no_tmp(f, "home/");
	no_tmp(f, "home/Documents");
	assert_int_equal(f->p.n_nets, 0);
	/* 21 fixed entries, /etc/python3*, 2 plugin dir, 2 scratch. */
	assert_int_equal(f->p.n_files, 21 + npy + 4);
	assert_int_equal(count_perm(&f->p, BASELINE), f->p.n_files);
	for (size_t i = 0; i < f->p.n_files; i++) {
		if (strncmp(f->p.files[i].path, "/etc/python3", 12) == 0) {
			size_t len = strlen(f->p.files[i].path);

			assert_int_equal(f->p.files[i].path[len - 1], '/');
			assert_int_equal(f->p.files[i].access, R);
		}
		/* Only /dev/null and the scratch dir are writable in the baseline. */
		if (f->p.files[i].access & W)
			assert_true(strcmp(f->p.files[i].path, "/dev/null") == 0 ||
				    strstr(f->p.files[i].path, "/scratch") != NULL);
	}
	policy_free(&f->p);
	assert_null(f->p.files);
	assert_int_equal(f->p.n_files, 0);
	policy_free(&f->p);	/* idempotent */
}

/* ---- documents ---- */

static void t_read_documents(void **state)
{
	struct fx *f = *state;

	build(f, BIT(READ_DOCUMENTS));
	/* ~/Documents exists as a directory: the dir itself and everything beneath. */
	want_tmp(f, "home/Documents", R, RAGGED_PERM_READ_DOCUMENTS);
	want_tmp(f, "home/Documents/", R, RAGGED_PERM_READ_DOCUMENTS);
	/* ~/.ragged/documents does not exist yet: may become either, so both. */
	want_tmp(f, "home/.ragged/documents", R, RAGGED_PERM_READ_DOCUMENTS);
	want_tmp(f, "home/.ragged/documents/", R, RAGGED_PERM_READ_DOCUMENTS);
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_READ_DOCUMENTS), 4);
	/* Not the rest of the home, not the config. */
	no_tmp(f, "home");
	no_tmp(f, "home/");
	no_tmp(f, "home/.ragged/");
	no_tmp(f, "home/.ragged/config.yml");
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_WRITE_DOCUMENTS), 0);
	assert_int_equal(f->p.n_nets, 0);
}

static void t_write_documents(void **state)
{
	struct fx *f = *state;

	/* write implies read: one set of R|W rules, no duplicate read-only ones. */
	build(f, BIT(READ_DOCUMENTS) | BIT(WRITE_DOCUMENTS));
	want_tmp(f, "home/Documents", R | W, RAGGED_PERM_WRITE_DOCUMENTS);
	want_tmp(f, "home/Documents/", R | W, RAGGED_PERM_WRITE_DOCUMENTS);
	want_tmp(f, "home/.ragged/documents", R | W, RAGGED_PERM_WRITE_DOCUMENTS);
	want_tmp(f, "home/.ragged/documents/", R | W, RAGGED_PERM_WRITE_DOCUMENTS);
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_READ_DOCUMENTS), 0);
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_WRITE_DOCUMENTS), 4);
	policy_free(&f->p);

	build(f, BIT(WRITE_DOCUMENTS));
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_WRITE_DOCUMENTS), 4);
	/* Never executable. */
	for (size_t i = 0; i < f->p.n_files; i++)
		if (f->p.files[i].perm != BASELINE)
			assert_int_equal(f->p.files[i].access & X, 0);
}

/* ---- config ---- */

static void t_read_config(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX];

	build(f, BIT(READ_CONFIG));
	/* A file: only the exact rule, never "config.yml/". */
	want_tmp(f, "home/.ragged/config.yml", R, RAGGED_PERM_READ_CONFIG);
	no_tmp(f, "home/.ragged/config.yml/");
	/*
	 * ~/.config/ragged: neither it nor its parent exists, so the path is
	 * taken as written (home-expanded), dir and exact.
	 */
	want_tmp(f, "home/.config/ragged", R, RAGGED_PERM_READ_CONFIG);
	want_tmp(f, "home/.config/ragged/", R, RAGGED_PERM_READ_CONFIG);
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_READ_CONFIG), 3);
	/* No "~" left anywhere: every rule is absolute. */
	for (size_t i = 0; i < f->p.n_files; i++)
		assert_int_equal(f->p.files[i].path[0], '/');
	snprintf(path, sizeof(path), "%s/home/Documents", f->tmp);
	assert_null(find_file(&f->p, path));
}

static void t_write_config(void **state)
{
	struct fx *f = *state;

	build(f, BIT(READ_CONFIG) | BIT(WRITE_CONFIG));
	want_tmp(f, "home/.ragged/config.yml", R | W, RAGGED_PERM_WRITE_CONFIG);
	want_tmp(f, "home/.config/ragged", R | W, RAGGED_PERM_WRITE_CONFIG);
	want_tmp(f, "home/.config/ragged/", R | W, RAGGED_PERM_WRITE_CONFIG);
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_READ_CONFIG), 0);
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_WRITE_CONFIG), 3);
}

/* ~/ goes through the home's symlinks: rules name the canonical place. */
static void t_home_symlink(void **state)
{
	struct fx *f = *state;
	char link[PATH_MAX];

	snprintf(link, sizeof(link), "%s/homelink", f->tmp);
	assert_int_equal(symlink(f->home, link), 0);
	snprintf(f->r->home, sizeof(f->r->home), "%s", link);
	build(f, BIT(READ_DOCUMENTS) | BIT(READ_CONFIG));
	want_tmp(f, "home/Documents", R, RAGGED_PERM_READ_DOCUMENTS);
	want_tmp(f, "home/Documents/", R, RAGGED_PERM_READ_DOCUMENTS);
	/* Absent but with an existing parent: canonical parent + name. */
	want_tmp(f, "home/.ragged/documents/", R, RAGGED_PERM_READ_DOCUMENTS);
	want_tmp(f, "home/.ragged/config.yml", R, RAGGED_PERM_READ_CONFIG);
	no_tmp(f, "homelink/Documents");
	no_tmp(f, "homelink/.ragged/config.yml");
	/* Absent with an absent parent: as written. */
	want_tmp(f, "homelink/.config/ragged", R, RAGGED_PERM_READ_CONFIG);
}

/* A resource dir given as an absolute path is used as is, ~ only at the start. */
static void t_absolute_and_root(void **state)
{
	struct fx *f = *state;
	char abs[PATH_MAX];

	snprintf(abs, sizeof(abs), "%s/home/Documents", f->tmp);
	free(f->a->cfg.documents[0]);
	f->a->cfg.documents[0] = strdup(abs);
	free(f->a->cfg.documents[1]);
	f->a->cfg.documents[1] = strdup("/");
	assert_non_null(f->a->cfg.documents[0]);
	assert_non_null(f->a->cfg.documents[1]);
	build(f, BIT(READ_DOCUMENTS));
	want_tmp(f, "home/Documents", R, RAGGED_PERM_READ_DOCUMENTS);
	want_tmp(f, "home/Documents/", R, RAGGED_PERM_READ_DOCUMENTS);
	/* "/" lists the root, but the whole tree is never granted. */
	want_file(&f->p, "/", R, RAGGED_PERM_READ_DOCUMENTS);
	assert_null(find_file(&f->p, "//"));
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_READ_DOCUMENTS), 3);
}

/* A path too long for a rule fails the build: nothing half-built is returned. */
static void t_path_too_long(void **state)
{
	struct fx *f = *state;
	char longp[RAGGED_PATH_MAX + 64];

	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	free(f->a->cfg.documents[0]);
	f->a->cfg.documents[0] = strdup(longp);
	assert_non_null(f->a->cfg.documents[0]);
	f->err[0] = '\0';
	assert_int_equal(policy_build(f->a, f->r, &f->m, BIT(READ_DOCUMENTS), &f->p, f->err,
				      sizeof(f->err)), -1);
	assert_string_equal(f->err, "build policy: File name too long");
	assert_null(f->p.files);
	assert_null(f->p.nets);
	assert_int_equal(f->p.n_files, 0);

	/* The same for a plugin dir that cannot take the trailing '/'. */
	config_free(&f->a->cfg);
	config_defaults(&f->a->cfg);
	memset(f->r->plugin_dir, 'p', RAGGED_PATH_MAX - 1);
	f->r->plugin_dir[0] = '/';
	f->r->plugin_dir[RAGGED_PATH_MAX - 1] = '\0';
	assert_int_equal(policy_build(f->a, f->r, &f->m, 0, &f->p, f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, "build policy: File name too long");
	assert_null(f->p.files);
}

/* ---- system:* ---- */

static void t_embedding(void **state)
{
	struct fx *f = *state;

	build(f, BIT(SYSTEM_EMBEDDING));
	want_tmp(f, "home/.ollama/models", R, RAGGED_PERM_SYSTEM_EMBEDDING);
	want_tmp(f, "home/.ollama/models/", R, RAGGED_PERM_SYSTEM_EMBEDDING);
	want_tmp(f, "home/.ragged/models", R, RAGGED_PERM_SYSTEM_EMBEDDING);
	want_tmp(f, "home/.ragged/models/", R, RAGGED_PERM_SYSTEM_EMBEDDING);
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_SYSTEM_EMBEDDING), 4);
	/* The service endpoint (an IP literal), TCP only, and nothing else. */
	assert_int_equal(f->p.n_nets, 1);
	want_net(&f->p, "127.0.0.1", 32, 11434, TCP, RAGGED_PERM_SYSTEM_EMBEDDING);
	/* No DNS for a literal. */
	assert_null(find_file(&f->p, "/etc/resolv.conf"));
}

static void t_embedding_by_name(void **state)
{
	struct fx *f = *state;

	/* A name is resolved once, at build time; localhost is in /etc/hosts. */
	snprintf(f->a->cfg.embedding.host, sizeof(f->a->cfg.embedding.host), "localhost");
	f->a->cfg.embedding.port = 12345;
	build(f, BIT(SYSTEM_EMBEDDING));
	assert_true(f->p.n_nets >= 1);
	want_net(&f->p, "127.0.0.1", 32, 12345, TCP, RAGGED_PERM_SYSTEM_EMBEDDING);
	for (size_t i = 0; i < f->p.n_nets; i++) {
		const struct net_rule *nr = &f->p.nets[i];

		assert_int_equal(nr->port, 12345);
		assert_int_equal(nr->proto_mask, TCP);
		if (nr->family == AF_INET)
			assert_int_equal(nr->addr[0], 127);
		else
			assert_memory_equal(nr->addr, &in6addr_loopback, 16);
	}
}

static void t_endpoint_unresolvable(void **state)
{
	struct fx *f = *state;

	snprintf(f->a->cfg.vectorstore.host, sizeof(f->a->cfg.vectorstore.host),
		 "no-such-host.invalid");
	f->err[0] = '\0';
	assert_int_equal(policy_build(f->a, f->r, &f->m, BIT(SYSTEM_VECTORSTORE), &f->p, f->err,
				      sizeof(f->err)), -1);
	if (!starts(f->err, "endpoint no-such-host.invalid:8001: cannot resolve: "))
		fail_msg("err: %s", f->err);
	assert_null(f->p.files);
	assert_null(f->p.nets);
	assert_int_equal(f->p.n_nets, 0);
}

static void t_vectorstore(void **state)
{
	struct fx *f = *state;

	build(f, BIT(SYSTEM_VECTORSTORE));
	/* ~/.ragged/chroma is absent: read-only, both forms. */
	want_tmp(f, "home/.ragged/chroma", R, RAGGED_PERM_SYSTEM_VECTORSTORE);
	want_tmp(f, "home/.ragged/chroma/", R, RAGGED_PERM_SYSTEM_VECTORSTORE);
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_SYSTEM_VECTORSTORE), 2);
	assert_int_equal(f->p.n_nets, 1);
	want_net(&f->p, "127.0.0.1", 32, 8001, TCP, RAGGED_PERM_SYSTEM_VECTORSTORE);
	policy_free(&f->p);

	/* No store dir and no endpoint configured: nothing at all. */
	f->a->cfg.vectorstore_dir[0] = '\0';
	f->a->cfg.vectorstore.host[0] = '\0';
	build(f, BIT(SYSTEM_VECTORSTORE));
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_SYSTEM_VECTORSTORE), 0);
	assert_int_equal(f->p.n_nets, 0);
}

static void t_memory(void **state)
{
	struct fx *f = *state;

	build(f, BIT(SYSTEM_MEMORY));
	want_tmp(f, "home/.ragged/memory", R | W, RAGGED_PERM_SYSTEM_MEMORY);
	want_tmp(f, "home/.ragged/memory/", R | W, RAGGED_PERM_SYSTEM_MEMORY);
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_SYSTEM_MEMORY), 2);
	assert_int_equal(f->p.n_nets, 0);
	policy_free(&f->p);

	f->a->cfg.memory_dir[0] = '\0';
	build(f, BIT(SYSTEM_MEMORY));
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_SYSTEM_MEMORY), 0);
}

/* ---- network ---- */

#define API_MANIFEST HEAD "[permissions]\noptional = [\"network:api\"]\n[network]\n" \
	"endpoints = [\"192.0.2.0/24:8443\", \"[2001:db8::/32]:8080\", \"198.51.100.7:443\",\n" \
	"             \"[2001:db8::1]:443\", \"localhost:9000\", \"0.0.0.0/0:853\"]\n"

static void t_network_api(void **state)
{
	struct fx *f = *state;
	char res[16][64];
	size_t nres = system_resolvers(res, 16);

	manifest(f, API_MANIFEST);
	build(f, BIT(NETWORK_API));
	want_net(&f->p, "192.0.2.0", 24, 8443, TCP, RAGGED_PERM_NETWORK_API);
	want_net(&f->p, "2001:db8::", 32, 8080, TCP, RAGGED_PERM_NETWORK_API);
	want_net(&f->p, "198.51.100.7", 32, 443, TCP, RAGGED_PERM_NETWORK_API);
	want_net(&f->p, "2001:db8::1", 128, 443, TCP, RAGGED_PERM_NETWORK_API);
	want_net(&f->p, "127.0.0.1", 32, 9000, TCP, RAGGED_PERM_NETWORK_API);
	want_net(&f->p, "0.0.0.0", 0, 853, TCP, RAGGED_PERM_NETWORK_API);
	/* As named: how narrow each grant is decides which special
	 * destinations it reaches (none for the 0.0.0.0/0 wildcard). */
	assert_int_equal(find_net(&f->p, "192.0.2.0", 24, 8443)->named_bits, 24);
	assert_int_equal(find_net(&f->p, "2001:db8::1", 128, 443)->named_bits, 128);
	assert_int_equal(find_net(&f->p, "0.0.0.0", 0, 853)->named_bits, 0);
	/* "localhost" names this host: its loopback addresses are reached. */
	assert_int_equal(find_net(&f->p, "127.0.0.1", 32, 9000)->named_bits, 32);
	/* Not "any port": the declared ones only. */
	assert_null(find_net(&f->p, "198.51.100.7", 32, 80));
	/* DNS: the resolver files and the system's nameservers on port 53. */
	want_resolver_files(&f->p, RAGGED_PERM_NETWORK_API);
	want_system_dns(&f->p, RAGGED_PERM_NETWORK_API);
	assert_int_equal(f->p.n_nets, count_net_perm(&f->p, RAGGED_PERM_NETWORK_API));
	/* localhost resolves to one or two addresses. */
	assert_true(f->p.n_nets >= 6 + nres && f->p.n_nets <= 7 + nres);
	for (size_t i = 0; i < f->p.n_nets; i++)
		assert_true(f->p.nets[i].family == AF_INET || f->p.nets[i].family == AF_INET6);
}

/*
 * What a manifest's DNS name resolves to is up to whoever answers for the
 * name: its addresses reach ordinary destinations only (named_bits 0), so a
 * name that resolves to 127.0.0.1 or this host's address reaches neither.
 * This host's own name resolves offline (/etc/hosts) where it has one.
 */
static void t_network_api_name_not_named(void **state)
{
	struct fx *f = *state;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	char host[256], text[1024];

	if (gethostname(host, sizeof(host)) < 0 || !net_valid_dns_name(host) ||
	    net_host_means_local(host) || getaddrinfo(host, NULL, &hints, &res) != 0)
		skip();
	freeaddrinfo(res);
	snprintf(text, sizeof(text), HEAD "[permissions]\nrequired = [\"network:api\"]\n[network]\n"
		 "endpoints = [\"%s:443\", \"127.0.0.1:8080\"]\n", host);
	manifest(f, text);
	build(f, BIT(NETWORK_API));
	for (size_t i = 0; i < f->p.n_nets; i++) {
		const struct net_rule *nr = &f->p.nets[i];

		if (nr->port == 443)
			assert_int_equal(nr->named_bits, 0);
	}
	assert_int_equal(find_net(&f->p, "127.0.0.1", 32, 8080)->named_bits, 32);
}

static void t_network_api_not_granted(void **state)
{
	struct fx *f = *state;

	/* Declared but not granted: no endpoint, no DNS. */
	manifest(f, API_MANIFEST);
	build(f, BIT(READ_DOCUMENTS));
	assert_int_equal(f->p.n_nets, 0);
	assert_null(find_file(&f->p, "/etc/resolv.conf"));
	assert_null(find_file(&f->p, "/etc/hosts"));
}

static void t_network_api_unresolvable(void **state)
{
	struct fx *f = *state;

	manifest(f, HEAD "[permissions]\nrequired = [\"network:api\"]\n[network]\n"
		 "endpoints = [\"192.0.2.1:443\", \"no-such-host.invalid:443\"]\n");
	assert_int_equal(policy_build(f->a, f->r, &f->m, BIT(NETWORK_API), &f->p, f->err,
				      sizeof(f->err)), -1);
	if (!starts(f->err, "endpoint no-such-host.invalid:443: cannot resolve: "))
		fail_msg("err: %s", f->err);
	assert_null(f->p.nets);
	assert_null(f->p.files);
}

/* Resolvers from the agent config replace /etc/resolv.conf's. */
static void t_configured_resolvers(void **state)
{
	struct fx *f = *state;
	static const char cfg[] = "[resources]\ndns_resolvers = [\"192.0.2.53\", \"2001:db8::53\"]\n";
	char res[16][64];
	size_t nres = system_resolvers(res, 16);

	config_free(&f->a->cfg);
	if (config_parse(cfg, strlen(cfg), "agent.toml", &f->a->cfg, f->err, sizeof(f->err)) < 0)
		fail_msg("config: %s", f->err);
	assert_int_equal(f->a->cfg.n_dns_resolvers, 2);
	manifest(f, HEAD "[permissions]\nrequired = [\"network:api\"]\n[network]\n"
		 "endpoints = [\"192.0.2.1:443\"]\n");
	build(f, BIT(NETWORK_API));
	want_net(&f->p, "192.0.2.1", 32, 443, TCP, RAGGED_PERM_NETWORK_API);
	want_net(&f->p, "192.0.2.53", 32, 53, TCP | UDP, RAGGED_PERM_NETWORK_API);
	want_net(&f->p, "2001:db8::53", 128, 53, TCP | UDP, RAGGED_PERM_NETWORK_API);
	for (size_t i = 0; i < nres; i++)
		assert_null(find_net(&f->p, res[i], strchr(res[i], ':') ? 128 : 32, 53));
	assert_int_equal(f->p.n_nets, 3);
	want_resolver_files(&f->p, RAGGED_PERM_NETWORK_API);
}

static void t_network_download(void **state)
{
	struct fx *f = *state;
	char res[16][64];
	size_t nres = system_resolvers(res, 16);
	const struct net_rule *nr;

	build(f, BIT(NETWORK_DOWNLOAD));
	/* TCP 80/443 to any address, both families. */
	want_net(&f->p, "0.0.0.0", 0, 80, TCP, RAGGED_PERM_NETWORK_DOWNLOAD);
	want_net(&f->p, "0.0.0.0", 0, 443, TCP, RAGGED_PERM_NETWORK_DOWNLOAD);
	want_net(&f->p, "::", 0, 80, TCP, RAGGED_PERM_NETWORK_DOWNLOAD);
	want_net(&f->p, "::", 0, 443, TCP, RAGGED_PERM_NETWORK_DOWNLOAD);
	/*
	 * Wildcards as named (prefix 0): the network program keeps them off
	 * loopback, this host and the local link (ragged/netclass.h), with no
	 * exclusion rules of their own.
	 */
	nr = find_net(&f->p, "0.0.0.0", 0, 80);
	assert_int_equal(nr->named_bits, 0);
	nr = find_net(&f->p, "::", 0, 443);
	assert_int_equal(nr->named_bits, 0);
	assert_null(find_net(&f->p, "127.0.0.0", 8, 80));
	/* No other port. */
	assert_null(find_net(&f->p, "0.0.0.0", 0, 8080));
	want_system_dns(&f->p, RAGGED_PERM_NETWORK_DOWNLOAD);
	/* The resolvers are named exactly: a local one (127.0.0.53) is reached. */
	for (size_t i = 0; i < nres; i++)
		assert_int_equal(find_net(&f->p, res[i], strchr(res[i], ':') ? 128 : 32, 53)->named_bits,
				 strchr(res[i], ':') ? 128 : 32);
	assert_int_equal(f->p.n_nets, 4 + nres);
	want_resolver_files(&f->p, RAGGED_PERM_NETWORK_DOWNLOAD);
	/* The plugin's own cache dir (absent yet), writable; not the others'. */
	want_tmp(f, "home/.ragged/cache/demo", R | W, RAGGED_PERM_NETWORK_DOWNLOAD);
	want_tmp(f, "home/.ragged/cache/demo/", R | W, RAGGED_PERM_NETWORK_DOWNLOAD);
	no_tmp(f, "home/.ragged/cache");
	no_tmp(f, "home/.ragged/cache/");
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_NETWORK_DOWNLOAD), 4 + 2);
	policy_free(&f->p);

	/* Without a cache dir configured: the network rules only. */
	f->a->cfg.cache_dir[0] = '\0';
	build(f, BIT(NETWORK_DOWNLOAD));
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_NETWORK_DOWNLOAD), 4);
	assert_int_equal(f->p.n_nets, 4 + nres);
}

/* Everything at once: each permission's rules keep their own granting perm. */
static void t_all(void **state)
{
	struct fx *f = *state;

	manifest(f, API_MANIFEST);
	build(f, RAGGED_PERM_ALL & ~BIT(NETWORK_NONE));
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_READ_DOCUMENTS), 0);
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_WRITE_DOCUMENTS), 4);
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_WRITE_CONFIG), 3);
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_SYSTEM_EMBEDDING), 4);
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_SYSTEM_VECTORSTORE), 2);
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_SYSTEM_MEMORY), 2);
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_NETWORK_API), 4);
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_NETWORK_DOWNLOAD), 6);
	assert_int_equal(count_net_perm(&f->p, RAGGED_PERM_SYSTEM_EMBEDDING), 1);
	assert_int_equal(count_net_perm(&f->p, RAGGED_PERM_SYSTEM_VECTORSTORE), 1);
	/* Baseline (21 + /etc/python3* + 4) and the 25 above, nothing else. */
	assert_int_equal(f->p.n_files, 21 + python_etc_dirs() + 4 + 25);
}

/* Many resource dirs: the rule array grows past its first allocation intact. */
static void t_many_documents(void **state)
{
	struct fx *f = *state;
	char **docs = calloc(41, sizeof(*docs));

	assert_non_null(docs);
	for (int i = 0; i < 40; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "~/doc%02d", i);
		docs[i] = strdup(rel);
		assert_non_null(docs[i]);
	}
	for (size_t i = 0; i < f->a->cfg.n_documents; i++)
		free(f->a->cfg.documents[i]);
	free(f->a->cfg.documents);
	f->a->cfg.documents = docs;
	f->a->cfg.n_documents = 40;
	build(f, BIT(READ_DOCUMENTS));
	assert_true(f->p.n_files > 64);
	assert_true(f->p.cap_files >= f->p.n_files);
	assert_int_equal(count_perm(&f->p, RAGGED_PERM_READ_DOCUMENTS), 80);
	for (int i = 0; i < 40; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "home/doc%02d", i);
		want_tmp(f, rel, R, RAGGED_PERM_READ_DOCUMENTS);
		strcat(rel, "/");
		want_tmp(f, rel, R, RAGGED_PERM_READ_DOCUMENTS);
	}
	/* The baseline survived the reallocations. */
	want_file(&f->p, "/usr/", R | X, BASELINE);
	want_tmp(f, "scratch/", R | W | S, BASELINE);
}

/* Many endpoints: the rule array grows past its initial size intact. */
static void t_many_endpoints(void **state)
{
	struct fx *f = *state;
	char src[8192];
	size_t n;

	n = (size_t)snprintf(src, sizeof(src), "%s[permissions]\nrequired = [\"network:api\"]\n"
			     "[network]\nendpoints = [", HEAD);
	for (int i = 1; i <= 40; i++)
		n += (size_t)snprintf(src + n, sizeof(src) - n, "%s\"10.0.%d.0/24:%d\"",
				      i > 1 ? ", " : "", i, 1000 + i);
	snprintf(src + n, sizeof(src) - n, "]\n");
	manifest(f, src);
	build(f, BIT(NETWORK_API));
	for (int i = 1; i <= 40; i++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "10.0.%d.0", i);
		want_net(&f->p, addr, 24, (uint16_t)(1000 + i), TCP, RAGGED_PERM_NETWORK_API);
	}
	assert_true(f->p.cap_nets >= 40);
}

/*
 * A CIDR endpoint whose base is not an address (the manifest parser never
 * produces one): the build fails and frees everything.
 */
static void t_bad_cidr(void **state)
{
	struct fx *f = *state;
	struct manifest_endpoint ep = { .host = "not-an-address", .port = 443, .is_cidr = true,
					.prefix = 24 };

	f->m.endpoints = &ep;
	f->m.n_endpoints = 1;
	assert_int_equal(policy_build(f->a, f->r, &f->m, BIT(NETWORK_API), &f->p, f->err,
				      sizeof(f->err)), -1);
	f->m.endpoints = NULL;
	f->m.n_endpoints = 0;
	assert_null(f->p.files);
	assert_null(f->p.nets);
}


/* Resource paths that cannot be rules (too long for one): the build fails, nothing leaks. */
static void t_long_resource_paths(void **state)
{
	struct fx *f = *state;
	char longp[RAGGED_PATH_MAX + 64], exact[RAGGED_PATH_MAX];
	static const uint32_t perms[] = { RAGGED_PERM_BIT(RAGGED_PERM_SYSTEM_MEMORY),
					  RAGGED_PERM_BIT(RAGGED_PERM_SYSTEM_VECTORSTORE),
					  RAGGED_PERM_BIT(RAGGED_PERM_NETWORK_DOWNLOAD) };

	memset(longp, 'l', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	for (size_t i = 0; i < sizeof(perms) / sizeof(perms[0]); i++) {
		config_free(&f->a->cfg);
		config_defaults(&f->a->cfg);
		snprintf(f->a->cfg.memory_dir, sizeof(f->a->cfg.memory_dir), "%s", longp);
		snprintf(f->a->cfg.vectorstore_dir, sizeof(f->a->cfg.vectorstore_dir), "%s", longp);
		snprintf(f->a->cfg.cache_dir, sizeof(f->a->cfg.cache_dir), "%s", longp);
		f->err[0] = '\0';
		assert_int_equal(policy_build(f->a, f->r, &f->m, perms[i], &f->p, f->err,
					      sizeof(f->err)), -1);
		assert_string_equal(f->err, "build policy: File name too long");
		assert_null(f->p.files);
		assert_null(f->p.nets);
	}
	/* Exactly one byte too long for the beneath rule "path/": refused, not truncated. */
	config_free(&f->a->cfg);
	config_defaults(&f->a->cfg);
	memset(exact, 'e', sizeof(exact) - 1);
	exact[0] = '/';
	exact[RAGGED_PATH_MAX - 1] = '\0';	/* 255 characters: fits, "/" does not */
	snprintf(f->a->cfg.memory_dir, sizeof(f->a->cfg.memory_dir), "%s", exact);
	assert_int_equal(policy_build(f->a, f->r, &f->m, BIT(SYSTEM_MEMORY), &f->p, f->err,
				      sizeof(f->err)), -1);
	assert_string_equal(f->err, "build policy: File name too long");
	/* A home too long to put a resource under. */
	config_free(&f->a->cfg);
	config_defaults(&f->a->cfg);
	memset(f->r->home, 'h', sizeof(f->r->home) - 1);
	f->r->home[0] = '/';
	f->r->home[sizeof(f->r->home) - 1] = '\0';
	assert_int_equal(policy_build(f->a, f->r, &f->m, BIT(READ_DOCUMENTS), &f->p, f->err,
				      sizeof(f->err)), -1);
	assert_string_equal(f->err, "build policy: File name too long");
	assert_null(f->p.files);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(t_baseline_only),
		T(t_read_documents),
		T(t_write_documents),
		T(t_read_config),
		T(t_write_config),
		T(t_home_symlink),
		T(t_absolute_and_root),
		T(t_path_too_long),
		T(t_embedding),
		T(t_embedding_by_name),
		T(t_endpoint_unresolvable),
		T(t_vectorstore),
		T(t_memory),
		T(t_network_api),
		T(t_network_api_name_not_named),
		T(t_network_api_not_granted),
		T(t_network_api_unresolvable),
		T(t_configured_resolvers),
		T(t_network_download),
		T(t_all),
		T(t_many_endpoints),
		T(t_many_documents),
		T(t_bad_cidr),
		T(t_long_resource_paths),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

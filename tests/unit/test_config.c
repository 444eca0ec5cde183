// SPDX-License-Identifier: MIT
/* The agent config: defaults, overrides, and every rejection with FILE:LINE: KEY. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/config.h"

static char err[512];

static int
parse(const char *src, struct ragged_config *c)
{
	return config_parse(src, strlen(src), "agent.toml", c, err, sizeof(err));
}

static void
assert_defaults(const struct ragged_config *c)
{
	assert_string_equal(c->socket_path, "/run/ragged/agent.sock");
	assert_string_equal(c->state_dir, "/var/lib/ragged");
	assert_string_equal(c->audit_log, "/var/log/ragged/audit.jsonl");
	assert_string_equal(c->bpffs_dir, "/sys/fs/bpf/ragged");
	assert_string_equal(c->cgroup_name, "ragged");
	assert_string_equal(c->advisory_db, "");
	assert_string_equal(c->metrics_textfile, "");
	assert_int_equal(c->audit_rotate_mb, 64);
	assert_int_equal(c->audit_keep_files, 10);
	assert_int_equal(c->audit_max_age_days, 0);
	assert_string_equal(c->audit_group, "");
	assert_false(c->audit_journal);
	assert_int_equal(c->advisory_max_age_days, 7);
	assert_int_equal(c->enforcement, ENFORCE_AUTO);
	assert_string_equal(c->root_run_as, "");
	assert_int_equal(c->limits.memory_mb, 500);
	assert_int_equal(c->limits.cpu_seconds, 10);
	assert_int_equal(c->limits.pids, 64);
	assert_int_equal(c->limits.wall_seconds, 0);
	assert_int_equal(c->limits.scratch_mb, 100);
	assert_memory_equal(&c->limits, &c->limits_max, sizeof(c->limits));
	assert_int_equal(c->n_documents, 2);
	assert_string_equal(c->documents[0], "~/Documents");
	assert_string_equal(c->documents[1], "~/.ragged/documents");
	assert_null(c->documents[2]);
	assert_int_equal(c->n_config, 2);
	assert_string_equal(c->config[0], "~/.ragged/config.yml");
	assert_string_equal(c->config[1], "~/.config/ragged");
	assert_int_equal(c->n_models, 2);
	assert_string_equal(c->models[0], "~/.ollama/models");
	assert_string_equal(c->models[1], "~/.ragged/models");
	assert_string_equal(c->memory_dir, "~/.ragged/memory");
	assert_string_equal(c->vectorstore_dir, "~/.ragged/chroma");
	assert_string_equal(c->cache_dir, "~/.ragged/cache");
	assert_string_equal(c->embedding.host, "127.0.0.1");
	assert_int_equal(c->embedding.port, 11434);
	assert_string_equal(c->vectorstore.host, "127.0.0.1");
	assert_int_equal(c->vectorstore.port, 8001);
	assert_int_equal(c->n_dns_resolvers, 0);
}

static void
reject(const char *src, const char *want)
{
	struct ragged_config c;

	memset(&c, 0xa5, sizeof(c));
	if (parse(src, &c) == 0)
		fail_msg("accepted:\n%s", src);
	assert_string_equal(err, want);
	assert_defaults(&c);	/* never half-loaded */
	config_free(&c);
}

#define REJECT(name, src, want) \
	static void name(void **state) { reject(src, want); }

static void
t_defaults(void **state)
{
	struct ragged_config c;

	config_defaults(&c);
	assert_defaults(&c);
	config_free(&c);
	config_free(&c);	/* idempotent */
	assert_int_equal(parse("", &c), 0);
	assert_defaults(&c);
	config_free(&c);
	assert_int_equal(parse("# all defaults\n[paths]\n[limits]\n", &c), 0);
	assert_defaults(&c);
	config_free(&c);
}

/* The file `make install` puts in /etc/ragged: every key, every default. */
static void
t_installed_file_is_the_defaults(void **state)
{
	const char *root = getenv("RAGGED_ROOT");
	char path[4096], buf[65536];
	struct ragged_config c;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/etc/agent.toml", root ? root : ".");
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s (run from the repository root)", path);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (config_parse(buf, n, "agent.toml", &c, err, sizeof(err)) != 0)
		fail_msg("etc/agent.toml: %s", err);
	assert_defaults(&c);
	config_free(&c);
	/* every key of the reference is in it */
	for (const char *const *k = (const char *const[]){ "socket =", "state_dir =", "audit_log =",
	     "bpffs =", "cgroup =", "advisory_db =", "metrics_textfile =", "enforcement =",
	     "root_run_as =", "memory_mb =",
	     "cpu_seconds =", "pids =", "wall_seconds =", "scratch_mb =", "documents =", "config =",
	     "models =", "memory =", "vectorstore_dir =", "cache =", "embedding_endpoint =",
	     "vectorstore_endpoint =", "dns_resolvers =", "rotate_mb =", "keep_files =",
	     "max_age_days =", "group =", "journal =", "[advisories]", NULL }; *k; k++)
		if (!strstr(buf, *k))
			fail_msg("etc/agent.toml lacks %s", *k);
}

static void
t_overrides(void **state)
{
	const char *src =
	    "[paths]\n"
	    "socket = \"/tmp/r/agent.sock\"\n"
	    "state_dir = \"/tmp/r/state\"\n"
	    "audit_log = \"/tmp/r/audit.jsonl\"\n"
	    "bpffs = \"/sys/fs/bpf/test\"\n"
	    "cgroup = \"ragged-test_1\"\n"
	    "advisory_db = \"/var/lib/osv\"\n"
	    "[agent]\n"
	    "enforcement = \"landlock\"\n"
	    "root_run_as = \"ragged-run\"\n"
	    "[limits]\n"
	    "memory_mb = 256\n"
	    "cpu_seconds = 5\n"
	    "pids = 32\n"
	    "wall_seconds = 30\n"
	    "scratch_mb = 10\n"
	    "[limits.max]\n"
	    "memory_mb = 1024\n"
	    "wall_seconds = 600\n"
	    "[resources]\n"
	    "documents = [\"/srv/docs\", \"~/Papers\"]\n"
	    "config = []\n"
	    "models = [\"~/models\"]\n"
	    "memory = \"/srv/memory\"\n"
	    "vectorstore_dir = \"\"\n"
	    "cache = \"~/.cache/ragged\"\n"
	    "embedding_endpoint = \"[::1]:11500\"\n"
	    "vectorstore_endpoint = \"chroma.internal:8000\"\n"
	    "dns_resolvers = [\"192.0.2.53\", \"2001:DB8::53\"]\n";
	struct ragged_config c;

	assert_int_equal(parse(src, &c), 0);
	assert_string_equal(c.socket_path, "/tmp/r/agent.sock");
	assert_string_equal(c.state_dir, "/tmp/r/state");
	assert_string_equal(c.audit_log, "/tmp/r/audit.jsonl");
	assert_string_equal(c.bpffs_dir, "/sys/fs/bpf/test");
	assert_string_equal(c.cgroup_name, "ragged-test_1");
	assert_string_equal(c.advisory_db, "/var/lib/osv");
	assert_int_equal(c.enforcement, ENFORCE_LANDLOCK);
	assert_string_equal(c.root_run_as, "ragged-run");
	assert_int_equal(c.limits.memory_mb, 256);
	assert_int_equal(c.limits.cpu_seconds, 5);
	assert_int_equal(c.limits.pids, 32);
	assert_int_equal(c.limits.wall_seconds, 30);
	assert_int_equal(c.limits.scratch_mb, 10);
	assert_int_equal(c.limits_max.memory_mb, 1024);
	assert_int_equal(c.limits_max.cpu_seconds, 5);	/* = its default */
	assert_int_equal(c.limits_max.pids, 32);
	assert_int_equal(c.limits_max.wall_seconds, 600);
	assert_int_equal(c.limits_max.scratch_mb, 10);
	assert_int_equal(c.n_documents, 2);
	assert_string_equal(c.documents[1], "~/Papers");
	assert_int_equal(c.n_config, 0);
	assert_int_equal(c.n_models, 1);
	assert_string_equal(c.memory_dir, "/srv/memory");
	assert_string_equal(c.vectorstore_dir, "");
	assert_string_equal(c.cache_dir, "~/.cache/ragged");
	assert_string_equal(c.embedding.host, "::1");
	assert_int_equal(c.embedding.port, 11500);
	assert_string_equal(c.vectorstore.host, "chroma.internal");
	assert_int_equal(c.n_dns_resolvers, 2);
	assert_string_equal(c.dns_resolvers[1], "2001:db8::53");
	assert_null(c.dns_resolvers[2]);
	config_free(&c);
}

static void
t_enforcement(void **state)
{
	struct ragged_config c;

	assert_int_equal(parse("[agent]\nenforcement = \"bpf-lsm\"\n", &c), 0);
	assert_int_equal(c.enforcement, ENFORCE_BPF_LSM);
	config_free(&c);
	assert_int_equal(parse("[agent]\nenforcement = \"auto\"\n"
	    "root_run_as = \"\"\n", &c), 0);
	assert_int_equal(c.enforcement, ENFORCE_AUTO);
	assert_string_equal(c.root_run_as, "");
	config_free(&c);
}

/* Limits. */

static void
t_limit_max_follows_default(void **state)
{
	struct ragged_config c;

	assert_int_equal(parse("[limits]\nmemory_mb = 2000\n", &c), 0);
	assert_int_equal(c.limits.memory_mb, 2000);
	assert_int_equal(c.limits_max.memory_mb, 2000);
	config_free(&c);
}

static void
t_limit_default_lowered_to_max(void **state)
{
	struct ragged_config c;

	assert_int_equal(parse("[limits.max]\nmemory_mb = 128\n"
	    "wall_seconds = 300\n", &c), 0);
	assert_int_equal(c.limits.memory_mb, 128);
	assert_int_equal(c.limits_max.memory_mb, 128);
	/* "no wall limit" is above any maximum */
	assert_int_equal(c.limits.wall_seconds, 300);
	assert_int_equal(c.limits_max.wall_seconds, 300);
	config_free(&c);
}

REJECT(t_limit_default_above_max, "[limits]\n\nmemory_mb = 600\n"
    "[limits.max]\nmemory_mb = 500\n",
    "agent.toml:3: limits.memory_mb: default is above limits.max.memory_mb")
REJECT(t_limit_wall_none_above_max, "[limits.max]\nwall_seconds = 60\n"
    "[limits]\nwall_seconds = 0\n",
    "agent.toml:4: limits.wall_seconds: default is above limits.max.wall_seconds")
REJECT(t_audit_group_bad, "[audit]\ngroup = \"Log Readers\"\n",
    "agent.toml:2: audit.group: must be a group name such as \"adm\", or \"\" for root only")
REJECT(t_audit_rotate_zero, "[audit]\nrotate_mb = 0\n",
    "agent.toml:2: audit.rotate_mb: must be between 1 and 1048576")
REJECT(t_audit_unknown_key, "[audit]\nrotate = 5\n", "agent.toml:2: audit.rotate: unknown key")

static void
t_audit_values(void **state)
{
	struct ragged_config c;

	assert_int_equal(parse("[audit]\nrotate_mb = 8\nkeep_files = 0\nmax_age_days = 30\n"
			       "group = \"adm\"\n", &c), 0);
	assert_int_equal(c.audit_rotate_mb, 8);
	assert_int_equal(c.audit_keep_files, 0);
	assert_int_equal(c.audit_max_age_days, 30);
	assert_string_equal(c.audit_group, "adm");
	config_free(&c);
	assert_int_equal(parse("[audit]\njournal = true\n[advisories]\nmax_age_days = 30\n", &c), 0);
	assert_true(c.audit_journal);
	assert_int_equal(c.advisory_max_age_days, 30);
	config_free(&c);
}

REJECT(t_audit_journal_type, "[audit]\njournal = \"yes\"\n",
    "agent.toml:2: audit.journal: must be a boolean, not a string")
REJECT(t_advisories_age_zero, "[advisories]\nmax_age_days = 0\n",
    "agent.toml:2: advisories.max_age_days: must be between 1 and 36500")
REJECT(t_advisories_unknown, "[advisories]\nurl = \"x\"\n",
    "agent.toml:2: advisories.url: unknown key")

REJECT(t_limit_zero, "[limits]\npids = 0\n",
    "agent.toml:2: limits.pids: must be between 1 and 32768")
REJECT(t_limit_max_huge, "[limits.max]\nscratch_mb = 1048577\n",
    "agent.toml:2: limits.max.scratch_mb: must be between 1 and 1048576")
REJECT(t_limit_type, "[limits]\ncpu_seconds = true\n",
    "agent.toml:2: limits.cpu_seconds: must be an integer, not a boolean")
REJECT(t_limit_unknown, "[limits.max]\nthreads = 4\n",
    "agent.toml:2: limits.max.threads: unknown key")

/* Structure. */

REJECT(t_root_key, "socket = \"/x\"\n",
    "agent.toml:1: socket: key outside of any table")
REJECT(t_unknown_table, "[paths]\n[logging]\n",
    "agent.toml:2: logging: unknown table")
REJECT(t_unknown_subtable, "[limits.min]\n",
    "agent.toml:1: limits.min: unknown table")
REJECT(t_unknown_key, "[paths]\nsocket_path = \"/x\"\n",
    "agent.toml:2: paths.socket_path: unknown key")
REJECT(t_dup_table, "[paths]\n[agent]\n[paths]\n",
    "agent.toml:3: paths: duplicate table (first at line 1)")
REJECT(t_syntax, "[agent]\nenforcement = auto\n",
    "agent.toml:2: agent.enforcement: invalid value")
REJECT(t_not_utf8, "[agent]\n# \xc3\x28\n", "agent.toml:2: invalid UTF-8")

/* [paths] */

REJECT(t_path_relative, "[paths]\nstate_dir = \"var/lib/ragged\"\n",
    "agent.toml:2: paths.state_dir: must be an absolute path")
REJECT(t_path_tilde, "[paths]\naudit_log = \"~/audit.jsonl\"\n",
    "agent.toml:2: paths.audit_log: must be an absolute path")
REJECT(t_path_dotdot, "[paths]\nbpffs = \"/sys/fs/bpf/../x\"\n",
    "agent.toml:2: paths.bpffs: '.' and '..' are not allowed in paths")
REJECT(t_path_dot, "[paths]\nbpffs = \"/sys/./fs\"\n",
    "agent.toml:2: paths.bpffs: '.' and '..' are not allowed in paths")
REJECT(t_path_double_slash, "[paths]\nstate_dir = \"/var//lib\"\n",
    "agent.toml:2: paths.state_dir: empty path component ('//' or trailing '/')")
REJECT(t_path_trailing_slash, "[paths]\nstate_dir = \"/var/lib/\"\n",
    "agent.toml:2: paths.state_dir: empty path component ('//' or trailing '/')")
REJECT(t_path_control, "[paths]\nstate_dir = \"/var/\\tlib\"\n",
    "agent.toml:2: paths.state_dir: control character in path")
REJECT(t_path_empty, "[paths]\nsocket = \"\"\n",
    "agent.toml:2: paths.socket: must be an absolute path")
REJECT(t_path_type, "[paths]\nsocket = [\"/x\"]\n",
    "agent.toml:2: paths.socket: must be a string, not an array")
REJECT(t_socket_too_long, "[paths]\nsocket = \"/tmp/"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n",
    "agent.toml:2: paths.socket: path too long")
REJECT(t_cgroup_slash, "[paths]\ncgroup = \"a/b\"\n",
    "agent.toml:2: paths.cgroup: must be 1-63 characters of A-Z, a-z, 0-9, "
    "'_' and '-'")
REJECT(t_cgroup_dots, "[paths]\ncgroup = \"..\"\n",
    "agent.toml:2: paths.cgroup: must be 1-63 characters of A-Z, a-z, 0-9, "
    "'_' and '-'")

static void
t_path_root_and_limit(void **state)
{
	struct ragged_config c;
	char src[PATH_MAX + 64];

	assert_int_equal(parse("[paths]\nadvisory_db = \"/\"\n", &c), 0);
	assert_string_equal(c.advisory_db, "/");
	config_free(&c);
	/* sun_path holds 108 bytes with the NUL */
	snprintf(src, sizeof(src), "[paths]\nsocket = \"/%0106d\"\n", 0);
	assert_int_equal(parse(src, &c), 0);
	assert_int_equal(strlen(c.socket_path), 107);
	config_free(&c);
	snprintf(src, sizeof(src), "[paths]\nstate_dir = \"/%0*d\"\n",
	    PATH_MAX - 1, 0);
	assert_int_equal(parse(src, &c), -1);
	assert_string_equal(err, "agent.toml:2: paths.state_dir: path too long");
	config_free(&c);
}

/* [agent] */

REJECT(t_enforcement_bad, "[agent]\nenforcement = \"selinux\"\n",
    "agent.toml:2: agent.enforcement: must be one of auto, bpf-lsm, landlock")
REJECT(t_run_as_root, "[agent]\nroot_run_as = \"root\"\n",
    "agent.toml:2: agent.root_run_as: plugins must never run as root")
REJECT(t_run_as_bad, "[agent]\nroot_run_as = \"Bad Name\"\n",
    "agent.toml:2: agent.root_run_as: must be an account name such as "
    "\"ragged-run\", or \"\" to refuse root callers")
REJECT(t_run_as_numeric, "[agent]\nroot_run_as = \"0\"\n",
    "agent.toml:2: agent.root_run_as: must be an account name such as "
    "\"ragged-run\", or \"\" to refuse root callers")

/* [resources] */

REJECT(t_res_relative, "[resources]\ndocuments = [\n\"~/Documents\",\n"
    "\"Documents\"]\n",
    "agent.toml:4: resources.documents[1]: must be an absolute path or start "
    "with ~/")
REJECT(t_res_tilde_user, "[resources]\nmodels = [\"~bob/models\"]\n",
    "agent.toml:2: resources.models[0]: must be an absolute path or start "
    "with ~/")
REJECT(t_res_home_itself, "[resources]\nconfig = [\"~/\"]\n",
    "agent.toml:2: resources.config[0]: empty path component ('//' or "
    "trailing '/')")
REJECT(t_res_escape_home, "[resources]\nmemory = \"~/../other\"\n",
    "agent.toml:2: resources.memory: '.' and '..' are not allowed in paths")
REJECT(t_res_not_strings, "[resources]\ndocuments = [1]\n",
    "agent.toml:2: resources.documents: must be an array of strings")
REJECT(t_res_endpoint_cidr, "[resources]\nembedding_endpoint = "
    "\"10.0.0.0/8:11434\"\n",
    "agent.toml:2: resources.embedding_endpoint: a CIDR range is not allowed here")
REJECT(t_res_endpoint_port, "[resources]\nvectorstore_endpoint = "
    "\"127.0.0.1\"\n",
    "agent.toml:2: resources.vectorstore_endpoint: expected host:port")
REJECT(t_res_resolver, "[resources]\ndns_resolvers = [\"192.0.2.1\", "
    "\"dns.example\"]\n",
    "agent.toml:2: resources.dns_resolvers[1]: must be an IP address")
REJECT(t_res_unknown, "[resources]\nhome = \"/home\"\n",
    "agent.toml:2: resources.home: unknown key")

static void
t_res_counts(void **state)
{
	char src[4096], *p = src;
	struct ragged_config c;
	int i;

	p += sprintf(p, "[resources]\ndns_resolvers = [");
	for (i = 0; i < 17; i++)
		p += sprintf(p, "\"10.0.0.%d\",", i);
	sprintf(p, "]\n");
	assert_int_equal(parse(src, &c), -1);
	assert_string_equal(err, "agent.toml:2: resources.dns_resolvers: more "
	    "than 16 resolvers");
	config_free(&c);
	p = src + sprintf(src, "[resources]\ndocuments = [");
	for (i = 0; i < 65; i++)
		p += sprintf(p, "\"/d%d\",", i);
	sprintf(p, "]\n");
	assert_int_equal(parse(src, &c), -1);
	assert_string_equal(err, "agent.toml:2: resources.documents: more than "
	    "64 paths");
	config_free(&c);
}

/* Loading from disk. */

static char tmpdir[64];

static int
setup_dir(void **state)
{
	strcpy(tmpdir, "/tmp/test_config.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
write_file(const char *path, const char *s, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(s, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void
t_load_missing(void **state)
{
	struct ragged_config c;
	char path[128], want[256];

	snprintf(path, sizeof(path), "%s/none.toml", tmpdir);
	assert_int_equal(config_load(path, 0, &c, err, sizeof(err)), 0);
	assert_defaults(&c);
	config_free(&c);
	assert_int_equal(config_load(path, 1, &c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	assert_string_equal(err, want);
	assert_defaults(&c);
	config_free(&c);
}

static void
t_load_file(void **state)
{
	struct ragged_config c;
	char path[128], want[256];

	snprintf(path, sizeof(path), "%s/agent.toml", tmpdir);
	write_file(path, "[paths]\nsocket = \"/tmp/x.sock\"\n", 0644);
	assert_int_equal(config_load(path, 1, &c, err, sizeof(err)), 0);
	assert_string_equal(c.socket_path, "/tmp/x.sock");
	config_free(&c);

	write_file(path, "[paths]\nsocket = \"/tmp/x.sock\"\n[agent]\n"
	    "root_run_as = \"root\"\n", 0644);
	assert_int_equal(config_load(path, 0, &c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:4: agent.root_run_as: plugins must "
	    "never run as root", path);
	assert_string_equal(err, want);
	assert_defaults(&c);
	config_free(&c);
}

static void
t_load_refusals(void **state)
{
	struct ragged_config c;
	char path[128], want[256];

	snprintf(path, sizeof(path), "%s/open.toml", tmpdir);
	write_file(path, "[agent]\n", 0666);
	assert_int_equal(config_load(path, 1, &c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: must be owned by root and not "
	    "writable by group or others", path);
	assert_string_equal(err, want);
	assert_defaults(&c);
	config_free(&c);

	assert_int_equal(config_load(tmpdir, 1, &c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: not a regular file", tmpdir);
	assert_string_equal(err, want);
	config_free(&c);
}

static void
t_size_cap(void **state)
{
	struct ragged_config c;
	char *buf = malloc(CONFIG_MAX_BYTES + 1);

	assert_non_null(buf);
	memset(buf, '\n', CONFIG_MAX_BYTES + 1);
	assert_int_equal(config_parse(buf, CONFIG_MAX_BYTES, "agent.toml", &c,
	    err, sizeof(err)), 0);
	config_free(&c);
	assert_int_equal(config_parse(buf, CONFIG_MAX_BYTES + 1, "agent.toml",
	    &c, err, sizeof(err)), -1);
	assert_string_equal(err, "agent.toml:65537: file is larger than 65536 "
	    "bytes");
	assert_defaults(&c);
	config_free(&c);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_defaults), cmocka_unit_test(t_overrides),
		cmocka_unit_test(t_installed_file_is_the_defaults),
		cmocka_unit_test(t_audit_group_bad), cmocka_unit_test(t_audit_rotate_zero),
		cmocka_unit_test(t_audit_unknown_key), cmocka_unit_test(t_audit_values),
		cmocka_unit_test(t_audit_journal_type), cmocka_unit_test(t_advisories_age_zero),
		cmocka_unit_test(t_advisories_unknown),
		cmocka_unit_test(t_enforcement),
		cmocka_unit_test(t_limit_max_follows_default),
		cmocka_unit_test(t_limit_default_lowered_to_max),
		cmocka_unit_test(t_limit_default_above_max),
		cmocka_unit_test(t_limit_wall_none_above_max),
		cmocka_unit_test(t_limit_zero), cmocka_unit_test(t_limit_max_huge),
		cmocka_unit_test(t_limit_type), cmocka_unit_test(t_limit_unknown),
		cmocka_unit_test(t_root_key), cmocka_unit_test(t_unknown_table),
		cmocka_unit_test(t_unknown_subtable),
		cmocka_unit_test(t_unknown_key), cmocka_unit_test(t_dup_table),
		cmocka_unit_test(t_syntax), cmocka_unit_test(t_not_utf8),
		cmocka_unit_test(t_path_relative), cmocka_unit_test(t_path_tilde),
		cmocka_unit_test(t_path_dotdot), cmocka_unit_test(t_path_dot),
		cmocka_unit_test(t_path_double_slash),
		cmocka_unit_test(t_path_trailing_slash),
		cmocka_unit_test(t_path_control), cmocka_unit_test(t_path_empty),
		cmocka_unit_test(t_path_type), cmocka_unit_test(t_socket_too_long),
		cmocka_unit_test(t_cgroup_slash), cmocka_unit_test(t_cgroup_dots),
		cmocka_unit_test(t_path_root_and_limit),
		cmocka_unit_test(t_enforcement_bad),
		cmocka_unit_test(t_run_as_root), cmocka_unit_test(t_run_as_bad),
		cmocka_unit_test(t_run_as_numeric),
		cmocka_unit_test(t_res_relative),
		cmocka_unit_test(t_res_tilde_user),
		cmocka_unit_test(t_res_home_itself),
		cmocka_unit_test(t_res_escape_home),
		cmocka_unit_test(t_res_not_strings),
		cmocka_unit_test(t_res_endpoint_cidr),
		cmocka_unit_test(t_res_endpoint_port),
		cmocka_unit_test(t_res_resolver), cmocka_unit_test(t_res_unknown),
		cmocka_unit_test(t_res_counts), cmocka_unit_test(t_load_missing),
		cmocka_unit_test(t_load_file), cmocka_unit_test(t_load_refusals),
		cmocka_unit_test(t_size_cap),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}

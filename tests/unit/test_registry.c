// SPDX-License-Identifier: MIT
/*
 * Plugin registry and consent store in a temp state dir: what install
 * accepts and refuses (ownership, modes, names, manifests), lookup and
 * list per caller, and a consent store that fails closed: corrupt or for
 * another manifest digest means nothing granted; "since" survives regrants.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../agent/daemon/agent.h"
#include "audit/audit.h"
#include "util/util.h"
#include "proto/proto.h"

#define BIT(p) RAGGED_PERM_BIT(RAGGED_PERM_##p)
#define USER 1000
#define OTHER 4242

static const char manifest_demo[] =
	"[plugin]\nname = \"demo\"\nversion = \"1.0.0\"\ntype = \"embedder\"\n"
	"entry = [\"python3\", \"main.py\"]\n"
	"[permissions]\nrequired = [\"read:documents\", \"system:embedding\"]\n"
	"optional = [\"network:api\"]\n[network]\nendpoints = [\"192.0.2.1:443\"]\n";

struct fx {
	char tmp[PATH_MAX];
	struct agent a;		/* its audit log takes the validation findings */
	char err[512];
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void path_of(const struct fx *f, const char *rel, char *out)
{
	snprintf(out, PATH_MAX, "%s/%s", f->tmp, rel);
}

static void put(const struct fx *f, const char *rel, const char *content)
{
	char path[PATH_MAX];
	FILE *fp;

	path_of(f, rel, path);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(content, fp);
	fclose(fp);
}

static char *slurp(const struct fx *f, const char *rel)
{
	char path[PATH_MAX];
	static char buf[65536];
	ssize_t n;
	int fd;

	path_of(f, rel, path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

/* A plugin dir tmp/<rel> holding plugin.toml, mode 0755, owned by root. */
static void plugin_dir(const struct fx *f, const char *rel, const char *toml)
{
	char path[PATH_MAX], mf[PATH_MAX + 16];

	path_of(f, rel, path);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(chmod(path, 0755), 0);
	snprintf(mf, sizeof(mf), "%s/plugin.toml", rel);
	put(f, mf, toml);
	/* The entry points the manifests of this file name: install validates them. */
	snprintf(mf, sizeof(mf), "%s/main.py", rel);
	put(f, mf, "print('hello')\n");
	snprintf(mf, sizeof(mf), "%s/run", rel);
	put(f, mf, "#!/bin/sh\nexit 0\n");
	snprintf(mf, sizeof(mf), "%s/x", rel);
	put(f, mf, "#!/bin/sh\nexit 0\n");
	for (const char *const *n = (const char *const[]){ "run", "x", NULL }; *n; n++) {
		snprintf(mf, sizeof(mf), "%s/%s/%s", f->tmp, rel, *n);
		assert_int_equal(chmod(mf, 0755), 0);
	}
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char t[] = "/tmp/ragged-ut-registry.XXXXXX";

	if (!f || !mkdtemp(t) || !realpath(t, f->tmp))
		return -1;
	*state = f;
	config_defaults(&f->a.cfg);
	snprintf(f->a.cfg.state_dir, sizeof(f->a.cfg.state_dir), "%s/state", f->tmp);
	snprintf(f->a.cfg.audit_log, sizeof(f->a.cfg.audit_log), "%s/audit.jsonl", f->tmp);
	{
		struct auditlog_opts ao = { .path = f->a.cfg.audit_log, .fsync = AUDITLOG_FSYNC_NEVER };
		char err[256];

		f->a.epfd = f->a.listen_fd = -1;
		f->a.audit = auditlog_open(&ao, err, sizeof(err));
		if (!f->a.audit)
			return -1;
	}
	if (chmod(f->tmp, 0755) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	auditlog_close(f->a.audit);
	config_free(&f->a.cfg);
	nftw(f->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static cJSON *install_ok(struct fx *f, uid_t uid, const char *rel, bool replace)
{
	char path[PATH_MAX];
	cJSON *e = NULL;

	path_of(f, rel, path);
	f->err[0] = '\0';
	if (registry_install(&f->a, uid, path, replace, false, &e, f->err, sizeof(f->err)) < 0)
		fail_msg("registry_install %s: %s", rel, f->err);
	assert_non_null(e);
	return e;
}

/* The install of rel fails with minus exit code rc and, when want is given, exactly that error. */
static void install_fails_rc(struct fx *f, uid_t uid, const char *rel, const char *want, int rc)
{
	char path[PATH_MAX], full[PATH_MAX + 256];
	cJSON *e = (cJSON *)&e;

	path_of(f, rel, path);
	f->err[0] = '\0';
	assert_int_equal(registry_install(&f->a, uid, path, false, false, &e, f->err, sizeof(f->err)), rc);
	assert_null(e);
	if (!want)
		return;
	/* want is relative to the temp dir where it starts with '/' */
	if (want[0] == '/')
		snprintf(full, sizeof(full), "%s%s", f->tmp, want);
	else
		snprintf(full, sizeof(full), "%s", want);
	assert_string_equal(f->err, full);
}

static void install_fails(struct fx *f, uid_t uid, const char *rel, const char *want)
{
	install_fails_rc(f, uid, rel, want, -EXIT_FAILED);
}

static void digest_of(const struct fx *f, const char *rel, char out[65])
{
	char path[PATH_MAX + 16], err[256];
	struct manifest m;

	snprintf(path, sizeof(path), "%s/%s/plugin.toml", f->tmp, rel);
	if (manifest_load(path, &m, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	manifest_digest_hex(&m, out);
	manifest_free(&m);
}

static bool rfc3339_ms(const char *s)
{
	int y, mo, d, h, mi, sec, ms;
	char z;

	return s && strlen(s) == 24 &&
	       sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &h, &mi, &sec, &ms, &z) == 8 &&
	       z == 'Z' && y >= 2024;
}

static void want_strings(const cJSON *arr, const char *const *want, size_t n)
{
	assert_true(cJSON_IsArray(arr));
	assert_int_equal(cJSON_GetArraySize(arr), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(cJSON_GetArrayItem(arr, (int)i)->valuestring, want[i]);
}

/* ---- install ---- */

static void t_install(void **state)
{
	struct fx *f = *state;
	static const char *const req[] = { "read:documents", "system:embedding" };
	static const char *const opt[] = { "network:api" };
	char dir[PATH_MAX], digest[65], *text;
	struct stat st;
	cJSON *e, *onfile;

	plugin_dir(f, "demo", manifest_demo);
	digest_of(f, "demo", digest);
	/* A root-owned, world-readable dir is fine for any caller. */
	e = install_ok(f, USER, "demo", false);
	path_of(f, "demo", dir);
	assert_string_equal(proto_str(e, "name"), "demo");
	assert_string_equal(proto_str(e, "version"), "1.0.0");
	assert_string_equal(proto_str(e, "type"), "embedder");
	assert_string_equal(proto_str(e, "dir"), dir);
	assert_string_equal(proto_str(e, "digest"), digest);
	assert_true(rfc3339_ms(proto_str(e, "installed_at")));
	assert_int_equal(cJSON_GetObjectItem(e, "uid")->valuedouble, USER);
	want_strings(cJSON_GetObjectItem(e, "required"), req, 2);
	want_strings(cJSON_GetObjectItem(e, "optional"), opt, 1);
	/* On disk, private to root: state/plugins/<uid>/<name>.json. */
	text = slurp(f, "state/plugins/1000/demo.json");
	assert_non_null(text);
	onfile = cJSON_Parse(text);
	assert_true(cJSON_Compare(onfile, e, true));
	cJSON_Delete(onfile);
	path_of(f, "state/plugins/1000/demo.json", dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	path_of(f, "state/plugins/1000", dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0077, 0);
	cJSON_Delete(e);
	/* Another user's install of the same name is a separate entry. */
	e = install_ok(f, OTHER, "demo", false);
	cJSON_Delete(e);
	assert_non_null(slurp(f, "state/plugins/4242/demo.json"));
}

/* Through a symlink and a relative-looking path: the canonical dir is recorded. */
static void t_install_canonical(void **state)
{
	struct fx *f = *state;
	char link[PATH_MAX], dir[PATH_MAX], via[PATH_MAX + 8];
	cJSON *e = NULL;

	plugin_dir(f, "demo", manifest_demo);
	path_of(f, "link", link);
	path_of(f, "demo", dir);
	assert_int_equal(symlink(dir, link), 0);
	snprintf(via, sizeof(via), "%s/../link/", dir);
	assert_int_equal(registry_install(&f->a, USER, via, false, false, &e, f->err, sizeof(f->err)), 0);
	assert_string_equal(proto_str(e, "dir"), dir);
	cJSON_Delete(e);
}

static void t_already_installed(void **state)
{
	struct fx *f = *state;
	char d1[65], d2[65];
	cJSON *e, *l = NULL;

	plugin_dir(f, "demo", manifest_demo);
	digest_of(f, "demo", d1);
	cJSON_Delete(install_ok(f, USER, "demo", false));
	install_fails(f, USER, "demo", "plugin demo is already installed; use --replace");
	/* --replace takes the changed manifest (new digest, new version). */
	put(f, "demo/plugin.toml",
	    "[plugin]\nname = \"demo\"\nversion = \"1.1.0\"\ntype = \"command\"\n"
	    "entry = [\"./run\"]\n");
	digest_of(f, "demo", d2);
	assert_string_not_equal(d1, d2);
	e = install_ok(f, USER, "demo", true);
	assert_string_equal(proto_str(e, "digest"), d2);
	assert_string_equal(proto_str(e, "version"), "1.1.0");
	assert_string_equal(proto_str(e, "type"), "command");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(e, "required")), 0);
	cJSON_Delete(e);
	assert_int_equal(registry_lookup(&f->a, USER, "demo", &l, f->err, sizeof(f->err)), 0);
	assert_string_equal(proto_str(l, "digest"), d2);
	cJSON_Delete(l);
}

static void t_dir_writable_by_others(void **state)
{
	struct fx *f = *state;
	char dir[PATH_MAX];

	plugin_dir(f, "demo", manifest_demo);
	path_of(f, "demo", dir);
	assert_int_equal(chmod(dir, 0775), 0);
	install_fails(f, USER, "demo", "/demo: writable by group or others; fix with chmod go-w");
	assert_int_equal(chmod(dir, 0757), 0);
	install_fails(f, USER, "demo", "/demo: writable by group or others; fix with chmod go-w");
	/* Root is held to the same rule: the code must be what was reviewed. */
	install_fails(f, 0, "demo", "/demo: writable by group or others; fix with chmod go-w");
	assert_null(slurp(f, "state/plugins/1000/demo.json"));
	assert_int_equal(chmod(dir, 0755), 0);
	cJSON_Delete(install_ok(f, USER, "demo", false));
}

static void t_dir_owned_by_other(void **state)
{
	struct fx *f = *state;
	char dir[PATH_MAX];

	plugin_dir(f, "demo", manifest_demo);
	path_of(f, "demo", dir);
	assert_int_equal(chown(dir, OTHER, OTHER), 0);
	install_fails(f, USER, "demo", "/demo: owned by uid 4242, not by you");
	install_fails(f, 0, "demo", "/demo: owned by uid 4242, not by you");
	/* Its owner may. */
	cJSON_Delete(install_ok(f, OTHER, "demo", false));
	/* The caller's own dir, private to them, is fine. */
	assert_int_equal(chown(dir, USER, USER), 0);
	assert_int_equal(chmod(dir, 0700), 0);
	cJSON_Delete(install_ok(f, USER, "demo", false));
}

static void t_root_dir_unreadable(void **state)
{
	struct fx *f = *state;
	char dir[PATH_MAX];

	plugin_dir(f, "demo", manifest_demo);
	path_of(f, "demo", dir);
	assert_int_equal(chmod(dir, 0700), 0);
	/* Root-owned and private: not a plugin another user could have reviewed. */
	install_fails(f, USER, "demo", "/demo: not readable by you");
	cJSON_Delete(install_ok(f, 0, "demo", false));
}

static void t_install_bad_dirs(void **state)
{
	struct fx *f = *state;
	cJSON *e = (cJSON *)&e;

	install_fails(f, USER, "missing", NULL);
	assert_true(strstr(f->err, "missing: No such file or directory") != NULL);
	put(f, "file", "x");
	install_fails(f, USER, "file", "/file: not a directory");
	assert_int_equal(registry_install(&f->a, USER, NULL, false, false, &e, f->err, sizeof(f->err)), -1);
	assert_null(e);
	assert_int_equal(strncmp(f->err, "(none): ", 8), 0);
	/* A dir without a manifest, or with an invalid one. */
	path_of(f, "empty", f->err);
	assert_int_equal(mkdir(f->err, 0755), 0);
	install_fails_rc(f, USER, "empty", "/empty/plugin.toml: No such file or directory",
			 -EXIT_BAD_INPUT);
	plugin_dir(f, "bad", "[plugin]\nname = \"Bad\"\n");
	install_fails_rc(f, USER, "bad", NULL, -EXIT_BAD_INPUT);
	assert_true(strstr(f->err, "/bad/plugin.toml:2: plugin.name") != NULL);
	assert_null(slurp(f, "state/plugins"));
}

/* ---- lookup / list ---- */

static void t_names(void **state)
{
	char n64[65], n65[66];

	(void)state;
	memset(n64, 'a', 64);
	n64[64] = '\0';
	memset(n65, 'a', 65);
	n65[65] = '\0';
	assert_true(plugin_name_valid("demo"));
	assert_true(plugin_name_valid("0-custom-embedder9"));
	assert_true(plugin_name_valid(n64));
	assert_false(plugin_name_valid(n65));
	assert_false(plugin_name_valid(NULL));
	assert_false(plugin_name_valid(""));
	assert_false(plugin_name_valid("-demo"));
	assert_false(plugin_name_valid("Demo"));
	assert_false(plugin_name_valid("de_mo"));
	assert_false(plugin_name_valid("de mo"));
	assert_false(plugin_name_valid("../demo"));
	assert_false(plugin_name_valid("a/b"));
	assert_false(plugin_name_valid("demo.json"));
}

static void t_lookup(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = { "", "-x", "A", "a/b", "../../etc/passwd", "x.json" };
	cJSON *e = (cJSON *)&e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = (cJSON *)&e;
		assert_int_equal(registry_lookup(&f->a, USER, bad[i], &e, f->err, sizeof(f->err)), -1);
		assert_null(e);
		assert_string_equal(f->err, "invalid plugin name");
	}
	assert_int_equal(registry_lookup(&f->a, USER, NULL, &e, f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, "invalid plugin name");
	assert_int_equal(registry_lookup(&f->a, USER, "demo", &e, f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, "plugin demo is not installed");

	plugin_dir(f, "demo", manifest_demo);
	cJSON_Delete(install_ok(f, USER, "demo", false));
	assert_int_equal(registry_lookup(&f->a, USER, "demo", &e, f->err, sizeof(f->err)), 0);
	assert_string_equal(proto_str(e, "name"), "demo");
	cJSON_Delete(e);
	/* Per user: another uid does not see it. */
	assert_int_equal(registry_lookup(&f->a, OTHER, "demo", &e, f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, "plugin demo is not installed");
	/* A damaged entry is an error, not an empty plugin. */
	put(f, "state/plugins/1000/demo.json", "{\"name\": \"demo\"");
	assert_int_equal(registry_lookup(&f->a, USER, "demo", &e, f->err, sizeof(f->err)), -1);
	assert_null(e);
	assert_true(strstr(f->err, "/state/plugins/1000/demo.json: corrupt (not a JSON object)"));
	put(f, "state/plugins/1000/demo.json", "[\"demo\"]");
	assert_int_equal(registry_lookup(&f->a, USER, "demo", &e, f->err, sizeof(f->err)), -1);
	assert_true(strstr(f->err, "corrupt (not a JSON object)"));
	/* Unreadable (a directory where the file should be). */
	path_of(f, "state/plugins/1000/demo.json", f->err);
	assert_int_equal(unlink(f->err), 0);
	assert_int_equal(mkdir(f->err, 0700), 0);
	assert_int_equal(registry_lookup(&f->a, USER, "demo", &e, f->err, sizeof(f->err)), -1);
	assert_null(e);
	assert_true(strstr(f->err, "demo.json: Is a directory") != NULL);
}

static bool list_has(const cJSON *arr, const char *name, double uid)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr)
		if (strcmp(proto_str(it, "name"), name) == 0 &&
		    cJSON_GetObjectItem(it, "uid")->valuedouble == uid)
			return true;
	return false;
}

static void t_list(void **state)
{
	struct fx *f = *state;
	cJSON *l;

	/* Nothing installed yet: an empty list for anyone. */
	assert_int_equal(registry_list(&f->a, USER, &l), 0);
	assert_int_equal(cJSON_GetArraySize(l), 0);
	cJSON_Delete(l);
	assert_int_equal(registry_list(&f->a, 0, &l), 0);
	assert_int_equal(cJSON_GetArraySize(l), 0);
	cJSON_Delete(l);

	plugin_dir(f, "demo", manifest_demo);
	plugin_dir(f, "other", "[plugin]\nname = \"other\"\nversion = \"2.0.0\"\n"
		   "type = \"command\"\nentry = [\"./x\"]\n");
	cJSON_Delete(install_ok(f, USER, "demo", false));
	cJSON_Delete(install_ok(f, USER, "other", false));
	cJSON_Delete(install_ok(f, OTHER, "demo", false));
	cJSON_Delete(install_ok(f, 0, "other", false));
	/* Junk next to the entries is skipped: other files, corrupt entries, odd dirs. */
	put(f, "state/plugins/1000/notes.txt", "x");
	put(f, "state/plugins/1000/.json", "{}");
	put(f, "state/plugins/1000/broken.json", "not json");
	path_of(f, "state/plugins/backup", f->err);
	assert_int_equal(mkdir(f->err, 0700), 0);
	put(f, "state/plugins/backup/demo.json", "{\"name\":\"evil\",\"uid\":1}");
	path_of(f, "state/plugins/12x", f->err);
	assert_int_equal(mkdir(f->err, 0700), 0);
	put(f, "state/plugins/12x/demo.json", "{\"name\":\"evil\",\"uid\":1}");

	/* A user sees their own. */
	assert_int_equal(registry_list(&f->a, USER, &l), 0);
	assert_int_equal(cJSON_GetArraySize(l), 2);
	assert_true(list_has(l, "demo", USER));
	assert_true(list_has(l, "other", USER));
	cJSON_Delete(l);
	assert_int_equal(registry_list(&f->a, OTHER, &l), 0);
	assert_int_equal(cJSON_GetArraySize(l), 1);
	assert_true(list_has(l, "demo", OTHER));
	cJSON_Delete(l);
	/* Root sees everyone's. */
	assert_int_equal(registry_list(&f->a, 0, &l), 0);
	assert_int_equal(cJSON_GetArraySize(l), 4);
	assert_true(list_has(l, "demo", USER));
	assert_true(list_has(l, "other", USER));
	assert_true(list_has(l, "demo", OTHER));
	assert_true(list_has(l, "other", 0));
	assert_false(list_has(l, "evil", 1));
	cJSON_Delete(l);
	/* A uid with nothing installed. */
	assert_int_equal(registry_list(&f->a, 777, &l), 0);
	assert_int_equal(cJSON_GetArraySize(l), 0);
	cJSON_Delete(l);
}

/* Pages of root's list: every entry once, in (uid, name) order, none larger than asked. */
static void t_list_page(void **state)
{
	struct fx *f = *state;
	char rel[32], toml[256], next[128], after[128] = "", prev[128] = "";
	size_t budget, one = 0;
	int total = 0, pages = 0;
	cJSON *l;
	char *text;

	for (int i = 0; i < 8; i++) {
		snprintf(rel, sizeof(rel), "p%02d", i);
		snprintf(toml, sizeof(toml), "[plugin]\nname = \"%s\"\nversion = \"1.0.0\"\n"
			 "type = \"command\"\nentry = [\"./x\"]\n", rel);
		plugin_dir(f, rel, toml);
		/* Installed out of order, and by three owners: the list sorts them. */
		cJSON_Delete(install_ok(f, i % 3 == 0 ? OTHER : USER, rel, false));
	}
	cJSON_Delete(install_ok(f, 0, "p05", false));
	/* A page holds about two entries. */
	assert_int_equal(registry_list(&f->a, 0, &l), 0);
	assert_int_equal(cJSON_GetArraySize(l), 9);
	text = cJSON_PrintUnformatted(l->child);
	one = strlen(text) + 1;
	free(text);
	cJSON_Delete(l);
	budget = 2 * one + 40;
	do {
		cJSON *e;

		assert_int_equal(registry_list_page(&f->a, 0, after, budget, &l, next, sizeof(next),
						    f->err, sizeof(f->err)), 0);
		text = cJSON_PrintUnformatted(l);
		assert_true(cJSON_GetArraySize(l) >= 1);
		assert_true(strlen(text) <= budget);
		free(text);
		cJSON_ArrayForEach(e, l) {
			char key[128];
			long long uid;

			assert_int_equal(proto_int(e, "uid", &uid), 0);
			snprintf(key, sizeof(key), "%lld/%s", uid, proto_str(e, "name"));
			/* Strictly after the one before: by uid, then name. */
			if (prev[0]) {
				long long pu = strtoll(prev, NULL, 10);

				assert_true(uid > pu || (uid == pu && strcmp(strchr(prev, '/') + 1,
									     proto_str(e, "name")) < 0));
			}
			snprintf(prev, sizeof(prev), "%s", key);
			total++;
		}
		/* next is the page's last entry. */
		if (next[0])
			assert_string_equal(next, prev);
		cJSON_Delete(l);
		snprintf(after, sizeof(after), "%s", next);
		pages++;
	} while (after[0] && pages < 20);
	assert_int_equal(total, 9);
	assert_true(pages >= 4);
	assert_string_equal(prev, "4242/p06");
	/* Smaller than any entry: one entry a page, never none. */
	assert_int_equal(registry_list_page(&f->a, 0, "", 10, &l, next, sizeof(next),
					    f->err, sizeof(f->err)), 0);
	assert_int_equal(cJSON_GetArraySize(l), 1);
	assert_string_equal(next, "0/p05");
	cJSON_Delete(l);
	/* A key that is gone: the page starts at the next one in order. */
	assert_int_equal(registry_list_page(&f->a, 0, "1000/p025", 1 << 20, &l, next, sizeof(next),
					    f->err, sizeof(f->err)), 0);
	assert_string_equal(proto_str(l->child, "name"), "p04");
	assert_int_equal(cJSON_GetArraySize(l), 6);	/* 1000: p04 p05 p07; 4242: p00 p03 p06 */
	assert_string_equal(next, "");
	cJSON_Delete(l);
	/* A user pages their own only. */
	assert_int_equal(registry_list_page(&f->a, USER, "", 1 << 20, &l, next, sizeof(next),
					    f->err, sizeof(f->err)), 0);
	assert_int_equal(cJSON_GetArraySize(l), 5);
	assert_false(list_has(l, "p05", 0));
	cJSON_Delete(l);
	/* Past the end: an empty last page. */
	assert_int_equal(registry_list_page(&f->a, 0, "99999/zz", 1 << 20, &l, next, sizeof(next),
					    f->err, sizeof(f->err)), 0);
	assert_int_equal(cJSON_GetArraySize(l), 0);
	assert_string_equal(next, "");
	cJSON_Delete(l);
	/* Not a key: refused, saying what is expected. */
	{
		const char *bad[] = { "x", "1000", "/p01", "-1/p01", " 1/p01" };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			assert_int_equal(registry_list_page(&f->a, 0, bad[i], 1 << 20, &l, next,
							    sizeof(next), f->err, sizeof(f->err)), -1);
			assert_null(l);
			assert_non_null(strstr(f->err, "expected UID/NAME"));
		}
	}
}

/* ---- consent ---- */

static const char D1[] = "1111111111111111111111111111111111111111111111111111111111111111";
static const char D2[] = "2222222222222222222222222222222222222222222222222222222222222222";

static uint32_t granted(struct fx *f, uid_t uid, const char *name, const char *digest, int want_rc)
{
	uint32_t g = 0xdeadbeef;

	assert_int_equal(consent_granted(&f->a, uid, name, digest, &g), want_rc);
	return g;
}

static void store(struct fx *f, uid_t uid, const char *name, const char *digest, uint32_t mask)
{
	f->err[0] = '\0';
	if (consent_store(&f->a, uid, name, digest, mask, f->err, sizeof(f->err)) < 0)
		fail_msg("consent_store: %s", f->err);
}

static void consent_file(struct fx *f, const char *content)
{
	char path[PATH_MAX];

	path_of(f, "state/consent/1000", path);
	assert_int_equal(mkdir_p(path, 0700), 0);
	put(f, "state/consent/1000/demo.json", content);
}

static void t_consent_roundtrip(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX];
	struct stat st;
	cJSON *j, *g;

	/* Nothing stored: nothing granted, no error. */
	assert_int_equal(granted(f, USER, "demo", D1, 0), 0);
	store(f, USER, "demo", D1, BIT(READ_DOCUMENTS) | BIT(SYSTEM_EMBEDDING));
	assert_int_equal(granted(f, USER, "demo", D1, 0), BIT(READ_DOCUMENTS) | BIT(SYSTEM_EMBEDDING));
	/* Per user and per plugin. */
	assert_int_equal(granted(f, OTHER, "demo", D1, 0), 0);
	assert_int_equal(granted(f, USER, "other", D1, 0), 0);
	/* A changed manifest is a new plugin: nothing granted, no error. */
	assert_int_equal(granted(f, USER, "demo", D2, 0), 0);
	/* The file: digest + one "since" per granted permission, private. */
	j = cJSON_Parse(slurp(f, "state/consent/1000/demo.json"));
	assert_non_null(j);
	assert_string_equal(proto_str(j, "digest"), D1);
	g = cJSON_GetObjectItem(j, "granted");
	assert_int_equal(cJSON_GetArraySize(g), 2);
	assert_true(rfc3339_ms(proto_str(g, "read:documents")));
	assert_true(rfc3339_ms(proto_str(g, "system:embedding")));
	cJSON_Delete(j);
	path_of(f, "state/consent/1000/demo.json", path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* Revoking everything leaves an empty grant, still for this digest. */
	store(f, USER, "demo", D1, 0);
	assert_int_equal(granted(f, USER, "demo", D1, 0), 0);
	j = cJSON_Parse(slurp(f, "state/consent/1000/demo.json"));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "granted")), 0);
	cJSON_Delete(j);
	/* Every permission round-trips. */
	store(f, USER, "demo", D1, RAGGED_PERM_ALL);
	assert_int_equal(granted(f, USER, "demo", D1, 0), RAGGED_PERM_ALL);
}

static void t_consent_since_kept(void **state)
{
	struct fx *f = *state;
	cJSON *j, *g;
	const char *old = "2020-01-02T03:04:05.678Z";

	/* An earlier grant of read:documents, as a previous agent wrote it. */
	consent_file(f,
	    "{\"digest\":\"1111111111111111111111111111111111111111111111111111111111111111\","
	    "\"granted\":{\"read:documents\":\"2020-01-02T03:04:05.678Z\","
	    "\"write:config\":\"2020-01-02T03:04:05.678Z\"}}");
	assert_int_equal(granted(f, USER, "demo", D1, 0), BIT(READ_DOCUMENTS) | BIT(WRITE_CONFIG));
	/* Add system:memory, drop write:config: read:documents keeps its date. */
	store(f, USER, "demo", D1, BIT(READ_DOCUMENTS) | BIT(SYSTEM_MEMORY));
	j = cJSON_Parse(slurp(f, "state/consent/1000/demo.json"));
	g = cJSON_GetObjectItem(j, "granted");
	assert_string_equal(proto_str(g, "read:documents"), old);
	assert_true(rfc3339_ms(proto_str(g, "system:memory")));
	assert_string_not_equal(proto_str(g, "system:memory"), old);
	assert_null(cJSON_GetObjectItem(g, "write:config"));
	cJSON_Delete(j);
	/* For a new digest every date is new. */
	store(f, USER, "demo", D2, BIT(READ_DOCUMENTS));
	j = cJSON_Parse(slurp(f, "state/consent/1000/demo.json"));
	g = cJSON_GetObjectItem(j, "granted");
	assert_string_equal(proto_str(j, "digest"), D2);
	assert_string_not_equal(proto_str(g, "read:documents"), old);
	assert_true(rfc3339_ms(proto_str(g, "read:documents")));
	cJSON_Delete(j);
	assert_int_equal(granted(f, USER, "demo", D1, 0), 0);
	assert_int_equal(granted(f, USER, "demo", D2, 0), BIT(READ_DOCUMENTS));
}

/* A store that cannot be trusted grants nothing and says so. */
static void t_consent_corrupt(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {
		"",
		"{\"digest\":",
		"not json at all",
		"[\"read:documents\"]",
		"\"read:documents\"",
		/* An unknown permission in the store. */
		"{\"digest\":\"1111111111111111111111111111111111111111111111111111111111111111\","
		"\"granted\":{\"read:documents\":\"x\",\"root:everything\":\"x\"}}",
		/* A list instead of a map: entries without names. */
		"{\"digest\":\"1111111111111111111111111111111111111111111111111111111111111111\","
		"\"granted\":[\"read:documents\"]}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		consent_file(f, bad[i]);
		if (granted(f, USER, "demo", D1, -1) != 0)
			fail_msg("granted something from: %s", bad[i]);
	}
	/* A store entry without a digest matches no manifest. */
	consent_file(f, "{\"granted\":{\"read:documents\":\"x\"}}");
	assert_int_equal(granted(f, USER, "demo", D1, 0), 0);
	/* Storing over a corrupt file replaces it (fresh dates, nothing carried over). */
	consent_file(f, "garbage");
	store(f, USER, "demo", D1, BIT(SYSTEM_MEMORY));
	assert_int_equal(granted(f, USER, "demo", D1, 0), BIT(SYSTEM_MEMORY));
}

static void t_consent_unreachable(void **state)
{
	struct fx *f = *state;
	char longdir[PATH_MAX];

	/* The state dir is a file: the store cannot be read or written. */
	put(f, "statefile", "x");
	snprintf(f->a.cfg.state_dir, sizeof(f->a.cfg.state_dir), "%s/statefile", f->tmp);
	assert_int_equal(granted(f, USER, "demo", D1, -1), 0);
	assert_int_equal(consent_store(&f->a, USER, "demo", D1, BIT(READ_CONFIG), f->err,
				       sizeof(f->err)), -1);
	assert_true(strstr(f->err, "write ") == f->err);
	assert_true(strstr(f->err, ": Not a directory") != NULL);
	/* Paths that do not fit. */
	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[PATH_MAX - 10] = '\0';
	snprintf(f->a.cfg.state_dir, sizeof(f->a.cfg.state_dir), "%s", longdir);
	assert_int_equal(granted(f, USER, "demo", D1, -1), 0);
	assert_int_equal(consent_store(&f->a, USER, "demo", D1, BIT(READ_CONFIG), f->err,
				       sizeof(f->err)), -1);
	assert_string_equal(f->err, "state path too long");
	{
		cJSON *e = (cJSON *)&e;

		assert_int_equal(registry_lookup(&f->a, USER, "demo", &e, f->err, sizeof(f->err)), -1);
		assert_string_equal(f->err, "state path too long");
		assert_int_equal(registry_list(&f->a, USER, &e), 0);
		assert_int_equal(cJSON_GetArraySize(e), 0);
		cJSON_Delete(e);
		assert_int_equal(registry_list(&f->a, 0, &e), 0);
		assert_int_equal(cJSON_GetArraySize(e), 0);
		cJSON_Delete(e);
	}
}

/* Install into a state dir that cannot be written. */
static void t_install_unwritable(void **state)
{
	struct fx *f = *state;
	char longdir[PATH_MAX];
	cJSON *e = (cJSON *)&e;
	char dir[PATH_MAX];

	plugin_dir(f, "demo", manifest_demo);
	path_of(f, "demo", dir);
	put(f, "statefile", "x");
	snprintf(f->a.cfg.state_dir, sizeof(f->a.cfg.state_dir), "%s/statefile", f->tmp);
	assert_int_equal(registry_install(&f->a, USER, dir, false, false, &e, f->err, sizeof(f->err)), -1);
	assert_null(e);
	assert_true(strstr(f->err, "/statefile/plugins/1000/demo.json: Not a directory") != NULL);
	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[PATH_MAX - 10] = '\0';
	snprintf(f->a.cfg.state_dir, sizeof(f->a.cfg.state_dir), "%s", longdir);
	assert_int_equal(registry_install(&f->a, USER, dir, false, false, &e, f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, "state path too long");
}


/* A plugin validation blocks: refused, unless the user accepts that risk explicitly. */
static void t_install_risky(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX];
	cJSON *e = (cJSON *)&e;
	const char *acc;

	plugin_dir(f, "demo", "[plugin]\nname = \"demo\"\nversion = \"1.0.0\"\n"
		   "type = \"command\"\nentry = [\"./missing\"]\n");
	path_of(f, "demo", path);
	assert_int_equal(registry_install(&f->a, USER, path, false, false, &e, f->err,
					  sizeof(f->err)), -EXIT_FINDINGS);
	assert_null(e);
	assert_non_null(strstr(f->err, "validation blocks demo"));
	assert_non_null(strstr(f->err, "accept the risk with --accept-risk"));
	assert_null(slurp(f, "state/plugins/1000/demo.json"));
	/* The finding is on the record, as refused. */
	{
		char *log = slurp(f, "audit.jsonl");

		assert_non_null(log);
		assert_non_null(strstr(log, "\"event\":\"validation_finding\""));
		assert_non_null(strstr(log, "\"result\":\"denied\""));
	}
	/* Accepted: installed, with the digest of exactly what was accepted. */
	assert_int_equal(registry_install(&f->a, USER, path, false, true, &e, f->err,
					  sizeof(f->err)), 0);
	acc = proto_str(e, "accepted_risk_digest");
	assert_non_null(acc);
	assert_int_equal(strlen(acc), 64);
	assert_true(cJSON_IsObject(cJSON_GetObjectItem(e, "validation")));
	cJSON_Delete(e);
	{
		char *log = slurp(f, "audit.jsonl");

		assert_non_null(strstr(log, "\"result\":\"allowed\""));
		assert_non_null(strstr(log, "user (--accept-risk)"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(t_install),
		T(t_install_canonical),
		T(t_already_installed),
		T(t_dir_writable_by_others),
		T(t_dir_owned_by_other),
		T(t_root_dir_unreadable),
		T(t_install_bad_dirs),
		T(t_names),
		T(t_lookup),
		T(t_list),
		T(t_list_page),
		T(t_consent_roundtrip),
		T(t_consent_since_kept),
		T(t_consent_corrupt),
		T(t_consent_unreachable),
		T(t_install_unwritable),
		T(t_install_risky),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

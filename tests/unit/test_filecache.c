// SPDX-License-Identifier: MIT
/*
 * What admission keeps between runs (filecache.c, util/stamp.c): a kept
 * manifest or registry entry is used only under the stamp it was read with;
 * any change to the file (content of the same size, mode, a replacement by
 * rename, a symlink in its place) is read again, and a file written within
 * the settle window is never kept.
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
#include "proto/proto.h"
#include "util/util.h"

struct fx {
	char tmp[PATH_MAX];
	struct agent a;
	char err[512];
};

static const char manifest_v1[] =
	"[plugin]\nname = \"demo\"\nversion = \"1.0.0\"\ntype = \"command\"\n"
	"description = \"Demo.\"\nentry = [\"./run\", \"--fast\"]\n"
	"[permissions]\nrequired = [\"network:api\"]\noptional = []\n"
	"[network]\nendpoints = [\"api.example.com:443\", \"10.0.0.0/8:8080\"]\n"
	"[dependencies]\npython = [\"requests==2.31.0\"]\n";

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void path_of(const struct fx *f, const char *rel, char *out)
{
	snprintf(out, PATH_MAX, "%s/%s", f->tmp, rel);
}

static void put(const struct fx *f, const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *fp;

	path_of(f, rel, path);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* Rewrite rel until its ctime moves on (a write in the same clock tick keeps it). */
static void rewrite(const struct fx *f, const char *rel, const char *text)
{
	char path[PATH_MAX];
	struct stat a, b;
	int i = 0;

	path_of(f, rel, path);
	assert_int_equal(stat(path, &a), 0);
	do {
		put(f, rel, text);
		assert_int_equal(stat(path, &b), 0);
	} while (a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec &&
		 ++i < 1000000);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char t[] = "/tmp/ragged-ut-filecache.XXXXXX", dir[PATH_MAX];

	if (!f || !mkdtemp(t) || !realpath(t, f->tmp))
		return -1;
	*state = f;
	config_defaults(&f->a.cfg);
	snprintf(f->a.cfg.state_dir, sizeof(f->a.cfg.state_dir), "%s/state", f->tmp);
	snprintf(dir, sizeof(dir), "%s/state/plugins/1000", f->tmp);
	if (mkdir_p(dir, 0700) < 0)
		return -1;
	file_stamp_settle_s = 0;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	file_stamp_settle_s = 2;
	file_caches_clear(&f->a);
	config_free(&f->a.cfg);
	nftw(f->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* A file just written is stamped but not trusted; one older than the window is. */
static void t_stamp_settle(void **state)
{
	struct fx *f = *state;
	struct file_stamp st;
	char path[PATH_MAX];
	struct stat sb;

	put(f, "a", "hello");
	path_of(f, "a", path);
	file_stamp_settle_s = 2;
	assert_int_equal(file_stamp(path, false, &st), 0);
	file_stamp_settle_s = 0;
	assert_int_equal(file_stamp(path, false, &st), 1);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(st.ino == sb.st_ino && st.size == 5 && S_ISREG(st.mode));
	path_of(f, "missing", path);
	assert_int_equal(file_stamp(path, false, &st), -1);
	assert_int_equal(errno, ENOENT);
}

/* Every kind of change gives another stamp; following a symlink or not is the caller's. */
static void t_stamp_changes(void **state)
{
	struct fx *f = *state;
	struct file_stamp a, b;
	char path[PATH_MAX], other[PATH_MAX];

	put(f, "a", "12345");
	path_of(f, "a", path);
	assert_true(file_stamp(path, false, &a) >= 0);
	assert_true(file_stamp(path, false, &b) >= 0);
	assert_true(file_stamp_eq(&a, &b));
	rewrite(f, "a", "54321");	/* same size, new content */
	assert_true(file_stamp(path, false, &b) >= 0);
	assert_false(file_stamp_eq(&a, &b));
	a = b;
	assert_int_equal(chmod(path, 0600), 0);
	assert_true(file_stamp(path, false, &b) >= 0);
	assert_false(file_stamp_eq(&a, &b));
	a = b;
	put(f, "b", "54321");
	path_of(f, "b", other);
	assert_int_equal(rename(other, path), 0);	/* replaced: another inode */
	assert_true(file_stamp(path, false, &b) >= 0);
	assert_false(file_stamp_eq(&a, &b));
	a = b;
	assert_int_equal(unlink(path), 0);
	put(f, "c", "x");
	path_of(f, "c", other);
	assert_int_equal(symlink(other, path), 0);
	assert_true(file_stamp(path, false, &b) >= 0);
	assert_true(S_ISLNK(b.mode));
	assert_true(file_stamp(path, true, &a) >= 0);
	assert_true(S_ISREG(a.mode) && a.size == 1);
}

/* A kept value's flag: 1 while kept, 0 once the cache let it go. */
static void flag_free(void *v)
{
	*(int *)v = 0;
}

/* Get under the same stamp only; a new put replaces; more paths than slots evict the oldest. */
static void t_cache_slots(void **state)
{
	struct file_cache c = { 0 };
	struct file_stamp s1 = { .ino = 1 }, s2 = { .ino = 2 };
	const size_t n = ARRAY_SIZE(c.slot);
	int kept[40];
	char path[32];

	(void)state;
	for (int i = 0; i < 40; i++)
		kept[i] = 1;
	file_cache_put(&c, "/p", &s1, &kept[0], flag_free);
	assert_ptr_equal(file_cache_get(&c, "/p", &s1), &kept[0]);
	assert_null(file_cache_get(&c, "/p", &s2));	/* another stamp: nothing */
	assert_null(file_cache_get(&c, "/q", &s1));
	file_cache_put(&c, "/p", &s2, &kept[1], flag_free);	/* replaces, in the same slot */
	assert_int_equal(kept[0], 0);
	assert_ptr_equal(file_cache_get(&c, "/p", &s2), &kept[1]);
	assert_null(file_cache_get(&c, "/p", &s1));
	for (int i = 2; i < 40; i++) {
		snprintf(path, sizeof(path), "/f%d", i);
		file_cache_put(&c, path, &s1, &kept[i], flag_free);
	}
	/* Round robin over the slots: the last n are kept, the rest were let go. */
	for (int i = 1; i < 40; i++)
		assert_int_equal(kept[i], i >= 40 - (int)n);
	assert_null(file_cache_get(&c, "/f2", &s1));
	assert_ptr_equal(file_cache_get(&c, "/f39", &s1), &kept[39]);
	file_cache_clear(&c);
	for (int i = 0; i < 40; i++)
		assert_int_equal(kept[i], 0);
	file_cache_put(&c, "/p", &s1, NULL, flag_free);		/* nothing to keep: nothing kept */
	assert_null(file_cache_get(&c, "/p", &s1));
}

static void same_manifest(const struct manifest *a, const struct manifest *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->version, b->version);
	assert_memory_equal(a->digest, b->digest, sizeof(a->digest));
	assert_int_equal(a->entry_len, b->entry_len);
	for (size_t i = 0; i < a->entry_len; i++) {
		assert_string_equal(a->entry[i], b->entry[i]);
		assert_ptr_not_equal(a->entry[i], b->entry[i]);	/* a copy, not a share */
	}
	assert_null(b->entry[b->entry_len]);
	assert_int_equal(a->n_endpoints, b->n_endpoints);
	assert_memory_equal(a->endpoints, b->endpoints, a->n_endpoints * sizeof(*a->endpoints));
	assert_int_equal(a->n_python_deps, b->n_python_deps);
	assert_string_equal(a->python_deps[0], b->python_deps[0]);
	assert_string_equal(a->description, b->description);
	assert_int_equal(a->required, b->required);
}

/* The kept parse stands in for the file until the file changes; the caller owns its copy. */
static void t_manifest_kept(void **state)
{
	struct fx *f = *state;
	struct manifest m1, m2, m3;
	char path[PATH_MAX];

	put(f, "plugin.toml", manifest_v1);
	path_of(f, "plugin.toml", path);
	assert_int_equal(manifest_load_cached(&f->a, path, &m1, f->err, sizeof(f->err)), 0);
	assert_int_equal(manifest_load_cached(&f->a, path, &m2, f->err, sizeof(f->err)), 0);
	same_manifest(&m1, &m2);
	manifest_free(&m1);
	assert_string_equal(f->a.manifests.slot[0].key, path);	/* kept */
	/* Changed (same length): read again, a new digest. */
	{
		char v2[sizeof(manifest_v1)];

		snprintf(v2, sizeof(v2), "%s", manifest_v1);
		memcpy(strstr(v2, "1.0.0"), "2.0.0", 5);
		rewrite(f, "plugin.toml", v2);
	}
	assert_int_equal(manifest_load_cached(&f->a, path, &m3, f->err, sizeof(f->err)), 0);
	assert_string_equal(m3.version, "2.0.0");
	assert_memory_not_equal(m3.digest, m2.digest, sizeof(m2.digest));
	manifest_free(&m2);
	manifest_free(&m3);
	/* A symlink in its place: refused as manifest_load refuses it, nothing kept answers. */
	put(f, "other.toml", manifest_v1);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("other.toml", path), 0);
	assert_int_equal(manifest_load_cached(&f->a, path, &m1, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "symbolic link"));
	/* Gone: the error manifest_load gives. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(manifest_load_cached(&f->a, path, &m1, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "No such file"));
}

/* Within the settle window nothing is kept: every run reads the file. */
static void t_manifest_not_settled(void **state)
{
	struct fx *f = *state;
	struct manifest m;
	char path[PATH_MAX];

	file_stamp_settle_s = 3600;
	put(f, "plugin.toml", manifest_v1);
	path_of(f, "plugin.toml", path);
	assert_int_equal(manifest_load_cached(&f->a, path, &m, f->err, sizeof(f->err)), 0);
	manifest_free(&m);
	for (size_t i = 0; i < ARRAY_SIZE(f->a.manifests.slot); i++)
		assert_null(f->a.manifests.slot[i].key);
}

/* A registry entry: kept while unchanged, a change read, a removal "not installed". */
static void t_registry_kept(void **state)
{
	struct fx *f = *state;
	cJSON *e = NULL;

	put(f, "state/plugins/1000/demo.json", "{\"name\":\"demo\",\"version\":\"1.0.0\"}");
	assert_int_equal(registry_lookup(&f->a, 1000, "demo", &e, f->err, sizeof(f->err)), 0);
	assert_string_equal(proto_str(e, "version"), "1.0.0");
	cJSON_Delete(e);
	assert_non_null(f->a.entries.slot[0].key);	/* kept */
	assert_int_equal(registry_lookup(&f->a, 1000, "demo", &e, f->err, sizeof(f->err)), 0);
	assert_string_equal(proto_str(e, "version"), "1.0.0");
	/* The caller's copy is its own: changing it changes nothing kept. */
	cJSON_DeleteItemFromObject(e, "version");
	cJSON_Delete(e);
	assert_int_equal(registry_lookup(&f->a, 1000, "demo", &e, f->err, sizeof(f->err)), 0);
	assert_string_equal(proto_str(e, "version"), "1.0.0");
	cJSON_Delete(e);
	rewrite(f, "state/plugins/1000/demo.json", "{\"name\":\"demo\",\"version\":\"2.0.0\"}");
	assert_int_equal(registry_lookup(&f->a, 1000, "demo", &e, f->err, sizeof(f->err)), 0);
	assert_string_equal(proto_str(e, "version"), "2.0.0");
	cJSON_Delete(e);
	rewrite(f, "state/plugins/1000/demo.json", "{\"name\": \"demo\"");
	assert_int_equal(registry_lookup(&f->a, 1000, "demo", &e, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "corrupt (not a JSON object)"));
	{
		char path[PATH_MAX];

		path_of(f, "state/plugins/1000/demo.json", path);
		assert_int_equal(unlink(path), 0);
	}
	assert_int_equal(registry_lookup(&f->a, 1000, "demo", &e, f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, "plugin demo is not installed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(t_stamp_settle),
		T(t_stamp_changes),
		T(t_cache_slots),
		T(t_manifest_kept),
		T(t_manifest_not_settled),
		T(t_registry_kept),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

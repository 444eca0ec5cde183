// SPDX-License-Identifier: MIT
/*
 * fsview: the plan (which trees get a mount of their own, writable or not)
 * from real paths, and the view itself entered by a forked child as root:
 * what it may change, what fails with EROFS, and that the host's mounts
 * are exactly as they were afterwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../agent/daemon/agent.h"

#define R RAGGED_ACC_READ
#define W RAGGED_ACC_WRITE

static char tmp[64];
static struct policy pol;

static void rule(const char *rel, uint32_t access)
{
	struct file_rule *nf = realloc(pol.files, (pol.n_files + 1) * sizeof(*nf));

	assert_non_null(nf);
	pol.files = nf;
	memset(&nf[pol.n_files], 0, sizeof(*nf));
	if (rel[0] == '/')
		snprintf(nf[pol.n_files].path, sizeof(nf->path), "%s", rel);
	else
		snprintf(nf[pol.n_files].path, sizeof(nf->path), "%s/%s", tmp, rel);
	nf[pol.n_files].access = access;
	pol.cap_files = ++pol.n_files;
}

static void put(const char *rel)
{
	char p[128];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
}

static int setup(void **state)
{
	char p[PATH_MAX];

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/ragged-ut-fsview-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	for (const char *const *d = (const char *const[]){ "docs", "w", "w/ro", "w/sub", NULL }; *d; d++) {
		snprintf(p, sizeof(p), "%s/%s", tmp, *d);
		if (mkdir(p, 0755) < 0)
			return -1;
	}
	put("docs/a.txt");
	put("w/ro/b.txt");
	put("f.txt");
	/* As the policy builds them: "x" and "x/" for a tree. */
	rule("docs", R);
	rule("docs/", R);
	rule("w", R | W);
	rule("w/", R | W);
	rule("w/ro", R);
	rule("w/ro/", R);
	rule("w/sub/", R | W);	/* as writable as around it: no mount of its own */
	rule("f.txt", R | W);	/* one writable file */
	rule("absent/", R | W);	/* nothing there: stays read-only */
	rule("/dev/null", R | W);	/* a device: writable on any mount */
	rule("/usr/", R);
	/* Coverage builds write their counters under <build>: keep it writable. */
	{
		char exe[PATH_MAX], *d;
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (n > 0) {
			exe[n] = '\0';
			d = dirname(dirname(exe));	/* <build>/tests/test_fsview -> <build> */
			if (strcmp(d, "/") != 0 && strcmp(d, ".") != 0) {
				snprintf(p, sizeof(p), "%s/", d);
				rule(p, R | W);
			}
		}
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	policy_free(&pol);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct fsview_mount *find(const struct fsview *v, const char *rel, size_t *at)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->m[i].path, p) == 0) {
			*at = i;
			return &v->m[i];
		}
	return NULL;
}

static void t_plan(void **state)
{
	struct fsview v;
	const struct fsview_mount *m;
	size_t w_at = 0, ro_at = 0, f_at = 0;

	(void)state;
	assert_int_equal(fsview_plan(&pol, &v), 0);
	assert_int_equal(v.n, 4);	/* and the build dir */
	m = find(&v, "w", &w_at);
	assert_non_null(m);
	assert_true(m->writable);
	m = find(&v, "w/ro", &ro_at);
	assert_non_null(m);
	assert_false(m->writable);
	m = find(&v, "f.txt", &f_at);
	assert_non_null(m);
	assert_true(m->writable);
	/* The tree before what lies in it: a later bind would hide it. */
	assert_true(w_at < ro_at);
	fsview_free(&v);
	assert_null(v.m);
}

static size_t host_mounts(void)
{
	char line[4096];
	size_t n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

/* In the child: 0, or the line number of the first failed check. */
static int view_child(void)
{
	char p[128], err[256];
	int fd;

	if (fsview_enter(err, sizeof(err)) < 0) {
		fprintf(stderr, "fsview_enter: %s\n", err);
		return 1;
	}
#define CHECK(c) do { if (!(c)) return __LINE__; } while (0)
	snprintf(p, sizeof(p), "%s/docs/a.txt", tmp);
	CHECK(chmod(p, 0600) < 0 && errno == EROFS);
	CHECK(unlink(p) < 0 && errno == EROFS);
	CHECK(open(p, O_RDONLY | O_TRUNC) < 0 && errno == EROFS);
	snprintf(p, sizeof(p), "%s/docs/new", tmp);
	CHECK(open(p, O_WRONLY | O_CREAT, 0644) < 0 && errno == EROFS);
	CHECK(access(p, F_OK) < 0 && errno == ENOENT);
	snprintf(p, sizeof(p), "%s/w/ro/b.txt", tmp);
	CHECK(chmod(p, 0600) < 0 && errno == EROFS);
	snprintf(p, sizeof(p), "%s/w/sub/c.txt", tmp);
	CHECK((fd = open(p, O_WRONLY | O_CREAT, 0644)) >= 0);
	close(fd);
	CHECK(chmod(p, 0600) == 0);
	CHECK(truncate(p, 0) == 0);
	CHECK(unlink(p) == 0);
	snprintf(p, sizeof(p), "%s/f.txt", tmp);
	CHECK(chmod(p, 0600) == 0);
	CHECK((fd = open(p, O_WRONLY | O_TRUNC)) >= 0);
	close(fd);
	CHECK((fd = open("/dev/null", O_WRONLY)) >= 0);
	CHECK(write(fd, "x", 1) == 1);
	close(fd);
	CHECK(mkdir("/ragged-ut-fsview", 0755) < 0 && errno == EROFS);
#undef CHECK
	return 0;
}

static void t_enter(void **state)
{
	size_t before;
	pid_t pid;
	int status;

	(void)state;
	if (geteuid() != 0) {
		skip();
		return;
	}
	before = host_mounts();
	assert_int_equal(fsview_prepare(&pol), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		exit(view_child());	/* exit(): a coverage build writes its counters */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	fsview_release();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("view check failed at test_fsview.c:%d", WEXITSTATUS(status));
	/* The host's mounts are untouched, and the writes in the view landed. */
	assert_int_equal(host_mounts(), before);
	{
		char p[128];
		struct stat st;

		snprintf(p, sizeof(p), "%s/f.txt", tmp);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		assert_int_equal(st.st_size, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_plan, setup, teardown),
		cmocka_unit_test_setup_teardown(t_enter, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

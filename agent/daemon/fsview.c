// SPDX-License-Identifier: MIT
/*
 * Landlock mode: the plugin's own view of the mounts, read-only everywhere
 * except the trees its rules let it write (its scratch dir, granted write
 * trees). Landlock decides names and contents (create, delete, rename,
 * link, write, truncate from ABI 3) but not chmod, chown, times, extended
 * attributes or ACLs, nor truncate below ABI 3; a read-only mount refuses
 * every one of them, through every syscall variant, with EROFS. The denial
 * monitor (bpf/monitor.bpf.c) reports those EROFS failures.
 *
 * Set up in the launch child while it is still root, before it drops to
 * the plugin's uid:
 *   unshare(CLONE_NEWNS); "/" recursively MS_SLAVE (the host's mount
 *   events still reach the plugin, nothing it does reaches the host);
 *   bind each tree whose writability differs from its parent rule's onto
 *   itself, parents first; mount_setattr("/", AT_RECURSIVE, RDONLY); then
 *   RDONLY cleared again on each writable tree, that mount alone, so read-
 *   only rules nested in it and mounts below it stay read-only.
 * The host's mounts are never touched: every change is made to the copies
 * in the new namespace.
 *
 * The plan (which paths, writable or not) is made in the agent before the
 * clone, where it may allocate and stat; the child only executes it (it
 * shares the agent's memory until exec: no allocation there).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent.h"
#include "util/util.h"

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

struct ragged_mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/* The one plan of the one child being launched (CLONE_VFORK: one at a time). */
static struct fsview current;

/* Does dir rule d ("/a/b/") contain name ("/a/b/c")? */
static bool under(const char *d, size_t dlen, const char *name)
{
	return strncmp(name, d, dlen) == 0 && name[dlen] != '\0';
}

/* The writability of the longest directory rule strictly above name. */
static bool parent_writable(const struct policy *p, const char *name)
{
	size_t best = 0;
	bool w = false;

	for (size_t i = 0; i < p->n_files; i++) {
		const char *d = p->files[i].path;
		size_t len = strlen(d);

		if (len < 2 || d[len - 1] != '/' || len <= best || !under(d, len, name))
			continue;
		best = len;
		w = p->files[i].access & RAGGED_ACC_WRITE;
	}
	return w;
}

static bool has_dir_rule(const struct policy *p, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < p->n_files; i++) {
		const char *d = p->files[i].path;

		if (strncmp(d, name, n) == 0 && d[n] == '/' && d[n + 1] == '\0')
			return true;
	}
	return false;
}

static int by_length(const void *a, const void *b)
{
	size_t la = strlen(((const struct fsview_mount *)a)->path);
	size_t lb = strlen(((const struct fsview_mount *)b)->path);

	return la < lb ? -1 : la > lb;
}

int fsview_plan(const struct policy *p, struct fsview *v)
{
	memset(v, 0, sizeof(*v));
	v->m = calloc(p->n_files ? p->n_files : 1, sizeof(*v->m));
	if (!v->m)
		return -1;
	for (size_t i = 0; i < p->n_files; i++) {
		const struct file_rule *fr = &p->files[i];
		size_t len = strlen(fr->path);
		bool dir = len > 1 && fr->path[len - 1] == '/';
		bool w = fr->access & RAGGED_ACC_WRITE, pw;
		struct fsview_mount *m = &v->m[v->n];
		struct statvfs sv;
		struct stat st;

		if (len < 2 || len >= sizeof(m->path))
			continue;	/* never "/" itself: it is the read-only default */
		policy_rule_path(fr, m->path);
		if (!dir && has_dir_rule(p, m->path))
			continue;	/* the "x/" rule stands for both */
		/*
		 * Read-only inside read-only (the baseline's system paths under
		 * "/"): no mount of its own whatever the path is, and no stat.
		 */
		pw = parent_writable(p, m->path);
		if (!w && !pw)
			continue;
		if (stat(m->path, &st) < 0)
			continue;	/* nothing there to write: stays read-only */
		if (!dir && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			continue;	/* devices, FIFOs, sockets: writable on any mount */
		/* A tree the host already mounts read-only stays read-only. */
		if (w && (statvfs(m->path, &sv) < 0 || (sv.f_flag & ST_RDONLY)))
			w = false;
		if (w == pw)
			continue;	/* same as around it: no mount of its own needed */
		m->writable = w;
		v->n++;
	}
	/* Parents first: a bind made later would hide the ones below it. */
	qsort(v->m, v->n, sizeof(*v->m), by_length);
	return 0;
}

void fsview_free(struct fsview *v)
{
	free(v->m);
	memset(v, 0, sizeof(*v));
}

int fsview_prepare(const struct policy *p)
{
	fsview_free(&current);
	return fsview_plan(p, &current);
}

void fsview_release(void)
{
	fsview_free(&current);
}

static int setattr(const char *path, unsigned int flags, uint64_t set, uint64_t clr)
{
	struct ragged_mount_attr attr = { .attr_set = set, .attr_clr = clr };

	return (int)syscall(SYS_mount_setattr, AT_FDCWD, path, flags, &attr, sizeof(attr));
}

/* In the launch child, as root. Returns -1 with err set on failure. */
int fsview_enter(char *err, size_t errlen)
{
	const struct fsview *v = &current;

	if (unshare(CLONE_NEWNS) < 0) {
		snprintf(err, errlen, "mount namespace: %s", strerror(errno));
		return -1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
		snprintf(err, errlen, "mount namespace: make / a slave: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < v->n; i++)
		if (mount(v->m[i].path, v->m[i].path, NULL, MS_BIND | MS_REC, NULL) < 0) {
			snprintf(err, errlen, "bind %s: %s", v->m[i].path, strerror(errno));
			return -1;
		}
	if (setattr("/", AT_RECURSIVE, MOUNT_ATTR_RDONLY, 0) < 0) {
		snprintf(err, errlen, "make the mounts read-only: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < v->n; i++)
		if (v->m[i].writable && setattr(v->m[i].path, 0, 0, MOUNT_ATTR_RDONLY) < 0) {
			snprintf(err, errlen, "make %s writable: %s", v->m[i].path, strerror(errno));
			return -1;
		}
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * The baseline rules' objects, opened once by the agent and kept (landlock
 * mode). A Landlock rule names its object by a descriptor; the launch child
 * used to open every rule's path itself, and opening the ~25 system paths
 * of the baseline (open + fstat + close) was two thirds of the Landlock
 * step of every start (docs/PERFORMANCE.md "Landlock rules from kept
 * descriptors").
 *
 * A kept descriptor serves a run only while it names the object the rule's
 * path named at this run's policy build (policy_resolve_inodes: the same
 * device and inode, taken a moment before the launch). A path that names
 * another object at the build (an /etc/passwd replaced by rename, a mount
 * over a directory) gets a new descriptor, kept only if it names the
 * build's object; one that cannot be matched is left to the child, which
 * opens it as before. So a run's rules are for the objects its paths named
 * at its policy build, as bpf-lsm mode's inode rules are (the child's own
 * opens, a moment later, had the same window). Only the system paths of
 * the baseline and the resolver (file_rule.system) are kept: a run's own
 * paths (scratch, plugin dir, grants) differ from run to run, and a kept
 * scratch would hold its unmounted filesystem.
 *
 * landlock_prepare runs in the agent before the launch clone; the child
 * (same memory, CLONE_VM) reads the prepared table through
 * landlock_prepared_fd; landlock_release drops the table after the clone.
 * The descriptors are O_CLOEXEC: none of them reaches a plugin.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

#define KEPT_MAX 64	/* the baseline has ~25 paths */

struct kept {
	char path[RAGGED_PATH_MAX];	/* as in the rule, without a trailing '/' */
	int fd;				/* O_PATH, or -1 */
	bool dir;
	uint32_t kdev;			/* policy_kernel_dev() encoding, as in file_rule */
	uint64_t ino;
};

static struct kept kept[KEPT_MAX];
static size_t n_kept;

/* For the launch in progress: the kept entry of each rule, or NULL. */
static const struct policy *prepared_for;
static struct kept **prepared;
static size_t n_prepared;

static struct kept *find(const char *path)
{
	for (size_t i = 0; i < n_kept; i++)
		if (strcmp(kept[i].path, path) == 0)
			return &kept[i];
	return NULL;
}

/* (Re)open k's path; keep the descriptor only if it names (kdev, ino). */
static void reopen(struct kept *k, uint32_t kdev, uint64_t ino)
{
	struct stat st;

	if (k->fd >= 0)
		close(k->fd);
	k->fd = open(k->path, O_PATH | O_CLOEXEC);
	if (k->fd < 0)
		return;
	if (fstat(k->fd, &st) < 0 || policy_kernel_dev(st.st_dev) != kdev ||
	    (uint64_t)st.st_ino != ino) {
		/* Not what the policy build saw: the child opens the path itself. */
		close(k->fd);
		k->fd = -1;
		return;
	}
	k->dir = S_ISDIR(st.st_mode);
	k->kdev = kdev;
	k->ino = ino;
}

int landlock_prepare(const struct policy *p)
{
	landlock_release();
	prepared = calloc(p->n_files ? p->n_files : 1, sizeof(*prepared));
	if (!prepared)
		return -1;	/* the child opens every path, as it can anyway */
	for (size_t i = 0; i < p->n_files; i++) {
		const struct file_rule *fr = &p->files[i];
		char path[RAGGED_PATH_MAX];
		struct kept *k;

		/* A run's own paths, and paths that did not exist at the build. */
		if (!fr->system || !fr->has_inode)
			continue;
		policy_rule_path(fr, path);
		if (!(k = find(path))) {
			if (n_kept == KEPT_MAX)
				continue;
			k = &kept[n_kept++];
			memcpy(k->path, path, strlen(path) + 1);
			k->fd = -1;
		}
		if (k->fd < 0 || k->kdev != fr->kdev || k->ino != fr->ino)
			reopen(k, fr->kdev, fr->ino);
		if (k->fd >= 0)
			prepared[i] = k;
	}
	prepared_for = p;
	n_prepared = p->n_files;
	return 0;
}

int landlock_prepared_fd(const struct policy *p, size_t i, bool *dir)
{
	const struct kept *k;

	if (p != prepared_for || i >= n_prepared || !(k = prepared[i]))
		return -1;
	*dir = k->dir;
	return k->fd;
}

void landlock_release(void)
{
	free(prepared);
	prepared = NULL;
	prepared_for = NULL;
	n_prepared = 0;
}

void landlock_forget(void)
{
	landlock_release();
	for (size_t i = 0; i < n_kept; i++)
		if (kept[i].fd >= 0)
			close(kept[i].fd);
	n_kept = 0;
}

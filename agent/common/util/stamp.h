/* SPDX-License-Identifier: MIT */
#ifndef RAGGED_STAMP_H
#define RAGGED_STAMP_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

/*
 * What changes when a file's content, name or metadata do: its identity
 * (device, inode), type and mode, size, link count, mtime and ctime. The
 * agent keeps what it read from a file (a parsed manifest, a registry
 * entry) only with the file's stamp, and uses it again only while a fresh
 * stat gives the same one.
 */
struct file_stamp {
	dev_t dev;
	ino_t ino;
	mode_t mode;
	nlink_t nlink;
	off_t size;
	struct timespec mtime, ctime;
};

/*
 * A write sets ctime, which no unprivileged call can set back; but two
 * writes within one timestamp tick can leave the same size and times. A
 * stamp is therefore only trusted ("settled") when its ctime is at least
 * file_stamp_settle_s older than the moment before the stat: a later
 * write then gives a later ctime.
 */
extern unsigned file_stamp_settle_s;

/*
 * Stamp path (following a final symlink only if follow). 1: settled;
 * 0: stamped, too recent to trust; -1: errno set (ENOENT, ...).
 */
int file_stamp(const char *path, bool follow, struct file_stamp *st);
bool file_stamp_eq(const struct file_stamp *a, const struct file_stamp *b);
/* The settle rule alone: *line = now - file_stamp_settle_s; ctime settled if before it. */
void file_stamp_settle_line(struct timespec *line);
bool file_stamp_settled(const struct timespec *ctime, const struct timespec *line);

/*
 * What a process keeps of files it read, by key (a path) and stamp: a
 * value is found only under the stamp it was kept with. Keys that name
 * their content for good (a content digest) keep under file_unstamped.
 * Small and round-robin: a handful of plugins. Each value carries its
 * own free function.
 */
struct file_cache_slot {
	char *key;
	struct file_stamp st;
	void *val;
	void (*free_val)(void *);
};

struct file_cache {
	struct file_cache_slot slot[16];
	unsigned next;
};

extern const struct file_stamp file_unstamped;

/* What was kept for key under exactly st, or NULL. */
const void *file_cache_get(const struct file_cache *c, const char *key,
			   const struct file_stamp *st);
/* Keep val (owned from here on: free_val(val) when let go) for key under st. */
void file_cache_put(struct file_cache *c, const char *key, const struct file_stamp *st,
		    void *val, void (*free_val)(void *));
void file_cache_clear(struct file_cache *c);

#endif

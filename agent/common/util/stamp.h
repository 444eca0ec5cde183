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

#endif

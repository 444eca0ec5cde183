// SPDX-License-Identifier: MIT
#include "stamp.h"

#include <string.h>
#include <sys/stat.h>

unsigned file_stamp_settle_s = 2;

int file_stamp(const char *path, bool follow, struct file_stamp *st)
{
	struct timespec before;
	struct stat sb;

	clock_gettime(CLOCK_REALTIME, &before);
	if ((follow ? stat(path, &sb) : lstat(path, &sb)) < 0)
		return -1;
	memset(st, 0, sizeof(*st));
	st->dev = sb.st_dev;
	st->ino = sb.st_ino;
	st->mode = sb.st_mode;
	st->nlink = sb.st_nlink;
	st->size = sb.st_size;
	st->mtime = sb.st_mtim;
	st->ctime = sb.st_ctim;
	before.tv_sec -= (time_t)file_stamp_settle_s;
	return sb.st_ctim.tv_sec < before.tv_sec ||
	       (sb.st_ctim.tv_sec == before.tv_sec && sb.st_ctim.tv_nsec < before.tv_nsec);
}

bool file_stamp_eq(const struct file_stamp *a, const struct file_stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->mode == b->mode &&
	       a->nlink == b->nlink && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

// SPDX-License-Identifier: MIT
#include "stamp.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

unsigned file_stamp_settle_s = 2;

const struct file_stamp file_unstamped;

void file_stamp_settle_line(struct timespec *line)
{
	clock_gettime(CLOCK_REALTIME, line);
	line->tv_sec -= (time_t)file_stamp_settle_s;
}

bool file_stamp_settled(const struct timespec *ctime, const struct timespec *line)
{
	return ctime->tv_sec < line->tv_sec ||
	       (ctime->tv_sec == line->tv_sec && ctime->tv_nsec < line->tv_nsec);
}

int file_stamp(const char *path, bool follow, struct file_stamp *st)
{
	struct timespec line;
	struct stat sb;

	file_stamp_settle_line(&line);
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
	return file_stamp_settled(&sb.st_ctim, &line);
}

bool file_stamp_eq(const struct file_stamp *a, const struct file_stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->mode == b->mode &&
	       a->nlink == b->nlink && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static void slot_clear(struct file_cache_slot *s)
{
	if (s->val)
		s->free_val(s->val);
	free(s->key);
	memset(s, 0, sizeof(*s));
}

void file_cache_clear(struct file_cache *c)
{
	for (size_t i = 0; i < sizeof(c->slot) / sizeof(c->slot[0]); i++)
		slot_clear(&c->slot[i]);
}

static struct file_cache_slot *slot_of(const struct file_cache *c, const char *key)
{
	for (size_t i = 0; i < sizeof(c->slot) / sizeof(c->slot[0]); i++)
		if (c->slot[i].key && strcmp(c->slot[i].key, key) == 0)
			return (struct file_cache_slot *)&c->slot[i];
	return NULL;
}

const void *file_cache_get(const struct file_cache *c, const char *key,
			   const struct file_stamp *st)
{
	const struct file_cache_slot *s = slot_of(c, key);

	return s && file_stamp_eq(&s->st, st) ? s->val : NULL;
}

void file_cache_put(struct file_cache *c, const char *key, const struct file_stamp *st,
		    void *val, void (*free_val)(void *))
{
	struct file_cache_slot *s = slot_of(c, key);

	if (!s)
		s = &c->slot[c->next++ % (sizeof(c->slot) / sizeof(c->slot[0]))];
	slot_clear(s);
	if (!val)
		return;
	if (!(s->key = strdup(key))) {
		free_val(val);
		return;
	}
	s->st = *st;
	s->val = val;
	s->free_val = free_val;
}

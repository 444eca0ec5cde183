// SPDX-License-Identifier: MIT
/*
 * What admission reads from files on every run, kept between runs while
 * the files are unchanged: the parsed manifest (plugin.toml, with its
 * digest) and the registry entry. A kept copy is used only when a fresh
 * stat of the file gives the stamp it was read under (util/stamp.h: same
 * inode, size, times), and only a settled stamp is kept, so a change to
 * the file is always read. A stat instead of an open, a read and a parse:
 * ~0.1 ms of every start (docs/PERFORMANCE.md). Small and round-robin:
 * an agent serves a handful of plugins.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "util/util.h"

static void slot_clear(struct file_cache *c, struct file_cache_slot *s)
{
	if (s->val)
		c->free_val(s->val);
	free(s->path);
	memset(s, 0, sizeof(*s));
}

void file_cache_clear(struct file_cache *c)
{
	for (size_t i = 0; i < ARRAY_SIZE(c->slot); i++)
		slot_clear(c, &c->slot[i]);
}

/* What was kept for path under exactly st, or NULL. */
const void *file_cache_get(const struct file_cache *c, const char *path,
			   const struct file_stamp *st)
{
	for (size_t i = 0; i < ARRAY_SIZE(c->slot); i++) {
		const struct file_cache_slot *s = &c->slot[i];

		if (s->path && strcmp(s->path, path) == 0)
			return file_stamp_eq(&s->st, st) ? s->val : NULL;
	}
	return NULL;
}

/* Keep val (owned from here on) for path under st, replacing what was kept. */
void file_cache_put(struct file_cache *c, const char *path, const struct file_stamp *st,
		    void *val)
{
	struct file_cache_slot *s = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(c->slot) && !s; i++)
		if (c->slot[i].path && strcmp(c->slot[i].path, path) == 0)
			s = &c->slot[i];
	if (!s)
		s = &c->slot[c->next++ % ARRAY_SIZE(c->slot)];
	slot_clear(c, s);
	if (!val || !(s->path = strdup(path))) {
		if (val)
			c->free_val(val);
		return;
	}
	s->st = *st;
	s->val = val;
}

static void manifest_val_free(void *v)
{
	manifest_free(v);
	free(v);
}

static void json_val_free(void *v)
{
	cJSON_Delete(v);
}

/* The registry entry kept for path under st, or NULL. */
const cJSON *registry_entry_cached(struct agent *a, const char *path, const struct file_stamp *st)
{
	return file_cache_get(&a->entries, path, st);
}

/* Keep a copy of entry, read from path under the settled stamp st. */
void registry_entry_keep(struct agent *a, const char *path, const struct file_stamp *st,
			 const cJSON *entry)
{
	a->entries.free_val = json_val_free;
	file_cache_put(&a->entries, path, st, cJSON_Duplicate(entry, true));
}

void file_caches_clear(struct agent *a)
{
	file_cache_clear(&a->manifests);
	file_cache_clear(&a->entries);
}

/* manifest_load, from the kept parse while plugin.toml is unchanged. */
int manifest_load_cached(struct agent *a, const char *path, struct manifest *m, char *err,
			 size_t errlen)
{
	struct file_stamp st;
	const struct manifest *kept;
	struct manifest *copy;
	int settled = file_stamp(path, false, &st);

	if (settled == 1 && (kept = file_cache_get(&a->manifests, path, &st))) {
		if (manifest_dup(kept, m) == 0)
			return 0;
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (manifest_load(path, m, err, errlen) < 0)
		return -1;
	/* Stamped before the read: a change during it gives another stamp next time. */
	if (settled == 1 && (copy = malloc(sizeof(*copy)))) {
		a->manifests.free_val = manifest_val_free;
		if (manifest_dup(m, copy) == 0)
			file_cache_put(&a->manifests, path, &st, copy);
		else
			free(copy);
	}
	return 0;
}

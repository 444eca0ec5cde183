// SPDX-License-Identifier: MIT
/*
 * What admission reads from files on every run, kept between runs while
 * the files are unchanged (util/stamp.h): the parsed manifest (plugin.toml,
 * with its digest) here, the registry entry in registry.c. A kept copy is
 * used only when a fresh stat of the file gives the stamp it was read
 * under, and only a settled stamp is kept, so a change to the file is
 * always read. A stat instead of an open, a read and a parse: ~0.1 ms of
 * every start (docs/PERFORMANCE.md).
 */
#include <stdio.h>
#include <stdlib.h>

#include "agent.h"
#include "util/util.h"

static void manifest_val_free(void *v)
{
	manifest_free(v);
	free(v);
}

void json_val_free(void *v)
{
	cJSON_Delete(v);
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
		if (manifest_dup(m, copy) == 0)
			file_cache_put(&a->manifests, path, &st, copy, manifest_val_free);
		else
			free(copy);
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * A map made from the BPF side's own definition of it, read through the
 * program's skeleton (opened, never loaded): the tests restate no map type,
 * key, value, size or flags, so bpf/file_rules.bpf.h stays the one
 * definition of file_rules however it changes.
 */
#ifndef RAGGED_TEST_MAPLIKE_H
#define RAGGED_TEST_MAPLIKE_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "file.skel.h"

static inline int map_like(const struct bpf_map *m, const char *name)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = bpf_map__map_flags(m));

	return bpf_map_create(bpf_map__type(m), name, bpf_map__key_size(m), bpf_map__value_size(m),
			      bpf_map__max_entries(m), &o);
}

/* An unpinned file_rules map as file_open and the LSM hooks use it; -1 with errno. */
static inline int file_rules_map_create(const char *name)
{
	struct file_bpf *s = file_bpf__open();
	int fd;

	if (!s)
		return -1;
	fd = map_like(s->maps.file_rules, name);
	file_bpf__destroy(s);
	return fd;
}

#endif

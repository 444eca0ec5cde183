/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The run's file rules (an LPM trie keyed by policy id and path prefix,
 * filled by the agent: agent/daemon/kmaps.c), defined once. Every object
 * that includes this shares one pinned instance, by name: file_open, the
 * plain LSM hooks, and the UNIX socket names of landlock mode.
 */
#ifndef RAGGED_FILE_RULES_BPF_H
#define RAGGED_FILE_RULES_BPF_H

#include "ragged.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, RAGGED_MAX_FILE_RULES);
	__type(key, struct ragged_file_key);
	__type(value, struct ragged_file_rule);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} file_rules SEC(".maps");

#endif

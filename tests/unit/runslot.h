/* SPDX-License-Identifier: MIT */
/*
 * The run-slot map and the policy swap program, for unit tests that build
 * their maps by hand: the slot map as bpf/ragged.bpf.h declares it, and the
 * real ragged_swap_policy from bpf/net.bpf.c loaded against that map
 * (nothing pinned, nothing attached).
 */
#ifndef RAGGED_UT_RUNSLOT_H
#define RAGGED_UT_RUNSLOT_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "net.skel.h"

/* Sets a->bpf.runs_fd and a->bpf.swap_prog_fd; *skel is kept for the program. */
static inline int ut_runslot_open(struct agent *a, unsigned runs_max, struct net_bpf **skel)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	LIBBPF_OPTS(bpf_map_create_opts, o);

	a->bpf.swap_prog_fd = -1;
	a->bpf.runs_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, "ut_runs", sizeof(__u64),
					sizeof(struct ragged_run_slot), runs_max, &o);
	if (a->bpf.runs_fd < 0)
		return -1;
	*skel = net_bpf__open();
	if (!*skel)
		return -1;
	bpf_object__for_each_map(map, (*skel)->obj)
		bpf_map__set_pin_path(map, NULL);
	bpf_map__set_max_entries((*skel)->maps.events, 4096);
	bpf_object__for_each_program(prog, (*skel)->obj)
		bpf_program__set_autoload(prog, prog == (*skel)->progs.ragged_swap_policy);
	if (bpf_map__reuse_fd((*skel)->maps.runs, a->bpf.runs_fd) < 0 ||
	    net_bpf__load(*skel) < 0)
		return -1;
	a->bpf.swap_prog_fd = bpf_program__fd((*skel)->progs.ragged_swap_policy);
	return 0;
}

#endif

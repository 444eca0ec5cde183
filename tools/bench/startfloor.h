/* SPDX-License-Identifier: MIT */
/* startfloor.c: method F of startbench, the agent's kernel start steps alone. */
#ifndef RAGGED_STARTFLOOR_H
#define RAGGED_STARTFLOOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * What floor_spawn times, in ns: scratch, cgroups, policy, the steps before
 * the clone3 (the rest, to the program's first instruction, is the caller's:
 * the program may run before launch_run sees its exec).
 */
enum { FLOOR_PREP = 3 };

/*
 * Once: the filter and the cgroup subtree (named cgroup, beside the caller's
 * own cgroups as the agent's). mode: "landlock" or "bpf-lsm".
 */
int floor_init(const char *plugin_dir, const char *entry, const char *mode, const char *state_dir,
	       const char *cgroup, char *err, size_t errlen);
/* One start: returns 0 with the child's pid once it has exec'd, and the steps' times. */
int floor_spawn(int outfd, int errfd, pid_t *pid, uint64_t steps[FLOOR_PREP], char *err,
		size_t errlen);
/* After the child is reaped: remove its cgroups and scratch. */
void floor_reap(void);
/* Remove the cgroup subtree. */
void floor_fini(void);

#endif

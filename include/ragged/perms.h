/* SPDX-License-Identifier: MIT */
/*
 * Permission bits shared by the BPF programs and user space.
 *
 * A run's granted permissions travel to the kernel as one bitmask in its
 * policy (see policy.h), so the numbering here is ABI between the agent and
 * the pinned BPF objects: append only, never renumber.
 */
#ifndef RAGGED_PERMS_H
#define RAGGED_PERMS_H

enum ragged_perm {
	RAGGED_PERM_READ_DOCUMENTS = 0,
	RAGGED_PERM_WRITE_DOCUMENTS = 1,
	RAGGED_PERM_READ_CONFIG = 2,
	RAGGED_PERM_WRITE_CONFIG = 3,
	RAGGED_PERM_NETWORK_NONE = 4,
	RAGGED_PERM_NETWORK_API = 5,
	RAGGED_PERM_NETWORK_DOWNLOAD = 6,
	RAGGED_PERM_SYSTEM_EMBEDDING = 7,
	RAGGED_PERM_SYSTEM_VECTORSTORE = 8,
	RAGGED_PERM_SYSTEM_MEMORY = 9,
	RAGGED_PERM_COUNT = 10,
};

#define RAGGED_PERM_BIT(p) (1u << (p))
#define RAGGED_PERM_ALL ((1u << RAGGED_PERM_COUNT) - 1)

#endif

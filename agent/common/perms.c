// SPDX-License-Identifier: MIT
/*
 * The permission catalog of SPEC §2. The descriptions are what a user reads
 * before saying yes, so they name the consequence, not the mechanism.
 */
#include <stddef.h>
#include <string.h>

#include "perms.h"

/* Indexed by enum ragged_perm; the numbering is kernel ABI (ragged/perms.h). */
static const struct perm_info catalog[RAGGED_PERM_COUNT] = {
	[RAGGED_PERM_READ_DOCUMENTS] = { "read:documents", RISK_MEDIUM,
	    "Read the files in your document folders." },
	[RAGGED_PERM_WRITE_DOCUMENTS] = { "write:documents", RISK_HIGH,
	    "Create, change, rename and delete files in your document folders." },
	[RAGGED_PERM_READ_CONFIG] = { "read:config", RISK_MEDIUM,
	    "Read ragged's settings, which may include service addresses and keys." },
	[RAGGED_PERM_WRITE_CONFIG] = { "write:config", RISK_HIGH,
	    "Change ragged's settings, which affects every later ragged session." },
	[RAGGED_PERM_NETWORK_NONE] = { "network:none", RISK_NONE,
	    "No network access at all; this is the default." },
	[RAGGED_PERM_NETWORK_API] = { "network:api", RISK_HIGH,
	    "Connect to the internet addresses listed in the plugin's manifest, "
	    "which can send your data there." },
	[RAGGED_PERM_NETWORK_DOWNLOAD] = { "network:download", RISK_HIGH,
	    "Connect to any web server on the internet and save downloads in "
	    "the plugin's cache folder." },
	[RAGGED_PERM_SYSTEM_EMBEDDING] = { "system:embedding", RISK_MEDIUM,
	    "Use the local embedding service (such as Ollama) and read its model files." },
	[RAGGED_PERM_SYSTEM_VECTORSTORE] = { "system:vectorstore", RISK_MEDIUM,
	    "Use the local vector database that holds what ragged has indexed "
	    "from your documents." },
	[RAGGED_PERM_SYSTEM_MEMORY] = { "system:memory", RISK_MEDIUM,
	    "Read and change ragged's memory of your past conversations." },
};

const struct perm_info *
perm_info(enum ragged_perm p)
{
	if ((unsigned)p >= RAGGED_PERM_COUNT)
		return NULL;
	return &catalog[p];
}

int
perm_from_name(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < RAGGED_PERM_COUNT; i++)
		if (strcmp(catalog[i].name, name) == 0)
			return i;
	return -1;
}

const char *
perm_name(enum ragged_perm p)
{
	const struct perm_info *pi = perm_info(p);

	return pi ? pi->name : "unknown";
}

const char *
perm_risk_name(enum perm_risk r)
{
	switch (r) {
	case RISK_NONE:		return "none";
	case RISK_MEDIUM:	return "medium";
	case RISK_HIGH:		return "high";
	}
	return "unknown";
}

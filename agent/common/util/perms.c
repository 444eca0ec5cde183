// SPDX-License-Identifier: MIT
/*
 * The permission catalog of docs/contract.md §2. The descriptions are what a user reads
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

/* Levenshtein distance, capped: names are short (< 32 bytes). */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[33], cur[33];

	if (la > 32 || lb > 32)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);

			cur[j] = del < ins ? (del < sub ? del : sub) : (ins < sub ? ins : sub);
		}
		memcpy(prev, cur, sizeof(cur));
	}
	return prev[lb];
}

/*
 * The permission an unknown NAME most likely meant: the closest name within
 * a third of its length, or one whose half before or after the ':' matches
 * ("documents" -> "read:documents"); NULL when nothing is close.
 */
const char *
perm_suggest(const char *name)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, len;

	if (name == NULL || (len = strlen(name)) == 0 || len > 32)
		return NULL;
	for (int i = 0; i < RAGGED_PERM_COUNT; i++) {
		const char *n = catalog[i].name, *colon = strchr(n, ':');
		size_t d = edit_distance(name, n);

		if (colon && (strcmp(name, colon + 1) == 0 ||
			      (strncmp(name, n, (size_t)(colon - n)) == 0 && name[colon - n] == '\0')))
			d = 1;
		if (d < best_d) {
			best_d = d;
			best = n;
		}
	}
	return best && best_d * 3 <= (len > 6 ? len : 6) ? best : NULL;
}

cJSON *perm_mask_to_json(uint32_t mask)
{
	cJSON *arr = cJSON_CreateArray();

	for (int p = 0; arr && p < RAGGED_PERM_COUNT; p++)
		if (mask & RAGGED_PERM_BIT(p))
			cJSON_AddItemToArray(arr, cJSON_CreateString(perm_name((enum ragged_perm)p)));
	return arr;
}

int perm_mask_from_json(const cJSON *arr, uint32_t *mask)
{
	const cJSON *it;
	int rc = 0;

	*mask = 0;
	cJSON_ArrayForEach(it, arr) {
		int p = cJSON_IsString(it) ? perm_from_name(it->valuestring) : -1;

		if (p < 0)
			rc = -1;
		else
			*mask |= RAGGED_PERM_BIT(p);
	}
	return rc;
}

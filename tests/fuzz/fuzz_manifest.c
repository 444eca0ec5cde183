// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the manifest parser (and the TOML subset under it).
 * Beyond "no crash, no leak", it checks the promises manifest.h makes, so
 * a logic slip that lets a contradictory manifest through is a finding too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

static void
check_ok(const struct manifest *m)
{
	size_t i;

	if (m->name[0] == '\0' || m->version[0] == '\0' || m->entry_len < 1 ||
	    m->entry_len > MANIFEST_MAX_ENTRY || m->entry[m->entry_len] != NULL)
		abort();
	for (i = 0; i < m->entry_len; i++)
		if (m->entry[i] == NULL || m->entry[i][0] == '\0')
			abort();
	if ((m->required & m->optional) != 0 ||
	    ((m->required | m->optional) & ~RAGGED_PERM_ALL) != 0)
		abort();
	if (((m->required | m->optional) &
	    RAGGED_PERM_BIT(RAGGED_PERM_NETWORK_NONE)) &&
	    ((m->required | m->optional) &
	    (RAGGED_PERM_BIT(RAGGED_PERM_NETWORK_API) |
	    RAGGED_PERM_BIT(RAGGED_PERM_NETWORK_DOWNLOAD))))
		abort();
	if ((m->n_endpoints > 0) != (((m->required | m->optional) &
	    RAGGED_PERM_BIT(RAGGED_PERM_NETWORK_API)) != 0))
		abort();
	for (i = 0; i < m->n_endpoints; i++)
		if (m->endpoints[i].port == 0 || m->endpoints[i].host[0] == '\0' ||
		    m->endpoints[i].prefix > 128 || m->endpoints[i].line < 1)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m;
	char err[512];

	if (manifest_parse((const char *)data, size, "fuzz.toml", &m, err,
	    sizeof(err)) == 0) {
		check_ok(&m);
		manifest_free(&m);
		return 0;
	}
	/* An error is exactly one non-empty line, and nothing is left allocated. */
	if (err[0] == '\0' || strchr(err, '\n') != NULL || m.entry != NULL ||
	    m.endpoints != NULL || m.description != NULL)
		abort();
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the agent config parser. Checks the "never
 * half-loaded" promise: after an error the struct holds the defaults.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

static void
check_limits(const struct ragged_config *c)
{
	const struct config_limits *d = &c->limits, *m = &c->limits_max;

	if (d->memory_mb > m->memory_mb || d->cpu_seconds > m->cpu_seconds ||
	    d->pids > m->pids || d->scratch_mb > m->scratch_mb ||
	    (m->wall_seconds != 0 && (d->wall_seconds == 0 ||
	    d->wall_seconds > m->wall_seconds)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ragged_config c, def;
	char err[512];

	if (config_parse((const char *)data, size, "fuzz.toml", &c, err,
	    sizeof(err)) == 0) {
		check_limits(&c);
		if (c.socket_path[0] != '/' || c.cgroup_name[0] == '\0' ||
		    strcmp(c.root_run_as, "root") == 0)
			abort();
		config_free(&c);
		return 0;
	}
	config_defaults(&def);
	if (err[0] == '\0' || strchr(err, '\n') != NULL ||
	    strcmp(c.socket_path, def.socket_path) != 0 ||
	    memcmp(&c.limits, &def.limits, sizeof(c.limits)) != 0 ||
	    c.n_documents != def.n_documents)
		abort();
	config_free(&def);
	config_free(&c);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* Shared by `plugin validate` and `security report`: how the client sets up validation. */
#ifndef RAGGED_CMD_VALIDATE_H
#define RAGGED_CMD_VALIDATE_H

#include <stddef.h>

#include "validate/validate.h"

/*
 * Validation options from the agent config (config, else $RAGGED_CONFIG,
 * else /etc/ragged/agent.toml; defaults when unreadable): the advisory
 * database (osv if given, else $RAGGED_OSV_DB, else advisory_db) and the
 * local services' ports. osv_buf (len bytes) holds the database path.
 */
void ctl_validate_opts(const char *config, const char *osv, struct validate_opts *o,
		       char *osv_buf, size_t len);

#endif

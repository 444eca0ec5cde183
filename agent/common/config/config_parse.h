/* SPDX-License-Identifier: MIT */
/*
 * Additions to config.h that the tests, the fuzzer and the manifest parser
 * need (config.h is a frozen contract, so they live here).
 */
#ifndef RAGGED_CONFIG_PARSE_H
#define RAGGED_CONFIG_PARSE_H

#include <stddef.h>

#include "config.h"

#define CONFIG_MAX_BYTES (64 * 1024)

/*
 * Upper bounds for resource limits, shared by [limits] in the agent config
 * and in manifests: past these a value is a typo, not a policy.
 */
#define LIMIT_MEMORY_MB_MAX 1048576u	/* 1 TiB */
#define LIMIT_CPU_SECONDS_MAX 86400u	/* one day */
#define LIMIT_PIDS_MAX 32768u
#define LIMIT_WALL_SECONDS_MAX 604800u	/* one week */
#define LIMIT_SCRATCH_MB_MAX 1048576u

/*
 * Parse a config from a buffer over the defaults; the same contract as
 * config_load(): c is overwritten (its previous contents are not freed),
 * holds the defaults on error, and must be released with config_free()
 * whatever the outcome.
 */
int config_parse(const char *buf, size_t len, const char *filename,
		 struct ragged_config *c, char *err, size_t errlen);

#endif

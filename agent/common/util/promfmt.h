/* SPDX-License-Identifier: MIT */
/*
 * The agent's counters (the "metrics" object of a status reply) in the
 * Prometheus text exposition format: what the agent writes for
 * node_exporter's textfile collector and `raggedctl status --format
 * prometheus` prints, from one renderer.
 */
#ifndef RAGGED_PROMFMT_H
#define RAGGED_PROMFMT_H

#include <cjson/cJSON.h>

/* A malloc'd text, or NULL (out of memory, or METRICS not an object). */
char *prom_render(const cJSON *metrics);

#endif

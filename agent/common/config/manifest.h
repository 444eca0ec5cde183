/* SPDX-License-Identifier: MIT */
/* plugin.toml: the strict manifest of docs/contract.md §3. */
#ifndef RAGGED_MANIFEST_H
#define RAGGED_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ragged/perms.h"

#define MANIFEST_MAX_BYTES (64 * 1024)	/* size cap: larger files are rejected */
#define MANIFEST_NAME_MAX 64
#define MANIFEST_MAX_ENTRY 64
#define MANIFEST_MAX_ENDPOINTS 64

enum plugin_type {
	PLUGIN_EMBEDDER,
	PLUGIN_RETRIEVER,
	PLUGIN_PROCESSOR,
	PLUGIN_COMMAND,
};

struct manifest_endpoint {
	char host[256];		/* DNS name, IPv4/IPv6 literal, or CIDR base address */
	uint16_t port;
	bool is_cidr;
	uint8_t prefix;		/* CIDR prefix length when is_cidr */
	int line;		/* where it was declared */
};

struct manifest_limits {	/* 0 = not set in the manifest */
	uint32_t memory_mb;
	uint32_t cpu_seconds;
	uint32_t pids;
	uint32_t wall_seconds;
};

struct manifest {
	char name[MANIFEST_NAME_MAX + 1];
	char version[65];
	enum plugin_type type;
	char *description;
	char *author;
	char **entry;		/* argv, NULL-terminated, entry_len >= 1 */
	size_t entry_len;
	uint32_t required;	/* RAGGED_PERM_BIT() mask */
	uint32_t optional;
	struct manifest_endpoint *endpoints;
	size_t n_endpoints;
	struct manifest_limits limits;
	char **python_deps;	/* "name==version" etc., as written */
	size_t n_python_deps;
	uint8_t digest[32];	/* SHA-256 of the file's bytes */
};

/*
 * Parse a manifest. On error returns -1 and writes one line to err:
 * "FILE:LINE: KEY: message" (KEY omitted when the error is not about a key).
 * The manifest is zeroed on entry and fully freed on error.
 */
int manifest_parse(const char *buf, size_t len, const char *filename,
		   struct manifest *m, char *err, size_t errlen);
/* Read (size-capped, regular file only, O_NOFOLLOW) and parse. */
int manifest_load(const char *path, struct manifest *m, char *err, size_t errlen);
void manifest_free(struct manifest *m);
/* A deep copy of src into m: 0, or -1 (ENOMEM) with m empty. */
int manifest_dup(const struct manifest *src, struct manifest *m);

const char *plugin_type_name(enum plugin_type t);
/* Lowercase hex of the digest, 65 bytes with NUL. */
void manifest_digest_hex(const struct manifest *m, char out[65]);

#endif

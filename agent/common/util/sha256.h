/* SPDX-License-Identifier: MIT */
/*
 * SHA-256, the one digest of the product (audit chain, manifests, plugin
 * content, cache keys). Two implementations of the same symbols: sha256.c
 * (in the common archive) calls OpenSSL's, which uses the CPU's SHA
 * instructions, for the agent's audit writer; agent/ctl/sha256_nettle.c is
 * Nettle's that raggedctl links instead, so that starting the client
 * (every `raggedctl run`) does not load and relocate libcrypto.
 */
#ifndef RAGGED_SHA256_H
#define RAGGED_SHA256_H

#include <stddef.h>

#define SHA256_BYTES 32

/* Big enough for either implementation's state (each checks it fits). */
struct sha256 {
	_Alignas(8) unsigned char opaque[128];
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *p, size_t n);
void sha256_final(struct sha256 *c, unsigned char out[SHA256_BYTES]);
/* One call: out = SHA-256(p[0..n)). */
void sha256_digest(const void *p, size_t n, unsigned char out[SHA256_BYTES]);
/* Lowercase hex of a digest; out holds 2 * SHA256_BYTES + 1 bytes. */
void sha256_hex(const unsigned char md[SHA256_BYTES], char out[2 * SHA256_BYTES + 1]);

#endif

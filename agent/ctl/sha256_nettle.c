// SPDX-License-Identifier: MIT
/*
 * SHA-256 for raggedctl through Nettle: the same symbols as
 * agent/common/util/sha256.c (OpenSSL, the agent's), linked ahead of the
 * common archive, so starting the client (every `raggedctl run`) does not
 * load and relocate libcrypto; libnettle is small and needs nothing but libc.
 */
/* Ours declared first: Nettle's header defines macros with the same names. */
#include "util/util.h"

#include <nettle/sha2.h>

/*
 * Nettle names its functions through macros that would shadow ours (the
 * unit test renames ours instead and undoes them itself).
 */
#ifndef RAGGED_SHA256_RENAMED
#undef sha256_init
#undef sha256_update
#undef sha256_digest
#endif

_Static_assert(sizeof(struct sha256_ctx) <= sizeof(struct sha256), "struct sha256 too small");
_Static_assert(_Alignof(struct sha256_ctx) <= 8, "struct sha256 under-aligned");

void sha256_init(struct sha256 *c)
{
	nettle_sha256_init((struct sha256_ctx *)c->opaque);
}

void sha256_update(struct sha256 *c, const void *p, size_t n)
{
	if (n)
		nettle_sha256_update((struct sha256_ctx *)c->opaque, n, p);
}

void sha256_final(struct sha256 *c, unsigned char out[SHA256_BYTES])
{
	nettle_sha256_digest((struct sha256_ctx *)c->opaque, SHA256_BYTES, out);
}

void sha256_digest(const void *p, size_t n, unsigned char out[SHA256_BYTES])
{
	struct sha256 c;

	sha256_init(&c);
	sha256_update(&c, p, n);
	sha256_final(&c, out);
}

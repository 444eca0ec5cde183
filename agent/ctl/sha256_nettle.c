// SPDX-License-Identifier: MIT
/*
 * SHA-256 for raggedctl through Nettle: the same symbols as
 * agent/common/util/sha256.c (OpenSSL, the agent's), linked ahead of the
 * common archive, so starting the client (every `raggedctl run`) does not
 * load and relocate libcrypto. Nettle itself is loaded at the first hash
 * (dl.c): `raggedctl run` hashes nothing and never loads it.
 */
/* Ours declared first: Nettle's header defines macros with the same names. */
#include "util/util.h"

#include <nettle/sha2.h>

#include "ctl.h"

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

static struct {
	__typeof__(nettle_sha256_init) *init;
	__typeof__(nettle_sha256_update) *update;
	__typeof__(nettle_sha256_digest) *digest;
} N;

static void nettle_load(void)
{
	static const char *const names[] = {
		"nettle_sha256_init", "nettle_sha256_update", "nettle_sha256_digest",
	};
	void *slots[3];

	if (N.digest)
		return;
	ctl_dl_need(RAGGED_NETTLE_SONAME, names, slots, 3);
	N.init = (__typeof__(N.init))slots[0];
	N.update = (__typeof__(N.update))slots[1];
	N.digest = (__typeof__(N.digest))slots[2];
}

void sha256_init(struct sha256 *c)
{
	nettle_load();
	N.init((struct sha256_ctx *)c->opaque);
}

void sha256_update(struct sha256 *c, const void *p, size_t n)
{
	if (n)
		N.update((struct sha256_ctx *)c->opaque, n, p);
}

void sha256_final(struct sha256 *c, unsigned char out[SHA256_BYTES])
{
	N.digest((struct sha256_ctx *)c->opaque, SHA256_BYTES, out);
}

void sha256_digest(const void *p, size_t n, unsigned char out[SHA256_BYTES])
{
	struct sha256 c;

	sha256_init(&c);
	sha256_update(&c, p, n);
	sha256_final(&c, out);
}

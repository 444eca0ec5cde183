// SPDX-License-Identifier: MIT
/*
 * SHA-256 through OpenSSL's low-level calls (sha256.h says why there are
 * two implementations). OpenSSL 3 marks them deprecated, but its EVP path
 * sets up a provider context on every init: a third of the cost of hashing
 * a 500-byte audit record.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "sha256.h"

_Static_assert(sizeof(SHA256_CTX) <= sizeof(struct sha256), "struct sha256 too small");
_Static_assert(_Alignof(SHA256_CTX) <= 8, "struct sha256 under-aligned");

/* SHA256_Init/Update/Final cannot fail for SHA-256 on valid pointers. */
void sha256_init(struct sha256 *c)
{
	SHA256_Init((SHA256_CTX *)c->opaque);
}

void sha256_update(struct sha256 *c, const void *p, size_t n)
{
	if (n)
		SHA256_Update((SHA256_CTX *)c->opaque, p, n);
}

void sha256_final(struct sha256 *c, unsigned char out[SHA256_BYTES])
{
	SHA256_Final(out, (SHA256_CTX *)c->opaque);
}

/* Not SHA256(): OpenSSL 3 implements the one-shot call through EVP, a fetch by name per call. */
void sha256_digest(const void *p, size_t n, unsigned char out[SHA256_BYTES])
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, p, n);
	SHA256_Final(out, &c);
}

/* SPDX-License-Identifier: MIT */
/*
 * The audit log writer and verifier: JSON lines chained by SHA-256.
 *
 * A record's canonical form is its compact JSON without the "hash" member;
 * the writer prints exactly that (prev_hash last), hashes it, and replaces
 * the closing brace by ,"hash":"<hex>"}. So the hashed bytes are the line
 * minus its last 75 bytes, plus "}", and verification never re-serializes.
 * docs/audit-format.md is the reference for everything here.
 *
 * This header holds the internals their modules share: auditlog.c (the
 * writer: open, recovery, append, rotation, retention, sync), auditfmt.c
 * (the record serializer, the line check and the hasher) and auditverify.c
 * (the verifier). The public API is in auditlog.h and auditquery.h.
 */
#ifndef RAGGED_AUDIT_INT_H
#define RAGGED_AUDIT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "auditlog.h"

#define SUFFIX_LEN 75			/* ,"hash":"<64 hex>"} */
#define SEQ_MAX (1ULL << 53)		/* exact in a JSON number (double) */

/* The prev_hash of seq 1. */
extern const char audit_zero_hash[AUDITLOG_HASH_HEX + 1];

/* The record hasher: SHA-256 (sha256.h); kept as a type for the callers. */
struct hasher {
	int unused;
};

struct auditlog {
	struct auditlog_opts o;
	char *path, *tmp_path, *enforcement;
	int fd, dirfd;
	uint64_t size, seq, rotate_retry_at;
	char hash[AUDITLOG_HASH_HEX + 1];
	struct hasher h;
	/*
	 * buf holds the pending records (pend bytes of whole lines, newline
	 * included, not yet written: batch_bytes mode only), then the record
	 * being serialized (len bytes from buf + pend).
	 */
	char *buf;
	size_t bufsz, len, pend;
	size_t batch;			/* opts.batch_bytes, clamped; 0 = write-through */
	bool dirty, wedged;
	int64_t synced_ms;
	int sync_errno;
};

/* A parsed line and the members the chain is made of. */
struct line_rec {
	cJSON *rec;
	uint64_t seq;
	const char *prev, *hash, *event;
};

/* auditfmt.c: the hasher. */
int audit_hasher_init(struct hasher *h);
void audit_hasher_free(struct hasher *h);
/* Lowercase hex SHA-256 of a || b. */
int audit_hash2(struct hasher *h, const void *a, size_t alen, const void *b,
		size_t blen, char out[AUDITLOG_HASH_HEX + 1]);
/* 64 lowercase hex digits. */
bool audit_is_hash(const char *s);
/*
 * auditfmt.c: checks that need no neighbour. NULL, or the reason the line
 * fails them. lr->rec is set (or NULL) either way: the caller deletes it.
 */
const char *audit_line_check(struct hasher *h, const char *line, size_t len,
			     struct line_rec *lr);
/*
 * auditfmt.c: the canonical form of rec (everything but the hash) into
 * log->buf + log->pend, its length in log->len, keeping SUFFIX_LEN + 1
 * spare bytes for the hash. -1 with errno (EINVAL, EMSGSIZE, ENOMEM).
 */
int audit_serialize(struct auditlog *log, const cJSON *rec);

/* auditlog.c: clock_gettime(clk) in ms. */
int64_t audit_clock_ms(clockid_t clk);

#endif

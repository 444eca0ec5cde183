/* SPDX-License-Identifier: MIT */
/*
 * The tamper-evident audit log (docs/contract.md §6): one JSON object per line, each
 * carrying the SHA-256 of the previous one. docs/audit-format.md defines the
 * fields, the canonical form that is hashed, rotation, retention and crash
 * recovery. One writer per log (the agent's event loop); not thread-safe.
 * After fork(2) the child must not call any auditlog_* on its copy of the
 * parent's log (a flush there would write the parent's pending records).
 */
#ifndef RAGGED_AUDITLOG_H
#define RAGGED_AUDITLOG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#define AUDITLOG_HASH_HEX 64
#define AUDITLOG_RECORD_MAX (1024 * 1024)	/* one line, newline included */

enum auditlog_fsync {
	/*
	 * Page cache only: a crashed agent loses nothing, a power cut loses
	 * what the kernel had not written back (up to ~30 s by default).
	 */
	AUDITLOG_FSYNC_NEVER,
	/*
	 * fdatasync(2) at most every fsync_interval_ms, from append or from
	 * auditlog_sync(); a power cut loses at most one interval. The default.
	 */
	AUDITLOG_FSYNC_BATCH,
	/*
	 * fdatasync(2) after every record: nothing acknowledged is lost, but
	 * each record costs a device flush (see docs/audit-format.md).
	 */
	AUDITLOG_FSYNC_ALWAYS,
};

struct auditlog_opts {
	const char *path;		/* /var/log/ragged/audit.jsonl */
	uint64_t max_bytes;		/* rotate once the file reaches it; 0 = never */
	unsigned max_files;		/* rotated files kept; 0 = no count limit */
	unsigned max_age_days;		/* rotated files older are removed; 0 = keep */
	enum auditlog_fsync fsync;
	unsigned fsync_interval_ms;	/* BATCH; 0 = 1000 */
	/*
	 * 0 (the default): write-through, one write(2) per record, the record
	 * is in the file when append returns. Else records are kept in memory
	 * and written together, one write(2) per batch, once this many bytes
	 * are pending (clamped to AUDITLOG_BATCH_MAX), and always before
	 * append returns a line (line_out), by auditlog_flush, auditlog_sync,
	 * rotation, the log's own records and auditlog_close. The caller
	 * flushes at the end of each drain batch and before anyone reads the
	 * file (a query, a verify). FSYNC_ALWAYS ignores it (write-through).
	 */
	size_t batch_bytes;
	/*
	 * With has_read_group, read_group may read the log (a shipper's:
	 * rsyslog, Fluent Bit): the log, its rotated files and its directory
	 * get that group; files stay 0640, the directory 0750: nobody writes
	 * but the agent. Without it, the files keep the group they are created
	 * with (root's) and the directory is left as it is.
	 */
	bool has_read_group;
	gid_t read_group;
};

#define AUDITLOG_BATCH_MAX (1024 * 1024)

struct auditlog;

/*
 * Open or create the log (parent directories 0750, file 0640), take its
 * directory lock, recover seq and hash from the last record (of the newest
 * rotated file if the current one is empty), cut a torn tail and record
 * that as "audit_recovered", then apply retention. NULL with one line in
 * err when the state cannot be recovered: the chain is never restarted.
 */
struct auditlog *auditlog_open(const struct auditlog_opts *opts, char *err,
			       size_t errlen);

/*
 * Append one record. rec must be an object with a non-empty string "event";
 * it is not modified. The line written is its compact JSON in the order
 * timestamp (rec's, else now), seq, event, rec's other members, enforcement
 * (if set and rec has none), prev_hash, hash; members named seq, prev_hash
 * or hash in rec are ignored. Write-through: one write(2) of the line and
 * its newline. With batch_bytes: the line joins the pending batch, which is
 * written when full (see auditlog_opts). Rotation first when the file
 * (pending records included) has reached max_bytes. line_out (optional)
 * gets a malloc'd copy of the line without newline, for followers, and the
 * line is in the file before append returns (NULL if that allocation
 * failed; the record is written anyway). Returns 0, or -1 with errno
 * (EINVAL bad record, EMSGSIZE too big, ENOSPC/EIO/EFBIG... from the file):
 * then nothing of the record is left in the file or the batch and seq is
 * not consumed. Records accepted earlier that a failed batch write could
 * not write stay pending, in order (whole records that did reach the file
 * stay there; a torn one is cut off), and go with the next write.
 */
int auditlog_append(struct auditlog *log, const cJSON *rec, char **line_out);

/*
 * Write the pending records (batch_bytes mode), one write(2); 0 when none.
 * -1 with errno if the file refuses them: they stay pending, in order.
 */
int auditlog_flush(struct auditlog *log);
/* Bytes of records accepted but not yet written (batch_bytes mode). */
size_t auditlog_pending(const struct auditlog *log);

/*
 * auditlog_flush, then fdatasync now if anything is unsynced. -1 with errno
 * if either fails, or if a sync done by append (BATCH/ALWAYS) failed since
 * the last call: append has no way to report a sync failure for a record
 * already written.
 */
int auditlog_sync(struct auditlog *log);
/*
 * ms until a BATCH sync is due (an epoll timeout), -1 when none is pending;
 * 0 while records are pending in a batch (they are due now).
 */
int auditlog_sync_due_ms(const struct auditlog *log);
/* Apply max_files/max_age_days now (done on open and after each rotation). */
int auditlog_retention(struct auditlog *log);
/* Every later record gets "enforcement": mode unless it has its own. */
int auditlog_set_enforcement(struct auditlog *log, const char *mode);
/* Of the last record accepted (pending ones included). */
uint64_t auditlog_last_seq(const struct auditlog *log);
const char *auditlog_last_hash(const struct auditlog *log);
/* Flushes, syncs (unless NEVER), unlocks, frees. NULL is fine. */
void auditlog_close(struct auditlog *log);

struct auditlog_verify_result {
	uint64_t verified;		/* records whose hash, seq and link hold */
	uint64_t first_seq, last_seq;	/* of the verified records */
	char last_hash[AUDITLOG_HASH_HEX + 1];	/* head of the chain: keep a copy off-box */
	bool anchored;			/* starts at seq 1 or at an audit_retention anchor */
	uint64_t torn_bytes;		/* incomplete last line of the current file, skipped */
	/* The first broken record, when broken. */
	bool broken;
	char file[PATH_MAX];
	unsigned long line;
	uint64_t seq;			/* as found in the line, or the seq expected there */
	char reason[40];		/* "hash mismatch", "seq gap", "seq out of order",
					   "prev_hash mismatch", "unparsable line",
					   "malformed record" */
};

/*
 * Walk the rotated files oldest first, then the current file. Returns 0 if
 * the chain holds, 1 if broken (res says where and why), -1 with errno on
 * I/O errors (ENOENT: no log at all).
 */
int auditlog_verify(const char *path, struct auditlog_verify_result *res);
/* The same over a buffer holding one file's bytes (tests, fuzzing). */
int auditlog_verify_buf(const char *buf, size_t len, const char *name,
			struct auditlog_verify_result *res);

#endif

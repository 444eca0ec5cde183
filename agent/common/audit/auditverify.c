/* SPDX-License-Identifier: MIT */
/*
 * The audit log verifier: walks the chain over the files of a log (or one
 * buffer) and reports the first broken record. The line check and the
 * hasher are in auditfmt.c; docs/audit-format.md is the reference.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "audit_int.h"
#include "auditlog.h"
#include "auditquery.h"

/*
 * Verification: a state machine over lines, fed from the files or a buffer.
 * The chain's start is checked last: when the oldest records were removed
 * by retention, the newest audit_retention record names the last removed
 * seq and hash, and the first remaining record must continue from them.
 */
struct vstate {
	struct hasher h;
	struct auditlog_verify_result *res;
	bool started, probing, have_anchor;
	uint64_t expect, anchor_seq;
	char prev[AUDITLOG_HASH_HEX + 1], first_prev[AUDITLOG_HASH_HEX + 1];
	char anchor_hash[AUDITLOG_HASH_HEX + 1];
	char first_file[PATH_MAX];
	unsigned long first_line;
};

static int
broken(struct vstate *v, const char *file, unsigned long line, uint64_t seq,
       const char *why)
{
	struct auditlog_verify_result *r = v->res;

	r->broken = true;
	r->anchored = false;
	snprintf(r->file, sizeof(r->file), "%s", file);
	r->line = line;
	r->seq = seq;
	snprintf(r->reason, sizeof(r->reason), "%s", why);
	return 1;
}

/* After a seq gap: if the missing seq shows up later, records were moved, not removed. */
static int
probe(struct vstate *v, const char *line, size_t len)
{
	cJSON *rec = audit_parse_line(line, len);
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(rec, "seq");
	int rc = 0;

	if (cJSON_IsNumber(seq) && seq->valuedouble == (double)v->expect) {
		snprintf(v->res->reason, sizeof(v->res->reason), "seq out of order");
		rc = 1;
	}
	cJSON_Delete(rec);
	return rc;
}

static void
take_anchor(struct vstate *v, const cJSON *rec)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(rec, "details");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(d, "removed_through_seq");
	const char *h = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d,
	    "removed_last_hash"));

	if (cJSON_IsNumber(s) && s->valuedouble >= 1 && s->valuedouble <= (double)SEQ_MAX &&
	    h != NULL && audit_is_hash(h)) {
		v->have_anchor = true;
		v->anchor_seq = (uint64_t)s->valuedouble;
		memcpy(v->anchor_hash, h, sizeof(v->anchor_hash));
	}
}

static int
verify_line(const char *file, unsigned long lineno, const char *line, size_t len,
	    bool torn, bool last_file, void *arg)
{
	struct vstate *v = arg;
	struct auditlog_verify_result *r = v->res;
	struct line_rec lr;
	const char *why;
	int rc = 0;

	if (v->probing)
		return probe(v, line, len);
	if (torn && last_file) {	/* a crash, or a write in progress */
		r->torn_bytes = len;
		return 0;
	}
	if ((why = audit_line_check(&v->h, line, len, &lr)) != NULL)
		rc = broken(v, file, lineno, lr.seq != 0 ? lr.seq : v->expect, why);
	else if (!v->started) {
		v->started = true;
		r->first_seq = lr.seq;
		memcpy(v->first_prev, lr.prev, sizeof(v->first_prev));
		snprintf(v->first_file, sizeof(v->first_file), "%s", file);
		v->first_line = lineno;
		if (lr.seq == 1 && strcmp(lr.prev, audit_zero_hash) != 0)
			rc = broken(v, file, lineno, lr.seq, "prev_hash mismatch");
	} else if (lr.seq < v->expect) {
		rc = broken(v, file, lineno, lr.seq, "seq out of order");
	} else if (lr.seq > v->expect) {
		broken(v, file, lineno, lr.seq, "seq gap");
		v->probing = true;
	} else if (strcmp(lr.prev, v->prev) != 0) {
		rc = broken(v, file, lineno, lr.seq, "prev_hash mismatch");
	}
	if (!r->broken) {
		r->verified++;
		r->last_seq = lr.seq;
		memcpy(r->last_hash, lr.hash, sizeof(r->last_hash));
		memcpy(v->prev, lr.hash, sizeof(v->prev));
		v->expect = lr.seq + 1;
		if (lr.event != NULL && strcmp(lr.event, "audit_retention") == 0)
			take_anchor(v, lr.rec);
	}
	cJSON_Delete(lr.rec);
	return rc;
}

static int
verify_finish(struct vstate *v)
{
	struct auditlog_verify_result *r = v->res;

	if (r->broken || !v->started)
		return r->broken ? 1 : 0;
	if (r->first_seq == 1) {
		r->anchored = true;
	} else if (!v->have_anchor || v->anchor_seq + 1 < r->first_seq) {
		/* Records before the first one are gone and no retention accounts for them. */
		broken(v, v->first_file, v->first_line, r->first_seq, "seq gap");
	} else if (v->anchor_seq + 1 == r->first_seq &&
	    strcmp(v->anchor_hash, v->first_prev) != 0) {
		broken(v, v->first_file, v->first_line, r->first_seq, "prev_hash mismatch");
	} else {
		r->anchored = true;	/* anchored, or removal announced but not done yet */
	}
	return r->broken ? 1 : 0;
}

static int
vstate_init(struct vstate *v, struct auditlog_verify_result *res)
{
	memset(v, 0, sizeof(*v));
	memset(res, 0, sizeof(*res));
	v->res = res;
	v->expect = 1;
	if (audit_hasher_init(&v->h) < 0) {
		audit_hasher_free(&v->h);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* The newest rotated file's name: it changes when the writer rotates or removes. */
static uint64_t
files_epoch(const char *path)
{
	struct audit_files f;
	uint64_t e = 0;

	if (audit_files_list(path, &f) == 0) {
		e = f.n > (f.has_current ? 1u : 0u) ? f.last_seq[f.n - 1 - f.has_current] : 0;
		e = e * 1000003 + f.n;
		audit_files_free(&f);
	}
	return e;
}

int
auditlog_verify(const char *path, struct auditlog_verify_result *res)
{
	struct vstate v;
	uint64_t epoch;
	int rc, tries = 0;

	/* A rotation during the walk looks like a gap: walk again, a few times. */
	do {
		epoch = files_epoch(path);
		if (vstate_init(&v, res) < 0)
			return -1;
		rc = audit_files_each_line(path, verify_line, &v);
		if (rc >= 0)
			rc = verify_finish(&v);
		audit_hasher_free(&v.h);
	} while (rc == 1 && ++tries < 3 && files_epoch(path) != epoch);
	return rc;
}

int
auditlog_verify_buf(const char *buf, size_t len, const char *name,
		    struct auditlog_verify_result *res)
{
	struct vstate v;
	unsigned long lineno = 0;
	const char *p = buf, *end = buf + len, *nl;
	int rc = 0;

	if (vstate_init(&v, res) < 0)
		return -1;
	while (rc == 0 && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		rc = verify_line(name, ++lineno, p, nl != NULL ? (size_t)(nl - p) :
		    (size_t)(end - p), nl == NULL, true, &v);
		p = nl != NULL ? nl + 1 : end;
	}
	rc = verify_finish(&v);
	audit_hasher_free(&v.h);
	return rc;
}

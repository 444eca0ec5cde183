// SPDX-License-Identifier: MIT
/*
 * Audit records: the common fields of docs/contract.md §6, then one append to the
 * hash-chained log, then the same line to the publish hook (a->publish,
 * registered by the follower service, auditsrv.c: it queues the line for
 * every follower allowed to see it). The log is
 * written before anyone is told, so a follower never sees a record that is
 * not on disk; emitting never touches a socket, so it cannot end a client
 * (or its run) underneath whoever emitted. With [audit] journal, a copy of
 * the record goes to the journal as fields (journal.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent.h"
#include "log.h"
#include "audit/audit.h"
#include "util/util.h"
#include "proto/proto.h"

cJSON *auditrec_new(const struct agent *a, const char *event, const char *result)
{
	cJSON *rec = cJSON_CreateObject();

	if (!rec)
		return NULL;
	/* Stamped here, not by the writer: followers filter on it before the write returns. */
	{
		uint64_t ms = now_realtime_ms();
		char ts[32];

		format_rfc3339_ms((int64_t)ms, ts);
		cJSON_AddStringToObject(rec, "timestamp", ts);
	}
	cJSON_AddStringToObject(rec, "event", event);
	if (result)
		cJSON_AddStringToObject(rec, "result", result);
	cJSON_AddStringToObject(rec, "enforcement", mode_name(a->feat.mode));
	return rec;
}

/* A kernel record's time: its CLOCK_BOOTTIME stamp, on the wall clock. */
void auditrec_kernel_time(const struct agent *a, cJSON *rec, uint64_t boot_ns)
{
	int64_t real = (int64_t)boot_ns + a->boot_to_real_ns;
	char ts[32];

	format_rfc3339_ms(real / 1000000, ts);
	cJSON_AddStringToObject(rec, "timestamp", ts);
}

void auditrec_perms(cJSON *rec, const char *key, uint32_t mask)
{
	cJSON_AddItemToObject(rec, key, perm_mask_to_json(mask));
}

void auditrec_user(cJSON *rec, uid_t uid)
{
	char name[256];

	uid_name(uid, name, sizeof(name));
	cJSON_AddStringToObject(rec, "user_id", name);
	cJSON_AddNumberToObject(rec, "uid", uid);
}

void auditrec_run_fields(cJSON *rec, const struct run *r)
{
	cJSON_AddStringToObject(rec, "plugin", r->plugin);
	cJSON_AddStringToObject(rec, "version", r->version);
	cJSON_AddStringToObject(rec, "user_id", r->user);
	cJSON_AddNumberToObject(rec, "uid", r->owner);
	cJSON_AddStringToObject(rec, "run_id", r->run_id);
	auditrec_perms(rec, "permissions_used", r->perms);
}

int auditrec_emit(struct agent *a, cJSON *rec)
{
	char *line = NULL;
	int rc;

	if (!cJSON_GetObjectItemCaseSensitive(rec, "details"))
		cJSON_AddObjectToObject(rec, "details");
	/* Asking for the line writes the batch at once: only for followers. */
	rc = auditlog_append(a->audit, rec, a->publish && a->publish_wanted && a->publish_wanted(a) ? &line : NULL);
	if (rc < 0) {
		/* Say so: an unwritable audit log is an incident, not a detail. */
		log_msg(LOG_ERR, "audit write failed for %s",
			proto_str(rec, "event") ? proto_str(rec, "event") : "?");
		a->audit_errors++;
	} else {
		/* Through the hook: queued for followers, never sent from here. */
		if (line)
			a->publish(a, rec, line);
		/* A copy, after the log has it: a failure is counted, never acted on. */
		if (a->cfg.audit_journal &&
		    journal_send_record(rec, auditlog_last_seq(a->audit), auditlog_last_hash(a->audit)) < 0)
			a->journal_errors++;
	}
	free(line);
	cJSON_Delete(rec);
	return rc;
}

// SPDX-License-Identifier: MIT
/*
 * The dispatcher: one request from one client, handled and answered. The
 * transport (accepting, sending, ending clients) is clientio.c; nothing
 * here ends a client directly: a handler that is done with one (audit show
 * hands it to a worker) marks it, and the loop reaps it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "audit/audit.h"
#include "util/util.h"
#include "proto/proto.h"


/*
 * Open the agent socket and wire the services below the dispatcher to each
 * other through hooks, so none of them calls up: the audit sink publishes
 * to the follower service (auditsrv.c), the transport tells the run module
 * that a client is gone (runconsent.c).
 */
int server_listen(struct agent *a, char *err, size_t errlen)
{
	a->publish = auditsrv_publish;
	a->publish_wanted = auditsrv_following;
	a->client_gone = runs_client_gone;
	return clientio_listen(a, err, errlen);
}

/* An ok reply with data (taken over) and, for a list page, where the next one starts. */
static void reply_ok_next(struct client *c, cJSON *data, const char *next)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "type", "ok");
	if (data)
		cJSON_AddItemToObject(r, "data", data);
	if (next && next[0])
		cJSON_AddStringToObject(r, "next", next);
	client_send(c, r);
	cJSON_Delete(r);
}

static void reply_ok(struct client *c, cJSON *data)
{
	reply_ok_next(c, data, NULL);
}

static void handle_status(struct agent *a, struct client *c)
{
	cJSON *d = cJSON_CreateObject(), *k, *runs;
	int n = 0;

	cJSON_AddStringToObject(d, "enforcement", mode_name(a->feat.mode));
	cJSON_AddStringToObject(d, "reason", a->feat.reason);
	k = cJSON_AddObjectToObject(d, "kernel");
	cJSON_AddNumberToObject(k, "landlock_abi", a->feat.landlock_abi);
	cJSON_AddBoolToObject(k, "bpf_in_lsm_list", a->feat.lsm_has_bpf);
	cJSON_AddStringToObject(k, "bpf_lsm_load", a->feat.lsm_load_err ?
				strerror(a->feat.lsm_load_err) : "ok");
	cJSON_AddStringToObject(k, "cgroup_controllers",
				a->cg.v2_memory ? "v2" : "v1 (hybrid host)");
	/* Fail closed, and say so: without per-socket decisions, no AF_UNIX. */
	cJSON_AddStringToObject(k, "unix_sockets", !a->feat.unix_sockets ? "refused (no hook)" :
				a->feat.mode == MODE_BPF_LSM ? "peer must be the run's own" :
				"name must be under the run's scratch dir");
	for (struct run *r = a->runs; r; r = r->next)
		if (c->uid == 0 || r->owner == c->uid)
			n++;
	runs = cJSON_AddObjectToObject(d, "counters");
	cJSON_AddNumberToObject(runs, "active_runs", n);
	cJSON_AddNumberToObject(runs, "records_logged", (double)a->records_total);
	cJSON_AddNumberToObject(runs, "orphan_records", (double)a->orphan_records);
	cJSON_AddNumberToObject(runs, "audit_write_errors", (double)a->audit_errors);
	cJSON_AddNumberToObject(runs, "journal_send_errors", (double)a->journal_errors);
	/* Connections: a user sees its own, root everyone's and the refusals. */
	{
		int nc = 0, nf = 0;

		for (struct client *o = a->clients; o; o = o->next)
			if (!o->dead && (c->uid == 0 || o->uid == c->uid)) {
				nc++;
				nf += o->follow;
			}
		cJSON_AddNumberToObject(runs, "clients", nc);
		cJSON_AddNumberToObject(runs, "followers", nf);
		if (c->uid == 0)
			cJSON_AddNumberToObject(runs, "clients_refused", (double)a->clients_refused);
	}
	cJSON_AddItemToObject(d, "metrics", metrics_snapshot(a));
	reply_ok(c, d);
}

static void handle_install(struct agent *a, struct client *c, const cJSON *msg)
{
	char err[512];
	cJSON *e, *rec;
	int rc = registry_install(a, c->uid, proto_str(msg, "dir"), proto_bool(msg, "replace"),
				  proto_bool(msg, "accept_risk"), &e, err, sizeof(err));

	if (rc < 0) {
		reply_error(c, -rc, "%s", err);
		return;
	}
	rec = auditrec_new(a, "plugin_installed", "success");
	cJSON_AddStringToObject(rec, "plugin", proto_str(e, "name"));
	cJSON_AddStringToObject(rec, "version", proto_str(e, "version"));
	auditrec_user(rec, c->uid);
	cJSON_AddItemToObject(rec, "details", cJSON_Duplicate(e, 1));
	auditrec_emit(a, rec);
	reply_ok(c, e);
}

/*
 * The whole list, or with "after" one page of it: root's list holds every
 * user's plugins and outgrows one reply. A page is at most half a reply,
 * which the default socket buffers carry; "next" says where the next page
 * starts, and is left out after the last.
 */
static void handle_list(struct agent *a, struct client *c, const cJSON *msg)
{
	const char *after = proto_str(msg, "after");
	char next[MANIFEST_NAME_MAX + 32], err[256];
	cJSON *arr;
	int rc;

	if (!after) {
		if (registry_list(a, c->uid, &arr) < 0) {
			reply_error(c, 1, "cannot list plugins");
			return;
		}
		reply_ok(c, arr);
		return;
	}
	rc = registry_list_page(a, c->uid, after, PROTO_MAX_REPLY / 2, &arr, next, sizeof(next),
				err, sizeof(err));
	if (rc < 0) {
		reply_error(c, rc == -1 ? EXIT_BAD_INPUT : 1, "%s", err);
		return;
	}
	reply_ok_next(c, arr, next);
}

static void handle_vetting(struct agent *a, struct client *c, const cJSON *msg)
{
	char err[512];
	cJSON *d;

	if (registry_vetting(a, c->uid, msg, &d, err, sizeof(err)) < 0) {
		reply_error(c, 1, "%s", err);
		return;
	}
	reply_ok(c, d);
}

/* grant/revoke: by the plugin's owner, for permissions it declares. */
static void handle_consent(struct agent *a, struct client *c, const cJSON *msg, bool grant)
{
	const char *name = proto_str(msg, "plugin");
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(msg, "permissions"), *it;
	char err[512];
	const char *digest;
	uint32_t declared = 0, required = 0, want = 0, have = 0, now;
	cJSON *e, *rec;

	if (registry_lookup(a, c->uid, name, &e, err, sizeof(err)) < 0) {
		reply_error(c, 1, "%s", err);
		return;
	}
	digest = proto_str(e, "digest");
	if (perm_mask_from_json(cJSON_GetObjectItemCaseSensitive(e, "required"), &required) < 0 ||
	    perm_mask_from_json(cJSON_GetObjectItemCaseSensitive(e, "optional"), &declared) < 0) {
		/* A registry entry we cannot read grants nothing. */
		reply_error(c, 1, "registry entry for %s is corrupt; reinstall it", name);
		cJSON_Delete(e);
		return;
	}
	declared |= required;
	cJSON_ArrayForEach(it, list) {
		int p = cJSON_IsString(it) ? perm_from_name(it->valuestring) : -1;

		if (p < 0) {
			const char *sug = perm_suggest(it->valuestring);

			reply_error(c, EXIT_BAD_INPUT, "unknown permission: %.64s%s%s%s", it->valuestring,
				    sug ? " (did you mean " : "", sug ? sug : "", sug ? "?)" : "");
			cJSON_Delete(e);
			return;
		}
		if (!(declared & RAGGED_PERM_BIT(p))) {
			reply_error(c, EXIT_BAD_INPUT, "plugin %s does not declare %s", name, perm_name(p));
			cJSON_Delete(e);
			return;
		}
		want |= RAGGED_PERM_BIT(p);
	}
	if (!cJSON_GetArraySize(list)) {
		if (!grant) {
			reply_error(c, EXIT_BAD_INPUT, "revoke needs --permission");
			cJSON_Delete(e);
			return;
		}
		/* "grant NAME" with no list grants what the manifest requires. */
		want = required;
	}
	if (consent_granted(a, c->uid, name, digest, &have) < 0) {
		/* Fail closed and say so: nothing is changed over a store we cannot read. */
		reply_error(c, 1, "consent store for %s is unreadable: nothing granted, nothing "
			    "changed; remove it to start over", name);
		cJSON_Delete(e);
		return;
	}
	now = grant ? (have | want) : (have & ~want);
	if (consent_store(a, c->uid, name, digest, now, err, sizeof(err)) < 0) {
		reply_error(c, 1, "%s", err);
		cJSON_Delete(e);
		return;
	}
	rec = auditrec_new(a, grant ? "permission_granted" : "permission_revoked", "success");
	cJSON_AddStringToObject(rec, "plugin", name);
	cJSON_AddStringToObject(rec, "version", proto_str(e, "version"));
	auditrec_user(rec, c->uid);
	auditrec_perms(rec, "permissions_used", want);
	auditrec_emit(a, rec);
	/* Live change for runs of this plugin (bpf-lsm swaps maps). */
	runs_consent_changed(a, c->uid, name, now);
	reply_ok(c, NULL);
	cJSON_Delete(e);
}

/* raggedctl advisories update swapped new data in: record it (advisories.c). */
static void handle_advisories(struct agent *a, struct client *c)
{
	char err[PATH_MAX + 128] = "";
	cJSON *d;
	int rc;

	if (c->uid != 0) {
		reply_error(c, 1, "advisories_updated: only root updates the advisory data");
		return;
	}
	if ((rc = advisories_record(a, c, err, sizeof(err))) < 0) {
		reply_error(c, 1, "advisories_updated: %s", err);
		return;
	}
	d = cJSON_CreateObject();
	cJSON_AddBoolToObject(d, "recorded", rc == 1);
	reply_ok(c, d);
}

static void dispatch(struct agent *a, struct client *c, cJSON *msg, int *fds, int nfds)
{
	const char *cmd = proto_str(msg, "cmd");
	char err[256];

	/* Shape and version first (agent/common/proto/protocheck.c): a handler sees only well-formed requests. */
	if (proto_check_request(msg, nfds, err, sizeof(err)) < 0)
		reply_error(c, EXIT_BAD_INPUT, "%s", err);
	else if (strcmp(cmd, "status") == 0)
		handle_status(a, c);
	else if (strcmp(cmd, "plugin_install") == 0)
		handle_install(a, c, msg);
	else if (strcmp(cmd, "plugin_list") == 0)
		handle_list(a, c, msg);
	else if (strcmp(cmd, "plugin_vetting") == 0)
		handle_vetting(a, c, msg);
	else if (strcmp(cmd, "answer") == 0)
		consent_answer(a, c, msg);
	else if (strcmp(cmd, "catalog") == 0)
		catalog_reply(a, c);
	else if (strcmp(cmd, "permissions") == 0)
		consent_permissions(a, c, msg);
	else if (strcmp(cmd, "grant") == 0)
		handle_consent(a, c, msg, true);
	else if (strcmp(cmd, "revoke") == 0)
		handle_consent(a, c, msg, false);
	else if (strcmp(cmd, "run") == 0) {
		run_start(a, c, msg, fds, nfds);
		cJSON_Delete(msg);
		return;	/* run_start owns the fds */
	} else if (strcmp(cmd, "advisories_updated") == 0)
		handle_advisories(a, c);
	else if (strcmp(cmd, "audit_follow") == 0)
		auditsrv_follow(a, c, msg);
	else if (strcmp(cmd, "audit_show") == 0) {
		auditsrv_show(a, c, msg);
		cJSON_Delete(msg);
		return;	/* the client may be gone now: do not touch it */
	} else {	/* audit_verify: the table knows no other command */
		auditsrv_verify(a, c);
		cJSON_Delete(msg);
		return;
	}
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	cJSON_Delete(msg);
}

void server_client_event(struct agent *a, struct client *c, uint32_t events)
{
	int fds[PROTO_MAX_FDS], nfds = 0;
	cJSON *msg;
	int rc;

	if (c->dead)
		return;	/* reaped at the end of this pass */
	if (events & EPOLLOUT)
		client_flush_out(c);
	if (!(events & EPOLLIN)) {
		if (events & (EPOLLHUP | EPOLLERR))
			client_drop(c, NULL);
		return;
	}
	rc = proto_recv(c->fd, &msg, fds, &nfds);
	if (rc == 0 || (rc < 0 && errno != EAGAIN && errno != EMSGSIZE && errno != EBADMSG)) {
		client_drop(c, NULL);
		return;
	}
	if (rc < 0) {
		if (errno != EAGAIN)
			reply_error(c, 1, "malformed request: %s", strerror(errno));
		return;
	}
	dispatch(a, c, msg, fds, nfds);
}

// SPDX-License-Identifier: MIT
/*
 * Consent (docs/contract.md §4): deny by default; ask the person at the attached
 * raggedctl terminal; remember the answer per (user, plugin, manifest
 * digest); apply a change to running plugins at once where the mode allows.
 *
 *   first run:  required permissions not yet granted -> prompt on the
 *               caller's terminal (no terminal: denied, exit 77);
 *   on demand:  the plugin asks on its consent channel (fd 3, see
 *               docs/consent.md) for an optional permission -> prompt;
 *   live:       bpf-lsm swaps the run's policy in the maps; landlock mode
 *               applies network rules at once, file rules at the next run,
 *               and ends the run on a revoke (a domain cannot narrow).
 * Every request, grant, denial and revocation is an audit record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "util/util.h"
#include "proto/proto.h"

static void record(struct agent *a, const struct run *r, const char *event, const char *result,
		   uint32_t perms, const char *via)
{
	cJSON *rec = auditrec_new(a, event, result);

	auditrec_run_fields(rec, r);
	cJSON_DeleteItemFromObject(rec, "permissions_used");
	auditrec_perms(rec, "permissions_used", perms);
	if (via)
		cJSON_AddStringToObject(cJSON_AddObjectToObject(rec, "details"), "via", via);
	auditrec_emit(a, rec);
}

static void digest_of(const struct run *r, char out[65])
{
	manifest_digest_hex(&r->m, out);
}

int consent_admit(struct agent *a, struct client *c, const cJSON *msg, struct run *r,
		  uint32_t *granted, uint32_t *need, int *code, char *err, size_t errlen)
{
	const char *name = proto_str(msg, "plugin");
	char mpath[PATH_MAX], digest[65];
	const char *want;
	cJSON *e;

	*code = EXIT_SANDBOX;
	*need = 0;
	if (registry_lookup(a, c->uid, name, &e, err, errlen) < 0)
		return -1;
	snprintf(r->plugin, sizeof(r->plugin), "%s", name);
	snprintf(r->plugin_dir, sizeof(r->plugin_dir), "%s", proto_str(e, "dir") ?: "");
	want = proto_str(e, "digest");
	if (xsnprintf(mpath, sizeof(mpath), "%s/plugin.toml", r->plugin_dir) < 0 ||
	    manifest_load(mpath, &r->m, err, errlen) < 0) {
		cJSON_Delete(e);
		return -1;
	}
	snprintf(r->version, sizeof(r->version), "%s", r->m.version);
	digest_of(r, digest);
	if (!want || strcmp(want, digest) != 0) {
		snprintf(err, errlen, "%s changed since it was installed; review it and run "
			 "`raggedctl plugin install --replace %s`", mpath, r->plugin_dir);
		cJSON_Delete(e);
		return -1;
	}
	/* Re-checked before every run (cached by content digest). */
	{
		const char *acc = proto_str(e, "accepted_risk_digest");
		char vd[65];
		cJSON *vet = NULL;
		int vrc = vet_plugin(a, r->plugin_dir, &r->m, c->uid, false, false, &vet, vd,
				     err, errlen);

		/* Content changed since install: what this check found is kept for the report. */
		registry_note_vetting(a, c->uid, e, vet);
		cJSON_Delete(vet);

		/* Blocked, unless the user accepted exactly this content's risk. */
		if (vrc < 0 || (vrc == 1 && !(acc && strcmp(acc, vd) == 0))) {
			cJSON_Delete(e);
			return -1;
		}
	}
	cJSON_Delete(e);
	if (run_account(a, c, r, err, errlen) < 0)
		return -1;
	if (consent_granted(a, c->uid, name, digest, granted) < 0) {
		*code = EXIT_CONSENT;
		snprintf(err, errlen, "consent store for %s is unreadable: nothing is granted", name);
		return -1;
	}
	/* Only what the manifest declares can be in force, whatever the store says. */
	*granted &= r->m.required | r->m.optional;
	*need = r->m.required & ~*granted;
	if (*need && proto_bool(msg, "yes")) {
		/* --yes grants exactly what the first-run prompt would have shown. */
		if (consent_store(a, c->uid, name, digest, *granted | *need, err, errlen) < 0)
			return -1;
		record(a, r, "permission_granted", "success", *need, "--yes");
		*granted |= *need;
		*need = 0;
	}
	if (*need && !c->tty) {
		*code = EXIT_CONSENT;
		snprintf(err, errlen, "consent not given for %s (required: %d permission(s)) and no "
			 "terminal to ask on; grant with `raggedctl plugin grant %s` or run with --yes",
			 name, __builtin_popcount(*need), name);
		return -1;
	}
	if (*need)
		record(a, r, "permission_requested", "pending", *need, "first run");
	return 0;
}

/*
 * Every endpoint network:api would grant, as the manifest spells it, and
 * where it leads when that is this host, its link or a private network.
 */
cJSON *consent_endpoints_json(const struct manifest *m, bool *any_local)
{
	cJSON *arr = cJSON_CreateArray();

	*any_local = false;
	for (size_t i = 0; arr && i < m->n_endpoints; i++) {
		const struct manifest_endpoint *ep = &m->endpoints[i];
		const char *scope = net_endpoint_scope(ep->host, ep->is_cidr, ep->prefix);
		cJSON *o = cJSON_CreateObject();
		char s[300];

		net_format_endpoint(s, sizeof(s), ep->host, ep->is_cidr, ep->prefix, ep->port);
		cJSON_AddStringToObject(o, "endpoint", s);
		if (scope) {
			cJSON_AddStringToObject(o, "reaches", scope);
			*any_local = true;
		}
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

void consent_prompt(struct client *c, const struct run *r, uint32_t perms, const char *kind)
{
	cJSON *m = cJSON_CreateObject(), *arr;

	cJSON_AddStringToObject(m, "type", "prompt");
	cJSON_AddStringToObject(m, "kind", kind);
	cJSON_AddStringToObject(m, "plugin", r->plugin);
	cJSON_AddStringToObject(m, "version", r->version);
	arr = cJSON_AddArrayToObject(m, "permissions");
	for (int p = 0; p < RAGGED_PERM_COUNT; p++) {
		const struct perm_info *pi;
		cJSON *o;

		if (!(perms & RAGGED_PERM_BIT(p)) || !(pi = perm_info(p)))
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", pi->name);
		if (p == RAGGED_PERM_NETWORK_API) {
			/* Every endpoint is shown; one that reaches this host, its
			 * link or a private network makes the permission high risk. */
			bool local;
			cJSON *eps = consent_endpoints_json(&r->m, &local);

			cJSON_AddStringToObject(o, "risk", perm_risk_name(local ? RISK_HIGH : pi->risk));
			cJSON_AddItemToObject(o, "endpoints", eps);
		} else {
			cJSON_AddStringToObject(o, "risk", perm_risk_name(pi->risk));
		}
		cJSON_AddStringToObject(o, "description", pi->description);
		cJSON_AddItemToArray(arr, o);
	}
	client_send(c, m);
	cJSON_Delete(m);
}

/* Rebuild the run's policy for a new consent set and swap it in. */
static const char *apply_live(struct agent *a, struct run *r, uint32_t granted)
{
	struct policy np;
	char err[256];

	if (policy_build(a, r, &r->m, granted, &np, err, sizeof(err)) < 0 ||
	    kmaps_install(a, r, &np, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "live policy change for %s failed: %s", r->plugin, err);
		return NULL;
	}
	policy_free(&r->pol);
	r->pol = np;
	r->granted = granted;
	/* Landlock cannot widen a running domain: file rules wait for the next run. */
	return a->feat.mode == MODE_BPF_LSM ? "now" : "network now, files at the next run";
}

/*
 * The agent never waits for a plugin: the channel is non-blocking and a
 * reply the plugin's unread backlog leaves no room for (CHAN_SNDBUF,
 * docs/consent.md) ends the channel, recorded, instead of stalling the loop.
 */
void consent_channel_close(struct agent *a, struct run *r, const char *why)
{
	if (r->chan_fd < 0)
		return;
	ep_del(a, r->chan_fd);
	close(r->chan_fd);
	r->chan_fd = -1;
	if (why) {
		cJSON *rec = auditrec_new(a, "consent_channel_closed", "denied");

		auditrec_run_fields(rec, r);
		cJSON_AddStringToObject(cJSON_AddObjectToObject(rec, "details"), "reason", why);
		auditrec_emit(a, rec);
	}
}

static void chan_reply(struct agent *a, struct run *r, const char *perm, bool granted,
		       const char *what)
{
	cJSON *m = cJSON_CreateObject();
	char *text;

	cJSON_AddStringToObject(m, "permission", perm);
	cJSON_AddBoolToObject(m, "granted", granted);
	cJSON_AddStringToObject(m, granted ? "effective" : "reason", what);
	text = cJSON_PrintUnformatted(m);
	cJSON_Delete(m);
	if (r->chan_fd >= 0 && text &&
	    send(r->chan_fd, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)strlen(text))
		consent_channel_close(a, r, errno == EAGAIN || errno == ENOBUFS
				      ? "the plugin does not read its consent replies"
				      : NULL);
	free(text);
}

/* A record the plugin can cause at will: rate-limited per run (flood.c), counted exactly. */
static void plugin_record(struct agent *a, struct run *r, const char *event, const char *result,
			  uint32_t perms, const char *via)
{
	if (!flood_agent_record(a, r, event, via, perms))
		record(a, r, event, result, perms, via);
}

static void free_pending(struct pending_run *p)
{
	for (int i = 0; i < 3; i++)
		close(p->fds[i]);
	cJSON_Delete(p->args);
	manifest_free(&p->r->m);
	free(p->r);
	free(p);
}

void consent_answer(struct agent *a, struct client *c, const cJSON *msg)
{
	bool yes = proto_bool(msg, "yes");
	char digest[65], err[256];

	if (c->pending) {
		struct pending_run *p = c->pending;
		struct run *r = p->r;

		c->pending = NULL;
		digest_of(r, digest);
		if (!yes) {
			run_refuse(a, c, r, EXIT_CONSENT, "permission_denied",
				   "consent refused at the prompt");
			free_pending(p);
			return;
		}
		if (consent_store(a, c->uid, r->plugin, digest, p->granted | p->need, err,
				  sizeof(err)) < 0) {
			run_refuse(a, c, r, EXIT_SANDBOX, "plugin_failed", err);
			free_pending(p);
			return;
		}
		record(a, r, "permission_granted", "success", p->need, "prompt");
		run_launch(a, c, r, p->granted | p->need, p->fds, p->args);
		cJSON_Delete(p->args);
		free(p);
		return;
	}
	if (c->asking && c->run) {
		struct run *r = c->run;
		uint32_t bit = c->asking;
		const char *name = perm_name(__builtin_ctz(bit)), *eff;

		c->asking = 0;
		consent_resume(a, r);
		digest_of(r, digest);
		if (!yes) {
			record(a, r, "permission_denied", "denied", bit, "prompt");
			chan_reply(a, r, name, false, "the user said no");
			return;
		}
		/* Apply first: a grant that cannot take effect is not stored either. */
		eff = apply_live(a, r, r->granted | bit);
		if (!eff) {
			chan_reply(a, r, name, false, "the policy could not be updated");
			return;
		}
		if (consent_store(a, r->owner, r->plugin, digest, r->granted, err, sizeof(err)) < 0) {
			/* In force for this run only; the next run asks again. */
			record(a, r, "permission_granted", "success", bit, "prompt (this run only)");
			chan_reply(a, r, name, true, "this run only: the consent store could not be written");
			return;
		}
		record(a, r, "permission_granted", "success", bit, "prompt");
		chan_reply(a, r, name, true, eff);
		return;
	}
	reply_error(c, 1, "no question is pending");
}

/* The plugin asks, on its channel: {"request":"network:api","reason":"..."}. */
void consent_channel_event(struct agent *a, struct run *r)
{
	int fds[PROTO_MAX_FDS], nfds = 0, p;
	const char *name;
	cJSON *msg;
	int rc = proto_recv(r->chan_fd, &msg, fds, &nfds);

	for (int i = 0; i < nfds; i++)
		close(fds[i]);	/* a plugin has no business sending us descriptors */
	if (rc <= 0) {
		if (rc < 0 && errno == EAGAIN)
			return;
		consent_channel_close(a, r, NULL);
		return;
	}
	r->chan_requests++;
	name = proto_str(msg, "request");
	p = name ? perm_from_name(name) : -1;
	if (p < 0) {
		chan_reply(a, r, name ? name : "", false, "unknown permission");
		cJSON_Delete(msg);
		return;
	}
	plugin_record(a, r, "permission_requested", "pending", RAGGED_PERM_BIT(p), "plugin");
	if (r->granted & RAGGED_PERM_BIT(p)) {
		chan_reply(a, r, name, true, "already granted");
	} else if (!((r->m.optional | r->m.required) & RAGGED_PERM_BIT(p))) {
		plugin_record(a, r, "permission_denied", "denied", RAGGED_PERM_BIT(p), "not declared");
		chan_reply(a, r, name, false, "not declared in the manifest");
	} else if (!r->client || r->client->dead || !r->client->tty || r->client->asking) {
		plugin_record(a, r, "permission_denied", "denied", RAGGED_PERM_BIT(p), "no terminal");
		chan_reply(a, r, name, false, "nobody to ask: no terminal attached");
	} else if (consent_pause(a, r) < 0) {
		/* Never ask while the plugin could draw over the question. */
		plugin_record(a, r, "permission_denied", "denied", RAGGED_PERM_BIT(p), "run not paused");
		chan_reply(a, r, name, false, "the run could not be paused for the question");
	} else {
		r->client->asking = RAGGED_PERM_BIT(p);
		consent_prompt(r->client, r, RAGGED_PERM_BIT(p), "optional");
	}
	cJSON_Delete(msg);
}

void consent_client_gone(struct agent *a, struct client *c)
{
	if (c->pending) {
		struct pending_run *p = c->pending;

		c->pending = NULL;
		record(a, p->r, "permission_denied", "denied", p->need, "prompt abandoned");
		free_pending(p);
	}
	if (c->asking && c->run) {
		consent_resume(a, c->run);
		record(a, c->run, "permission_denied", "denied", c->asking, "prompt abandoned");
		chan_reply(a, c->run, perm_name(__builtin_ctz(c->asking)), false, "the user went away");
		c->asking = 0;
	}
}

/* A consent change from `plugin grant|revoke`: apply it to the plugin's runs. */
void runs_consent_changed(struct agent *a, uid_t owner, const char *plugin, uint32_t granted)
{
	for (struct run *r = a->runs, *next; r; r = next) {
		uint32_t now;

		next = r->next;
		if (r->owner != owner || strcmp(r->plugin, plugin) != 0)
			continue;
		now = granted & (r->m.required | r->m.optional);
		if (now == r->granted)
			continue;
		if (a->feat.mode == MODE_BPF_LSM || !(r->granted & ~now)) {
			/* bpf-lsm: any change; landlock: a pure widening (network now). */
			if (apply_live(a, r, now))
				continue;
			/* A widening that could not apply waits for the next run. */
			if (!(r->granted & ~now))
				continue;
		}
		/*
		 * Landlock cannot narrow a running domain: end the instance
		 * (docs/contract.md §7). Also the fallback when a live swap failed.
		 */
		{
			cJSON *rec = auditrec_new(a, "permission_revoked", "killed");

			auditrec_run_fields(rec, r);
			cJSON_AddStringToObject(cJSON_AddObjectToObject(rec, "details"), "action",
						"running instance ended: permission cannot be narrowed live");
			auditrec_emit(a, rec);
		}
		run_abort(a, r);
	}
}

/* raggedctl plugin permissions NAME: declared, granted or not, since when. */
void consent_permissions(struct agent *a, struct client *c, const cJSON *msg)
{
	const char *name = proto_str(msg, "plugin");
	char err[256];
	cJSON *e, *store, *out, *g, *d;
	const char *digest, *sdigest;
	static const char *const kinds[] = { "required", "optional" };

	if (registry_lookup(a, c->uid, name, &e, err, sizeof(err)) < 0) {
		reply_error(c, 1, "%s", err);
		return;
	}
	store = consent_read(a, c->uid, name);
	digest = proto_str(e, "digest");
	sdigest = store ? proto_str(store, "digest") : NULL;
	g = sdigest && digest && strcmp(sdigest, digest) == 0 ?
		cJSON_GetObjectItemCaseSensitive(store, "granted") : NULL;
	out = cJSON_CreateArray();
	for (int k = 0; k < 2; k++) {
		const cJSON *it;

		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(e, kinds[k])) {
			int p = cJSON_IsString(it) ? perm_from_name(it->valuestring) : -1;
			const struct perm_info *pi = p >= 0 ? perm_info(p) : NULL;
			const cJSON *since = pi ? cJSON_GetObjectItemCaseSensitive(g, pi->name) : NULL;

			if (!pi)
				continue;
			d = cJSON_CreateObject();
			cJSON_AddStringToObject(d, "permission", pi->name);
			cJSON_AddStringToObject(d, "kind", kinds[k]);
			cJSON_AddStringToObject(d, "risk", perm_risk_name(pi->risk));
			cJSON_AddStringToObject(d, "status", cJSON_IsString(since) ? "granted" : "not granted");
			cJSON_AddStringToObject(d, "since", cJSON_IsString(since) ? since->valuestring : "-");
			cJSON_AddStringToObject(d, "description", pi->description);
			cJSON_AddItemToArray(out, d);
		}
	}
	{
		cJSON *r = cJSON_CreateObject();

		cJSON_AddStringToObject(r, "type", "ok");
		cJSON_AddItemToObject(r, "data", out);
		client_send(c, r);
		cJSON_Delete(r);
	}
	cJSON_Delete(store);
	cJSON_Delete(e);
}

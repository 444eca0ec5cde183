// SPDX-License-Identifier: MIT
/*
 * The run side of consent (docs/consent.md): what happens to a run once
 * consent.c has decided. The answer to a first-run prompt launches or
 * refuses the run; the plugin's consent channel (fd 3) asks for optional
 * permissions; a grant or revoke changes running plugins at once where the
 * mode allows:
 *   live:  bpf-lsm swaps the run's policy in the maps; landlock mode
 *          applies network rules at once, file rules at the next run, and
 *          ends the run on a revoke (a domain cannot narrow).
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
		consent_record(a, r, event, result, perms, via);
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
		manifest_digest_hex(&r->m, digest);
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
		consent_record(a, r, "permission_granted", "success", p->need, "prompt");
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
		manifest_digest_hex(&r->m, digest);
		if (!yes) {
			consent_record(a, r, "permission_denied", "denied", bit, "prompt");
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
			consent_record(a, r, "permission_granted", "success", bit, "prompt (this run only)");
			chan_reply(a, r, name, true, "this run only: the consent store could not be written");
			return;
		}
		consent_record(a, r, "permission_granted", "success", bit, "prompt");
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
		consent_record(a, p->r, "permission_denied", "denied", p->need, "prompt abandoned");
		free_pending(p);
	}
	if (c->asking && c->run) {
		consent_resume(a, c->run);
		consent_record(a, c->run, "permission_denied", "denied", c->asking, "prompt abandoned");
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

/*
 * The transport's hook (a->client_gone), from client_close: a question the
 * client left open is abandoned, and a run whose client went away has
 * nobody to answer to, so it ends.
 */
void runs_client_gone(struct agent *a, struct client *c)
{
	struct run *r = c->run;

	/*
	 * Killed before the abandoned question is settled: settling it thaws
	 * the run and refuses on its channel, and a plugin running between
	 * that and the kill could act on the answer or exit 0 (a run its user
	 * walked out of must not close as a success).
	 */
	if (r)
		run_cgroup_kill(&a->cg, &r->cg);
	consent_client_gone(a, c);
	if (r) {
		c->run = NULL;
		r->client = NULL;
		run_abort(a, r);
	}
}

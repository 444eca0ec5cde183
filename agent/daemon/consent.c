// SPDX-License-Identifier: MIT
/*
 * Consent decides (docs/contract.md §4): deny by default; admit a run with
 * what is granted, ask the person at the attached raggedctl terminal, or
 * refuse; answers are remembered per (user, plugin, manifest digest) in the
 * registry's consent store. Carrying a decision out (the answer, the
 * plugin's channel, live changes to running plugins) is the run module's:
 * runconsent.c. Nothing here calls back into run lifecycle.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "util/util.h"
#include "proto/proto.h"

/* A consent record about a run: the permissions it concerns, how it came about. */
void consent_record(struct agent *a, const struct run *r, const char *event, const char *result,
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
	/* The installed version until the manifest is read: a refusal record names one either way. */
	snprintf(r->version, sizeof(r->version), "%s", proto_str(e, "version") ?: "?");
	snprintf(r->plugin_dir, sizeof(r->plugin_dir), "%s", proto_str(e, "dir") ?: "");
	want = proto_str(e, "digest");
	if (xsnprintf(mpath, sizeof(mpath), "%s/plugin.toml", r->plugin_dir) < 0 ||
	    manifest_load_cached(a, mpath, &r->m, err, errlen) < 0) {
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
		consent_record(a, r, "permission_granted", "success", *need, "--yes");
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
		consent_record(a, r, "permission_requested", "pending", *need, "first run");
	return 0;
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

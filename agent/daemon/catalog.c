// SPDX-License-Identifier: MIT
/*
 * raggedctl permissions: every permission, its risk and description, and
 * what it grants the caller on this machine. "What it grants" is not a
 * second description of the rules: it is, permission by permission, the
 * policy a run of the caller would get with that permission alone granted
 * (policy_build, the one owner of that logic): the rules it contributes.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent.h"
#include "config/config.h"
#include "util/util.h"

static void add_files(cJSON *arr, const struct policy *p, uint32_t perm)
{
	for (size_t i = 0; i < p->n_files; i++) {
		const struct file_rule *f = &p->files[i];
		size_t n = strlen(f->path);
		cJSON *o;

		/* A tree is two rules (dir and "dir/"): show the tree once. */
		if (f->perm != perm || (n > 1 && f->path[n - 1] == '/'))
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "path", f->path);
		cJSON_AddStringToObject(o, "access", f->access & RAGGED_ACC_WRITE ? "read-write" : "read");
		cJSON_AddItemToArray(arr, o);
	}
}

static void add_nets(cJSON *arr, const struct policy *p, uint32_t perm)
{
	for (size_t i = 0; i < p->n_nets; i++) {
		const struct net_rule *nr = &p->nets[i];
		char addr[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 16];
		cJSON *o;

		if (nr->perm != perm || !inet_ntop(nr->family, nr->addr, addr, sizeof(addr)))
			continue;
		o = cJSON_CreateObject();
		snprintf(text, sizeof(text), "%s/%u", addr, nr->prefix);
		cJSON_AddStringToObject(o, "address", text);
		cJSON_AddNumberToObject(o, "port", nr->port);
		cJSON_AddStringToObject(o, "protocol",
			!nr->proto_mask ? "denied" :
			nr->proto_mask == ((1u << IPPROTO_TCP) | (1u << IPPROTO_UDP)) ? "tcp+udp" :
			nr->proto_mask & (1u << IPPROTO_TCP) ? "tcp" : "udp");
		cJSON_AddItemToArray(arr, o);
	}
}

void catalog_reply(struct agent *a, struct client *c)
{
	struct run *r = calloc(1, sizeof(*r));
	struct manifest m = { 0 };
	struct policy p = { 0 };
	char err[256];
	cJSON *out, *rep;

	if (!r) {
		reply_error(c, 1, "out of memory");
		return;
	}
	/* The caller's account and home, as for a run; placeholders for the per-run parts. */
	if (run_account(a, c, r, err, sizeof(err)) < 0) {
		reply_error(c, 1, "%s", err);
		free(r);
		return;
	}
	snprintf(r->plugin, sizeof(r->plugin), "PLUGIN");
	snprintf(r->plugin_dir, sizeof(r->plugin_dir), "/PLUGIN-DIR");
	snprintf(r->scratch, sizeof(r->scratch), "/SCRATCH");
	out = cJSON_CreateArray();
	for (int i = 0; i < RAGGED_PERM_COUNT; i++) {
		const struct perm_info *pi = perm_info(i);
		cJSON *o;

		if (policy_build(a, r, &m, RAGGED_PERM_BIT(i), &p, err, sizeof(err)) < 0) {
			reply_error(c, 1, "%s: %s", pi->name, err);
			cJSON_Delete(out);
			free(r);
			return;
		}
		o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "permission", pi->name);
		cJSON_AddStringToObject(o, "risk", perm_risk_name(pi->risk));
		cJSON_AddStringToObject(o, "description", pi->description);
		add_files(cJSON_AddArrayToObject(o, "files"), &p, (uint32_t)i);
		add_nets(cJSON_AddArrayToObject(o, "network"), &p, (uint32_t)i);
		if (i == RAGGED_PERM_NETWORK_API)	/* the rest is in each plugin's manifest */
			cJSON_AddStringToObject(o, "note", "plus the endpoints the plugin's manifest declares");
		cJSON_AddItemToArray(out, o);
		policy_free(&p);
	}
	free(r);
	rep = cJSON_CreateObject();
	cJSON_AddStringToObject(rep, "type", "ok");
	cJSON_AddItemToObject(rep, "data", out);
	client_send(c, rep);
	cJSON_Delete(rep);
}

// SPDX-License-Identifier: MIT
#include "protocheck.h"

#include <stdio.h>
#include <string.h>

#define END { NULL, PF_STRING, false }

static const struct pfield f_none[] = { END };
static const struct pfield f_install[] = {
	{ "dir", PF_STRING, true }, { "replace", PF_BOOL, false },
	{ "accept_risk", PF_BOOL, false }, END
};
static const struct pfield f_answer[] = { { "yes", PF_BOOL, true }, END };
static const struct pfield f_plugin[] = { { "plugin", PF_STRING, true }, END };
static const struct pfield f_consent[] = {
	{ "plugin", PF_STRING, true }, { "permissions", PF_STRINGS, false }, END
};
static const struct pfield f_run[] = {
	{ "plugin", PF_STRING, true }, { "yes", PF_BOOL, false }, { "tty", PF_BOOL, false },
	{ "args", PF_STRINGS, false }, END
};
static const struct pfield f_list[] = { { "after", PF_STRING, false }, END };
static const struct pfield f_query[] = { { "query", PF_QUERY, false }, END };
static const struct pfield f_vetting[] = {
	{ "plugin", PF_STRING, true }, { "uid", PF_INT, false }, END
};

const struct preq proto_requests[] = {
	{ "status", 0, f_none },
	{ "plugin_install", 0, f_install },
	{ "plugin_list", 0, f_list },
	{ "plugin_vetting", 0, f_vetting },
	{ "answer", 0, f_answer },
	{ "permissions", 0, f_plugin },
	{ "catalog", 0, f_none },
	{ "grant", 0, f_consent },
	{ "revoke", 0, f_consent },
	{ "run", 3, f_run },
	{ "audit_follow", 0, f_query },
	{ "audit_show", 0, f_query },
	{ "audit_verify", 0, f_none },
	{ "advisories_updated", 0, f_none },
	{ NULL, 0, NULL }
};

const char *pfield_type_name(enum pfield_type t)
{
	switch (t) {
	case PF_STRING: return "a string";
	case PF_BOOL: return "true or false";
	case PF_INT: return "an integer";
	case PF_STRINGS: return "an array of strings";
	case PF_QUERY: return "an object";
	}
	return "?";
}

static bool type_ok(const cJSON *v, enum pfield_type t)
{
	const cJSON *it;

	switch (t) {
	case PF_STRING: return cJSON_IsString(v);
	case PF_BOOL: return cJSON_IsBool(v);
	case PF_INT:	/* exact integers only; the range check keeps the cast defined */
		return cJSON_IsNumber(v) && v->valuedouble > -9007199254740992.0 &&
		       v->valuedouble < 9007199254740992.0 &&
		       v->valuedouble == (double)(long long)v->valuedouble;
	case PF_QUERY: return cJSON_IsObject(v);	/* its keys: auditquery_from_json */
	case PF_STRINGS:
		if (!cJSON_IsArray(v))
			return false;
		cJSON_ArrayForEach(it, v)
			if (!cJSON_IsString(it))
				return false;
		return true;
	}
	return false;
}

static const struct pfield *field_of(const struct preq *r, const char *key)
{
	for (const struct pfield *f = r->fields; f->key; f++)
		if (strcmp(f->key, key) == 0)
			return f;
	return NULL;
}

int proto_check_request(const cJSON *msg, int nfds, char *err, size_t errlen)
{
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(msg, "cmd");
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(msg, "proto"), *it;
	const struct preq *r;

	if (!cJSON_IsObject(msg)) {
		snprintf(err, errlen, "a request is one JSON object");
		return -1;
	}
	/* The version first: an older or newer client is told so, not misread. */
	if (ver && !type_ok(ver, PF_INT)) {
		snprintf(err, errlen, "\"proto\" must be an integer (this agent speaks version %d)",
			 PROTO_VERSION);
		return -1;
	}
	if (ver && ver->valuedouble != PROTO_VERSION) {
		snprintf(err, errlen, "protocol version %.0f is not supported: this agent speaks "
			 "version %d (upgrade the client or the agent)", ver->valuedouble, PROTO_VERSION);
		return -1;
	}
	if (!cJSON_IsString(cmd)) {
		snprintf(err, errlen, "request has no \"cmd\" string");
		return -1;
	}
	for (r = proto_requests; r->cmd; r++)
		if (strcmp(r->cmd, cmd->valuestring) == 0)
			break;
	if (!r->cmd) {
		snprintf(err, errlen, "unknown command: %.64s", cmd->valuestring);
		return -1;
	}
	cJSON_ArrayForEach(it, msg) {
		const struct pfield *f;

		if (strcmp(it->string, "cmd") == 0 || strcmp(it->string, "proto") == 0)
			continue;
		f = field_of(r, it->string);
		if (!f) {
			snprintf(err, errlen, "request \"%s\": unknown key \"%.64s\"", r->cmd, it->string);
			return -1;
		}
		if (!type_ok(it, f->type)) {
			snprintf(err, errlen, "request \"%s\": \"%s\" must be %s", r->cmd, f->key,
				 pfield_type_name(f->type));
			return -1;
		}
	}
	for (const struct pfield *f = r->fields; f->key; f++)
		if (f->required && !cJSON_GetObjectItemCaseSensitive(msg, f->key)) {
			snprintf(err, errlen, "request \"%s\": \"%s\" is required", r->cmd, f->key);
			return -1;
		}
	if (nfds != r->nfds) {
		snprintf(err, errlen, "request \"%s\": %d file descriptors sent, %d expected",
			 r->cmd, nfds, r->nfds);
		return -1;
	}
	return 0;
}

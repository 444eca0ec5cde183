/* SPDX-License-Identifier: MIT */
/*
 * The shape of every request a client may send the agent: its keys, their
 * types, which are required, how many descriptors come with it. The agent
 * checks each request against this table before acting on it, so a client
 * that sends anything else gets one precise error, never a misread.
 * docs/protocol.md describes the messages; docs/protocol-schema.json is the
 * same table as JSON Schema (a unit test keeps the two equal).
 */
#ifndef RAGGED_PROTOCHECK_H
#define RAGGED_PROTOCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

/* The protocol version this build speaks ("proto" in a request). */
#define PROTO_VERSION 1

enum pfield_type { PF_STRING, PF_BOOL, PF_INT, PF_STRINGS, PF_QUERY };

struct pfield {
	const char *key;
	enum pfield_type type;
	bool required;
};

struct preq {
	const char *cmd;
	int nfds;			/* descriptors that must come with it */
	const struct pfield *fields;	/* ends with a NULL key */
};

/* The table: every request, NULL-terminated (for the schema test). */
extern const struct preq proto_requests[];

/*
 * 0 if MSG (with NFDS descriptors) is a well-formed request of a known
 * command and protocol version; else -1 with one line in ERR naming the
 * request and the key.
 */
int proto_check_request(const cJSON *msg, int nfds, char *err, size_t errlen);

const char *pfield_type_name(enum pfield_type t);

#endif

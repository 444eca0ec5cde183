/* SPDX-License-Identifier: MIT */
/*
 * Agent socket protocol: one JSON object per SOCK_SEQPACKET message, file
 * descriptors (the caller's stdio) as SCM_RIGHTS. The agent trusts nothing
 * in a message about who sent it: identity comes from SO_PEERCRED.
 */
#ifndef RAGGED_PROTO_H
#define RAGGED_PROTO_H

#include <cjson/cJSON.h>

#define PROTO_MAX_MSG (64 * 1024)
#define PROTO_MAX_FDS 3

int proto_send(int sock, const cJSON *msg, const int *fds, int nfds);
/*
 * Receive one message. Returns 1 with *msg set, 0 on orderly EOF, -1 on
 * error (errno: EMSGSIZE for a truncated message or control data, EBADMSG
 * for bytes that are not one JSON object). Received descriptors are
 * close-on-exec; on any error they are closed and *nfds is 0.
 */
int proto_recv(int sock, cJSON **msg, int *fds, int *nfds);

/* Field accessors that tolerate absence and wrong types (NULL / default). */
const char *proto_str(const cJSON *o, const char *key);
int proto_bool(const cJSON *o, const char *key);
int proto_int(const cJSON *o, const char *key, long long *out);

/* The request table every request is checked against. */
#include "protocheck.h"

#endif

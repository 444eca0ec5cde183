/* SPDX-License-Identifier: MIT */
/*
 * Agent socket protocol: one JSON object per SOCK_SEQPACKET message, file
 * descriptors (the caller's stdio) as SCM_RIGHTS. The agent trusts nothing
 * in a message about who sent it: identity comes from SO_PEERCRED.
 */
#ifndef RAGGED_PROTO_H
#define RAGGED_PROTO_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define PROTO_MAX_MSG (64 * 1024)	/* a request: what the agent reads */
/* A reply: root's plugin list grows with every plugin of every user (about
 * 0.7 KiB each), past one request's size. The agent raises its sockets'
 * send buffers to carry it, and refuses with an error what is larger still. */
#define PROTO_MAX_REPLY (256 * 1024)
#define PROTO_MAX_FDS 3

int proto_send(int sock, const cJSON *msg, const int *fds, int nfds);
/*
 * Receive one message. Returns 1 with *msg set, 0 on orderly EOF, -1 on
 * error (errno: EMSGSIZE for a truncated message or control data, EBADMSG
 * for bytes that are not one JSON object). Received descriptors are
 * close-on-exec; on any error they are closed and *nfds is 0.
 */
int proto_recv(int sock, cJSON **msg, int *fds, int *nfds);
/* The same, for a message of up to max bytes (the clients: PROTO_MAX_REPLY). */
int proto_recv_max(int sock, cJSON **msg, int *fds, int *nfds, size_t max);
static inline int proto_recv_reply(int sock, cJSON **msg, int *fds, int *nfds)
{
	return proto_recv_max(sock, msg, fds, nfds, PROTO_MAX_REPLY);
}

/* Field accessors that tolerate absence and wrong types (NULL / default). */
const char *proto_str(const cJSON *o, const char *key);
int proto_bool(const cJSON *o, const char *key);
int proto_int(const cJSON *o, const char *key, long long *out);

/* The request table every request is checked against. */
#include "protocheck.h"

#endif

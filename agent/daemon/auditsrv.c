// SPDX-License-Identifier: MIT
/*
 * audit show / follow / verify for clients. Show and verify read the whole
 * log, which can be large: they run in a detached grandchild so the event
 * loop (and the plugins waiting on it) never waits for a reader. Every
 * query is restricted to the caller's own records unless the caller is
 * root; the restriction comes from SO_PEERCRED, never from the request.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "audit/audit.h"
#include "proto/proto.h"
#include "util/util.h"

static int build_query(struct client *c, const cJSON *msg, struct auditquery *q)
{
	const cJSON *jq = cJSON_GetObjectItemCaseSensitive(msg, "query");
	char err[256], name[64];

	auditquery_init(q);
	if (jq && auditquery_from_json(q, jq, err, sizeof(err)) < 0) {
		reply_error(c, EXIT_BAD_INPUT, "%s", err);
		return -1;
	}
	if (c->uid != 0) {
		uid_name(c->uid, name, sizeof(name));
		auditquery_restrict(q, c->uid, name);
	}
	return 0;
}

/* Fork twice so the worker is nobody's zombie and our waitid stays simple. */
static int detach(void)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid > 0) {
		waitpid(pid, &st, 0);
		return 1;
	}
	if (fork() != 0)
		_exit(0);
	return 0;
}

static int send_rec(const cJSON *rec, const char *line, size_t len, void *arg)
{
	int fd = *(int *)arg;
	char buf[PROTO_MAX_MSG];
	int n;

	(void)rec;
	n = snprintf(buf, sizeof(buf), "{\"type\":\"record\",\"record\":%.*s}", (int)len, line);
	if (n < 0 || n >= (int)sizeof(buf))
		return 0;	/* a record too large for one message is skipped, not truncated */
	return send(fd, buf, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
}

/*
 * The worker owns the client's socket now: blocking writes, bounded by a
 * send timeout so a reader that stops reading does not keep a root process
 * for ever; first whatever the agent still had queued for it, in order.
 * It keeps nothing else of the agent's: other clients' sockets would not
 * see the agent hang up while a worker held them.
 */
#define WORKER_SEND_TIMEOUT_S 60

static int worker_take(struct client *c)
{
	struct timeval tv = { WORKER_SEND_TIMEOUT_S, 0 };
	int fd = c->fd, fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	client_write_queued(c);
	if (dup2(fd, 3) == 3) {
		fd = 3;
		close_range(4, ~0U, 0);
	}
	return fd;
}

void auditsrv_show(struct agent *a, struct client *c, const cJSON *msg)
{
	struct auditquery q;
	struct auditquery_stats st = { 0 };
	int rc;

	if (build_query(c, msg, &q) < 0)
		return;
	auditlog_flush(a->audit);	/* the worker reads the file */
	rc = detach();
	if (rc < 0) {
		reply_error(c, 1, "fork: %s", strerror(errno));
		return;
	}
	if (rc == 0) {
		cJSON *end = cJSON_CreateObject();
		int fd = worker_take(c);

		rc = auditquery_scan(a->cfg.audit_log, &q, send_rec, &fd, &st);
		if (rc < 0 && errno != ENOENT) {	/* an error reply, as docs/protocol.md says */
			cJSON_AddStringToObject(end, "type", "error");
			cJSON_AddNumberToObject(end, "code", 1);
			cJSON_AddStringToObject(end, "message", strerror(errno));
		} else {
			cJSON_AddStringToObject(end, "type", "end");
			cJSON_AddNumberToObject(end, "matched", (double)st.matched);
			cJSON_AddNumberToObject(end, "unparsable", (double)st.unparsable);
		}
		proto_send(fd, end, NULL, 0);
		cJSON_Delete(end);
		_exit(0);
	}
	/* The worker has its own copy of the socket; ours is done (reaped by the loop). */
	c->handed_off = true;
	client_drop(c, NULL);
}

void auditsrv_verify(struct agent *a, struct client *c)
{
	struct auditlog_verify_result res;
	int rc;

	auditlog_sync(a->audit);
	rc = detach();
	if (rc < 0) {
		reply_error(c, 1, "fork: %s", strerror(errno));
		return;
	}
	if (rc == 0) {
		cJSON *r = cJSON_CreateObject(), *d;
		int fd = worker_take(c);

		memset(&res, 0, sizeof(res));
		rc = auditlog_verify(a->cfg.audit_log, &res);
		if (rc < 0) {
			cJSON_AddStringToObject(r, "type", "error");
			cJSON_AddNumberToObject(r, "code", 1);
			cJSON_AddStringToObject(r, "message", strerror(errno));
		} else {
			cJSON_AddStringToObject(r, "type", "ok");
			d = cJSON_AddObjectToObject(r, "data");
			cJSON_AddBoolToObject(d, "broken", res.broken);
			cJSON_AddNumberToObject(d, "verified", (double)res.verified);
			cJSON_AddNumberToObject(d, "first_seq", (double)res.first_seq);
			cJSON_AddNumberToObject(d, "last_seq", (double)res.last_seq);
			cJSON_AddStringToObject(d, "last_hash", res.last_hash);
			cJSON_AddBoolToObject(d, "anchored", res.anchored);
			cJSON_AddNumberToObject(d, "torn_bytes", (double)res.torn_bytes);
			if (res.broken) {
				cJSON_AddStringToObject(d, "file", res.file);
				cJSON_AddNumberToObject(d, "line", (double)res.line);
				cJSON_AddNumberToObject(d, "seq", (double)res.seq);
				cJSON_AddStringToObject(d, "reason", res.reason);
			}
		}
		proto_send(fd, r, NULL, 0);
		cJSON_Delete(r);
		_exit(0);
	}
	c->handed_off = true;
	client_drop(c, NULL);
}

void auditsrv_follow(struct agent *a, struct client *c, const cJSON *msg)
{
	struct auditquery *q = calloc(1, sizeof(*q));

	(void)a;
	if (!q) {
		reply_error(c, 1, "out of memory");
		return;
	}
	if (build_query(c, msg, q) < 0) {
		free(q);
		return;
	}
	free(c->query);
	c->query = q;
	c->follow = true;
	{
		cJSON *ok = cJSON_CreateObject();

		cJSON_AddStringToObject(ok, "type", "ok");
		client_send(c, ok);
		cJSON_Delete(ok);
	}
}

bool auditsrv_may_see(const struct client *c, const cJSON *rec)
{
	if (c->query)
		return auditquery_match(c->query, rec);
	return c->uid == 0;
}

/*
 * The audit sink's hook (a->publish): a record just written goes to every
 * follower allowed to see it. Queueing only: a follower that cannot keep
 * up is dropped by the queue bound; it can resume with `audit show --since`.
 */
void auditsrv_publish(struct agent *a, const cJSON *rec, const char *line)
{
	/* Static: publishing never re-enters (client_put emits nothing). */
	static char buf[PROTO_MAX_MSG + 1];
	int n = -1;

	for (struct client *c = a->clients; c; c = c->next) {
		if (!c->follow || c->dead || !auditsrv_may_see(c, rec))
			continue;
		if (n < 0)
			n = snprintf(buf, sizeof(buf), "{\"type\":\"record\",\"record\":%s}", line);
		/* A record too large for one message is skipped, not truncated. */
		if (n > 0 && n <= PROTO_MAX_MSG)
			client_put(c, buf, (size_t)n);
	}
}

/* The sink asks first: without followers it does not keep the line. */
bool auditsrv_following(const struct agent *a)
{
	for (const struct client *c = a->clients; c; c = c->next)
		if (c->follow && !c->dead)
			return true;
	return false;
}

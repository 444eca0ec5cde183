// SPDX-License-Identifier: MIT
/*
 * The agent socket's transport: accepting connections, sending to clients,
 * and ending them. SOCK_SEQPACKET: one message is one request, so there is
 * no framing to get wrong. Each connection's identity is SO_PEERCRED, read
 * once at accept; nothing a client writes about itself is believed. The
 * socket is world-connectable (0666) because every user may run plugins:
 * authorisation is per request, by that uid.
 *
 * The rules that keep one client from hurting the agent or anyone else
 * (docs/security-model.md, "Agent robustness"):
 *   - sending never blocks: client sockets are non-blocking; what the
 *     socket cannot take waits in the client's output queue, sent when
 *     the socket is writable again (EPOLLOUT);
 *   - the queue is bounded (CLIENT_OUTQ_MAX): a client that lets it grow
 *     beyond that is not reading, and is dropped with a client_dropped
 *     record instead of being waited for;
 *   - nothing below the dispatcher ends a client: a failed send, a hangup
 *     or an overflow only marks the client dead; the event loop reaps dead
 *     clients (client_reap) after each pass, at the top level, where ending
 *     the client's run cannot re-enter whatever code was sending;
 *   - at most CLIENTS_PER_UID connections per non-root user, so one user
 *     cannot take the descriptors everyone else needs.
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
#include "proto/proto.h"
#include "util/util.h"

struct outmsg {
	struct outmsg *next;
	size_t len;
	char data[];
};

static int ep_ctl(struct agent *a, int op, int fd, enum ep_kind kind, uint32_t events)
{
	struct epoll_event ev = { .events = events };

	ev.data.u64 = (uint64_t)kind | ((uint64_t)(uint32_t)fd << 8);
	return epoll_ctl(a->epfd, op, fd, &ev);
}

int ep_add(struct agent *a, int fd, enum ep_kind kind, void *ptr)
{
	(void)ptr;
	return ep_ctl(a, EPOLL_CTL_ADD, fd, kind, EPOLLIN);
}

void ep_del(struct agent *a, int fd)
{
	epoll_ctl(a->epfd, EPOLL_CTL_DEL, fd, NULL);
}

int clientio_listen(struct agent *a, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[PATH_MAX];
	char *slash;
	int fd;

	if (strlen(a->cfg.socket_path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", a->cfg.socket_path);
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", a->cfg.socket_path);
	snprintf(dir, sizeof(dir), "%s", a->cfg.socket_path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir_p(dir, 0755) < 0) {
			snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	unlink(sun.sun_path);	/* a stale socket from a crashed agent */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(sun.sun_path, 0666) < 0 || listen(fd, 64) < 0) {
		snprintf(err, errlen, "listen on %s: %s", sun.sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	/*
	 * A spare descriptor: when the agent runs out, it is given up for a
	 * moment to accept and close the waiting connection, so a full table
	 * never leaves the listening socket ready for ever (a busy loop).
	 */
	if (a->spare_fd <= 0)
		a->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	a->listen_fd = fd;
	return ep_add(a, fd, EP_LISTEN, NULL);
}

static unsigned clients_of(const struct agent *a, uid_t uid)
{
	unsigned n = 0;

	for (const struct client *c = a->clients; c; c = c->next)
		n += c->uid == uid && !c->dead;
	return n;
}

/*
 * A SOCK_SEQPACKET message must fit the sender's buffer whole (EMSGSIZE
 * otherwise): room for the largest reply (PROTO_MAX_REPLY), raised only
 * for a client about to get a reply past a request's size. Every client's
 * buffer stays the default otherwise: a follower that stops reading fills
 * it, and its queue, as soon as before and is dropped as soon. FORCE as
 * root (net.core.wmem_max may be lower); the plain option doubles what it
 * is given, up to that limit, which on default settings is room enough.
 */
static void raise_sndbuf(int fd)
{
	int want = PROTO_MAX_REPLY + 4096;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
}

/* Out of descriptors: take the waiting connection with the spare one and close it. */
static void shed_one(struct agent *a)
{
	int fd;

	if (a->spare_fd <= 0)
		return;
	close(a->spare_fd);
	fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		close(fd);
	a->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	a->clients_refused++;
}

void server_accept(struct agent *a)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct client *c;
	int fd;

	for (;;) {
		fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				shed_one(a);
			return;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			close(fd);
			continue;
		}
		if (cred.uid != 0 && clients_of(a, cred.uid) >= CLIENTS_PER_UID) {
			/* Told why, best effort; nothing queued for someone we refuse. */
			static const char msg[] = "{\"type\":\"error\",\"code\":1,\"message\":"
				"\"too many connections from this user\"}";

			char sink[64];

			/*
			 * What it sent already is read and discarded: closing with
			 * unread data resets the connection, and the client would
			 * read ECONNRESET instead of the reason.
			 */
			for (int i = 0; i < 16 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
				;
			if (send(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
				/* it went away already */
			}
			close(fd);
			a->clients_refused++;
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->agent = a;
		c->fd = fd;
		c->uid = cred.uid;
		c->gid = cred.gid;
		c->pid = cred.pid;
		c->outq_tail = &c->outq;
		c->next = a->clients;
		a->clients = c;
		ep_add(a, fd, EP_CLIENT, c);
	}
}

struct client *client_find(struct agent *a, int fd)
{
	for (struct client *c = a->clients; c; c = c->next)
		if (c->fd == fd)
			return c;
	return NULL;
}

void client_drop(struct client *c, const char *reason)
{
	if (c->dead)
		return;
	c->dead = true;
	c->drop_reason = reason;
	c->follow = false;	/* no more records for it */
	if (c->agent)
		c->agent->clients_dead++;
}

static void watch_out(struct client *c, bool on)
{
	if (c->want_out == on || !c->agent)
		return;
	c->want_out = on;
	ep_ctl(c->agent, EPOLL_CTL_MOD, c->fd, EP_CLIENT, EPOLLIN | (on ? EPOLLOUT : 0));
}

/* Send what is queued, in order, until the socket is full. */
void client_flush_out(struct client *c)
{
	while (c->outq && !c->dead) {
		struct outmsg *m = c->outq;
		ssize_t n = send(c->fd, m->data, m->len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n != (ssize_t)m->len) {
			client_drop(c, NULL);	/* it went away: nothing to record */
			break;
		}
		c->outq = m->next;
		c->outq_bytes -= m->len;
		free(m);
	}
	if (!c->outq) {
		c->outq_tail = &c->outq;
		watch_out(c, false);
	} else if (!c->dead) {
		watch_out(c, true);
	}
}

/*
 * One message to a client, in order after what is queued. Never blocks,
 * never ends the client: at most it is marked dead for the loop to reap.
 */
void client_put(struct client *c, const char *text, size_t len)
{
	struct outmsg *m;

	if (c->dead)
		return;
	if (!c->outq_tail)
		c->outq_tail = &c->outq;
	if (!c->outq) {
		ssize_t n = send(c->fd, text, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n == (ssize_t)len)
			return;
		if (n >= 0 || (errno != EAGAIN && errno != EINTR)) {
			client_drop(c, NULL);
			return;
		}
	}
	if (c->outq_bytes + len > CLIENT_OUTQ_MAX) {
		client_drop(c, "not reading its replies: output queue full");
		return;
	}
	m = malloc(sizeof(*m) + len);
	if (!m) {
		client_drop(c, "out of memory for its replies");
		return;
	}
	m->next = NULL;
	m->len = len;
	memcpy(m->data, text, len);
	*c->outq_tail = m;
	c->outq_tail = &m->next;
	c->outq_bytes += len;
	watch_out(c, true);
}

void client_send(struct client *c, cJSON *msg)
{
	char *text;
	size_t len;

	if (c->dead)
		return;
	/*
	 * A reply may tell the caller its records exist (a run's exit status,
	 * a grant): write the pending audit batch first, so whoever reads the
	 * file next finds them.
	 */
	if (c->agent && c->agent->audit)
		auditlog_flush(c->agent->audit);
	text = cJSON_PrintUnformatted(msg);
	if (!text) {
		client_drop(c, "out of memory for its replies");
		return;
	}
	len = strlen(text);
	if (len <= PROTO_MAX_REPLY) {
		if (len > PROTO_MAX_MSG)
			raise_sndbuf(c->fd);
		client_put(c, text, len);
	} else {
		/* Never silence: the caller would wait for its reply forever. */
		reply_error(c, 1, "the reply (%zu bytes) is larger than the protocol allows (%d)",
			    len, PROTO_MAX_REPLY);
	}
	free(text);
}

/* One error reply; the transport's, so every module can answer without the dispatcher. */
void reply_error(struct client *c, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	cJSON *r = cJSON_CreateObject();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(r, "type", "error");
	cJSON_AddNumberToObject(r, "code", code);
	cJSON_AddStringToObject(r, "message", msg);
	client_send(c, r);
	cJSON_Delete(r);
}

/*
 * Drop records are rate-limited too: a user who opens connections only to
 * be dropped must not be able to rotate history out of the log. The first
 * DROPS_PER_WINDOW a second are written, the rest counted exactly into one
 * events_suppressed record when the window closes (or the agent stops).
 */
#define DROPS_PER_WINDOW 5
#define DROPS_WINDOW_MS 1000

void clients_flush_drops(struct agent *a, bool force)
{
	uint64_t now = now_monotonic_ns() / 1000000;
	cJSON *rec, *d;

	if (!force && now - a->drops_window_ms < DROPS_WINDOW_MS)
		return;
	if (a->drops_suppressed) {
		rec = auditrec_new(a, "events_suppressed", "suppressed");
		d = cJSON_AddObjectToObject(rec, "details");
		cJSON_AddNumberToObject(d, "count", (double)a->drops_suppressed);
		cJSON_AddStringToObject(d, "suppressed_event", "client_dropped");
		cJSON_AddStringToObject(d, "source", "agent");
		cJSON_AddNumberToObject(d, "window_ms", DROPS_WINDOW_MS);
		a->drops_suppressed = 0;
		auditrec_emit(a, rec);
	}
	a->drops_window_ms = now;
	a->drops_logged = 0;
}

static void record_drop(struct agent *a, const struct client *c)
{
	cJSON *rec, *d;

	clients_flush_drops(a, false);
	if (a->drops_logged >= DROPS_PER_WINDOW) {
		a->drops_suppressed++;
		return;
	}
	a->drops_logged++;
	rec = auditrec_new(a, "client_dropped", "denied");

	auditrec_user(rec, c->uid);
	d = cJSON_AddObjectToObject(rec, "details");
	cJSON_AddStringToObject(d, "reason", c->drop_reason);
	cJSON_AddNumberToObject(d, "pid", c->pid);
	cJSON_AddNumberToObject(d, "queued_bytes", (double)c->outq_bytes);
	if (c->run)
		cJSON_AddStringToObject(d, "run_id", c->run->run_id);
	auditrec_emit(a, rec);
}

/*
 * End one client now: its prompt is abandoned, its run ended, its socket
 * closed. Only from the top of the event loop (client_reap, stop) or a
 * test, never from code that may be sending: ending a run emits records.
 */
void client_close(struct agent *a, struct client *c)
{
	struct client **pp;

	/* Off the list first: nothing below can reach it again. */
	for (pp = &a->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (c->dead && a->clients_dead)
		a->clients_dead--;
	if (!c->dead)
		c->dead = true;
	c->follow = false;
	if (c->drop_reason)
		record_drop(a, c);
	/* Its question abandoned, its run ended: the run module's hook (runs_client_gone). */
	if (a->client_gone)
		a->client_gone(a, c);
	ep_del(a, c->fd);
	/*
	 * A client we hand over to a worker (audit show) keeps its socket in
	 * the worker; anything else gets one last try at its queued replies
	 * (a client that sent a request and shut down its writing side).
	 */
	if (!c->handed_off && !c->drop_reason)
		for (struct outmsg *m = c->outq; m; m = m->next)
			if (send(c->fd, m->data, m->len, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)m->len)
				break;
	close(c->fd);
	while (c->outq) {
		struct outmsg *m = c->outq;

		c->outq = m->next;
		free(m);
	}
	free(c->query);
	free(c);
}

/* After each pass of the loop: end every client marked dead during it. */
void client_reap(struct agent *a)
{
	if (a->drops_suppressed)
		clients_flush_drops(a, false);
	while (a->clients_dead) {
		struct client *c = a->clients;

		while (c && !c->dead)
			c = c->next;
		if (!c) {
			a->clients_dead = 0;
			break;
		}
		/* Ending it can mark others dead (records to followers): loop again. */
		client_close(a, c);
	}
}

/* Copy of the queue for a worker that takes the socket over (blocking writes). */
void client_write_queued(struct client *c)
{
	for (struct outmsg *m = c->outq; m; m = m->next)
		if (send(c->fd, m->data, m->len, MSG_NOSIGNAL) != (ssize_t)m->len)
			return;
}

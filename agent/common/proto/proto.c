// SPDX-License-Identifier: MIT
#include "proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int proto_send(int sock, const cJSON *msg, const int *fds, int nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * PROTO_MAX_FDS)];
	struct msghdr mh = { 0 };
	struct iovec iov;
	char *text;
	ssize_t n;
	size_t len;

	if (nfds < 0 || nfds > PROTO_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	text = cJSON_PrintUnformatted(msg);
	if (!text) {
		errno = ENOMEM;
		return -1;
	}
	len = strlen(text);
	if (len > PROTO_MAX_MSG) {
		free(text);
		errno = EMSGSIZE;
		return -1;
	}
	iov.iov_base = text;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	free(text);
	return n == (ssize_t)len ? 0 : -1;
}

static void close_fds(int *fds, int *nfds)
{
	for (int i = 0; i < *nfds; i++)
		close(fds[i]);
	*nfds = 0;
}

int proto_recv(int sock, cJSON **msg, int *fds, int *nfds)
{
	return proto_recv_max(sock, msg, fds, nfds, PROTO_MAX_MSG);
}

int proto_recv_max(int sock, cJSON **msg, int *fds, int *nfds, size_t max)
{
	char cbuf[CMSG_SPACE(sizeof(int) * PROTO_MAX_FDS)];
	struct msghdr mh = { 0 };
	struct cmsghdr *c;
	struct iovec iov;
	char *buf;
	ssize_t n;

	*msg = NULL;
	*nfds = 0;
	buf = malloc(max + 1);
	if (!buf)
		return -1;
	iov.iov_base = buf;
	iov.iov_len = max + 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		free(buf);
		return n == 0 ? 0 : -1;
	}
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < PROTO_MAX_FDS)
				fds[(*nfds)++] = fd;
			else
				close(fd);	/* more than we accept: never leak */
		}
	}
	/* A message or fd set cut short is not a message we can act on. */
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n > max) {
		close_fds(fds, nfds);
		free(buf);
		errno = EMSGSIZE;
		return -1;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', (size_t)n) ||
	    !(*msg = cJSON_ParseWithOpts(buf, NULL, 1)) || !cJSON_IsObject(*msg)) {
		cJSON_Delete(*msg);
		*msg = NULL;
		close_fds(fds, nfds);
		free(buf);
		errno = EBADMSG;
		return -1;
	}
	free(buf);
	return 1;
}

const char *proto_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int proto_bool(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

int proto_int(const cJSON *o, const char *key, long long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	/* Outside ±2^53 a double is not an exact integer; refuse, do not cast. */
	if (d < -9007199254740992.0 || d > 9007199254740992.0 || d != (double)(long long)d)
		return -1;
	*out = (long long)d;
	return 0;
}

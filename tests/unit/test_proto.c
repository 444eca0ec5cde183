// SPDX-License-Identifier: MIT
/*
 * The agent socket protocol over a real SOCK_SEQPACKET socketpair: round
 * trips with and without descriptors, every rejection (too many fds, not
 * JSON, not an object, oversize, EOF) without leaking a descriptor, and the
 * field accessors' edge cases.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "proto/proto.h"

struct fx {
	int sv[2];
	int open_before;
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the DIR's own */
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, f->sv) < 0)
		return -1;
	f->open_before = count_fds();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	int leaked = count_fds() - f->open_before + (f->sv[0] < 0) + (f->sv[1] < 0);

	if (f->sv[0] >= 0)
		close(f->sv[0]);
	if (f->sv[1] >= 0)
		close(f->sv[1]);
	free(f);
	/* Whatever a case did, it left no descriptor behind. */
	if (leaked) {
		print_error("%d descriptor(s) leaked\n", leaked);
		return -1;
	}
	return 0;
}

/* Send raw bytes with n descriptors, bypassing proto_send's checks. */
static void raw_send(int sock, const void *data, size_t len, const int *fds, int n)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 16)];
	struct msghdr mh = { 0 };
	struct iovec iov = { (void *)data, len };

	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (n > 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	}
	assert_int_equal(sendmsg(sock, &mh, 0), (ssize_t)len);
}

static void same_file(int a, int b)
{
	struct stat sa, sb;

	assert_int_equal(fstat(a, &sa), 0);
	assert_int_equal(fstat(b, &sb), 0);
	assert_int_equal(sa.st_dev, sb.st_dev);
	assert_int_equal(sa.st_ino, sb.st_ino);
}

static void t_roundtrip(void **state)
{
	struct fx *f = *state;
	cJSON *out = cJSON_CreateObject(), *in = NULL;
	int fds[PROTO_MAX_FDS], n = -1;

	cJSON_AddStringToObject(out, "cmd", "status");
	cJSON_AddNumberToObject(out, "n", 7);
	cJSON_AddItemToObject(out, "args", cJSON_CreateStringArray((const char *[]){ "a", "b c" }, 2));
	assert_int_equal(proto_send(f->sv[0], out, NULL, 0), 0);
	assert_int_equal(proto_recv(f->sv[1], &in, fds, &n), 1);
	assert_non_null(in);
	assert_int_equal(n, 0);
	assert_true(cJSON_Compare(in, out, true));
	cJSON_Delete(in);
	/* Message boundaries are kept: two sends, two receives. */
	assert_int_equal(proto_send(f->sv[0], out, NULL, 0), 0);
	assert_int_equal(proto_send(f->sv[1], out, NULL, 0), 0);
	assert_int_equal(proto_recv(f->sv[0], &in, fds, &n), 1);
	cJSON_Delete(in);
	assert_int_equal(proto_recv(f->sv[1], &in, fds, &n), 1);
	assert_true(cJSON_Compare(in, out, true));
	cJSON_Delete(in);
	cJSON_Delete(out);
}

static void t_fds(void **state)
{
	struct fx *f = *state;
	cJSON *out = cJSON_CreateObject(), *in = NULL;
	int p[2], dn, send_fds[3], fds[PROTO_MAX_FDS], n = 0;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	dn = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_true(dn >= 0);
	send_fds[0] = p[0];
	send_fds[1] = p[1];
	send_fds[2] = dn;
	cJSON_AddStringToObject(out, "cmd", "run");
	assert_int_equal(proto_send(f->sv[0], out, send_fds, 3), 0);
	assert_int_equal(proto_recv(f->sv[1], &in, fds, &n), 1);
	assert_int_equal(n, 3);
	for (int i = 0; i < 3; i++) {
		/* New descriptors for the same open files, close-on-exec. */
		assert_true(fds[i] != send_fds[i]);
		same_file(fds[i], send_fds[i]);
		assert_true(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
	}
	/* The received write end really is the pipe. */
	assert_int_equal(write(fds[1], "x", 1), 1);
	{
		char c = 0;

		assert_int_equal(read(p[0], &c, 1), 1);
		assert_int_equal(c, 'x');
	}
	for (int i = 0; i < 3; i++) {
		close(fds[i]);
		close(send_fds[i]);
	}
	cJSON_Delete(in);
	cJSON_Delete(out);
}

static void t_send_bad_nfds(void **state)
{
	struct fx *f = *state;
	cJSON *out = cJSON_CreateObject();
	int fds[PROTO_MAX_FDS + 1] = { 0, 1, 2, 0 };

	errno = 0;
	assert_int_equal(proto_send(f->sv[0], out, fds, PROTO_MAX_FDS + 1), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(proto_send(f->sv[0], out, fds, -1), -1);
	assert_int_equal(errno, EINVAL);
	cJSON_Delete(out);
}

/* One more descriptor than accepted still fits the control buffer: it is closed. */
static void t_extra_fd_closed(void **state)
{
	struct fx *f = *state;
	int dn[PROTO_MAX_FDS + 1], fds[PROTO_MAX_FDS], n = 0, before;
	cJSON *in = NULL;

	for (int i = 0; i < PROTO_MAX_FDS + 1; i++)
		assert_true((dn[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0);
	before = count_fds();
	raw_send(f->sv[0], "{\"cmd\":\"run\"}", 13, dn, PROTO_MAX_FDS + 1);
	assert_int_equal(proto_recv(f->sv[1], &in, fds, &n), 1);
	assert_int_equal(n, PROTO_MAX_FDS);
	/* Exactly PROTO_MAX_FDS new descriptors: the extra one was not kept. */
	assert_int_equal(count_fds(), before + PROTO_MAX_FDS);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	for (int i = 0; i < PROTO_MAX_FDS + 1; i++)
		close(dn[i]);
	cJSON_Delete(in);
}

/* Far more than the control buffer holds: the message is refused, nothing kept. */
static void t_many_fds_refused(void **state)
{
	struct fx *f = *state;
	int dn[8], fds[PROTO_MAX_FDS] = { -1, -1, -1 }, n = -1, before;
	cJSON *in = (cJSON *)&in;

	for (int i = 0; i < 8; i++)
		assert_true((dn[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0);
	before = count_fds();
	raw_send(f->sv[0], "{\"cmd\":\"run\"}", 13, dn, 8);
	errno = 0;
	assert_int_equal(proto_recv(f->sv[1], &in, fds, &n), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_null(in);
	assert_int_equal(n, 0);
	assert_int_equal(count_fds(), before);
	for (int i = 0; i < 8; i++)
		close(dn[i]);
}

static void bad_payload(struct fx *f, const char *data, size_t len, int with_fd)
{
	int dn = open("/dev/null", O_RDONLY | O_CLOEXEC), fds[PROTO_MAX_FDS], n = -1, before;
	cJSON *in = (cJSON *)&in;

	assert_true(dn >= 0);
	before = count_fds();
	raw_send(f->sv[0], data, len, &dn, with_fd);
	errno = 0;
	if (proto_recv(f->sv[1], &in, fds, &n) != -1)
		fail_msg("accepted %.*s", (int)len, data);
	assert_int_equal(errno, EBADMSG);
	assert_null(in);
	assert_int_equal(n, 0);
	/* A received descriptor went with the refused message. */
	assert_int_equal(count_fds(), before);
	close(dn);
}

static void t_not_json(void **state)
{
	struct fx *f = *state;

	bad_payload(f, "not json", 8, 1);
	bad_payload(f, "{\"cmd\":", 7, 1);
	bad_payload(f, "{\"cmd\":\"x\"} trailing", 20, 0);
}

static void t_not_object(void **state)
{
	struct fx *f = *state;

	bad_payload(f, "[1,2]", 5, 1);
	bad_payload(f, "42", 2, 0);
	bad_payload(f, "\"cmd\"", 5, 0);
	bad_payload(f, "null", 4, 1);
	/* A NUL inside the message: not one JSON text. */
	bad_payload(f, "{}\0{}", 5, 1);
}

static void t_oversize(void **state)
{
	struct fx *f = *state;
	char *big = malloc(PROTO_MAX_MSG + 2);
	cJSON *out = cJSON_CreateObject(), *in = NULL;
	int fds[PROTO_MAX_FDS], n = 0, sz = 1 << 20;
	size_t fill;

	assert_non_null(big);
	assert_int_equal(setsockopt(f->sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
	/* {"s":"..."} of exactly PROTO_MAX_MSG bytes is the largest accepted. */
	fill = PROTO_MAX_MSG - strlen("{\"s\":\"\"}");
	memset(big, 'a', fill);
	big[fill] = '\0';
	cJSON_AddStringToObject(out, "s", big);
	assert_int_equal(proto_send(f->sv[0], out, NULL, 0), 0);
	assert_int_equal(proto_recv(f->sv[1], &in, fds, &n), 1);
	assert_true(cJSON_Compare(in, out, true));
	cJSON_Delete(in);
	/* One byte more: refused by the sender... */
	cJSON_DeleteItemFromObject(out, "s");
	big[fill] = 'a';
	big[fill + 1] = '\0';
	cJSON_AddStringToObject(out, "s", big);
	errno = 0;
	assert_int_equal(proto_send(f->sv[0], out, NULL, 0), -1);
	assert_int_equal(errno, EMSGSIZE);
	/* ...and by the receiver, with any descriptor it carried. */
	{
		char *raw = cJSON_PrintUnformatted(out);
		int dn = open("/dev/null", O_RDONLY | O_CLOEXEC), before;

		assert_int_equal(strlen(raw), PROTO_MAX_MSG + 1);
		before = count_fds();
		raw_send(f->sv[0], raw, strlen(raw), &dn, 1);
		errno = 0;
		in = (cJSON *)&in;
		assert_int_equal(proto_recv(f->sv[1], &in, fds, &n), -1);
		assert_int_equal(errno, EMSGSIZE);
		assert_null(in);
		assert_int_equal(n, 0);
		assert_int_equal(count_fds(), before);
		close(dn);
		free(raw);
	}
	/* Much larger: truncated by the kernel (MSG_TRUNC), same answer. */
	{
		char *huge = malloc(PROTO_MAX_MSG * 2);

		assert_non_null(huge);
		memset(huge, ' ', PROTO_MAX_MSG * 2);
		huge[0] = '{';
		huge[PROTO_MAX_MSG * 2 - 1] = '}';
		raw_send(f->sv[0], huge, PROTO_MAX_MSG * 2, NULL, 0);
		errno = 0;
		assert_int_equal(proto_recv(f->sv[1], &in, fds, &n), -1);
		assert_int_equal(errno, EMSGSIZE);
		free(huge);
	}
	/* The connection is still usable afterwards. */
	cJSON_DeleteItemFromObject(out, "s");
	assert_int_equal(proto_send(f->sv[0], out, NULL, 0), 0);
	assert_int_equal(proto_recv(f->sv[1], &in, fds, &n), 1);
	cJSON_Delete(in);
	cJSON_Delete(out);
	free(big);
}

static void t_eof_and_errors(void **state)
{
	struct fx *f = *state;
	cJSON *in = (cJSON *)&in, *out = cJSON_CreateObject();
	int fds[PROTO_MAX_FDS], n = -1, p[2];

	close(f->sv[0]);
	f->sv[0] = -1;
	/* Orderly EOF: 0, no message. */
	assert_int_equal(proto_recv(f->sv[1], &in, fds, &n), 0);
	assert_null(in);
	assert_int_equal(n, 0);
	/* Sending to a closed peer fails without SIGPIPE killing us. */
	assert_int_equal(proto_send(f->sv[1], out, NULL, 0), -1);
	assert_int_equal(errno, EPIPE);
	/* Not a socket. */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	in = (cJSON *)&in;
	assert_int_equal(proto_recv(p[0], &in, fds, &n), -1);
	assert_int_equal(errno, ENOTSOCK);
	assert_null(in);
	assert_int_equal(proto_send(p[1], out, NULL, 0), -1);
	assert_int_equal(errno, ENOTSOCK);
	close(p[0]);
	close(p[1]);
	/* Non-blocking with nothing queued: EAGAIN, for the event loop. */
	{
		int sv[2];

		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
					    0, sv), 0);
		assert_int_equal(proto_recv(sv[0], &in, fds, &n), -1);
		assert_int_equal(errno, EAGAIN);
		close(sv[0]);
		close(sv[1]);
	}
	cJSON_Delete(out);
}

static void t_accessors(void **state)
{
	cJSON *o = cJSON_Parse("{\"s\":\"x\",\"n\":42,\"neg\":-7,\"f\":1.5,\"t\":true,\"fl\":false,"
			       "\"ts\":\"true\",\"one\":1,\"big\":9007199254740992,"
			       "\"bigger\":9007199254740994,\"nbig\":-9007199254740992,"
			       "\"huge\":1e300,\"nhuge\":-1e300,\"null\":null,\"arr\":[1],"
			       "\"zero\":0,\"nz\":-0.0,\"CMD\":\"upper\"}");
	long long v;

	(void)state;
	assert_non_null(o);
	/* proto_str: strings only. */
	assert_string_equal(proto_str(o, "s"), "x");
	assert_null(proto_str(o, "n"));
	assert_null(proto_str(o, "null"));
	assert_null(proto_str(o, "missing"));
	assert_null(proto_str(o, "cmd"));	/* case-sensitive */
	assert_string_equal(proto_str(o, "CMD"), "upper");
	assert_null(proto_str(NULL, "s"));
	/* proto_bool: only a JSON true is true. */
	assert_int_equal(proto_bool(o, "t"), 1);
	assert_int_equal(proto_bool(o, "fl"), 0);
	assert_int_equal(proto_bool(o, "ts"), 0);
	assert_int_equal(proto_bool(o, "one"), 0);
	assert_int_equal(proto_bool(o, "missing"), 0);
	/* proto_int: exact integers within +-2^53. */
	v = 99;
	assert_int_equal(proto_int(o, "n", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(proto_int(o, "neg", &v), 0);
	assert_int_equal(v, -7);
	assert_int_equal(proto_int(o, "zero", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(proto_int(o, "nz", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(proto_int(o, "big", &v), 0);
	assert_int_equal(v, 9007199254740992LL);
	assert_int_equal(proto_int(o, "nbig", &v), 0);
	assert_int_equal(v, -9007199254740992LL);
	v = 99;
	assert_int_equal(proto_int(o, "f", &v), -1);
	assert_int_equal(proto_int(o, "bigger", &v), -1);
	assert_int_equal(proto_int(o, "huge", &v), -1);
	assert_int_equal(proto_int(o, "nhuge", &v), -1);
	assert_int_equal(proto_int(o, "s", &v), -1);
	assert_int_equal(proto_int(o, "t", &v), -1);
	assert_int_equal(proto_int(o, "null", &v), -1);
	assert_int_equal(proto_int(o, "arr", &v), -1);
	assert_int_equal(proto_int(o, "missing", &v), -1);
	assert_int_equal(v, 99);	/* untouched on failure */
	cJSON_Delete(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(t_roundtrip),
		T(t_fds),
		T(t_send_bad_nfds),
		T(t_extra_fd_closed),
		T(t_many_fds_refused),
		T(t_not_json),
		T(t_not_object),
		T(t_oversize),
		T(t_eof_and_errors),
		cmocka_unit_test(t_accessors),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

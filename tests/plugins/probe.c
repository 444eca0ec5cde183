// SPDX-License-Identifier: MIT
/*
 * probe: a real plugin binary for the enforcement tests. Each argument pair
 * is one operation; each prints one line "OP ARG -> ok" or "OP ARG -> ERRNO"
 * (errno by name), so a test asserts on exactly what the kernel returned.
 *
 *   read PATH       open(O_RDONLY) + read one byte
 *   write PATH      open(O_WRONLY|O_CREAT) + write
 *   connect A:P     TCP connect to IPv4/IPv6 address A, port P
 *   udp A:P         UDP sendto without connect
 *   exec PATH       execve (replaces the probe on success)
 *   exit N          exit with status N now
 *   uid -           print the real and effective uid
 *   cgroup -        print this process's cgroup lines
 *   listen A:P      (outside the sandbox) accept one TCP connection, exit
 *   kill SIG        send ourselves signal SIG
 *   stdin -         read one line from stdin and echo it as "stdin LINE"
 */
#include <signal.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void report(const char *op, const char *arg, int rc)
{
	printf("%s %s -> %s\n", op, arg, rc == 0 ? "ok" : strerrorname_np(errno));
	fflush(stdout);
}

static int do_read(const char *path)
{
	char c;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (read(fd, &c, 1) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

static int do_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	if (write(fd, "x", 1) != 1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128];
	const char *colon = strrchr(s, ':');
	int port;

	if (!colon || (size_t)(colon - s) >= sizeof(host)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = atoi(colon + 1);
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		host[strlen(host) - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1) {
			errno = EINVAL;
			return -1;
		}
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
			errno = EINVAL;
			return -1;
		}
		*len = sizeof(*s4);
	}
	return 0;
}

static int do_net(const char *addr, int type)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, rc, e;

	if (parse_addr(addr, &ss, &len) < 0)
		return -1;
	fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (type == SOCK_STREAM)
		rc = connect(fd, (struct sockaddr *)&ss, len);
	else
		rc = sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) == 1 ? 0 : -1;
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

static int do_listen(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, c, one = 1;

	if (parse_addr(addr, &ss, &len) < 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 8) < 0)
		return -1;
	printf("listening %s\n", addr);
	fflush(stdout);
	alarm(60);	/* never outlive a test run */
	c = accept(fd, NULL, NULL);
	if (c >= 0)
		close(c);
	close(fd);
	return c < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *op = argv[i], *arg = argv[i + 1];

		if (strcmp(op, "read") == 0)
			report(op, arg, do_read(arg));
		else if (strcmp(op, "write") == 0)
			report(op, arg, do_write(arg));
		else if (strcmp(op, "connect") == 0)
			report(op, arg, do_net(arg, SOCK_STREAM));
		else if (strcmp(op, "udp") == 0)
			report(op, arg, do_net(arg, SOCK_DGRAM));
		else if (strcmp(op, "exec") == 0) {
			char *const av[] = { (char *)arg, NULL };

			execv(arg, av);
			report(op, arg, -1);
		} else if (strcmp(op, "exit") == 0)
			return atoi(arg);
		else if (strcmp(op, "cgroup") == 0) {
			char line[512];
			FILE *f = fopen("/proc/self/cgroup", "re");

			while (f && fgets(line, sizeof(line), f))
				printf("cgroup %s", line);
			if (f)
				fclose(f);
			else
				report(op, arg, -1);
		} else if (strcmp(op, "listen") == 0)
			report(op, arg, do_listen(arg));
		else if (strcmp(op, "stdin") == 0) {
			char line[256];

			if (fgets(line, sizeof(line), stdin))
				printf("stdin %s", line);
			else
				report(op, arg, -1);
		} else if (strcmp(op, "kill") == 0)
			raise(atoi(arg));
		else if (strcmp(op, "uid") == 0)
			printf("uid %u euid %u\n", getuid(), geteuid());
		else {
			fprintf(stderr, "probe: unknown op %s\n", op);
			return 2;
		}
	}
	return 0;
}

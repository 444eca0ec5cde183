// SPDX-License-Identifier: MIT
/*
 * asker PERM [A:P]: ask the agent for an optional permission on the consent
 * channel (fd $RAGGED_CONSENT_FD), print the answer, then, if given, try a
 * TCP connect to A:P and print "connect A:P -> ok|ERRNO".
 *
 * asker flood N PERM: a hostile plugin: ask N times as fast as it can,
 * reading every answer; print "flood sent N answered M".
 * asker flood-noread N PERM: ask N times and never read an answer; print
 * "noread sent K of N: ERRNO|ok" (the agent closes the channel on it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int flood(int fd, long n, const char *perm, int read_answers)
{
	char req[256], rep[1024];
	long sent = 0, answered = 0;
	int len = snprintf(req, sizeof(req), "{\"request\":\"%s\",\"reason\":\"flood\"}", perm);

	for (; sent < n; sent++) {
		if (send(fd, req, (size_t)len, MSG_NOSIGNAL) != len)
			break;
		if (read_answers) {
			if (recv(fd, rep, sizeof(rep), 0) <= 0)
				break;
			answered++;
		}
	}
	if (read_answers)
		printf("flood sent %ld answered %ld\n", sent, answered);
	else
		printf("noread sent %ld of %ld: %s\n", sent, n, sent < n ? strerrorname_np(errno) : "ok");
	return 0;
}

int main(int argc, char **argv)
{
	const char *fdenv = getenv("RAGGED_CONSENT_FD");
	char req[256], rep[1024];
	int fd = fdenv ? atoi(fdenv) : -1;
	ssize_t n;

	if (argc < 2 || fd < 0) {
		fprintf(stderr, "asker: usage: asker PERM [A:P] (under raggedd)\n");
		return 2;
	}
	if (argc == 4 && (strcmp(argv[1], "flood") == 0 || strcmp(argv[1], "flood-noread") == 0))
		return flood(fd, atol(argv[2]), argv[3], strcmp(argv[1], "flood") == 0);
	snprintf(req, sizeof(req), "{\"request\":\"%s\",\"reason\":\"test\"}", argv[1]);
	if (send(fd, req, strlen(req), 0) < 0 || (n = recv(fd, rep, sizeof(rep) - 1, 0)) <= 0) {
		printf("answer -> %s\n", strerrorname_np(errno));
		return 1;
	}
	rep[n] = '\0';
	printf("answer %s\n", rep);
	fflush(stdout);
	if (argc > 2) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		char host[64];
		char *colon;
		int s;

		snprintf(host, sizeof(host), "%s", argv[2]);
		colon = strrchr(host, ':');
		if (!colon)
			return 2;
		*colon = '\0';
		sin.sin_port = htons((uint16_t)atoi(colon + 1));
		inet_pton(AF_INET, host, &sin.sin_addr);
		s = socket(AF_INET, SOCK_STREAM, 0);
		printf("connect %s -> %s\n", argv[2],
		       connect(s, (struct sockaddr *)&sin, sizeof(sin)) == 0 ? "ok" : strerrorname_np(errno));
		close(s);
	}
	return 0;
}

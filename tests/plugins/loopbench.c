// SPDX-License-Identifier: MIT
/*
 * loopbench: syscall loops for the enforcement benchmark
 * (tools/bench/enforce.sh). Plain C, no agent code: the same binary runs as
 * a sandboxed plugin, as a plain process with the agent stopped, and as a
 * plain process beside a running agent.
 *
 *   loopbench [-r ROUNDS] [-b BLOCK] [-o FILE] [-u IP:PORT] [-t IP:PORT]
 *             [-x FILE] [-k]
 *   loopbench -l IP:PORT
 *
 *   -o FILE     op "open": open(FILE, O_RDONLY) + close
 *   -u IP:PORT  op "udp": connect() of one UDP socket to IP:PORT (no I/O;
 *               the cgroup connect4 hook runs on every call)
 *   -t IP:PORT  op "tcp": socket + connect to IP:PORT + close with an RST
 *               (SO_LINGER 0: no TIME_WAIT pile-up over many loops)
 *   -x FILE     op "mmap": mmap(PROT_READ|PROT_EXEC) of FILE + munmap
 *               (the mmap_file LSM hook with PROT_EXEC)
 *   -k          op "kill": kill(getpid(), 0) (the task_kill LSM hook)
 *
 *   -l IP:PORT  serve the "tcp" op: listen on IP:PORT, accept and close
 *               every connection, until killed. Runs outside the sandbox
 *               (a plugin may not bind).
 *
 * Each round times BLOCK iterations of every enabled op, one op after the
 * other, starting with a different op each round, so the ops are
 * interleaved at block granularity and see the same machine noise. Prints
 * one line per op: "loopbench OP ns_per_op_median ns_per_op_min rounds".
 * Exits 2 if an op fails (a denial would make its timing meaningless).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { OP_OPEN, OP_UDP, OP_TCP, OP_MMAP, OP_KILL, OP_N };
static const char *const op_name[OP_N] = { "open", "udp", "tcp", "mmap", "kill" };

static const char *open_path, *mmap_path;
static struct sockaddr_in udp_to, tcp_to;
static int udp_fd = -1, mmap_fd = -1;

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "loopbench: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void parse_addr(const char *s, struct sockaddr_in *a)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (!colon || colon - s >= (long)sizeof(host)) {
		fprintf(stderr, "loopbench: bad address %s (want IP:PORT)\n", s);
		exit(2);
	}
	memcpy(host, s, colon - s);
	host[colon - s] = 0;
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((unsigned short)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
		fprintf(stderr, "loopbench: bad IPv4 address %s\n", host);
		exit(2);
	}
}

static void one(int op)
{
	switch (op) {
	case OP_OPEN: {
		int fd = open(open_path, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			die("open");
		close(fd);
		break;
	}
	case OP_UDP:
		if (connect(udp_fd, (struct sockaddr *)&udp_to, sizeof(udp_to)) < 0)
			die("udp connect");
		break;
	case OP_TCP: {
		struct linger lg = { 1, 0 };
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (c < 0)
			die("tcp socket");
		if (connect(c, (struct sockaddr *)&tcp_to, sizeof(tcp_to)) < 0)
			die("tcp connect");
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c);
		break;
	}
	case OP_MMAP: {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, mmap_fd, 0);

		if (p == MAP_FAILED)
			die("mmap");
		munmap(p, 4096);
		break;
	}
	case OP_KILL:
		if (kill(getpid(), 0) < 0)
			die("kill");
		break;
	}
}

static __attribute__((noreturn)) void serve(const char *addr)
{
	struct sockaddr_in a;
	int one_ = 1, l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	parse_addr(addr, &a);
	if (l < 0)
		die("listen socket");
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one_, sizeof(one_));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	if (listen(l, 4096) < 0)
		die("listen");
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int s = accept4(l, NULL, NULL, SOCK_CLOEXEC);

		if (s >= 0)
			close(s);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int rounds = 20, block = 500, on[OP_N] = { 0 }, ops[OP_N], nops = 0, c;
	double *t[OP_N];

	while ((c = getopt(argc, argv, "r:b:o:u:t:x:kl:")) != -1) {
		switch (c) {
		case 'l': serve(optarg);
		case 'r': rounds = atoi(optarg); break;
		case 'b': block = atoi(optarg); break;
		case 'o': open_path = optarg; on[OP_OPEN] = 1; break;
		case 'u': parse_addr(optarg, &udp_to); on[OP_UDP] = 1; break;
		case 't': parse_addr(optarg, &tcp_to); on[OP_TCP] = 1; break;
		case 'x': mmap_path = optarg; on[OP_MMAP] = 1; break;
		case 'k': on[OP_KILL] = 1; break;
		default:
			fprintf(stderr, "usage: loopbench [-r ROUNDS] [-b BLOCK] [-o FILE] "
				"[-u IP:PORT] [-t IP:PORT] [-x FILE] [-k] | loopbench -l IP:PORT\n");
			return 2;
		}
	}
	if (rounds < 1 || block < 1)
		return 2;
	for (int i = 0; i < OP_N; i++)
		if (on[i])
			ops[nops++] = i;
	if (!nops)
		return 0;
	if (on[OP_UDP] && (udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		die("udp socket");
	if (on[OP_MMAP] && (mmap_fd = open(mmap_path, O_RDONLY | O_CLOEXEC)) < 0)
		die("open for mmap");

	for (int i = 0; i < nops; i++) {
		t[i] = calloc(rounds, sizeof(double));
		if (!t[i])
			die("calloc");
		for (int k = 0; k < block / 10 + 1; k++)	/* warm up */
			one(ops[i]);
	}
	for (int r = 0; r < rounds; r++) {
		for (int j = 0; j < nops; j++) {
			int i = (r + j) % nops;
			double t0 = now_ns();

			for (int k = 0; k < block; k++)
				one(ops[i]);
			t[i][r] = (now_ns() - t0) / block;
		}
	}
	for (int i = 0; i < nops; i++) {
		qsort(t[i], rounds, sizeof(double), cmp_double);
		printf("loopbench %s %.1f %.1f %d\n", op_name[ops[i]],
		       rounds % 2 ? t[i][rounds / 2] : (t[i][rounds / 2 - 1] + t[i][rounds / 2]) / 2,
		       t[i][0], rounds);
	}
	return 0;
}

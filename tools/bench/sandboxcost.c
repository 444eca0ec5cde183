// SPDX-License-Identifier: MIT
/*
 * sandboxcost: what the landlock-mode sandbox itself adds to a syscall, one
 * layer at a time, with the agent's own code (agent/daemon/landlock.c and
 * seccomp.c, linked in by tools/bench/sandbox.sh). Configurations, each in
 * a fresh child, interleaved round by round:
 *   P  plain (no restriction)
 *   S  the agent's seccomp filter as a linear list (libseccomp's default)
 *   T  the same filter as a binary tree (SCMP_FLTATR_CTL_OPTIMIZE=2), as built for runs
 *   L  a Landlock ruleset like a run's (the baseline system paths + the file's dir)
 *   LS Landlock + the agent's filter (what a plugin has in landlock mode)
 * Ops: open+close of FILE, connect() of a UDP socket to 127.0.0.1:53, and
 * ioctl(FIONREAD) on a pipe (a syscall the filter checks by argument, so the
 * kernel cannot cache its verdict: the filter really runs on it). Also the
 * install itself, once per sample: the ruleset and the filter as a run's
 * child sets them up (CPU time of the child's restrict step; for S and T
 * the kernel's work on a filter: checking it, JIT-compiling it and
 * computing which syscalls it allows whatever their arguments).
 * Prints the median CPU ns/op per op and config, the ratios to P, and BENCH lines.
 *
 *   sandboxcost FILE [ROUNDS [ITERS]]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "seccomp.h"

/* sandbox.sh compiles seccomp.c twice: as built for runs (these names) and linear. */
int seccomp_linear_prepare(char *err, size_t errlen);
int seccomp_linear_apply(enum enforcement_mode mode, char *err, size_t errlen);

enum { C_P, C_S, C_T, C_L, C_LS, C_N };
enum { O_OPEN, O_UDP, O_IOCTL, O_INSTALL, O_N };
static const char *cname[C_N] = { "P", "S", "T", "L", "LS" };
static const char *oname[O_N] = { "open+close", "udp connect", "ioctl (filtered)",
				     "install (once)" };

/*
 * The thread's own CPU time (user + system), not the wall clock: on a shared
 * machine the wall clock counts whoever else ran meanwhile.
 */
static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int restrict_to(int c, const char *file)
{
	static struct file_rule rules[8];
	struct policy p = { .files = rules };
	const char *sys[] = { "/usr/", "/lib/", "/lib64/", "/etc/", "/dev/null", "/tmp/" };
	char err[256], dir[RAGGED_PATH_MAX], *slash;

	if (c == C_L || c == C_LS) {
		for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
			snprintf(rules[p.n_files].path, sizeof(rules[0].path), "%s", sys[i]);
			rules[p.n_files++].access = RAGGED_ACC_READ;
		}
		snprintf(dir, sizeof(dir), "%s", file);
		if ((slash = strrchr(dir, '/')))
			slash[1] = '\0';
		snprintf(rules[p.n_files].path, sizeof(rules[0].path), "%s", dir);
		rules[p.n_files++].access = RAGGED_ACC_READ;
		if (landlock_apply(&p, landlock_abi_version(), -1, err, sizeof(err)) < 0) {
			fprintf(stderr, "sandboxcost: %s\n", err);
			return -1;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	if ((c == C_T || c == C_LS) && seccomp_apply(MODE_LANDLOCK, err, sizeof(err)) < 0) {
		fprintf(stderr, "sandboxcost: %s\n", err);
		return -1;
	}
	if (c == C_S && seccomp_linear_apply(MODE_LANDLOCK, err, sizeof(err)) < 0) {
		fprintf(stderr, "sandboxcost: %s\n", err);
		return -1;
	}
	return 0;
}

/* In a child: restrict, run each op's loop, write ns/op per op to out[]. */
static int sample(int c, const char *file, int iters, double *out)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
	int pfd[2];
	pid_t pid;
	int st;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(out, 0, sizeof(double) * O_N);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		int s, p[2], n;
		double t0;

		t0 = now_ns();
		if (restrict_to(c, file) < 0)
			_exit(1);
		out[O_INSTALL] = now_ns() - t0;
		if (pipe(p) < 0 || (s = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
			_exit(1);
		t0 = now_ns();
		for (int i = 0; i < iters; i++) {
			int fd = open(file, O_RDONLY | O_CLOEXEC);

			if (fd < 0)
				_exit(2);
			close(fd);
		}
		out[O_OPEN] = (now_ns() - t0) / iters;
		t0 = now_ns();
		for (int i = 0; i < iters; i++)
			if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
				_exit(3);
		out[O_UDP] = (now_ns() - t0) / iters;
		t0 = now_ns();
		for (int i = 0; i < iters; i++)
			if (ioctl(p[0], FIONREAD, &n) < 0)
				_exit(4);
		out[O_IOCTL] = (now_ns() - t0) / iters;
		_exit(0);
	}
	(void)pfd;
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	int rounds = argc > 2 ? atoi(argv[2]) : 15, iters = argc > 3 ? atoi(argv[3]) : 20000;
	double (*res)[C_N][O_N], *shared, med[C_N][O_N];
	char err[256];

	if (argc < 2 || rounds < 1 || iters < 1) {
		fprintf(stderr, "usage: sandboxcost FILE [ROUNDS [ITERS]]\n");
		return 2;
	}
	if (seccomp_prepare(err, sizeof(err)) < 0 || seccomp_linear_prepare(err, sizeof(err)) < 0) {
		fprintf(stderr, "sandboxcost: %s\n", err);
		return 1;
	}
	res = calloc((size_t)rounds, sizeof(*res));
	shared = mmap(NULL, sizeof(double) * O_N, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	if (!res || shared == MAP_FAILED)
		return 1;
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < C_N; k++) {
			int c = (k + r) % C_N;	/* rotate who goes first */

			if (sample(c, argv[1], iters, shared) < 0) {
				fprintf(stderr, "sandboxcost: config %s failed\n", cname[c]);
				return 1;
			}
			memcpy(res[r][c], shared, sizeof(double) * O_N);
		}
	for (int c = 0; c < C_N; c++)
		for (int o = 0; o < O_N; o++) {
			double v[rounds];

			for (int r = 0; r < rounds; r++)
				v[r] = res[r][c][o];
			qsort(v, (size_t)rounds, sizeof(double), cmp_double);
			med[c][o] = rounds % 2 ? v[rounds / 2] : (v[rounds / 2 - 1] + v[rounds / 2]) / 2;
		}
	printf("sandboxcost: %d rounds x %d iterations, medians ns/op (ratio to P)\n", rounds, iters);
	printf("| op | P | S seccomp | T seccomp tree | L Landlock | LS both |\n|---|---|---|---|---|---|\n");
	for (int o = 0; o < O_N; o++) {
		printf("| %s | %.0f |", oname[o], med[C_P][o]);
		for (int c = 1; c < C_N; c++)
			if (o == O_INSTALL)	/* P installs nothing: no ratio */
				printf(" %.0f |", med[c][o]);
			else
				printf(" %.0f (%.2f) |", med[c][o], med[c][o] / med[C_P][o]);
		printf("\n");
	}
	for (int o = 0; o < O_INSTALL; o++) {
		static const char *mname[O_INSTALL] = { "open", "udp", "ioctl" };

		for (int c = 1; c < C_N; c++) {
			char v[32], b[32];

			snprintf(v, sizeof(v), "%.1f", med[c][o]);
			snprintf(b, sizeof(b), "%.1f", med[C_P][o]);
			printf("BENCH metric=sandbox_%s_%s_vs_plain value=%s base=%s ratio=%.4f target=info unit=ns\n",
			       mname[o], cname[c], v, b, atof(v) / atof(b));
		}
	}
	{
		char v[32], b[32];

		/* The filter's install, as a tree and as the linear list. */
		snprintf(v, sizeof(v), "%.1f", med[C_T][O_INSTALL]);
		snprintf(b, sizeof(b), "%.1f", med[C_S][O_INSTALL]);
		if (atof(b) > 0)
			printf("BENCH metric=sandbox_install_T_vs_S value=%s base=%s ratio=%.4f "
			       "target=info unit=ns\n", v, b, atof(v) / atof(b));
		else
			printf("BENCH metric=sandbox_install_T_vs_S value=na base=na ratio=na "
			       "target=info unit=ns\n");
	}
	return 0;
}

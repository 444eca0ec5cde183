// SPDX-License-Identifier: MIT
/*
 * startbench: sandbox start latency, docs/contract.md §8 "request -> plugin's first
 * instruction", for three launchers of the same trivial program
 * (tools/bench/firstinsn.c), interleaved round-robin in one run:
 *
 *   A  bare:    posix_spawn(firstinsn)            (or fork+execve, --fork)
 *   B  bwrap:   bwrap --ro-bind / / --unshare-all firstinsn
 *   C  ragged:  raggedctl run <plugin>            (the plugin's entry is firstinsn)
 *   D  direct:  the same run request sent by the harness itself on the agent
 *               socket (what raggedctl sends: one SEQPACKET JSON message with
 *               stdin/stdout/stderr as SCM_RIGHTS). Not a docs/contract.md §8 method:
 *               it splits C into client start-up and agent work. --no-direct
 *               leaves it out.
 *   F  floor:   the agent's own kernel start steps (scratch tmpfs, cgroups,
 *               policy, the same clone3 child: Landlock, seccomp, creds),
 *               called by the harness itself with nothing of the agent's
 *               request handling (tools/bench/startfloor.c; --floor-dir).
 *               Information: F/A is what the kernel asks of any launcher of
 *               this sandbox, D - F what the agent adds to it.
 *   E  dynamic: posix_spawn of the same program linked dynamically (libc
 *               alone; --dyn-bin). Information: what any dynamically linked
 *               client costs to start, so (A + D)/B and (E + D)/B say what
 *               a client as fast as a static program, or as any dynamic
 *               one, would make of C/B in front of this agent.
 *
 * For each sample the harness reads CLOCK_MONOTONIC (t0) just before it
 * spawns the launcher, with the launcher's stdout on a fresh pipe. The
 * program writes its own CLOCK_MONOTONIC reading (t1), taken first thing in
 * main, to that stdout (for C the agent hands the caller's stdout to the
 * plugin). first-instruction latency = t1 - t0. The harness also stamps
 * the moment waitpid() returns for the launcher (t2): exit latency = t2 - t0,
 * which for C is the whole `raggedctl run` round trip.
 *
 * Round-robin (A, B, C, D, A, B, C, D, ...) so that machine noise hits every
 * method alike. After every sample, whatever the method, the harness waits
 * until the --idle-dir directories are empty (the agent's per-run scratch
 * dir is the last thing it removes after a run) and then --gap-ms (default
 * 50). The gap keeps samples independent: moving a task between cgroups
 * (the agent's child joining its v1 cgroups) waits for an RCU grace period
 * (about 10 ms here) unless another migration happened within roughly the
 * last grace period, so with gaps under ~30 ms a run that follows another
 * run is measured "warm" and looks ~10 ms faster than a request arriving
 * on its own. It also lets bwrap's namespace teardown finish.
 *
 * Output: a readable table, then machine-readable lines, one fact each,
 * "startbench: key=value ...":
 *   startbench: run iterations=N warmup=K gap_ms=G spawn=... nproc=P kernel=R
 *   startbench: method=A|B|C|D|F|E status=ok n=.. failed=.. first_median_ms=..
 *               first_p10_ms=.. first_p90_ms=.. first_mean_ms=.. first_min_ms=..
 *               first_max_ms=.. exit_median_ms=.. exit_p10_ms=.. exit_p90_ms=..
 *   startbench: method=B status=unavailable reason="..."
 *   startbench: ratio=C/A value=.. ci95_lo=.. ci95_hi=..   (also C/B; D/A info=1)
 *   startbench: target=product_C_le_1.5xA limit=1.5 value=.. holds=yes|no|unknown
 *   startbench: target=product_C_le_0.5xB limit=0.5 value=.. holds=...
 *   startbench: target=seed_C_lt_100ms limit_ms=100 value_ms=.. holds=...
 * Ratios are of medians of first-instruction latency; the interval is a
 * percentile bootstrap. Optional --raw FILE: one CSV line per sample
 * (round, method, absolute t0, first-instruction and exit latency in ns).
 *
 * Exit status: 0 when A and C could be measured (targets missed or not:
 * this is a benchmark), 1 on bad usage, 2 when A or C could not be measured.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "startfloor.h"

extern char **environ;

enum { M_A, M_B, M_C, M_D, M_F, M_E, M_COUNT };

static const char *const mname[M_COUNT] = { "A", "B", "C", "D", "F", "E" };
static const char *const mdesc[M_COUNT] = {
	"bare spawn+exec", "bwrap --ro-bind / / --unshare-all", "raggedctl run (raggedd)",
	"agent socket, no client (info only)", "floor: agent's kernel steps (info)",
	"bare spawn, dynamic program (info)",
};

struct method {
	char *argv[16];
	bool available;
	char reason[512];
	int errfd;		/* the launcher's stderr: a temp file, shown on failure */
	uint64_t *first, *exit;	/* ns, successful samples only */
	size_t n, failed;
	char last_err[512];
};

static struct {
	unsigned iters, warmup, gap_ms, timeout_ms;
	bool use_fork, direct;
	const char *raw, *socket, *plugin;
	const char *floor_dir, *floor_entry, *floor_mode, *floor_state, *floor_cgroup;
	const char *idle_dirs[8];
	int n_idle;
} opt = { .iters = 200, .warmup = 5, .gap_ms = 50, .timeout_ms = 10000, .direct = true };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static bool dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool empty = true;

	if (!d)
		return true;	/* not there (yet): nothing pending */
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = false;
			break;
		}
	closedir(d);
	return empty;
}

/* Wait until the agent has finished tearing down the previous run. */
static void settle(void)
{
	for (int i = 0; i < opt.n_idle; i++)
		for (int k = 0; k < 10000 && !dir_empty(opt.idle_dirs[i]); k++)
			usleep(200);
	if (opt.gap_ms)
		sleep_ms(opt.gap_ms);
}

static void read_errfd(struct method *m, char *out, size_t len)
{
	ssize_t n = pread(m->errfd, out, len - 1, 0);

	out[n > 0 ? n : 0] = '\0';
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '"')
			*p = *p == '\n' ? ' ' : '\'';
	n = (ssize_t)strlen(out);
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
}

static pid_t launch(struct method *m, int outfd)
{
	pid_t pid;

	if (opt.use_fork) {
		pid = fork();
		if (pid == 0) {
			int nul = open("/dev/null", O_RDONLY);

			if (nul < 0 || dup2(nul, 0) < 0 || dup2(outfd, 1) < 0 || dup2(m->errfd, 2) < 0)
				_exit(127);
			execve(m->argv[0], m->argv, environ);
			_exit(127);
		}
		return pid;
	} else {
		posix_spawn_file_actions_t fa;
		int rc;

		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
		posix_spawn_file_actions_adddup2(&fa, outfd, 1);
		posix_spawn_file_actions_adddup2(&fa, m->errfd, 2);
		rc = posix_spawn(&pid, m->argv[0], &fa, NULL, m->argv, environ);
		posix_spawn_file_actions_destroy(&fa);
		if (rc) {
			errno = rc;
			return -1;
		}
		return pid;
	}
}

/* Read the program's 8-byte timestamp; false on timeout or EOF. */
static bool read_stamp(int fd, uint64_t *t1)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;

	while (got < sizeof(*t1)) {
		ssize_t n;
		int pr = poll(&pfd, 1, (int)opt.timeout_ms);

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return false;	/* timeout */
		n = read(fd, (char *)t1 + got, sizeof(*t1) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;	/* EOF: the program never wrote */
		got += (size_t)n;
	}
	return true;
}

static uint64_t last_t0;	/* absolute request time of the last sample, for --raw */

/* F's steps per successful sample (ns), and the last one's (kept once it counts). */
static uint64_t *floor_step[FLOOR_PREP + 1];
static uint64_t steps[FLOOR_PREP];

static int check_times(struct method *m, uint64_t t0, uint64_t t1, uint64_t t2,
		       uint64_t *first, uint64_t *exitns)
{
	if (t1 < t0 || t1 > t2) {
		snprintf(m->last_err, sizeof(m->last_err),
			 "timestamp outside [request, exit]: not CLOCK_MONOTONIC of this boot?");
		return -1;
	}
	*first = t1 - t0;
	*exitns = t2 - t0;
	return 0;
}

/*
 * One sample of A, B, C (the launcher spawned) or F (floor: the harness
 * starts the program itself). Returns 0 and fills *first and *exitns (ns
 * since t0), or -1 with the reason in m->last_err.
 */
static int sample_spawn(struct method *m, bool floor, uint64_t *first, uint64_t *exitns)
{
	int p[2], status = 0, rc = 0;
	uint64_t t0, t1 = 0, t2;
	char err[400];
	bool got;
	pid_t pid;

	if (ftruncate(m->errfd, 0) < 0 || pipe2(p, O_CLOEXEC) < 0) {
		snprintf(m->last_err, sizeof(m->last_err), "harness: %s", strerror(errno));
		return -1;
	}
	last_t0 = t0 = now_ns();
	if (floor) {
		rc = floor_spawn(p[1], m->errfd, &pid, steps, err, sizeof(err));
	} else if ((pid = launch(m, p[1])) < 0) {
		snprintf(err, sizeof(err), "spawn %s: %s", m->argv[0], strerror(errno));
		rc = -1;
	}
	if (rc < 0) {
		snprintf(m->last_err, sizeof(m->last_err), "%s", err);
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	got = read_stamp(p[0], &t1);
	close(p[0]);
	if (!got)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	t2 = now_ns();
	if (floor)
		floor_reap();
	if (!got || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		read_errfd(m, err, sizeof(err));
		snprintf(m->last_err, sizeof(m->last_err), "%s; %s%d; stderr: %s",
			 got ? "timestamp received" : "no timestamp",
			 WIFEXITED(status) ? "exit status " : "signal ",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			 err[0] ? err : "(empty)");
		return -1;
	}
	return check_times(m, t0, t1, t2, first, exitns);
}

/*
 * One sample of D: the harness is the client. The request is exactly what
 * `raggedctl run NAME` sends (agent/ctl/cmd_run.c): one JSON message on the
 * SOCK_SEQPACKET socket with stdin, stdout, stderr as SCM_RIGHTS. Replies
 * are "started", then "exit" (or "error").
 */
static int sample_direct(struct method *m, uint64_t *first, uint64_t *exitns)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char req[256], reply[4096], cbuf[CMSG_SPACE(sizeof(int) * 3)];
	struct msghdr mh = { 0 };
	struct iovec iov;
	struct cmsghdr *cm;
	int p[2], fds[3], s = -1, nul = -1, rc = -1;
	uint64_t t0, t1 = 0, t2;
	bool got, done = false;

	if (ftruncate(m->errfd, 0) < 0 || pipe2(p, O_CLOEXEC) < 0) {
		snprintf(m->last_err, sizeof(m->last_err), "harness: %s", strerror(errno));
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", opt.socket);
	snprintf(req, sizeof(req),
		 "{\"cmd\":\"run\",\"plugin\":\"%s\",\"yes\":false,\"tty\":false,\"args\":[]}",
		 opt.plugin);
	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

	last_t0 = t0 = now_ns();
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (nul < 0 || s < 0 || connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(m->last_err, sizeof(m->last_err), "connect %s: %s", opt.socket,
			 strerror(errno));
		close(p[1]);
		goto out;
	}
	fds[0] = nul;
	fds[1] = p[1];
	fds[2] = m->errfd;
	iov.iov_base = req;
	iov.iov_len = strlen(req);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	if (sendmsg(s, &mh, MSG_NOSIGNAL) != (ssize_t)iov.iov_len) {
		snprintf(m->last_err, sizeof(m->last_err), "send: %s", strerror(errno));
		close(p[1]);
		goto out;
	}
	close(p[1]);
	got = read_stamp(p[0], &t1);
	/* Replies until "exit" or "error" (or the agent hangs up). */
	while (!done) {
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, (int)opt.timeout_ms) <= 0)
			break;
		n = recv(s, reply, sizeof(reply) - 1, 0);
		if (n <= 0)
			break;
		reply[n] = '\0';
		if (strstr(reply, "\"type\":\"exit\"")) {
			done = true;
			if (got && strstr(reply, "\"status\":0"))
				rc = 0;
		} else if (strstr(reply, "\"type\":\"error\"")) {
			done = true;
		}
	}
	t2 = now_ns();
	if (rc < 0) {
		snprintf(m->last_err, sizeof(m->last_err), "%s; agent reply: %.300s",
			 got ? "timestamp received" : "no timestamp", done ? reply : "(none)");
		goto out;
	}
	rc = check_times(m, t0, t1, t2, first, exitns);
out:
	close(p[0]);
	if (s >= 0)
		close(s);
	if (nul >= 0)
		close(nul);
	return rc;
}

static int sample(struct method *m, int k, uint64_t *first, uint64_t *exitns)
{
	return k == M_D ? sample_direct(m, first, exitns) : sample_spawn(m, k == M_F, first, exitns);
}

/* ---- statistics ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Linear interpolation between closest ranks (R type 7, numpy default). */
static double quantile_sorted(const uint64_t *v, size_t n, double q)
{
	double pos, frac;
	size_t i;

	if (n == 0)
		return 0;
	pos = q * (double)(n - 1);
	i = (size_t)pos;
	frac = pos - (double)i;
	if (i + 1 >= n)
		return (double)v[n - 1];
	return (double)v[i] + frac * ((double)v[i + 1] - (double)v[i]);
}

struct stats {
	double med, p10, p90, mean, min, max;
};

static struct stats stats_of(const uint64_t *in, size_t n)
{
	struct stats s = { 0 };
	uint64_t *v;
	double sum = 0;

	if (n == 0 || !(v = malloc(n * sizeof(*v))))
		return s;
	memcpy(v, in, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < n; i++)
		sum += (double)v[i];
	s.med = quantile_sorted(v, n, 0.5) / 1e6;
	s.p10 = quantile_sorted(v, n, 0.1) / 1e6;
	s.p90 = quantile_sorted(v, n, 0.9) / 1e6;
	s.mean = sum / (double)n / 1e6;
	s.min = (double)v[0] / 1e6;
	s.max = (double)v[n - 1] / 1e6;
	free(v);
	return s;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static double median_resampled(const uint64_t *v, size_t n, uint64_t *tmp)
{
	for (size_t i = 0; i < n; i++)
		tmp[i] = v[rng() % n];
	qsort(tmp, n, sizeof(*tmp), cmp_u64);
	return quantile_sorted(tmp, n, 0.5);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* 95% percentile-bootstrap interval of median(x)/median(y). */
static void ratio_ci(const uint64_t *x, size_t nx, const uint64_t *y, size_t ny,
		     double *lo, double *hi)
{
	enum { B = 2000 };
	double *r = malloc(B * sizeof(*r));
	uint64_t *tmp = malloc((nx > ny ? nx : ny) * sizeof(*tmp));

	*lo = *hi = 0;
	if (!r || !tmp || !nx || !ny) {
		free(r);
		free(tmp);
		return;
	}
	for (int b = 0; b < B; b++) {
		double mx = median_resampled(x, nx, tmp), my = median_resampled(y, ny, tmp);

		r[b] = my > 0 ? mx / my : 0;
	}
	qsort(r, B, sizeof(*r), cmp_dbl);
	*lo = r[(int)(0.025 * B)];
	*hi = r[(int)(0.975 * B) - 1];
	free(r);
	free(tmp);
}

/* ---- setup ---- */

static int tmpfile_fd(void)
{
	int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0) {
		char path[] = "/tmp/startbench.XXXXXX";

		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			unlink(path);
	}
	return fd;
}

static void usage(FILE *f)
{
	fputs("usage: startbench --bin FIRSTINSN [--bwrap BWRAP] --ctl RAGGEDCTL --plugin NAME\n"
	      "                  [-n ITERS] [--warmup K] [--gap-ms MS] [--idle-dir DIR]...\n"
	      "                  [--fork] [--raw FILE.csv] [--timeout-ms MS]\n"
	      "                  [--socket PATH] [--no-direct]\n"
	      "                  [--floor-dir PLUGIN_DIR --floor-entry ./PROG --floor-mode MODE\n"
	      "                   --floor-state DIR --floor-cgroup NAME] [--dyn-bin FIRSTINSN]\n"
	      "  RAGGED_SOCKET in the environment selects the agent for raggedctl and\n"
	      "  is the default for --socket (method D).\n"
	      "  --bwrap '' reports B as unavailable without trying it.\n", f);
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static const char *yesno(bool b)
{
	return b ? "yes" : "no";
}

/*
 * "BENCH metric=... value=... base=... ratio=... target=..." (ms; a value
 * or base < 0: not measured). The ratio is computed from the printed
 * figures, so that anyone can check it from the line alone.
 */
static void bench_line(const char *metric, double value, double base, const char *target)
{
	char v[32], b[32];

	if (value < 0 || base <= 0) {
		printf("BENCH metric=%s value=na base=na ratio=na target=%s unit=ms\n", metric, target);
		return;
	}
	snprintf(v, sizeof(v), "%.4f", value);
	snprintf(b, sizeof(b), "%.4f", base);
	printf("BENCH metric=%s value=%s base=%s ratio=%.4f target=%s unit=ms\n", metric, v, b,
	       atof(v) / atof(b), target);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "bin", required_argument, NULL, 'b' },
		{ "bwrap", required_argument, NULL, 'B' },
		{ "ctl", required_argument, NULL, 'c' },
		{ "plugin", required_argument, NULL, 'p' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "gap-ms", required_argument, NULL, 'g' },
		{ "idle-dir", required_argument, NULL, 'i' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "fork", no_argument, NULL, 'f' },
		{ "raw", required_argument, NULL, 'r' },
		{ "socket", required_argument, NULL, 's' },
		{ "no-direct", no_argument, NULL, 'D' },
		{ "floor-dir", required_argument, NULL, 'F' },
		{ "floor-entry", required_argument, NULL, 'E' },
		{ "floor-mode", required_argument, NULL, 'M' },
		{ "floor-state", required_argument, NULL, 'S' },
		{ "floor-cgroup", required_argument, NULL, 'G' },
		{ "dyn-bin", required_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *bin = NULL, *bwrap = "/usr/bin/bwrap", *ctl = NULL, *plugin = NULL, *dyn_bin = NULL;
	struct method m[M_COUNT];
	struct stats sf[M_COUNT], se[M_COUNT];
	struct utsname u;
	char load0[128] = "", load1[128] = "";
	FILE *raw = NULL;
	uint64_t t_begin;
	int c;

	while ((c = getopt_long(argc, argv, "n:h", lo, NULL)) != -1) {
		switch (c) {
		case 'b': bin = optarg; break;
		case 'y': dyn_bin = optarg; break;
		case 'B': bwrap = optarg; break;
		case 'c': ctl = optarg; break;
		case 'p': plugin = optarg; break;
		case 'n': opt.iters = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'w': opt.warmup = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'g': opt.gap_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 't': opt.timeout_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'f': opt.use_fork = true; break;
		case 'r': opt.raw = optarg; break;
		case 's': opt.socket = optarg; break;
		case 'D': opt.direct = false; break;
		case 'F': opt.floor_dir = optarg; break;
		case 'E': opt.floor_entry = optarg; break;
		case 'M': opt.floor_mode = optarg; break;
		case 'S': opt.floor_state = optarg; break;
		case 'G': opt.floor_cgroup = optarg; break;
		case 'i':
			if (opt.n_idle >= (int)(sizeof(opt.idle_dirs) / sizeof(opt.idle_dirs[0]))) {
				fprintf(stderr, "startbench: too many --idle-dir\n");
				return 1;
			}
			opt.idle_dirs[opt.n_idle++] = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (!opt.socket)
		opt.socket = getenv("RAGGED_SOCKET") && *getenv("RAGGED_SOCKET") ?
			getenv("RAGGED_SOCKET") : "/run/ragged/agent.sock";
	if (!bin || !ctl || !plugin || opt.iters < 1 || opt.timeout_ms < 1) {
		usage(stderr);
		return 1;
	}
	if (strlen(plugin) > 64 || strspn(plugin, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(plugin) ||
	    strlen(opt.socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		fprintf(stderr, "startbench: bad plugin name or socket path\n");
		return 1;
	}
	opt.plugin = plugin;
	signal(SIGPIPE, SIG_IGN);

	memset(m, 0, sizeof(m));
	m[M_A].argv[0] = (char *)bin;
	m[M_B].argv[0] = (char *)bwrap;
	m[M_B].argv[1] = "--ro-bind";
	m[M_B].argv[2] = "/";
	m[M_B].argv[3] = "/";
	m[M_B].argv[4] = "--unshare-all";
	m[M_B].argv[5] = (char *)bin;
	m[M_C].argv[0] = (char *)ctl;
	m[M_C].argv[1] = "run";
	m[M_C].argv[2] = (char *)plugin;
	m[M_E].argv[0] = (char *)dyn_bin;
	for (int k = 0; k < M_COUNT; k++) {
		m[k].available = true;
		m[k].errfd = tmpfile_fd();
		m[k].first = calloc(opt.iters, sizeof(uint64_t));
		m[k].exit = calloc(opt.iters, sizeof(uint64_t));
		if (m[k].errfd < 0 || !m[k].first || !m[k].exit) {
			fprintf(stderr, "startbench: setup: %s\n", strerror(errno ? errno : ENOMEM));
			return 2;
		}
	}
	if (!bwrap[0]) {
		m[M_B].available = false;
		snprintf(m[M_B].reason, sizeof(m[M_B].reason), "bwrap not installed");
	}
	if (!dyn_bin) {
		m[M_E].available = false;
		snprintf(m[M_E].reason, sizeof(m[M_E].reason), "left out (no --dyn-bin)");
	}
	if (!opt.direct) {
		m[M_D].available = false;
		snprintf(m[M_D].reason, sizeof(m[M_D].reason), "left out (--no-direct)");
	}
	if (!opt.floor_dir || !opt.floor_entry || !opt.floor_mode || !opt.floor_state ||
	    !opt.floor_cgroup) {
		m[M_F].available = false;
		snprintf(m[M_F].reason, sizeof(m[M_F].reason), "left out (no --floor-dir)");
	} else {
		char err[400];

		if (floor_init(opt.floor_dir, opt.floor_entry, opt.floor_mode, opt.floor_state,
			       opt.floor_cgroup, err, sizeof(err)) < 0) {
			m[M_F].available = false;
			snprintf(m[M_F].reason, sizeof(m[M_F].reason), "%s", err);
		}
		atexit(floor_fini);
	}
	for (int i = 0; i <= FLOOR_PREP; i++)
		if (!(floor_step[i] = calloc(opt.iters, sizeof(uint64_t)))) {
			fprintf(stderr, "startbench: setup: %s\n", strerror(ENOMEM));
			return 2;
		}
	if (opt.raw && !(raw = fopen(opt.raw, "w"))) {
		fprintf(stderr, "startbench: %s: %s\n", opt.raw, strerror(errno));
		return 1;
	}
	if (raw)
		fputs("round,method,t0_ns,first_insn_ns,exit_ns,ok\n", raw);

	/*
	 * Availability probe, then warm-up rounds (page cache, the agent's
	 * first-run setup such as the state/runs dir), both discarded. A method
	 * that fails its probe is reported unavailable with the reason; one
	 * that works in the probe and fails later has its failures counted.
	 */
	for (int k = 0; k < M_COUNT; k++) {
		uint64_t f, e;

		if (!m[k].available)
			continue;
		if (sample(&m[k], k, &f, &e) < 0) {
			m[k].available = false;
			snprintf(m[k].reason, sizeof(m[k].reason), "%s", m[k].last_err);
		}
		settle();
	}
	if (!m[M_A].available || !m[M_C].available) {
		for (int k = 0; k < M_COUNT; k++)
			if (!m[k].available)
				fprintf(stderr, "startbench: method %s (%s) does not work: %s\n",
					mname[k], mdesc[k], m[k].reason);
		return 2;
	}
	for (unsigned w = 0; w < opt.warmup; w++)
		for (int k = 0; k < M_COUNT; k++) {
			uint64_t f, e;

			if (m[k].available) {
				(void)sample(&m[k], k, &f, &e);
				settle();
			}
		}

	{
		FILE *la = fopen("/proc/loadavg", "re");

		if (la) {
			if (!fgets(load0, sizeof(load0), la))
				load0[0] = '\0';
			load0[strcspn(load0, "\n")] = '\0';
			fclose(la);
		}
	}
	t_begin = now_ns();
	for (unsigned it = 0; it < opt.iters; it++) {
		for (int k = 0; k < M_COUNT; k++) {
			uint64_t f = 0, e = 0;
			int rc;

			if (!m[k].available)
				continue;
			rc = sample(&m[k], k, &f, &e);
			if (rc == 0) {
				if (k == M_F) {
					uint64_t sum = 0;

					/*
					 * The steps before clone3, then the rest up to the
					 * first instruction (the program may run before
					 * launch_run sees its exec: that step is not used).
					 */
					for (int i = 0; i < FLOOR_PREP; i++) {
						floor_step[i][m[k].n] = steps[i];
						sum += steps[i];
					}
					floor_step[FLOOR_PREP][m[k].n] = f > sum ? f - sum : 0;
				}
				m[k].first[m[k].n] = f;
				m[k].exit[m[k].n] = e;
				m[k].n++;
			} else {
				if (!m[k].failed)
					fprintf(stderr, "startbench: %s sample %u failed: %s\n",
						mname[k], it, m[k].last_err);
				m[k].failed++;
			}
			if (raw)
				fprintf(raw, "%u,%s,%llu,%llu,%llu,%d\n", it, mname[k],
					(unsigned long long)last_t0, (unsigned long long)f,
					(unsigned long long)e, rc == 0);
			settle();
		}
	}
	{
		FILE *la = fopen("/proc/loadavg", "re");

		if (la) {
			if (!fgets(load1, sizeof(load1), la))
				load1[0] = '\0';
			load1[strcspn(load1, "\n")] = '\0';
			fclose(la);
		}
	}
	if (raw)
		fclose(raw);

	for (int k = 0; k < M_COUNT; k++) {
		sf[k] = stats_of(m[k].first, m[k].n);
		se[k] = stats_of(m[k].exit, m[k].n);
	}

	/* ---- readable ---- */
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	{
		char order[32] = "";

		for (int k = 0; k < M_COUNT; k++)
			if (m[k].available || k == M_B)
				snprintf(order + strlen(order), sizeof(order) - strlen(order), "%s,", mname[k]);
		printf("sandbox start: request -> first instruction, %u interleaved rounds (%s...),"
		       " %u warm-up rounds discarded\n", opt.iters, order, opt.warmup);
	}
	printf("machine: %ld CPUs, kernel %s; launcher started with %s; gap %u ms after each sample\n",
	       sysconf(_SC_NPROCESSORS_ONLN), u.release, opt.use_fork ? "fork+execve" : "posix_spawn",
	       opt.gap_ms);
	printf("loadavg before: %s; after: %s; wall time %.1f s\n\n", load0, load1,
	       (double)(now_ns() - t_begin) / 1e9);
	printf("%-2s %-36s %5s %5s | %-31s | %-31s\n", "", "", "", "",
	       "first instruction (ms)", "exit: launcher / D: reply (ms)");
	printf("%-2s %-36s %5s %5s | %9s %9s %9s  | %9s %9s %9s\n", "", "method", "ok", "fail",
	       "median", "p10", "p90", "median", "p10", "p90");
	for (int k = 0; k < M_COUNT; k++) {
		if (!m[k].available) {
			printf("%-2s %-36s unavailable: %s\n", mname[k], mdesc[k], m[k].reason);
			continue;
		}
		printf("%-2s %-36s %5zu %5zu | %9.3f %9.3f %9.3f  | %9.3f %9.3f %9.3f\n", mname[k],
		       mdesc[k], m[k].n, m[k].failed, sf[k].med, sf[k].p10, sf[k].p90,
		       se[k].med, se[k].p10, se[k].p90);
	}
	putchar('\n');

	{
		bool have_b = m[M_B].available && m[M_B].n > 0;
		bool have_d = m[M_D].available && m[M_D].n > 0;
		bool have_e = m[M_E].available && m[M_E].n > 0;
		bool have = m[M_A].n > 0 && m[M_C].n > 0;
		double ca = ratio(sf[M_C].med, sf[M_A].med);
		double cb = have_b ? ratio(sf[M_C].med, sf[M_B].med) : 0;
		double ca_lo, ca_hi, cb_lo = 0, cb_hi = 0;

		ratio_ci(m[M_C].first, m[M_C].n, m[M_A].first, m[M_A].n, &ca_lo, &ca_hi);
		if (have_b)
			ratio_ci(m[M_C].first, m[M_C].n, m[M_B].first, m[M_B].n, &cb_lo, &cb_hi);

		printf("ratios of medians (first instruction), with 95%% bootstrap interval:\n");
		printf("  C/A = %.2f  [%.2f, %.2f]\n", ca, ca_lo, ca_hi);
		if (have_b)
			printf("  C/B = %.2f  [%.2f, %.2f]\n", cb, cb_lo, cb_hi);
		else
			printf("  C/B = n/a (B unavailable)\n");
		if (have_d)
			printf("  (info) D/A = %.2f; C - D = %.3f ms: raggedctl's own start-up and "
			       "connect, the rest of C is the agent\n",
			       ratio(sf[M_D].med, sf[M_A].med), sf[M_C].med - sf[M_D].med);
		if (m[M_F].available && m[M_F].n > 0) {
			static const char *const sn[FLOOR_PREP + 1] = {
				"scratch", "cgroups", "policy", "clone3 to first instruction",
			};
			double child = stats_of(floor_step[FLOOR_PREP], m[M_F].n).med;

			printf("  (info) F/A = %.2f: the kernel work of this sandbox's start;"
			       " D - F = %.3f ms: what the agent adds to it\n",
			       ratio(sf[M_F].med, sf[M_A].med), sf[M_D].med - sf[M_F].med);
			printf("  (info) F by step, medians (ms):");
			for (int i = 0; i <= FLOOR_PREP; i++)
				printf(" %s %.3f;", sn[i], stats_of(floor_step[i], m[M_F].n).med);
			printf("\n  (info) the part no preparation ahead of the request can move"
			       " (clone3 to first instruction) / A = %.2f\n", ratio(child, sf[M_A].med));
		}
		if (have_b && have_d) {
			printf("  (info) (A + D)/B = %.2f: a client as fast as a static program, in front"
			       " of this agent\n", ratio(sf[M_A].med + sf[M_D].med, sf[M_B].med));
			if (have_e)
				printf("  (info) E/A = %.2f; (E + D)/B = %.2f: a client as fast as any"
				       " dynamically linked program, in front of this agent\n",
				       ratio(sf[M_E].med, sf[M_A].med),
				       ratio(sf[M_E].med + sf[M_D].med, sf[M_B].med));
		}
		printf("docs/contract.md §8 targets:\n");
		printf("  product: C <= 1.5 x A     %-8s (C/A = %.2f)\n",
		       have ? (ca <= 1.5 ? "holds" : "MISSED") : "unknown", ca);
		if (have_b)
			printf("  product: C <= 0.5 x B     %-8s (C/B = %.2f)\n",
			       cb <= 0.5 ? "holds" : "MISSED", cb);
		else
			printf("  product: C <= 0.5 x B     unknown  (B unavailable)\n");
		printf("  seed:    C < 100 ms       %-8s (median %.3f ms, p90 %.3f ms)\n",
		       have ? (sf[M_C].med < 100 ? "holds" : "MISSED") : "unknown",
		       sf[M_C].med, sf[M_C].p90);
		printf("\n");

		/* ---- machine-readable ---- */
		printf("startbench: run iterations=%u warmup=%u gap_ms=%u spawn=%s nproc=%ld kernel=%s\n",
		       opt.iters, opt.warmup, opt.gap_ms, opt.use_fork ? "fork" : "posix_spawn",
		       sysconf(_SC_NPROCESSORS_ONLN), u.release);
		for (int k = 0; k < M_COUNT; k++) {
			if (!m[k].available) {
				printf("startbench: method=%s status=unavailable reason=\"%s\"\n",
				       mname[k], m[k].reason);
				continue;
			}
			printf("startbench: method=%s status=ok n=%zu failed=%zu"
			       " first_median_ms=%.3f first_p10_ms=%.3f first_p90_ms=%.3f"
			       " first_mean_ms=%.3f first_min_ms=%.3f first_max_ms=%.3f"
			       " exit_median_ms=%.3f exit_p10_ms=%.3f exit_p90_ms=%.3f\n",
			       mname[k], m[k].n, m[k].failed, sf[k].med, sf[k].p10, sf[k].p90,
			       sf[k].mean, sf[k].min, sf[k].max, se[k].med, se[k].p10, se[k].p90);
		}
		printf("startbench: ratio=C/A value=%.3f ci95_lo=%.3f ci95_hi=%.3f\n", ca, ca_lo, ca_hi);
		if (have_b)
			printf("startbench: ratio=C/B value=%.3f ci95_lo=%.3f ci95_hi=%.3f\n", cb, cb_lo, cb_hi);
		else
			printf("startbench: ratio=C/B value=na\n");
		if (have_d)
			printf("startbench: ratio=D/A value=%.3f info=1\n", ratio(sf[M_D].med, sf[M_A].med));
		if (m[M_F].available && m[M_F].n > 0)
			printf("startbench: ratio=F/A value=%.3f info=1\n", ratio(sf[M_F].med, sf[M_A].med));
		printf("startbench: target=product_C_le_1.5xA limit=1.5 value=%.3f holds=%s\n", ca,
		       have ? yesno(ca <= 1.5) : "unknown");
		if (have_b)
			printf("startbench: target=product_C_le_0.5xB limit=0.5 value=%.3f holds=%s\n",
			       cb, yesno(cb <= 0.5));
		else
			printf("startbench: target=product_C_le_0.5xB limit=0.5 value=na holds=unknown\n");
		printf("startbench: target=seed_C_lt_100ms limit_ms=100 value_ms=%.3f holds=%s\n",
		       sf[M_C].med, have ? yesno(sf[M_C].med < 100) : "unknown");
		/* The lines tools/bench/summary.sh collects (docs/PERFORMANCE.md). */
		bench_line("start_C_vs_bwrap", have_b ? sf[M_C].med : -1, have_b ? sf[M_B].med : -1, "0.5");
		bench_line("start_C_vs_spawn", have ? sf[M_C].med : -1, have ? sf[M_A].med : -1, "1.5");
		if (have_d)
			bench_line("start_D_vs_spawn", sf[M_D].med, sf[M_A].med, "1.5");
		if (m[M_F].available && m[M_F].n > 0) {
			/* The floor: no launcher of this sandbox can start below it. */
			bench_line("start_floor_vs_spawn", sf[M_F].med, sf[M_A].med, "info");
			bench_line("start_floor_child_vs_spawn",
				   stats_of(floor_step[FLOOR_PREP], m[M_F].n).med, sf[M_A].med, "info");
			if (have_d)
				bench_line("start_D_vs_floor", sf[M_D].med, sf[M_F].med, "info");
		}
		if (have_b && have_d) {
			/* What a faster client could make of C/B: the agent as it is. */
			bench_line("start_static_client_vs_bwrap", sf[M_A].med + sf[M_D].med,
				   sf[M_B].med, "info");
			if (have_e)
				bench_line("start_dynamic_client_vs_bwrap", sf[M_E].med + sf[M_D].med,
					   sf[M_B].med, "info");
		}
		if (have_e)
			bench_line("start_dynamic_vs_spawn", sf[M_E].med, sf[M_A].med, "info");
		bench_line("start_C_seed_100ms", have ? sf[M_C].med : -1, 100, "1");
	}
	return m[M_A].n > 0 && m[M_C].n > 0 ? 0 : 2;
}

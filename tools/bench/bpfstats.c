// SPDX-License-Identifier: MIT
/*
 * bpfstats: the BPF side of tools/bench/enforce.sh.
 *
 *   bpfstats snap
 *       One line per loaded BPF program: "ID TYPE NAME RUN_CNT RUN_TIME_NS".
 *       RUN_* count only while kernel.bpf_stats_enabled is 1. The script
 *       subtracts two snapshots taken around a workload.
 *   bpfstats empty OBJ CGROUP_DIR [PATH_PREFIX ADDR4:PORT]
 *       Loads the empty programs of OBJ (build/bench/empty.bpf.o), attaches
 *       the cgroup ones (cgroup/..., lsm_cgroup/...) to CGROUP_DIR and the
 *       others (raw_tp, lsm, fexit) globally, prints "ready N" (N programs
 *       attached) and holds them until stdin reaches EOF or a SIGTERM/
 *       SIGINT arrives. Nothing is pinned: the links go with the process,
 *       so even a killed bench leaves nothing attached. If the LSM and fexit
 *       programs cannot load (no BPF trampolines or BPF-LSM: the
 *       landlock-mode hosts of docs/contract.md §9), they are left out and
 *       the rest is loaded. The floor programs (f_*) are loaded only with
 *       PATH_PREFIX and ADDR4:PORT, and their maps get what makes every
 *       lookup hit: a run slot for CGROUP_DIR's cgroup, a file rule for
 *       PATH_PREFIX and a UDP/TCP rule for ADDR4:PORT (without them the
 *       floor programs find no run and stop at the first lookup).
 *   bpfstats attachcost OBJ PARENT_DIR N
 *       What attaching one program to each run's own cgroup would add to a
 *       start: N times, a child cgroup of PARENT_DIR (a cgroup the bench
 *       made) is created and opened, the empty sock_create program of OBJ
 *       is attached to it (a link) and detached, and the child removed.
 *       Prints the medians and a BENCH line (the attach against the
 *       child's mkdir + open, both in microseconds). The same program stays
 *       attached to PARENT_DIR meanwhile, as the agent's stay on the plugin
 *       subtree.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ragged/perms.h"
#include "ragged/policy.h"
#include "util/util.h"

static int snap(void)
{
	__u32 id = 0;

	while (bpf_prog_get_next_id(id, &id) == 0) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;	/* gone meanwhile */
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
			printf("%u %u %s %llu %llu\n", id, info.type, info.name[0] ? info.name : "-",
			       (unsigned long long)info.run_cnt,
			       (unsigned long long)info.run_time_ns);
		close(fd);
	}
	return 0;
}

/* Programs on a BPF trampoline (lsm, fexit): they load only where BPF-LSM does. */
static int is_lsm(struct bpf_program *p)
{
	return bpf_program__type(p) == BPF_PROG_TYPE_LSM ||
	       bpf_program__type(p) == BPF_PROG_TYPE_TRACING;
}

static int is_cgroup(struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);

	return strncmp(sec, "cgroup/", 7) == 0 || strncmp(sec, "lsm_cgroup/", 11) == 0;
}

/* An fexit program's function is in this kernel's BTF (the agent picks
 * among several for its own; the empty one has one, left out without it). */
static int has_target(struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);
	struct btf *vmlinux;
	int found;

	if (strncmp(sec, "fexit/", 6) != 0)
		return 1;
	if (!(vmlinux = btf__load_vmlinux_btf()))
		return 0;
	found = btf__find_by_name_kind(vmlinux, sec + 6, BTF_KIND_FUNC) > 0;
	btf__free(vmlinux);
	if (!found)
		fprintf(stderr, "bpfstats: %s: no %s in this kernel's BTF, left out\n",
			bpf_program__name(p), sec + 6);
	return found;
}

/* The first load attempt may fail on purpose (no BPF-LSM): keep it quiet. */
static int quiet;
static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (quiet || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The floor programs' maps (empty.bpf.c): one run (policy 1) and its two rules. */
static int floor_fill(struct bpf_object *obj, int cgfd, const char *prefix, const char *dest)
{
	struct bpf_map *runs = bpf_object__find_map_by_name(obj, "f_runs");
	struct bpf_map *net = bpf_object__find_map_by_name(obj, "f_net");
	struct bpf_map *files = bpf_object__find_map_by_name(obj, "f_files");
	struct bpf_map *slot = bpf_object__find_map_by_name(obj, "f_slot");
	__u32 zero = 0;
	int ncpu = libbpf_num_possible_cpus();
	struct ragged_file_key fk = { 0 };
	struct ragged_file_rule fr = { .access = RAGGED_ACC_READ | RAGGED_ACC_WRITE,
				       .perm = RAGGED_PERM_COUNT };
	struct ragged_net_key nk = { 0 };
	struct ragged_net_rule nr = { .named_bits = 32,
				      .proto_mask = 1u << IPPROTO_TCP | 1u << IPPROTO_UDP };
	struct ragged_run_slot *slots;
	char addr[64], *colon;
	__u64 cgid = cgroup_id_of(cgfd);
	int rc = -1;

	if (!runs || !net || !files || ncpu <= 0 || !cgid)
		return -1;
	if (strlen(prefix) >= sizeof(fk.path) || strlen(dest) >= sizeof(addr))
		return -1;
	snprintf(addr, sizeof(addr), "%s", dest);
	if (!(colon = strrchr(addr, ':')))
		return -1;
	*colon = '\0';
	if (inet_pton(AF_INET, addr, nk.addr) != 1)
		return -1;
	nk.prefixlen = 64 + 32;
	nk.policy_id = htonl(1);
	nk.family = htons(AF_INET);
	nk.port = htons((__u16)atoi(colon + 1));
	fk.prefixlen = 32 + (__u32)strlen(prefix) * 8;
	fk.policy_id = htonl(1);
	memcpy(fk.path, prefix, strlen(prefix));
	if (!(slots = calloc((size_t)ncpu, sizeof(*slots))))
		return -1;
	for (int i = 0; i < ncpu; i++) {
		slots[i].policy_id = 1;
		slots[i].flags = RAGGED_RUN_ACTIVE;
	}
	if (bpf_map__update_elem(runs, &cgid, sizeof(cgid), slots, sizeof(*slots) * (size_t)ncpu,
				 BPF_ANY) == 0 &&
	    (!slot || bpf_map__update_elem(slot, &zero, sizeof(zero), slots, sizeof(*slots),
					   BPF_ANY) == 0) &&
	    bpf_map__update_elem(net, &nk, sizeof(nk), &nr, sizeof(nr), BPF_ANY) == 0 &&
	    bpf_map__update_elem(files, &fk, sizeof(fk), &fr, sizeof(fr), BPF_ANY) == 0)
		rc = 0;
	free(slots);
	return rc;
}

static int empty(const char *path, const char *cgdir, const char *prefix, const char *dest)
{
	struct bpf_object *obj = NULL;
	struct bpf_program *p;
	struct bpf_link *links[32];
	int nlinks = 0, cgfd, with_lsm;
	char c;

	cgfd = open(cgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		fprintf(stderr, "bpfstats: %s: %s\n", cgdir, strerror(errno));
		return 1;
	}
	for (with_lsm = 1; with_lsm >= 0; with_lsm--) {
		obj = bpf_object__open_file(path, NULL);
		if (!obj) {
			fprintf(stderr, "bpfstats: open %s: %s\n", path, strerror(errno));
			return 1;
		}
		bpf_object__for_each_program(p, obj)
			if ((!with_lsm && is_lsm(p)) || !has_target(p) ||
			    (!prefix && strncmp(bpf_program__name(p), "f_", 2) == 0))
				bpf_program__set_autoload(p, false);
		quiet = with_lsm;
		if (bpf_object__load(obj) == 0)
			break;
		if (!with_lsm)
			fprintf(stderr, "bpfstats: load %s: %s\n", path, strerror(errno));
		bpf_object__close(obj);
		obj = NULL;
	}
	if (!obj)
		return 1;
	if (!with_lsm)
		fprintf(stderr, "bpfstats: empty LSM programs left out (BPF-LSM unavailable)\n");
	if (prefix && floor_fill(obj, cgfd, prefix, dest) < 0) {
		fprintf(stderr, "bpfstats: fill the floor programs' maps: %s\n", strerror(errno));
		bpf_object__close(obj);
		close(cgfd);
		return 1;
	}
	bpf_object__for_each_program(p, obj) {
		struct bpf_link *l;

		if (!bpf_program__autoload(p))
			continue;
		l = is_cgroup(p) ? bpf_program__attach_cgroup(p, cgfd) : bpf_program__attach(p);
		if (!l) {
			fprintf(stderr, "bpfstats: attach %s: %s\n", bpf_program__name(p),
				strerror(errno));
			goto out;
		}
		if (nlinks < (int)(sizeof(links) / sizeof(links[0])))
			links[nlinks++] = l;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready %d\n", nlinks);
	fflush(stdout);
	while (!stop && read(0, &c, 1) > 0)
		;
out:
	while (nlinks > 0)
		bpf_link__destroy(links[--nlinks]);
	bpf_object__close(obj);
	close(cgfd);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int attachcost(const char *path, const char *parent, int n)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p, *prog = NULL;
	struct bpf_link *keeper = NULL;
	double *mk = calloc((size_t)n, sizeof(double)), *at = calloc((size_t)n, sizeof(double));
	int rc = 1, pfd = -1;

	if (!obj || !mk || !at) {
		fprintf(stderr, "bpfstats: open %s: %s\n", path, strerror(errno));
		goto out;
	}
	bpf_object__for_each_program(p, obj) {
		bool it = strcmp(bpf_program__name(p), "e_sock_create") == 0;

		bpf_program__set_autoload(p, it);
		if (it)
			prog = p;
	}
	if (!prog || bpf_object__load(obj) < 0) {
		fprintf(stderr, "bpfstats: load e_sock_create of %s: %s\n", path, strerror(errno));
		goto out;
	}
	/*
	 * The same program on the parent first, as the agent's are on the
	 * plugin subtree: the kernel's static key for the hook is then on, and
	 * each child's attach pays for its own effective program array, not
	 * for turning the key on and off (text patching, several times more).
	 */
	if ((pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    !(keeper = bpf_program__attach_cgroup(prog, pfd))) {
		fprintf(stderr, "bpfstats: attach to %s: %s\n", parent, strerror(errno));
		goto out;
	}
	for (int i = 0; i < n; i++) {
		struct bpf_link *l;
		char dir[PATH_MAX];
		double t0, t1;
		int fd;

		snprintf(dir, sizeof(dir), "%s/attachcost-%d", parent, i);
		t0 = now_us();
		if (mkdir(dir, 0755) < 0 || (fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
			fprintf(stderr, "bpfstats: %s: %s\n", dir, strerror(errno));
			rmdir(dir);
			goto out;
		}
		t1 = now_us();
		l = bpf_program__attach_cgroup(prog, fd);
		at[i] = now_us() - t1;
		mk[i] = t1 - t0;
		if (!l)
			fprintf(stderr, "bpfstats: attach to %s: %s\n", dir, strerror(errno));
		bpf_link__destroy(l);
		close(fd);
		rmdir(dir);
		if (!l)
			goto out;
		usleep(1000);	/* starts are not back to back either */
	}
	qsort(mk, (size_t)n, sizeof(double), cmp_double);
	qsort(at, (size_t)n, sizeof(double), cmp_double);
	printf("attachcost: %d rounds: a run cgroup's mkdir + open %.1f us, one program attached "
	       "to it %.1f us (medians; attach p10 %.1f, p90 %.1f)\n",
	       n, mk[n / 2], at[n / 2], at[n / 10], at[n * 9 / 10]);
	{
		char v[32], b[32];

		snprintf(v, sizeof(v), "%.1f", at[n / 2]);
		snprintf(b, sizeof(b), "%.1f", mk[n / 2]);
		printf("BENCH metric=attach_per_run_vs_cgroup_mkdir value=%s base=%s ratio=%.4f "
		       "target=info unit=us\n", v, b, atof(b) > 0 ? atof(v) / atof(b) : 0);
	}
	rc = 0;
out:
	bpf_link__destroy(keeper);
	if (pfd >= 0)
		close(pfd);
	free(mk);
	free(at);
	bpf_object__close(obj);
	return rc;
}

int main(int argc, char **argv)
{
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	libbpf_set_print(print_fn);
	if (argc == 2 && strcmp(argv[1], "snap") == 0)
		return snap();
	if ((argc == 4 || argc == 6) && strcmp(argv[1], "empty") == 0)
		return empty(argv[2], argv[3], argc == 6 ? argv[4] : NULL, argc == 6 ? argv[5] : NULL);
	if (argc == 5 && strcmp(argv[1], "attachcost") == 0 && atoi(argv[4]) > 0)
		return attachcost(argv[2], argv[3], atoi(argv[4]));
	fprintf(stderr, "usage: bpfstats snap | bpfstats empty OBJ CGROUP_DIR [PATH_PREFIX ADDR4:PORT] | "
		"bpfstats attachcost OBJ PARENT_DIR N\n");
	return 2;
}

// SPDX-License-Identifier: MIT
/*
 * kmaps against real kernel maps of the layout the BPF programs declare
 * (bpf/ragged.bpf.h, bpf/file.bpf.c, bpf/net.bpf.c): install, swap,
 * counters, remove; contents checked with the same LPM lookups the
 * programs make (a concrete path or address, full length).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../../agent/daemon/agent.h"
#include "maplike.h"
#include "runslot.h"

static struct net_bpf *swap_skel;

#define R RAGGED_ACC_READ
#define W RAGGED_ACC_WRITE
#define X RAGGED_ACC_EXEC
#define TCP (1u << IPPROTO_TCP)
#define UDP (1u << IPPROTO_UDP)
#define CGID 0x5eed0001ULL

struct fx {
	struct agent a;
	struct run r;
	struct policy p;	/* built by the test; r.pol is set from it as runs.c does */
	char err[256];
};

static int map_create(enum bpf_map_type type, const char *name, size_t key, size_t val,
		      unsigned max, unsigned flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags);

	return bpf_map_create(type, name, (unsigned)key, (unsigned)val, max, &o);
}

static void close_maps(struct agent *a)
{
	int *fds[] = { &a->bpf.runs_fd, &a->bpf.file_rules_fd, &a->bpf.net_rules_fd };

	net_bpf__destroy(swap_skel);
	swap_skel = NULL;
	a->bpf.swap_prog_fd = -1;
	for (size_t i = 0; i < 3; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* The four maps, sized as in bpf/ unless a test wants a tiny one. */
static int open_maps(struct agent *a, unsigned runs_max, unsigned net_max)
{
	if (ut_runslot_open(a, runs_max, &swap_skel) < 0)
		return -1;
	a->bpf.file_rules_fd = file_rules_map_create("ut_file_rules");
	a->bpf.net_rules_fd = map_create(BPF_MAP_TYPE_LPM_TRIE, "ut_net_rules",
					 sizeof(struct ragged_net_key),
					 sizeof(struct ragged_net_rule), net_max, BPF_F_NO_PREALLOC);
	if (a->bpf.runs_fd < 0 || a->bpf.file_rules_fd < 0 ||
	    a->bpf.net_rules_fd < 0)
		return -1;
	return 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->a.bpf.runs_fd = f->a.bpf.swap_prog_fd = f->a.bpf.file_rules_fd = -1;
	f->a.bpf.inode_rules_fd = -1;
	f->a.bpf.sock_create_fd = f->a.bpf.sock_run_fd = f->a.bpf.sock_allowed_fd = -1;
	f->a.bpf.net_rules_fd = f->a.bpf.orphan_fd = f->a.bpf.events_fd = -1;
	*state = f;
	if (open_maps(&f->a, RAGGED_MAX_RUNS, RAGGED_MAX_NET_RULES) < 0) {
		print_error("bpf_map_create: %s\n", strerror(errno));
		return -1;
	}
	f->r.cg.id = CGID;
	f->r.cg.v2_fd = -1;
	f->r.uid = 1000;
	f->r.pidfd = -1;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	close_maps(&f->a);
	/* r.pol and p may share arrays (r.pol = p): free once. */
	if (f->r.pol.files != f->p.files || f->r.pol.nets != f->p.nets)
		policy_free(&f->r.pol);
	policy_free(&f->p);
	free(f);
	return 0;
}

/* ---- policy construction ---- */

static void file(struct policy *p, const char *path, uint32_t access, uint32_t perm)
{
	struct file_rule *nf = realloc(p->files, (p->n_files + 1) * sizeof(*nf));

	assert_non_null(nf);
	p->files = nf;
	memset(&nf[p->n_files], 0, sizeof(*nf));
	snprintf(nf[p->n_files].path, sizeof(nf->path), "%s", path);
	nf[p->n_files].access = access;
	nf[p->n_files].perm = perm;
	p->cap_files = ++p->n_files;
}

static void net(struct policy *p, const char *addr, int prefix, uint16_t port, uint32_t proto,
		uint32_t perm)
{
	struct net_rule *nn = realloc(p->nets, (p->n_nets + 1) * sizeof(*nn));
	struct net_rule *nr;

	assert_non_null(nn);
	p->nets = nn;
	nr = &nn[p->n_nets];
	memset(nr, 0, sizeof(*nr));
	nr->family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(nr->family, addr, nr->addr), 1);
	nr->prefix = (uint8_t)prefix;
	nr->port = port;
	nr->proto_mask = proto;
	nr->perm = perm;
	p->cap_nets = ++p->n_nets;
}

/* Rules for the first policy: documents (dir + exact), a file, the runtime, some nets. */
static void policy_one(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->perms = RAGGED_PERM_BIT(RAGGED_PERM_READ_DOCUMENTS) |
		   RAGGED_PERM_BIT(RAGGED_PERM_NETWORK_API);
	file(p, "/home/u/Documents", R, RAGGED_PERM_READ_DOCUMENTS);
	file(p, "/home/u/Documents/", R, RAGGED_PERM_READ_DOCUMENTS);
	file(p, "/etc/passwd", R, RAGGED_PERM_COUNT);
	file(p, "/usr/", R | X, RAGGED_PERM_COUNT);
	net(p, "192.0.2.0", 24, 443, TCP, RAGGED_PERM_NETWORK_API);
	net(p, "2001:db8::1", 128, 443, TCP, RAGGED_PERM_NETWORK_API);
	net(p, "0.0.0.0", 0, 80, TCP, RAGGED_PERM_NETWORK_DOWNLOAD);
	net(p, "127.0.0.0", 8, 80, 0, RAGGED_PERM_NETWORK_DOWNLOAD);
	net(p, "10.0.0.53", 32, 53, TCP | UDP, RAGGED_PERM_NETWORK_API);
}

/* A different one: config instead of documents, one other endpoint. */
static void policy_two(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->perms = RAGGED_PERM_BIT(RAGGED_PERM_WRITE_CONFIG);
	file(p, "/home/u/.ragged/config.yml", R | W, RAGGED_PERM_WRITE_CONFIG);
	file(p, "/usr/", R | X, RAGGED_PERM_COUNT);
	net(p, "198.51.100.0", 24, 8443, TCP, RAGGED_PERM_NETWORK_API);
}

/* ---- lookups as the BPF programs make them ---- */

/* bpf/file.bpf.c: the path from d_path, its length counting the NUL. */
static int file_lookup(struct fx *f, uint32_t id, const char *path, struct ragged_file_rule *out)
{
	struct ragged_file_key k;
	size_t len = strlen(path) + 1;

	memset(&k, 0, sizeof(k));
	assert_true(len <= sizeof(k.path));
	k.policy_id = htonl(id);
	memcpy(k.path, path, len);
	k.prefixlen = 32 + 8 * (uint32_t)len;
	return bpf_map_lookup_elem(f->a.bpf.file_rules_fd, &k, out);
}

static void want_file(struct fx *f, uint32_t id, const char *path, uint32_t access,
		      uint32_t perm)
{
	struct ragged_file_rule v;

	if (file_lookup(f, id, path, &v) < 0)
		fail_msg("policy %u: no rule matches %s: %s", id, path, strerror(errno));
	if (v.access != access || v.perm != perm)
		fail_msg("policy %u: %s matched access %#x perm %u, want %#x %u", id, path,
			 v.access, v.perm, access, perm);
}

static void no_file(struct fx *f, uint32_t id, const char *path)
{
	struct ragged_file_rule v;

	if (file_lookup(f, id, path, &v) == 0)
		fail_msg("policy %u: %s matched a rule (access %#x perm %u)", id, path, v.access,
			 v.perm);
	assert_int_equal(errno, ENOENT);
}

/* bpf/net.bpf.c: family, port and the full address. */
static int net_lookup(struct fx *f, uint32_t id, const char *addr, uint16_t port,
		      struct ragged_net_rule *out)
{
	struct ragged_net_key k;
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;

	memset(&k, 0, sizeof(k));
	k.policy_id = htonl(id);
	k.family = htons((uint16_t)family);
	k.port = htons(port);
	assert_int_equal(inet_pton(family, addr, k.addr), 1);
	k.prefixlen = 64 + (family == AF_INET ? 32 : 128);
	return bpf_map_lookup_elem(f->a.bpf.net_rules_fd, &k, out);
}

static void want_net(struct fx *f, uint32_t id, const char *addr, uint16_t port, uint32_t proto,
		     uint32_t perm)
{
	struct ragged_net_rule v;

	if (net_lookup(f, id, addr, port, &v) < 0)
		fail_msg("policy %u: no rule matches %s port %u", id, addr, port);
	if (v.proto_mask != proto || v.perm != perm)
		fail_msg("policy %u: %s:%u matched proto %#x perm %u, want %#x %u", id, addr, port,
			 v.proto_mask, v.perm, proto, perm);
}

static void no_net(struct fx *f, uint32_t id, const char *addr, uint16_t port)
{
	struct ragged_net_rule v;

	if (net_lookup(f, id, addr, port, &v) == 0)
		fail_msg("policy %u: %s:%u matched (proto %#x perm %u)", id, addr, port,
			 v.proto_mask, v.perm);
}

/* Entries in a map, by walking its keys. */
static size_t map_count(int fd, size_t key_size)
{
	unsigned char key[sizeof(struct ragged_file_key)], next[sizeof(struct ragged_file_key)];
	size_t n = 0;
	void *prev = NULL;

	assert_true(key_size <= sizeof(key));
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
		assert_true(n < 100000);
	}
	return n;
}

/* Every CPU's copy of the slot holds the policy, and one random record-limiter key. */
static void want_run(struct fx *f, uint64_t cgid, uint32_t id, uint32_t perms)
{
	int ncpu = libbpf_num_possible_cpus();
	struct ragged_run_slot *rp = calloc((size_t)ncpu, sizeof(*rp));

	assert_non_null(rp);
	assert_int_equal(bpf_map_lookup_elem(f->a.bpf.runs_fd, &cgid, rp), 0);
	for (int c = 0; c < ncpu; c++) {
		assert_int_equal(rp[c].policy_id, id);
		assert_int_equal(rp[c].perms, perms);
		assert_int_equal(rp[c].flags, RAGGED_RUN_ACTIVE);
		assert_int_equal(rp[c].uid, 1000);
		assert_true(rp[c].seen_key == rp[0].seen_key);
	}
	assert_true(rp[0].seen_key != 0);
	free(rp);
}

/* No slot for cgid: every decision for it denies. */
static void no_run(struct fx *f, uint64_t cgid)
{
	int ncpu = libbpf_num_possible_cpus();
	struct ragged_run_slot *rp = calloc((size_t)ncpu, sizeof(*rp));

	assert_non_null(rp);
	assert_int_equal(bpf_map_lookup_elem(f->a.bpf.runs_fd, &cgid, rp), -ENOENT);
	assert_int_equal(errno, ENOENT);
	free(rp);
}

static void install(struct fx *f, struct policy *p)
{
	f->err[0] = '\0';
	if (kmaps_install(&f->a, &f->r, p, f->err, sizeof(f->err)) < 0)
		fail_msg("kmaps_install: %s", f->err);
}

/* A second run, in cgroup CGID + 1, with f->p's rules under policy id 2. */
static void install_second(struct fx *f, struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->cg.id = CGID + 1;
	r->uid = 1000;
	r->pol = f->p;
	assert_int_equal(kmaps_install(&f->a, r, &r->pol, f->err, sizeof(f->err)), 0);
	assert_int_equal(r->policy_id, 2);
}

/* ---- tests ---- */

static void t_install(void **state)
{
	struct fx *f = *state;
	struct ragged_run_counters sum;

	policy_one(&f->p);
	f->r.pol = f->p;
	install(f, &f->r.pol);
	assert_int_equal(f->r.policy_id, 1);
	assert_int_equal(f->r.perms, f->p.perms);
	want_run(f, CGID, 1, f->p.perms);
	/* Counters exist, zeroed, before any decision. */
	memset(&sum, 0xff, sizeof(sum));
	assert_int_equal(kmaps_counters(&f->a, CGID, &sum), 0);
	for (int h = 0; h < RAGGED_HOOK_MAX; h++)
		assert_true(sum.allow[h] == 0 && sum.deny[h] == 0);
	assert_true(sum.emitted == 0 && sum.lost == 0 && sum.allow_audited == 0);
	assert_int_equal(map_count(f->a.bpf.file_rules_fd, sizeof(struct ragged_file_key)), 4);
	assert_int_equal(map_count(f->a.bpf.net_rules_fd, sizeof(struct ragged_net_key)), 5);

	/* A dir rule matches beneath it, at any depth... */
	want_file(f, 1, "/home/u/Documents/a.txt", R, RAGGED_PERM_READ_DOCUMENTS);
	want_file(f, 1, "/home/u/Documents/x/y/z.pdf", R, RAGGED_PERM_READ_DOCUMENTS);
	/* ...the exact rule matches the directory itself... */
	want_file(f, 1, "/home/u/Documents", R, RAGGED_PERM_READ_DOCUMENTS);
	/* ...and neither matches a sibling sharing the prefix, nor the parent. */
	no_file(f, 1, "/home/u/Documentsx/a.txt");
	no_file(f, 1, "/home/u/Documents2");
	no_file(f, 1, "/home/u");
	no_file(f, 1, "/home/u/.ssh/id_ed25519");
	/* An exact rule matches only that name. */
	want_file(f, 1, "/etc/passwd", R, RAGGED_PERM_COUNT);
	no_file(f, 1, "/etc/passwd-");
	no_file(f, 1, "/etc/passwd/x");
	no_file(f, 1, "/etc/shadow");
	want_file(f, 1, "/usr/lib/python3/os.py", R | X, RAGGED_PERM_COUNT);
	no_file(f, 1, "/usr");	/* "/usr/" is a dir rule only */
	no_file(f, 1, "/usrx/bin");
	/* Rules belong to their policy id only. */
	no_file(f, 2, "/etc/passwd");
	no_file(f, 0, "/usr/lib/x");

	/* Endpoints: CIDR, exact v6, any-address with a loopback carve-out. */
	want_net(f, 1, "192.0.2.77", 443, TCP, RAGGED_PERM_NETWORK_API);
	want_net(f, 1, "192.0.2.0", 443, TCP, RAGGED_PERM_NETWORK_API);
	no_net(f, 1, "192.0.3.1", 443);
	no_net(f, 1, "192.0.2.77", 444);	/* ports are exact */
	want_net(f, 1, "2001:db8::1", 443, TCP, RAGGED_PERM_NETWORK_API);
	no_net(f, 1, "2001:db8::2", 443);
	no_net(f, 1, "::ffff:192.0.2.77", 443);	/* families do not mix */
	want_net(f, 1, "8.8.8.8", 80, TCP, RAGGED_PERM_NETWORK_DOWNLOAD);
	want_net(f, 1, "127.0.0.1", 80, 0, RAGGED_PERM_NETWORK_DOWNLOAD);
	want_net(f, 1, "127.255.0.9", 80, 0, RAGGED_PERM_NETWORK_DOWNLOAD);
	no_net(f, 1, "8.8.8.8", 443);
	want_net(f, 1, "10.0.0.53", 53, TCP | UDP, RAGGED_PERM_NETWORK_API);
	no_net(f, 1, "10.0.0.54", 53);
	no_net(f, 2, "8.8.8.8", 80);
}

/*
 * Landlock mode: file_rules serves the AF_UNIX hook alone, so only rules
 * granting SOCK and rules beneath them go in; every socket path gets the
 * verdict the full map would give (checked against bpf-lsm mode's map).
 */
static void t_landlock_socket_rules_only(void **state)
{
	static const char *const probes[] = {
		"/run/ragged/s/a.sock", "/run/ragged/s/sub/b.sock", "/run/ragged/s/sub",
		"/run/ragged/s/x.sock", "/run/ragged/s", "/run/ragged/sx/a.sock",
		"/usr/lib/a.sock", "/home/u/Documents/a.sock", "/home/u/Documents/s/c.sock",
		"/etc/passwd", "/run/ragged/t/y.sock",
	};
	struct fx *f = *state;
	struct ragged_file_rule v, w;
	struct run full;

	file(&f->p, "/usr/", R | X, RAGGED_PERM_COUNT);
	file(&f->p, "/etc/passwd", R, RAGGED_PERM_COUNT);
	file(&f->p, "/run/ragged/s/", R | W | RAGGED_ACC_SOCK, RAGGED_PERM_COUNT);
	file(&f->p, "/run/ragged/s", R | W | RAGGED_ACC_SOCK, RAGGED_PERM_COUNT);
	file(&f->p, "/run/ragged/s/sub/", R, RAGGED_PERM_READ_DOCUMENTS);	/* beneath: stays */
	file(&f->p, "/run/ragged/s/x.sock", R, RAGGED_PERM_READ_DOCUMENTS);	/* beneath: stays */
	file(&f->p, "/home/u/Documents/", R, RAGGED_PERM_READ_DOCUMENTS);
	file(&f->p, "/home/u/Documents/s/", R | RAGGED_ACC_SOCK, RAGGED_PERM_READ_DOCUMENTS);
	file(&f->p, "/run/ragged/t/y.sock", R | RAGGED_ACC_SOCK, RAGGED_PERM_COUNT);
	f->a.feat.mode = MODE_LANDLOCK;
	f->r.pol = f->p;
	install(f, &f->r.pol);
	/* The two scratch rules, the two beneath them, the granted dir and the socket. */
	assert_int_equal(map_count(f->a.bpf.file_rules_fd, sizeof(struct ragged_file_key)), 6);
	no_file(f, 1, "/usr/lib/x");
	no_file(f, 1, "/etc/passwd");
	no_file(f, 1, "/home/u/Documents/a.txt");

	/* The same policy in full, as bpf-lsm mode puts it, under policy id 2. */
	f->a.feat.mode = MODE_BPF_LSM;
	install_second(f, &full);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		bool sock_1 = file_lookup(f, 1, probes[i], &v) == 0 && (v.access & RAGGED_ACC_SOCK);
		bool sock_2 = file_lookup(f, 2, probes[i], &w) == 0 && (w.access & RAGGED_ACC_SOCK);

		if (sock_1 != sock_2)
			fail_msg("%s: SOCK %d with the socket rules only, %d with all", probes[i],
				 sock_1, sock_2);
	}
	/* Beneath a SOCK dir, a narrower rule without SOCK still wins. */
	assert_int_equal(file_lookup(f, 1, "/run/ragged/s/sub/b.sock", &v), 0);
	assert_false(v.access & RAGGED_ACC_SOCK);
	want_file(f, 1, "/run/ragged/s/a.sock", R | W | RAGGED_ACC_SOCK, RAGGED_PERM_COUNT);

	/* Removal takes out exactly what went in. */
	f->a.feat.mode = MODE_LANDLOCK;
	kmaps_remove(&f->a, &f->r);
	f->a.feat.mode = MODE_BPF_LSM;
	kmaps_remove(&f->a, &full);
	assert_int_equal(map_count(f->a.bpf.file_rules_fd, sizeof(struct ragged_file_key)), 0);
}

/* A live change: new rules under a new id, one runs update, old rules gone. */
static void t_swap(void **state)
{
	struct fx *f = *state;
	struct policy np;
	struct ragged_run_slot *pc;
	struct ragged_run_counters sum;
	int ncpu = libbpf_num_possible_cpus();
	uint64_t cgid = CGID;

	policy_one(&f->p);
	f->r.pol = f->p;
	install(f, &f->r.pol);
	/* Decisions already counted must survive the swap. */
	pc = calloc((size_t)ncpu, sizeof(*pc));
	assert_non_null(pc);
	assert_int_equal(bpf_map_lookup_elem(f->a.bpf.runs_fd, &cgid, pc), 0);
	for (int c = 0; c < ncpu; c++) {
		pc[c].c.deny[RAGGED_HOOK_CONNECT4] = 3;
		pc[c].c.allow[RAGGED_HOOK_FILE_OPEN] = 10 + (uint64_t)c;
		pc[c].c.emitted = 2;
		pc[c].c.lost = 1;
		pc[c].c.allow_audited = 5;
	}
	assert_int_equal(bpf_map_update_elem(f->a.bpf.runs_fd, &cgid, pc, BPF_EXIST), 0);

	policy_two(&np);
	install(f, &np);
	assert_int_equal(f->r.policy_id, 2);
	assert_int_equal(f->r.perms, np.perms);
	want_run(f, CGID, 2, np.perms);
	/* The old policy's rules are gone... */
	no_file(f, 1, "/etc/passwd");
	no_file(f, 1, "/home/u/Documents/a.txt");
	no_file(f, 1, "/usr/lib/x");
	no_net(f, 1, "192.0.2.77", 443);
	no_net(f, 1, "8.8.8.8", 80);
	/* ...the new one's are in, and only those. */
	want_file(f, 2, "/home/u/.ragged/config.yml", R | W, RAGGED_PERM_WRITE_CONFIG);
	want_file(f, 2, "/usr/lib/x", R | X, RAGGED_PERM_COUNT);
	no_file(f, 2, "/home/u/Documents/a.txt");
	want_net(f, 2, "198.51.100.9", 8443, TCP, RAGGED_PERM_NETWORK_API);
	no_net(f, 2, "192.0.2.77", 443);
	assert_int_equal(map_count(f->a.bpf.file_rules_fd, sizeof(struct ragged_file_key)), 2);
	assert_int_equal(map_count(f->a.bpf.net_rules_fd, sizeof(struct ragged_net_key)), 1);

	memset(&sum, 0, sizeof(sum));
	assert_int_equal(kmaps_counters(&f->a, CGID, &sum), 0);
	assert_int_equal(sum.deny[RAGGED_HOOK_CONNECT4], 3 * (uint64_t)ncpu);
	assert_int_equal(sum.allow[RAGGED_HOOK_FILE_OPEN],
			 10 * (uint64_t)ncpu + (uint64_t)ncpu * (ncpu - 1) / 2);
	assert_int_equal(sum.emitted, 2 * (uint64_t)ncpu);
	assert_int_equal(sum.lost, (uint64_t)ncpu);
	assert_int_equal(sum.allow_audited, 5 * (uint64_t)ncpu);
	assert_int_equal(sum.deny[RAGGED_HOOK_FILE_OPEN], 0);
	free(pc);

	/* r.pol is what kmaps_remove deletes: it now has to be the new policy. */
	policy_free(&f->p);
	f->p = np;
	f->r.pol = np;
	kmaps_remove(&f->a, &f->r);
	no_file(f, 2, "/usr/lib/x");
	no_net(f, 2, "198.51.100.9", 8443);
	assert_int_equal(map_count(f->a.bpf.file_rules_fd, sizeof(struct ragged_file_key)), 0);
	assert_int_equal(map_count(f->a.bpf.net_rules_fd, sizeof(struct ragged_net_key)), 0);
}

/* A live change for a run whose slot is gone grants nothing and leaves nothing. */
static void t_swap_slot_gone(void **state)
{
	struct fx *f = *state;
	struct policy np;
	uint64_t cgid = CGID;

	policy_one(&f->p);
	f->r.pol = f->p;
	install(f, &f->r.pol);
	assert_int_equal(bpf_map_delete_elem(f->a.bpf.runs_fd, &cgid), 0);
	policy_two(&np);
	assert_int_equal(kmaps_install(&f->a, &f->r, &np, f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, "run policy: No such file or directory");
	assert_int_equal(f->r.policy_id, 1);
	no_run(f, cgid);
	/* The new rules were taken back; the old ones wait for kmaps_remove. */
	no_file(f, 2, "/usr/lib/x");
	no_net(f, 2, "198.51.100.9", 8443);
	want_file(f, 1, "/etc/passwd", R, RAGGED_PERM_COUNT);
	/* Without the swap program, a live change is refused the same way. */
	f->a.bpf.swap_prog_fd = -1;
	assert_int_equal(kmaps_install(&f->a, &f->r, &np, f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, "run policy: Function not implemented");
	no_file(f, 3, "/usr/lib/x");
	kmaps_remove(&f->a, &f->r);
	assert_int_equal(map_count(f->a.bpf.file_rules_fd, sizeof(struct ragged_file_key)), 0);
	assert_int_equal(map_count(f->a.bpf.net_rules_fd, sizeof(struct ragged_net_key)), 0);
	policy_free(&np);
}

static void t_remove(void **state)
{
	struct fx *f = *state;
	struct ragged_run_counters sum;
	uint64_t cgid = CGID;
	struct run other;

	policy_one(&f->p);
	f->r.pol = f->p;
	install(f, &f->r.pol);
	/* A second run with its own cgroup and the same rules under its own id. */
	install_second(f, &other);

	kmaps_remove(&f->a, &f->r);
	/* Runs entry first (decisions deny), then its rules and counters. */
	no_run(f, cgid);
	assert_int_equal(kmaps_counters(&f->a, CGID, &sum), -1);
	no_file(f, 1, "/etc/passwd");
	no_net(f, 1, "10.0.0.53", 53);
	/* The other run is untouched. */
	want_run(f, CGID + 1, 2, f->p.perms);
	want_file(f, 2, "/etc/passwd", R, RAGGED_PERM_COUNT);
	want_net(f, 2, "10.0.0.53", 53, TCP | UDP, RAGGED_PERM_NETWORK_API);
	assert_int_equal(kmaps_counters(&f->a, CGID + 1, &sum), 0);
	/* Removing twice is harmless. */
	kmaps_remove(&f->a, &f->r);
	want_run(f, CGID + 1, 2, f->p.perms);
	/* A run that never got a cgroup has nothing in the maps to remove. */
	{
		struct run none;

		memset(&none, 0, sizeof(none));
		none.pol = f->p;
		none.policy_id = 2;
		kmaps_remove(&f->a, &none);
		want_file(f, 2, "/etc/passwd", R, RAGGED_PERM_COUNT);
	}
	kmaps_remove(&f->a, &other);
	assert_int_equal(map_count(f->a.bpf.runs_fd, sizeof(__u64)), 0);
	assert_int_equal(map_count(f->a.bpf.runs_fd, sizeof(__u64)), 0);
	assert_int_equal(map_count(f->a.bpf.file_rules_fd, sizeof(struct ragged_file_key)), 0);
	assert_int_equal(map_count(f->a.bpf.net_rules_fd, sizeof(struct ragged_net_key)), 0);
}

static void t_counters_missing(void **state)
{
	struct fx *f = *state;
	struct ragged_run_counters sum;

	memset(&sum, 0xff, sizeof(sum));
	assert_int_equal(kmaps_counters(&f->a, 0xdead, &sum), -1);
	/* Zeroed even on failure: nothing stale is ever reported. */
	assert_int_equal(sum.emitted, 0);
	assert_int_equal(sum.deny[0], 0);
}

/* A path the kernel cannot match (LPM key data is capped) fails the install cleanly. */
static void t_path_too_long(void **state)
{
	struct fx *f = *state;
	char longp[RAGGED_RULE_PATH_MAX + 1];
	uint64_t cgid = CGID;

	char longest[RAGGED_PATH_MAX];

	memset(longp, 'a', sizeof(longp));
	longp[0] = '/';
	longp[RAGGED_RULE_PATH_MAX] = '\0';	/* strlen == RAGGED_RULE_PATH_MAX */
	/* The longest path a policy rule holds (policy.c accepts it). */
	memset(longest, 'b', sizeof(longest));
	longest[0] = '/';
	longest[RAGGED_PATH_MAX - 1] = '\0';
	memset(&f->p, 0, sizeof(f->p));
	file(&f->p, "/etc/passwd", R, RAGGED_PERM_COUNT);
	file(&f->p, longest, R, RAGGED_PERM_READ_DOCUMENTS);
	file(&f->p, longp, R, RAGGED_PERM_READ_DOCUMENTS);
	net(&f->p, "192.0.2.1", 32, 443, TCP, RAGGED_PERM_NETWORK_API);
	f->r.pol = f->p;
	assert_int_equal(kmaps_install(&f->a, &f->r, &f->r.pol, f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, "policy rules: File name too long");
	assert_int_equal(f->r.policy_id, 0);
	/* No runs entry (decisions keep denying), no rule left behind. */
	no_run(f, cgid);
	no_file(f, 1, "/etc/passwd");
	assert_int_equal(map_count(f->a.bpf.file_rules_fd, sizeof(struct ragged_file_key)), 0);
	assert_int_equal(map_count(f->a.bpf.net_rules_fd, sizeof(struct ragged_net_key)), 0);
	/* The caller's teardown removes the counters it created. */
	kmaps_remove(&f->a, &f->r);
	assert_int_equal(map_count(f->a.bpf.runs_fd, sizeof(__u64)), 0);

	/* One byte shorter fits: 251 characters and the NUL. */
	longp[RAGGED_RULE_PATH_MAX - 1] = '\0';
	policy_free(&f->p);
	file(&f->p, longp, R, RAGGED_PERM_READ_DOCUMENTS);
	f->r.pol = f->p;
	install(f, &f->r.pol);
	want_file(f, 2, longp, R, RAGGED_PERM_READ_DOCUMENTS);
	kmaps_remove(&f->a, &f->r);
	no_file(f, 2, longp);
}

/* A full net map: the install fails, its partial rules are removed. */
static void t_net_map_full(void **state)
{
	struct fx *f = *state;
	uint64_t cgid = CGID;

	close_maps(&f->a);
	assert_int_equal(open_maps(&f->a, RAGGED_MAX_RUNS, 2), 0);
	policy_one(&f->p);	/* 5 net rules */
	f->r.pol = f->p;
	assert_int_equal(kmaps_install(&f->a, &f->r, &f->r.pol, f->err, sizeof(f->err)), -1);
	if (strncmp(f->err, "policy rules: ", 14) != 0)
		fail_msg("err: %s", f->err);
	no_run(f, cgid);
	assert_int_equal(map_count(f->a.bpf.file_rules_fd, sizeof(struct ragged_file_key)), 0);
	assert_int_equal(map_count(f->a.bpf.net_rules_fd, sizeof(struct ragged_net_key)), 0);
	kmaps_remove(&f->a, &f->r);
}

/* A full runs map: the rules written for it are taken back. */
static void t_runs_map_full(void **state)
{
	struct fx *f = *state;
	struct run second;

	close_maps(&f->a);
	assert_int_equal(open_maps(&f->a, 1, RAGGED_MAX_NET_RULES), 0);
	policy_one(&f->p);
	f->r.pol = f->p;
	install(f, &f->r.pol);
	memset(&second, 0, sizeof(second));
	second.cg.id = CGID + 7;
	second.pol = f->p;
	assert_int_equal(kmaps_install(&f->a, &second, &second.pol, f->err, sizeof(f->err)), -1);
	if (strncmp(f->err, "run slot: ", 10) != 0)
		fail_msg("err: %s", f->err);
	assert_int_equal(second.policy_id, 0);
	no_file(f, 2, "/etc/passwd");
	no_net(f, 2, "192.0.2.1", 443);
	/* The first run is intact. */
	want_run(f, CGID, 1, f->p.perms);
	want_file(f, 1, "/etc/passwd", R, RAGGED_PERM_COUNT);
	assert_int_equal(map_count(f->a.bpf.file_rules_fd, sizeof(struct ragged_file_key)), 4);
	kmaps_remove(&f->a, &second);
	kmaps_remove(&f->a, &f->r);
	assert_int_equal(map_count(f->a.bpf.runs_fd, sizeof(__u64)), 0);
}

/* A second "new run" on a cgroup that already has counters is refused. */
static void t_counters_exist(void **state)
{
	struct fx *f = *state;
	struct run dup;

	policy_one(&f->p);
	f->r.pol = f->p;
	install(f, &f->r.pol);
	memset(&dup, 0, sizeof(dup));
	dup.cg.id = CGID;
	dup.pol = f->p;
	assert_int_equal(kmaps_install(&f->a, &dup, &dup.pol, f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, "run slot: File exists");
	assert_int_equal(dup.policy_id, 0);
	want_run(f, CGID, 1, f->p.perms);
	kmaps_remove(&f->a, &f->r);
}

/* Landlock mode has no file map: only the network rules go to the kernel. */
static void t_no_file_map(void **state)
{
	struct fx *f = *state;

	close(f->a.bpf.file_rules_fd);
	f->a.bpf.file_rules_fd = -1;
	policy_one(&f->p);
	f->r.pol = f->p;
	install(f, &f->r.pol);
	want_run(f, CGID, 1, f->p.perms);
	want_net(f, 1, "192.0.2.77", 443, TCP, RAGGED_PERM_NETWORK_API);
	kmaps_remove(&f->a, &f->r);
	no_net(f, 1, "192.0.2.77", 443);
	assert_int_equal(map_count(f->a.bpf.runs_fd, sizeof(__u64)), 0);
}

/* Policy ids never take the value 0, also when the counter wraps. */
static void t_policy_id_wrap(void **state)
{
	struct fx *f = *state;

	f->a.next_policy_id = UINT32_MAX;
	policy_one(&f->p);
	f->r.pol = f->p;
	install(f, &f->r.pol);
	assert_int_equal(f->r.policy_id, 1);
	want_run(f, CGID, 1, f->p.perms);
	want_file(f, 1, "/etc/passwd", R, RAGGED_PERM_COUNT);
	kmaps_remove(&f->a, &f->r);
}

/*
 * bpf-lsm mode: the rules again by object (inode_rules) for the hooks that
 * see no mount. Two rules on one object keep the narrower access; a path
 * that did not exist at build has no entry; remove takes them all away.
 */
static void t_inode_rules(void **state)
{
	struct fx *f = *state;
	char dir[] = "/tmp/ragged-ut-inode-XXXXXX", sub[64], dslash[64], gone[64];
	struct ragged_inode_key k = { 0 };
	struct ragged_inode_rule v;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/ro", dir);
	snprintf(dslash, sizeof(dslash), "%s/", dir);
	snprintf(gone, sizeof(gone), "%s/absent", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	f->a.bpf.inode_rules_fd = map_create(BPF_MAP_TYPE_HASH, "ut_inode_rules",
					     sizeof(struct ragged_inode_key),
					     sizeof(struct ragged_inode_rule), RAGGED_MAX_FILE_RULES, 0);
	assert_true(f->a.bpf.inode_rules_fd >= 0);
	file(&f->p, dir, R | W, RAGGED_PERM_WRITE_DOCUMENTS);
	file(&f->p, dslash, R | W, RAGGED_PERM_WRITE_DOCUMENTS);
	file(&f->p, sub, R, RAGGED_PERM_READ_DOCUMENTS);
	file(&f->p, gone, R | W, RAGGED_PERM_WRITE_DOCUMENTS);
	/* The same object as dir under another name, granting less. */
	file(&f->p, "/tmp/../tmp/..", R, RAGGED_PERM_READ_DOCUMENTS);
	policy_resolve_inodes(&f->p);
	assert_false(f->p.files[3].has_inode);
	f->r.pol = f->p;
	install(f, &f->r.pol);
	assert_int_equal(map_count(f->a.bpf.inode_rules_fd, sizeof(struct ragged_inode_key)), 3);

	assert_int_equal(stat(dir, &st), 0);
	k.policy_id = f->r.policy_id;
	k.dev = policy_kernel_dev(st.st_dev);
	k.ino = st.st_ino;
	assert_int_equal(bpf_map_lookup_elem(f->a.bpf.inode_rules_fd, &k, &v), 0);
	assert_int_equal(v.access, R | W);
	assert_int_equal(stat(sub, &st), 0);
	k.ino = st.st_ino;
	assert_int_equal(bpf_map_lookup_elem(f->a.bpf.inode_rules_fd, &k, &v), 0);
	assert_int_equal(v.access, R);
	/* "/" as reached through /tmp/..: its own entry, read-only. */
	assert_int_equal(stat("/", &st), 0);
	k.dev = policy_kernel_dev(st.st_dev);
	k.ino = st.st_ino;
	assert_int_equal(bpf_map_lookup_elem(f->a.bpf.inode_rules_fd, &k, &v), 0);
	assert_int_equal(v.access, R);

	kmaps_remove(&f->a, &f->r);
	assert_int_equal(map_count(f->a.bpf.inode_rules_fd, sizeof(struct ragged_inode_key)), 0);
	close(f->a.bpf.inode_rules_fd);
	f->a.bpf.inode_rules_fd = -1;
	rmdir(sub);
	rmdir(dir);
}

/* Two rules on one object: the narrower access wins, whatever the order. */
static void t_inode_rules_narrower(void **state)
{
	struct fx *f = *state;
	struct ragged_inode_key k = { 0 };
	struct ragged_inode_rule v;
	struct stat st;

	f->a.bpf.inode_rules_fd = map_create(BPF_MAP_TYPE_HASH, "ut_inode_rules",
					     sizeof(struct ragged_inode_key),
					     sizeof(struct ragged_inode_rule), RAGGED_MAX_FILE_RULES, 0);
	assert_true(f->a.bpf.inode_rules_fd >= 0);
	file(&f->p, "/tmp/", R | W, RAGGED_PERM_WRITE_DOCUMENTS);
	file(&f->p, "/tmp/.", R, RAGGED_PERM_READ_DOCUMENTS);
	file(&f->p, "/tmp", R | W | X, RAGGED_PERM_WRITE_DOCUMENTS);
	policy_resolve_inodes(&f->p);
	f->r.pol = f->p;
	install(f, &f->r.pol);
	assert_int_equal(stat("/tmp", &st), 0);
	k.policy_id = f->r.policy_id;
	k.dev = policy_kernel_dev(st.st_dev);
	k.ino = st.st_ino;
	assert_int_equal(bpf_map_lookup_elem(f->a.bpf.inode_rules_fd, &k, &v), 0);
	assert_int_equal(v.access, R);
	kmaps_remove(&f->a, &f->r);
	close(f->a.bpf.inode_rules_fd);
	f->a.bpf.inode_rules_fd = -1;
}

/* The kernel's dev_t: major << 20 | minor, whatever glibc's encoding. */
static void t_kernel_dev(void **state)
{
	(void)state;
	assert_int_equal(policy_kernel_dev(makedev(8, 1)), 8u << 20 | 1);
	assert_int_equal(policy_kernel_dev(makedev(0, 45)), 45);
	assert_int_equal(policy_kernel_dev(makedev(259, 0x12345)), 259u << 20 | 0x12345);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(t_install),
		T(t_landlock_socket_rules_only),
		T(t_swap),
		T(t_remove),
		T(t_counters_missing),
		T(t_path_too_long),
		T(t_net_map_full),
		T(t_runs_map_full),
		T(t_counters_exist),
		T(t_no_file_map),
		T(t_swap_slot_gone),
		T(t_policy_id_wrap),
		T(t_inode_rules),
		T(t_inode_rules_narrower),
		T(t_kernel_dev),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

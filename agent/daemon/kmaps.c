// SPDX-License-Identifier: MIT
/*
 * Policy into the kernel. Order matters and is the whole point:
 *   install: rules under a fresh policy id, then the run's slot (policy,
 *            ACTIVE, zeroed counters) last; until then every decision for
 *            the cgroup denies;
 *   remove:  the slot first (decisions deny again), then the rules.
 * A live permission change writes rules under a new id and stores the id
 * in the slot in place (swap_policy: the counters beside it keep counting),
 * so a decision sees the old or the new policy, never half of one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "util/util.h"

static uint32_t alloc_policy_id(struct agent *a)
{
	/* 0 is never a policy; ids wrap after 4 billion swaps, long after runs end. */
	if (++a->next_policy_id == 0)
		a->next_policy_id = 1;
	return a->next_policy_id;
}

static void file_key(const struct file_rule *fr, uint32_t id, struct ragged_file_key *k)
{
	size_t len = strnlen(fr->path, sizeof(k->path));	/* longer: never inserted, no overflow */
	bool dir = len > 0 && fr->path[len - 1] == '/';

	memset(k, 0, sizeof(*k));
	k->policy_id = htonl(id);
	memcpy(k->path, fr->path, len);
	/* Exact rules include the NUL so they match that name only. */
	k->prefixlen = 32 + 8 * (uint32_t)(dir ? len : len + 1);
}

static void net_key(const struct net_rule *nr, uint32_t id, struct ragged_net_key *k)
{
	memset(k, 0, sizeof(*k));
	k->policy_id = htonl(id);
	k->family = htons((uint16_t)nr->family);
	k->port = htons(nr->port);
	memcpy(k->addr, nr->addr, nr->family == AF_INET ? 4 : 16);
	k->prefixlen = 64 + nr->prefix;
}

/* Host byte order: the BPF side builds the key from run->policy_id as is. */
static bool inode_key(const struct file_rule *fr, uint32_t id, struct ragged_inode_key *k)
{
	memset(k, 0, sizeof(*k));
	k->policy_id = id;
	k->dev = fr->kdev;
	k->ino = fr->ino;
	return fr->has_inode;
}

/* Is fr's key beneath top's: does an LPM lookup that reaches fr pass top? */
static bool key_beneath(const struct file_rule *top, const struct file_rule *fr)
{
	size_t n = strlen(top->path);

	if (n > 0 && top->path[n - 1] == '/')
		return strncmp(fr->path, top->path, n) == 0;
	return strcmp(fr->path, top->path) == 0;	/* an exact rule: its own name only */
}

/*
 * Landlock mode: Landlock holds the file rules, and the one program that
 * looks in file_rules is the AF_UNIX hook (bpf/unixaddr.bpf.c), for
 * RAGGED_ACC_SOCK alone. So a rule goes in only if it grants SOCK or lies
 * beneath one that does (the scratch dir, a few rules in all, instead of
 * the ~30 of the baseline, each a map update on the start path). Every
 * lookup still ends on the rule it would have ended on with all of them:
 * a rule left out has no SOCK rule above it, so a lookup it would have
 * won finds nothing above it either, and both verdicts are "no SOCK".
 */
static bool file_rule_in_map(const struct agent *a, const struct policy *p, size_t i)
{
	if (a->feat.mode != MODE_LANDLOCK || (p->files[i].access & RAGGED_ACC_SOCK))
		return true;
	for (size_t j = 0; j < p->n_files; j++)
		if ((p->files[j].access & RAGGED_ACC_SOCK) && key_beneath(&p->files[j], &p->files[i]))
			return true;
	return false;
}

static int put_rules(struct agent *a, const struct policy *p, uint32_t id)
{
	for (size_t i = 0; a->bpf.file_rules_fd >= 0 && i < p->n_files; i++) {
		struct ragged_file_key k;
		struct ragged_file_rule v = { .access = p->files[i].access, .perm = p->files[i].perm };

		if (!file_rule_in_map(a, p, i))
			continue;
		if (strlen(p->files[i].path) >= RAGGED_RULE_PATH_MAX) {
			errno = ENAMETOOLONG;
			return -1;
		}
		file_key(&p->files[i], id, &k);
		if (bpf_map_update_elem(a->bpf.file_rules_fd, &k, &v, BPF_ANY) < 0)
			return -1;
	}
	for (size_t i = 0; a->bpf.inode_rules_fd >= 0 && i < p->n_files; i++) {
		struct ragged_inode_key k;
		struct ragged_inode_rule v = { .access = p->files[i].access, .perm = p->files[i].perm };
		struct ragged_inode_rule old;

		if (!inode_key(&p->files[i], id, &k))
			continue;
		/* Two rules on one object (a link, a dir and its "dir/"): the
		 * narrower access of the two, never the wider. */
		if (bpf_map_lookup_elem(a->bpf.inode_rules_fd, &k, &old) == 0)
			v.access &= old.access;
		if (bpf_map_update_elem(a->bpf.inode_rules_fd, &k, &v, BPF_ANY) < 0)
			return -1;
	}
	for (size_t i = 0; i < p->n_nets; i++) {
		struct ragged_net_key k;
		struct ragged_net_rule v = { .perm = (uint16_t)p->nets[i].perm,
					     .named_bits = p->nets[i].named_bits,
					     .proto_mask = p->nets[i].proto_mask };

		net_key(&p->nets[i], id, &k);
		if (bpf_map_update_elem(a->bpf.net_rules_fd, &k, &v, BPF_ANY) < 0)
			return -1;
	}
	return 0;
}

static void del_rules(struct agent *a, const struct policy *p, uint32_t id)
{
	for (size_t i = 0; a->bpf.file_rules_fd >= 0 && i < p->n_files; i++) {
		struct ragged_file_key k;

		if (!file_rule_in_map(a, p, i))
			continue;
		file_key(&p->files[i], id, &k);
		bpf_map_delete_elem(a->bpf.file_rules_fd, &k);
	}
	for (size_t i = 0; a->bpf.inode_rules_fd >= 0 && i < p->n_files; i++) {
		struct ragged_inode_key k;

		if (inode_key(&p->files[i], id, &k))
			bpf_map_delete_elem(a->bpf.inode_rules_fd, &k);
	}
	for (size_t i = 0; i < p->n_nets; i++) {
		struct ragged_net_key k;

		net_key(&p->nets[i], id, &k);
		bpf_map_delete_elem(a->bpf.net_rules_fd, &k);
	}
}

/* Store a new policy id in every CPU's copy of the run's slot, in place. */
static int swap_policy(struct agent *a, uint64_t cgid, uint32_t id, uint32_t perms)
{
	struct ragged_policy_swap sw = { .cgid = cgid, .policy_id = id, .perms = perms,
					 .ncpu = (uint32_t)libbpf_num_possible_cpus() };
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &sw, .ctx_size_in = sizeof(sw));

	if (a->bpf.swap_prog_fd < 0) {
		errno = ENOSYS;
		return -1;
	}
	if (bpf_prog_test_run_opts(a->bpf.swap_prog_fd, &o) < 0)
		return -1;
	if (sw.done != sw.ncpu) {
		/* The slot is gone (the run ended) or incomplete: nothing was granted. */
		errno = ENOENT;
		return -1;
	}
	return 0;
}

int kmaps_install(struct agent *a, struct run *r, const struct policy *p,
		  char *err, size_t errlen)
{
	int ncpu = libbpf_num_possible_cpus();
	uint32_t id = alloc_policy_id(a);

	if (put_rules(a, p, id) < 0) {
		snprintf(err, errlen, "policy rules: %s", strerror(errno));
		del_rules(a, p, id);
		return -1;
	}
	if (!r->policy_id) {
		/*
		 * New run: one slot, complete (policy, ACTIVE, zeroed counters)
		 * in one update, after its rules; until then every decision for
		 * the cgroup denies.
		 */
		struct ragged_run_slot *slot = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*slot)) : NULL;
		uint64_t seen_key;

		if (getrandom(&seen_key, sizeof(seen_key), 0) != (ssize_t)sizeof(seen_key)) {
			free(slot);
			slot = NULL;
		}
		for (int c = 0; slot && c < ncpu; c++) {
			slot[c].policy_id = id;
			slot[c].perms = p->perms;
			slot[c].flags = RAGGED_RUN_ACTIVE;
			slot[c].uid = r->uid;
			slot[c].seen_key = seen_key;
		}
		if (!slot || bpf_map_update_elem(a->bpf.runs_fd, &r->cg.id, slot, BPF_NOEXIST) < 0) {
			snprintf(err, errlen, "run slot: %s", strerror(errno));
			free(slot);
			del_rules(a, p, id);
			return -1;
		}
		free(slot);
	} else if (swap_policy(a, r->cg.id, id, p->perms) < 0) {
		snprintf(err, errlen, "run policy: %s", strerror(errno));
		del_rules(a, p, id);
		return -1;
	}
	/* The swap is done: the old rules are unreachable and can go. */
	if (r->policy_id)
		del_rules(a, &r->pol, r->policy_id);
	r->policy_id = id;
	r->perms = p->perms;
	return 0;
}

void kmaps_remove(struct agent *a, struct run *r)
{
	if (!r->cg.id)
		return;
	/* The slot first (decisions deny again), then the rules. */
	bpf_map_delete_elem(a->bpf.runs_fd, &r->cg.id);
	if (r->policy_id)
		del_rules(a, &r->pol, r->policy_id);
}

int kmaps_counters(struct agent *a, uint64_t cgid, struct ragged_run_counters *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct ragged_run_slot *v = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*v)) : NULL;

	memset(sum, 0, sizeof(*sum));
	if (!v)
		return -1;
	if (bpf_map_lookup_elem(a->bpf.runs_fd, &cgid, v) < 0) {
		free(v);
		return -1;
	}
	for (int c = 0; c < ncpu; c++) {
		for (int h = 0; h < RAGGED_HOOK_MAX; h++) {
			sum->allow[h] += v[c].c.allow[h];
			sum->deny[h] += v[c].c.deny[h];
		}
		sum->allow_audited += v[c].c.allow_audited;
		sum->observed += v[c].c.observed;
		sum->emitted += v[c].c.emitted;
		sum->lost += v[c].c.lost;
	}
	free(v);
	/* Sockets the run's own program allowed are counted beside the slot. */
	sum->allow[RAGGED_HOOK_SOCK_CREATE] += sockrun_allowed(a, cgid);
	return 0;
}

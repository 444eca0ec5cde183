// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Network policy for plugin runs: cgroup sock_addr and sock_create hooks.
 *
 * Attached to the agent's plugin subtree only (never the root cgroup), so
 * nothing outside a plugin run ever pays for or is affected by these
 * programs. Works in both enforcement modes: these program types load on
 * kernels where BPF-LSM does not.
 *
 * Policy: a destination is allowed only if the run's LPM rules hold an
 * entry for (family, port, address prefix) with the socket's protocol, and
 * the destination is not one the kernel keeps on this host or its link
 * (loopback, unspecified, this host's own addresses, link-local, multicast,
 * broadcast: ragged/netclass.h) unless the grant itself names that range.
 * Everything else is denied with EPERM. No permission grants serving: bind()
 * is allowed only to an ephemeral port on loopback.
 */
#include "ragged.bpf.h"
#include "ragged/netclass.h"

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define IPPROTO_IP 0
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, RAGGED_MAX_NET_RULES);
	__type(key, struct ragged_net_key);
	__type(value, struct ragged_net_rule);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} net_rules SEC(".maps");

/*
 * Allowed connects to one destination are recorded at most once a second
 * per run and CPU (network_access); each one is still counted (allow[hook]).
 * A plugin's connection pool or DNS lookups in a loop would otherwise fill a
 * 376-byte record per call, only for the agent's flood control to fold them
 * into a count. The limiter lives in the run's slot (net_seen, per CPU), so
 * it costs no lookup of its own. A slot starts empty: a restarted agent's
 * new runs record more, never less.
 */
/*
 * This host's own addresses, kept by the agent (agent/daemon/hostaddr.c)
 * from rtnetlink address events; filled before the first run starts.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RAGGED_MAX_HOST_ADDRS);
	__type(key, struct ragged_host_addr);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} host_addrs SEC(".maps");

/*
 * Set by the agent while it cannot vouch for host_addrs: from load until
 * its first fill, and after a failed refresh. Fail closed: any destination
 * may then be this host's, so only exact grants reach anything.
 */
volatile __u32 host_addrs_unknown = 1;

/*
 * How narrow a grant must be to reach key's address: 0 for an ordinary
 * destination, else the length of the special range it lies in.
 */
static __always_inline __u32 special_bits(const struct ragged_net_key *key, int v4)
{
	struct ragged_host_addr h = {};
	__u32 bits;

	if (v4 ? ragged_v4_class(key->addr, &bits, 0) : ragged_v6_class(key->addr, &bits, 0))
		return bits;
	h.family = v4 ? AF_INET : AF_INET6;
	__builtin_memcpy(h.addr, key->addr, 16);
	if (host_addrs_unknown || bpf_map_lookup_elem(&host_addrs, &h))
		return v4 ? 32 : 128;
	return 0;
}

static __always_inline int audit_allowed(struct ragged_run_slot *run,
					 const struct ragged_net_key *key, __u32 proto)
{
	__u64 a0, a1, tag, now = bpf_ktime_get_ns();
	struct ragged_seen *e;

	__builtin_memcpy(&a0, &key->addr[0], 8);
	__builtin_memcpy(&a1, &key->addr[8], 8);
	tag = ragged_mix(ragged_mix(ragged_mix(run->seen_key, a0), a1),
		  (__u64)key->port << 48 | (__u64)key->family << 32 | proto);
	e = &run->net_seen[(tag >> 32) & (RAGGED_NET_SEEN - 1)];
	if (seen_recently(e, tag, now))
		return 0;
	seen_store(e, tag, now);
	return 1;
}

static __always_inline __u32 proto_of(__u32 type, __u32 protocol)
{
	if (protocol)
		return protocol;
	return type == SOCK_DGRAM ? IPPROTO_UDP : IPPROTO_TCP;
}

/* The address the caller named: IPv4 in ip6[0], network order. */
static __always_inline void user_addr(struct bpf_sock_addr *ctx, int v6, __u32 ip6[4])
{
	if (v6) {
		ip6[0] = ctx->user_ip6[0];
		ip6[1] = ctx->user_ip6[1];
		ip6[2] = ctx->user_ip6[2];
		ip6[3] = ctx->user_ip6[3];
	} else {
		ip6[0] = ctx->user_ip4;
	}
}

/* ::ffff:a.b.c.d is an IPv4 destination wearing an IPv6 coat. */
static __always_inline int v4_mapped(const __u32 ip6[4])
{
	return ip6[0] == 0 && ip6[1] == 0 && ip6[2] == bpf_htonl(0x0000ffff);
}

static __always_inline int decide(struct bpf_sock_addr *ctx, __u32 hook, int v6)
{
	__u64 cgid = bpf_get_current_cgroup_id();
	struct ragged_run_slot *run = run_of(cgid);
	struct ragged_net_key key = {};
	struct ragged_net_rule *rule = 0;
	struct ragged_event *ev;
	__u32 proto = proto_of(ctx->type, ctx->protocol);
	__u32 ip6[4];
	int allow = 0;

	key.port = (__u16)ctx->user_port;	/* already network order */
	user_addr(ctx, v6, ip6);
	if (v6) {
		if (v4_mapped(ip6)) {
			key.family = bpf_htons(AF_INET);
			__builtin_memcpy(key.addr, &ip6[3], 4);
			key.prefixlen = 64 + 32;
		} else {
			key.family = bpf_htons(AF_INET6);
			__builtin_memcpy(key.addr, ip6, 16);
			key.prefixlen = 64 + 128;
		}
	} else {
		key.family = bpf_htons(AF_INET);
		__builtin_memcpy(key.addr, &ip6[0], 4);
		key.prefixlen = 64 + 32;
	}

	if (run) {
		key.policy_id = bpf_htonl(policy_of(run));
		rule = bpf_map_lookup_elem(&net_rules, &key);
		allow = rule && proto < 32 && (rule->proto_mask & (1u << proto));
		/*
		 * A wildcard grant is the network out there, never this host.
		 * A grant named to the full address is narrower than any
		 * special range: no class test, no host_addrs lookup for it.
		 */
		if (allow) {
			int v4 = key.family == bpf_htons(AF_INET);

			if (rule->named_bits < (v4 ? 32 : 128) && rule->named_bits < special_bits(&key, v4)) {
				allow = 0;
				rule = 0;
			}
		}
	}
	/* Every denial is recorded; an allowed destination once a second. */
	account_slot(run, cgid, hook, !allow, allow ? audit_allowed(run, &key, proto) : 1, &ev);
	if (ev) {
		ev->kind = RAGGED_EV_NET;
		ev->err = allow ? 0 : EPERM;
		ev->family = v6 && !v4_mapped(ip6) ? AF_INET6 : AF_INET;
		ev->port = bpf_ntohs(key.port);
		ev->sock_type = ctx->type;
		ev->protocol = proto;
		ev->access = rule ? rule->perm : RAGGED_PERM_COUNT;
		__builtin_memcpy(ev->addr, key.addr, 16);
		submit(ev, !allow);
	}
	return allow;
}

SEC("cgroup/connect4")
int ragged_connect4(struct bpf_sock_addr *ctx)
{
	return decide(ctx, RAGGED_HOOK_CONNECT4, 0);
}

SEC("cgroup/connect6")
int ragged_connect6(struct bpf_sock_addr *ctx)
{
	return decide(ctx, RAGGED_HOOK_CONNECT6, 1);
}

/* Unconnected UDP: each sendto() names its destination, so check each. */
SEC("cgroup/sendmsg4")
int ragged_sendmsg4(struct bpf_sock_addr *ctx)
{
	return decide(ctx, RAGGED_HOOK_SENDMSG4, 0);
}

SEC("cgroup/sendmsg6")
int ragged_sendmsg6(struct bpf_sock_addr *ctx)
{
	return decide(ctx, RAGGED_HOOK_SENDMSG6, 1);
}

/* 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
static __always_inline int loopback(const __u32 ip6[4], int v6)
{
	if (!v6)
		return (bpf_ntohl(ip6[0]) >> 24) == 127;
	if (v4_mapped(ip6))
		return (bpf_ntohl(ip6[3]) >> 24) == 127;
	return ip6[0] == 0 && ip6[1] == 0 && ip6[2] == 0 && ip6[3] == bpf_htonl(1);
}

/*
 * bind(): no permission lets a plugin serve the network, and a fixed port
 * or a wildcard address would do exactly that (a listener any host or local
 * process can reach, or a squatted port another service expects). An
 * ephemeral port on loopback is allowed: it is what a client library binds
 * when it asks for a local endpoint, and no one outside the machine can
 * reach it. Connects from it still pass connect4/6.
 */
static __always_inline int bind_decide(struct bpf_sock_addr *ctx, __u32 hook, int v6)
{
	__u64 cgid = bpf_get_current_cgroup_id();
	struct ragged_run_slot *run = run_of(cgid);
	struct ragged_event *ev;
	__u16 port = bpf_ntohs((__u16)ctx->user_port);
	__u32 ip6[4] = {};
	int allow;

	user_addr(ctx, v6, ip6);
	allow = run && port == 0 && loopback(ip6, v6);
	/* Allowed binds are unremarkable (the connect that follows is logged). */
	account_slot(run, cgid, hook, !allow, 0, &ev);
	if (ev) {
		ev->kind = RAGGED_EV_NET;
		ev->err = EPERM;
		ev->family = v6 ? AF_INET6 : AF_INET;
		ev->port = port;
		ev->sock_type = ctx->type;
		ev->protocol = proto_of(ctx->type, ctx->protocol);
		ev->access = RAGGED_PERM_COUNT;
		__builtin_memcpy(ev->addr, ip6, v6 ? 16 : 4);
		bpf_ringbuf_submit(ev, 0);
	}
	return allow;
}

SEC("cgroup/bind4")
int ragged_bind4(struct bpf_sock_addr *ctx)
{
	return bind_decide(ctx, RAGGED_HOOK_BIND4, 0);
}

SEC("cgroup/bind6")
int ragged_bind6(struct bpf_sock_addr *ctx)
{
	return bind_decide(ctx, RAGGED_HOOK_BIND6, 1);
}

/*
 * Socket creation (inet families only reach this hook): TCP and UDP are the
 * only transports a plugin needs; raw sockets would bypass sock_addr checks
 * and let a plugin forge packets, so they are denied outright.
 */
/* A plugin may make TCP and UDP sockets, nothing else of INET's families. */
static __always_inline int sock_kind_allowed(__u32 type, __u32 proto)
{
	return (type == SOCK_STREAM || type == SOCK_DGRAM) &&
	       (proto == IPPROTO_IP || proto == IPPROTO_TCP || proto == IPPROTO_UDP);
}

/* Count the decision in the run's slot (0: unknown cgroup), record a refusal. */
static __always_inline int sock_decide(struct bpf_sock *sk, struct ragged_run_slot *run,
				       __u64 cgid, int allow)
{
	struct ragged_event *ev;

	account_slot(run, cgid, RAGGED_HOOK_SOCK_CREATE, !allow, 0, &ev);
	if (ev) {
		ev->kind = RAGGED_EV_SOCKET;
		ev->err = EPERM;
		ev->family = sk->family;
		ev->sock_type = sk->type;
		ev->protocol = sk->protocol;
		bpf_ringbuf_submit(ev, 0);
	}
	return allow;
}

/*
 * On the plugin subtree, attached with BPF_F_ALLOW_OVERRIDE (not a link):
 * each run's cgroup gets ragged_sock_run, which replaces this program
 * there. It still decides for any task of the subtree outside a run's
 * cgroup, or in a run's cgroup before its own program is on: the run's
 * slot by cgroup id, none = deny.
 */
SEC("cgroup/sock_create")
int ragged_sock_create(struct bpf_sock *sk)
{
	__u64 cgid = bpf_get_current_cgroup_id();
	struct ragged_run_slot *run = run_of(cgid);

	return sock_decide(sk, run, cgid, run && sock_kind_allowed(sk->type, sk->protocol));
}

/*
 * Sockets allowed by ragged_sock_run, per run and CPU: the run cgroup's own
 * storage, so counting one costs no lookup. Keyed by the cgroup id alone
 * (shared by the cgroup's attach types); the agent adds it to the slot's
 * allow[RAGGED_HOOK_SOCK_CREATE] (kmaps_counters). Made at the attach, it
 * lives as long as the run's cgroup (the kernel frees a cgroup's storage
 * with the cgroup, not at a detach).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE);
	__type(key, __u64);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sock_allowed SEC(".maps");

/*
 * Socket creation in a run's own cgroup. The agent attaches this program to
 * the run's cgroup after the run's slot is in, and detaches it before the
 * slot goes (bpf_run_attach, bpf_run_detach): while it is attached, a task
 * in the cgroup is in that run. An allowed socket then costs no lookup by
 * cgroup id, the floor of ragged_sock_create. A refusal is rare: it looks
 * the slot up to count and record it as ragged_sock_create does.
 */
SEC("cgroup/sock_create")
int ragged_sock_run(struct bpf_sock *sk)
{
	__u64 cgid;

	if (sock_kind_allowed(sk->type, sk->protocol)) {
		count(bpf_get_local_storage(&sock_allowed, 0));
		return 1;
	}
	cgid = bpf_get_current_cgroup_id();
	return sock_decide(sk, bpf_map_lookup_elem(&runs, &cgid), cgid, 0);
}

/*
 * A live permission change (agent/daemon/kmaps.c): store the new policy id
 * in every CPU's copy of the run's slot, in place, so the counters beside
 * it keep counting. The agent runs this with BPF_PROG_TEST_RUN after the
 * new rules are in and before it deletes the old ones; each store is one
 * aligned 32-bit write, and the programs read the id once per decision
 * (policy_of), so a decision sees the old id or the new one.
 */
static long swap_one(__u32 cpu, struct ragged_policy_swap *ctx)
{
	__u64 cgid = ctx->cgid;
	struct ragged_run_slot *run;

	if (cpu >= ctx->ncpu)
		return 1;
	run = bpf_map_lookup_percpu_elem(&runs, &cgid, cpu);
	if (run) {
		run->perms = ctx->perms;
		*(volatile __u32 *)&run->policy_id = ctx->policy_id;
		ctx->done++;
	}
	return 0;
}

SEC("syscall")
int ragged_swap_policy(struct ragged_policy_swap *ctx)
{
	/* bpf_loop hands its callback a stack pointer, not the context. */
	struct ragged_policy_swap sw = *ctx;

	sw.done = 0;
	bpf_loop(RAGGED_MAX_CPUS, swap_one, &sw, 0);
	ctx->done = sw.done;
	return 0;
}

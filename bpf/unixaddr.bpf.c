// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * UNIX sockets in landlock mode: cgroup connect_unix and sendmsg_unix
 * (kernels 6.7 and later), attached to the plugin subtree only.
 *
 * bpf-lsm mode decides on the peer socket itself (lsm/unix_stream_connect,
 * lsm/unix_may_send in escape.bpf.c). These hooks run before the kernel
 * looks the name up, so all they have is the name the plugin passed. The
 * rule that makes a name trustworthy:
 *
 *  - only absolute names, without "." or ".." components, under a file rule
 *    carrying RAGGED_ACC_SOCK: the run's scratch dir, a tmpfs of its own
 *    (no hard link from elsewhere can land there: EXDEV), in which Landlock
 *    refuses to create symlinks (agent/daemon/landlock.c), so the name
 *    cannot lead out of it;
 *  - abstract and unnamed names are denied: the namespace is machine-wide
 *    (Landlock's abstract-socket scope, ABI 6, is the second wall).
 *
 * Everything else is denied with EPERM, counted and recorded with the name.
 *
 * libbpf 1.1 (Debian 12) predates these attach types: the sections say
 * cgroup/connect4 and cgroup/sendmsg4 so libbpf opens them as sock_addr
 * programs, and the loader sets the real expected attach type before load.
 */
#include "ragged.bpf.h"
#include "file_rules.bpf.h"

#define AF_UNIX 1
#define UNIX_PATH_MAX 108

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;


/* No "." or ".." component: "/a/./b", "/a/../b", "/a/..", "/a/." */
static __always_inline int dotted(const char *p)
{
	for (int i = 0; i < UNIX_PATH_MAX - 1; i++) {
		if (p[i] == '\0')
			break;
		if (p[i] != '/' || p[i + 1] != '.')
			continue;
		if (i + 2 >= UNIX_PATH_MAX)
			return 1;
		if (p[i + 2] == '/' || p[i + 2] == '\0')
			return 1;
		if (p[i + 2] == '.' && (i + 3 >= UNIX_PATH_MAX || p[i + 3] == '/' || p[i + 3] == '\0'))
			return 1;
	}
	return 0;
}

static __always_inline int decide(struct bpf_sock_addr *ctx, __u32 hook)
{
	struct bpf_sock_addr_kern *sa = bpf_cast_to_kern_ctx(ctx);
	__u64 cgid = bpf_get_current_cgroup_id();
	struct ragged_run_slot *run = run_of(cgid);
	struct ragged_file_rule *rule = 0;
	/*
	 * On this program's stack, not in a per-CPU buffer: the program can be
	 * preempted, and another task's connect on this CPU would overwrite a
	 * shared name between reading it and the lookup.
	 */
	struct ragged_file_key key;
	struct ragged_event *ev;
	struct sockaddr_un *un;
	__u32 len, n;
	int allow = 0;

	__builtin_memset(key.path, 0, sizeof(key.path));
	len = sa->uaddrlen;
	un = (struct sockaddr_un *)sa->uaddr;
	/*
	 * sun_path holds len - 2 bytes; the kernel NUL-terminates it there
	 * too. uaddr is the kernel's copy (a sockaddr_storage): reading the
	 * whole sun_path is always in bounds, what lies past len is cleared.
	 */
	n = len > 2 ? len - 2 : 0;
	bpf_probe_read_kernel(key.path, UNIX_PATH_MAX, un->sun_path);
	for (int i = 0; i < UNIX_PATH_MAX; i++)
		if (i >= n)
			key.path[i] = '\0';
	key.path[UNIX_PATH_MAX] = '\0';
	if (run && key.path[0] == '/' && !dotted(key.path)) {
		key.policy_id = bpf_htonl(policy_of(run));
		key.prefixlen = 32 + RAGGED_RULE_PATH_MAX * 8;
		rule = bpf_map_lookup_elem(&file_rules, &key);
		allow = rule && (rule->access & RAGGED_ACC_SOCK);
	}
	/* A plugin talking to its own sockets is unremarkable; denials are not. */
	account_slot(run, cgid, hook, !allow, 0, &ev);
	if (ev) {
		ev->kind = RAGGED_EV_NET;
		ev->err = EPERM;
		ev->family = AF_UNIX;
		ev->sock_type = ctx->type;
		bpf_probe_read_kernel(ev->path, UNIX_PATH_MAX, key.path);
		if (!ev->path[0] && n)
			ev->path[0] = '@';	/* abstract */
		bpf_ringbuf_submit(ev, 0);
	}
	return allow;
}

SEC("cgroup/connect4")	/* BPF_CGROUP_UNIX_CONNECT, set by the loader */
int ragged_connect_unix(struct bpf_sock_addr *ctx)
{
	return decide(ctx, RAGGED_HOOK_UNIX_CONNECT);
}

SEC("cgroup/sendmsg4")	/* BPF_CGROUP_UNIX_SENDMSG, set by the loader */
int ragged_sendmsg_unix(struct bpf_sock_addr *ctx)
{
	return decide(ctx, RAGGED_HOOK_UNIX_SEND);
}

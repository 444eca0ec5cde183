// SPDX-License-Identifier: MIT
/*
 * Ring buffer drain: each kernel record becomes one audit record, enriched
 * with the run it belongs to (cgroup id -> run -> plugin, version, user).
 * The ring buffer is pinned, so records produced while the agent was down
 * are drained when it comes back.
 */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "log.h"
#include "util/util.h"
#include "ragged/syscalls.h"


/* What a file-rule denial was refused: the hook that decided tells. */
static const char *file_operation(const struct ragged_event *e)
{
	static const char *const xattr_ops[] = { "setxattr", "setxattr", "removexattr",
						  "set_acl", "remove_acl" };

	switch (e->hook) {
	case RAGGED_HOOK_PATH_LINK: return "link";
	case RAGGED_HOOK_PATH_RENAME: return "rename";
	case RAGGED_HOOK_FILE_RECEIVE: return "receive";
	case RAGGED_HOOK_BPRM_CHECK: return "exec";
	case RAGGED_HOOK_PATH_UNLINK: return "unlink";
	case RAGGED_HOOK_PATH_RMDIR: return "rmdir";
	case RAGGED_HOOK_PATH_MKDIR: return "mkdir";
	case RAGGED_HOOK_PATH_MKNOD: return "mknod";	/* also O_CREAT and UNIX bind */
	case RAGGED_HOOK_PATH_SYMLINK: return "symlink";
	case RAGGED_HOOK_PATH_TRUNCATE: return "truncate";
	case RAGGED_HOOK_PATH_CHMOD: return "chmod";
	case RAGGED_HOOK_PATH_CHOWN: return "chown";
	case RAGGED_HOOK_INODE_SETATTR: return "utimes";
	case RAGGED_HOOK_FILE_SETFLAGS: return "setflags";
	case RAGGED_HOOK_INODE_XATTR: return xattr_ops[e->arg < ARRAY_SIZE(xattr_ops) ? e->arg : 0];
	default: return "open";
	}
}

/* The same decisions in landlock mode, by bpf/unixaddr.bpf.c. */
static const struct hook_info unix_hooks_cgroup[2] = {
	{ "connect_unix", "cgroup-bpf", NULL },
	{ "sendmsg_unix", "cgroup-bpf", NULL },
};

static const char *net_operation(unsigned hook)
{
	switch (hook) {
	case RAGGED_HOOK_BIND4: case RAGGED_HOOK_BIND6: return "bind";
	case RAGGED_HOOK_SENDMSG4: case RAGGED_HOOK_SENDMSG6: case RAGGED_HOOK_UNIX_SEND: return "sendmsg";
	default: return "connect";
	}
}


/* x86_64 syscall names for the numbers the kernel side reports. */
static const char *syscall_name(uint32_t nr)
{
	static const struct { uint32_t nr; const char *name; } names[] = {
#define NR(n, name) { n, #name },
#define NR3(n, name, which) { n, #name },
		RAGGED_SECCOMP_DENY(NR) RAGGED_SECCOMP_COND(NR) RAGGED_SECCOMP_SELF_ONLY(NR)
		RAGGED_PROC_TARGET(NR) RAGGED_PROC_TARGET_PRCTL(NR)
		RAGGED_PATH_SYSCALLS(NR3) RAGGED_FSMOD_SYSCALLS(NR3)
#undef NR
#undef NR3
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].nr == nr)
			return names[i].name;
	return NULL;
}

/* What a call refused by the seccomp filter was trying to do. */
static const char *syscall_what(uint32_t nr, uint64_t arg)
{
	switch (nr) {
#define CASE(n, name) case n:
#define GROUP(what, list) list(CASE) return what;
	RAGGED_SECCOMP_DENY_GROUPS(GROUP)
	RAGGED_SELF_ONLY_GROUPS(GROUP)
#undef GROUP
#undef CASE
	case RAGGED_NR_CLONE: case RAGGED_NR_CLONE3:
		return arg & RAGGED_CLONE_NEW_ALL ? "namespace" : "reparenting to raggedd (CLONE_PARENT)";
	case RAGGED_NR_SOCKET: return "socket family or type outside the sandbox";
	case RAGGED_NR_IOCTL:
		return (uint32_t)arg == RAGGED_TIOCSTI || (uint32_t)arg == RAGGED_TIOCLINUX ?
		       "terminal input injection" : "signal-driven I/O aimed at another process";
	case RAGGED_NR_FCNTL: return "signal-driven I/O aimed at another process";
	case RAGGED_NR_PERSONALITY: return "personality change";
	case RAGGED_NR_EXECVEAT: return "exec of a descriptor (fexecve, memfd)";
	case RAGGED_NR_PRLIMIT64: return "resource limits of another process";
	case RAGGED_NR_SETPRIORITY: case RAGGED_NR_IOPRIO_SET:
		return arg == (nr == RAGGED_NR_SETPRIORITY ? RAGGED_PRIO_PROCESS : RAGGED_IOPRIO_WHO_PROCESS) ?
		       "priority of another process" : "priority of a process group or of all the user's processes";
	}
	return "host administration";
}

static void add_syscall(cJSON *d, uint32_t nr)
{
	const char *name = syscall_name(nr);
	char buf[24];

	if (!name) {
		snprintf(buf, sizeof(buf), "nr_%u", nr);
		name = buf;
	}
	cJSON_AddStringToObject(d, "syscall", name);
	cJSON_AddNumberToObject(d, "syscall_nr", nr);
}

static const char *access_name(uint32_t acc)
{
	static const char *const names[] = { "none", "read", "write", "read-write",
					     "exec", "read-exec", "write-exec", "read-write-exec" };
	return names[acc & 7];
}

static struct run *run_by_cgroup(struct agent *a, uint64_t id)
{
	for (struct run *r = a->runs; r; r = r->next)
		if (r->cg.id == id)
			return r;
	return NULL;
}

/* details of a sandbox_escape_attempt */
static void escape_details(cJSON *d, const struct ragged_event *e, const struct hook_info *h)
{
	const char *what = h->what;

	switch (e->hook) {
	case RAGGED_HOOK_SECCOMP:
	case RAGGED_HOOK_SECCOMP_ENTRY:
		what = syscall_what(e->access, e->arg);
		add_syscall(d, e->access);
		cJSON_AddNumberToObject(d, "arg", (double)e->arg);
		if (e->access == RAGGED_NR_SOCKET)
			cJSON_AddNumberToObject(d, "type", e->sock_type);
		break;
	case RAGGED_HOOK_SECCOMP_KILL:
		/* AUDIT_ARCH_I386; x32 calls carry the x86_64 arch with bit 30 set */
		cJSON_AddStringToObject(d, "abi", e->arg == 0x40000003 ? "i386" :
					(e->access & 0x40000000) ? "x32" : "foreign");
		cJSON_AddNumberToObject(d, "syscall_nr", e->access);
		cJSON_AddStringToObject(d, "action", "killed (SIGSYS)");
		break;
	case RAGGED_HOOK_EXEC_ANON:
		cJSON_AddStringToObject(d, "action", "killed (SIGKILL) before its first instruction");
		break;
	case RAGGED_HOOK_PROC_DENIED:
		add_syscall(d, e->access);
		break;
	case RAGGED_HOOK_TASK_KILL:
		cJSON_AddNumberToObject(d, "signal", (double)e->arg);
		break;
	case RAGGED_HOOK_PTRACE:
		cJSON_AddNumberToObject(d, "ptrace_mode", (double)e->arg);
		break;
	case RAGGED_HOOK_TASK_ATTR: {
		static const char *const ops[] = { "?", "setnice", "setscheduler", "setioprio" };

		cJSON_AddStringToObject(d, "operation", ops[(e->arg >> 32) & 3]);
		break;
	}
	}
	cJSON_AddStringToObject(d, "what", what ? what : "?");
	if (e->target_pid)
		cJSON_AddNumberToObject(d, "target_pid", e->target_pid);
	if (e->path[0])
		cJSON_AddStringToObject(d, e->hook == RAGGED_HOOK_SB_MOUNT ? "fstype" : "path", e->path);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct agent *a = ctx;
	const struct ragged_event *e = data;
	const struct hook_info *h;
	bool deny = e->verdict == RAGGED_DENY, escape, killed;
	int ret = 0;
	const char *event;
	struct run *r;
	cJSON *rec, *d;
	char addr[INET6_ADDRSTRLEN];

	if (size < sizeof(*e))
		return 0;
	r = run_by_cgroup(a, e->cgroup_id);
	/* Stop after the budget: this record is consumed, the rest wait. */
	if (--a->drain_budget <= 0)
		ret = -EAGAIN;
	/*
	 * The dead agent may have written this record and died before the
	 * ring buffer's consumer position moved past it: at most one such
	 * record per run, recognised by its kernel time and pid.
	 */
	if (r && r->ghost && r->dup_ns && e->boot_ns == r->dup_ns && e->pid == r->dup_pid) {
		r->dup_ns = 0;
		return ret;
	}
	if (r && flood_suppress(a, r, e))
		return ret;	/* counted in r->suppressed, reported by flood.c */
	if (e->kind == RAGGED_EV_PROC) {
		procmon_record(a, r, e);	/* the process tree: procmon.c */
		return ret;
	}
	h = hook_info_of(e->hook);
	if (a->feat.mode != MODE_BPF_LSM &&
	    (e->hook == RAGGED_HOOK_UNIX_CONNECT || e->hook == RAGGED_HOOK_UNIX_SEND))
		h = &unix_hooks_cgroup[e->hook - RAGGED_HOOK_UNIX_CONNECT];
	/* Escape hooks report RAGGED_EV_ESCAPE (or a refused syscall); their
	 * file-rule decisions (bprm_check on a named file, file_receive, link,
	 * rename) report RAGGED_EV_FILE and are permission violations. */
	escape = deny && h->what &&
		 (e->kind == RAGGED_EV_ESCAPE || e->kind == RAGGED_EV_SYSCALL_DENIED);
	killed = e->hook == RAGGED_HOOK_SECCOMP_KILL || e->hook == RAGGED_HOOK_EXEC_ANON;
	if (escape)
		event = "sandbox_escape_attempt";
	else if (deny)
		event = "permission_violation";
	else if (e->kind == RAGGED_EV_NET || e->kind == RAGGED_EV_SOCKET)
		event = "network_access";	/* an allowed socket(): reported only from an unknown cgroup */
	else
		event = "file_access";
	rec = cJSON_CreateObject();
	auditrec_kernel_time(a, rec, e->boot_ns);
	cJSON_AddStringToObject(rec, "event", event);
	if (r) {
		auditrec_run_fields(rec, r);
		r->records++;
	} else {
		a->orphan_records++;
		auditrec_user(rec, e->uid);
	}
	cJSON_AddStringToObject(rec, "result", killed ? "killed" : deny ? "denied" : "allowed");
	cJSON_AddStringToObject(rec, "enforcement", mode_name(a->feat.mode));
	d = cJSON_AddObjectToObject(rec, "details");
	cJSON_AddStringToObject(d, "hook", h->name);
	cJSON_AddStringToObject(d, "mechanism", h->mechanism);
	cJSON_AddNumberToObject(d, "pid", e->pid);
	/* The kernel's own time of the decision: identifies the record across a restart. */
	cJSON_AddNumberToObject(d, "kernel_ns", (double)e->boot_ns);
	cJSON_AddStringToObject(d, "comm", e->comm);
	if (!r)
		cJSON_AddNumberToObject(d, "cgroup_id", (double)e->cgroup_id);
	if (deny && e->err)
		cJSON_AddStringToObject(d, "errno", strerrorname_np(e->err) ?: "?");
	if (escape) {
		escape_details(d, e, h);
	} else {
		switch (e->kind) {
		case RAGGED_EV_FILE:
			cJSON_AddStringToObject(d, "path", e->path);
			cJSON_AddStringToObject(d, "mode", access_name(e->access));
			cJSON_AddStringToObject(d, "operation", file_operation(e));
			break;
		case RAGGED_EV_NET:
			cJSON_AddStringToObject(d, "operation", net_operation(e->hook));
			if (e->family == AF_UNIX) {
				/* The socket's name; abstract names start with '@'. */
				cJSON_AddStringToObject(d, "address", e->path[0] ? e->path : "(unnamed)");
				cJSON_AddStringToObject(d, "protocol", e->sock_type == SOCK_STREAM ? "unix-stream" :
							e->sock_type == SOCK_SEQPACKET ? "unix-seqpacket" : "unix-dgram");
				break;
			}
			inet_ntop(e->family, e->addr, addr, sizeof(addr));
			cJSON_AddStringToObject(d, "address", addr);
			cJSON_AddNumberToObject(d, "port", e->port);
			cJSON_AddStringToObject(d, "protocol", e->protocol == 17 ? "udp" : "tcp");
			if (!deny && e->access < RAGGED_PERM_COUNT)
				cJSON_AddStringToObject(d, "permission", perm_name(e->access));
			break;
		case RAGGED_EV_SOCKET:
			cJSON_AddNumberToObject(d, "family", e->family);
			cJSON_AddNumberToObject(d, "type", e->sock_type);
			/* Not "protocol": that is the transport's name in network records. */
			cJSON_AddNumberToObject(d, "socket_protocol", e->protocol);
			break;
		case RAGGED_EV_SYSCALL_DENIED:
			/* landlock mode: a path syscall Landlock refused */
			add_syscall(d, e->access);
			cJSON_AddStringToObject(d, "operation", syscall_name(e->access) ?: "?");
			cJSON_AddStringToObject(d, "path", e->path);
			break;
		}
	}
	a->records_total++;
	auditrec_emit(a, rec);
	return ret;
}

/*
 * The ring buffer's data pages are mapped into the agent twice over (2 x 64
 * MB), page by page, which makes the mapping one that fork copies entry by
 * entry: every fork of the agent (the audit query worker, two per `audit
 * show` or `verify`) copied 32 k page-table entries. (Runs start with
 * CLONE_VM and copy nothing.) No child of the agent reads the ring buffer,
 * so the mapping is not inherited at all. Speed only: if it cannot be found
 * or marked, children inherit it as before.
 */
static void ringbuf_dontfork(int map_fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	unsigned long lo, hi, want;
	char line[512];
	FILE *f;

	if (bpf_obj_get_info_by_fd(map_fd, &info, &len) < 0 || !(f = fopen("/proc/self/maps", "re")))
		return;
	/* libbpf maps the producer page and the data twice, in one mapping. */
	want = 2UL * info.max_entries + (unsigned long)sysconf(_SC_PAGESIZE);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && hi - lo == want &&
		    strstr(line, "anon_inode:bpf-map") && madvise((void *)lo, hi - lo, MADV_DONTFORK) < 0)
			log_msg(LOG_DEBUG, "ring buffer mapping: MADV_DONTFORK: %s", strerror(errno));
	fclose(f);
}

int events_setup(struct agent *a, char *err, size_t errlen)
{
	struct timespec rt, bt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	a->boot_to_real_ns = ((int64_t)rt.tv_sec - bt.tv_sec) * 1000000000LL +
			     (rt.tv_nsec - bt.tv_nsec);
	a->bpf.rb = ring_buffer__new(a->bpf.events_fd, on_event, a, NULL);
	if (!a->bpf.rb) {
		snprintf(err, errlen, "ring buffer: %s", strerror(errno));
		return -1;
	}
	ringbuf_dontfork(a->bpf.events_fd);
	return ep_add(a, ring_buffer__epoll_fd(a->bpf.rb), EP_RINGBUF, NULL);
}

int events_drain(struct agent *a)
{
	a->drain_budget = EVENTS_BUDGET;
	return a->bpf.rb ? ring_buffer__consume(a->bpf.rb) : 0;
}

void events_drain_all(struct agent *a)
{
	while (events_drain(a) == -EAGAIN)
		;
}

// SPDX-License-Identifier: MIT
/*
 * The event flow from the kernel's ring buffer to the audit log, on real
 * kernel objects: a BPF ring buffer map and a tiny socket-filter program
 * that copies its test input into it (BPF_PROG_TEST_RUN), so every record
 * the agent drains went through the kernel exactly like a hook's. Checked:
 * the audit record each kind of event becomes (run enrichment, orphan
 * records, escape attempts, syscall names), flood suppression with exact
 * counts, the drain budget, and records too short to be events.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../../agent/daemon/agent.h"
#include "audit/audit.h"
#include "proto/proto.h"

#define CGID 0x4242ULL
#define EV_SIZE ((int)sizeof(struct ragged_event))

struct fx {
	char tmp[PATH_MAX];
	struct agent a;
	struct run r;
	int prog_fd, short_fd;
};

/* ---- a program that copies its input packet into the ring buffer ---- */

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
						   .off = (o), .imm = (i) })
#define MOV_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ADD_IMM(d, i) INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define CALL(f) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define JNE_IMM(d, i, o) INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int load_injector(int ringbuf_fd, int size)
{
	struct bpf_insn insns[] = {
		MOV_REG(6, 1),				/* r6 = skb */
		MOV_REG(1, 6),
		MOV_IMM(2, 0),				/* offset 0 (after the Ethernet header) */
		MOV_REG(3, 10),
		ADD_IMM(3, -size),			/* to the stack */
		MOV_IMM(4, size),
		CALL(BPF_FUNC_skb_load_bytes),
		JNE_IMM(0, 0, 7),			/* short packet: nothing */
		INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, ringbuf_fd),
		INSN(0, 0, 0, 0, 0),
		MOV_REG(2, 10),
		ADD_IMM(2, -size),
		MOV_IMM(3, size),
		MOV_IMM(4, 0),
		CALL(BPF_FUNC_ringbuf_output),
		MOV_IMM(0, 0),
		EXIT(),
	};
	char log[4096] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = log, .log_size = sizeof(log), .log_level = 1);
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "ut_inject", "GPL", insns,
			       sizeof(insns) / sizeof(insns[0]), &o);

	if (fd < 0)
		print_error("load injector: %s\n%s\n", strerror(errno), log);
	return fd;
}

/* Hand n copies of e to the kernel program, i.e. to the ring buffer. */
static void inject_n(struct fx *f, int prog, const struct ragged_event *e, int n)
{
	unsigned char pkt[14 + sizeof(*e)];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = n);

	(void)f;
	memset(pkt, 0, 14);
	pkt[12] = 0x08;	/* an IPv4 EtherType, for eth_type_trans */
	memcpy(pkt + 14, e, sizeof(*e));
	assert_int_equal(bpf_prog_test_run_opts(prog, &o), 0);
}

static void inject(struct fx *f, const struct ragged_event *e)
{
	inject_n(f, f->prog_fd, e, 1);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct auditlog_opts ao = { 0 };
	char t[] = "/tmp/ragged-ut-events.XXXXXX", err[256];
	LIBBPF_OPTS(bpf_map_create_opts, mo);

	if (!f || !mkdtemp(t) || !realpath(t, f->tmp))
		return -1;
	*state = f;
	f->prog_fd = f->short_fd = -1;
	f->a.listen_fd = -1;
	f->a.bpf.runs_fd = f->a.bpf.swap_prog_fd = f->a.bpf.file_rules_fd = -1;
	f->a.bpf.inode_rules_fd = -1;
	f->a.bpf.sock_create_fd = f->a.bpf.sock_run_fd = f->a.bpf.sock_allowed_fd = -1;
	f->a.bpf.net_rules_fd = f->a.bpf.orphan_fd = -1;
	config_defaults(&f->a.cfg);
	snprintf(f->a.cfg.audit_log, sizeof(f->a.cfg.audit_log), "%s/audit.jsonl", f->tmp);
	f->a.feat.mode = MODE_LANDLOCK;
	f->a.epfd = epoll_create1(EPOLL_CLOEXEC);
	ao.path = f->a.cfg.audit_log;
	ao.fsync = AUDITLOG_FSYNC_NEVER;
	f->a.audit = auditlog_open(&ao, err, sizeof(err));
	if (f->a.epfd < 0 || !f->a.audit)
		return -1;
	f->a.bpf.events_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ut_events", 0, 0, 4 << 20, &mo);
	if (f->a.bpf.events_fd < 0) {
		print_error("ring buffer map: %s\n", strerror(errno));
		return -1;
	}
	f->prog_fd = load_injector(f->a.bpf.events_fd, EV_SIZE);
	f->short_fd = load_injector(f->a.bpf.events_fd, EV_SIZE - 8);
	if (f->prog_fd < 0 || f->short_fd < 0)
		return -1;
	if (events_setup(&f->a, err, sizeof(err)) < 0) {
		print_error("events_setup: %s\n", err);
		return -1;
	}
	/* One known run. */
	f->r.cg.id = CGID;
	f->r.cg.v2_fd = -1;
	f->r.pidfd = f->r.chan_fd = -1;
	f->r.owner = 1000;
	snprintf(f->r.user, sizeof(f->r.user), "alice");
	snprintf(f->r.plugin, sizeof(f->r.plugin), "demo");
	snprintf(f->r.version, sizeof(f->r.version), "1.2.3");
	snprintf(f->r.run_id, sizeof(f->r.run_id), "0123456789abcdef0123456789abcdef");
	f->r.perms = RAGGED_PERM_BIT(RAGGED_PERM_NETWORK_API);
	f->a.runs = &f->r;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	ring_buffer__free(f->a.bpf.rb);
	free(f->r.flood);
	if (f->prog_fd >= 0)
		close(f->prog_fd);
	if (f->short_fd >= 0)
		close(f->short_fd);
	if (f->a.bpf.events_fd >= 0)
		close(f->a.bpf.events_fd);
	if (f->a.epfd >= 0)
		close(f->a.epfd);
	auditlog_close(f->a.audit);
	config_free(&f->a.cfg);
	nftw(f->tmp, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* ---- reading what the agent wrote ---- */

static cJSON *records(struct fx *f)
{
	FILE *fp = fopen(f->a.cfg.audit_log, "re");
	cJSON *arr = cJSON_CreateArray();
	char *line = NULL;
	size_t cap = 0;

	assert_non_null(fp);
	while (getline(&line, &cap, fp) > 0) {
		cJSON *r = cJSON_Parse(line);

		assert_non_null(r);
		cJSON_AddItemToArray(arr, r);
	}
	free(line);
	fclose(fp);
	return arr;
}

/* Drain, and return the one record that must have been written. */
static cJSON *drain_one(struct fx *f)
{
	cJSON *arr;
	int before, n;

	arr = records(f);
	before = cJSON_GetArraySize(arr);
	cJSON_Delete(arr);
	assert_true(events_drain(&f->a) >= 0);
	arr = records(f);
	n = cJSON_GetArraySize(arr);
	if (n != before + 1)
		fail_msg("%d records written, want 1", n - before);
	{
		cJSON *r = cJSON_DetachItemFromArray(arr, n - 1);

		cJSON_Delete(arr);
		return r;
	}
}

static const char *str(const cJSON *o, const char *k)
{
	const char *s = proto_str(o, k);

	if (!s)
		fail_msg("no string \"%s\"", k);
	return s;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	if (!cJSON_IsNumber(v))
		fail_msg("no number \"%s\"", k);
	return v->valuedouble;
}

static struct ragged_event ev(uint64_t cgid, uint16_t kind, uint16_t hook, uint8_t verdict)
{
	struct ragged_event e;
	struct timespec ts;

	memset(&e, 0, sizeof(e));
	clock_gettime(CLOCK_BOOTTIME, &ts);
	e.boot_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	e.cgroup_id = cgid;
	e.pid = 4321;
	e.tid = 4322;
	e.uid = 1000;
	e.kind = kind;
	e.hook = hook;
	e.verdict = verdict;
	snprintf(e.comm, sizeof(e.comm), "python3");
	return e;
}

/* ---- tests ---- */

static void t_file_denied(void **state)
{
	struct fx *f = *state;
	struct ragged_event e = ev(CGID, RAGGED_EV_FILE, RAGGED_HOOK_FILE_OPEN, RAGGED_DENY);
	cJSON *rec, *d;
	char today[16];
	time_t now = time(NULL);

	e.err = EACCES;
	e.access = RAGGED_ACC_READ | RAGGED_ACC_WRITE;
	snprintf(e.path, sizeof(e.path), "/home/alice/.ssh/id_ed25519");
	inject(f, &e);
	rec = drain_one(f);
	assert_string_equal(str(rec, "event"), "permission_violation");
	assert_string_equal(str(rec, "result"), "denied");
	assert_string_equal(str(rec, "enforcement"), "landlock");
	/* Enriched with the run it belongs to. */
	assert_string_equal(str(rec, "plugin"), "demo");
	assert_string_equal(str(rec, "version"), "1.2.3");
	assert_string_equal(str(rec, "user_id"), "alice");
	assert_string_equal(str(rec, "run_id"), "0123456789abcdef0123456789abcdef");
	/* The kernel's time of the decision, in wall-clock time. */
	strftime(today, sizeof(today), "%Y-%m-%dT", gmtime(&now));
	assert_int_equal(strncmp(str(rec, "timestamp"), today, 11), 0);
	d = cJSON_GetObjectItem(rec, "details");
	assert_string_equal(str(d, "hook"), "file_open");
	assert_string_equal(str(d, "mechanism"), "bpf-lsm");
	assert_string_equal(str(d, "errno"), "EACCES");
	assert_string_equal(str(d, "path"), "/home/alice/.ssh/id_ed25519");
	assert_string_equal(str(d, "mode"), "read-write");
	assert_string_equal(str(d, "operation"), "open");
	assert_string_equal(str(d, "comm"), "python3");
	assert_int_equal(num(d, "pid"), 4321);
	assert_null(cJSON_GetObjectItem(d, "cgroup_id"));
	cJSON_Delete(rec);
	assert_int_equal(f->r.records, 1);
	assert_int_equal(f->a.records_total, 1);
	assert_int_equal(f->a.orphan_records, 0);
}

static void t_file_operations(void **state)
{
	struct fx *f = *state;
	static const struct { uint16_t hook; uint32_t acc; const char *op, *mode; } cases[] = {
		{ RAGGED_HOOK_PATH_LINK, RAGGED_ACC_WRITE, "link", "write" },
		{ RAGGED_HOOK_PATH_RENAME, RAGGED_ACC_WRITE | RAGGED_ACC_READ, "rename", "read-write" },
		{ RAGGED_HOOK_FILE_RECEIVE, RAGGED_ACC_READ, "receive", "read" },
		{ RAGGED_HOOK_FILE_OPEN, RAGGED_ACC_EXEC | RAGGED_ACC_READ, "open", "read-exec" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ragged_event e = ev(CGID, RAGGED_EV_FILE, cases[i].hook, RAGGED_ALLOW);
		cJSON *rec, *d;

		e.access = cases[i].acc;
		snprintf(e.path, sizeof(e.path), "/home/alice/Documents/%zu.txt", i);
		inject(f, &e);
		rec = drain_one(f);
		/* An allowed access to a granted resource: file_access, no errno. */
		assert_string_equal(str(rec, "event"), "file_access");
		assert_string_equal(str(rec, "result"), "allowed");
		d = cJSON_GetObjectItem(rec, "details");
		assert_string_equal(str(d, "operation"), cases[i].op);
		assert_string_equal(str(d, "mode"), cases[i].mode);
		assert_null(cJSON_GetObjectItem(d, "errno"));
		cJSON_Delete(rec);
	}
}

static void t_network(void **state)
{
	struct fx *f = *state;
	struct ragged_event e = ev(CGID, RAGGED_EV_NET, RAGGED_HOOK_CONNECT4, RAGGED_ALLOW);
	cJSON *rec, *d;

	e.family = AF_INET;
	e.port = 443;
	e.protocol = 6;
	e.access = RAGGED_PERM_NETWORK_API;
	inet_pton(AF_INET, "192.0.2.7", e.addr);
	inject(f, &e);
	rec = drain_one(f);
	assert_string_equal(str(rec, "event"), "network_access");
	assert_string_equal(str(rec, "result"), "allowed");
	d = cJSON_GetObjectItem(rec, "details");
	assert_string_equal(str(d, "hook"), "connect4");
	assert_string_equal(str(d, "mechanism"), "cgroup-bpf");
	assert_string_equal(str(d, "address"), "192.0.2.7");
	assert_int_equal(num(d, "port"), 443);
	assert_string_equal(str(d, "protocol"), "tcp");
	assert_string_equal(str(d, "permission"), "network:api");
	cJSON_Delete(rec);

	/* A denied UDP send over IPv6: no permission named, the errno is. */
	e = ev(CGID, RAGGED_EV_NET, RAGGED_HOOK_SENDMSG6, RAGGED_DENY);
	e.family = AF_INET6;
	e.port = 53;
	e.protocol = 17;
	e.err = EPERM;
	e.access = RAGGED_PERM_NETWORK_API;
	inet_pton(AF_INET6, "2001:db8::53", e.addr);
	inject(f, &e);
	rec = drain_one(f);
	assert_string_equal(str(rec, "event"), "permission_violation");
	d = cJSON_GetObjectItem(rec, "details");
	assert_string_equal(str(d, "hook"), "sendmsg6");
	assert_string_equal(str(d, "address"), "2001:db8::53");
	assert_string_equal(str(d, "protocol"), "udp");
	assert_string_equal(str(d, "errno"), "EPERM");
	assert_null(cJSON_GetObjectItem(d, "permission"));
	cJSON_Delete(rec);
}

/* A task in the plugin subtree with no run: recorded with what the kernel knows. */
static void t_orphan_socket(void **state)
{
	struct fx *f = *state;
	struct ragged_event e = ev(999, RAGGED_EV_SOCKET, RAGGED_HOOK_SOCK_CREATE, RAGGED_DENY);
	cJSON *rec, *d;

	e.uid = 0;
	e.err = EACCES;
	e.family = 17;
	e.sock_type = 3;
	e.protocol = 768;
	inject(f, &e);
	rec = drain_one(f);
	assert_string_equal(str(rec, "event"), "permission_violation");
	assert_null(cJSON_GetObjectItem(rec, "plugin"));
	assert_string_equal(str(rec, "user_id"), "root");
	assert_int_equal(num(rec, "uid"), 0);
	d = cJSON_GetObjectItem(rec, "details");
	assert_int_equal(num(d, "cgroup_id"), 999);
	assert_int_equal(num(d, "family"), 17);
	assert_int_equal(num(d, "type"), 3);
	assert_int_equal(num(d, "socket_protocol"), 768);
	assert_null(cJSON_GetObjectItem(d, "protocol"));
	assert_string_equal(str(d, "hook"), "sock_create");
	cJSON_Delete(rec);
	assert_int_equal(f->a.orphan_records, 1);
	assert_int_equal(f->r.records, 0);
}

/*
 * The kernel reports an allowed socket() only from a cgroup no run owns:
 * a network record with the socket's numbers, never a file_access.
 */
static void t_orphan_socket_allowed(void **state)
{
	struct fx *f = *state;
	struct ragged_event e = ev(999, RAGGED_EV_SOCKET, RAGGED_HOOK_SOCK_CREATE, RAGGED_ALLOW);
	cJSON *rec, *d;

	e.uid = 0;
	e.family = 2;
	e.sock_type = 1;
	e.protocol = 6;
	inject(f, &e);
	rec = drain_one(f);
	assert_string_equal(str(rec, "event"), "network_access");
	assert_string_equal(str(rec, "result"), "allowed");
	d = cJSON_GetObjectItem(rec, "details");
	assert_int_equal(num(d, "cgroup_id"), 999);
	assert_int_equal(num(d, "family"), 2);
	assert_int_equal(num(d, "socket_protocol"), 6);
	assert_null(cJSON_GetObjectItem(d, "errno"));
	cJSON_Delete(rec);
}

/* Landlock mode: a path call Landlock refused, named from the syscall number. */
/* File changes refused in bpf-lsm mode (bpf/fsmod.bpf.c): the hook names
 * the operation, arg tells the xattr and ACL changes apart. */
static void t_file_change_denied(void **state)
{
	struct fx *f = *state;
	static const struct { uint16_t hook; uint64_t arg; int err; const char *name, *op; } cases[] = {
		{ RAGGED_HOOK_PATH_UNLINK, 0, EACCES, "path_unlink", "unlink" },
		{ RAGGED_HOOK_PATH_RMDIR, 0, EACCES, "path_rmdir", "rmdir" },
		{ RAGGED_HOOK_PATH_MKDIR, 0, EACCES, "path_mkdir", "mkdir" },
		{ RAGGED_HOOK_PATH_MKNOD, 0, EACCES, "path_mknod", "mknod" },
		{ RAGGED_HOOK_PATH_SYMLINK, 0, EACCES, "path_symlink", "symlink" },
		{ RAGGED_HOOK_PATH_TRUNCATE, 0, EACCES, "path_truncate", "truncate" },
		{ RAGGED_HOOK_PATH_CHMOD, 0, EPERM, "path_chmod", "chmod" },
		{ RAGGED_HOOK_PATH_CHOWN, 0, EPERM, "path_chown", "chown" },
		{ RAGGED_HOOK_INODE_SETATTR, 0, EPERM, "inode_setattr", "utimes" },
		{ RAGGED_HOOK_FILE_SETFLAGS, 0, EPERM, "file_ioctl", "setflags" },
		{ RAGGED_HOOK_INODE_XATTR, RAGGED_XATTR_SET, EPERM, "inode_xattr", "setxattr" },
		{ RAGGED_HOOK_INODE_XATTR, RAGGED_XATTR_REMOVE, EPERM, "inode_xattr", "removexattr" },
		{ RAGGED_HOOK_INODE_XATTR, RAGGED_XATTR_SET_ACL, EPERM, "inode_xattr", "set_acl" },
		{ RAGGED_HOOK_INODE_XATTR, RAGGED_XATTR_REMOVE_ACL, EPERM, "inode_xattr", "remove_acl" },
		{ RAGGED_HOOK_INODE_XATTR, 77, EPERM, "inode_xattr", "setxattr" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ragged_event e = ev(CGID, RAGGED_EV_FILE, cases[i].hook, RAGGED_DENY);
		cJSON *rec, *d;

		e.access = RAGGED_ACC_WRITE;
		e.err = cases[i].err;
		e.arg = cases[i].arg;
		snprintf(e.path, sizeof(e.path), "/home/alice/Documents/%zu.txt", i);
		inject(f, &e);
		rec = drain_one(f);
		assert_string_equal(str(rec, "event"), "permission_violation");
		d = cJSON_GetObjectItem(rec, "details");
		assert_string_equal(str(d, "hook"), cases[i].name);
		assert_string_equal(str(d, "mechanism"), "bpf-lsm");
		assert_string_equal(str(d, "operation"), cases[i].op);
		assert_string_equal(str(d, "errno"), cases[i].err == EPERM ? "EPERM" : "EACCES");
		assert_string_equal(str(d, "path"), e.path);
		cJSON_Delete(rec);
	}
}

/* landlock mode: a change the read-only mount view refused (EROFS). */
static void t_readonly_mount_denied(void **state)
{
	struct fx *f = *state;
	struct ragged_event e = ev(CGID, RAGGED_EV_SYSCALL_DENIED, RAGGED_HOOK_READONLY_MOUNT, RAGGED_DENY);
	cJSON *rec, *d;

	e.err = EROFS;
	e.access = 91;	/* fchmod */
	snprintf(e.path, sizeof(e.path), "/home/alice/Documents/a.txt");
	inject(f, &e);
	rec = drain_one(f);
	assert_string_equal(str(rec, "event"), "permission_violation");
	d = cJSON_GetObjectItem(rec, "details");
	assert_string_equal(str(d, "hook"), "sys_exit");
	assert_string_equal(str(d, "mechanism"), "read-only-mount");
	assert_string_equal(str(d, "syscall"), "fchmod");
	assert_string_equal(str(d, "errno"), "EROFS");
	assert_string_equal(str(d, "path"), "/home/alice/Documents/a.txt");
	cJSON_Delete(rec);
}

static void t_syscall_denied(void **state)
{
	struct fx *f = *state;
	struct ragged_event e = ev(CGID, RAGGED_EV_SYSCALL_DENIED, RAGGED_HOOK_SYSCALL_EXIT, RAGGED_DENY);
	cJSON *rec, *d;

	e.err = EACCES;
	e.access = 257;
	snprintf(e.path, sizeof(e.path), "/etc/shadow");
	inject(f, &e);
	rec = drain_one(f);
	assert_string_equal(str(rec, "event"), "permission_violation");
	d = cJSON_GetObjectItem(rec, "details");
	assert_string_equal(str(d, "mechanism"), "landlock");
	assert_string_equal(str(d, "syscall"), "openat");
	assert_int_equal(num(d, "syscall_nr"), 257);
	assert_string_equal(str(d, "operation"), "openat");
	assert_string_equal(str(d, "path"), "/etc/shadow");
	cJSON_Delete(rec);
	/* A number the tables do not know. */
	e.access = 999;
	inject(f, &e);
	rec = drain_one(f);
	d = cJSON_GetObjectItem(rec, "details");
	assert_string_equal(str(d, "syscall"), "nr_999");
	assert_string_equal(str(d, "operation"), "?");
	cJSON_Delete(rec);
}

struct esc {
	uint16_t hook;
	uint16_t kind;
	uint32_t access;
	uint64_t arg;
	uint32_t target;
	const char *path;
	const char *result, *what, *extra_key;
	double extra;
};

static void t_escapes(void **state)
{
	struct fx *f = *state;
	static const struct esc cases[] = {
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 165, 0, 0, NULL, "denied", "mount", "syscall_nr", 165 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 321, 0, 0, NULL, "denied", "bpf or perf", NULL, 0 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 272, 0x10000000, 0, NULL, "denied", "namespace", "arg", 0x10000000 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 41, 16, 0, NULL, "denied",
		  "socket family or type outside the sandbox", NULL, 0 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 16, 0x5412, 0, NULL, "denied", "terminal input injection", NULL, 0 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 101, 0, 0, NULL, "denied", "access to another process", NULL, 0 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 175, 0, 0, NULL, "denied", "kernel module or image load", NULL, 0 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 250, 0, 0, NULL, "denied", "keyring", NULL, 0 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 323, 0, 0, NULL, "denied", "userfaultfd", NULL, 0 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 425, 0, 0, NULL, "denied", "io_uring", NULL, 0 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 135, 0x40000, 0, NULL, "denied", "personality change", NULL, 0 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 322, 0, 0, NULL, "denied", "exec of a descriptor (fexecve, memfd)", NULL, 0 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 303, 0, 0, NULL, "denied", "open by file handle", NULL, 0 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 154, 0, 0, NULL, "denied", "legacy kernel interface", NULL, 0 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 169, 0, 0, NULL, "denied", "host administration", NULL, 0 },
		{ RAGGED_HOOK_SECCOMP_KILL, RAGGED_EV_ESCAPE, 11, 0x40000003, 0, NULL, "killed",
		  "syscall through a foreign ABI (i386/x32)", NULL, 0 },
		{ RAGGED_HOOK_SECCOMP_KILL, RAGGED_EV_ESCAPE, 0x40000000 | 59, 0xc000003e, 0, NULL, "killed",
		  "syscall through a foreign ABI (i386/x32)", NULL, 0 },
		{ RAGGED_HOOK_SECCOMP_KILL, RAGGED_EV_ESCAPE, 59, 0x1234, 0, NULL, "killed",
		  "syscall through a foreign ABI (i386/x32)", NULL, 0 },
		{ RAGGED_HOOK_EXEC_ANON, RAGGED_EV_ESCAPE, 0, 0, 0, "/memfd:payload (deleted)", "killed",
		  "exec of an anonymous file (memfd or unlinked)", NULL, 0 },
		{ RAGGED_HOOK_PROC_DENIED, RAGGED_EV_ESCAPE, 62, 0, 1, NULL, "denied",
		  "access to a process outside the run", "target_pid", 1 },
		{ RAGGED_HOOK_TASK_KILL, RAGGED_EV_ESCAPE, 0, 9, 1234, NULL, "denied",
		  "signal to a process outside the run", "signal", 9 },
		{ RAGGED_HOOK_PTRACE, RAGGED_EV_ESCAPE, 0, 0x11, 1234, NULL, "denied",
		  "access to a process outside the run", "ptrace_mode", 0x11 },
		{ RAGGED_HOOK_SB_MOUNT, RAGGED_EV_ESCAPE, 0, 0, 0, "tmpfs", "denied", "mount", NULL, 0 },
		{ RAGGED_HOOK_BPF, RAGGED_EV_ESCAPE, 0, 0, 0, NULL, "denied", "bpf", NULL, 0 },
		{ RAGGED_HOOK_USERNS_CREATE, RAGGED_EV_ESCAPE, 0, 0, 0, NULL, "denied", "namespace", NULL, 0 },
		{ RAGGED_HOOK_MMAP_FILE, RAGGED_EV_ESCAPE, 0, 0, 0, "/tmp/x.so", "denied",
		  "executable mapping of a non-executable file", NULL, 0 },
		{ RAGGED_HOOK_URING_CREDS, RAGGED_EV_ESCAPE, 0, 0, 0, NULL, "denied", "io_uring", NULL, 0 },
		/* other processes: the target named, if any (see monitor.bpf.c) */
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 302, 0, 4321, NULL, "denied",
		  "resource limits of another process", "target_pid", 4321 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 141, 0, 4321, NULL, "denied",
		  "priority of another process", "target_pid", 4321 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 141, 2, 0, NULL, "denied",
		  "priority of a process group or of all the user's processes", "arg", 2 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 251, 1, 4321, NULL, "denied",
		  "priority of another process", "target_pid", 4321 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 251, 3, 0, NULL, "denied",
		  "priority of a process group or of all the user's processes", NULL, 0 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 314, 4321, 4321, NULL, "denied",
		  "scheduling of another process", NULL, 0 },
		{ RAGGED_HOOK_SECCOMP, RAGGED_EV_SYSCALL_DENIED, 203, 4321, 4321, NULL, "denied",
		  "CPU affinity of another process", NULL, 0 },
		{ RAGGED_HOOK_PROC_DENIED, RAGGED_EV_ESCAPE, 279, 0, 4321, NULL, "denied",
		  "access to a process outside the run", "target_pid", 4321 },
		/* the same refusal as bpf-lsm mode reports it */
		{ RAGGED_HOOK_SECCOMP_ENTRY, RAGGED_EV_SYSCALL_DENIED, 165, 0, 0, NULL, "denied", "mount", "syscall_nr", 165 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct esc *c = &cases[i];
		struct ragged_event e = ev(CGID, c->kind, c->hook, RAGGED_DENY);
		cJSON *rec, *d;

		e.err = EPERM;
		e.access = c->access;
		e.arg = c->arg;
		e.target_pid = c->target;
		/* A different pid each: no two of these are "the same event" for the flood control. */
		e.pid = 5000 + (uint32_t)i;
		if (c->path)
			snprintf(e.path, sizeof(e.path), "%s", c->path);
		inject(f, &e);
		rec = drain_one(f);
		if (strcmp(str(rec, "event"), "sandbox_escape_attempt") != 0)
			fail_msg("case %zu: %s", i, str(rec, "event"));
		assert_string_equal(str(rec, "result"), c->result);
		d = cJSON_GetObjectItem(rec, "details");
		if (strcmp(str(d, "what"), c->what) != 0)
			fail_msg("case %zu: what \"%s\", want \"%s\"", i, str(d, "what"), c->what);
		if (c->extra_key)
			assert_int_equal(num(d, c->extra_key), c->extra);
		if (c->hook == RAGGED_HOOK_SB_MOUNT)
			assert_string_equal(str(d, "fstype"), c->path);
		else if (c->path)
			assert_string_equal(str(d, "path"), c->path);
		if (c->target)
			assert_int_equal(num(d, "target_pid"), c->target);
		if (c->hook == RAGGED_HOOK_SECCOMP_KILL) {
			assert_string_equal(str(d, "action"), "killed (SIGSYS)");
			assert_string_equal(str(d, "abi"), i == 15 ? "i386" : i == 16 ? "x32" : "foreign");
		}
		if ((c->hook == RAGGED_HOOK_SECCOMP || c->hook == RAGGED_HOOK_SECCOMP_ENTRY) &&
		    c->access == 165) {
			assert_string_equal(str(d, "syscall"), "mount");
			assert_string_equal(str(d, "hook"), c->hook == RAGGED_HOOK_SECCOMP ?
					    "sys_exit" : "seccomp_filter");
			assert_string_equal(str(d, "mechanism"), "seccomp");
		}
		cJSON_Delete(rec);
	}
}

/* A hook number the agent does not know: recorded, named "unknown". */
static void t_unknown_hook(void **state)
{
	struct fx *f = *state;
	struct ragged_event e = ev(CGID, RAGGED_EV_FILE, RAGGED_HOOK_MAX + 8, RAGGED_DENY);
	cJSON *rec, *d;

	e.err = 0;	/* no errno: none in the record */
	snprintf(e.path, sizeof(e.path), "/x");
	inject(f, &e);
	rec = drain_one(f);
	assert_string_equal(str(rec, "event"), "permission_violation");
	d = cJSON_GetObjectItem(rec, "details");
	assert_string_equal(str(d, "hook"), "unknown");
	assert_string_equal(str(d, "mechanism"), "unknown");
	assert_null(cJSON_GetObjectItem(d, "errno"));
	cJSON_Delete(rec);
}

/* UNIX socket and bind denials: the name or address, the operation, the
 * program of the mode that decided. */
static void t_unix_and_bind(void **state)
{
	struct fx *f = *state;
	struct ragged_event e = ev(CGID, RAGGED_EV_NET, RAGGED_HOOK_UNIX_CONNECT, RAGGED_DENY);
	cJSON *rec, *d;

	e.family = AF_UNIX;
	e.sock_type = SOCK_STREAM;
	snprintf(e.path, sizeof(e.path), "/run/dbus/system_bus_socket");
	inject(f, &e);
	rec = drain_one(f);
	assert_string_equal(str(rec, "event"), "permission_violation");
	d = cJSON_GetObjectItem(rec, "details");
	assert_string_equal(str(d, "address"), "/run/dbus/system_bus_socket");
	assert_string_equal(str(d, "protocol"), "unix-stream");
	assert_string_equal(str(d, "operation"), "connect");
	assert_string_equal(str(d, "hook"), f->a.feat.mode == MODE_BPF_LSM ?
			    "unix_stream_connect" : "connect_unix");
	assert_null(cJSON_GetObjectItem(d, "port"));
	cJSON_Delete(rec);

	e = ev(CGID, RAGGED_EV_NET, RAGGED_HOOK_UNIX_SEND, RAGGED_DENY);
	e.family = AF_UNIX;
	e.sock_type = SOCK_DGRAM;
	inject(f, &e);
	rec = drain_one(f);
	d = cJSON_GetObjectItem(rec, "details");
	assert_string_equal(str(d, "address"), "(unnamed)");
	assert_string_equal(str(d, "protocol"), "unix-dgram");
	assert_string_equal(str(d, "operation"), "sendmsg");
	cJSON_Delete(rec);

	e = ev(CGID, RAGGED_EV_NET, RAGGED_HOOK_BIND4, RAGGED_DENY);
	e.family = AF_INET;
	e.port = 8080;
	e.protocol = 17;
	inject(f, &e);
	rec = drain_one(f);
	d = cJSON_GetObjectItem(rec, "details");
	assert_string_equal(str(d, "operation"), "bind");
	assert_string_equal(str(d, "address"), "0.0.0.0");
	assert_string_equal(str(d, "protocol"), "udp");
	cJSON_Delete(rec);
}

/* A ring-buffer record shorter than an event is not one: skipped, not logged. */
static void t_short_record(void **state)
{
	struct fx *f = *state;
	struct ragged_event e = ev(CGID, RAGGED_EV_FILE, RAGGED_HOOK_FILE_OPEN, RAGGED_DENY);
	cJSON *arr;

	inject_n(f, f->short_fd, &e, 1);
	assert_true(events_drain(&f->a) >= 0);
	arr = records(f);
	assert_int_equal(cJSON_GetArraySize(arr), 0);
	cJSON_Delete(arr);
	assert_int_equal(f->a.records_total, 0);
	assert_int_equal(f->r.records, 0);
}

/* The same denial over and over: a few in full, the rest counted exactly. */
static void t_flood(void **state)
{
	struct fx *f = *state;
	struct ragged_event e = ev(CGID, RAGGED_EV_FILE, RAGGED_HOOK_FILE_OPEN, RAGGED_DENY);
	struct ragged_event other = e;
	cJSON *arr, *it, *sup = NULL;
	int n_viol = 0;

	e.err = EACCES;
	e.access = RAGGED_ACC_READ;
	snprintf(e.path, sizeof(e.path), "/etc/shadow");
	inject_n(f, f->prog_fd, &e, 100);
	/* A different event in the same flood still gets logged. */
	other.err = EACCES;
	other.access = RAGGED_ACC_WRITE;
	snprintf(other.path, sizeof(other.path), "/etc/passwd");
	inject(f, &other);
	assert_true(events_drain(&f->a) >= 0);
	assert_int_equal(f->r.suppressed, 95);
	flood_flush(&f->a, &f->r);
	arr = records(f);
	cJSON_ArrayForEach(it, arr) {
		if (strcmp(str(it, "event"), "permission_violation") == 0)
			n_viol++;
		if (strcmp(str(it, "event"), "events_suppressed") == 0) {
			assert_null(sup);
			sup = it;
		}
	}
	assert_int_equal(n_viol, 5 + 1);
	assert_non_null(sup);
	assert_string_equal(str(sup, "plugin"), "demo");
	assert_int_equal(num(cJSON_GetObjectItem(sup, "details"), "count"), 95);
	assert_string_equal(str(cJSON_GetObjectItem(sup, "details"), "suppressed_event"),
			    "permission_violation");
	assert_string_equal(str(cJSON_GetObjectItem(sup, "details"), "sample_path"), "/etc/shadow");
	/* The hook by name, as in the records it stands for. */
	assert_string_equal(str(cJSON_GetObjectItem(sup, "details"), "hook"), "file_open");
	/* logged + suppressed = everything the kernel emitted. */
	assert_int_equal(f->r.records + f->r.suppressed, 101);
	cJSON_Delete(arr);
}


/* Floods of other kinds: each summarised under its own event name and sample. */
static void t_flood_kinds(void **state)
{
	struct fx *f = *state;
	struct ragged_event net = ev(CGID, RAGGED_EV_NET, RAGGED_HOOK_CONNECT6, RAGGED_DENY);
	struct ragged_event acc = ev(CGID, RAGGED_EV_FILE, RAGGED_HOOK_FILE_OPEN, RAGGED_ALLOW);
	struct ragged_event fork = ev(CGID, RAGGED_EV_PROC, 0, RAGGED_ALLOW);
	struct ragged_event exec = ev(CGID, RAGGED_EV_PROC, 0, RAGGED_ALLOW);
	struct ragged_event ex = ev(CGID, RAGGED_EV_PROC, 0, RAGGED_ALLOW);
	cJSON *arr, *it;
	int seen = 0;

	net.family = AF_INET6;
	net.port = 8443;
	net.err = EPERM;
	inet_pton(AF_INET6, "2001:db8::9", net.addr);
	snprintf(acc.path, sizeof(acc.path), "/home/alice/Documents/big.txt");
	acc.access = RAGGED_ACC_READ;
	fork.proc_op = RAGGED_PROC_FORK;
	exec.proc_op = RAGGED_PROC_EXEC;
	snprintf(exec.path, sizeof(exec.path), "/usr/bin/python3");
	ex.proc_op = RAGGED_PROC_EXIT;
	inject_n(f, f->prog_fd, &net, 8);
	inject_n(f, f->prog_fd, &acc, 7);
	inject_n(f, f->prog_fd, &fork, 6);
	inject_n(f, f->prog_fd, &exec, 6);
	inject_n(f, f->prog_fd, &ex, 6);
	assert_true(events_drain(&f->a) >= 0);
	assert_int_equal(f->r.suppressed, 3 + 2 + 1 + 1 + 1);
	/* Process events that were logged are counted by the monitor. */
	assert_int_equal(f->r.forks, 5);
	assert_int_equal(f->r.execs, 5);
	flood_flush(&f->a, &f->r);
	arr = records(f);
	cJSON_ArrayForEach(it, arr) {
		const cJSON *d = cJSON_GetObjectItem(it, "details");
		const char *what;

		if (strcmp(str(it, "event"), "events_suppressed") != 0)
			continue;
		seen++;
		what = str(d, "suppressed_event");
		assert_int_equal(num(d, "window_ms"), 1000);
		if (strcmp(what, "permission_violation") == 0) {
			assert_int_equal(num(d, "count"), 3);
			assert_string_equal(str(d, "sample_address"), "2001:db8::9");
			assert_int_equal(num(d, "sample_port"), 8443);
		} else if (strcmp(what, "file_access") == 0) {
			assert_int_equal(num(d, "count"), 2);
			assert_string_equal(str(d, "sample_path"), "/home/alice/Documents/big.txt");
		} else if (strcmp(what, "process_started") == 0 || strcmp(what, "process_exec") == 0 ||
			   strcmp(what, "process_exited") == 0) {
			assert_int_equal(num(d, "count"), 1);
			/* Process records come from no decision hook: none is named. */
			assert_null(cJSON_GetObjectItem(d, "hook"));
		} else {
			fail_msg("unexpected suppressed_event %s", what);
		}
	}
	assert_int_equal(seen, 5);
	cJSON_Delete(arr);
	/* Flushed: a second flush writes nothing more. */
	arr = records(f);
	seen = cJSON_GetArraySize(arr);
	cJSON_Delete(arr);
	flood_flush(&f->a, &f->r);
	arr = records(f);
	assert_int_equal(cJSON_GetArraySize(arr), seen);
	cJSON_Delete(arr);
}

/* The window closes by itself: the next event after it flushes the counts. */
static void t_flood_window(void **state)
{
	struct fx *f = *state;
	struct ragged_event e = ev(CGID, RAGGED_EV_FILE, RAGGED_HOOK_FILE_OPEN, RAGGED_DENY);
	struct timespec wait = { 1, 100000000 };
	cJSON *arr, *it;
	int sup = 0, viol = 0;

	e.err = EACCES;
	snprintf(e.path, sizeof(e.path), "/root/.bashrc");
	inject_n(f, f->prog_fd, &e, 7);
	assert_true(events_drain(&f->a) >= 0);
	nanosleep(&wait, NULL);
	/* Same event, new window: logged in full again, the old count written first. */
	inject(f, &e);
	assert_true(events_drain(&f->a) >= 0);
	arr = records(f);
	cJSON_ArrayForEach(it, arr) {
		if (strcmp(str(it, "event"), "events_suppressed") == 0) {
			sup++;
			assert_int_equal(num(cJSON_GetObjectItem(it, "details"), "count"), 2);
			assert_int_equal(viol, 5);	/* written before the new window's record */
		} else if (strcmp(str(it, "event"), "permission_violation") == 0) {
			viol++;
		}
	}
	assert_int_equal(sup, 1);
	assert_int_equal(viol, 6);
	cJSON_Delete(arr);
}

/* More distinct events than the table holds: still every one counted. */
static void t_flood_many_distinct(void **state)
{
	struct fx *f = *state;
	struct ragged_event e = ev(CGID, RAGGED_EV_FILE, RAGGED_HOOK_FILE_OPEN, RAGGED_DENY);
	int total = 600;

	e.err = EACCES;
	for (int i = 0; i < total; i++) {
		snprintf(e.path, sizeof(e.path), "/srv/f%d", i);
		inject(f, &e);
	}
	while (events_drain(&f->a) == -EAGAIN)
		;
	/* 500 logged in full (the run's budget per window), the rest counted. */
	assert_int_equal(f->r.records, 500);
	assert_int_equal(f->r.suppressed, total - 500);
	flood_flush(&f->a, &f->r);
	{
		cJSON *arr = records(f), *it;
		double counted = 0;

		cJSON_ArrayForEach(it, arr)
			if (strcmp(str(it, "event"), "events_suppressed") == 0)
				counted += num(cJSON_GetObjectItem(it, "details"), "count");
		assert_int_equal(counted, total - 500);
		cJSON_Delete(arr);
	}
}

/* More records than one drain pass takes: -EAGAIN, then the rest; none lost. */
static void t_drain_budget(void **state)
{
	struct fx *f = *state;
	struct ragged_event e = ev(777, RAGGED_EV_NET, RAGGED_HOOK_CONNECT4, RAGGED_DENY);
	int rc, passes = 1;
	cJSON *arr;

	e.family = AF_INET;
	e.port = 80;
	e.err = EPERM;
	inject_n(f, f->prog_fd, &e, EVENTS_BUDGET + 10);
	rc = events_drain(&f->a);
	assert_int_equal(rc, -EAGAIN);
	assert_int_equal(f->a.records_total, EVENTS_BUDGET);
	while (events_drain(&f->a) == -EAGAIN)
		passes++;
	assert_int_equal(passes, 1);
	assert_int_equal(f->a.records_total, EVENTS_BUDGET + 10);
	assert_int_equal(f->a.orphan_records, EVENTS_BUDGET + 10);
	arr = records(f);
	assert_int_equal(cJSON_GetArraySize(arr), EVENTS_BUDGET + 10);
	cJSON_Delete(arr);
	/* Nothing left. */
	assert_int_equal(events_drain(&f->a), 0);
}

/* Without a ring buffer (not set up) a drain is a no-op. */
static void t_no_ringbuf(void **state)
{
	struct agent a;
	char err[128];

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(events_drain(&a), 0);
	a.bpf.events_fd = -1;
	a.epfd = -1;
	assert_int_equal(events_setup(&a, err, sizeof(err)), -1);
	assert_int_equal(strncmp(err, "ring buffer: ", 13), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(t_file_denied),
		T(t_file_operations),
		T(t_file_change_denied),
		T(t_readonly_mount_denied),
		T(t_network),
		T(t_orphan_socket),
		T(t_orphan_socket_allowed),
		T(t_syscall_denied),
		T(t_escapes),
		T(t_unknown_hook),
		T(t_unix_and_bind),
		T(t_short_record),
		T(t_flood),
		T(t_flood_kinds),
		T(t_flood_window),
		T(t_flood_many_distinct),
		T(t_drain_budget),
		cmocka_unit_test(t_no_ringbuf),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

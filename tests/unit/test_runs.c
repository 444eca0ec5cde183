// SPDX-License-Identifier: MIT
/*
 * Whole runs, in-process, on this machine's kernel: a fake agent with real
 * cgroups (ragged-ut-runs-<pid> under our own), real policy maps, a real
 * audit log and socket, in Landlock mode (BPF-LSM programs do not load
 * here). Requests go through the socket and the agent's own handlers; a
 * small loop stands in for raggedd's epoll loop. Each case checks what the
 * caller is told, what the plugin could do, the audit records, and that
 * nothing of the run is left (cgroups, maps, scratch, processes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/landlock.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../../agent/daemon/agent.h"
#include "audit/audit.h"
#include "util/util.h"
#include "proto/proto.h"
#include "maplike.h"
#include "runslot.h"

static struct net_bpf *swap_skel;

#define BIT(p) RAGGED_PERM_BIT(RAGGED_PERM_##p)
#define NOBODY 65534

/* The plugin: one shell script, told what to do by its first argument. */
static const char script[] =
	"#!/bin/sh\n"
	"case \"$1\" in\n"
	"exit) exit \"$2\" ;;\n"
	"echo) echo \"plugin=$RAGGED_PLUGIN uid=$(id -u) arg=$2 mode=$RAGGED_ENFORCEMENT\" ;;\n"
	"read) cat \"$2\" >/dev/null 2>&1 || exit 9 ;;\n"
	"write) echo x > \"$2\" 2>/dev/null || exit 9 ;;\n"
	"scratch) echo hello > \"$RAGGED_SCRATCH/f\" && cat \"$RAGGED_SCRATCH/f\" ;;\n"
	"sleep) exec sleep 30 ;;\n"
	"term) kill -TERM $$ ; sleep 5 ;;\n"
	"forks) for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; wait ;;\n"
	"spin) while :; do :; done ;;\n"
	"fill) dd if=/dev/zero of=\"$RAGGED_SCRATCH/big\" bs=65536 count=64 2>/dev/null; sleep 5 ;;\n"
	"hog) x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo ${#x} ;;\n"
	"ask) printf '{\"request\":\"%s\"}' \"$2\" >&3 && dd bs=4096 count=1 <&3 2>/dev/null ;;\n"
	"askraw) printf '%s' \"$2\" >&3 && dd bs=4096 count=1 <&3 2>/dev/null ;;\n"
	"*) exit 64 ;;\n"
	"esac\n";

#define MANIFEST(extra) \
	"[plugin]\nname = \"demo\"\nversion = \"1.0.0\"\ntype = \"command\"\n" \
	"entry = [\"./run.sh\"]\n" extra

struct fx {
	char tmp[PATH_MAX];
	struct agent a;
	int socks[16];
	int n_socks;
	char err[512];
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void path_of(const struct fx *f, const char *rel, char *out)
{
	snprintf(out, PATH_MAX, "%s/%s", f->tmp, rel);
}

static void put(const struct fx *f, const char *rel, const char *content, mode_t mode)
{
	char path[PATH_MAX];
	int fd;

	path_of(f, rel, path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int map_create(enum bpf_map_type type, size_t key, size_t val, unsigned max, unsigned flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags);

	return bpf_map_create(type, NULL, (unsigned)key, (unsigned)val, max, &o);
}

static int kernel_abi;

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct auditlog_opts ao = { 0 };
	char t[] = "/tmp/ragged-ut-runs.XXXXXX", path[PATH_MAX + 32], name[64];

	if (!f || !mkdtemp(t) || !realpath(t, f->tmp) || chmod(f->tmp, 0755) < 0)
		return -1;
	*state = f;
	f->a.listen_fd = f->a.sigfd = -1;
	f->a.cg.v2_fd = -1;
	f->a.bpf.orphan_fd = f->a.bpf.events_fd = -1;
	config_defaults(&f->a.cfg);
	snprintf(f->a.cfg.socket_path, sizeof(f->a.cfg.socket_path), "%s/agent.sock", f->tmp);
	snprintf(f->a.cfg.state_dir, sizeof(f->a.cfg.state_dir), "%s/state", f->tmp);
	snprintf(f->a.cfg.audit_log, sizeof(f->a.cfg.audit_log), "%s/log/audit.jsonl", f->tmp);
	snprintf(f->a.cfg.root_run_as, sizeof(f->a.cfg.root_run_as), "nobody");
	/* Resources the permissions name, inside the temp dir. */
	free(f->a.cfg.documents[0]);
	snprintf(path, sizeof(path), "%s/docs", f->tmp);
	f->a.cfg.documents[0] = strdup(path);
	f->a.feat.mode = MODE_LANDLOCK;
	f->a.feat.landlock_abi = kernel_abi;
	snprintf(f->a.feat.reason, sizeof(f->a.feat.reason), "unit test");
	snprintf(path, sizeof(path), "%s/state/runs", f->tmp);
	if (mkdir_p(path, 0711) < 0 || chmod(path, 0711) < 0)
		return -1;
	path_of(f, "state", path);
	if (chmod(path, 0711) < 0)
		return -1;
	path_of(f, "docs", path);
	if (mkdir(path, 0755) < 0)
		return -1;
	f->a.epfd = epoll_create1(EPOLL_CLOEXEC);
	ao.path = f->a.cfg.audit_log;
	ao.fsync = AUDITLOG_FSYNC_NEVER;
	f->a.audit = auditlog_open(&ao, f->err, sizeof(f->err));
	if (f->a.epfd < 0 || !f->a.audit)
		return -1;
	snprintf(name, sizeof(name), "ragged-ut-runs-%d", (int)getpid());
	if (cgroup_env_init(&f->a.cg, name, f->err, sizeof(f->err)) < 0) {
		print_error("cgroup_env_init: %s\n", f->err);
		return -1;
	}
	/* Landlock mode: the network maps and the run maps, no file rules. */
	if (ut_runslot_open(&f->a, RAGGED_MAX_RUNS, &swap_skel) < 0)
		return -1;
	f->a.bpf.net_rules_fd = map_create(BPF_MAP_TYPE_LPM_TRIE, sizeof(struct ragged_net_key),
					   sizeof(struct ragged_net_rule), RAGGED_MAX_NET_RULES,
					   BPF_F_NO_PREALLOC);
	f->a.bpf.file_rules_fd = -1;
	f->a.bpf.inode_rules_fd = -1;
	f->a.bpf.sock_create_fd = f->a.bpf.sock_run_fd = f->a.bpf.sock_allowed_fd = -1;
	if (f->a.bpf.runs_fd < 0 || f->a.bpf.net_rules_fd < 0)
		return -1;
	if (server_listen(&f->a, f->err, sizeof(f->err)) < 0)
		return -1;
	/* The plugin dir: root's, world-readable, not writable by others. */
	path_of(f, "demo", path);
	if (mkdir(path, 0755) < 0)
		return -1;
	put(f, "demo/run.sh", script, 0755);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int rc = 0;

	if (!f)
		return 0;
	while (f->a.runs)
		run_abort(&f->a, f->a.runs);
	while (f->a.clients)
		client_close(&f->a, f->a.clients);
	for (int i = 0; i < f->n_socks; i++)
		if (f->socks[i] >= 0)
			close(f->socks[i]);
	{
		struct stale_run st[4];

		runs_reap_stale_scratch(&f->a, st, 0, 4);
	}
	/* Empty now if every run was torn down; rmdir fails on anything left. */
	if (f->a.cg.v2_fd >= 0 && cgroup_env_remove(&f->a.cg) < 0) {
		print_error("%s: %s (a run cgroup was left)\n", f->a.cg.v2, strerror(errno));
		rc = -1;
	}
	if (f->a.bpf.runs_fd > 0)
		close(f->a.bpf.runs_fd);
	net_bpf__destroy(swap_skel);
	swap_skel = NULL;
	if (f->a.bpf.net_rules_fd > 0)
		close(f->a.bpf.net_rules_fd);
	if (f->a.bpf.file_rules_fd > 0)
		close(f->a.bpf.file_rules_fd);
	if (f->a.listen_fd >= 0)
		close(f->a.listen_fd);
	if (f->a.epfd >= 0)
		close(f->a.epfd);
	auditlog_close(f->a.audit);
	config_free(&f->a.cfg);
	nftw(f->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	free(f);
	return rc;
}

/* ---- the caller's side ---- */

static struct client *connect_as(struct fx *f, uid_t uid, int *sock)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { 10, 0 };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(s >= 0 && f->n_socks < 16);
	f->socks[f->n_socks++] = s;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->a.cfg.socket_path);
	if (uid)
		assert_int_equal(seteuid(uid), 0);
	assert_int_equal(connect(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	if (uid)
		assert_int_equal(seteuid(0), 0);
	assert_int_equal(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	server_accept(&f->a);
	assert_non_null(f->a.clients);
	*sock = s;
	return f->a.clients;
}

static void send_text(int s, const char *text)
{
	assert_int_equal(send(s, text, strlen(text), 0), (ssize_t)strlen(text));
}

static void drop_sock(struct fx *f, int s)
{
	for (int i = 0; i < f->n_socks; i++)
		if (f->socks[i] == s)
			f->socks[i] = -1;
	close(s);
}

/* One round of raggedd's loop. */
static void pump(struct fx *f, int timeout_ms)
{
	struct epoll_event evs[32];
	int n = epoll_wait(f->a.epfd, evs, 32, timeout_ms);

	for (int i = 0; i < n; i++) {
		int kind = (int)(evs[i].data.u64 & 0xff), fd = (int)(evs[i].data.u64 >> 8);
		struct client *c;
		struct run *r;

		switch (kind) {
		case EP_CLIENT:
			if ((c = client_find(&f->a, fd)))
				server_client_event(&f->a, c, evs[i].events);
			break;
		case EP_RUN:
			if ((r = run_find_pidfd(&f->a, fd)))
				run_reap(&f->a, r);
			break;
		case EP_CHAN:
			if ((r = run_find_chan(&f->a, fd)))
				consent_channel_event(&f->a, r);
			break;
		case EP_TIMER:
			limits_tick(&f->a);
			break;
		default:
			break;
		}
	}
	client_reap(&f->a);	/* as the loop does after each pass */
}

static void run_until_idle(struct fx *f, int timeout_ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (f->a.runs) {
		pump(f, 50);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > timeout_ms)
			fail_msg("run did not end within %d ms", timeout_ms);
	}
}

static cJSON *recv_msg(int s)
{
	int fds[PROTO_MAX_FDS], n = 0;
	cJSON *m = NULL;

	if (proto_recv(s, &m, fds, &n) != 1)
		fail_msg("no message from the agent: %s", strerror(errno));
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return m;
}

static const char *type_of(const cJSON *m)
{
	return proto_str(m, "type") ?: "(none)";
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	if (!cJSON_IsNumber(v))
		fail_msg("no number \"%s\"", k);
	return v->valuedouble;
}

/* The plugin's stdout, a pipe; stdin and stderr /dev/null. */
struct io {
	int out[2];
};

static void send_run(struct fx *f, struct client *c, int s, const char *text, struct io *io)
{
	cJSON *m = cJSON_Parse(text);
	int fds[3];

	assert_non_null(m);
	assert_int_equal(pipe2(io->out, O_CLOEXEC), 0);
	fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fds[1] = io->out[1];
	fds[2] = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_int_equal(proto_send(s, m, fds, 3), 0);
	close(fds[0]);
	close(fds[2]);
	close(io->out[1]);
	io->out[1] = -1;
	cJSON_Delete(m);
	server_client_event(&f->a, c, EPOLLIN);
}

static void read_out(struct io *io, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t k;

	while (n + 1 < len && (k = read(io->out[0], buf + n, len - 1 - n)) > 0)
		n += (size_t)k;
	buf[n] = '\0';
	close(io->out[0]);
	io->out[0] = -1;
}

static void install(struct fx *f, struct client *c, int s, const char *manifest)
{
	char text[PATH_MAX + 64], dir[PATH_MAX];
	cJSON *r;

	put(f, "demo/plugin.toml", manifest, 0644);
	path_of(f, "demo", dir);
	snprintf(text, sizeof(text), "{\"cmd\":\"plugin_install\",\"dir\":\"%s\",\"replace\":true}", dir);
	assert_int_equal(send(s, text, strlen(text), 0), (ssize_t)strlen(text));
	server_client_event(&f->a, c, EPOLLIN);
	r = recv_msg(s);
	if (strcmp(type_of(r), "ok") != 0)
		fail_msg("install: %s", proto_str(r, "message"));
	cJSON_Delete(r);
}

/* ---- what must be true after every run ---- */

static cJSON *audit_records(struct fx *f)
{
	FILE *fp = fopen(f->a.cfg.audit_log, "re");
	cJSON *arr = cJSON_CreateArray();
	char *line = NULL;
	size_t cap = 0;

	assert_non_null(fp);
	while (getline(&line, &cap, fp) > 0)
		cJSON_AddItemToArray(arr, cJSON_Parse(line));
	free(line);
	fclose(fp);
	return arr;
}

/* The last record of this event, with this run id (NULL: any). */
static cJSON *find_record(struct fx *f, const char *event, const char *run_id)
{
	cJSON *arr = audit_records(f), *hit = NULL, *it;

	cJSON_ArrayForEach(it, arr)
		if (strcmp(proto_str(it, "event"), event) == 0 &&
		    (!run_id || (proto_str(it, "run_id") && strcmp(proto_str(it, "run_id"), run_id) == 0)))
			hit = it;
	hit = hit ? cJSON_Duplicate(hit, 1) : NULL;
	cJSON_Delete(arr);
	if (!hit)
		fail_msg("no %s record for run %s", event, run_id ? run_id : "(any)");
	return hit;
}

static size_t map_entries(int fd, size_t key_size)
{
	unsigned char key[sizeof(struct ragged_file_key)], next[sizeof(struct ragged_file_key)];
	void *prev = NULL;
	size_t n = 0;

	if (fd < 0)
		return 0;
	while (bpf_map_get_next_key(fd, prev, next) == 0 && n < 100000) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

/* Subdirectories of path (cgroups, scratch dirs); 0 if it does not exist. */
static size_t dir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static void nothing_left(struct fx *f)
{
	char runs[PATH_MAX];

	assert_null(f->a.runs);
	assert_int_equal(map_entries(f->a.bpf.runs_fd, 8), 0);
	assert_int_equal(map_entries(f->a.bpf.net_rules_fd, sizeof(struct ragged_net_key)), 0);
	assert_int_equal(map_entries(f->a.bpf.file_rules_fd, sizeof(struct ragged_file_key)), 0);
	/* No run cgroup in any hierarchy, no scratch. */
	assert_int_equal(dir_entries(f->a.cg.v2), 0);
	if (f->a.cg.v1_memory[0])
		assert_int_equal(dir_entries(f->a.cg.v1_memory), 0);
	if (f->a.cg.v1_pids[0])
		assert_int_equal(dir_entries(f->a.cg.v1_pids), 0);
	path_of(f, "state/runs", runs);
	assert_int_equal(dir_entries(runs), 0);
}

static char no_sandbox[160];

/* Landlock and clone3 (CLONE_INTO_CGROUP): a launch needs both. */
static void probe_sandbox(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	kernel_abi = landlock_abi_version();
	if (kernel_abi < 1) {
		snprintf(no_sandbox, sizeof(no_sandbox), "Landlock: landlock_create_ruleset: %s",
			 v < 0 ? strerror(errno) : "ABI 0");
		return;
	}
	/* A NULL clone_args is EFAULT/EINVAL where clone3 exists, ENOSYS where not. */
	if (syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS)
		snprintf(no_sandbox, sizeof(no_sandbox), "clone3: %s", strerror(ENOSYS));
}

static void want_perm_list(const cJSON *rec, const char *perm)
{
	const cJSON *arr = cJSON_GetObjectItem(rec, "permissions_used");

	assert_int_equal(cJSON_GetArraySize(arr), 1);
	assert_string_equal(cJSON_GetArrayItem(arr, 0)->valuestring, perm);
}

static void need_sandbox(void)
{
	if (no_sandbox[0]) {
		/* Also under valgrind, which knows neither syscall. */
		print_message("skip: cannot launch plugins in this process (%s)\n", no_sandbox);
		skip();
	}
}

/* Start a run as root (it runs as nobody); returns the run id via out. */
static cJSON *start(struct fx *f, struct client *c, int s, const char *text, struct io *io)
{
	cJSON *m;

	send_run(f, c, s, text, io);
	m = recv_msg(s);
	if (strcmp(type_of(m), "started") != 0) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", proto_str(m, "message") ?: "?");
		cJSON_Delete(m);
		fail_msg("run not started: %s", msg);
	}
	return m;
}

/* ---- tests ---- */

static void t_exit_status(void **state)
{
	struct fx *f = *state;
	struct client *c;
	struct io io;
	char run_id[33], out[256];
	cJSON *m, *rec, *d;
	int s;

	need_sandbox();
	c = connect_as(f, 0, &s);
	install(f, c, s, MANIFEST(""));
	m = start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"args\":[\"exit\",\"3\"]}", &io);
	assert_string_equal(proto_str(m, "enforcement"), "landlock");
	assert_int_equal(strlen(proto_str(m, "run_id")), 32);
	snprintf(run_id, sizeof(run_id), "%s", proto_str(m, "run_id"));
	cJSON_Delete(m);
	/* While it runs: it is attached to this connection, a second run is refused. */
	assert_non_null(f->a.runs);
	assert_ptr_equal(c->run, f->a.runs);
	{
		struct io io2;

		send_run(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\"}", &io2);
		m = recv_msg(s);
		assert_string_equal(proto_str(m, "message"), "a run is already attached to this connection");
		cJSON_Delete(m);
		read_out(&io2, out, sizeof(out));
	}
	run_until_idle(f, 10000);
	m = recv_msg(s);
	assert_string_equal(type_of(m), "exit");
	assert_int_equal(num(m, "status"), 3);
	cJSON_Delete(m);
	assert_null(c->run);
	read_out(&io, out, sizeof(out));
	/* Records: loaded, then failed with the status, as the caller's user. */
	rec = find_record(f, "plugin_loaded", run_id);
	assert_string_equal(proto_str(rec, "plugin"), "demo");
	assert_string_equal(proto_str(rec, "user_id"), "root");
	assert_true(num(cJSON_GetObjectItem(rec, "details"), "pid") > 0);
	cJSON_Delete(rec);
	rec = find_record(f, "plugin_failed", run_id);
	assert_string_equal(proto_str(rec, "result"), "failure");
	d = cJSON_GetObjectItem(rec, "details");
	assert_int_equal(num(d, "exit_status"), 3);
	assert_true(num(rec, "duration_ms") >= 0);
	/* The kernel's counters were read back for the reconciliation. */
	assert_int_equal(num(d, "kernel_denied"), 0);
	assert_int_equal(num(d, "records_logged"), 0);
	cJSON_Delete(rec);
	nothing_left(f);
}

static void t_success_output(void **state)
{
	struct fx *f = *state;
	struct client *c;
	struct io io;
	char run_id[33], out[512];
	cJSON *m, *rec;
	int s;

	need_sandbox();
	c = connect_as(f, 0, &s);
	install(f, c, s, MANIFEST(""));
	m = start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"args\":[\"echo\",\"hello world\"]}", &io);
	snprintf(run_id, sizeof(run_id), "%s", proto_str(m, "run_id"));
	cJSON_Delete(m);
	run_until_idle(f, 10000);
	m = recv_msg(s);
	assert_int_equal(num(m, "status"), 0);
	cJSON_Delete(m);
	/* The caller's stdout, the arguments, the environment, the account. */
	read_out(&io, out, sizeof(out));
	assert_string_equal(out, "plugin=demo uid=65534 arg=hello world mode=landlock\n");
	rec = find_record(f, "plugin_executed", run_id);
	assert_string_equal(proto_str(rec, "result"), "success");
	assert_string_equal(proto_str(rec, "enforcement"), "landlock");
	cJSON_Delete(rec);
	nothing_left(f);
}

/*
 * The programs stay on their hooks HOOKS_LINGER_MS after the last run (the
 * next run need not attach them again), then the agent's tick takes them off.
 */
static void t_hooks_linger(void **state)
{
	struct fx *f = *state;
	struct timespec t0, t;
	struct client *c;
	struct io io;
	char out[512];
	long ms = 0;
	cJSON *m;
	int s;

	need_sandbox();
	c = connect_as(f, 0, &s);
	install(f, c, s, MANIFEST(""));
	m = start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"args\":[\"echo\",\"x\"]}", &io);
	cJSON_Delete(m);
	assert_true(f->a.bpf.hooks_attached);
	run_until_idle(f, 10000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	m = recv_msg(s);
	assert_int_equal(num(m, "status"), 0);
	cJSON_Delete(m);
	read_out(&io, out, sizeof(out));
	/* The run is gone, the hooks are not (yet). */
	assert_null(f->a.runs);
	assert_true(f->a.bpf.hooks_attached);
	assert_true(f->a.tick_armed);
	while (f->a.bpf.hooks_attached && ms < 10000) {
		pump(f, 50);
		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
	}
	assert_false(f->a.bpf.hooks_attached);
	assert_true(ms >= HOOKS_LINGER_MS - 100);
	/* And the tick stops with them: an idle agent is not woken. */
	assert_false(f->a.tick_armed);
	nothing_left(f);
}

/* Landlock is in force in the launched plugin: baseline yes, the rest no. */
static void t_sandboxed(void **state)
{
	struct fx *f = *state;
	static const struct { const char *args; int status; } cases[] = {
		{ "[\"read\",\"/etc/passwd\"]", 0 },		/* baseline */
		{ "[\"read\",\"/etc/hostname\"]", 9 },		/* not granted */
		{ "[\"read\",\"/proc/1/status\"]", 9 },	/* other processes */
		{ "[\"scratch\"]", 0 },				/* its scratch dir */
		{ "[\"write\",\"./run.sh\"]", 9 },		/* its own code */
	};
	struct client *c;
	struct io io;
	char text[256], out[256];
	cJSON *m;
	int s;

	need_sandbox();
	c = connect_as(f, 0, &s);
	install(f, c, s, MANIFEST(""));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "{\"cmd\":\"run\",\"plugin\":\"demo\",\"args\":%s}",
			 cases[i].args);
		cJSON_Delete(start(f, c, s, text, &io));
		run_until_idle(f, 10000);
		m = recv_msg(s);
		if (num(m, "status") != cases[i].status)
			fail_msg("%s: status %g, want %d", cases[i].args, num(m, "status"),
				 cases[i].status);
		cJSON_Delete(m);
		read_out(&io, out, sizeof(out));
		if (i == 3)
			assert_string_equal(out, "hello\n");
	}
	nothing_left(f);
}

static void t_signal(void **state)
{
	struct fx *f = *state;
	struct client *c;
	struct io io;
	char out[64];
	cJSON *m, *rec;
	int s;

	need_sandbox();
	c = connect_as(f, 0, &s);
	install(f, c, s, MANIFEST(""));
	cJSON_Delete(start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"args\":[\"term\"]}", &io));
	run_until_idle(f, 10000);
	m = recv_msg(s);
	assert_int_equal(num(m, "signal"), SIGTERM);
	assert_null(cJSON_GetObjectItem(m, "status"));
	cJSON_Delete(m);
	read_out(&io, out, sizeof(out));
	rec = find_record(f, "plugin_failed", NULL);
	assert_int_equal(num(cJSON_GetObjectItem(rec, "details"), "signal"), SIGTERM);
	cJSON_Delete(rec);
	nothing_left(f);
}

/* The caller hangs up: the run has nobody to answer to and ends. */
static void t_client_gone(void **state)
{
	struct fx *f = *state;
	struct client *c;
	struct io io;
	char out[64], run_id[33];
	cJSON *m, *rec;
	int s;

	need_sandbox();
	c = connect_as(f, 0, &s);
	install(f, c, s, MANIFEST(""));
	m = start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"args\":[\"sleep\"]}", &io);
	snprintf(run_id, sizeof(run_id), "%s", proto_str(m, "run_id"));
	cJSON_Delete(m);
	pump(f, 100);
	assert_non_null(f->a.runs);
	drop_sock(f, s);
	run_until_idle(f, 10000);
	assert_null(f->a.clients);
	read_out(&io, out, sizeof(out));
	rec = find_record(f, "plugin_failed", run_id);
	assert_int_equal(num(cJSON_GetObjectItem(rec, "details"), "signal"), SIGKILL);
	cJSON_Delete(rec);
	nothing_left(f);
}

/* A limit ends the run: killed, recorded, and the caller is told which. */
static void t_wall_limit(void **state)
{
	struct fx *f = *state;
	struct client *c;
	struct io io;
	char out[64], run_id[33];
	cJSON *m, *rec, *d;
	int s;

	need_sandbox();
	c = connect_as(f, 0, &s);
	install(f, c, s, MANIFEST("[limits]\nwall_seconds = 1\n"));
	m = start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"args\":[\"sleep\"]}", &io);
	snprintf(run_id, sizeof(run_id), "%s", proto_str(m, "run_id"));
	cJSON_Delete(m);
	run_until_idle(f, 10000);
	m = recv_msg(s);
	assert_int_equal(num(m, "signal"), SIGKILL);
	assert_string_equal(proto_str(m, "reason"), "wall-clock limit of 1 s reached");
	cJSON_Delete(m);
	read_out(&io, out, sizeof(out));
	rec = find_record(f, "resource_limit_exceeded", run_id);
	assert_string_equal(proto_str(rec, "result"), "killed");
	d = cJSON_GetObjectItem(rec, "details");
	assert_string_equal(proto_str(d, "limit"), "wall");
	assert_int_equal(num(d, "bound"), 1000);
	assert_true(num(d, "usage") > 1000);
	cJSON_Delete(rec);
	rec = find_record(f, "plugin_failed", run_id);
	assert_string_equal(proto_str(cJSON_GetObjectItem(rec, "details"), "limit_exceeded"), "wall");
	cJSON_Delete(rec);
	nothing_left(f);
}

static void t_pids_limit(void **state)
{
	struct fx *f = *state;
	struct client *c;
	struct io io;
	char out[64], run_id[33];
	cJSON *m, *rec;
	int s;

	need_sandbox();
	c = connect_as(f, 0, &s);
	install(f, c, s, MANIFEST("[limits]\npids = 4\n"));
	m = start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"args\":[\"forks\"]}", &io);
	snprintf(run_id, sizeof(run_id), "%s", proto_str(m, "run_id"));
	cJSON_Delete(m);
	run_until_idle(f, 10000);
	m = recv_msg(s);
	assert_int_equal(num(m, "signal"), SIGKILL);
	assert_non_null(strstr(proto_str(m, "reason"), "process limit of 4 reached"));
	cJSON_Delete(m);
	read_out(&io, out, sizeof(out));
	rec = find_record(f, "resource_limit_exceeded", run_id);
	assert_string_equal(proto_str(cJSON_GetObjectItem(rec, "details"), "limit"), "pids");
	assert_int_equal(num(cJSON_GetObjectItem(rec, "details"), "bound"), 4);
	cJSON_Delete(rec);
	nothing_left(f);
}

/* Setup failures before the plugin runs: 125, the reason, nothing left. */
/*
 * Setup failures before the plugin runs: 125, the reason, nothing left.
 * sabotage (may be NULL) changes the plugin dir after a clean install,
 * the way a plugin's files can change between install and run.
 */
static void launch_fails(struct fx *f, const char *manifest, void (*sabotage)(struct fx *),
			 const char *want)
{
	struct client *c;
	struct io io;
	char out[64];
	cJSON *m, *rec;
	int s;

	c = connect_as(f, 0, &s);
	install(f, c, s, manifest);
	if (sabotage)
		sabotage(f);
	send_run(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"yes\":true}", &io);
	m = recv_msg(s);
	assert_string_equal(type_of(m), "error");
	assert_int_equal(num(m, "code"), 125);
	if (!strstr(proto_str(m, "message"), want))
		fail_msg("message \"%s\", want \"%s\"", proto_str(m, "message"), want);
	cJSON_Delete(m);
	read_out(&io, out, sizeof(out));
	assert_string_equal(out, "");
	rec = find_record(f, "plugin_failed", NULL);
	assert_string_equal(proto_str(rec, "result"), "error");
	assert_non_null(strstr(proto_str(cJSON_GetObjectItem(rec, "details"), "reason"), want));
	cJSON_Delete(rec);
	assert_null(c->run);
	drop_sock(f, s);
	pump(f, 10);
	nothing_left(f);
	{
		char path[PATH_MAX];

		/* Restore for the next case (a symlink is replaced, not written through). */
		path_of(f, "demo/run.sh", path);
		unlink(path);
		put(f, "demo/run.sh", script, 0755);
	}
}

static void remove_entry(struct fx *f)
{
	char path[PATH_MAX];

	path_of(f, "demo/run.sh", path);
	assert_int_equal(unlink(path), 0);
}

static void entry_escapes(struct fx *f)
{
	char path[PATH_MAX], target[PATH_MAX];

	put(f, "outside.sh", "#!/bin/sh\nexit 0\n", 0755);
	path_of(f, "demo/run.sh", path);
	path_of(f, "outside.sh", target);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(target, path), 0);
}

static void entry_not_executable(struct fx *f)
{
	char path[PATH_MAX];

	path_of(f, "demo/run.sh", path);
	assert_int_equal(chmod(path, 0644), 0);
}

static void t_launch_failures(void **state)
{
	struct fx *f = *state;

	need_sandbox();
	/* Checked again at run time, before anything is set up (validation). */
	launch_fails(f, MANIFEST(""), remove_entry, "entry runs \"./run.sh\": No such file or directory");
	/* A symlink out of the plugin dir: not the plugin's code any more. */
	launch_fails(f, MANIFEST(""), entry_escapes, "entry runs \"./run.sh\", which is outside the plugin");
	/* Not executable: the child fails at exec and says why. */
	launch_fails(f, MANIFEST(""), entry_not_executable, "exec: Permission denied");
	/* A granted endpoint that does not resolve: no policy, no run. */
	snprintf(f->a.cfg.embedding.host, sizeof(f->a.cfg.embedding.host), "no-such-host.invalid");
	launch_fails(f, MANIFEST("[permissions]\nrequired = [\"system:embedding\"]\n"), NULL,
		     "endpoint no-such-host.invalid:11434: cannot resolve");
}

/* First run with --yes: granted, recorded as such, and the plugin gets it. */
static void t_yes_grants(void **state)
{
	struct fx *f = *state;
	struct client *c;
	struct io io;
	char out[64], run_id[33], docf[PATH_MAX + 32], text[PATH_MAX + 128];
	cJSON *m, *rec;
	uint32_t g = 0;
	int s;

	need_sandbox();
	put(f, "docs/a.txt", "document\n", 0644);
	path_of(f, "docs/a.txt", docf);
	c = connect_as(f, 0, &s);
	install(f, c, s, MANIFEST("[permissions]\nrequired = [\"read:documents\"]\n"));
	snprintf(text, sizeof(text), "{\"cmd\":\"run\",\"plugin\":\"demo\",\"yes\":true,"
		 "\"args\":[\"read\",\"%s\"]}", docf);
	m = start(f, c, s, text, &io);
	snprintf(run_id, sizeof(run_id), "%s", proto_str(m, "run_id"));
	cJSON_Delete(m);
	run_until_idle(f, 10000);
	m = recv_msg(s);
	assert_int_equal(num(m, "status"), 0);	/* read:documents works */
	cJSON_Delete(m);
	read_out(&io, out, sizeof(out));
	rec = find_record(f, "permission_granted", run_id);
	assert_string_equal(proto_str(cJSON_GetObjectItem(rec, "details"), "via"), "--yes");
	cJSON_Delete(rec);
	{
		char digest[65];
		struct manifest mf;
		char mp[PATH_MAX + 32];

		path_of(f, "demo/plugin.toml", mp);
		assert_int_equal(manifest_load(mp, &mf, f->err, sizeof(f->err)), 0);
		manifest_digest_hex(&mf, digest);
		manifest_free(&mf);
		assert_int_equal(consent_granted(&f->a, 0, "demo", digest, &g), 0);
		assert_int_equal(g, BIT(READ_DOCUMENTS));
	}
	/* Granted now: the next run needs no --yes; without the grant it was 9. */
	snprintf(text, sizeof(text), "{\"cmd\":\"run\",\"plugin\":\"demo\",\"args\":[\"read\",\"%s\"]}", docf);
	cJSON_Delete(start(f, c, s, text, &io));
	run_until_idle(f, 10000);
	m = recv_msg(s);
	assert_int_equal(num(m, "status"), 0);
	cJSON_Delete(m);
	read_out(&io, out, sizeof(out));
	nothing_left(f);
}

/* First run with a terminal: the agent asks, the answer decides. */
static void t_prompt(void **state)
{
	struct fx *f = *state;
	struct client *c;
	struct io io;
	char out[64];
	cJSON *m, *p;
	int s;

	need_sandbox();
	c = connect_as(f, 0, &s);
	install(f, c, s, MANIFEST("[permissions]\nrequired = [\"read:documents\"]\n"));
	/* No question pending: an answer is an error. */
	send_text(s, "{\"cmd\":\"answer\",\"yes\":true}");
	server_client_event(&f->a, c, EPOLLIN);
	m = recv_msg(s);
	assert_string_equal(proto_str(m, "message"), "no question is pending");
	cJSON_Delete(m);

	/* Asked: the prompt names the permission and its risk. */
	send_run(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"tty\":true,\"args\":[\"exit\",\"0\"]}", &io);
	m = recv_msg(s);
	assert_string_equal(type_of(m), "prompt");
	assert_string_equal(proto_str(m, "kind"), "required");
	assert_string_equal(proto_str(m, "plugin"), "demo");
	p = cJSON_GetArrayItem(cJSON_GetObjectItem(m, "permissions"), 0);
	assert_string_equal(proto_str(p, "name"), "read:documents");
	assert_string_equal(proto_str(p, "risk"), "medium");
	cJSON_Delete(m);
	assert_null(f->a.runs);	/* nothing runs while the question is open */
	{
		cJSON *rec = find_record(f, "permission_requested", NULL);

		assert_string_equal(proto_str(rec, "result"), "pending");
		cJSON_Delete(rec);
	}
	/* Another run on the same connection meanwhile: refused. */
	{
		struct io io2;

		send_run(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\"}", &io2);
		m = recv_msg(s);
		assert_string_equal(proto_str(m, "message"), "a run is already attached to this connection");
		cJSON_Delete(m);
		read_out(&io2, out, sizeof(out));
	}
	/* "no": 77, recorded, nothing stored. */
	send_text(s, "{\"cmd\":\"answer\",\"yes\":false}");
	server_client_event(&f->a, c, EPOLLIN);
	m = recv_msg(s);
	assert_int_equal(num(m, "code"), 77);
	assert_string_equal(proto_str(m, "message"), "consent refused at the prompt");
	cJSON_Delete(m);
	read_out(&io, out, sizeof(out));
	{
		cJSON *rec = find_record(f, "permission_denied", NULL);

		assert_string_equal(proto_str(rec, "result"), "denied");
		cJSON_Delete(rec);
	}

	/* Asked again, "yes": stored, recorded, launched. */
	send_run(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"tty\":true,\"args\":[\"exit\",\"0\"]}", &io);
	m = recv_msg(s);
	assert_string_equal(type_of(m), "prompt");
	cJSON_Delete(m);
	send_text(s, "{\"cmd\":\"answer\",\"yes\":true}");
	server_client_event(&f->a, c, EPOLLIN);
	m = recv_msg(s);
	assert_string_equal(type_of(m), "started");
	cJSON_Delete(m);
	{
		cJSON *rec = find_record(f, "permission_granted", NULL);

		assert_string_equal(proto_str(cJSON_GetObjectItem(rec, "details"), "via"), "prompt");
		cJSON_Delete(rec);
	}
	run_until_idle(f, 10000);
	m = recv_msg(s);
	assert_int_equal(num(m, "status"), 0);
	cJSON_Delete(m);
	read_out(&io, out, sizeof(out));
	nothing_left(f);
}

/* The caller leaves while the first-run question is open: denied, recorded. */
static void t_prompt_abandoned(void **state)
{
	struct fx *f = *state;
	struct client *c;
	struct io io;
	char out[64];
	cJSON *m, *rec;
	int s;

	need_sandbox();
	c = connect_as(f, 0, &s);
	install(f, c, s, MANIFEST("[permissions]\nrequired = [\"read:documents\"]\n"));
	send_run(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"tty\":true}", &io);
	m = recv_msg(s);
	assert_string_equal(type_of(m), "prompt");
	cJSON_Delete(m);
	drop_sock(f, s);
	pump(f, 200);
	assert_null(f->a.clients);
	read_out(&io, out, sizeof(out));
	rec = find_record(f, "permission_denied", NULL);
	assert_string_equal(proto_str(cJSON_GetObjectItem(rec, "details"), "via"), "prompt abandoned");
	cJSON_Delete(rec);
	nothing_left(f);
}

/* The plugin asks on its channel for an optional permission. */
static void t_channel(void **state)
{
	struct fx *f = *state;
	struct client *c;
	struct io io;
	char out[512];
	cJSON *m, *reply;
	int s;

	need_sandbox();
	c = connect_as(f, 0, &s);
	install(f, c, s, MANIFEST("[permissions]\noptional = [\"network:api\", \"read:config\"]\n"
				  "[network]\nendpoints = [\"192.0.2.1:443\"]\n"));
	/* No terminal: nobody to ask, denied. */
	cJSON_Delete(start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"args\":[\"ask\",\"network:api\"]}", &io));
	run_until_idle(f, 10000);
	cJSON_Delete(recv_msg(s));
	read_out(&io, out, sizeof(out));
	reply = cJSON_Parse(out);
	assert_non_null(reply);
	assert_string_equal(proto_str(reply, "permission"), "network:api");
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(reply, "granted")));
	assert_string_equal(proto_str(reply, "reason"), "nobody to ask: no terminal attached");
	cJSON_Delete(reply);
	/* Not declared: denied whoever is there. */
	cJSON_Delete(start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"tty\":true,"
			   "\"args\":[\"ask\",\"write:documents\"]}", &io));
	run_until_idle(f, 10000);
	cJSON_Delete(recv_msg(s));
	read_out(&io, out, sizeof(out));
	reply = cJSON_Parse(out);
	assert_string_equal(proto_str(reply, "reason"), "not declared in the manifest");
	cJSON_Delete(reply);
	/* Not a permission at all; not even JSON. */
	cJSON_Delete(start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"args\":[\"ask\",\"root:all\"]}", &io));
	run_until_idle(f, 10000);
	cJSON_Delete(recv_msg(s));
	read_out(&io, out, sizeof(out));
	reply = cJSON_Parse(out);
	assert_string_equal(proto_str(reply, "reason"), "unknown permission");
	cJSON_Delete(reply);
	cJSON_Delete(start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"args\":[\"askraw\",\"hello\"]}", &io));
	run_until_idle(f, 10000);
	cJSON_Delete(recv_msg(s));
	read_out(&io, out, sizeof(out));

	/* With a terminal: the caller is asked; "yes" applies at once. */
	cJSON_Delete(start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"tty\":true,"
			   "\"args\":[\"ask\",\"network:api\"]}", &io));
	for (int i = 0; i < 100 && !c->asking; i++)
		pump(f, 50);
	assert_int_equal(c->asking, BIT(NETWORK_API));
	m = recv_msg(s);
	assert_string_equal(type_of(m), "prompt");
	assert_string_equal(proto_str(m, "kind"), "optional");
	cJSON_Delete(m);
	send_text(s, "{\"cmd\":\"answer\",\"yes\":true}");
	server_client_event(&f->a, c, EPOLLIN);
	/* Live: the run's granted set and its network rules. */
	assert_int_equal(f->a.runs->granted, BIT(NETWORK_API));
	assert_true(map_entries(f->a.bpf.net_rules_fd, sizeof(struct ragged_net_key)) >= 1);
	run_until_idle(f, 10000);
	m = recv_msg(s);
	assert_int_equal(num(m, "status"), 0);
	cJSON_Delete(m);
	read_out(&io, out, sizeof(out));
	reply = cJSON_Parse(out);
	assert_non_null(reply);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(reply, "granted")));
	assert_string_equal(proto_str(reply, "effective"), "network now, files at the next run");
	cJSON_Delete(reply);
	/* Granted is granted: asking again says so without a prompt. */
	cJSON_Delete(start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"tty\":true,"
			   "\"args\":[\"ask\",\"network:api\"]}", &io));
	run_until_idle(f, 10000);
	cJSON_Delete(recv_msg(s));
	read_out(&io, out, sizeof(out));
	reply = cJSON_Parse(out);
	assert_string_equal(proto_str(reply, "effective"), "already granted");
	cJSON_Delete(reply);
	/* "no" to read:config. */
	cJSON_Delete(start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"tty\":true,"
			   "\"args\":[\"ask\",\"read:config\"]}", &io));
	for (int i = 0; i < 100 && !c->asking; i++)
		pump(f, 50);
	cJSON_Delete(recv_msg(s));
	send_text(s, "{\"cmd\":\"answer\",\"yes\":false}");
	server_client_event(&f->a, c, EPOLLIN);
	run_until_idle(f, 10000);
	cJSON_Delete(recv_msg(s));
	read_out(&io, out, sizeof(out));
	reply = cJSON_Parse(out);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(reply, "granted")));
	assert_string_equal(proto_str(reply, "reason"), "the user said no");
	cJSON_Delete(reply);
	nothing_left(f);
}

/* A revoke while the plugin runs: Landlock cannot narrow, so the run ends. */
static void t_revoke_ends_run(void **state)
{
	struct fx *f = *state;
	struct client *c, *admin;
	struct io io;
	char out[64], run_id[33];
	cJSON *m, *rec;
	int s, sa;

	need_sandbox();
	c = connect_as(f, 0, &s);
	admin = connect_as(f, 0, &sa);
	install(f, c, s, MANIFEST("[permissions]\nrequired = [\"read:documents\"]\n"
				  "optional = [\"network:api\"]\n[network]\nendpoints = [\"192.0.2.1:443\"]\n"));
	m = start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"yes\":true,\"args\":[\"sleep\"]}", &io);
	snprintf(run_id, sizeof(run_id), "%s", proto_str(m, "run_id"));
	cJSON_Delete(m);
	/* A widening (network) applies live and the run goes on. */
	send_text(sa, "{\"cmd\":\"grant\",\"plugin\":\"demo\",\"permissions\":[\"network:api\"]}");
	server_client_event(&f->a, admin, EPOLLIN);
	m = recv_msg(sa);
	if (strcmp(type_of(m), "ok") != 0)
		fail_msg("grant: %s", proto_str(m, "message"));
	cJSON_Delete(m);
	assert_non_null(f->a.runs);
	assert_int_equal(f->a.runs->granted, BIT(READ_DOCUMENTS) | BIT(NETWORK_API));
	/* Narrowing: the running instance is ended, and says why. */
	send_text(sa, "{\"cmd\":\"revoke\",\"plugin\":\"demo\",\"permissions\":[\"read:documents\"]}");
	server_client_event(&f->a, admin, EPOLLIN);
	m = recv_msg(sa);
	assert_string_equal(type_of(m), "ok");
	cJSON_Delete(m);
	assert_null(f->a.runs);
	m = recv_msg(s);
	assert_string_equal(type_of(m), "exit");
	assert_int_equal(num(m, "signal"), SIGKILL);
	cJSON_Delete(m);
	read_out(&io, out, sizeof(out));
	rec = find_record(f, "permission_revoked", run_id);
	assert_string_equal(proto_str(rec, "result"), "killed");
	cJSON_Delete(rec);
	nothing_left(f);
}

/* bpf-lsm mode: a revoke is a map swap, the plugin keeps running. */
static void t_bpf_mode_swap(void **state)
{
	struct fx *f = *state;
	struct client *c, *admin;
	struct io io;
	char out[64];
	cJSON *m;
	uint32_t old_id;
	int s, sa;

	need_sandbox();
	f->a.feat.mode = MODE_BPF_LSM;
	f->a.bpf.file_rules_fd = file_rules_map_create(NULL);
	assert_true(f->a.bpf.file_rules_fd >= 0);
	c = connect_as(f, 0, &s);
	admin = connect_as(f, 0, &sa);
	install(f, c, s, MANIFEST("[permissions]\nrequired = [\"read:documents\", \"read:config\"]\n"));
	m = start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"yes\":true,\"args\":[\"sleep\"]}", &io);
	assert_string_equal(proto_str(m, "enforcement"), "bpf-lsm");
	cJSON_Delete(m);
	old_id = f->a.runs->policy_id;
	{
		size_t before = map_entries(f->a.bpf.file_rules_fd, sizeof(struct ragged_file_key));
		size_t docs = 0;

		for (size_t i = 0; i < f->a.runs->pol.n_files; i++)
			docs += f->a.runs->pol.files[i].perm == RAGGED_PERM_READ_DOCUMENTS;
		/* ~/.ragged/documents and the temp docs dir, each exact and beneath. */
		assert_int_equal(docs, 4);
		assert_int_equal(before, f->a.runs->pol.n_files);

		send_text(sa, "{\"cmd\":\"revoke\",\"plugin\":\"demo\",\"permissions\":[\"read:documents\"]}");
		server_client_event(&f->a, admin, EPOLLIN);
		cJSON_Delete(recv_msg(sa));
		/* Still running, under a new policy without the documents rules. */
		assert_non_null(f->a.runs);
		assert_true(f->a.runs->policy_id != old_id);
		assert_int_equal(f->a.runs->granted, BIT(READ_CONFIG));
		assert_int_equal(map_entries(f->a.bpf.file_rules_fd, sizeof(struct ragged_file_key)),
				 before - docs);
		{
			uint64_t cgid = f->a.runs->cg.id;
			int ncpu = libbpf_num_possible_cpus();
			struct ragged_run_slot *rp = calloc((size_t)ncpu, sizeof(*rp));

			assert_non_null(rp);
			assert_int_equal(bpf_map_lookup_elem(f->a.bpf.runs_fd, &cgid, rp), 0);
			for (int cpu = 0; cpu < ncpu; cpu++) {
				assert_int_equal(rp[cpu].policy_id, f->a.runs->policy_id);
				assert_int_equal(rp[cpu].perms, BIT(READ_CONFIG));
			}
			free(rp);
		}
	}
	drop_sock(f, s);
	run_until_idle(f, 10000);
	read_out(&io, out, sizeof(out));
	nothing_left(f);
}

/* Scratch dirs of runs whose agent died are unmounted and removed. */
static void t_reap_stale_scratch(void **state)
{
	struct fx *f = *state;
	char dir[PATH_MAX];

	path_of(f, "state/runs/deadbeef", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	put(f, "state/runs/deadbeef/left.txt", "x", 0600);
	path_of(f, "state/runs/mounted", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mount("ragged-ut", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m"), 0);
	put(f, "state/runs/mounted/left.txt", "x", 0600);
	/* deadbeef's cgroup was found (it is in st[]); "mounted" had none left. */
	{
		struct stale_run st[4] = { { .name = "deadbeef", .cgid = 42 } };
		int n = runs_reap_stale_scratch(&f->a, st, 1, 4);

		assert_int_equal(n, 2);
		assert_string_equal(st[1].name, "mounted");
		assert_int_equal(st[1].cgid, 0);
	}
	path_of(f, "state/runs", dir);
	assert_int_equal(dir_entries(dir), 0);
}


/* Each limit, breached for real: the run is killed and the caller told which. */
static void limit_breach(struct fx *f, const char *manifest, const char *arg, const char *limit,
			 const char *reason)
{
	struct client *c;
	struct io io;
	char out[256], run_id[33], text[128];
	cJSON *m, *rec;
	int s;

	c = connect_as(f, 0, &s);
	install(f, c, s, manifest);
	snprintf(text, sizeof(text), "{\"cmd\":\"run\",\"plugin\":\"demo\",\"args\":[\"%s\"]}", arg);
	m = start(f, c, s, text, &io);
	snprintf(run_id, sizeof(run_id), "%s", proto_str(m, "run_id"));
	cJSON_Delete(m);
	run_until_idle(f, 20000);
	m = recv_msg(s);
	assert_string_equal(type_of(m), "exit");
	assert_int_equal(num(m, "signal"), SIGKILL);
	if (!strstr(proto_str(m, "reason") ?: "", reason))
		fail_msg("%s: reason \"%s\", want \"%s\"", limit, proto_str(m, "reason") ?: "(none)",
			 reason);
	cJSON_Delete(m);
	read_out(&io, out, sizeof(out));
	rec = find_record(f, "resource_limit_exceeded", run_id);
	assert_string_equal(proto_str(cJSON_GetObjectItem(rec, "details"), "limit"), limit);
	cJSON_Delete(rec);
	rec = find_record(f, "plugin_failed", run_id);
	assert_string_equal(proto_str(cJSON_GetObjectItem(rec, "details"), "limit_exceeded"), limit);
	cJSON_Delete(rec);
	drop_sock(f, s);
	pump(f, 10);
	nothing_left(f);
}

static void t_cpu_limit(void **state)
{
	struct fx *f = *state;

	need_sandbox();
	limit_breach(f, MANIFEST("[limits]\ncpu_seconds = 1\n"), "spin", "cpu",
		     "CPU time limit of 1 s reached");
}

static void t_scratch_limit(void **state)
{
	struct fx *f = *state;

	need_sandbox();
	f->a.cfg.limits.scratch_mb = 1;
	limit_breach(f, MANIFEST(""), "fill", "scratch", "scratch space limit of 1 MB reached");
}

static void t_memory_limit(void **state)
{
	struct fx *f = *state;

	need_sandbox();
	limit_breach(f, MANIFEST("[limits]\nmemory_mb = 16\n"), "hog", "memory",
		     "memory limit of 16 MB reached");
}

/* The entry plus the caller's arguments must fit the argv the agent builds. */
static void t_too_many_args(void **state)
{
	struct fx *f = *state;
	char args[4096];
	int n;

	need_sandbox();
	n = snprintf(args, sizeof(args), "{\"cmd\":\"run\",\"plugin\":\"demo\",\"yes\":true,\"args\":[");
	for (int i = 0; i < 256; i++)
		n += snprintf(args + n, sizeof(args) - (size_t)n, "%s\"a\"", i ? "," : "");
	snprintf(args + n, sizeof(args) - (size_t)n, "]}");
	{
		struct client *c;
		struct io io;
		char out[16];
		cJSON *m;
		int s;

		c = connect_as(f, 0, &s);
		install(f, c, s, MANIFEST(""));
		send_run(f, c, s, args, &io);
		m = recv_msg(s);
		assert_int_equal(num(m, "code"), 125);
		assert_string_equal(proto_str(m, "message"), "too many arguments (max 256)");
		cJSON_Delete(m);
		read_out(&io, out, sizeof(out));
	}
	nothing_left(f);
}


/* The caller leaves while the plugin's optional question is open. */
static void t_ask_abandoned(void **state)
{
	struct fx *f = *state;
	struct client *c;
	struct io io;
	char out[256], run_id[33];
	cJSON *m, *rec;
	int s;

	need_sandbox();
	c = connect_as(f, 0, &s);
	install(f, c, s, MANIFEST("[permissions]\noptional = [\"network:api\"]\n"
				  "[network]\nendpoints = [\"192.0.2.1:443\"]\n"));
	m = start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"tty\":true,"
		  "\"args\":[\"ask\",\"network:api\"]}", &io);
	snprintf(run_id, sizeof(run_id), "%s", proto_str(m, "run_id"));
	cJSON_Delete(m);
	for (int i = 0; i < 100 && !c->asking; i++)
		pump(f, 50);
	assert_int_equal(c->asking, BIT(NETWORK_API));
	drop_sock(f, s);
	run_until_idle(f, 10000);
	read_out(&io, out, sizeof(out));
	rec = find_record(f, "permission_denied", run_id);
	assert_string_equal(proto_str(cJSON_GetObjectItem(rec, "details"), "via"), "prompt abandoned");
	want_perm_list(rec, "network:api");
	cJSON_Delete(rec);
	nothing_left(f);
}

/* A consent store that cannot be written: the answer cannot be kept, so it does not count. */
static void t_answer_store_fails(void **state)
{
	struct fx *f = *state;
	struct client *c;
	struct io io;
	char out[256], path[PATH_MAX];
	cJSON *m, *reply;
	int s;

	need_sandbox();
	c = connect_as(f, 0, &s);
	install(f, c, s, MANIFEST("[permissions]\nrequired = [\"read:config\"]\n"
				  "optional = [\"network:api\"]\n"
				  "[network]\nendpoints = [\"192.0.2.1:443\"]\n"));
	/* First run: asked, "yes", but the store is not writable. */
	send_run(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"tty\":true}", &io);
	m = recv_msg(s);
	assert_string_equal(type_of(m), "prompt");
	cJSON_Delete(m);
	path_of(f, "state/consent", path);
	put(f, "state/consent", "in the way", 0600);
	send_text(s, "{\"cmd\":\"answer\",\"yes\":true}");
	server_client_event(&f->a, c, EPOLLIN);
	m = recv_msg(s);
	assert_int_equal(num(m, "code"), 125);
	assert_non_null(strstr(proto_str(m, "message"), "Not a directory"));
	cJSON_Delete(m);
	read_out(&io, out, sizeof(out));
	assert_null(f->a.runs);
	assert_int_equal(unlink(path), 0);

	/* The optional question: "yes" that cannot be stored is a refusal. */
	cJSON_Delete(start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"tty\":true,\"yes\":true,"
			   "\"args\":[\"ask\",\"network:api\"]}", &io));
	for (int i = 0; i < 100 && !c->asking; i++)
		pump(f, 50);
	cJSON_Delete(recv_msg(s));	/* the prompt */
	path_of(f, "state/consent/0", path);
	{
		char file[PATH_MAX + 16];

		snprintf(file, sizeof(file), "%s/demo.json", path);
		assert_int_equal(unlink(file), 0);
		assert_int_equal(rmdir(path), 0);
	}
	put(f, "state/consent/0", "in the way", 0600);
	send_text(s, "{\"cmd\":\"answer\",\"yes\":true}");
	server_client_event(&f->a, c, EPOLLIN);
	/* Applied first, so in force for this run; the store failure only means the next run asks again. */
	assert_int_equal(f->a.runs->granted, BIT(READ_CONFIG) | BIT(NETWORK_API));
	run_until_idle(f, 10000);
	cJSON_Delete(recv_msg(s));
	read_out(&io, out, sizeof(out));
	reply = cJSON_Parse(out);
	assert_non_null(reply);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(reply, "granted")));
	assert_non_null(strstr(proto_str(reply, "effective"), "this run only"));
	cJSON_Delete(reply);
	assert_int_equal(unlink(path), 0);
	nothing_left(f);
}

/*
 * A grant that cannot be put into force (its endpoint no longer resolves):
 * the plugin is told so; a grant from outside ends the run rather than
 * leave it with a policy that is not the consent.
 */
static void t_live_grant_fails(void **state)
{
	struct fx *f = *state;
	struct client *c, *admin;
	struct io io;
	char out[256], run_id[33];
	cJSON *m, *reply;
	int s, sa;

	need_sandbox();
	c = connect_as(f, 0, &s);
	admin = connect_as(f, 0, &sa);
	install(f, c, s, MANIFEST("[permissions]\noptional = [\"network:api\"]\n"
				  "[network]\nendpoints = [\"no-such-host.invalid:443\"]\n"));
	/* Asked by the plugin, answered yes: stored, but not in force. */
	cJSON_Delete(start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"tty\":true,"
			   "\"args\":[\"ask\",\"network:api\"]}", &io));
	for (int i = 0; i < 100 && !c->asking; i++)
		pump(f, 50);
	cJSON_Delete(recv_msg(s));
	send_text(s, "{\"cmd\":\"answer\",\"yes\":true}");
	server_client_event(&f->a, c, EPOLLIN);
	assert_int_equal(f->a.runs->granted, 0);
	run_until_idle(f, 10000);
	cJSON_Delete(recv_msg(s));
	read_out(&io, out, sizeof(out));
	reply = cJSON_Parse(out);
	assert_non_null(reply);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(reply, "granted")));
	assert_string_equal(proto_str(reply, "reason"), "the policy could not be updated");
	cJSON_Delete(reply);
	/* Revoke it again (the next run must not fail on it), then a grant from outside. */
	send_text(sa, "{\"cmd\":\"revoke\",\"plugin\":\"demo\",\"permissions\":[\"network:api\"]}");
	server_client_event(&f->a, admin, EPOLLIN);
	cJSON_Delete(recv_msg(sa));
	m = start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"args\":[\"sleep\"]}", &io);
	snprintf(run_id, sizeof(run_id), "%s", proto_str(m, "run_id"));
	cJSON_Delete(m);
	/* A grant that changes nothing for this run (already in that state) keeps it. */
	send_text(sa, "{\"cmd\":\"revoke\",\"plugin\":\"demo\",\"permissions\":[\"network:api\"]}");
	server_client_event(&f->a, admin, EPOLLIN);
	cJSON_Delete(recv_msg(sa));
	assert_non_null(f->a.runs);
	send_text(sa, "{\"cmd\":\"grant\",\"plugin\":\"demo\",\"permissions\":[\"network:api\"]}");
	server_client_event(&f->a, admin, EPOLLIN);
	cJSON_Delete(recv_msg(sa));
	/* A widening that cannot apply waits for the next run: the run goes on. */
	assert_non_null(f->a.runs);
	run_abort(&f->a, f->a.runs);
	m = recv_msg(s);
	assert_int_equal(num(m, "signal"), SIGKILL);
	cJSON_Delete(m);
	read_out(&io, out, sizeof(out));
	nothing_left(f);
}


/* The kernel could not hand over every record: the run's record says so, and how many. */
static void t_events_lost(void **state)
{
	struct fx *f = *state;
	struct client *c;
	struct io io;
	char out[64], run_id[33];
	struct ragged_run_slot *pc;
	int ncpu = libbpf_num_possible_cpus();
	cJSON *m, *rec, *d;
	uint64_t cgid;
	int s;

	need_sandbox();
	c = connect_as(f, 0, &s);
	install(f, c, s, MANIFEST(""));
	m = start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"args\":[\"sleep\"]}", &io);
	snprintf(run_id, sizeof(run_id), "%s", proto_str(m, "run_id"));
	cJSON_Delete(m);
	/* Not ended yet: a reap finds nothing to collect and the run stays. */
	run_reap(&f->a, f->a.runs);
	assert_non_null(f->a.runs);
	assert_null(run_find_pidfd(&f->a, -42));
	assert_null(run_find_chan(&f->a, -42));
	/* What the hooks would have counted: 2 denials per CPU, 1 record lost on each. */
	cgid = f->a.runs->cg.id;
	pc = calloc((size_t)ncpu, sizeof(*pc));
	assert_non_null(pc);
	assert_int_equal(bpf_map_lookup_elem(f->a.bpf.runs_fd, &cgid, pc), 0);
	for (int i = 0; i < ncpu; i++) {
		pc[i].c.deny[RAGGED_HOOK_CONNECT4] = 2;
		pc[i].c.allow[RAGGED_HOOK_SOCK_CREATE] = 3;
		pc[i].c.emitted = 1;
		pc[i].c.lost = 1;
	}
	assert_int_equal(bpf_map_update_elem(f->a.bpf.runs_fd, &cgid, pc, BPF_EXIST), 0);
	free(pc);
	drop_sock(f, s);
	run_until_idle(f, 10000);
	read_out(&io, out, sizeof(out));
	rec = find_record(f, "events_lost", run_id);
	assert_string_equal(proto_str(rec, "result"), "error");
	assert_int_equal(num(cJSON_GetObjectItem(rec, "details"), "count"), ncpu);
	cJSON_Delete(rec);
	rec = find_record(f, "plugin_failed", run_id);
	d = cJSON_GetObjectItem(rec, "details");
	assert_int_equal(num(d, "kernel_denied"), 2 * ncpu);
	assert_int_equal(num(d, "kernel_allowed"), 3 * ncpu);
	assert_int_equal(num(d, "records_lost"), ncpu);
	cJSON_Delete(rec);
	nothing_left(f);
}

/* The counters vanished (map swept): the record says they are unavailable. */
static void t_counters_unavailable(void **state)
{
	struct fx *f = *state;
	struct client *c;
	struct io io;
	char out[64], run_id[33];
	cJSON *m, *rec;
	uint64_t cgid;
	int s;

	need_sandbox();
	c = connect_as(f, 0, &s);
	install(f, c, s, MANIFEST(""));
	m = start(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"args\":[\"sleep\"]}", &io);
	snprintf(run_id, sizeof(run_id), "%s", proto_str(m, "run_id"));
	cJSON_Delete(m);
	cgid = f->a.runs->cg.id;
	assert_int_equal(bpf_map_delete_elem(f->a.bpf.runs_fd, &cgid), 0);
	drop_sock(f, s);
	run_until_idle(f, 10000);
	read_out(&io, out, sizeof(out));
	rec = find_record(f, "plugin_failed", run_id);
	assert_string_equal(proto_str(cJSON_GetObjectItem(rec, "details"), "counters"), "unavailable");
	cJSON_Delete(rec);
	nothing_left(f);
}

/* Where the scratch dir cannot be made, nothing runs. */
static void t_scratch_unavailable(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX];

	need_sandbox();
	path_of(f, "state/runs", path);
	assert_int_equal(rmdir(path), 0);
	put(f, "state/runs", "not a directory", 0600);
	launch_fails(f, MANIFEST(""), NULL, "scratch dir: Not a directory");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0711), 0);
	/* A state dir so long that no scratch path fits. */
	memset(f->a.cfg.state_dir + strlen(f->a.cfg.state_dir), 's',
	       sizeof(f->a.cfg.state_dir) - strlen(f->a.cfg.state_dir) - 1);
	f->a.cfg.state_dir[sizeof(f->a.cfg.state_dir) - 1] = '\0';
	{
		struct client *c;
		struct io io;
		char out[16];
		cJSON *m;
		int s;

		/* Installed and consented in the normal state dir, then the dir changes. */
		c = connect_as(f, 0, &s);
		send_run(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\"}", &io);
		m = recv_msg(s);
		assert_string_equal(type_of(m), "error");
		cJSON_Delete(m);
		read_out(&io, out, sizeof(out));
	}
	nothing_left(f);
}

/* launch_run itself: a cgroup that is not there cannot be entered. */
static void t_launch_no_cgroup(void **state)
{
	struct fx *f = *state;
	static const char mf[] = MANIFEST("");
	struct launch_req req = { 0 };
	struct manifest m;
	struct policy pol = { 0 };
	struct run r;
	char err[256] = "";
	int chan[2];

	need_sandbox();
	put(f, "demo/plugin.toml", mf, 0644);
	assert_int_equal(manifest_parse(mf, strlen(mf), "plugin.toml", &m, err, sizeof(err)), 0);
	memset(&r, 0, sizeof(r));
	r.cg.v2_fd = -1;
	r.pidfd = -1;
	r.uid = r.gid = NOBODY;
	path_of(f, "demo", r.plugin_dir);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, chan), 0);
	req.m = &m;
	req.chan_fd = chan[1];
	req.stdio[0] = req.stdio[1] = req.stdio[2] = chan[1];
	assert_int_equal(launch_run(&f->a, &r, &pol, &req, err, sizeof(err)), -1);
	/* EBADF or EINVAL, as the kernel sees it: never a run outside its cgroup. */
	assert_int_equal(strncmp(err, "clone3 into cgroup: ", 20), 0);
	assert_int_equal(r.pid, 0);
	/*
	 * The entry is resolved again at launch (validation ran earlier; the
	 * files may have changed since): gone, or now outside the plugin dir.
	 */
	{
		char path[PATH_MAX], target[PATH_MAX];

		path_of(f, "demo/run.sh", path);
		path_of(f, "demo/run.bak", target);
		assert_int_equal(rename(path, target), 0);
		assert_int_equal(launch_run(&f->a, &r, &pol, &req, err, sizeof(err)), -1);
		assert_string_equal(err, "entry ./run.sh: No such file or directory");
		put(f, "outside.sh", "#!/bin/sh\n", 0755);
		path_of(f, "outside.sh", target);
		assert_int_equal(symlink(target, path), 0);
		assert_int_equal(launch_run(&f->a, &r, &pol, &req, err, sizeof(err)), -1);
		assert_string_equal(err, "entry ./run.sh: resolves outside the plugin directory");
		assert_int_equal(unlink(path), 0);
		path_of(f, "demo/run.bak", target);
		assert_int_equal(rename(target, path), 0);
	}
	manifest_free(&m);
	/* A bare name is looked up on PATH. */
	{
		static const char mf2[] = "[plugin]\nname = \"demo\"\nversion = \"1.0.0\"\n"
					  "type = \"command\"\nentry = [\"no-such-program-ragged\"]\n";

		assert_int_equal(manifest_parse(mf2, strlen(mf2), "plugin.toml", &m, err, sizeof(err)), 0);
		req.m = &m;
		assert_int_equal(launch_run(&f->a, &r, &pol, &req, err, sizeof(err)), -1);
		assert_string_equal(err, "entry no-such-program-ragged: No such file or directory");
	}
	close(chan[0]);
	close(chan[1]);
	manifest_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(t_exit_status),
		T(t_success_output),
		T(t_hooks_linger),
		T(t_sandboxed),
		T(t_signal),
		T(t_client_gone),
		T(t_wall_limit),
		T(t_pids_limit),
		T(t_launch_failures),
		T(t_yes_grants),
		T(t_prompt),
		T(t_prompt_abandoned),
		T(t_channel),
		T(t_revoke_ends_run),
		T(t_bpf_mode_swap),
		T(t_reap_stale_scratch),
		T(t_cpu_limit),
		T(t_scratch_limit),
		T(t_memory_limit),
		T(t_too_many_args),
		T(t_ask_abandoned),
		T(t_answer_store_fails),
		T(t_live_grant_fails),
		T(t_events_lost),
		T(t_counters_unavailable),
		T(t_scratch_unavailable),
		T(t_launch_no_cgroup),
#undef T
	};

	probe_sandbox();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

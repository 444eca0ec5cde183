// SPDX-License-Identifier: MIT
/*
 * The agent's request handling in-process: a fake agent (temp state dir,
 * temp audit log, real listening socket), clients that connect for real so
 * SO_PEERCRED names them (a non-root caller connects with its euid switched),
 * and every reply checked: errors for malformed and unknown requests,
 * install/list, grant/revoke against the consent store with their audit
 * records, status, audit follow/show/verify, and run refusals that happen
 * before any sandbox is built.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../agent/daemon/agent.h"
#include "audit/audit.h"
#include "util/util.h"
#include "proto/proto.h"

#define USER 1000
#define BIT(p) RAGGED_PERM_BIT(RAGGED_PERM_##p)

static const char manifest_demo[] =
	"[plugin]\nname = \"demo\"\nversion = \"1.0.0\"\ntype = \"embedder\"\n"
	"entry = [\"python3\", \"main.py\"]\n"
	"[permissions]\nrequired = [\"read:documents\", \"system:embedding\"]\n"
	"optional = [\"network:api\"]\n[network]\nendpoints = [\"192.0.2.1:443\"]\n";

struct fx {
	char tmp[PATH_MAX];
	struct agent a;
	int socks[48];		/* our ends of client connections */
	int n_socks;
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

static void put(const struct fx *f, const char *rel, const char *content)
{
	char path[PATH_MAX];
	FILE *fp;

	path_of(f, rel, path);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(content, fp);
	fclose(fp);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct auditlog_opts ao = { 0 };
	char t[] = "/tmp/ragged-ut-server.XXXXXX", err[512];

	if (!f || !mkdtemp(t) || !realpath(t, f->tmp) || chmod(f->tmp, 0755) < 0)
		return -1;
	*state = f;
	config_defaults(&f->a.cfg);
	snprintf(f->a.cfg.socket_path, sizeof(f->a.cfg.socket_path), "%s/run/agent.sock", f->tmp);
	snprintf(f->a.cfg.state_dir, sizeof(f->a.cfg.state_dir), "%s/state", f->tmp);
	snprintf(f->a.cfg.audit_log, sizeof(f->a.cfg.audit_log), "%s/log/audit.jsonl", f->tmp);
	f->a.feat.mode = MODE_LANDLOCK;
	f->a.feat.landlock_abi = 7;
	f->a.feat.lsm_load_err = EPERM;
	snprintf(f->a.feat.reason, sizeof(f->a.feat.reason), "unit test");
	f->a.listen_fd = f->a.sigfd = -1;
	f->a.cg.v2_fd = -1;
	f->a.bpf.runs_fd = f->a.bpf.swap_prog_fd = f->a.bpf.file_rules_fd = -1;
	f->a.bpf.inode_rules_fd = -1;
	f->a.bpf.sock_create_fd = f->a.bpf.sock_run_fd = f->a.bpf.sock_allowed_fd = -1;
	f->a.bpf.net_rules_fd = f->a.bpf.orphan_fd = f->a.bpf.events_fd = -1;
	f->a.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (f->a.epfd < 0)
		return -1;
	ao.path = f->a.cfg.audit_log;
	ao.fsync = AUDITLOG_FSYNC_NEVER;
	f->a.audit = auditlog_open(&ao, err, sizeof(err));
	if (!f->a.audit) {
		print_error("auditlog_open: %s\n", err);
		return -1;
	}
	auditlog_set_enforcement(f->a.audit, mode_name(f->a.feat.mode));
	if (server_listen(&f->a, err, sizeof(err)) < 0) {
		print_error("server_listen: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	while (f->a.clients)
		client_close(&f->a, f->a.clients);
	for (int i = 0; i < f->n_socks; i++)
		if (f->socks[i] >= 0)
			close(f->socks[i]);
	if (f->a.listen_fd >= 0)
		close(f->a.listen_fd);
	if (f->a.epfd >= 0)
		close(f->a.epfd);
	auditlog_close(f->a.audit);
	config_free(&f->a.cfg);
	nftw(f->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Connect as uid (switching our euid for the connect), accept, return the agent's client. */
static struct client *connect_as(struct fx *f, uid_t uid, int *sock)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { 5, 0 };
	struct client *before = f->a.clients;
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	assert_true(f->n_socks < 48);
	f->socks[f->n_socks++] = s;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->a.cfg.socket_path);
	if (uid)
		assert_int_equal(seteuid(uid), 0);
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		if (uid)
			assert_int_equal(seteuid(0), 0);
		fail_msg("connect: %s", strerror(e));
	}
	if (uid)
		assert_int_equal(seteuid(0), 0);
	assert_int_equal(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	server_accept(&f->a);
	assert_true(f->a.clients != before);
	assert_non_null(f->a.clients);
	*sock = s;
	return f->a.clients;
}

/* Our end is closed: forget it (teardown must not close a reused number). */
static void drop_sock(struct fx *f, int s)
{
	for (int i = 0; i < f->n_socks; i++)
		if (f->socks[i] == s)
			f->socks[i] = -1;
	close(s);
}

static cJSON *recv_msg(int s)
{
	int fds[PROTO_MAX_FDS], n = 0;
	cJSON *m = NULL;

	if (proto_recv(s, &m, fds, &n) != 1)
		fail_msg("no reply: %s", strerror(errno));
	assert_int_equal(n, 0);
	return m;
}

static void send_raw(int s, const char *text)
{
	assert_int_equal(send(s, text, strlen(text), 0), (ssize_t)strlen(text));
}

/* Send one request as text and let the agent handle it. */
static void request(struct fx *f, struct client *c, int s, const char *text)
{
	send_raw(s, text);
	server_client_event(&f->a, c, EPOLLIN);
	client_reap(&f->a);	/* as the loop does after each pass */
}

static cJSON *ask(struct fx *f, struct client *c, int s, const char *text)
{
	request(f, c, s, text);
	return recv_msg(s);
}

static void want_error(cJSON *r, int code, const char *msg)
{
	assert_string_equal(proto_str(r, "type"), "error");
	assert_int_equal(cJSON_GetObjectItem(r, "code")->valuedouble, code);
	/* A message ending in "..." is matched as a prefix. */
	if (msg && (strlen(msg) > 3 && strcmp(msg + strlen(msg) - 3, "...") == 0
		    ? strncmp(proto_str(r, "message"), msg, strlen(msg) - 3)
		    : strcmp(proto_str(r, "message"), msg)) != 0)
		fail_msg("message \"%s\", want \"%s\"", proto_str(r, "message"), msg);
	cJSON_Delete(r);
}

static void ask_error(struct fx *f, struct client *c, int s, const char *text, int code,
		      const char *msg)
{
	want_error(ask(f, c, s, text), code, msg);
}

static cJSON *ask_ok(struct fx *f, struct client *c, int s, const char *text)
{
	cJSON *r = ask(f, c, s, text);

	if (strcmp(proto_str(r, "type"), "ok") != 0)
		fail_msg("%s: %s", text, proto_str(r, "message") ?: "(no message)");
	return r;
}

/* The audit log's records, parsed. */
static cJSON *audit_records(struct fx *f)
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

/* The last record of the log, which must be of this event. */
static cJSON *last_record(struct fx *f, const char *event)
{
	cJSON *arr = audit_records(f);
	int n = cJSON_GetArraySize(arr);
	cJSON *r;

	assert_true(n > 0);
	r = cJSON_DetachItemFromArray(arr, n - 1);
	cJSON_Delete(arr);
	if (strcmp(proto_str(r, "event"), event) != 0)
		fail_msg("last record is %s, want %s", proto_str(r, "event"), event);
	return r;
}

static int n_records(struct fx *f)
{
	cJSON *arr = audit_records(f);
	int n = cJSON_GetArraySize(arr);

	cJSON_Delete(arr);
	return n;
}

static int n_events(struct fx *f, const char *event)
{
	cJSON *arr = audit_records(f), *it;
	int n = 0;

	cJSON_ArrayForEach(it, arr)
		n += strcmp(proto_str(it, "event"), event) == 0;
	cJSON_Delete(arr);
	return n;
}

static void want_perms(const cJSON *arr, uint32_t mask)
{
	const cJSON *it;
	uint32_t got = 0;

	assert_true(cJSON_IsArray(arr));
	cJSON_ArrayForEach(it, arr) {
		int p = perm_from_name(it->valuestring);

		assert_true(p >= 0);
		got |= RAGGED_PERM_BIT(p);
	}
	assert_int_equal(got, mask);
}

static void plugin_dir(struct fx *f, const char *rel, const char *toml)
{
	char path[PATH_MAX], mf[PATH_MAX + 16];

	path_of(f, rel, path);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(chmod(path, 0755), 0);
	snprintf(mf, sizeof(mf), "%s/plugin.toml", rel);
	put(f, mf, toml);
	/* The entry point the manifest names: install validates it. */
	snprintf(mf, sizeof(mf), "%s/main.py", rel);
	put(f, mf, "print('hello')\n");
}

static void install(struct fx *f, struct client *c, int s, const char *rel)
{
	char text[PATH_MAX + 64], dir[PATH_MAX];

	path_of(f, rel, dir);
	snprintf(text, sizeof(text), "{\"cmd\":\"plugin_install\",\"dir\":\"%s\"}", dir);
	cJSON_Delete(ask_ok(f, c, s, text));
}

/* ---- connection handling ---- */

static void t_listen_accept(void **state)
{
	struct fx *f = *state;
	struct stat st;
	struct client *root, *user;
	int s0, s1;

	/* The socket is world-connectable: authorisation is per request. */
	assert_int_equal(stat(f->a.cfg.socket_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0666);
	root = connect_as(f, 0, &s0);
	user = connect_as(f, USER, &s1);
	/* Identity from SO_PEERCRED, nothing the client said. */
	assert_int_equal(root->uid, 0);
	assert_int_equal(user->uid, USER);
	assert_int_equal(root->pid, getpid());
	assert_ptr_equal(client_find(&f->a, root->fd), root);
	assert_ptr_equal(client_find(&f->a, user->fd), user);
	assert_null(client_find(&f->a, -42));
	/* Nothing pending: accept returns without adding anyone. */
	server_accept(&f->a);
	assert_ptr_equal(f->a.clients, user);
	/* A stale socket file from a crashed agent is replaced. */
	close(f->a.listen_fd);
	{
		char err[256];

		assert_int_equal(server_listen(&f->a, err, sizeof(err)), 0);
	}
}

static void t_listen_errors(void **state)
{
	struct fx *f = *state;
	struct agent b;
	char err[256], path[PATH_MAX];

	memset(&b, 0, sizeof(b));
	b.epfd = -1;
	memset(b.cfg.socket_path, 's', 200);
	b.cfg.socket_path[0] = '/';
	assert_int_equal(server_listen(&b, err, sizeof(err)), -1);
	assert_true(strncmp(err, "socket path too long: ", 22) == 0);
	/* Its directory cannot be made (a file is in the way). */
	put(f, "blocker", "x");
	snprintf(b.cfg.socket_path, sizeof(b.cfg.socket_path), "%s/blocker/sub/agent.sock", f->tmp);
	assert_int_equal(server_listen(&b, err, sizeof(err)), -1);
	path_of(f, "blocker", path);
	if (strstr(err, "mkdir ") != err)
		fail_msg("%s", err);
	assert_true(strstr(err, ": Not a directory") != NULL);
	/* Cannot bind there (a directory of that name). */
	path_of(f, "adir", path);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "/sub");
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(b.cfg.socket_path, sizeof(b.cfg.socket_path), "%s", path);
	assert_int_equal(server_listen(&b, err, sizeof(err)), -1);
	assert_true(strstr(err, "listen on ") == err);
}

static void t_missing_and_unknown_cmd(void **state)
{
	struct fx *f = *state;
	struct client *c;
	int s;
	char text[256], want[128];

	c = connect_as(f, USER, &s);
	ask_error(f, c, s, "{}", 2, "request has no \"cmd\" string");
	ask_error(f, c, s, "{\"cmd\":5}", 2, "request has no \"cmd\" string");
	ask_error(f, c, s, "{\"CMD\":\"status\"}", 2, "request has no \"cmd\" string");
	ask_error(f, c, s, "{\"cmd\":\"frobnicate\"}", 2, "unknown command: frobnicate");
	/* An unknown command is echoed at most 64 characters long. */
	snprintf(text, sizeof(text), "{\"cmd\":\"%0100d\"}", 7);
	snprintf(want, sizeof(want), "unknown command: %064d", 0);
	ask_error(f, c, s, text, 2, want);
	/* Descriptors that came with a request that does not take them are closed. */
	{
		int dn = open("/dev/null", O_RDONLY | O_CLOEXEC);
		cJSON *m = cJSON_Parse("{\"cmd\":\"status\"}");

		assert_int_equal(proto_send(s, m, &dn, 1), 0);
		server_client_event(&f->a, c, EPOLLIN);
		want_error(recv_msg(s), 2, "request \"status\": 1 file descriptors sent, 0 expected");
		cJSON_Delete(m);
		close(dn);
	}
	/* Still connected and served. */
	cJSON_Delete(ask_ok(f, c, s, "{\"cmd\":\"status\"}"));
}

static void t_malformed(void **state)
{
	struct fx *f = *state;
	struct client *c;
	int s;

	c = connect_as(f, USER, &s);
	ask_error(f, c, s, "not json", 1, "malformed request: Bad message");
	ask_error(f, c, s, "[\"cmd\",\"status\"]", 1, "malformed request: Bad message");
	ask_error(f, c, s, "{\"cmd\":\"status\"} {\"cmd\":\"run\"}", 1,
		  "malformed request: Bad message");
	/* The connection survives a bad request. */
	cJSON_Delete(ask_ok(f, c, s, "{\"cmd\":\"status\"}"));
	assert_ptr_equal(client_find(&f->a, c->fd), c);
	/* Spurious wakeup with nothing queued: no reply, still connected. */
	{
		int fl = fcntl(c->fd, F_GETFL);

		assert_true(fl & O_NONBLOCK);
		server_client_event(&f->a, c, EPOLLIN);
		assert_ptr_equal(f->a.clients, c);
	}
}

static void t_hangup_closes(void **state)
{
	struct fx *f = *state;
	struct client *c1, *c2;
	int s1, s2, fd1;

	c1 = connect_as(f, USER, &s1);
	c2 = connect_as(f, 0, &s2);
	fd1 = c1->fd;
	/* EOF from the client. */
	drop_sock(f, s1);
	server_client_event(&f->a, c1, EPOLLIN);
	/* Marked only: the loop reaps it after the pass, never the code that saw it go. */
	assert_ptr_equal(client_find(&f->a, fd1), c1);
	assert_true(c1->dead);
	client_reap(&f->a);
	assert_null(client_find(&f->a, fd1));
	assert_ptr_equal(f->a.clients, c2);
	/* An error/hangup event without data. */
	server_client_event(&f->a, c2, EPOLLHUP | EPOLLERR);
	client_reap(&f->a);
	assert_null(f->a.clients);
	/* Our end sees the agent hang up. */
	{
		char b;

		assert_int_equal(recv(s2, &b, 1, 0), 0);
	}
}

/* ---- status ---- */

static void t_status(void **state)
{
	struct fx *f = *state;
	struct run r1, r2;
	struct client *c;
	cJSON *r, *d;
	int s;

	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	r1.owner = USER;
	r2.owner = 0;
	r1.next = &r2;
	f->a.runs = &r1;
	f->a.records_total = 12;
	f->a.orphan_records = 3;
	f->a.audit_errors = 1;

	c = connect_as(f, USER, &s);
	r = ask_ok(f, c, s, "{\"cmd\":\"status\"}");
	d = cJSON_GetObjectItem(r, "data");
	assert_string_equal(proto_str(d, "enforcement"), "landlock");
	assert_string_equal(proto_str(d, "reason"), "unit test");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "kernel"), "landlock_abi")->valuedouble, 7);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "kernel"), "bpf_in_lsm_list")));
	assert_string_equal(proto_str(cJSON_GetObjectItem(d, "kernel"), "bpf_lsm_load"),
			    "Operation not permitted");
	assert_string_equal(proto_str(cJSON_GetObjectItem(d, "kernel"), "cgroup_controllers"),
			    "v1 (hybrid host)");
	/* A user counts only their own runs. */
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "counters"), "active_runs")->valuedouble, 1);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "counters"), "records_logged")->valuedouble, 12);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "counters"), "orphan_records")->valuedouble, 3);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "counters"), "audit_write_errors")->valuedouble, 1);
	/* Its own connection; no follower; the refusal count is root's to see. */
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "counters"), "clients")->valuedouble, 1);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "counters"), "followers")->valuedouble, 0);
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "counters"), "clients_refused"));
	cJSON_Delete(r);
	/* Root counts all; a v2 host says so. */
	f->a.cg.v2_memory = true;
	f->a.feat.mode = MODE_BPF_LSM;
	f->a.feat.lsm_load_err = 0;
	c = connect_as(f, 0, &s);
	r = ask_ok(f, c, s, "{\"cmd\":\"status\"}");
	d = cJSON_GetObjectItem(r, "data");
	assert_string_equal(proto_str(d, "enforcement"), "bpf-lsm");
	assert_string_equal(proto_str(cJSON_GetObjectItem(d, "kernel"), "bpf_lsm_load"), "ok");
	assert_string_equal(proto_str(cJSON_GetObjectItem(d, "kernel"), "cgroup_controllers"), "v2");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "counters"), "active_runs")->valuedouble, 2);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "counters"), "clients")->valuedouble, 2);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "counters"), "clients_refused")->valuedouble, 0);
	cJSON_Delete(r);
	f->a.runs = NULL;
}

/* ---- install / list ---- */

static void t_install_list(void **state)
{
	struct fx *f = *state;
	struct client *c, *root;
	char dir[PATH_MAX], text[PATH_MAX + 64];
	cJSON *r, *rec;
	int s, s0;

	plugin_dir(f, "demo", manifest_demo);
	c = connect_as(f, USER, &s);
	path_of(f, "demo", dir);
	snprintf(text, sizeof(text), "{\"cmd\":\"plugin_install\",\"dir\":\"%s\"}", dir);
	r = ask_ok(f, c, s, text);
	assert_string_equal(proto_str(cJSON_GetObjectItem(r, "data"), "name"), "demo");
	assert_string_equal(proto_str(cJSON_GetObjectItem(r, "data"), "dir"), dir);
	cJSON_Delete(r);
	/* Recorded, with who did it and what was registered. */
	rec = last_record(f, "plugin_installed");
	assert_string_equal(proto_str(rec, "plugin"), "demo");
	assert_string_equal(proto_str(rec, "version"), "1.0.0");
	assert_string_equal(proto_str(rec, "result"), "success");
	assert_string_equal(proto_str(rec, "enforcement"), "landlock");
	assert_int_equal(cJSON_GetObjectItem(rec, "uid")->valuedouble, USER);
	assert_int_equal(strlen(proto_str(cJSON_GetObjectItem(rec, "details"), "digest")), 64);
	cJSON_Delete(rec);
	/* Again without --replace: refused, no second plugin_installed. */
	{
		int n = n_events(f, "plugin_installed");

		snprintf(text, sizeof(text), "{\"cmd\":\"plugin_install\",\"dir\":\"%s\"}", dir);
		ask_error(f, c, s, text, 1, "plugin demo is already installed; use --replace");
		assert_int_equal(n_events(f, "plugin_installed"), n);
		snprintf(text, sizeof(text),
			 "{\"cmd\":\"plugin_install\",\"dir\":\"%s\",\"replace\":true}", dir);
		cJSON_Delete(ask_ok(f, c, s, text));
		assert_int_equal(n_events(f, "plugin_installed"), n + 1);
	}
	/* Bad dirs: the reason, one line. */
	path_of(f, "nope", dir);
	snprintf(text, sizeof(text), "{\"cmd\":\"plugin_install\",\"dir\":\"%s\"}", dir);
	r = ask(f, c, s, text);
	assert_string_equal(proto_str(r, "type"), "error");
	assert_non_null(strstr(proto_str(r, "message"), "nope: No such file or directory"));
	cJSON_Delete(r);

	/* list: the caller's own; root's list has everyone's. */
	r = ask_ok(f, c, s, "{\"cmd\":\"plugin_list\"}");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "data")), 1);
	assert_string_equal(proto_str(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "data"), 0), "name"),
			    "demo");
	cJSON_Delete(r);
	root = connect_as(f, 0, &s0);
	r = ask_ok(f, root, s0, "{\"cmd\":\"plugin_list\"}");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "data")), 1);
	cJSON_Delete(r);
	{
		struct client *other;
		int s2;

		other = connect_as(f, 4242, &s2);
		r = ask_ok(f, other, s2, "{\"cmd\":\"plugin_list\"}");
		assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "data")), 0);
		cJSON_Delete(r);
	}
}

/* The first message of an install error: the empty "dir" case. */
/*
 * Root's plugin list holds every user's plugins, about 0.7 KiB each: past
 * a request's 64 KiB it still arrives whole (the agent's send buffer and
 * the clients' receive limit are PROTO_MAX_REPLY), and a reply larger than
 * that is an error reply, never silence (the client would wait forever).
 */
static void t_list_larger_than_a_request(void **state)
{
	struct fx *f = *state;
	struct client *c;
	char rel[32], toml[512], *big;
	int fds[PROTO_MAX_FDS], nfds = 0, s, n = 0;
	cJSON *r = NULL, *it, *msg;
	ssize_t len;
	char *buf = malloc(PROTO_MAX_REPLY + 1);

	assert_non_null(buf);
	c = connect_as(f, 0, &s);
	for (int i = 0; i < 120; i++) {
		snprintf(rel, sizeof(rel), "many%03d", i);
		snprintf(toml, sizeof(toml), "[plugin]\nname = \"%s\"\nversion = \"1.0.0\"\n"
			 "type = \"embedder\"\nentry = [\"python3\", \"main.py\"]\n"
			 "[permissions]\nrequired = [\"read:documents\"]\n", rel);
		plugin_dir(f, rel, toml);
		install(f, c, s, rel);
	}
	request(f, c, s, "{\"cmd\":\"plugin_list\"}");
	len = recv(s, buf, PROTO_MAX_REPLY + 1, MSG_PEEK);
	if (len <= PROTO_MAX_MSG)
		fail_msg("the list is %zd bytes: too small to test a reply past a request's size", len);
	/* A reader with a request's limit sees an error, not a cut message. */
	errno = 0;
	assert_int_equal(proto_recv(s, &r, fds, &nfds), -1);
	assert_int_equal(errno, EMSGSIZE);
	request(f, c, s, "{\"cmd\":\"plugin_list\"}");
	assert_int_equal(proto_recv_reply(s, &r, fds, &nfds), 1);
	assert_string_equal(proto_str(r, "type"), "ok");
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(r, "data"))
		n++;
	assert_int_equal(n, 120);
	cJSON_Delete(r);
	/* Page mode: pages of at most half a reply, "next" where the next one starts. */
	{
		char req[256], after[128] = "";
		int pages = 0, total = 0;

		do {
			snprintf(req, sizeof(req), "{\"cmd\":\"plugin_list\",\"after\":\"%s\"}", after);
			request(f, c, s, req);
			len = recv(s, buf, PROTO_MAX_REPLY + 1, MSG_PEEK);
			assert_true(len > 0 && len <= PROTO_MAX_REPLY / 2 + 64);
			assert_int_equal(proto_recv_reply(s, &r, fds, &nfds), 1);
			assert_string_equal(proto_str(r, "type"), "ok");
			cJSON_ArrayForEach(it, cJSON_GetObjectItem(r, "data"))
				total++;
			snprintf(after, sizeof(after), "%s", proto_str(r, "next") ?: "");
			cJSON_Delete(r);
		} while (after[0] && ++pages < 10);
		assert_int_equal(total, 120);
		/* Resumed past a key: the rest, in order. */
		request(f, c, s, "{\"cmd\":\"plugin_list\",\"after\":\"0/many059\"}");
		assert_int_equal(proto_recv_reply(s, &r, fds, &nfds), 1);
		assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "data")), 60);
		assert_string_equal(proto_str(cJSON_GetObjectItem(r, "data")->child, "name"), "many060");
		assert_null(cJSON_GetObjectItem(r, "next"));
		cJSON_Delete(r);
		/* Not a key. */
		r = ask(f, c, s, "{\"cmd\":\"plugin_list\",\"after\":\"many059\"}");
		want_error(r, 2, "\"after\": expected UID/NAME...");
		r = ask(f, c, s, "{\"cmd\":\"plugin_list\",\"after\":7}");
		want_error(r, 2, "request \"plugin_list\": \"after\" must be a string");
	}
	/* Past the default send buffer (about 208 KiB) and within the limit:
	 * the agent makes room for it, the client gets it whole. */
	big = malloc(PROTO_MAX_REPLY - 1000);
	assert_non_null(big);
	memset(big, 'y', PROTO_MAX_REPLY - 1001);
	big[PROTO_MAX_REPLY - 1001] = '\0';
	msg = cJSON_CreateObject();
	cJSON_AddStringToObject(msg, "type", "ok");
	cJSON_AddStringToObject(msg, "data", big);
	client_send(c, msg);
	cJSON_Delete(msg);
	assert_int_equal(proto_recv_reply(s, &r, fds, &nfds), 1);
	assert_int_equal(strlen(proto_str(r, "data")), PROTO_MAX_REPLY - 1001);
	cJSON_Delete(r);
	free(big);
	/* Larger than any reply may be: an error that says so. */
	big = malloc(PROTO_MAX_REPLY + 2);
	assert_non_null(big);
	memset(big, 'x', PROTO_MAX_REPLY + 1);
	big[PROTO_MAX_REPLY + 1] = '\0';
	msg = cJSON_CreateObject();
	cJSON_AddStringToObject(msg, "type", "ok");
	cJSON_AddStringToObject(msg, "data", big);
	client_send(c, msg);
	cJSON_Delete(msg);
	free(big);
	want_error(recv_msg(s), 1, "the reply (...");
	free(buf);
}

static void t_install_no_dir(void **state)
{
	struct fx *f = *state;
	struct client *c;
	cJSON *r;
	int s;

	c = connect_as(f, USER, &s);
	r = ask(f, c, s, "{\"cmd\":\"plugin_install\"}");
	want_error(r, 2, "request \"plugin_install\": \"dir\" is required");
}

/* ---- grant / revoke ---- */

static uint32_t stored(struct fx *f, uid_t uid, const char *digest)
{
	uint32_t g = 0;

	assert_int_equal(consent_granted(&f->a, uid, "demo", digest, &g), 0);
	return g;
}

static void t_grant_revoke(void **state)
{
	struct fx *f = *state;
	struct client *c;
	cJSON *e, *rec;
	char digest[65], err[256];
	int s;

	c = connect_as(f, USER, &s);
	plugin_dir(f, "demo", manifest_demo);
	install(f, c, s, "demo");
	assert_int_equal(registry_lookup(&f->a, USER, "demo", &e, err, sizeof(err)), 0);
	snprintf(digest, sizeof(digest), "%s", proto_str(e, "digest"));
	cJSON_Delete(e);

	ask_error(f, c, s, "{\"cmd\":\"grant\",\"plugin\":\"nope\"}", 1, "plugin nope is not installed");
	ask_error(f, c, s, "{\"cmd\":\"grant\"}", 2, "request \"grant\": \"plugin\" is required");
	ask_error(f, c, s, "{\"cmd\":\"grant\",\"plugin\":\"demo\",\"permissions\":[\"write:config\"]}",
		  EXIT_BAD_INPUT, "plugin demo does not declare write:config");
	ask_error(f, c, s, "{\"cmd\":\"grant\",\"plugin\":\"demo\",\"permissions\":[\"root:all\"]}",
		  EXIT_BAD_INPUT, "unknown permission: root:all");
	ask_error(f, c, s, "{\"cmd\":\"grant\",\"plugin\":\"demo\",\"permissions\":[7]}",
		  2, "request \"grant\": \"permissions\" must be an array of strings");
	assert_int_equal(stored(f, USER, digest), 0);
	/* Another user cannot grant for this user's plugin. */
	{
		struct client *o;
		int so;

		o = connect_as(f, 4242, &so);
		ask_error(f, o, so, "{\"cmd\":\"grant\",\"plugin\":\"demo\"}", 1,
			  "plugin demo is not installed");
	}

	/* "grant NAME": what the manifest requires. */
	cJSON_Delete(ask_ok(f, c, s, "{\"cmd\":\"grant\",\"plugin\":\"demo\"}"));
	assert_int_equal(stored(f, USER, digest), BIT(READ_DOCUMENTS) | BIT(SYSTEM_EMBEDDING));
	rec = last_record(f, "permission_granted");
	assert_string_equal(proto_str(rec, "plugin"), "demo");
	assert_string_equal(proto_str(rec, "version"), "1.0.0");
	assert_int_equal(cJSON_GetObjectItem(rec, "uid")->valuedouble, USER);
	want_perms(cJSON_GetObjectItem(rec, "permissions_used"),
		   BIT(READ_DOCUMENTS) | BIT(SYSTEM_EMBEDDING));
	cJSON_Delete(rec);
	/* An optional one on top. */
	cJSON_Delete(ask_ok(f, c, s, "{\"cmd\":\"grant\",\"plugin\":\"demo\",\"permissions\":[\"network:api\"]}"));
	assert_int_equal(stored(f, USER, digest),
			 BIT(READ_DOCUMENTS) | BIT(SYSTEM_EMBEDDING) | BIT(NETWORK_API));
	rec = last_record(f, "permission_granted");
	want_perms(cJSON_GetObjectItem(rec, "permissions_used"), BIT(NETWORK_API));
	cJSON_Delete(rec);

	/* revoke needs a list, and takes exactly that away. */
	ask_error(f, c, s, "{\"cmd\":\"revoke\",\"plugin\":\"demo\"}", EXIT_BAD_INPUT,
		  "revoke needs --permission");
	ask_error(f, c, s, "{\"cmd\":\"revoke\",\"plugin\":\"demo\",\"permissions\":[]}", EXIT_BAD_INPUT,
		  "revoke needs --permission");
	cJSON_Delete(ask_ok(f, c, s, "{\"cmd\":\"revoke\",\"plugin\":\"demo\",\"permissions\":[\"read:documents\"]}"));
	assert_int_equal(stored(f, USER, digest), BIT(SYSTEM_EMBEDDING) | BIT(NETWORK_API));
	rec = last_record(f, "permission_revoked");
	assert_string_equal(proto_str(rec, "result"), "success");
	want_perms(cJSON_GetObjectItem(rec, "permissions_used"), BIT(READ_DOCUMENTS));
	cJSON_Delete(rec);
	/* Revoking what is not granted is fine and changes nothing else. */
	cJSON_Delete(ask_ok(f, c, s, "{\"cmd\":\"revoke\",\"plugin\":\"demo\",\"permissions\":[\"read:documents\"]}"));
	assert_int_equal(stored(f, USER, digest), BIT(SYSTEM_EMBEDDING) | BIT(NETWORK_API));
}

static void t_grant_damaged_state(void **state)
{
	struct fx *f = *state;
	struct client *c;
	char path[PATH_MAX], digest[65], err[256];
	cJSON *r, *e;
	int s;

	c = connect_as(f, USER, &s);
	plugin_dir(f, "demo", manifest_demo);
	install(f, c, s, "demo");
	assert_int_equal(registry_lookup(&f->a, USER, "demo", &e, err, sizeof(err)), 0);
	snprintf(digest, sizeof(digest), "%s", proto_str(e, "digest"));
	cJSON_Delete(e);

	/* A corrupt consent store is reported and replaced, never read as a grant. */
	path_of(f, "state/consent/1000", path);
	assert_int_equal(mkdir_p(path, 0700), 0);
	put(f, "state/consent/1000/demo.json", "{\"digest\":\"x\",\"granted\":{\"root:all\":\"x\"}");
	request(f, c, s, "{\"cmd\":\"grant\",\"plugin\":\"demo\",\"permissions\":[\"network:api\"]}");
	r = recv_msg(s);
	want_error(r, 1, "consent store for demo is unreadable: nothing granted, nothing "
		   "changed; remove it to start over");
	/* Fail closed: the damaged store is left as it was, nothing is granted. */
	{
		char buf[128];

		path_of(f, "state/consent/1000/demo.json", path);
		assert_true(read_file(path, buf, sizeof(buf)) > 0);
		assert_non_null(strstr(buf, "root:all"));
	}

	/* A registry entry naming an unknown permission grants nothing. */
	put(f, "state/plugins/1000/demo.json", "{\"name\":\"demo\",\"digest\":\"x\","
	    "\"required\":[\"root:all\"],\"optional\":[]}");
	ask_error(f, c, s, "{\"cmd\":\"grant\",\"plugin\":\"demo\"}", 1,
		  "registry entry for demo is corrupt; reinstall it");
	put(f, "state/plugins/1000/demo.json", "{\"name\":\"demo\",\"digest\":\"x\","
	    "\"required\":[],\"optional\":[5]}");
	ask_error(f, c, s, "{\"cmd\":\"grant\",\"plugin\":\"demo\"}", 1,
		  "registry entry for demo is corrupt; reinstall it");

	/* A consent store that cannot be written: the error, no grant recorded. */
	put(f, "state/plugins/1000/demo.json", "{\"name\":\"demo\",\"digest\":\"x\","
	    "\"required\":[\"read:config\"],\"optional\":[]}");
	path_of(f, "state/consent/1000/demo.json", path);
	assert_int_equal(unlink(path), 0);
	path_of(f, "state/consent/1000", path);
	assert_int_equal(rmdir(path), 0);
	put(f, "state/consent/1000", "a file where the directory belongs");
	{
		int n = n_records(f);

		request(f, c, s, "{\"cmd\":\"grant\",\"plugin\":\"demo\"}");
		/* The store cannot even be read: refused, nothing written. */
		want_error(recv_msg(s), 1, "consent store for demo is unreadable: nothing granted, "
			   "nothing changed; remove it to start over");
		/* No grant record. */
		assert_int_equal(n_records(f), n);
	}
}

/* ---- audit ---- */

static cJSON *rec_for(struct fx *f, const char *event, uid_t uid)
{
	cJSON *rec = auditrec_new(&f->a, event, "success");

	cJSON_AddStringToObject(rec, "plugin", "demo");
	auditrec_user(rec, uid);
	return rec;
}

static void t_follow(void **state)
{
	struct fx *f = *state;
	struct client *user, *root, *plain;
	int su, sr, sp;
	cJSON *m;

	user = connect_as(f, USER, &su);
	root = connect_as(f, 0, &sr);
	plain = connect_as(f, USER, &sp);	/* connected, not following */
	cJSON_Delete(ask_ok(f, user, su, "{\"cmd\":\"audit_follow\"}"));
	cJSON_Delete(ask_ok(f, root, sr, "{\"cmd\":\"audit_follow\",\"query\":{\"event\":\"plugin_loaded\"}}"));
	assert_true(user->follow && root->follow);
	assert_false(plain->follow);
	/* A bad filter: code 2, not following. */
	ask_error(f, plain, sp, "{\"cmd\":\"audit_follow\",\"query\":{\"since\":\"yesterday\"}}", 2, NULL);

	/* Root's record: the user follower does not see it; root's filter does. */
	assert_int_equal(auditrec_emit(&f->a, rec_for(f, "plugin_loaded", 0)), 0);
	m = recv_msg(sr);
	assert_string_equal(proto_str(m, "type"), "record");
	assert_string_equal(proto_str(cJSON_GetObjectItem(m, "record"), "event"), "plugin_loaded");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "record"), "seq")->valuedouble,
			 auditlog_last_seq(f->a.audit));
	cJSON_Delete(m);
	/* The user's own record: the user sees it, root's event filter drops it. */
	assert_int_equal(auditrec_emit(&f->a, rec_for(f, "plugin_executed", USER)), 0);
	m = recv_msg(su);
	assert_string_equal(proto_str(cJSON_GetObjectItem(m, "record"), "event"), "plugin_executed");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "record"), "uid")->valuedouble, USER);
	cJSON_Delete(m);
	{
		char b;

		assert_int_equal(recv(su, &b, 1, MSG_DONTWAIT), -1);
		assert_int_equal(errno, EAGAIN);
		assert_int_equal(recv(sr, &b, 1, MSG_DONTWAIT), -1);
		assert_int_equal(recv(sp, &b, 1, MSG_DONTWAIT), -1);
	}
	/* A record without "details" gets an empty one. */
	m = last_record(f, "plugin_executed");
	assert_true(cJSON_IsObject(cJSON_GetObjectItem(m, "details")));
	cJSON_Delete(m);

	/*
	 * A follower that stops reading is dropped once its queue passes the
	 * bound, never waited for; marked by the send, reaped by the loop, and
	 * the drop is recorded with its reason.
	 */
	{
		int i, ufd = user->fd;

		for (i = 0; i < 20000 && !user->dead; i++)
			assert_int_equal(auditrec_emit(&f->a, rec_for(f, "config_change", USER)), 0);
		assert_true(user->dead);
		assert_true(i > 10);	/* the socket buffer and the queue took the first ones */
		assert_ptr_equal(client_find(&f->a, ufd), user);
		client_reap(&f->a);
		for (struct client *c = f->a.clients; c; c = c->next)
			assert_ptr_not_equal(c, user);
		m = last_record(f, "client_dropped");
		assert_int_equal(cJSON_GetObjectItem(m, "uid")->valuedouble, USER);
		assert_string_equal(proto_str(cJSON_GetObjectItem(m, "details"), "reason"),
				    "not reading its replies: output queue full");
		cJSON_Delete(m);
	}
	assert_true(root->follow);
}

/* ---- transport: bounded output queue, per-user connections ---- */

/*
 * A client that does not read: replies the socket cannot take wait in its
 * queue, in order, and go out when it is writable again; past the bound the
 * client is dropped (marked, reaped by the loop, recorded), never waited for.
 */
static void t_reply_queue(void **state)
{
	struct fx *f = *state;
	struct client *c;
	int s, sent = 0, got = 0, fd;
	cJSON *m;

	c = connect_as(f, USER, &s);
	fd = c->fd;
	while (!c->outq && sent < 100000) {
		request(f, c, s, "{\"cmd\":\"status\"}");
		sent++;
	}
	assert_non_null(c->outq);
	assert_true(c->want_out);
	assert_false(c->dead);
	/* The reader catches up: what the socket held, then the queue, in order. */
	for (;;) {
		int fds[PROTO_MAX_FDS], n = 0;

		if (proto_recv(s, &m, fds, &n) != 1)
			break;
		assert_string_equal(proto_str(m, "type"), "ok");
		cJSON_Delete(m);
		if (++got == 1)
			continue;
		if (c->outq) {
			client_flush_out(c);	/* what EPOLLOUT does */
		} else {
			char b;

			if (recv(s, &b, 1, MSG_DONTWAIT | MSG_PEEK) < 0 && errno == EAGAIN)
				break;
		}
	}
	assert_int_equal(got, sent);
	assert_null(c->outq);
	assert_false(c->want_out);
	assert_int_equal(c->outq_bytes, 0);
	/* Now it stops reading for good: dropped at the bound, not waited for. */
	for (sent = 0; !c->dead && sent < 100000; sent++) {
		send_raw(s, "{\"cmd\":\"status\"}");
		server_client_event(&f->a, c, EPOLLIN);
		assert_true(c->outq_bytes <= CLIENT_OUTQ_MAX);
	}
	assert_true(c->dead);
	assert_string_equal(c->drop_reason, "not reading its replies: output queue full");
	/* Nothing more is queued for a dead client. */
	request(f, c, s, "{\"cmd\":\"status\"}");
	assert_null(client_find(&f->a, fd));
	m = last_record(f, "client_dropped");
	assert_int_equal(cJSON_GetObjectItem(m, "uid")->valuedouble, USER);
	assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "details"), "queued_bytes")->valuedouble > 0);
	cJSON_Delete(m);
}

/* Drop records cannot flood the log: 5 a second in full, the rest counted exactly. */
static void t_drop_records_limited(void **state)
{
	struct fx *f = *state;
	int s, before = n_events(f, "client_dropped");
	cJSON *m;

	for (int i = 0; i < 7; i++)
		client_drop(connect_as(f, USER, &s), "not reading its replies: output queue full");
	client_reap(&f->a);
	assert_null(f->a.clients);
	assert_int_equal(n_events(f, "client_dropped") - before, 5);
	assert_int_equal(f->a.drops_suppressed, 2);
	clients_flush_drops(&f->a, true);
	m = last_record(f, "events_suppressed");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "details"), "count")->valuedouble, 2);
	assert_string_equal(proto_str(cJSON_GetObjectItem(m, "details"), "suppressed_event"), "client_dropped");
	cJSON_Delete(m);
	assert_int_equal(f->a.drops_suppressed, 0);
}

/* One user holds at most CLIENTS_PER_UID connections; root is not counted against it. */
static void t_connections_per_user(void **state)
{
	struct fx *f = *state;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct client *root;
	int s, extra, i;
	cJSON *m;

	for (i = 0; i < CLIENTS_PER_UID; i++)
		connect_as(f, USER, &s);
	extra = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(extra >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->a.cfg.socket_path);
	assert_int_equal(seteuid(USER), 0);
	assert_int_equal(connect(extra, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(seteuid(0), 0);
	server_accept(&f->a);
	/* Refused, told why, closed. */
	m = recv_msg(extra);
	want_error(m, 1, "too many connections from this user");
	{
		char b;

		assert_int_equal(recv(extra, &b, 1, 0), 0);
	}
	close(extra);
	assert_int_equal(f->a.clients_refused, 1);
	root = connect_as(f, 0, &s);
	m = ask_ok(f, root, s, "{\"cmd\":\"status\"}");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "data"), "counters"),
					     "clients")->valuedouble, CLIENTS_PER_UID + 1);
	cJSON_Delete(m);
}

/* A record the log refuses: counted, nobody told, the caller gets -1. */
static void t_emit_refused(void **state)
{
	struct fx *f = *state;
	cJSON *rec = cJSON_CreateObject();
	int n = n_records(f);

	cJSON_AddStringToObject(rec, "event", "");
	assert_int_equal(auditrec_emit(&f->a, rec), -1);
	assert_int_equal(f->a.audit_errors, 1);
	assert_int_equal(n_records(f), n);
}

/* Read "record" messages until "end"; return the end message. */
static cJSON *drain_show(int s, int *n_records_out, uid_t only_uid)
{
	int n = 0;

	for (;;) {
		cJSON *m = recv_msg(s);

		if (strcmp(proto_str(m, "type"), "record") != 0) {
			*n_records_out = n;
			return m;
		}
		if (only_uid != (uid_t)-1)
			assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "record"), "uid")->valuedouble,
					 only_uid);
		n++;
		cJSON_Delete(m);
	}
}

static void t_show_verify(void **state)
{
	struct fx *f = *state;
	struct client *c;
	cJSON *m, *d;
	int s, n, total, fd;

	for (int i = 0; i < 3; i++)
		assert_int_equal(auditrec_emit(&f->a, rec_for(f, "plugin_loaded", USER)), 0);
	assert_int_equal(auditrec_emit(&f->a, rec_for(f, "plugin_loaded", 4242)), 0);
	assert_int_equal(auditrec_emit(&f->a, rec_for(f, "config_change", 0)), 0);
	total = n_records(f);
	fflush(NULL);	/* the worker is a fork of this process */

	/* Root: everything. The agent hands the connection to a worker. */
	c = connect_as(f, 0, &s);
	fd = c->fd;
	request(f, c, s, "{\"cmd\":\"audit_show\"}");
	assert_null(client_find(&f->a, fd));
	m = drain_show(s, &n, (uid_t)-1);
	assert_string_equal(proto_str(m, "type"), "end");
	assert_int_equal(n, total);
	assert_int_equal(cJSON_GetObjectItem(m, "matched")->valuedouble, total);
	assert_int_equal(cJSON_GetObjectItem(m, "unparsable")->valuedouble, 0);
	cJSON_Delete(m);
	{
		char b;

		assert_int_equal(recv(s, &b, 1, 0), 0);	/* worker done: EOF */
	}

	/* A user: their own records only, whatever the query says. */
	c = connect_as(f, USER, &s);
	request(f, c, s, "{\"cmd\":\"audit_show\",\"query\":{\"event\":\"plugin_loaded\"}}");
	m = drain_show(s, &n, USER);
	assert_int_equal(n, 3);
	cJSON_Delete(m);
	/* A bad query: answered by the agent itself, connection kept. */
	c = connect_as(f, USER, &s);
	fd = c->fd;
	ask_error(f, c, s, "{\"cmd\":\"audit_show\",\"query\":{\"result\":\"maybe\"}}", 2, NULL);
	assert_ptr_equal(client_find(&f->a, fd), c);

	/* verify: the whole chain holds. */
	c = connect_as(f, USER, &s);
	request(f, c, s, "{\"cmd\":\"audit_verify\"}");
	m = recv_msg(s);
	assert_string_equal(proto_str(m, "type"), "ok");
	d = cJSON_GetObjectItem(m, "data");
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(d, "broken")));
	assert_int_equal(cJSON_GetObjectItem(d, "verified")->valuedouble, total);
	assert_int_equal(cJSON_GetObjectItem(d, "last_seq")->valuedouble, auditlog_last_seq(f->a.audit));
	assert_string_equal(proto_str(d, "last_hash"), auditlog_last_hash(f->a.audit));
	cJSON_Delete(m);

	/* A tampered log: verify says where. */
	{
		FILE *fp = fopen(f->a.cfg.audit_log, "r+e");
		char line[4096];
		long pos;

		assert_non_null(fp);
		assert_non_null(fgets(line, sizeof(line), fp));
		pos = ftell(fp);
		assert_non_null(fgets(line, sizeof(line), fp));
		{
			char *p = strstr(line, "\"plugin\":\"demo\"");

			assert_non_null(p);
			p[11] = 'X';
		}
		fseek(fp, pos, SEEK_SET);
		fputs(line, fp);
		fclose(fp);
	}
	c = connect_as(f, USER, &s);
	request(f, c, s, "{\"cmd\":\"audit_verify\"}");
	m = recv_msg(s);
	d = cJSON_GetObjectItem(m, "data");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(d, "broken")));
	assert_int_equal(cJSON_GetObjectItem(d, "line")->valuedouble, 2);
	assert_string_equal(proto_str(d, "reason"), "hash mismatch");
	cJSON_Delete(m);

	/* No log at all: show ends with nothing, verify says why. */
	unlink(f->a.cfg.audit_log);
	c = connect_as(f, 0, &s);
	request(f, c, s, "{\"cmd\":\"audit_show\"}");
	m = drain_show(s, &n, (uid_t)-1);
	assert_string_equal(proto_str(m, "type"), "end");
	assert_int_equal(n, 0);
	cJSON_Delete(m);
	c = connect_as(f, 0, &s);
	request(f, c, s, "{\"cmd\":\"audit_verify\"}");
	want_error(recv_msg(s), 1, "No such file or directory");
}

/* ---- run: refusals before any sandbox exists ---- */

static void send_run(struct fx *f, struct client *c, int s, const char *text, int nfds)
{
	int dn[3];
	cJSON *m = cJSON_Parse(text);

	assert_non_null(m);
	for (int i = 0; i < nfds; i++)
		dn[i] = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_int_equal(proto_send(s, m, dn, nfds), 0);
	for (int i = 0; i < nfds; i++)
		close(dn[i]);
	cJSON_Delete(m);
	server_client_event(&f->a, c, EPOLLIN);
}

static void run_error(struct fx *f, struct client *c, int s, const char *text, int nfds, int code,
		      const char *msg)
{
	send_run(f, c, s, text, nfds);
	want_error(recv_msg(s), code, msg);
	assert_null(f->a.runs);
	assert_null(c->run);
}

static void t_run_refused(void **state)
{
	struct fx *f = *state;
	struct client *c, *root;
	char args[4096], path[PATH_MAX];
	cJSON *rec;
	int s, s0, n;

	c = connect_as(f, USER, &s);
	plugin_dir(f, "demo", manifest_demo);
	install(f, c, s, "demo");

	run_error(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\"}", 0, 2,
		  "request \"run\": 0 file descriptors sent, 3 expected");
	run_error(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\"}", 2, 2,
		  "request \"run\": 2 file descriptors sent, 3 expected");
	run_error(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"args\":[\"ok\",1]}", 3, 2,
		  "request \"run\": \"args\" must be an array of strings");
	n = snprintf(args, sizeof(args), "{\"cmd\":\"run\",\"plugin\":\"demo\",\"args\":[");
	for (int i = 0; i < 257; i++)
		n += snprintf(args + n, sizeof(args) - (size_t)n, "%s\"a\"", i ? "," : "");
	snprintf(args + n, sizeof(args) - (size_t)n, "]}");
	run_error(f, c, s, args, 3, 125, "run arguments must be at most 256 strings");
	run_error(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"nope\"}", 3, 125, "plugin nope is not installed");
	run_error(f, c, s, "{\"cmd\":\"run\"}", 3, 2, "request \"run\": \"plugin\" is required");

	/* Installed, never granted, no --yes: 77 and a permission_denied record. */
	run_error(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\"}", 3, 77,
		  "consent not given for demo (required: 2 permission(s))...");
	rec = last_record(f, "permission_denied");
	assert_string_equal(proto_str(rec, "result"), "denied");
	assert_string_equal(proto_str(rec, "plugin"), "demo");
	assert_string_equal(proto_str(rec, "version"), "1.0.0");
	assert_int_equal(strlen(proto_str(rec, "run_id")), 32);
	assert_non_null(strstr(proto_str(cJSON_GetObjectItem(rec, "details"), "reason"),
			       "consent not given"));
	cJSON_Delete(rec);
	/* An unreadable consent store: 77 as well. */
	path_of(f, "state/consent/1000", path);
	assert_int_equal(mkdir_p(path, 0700), 0);
	put(f, "state/consent/1000/demo.json", "corrupt");
	run_error(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\"}", 3, 77,
		  "consent store for demo is unreadable: nothing is granted");
	path_of(f, "state/consent/1000/demo.json", path);
	unlink(path);

	/* The manifest changed after install: refused until reinstalled. */
	put(f, "demo/plugin.toml", "[plugin]\nname = \"demo\"\nversion = \"6.6.6\"\n"
	    "type = \"command\"\nentry = [\"./evil\"]\n");
	send_run(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\",\"yes\":true}", 3);
	rec = recv_msg(s);
	assert_int_equal(cJSON_GetObjectItem(rec, "code")->valuedouble, 125);
	assert_non_null(strstr(proto_str(rec, "message"), "changed since it was installed"));
	cJSON_Delete(rec);
	rec = last_record(f, "plugin_failed");
	assert_string_equal(proto_str(rec, "version"), "6.6.6");
	cJSON_Delete(rec);
	/* The manifest is gone. */
	path_of(f, "demo/plugin.toml", path);
	unlink(path);
	send_run(f, c, s, "{\"cmd\":\"run\",\"plugin\":\"demo\"}", 3);
	rec = recv_msg(s);
	assert_non_null(strstr(proto_str(rec, "message"), "plugin.toml: No such file or directory"));
	cJSON_Delete(rec);
	put(f, "demo/plugin.toml", manifest_demo);

	/* Root: only through root_run_as, and never as root itself. */
	root = connect_as(f, 0, &s0);
	install(f, root, s0, "demo");
	run_error(f, root, s0, "{\"cmd\":\"run\",\"plugin\":\"demo\"}", 3, 125,
		  "plugins never run as root; set [agent] root_run_as in the agent config "
		  "to run them for root");
	snprintf(f->a.cfg.root_run_as, sizeof(f->a.cfg.root_run_as), "no-such-user-ragged");
	run_error(f, root, s0, "{\"cmd\":\"run\",\"plugin\":\"demo\"}", 3, 125,
		  "root_run_as account no-such-user-ragged does not exist");
	snprintf(f->a.cfg.root_run_as, sizeof(f->a.cfg.root_run_as), "root");
	run_error(f, root, s0, "{\"cmd\":\"run\",\"plugin\":\"demo\"}", 3, 125,
		  "refusing to run a plugin as root");
	/* A caller without a passwd entry. */
	{
		struct client *ghost;
		int sg;

		ghost = connect_as(f, 54321, &sg);
		install(f, ghost, sg, "demo");
		run_error(f, ghost, sg, "{\"cmd\":\"run\",\"plugin\":\"demo\"}", 3, 125,
			  "uid 54321 has no passwd entry");
	}
}


/* ---- plugin permissions: declared, granted or not, since when ---- */

static const cJSON *perm_entry(const cJSON *arr, const char *name)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr)
		if (strcmp(proto_str(it, "permission"), name) == 0)
			return it;
	fail_msg("no entry for %s", name);
	return NULL;
}

static void t_permissions(void **state)
{
	struct fx *f = *state;
	struct client *c;
	const cJSON *d, *e;
	cJSON *r;
	int s;

	c = connect_as(f, USER, &s);
	ask_error(f, c, s, "{\"cmd\":\"permissions\",\"plugin\":\"demo\"}", 1,
		  "plugin demo is not installed");
	plugin_dir(f, "demo", manifest_demo);
	install(f, c, s, "demo");
	/* Nothing granted yet: every declared permission, none granted. */
	r = ask_ok(f, c, s, "{\"cmd\":\"permissions\",\"plugin\":\"demo\"}");
	d = cJSON_GetObjectItem(r, "data");
	assert_int_equal(cJSON_GetArraySize(d), 3);
	e = perm_entry(d, "read:documents");
	assert_string_equal(proto_str(e, "kind"), "required");
	assert_string_equal(proto_str(e, "risk"), "medium");
	assert_string_equal(proto_str(e, "status"), "not granted");
	assert_string_equal(proto_str(e, "since"), "-");
	assert_string_equal(proto_str(e, "description"), perm_info(RAGGED_PERM_READ_DOCUMENTS)->description);
	e = perm_entry(d, "network:api");
	assert_string_equal(proto_str(e, "kind"), "optional");
	assert_string_equal(proto_str(e, "risk"), "high");
	cJSON_Delete(r);
	/* After a grant: granted, since the grant's time. */
	cJSON_Delete(ask_ok(f, c, s, "{\"cmd\":\"grant\",\"plugin\":\"demo\",\"permissions\":[\"network:api\"]}"));
	r = ask_ok(f, c, s, "{\"cmd\":\"permissions\",\"plugin\":\"demo\"}");
	d = cJSON_GetObjectItem(r, "data");
	e = perm_entry(d, "network:api");
	assert_string_equal(proto_str(e, "status"), "granted");
	assert_int_equal(strlen(proto_str(e, "since")), 24);
	assert_string_equal(proto_str(perm_entry(d, "system:embedding"), "status"), "not granted");
	cJSON_Delete(r);
	/* A grant for another manifest (digest) counts for nothing. */
	{
		cJSON *store = consent_read(&f->a, USER, "demo");
		char *text;

		assert_non_null(store);
		cJSON_ReplaceItemInObject(store, "digest", cJSON_CreateString("0000"));
		text = cJSON_PrintUnformatted(store);
		put(f, "state/consent/1000/demo.json", text);
		free(text);
		cJSON_Delete(store);
	}
	r = ask_ok(f, c, s, "{\"cmd\":\"permissions\",\"plugin\":\"demo\"}");
	assert_string_equal(proto_str(perm_entry(cJSON_GetObjectItem(r, "data"), "network:api"), "status"),
			    "not granted");
	cJSON_Delete(r);
	/* Unknown names in a (damaged) registry entry are left out, not shown as grants. */
	put(f, "state/plugins/1000/demo.json", "{\"name\":\"demo\",\"digest\":\"0000\","
	    "\"required\":[\"root:all\",\"read:config\",3],\"optional\":[]}");
	r = ask_ok(f, c, s, "{\"cmd\":\"permissions\",\"plugin\":\"demo\"}");
	d = cJSON_GetObjectItem(r, "data");
	assert_int_equal(cJSON_GetArraySize(d), 1);
	assert_string_equal(proto_str(perm_entry(d, "read:config"), "status"), "not granted");
	cJSON_Delete(r);
}

/* Who sees a record: a follower's filter; without one, root only. */
static void t_may_see(void **state)
{
	struct client c;
	cJSON *mine = cJSON_Parse("{\"event\":\"plugin_loaded\",\"uid\":1000,\"user_id\":\"cloudsdk\"}");
	struct auditquery q;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.uid = USER;
	assert_false(auditsrv_may_see(&c, mine));
	c.uid = 0;
	assert_true(auditsrv_may_see(&c, mine));
	auditquery_init(&q);
	auditquery_restrict(&q, 4242, "4242");
	c.uid = 4242;
	c.query = &q;
	assert_false(auditsrv_may_see(&c, mine));
	auditquery_restrict(&q, USER, "cloudsdk");
	c.uid = USER;
	assert_true(auditsrv_may_see(&c, mine));
	cJSON_Delete(mine);
}

/* A caller without a passwd entry is restricted by uid, and still answered. */
static void t_show_no_passwd(void **state)
{
	struct fx *f = *state;
	struct client *c;
	cJSON *m;
	int s, n;

	assert_int_equal(auditrec_emit(&f->a, rec_for(f, "plugin_loaded", 54321)), 0);
	assert_int_equal(auditrec_emit(&f->a, rec_for(f, "plugin_loaded", USER)), 0);
	fflush(NULL);
	c = connect_as(f, 54321, &s);
	request(f, c, s, "{\"cmd\":\"audit_show\"}");
	m = drain_show(s, &n, 54321);
	assert_string_equal(proto_str(m, "type"), "end");
	assert_int_equal(n, 1);
	cJSON_Delete(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(t_listen_accept),
		T(t_listen_errors),
		T(t_missing_and_unknown_cmd),
		T(t_malformed),
		T(t_hangup_closes),
		T(t_status),
		T(t_install_list),
		T(t_list_larger_than_a_request),
		T(t_install_no_dir),
		T(t_grant_revoke),
		T(t_grant_damaged_state),
		T(t_follow),
		T(t_reply_queue),
		T(t_connections_per_user),
		T(t_drop_records_limited),
		T(t_emit_refused),
		T(t_show_verify),
		T(t_run_refused),
		T(t_permissions),
		cmocka_unit_test(t_may_see),
		T(t_show_no_passwd),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

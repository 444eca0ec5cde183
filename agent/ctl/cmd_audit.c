// SPDX-License-Identifier: MIT
/*
 * raggedctl audit show|follow|verify — all through the agent, which alone
 * can read the log and which filters by the caller's uid (SO_PEERCRED):
 * users see their own records, root sees all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "cmdtab.h"
#include "ctl.h"
#include "proto/proto.h"
#include "util/util.h"

static void print_row(const cJSON *rec)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(rec, "details");
	const char *what = proto_str(d, "path");
	char addr[128] = "";
	long long seq = 0, port;

	if (!what && proto_str(d, "address") && proto_int(d, "port", &port) == 0) {
		snprintf(addr, sizeof(addr), "%s:%lld", proto_str(d, "address"), port);
		what = addr;
	}
	if (!what)
		what = proto_str(d, "reason");
	proto_int(rec, "seq", &seq);
	/* Every column can carry plugin-chosen bytes (the path above all): escaped. */
	printf("%-24s %6lld %-22s %-18s %-8s %-10s %s\n",
	       ctl_safe_logged(proto_str(rec, "timestamp")) ?: "-", seq,
	       ctl_safe_logged(proto_str(rec, "event")) ?: "-",
	       ctl_safe_logged(proto_str(rec, "plugin")) ?: "-",
	       ctl_safe_logged(proto_str(rec, "user_id")) ?: "-",
	       ctl_safe_logged(proto_str(rec, "result")) ?: "-", ctl_safe_logged(what) ?: "");
}

static void header(void)
{
	printf("%-24s %6s %-22s %-18s %-8s %-10s %s\n", "TIMESTAMP", "SEQ", "EVENT", "PLUGIN",
	       "USER", "RESULT", "DETAIL");
}

/* Read records until "end" (show) or EOF (follow). */
static int stream(struct ctl *c, int fd, bool follow)
{
	bool first = true;

	for (;;) {
		int fds[3], nfds, rc;
		const char *type;
		cJSON *msg, *rec;

		rc = proto_recv_reply(fd, &msg, fds, &nfds);
		for (int k = 0; k < nfds; k++)
			close(fds[k]);
		if (rc <= 0) {
			if (follow)
				ctl_err("the agent closed the stream (stopped, or this reader fell too "
					"far behind); resume with `raggedctl audit show --since ...`");
			else
				ctl_err("lost the agent mid-stream");
			return EXIT_IO;
		}
		type = proto_str(msg, "type");
		if (type && strcmp(type, "error") == 0) {
			long long code = EXIT_FAILED;

			proto_int(msg, "code", &code);
			ctl_err("%s", proto_str(msg, "message") ?: "agent error");
			cJSON_Delete(msg);
			return code > 0 && code < 256 ? (int)code : EXIT_FAILED;
		}
		if (type && (strcmp(type, "end") == 0 || strcmp(type, "ok") == 0)) {
			cJSON_Delete(msg);
			if (!follow)
				return 0;
			continue;
		}
		rec = cJSON_GetObjectItemCaseSensitive(msg, "record");
		if (type && strcmp(type, "record") == 0 && rec) {
			if (c->format == FMT_JSON)
				render_json(rec);
			else {
				if (first)
					header();
				print_row(rec);
			}
			first = false;
			fflush(stdout);
		}
		cJSON_Delete(msg);
	}
}

static int show_or_follow(struct ctl *c, const struct ctl_args *a, bool follow)
{
	struct auditquery q;
	char err[256];
	cJSON *req;
	int fd, rc = 0;
	int64_t now = (int64_t)now_realtime_ms();

	/* The filters are the table's options; auditquery checks their values and together. */
	auditquery_init(&q);
	for (int i = 0; a->cmd->opts[i] && rc == 0; i++)
		if (a->val[i])
			rc = auditquery_option(&q, a->cmd->opts[i]->name, a->val[i], now, err, sizeof(err));
	if (rc != 0 || auditquery_check(&q, err, sizeof(err)) < 0) {
		ctl_err("audit %s: %s", follow ? "follow" : "show", err);
		return EXIT_BAD_INPUT;
	}
	req = ctl_req(follow ? "audit_follow" : "audit_show");
	cJSON_AddItemToObject(req, "query", auditquery_to_json(&q));
	fd = ctl_connect(c);
	if (fd < 0) {
		cJSON_Delete(req);
		return -fd;
	}
	if (proto_send(fd, req, NULL, 0) < 0) {
		ctl_err("send to agent: %s", strerror(errno));
		cJSON_Delete(req);
		close(fd);
		return EXIT_IO;
	}
	cJSON_Delete(req);
	rc = stream(c, fd, follow);
	close(fd);
	return rc;
}

/* --file PATH: verify a copy offline, without the agent (needs read access). */
static cJSON *verify_local(const char *path)
{
	struct auditlog_verify_result res;
	cJSON *d;
	int rc;

	memset(&res, 0, sizeof(res));
	rc = auditlog_verify(path, &res);
	if (rc < 0) {
		ctl_err("audit verify: %s: %s", path, strerror(errno));
		return NULL;
	}
	d = cJSON_CreateObject();
	cJSON_AddBoolToObject(d, "broken", res.broken);
	cJSON_AddNumberToObject(d, "verified", (double)res.verified);
	cJSON_AddNumberToObject(d, "first_seq", (double)res.first_seq);
	cJSON_AddNumberToObject(d, "last_seq", (double)res.last_seq);
	cJSON_AddStringToObject(d, "last_hash", res.last_hash);
	if (res.broken) {
		cJSON_AddStringToObject(d, "file", res.file);
		cJSON_AddNumberToObject(d, "line", (double)res.line);
		cJSON_AddNumberToObject(d, "seq", (double)res.seq);
		cJSON_AddStringToObject(d, "reason", res.reason);
	}
	return d;
}

int cmd_audit_verify(struct ctl *c, const struct ctl_args *a)
{
	cJSON *reply = NULL, *data, *local = NULL;
	const char *file = ctl_arg(a, "--file");
	int code;
	bool broken;

	if (file) {
		local = verify_local(file);
		if (!local)
			return EXIT_IO;
		data = local;
		goto show;
	}
	code = ctl_call(c, ctl_req("audit_verify"), &data, &reply);
	if (!data) {
		cJSON_Delete(reply);
		return code ? code : EXIT_FAILED;
	}
show:
	broken = proto_bool(data, "broken");
	if (c->format == FMT_JSON)
		render_json(data);
	else if (broken) {
		long long line = 0, seq = 0;

		proto_int(data, "line", &line);
		proto_int(data, "seq", &seq);
		printf("BROKEN at %s:%lld (seq %lld): %s\n", ctl_safe(proto_str(data, "file")) ?: "?",
		       line, seq, ctl_safe(proto_str(data, "reason")) ?: "?");
	} else
		render_kv(data, 0);
	cJSON_Delete(reply);
	cJSON_Delete(local);
	return broken ? EXIT_FAILED : 0;
}

int cmd_audit_show(struct ctl *c, const struct ctl_args *a)
{
	return show_or_follow(c, a, false);
}

int cmd_audit_follow(struct ctl *c, const struct ctl_args *a)
{
	return show_or_follow(c, a, true);
}

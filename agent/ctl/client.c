// SPDX-License-Identifier: MIT
/* The agent connection and the shared output helpers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "proto/proto.h"
#include "util/util.h"

static enum out_format err_fmt = FMT_TABLE;
static char *err_kept;	/* --format json: the messages so far, "; "-separated */
bool ctl_status_is_plugins;

void ctl_err_format(enum out_format f)
{
	err_fmt = f;
}

/*
 * The whole message is escaped: its arguments are often the agent's error
 * text, which quotes paths and names a plugin chose.
 */
void ctl_err(const char *fmt, ...)
{
	char *msg = NULL, *safe, *joined;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	safe = n >= 0 ? text_escape(msg) : NULL;
	free(msg);
	if (err_fmt != FMT_JSON) {
		fprintf(stderr, "raggedctl: %s\n", safe ? safe : "(out of memory formatting an error)");
		free(safe);
		return;
	}
	if (!err_kept)
		err_kept = safe;
	else if (safe && asprintf(&joined, "%s; %s", err_kept, safe) >= 0) {
		free(err_kept);
		free(safe);
		err_kept = joined;
	} else
		free(safe);
}

int ctl_finish(int status)
{
	const char *code = ctl_status_is_plugins ? (status > 128 ? "killed_by_signal" : "plugin_status")
						 : ctl_exit_code_name(status);
	cJSON *o, *e;
	char *s;

	/* A plugin's plain exit status is its own business, not an error of ours. */
	if (err_fmt != FMT_JSON || (!err_kept && (status == 0 || ctl_status_is_plugins)))
		return status;
	o = cJSON_CreateObject();
	e = cJSON_AddObjectToObject(o, status ? "error" : "warning");
	cJSON_AddStringToObject(e, "code", code ? code : "failed");
	/* No message (the report on stdout says it all, as for a blocked validate): the table's. */
	cJSON_AddStringToObject(e, "message", err_kept ? err_kept
				: ctl_exit_code_meaning(status) ?: "failed");
	cJSON_AddNumberToObject(e, "exit", status);
	s = cJSON_PrintUnformatted(o);
	if (s)
		fprintf(stderr, "%s\n", s);
	free(s);
	cJSON_Delete(o);
	free(err_kept);
	err_kept = NULL;
	return status;
}

/*
 * Short-lived escaped copies for printf arguments: a ring of buffers, each
 * freed when it comes round again (raggedctl is single-threaded and no
 * printf takes more than CTL_SAFE_RING of them).
 */
#define CTL_SAFE_RING 16
const char *ctl_safe(const char *s)
{
	static char *ring[CTL_SAFE_RING];
	static unsigned next;
	char **slot;

	if (!s)
		return NULL;
	slot = &ring[next++ % CTL_SAFE_RING];
	free(*slot);
	*slot = text_escape(s);
	return *slot ? *slot : "(out of memory)";
}

const char *ctl_safe_logged(const char *s)
{
	char *raw = bytes_decode(s);
	const char *out;

	if (s && !raw)
		return "(out of memory)";
	out = ctl_safe(raw);
	free(raw);
	return out;
}

cJSON *ctl_req(const char *cmd)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "cmd", cmd);
	cJSON_AddNumberToObject(r, "proto", PROTO_VERSION);
	return r;
}

int ctl_connect(const struct ctl *c)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(c->socket_path) >= sizeof(sun.sun_path)) {
		ctl_err("--socket: path too long: %s", c->socket_path);
		return -EXIT_BAD_INPUT;
	}
	strcpy(sun.sun_path, c->socket_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		/* Nothing listening is "not running"; anything else (EACCES...) is I/O. */
		bool absent = fd >= 0 && (errno == ENOENT || errno == ECONNREFUSED);

		ctl_err("cannot reach raggedd at %s: %s%s", c->socket_path, strerror(errno),
			absent ? " (is the agent running?)" : "");
		if (fd >= 0)
			close(fd);
		return absent ? -EXIT_NO_AGENT : -EXIT_IO;
	}
	return fd;
}

int ctl_request(const struct ctl *c, cJSON *req, cJSON **reply)
{
	int fd = ctl_connect(c), fds[3], nfds = 0, rc;

	*reply = NULL;
	if (fd < 0)
		return fd;
	if (proto_send(fd, req, NULL, 0) < 0) {
		ctl_err("send to agent: %s", strerror(errno));
		close(fd);
		return -EXIT_IO;
	}
	rc = proto_recv_reply(fd, reply, fds, &nfds);
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	close(fd);
	if (rc <= 0) {
		ctl_err("no reply from agent%s%s", rc < 0 ? ": " : "", rc < 0 ? strerror(errno) : "");
		return -EXIT_IO;
	}
	return 0;
}

cJSON *ctl_reply_data(cJSON *reply, int *code)
{
	const char *type = proto_str(reply, "type");
	long long v = 1;

	*code = 0;
	if (type && strcmp(type, "ok") == 0)
		return cJSON_GetObjectItemCaseSensitive(reply, "data");
	proto_int(reply, "code", &v);
	*code = v > 0 && v < 256 ? (int)v : EXIT_FAILED;
	ctl_err("%s", proto_str(reply, "message") ? proto_str(reply, "message") : "agent error");
	return NULL;
}

int ctl_call(const struct ctl *c, cJSON *req, cJSON **data, cJSON **reply)
{
	int code;

	*data = NULL;
	code = ctl_request(c, req, reply);
	if (code < 0) {
		cJSON_Delete(req);
		return -code;
	}
	cJSON_Delete(req);
	*data = ctl_reply_data(*reply, &code);
	return *data || code == 0 ? 0 : code;
}

int ctl_plugin_list(const struct ctl *c, cJSON **list)
{
	char after[128] = "";	/* "UID/NAME": 20 digits, a slash, a 64-byte name */
	cJSON *all = cJSON_CreateArray();

	*list = NULL;
	if (!all)
		return EXIT_FAILED;
	for (unsigned page = 0;; page++) {
		cJSON *req = ctl_req("plugin_list"), *reply = NULL, *data, *it;
		const char *next;
		int code;

		cJSON_AddStringToObject(req, "after", after);
		code = ctl_call(c, req, &data, &reply);
		if (!cJSON_IsArray(data)) {
			cJSON_Delete(reply);
			cJSON_Delete(all);
			return code ? code : EXIT_FAILED;
		}
		while ((it = data->child)) {
			cJSON_DetachItemViaPointer(data, it);
			cJSON_AddItemToArray(all, it);
		}
		next = proto_str(reply, "next");
		if (!next || !next[0]) {
			cJSON_Delete(reply);
			break;
		}
		/* Each page must start past the last: never loop on an agent's say-so. */
		if (strlen(next) >= sizeof(after) || strcmp(next, after) == 0 || page >= 100000) {
			ctl_err("plugin list: the agent's next page (\"%s\") does not follow the last",
				ctl_safe(next));
			cJSON_Delete(reply);
			cJSON_Delete(all);
			return EXIT_FAILED;
		}
		snprintf(after, sizeof(after), "%s", next);
		cJSON_Delete(reply);
	}
	*list = all;
	return 0;
}

int ctl_parse_format(const char *s, enum out_format *f)
{
	if (strcmp(s, "json") == 0)
		*f = FMT_JSON;
	else if (strcmp(s, "table") == 0 || strcmp(s, "text") == 0)
		*f = FMT_TABLE;
	else if (strcmp(s, "prometheus") == 0)
		*f = FMT_PROMETHEUS;	/* status only (raggedctl.c checks) */
	else {
		ctl_err("--format: expected table|text|json|prometheus, got \"%.64s\"", s);
		return -1;
	}
	return 0;
}

void render_json(const cJSON *data)
{
	char *s = json_print(data);

	if (s) {
		puts(s);
		free(s);
	}
}

static void cell(const cJSON *row, const char *key, char *out, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, key);

	if (cJSON_IsString(v))
		text_escape_to(out, len, v->valuestring);
	else if (cJSON_IsNumber(v))
		snprintf(out, len, "%.0f", v->valuedouble);
	else if (cJSON_IsBool(v))
		snprintf(out, len, "%s", cJSON_IsTrue(v) ? "yes" : "no");
	else if (cJSON_IsArray(v)) {
		const cJSON *it;
		size_t n = 0;

		out[0] = '\0';
		cJSON_ArrayForEach(it, v) {
			if (cJSON_IsString(it))
				n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s%s",
						      n ? "," : "", ctl_safe(it->valuestring));
			if (n >= len)
				break;
		}
		if (!out[0])
			snprintf(out, len, "-");
	} else
		snprintf(out, len, "-");
}

void render_table(const char *const *headers, const char *const *keys, int ncols,
		  const cJSON *rows)
{
	size_t width[16] = { 0 };
	char buf[256];
	const cJSON *row;

	for (int i = 0; i < ncols && i < 16; i++)
		width[i] = strlen(headers[i]);
	cJSON_ArrayForEach(row, rows)
		for (int i = 0; i < ncols && i < 16; i++) {
			cell(row, keys[i], buf, sizeof(buf));
			if (strlen(buf) > width[i])
				width[i] = strlen(buf);
		}
	for (int i = 0; i < ncols && i < 16; i++)
		printf("%-*s%s", (int)width[i], headers[i], i + 1 < ncols ? "  " : "\n");
	cJSON_ArrayForEach(row, rows)
		for (int i = 0; i < ncols && i < 16; i++) {
			cell(row, keys[i], buf, sizeof(buf));
			printf("%-*s%s", (int)width[i], buf, i + 1 < ncols ? "  " : "\n");
		}
}

void render_kv(const cJSON *obj, int indent)
{
	const cJSON *it;
	char buf[512];

	cJSON_ArrayForEach(it, obj) {
		if (cJSON_IsObject(it)) {
			printf("%*s%s:\n", indent, "", ctl_safe(it->string));
			render_kv(it, indent + 2);
			continue;
		}
		cell(obj, it->string, buf, sizeof(buf));
		printf("%*s%-20s %s\n", indent, "", ctl_safe(it->string), buf);
	}
}

void ctl_show_endpoints(FILE *out, const cJSON *endpoints)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, endpoints) {
		const char *ep = proto_str(it, "endpoint"), *reaches = proto_str(it, "reaches");

		if (reaches)
			fprintf(out, "      endpoint %s  (high risk: reaches %s)\n",
				ep ? ctl_safe(ep) : "?", ctl_safe(reaches));
		else
			fprintf(out, "      endpoint %s\n", ep ? ctl_safe(ep) : "?");
	}
}

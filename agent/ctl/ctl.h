/* SPDX-License-Identifier: MIT */
/* raggedctl: commands, the agent connection, and the two renderers. */
#ifndef RAGGED_CTL_H
#define RAGGED_CTL_H

#include <stdio.h>
#include <stdbool.h>

#include <cjson/cJSON.h>

enum out_format { FMT_TABLE, FMT_JSON, FMT_PROMETHEUS };

struct ctl {
	const char *socket_path;
	enum out_format format;
};

/* Exit codes (docs/contract.md §5). */
#define EXIT_USAGE 2
#define EXIT_CONSENT 77
#define EXIT_SANDBOX 125

/* err(3)-style: "raggedctl: message" on stderr, one line, escaped (textesc.h). */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * s in the text encoding of textesc.h, for a printf argument: every string
 * raggedctl prints that the agent or a plugin supplied goes through it.
 * NULL for NULL; valid until 16 more calls.
 */
const char *ctl_safe(const char *s);
/* The same for a string of an audit record, whose \xNN escapes stand for bytes (textesc.h). */
const char *ctl_safe_logged(const char *s);

/* A request for the agent: {"cmd": CMD, "proto": the version this client speaks}. */
cJSON *ctl_req(const char *cmd);
int ctl_connect(const struct ctl *c);
/* Send one request (optionally with our stdio) and read one reply; -1 on error. */
int ctl_request(const struct ctl *c, cJSON *req, cJSON **reply);
/* The reply's data if ok, else print its error and return NULL (code in *code). */
cJSON *ctl_reply_data(cJSON *reply, int *code);
/*
 * One request, its reply: sends REQ (and frees it), sets *data to the
 * reply's data (NULL on any failure, the error already printed) and *reply
 * to the reply to free. Returns 0, or the exit status for the failure.
 */
int ctl_call(const struct ctl *c, cJSON *req, cJSON **data, cJSON **reply);

int ctl_parse_format(const char *s, enum out_format *f);

/* Renderers: one model (cJSON), two outputs. */
void render_json(const cJSON *data);
void render_table(const char *const *headers, const char *const *keys, int ncols,
		  const cJSON *rows);
void render_kv(const cJSON *obj, int indent);
/*
 * A permission's endpoints at install: one line each, with where it leads
 * when that is this host, its link or a private network (the consent
 * prompt draws the same list, prompt.c).
 */
void ctl_show_endpoints(FILE *out, const cJSON *endpoints);

int cmd_plugin(struct ctl *c, int argc, char **argv);
int cmd_run(struct ctl *c, int argc, char **argv);
int cmd_audit(struct ctl *c, int argc, char **argv);
int cmd_status(struct ctl *c, int argc, char **argv);
int cmd_permissions(struct ctl *c, int argc, char **argv);
int cmd_validate(struct ctl *c, int argc, char **argv);
int cmd_security(struct ctl *c, int argc, char **argv);
int cmd_advisories(struct ctl *c, int argc, char **argv);

#endif

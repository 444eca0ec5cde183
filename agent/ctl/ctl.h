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

/* The exit codes: one table for the client, the agent and the docs. */
#include "ragged/exitcodes.h"

/*
 * err(3)-style: "raggedctl: message" on stderr, one line, escaped
 * (textesc.h). With --format json (ctl_err_format) the messages are kept
 * and ctl_finish prints them as one JSON object instead.
 */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ctl_err_format(enum out_format f);
/*
 * dl.c: a library for one command (dlopen): fills slots[i] with names[i].
 * ctl_dl_need exits with "cannot load ..." (io_error) when it cannot.
 */
int ctl_dl_load(const char *soname, const char *const *names, void **slots, size_t n,
		char *err, size_t errlen);
void ctl_dl_need(const char *soname, const char *const *names, void **slots, size_t n);
/*
 * The end of every command: with --format json and a message kept, prints
 * {"error": {"code": NAME, "message": ..., "exit": status}} on stderr
 * ({"warning": {...}} for status 0). Returns status.
 */
int ctl_finish(int status);
/* The code name and meaning of an exit status in ragged/exitcodes.h, NULL if none (help.c). */
const char *ctl_exit_code_name(int status);
const char *ctl_exit_code_meaning(int status);
/* Set by run when its status is the plugin's own, not one of the table. */
extern bool ctl_status_is_plugins;
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
/* A connected fd, or minus the exit code: -EXIT_NO_AGENT (nothing listens), -EXIT_IO. */
int ctl_connect(const struct ctl *c);
/* Send one request and read one reply: 0, or minus the exit code (error printed). */
int ctl_request(const struct ctl *c, cJSON *req, cJSON **reply);
/* The reply's data if ok, else print its error and return NULL (code in *code). */
cJSON *ctl_reply_data(cJSON *reply, int *code);
/*
 * One request, its reply: sends REQ (and frees it), sets *data to the
 * reply's data (NULL on any failure, the error already printed) and *reply
 * to the reply to free. Returns 0, or the exit status for the failure.
 */
int ctl_call(const struct ctl *c, cJSON *req, cJSON **data, cJSON **reply);

/*
 * Every plugin the caller may see, page by page (root's list outgrows one
 * reply): *list is the whole array to free. Returns 0 or the exit status
 * (the error printed).
 */
int ctl_plugin_list(const struct ctl *c, cJSON **list);

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

/* The commands, each called with its parsed command line (cmdtab.c). */
struct ctl_args;
int cmd_plugin_install(struct ctl *c, const struct ctl_args *a);
int cmd_plugin_list(struct ctl *c, const struct ctl_args *a);
int cmd_plugin_validate(struct ctl *c, const struct ctl_args *a);
int cmd_plugin_permissions(struct ctl *c, const struct ctl_args *a);
int cmd_plugin_grant(struct ctl *c, const struct ctl_args *a);
int cmd_plugin_revoke(struct ctl *c, const struct ctl_args *a);
int cmd_run(struct ctl *c, const struct ctl_args *a);
int cmd_audit_show(struct ctl *c, const struct ctl_args *a);
int cmd_audit_follow(struct ctl *c, const struct ctl_args *a);
int cmd_audit_verify(struct ctl *c, const struct ctl_args *a);
int cmd_security_report(struct ctl *c, const struct ctl_args *a);
int cmd_permissions(struct ctl *c, const struct ctl_args *a);
int cmd_status(struct ctl *c, const struct ctl_args *a);
int cmd_advisories_update(struct ctl *c, const struct ctl_args *a);
int cmd_advisories_status(struct ctl *c, const struct ctl_args *a);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The agent's own diagnostics (not the audit log). In the foreground they
 * go to stderr; under systemd (stderr is the journal's stream, as
 * $JOURNAL_STREAM says) each line starts with its syslog priority "<N>",
 * which journald reads; a detached agent sends them to syslog. Never to
 * /dev/null.
 */
#ifndef RAGGED_LOG_H
#define RAGGED_LOG_H

#include <stdarg.h>
#include <syslog.h>

void log_init(void);		/* stderr; "<N>" prefixes when it is the journal */
void log_detach(void);		/* from now on: syslog(3) */
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int prio, const char *fmt, va_list ap);

#endif

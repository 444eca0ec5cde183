// SPDX-License-Identifier: MIT
#include "log.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool to_syslog, journal_prefix;

/* $JOURNAL_STREAM is "DEV:INO" of the stream systemd connected to stderr. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
	       (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(void)
{
	journal_prefix = stderr_is_journal();
}

void log_detach(void)
{
	openlog("raggedd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	to_syslog = true;
}

void log_vmsg(int prio, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';	/* one record per call */
	if (to_syslog)
		syslog(prio, "%s", line);
	else if (journal_prefix)
		fprintf(stderr, "<%d>%s\n", prio & LOG_PRIMASK, line);
	else
		fprintf(stderr, "raggedd: %s\n", line);
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
}

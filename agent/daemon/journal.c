// SPDX-License-Identifier: MIT
/*
 * A copy of each audit record for the journal, as structured fields
 * ([audit] journal = true): journald, and whatever forwards from it, can
 * filter on RAGGED_EVENT=, RAGGED_PLUGIN=, ... without parsing JSON. The
 * JSON log stays the authority: this copy is sent after the record is in
 * the log, never changes a decision or the chain, and a send that fails is
 * counted (journal_send_errors), not retried and not fatal.
 *
 * The mapping (docs/operations.md, "The audit stream in the journal"):
 * each top-level member NAME becomes RAGGED_<NAME>, each member of
 * "details" RAGGED_DETAIL_<NAME>; names are upper-cased, every character
 * outside [A-Z0-9_] becomes '_', and the whole field name is cut to the
 * journal's 64 characters. Strings go as they are (the binary form of the
 * native protocol for values with newlines), numbers in JSON notation,
 * arrays of strings joined by ",", other arrays and objects as compact
 * JSON. RAGGED_SEQ and RAGGED_HASH are the record's place in the chain.
 *
 * Sending never blocks the loop: the record goes as one datagram of
 * journald's native protocol on a non-blocking socket of our own
 * (libsystemd's sd_journal_sendv blocks while journald is not reading). A
 * journald that does not keep up costs journal copies, counted, never the
 * agent's time; a record too big for one datagram is counted the same way.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "agent.h"
#include "audit/audit.h"
#include "proto/proto.h"

#define JOURNAL_FIELD_MAX 64	/* journald refuses longer field names */
#define JOURNAL_FIELDS_MAX 128	/* more members than any record has */

struct fields {
	struct iovec iov[JOURNAL_FIELDS_MAX];
	size_t n;
	bool oom;
};

/* Adds "NAME=value"; the name is mapped as described above. */
static void add(struct fields *f, const char *prefix, const char *name, const char *value)
{
	char key[JOURNAL_FIELD_MAX + 1];
	size_t k = 0, vlen;
	char *s;

	if (f->n >= JOURNAL_FIELDS_MAX || !value)
		return;
	for (const char *p = prefix; *p && k < JOURNAL_FIELD_MAX; p++)
		key[k++] = *p;
	for (const char *p = name; *p && k < JOURNAL_FIELD_MAX; p++) {
		char c = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;

		key[k++] = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '_';
	}
	key[k] = '\0';
	vlen = strlen(value);
	if ((s = malloc(k + 1 + vlen + 1)) == NULL) {
		f->oom = true;
		return;
	}
	memcpy(s, key, k);
	s[k] = '=';
	memcpy(s + k + 1, value, vlen + 1);
	f->iov[f->n].iov_base = s;
	f->iov[f->n].iov_len = k + 1 + vlen;
	f->n++;
}

/* The value of a member as one string (malloc'd), see the mapping above. */
static char *value_of(const cJSON *v)
{
	char buf[64];

	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	if (cJSON_IsBool(v))
		return strdup(cJSON_IsTrue(v) ? "true" : "false");
	if (cJSON_IsNumber(v)) {
		/* Range first: casting a double beyond long long is undefined. */
		if (v->valuedouble > -9.2e18 && v->valuedouble < 9.2e18 &&
		    v->valuedouble == (double)(long long)v->valuedouble)
			snprintf(buf, sizeof(buf), "%lld", (long long)v->valuedouble);
		else
			snprintf(buf, sizeof(buf), "%.17g", v->valuedouble);
		return strdup(buf);
	}
	if (cJSON_IsArray(v)) {
		const cJSON *it;
		size_t len = 1;
		bool strings = true;
		char *s;

		cJSON_ArrayForEach(it, v) {
			strings = strings && cJSON_IsString(it);
			len += strings ? strlen(it->valuestring) + 1 : 0;
		}
		if (strings && (s = calloc(1, len)) != NULL) {
			cJSON_ArrayForEach(it, v) {
				if (s[0])
					strcat(s, ",");
				strcat(s, it->valuestring);
			}
			return s;
		}
		if (strings)
			return NULL;
	}
	return cJSON_PrintUnformatted(v);
}

static void add_members(struct fields *f, const char *prefix, const cJSON *obj, bool top)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, obj) {
		char *v;

		if (!it->string || (top && strcmp(it->string, "details") == 0))
			continue;	/* details: one field per member, below */
		if ((v = value_of(it)) == NULL) {
			f->oom = true;
			continue;
		}
		add(f, prefix, it->string, v);
		free(v);
	}
}

/* denied and failure are what an operator watches for; the rest is information. */
static int priority_of(const char *result)
{
	if (!result)
		return LOG_INFO;
	if (strcmp(result, "failure") == 0)
		return LOG_ERR;
	if (strcmp(result, "denied") == 0)
		return LOG_WARNING;
	if (strcmp(result, "allowed") == 0)
		return LOG_NOTICE;
	return LOG_INFO;
}

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

/*
 * The fields as one native-protocol datagram: "KEY=value\n", or for a value
 * with a newline "KEY\n", its length as 64-bit little endian, the value,
 * "\n". Sent with MSG_DONTWAIT: -1 when journald is away or behind.
 */
static int send_fields(const struct fields *f)
{
	static int fd = -1;
	static const struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };
	size_t len = 0, at = 0;
	char *buf;
	ssize_t n;

	for (size_t i = 0; i < f->n; i++)
		len += f->iov[i].iov_len + 1 + 8;
	if (!(buf = malloc(len)))
		return -1;
	for (size_t i = 0; i < f->n; i++) {
		const char *kv = f->iov[i].iov_base, *eq = strchr(kv, '=');
		size_t k = (size_t)(eq - kv), vlen = f->iov[i].iov_len - k - 1;

		if (memchr(eq + 1, '\n', vlen)) {
			uint64_t le = htole64((uint64_t)vlen);

			memcpy(buf + at, kv, k);
			buf[at + k] = '\n';
			memcpy(buf + at + k + 1, &le, 8);
			memcpy(buf + at + k + 9, eq + 1, vlen);
			at += k + 9 + vlen;
		} else {
			memcpy(buf + at, kv, f->iov[i].iov_len);
			at += f->iov[i].iov_len;
		}
		buf[at++] = '\n';
	}
	if (fd < 0)
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	n = fd < 0 ? -1 : sendto(fd, buf, at, MSG_DONTWAIT | MSG_NOSIGNAL,
				 (const struct sockaddr *)&sa, sizeof(sa));
	free(buf);
	return n == (ssize_t)at ? 0 : -1;
}

int journal_send_record(const cJSON *rec, uint64_t seq, const char *hash)
{
	const char *event = proto_str(rec, "event"), *result = proto_str(rec, "result");
	const char *plugin = proto_str(rec, "plugin"), *run = proto_str(rec, "run_id");
	struct fields f = { .n = 0 };
	char msg[512], num[32];
	int rc;

	snprintf(msg, sizeof(msg), "audit %s%s%s%s%s%s%s seq=%llu", event ? event : "?",
		 result ? " " : "", result ? result : "", plugin ? " plugin=" : "",
		 plugin ? plugin : "", run ? " run=" : "", run ? run : "", (unsigned long long)seq);
	msg[strcspn(msg, "\n")] = '\0';	/* MESSAGE is one line; the fields keep the rest */
	add(&f, "", "MESSAGE", msg);
	snprintf(num, sizeof(num), "%d", priority_of(result));
	add(&f, "", "PRIORITY", num);
	add(&f, "", "SYSLOG_IDENTIFIER", "raggedd");
	snprintf(num, sizeof(num), "%llu", (unsigned long long)seq);
	add(&f, "RAGGED_", "SEQ", num);
	add(&f, "RAGGED_", "HASH", hash);
	add_members(&f, "RAGGED_", rec, true);
	add_members(&f, "RAGGED_DETAIL_", cJSON_GetObjectItemCaseSensitive(rec, "details"), false);
	rc = f.oom ? -1 : send_fields(&f);
	for (size_t i = 0; i < f.n; i++)
		free(f.iov[i].iov_base);
	return rc;
}

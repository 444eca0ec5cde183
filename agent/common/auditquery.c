/* SPDX-License-Identifier: MIT */
/*
 * The read side of the audit log: names, time stamps, the file set and the
 * filters of `raggedctl audit show`. See docs/audit-format.md.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auditquery.h"

const char *const audit_event_names[] = {
	"plugin_installed", "plugin_loaded", "validation_finding",
	"permission_requested", "permission_granted", "permission_denied",
	"permission_revoked", "plugin_executed", "plugin_failed",
	"file_access", "network_access", "permission_violation",
	"sandbox_escape_attempt", "resource_limit_exceeded", "config_change",
	"events_suppressed", "events_lost", "agent_started", "agent_stopped",
	"audit_recovered", "audit_retention", NULL,
};

/*
 * success: the operation or run completed; failure: it ran and failed (a
 * plugin's non-zero exit); denied/allowed: a permission or access decision;
 * killed: ended by a signal or a limit; error: ragged itself failed.
 */
const char *const audit_result_names[] = {
	"success", "failure", "denied", "allowed", "killed", "error", NULL,
};

static bool
in_list(const char *const *list, const char *name)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

bool
audit_event_known(const char *name)
{
	return name != NULL && in_list(audit_event_names, name);
}

bool
audit_result_known(const char *name)
{
	return name != NULL && in_list(audit_result_names, name);
}

/* Howard Hinnant's days_from_civil: proleptic Gregorian, no libc time zone state. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

#define AUDIT_MS_MAX 253402300799999LL	/* 9999-12-31T23:59:59.999Z */

/* Write v as exactly n decimal digits. */
static char *
put_digits(char *p, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

/* Hand-rolled: this runs once per audit record, and gmtime_r takes a lock. */
void
audit_time_format(int64_t ms, char out[AUDIT_TIME_LEN + 1])
{
	int64_t rem;
	unsigned m, d;
	int y;
	char *p = out;

	if (ms < 0)
		ms = 0;
	if (ms > AUDIT_MS_MAX)
		ms = AUDIT_MS_MAX;
	rem = ms % 86400000;
	civil_from_days(ms / 86400000, &y, &m, &d);
	p = put_digits(p, (unsigned)y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, (unsigned)(rem / 3600000), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)(rem / 60000 % 60), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)(rem / 1000 % 60), 2);
	*p++ = '.';
	p = put_digits(p, (unsigned)(rem % 1000), 3);
	*p++ = 'Z';
	*p = '\0';
}

/* Exactly n digits at *p, advancing it. -1 when any is missing. */
static int
digits(const char **p, int n)
{
	int v = 0;

	for (; n > 0; n--, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
	}
	return v;
}

static unsigned
days_in_month(int y, unsigned m)
{
	static const unsigned dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

/* "HH:MM:SS[.frac]" then "Z" or "+HH:MM"/"-HH:MM": ms into the day, minus the offset. */
static int
parse_clock(const char *p, int64_t *ms)
{
	int hh, mi, ss, oh, om, frac = 0, scale = 100;
	int64_t off = 0;

	hh = digits(&p, 2);
	if (hh < 0 || hh > 23 || *p++ != ':' || (mi = digits(&p, 2)) < 0 ||
	    mi > 59 || *p++ != ':' || (ss = digits(&p, 2)) < 0 || ss > 60)
		return -1;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return -1;
		for (int n = 0; isdigit((unsigned char)*p); n++, p++) {
			if (n >= 9)
				return -1;
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1;

		if ((oh = digits(&p, 2)) < 0 || oh > 23 || *p++ != ':' ||
		    (om = digits(&p, 2)) < 0 || om > 59)
			return -1;
		off = sign * (oh * 3600000LL + om * 60000LL);
	} else {
		return -1;	/* a local time without offset is ambiguous */
	}
	if (*p != '\0')
		return -1;
	*ms = hh * 3600000LL + mi * 60000LL + ss * 1000LL + frac - off;
	return 0;
}

int
audit_time_parse(const char *s, int64_t *ms)
{
	const char *p = s;
	int y, mo, d;
	int64_t day_ms = 0;

	if ((y = digits(&p, 4)) < 0 || *p++ != '-' || (mo = digits(&p, 2)) < 1 ||
	    mo > 12 || *p++ != '-' || (d = digits(&p, 2)) < 1 ||
	    (unsigned)d > days_in_month(y, (unsigned)mo))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		if (parse_clock(p + 1, &day_ms) < 0)
			return -1;
	} else if (*p != '\0') {
		return -1;
	}
	*ms = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400000LL + day_ms;
	return 0;
}

int
audit_time_arg(const char *s, int64_t now_ms, int64_t *ms)
{
	const char *p;
	int64_t n = 0, unit;
	int nd = 0;

	if (s[0] != '-')
		return audit_time_parse(s, ms);
	for (p = s + 1; isdigit((unsigned char)*p); p++, nd++) {
		if (nd >= 9)	/* 999999999 days still fits int64 ms */
			return -1;
		n = n * 10 + (*p - '0');
	}
	switch (*p) {
	case 'd': unit = 86400000; break;
	case 'h': unit = 3600000; break;
	case 'm': unit = 60000; break;
	case 's': unit = 1000; break;
	default: return -1;
	}
	if (nd == 0 || p[1] != '\0')
		return -1;
	*ms = now_ms - n * unit;
	return 0;
}

void
audit_files_free(struct audit_files *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->paths[i]);
	free(f->paths);
	free(f->last_seq);
	memset(f, 0, sizeof(*f));
}

static int
cmp_seq(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

/* "<base>.<20 digits>" → the digits' value; false for any other name. */
static bool
rotated_name(const char *name, const char *base, size_t blen, uint64_t *seq)
{
	const char *p;

	if (strncmp(name, base, blen) != 0 || name[blen] != '.')
		return false;
	p = name + blen + 1;
	if (strlen(p) != 20)
		return false;
	*seq = 0;
	for (; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p) || *seq > UINT64_MAX / 10 - 1)
			return false;
		*seq = *seq * 10 + (uint64_t)(*p - '0');
	}
	return true;
}

static int
files_push(struct audit_files *f, char *path, uint64_t seq)
{
	char **np;
	uint64_t *ns;

	if (path == NULL)
		return -1;
	np = realloc(f->paths, (f->n + 1) * sizeof(*np));
	if (np != NULL)
		f->paths = np;
	ns = realloc(f->last_seq, (f->n + 1) * sizeof(*ns));
	if (ns != NULL)
		f->last_seq = ns;
	if (np == NULL || ns == NULL) {
		free(path);
		return -1;
	}
	f->paths[f->n] = path;
	f->last_seq[f->n++] = seq;
	return 0;
}

int
audit_files_list(const char *path, struct audit_files *f)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? strdup(".") :
	    strndup(path, slash == path ? 1 : (size_t)(slash - path));
	const char *base = slash == NULL ? path : slash + 1;
	uint64_t *seqs = NULL, seq;
	size_t nseqs = 0, blen = strlen(base);
	struct dirent *de;
	DIR *d;
	int rc = -1;

	memset(f, 0, sizeof(*f));
	if (dir == NULL || (d = opendir(dir)) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		uint64_t *n;

		if (!rotated_name(de->d_name, base, blen, &seq))
			continue;
		if ((n = realloc(seqs, (nseqs + 1) * sizeof(*n))) == NULL) {
			closedir(d);
			goto out;
		}
		seqs = n;
		seqs[nseqs++] = seq;
	}
	closedir(d);
	if (nseqs > 0)
		qsort(seqs, nseqs, sizeof(*seqs), cmp_seq);
	for (size_t i = 0; i < nseqs; i++) {
		char *p;

		if (asprintf(&p, "%s.%020llu", path, (unsigned long long)seqs[i]) < 0)
			p = NULL;
		if (files_push(f, p, seqs[i]) < 0)
			goto out;
	}
	if (access(path, F_OK) == 0) {
		if (files_push(f, strdup(path), 0) < 0)
			goto out;
		f->has_current = true;
	}
	rc = 0;
out:
	if (rc < 0)
		audit_files_free(f);
	free(seqs);
	free(dir);
	return rc;
}

static int
each_line_in(const char *file, bool last, audit_line_cb cb, void *arg)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	struct stat st;
	ssize_t n;
	int rc = 0;
	FILE *fp;

	if (fd < 0)	/* ENOENT: removed by retention since the listing */
		return errno == ENOENT ? 0 : -1;
	/* The agent reads as root: a planted symlink or FIFO is not part of the log. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	while (rc == 0 && (n = getline(&line, &cap, fp)) > 0) {
		bool torn = line[n - 1] != '\n';

		if (!torn)
			line[--n] = '\0';
		rc = cb(file, ++lineno, line, (size_t)n, torn, last, arg);
	}
	if (rc == 0 && ferror(fp))
		rc = -1;
	free(line);
	fclose(fp);
	return rc;
}

int
audit_files_each_line(const char *path, audit_line_cb cb, void *arg)
{
	struct audit_files f;
	int rc = 0;

	if (audit_files_list(path, &f) < 0)
		return -1;
	if (f.n == 0) {
		errno = ENOENT;
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < f.n; i++)
		rc = each_line_in(f.paths[i], i + 1 == f.n, cb, arg);
	audit_files_free(&f);
	return rc;
}

cJSON *
audit_parse_line(const char *line, size_t len)
{
	const char *end = NULL;
	cJSON *j;

	if (len == 0 || memchr(line, '\0', len) != NULL)
		return NULL;
	j = cJSON_ParseWithLengthOpts(line, len, &end, 0);
	if (j != NULL && (!cJSON_IsObject(j) || end != line + len)) {
		cJSON_Delete(j);
		j = NULL;
	}
	return j;
}

void
auditquery_init(struct auditquery *q)
{
	memset(q, 0, sizeof(*q));
}

/* SPEC §3 plugin names: [a-z0-9][a-z0-9-]{0,63}. */
static bool
plugin_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > AUDIT_NAME_MAX || s[0] == '-')
		return false;
	for (; *s != '\0'; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

static int
bad(char *err, size_t errlen, const char *opt, const char *msg, const char *val)
{
	char shown[80];
	size_t i;

	/* The value is user input: keep the error one short printable line. */
	for (i = 0; val != NULL && val[i] != '\0' && i + 4 < sizeof(shown); i++)
		shown[i] = isprint((unsigned char)val[i]) ? val[i] : '?';
	shown[i] = '\0';
	if (val != NULL && val[i] != '\0')
		strcpy(shown + i, "...");
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s \"%s\"", opt, msg, shown);
	return -1;
}

static int
set_name(char *dst, size_t dstlen, const char *opt, const char *val,
	 bool ok, const char *msg, char *err, size_t errlen)
{
	if (dst[0] != '\0')
		return bad(err, errlen, opt, "given twice, second value", val);
	if (!ok || strlen(val) >= dstlen)
		return bad(err, errlen, opt, msg, val);
	strcpy(dst, val);
	return 0;
}

static int
set_time(bool *has, int64_t *ms, const char *opt, const char *val,
	 int64_t now_ms, char *err, size_t errlen)
{
	if (*has)
		return bad(err, errlen, opt, "given twice, second value", val);
	if (audit_time_arg(val, now_ms, ms) < 0)
		return bad(err, errlen, opt,
		    "expected -Nd, -Nh, -Nm, -Ns or RFC 3339, got", val);
	*has = true;
	return 0;
}

int
auditquery_option(struct auditquery *q, const char *opt, const char *val,
		  int64_t now_ms, char *err, size_t errlen)
{
	if (val == NULL)
		val = "";
	if (strcmp(opt, "--plugin") == 0)
		return set_name(q->plugin, sizeof(q->plugin), opt, val,
		    plugin_name_ok(val), "invalid plugin name", err, errlen);
	if (strcmp(opt, "--event") == 0)
		return set_name(q->event, sizeof(q->event), opt, val,
		    audit_event_known(val), "unknown event", err, errlen);
	if (strcmp(opt, "--result") == 0)
		return set_name(q->result, sizeof(q->result), opt, val,
		    audit_result_known(val),
		    "expected success|failure|denied|allowed|killed|error, got",
		    err, errlen);
	if (strcmp(opt, "--since") == 0)
		return set_time(&q->has_since, &q->since_ms, opt, val, now_ms,
		    err, errlen);
	if (strcmp(opt, "--until") == 0)
		return set_time(&q->has_until, &q->until_ms, opt, val, now_ms,
		    err, errlen);
	return 1;
}

int
auditquery_check(const struct auditquery *q, char *err, size_t errlen)
{
	char a[AUDIT_TIME_LEN + 1], b[AUDIT_TIME_LEN + 1];

	if (q->has_since && q->has_until && q->since_ms > q->until_ms) {
		audit_time_format(q->since_ms, a);
		audit_time_format(q->until_ms, b);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "--until: %s is before --since %s", b, a);
		return -1;
	}
	return 0;
}

int
auditquery_parse_args(struct auditquery *q, int argc, char *const argv[],
		      int64_t now_ms, char *err, size_t errlen)
{
	for (int i = 0; i < argc; i++) {
		char opt[16];
		const char *val, *eq = strchr(argv[i], '=');
		size_t olen = eq != NULL ? (size_t)(eq - argv[i]) : strlen(argv[i]);
		int rc;

		if (strncmp(argv[i], "--", 2) != 0 || olen >= sizeof(opt))
			return bad(err, errlen, "audit show", "unknown argument", argv[i]);
		memcpy(opt, argv[i], olen);
		opt[olen] = '\0';
		if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return bad(err, errlen, opt, "missing value", "");
		rc = auditquery_option(q, opt, val, now_ms, err, errlen);
		if (rc == 1)
			return bad(err, errlen, "audit show", "unknown option", opt);
		if (rc < 0)
			return -1;
	}
	return auditquery_check(q, err, errlen);
}

void
auditquery_restrict(struct auditquery *q, uid_t uid, const char *user)
{
	q->restricted = uid != 0;
	q->uid = uid;
	q->user[0] = '\0';
	if (user != NULL && strlen(user) < sizeof(q->user))
		strcpy(q->user, user);
}

static bool
str_is(const cJSON *rec, const char *key, const char *want)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, key));

	return v != NULL && strcmp(v, want) == 0;
}

/* The numeric uid is authoritative; user_id only for records without one. */
static bool
user_match(const struct auditquery *q, const cJSON *rec)
{
	const cJSON *uid = cJSON_GetObjectItemCaseSensitive(rec, "uid");

	if (uid != NULL)
		return cJSON_IsNumber(uid) && uid->valuedouble == (double)q->uid;
	return q->user[0] != '\0' && str_is(rec, "user_id", q->user);
}

bool
auditquery_match(const struct auditquery *q, const cJSON *rec)
{
	const char *ts;
	int64_t ms;

	if (!cJSON_IsObject(rec))
		return false;
	if (q->restricted && !user_match(q, rec))
		return false;
	if ((q->plugin[0] != '\0' && !str_is(rec, "plugin", q->plugin)) ||
	    (q->event[0] != '\0' && !str_is(rec, "event", q->event)) ||
	    (q->result[0] != '\0' && !str_is(rec, "result", q->result)))
		return false;
	if (!q->has_since && !q->has_until)
		return true;
	ts = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "timestamp"));
	if (ts == NULL || audit_time_parse(ts, &ms) < 0)
		return false;
	return (!q->has_since || ms >= q->since_ms) &&
	    (!q->has_until || ms <= q->until_ms);
}

cJSON *
auditquery_to_json(const struct auditquery *q)
{
	cJSON *o = cJSON_CreateObject();
	char t[AUDIT_TIME_LEN + 1];
	bool ok = o != NULL;

	if (ok && q->plugin[0] != '\0')
		ok = cJSON_AddStringToObject(o, "plugin", q->plugin) != NULL;
	if (ok && q->event[0] != '\0')
		ok = cJSON_AddStringToObject(o, "event", q->event) != NULL;
	if (ok && q->result[0] != '\0')
		ok = cJSON_AddStringToObject(o, "result", q->result) != NULL;
	if (ok && q->has_since) {
		audit_time_format(q->since_ms, t);
		ok = cJSON_AddStringToObject(o, "since", t) != NULL;
	}
	if (ok && q->has_until) {
		audit_time_format(q->until_ms, t);
		ok = cJSON_AddStringToObject(o, "until", t) != NULL;
	}
	if (!ok) {
		cJSON_Delete(o);
		o = NULL;
	}
	return o;
}

/* Same validation as the options; relative times are not accepted on the wire. */
int
auditquery_from_json(struct auditquery *q, const cJSON *obj,
		     char *err, size_t errlen)
{
	const cJSON *it;

	auditquery_init(q);
	if (!cJSON_IsObject(obj))
		return bad(err, errlen, "query", "not an object", "");
	cJSON_ArrayForEach(it, obj) {
		char opt[16];
		const char *v = cJSON_GetStringValue(it);

		if (it->string == NULL || strlen(it->string) > 6 ||
		    (strcmp(it->string, "plugin") != 0 && strcmp(it->string, "event") != 0 &&
		     strcmp(it->string, "result") != 0 && strcmp(it->string, "since") != 0 &&
		     strcmp(it->string, "until") != 0))
			return bad(err, errlen, "query", "unknown key",
			    it->string != NULL ? it->string : "");
		snprintf(opt, sizeof(opt), "--%s", it->string);
		if (v == NULL)
			return bad(err, errlen, opt, "not a string", "");
		if (v[0] == '-')
			return bad(err, errlen, opt, "relative time on the wire", v);
		if (auditquery_option(q, opt, v, 0, err, errlen) != 0)
			return -1;
	}
	return auditquery_check(q, err, errlen);
}

struct scan_ctx {
	const struct auditquery *q;
	auditquery_cb cb;
	void *arg;
	struct auditquery_stats *st;
};

static int
scan_line(const char *file, unsigned long lineno, const char *line, size_t len,
	  bool torn, bool last_file, void *arg)
{
	struct scan_ctx *c = arg;
	cJSON *rec;
	int rc = 0;

	if (torn && last_file) {
		c->st->torn_bytes += len;
		return 0;
	}
	c->st->lines++;
	if ((rec = audit_parse_line(line, len)) == NULL) {
		c->st->unparsable++;
		return 0;
	}
	if (auditquery_match(c->q, rec)) {
		c->st->matched++;
		rc = c->cb != NULL ? c->cb(rec, line, len, c->arg) : 0;
	}
	cJSON_Delete(rec);
	return rc;
}

int
auditquery_scan(const char *path, const struct auditquery *q,
		auditquery_cb cb, void *arg, struct auditquery_stats *st)
{
	struct auditquery_stats dummy;
	struct scan_ctx c = { q, cb, arg, st != NULL ? st : &dummy };

	memset(c.st, 0, sizeof(*c.st));
	return audit_files_each_line(path, scan_line, &c);
}

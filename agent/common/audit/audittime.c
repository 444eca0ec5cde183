/* SPDX-License-Identifier: MIT */
/*
 * The audit log's time stamps: RFC 3339 in UTC with milliseconds, and the
 * relative times of --since/--until. See docs/audit-format.md.
 */
#include <ctype.h>

#include "auditquery.h"
#include "util/util.h"

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

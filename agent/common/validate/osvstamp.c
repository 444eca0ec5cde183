// SPDX-License-Identifier: MIT
#include "osvstamp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

static int copy_str(const cJSON *o, const char *key, char *dst, size_t len, int required)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsString(v))
		return required && !cJSON_IsNull(v) ? -1 : (dst[0] = '\0', 0);
	if (strlen(v->valuestring) >= len)
		return -1;
	strcpy(dst, v->valuestring);
	return 0;
}

static int get_num(const cJSON *o, const char *key, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0)
		return -1;
	*out = v->valuedouble;
	return 0;
}

int osv_stamp_read(const char *dir, struct osv_stamp *st)
{
	char path[4096], buf[OSV_STAMP_MAX + 1];
	struct stat sb;
	double n, t, pt = 0;
	ssize_t len;
	cJSON *o;
	int fd, bad;

	memset(st, 0, sizeof(*st));
	if (snprintf(path, sizeof(path), "%s/%s", dir, OSV_STAMP_NAME) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if ((sb.st_uid != 0 && sb.st_uid != geteuid()) || (sb.st_mode & (S_IWGRP | S_IWOTH))) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	len = read(fd, buf, OSV_STAMP_MAX);
	close(fd);
	if (len < 0)
		return -1;
	buf[len] = '\0';
	o = cJSON_Parse(buf);
	bad = !cJSON_IsObject(o) || copy_str(o, "fetched_at", st->fetched_at, sizeof(st->fetched_at), 1) ||
	      copy_str(o, "source", st->source, sizeof(st->source), 1) ||
	      copy_str(o, "sha256", st->sha256, sizeof(st->sha256), 1) ||
	      copy_str(o, "previous_fetched_at", st->previous_fetched_at,
		       sizeof(st->previous_fetched_at), 0) ||
	      get_num(o, "fetched_at_unix", &t) || get_num(o, "count", &n) ||
	      (st->previous_fetched_at[0] && get_num(o, "previous_fetched_at_unix", &pt));
	cJSON_Delete(o);
	if (bad) {
		errno = EINVAL;
		return -1;
	}
	st->fetched_unix = (int64_t)t;
	st->count = (uint64_t)n;
	st->previous_unix = (int64_t)pt;
	return 0;
}

char *osv_stamp_json(const struct osv_stamp *st)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "fetched_at", st->fetched_at);
	cJSON_AddNumberToObject(o, "fetched_at_unix", (double)st->fetched_unix);
	cJSON_AddStringToObject(o, "source", st->source);
	cJSON_AddNumberToObject(o, "count", (double)st->count);
	cJSON_AddStringToObject(o, "sha256", st->sha256);
	if (st->previous_fetched_at[0]) {
		cJSON_AddStringToObject(o, "previous_fetched_at", st->previous_fetched_at);
		cJSON_AddNumberToObject(o, "previous_fetched_at_unix", (double)st->previous_unix);
	}
	s = cJSON_Print(o);
	cJSON_Delete(o);
	return s;
}

int64_t osv_stamp_age_days(const struct osv_stamp *st, int64_t now_unix)
{
	return now_unix > st->fetched_unix ? (now_unix - st->fetched_unix) / 86400 : 0;
}

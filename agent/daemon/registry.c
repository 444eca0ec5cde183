// SPDX-License-Identifier: MIT
/*
 * Plugin registry and consent store, one small JSON file per (user, plugin)
 * under the state dir, replaced atomically (write_atomic: temp, fsync,
 * rename, fsync dir). A store that cannot be read or parsed is an error and
 * grants nothing: consent fails closed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "util/util.h"
#include "proto/proto.h"

#define REGISTRY_MAX_FILE (256 * 1024)

bool plugin_name_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > MANIFEST_NAME_MAX || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static int entry_path(const struct agent *a, const char *kind, uid_t uid, const char *name,
		      char *out, size_t len)
{
	if (name)
		return xsnprintf(out, len, "%s/%s/%u/%s.json", a->cfg.state_dir, kind,
				 (unsigned)uid, name);
	return xsnprintf(out, len, "%s/%s/%u", a->cfg.state_dir, kind, (unsigned)uid);
}

static cJSON *read_json(const char *path, char *err, size_t errlen)
{
	char *buf = malloc(REGISTRY_MAX_FILE + 1);
	cJSON *j = NULL;
	ssize_t n;

	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n = read_file(path, buf, REGISTRY_MAX_FILE + 1);
	if (n < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	else if (!(j = cJSON_ParseWithLength(buf, (size_t)n)) || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		j = NULL;
		snprintf(err, errlen, "%s: corrupt (not a JSON object)", path);
	}
	free(buf);
	return j;
}

static int write_json(const char *path, const cJSON *j, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	char *text = cJSON_Print(j);
	char *slash;
	int rc;

	if (!text) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	rc = mkdir_p(dir, 0700) < 0 ? -1 : write_atomic(path, text, strlen(text), 0600);
	if (rc < 0)
		snprintf(err, errlen, "write %s: %s", path, strerror(errno));
	free(text);
	return rc;
}

/*
 * The plugin's code must be what the user installed: the directory must
 * belong to the caller (or root) and not be writable by anyone else.
 */
static int check_dir(const char *dir, uid_t uid, char *err, size_t errlen)
{
	struct stat st;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		return -1;
	}
	if (st.st_uid != uid && st.st_uid != 0) {
		snprintf(err, errlen, "%s: owned by uid %u, not by you", dir, (unsigned)st.st_uid);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s: writable by group or others; fix with chmod go-w", dir);
		return -1;
	}
	if (uid != 0 && st.st_uid == 0 && !(st.st_mode & S_IROTH)) {
		snprintf(err, errlen, "%s: not readable by you", dir);
		return -1;
	}
	return 0;
}

/*
 * For the registry entry and the consent prompt: every endpoint network:api would grant, as the manifest spells it, and
 * where it leads when that is this host, its link or a private network.
 */
cJSON *consent_endpoints_json(const struct manifest *m, bool *any_local)
{
	cJSON *arr = cJSON_CreateArray();

	*any_local = false;
	for (size_t i = 0; arr && i < m->n_endpoints; i++) {
		const struct manifest_endpoint *ep = &m->endpoints[i];
		const char *scope = net_endpoint_scope(ep->host, ep->is_cidr, ep->prefix);
		cJSON *o = cJSON_CreateObject();
		char s[300];

		net_format_endpoint(s, sizeof(s), ep->host, ep->is_cidr, ep->prefix, ep->port);
		cJSON_AddStringToObject(o, "endpoint", s);
		if (scope) {
			cJSON_AddStringToObject(o, "reaches", scope);
			*any_local = true;
		}
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

int registry_install(struct agent *a, uid_t uid, const char *dir_in, bool replace,
		     bool accept_risk, cJSON **out, char *err, size_t errlen)
{
	char dir[PATH_MAX], mpath[PATH_MAX], path[PATH_MAX], digest[65], ts[32];
	struct manifest m;
	cJSON *e, *vet = NULL;
	char vdigest[65] = "";
	int vrc;
	uint64_t ms;

	*out = NULL;
	if (!dir_in || !realpath(dir_in, dir)) {
		snprintf(err, errlen, "%s: %s", dir_in ? dir_in : "(none)", strerror(errno));
		return -1;
	}
	if (check_dir(dir, uid, err, errlen) < 0 ||
	    xsnprintf(mpath, sizeof(mpath), "%s/plugin.toml", dir) < 0)
		return -EXIT_FAILED;
	if (manifest_load(mpath, &m, err, errlen) < 0)
		return -EXIT_BAD_INPUT;
	if (entry_path(a, "plugins", uid, m.name, path, sizeof(path)) < 0) {
		manifest_free(&m);
		snprintf(err, errlen, "state path too long");
		return -1;
	}
	if (!replace && access(path, F_OK) == 0) {
		snprintf(err, errlen, "plugin %s is already installed; use --replace", m.name);
		manifest_free(&m);
		return -1;
	}
	/*
	 * Findings become audit records; a blocking one refuses the install
	 * unless the user accepts that risk explicitly (--accept-risk), which
	 * holds for exactly the scanned content: any change blocks again.
	 */
	vrc = vet_plugin(a, dir, &m, uid, true, accept_risk, &vet, vdigest, err, errlen);
	if (vrc < 0 || (vrc == 1 && !accept_risk)) {
		if (vrc == 1)
			snprintf(err + strlen(err), errlen - strlen(err),
				 "; to install anyway, accept the risk with --accept-risk");
		cJSON_Delete(vet);
		manifest_free(&m);
		return vrc == 1 ? -EXIT_FINDINGS : -EXIT_FAILED;
	}
	manifest_digest_hex(&m, digest);
	ms = now_realtime_ms();
	format_rfc3339_ms((int64_t)ms, ts);
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "name", m.name);
	cJSON_AddStringToObject(e, "version", m.version);
	cJSON_AddStringToObject(e, "type", plugin_type_name(m.type));
	cJSON_AddStringToObject(e, "dir", dir);
	cJSON_AddStringToObject(e, "digest", digest);
	cJSON_AddStringToObject(e, "installed_at", ts);
	cJSON_AddNumberToObject(e, "uid", uid);
	cJSON_AddItemToObject(e, "required", perm_mask_to_json(m.required));
	cJSON_AddItemToObject(e, "optional", perm_mask_to_json(m.optional));
	if (m.n_endpoints > 0) {
		bool local;

		cJSON_AddItemToObject(e, "endpoints", consent_endpoints_json(&m, &local));
	}
	cJSON_AddItemToObject(e, "validation", vet);
	if (vrc == 1)
		cJSON_AddStringToObject(e, "accepted_risk_digest", vdigest);
	manifest_free(&m);
	if (write_json(path, e, err, errlen) < 0) {
		cJSON_Delete(e);
		return -1;
	}
	*out = e;
	return 0;
}

void registry_note_vetting(struct agent *a, uid_t uid, const cJSON *entry, const cJSON *vet)
{
	const char *d = proto_str(vet, "digest"), *name = proto_str(entry, "name");
	const cJSON *inst = cJSON_GetObjectItemCaseSensitive(entry, "validation");
	const cJSON *last = cJSON_GetObjectItemCaseSensitive(entry, "validation_last_run");
	char path[PATH_MAX], err[256];
	cJSON *e;

	if (!d || !plugin_name_valid(name) || !strcmp(d, proto_str(inst, "digest") ?: "") ||
	    !strcmp(d, proto_str(last, "digest") ?: "") ||
	    entry_path(a, "plugins", uid, name, path, sizeof(path)) < 0)
		return;
	if (!(e = cJSON_Duplicate(entry, true)))
		return;
	cJSON_DeleteItemFromObjectCaseSensitive(e, "validation_last_run");
	cJSON_AddItemToObject(e, "validation_last_run", cJSON_Duplicate(vet, true));
	if (write_json(path, e, err, sizeof(err)) < 0)
		fprintf(stderr, "raggedd: plugin %s: keeping the run's vetting result: %s\n", name, err);
	cJSON_Delete(e);
}

int registry_lookup(struct agent *a, uid_t uid, const char *name, cJSON **entry,
		    char *err, size_t errlen)
{
	const cJSON *kept = NULL;
	struct file_stamp st;
	char path[PATH_MAX];
	int settled;

	*entry = NULL;
	if (!plugin_name_valid(name)) {
		snprintf(err, errlen, "invalid plugin name");
		return -1;
	}
	if (entry_path(a, "plugins", uid, name, path, sizeof(path)) < 0) {
		snprintf(err, errlen, "state path too long");
		return -1;
	}
	/* The entry kept from an earlier run while the file is unchanged (util/stamp.h). */
	settled = file_stamp(path, true, &st);
	if (settled < 0) {
		snprintf(err, errlen, "plugin %s is not installed", name);
		return -1;
	}
	if (settled == 1 && (kept = file_cache_get(&a->entries, path, &st)))
		*entry = cJSON_Duplicate(kept, true);
	else if ((*entry = read_json(path, err, errlen)) && settled == 1)
		file_cache_put(&a->entries, path, &st, cJSON_Duplicate(*entry, true), json_val_free);
	if (!*entry && kept)
		snprintf(err, errlen, "out of memory");
	return *entry ? 0 : -1;
}

static void list_uid(struct agent *a, uid_t uid, cJSON *arr)
{
	char dir[PATH_MAX], err[256];
	struct dirent *de;
	DIR *d;

	if (entry_path(a, "plugins", uid, NULL, dir, sizeof(dir)) < 0 || !(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		size_t n = strlen(de->d_name);
		cJSON *e;

		if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		if (xsnprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < 0)
			continue;
		e = read_json(path, err, sizeof(err));
		if (!e)
			continue;
		/* What is granted for the entry's current digest: root's report needs it for every user. */
		{
			const char *name = proto_str(e, "name"), *digest = proto_str(e, "digest");
			uint32_t granted;

			if (name && digest && consent_granted(a, uid, name, digest, &granted) == 0)
				cJSON_AddItemToObject(e, "granted", perm_mask_to_json(granted));
		}
		/* The list stays small: findings come one plugin at a time (registry_vetting). */
		cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "validation"),
							"findings");
		cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(e,
							"validation_last_run"), "findings");
		cJSON_AddItemToArray(arr, e);
	}
	closedir(d);
}

/* Drop listed findings from the end until the reply fits one protocol message. */
static void fit_findings(cJSON *out)
{
	static const char *const keys[] = { "validation_last_run", "validation" };
	for (int k = 0; k < 2; k++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(out, keys[k]);
		cJSON *f = cJSON_GetObjectItemCaseSensitive(v, "findings");
		cJSON *nl = cJSON_GetObjectItemCaseSensitive(v, "findings_not_listed");

		while (cJSON_GetArraySize(f) > 0) {
			char *text = cJSON_PrintUnformatted(out);
			bool fits = text && strlen(text) <= PROTO_MAX_MSG - 512;

			free(text);
			if (fits)
				return;
			cJSON_DeleteItemFromArray(f, cJSON_GetArraySize(f) - 1);
			if (cJSON_IsNumber(nl))
				cJSON_SetNumberValue(nl, nl->valuedouble + 1);
		}
	}
}

int registry_vetting(struct agent *a, uid_t caller, const cJSON *msg, cJSON **out,
		     char *err, size_t errlen)
{
	const char *name = proto_str(msg, "plugin");
	long long want = caller;
	cJSON *e;

	*out = NULL;
	if (cJSON_GetObjectItemCaseSensitive(msg, "uid") &&
	    (proto_int(msg, "uid", &want) < 0 || want < 0 || want > UINT32_MAX)) {
		snprintf(err, errlen, "plugin_vetting: uid must be a number");
		return -1;
	}
	/* Users see their own plugins; root sees every user's. */
	if (caller != 0 && want != (long long)caller) {
		snprintf(err, errlen, "plugin_vetting: only root may read another user's plugins");
		return -1;
	}
	if (registry_lookup(a, (uid_t)want, name, &e, err, errlen) < 0)
		return -1;
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "name", name);
	cJSON_AddNumberToObject(*out, "uid", (double)want);
	if (cJSON_GetObjectItemCaseSensitive(e, "validation"))
		cJSON_AddItemToObject(*out, "validation", cJSON_DetachItemFromObjectCaseSensitive(e, "validation"));
	if (cJSON_GetObjectItemCaseSensitive(e, "validation_last_run"))
		cJSON_AddItemToObject(*out, "validation_last_run",
				      cJSON_DetachItemFromObjectCaseSensitive(e, "validation_last_run"));
	cJSON_Delete(e);
	fit_findings(*out);
	return 0;
}

/* An entry's place in the list: by owner, then by name. */
struct list_key {
	unsigned long long uid;
	const char *name;
};

static struct list_key key_of(const cJSON *e)
{
	struct list_key k = { 0, proto_str(e, "name") ?: "" };
	long long v;

	if (proto_int(e, "uid", &v) == 0 && v >= 0)
		k.uid = (unsigned long long)v;
	return k;
}

static int key_cmp(struct list_key x, struct list_key y)
{
	if (x.uid != y.uid)
		return x.uid < y.uid ? -1 : 1;
	return strcmp(x.name, y.name);
}

static int entry_cmp(const void *x, const void *y)
{
	return key_cmp(key_of(*(cJSON *const *)x), key_of(*(cJSON *const *)y));
}

/* In (uid, name) order: the same every time, so that a page can say where it ended. */
static int sort_list(cJSON *arr)
{
	int n = cJSON_GetArraySize(arr), i = 0;
	cJSON **v, *it;

	if (n < 2)
		return 0;
	if (!(v = calloc((size_t)n, sizeof(*v))))
		return -1;
	cJSON_ArrayForEach(it, arr)
		v[i++] = it;
	qsort(v, (size_t)n, sizeof(*v), entry_cmp);
	for (i = 0; i < n; i++) {
		cJSON_DetachItemViaPointer(arr, v[i]);
		cJSON_AddItemToArray(arr, v[i]);
	}
	free(v);
	return 0;
}

int registry_list(struct agent *a, uid_t caller, cJSON **out)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	*out = cJSON_CreateArray();
	if (!*out)
		return -1;
	if (caller != 0) {
		list_uid(a, caller, *out);
		return sort_list(*out);
	}
	/* Root sees every user's plugins. */
	if (xsnprintf(dir, sizeof(dir), "%s/plugins", a->cfg.state_dir) < 0 || !(d = opendir(dir)))
		return 0;
	while ((de = readdir(d))) {
		char *end;
		unsigned long u = strtoul(de->d_name, &end, 10);

		if (de->d_name[0] >= '0' && de->d_name[0] <= '9' && *end == '\0')
			list_uid(a, (uid_t)u, *out);
	}
	closedir(d);
	return sort_list(*out);
}

int registry_list_page(struct agent *a, uid_t caller, const char *after, size_t budget,
		       cJSON **out, char *next, size_t nextlen, char *err, size_t errlen)
{
	struct list_key from = { 0, "" };
	size_t used = 2;	/* the brackets */
	cJSON *all = NULL, *it, *nx, *last = NULL;
	char *end;

	next[0] = '\0';
	*out = NULL;
	/* "" starts at the beginning; else "UID/NAME" as a previous page's next said. */
	if (after[0]) {
		from.uid = strtoull(after, &end, 10);
		if (end == after || *end != '/' || after[0] < '0' || after[0] > '9') {
			snprintf(err, errlen, "\"after\": expected UID/NAME, as a page's \"next\" says");
			return -1;
		}
		from.name = end + 1;
	}
	if (registry_list(a, caller, &all) < 0 || !(*out = cJSON_CreateArray())) {
		cJSON_Delete(all);
		snprintf(err, errlen, "cannot list plugins");
		return -2;
	}
	for (it = all ? all->child : NULL; it; it = nx) {
		char *text;
		size_t len;

		nx = it->next;
		if (after[0] && key_cmp(key_of(it), from) <= 0)
			continue;
		text = cJSON_PrintUnformatted(it);
		len = text ? strlen(text) + 1 : 0;
		free(text);
		/* Full: this one starts the next page (a page holds at least one). */
		if (last && used + len > budget) {
			struct list_key k = key_of(last);

			snprintf(next, nextlen, "%llu/%s", k.uid, k.name);
			break;
		}
		used += len;
		cJSON_DetachItemViaPointer(all, it);
		cJSON_AddItemToArray(*out, it);
		last = it;
	}
	cJSON_Delete(all);
	return 0;
}

int consent_granted(struct agent *a, uid_t uid, const char *name, const char *digest,
		    uint32_t *granted)
{
	char path[PATH_MAX], err[256];
	const char *d;
	cJSON *j, *g, *it;

	*granted = 0;
	if (entry_path(a, "consent", uid, name, path, sizeof(path)) < 0)
		return -1;
	if (access(path, F_OK) < 0)
		return errno == ENOENT ? 0 : -1;	/* nothing granted yet */
	j = read_json(path, err, sizeof(err));
	if (!j)
		return -1;
	d = proto_str(j, "digest");
	/* A changed manifest is a new plugin as far as consent goes. */
	if (d && strcmp(d, digest) == 0) {
		g = cJSON_GetObjectItemCaseSensitive(j, "granted");
		cJSON_ArrayForEach(it, g) {
			int p = it->string ? perm_from_name(it->string) : -1;

			if (p < 0) {
				cJSON_Delete(j);
				*granted = 0;
				return -1;	/* unknown permission in the store: corrupt */
			}
			*granted |= RAGGED_PERM_BIT(p);
		}
	}
	cJSON_Delete(j);
	return 0;
}

int consent_store(struct agent *a, uid_t uid, const char *name, const char *digest,
		  uint32_t granted, char *err, size_t errlen)
{
	char path[PATH_MAX], ts[32];
	cJSON *j, *g;
	uint64_t ms = now_realtime_ms();
	uint32_t old = 0;
	int rc;

	if (entry_path(a, "consent", uid, name, path, sizeof(path)) < 0) {
		snprintf(err, errlen, "state path too long");
		return -1;
	}
	format_rfc3339_ms((int64_t)ms, ts);
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "digest", digest);
	g = cJSON_AddObjectToObject(j, "granted");
	/* Keep the original "since" of permissions that stay granted. */
	{
		char e2[64];
		cJSON *prev = access(path, F_OK) == 0 ? read_json(path, e2, sizeof(e2)) : NULL;
		const char *pd = prev ? proto_str(prev, "digest") : NULL;
		cJSON *pg = prev ? cJSON_GetObjectItemCaseSensitive(prev, "granted") : NULL;

		for (int p = 0; p < RAGGED_PERM_COUNT; p++) {
			const char *since = ts;
			cJSON *s;

			if (!(granted & RAGGED_PERM_BIT(p)))
				continue;
			if (pd && strcmp(pd, digest) == 0 &&
			    (s = cJSON_GetObjectItemCaseSensitive(pg, perm_name(p))) &&
			    cJSON_IsString(s)) {
				since = s->valuestring;
				old |= RAGGED_PERM_BIT(p);
			}
			cJSON_AddStringToObject(g, perm_name(p), since);
		}
		rc = write_json(path, j, err, errlen);
		cJSON_Delete(prev);
	}
	(void)old;
	cJSON_Delete(j);
	return rc;
}

cJSON *consent_read(struct agent *a, uid_t uid, const char *name)
{
	char path[PATH_MAX], err[256];

	if (entry_path(a, "consent", uid, name, path, sizeof(path)) < 0 || access(path, F_OK) < 0)
		return NULL;
	return read_json(path, err, sizeof(err));
}

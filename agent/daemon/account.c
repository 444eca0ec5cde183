// SPDX-License-Identifier: MIT
/*
 * Who a plugin runs as: the caller's account, or [agent] root_run_as for
 * root (plugins never run as root). Used to admit a run and to tell a
 * caller what a permission would grant them here (catalog.c).
 */
#include <pwd.h>
#include <stdio.h>

#include "agent.h"
#include "util/util.h"

/*
 * The caller's passwd entry, looked up once per request: its name for every
 * record of the request (the uid in decimal when it has none) and, for a
 * caller other than root, the account its plugin runs as (run_account).
 */
void caller_account(struct run *r, uid_t uid)
{
	char buf[4096];
	struct passwd pw, *res = NULL;

	r->owner = uid;
	r->caller.known = getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res;
	if (!r->caller.known) {
		snprintf(r->user, sizeof(r->user), "%u", (unsigned)uid);
		return;
	}
	snprintf(r->user, sizeof(r->user), "%s", res->pw_name);
	r->caller.gid = res->pw_gid;
	snprintf(r->caller.home, sizeof(r->caller.home), "%s", res->pw_dir);
}

int run_account(struct agent *a, struct client *c, struct run *r, char *err, size_t errlen)
{
	char buf[4096];
	struct passwd pw, *res = NULL;

	/*
	 * The name in records is the caller's; the account is who the plugin
	 * runs as. A run request named its caller already, and a caller other
	 * than root is that account (one passwd lookup per start).
	 */
	r->owner = c->uid;
	if (!r->user[0])
		uid_name(c->uid, r->user, sizeof(r->user));
	if (c->uid != 0 && r->caller.known) {
		r->uid = c->uid;
		r->gid = r->caller.gid;
		snprintf(r->home, sizeof(r->home), "%s", r->caller.home);
		return 0;
	}
	if (c->uid == 0) {
		if (!a->cfg.root_run_as[0]) {
			snprintf(err, errlen, "plugins never run as root; set [agent] root_run_as "
				 "in the agent config to run them for root");
			return -1;
		}
		if (getpwnam_r(a->cfg.root_run_as, &pw, buf, sizeof(buf), &res) != 0 || !res) {
			snprintf(err, errlen, "root_run_as account %s does not exist", a->cfg.root_run_as);
			return -1;
		}
	} else if (getpwuid_r(c->uid, &pw, buf, sizeof(buf), &res) != 0 || !res) {
		snprintf(err, errlen, "uid %u has no passwd entry", (unsigned)c->uid);
		return -1;
	}
	if (res->pw_uid == 0) {
		snprintf(err, errlen, "refusing to run a plugin as root");
		return -1;
	}
	r->uid = res->pw_uid;
	r->gid = res->pw_gid;
	snprintf(r->home, sizeof(r->home), "%s", res->pw_dir);
	return 0;
}

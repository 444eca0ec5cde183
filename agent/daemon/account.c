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

int run_account(struct agent *a, struct client *c, struct run *r, char *err, size_t errlen)
{
	char buf[4096];
	struct passwd pw, *res = NULL;

	/*
	 * The name in records is the caller's; the account is who the plugin
	 * runs as. A run request named its caller already (one passwd lookup
	 * fewer on the start path).
	 */
	r->owner = c->uid;
	if (!r->user[0])
		uid_name(c->uid, r->user, sizeof(r->user));
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

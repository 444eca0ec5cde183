// SPDX-License-Identifier: MIT
/*
 * Choose the enforcement mode. BPF-LSM is preferred; the probe is the real
 * thing (load the file_open program), because "bpf" in the LSM list does
 * not mean LSM programs load (docs/contract.md §9: they fail with EPERM on the build
 * machines). The reason for the choice is kept for `raggedctl status`.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "util/util.h"

const char *mode_name(enum enforcement_mode m)
{
	return m == MODE_BPF_LSM ? "bpf-lsm" : "landlock";
}

static bool lsm_list_has_bpf(void)
{
	char buf[512];
	char *tok, *save = NULL;

	if (read_file("/sys/kernel/security/lsm", buf, sizeof(buf)) < 0)
		return false;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (strcmp(tok, "bpf") == 0)
			return true;
	return false;
}

int probe_features(struct agent *a, char *err, size_t errlen)
{
	struct features *f = &a->feat;
	int rc;

	f->landlock_abi = landlock_abi_version();
	f->lsm_has_bpf = lsm_list_has_bpf();
	f->lsm_load_err = 0;

	if (a->cfg.enforcement == ENFORCE_LANDLOCK) {
		f->mode = MODE_LANDLOCK;
		snprintf(f->reason, sizeof(f->reason), "landlock requested in the agent config");
	} else if (!f->lsm_has_bpf) {
		f->mode = MODE_LANDLOCK;
		f->lsm_load_err = ENOENT;
		snprintf(f->reason, sizeof(f->reason),
			 "\"bpf\" is not in the active LSM list (/sys/kernel/security/lsm)");
	} else if ((rc = bpf_probe_lsm(a->cfg.bpffs_dir)) < 0) {
		f->mode = MODE_LANDLOCK;
		f->lsm_load_err = -rc;
		snprintf(f->reason, sizeof(f->reason),
			 "loading the BPF-LSM file_open program failed: %s", strerror(-rc));
	} else {
		f->mode = MODE_BPF_LSM;
		snprintf(f->reason, sizeof(f->reason),
			 "BPF-LSM programs load and \"bpf\" is an active LSM");
	}

	if (f->mode == MODE_LANDLOCK) {
		if (a->cfg.enforcement == ENFORCE_BPF_LSM) {
			snprintf(err, errlen, "enforcement = \"bpf-lsm\" is configured but %s",
				 f->reason);
			return -1;
		}
		/* Fail closed: without either mechanism no file rule can be enforced. */
		if (f->landlock_abi < 1) {
			snprintf(err, errlen, "no enforcement possible: %s, and Landlock is unavailable",
				 f->reason);
			return -1;
		}
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* The permission catalog: names, risk, plain-language descriptions. */
#ifndef RAGGED_PERMS_CATALOG_H
#define RAGGED_PERMS_CATALOG_H

#include <stdint.h>

#include "ragged/perms.h"

enum perm_risk { RISK_NONE, RISK_MEDIUM, RISK_HIGH };

struct perm_info {
	const char *name;		/* "read:documents" */
	enum perm_risk risk;
	const char *description;	/* one sentence a non-expert understands */
};

const struct perm_info *perm_info(enum ragged_perm p);
/* Exact string match; returns -1 for anything not in docs/contract.md §2. */
int perm_from_name(const char *name);
const char *perm_name(enum ragged_perm p);
const char *perm_risk_name(enum perm_risk r);
/* The permission an unknown name most likely meant, or NULL ("did you mean"). */
const char *perm_suggest(const char *name);

#endif

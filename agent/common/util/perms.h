/* SPDX-License-Identifier: MIT */
/* The permission catalog: names, risk, plain-language descriptions. */
#ifndef RAGGED_PERMS_CATALOG_H
#define RAGGED_PERMS_CATALOG_H

#include <stdint.h>

#include <cjson/cJSON.h>

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
/*
 * A permission mask as a JSON array of names (catalog order), and back:
 * the latter sets the bit of every known name and returns -1 when any
 * entry is not a known name (the caller decides whether that is corrupt).
 */
cJSON *perm_mask_to_json(uint32_t mask);
int perm_mask_from_json(const cJSON *arr, uint32_t *mask);

#endif

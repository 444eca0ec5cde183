/* SPDX-License-Identifier: MIT */
/*
 * The audit subsystem's one public header: the writer (auditlog.h: append,
 * rotation, retention, crash recovery) and the reader (auditquery.h: query
 * filters, formatting, verification). audit_int.h stays inside this folder.
 */
#ifndef RAGGED_AUDIT_H
#define RAGGED_AUDIT_H

#include "auditlog.h"
#include "auditquery.h"

#endif

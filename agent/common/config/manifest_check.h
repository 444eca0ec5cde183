/* SPDX-License-Identifier: MIT */
/*
 * Shape checks for manifest strings (manifest_check.c), kept apart from the
 * schema walk in manifest.c. Each returns true only for a value that means
 * exactly one thing.
 */
#ifndef RAGGED_MANIFEST_CHECK_H
#define RAGGED_MANIFEST_CHECK_H

#include <stdbool.h>

/* 1-MANIFEST_NAME_MAX characters of a-z, 0-9 and '-', not starting with '-'. */
bool manifest_valid_name(const char *s);
/* Semantic Versioning 2.0.0, exactly. */
bool manifest_valid_semver(const char *s);
/* No control or text direction characters (s must be valid UTF-8). */
bool manifest_display_safe(const char *s);
/* A PEP 508 requirement without markers or URLs. */
bool manifest_valid_py_dep(const char *s);

#endif

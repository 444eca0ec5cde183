// SPDX-License-Identifier: MIT
/*
 * Escape-surface syscall filter (libseccomp), applied in the child right
 * before exec. Being written as part of the enforcement-engine work: until
 * then it installs nothing.
 */
#include "agent.h"

int seccomp_apply(enum enforcement_mode mode, char *err, size_t errlen)
{
	(void)mode;
	(void)err;
	(void)errlen;
	return 0;
}

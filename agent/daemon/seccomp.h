/* SPDX-License-Identifier: MIT */
/* seccomp.c: the escape-surface filter. seccomp_apply() is in agent.h. */
#ifndef RAGGED_SECCOMP_H
#define RAGGED_SECCOMP_H

#include <stddef.h>

/* Compile the filter once, in the agent, before any run starts. */
int seccomp_prepare(char *err, size_t errlen);
/* Before seccomp_prepare(): refuse socket(AF_UNIX) too (no UNIX socket hooks). */
void seccomp_refuse_unix_sockets(void);

#endif

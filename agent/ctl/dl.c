// SPDX-License-Identifier: MIT
/*
 * Libraries raggedctl loads only for the commands that use them (dlopen):
 * every start of the client, a plugin run's above all, then maps and
 * relocates libc and cJSON alone. Sonames come from the build (Makefile,
 * soname_of), so a library's security update reaches the client as it
 * reaches any other program.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"

int ctl_dl_load(const char *soname, const char *const *names, void **slots, size_t n,
		char *err, size_t errlen)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(err, errlen, "%s", dlerror());
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (!(slots[i] = dlsym(h, names[i]))) {
			snprintf(err, errlen, "%s: no %s", soname, names[i]);
			return -1;
		}
	return 0;	/* the handle stays open: raggedctl exits after its command */
}

void ctl_dl_need(const char *soname, const char *const *names, void **slots, size_t n)
{
	char err[512];

	if (ctl_dl_load(soname, names, slots, n, err, sizeof(err)) == 0)
		return;
	ctl_err("cannot load %s: %s", soname, err);
	exit(ctl_finish(EXIT_IO));
}

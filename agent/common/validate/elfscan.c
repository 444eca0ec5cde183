// SPDX-License-Identifier: MIT
/*
 * ELF files in a plugin, through libelf: the dynamic symbols a binary
 * imports (a binary that imports ptrace or init_module means to use them),
 * statically linked binaries (whose imports cannot be listed), and files
 * that claim to be ELF but do not parse. Setuid/setgid bits come from the
 * walk's stat (validate.c, rule fs-setuid) for every file, ELF or not.
 *
 * libelf is referenced weakly: raggedd, raggedctl and the unit tests link
 * it (-lelf), the libFuzzer targets link all of agent/common without it and
 * never reach this file. Without libelf a binary is still reported
 * (elf-binary) and treated as code that cannot be seen into.
 */
#include <gelf.h>
#include <libelf.h>
#include <string.h>

#include "validate_int.h"

#pragma weak elf_version
#pragma weak elf_memory
#pragma weak elf_kind
#pragma weak elf_end
#pragma weak elf_nextscn
#pragma weak elf_getdata
#pragma weak elf_strptr
#pragma weak elf_getphdrnum
#pragma weak gelf_getehdr
#pragma weak gelf_getshdr
#pragma weak gelf_getsym
#pragma weak gelf_getphdr

static const struct { const char *sym; enum severity sev; const char *what; } watched[] = {
	{ "ptrace", SEV_CRITICAL, "trace and control other processes" },
	{ "mount", SEV_CRITICAL, "mount file systems" },
	{ "umount", SEV_CRITICAL, "unmount file systems" },
	{ "umount2", SEV_CRITICAL, "unmount file systems" },
	{ "pivot_root", SEV_CRITICAL, "change the root file system" },
	{ "chroot", SEV_CRITICAL, "change the root directory" },
	{ "bpf", SEV_CRITICAL, "load BPF programs into the kernel" },
	{ "init_module", SEV_CRITICAL, "load kernel modules" },
	{ "finit_module", SEV_CRITICAL, "load kernel modules" },
	{ "delete_module", SEV_CRITICAL, "unload kernel modules" },
	{ "kexec_load", SEV_CRITICAL, "replace the running kernel" },
	{ "kexec_file_load", SEV_CRITICAL, "replace the running kernel" },
	{ "unshare", SEV_HIGH, "create namespaces" },
	{ "setns", SEV_HIGH, "enter other namespaces" },
	{ "keyctl", SEV_HIGH, "use the kernel keyring" },
	{ "add_key", SEV_HIGH, "use the kernel keyring" },
	{ "request_key", SEV_HIGH, "use the kernel keyring" },
	{ "userfaultfd", SEV_HIGH, "handle page faults (an exploitation aid)" },
	{ "perf_event_open", SEV_HIGH, "open performance counters" },
	{ "process_vm_readv", SEV_HIGH, "read other processes' memory" },
	{ "process_vm_writev", SEV_HIGH, "write other processes' memory" },
	{ "syscall", SEV_MEDIUM, "make any system call by number" },
};

static const char *const net_syms[] = { "socket", "connect", "getaddrinfo", "gethostbyname", NULL };

static void symbols(struct vctx *v, const char *file, Elf *e)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || sh.sh_entsize == 0 ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx != SHN_UNDEF || !sym.st_name ||
			    !(name = elf_strptr(e, sh.sh_link, sym.st_name)))
				continue;
			for (size_t k = 0; k < sizeof(watched) / sizeof(watched[0]); k++)
				if (!strcmp(name, watched[k].sym))
					vfind(v, "elf-dangerous-import", watched[k].sev, file, 0,
					      "imports %s(): it can %s", name, watched[k].what);
			for (size_t k = 0; net_syms[k]; k++)
				if (!strcmp(name, net_syms[k]))
					vuse(v, VUSE_NETWORK, file, 0);
		}
	}
}

/* A dynamically linked file has PT_DYNAMIC (executables and shared objects alike). */
static bool dynamic(Elf *e)
{
	size_t n = 0;

	if (elf_getphdrnum(e, &n) != 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_DYNAMIC)
			return true;
	}
	return false;
}

void elfscan(struct vctx *v, const char *file, const unsigned char *data, size_t len)
{
	GElf_Ehdr eh;
	Elf *e;

	v->opaque = true;
	vuse(v, VUSE_NATIVE, file, 0);
	if (!elf_version || !elf_memory) {
		vfind(v, "elf-binary", VSEV_DEFAULT, file, 0,
		      "native code (libelf is not linked here: imports not inspected)");
		return;
	}
	elf_version(EV_CURRENT);
	e = elf_memory((char *)data, len);	/* read-only use: libelf does not write to it */
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
		vfind(v, "elf-malformed", VSEV_DEFAULT, file, 0, "starts like ELF but does not parse");
		if (e)
			elf_end(e);
		return;
	}
	if (eh.e_type == ET_EXEC || eh.e_type == ET_DYN) {
		vfind(v, "elf-binary", VSEV_DEFAULT, file, 0, "native %s: reviewed by its imports only",
		      eh.e_type == ET_EXEC ? "executable" : "executable or shared library");
		if (!dynamic(e))
			vfind(v, "elf-static", VSEV_DEFAULT, file, 0,
			      "statically linked: its system calls cannot be listed from imports");
		else
			symbols(v, file, e);
	} else {
		vfind(v, "elf-binary", VSEV_DEFAULT, file, 0, "ELF object of type %u", (unsigned)eh.e_type);
	}
	elf_end(e);
}

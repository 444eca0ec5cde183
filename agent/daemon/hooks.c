// SPDX-License-Identifier: MIT
/*
 * What each hook is, how the audit names its denials, and which mechanism
 * decided: one table, read by the ring buffer drain (events.c), the flood
 * summaries (flood.c) and the metrics (metrics.c). A leaf: it calls nobody.
 * Escape-surface hooks become sandbox_escape_attempt records; file and
 * network rule decisions stay permission_violation (docs/contract.md §6).
 */
#include "agent.h"

static const struct hook_info hooks[RAGGED_HOOK_MAX] = {
	[RAGGED_HOOK_FILE_OPEN] = { "file_open", "bpf-lsm", NULL },
	[RAGGED_HOOK_CONNECT4] = { "connect4", "cgroup-bpf", NULL },
	[RAGGED_HOOK_CONNECT6] = { "connect6", "cgroup-bpf", NULL },
	[RAGGED_HOOK_SENDMSG4] = { "sendmsg4", "cgroup-bpf", NULL },
	[RAGGED_HOOK_SENDMSG6] = { "sendmsg6", "cgroup-bpf", NULL },
	[RAGGED_HOOK_SOCK_CREATE] = { "sock_create", "cgroup-bpf", NULL },
	[RAGGED_HOOK_SYSCALL_EXIT] = { "sys_exit", "landlock", NULL },
	[RAGGED_HOOK_BIND4] = { "bind4", "cgroup-bpf", NULL },
	[RAGGED_HOOK_BIND6] = { "bind6", "cgroup-bpf", NULL },
	[RAGGED_HOOK_SECCOMP] = { "sys_exit", "seccomp", "" /* from the syscall */ },
	[RAGGED_HOOK_SECCOMP_KILL] = { "signal_generate", "seccomp",
				       "syscall through a foreign ABI (i386/x32)" },
	[RAGGED_HOOK_EXEC_ANON] = { "sched_process_exec", "bpf-monitor",
				    "exec of an anonymous file (memfd or unlinked)" },
	[RAGGED_HOOK_PROC_DENIED] = { "sys_exit", "landlock", "access to a process outside the run" },
	[RAGGED_HOOK_PTRACE] = { "ptrace_access_check", "bpf-lsm",
				 "access to a process outside the run" },
	[RAGGED_HOOK_SB_MOUNT] = { "sb_mount", "bpf-lsm", "mount" },
	[RAGGED_HOOK_MOVE_MOUNT] = { "move_mount", "bpf-lsm", "mount" },
	[RAGGED_HOOK_BPF] = { "bpf", "bpf-lsm", "bpf" },
	[RAGGED_HOOK_KERNEL_READ_FILE] = { "kernel_read_file", "bpf-lsm", "kernel module or image load" },
	[RAGGED_HOOK_KERNEL_LOAD_DATA] = { "kernel_load_data", "bpf-lsm", "kernel module or image load" },
	[RAGGED_HOOK_TASK_KILL] = { "task_kill", "bpf-lsm", "signal to a process outside the run" },
	[RAGGED_HOOK_USERNS_CREATE] = { "userns_create", "bpf-lsm", "namespace" },
	[RAGGED_HOOK_BPRM_CHECK] = { "bprm_check_security", "bpf-lsm",
				     "exec of an anonymous file (memfd or unlinked)" },
	[RAGGED_HOOK_MMAP_FILE] = { "mmap_file", "bpf-lsm", "executable mapping of a non-executable file" },
	[RAGGED_HOOK_FILE_MPROTECT] = { "file_mprotect", "bpf-lsm",
					"executable mapping of a non-executable file" },
	[RAGGED_HOOK_FILE_RECEIVE] = { "file_receive", "bpf-lsm", NULL },
	[RAGGED_HOOK_KEY_PERMISSION] = { "key_permission", "bpf-lsm", "keyring" },
	[RAGGED_HOOK_URING_CREDS] = { "uring_override_creds", "bpf-lsm", "io_uring" },
	[RAGGED_HOOK_PATH_LINK] = { "path_link", "bpf-lsm", NULL },
	[RAGGED_HOOK_PATH_RENAME] = { "path_rename", "bpf-lsm", NULL },
	/* bpf-lsm mode (bpf/escape.bpf.c); landlock mode: unix_hooks_cgroup below. */
	[RAGGED_HOOK_UNIX_CONNECT] = { "unix_stream_connect", "bpf-lsm", NULL },
	[RAGGED_HOOK_UNIX_SEND] = { "unix_may_send", "bpf-lsm", NULL },
	[RAGGED_HOOK_TASK_ATTR] = { "task_setnice/setscheduler/setioprio", "bpf-lsm",
				    "priority or scheduling of a process outside the run" },
	/* File namespace and metadata changes (bpf/fsmod.bpf.c). */
	[RAGGED_HOOK_PATH_UNLINK] = { "path_unlink", "bpf-lsm", NULL },
	[RAGGED_HOOK_PATH_RMDIR] = { "path_rmdir", "bpf-lsm", NULL },
	[RAGGED_HOOK_PATH_MKDIR] = { "path_mkdir", "bpf-lsm", NULL },
	[RAGGED_HOOK_PATH_MKNOD] = { "path_mknod", "bpf-lsm", NULL },
	[RAGGED_HOOK_PATH_SYMLINK] = { "path_symlink", "bpf-lsm", NULL },
	[RAGGED_HOOK_PATH_TRUNCATE] = { "path_truncate", "bpf-lsm", NULL },
	[RAGGED_HOOK_PATH_CHMOD] = { "path_chmod", "bpf-lsm", NULL },
	[RAGGED_HOOK_PATH_CHOWN] = { "path_chown", "bpf-lsm", NULL },
	[RAGGED_HOOK_INODE_SETATTR] = { "inode_setattr", "bpf-lsm", NULL },
	[RAGGED_HOOK_INODE_XATTR] = { "inode_xattr", "bpf-lsm", NULL },
	/* landlock mode: the run's mount view is read-only outside its write trees */
	[RAGGED_HOOK_READONLY_MOUNT] = { "sys_exit", "read-only-mount", NULL },
	[RAGGED_HOOK_FILE_SETFLAGS] = { "file_ioctl", "bpf-lsm", NULL },
	/* bpf-lsm mode reports the filter's refusals where it ran (monitor.bpf.c) */
	[RAGGED_HOOK_SECCOMP_ENTRY] = { "seccomp_filter", "seccomp", "" /* from the syscall */ },
};

const struct hook_info *hook_info_of(unsigned h)
{
	static const struct hook_info unknown = { "unknown", "unknown", NULL };

	return h < RAGGED_HOOK_MAX && hooks[h].name ? &hooks[h] : &unknown;
}

const char *events_hook_name(int hook)
{
	return hook >= 0 && hook < RAGGED_HOOK_MAX && hooks[hook].name ? hooks[hook].name : NULL;
}

const char *events_hook_mechanism(int hook)
{
	return hook >= 0 && hook < RAGGED_HOOK_MAX && hooks[hook].name ? hooks[hook].mechanism : NULL;
}

/* SPDX-License-Identifier: MIT */
/*
 * The one record the kernel side hands to the agent through the ring buffer.
 *
 * Every decision a BPF program makes for a run is first counted in that
 * run's counters (struct ragged_run_counters) and only then offered to the
 * ring buffer: a full buffer loses the record, never the count, so the agent
 * can prove "counted == logged + suppressed + lost" (docs/contract.md §6).
 */
#ifndef RAGGED_EVENTS_H
#define RAGGED_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define RAGGED_PATH_MAX 256
#define RAGGED_COMM_LEN 16

/* Which kernel hook made the decision. Indexes the per-run counters. */
enum ragged_hook {
	RAGGED_HOOK_FILE_OPEN = 0,	/* lsm file_open (bpf-lsm mode) */
	RAGGED_HOOK_CONNECT4 = 1,	/* cgroup/connect4 */
	RAGGED_HOOK_CONNECT6 = 2,	/* cgroup/connect6 */
	RAGGED_HOOK_SENDMSG4 = 3,	/* cgroup/sendmsg4 */
	RAGGED_HOOK_SENDMSG6 = 4,	/* cgroup/sendmsg6 */
	RAGGED_HOOK_SOCK_CREATE = 5,	/* cgroup/sock_create */
	RAGGED_HOOK_SYSCALL_EXIT = 6,	/* raw_tp sys_exit: denials seen in landlock mode */
	RAGGED_HOOK_BIND4 = 7,		/* cgroup/bind4 */
	RAGGED_HOOK_BIND6 = 8,		/* cgroup/bind6 */
	/* Escape surface (bpf/monitor.bpf.c, bpf/escape.bpf.c; docs/security-model.md). */
	RAGGED_HOOK_SECCOMP = 9,	/* raw_tp sys_exit (landlock mode): a call the seccomp filter refused */
	RAGGED_HOOK_SECCOMP_KILL = 10,	/* tp_btf signal_generate: killed for a foreign-ABI call */
	RAGGED_HOOK_EXEC_ANON = 11,	/* tp_btf sched_process_exec: anonymous file exec'd, killed */
	RAGGED_HOOK_PROC_DENIED = 12,	/* raw_tp sys_exit (landlock mode): call on another process refused */
	RAGGED_HOOK_PTRACE = 13,	/* lsm ptrace_access_check */
	RAGGED_HOOK_SB_MOUNT = 14,	/* lsm sb_mount */
	RAGGED_HOOK_MOVE_MOUNT = 15,	/* lsm move_mount */
	RAGGED_HOOK_BPF = 16,		/* lsm bpf */
	RAGGED_HOOK_KERNEL_READ_FILE = 17, /* lsm kernel_read_file (module, firmware, kexec) */
	RAGGED_HOOK_KERNEL_LOAD_DATA = 18, /* lsm kernel_load_data (init_module, kexec_load) */
	RAGGED_HOOK_TASK_KILL = 19,	/* lsm task_kill */
	RAGGED_HOOK_USERNS_CREATE = 20,	/* lsm userns_create */
	RAGGED_HOOK_BPRM_CHECK = 21,	/* lsm bprm_check_security */
	RAGGED_HOOK_MMAP_FILE = 22,	/* lsm mmap_file (PROT_EXEC) */
	RAGGED_HOOK_FILE_RECEIVE = 23,	/* lsm file_receive (SCM_RIGHTS) */
	RAGGED_HOOK_KEY_PERMISSION = 24, /* lsm key_permission */
	RAGGED_HOOK_URING_CREDS = 25,	/* lsm uring_override_creds */
	RAGGED_HOOK_PATH_LINK = 26,	/* lsm path_link */
	RAGGED_HOOK_PATH_RENAME = 27,	/* lsm path_rename */
	RAGGED_HOOK_FILE_MPROTECT = 28,	/* lsm file_mprotect (PROT_EXEC added) */
	RAGGED_HOOK_TASK_ATTR = 29,	/* lsm task_setnice/setscheduler/setioprio */
	/* UNIX sockets: lsm unix_stream_connect (bpf-lsm) or cgroup/connect_unix (landlock) */
	RAGGED_HOOK_UNIX_CONNECT = 30,
	/* UNIX datagrams: lsm unix_may_send (bpf-lsm) or cgroup/sendmsg_unix (landlock) */
	RAGGED_HOOK_UNIX_SEND = 31,
	/* File namespace and metadata changes (bpf/fsmod.bpf.c; docs/security-model.md). */
	RAGGED_HOOK_PATH_UNLINK = 32,	/* lsm path_unlink */
	RAGGED_HOOK_PATH_RMDIR = 33,	/* lsm path_rmdir */
	RAGGED_HOOK_PATH_MKDIR = 34,	/* lsm path_mkdir */
	RAGGED_HOOK_PATH_MKNOD = 35,	/* lsm path_mknod: O_CREAT, FIFOs, devices, UNIX socket names */
	RAGGED_HOOK_PATH_SYMLINK = 36,	/* lsm path_symlink */
	RAGGED_HOOK_PATH_TRUNCATE = 37,	/* lsm path_truncate, file_truncate */
	RAGGED_HOOK_PATH_CHMOD = 38,	/* lsm path_chmod */
	RAGGED_HOOK_PATH_CHOWN = 39,	/* lsm path_chown */
	RAGGED_HOOK_INODE_SETATTR = 40,	/* lsm inode_setattr: times (utimes, futimens) */
	RAGGED_HOOK_INODE_XATTR = 41,	/* lsm inode_{set,remove}xattr, inode_{set,remove}_acl */
	/* landlock mode: a change refused by the run's read-only mount view (EROFS) */
	RAGGED_HOOK_READONLY_MOUNT = 42,
	RAGGED_HOOK_FILE_SETFLAGS = 43,	/* lsm file_ioctl: FS_IOC_SETFLAGS, FS_IOC_FSSETXATTR */
	/* bpf-lsm mode: a call the seccomp filter refused, at fexit of __seccomp_filter */
	RAGGED_HOOK_SECCOMP_ENTRY = 44,
	RAGGED_HOOK_MAX = 64,		/* counters are indexed by hook: a power of two, room to grow */
};

enum ragged_verdict {
	RAGGED_ALLOW = 0,
	RAGGED_DENY = 1,
};

/* What the record is about; the agent maps it to an audit event name. */
enum ragged_event_kind {
	RAGGED_EV_FILE = 1,		/* path + access mask */
	RAGGED_EV_NET = 2,		/* family, address, port, protocol */
	RAGGED_EV_SOCKET = 3,		/* family, type, protocol */
	RAGGED_EV_SYSCALL_DENIED = 4,	/* syscall nr + errno (+ path when known) */
	RAGGED_EV_UNKNOWN_CGROUP = 5,	/* task in the plugin subtree without policy */
	RAGGED_EV_PROC = 6,		/* process tree: proc_op, pid, ppid, path (exec) */
	RAGGED_EV_ESCAPE = 7,		/* escape-surface LSM hook: arg, target_pid (+ path) */
};

/* Access bits for RAGGED_EV_FILE and the file rules. */
#define RAGGED_ACC_READ   0x1
#define RAGGED_ACC_WRITE  0x2
#define RAGGED_ACC_EXEC   0x4
/*
 * File rules only: the plugin may connect to UNIX sockets named under this
 * prefix (landlock mode checks the name the plugin gives connect()). Set on
 * the run's scratch dir alone, where Landlock then refuses symlinks, so a
 * name under it cannot lead anywhere else.
 */
#define RAGGED_ACC_SOCK   0x8

struct ragged_event {
	__u64 boot_ns;		/* bpf_ktime_get_boot_ns() at the decision */
	__u64 cgroup_id;	/* v2 cgroup of the task: the run */
	__u32 pid;		/* thread group id */
	__u32 tid;
	__u32 uid;
	__u16 kind;		/* enum ragged_event_kind */
	__u16 hook;		/* enum ragged_hook */
	__u8 verdict;		/* enum ragged_verdict */
	__u8 pad[3];
	__s32 err;		/* errno returned to the task, positive; 0 when allowed */
	__u32 access;		/* RAGGED_ACC_* for files; syscall nr for SYSCALL_DENIED */
	/* network */
	__u16 family;
	__u16 port;		/* host byte order */
	__u32 sock_type;
	__u32 protocol;
	__u8 addr[16];		/* v4 in the first 4 bytes, network order */
	char comm[RAGGED_COMM_LEN];
	char path[RAGGED_PATH_MAX];
	/* RAGGED_EV_PROC */
	__u32 proc_op;		/* enum ragged_proc_op */
	__u32 ppid;		/* fork: the parent; exec/exit: the task's parent */
	__s32 exit_code;	/* exit: wait status as the parent would see it */
	__u32 pad2;
	/* Escape surface (sandbox_escape_attempt) */
	__u32 target_pid;	/* ptrace/kill/...: the process acted on, 0 if unknown */
	__u32 pad3;
	__u64 arg;		/* the refused argument: flags, family, ioctl cmd, signal, ptrace mode */
};

/* arg of RAGGED_HOOK_INODE_XATTR records: which change was refused. */
enum ragged_xattr_op {
	RAGGED_XATTR_SET = 1,
	RAGGED_XATTR_REMOVE = 2,
	RAGGED_XATTR_SET_ACL = 3,
	RAGGED_XATTR_REMOVE_ACL = 4,
};

/* Runtime monitoring (sched tracepoints), not decisions: counted as "observed". */
enum ragged_proc_op {
	RAGGED_PROC_FORK = 1,
	RAGGED_PROC_EXEC = 2,
	RAGGED_PROC_EXIT = 3,
};

/* Per-run decision counters, one per-CPU slot per run cgroup. */
struct ragged_run_counters {
	__u64 allow[RAGGED_HOOK_MAX];
	__u64 deny[RAGGED_HOOK_MAX];
	__u64 allow_audited;	/* allows that asked for a record (sensitive grants) */
	__u64 observed;		/* monitoring records asked for (process tree) */
	__u64 emitted;		/* records successfully submitted to the ring buffer */
	__u64 lost;		/* records the ring buffer had no room for */
	/*
	 * Invariant per run, summed over CPUs:
	 *   sum(deny) + allow_audited + observed == emitted + lost
	 * and the agent proves emitted == logged + suppressed.
	 */
};

#endif

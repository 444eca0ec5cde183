// SPDX-License-Identifier: MIT
/*
 * probe: a real plugin binary for the enforcement tests. Each argument pair
 * is one operation; each prints one line "OP ARG -> ok" or "OP ARG -> ERRNO"
 * (errno by name), so a test asserts on exactly what the kernel returned.
 *
 *   read PATH       open(O_RDONLY) + read one byte
 *   write PATH      open(O_WRONLY|O_CREAT) + write
 *   connect A:P     TCP connect to IPv4/IPv6 address A, port P
 *   udp A:P         UDP sendto without connect
 *   exec PATH       execve (replaces the probe on success)
 *   exit N          exit with status N now
 *   uid -           print the real and effective uid
 *   cgroup -        print this process's cgroup lines
 *   listen A:P      (outside the sandbox) accept one TCP connection, exit
 *   kill SIG        send ourselves signal SIG
 *   stdin -         read one line from stdin and echo it as "stdin LINE"
 *   unix NAME       connect to a UNIX stream socket (a path, or @name: abstract)
 *   unixdgram NAME  sendto a UNIX datagram socket
 *   unixown DIR     bind, listen and connect to DIR/own.sock ("-": $TMPDIR)
 *   unixlink NAME   symlink $TMPDIR/link.sock -> NAME, connect through it
 *   dgramsrv NAME   (outside the sandbox) a UNIX datagram socket for 60 s
 *   bind A:P        bind a UDP socket to A:P
 *   fdpass FILE CMD...  (outside the sandbox) run CMD, FILE's fd on its stdin
 *   list DIR        read a directory; prints "entry NAME" for each name first
 *
 * File namespace and metadata changes (fs_op()), each on PATH:
 *   unlink rmdir mkdir mkfifo sockname (bind a UNIX socket there)
 *   symlink2 (a symlink at PATH) creat (O_CREAT|O_EXCL) otrunc (O_RDONLY|O_TRUNC)
 *   trunc ftrunc (truncate, ftruncate to 0) chmod fchmod (0640) chown lchown
 *   fchown fchownat_empty (to the caller's own ids: the kernel still asks)
 *   utimes (utimensat NULL times) futimens setxattr lsetxattr fsetxattr
 *   removexattr (user.ragged) setacl removeacl (system.posix_acl_access)
 *   setflags (FS_IOC_SETFLAGS: chattr +d through a read-only descriptor)
 *   mv A:B, ln A:B (rename, link); listxattr (prints the names first).
 *   "@S" in PATH stands for $RAGGED_SCRATCH.
 */
#include <signal.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <linux/fs.h>

static void report(const char *op, const char *arg, int rc)
{
	printf("%s %s -> %s\n", op, arg, rc == 0 ? "ok" : strerrorname_np(errno));
	fflush(stdout);
}

static int do_read(const char *path)
{
	char c;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (read(fd, &c, 1) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

static int do_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	if (write(fd, "x", 1) != 1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

static int do_list(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (!d)
		return -1;
	while ((errno = 0, de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			printf("entry %s\n", de->d_name);
	if (errno) {
		int e = errno;

		closedir(d);
		errno = e;
		return -1;
	}
	closedir(d);
	return 0;
}

static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128];
	const char *colon = strrchr(s, ':');
	int port;

	if (!colon || (size_t)(colon - s) >= sizeof(host)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = atoi(colon + 1);
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		host[strlen(host) - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1) {
			errno = EINVAL;
			return -1;
		}
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
			errno = EINVAL;
			return -1;
		}
		*len = sizeof(*s4);
	}
	return 0;
}

static int do_net(const char *addr, int type)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, rc, e;

	if (parse_addr(addr, &ss, &len) < 0)
		return -1;
	fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (type == SOCK_STREAM)
		rc = connect(fd, (struct sockaddr *)&ss, len);
	else
		rc = sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) == 1 ? 0 : -1;
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

static int do_listen(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, c, one = 1;

	if (parse_addr(addr, &ss, &len) < 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 8) < 0)
		return -1;
	printf("listening %s\n", addr);
	fflush(stdout);
	alarm(60);	/* never outlive a test run */
	c = accept(fd, NULL, NULL);
	if (c >= 0)
		close(c);
	close(fd);
	return c < 0 ? -1 : 0;
}

/*
 * Escape-surface ops (tests/integration/t_escape.sh), one attempt each, with
 * raw syscalls so the test sees exactly what the kernel answered. "-" = no arg.
 *   sleep N (outside helper) | ptrace PID (attach, detach if it worked) |
 *   vmread PID (process_vm_readv) | pidfd_getfd PID (prints "pidfd_open PID
 *   -> E" if that step fails) | signal PID (SIGTERM) | fsetown PID (F_SETOWN
 *   of a pipe) | renice PID (setpriority 19)
 *   mount DIR (tmpfs) | umount DIR | fsopen TYPE | open_tree DIR (clone) |
 *   move_mount DIR (clone of / moved onto DIR) | chroot DIR | pivot_root DIR
 *   unshare NS | clone NS | clone3 NS    NS: user mnt net pid ipc uts cgroup time
 *   (and "parent": CLONE_PARENT)
 *   setns - (fd 0) | setns_path PATH (open + setns)
 *   bpf - | perf - | init_module - | finit_module PATH | kexec - | keyctl - |
 *   add_key - | userfaultfd - | io_uring - | syslog - | handle PATH
 *   (name_to_handle_at) | open_by_handle - (a made-up handle)
 *   socket F,T,P (numbers, 0x.. allowed) | ioctl CMD (on fd 0) | personality P
 *   memfd_exec fexecve|proc (a memfd copy of us, "exit 42"; proc = execve
 *   /proc/self/fd/N) | memfd_mmap - (PROT_EXEC) | mmap_exec PATH |
 *   mprotect_exec PATH | exec_deleted PATH (open, unlink, exec via /proc)
 *   scratch_exec - | copy_exec DIR (a copy of us in the scratch dir / DIR, exec'd)
 *   opath_reopen PATH | openat2 PATH (no symlinks) | symlink_read TARGET:LINK |
 *   link OLD:NEW | rename OLD:NEW | writepid PATH (a cgroup.procs)
 *   sendfd SOCK:FILE (outside helper: serve one fd) | recvfd SOCK ("MSG_CTRUNC"
 *   if the descriptor was refused) | int80 - | x32 - (getpid via i386 / x32)
 *   thread - | fork -   (the runtime still works)
 */

static const struct { const char *name; unsigned long flag; } ns_flags[] = {
	{ "user", 0x10000000 }, { "mnt", 0x00020000 }, { "net", 0x40000000 },
	{ "pid", 0x20000000 }, { "ipc", 0x08000000 }, { "uts", 0x04000000 },
	{ "cgroup", 0x02000000 }, { "time", 0x00000080 }, { "parent", 0x00008000 },
};

static unsigned long ns_flag(const char *name)
{
	for (size_t i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++)
		if (strcmp(ns_flags[i].name, name) == 0)
			return ns_flags[i].flag;
	return 0;
}

static int keep_errno(int rc, int fd)
{
	int e = errno;

	if (fd >= 0)
		close(fd);
	errno = e;
	return rc;
}

static int copy_self(int out)
{
	char buf[65536];
	ssize_t n;
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	if (in < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return keep_errno(-1, in);
	return keep_errno(n < 0 ? -1 : 0, in);
}

/* A descriptor-returning call: ok (and closed) or its errno. */
static int fd_result(int fd)
{
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static char *const exit42[] = { "probe", "exit", "42", NULL };

static void *thread_fn(void *p)
{
	return p;
}

static int split2(const char *arg, char *a, char *b, size_t len)
{
	const char *c = strchr(arg, ':');

	if (!c || (size_t)(c - arg) >= len || strlen(c + 1) >= len) {
		errno = EINVAL;
		return -1;
	}
	memcpy(a, arg, (size_t)(c - arg));
	a[c - arg] = '\0';
	strcpy(b, c + 1);
	return 0;
}

/* A UNIX socket address: a path, or "@name" for the abstract namespace. */
static socklen_t unix_len;

static int unix_sock_type(const char *path, struct sockaddr_un *sa, int type)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa->sun_path, path);
	unix_len = sizeof(*sa);
	if (path[0] == '@') {
		sa->sun_path[0] = '\0';
		unix_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	}
	return socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
}

static int unix_sock(const char *path, struct sockaddr_un *sa)
{
	return unix_sock_type(path, sa, SOCK_STREAM);
}

/* connect (stream) or sendto (datagram) to a UNIX socket name. */
static int do_unix(const char *path, int type)
{
	struct sockaddr_un sa;
	int s = unix_sock_type(path, &sa, type), rc;

	if (s < 0)
		return -1;
	rc = type == SOCK_STREAM ? connect(s, (struct sockaddr *)&sa, unix_len)
				 : (int)sendto(s, "x", 1, 0, (struct sockaddr *)&sa, unix_len);
	return keep_errno(rc < 0 ? -1 : 0, s);
}

/* A UNIX socket of the run's own, named DIR/own.sock: bind, listen, connect. */
static int do_unix_own(const char *dir)
{
	struct sockaddr_un sa;
	char path[200];
	int l, c;

	snprintf(path, sizeof(path), "%s/own.sock", dir);
	unlink(path);
	if ((l = unix_sock(path, &sa)) < 0)
		return -1;
	if (bind(l, (struct sockaddr *)&sa, unix_len) < 0 || listen(l, 1) < 0)
		return keep_errno(-1, l);
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0)
		return keep_errno(-1, l);
	if (connect(c, (struct sockaddr *)&sa, unix_len) < 0) {
		close(l);
		return keep_errno(-1, c);
	}
	close(l);
	return keep_errno(0, c);
}

/* bind a UDP socket to A:P (no traffic, only the bind decision). */
static int do_bind(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (parse_addr(addr, &ss, &len) < 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	return keep_errno(bind(fd, (struct sockaddr *)&ss, len), fd);
}

/*
 * fdpass FILE CMD...: (outside the sandbox) run CMD with stdin one end of a
 * socket pair and send FILE's descriptor over the other end.
 */
static int do_fdpass(const char *file, char **cmd)
{
	char c = 'f', ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &c, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	int sv[2], fd = open(file, O_RDONLY), st;
	pid_t pid;

	if (fd < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 2;
	pid = fork();
	if (pid == 0) {
		dup2(sv[1], 0);
		close(sv[0]);
		close(sv[1]);
		execvp(cmd[0], cmd);
		_exit(127);
	}
	close(sv[1]);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sv[0], &mh, 0) != 1)
		perror("fdpass: sendmsg");
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return 2;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int do_sendfd(const char *arg)
{
	char sock[256], file[256], c = 'f';
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &c, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	struct sockaddr_un sa;
	int s, conn, fd;

	if (split2(arg, sock, file, sizeof(sock)) < 0 || (fd = open(file, O_RDONLY)) < 0 ||
	    (s = unix_sock(sock, &sa)) < 0)
		return -1;
	if (bind(s, (struct sockaddr *)&sa, unix_len) < 0 || listen(s, 1) < 0)
		return -1;
	if (sock[0] != '@')
		chmod(sock, 0777);
	printf("serving %s\n", sock);
	fflush(stdout);
	alarm(60);	/* never outlive a test run */
	if ((conn = accept(s, NULL, NULL)) < 0)
		return -1;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(conn, &mh, 0) == 1 ? 0 : -1;
}

static int do_recvfd(const char *op, const char *arg)
{
	char c, ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &c, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm;
	struct sockaddr_un sa;
	int s, fd = -1;

	/* "-": the descriptor comes over stdin, a socket the caller passed. */
	if (strcmp(arg, "-") == 0)
		s = 0;
	else if ((s = unix_sock(arg, &sa)) < 0 || connect(s, (struct sockaddr *)&sa, unix_len) < 0)
		return -1;
	if (recvmsg(s, &mh, MSG_CMSG_CLOEXEC) < 0)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (fd < 0 && (mh.msg_flags & MSG_CTRUNC)) {
		/* The kernel refused the descriptor: no errno, only this flag. */
		printf("%s %s -> MSG_CTRUNC\n", op, arg);
		fflush(stdout);
		return 1;
	}
	if (fd < 0) {
		errno = EBADMSG;
		return -1;
	}
	return keep_errno(read(fd, &c, 1) < 0 ? -1 : 0, fd);
}

/*
 * Address-form ops (tests/integration/t_escape_netaddr.sh):
 *   nbconnect A:P   non-blocking TCP connect: the verdict the sandbox gave at
 *                   connect time (EPERM), never a wait for a timeout
 *   loconnect A:P   the same on a socket bound to the loopback device
 *                   (SO_BINDTODEVICE "lo"): whatever the sandbox says, no
 *                   packet to A can leave the machine
 *   tfo A:P         TCP Fast Open: sendto(MSG_FASTOPEN) connects and sends
 */
static int do_addr_op(const char *op, const char *arg)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, rc;

	if (parse_addr(arg, &ss, &len) < 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
		    (strcmp(op, "tfo") == 0 ? 0 : SOCK_NONBLOCK), 0);
	if (fd < 0)
		return -1;
	if (strcmp(op, "loconnect") == 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3) < 0) {
		report("bindtodevice", "lo", -1);
		return keep_errno(-1, fd);
	}
	if (strcmp(op, "tfo") == 0)
		rc = sendto(fd, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&ss, len) == 1 ? 0 : -1;
	else
		rc = connect(fd, (struct sockaddr *)&ss, len);
	return keep_errno(rc, fd);
}

/* A POSIX ACL as the kernel takes it, one the mode bits cannot stand for
 * (so it is stored): user::rw- user:0:r-- group::r-- mask::r-- other::r-- */
static const unsigned char acl_blob[] = {
	2, 0, 0, 0,				/* POSIX_ACL_XATTR_VERSION */
	1, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,	/* ACL_USER_OBJ rw- */
	2, 0, 4, 0, 0, 0, 0, 0,			/* ACL_USER root r-- */
	4, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,	/* ACL_GROUP_OBJ r-- */
	0x10, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,	/* ACL_MASK r-- */
	0x20, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,	/* ACL_OTHER r-- */
};

/* Open PATH read-only, apply op to the descriptor. */
static int on_fd(const char *path, int flags, int (*op)(int fd))
{
	int fd = open(path, flags | O_CLOEXEC);

	return fd < 0 ? -1 : keep_errno(op(fd), fd);
}
static int fd_chmod(int fd) { return fchmod(fd, 0640); }
static int fd_chown(int fd) { return fchown(fd, getuid(), getgid()); }
static int fd_chown_empty(int fd) { return fchownat(fd, "", getuid(), getgid(), AT_EMPTY_PATH); }
static int fd_trunc(int fd) { return ftruncate(fd, 0); }
static int fd_setxattr(int fd) { return fsetxattr(fd, "user.ragged", "x", 1, 0); }
static int fd_setflags(int fd)
{
	int flags = 0;

	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
		flags = 0;
	flags |= FS_NODUMP_FL;
	return ioctl(fd, FS_IOC_SETFLAGS, &flags);
}
static int fd_utimens(int fd)
{
	struct timespec t[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

	return futimens(fd, t);
}

static int fs_op(const char *op, const char *in)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char arg[1024], a[512], b[512];
	const char *scratch = getenv("RAGGED_SCRATCH");
	size_t n = 0;
	int fd;

	/* "@S" stands for the run's scratch dir, known only inside the run. */
	for (const char *p = in; *p && n + 1 < sizeof(arg); p++) {
		if (p[0] == '@' && p[1] == 'S' && scratch) {
			n += (size_t)snprintf(arg + n, sizeof(arg) - n, "%s", scratch);
			p++;
			if (n >= sizeof(arg))
				n = sizeof(arg) - 1;
		} else {
			arg[n++] = *p;
		}
	}
	arg[n] = '\0';
	if (strcmp(op, "mv") == 0 || strcmp(op, "ln") == 0) {
		if (split2(arg, a, b, sizeof(a)) < 0)
			return -1;
		return op[0] == 'm' ? rename(a, b) : link(a, b);
	}

	if (strcmp(op, "unlink") == 0)
		return unlink(arg);
	if (strcmp(op, "rmdir") == 0)
		return rmdir(arg);
	if (strcmp(op, "mkdir") == 0)
		return mkdir(arg, 0755);
	if (strcmp(op, "mkfifo") == 0)
		return mkfifo(arg, 0644);
	if (strcmp(op, "sockname") == 0) {
		if (strlen(arg) >= sizeof(sa.sun_path))
			return errno = ENAMETOOLONG, -1;
		memcpy(sa.sun_path, arg, strlen(arg) + 1);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return -1;
		return keep_errno(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), fd);
	}
	if (strcmp(op, "symlink2") == 0)
		return symlink("/etc/passwd", arg);
	if (strcmp(op, "creat") == 0)
		return (fd = open(arg, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0 ? -1 :
			keep_errno(0, fd);
	if (strcmp(op, "otrunc") == 0)
		return (fd = open(arg, O_RDONLY | O_TRUNC | O_CLOEXEC)) < 0 ? -1 : keep_errno(0, fd);
	if (strcmp(op, "trunc") == 0)
		return truncate(arg, 0);
	if (strcmp(op, "ftrunc") == 0)
		return on_fd(arg, O_WRONLY, fd_trunc);
	if (strcmp(op, "chmod") == 0)
		return chmod(arg, 0640);
	if (strcmp(op, "fchmod") == 0)
		return on_fd(arg, O_RDONLY, fd_chmod);
	if (strcmp(op, "chown") == 0)
		return chown(arg, getuid(), getgid());
	if (strcmp(op, "lchown") == 0)
		return lchown(arg, getuid(), getgid());
	if (strcmp(op, "fchown") == 0)
		return on_fd(arg, O_RDONLY, fd_chown);
	if (strcmp(op, "fchownat_empty") == 0)
		return on_fd(arg, O_PATH, fd_chown_empty);
	if (strcmp(op, "utimes") == 0)
		return utimensat(AT_FDCWD, arg, NULL, 0);
	if (strcmp(op, "futimens") == 0)
		return on_fd(arg, O_RDONLY, fd_utimens);
	if (strcmp(op, "setflags") == 0)	/* chattr +d through a read-only descriptor */
		return on_fd(arg, O_RDONLY, fd_setflags);
	if (strcmp(op, "setxattr") == 0)
		return setxattr(arg, "user.ragged", "x", 1, 0);
	if (strcmp(op, "lsetxattr") == 0)
		return lsetxattr(arg, "user.ragged", "x", 1, 0);
	if (strcmp(op, "fsetxattr") == 0)
		return on_fd(arg, O_RDONLY, fd_setxattr);
	if (strcmp(op, "removexattr") == 0)
		return removexattr(arg, "user.ragged");
	if (strcmp(op, "setacl") == 0)
		return setxattr(arg, "system.posix_acl_access", acl_blob, sizeof(acl_blob), 0);
	if (strcmp(op, "listxattr") == 0) {	/* prints "xattrs PATH: a,b," */
		char names[1024];
		ssize_t len = llistxattr(arg, names, sizeof(names));

		if (len < 0)
			return -1;
		printf("xattrs %s: ", arg);
		for (ssize_t i = 0; i < len; i += (ssize_t)strlen(names + i) + 1)
			printf("%s,", names + i);
		printf("\n");
		return 0;
	}
	if (strcmp(op, "removeacl") == 0)
		return removexattr(arg, "system.posix_acl_access");
	return -2;
}

/* Returns the op's result (0 ok, -1 errno, 1 already reported), -2 unknown op. */
static int escape_op(const char *op, const char *arg)
{
	char a[256], b[256];
	long pid = atol(arg);
	int fd;

	if (strcmp(op, "nbconnect") == 0 || strcmp(op, "loconnect") == 0 || strcmp(op, "tfo") == 0)
		return do_addr_op(op, arg);
	if (strcmp(op, "sleep") == 0)
		return sleep((unsigned)atoi(arg)), 0;
	if (strcmp(op, "ptrace") == 0) {
		if (syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, pid, 0, 0) < 0)
			return -1;
		return syscall(SYS_ptrace, 17 /* PTRACE_DETACH */, pid, 0, 0), 0;
	}
	if (strcmp(op, "vmread") == 0) {
		char buf[1];
		struct iovec l = { buf, 1 }, r = { (void *)&ns_flags, 1 };

		return syscall(SYS_process_vm_readv, pid, &l, 1, &r, 1, 0) < 0 ? -1 : 0;
	}
	if (strcmp(op, "pidfd_getfd") == 0) {
		if ((fd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0) {
			report("pidfd_open", arg, -1);	/* the first step already failed */
			return 1;
		}
		return keep_errno(syscall(SYS_pidfd_getfd, fd, 0, 0) < 0 ? -1 : 0, fd);
	}
	if (strcmp(op, "mount") == 0)
		return mount("none", arg, "tmpfs", 0, NULL);
	if (strcmp(op, "umount") == 0)
		return umount2(arg, MNT_DETACH);
	if (strcmp(op, "fsopen") == 0)
		return fd_result((int)syscall(SYS_fsopen, arg, 0));
	if (strcmp(op, "open_tree") == 0)
		return fd_result((int)syscall(SYS_open_tree, AT_FDCWD, arg, 1 /* CLONE */));
	if (strcmp(op, "move_mount") == 0) {
		if ((fd = (int)syscall(SYS_open_tree, AT_FDCWD, "/", 1 | 0x8000 /* CLONE|RECURSIVE */)) < 0)
			return -1;
		return keep_errno(syscall(SYS_move_mount, fd, "", AT_FDCWD, arg, 4 /* F_EMPTY_PATH */)
				  < 0 ? -1 : 0, fd);
	}
	if (strcmp(op, "chroot") == 0)
		return chroot(arg);
	if (strcmp(op, "pivot_root") == 0)
		return (int)syscall(SYS_pivot_root, arg, arg);
	if (strcmp(op, "unshare") == 0)
		return unshare((int)ns_flag(arg));
	if (strcmp(op, "clone") == 0 || strcmp(op, "clone3") == 0) {
		struct { uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
			 stack_size, tls; } ca = { .flags = ns_flag(arg), .exit_signal = SIGCHLD };
		long child = op[5] ? syscall(SYS_clone3, &ca, sizeof(ca))
				   : syscall(SYS_clone, ns_flag(arg) | SIGCHLD, 0, 0, 0, 0);

		if (child == 0)
			_exit(0);
		return child < 0 ? -1 : (waitpid((pid_t)child, NULL, 0), 0);
	}
	if (strcmp(op, "setns") == 0)	/* any fd: the filter refuses before the kernel looks */
		return setns(0, CLONE_NEWNS);
	if (strcmp(op, "setns_path") == 0) {
		if ((fd = open(arg, O_RDONLY | O_CLOEXEC)) < 0)
			return -1;
		return keep_errno(setns(fd, 0), fd);
	}
	if (strcmp(op, "bpf") == 0) {
		unsigned int attr[16] = { 2 /* ARRAY */, 4, 4, 1 };

		return fd_result((int)syscall(SYS_bpf, 0, attr, sizeof(attr)));
	}
	if (strcmp(op, "perf") == 0) {
		unsigned int attr[32] = { 1 /* SOFTWARE */, sizeof(attr), 0 /* CPU_CLOCK */ };

		return fd_result((int)syscall(SYS_perf_event_open, attr, 0, -1, -1, 0));
	}
	if (strcmp(op, "init_module") == 0) {
		static const char image[128];	/* past the ELF header size check, not an ELF */

		return (int)syscall(SYS_init_module, image, sizeof(image), "");
	}
	if (strcmp(op, "finit_module") == 0) {
		if ((fd = open(arg, O_RDONLY | O_CLOEXEC)) < 0)
			return -1;
		return keep_errno((int)syscall(SYS_finit_module, fd, "", 0), fd);
	}
	if (strcmp(op, "kexec") == 0)
		return (int)syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL);
	if (strcmp(op, "keyctl") == 0)	/* KEYCTL_GET_KEYRING_ID(KEY_SPEC_USER_KEYRING) */
		return syscall(SYS_keyctl, 0, -4, 0) < 0 ? -1 : 0;
	if (strcmp(op, "add_key") == 0)	/* into KEY_SPEC_PROCESS_KEYRING */
		return syscall(SYS_add_key, "user", "ragged-probe", "x", 1, -2) < 0 ? -1 : 0;
	if (strcmp(op, "userfaultfd") == 0)
		return fd_result((int)syscall(SYS_userfaultfd, O_CLOEXEC));
	if (strcmp(op, "io_uring") == 0) {
		unsigned int params[30] = { 0 };

		return fd_result((int)syscall(SYS_io_uring_setup, 1, params));
	}
	if (strcmp(op, "syslog") == 0)	/* SYSLOG_ACTION_SIZE_BUFFER */
		return syscall(SYS_syslog, 10, NULL, 0) < 0 ? -1 : 0;
	if (strcmp(op, "socket") == 0) {
		unsigned long long f, t = 1, p = 0;

		if (sscanf(arg, "%lli,%lli,%lli", &f, &t, &p) < 1) {
			errno = EINVAL;
			return -1;
		}
		return fd_result((int)syscall(SYS_socket, f, t, p));
	}
	if (strcmp(op, "signal") == 0)
		return kill((pid_t)pid, SIGTERM);
	if (strcmp(op, "signal_child") == 0) {	/* SIGTERM to a child of its own */
		int st = 0;
		pid_t c = fork();

		if (c < 0)
			return -1;
		if (c == 0) {
			pause();
			_exit(0);
		}
		if (kill(c, SIGTERM) < 0) {
			int e = errno;

			kill(c, SIGKILL);
			waitpid(c, NULL, 0);
			errno = e;
			return -1;
		}
		if (waitpid(c, &st, 0) < 0)
			return -1;
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGTERM) {
			errno = ECHILD;	/* it ended some other way: not our signal */
			return -1;
		}
		return 0;
	}
	if (strcmp(op, "fsetown") == 0) {	/* aim a pipe's SIGIO at PID */
		int p[2];

		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		close(p[1]);
		return keep_errno(fcntl(p[0], F_SETOWN, (int)pid), p[0]);
	}
	if (strcmp(op, "renice") == 0)
		return setpriority(PRIO_PROCESS, (id_t)pid, 19);
	if (strcmp(op, "handle") == 0) {
		struct { unsigned int bytes; int type; unsigned char h[128]; } fh = { 128, 0, { 0 } };
		int mnt;

		return (int)syscall(SYS_name_to_handle_at, AT_FDCWD, arg, &fh, &mnt, 0);
	}
	if (strcmp(op, "open_by_handle") == 0) {
		struct { unsigned int bytes; int type; unsigned char h[8]; } fh = { 8, 1, { 0 } };

		return fd_result((int)syscall(SYS_open_by_handle_at, AT_FDCWD, &fh, O_RDONLY));
	}
	if (strcmp(op, "ioctl") == 0)
		return syscall(SYS_ioctl, 0, strtoull(arg, NULL, 0), "x") < 0 ? -1 : 0;
	if (strcmp(op, "personality") == 0)
		return syscall(SYS_personality, strtoull(arg, NULL, 0)) < 0 ? -1 : 0;
	if (strcmp(op, "memfd_exec") == 0 || strcmp(op, "memfd_mmap") == 0) {
		if ((fd = memfd_create("payload", 0)) < 0 || copy_self(fd) < 0)
			return -1;
		if (strcmp(op, "memfd_mmap") == 0)
			return keep_errno(mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0)
					  == MAP_FAILED ? -1 : 0, fd);
		if (strcmp(arg, "fexecve") == 0)
			return fexecve(fd, exit42, environ);
		snprintf(a, sizeof(a), "/proc/self/fd/%d", fd);
		return execve(a, exit42, environ);
	}
	if (strcmp(op, "mmap_exec") == 0 || strcmp(op, "mprotect_exec") == 0) {
		void *m;

		if ((fd = open(arg, O_RDONLY | O_CLOEXEC)) < 0)
			return -1;
		m = mmap(NULL, 4096, PROT_READ | (op[1] == 'm' ? PROT_EXEC : 0), MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED)
			return keep_errno(-1, fd);
		return keep_errno(op[1] == 'p' ? mprotect(m, 4096, PROT_READ | PROT_EXEC) : 0, fd);
	}
	if (strcmp(op, "exec_deleted") == 0) {
		if ((fd = open(arg, O_RDONLY)) < 0 || unlink(arg) < 0)
			return -1;
		snprintf(a, sizeof(a), "/proc/self/fd/%d", fd);
		return execve(a, exit42, environ);
	}
	if (strcmp(op, "opath_reopen") == 0) {
		if ((fd = open(arg, O_PATH | O_CLOEXEC)) < 0)
			return -1;
		snprintf(a, sizeof(a), "/proc/self/fd/%d", fd);
		return keep_errno(do_read(a), fd);
	}
	if (strcmp(op, "openat2") == 0) {
		struct { unsigned long long flags, mode, resolve; } how = {
			O_RDONLY | O_CLOEXEC, 0, 0x04 | 0x02 /* NO_SYMLINKS | NO_MAGICLINKS */ };
		char c;

		if ((fd = (int)syscall(SYS_openat2, AT_FDCWD, arg, &how, sizeof(how))) < 0)
			return -1;
		return keep_errno(read(fd, &c, 1) < 0 ? -1 : 0, fd);
	}
	if (strcmp(op, "symlink_read") == 0) {
		if (split2(arg, a, b, sizeof(a)) < 0 || symlink(a, b) < 0)
			return -1;
		return do_read(b);
	}
	if (strcmp(op, "link") == 0 || strcmp(op, "rename") == 0) {
		if (split2(arg, a, b, sizeof(a)) < 0)
			return -1;
		return op[0] == 'l' ? link(a, b) : rename(a, b);
	}
	if (strcmp(op, "scratch_exec") == 0 || strcmp(op, "copy_exec") == 0) {
		const char *dir = op[0] == 's' ? getenv("RAGGED_SCRATCH") : arg;

		snprintf(a, sizeof(a), "%s/fetched", dir ? dir : ".");
		if ((fd = open(a, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700)) < 0 ||
		    keep_errno(copy_self(fd), fd) < 0)
			return -1;
		return execve(a, exit42, environ);
	}
	if (strcmp(op, "writepid") == 0) {
		char num[24];
		int n = snprintf(num, sizeof(num), "%d\n", getpid());

		if ((fd = open(arg, O_WRONLY | O_CLOEXEC)) < 0)
			return -1;
		return keep_errno(write(fd, num, (size_t)n) == n ? 0 : -1, fd);
	}
	if (strcmp(op, "unix") == 0)
		return do_unix(arg, SOCK_STREAM);
	if (strcmp(op, "unixdgram") == 0)
		return do_unix(arg, SOCK_DGRAM);
	if (strcmp(op, "unixown") == 0)
		return do_unix_own(strcmp(arg, "-") == 0 ? getenv("TMPDIR") ?: "/tmp" : arg);
	if (strcmp(op, "bind") == 0)
		return do_bind(arg);
	if (strcmp(op, "unixlink") == 0) {	/* $TMPDIR/link.sock -> NAME, connect through it */
		snprintf(a, sizeof(a), "%s/link.sock", getenv("TMPDIR") ?: "/tmp");
		unlink(a);
		if (symlink(arg, a) < 0)
			return -1;
		return do_unix(a, SOCK_STREAM);
	}
	if (strcmp(op, "dgramsrv") == 0) {	/* outside: a datagram socket NAME, 60 s */
		struct sockaddr_un sa;
		int d = unix_sock_type(arg, &sa, SOCK_DGRAM);

		if (d < 0 || bind(d, (struct sockaddr *)&sa, unix_len) < 0)
			return -1;
		if (arg[0] != '@')
			chmod(arg, 0777);
		printf("serving %s\n", arg);
		fflush(stdout);
		sleep(60);
		return 0;
	}
	if (strcmp(op, "sendfd") == 0)
		return do_sendfd(arg);
	if (strcmp(op, "recvfd") == 0)
		return do_recvfd(op, arg);
	if (strcmp(op, "int80") == 0) {
		long ret;

		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
		return ret < 0 ? (errno = (int)-ret, -1) : 0;
	}
	if (strcmp(op, "x32") == 0)
		return syscall(0x40000000L | 39) < 0 ? -1 : 0;
	if (strcmp(op, "thread") == 0) {
		pthread_t t;
		int rc = pthread_create(&t, NULL, thread_fn, NULL);

		if (rc != 0)
			return errno = rc, -1;
		return pthread_join(t, NULL);
	}
	if (strcmp(op, "fork") == 0) {
		pid_t c = fork();

		if (c == 0)
			_exit(0);
		return c < 0 ? -1 : (waitpid(c, NULL, 0), 0);
	}
	return -2;
}

/*
 * Other processes through non-signal paths (tests/integration/t_escape_proc.sh):
 * priority, scheduling, affinity, I/O priority and resource limits of a
 * process PID, and SysV / POSIX IPC objects made by an outside process.
 *   prlimit PID (RLIMIT_NOFILE 64) | prlimit_cpu PID (hard RLIMIT_CPU 1 s) |
 *   prlimit_hi PID (RLIMIT_NICE 0, the pid with bit 32 set) | prlimit_read PID (no new limit) |
 *   setprio_user - (PRIO_USER, own uid) | setprio_self_pid - (PRIO_PROCESS,
 *   getpid()) | affinity PID (CPU 0 only) | setattr PID (SCHED_OTHER nice 19) |
 *   setsched PID (SCHED_BATCH) | setparam PID | ioprio PID (idle class) |
 *   ioprio_user - (IOPRIO_WHO_USER, own uid) | move_pages PID (query) |
 *   robust_list PID (get_robust_list) | sched_core PID (PR_SCHED_CORE_GET) |
 *   getioprio PID (outside helper:
 *   prints "getioprio PID = VALUE")
 *   self_sched - (one line per step: what a process may do to itself)
 *   ipcsrv KEY (outside helper: SysV shm, msg, sem with KEY and POSIX queue
 *   /ragged-KEY; prints "ipcsrv ids SHM MSG SEM", removes them on SIGTERM) |
 *   shmget KEY | shmat ID | msgget KEY | msgsnd ID | semget KEY | semop ID |
 *   mq_open NAME | ipc_own - (SysV IPC between the probe and its child) |
 *   mq_own - (a POSIX message queue between the probe and its child)
 */
#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#define IOPRIO_IDLE (3 << 13)
#define IOPRIO_BE7 (2 << 13 | 7)

struct probe_sched_attr {
	unsigned int size, sched_policy;
	unsigned long long sched_flags;
	int sched_nice;
	unsigned int sched_priority;
	unsigned long long sched_runtime, sched_deadline, sched_period;
	unsigned int util_min, util_max;
};

struct probe_msg {
	long type;
	char text[8];
};

static volatile sig_atomic_t ipc_stop;
static void ipc_stop_handler(int sig) { (void)sig; ipc_stop = 1; }

static int ipc_server(key_t key)
{
	char name[32];
	int shm, msg, sem;
	mqd_t mq;
	char *p;

	snprintf(name, sizeof(name), "/ragged-%d", (int)key);
	signal(SIGTERM, ipc_stop_handler);
	shm = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
	msg = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
	sem = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
	mq = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, NULL);
	if (shm < 0 || msg < 0 || sem < 0 || mq == (mqd_t)-1)
		return -1;
	p = shmat(shm, NULL, 0);
	if (p != (void *)-1) {
		strcpy(p, "outside");
		shmdt(p);
	}
	printf("ipcsrv ids %d %d %d\n", shm, msg, sem);
	fflush(stdout);
	for (int i = 0; i < 600 && !ipc_stop; i++)
		usleep(100000);
	shmctl(shm, IPC_RMID, NULL);
	msgctl(msg, IPC_RMID, NULL);
	semctl(sem, 0, IPC_RMID);
	mq_close(mq);
	mq_unlink(name);
	return 0;
}

static void step(const char *op, const char *what, int rc)
{
	printf("%s %s -> %s\n", op, what, rc == 0 ? "ok" : strerrorname_np(errno));
	fflush(stdout);
}

/* What a process may still do to itself: every step must print "ok". */
static void self_sched(const char *op)
{
	struct rlimit rl, old;
	cpu_set_t set;
	struct sched_param sp = { 0 };

	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_cur > 64 ? 64 : rl.rlim_cur;
	step(op, "setrlimit", setrlimit(RLIMIT_NOFILE, &rl));
	step(op, "prlimit_self", prlimit(0, RLIMIT_NOFILE, &rl, &old));
	errno = 0;
	step(op, "nice", nice(1) == -1 && errno ? -1 : 0);
	step(op, "sched_yield", sched_yield());
	step(op, "affinity", sched_getaffinity(0, sizeof(set), &set) < 0 ? -1 :
			     sched_setaffinity(0, sizeof(set), &set));
	step(op, "setsched", sched_setscheduler(0, SCHED_BATCH, &sp));
	step(op, "ioprio", (int)syscall(SYS_ioprio_set, 1, 0, IOPRIO_BE7));
	errno = 0;
	step(op, "getprio_other", getpriority(PRIO_PROCESS, (id_t)getppid()) == -1 && errno ? -1 : 0);
}

/* SysV IPC between the probe and its child: the child writes, the parent reads. */
static int ipc_own(const char *op)
{
	int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	int msg = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	struct probe_msg m = { 1, "" };
	struct sembuf down = { 0, -1, 0 };
	char *p;
	pid_t c;
	int st;

	step(op, "shmget", shm < 0 ? -1 : 0);
	step(op, "msgget", msg < 0 ? -1 : 0);
	step(op, "semget", sem < 0 ? -1 : 0);
	if (shm < 0 || msg < 0 || sem < 0)
		return 1;
	c = fork();
	if (c == 0) {
		struct probe_msg cm = { 1, "child" };
		struct sembuf up = { 0, 1, 0 };

		p = shmat(shm, NULL, 0);
		if (p == (void *)-1)
			_exit(1);
		strcpy(p, "child");
		_exit(msgsnd(msg, &cm, sizeof(cm.text), 0) < 0 || semop(sem, &up, 1) < 0);
	}
	step(op, "semop", semop(sem, &down, 1));
	p = shmat(shm, NULL, SHM_RDONLY);
	step(op, "shm", p == (void *)-1 ? -1 : strcmp(p, "child") == 0 ? 0 : (errno = EBADMSG, -1));
	step(op, "msg", msgrcv(msg, &m, sizeof(m.text), 1, IPC_NOWAIT) < 0 ? -1 :
			strcmp(m.text, "child") == 0 ? 0 : (errno = EBADMSG, -1));
	waitpid(c, &st, 0);
	if (p != (void *)-1)
		shmdt(p);
	shmctl(shm, IPC_RMID, NULL);
	msgctl(msg, IPC_RMID, NULL);
	semctl(sem, 0, IPC_RMID);
	return 1;
}

/* A POSIX message queue between the probe and its child. */
static int mq_own(const char *op)
{
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 8 };
	mqd_t mq = mq_open("/ragged-own", O_CREAT | O_RDWR, 0600, &attr);
	char buf[8] = "";
	pid_t c;
	int st;

	step(op, "mq_open", mq == (mqd_t)-1 ? -1 : 0);
	if (mq == (mqd_t)-1)
		return 1;
	c = fork();
	if (c == 0)
		_exit(mq_send(mq, "child", 6, 0) < 0);
	step(op, "mq", mq_receive(mq, buf, sizeof(buf), NULL) < 0 ? -1 :
		       strcmp(buf, "child") == 0 ? 0 : (errno = EBADMSG, -1));
	waitpid(c, &st, 0);
	mq_close(mq);
	step(op, "mq_unlink", mq_unlink("/ragged-own"));
	return 1;
}

/* Returns the op's result (0 ok, -1 errno, 1 already reported), -2 unknown op. */
static int proc_op(const char *op, const char *arg)
{
	long pid = atol(arg);
	struct rlimit rl = { 64, 64 }, cpu = { 1, 1 };
	struct sched_param sp = { 0 };
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (strcmp(op, "prlimit") == 0)
		return prlimit((pid_t)pid, RLIMIT_NOFILE, &rl, NULL);
	if (strcmp(op, "prlimit_cpu") == 0)
		return prlimit((pid_t)pid, RLIMIT_CPU, &cpu, NULL);
	if (strcmp(op, "prlimit_hi") == 0) {	/* RLIMIT_NICE: told apart from "prlimit" by the record */
		struct rlimit zero = { 0, 0 };

		return (int)syscall(SYS_prlimit64, (1UL << 32) | (unsigned long)pid, RLIMIT_NICE, &zero, NULL);
	}
	if (strcmp(op, "prlimit_read") == 0)
		return prlimit((pid_t)pid, RLIMIT_NOFILE, NULL, &rl);
	if (strcmp(op, "setprio_user") == 0)
		return setpriority(PRIO_USER, 0, 19);
	if (strcmp(op, "setprio_self_pid") == 0)
		return setpriority(PRIO_PROCESS, (id_t)getpid(), 1);
	if (strcmp(op, "affinity") == 0)
		return sched_setaffinity((pid_t)pid, sizeof(one), &one);
	if (strcmp(op, "setattr") == 0) {
		struct probe_sched_attr at = { .size = sizeof(at), .sched_nice = 19 };

		return (int)syscall(SYS_sched_setattr, pid, &at, 0);
	}
	if (strcmp(op, "setsched") == 0)
		return sched_setscheduler((pid_t)pid, SCHED_BATCH, &sp);
	if (strcmp(op, "setparam") == 0)
		return sched_setparam((pid_t)pid, &sp);
	if (strcmp(op, "ioprio") == 0)
		return (int)syscall(SYS_ioprio_set, 1 /* WHO_PROCESS */, pid, IOPRIO_IDLE);
	if (strcmp(op, "ioprio_user") == 0)
		return (int)syscall(SYS_ioprio_set, 3 /* WHO_USER */, 0, IOPRIO_IDLE);
	if (strcmp(op, "move_pages") == 0) {	/* query only (no target nodes): where PID's page lies */
		void *page = (void *)0x400000;
		int status;

		return (int)syscall(SYS_move_pages, pid, 1, &page, NULL, &status, 0);
	}
	if (strcmp(op, "robust_list") == 0) {	/* a pointer into PID's memory (ASLR) */
		void *head;
		size_t len;

		return (int)syscall(SYS_get_robust_list, pid, &head, &len);
	}
	if (strcmp(op, "sched_core") == 0) {	/* read PID's core-scheduling cookie */
		unsigned long cookie;

		return prctl(62 /* PR_SCHED_CORE */, 0 /* GET */, pid, 0 /* PIDTYPE_PID */, &cookie);
	}
	if (strcmp(op, "getioprio") == 0) {	/* outside helper: PID's I/O priority */
		int v = (int)syscall(SYS_ioprio_get, 1, pid);

		printf("getioprio %ld = %d\n", pid, v);
		return v < 0 ? -1 : 1;
	}
	if (strcmp(op, "self_sched") == 0)
		return self_sched(op), 1;
	if (strcmp(op, "ipcsrv") == 0)
		return ipc_server((key_t)pid);
	if (strcmp(op, "shmget") == 0)
		return shmget((key_t)pid, 0, 0) < 0 ? -1 : 0;
	if (strcmp(op, "shmat") == 0)
		return shmat((int)pid, NULL, SHM_RDONLY) == (void *)-1 ? -1 : 0;
	if (strcmp(op, "msgget") == 0)
		return msgget((key_t)pid, 0) < 0 ? -1 : 0;
	if (strcmp(op, "msgsnd") == 0) {
		struct probe_msg m = { 1, "plugin" };

		return msgsnd((int)pid, &m, sizeof(m.text), IPC_NOWAIT);
	}
	if (strcmp(op, "semget") == 0)
		return semget((key_t)pid, 0, 0) < 0 ? -1 : 0;
	if (strcmp(op, "semop") == 0) {
		struct sembuf up = { 0, 1, IPC_NOWAIT };

		return semop((int)pid, &up, 1);
	}
	if (strcmp(op, "mq_open") == 0) {
		char name[64];
		mqd_t q;

		snprintf(name, sizeof(name), "/%s", arg);
		q = mq_open(name, O_RDWR);
		return q == (mqd_t)-1 ? -1 : (mq_close(q), 0);
	}
	if (strcmp(op, "ipc_own") == 0)
		return ipc_own(op);
	if (strcmp(op, "mq_own") == 0)
		return mq_own(op);
	return -2;
}

int main(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *op = argv[i], *arg = argv[i + 1];
		int rc;

		if (strcmp(op, "fdpass") == 0 && i + 2 < argc)
			return do_fdpass(arg, argv + i + 2);
		if (strcmp(op, "read") == 0)
			report(op, arg, do_read(arg));
		else if (strcmp(op, "write") == 0)
			report(op, arg, do_write(arg));
		else if (strcmp(op, "list") == 0)
			report(op, arg, do_list(arg));
		else if (strcmp(op, "connect") == 0)
			report(op, arg, do_net(arg, SOCK_STREAM));
		else if (strcmp(op, "udp") == 0)
			report(op, arg, do_net(arg, SOCK_DGRAM));
		else if (strcmp(op, "exec") == 0) {
			char *const av[] = { (char *)arg, NULL };

			execv(arg, av);
			report(op, arg, -1);
		} else if (strcmp(op, "exit") == 0)
			return atoi(arg);
		else if (strcmp(op, "cgroup") == 0) {
			char line[512];
			FILE *f = fopen("/proc/self/cgroup", "re");

			while (f && fgets(line, sizeof(line), f))
				printf("cgroup %s", line);
			if (f)
				fclose(f);
			else
				report(op, arg, -1);
		} else if (strcmp(op, "listen") == 0)
			report(op, arg, do_listen(arg));
		else if (strcmp(op, "stdin") == 0) {
			char line[256];

			if (fgets(line, sizeof(line), stdin))
				printf("stdin %s", line);
			else
				report(op, arg, -1);
		} else if (strcmp(op, "kill") == 0)
			raise(atoi(arg));
		else if (strcmp(op, "uid") == 0)
			printf("uid %u euid %u\n", getuid(), geteuid());
		else if ((rc = escape_op(op, arg)) != -2 || (rc = proc_op(op, arg)) != -2) {
			if (rc <= 0)
				report(op, arg, rc);
		} else if ((rc = fs_op(op, arg)) != -2) {
			report(op, arg, rc);
		} else {
			fprintf(stderr, "probe: unknown op %s\n", op);
			return 2;
		}
	}
	return 0;
}

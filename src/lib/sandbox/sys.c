/*
 * sandbox/sys: the syscall groups programs combine, and the seccomp filter
 * built from them with libseccomp.
 *
 * One table per group, so a reader sees at a glance what "net-server"
 * means.  Names are resolved by libseccomp for the native architecture; a
 * name the architecture lacks (e.g. "open" on arm64) is skipped.  Some
 * calls are allowed by argument only (socket families, ioctl requests);
 * a few dangerous ones fail with EPERM instead of killing, so one test
 * process can try them all in turn.
 */
#include "sandbox/sys.h"

#include "sandbox/sandbox.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>

/* glibc, libevent, OpenSSL and the ASan/UBSan runtimes, for every program. */
static const char *const sys_base[] = {
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "close",
    "close_range", "fstat", "newfstatat", "stat", "lstat", "statx", "statfs", "fstatfs", "lseek",
    "open", "openat", "openat2", "access", "faccessat", "faccessat2", "readlink", "readlinkat",
    "getcwd", "getdents64", "fcntl", "dup", "dup2", "dup3", "pipe", "pipe2", "poll", "ppoll",
    "select", "pselect6", "umask", "mmap", "munmap", "mprotect", "mremap", "madvise", "mincore",
    "brk", "msync", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending",
    "rt_sigtimedwait", "rt_sigsuspend", "sigaltstack", "kill", "tgkill", "tkill", "getpid",
    "gettid", "getppid", "getpgrp", "getpgid", "getsid", "getuid", "geteuid", "getgid",
    "getegid", "getgroups", "getresuid", "getresgid", "clock_gettime", "clock_getres",
    "clock_nanosleep", "nanosleep", "gettimeofday", "time", "alarm", "setitimer", "getitimer",
    "futex", "set_robust_list", "get_robust_list", "rseq", "set_tid_address", "sched_yield",
    "sched_getaffinity", "exit", "exit_group", "restart_syscall", "getrandom", "uname",
    "prlimit64", "getrlimit", "getrusage", "sysinfo", "times", "prctl", "arch_prctl",
    "membarrier", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
    "shutdown", "getsockopt", "setsockopt", "getsockname", "getpeername", "connect", "flock",
    "fsync", "fdatasync", "ftruncate", "fadvise64", "capget",
    /* a confined process may confine itself further (upssched run by [notify]) */
    "seccomp", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", NULL};

static const char *const sys_event[] = {"epoll_create", "epoll_create1", "epoll_ctl",
    "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "timerfd_create",
    "timerfd_settime", "timerfd_gettime", "signalfd", "signalfd4", "socketpair", NULL};

static const char *const sys_listen[] = {"bind", "listen", "accept", "accept4", NULL};

static const char *const sys_file_write[] = {"rename", "renameat", "renameat2", "unlink",
    "unlinkat", "mkdir", "mkdirat", "rmdir", "chmod", "fchmod", "fchmodat", "fchown",
    "fchownat", "link", "linkat", "symlink", "symlinkat", "mknod", "mknodat", "utimensat",
    "fallocate", "truncate", NULL};

static const char *const sys_spawn[] = {"fork", "vfork", "clone", "clone3", "wait4",
    "waitid", "setsid", "setpgid", "socketpair", NULL};

/* Programs run by NOTIFYCMD/CMDSCRIPT inherit the filter: shells and coreutils need these. */
static const char *const sys_exec[] = {"execve", "execveat", "chdir", "fchdir", "fadvise64",
    "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr", "setrlimit",
    "getpriority", "setpriority", "sched_getparam", "sched_getscheduler", "getcpu",
    "sync", "syncfs", "ioprio_get", NULL};

static const char *const sys_device[] = {"ioctl", NULL};

static const char *const sys_none[] = {NULL};

/* Fail with EPERM instead of killing when not allowed: tests try them in turn. */
static const char *const sys_eperm[] = {"execve", "execveat", "ptrace", "process_vm_readv",
    "process_vm_writev", "mount", "umount2", "pivot_root", "chroot", "setuid", "setgid",
    "setgroups", "setresuid", "setresgid", "setreuid", "setregid", "capset", "unshare",
    "setns", "bpf", "perf_event_open", "kexec_load", "init_module", "finit_module",
    "reboot", "personality", "bind", "listen", "accept", "accept4", "fork", "vfork", "clone",
    "clone3", NULL};

/* ioctl requests every program may use (isatty, libevent's FIONREAD, FIONBIO). */
static const unsigned long sys_ioctl_safe[] = {TCGETS, TIOCGWINSZ, FIONREAD, FIONBIO, FIOCLEX,
    FIONCLEX};

struct sys_group {
	unsigned bit;
	const char *name;
	const char *const *calls;
	const char *what;
};

static const struct sys_group sys_groups[] = {
    {SANDBOX_SYS_BASE, "base", sys_base, "memory, signals, time, file/socket I/O, syslog"},
    {SANDBOX_SYS_EVENT, "event", sys_event, "epoll, eventfd, timerfd, signalfd"},
    {SANDBOX_SYS_NET_SERVER, "net-server", sys_listen, "TCP sockets, bind, listen, accept"},
    {SANDBOX_SYS_NET_CLIENT, "net-client", sys_none, "TCP sockets, connect"},
    {SANDBOX_SYS_UNIX_SERVER, "unix-server", sys_listen, "Unix sockets bind, listen, accept"},
    {SANDBOX_SYS_FILE_WRITE, "file-write", sys_file_write, "rename, unlink, mkdir, chmod"},
    {SANDBOX_SYS_SPAWN, "spawn", sys_spawn, "fork, wait"},
    {SANDBOX_SYS_EXEC, "exec", sys_exec, "execve (with spawn)"},
    {SANDBOX_SYS_DEVICE, "device", sys_device, "any ioctl"},
};

#define SYS_NGROUPS (sizeof(sys_groups) / sizeof(sys_groups[0]))

/* Socket families by group. */
struct sys_family {
	int family;
	unsigned groups; /* any of these groups allows it */
};

static const struct sys_family sys_families[] = {
    {AF_UNIX, SANDBOX_SYS_BASE},
    {AF_INET, SANDBOX_SYS_NET_SERVER | SANDBOX_SYS_NET_CLIENT},
    {AF_INET6, SANDBOX_SYS_NET_SERVER | SANDBOX_SYS_NET_CLIENT},
};

unsigned
sandbox_sys_normalize(unsigned groups)
{
	groups |= SANDBOX_SYS_BASE;
	if (groups & SANDBOX_SYS_EXEC)
		groups |= SANDBOX_SYS_SPAWN;
	return groups & SANDBOX_SYS_ALL;
}

static bool
sys_in_list(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

bool
sandbox_sys_allows(unsigned groups, const char *name)
{
	groups = sandbox_sys_normalize(groups);
	if (strcmp(name, "socket") == 0 || strcmp(name, "ioctl") == 0)
		return true; /* by argument */
	for (size_t i = 0; i < SYS_NGROUPS; i++)
		if ((groups & sys_groups[i].bit) && sys_in_list(sys_groups[i].calls, name))
			return true;
	return false;
}

int
sandbox_sys_parse(const char *list, unsigned *ret)
{
	unsigned groups = 0;
	const char *p = list;

	if (!list)
		return -EINVAL;
	while (*p) {
		size_t n = strcspn(p, ",");
		bool found = false;

		for (size_t i = 0; i < SYS_NGROUPS; i++) {
			if (strlen(sys_groups[i].name) == n && strncmp(sys_groups[i].name, p, n) == 0) {
				groups |= sys_groups[i].bit;
				found = true;
			}
		}
		if (!found)
			return -EINVAL;
		p += n;
		if (*p == ',')
			p++;
	}
	*ret = sandbox_sys_normalize(groups);
	return 0;
}

int
sandbox_sys_format(unsigned groups, char *buf, size_t size)
{
	size_t len = 0;

	if (size == 0)
		return -ENOSPC;
	buf[0] = '\0';
	for (size_t i = 0; i < SYS_NGROUPS; i++) {
		if (!(groups & sys_groups[i].bit))
			continue;
		int n = snprintf(buf + len, size - len, "%s%s", len ? "," : "", sys_groups[i].name);
		if (n < 0 || (size_t)n >= size - len)
			return -ENOSPC;
		len += (size_t)n;
	}
	return (int)len;
}

const char *
sandbox_sys_describe(unsigned bit)
{
	for (size_t i = 0; i < SYS_NGROUPS; i++)
		if (sys_groups[i].bit == bit)
			return sys_groups[i].what;
	return NULL;
}

/* Allow every call of `list` (names this arch lacks are skipped). */
static int
sys_allow_list(scmp_filter_ctx ctx, const char *const *list)
{
	for (; *list; list++) {
		int nr = seccomp_syscall_resolve_name(*list);
		if (nr == __NR_SCMP_ERROR)
			return -EINVAL; /* a typo in a table: the unit test catches it */
		if (nr < 0)
			continue; /* not on this architecture */
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r < 0 && r != -EEXIST)
			return r;
	}
	return 0;
}

static int
sys_add_sockets(scmp_filter_ctx ctx, unsigned groups)
{
	int r;

	for (size_t i = 0; i < sizeof(sys_families) / sizeof(sys_families[0]); i++) {
		if (!(groups & sys_families[i].groups))
			continue;
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sys_families[i].family));
		if (r < 0)
			return r;
	}
	/* Every other family (AF_PACKET, AF_NETLINK for getaddrinfo, ...) is refused softly. */
	for (int fam = 0; fam < AF_MAX; fam++) {
		bool allowed = false;
		for (size_t i = 0; i < sizeof(sys_families) / sizeof(sys_families[0]); i++)
			if (sys_families[i].family == fam && (groups & sys_families[i].groups))
				allowed = true;
		if (allowed)
			continue;
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fam));
		if (r < 0)
			return r;
	}
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_GE, (scmp_datum_t)AF_MAX));
}

/*
 * libseccomp cannot say "ioctl with any other request", so the requests are
 * partitioned: the safe ones all lie in the tty range 0x5401..0x5451, every
 * value of that range is allowed or refused one by one, and values below
 * or above it are refused as ranges.  Refused means ENOTTY, as on a plain
 * file, so libraries that probe (isatty) keep working.
 */
#define SYS_IOCTL_LO 0x5401UL
#define SYS_IOCTL_HI 0x5451UL

static bool
sys_ioctl_is_safe(unsigned long req)
{
	for (size_t i = 0; i < sizeof(sys_ioctl_safe) / sizeof(sys_ioctl_safe[0]); i++)
		if (sys_ioctl_safe[i] == req)
			return true;
	return false;
}

static int
sys_add_ioctl(scmp_filter_ctx ctx, unsigned groups)
{
	int r;

	if (groups & SANDBOX_SYS_DEVICE)
		return 0; /* the group table allowed ioctl outright */
	for (unsigned long req = SYS_IOCTL_LO; req <= SYS_IOCTL_HI; req++) {
		r = seccomp_rule_add(ctx, sys_ioctl_is_safe(req) ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(ENOTTY),
		    SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)req));
		if (r < 0)
			return r;
	}
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOTTY), SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_LT, (scmp_datum_t)SYS_IOCTL_LO));
	if (r >= 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOTTY), SCMP_SYS(ioctl), 1,
		    SCMP_A1(SCMP_CMP_GT, (scmp_datum_t)SYS_IOCTL_HI));
	return r;
}

static int
sys_add_eperm_list(scmp_filter_ctx ctx, unsigned groups, const char *const *list)
{
	for (const char *const *p = list; *p; p++) {
		if (sandbox_sys_allows(groups, *p))
			continue;
		int nr = seccomp_syscall_resolve_name(*p);
		if (nr < 0)
			continue;
		int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (r < 0 && r != -EEXIST)
			return r;
	}
	return 0;
}

/*
 * The dangerous calls, and the file-changing ones: clean-up code (unlink a
 * pid file at exit) must not turn a normal stop into a SIGSYS death;
 * Landlock still decides where writes may happen when they are allowed.
 */
static int
sys_add_eperm(scmp_filter_ctx ctx, unsigned groups)
{
	int r = sys_add_eperm_list(ctx, groups, sys_eperm);

	return r < 0 ? r : sys_add_eperm_list(ctx, groups, sys_file_write);
}

int
sandbox_sys_load(unsigned groups, bool log_only)
{
	scmp_filter_ctx ctx;
	int r = 0;

	groups = sandbox_sys_normalize(groups);
	ctx = seccomp_init(log_only ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (size_t i = 0; r >= 0 && i < SYS_NGROUPS; i++)
		if (groups & sys_groups[i].bit)
			r = sys_allow_list(ctx, sys_groups[i].calls);
	if (r >= 0)
		r = sys_add_sockets(ctx, groups);
	if (r >= 0)
		r = sys_add_ioctl(ctx, groups);
	if (r >= 0)
		r = sys_add_eperm(ctx, groups);
	if (r >= 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r < 0 ? r : 0;
}

int
sandbox_sys_check_tables(void)
{
	for (size_t i = 0; i < SYS_NGROUPS; i++)
		for (const char *const *p = sys_groups[i].calls; *p; p++)
			if (seccomp_syscall_resolve_name(*p) == __NR_SCMP_ERROR)
				return -EINVAL;
	for (const char *const *p = sys_eperm; *p; p++)
		if (seccomp_syscall_resolve_name(*p) == __NR_SCMP_ERROR)
			return -EINVAL;
	return 0;
}

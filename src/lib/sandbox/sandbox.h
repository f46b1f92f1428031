/*
 * sandbox: least privilege, implemented once.
 *
 * Every long-running program describes what it needs in a manifest (files
 * read and written, device nodes, TCP ports bound, TCP host:ports
 * connected, Unix sockets, exec, run-as user, chroot, syscall groups) and
 * calls sandbox_apply() once, after it has opened its listeners, loaded
 * its configuration and connected its log, and BEFORE it creates any
 * thread (Landlock is per thread; seccomp is synchronised with TSYNC, but
 * apply first anyway).  The order is fixed:
 *
 *   1. chroot(chroot_dir)             when running as root and configured
 *   2. clear the capability bounding set (before the uid change: without
 *      CAP_SETPCAP it cannot be done afterwards), clear the ambient set
 *   3. setgroups / setgid / setuid    to the run-as user (unless keep_root)
 *      then capset() empties the remaining sets
 *   4. prctl(PR_SET_NO_NEW_PRIVS)
 *   5. Landlock: filesystem rules; TCP bind/connect rules when ABI >= 4;
 *      abstract-Unix and signal scoping when ABI >= 6.  Older kernels get
 *      what they support, and the report says what was left out.
 *   6. seccomp allow-list (libseccomp, TSYNC), default action kills the
 *      process, or only logs (SCMP_ACT_LOG) in debug mode.
 *
 * Landlock limits, stated once: network rules are per TCP PORT only (no
 * address: a connect rule for 127.0.0.1:3493 allows any host on 3493), UDP
 * is not covered, and connecting to a pathname Unix socket is not
 * restricted (ABI <= 7).  Paths are resolved after the chroot.
 *
 * Library code: nothing here logs or exits.  sandbox_apply() fills a report
 * the program logs (sandbox_report_format()).
 */
#ifndef UPSGUARD_SANDBOX_H
#define UPSGUARD_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Bounds of a manifest (slots are NULL / 0 terminated when not full). */
#define SANDBOX_MAX_PATHS 32   /* per path list */
#define SANDBOX_MAX_PORTS 16   /* TCP ports bound */
#define SANDBOX_MAX_CONNECT 16 /* TCP host:port connected */
#define SANDBOX_MAX_GROUPS 32  /* supplementary groups of the run-as user */
#define SANDBOX_NAME_MAX 64    /* user name */
#define SANDBOX_NOTE_MAX 512   /* report notes */

/*
 * Syscall groups: a program ORs the ones it needs.  BASE is always added
 * (memory, signals, time, read/write/close on any fd, open/stat, send/recv
 * on existing sockets, AF_UNIX socket+connect for syslog, and what the
 * ASan/UBSan runtimes call).  socket() with a family no group allows fails
 * with EAFNOSUPPORT; execve/execveat/ptrace, bind, fork, the file-write
 * calls (unlink of a pid file at exit...) and a few other dangerous calls
 * fail with EPERM when not allowed; anything else not listed kills.
 */
enum {
	SANDBOX_SYS_BASE = 1u << 0,        /* always included */
	SANDBOX_SYS_EVENT = 1u << 1,       /* epoll, eventfd, timerfd, signalfd, socketpair */
	SANDBOX_SYS_NET_SERVER = 1u << 2,  /* AF_INET/AF_INET6 socket, bind, listen, accept */
	SANDBOX_SYS_NET_CLIENT = 1u << 3,  /* AF_INET/AF_INET6 socket, connect */
	SANDBOX_SYS_UNIX_SERVER = 1u << 4, /* AF_UNIX bind, listen, accept */
	SANDBOX_SYS_FILE_WRITE = 1u << 5,  /* rename, unlink, mkdir, chmod, fsync, mknod(fifo), flock */
	SANDBOX_SYS_SPAWN = 1u << 6,       /* fork/clone, wait, setsid, setpgid */
	SANDBOX_SYS_EXEC = 1u << 7,        /* execve, execveat (implies SPAWN) */
	SANDBOX_SYS_DEVICE = 1u << 8,      /* any ioctl (serial/USB), otherwise a tty-only list */
	SANDBOX_SYS_ALL = (1u << 9) - 1,
};

/* One TCP destination.  Landlock enforces the port only (see above). */
struct sandbox_hostport {
	const char *host;
	uint16_t port;
};

/* The run-as identity, filled by sandbox_user_resolve() (getpwnam before any chroot). */
struct sandbox_user {
	char name[SANDBOX_NAME_MAX];
	uid_t uid;
	gid_t gid;
	gid_t groups[SANDBOX_MAX_GROUPS]; /* supplementary groups (e.g. dialout) */
	size_t ngroups;
};

/*
 * What one program may do.  Zero-initialise, then fill statically
 * (designated initialisers) or with the sandbox_manifest_add_*() helpers.
 * Pointers are borrowed: they must stay valid until sandbox_apply() returns.
 */
struct sandbox_manifest {
	const char *program; /* shown in -h output and reports */

	const char *read[SANDBOX_MAX_PATHS];    /* files/dirs read (dirs: recursively) */
	const char *write[SANDBOX_MAX_PATHS];   /* files/dirs read+written, created, removed */
	const char *devices[SANDBOX_MAX_PATHS]; /* device nodes: read, write, ioctl */
	const char *exec[SANDBOX_MAX_PATHS];    /* programs executed: a file is that program,
						 * a directory a tree where programs live (read
						 * and execute beneath); adds the loader's libs.
						 * W^X: see sandbox_manifest_check_wx() */
	const char *unix_listen[SANDBOX_MAX_PATHS];  /* Unix sockets created (dir may MAKE_SOCK) */
	const char *unix_connect[SANDBOX_MAX_PATHS]; /* Unix sockets connected: documented only */

	uint16_t bind_ports[SANDBOX_MAX_PORTS]; /* TCP ports bound; 0 terminates */
	struct sandbox_hostport connect[SANDBOX_MAX_CONNECT]; /* port 0 terminates */

	unsigned syscalls; /* SANDBOX_SYS_* groups (BASE is implied) */

	const struct sandbox_user *run_as; /* user to drop to when root; NULL: refuse */
	const char *chroot_dir;            /* chroot here when root; NULL: none */
	bool keep_root;     /* this program must stay root (upsmon [priv], upsdrvctl) */
	uint64_t keep_caps; /* with keep_root: capabilities kept (bit = CAP_*), rest dropped */
	bool allow_signals; /* may signal processes outside its sandbox (Landlock scope) */
	bool seccomp_log;   /* debug: log violations (SCMP_ACT_LOG) instead of killing */
	bool no_landlock;   /* debug: skip Landlock (reported) */
};

/* What sandbox_apply() did, for the program to log and for tests. */
struct sandbox_report {
	bool chrooted;
	bool uid_changed;   /* setuid done (false when not root or keep_root) */
	uid_t uid;          /* identity after apply */
	gid_t gid;
	bool capbnd_cleared; /* bounding set emptied (or reduced to keep_caps) */
	bool nnp;
	int landlock_abi; /* kernel ABI, 0 when Landlock is absent or disabled */
	bool landlock_fs;
	bool landlock_net;   /* TCP rules enforced (ABI >= 4) */
	bool landlock_scope; /* abstract Unix and signal scoping (ABI >= 6) */
	unsigned landlock_rules;  /* rules added */
	unsigned paths_missing;   /* manifest paths that did not exist (skipped) */
	bool seccomp;
	bool seccomp_log;
	unsigned syscalls; /* groups loaded */
	const char *failed_step; /* on error: which step ("chroot", "setuid", ...) */
	const char *failed_path; /* on a Landlock error: the manifest path (borrowed) */
	char notes[SANDBOX_NOTE_MAX]; /* degradations, e.g. "landlock absent" */
};

/*
 * Apply the manifest to the calling process, in the order above.  Returns 0,
 * or -errno with report->failed_step set; on error the process is in an
 * unknown partial state and must exit.  Refuses with -EPERM when running as
 * root, keep_root is false and run_as is NULL, or with -EBUSY when the
 * process already has more than one thread.  `report` may not be NULL.
 */
int sandbox_apply(const struct sandbox_manifest *m, struct sandbox_report *report);

/*
 * Resolve the run-as user: `opt_user` (-u) wins, then `conf_user` (the
 * config directive, e.g. "user =" in upsd.conf or RUN_AS_USER in
 * upsmon.conf), then the build default RUN_AS_USER.  Fills *ret and
 * returns 0; -ENOENT if the user does not exist, with `err` holding a
 * message naming what to set (`conf_hint`, e.g. "'user =' in upsd.conf").
 */
int sandbox_user_resolve(const char *opt_user, const char *conf_user, const char *conf_hint,
			 struct sandbox_user *ret, char *err, size_t errsz);

/* Add one entry to a list; -E2BIG when full, -EINVAL on NULL/empty/0. */
int sandbox_manifest_add_read(struct sandbox_manifest *m, const char *path);
int sandbox_manifest_add_write(struct sandbox_manifest *m, const char *path);
int sandbox_manifest_add_device(struct sandbox_manifest *m, const char *path);
int sandbox_manifest_add_exec(struct sandbox_manifest *m, const char *path);
int sandbox_manifest_add_unix_listen(struct sandbox_manifest *m, const char *path);
int sandbox_manifest_add_unix_connect(struct sandbox_manifest *m, const char *path);
int sandbox_manifest_add_bind(struct sandbox_manifest *m, uint16_t port);
int sandbox_manifest_add_connect(struct sandbox_manifest *m, const char *host, uint16_t port);

/*
 * W^X: nothing the process may write may also be executed.  A directory
 * in `exec` must not be equal to, inside or above an entry of `write` or
 * `devices`.  A FILE in `exec` may lie inside a written tree: its Landlock
 * rule binds to that file, so a file created or renamed there later is not
 * executable (changing the program in place is left to its owner and
 * mode; sandbox_apply() notes an exec file the run-as user may write).
 * Paths are compared after realpath() when they exist.  Returns 0, or
 * -EPERM with *exec_path / *write_path (may be NULL) naming the first
 * conflicting pair.  sandbox_apply() runs this check before Landlock.
 */
int sandbox_manifest_check_wx(const struct sandbox_manifest *m, const char **exec_path,
			      const char **write_path);

/*
 * Add `dir` to `exec` as a program tree when that keeps W^X against the
 * write and device entries already in the manifest (add those first).
 * Returns 0 when added, -EPERM when it would break W^X (not added: add
 * the one program file instead), -E2BIG / -EINVAL as the other helpers.
 */
int sandbox_manifest_add_exec_dir(struct sandbox_manifest *m, const char *dir);

/* Print the manifest for -h / --help, one item per line, indented. */
void sandbox_manifest_print(const struct sandbox_manifest *m, FILE *out);

/*
 * Syscall group names ("base", "event", "net-server", "net-client",
 * "unix-server", "file-write", "spawn", "exec", "device").
 * sandbox_sys_parse() reads a comma-separated list into *ret (0, or -EINVAL
 * naming nothing); sandbox_sys_format() writes the names of `groups`.
 */
int sandbox_sys_parse(const char *list, unsigned *ret);
int sandbox_sys_format(unsigned groups, char *buf, size_t size);

/*
 * Whether the profile made of `groups` allows the syscall `name`
 * unconditionally (true), by argument (socket/ioctl: true), or not (false).
 * For tests and for -h; sandbox_apply() uses the same tables.
 */
bool sandbox_sys_allows(unsigned groups, const char *name);

/* One line describing the report (for the program's log). Returns length or -ENOSPC. */
int sandbox_report_format(const struct sandbox_report *r, char *buf, size_t size);

/*
 * ---- test hook (build option test_hooks; compiled out in release builds) ----
 *
 * A test sets UPSGUARD_TEST_HOOK to the path of a Unix stream socket it
 * listens on (or "fd:N" for an inherited, connected socket).  The program
 * calls sandbox_hook_open() BEFORE sandbox_apply() (it connects; a chroot
 * would hide the path), then watches sandbox_hook_fd() in its event loop
 * and calls sandbox_hook_handle() when readable.  On connect the program
 * sends "HELLO <pid> <tag>".  Requests, one per line, answered by
 * "OK [detail]" or "ERR <ERRNO-NAME>":
 *
 *   open PATH          open(O_RDONLY)
 *   write PATH         open(O_WRONLY|O_CREAT|O_APPEND, 0600)
 *   unlink PATH        unlink()
 *   bind PORT          TCP bind on 127.0.0.1:PORT (then closed)
 *   connect HOST PORT  TCP connect (then closed)
 *   unix PATH          AF_UNIX stream connect
 *   socket FAMILY      socket() of inet|inet6|unix|netlink|packet
 *   exec PATH          execve(PATH) in this process (replaces it on success)
 *   spawn PATH         fork + execve + wait: "OK exit N"
 *   ptrace             ptrace(PTRACE_ATTACH, parent)
 *   syscall NAME       a syscall no profile allows (swapoff, acct, keyctl): proves the kill
 *   ping               "OK pid"
 *
 * Lines are bounded by SANDBOX_HOOK_LINE_MAX; a longer line closes the hook.
 */
#define SANDBOX_HOOK_ENV "UPSGUARD_TEST_HOOK"
#define SANDBOX_HOOK_LINE_MAX 512

struct sandbox_hook;
struct event_base;

/*
 * Connect the hook when the build has test hooks and UPSGUARD_TEST_HOOK is
 * set.  Returns 0 with *ret NULL when not requested (or compiled out),
 * 0 with *ret set when connected, -errno on failure.  `tag` names the
 * process ("upsd", "net", ...) in the HELLO line.
 */
int sandbox_hook_open(const char *tag, struct sandbox_hook **ret);

/* The fd to watch for reading (-1 for NULL). */
int sandbox_hook_fd(const struct sandbox_hook *h);

/* Serve the pending requests.  0: keep watching; <0: closed, call sandbox_hook_free(). */
int sandbox_hook_handle(struct sandbox_hook *h);

/* Close and free; accepts NULL, returns NULL. */
struct sandbox_hook *sandbox_hook_free(struct sandbox_hook *h);

/*
 * libevent programs, one call: open the hook (when requested) and serve it
 * from `base` until the peer closes.  Returns 0 (also when not requested)
 * or -errno.  The hook lives as long as the process (freed on peer close).
 */
int sandbox_hook_attach(struct event_base *base, const char *tag);

#endif

/*
 * sandbox/landlock: the manifest as a Landlock ruleset, through the raw
 * syscalls (no Debian library).  The ABI structures and flags are declared
 * here because build hosts (Debian 12: 6.1 headers) may predate the
 * network and scoping parts; the values are the stable kernel ABI.
 *
 * The ruleset handles every access right the running kernel knows, so
 * anything not granted by a rule is denied; rights a kernel lacks are left
 * out and the report says so.
 */
#include "sandbox/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2

#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_REMOVE_DIR (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR (1ULL << 6)
#define LL_FS_MAKE_DIR (1ULL << 7)
#define LL_FS_MAKE_REG (1ULL << 8)
#define LL_FS_MAKE_SOCK (1ULL << 9)
#define LL_FS_MAKE_FIFO (1ULL << 10)
#define LL_FS_MAKE_BLOCK (1ULL << 11)
#define LL_FS_MAKE_SYM (1ULL << 12)
#define LL_FS_REFER (1ULL << 13)    /* ABI 2 */
#define LL_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */

#define LL_NET_BIND_TCP (1ULL << 0)    /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1) /* ABI 4 */

#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)        /* ABI 6 */

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

struct ll_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};

/* Rights that make sense on a non-directory; the kernel refuses others. */
#define LL_FS_FILE_RIGHTS                                                                          \
	(LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

#define LL_READ (LL_FS_READ_FILE | LL_FS_READ_DIR)
#define LL_WRITE                                                                                   \
	(LL_READ | LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | LL_FS_MAKE_DIR |      \
	    LL_FS_MAKE_REG | LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO | LL_FS_REFER | LL_FS_TRUNCATE)
#define LL_DEVICE (LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_READ_DIR | LL_FS_IOCTL_DEV)
#define LL_EXEC (LL_FS_EXECUTE | LL_READ)
#define LL_SOCKDIR (LL_FS_MAKE_SOCK | LL_FS_REMOVE_FILE)

/* Rights handled by each ABI (cumulative). */
static uint64_t
ll_fs_handled(int abi)
{
	uint64_t fs = (LL_FS_MAKE_SYM << 1) - 1; /* ABI 1 */

	if (abi >= 2)
		fs |= LL_FS_REFER;
	if (abi >= 3)
		fs |= LL_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LL_FS_IOCTL_DEV;
	return fs;
}

/* Read by the dynamic loader when a program executes another. */
static const char *const ll_loader_paths[] = {"/etc/ld.so.cache", "/lib", "/lib64", "/usr/lib",
    "/usr/lib64", NULL};

/* The ELF interpreter is opened for execution too, so it needs EXECUTE. */
static const char *const ll_interp_paths[] = {"/lib64/ld-linux-x86-64.so.2",
    "/lib/ld-linux-aarch64.so.1", "/lib/ld-linux-armhf.so.3", "/lib/ld-linux.so.2",
    "/lib/ld-linux-riscv64-lp64d.so.1", "/lib64/ld64.so.2", NULL};

/* Read by getaddrinfo() (and its NSS modules) in TCP clients. */
static const char *const ll_resolver_paths[] = {"/etc/hosts", "/etc/resolv.conf",
    "/etc/nsswitch.conf", "/etc/gai.conf", "/etc/host.conf", "/etc/services", "/lib", "/usr/lib",
    NULL};

struct ll_ctx {
	int fd; /* ruleset */
	bool builtin; /* adding a built-in list: missing paths are expected */
	uint64_t fs_handled;
	struct sandbox_report *report;
};

int
sandbox_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);

	return abi < 0 ? 0 : (int)abi;
}

static int
ll_add_path(struct ll_ctx *c, const char *path, uint64_t access)
{
	struct ll_path_beneath_attr attr;
	struct stat st;
	int fd, r = 0;

	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			if (!c->builtin)
				c->report->paths_missing++;
			return 0; /* nothing to allow; creating it needs a rule on its parent */
		}
		c->report->failed_path = path;
		return -errno;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISDIR(st.st_mode))
		access &= LL_FS_FILE_RIGHTS;
	attr.allowed_access = access & c->fs_handled;
	attr.parent_fd = fd;
	if (attr.allowed_access == 0)
		goto out;
	if (syscall(SYS_landlock_add_rule, c->fd, LL_RULE_PATH_BENEATH, &attr, 0) < 0) {
		r = -errno;
		goto out;
	}
	c->report->landlock_rules++;
out:
	close(fd);
	return r;
}

static int
ll_add_list(struct ll_ctx *c, const char *const *list, size_t max, uint64_t access)
{
	for (size_t i = 0; i < max && list[i]; i++) {
		int r = ll_add_path(c, list[i], access);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The directory holding each socket may create and remove sockets. */
static int
ll_add_sockdirs(struct ll_ctx *c, const char *const *list)
{
	for (size_t i = 0; i < SANDBOX_MAX_PATHS && list[i]; i++) {
		char dir[4096];
		const char *slash = strrchr(list[i], '/');
		size_t n = slash ? (size_t)(slash - list[i]) : 0;

		if (n >= sizeof(dir))
			return -ENAMETOOLONG;
		if (!slash)
			memcpy(dir, ".", 2);
		else if (n == 0)
			memcpy(dir, "/", 2);
		else {
			memcpy(dir, list[i], n);
			dir[n] = '\0';
		}
		int r = ll_add_path(c, dir, LL_SOCKDIR);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
ll_add_port(struct ll_ctx *c, uint64_t access, uint16_t port)
{
	struct ll_net_port_attr attr = {.allowed_access = access, .port = port};

	if (syscall(SYS_landlock_add_rule, c->fd, LL_RULE_NET_PORT, &attr, 0) < 0)
		return -errno;
	c->report->landlock_rules++;
	return 0;
}

static void ll_note(struct sandbox_report *r, const char *text);

/*
 * W^X for exec FILES inside a written tree: Landlock cannot stop an
 * in-place rewrite of a file its owner may write, so say so.
 */
static void
ll_note_writable_exec(struct sandbox_report *r, const struct sandbox_manifest *m)
{
	for (size_t i = 0; i < SANDBOX_MAX_PATHS && m->exec[i]; i++) {
		struct stat st;
		char text[320];

		if (stat(m->exec[i], &st) < 0 || S_ISDIR(st.st_mode))
			continue;
		if (faccessat(AT_FDCWD, m->exec[i], W_OK, AT_EACCESS) < 0)
			continue;
		(void)snprintf(text, sizeof(text),
		    "W^X: %s is writable by uid %u: make it root-owned, not group/world writable",
		    m->exec[i], (unsigned)geteuid());
		ll_note(r, text);
	}
}

static int
ll_add_fs_rules(struct ll_ctx *c, const struct sandbox_manifest *m)
{
	int r = ll_add_list(c, m->read, SANDBOX_MAX_PATHS, LL_READ);

	if (r >= 0)
		r = ll_add_list(c, m->write, SANDBOX_MAX_PATHS, LL_WRITE);
	if (r >= 0)
		r = ll_add_list(c, m->devices, SANDBOX_MAX_PATHS, LL_DEVICE);
	if (r >= 0)
		r = ll_add_list(c, m->exec, SANDBOX_MAX_PATHS, LL_EXEC);
	c->builtin = true;
	if (r >= 0 && m->exec[0])
		r = ll_add_list(c, ll_loader_paths, SIZE_MAX, LL_READ);
	if (r >= 0 && m->exec[0])
		r = ll_add_list(c, ll_interp_paths, SIZE_MAX, LL_EXEC);
	if (r >= 0 && (m->syscalls & SANDBOX_SYS_NET_CLIENT))
		r = ll_add_list(c, ll_resolver_paths, SIZE_MAX, LL_READ);
	c->builtin = false;
	if (r >= 0)
		r = ll_add_sockdirs(c, m->unix_listen);
	return r;
}

static int
ll_add_net_rules(struct ll_ctx *c, const struct sandbox_manifest *m)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < SANDBOX_MAX_PORTS && m->bind_ports[i]; i++)
		r = ll_add_port(c, LL_NET_BIND_TCP, m->bind_ports[i]);
	for (size_t i = 0; r >= 0 && i < SANDBOX_MAX_CONNECT && m->connect[i].port; i++)
		r = ll_add_port(c, LL_NET_CONNECT_TCP, m->connect[i].port);
	return r;
}

static void
ll_note(struct sandbox_report *r, const char *text)
{
	size_t len = strlen(r->notes);

	(void)snprintf(r->notes + len, sizeof(r->notes) - len, "%s%s", len ? "; " : "", text);
}

int
sandbox_landlock_apply(const struct sandbox_manifest *m, struct sandbox_report *report)
{
	struct ll_ruleset_attr attr = {0};
	struct ll_ctx c = {.fd = -1, .report = report};
	int abi = sandbox_landlock_abi();
	int r;

	report->landlock_abi = abi;
	if (abi == 0) {
		ll_note(report, "landlock absent or disabled: no filesystem or TCP rules");
		return 0;
	}
	c.fs_handled = ll_fs_handled(abi);
	attr.handled_access_fs = c.fs_handled;
	if (abi >= 4)
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
	else
		ll_note(report, "landlock ABI < 4: TCP bind/connect not restricted");
	if (abi >= 6)
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | (m->allow_signals ? 0 : LL_SCOPE_SIGNAL);
	else
		ll_note(report, "landlock ABI < 6: signals and abstract Unix sockets not scoped");
	c.fd = (int)syscall(SYS_landlock_create_ruleset, &attr,
	    abi >= 6 ? sizeof(attr) : abi >= 4 ? 2 * sizeof(uint64_t) : sizeof(uint64_t), 0);
	if (c.fd < 0)
		return -errno;
	r = ll_add_fs_rules(&c, m);
	ll_note_writable_exec(report, m);
	if (r >= 0 && abi >= 4)
		r = ll_add_net_rules(&c, m);
	if (r >= 0 && syscall(SYS_landlock_restrict_self, c.fd, 0) < 0)
		r = -errno;
	close(c.fd);
	if (r < 0)
		return r;
	report->landlock_fs = true;
	report->landlock_net = abi >= 4;
	report->landlock_scope = abi >= 6;
	return 0;
}

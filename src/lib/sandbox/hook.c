/*
 * sandbox/hook: the test hook.  A test asks a running, sandboxed program to
 * attempt an action and reads back the errno name, proving each rule from
 * inside the process.  Only built with TEST_HOOKS (never in release
 * builds), and only active when UPSGUARD_TEST_HOOK is set.
 */
#include "sandbox/sandbox.h"

#include "config.h"

#include <errno.h>
#include <stdlib.h>

/* SANDBOX_NO_TEST_HOOKS lets a unit test compile the release variant. */
#if TEST_HOOKS && !defined(SANDBOX_NO_TEST_HOOKS)

#include <arpa/inet.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

struct sandbox_hook {
	int fd;
	size_t len;
	char buf[SANDBOX_HOOK_LINE_MAX];
	struct event *ev; /* when attached to libevent */
};

struct hook_errname {
	int err;
	const char *name;
};

static const struct hook_errname hook_errnames[] = {
    {EACCES, "EACCES"}, {EPERM, "EPERM"}, {ENOENT, "ENOENT"}, {EAFNOSUPPORT, "EAFNOSUPPORT"},
    {ECONNREFUSED, "ECONNREFUSED"}, {EADDRINUSE, "EADDRINUSE"}, {EINVAL, "EINVAL"},
    {ENOSYS, "ENOSYS"}, {EROFS, "EROFS"}, {ENOTDIR, "ENOTDIR"}, {EEXIST, "EEXIST"},
    {ESRCH, "ESRCH"}, {ENOTTY, "ENOTTY"}, {EADDRNOTAVAIL, "EADDRNOTAVAIL"},
    {ENETUNREACH, "ENETUNREACH"}, {ETIMEDOUT, "ETIMEDOUT"}, {EISDIR, "EISDIR"},
    {EPROTONOSUPPORT, "EPROTONOSUPPORT"}, {ENOEXEC, "ENOEXEC"}, {EBADF, "EBADF"},
};

static const char *
hook_errname(int err)
{
	for (size_t i = 0; i < sizeof(hook_errnames) / sizeof(hook_errnames[0]); i++)
		if (hook_errnames[i].err == err)
			return hook_errnames[i].name;
	return "EOTHER";
}

/* Result of one action: "OK" or "ERR <NAME>" into out. */
static void
hook_result(char *out, size_t size, int r)
{
	if (r >= 0)
		(void)snprintf(out, size, "OK");
	else
		(void)snprintf(out, size, "ERR %s", hook_errname(-r));
}

static int
hook_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int
hook_tcp(const char *host, const char *port, bool do_bind)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST |
								    AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	int fd, r = 0;

	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
		return -EINVAL;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (do_bind) {
		int one = 1;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
			r = -errno;
	} else if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		r = -errno;
	}
	close(fd);
out:
	freeaddrinfo(ai);
	return r;
}

static int
hook_unix(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, r = 0;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		r = -errno;
	close(fd);
	return r;
}

struct hook_family {
	const char *name;
	int family;
	int type;
};

static const struct hook_family hook_families[] = {
    {"inet", AF_INET, SOCK_STREAM},     {"inet6", AF_INET6, SOCK_STREAM},
    {"unix", AF_UNIX, SOCK_STREAM},     {"netlink", AF_NETLINK, SOCK_RAW},
    {"packet", AF_PACKET, SOCK_RAW},
};

static int
hook_socket(const char *name)
{
	for (size_t i = 0; i < sizeof(hook_families) / sizeof(hook_families[0]); i++) {
		if (strcmp(hook_families[i].name, name) != 0)
			continue;
		int fd = socket(hook_families[i].family, hook_families[i].type | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		close(fd);
		return 0;
	}
	return -EINVAL;
}

/*
 * The environment for exec/spawn: this process's (it carries ASAN_OPTIONS
 * in sanitizer runs) without the hook variable, so a child does not take
 * over the test's connection.  NULL on allocation failure.
 */
static char **
hook_child_env(void)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], SANDBOX_HOOK_ENV "=", strlen(SANDBOX_HOOK_ENV) + 1) != 0)
			env[k++] = environ[i];
	return env;
}

static int
hook_exec(char *path)
{
	char *const argv[] = {path, NULL};
	char **env = hook_child_env();
	int r;

	if (!env)
		return -ENOMEM;
	execve(path, argv, env);
	r = -errno;
	free(env);
	return r;
}

/* fork + execve + wait; "OK exit N" in detail. */
static int
hook_spawn(char *path, char *detail, size_t size)
{
	int st;
	char **env = hook_child_env();
	pid_t pid;

	if (!env)
		return -ENOMEM;
	pid = fork();
	if (pid < 0) {
		free(env);
		return -errno;
	}
	if (pid == 0) {
		char *const argv[] = {path, NULL};
		execve(path, argv, env);
		_exit(126 + (errno == ENOENT));
	}
	free(env);
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	(void)snprintf(detail, size, " exit %d", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}

static int
hook_ptrace(void)
{
	if (ptrace(PTRACE_ATTACH, getppid(), NULL, NULL) < 0)
		return -errno;
	(void)ptrace(PTRACE_DETACH, getppid(), NULL, NULL);
	return 0;
}

/* Syscalls no profile allows: calling one shows the default action (kill). */
struct hook_sys {
	const char *name;
	long nr;
};

static const struct hook_sys hook_syscalls[] = {
    {"swapoff", SYS_swapoff}, {"acct", SYS_acct}, {"keyctl", SYS_keyctl},
};

static int
hook_syscall(const char *name)
{
	for (size_t i = 0; i < sizeof(hook_syscalls) / sizeof(hook_syscalls[0]); i++) {
		if (strcmp(hook_syscalls[i].name, name) != 0)
			continue;
		/* Harmless arguments: a missing path, or an invalid keyctl op. */
		if (syscall(hook_syscalls[i].nr, "/nonexistent-upsguard-hook", 0, 0) < 0)
			return -errno;
		return 0;
	}
	return -EINVAL;
}

/* Run one request line, write the reply line into out. */
static void
hook_run(char *line, char *out, size_t size)
{
	char *save = NULL;
	char *verb = strtok_r(line, " ", &save);
	char *a1 = strtok_r(NULL, " ", &save);
	char *a2 = strtok_r(NULL, " ", &save);
	char detail[64] = "";
	int r = -EINVAL;

	if (!verb)
		verb = "";
	if (strcmp(verb, "ping") == 0) {
		(void)snprintf(out, size, "OK %ld\n", (long)getpid());
		return;
	} else if (strcmp(verb, "open") == 0 && a1) {
		r = hook_open(a1, O_RDONLY);
	} else if (strcmp(verb, "write") == 0 && a1) {
		r = hook_open(a1, O_WRONLY | O_CREAT | O_APPEND);
	} else if (strcmp(verb, "unlink") == 0 && a1) {
		r = unlink(a1) < 0 ? -errno : 0;
	} else if (strcmp(verb, "bind") == 0 && a1) {
		r = hook_tcp("127.0.0.1", a1, true);
	} else if (strcmp(verb, "connect") == 0 && a1 && a2) {
		r = hook_tcp(a1, a2, false);
	} else if (strcmp(verb, "unix") == 0 && a1) {
		r = hook_unix(a1);
	} else if (strcmp(verb, "socket") == 0 && a1) {
		r = hook_socket(a1);
	} else if (strcmp(verb, "exec") == 0 && a1) {
		r = hook_exec(a1);
	} else if (strcmp(verb, "spawn") == 0 && a1) {
		r = hook_spawn(a1, detail, sizeof(detail));
	} else if (strcmp(verb, "ptrace") == 0) {
		r = hook_ptrace();
	} else if (strcmp(verb, "syscall") == 0 && a1) {
		r = hook_syscall(a1);
	}
	hook_result(out, size, r);
	size_t len = strlen(out);
	(void)snprintf(out + len, size - len, "%s\n", r >= 0 ? detail : "");
}

static int
hook_write_all(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		ssize_t n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
hook_connect_path(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int
sandbox_hook_open(const char *tag, struct sandbox_hook **ret)
{
	const char *spec = getenv(SANDBOX_HOOK_ENV);
	struct sandbox_hook *h;
	char hello[128];
	int fd;

	*ret = NULL;
	if (!spec || !*spec)
		return 0;
	if (strncmp(spec, "fd:", 3) == 0) {
		char *end;
		long n = strtol(spec + 3, &end, 10);
		if (*end || n < 3 || n > 65535 || fcntl((int)n, F_GETFD) < 0)
			return -EBADF;
		fd = (int)n;
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	} else if ((fd = hook_connect_path(spec)) < 0) {
		return fd;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		return -ENOMEM;
	}
	h->fd = fd;
	(void)snprintf(hello, sizeof(hello), "HELLO %ld %s\n", (long)getpid(), tag ? tag : "-");
	if (hook_write_all(fd, hello) < 0) {
		sandbox_hook_free(h);
		return -EIO;
	}
	*ret = h;
	return 0;
}

int
sandbox_hook_fd(const struct sandbox_hook *h)
{
	return h ? h->fd : -1;
}

int
sandbox_hook_handle(struct sandbox_hook *h)
{
	ssize_t n = read(h->fd, h->buf + h->len, sizeof(h->buf) - h->len);
	char *nl;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -EPIPE;
	h->len += (size_t)n;
	while ((nl = memchr(h->buf, '\n', h->len))) {
		char reply[SANDBOX_HOOK_LINE_MAX + 64];
		size_t used = (size_t)(nl - h->buf) + 1;

		*nl = '\0';
		hook_run(h->buf, reply, sizeof(reply));
		if (hook_write_all(h->fd, reply) < 0)
			return -EPIPE;
		memmove(h->buf, h->buf + used, h->len - used);
		h->len -= used;
	}
	if (h->len == sizeof(h->buf))
		return -E2BIG; /* a line longer than SANDBOX_HOOK_LINE_MAX: close */
	return 0;
}

struct sandbox_hook *
sandbox_hook_free(struct sandbox_hook *h)
{
	if (!h)
		return NULL;
	if (h->ev)
		event_free(h->ev);
	if (h->fd >= 0)
		close(h->fd);
	free(h);
	return NULL;
}

static void
hook_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sandbox_hook *h = arg;

	(void)fd;
	(void)what;
	if (sandbox_hook_handle(h) < 0)
		(void)sandbox_hook_free(h);
}

int
sandbox_hook_attach(struct event_base *base, const char *tag)
{
	struct sandbox_hook *h;
	int r = sandbox_hook_open(tag, &h);

	if (r < 0 || !h)
		return r;
	h->ev = event_new(base, h->fd, EV_READ | EV_PERSIST, hook_event_cb, h);
	if (!h->ev || event_add(h->ev, NULL) < 0) {
		sandbox_hook_free(h);
		return -ENOMEM;
	}
	return 0;
}

#else /* !TEST_HOOKS: release builds have no hook at all */

int
sandbox_hook_open(const char *tag, struct sandbox_hook **ret)
{
	(void)tag;
	*ret = NULL;
	return 0;
}

int
sandbox_hook_fd(const struct sandbox_hook *h)
{
	(void)h;
	return -1;
}

int
sandbox_hook_handle(struct sandbox_hook *h)
{
	(void)h;
	return -ENOTSUP;
}

struct sandbox_hook *
sandbox_hook_free(struct sandbox_hook *h)
{
	(void)h;
	return NULL;
}

int
sandbox_hook_attach(struct event_base *base, const char *tag)
{
	(void)base;
	(void)tag;
	return 0;
}

#endif

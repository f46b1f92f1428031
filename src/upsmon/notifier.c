/*
 * notifier: upsmon's unprivileged process without network.
 *
 * It receives NOTIFY messages (event, UPS name, detail) from [net] and
 * acts on NOTIFYFLAG: SYSLOG, WALL (wall(1) reading the message on its
 * standard input) and EXEC (NOTIFYCMD by execve, the message one argument,
 * NOTIFYTYPE and UPSNAME in the environment).  No shell ever sees the
 * message, so "$(...)", quotes and ';' from a UPS's alarm text stay text.
 * Programs run in children so a slow script never blocks us; NOTIFYCMD
 * runs one at a time, in the order of the events (a bounded queue), so a
 * script sees ONBATT before LOWBATT.
 *
 * NOTIFYCMD inherits our sandbox (scriptbox.h).  When it cannot start, is
 * killed by seccomp (SIGSYS) or fails, we say loudly what the sandbox
 * refused and which upsmon.conf directive would allow it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "privsep/privsep.h"
#include "sandbox/sandbox.h"
#include "upsmon.h"

#define WALL_PATH "/usr/bin/wall"
#define NOTIFY_ENV_MAX 32
#define NOTIFY_QUEUE_MAX 64 /* NOTIFYCMD runs waiting for the previous one */

struct pending {
	unsigned ev;
	char ups[PRIVSEP_UPS_MAX];
	char msg[EVENT_MSG_MAX];
};

struct queue {
	struct pending q[NOTIFY_QUEUE_MAX];
	size_t head, n;
	pid_t running;
	unsigned running_ev;
	bool exec_failed; /* the running child never started: already explained */
};

/* What the sandbox lets NOTIFYCMD do, and the directives that widen it. */
#define HINT_EXEC                                                                                  \
	"the [notify] sandbox executes only NOTIFYCMD and programs under /usr, /bin, /sbin, "      \
	"/lib*, /opt and upsmon's directory, never from a place it may write (W^X: "               \
	"/tmp, /var/tmp, NOTIFYCMD_WRITE paths)"
#define HINT_NET_NONE                                                                              \
	"no network: a script sending mail or calling a web hook needs "                           \
	"NOTIFYCMD_CONNECT host:port in upsmon.conf"
#define HINT_NET_SOME "TCP only to the NOTIFYCMD_CONNECT ports of upsmon.conf"
#define HINT_WRITE                                                                                 \
	"writes only to /tmp, /var/tmp and NOTIFYCMD_WRITE paths (add one for a log or state "     \
	"file elsewhere)"

static const char *
cmd_name(const struct notify_ctx *ctx)
{
	return ctx->cmd && ctx->cmd[0] ? ctx->cmd[0] : "?";
}

static void
explain_exec_error(const struct notify_ctx *ctx, unsigned ev, int err)
{
	if (err == EACCES || err == EPERM)
		log_err("NOTIFYCMD %s (%s) cannot be executed: %s: check its mode (chmod 755) and "
		        "that its file system is not mounted noexec; %s",
		        cmd_name(ctx), upsmon_notify_name(ev), strerror(err), HINT_EXEC);
	else
		log_err("NOTIFYCMD %s (%s) cannot be executed: %s", cmd_name(ctx),
		        upsmon_notify_name(ev), strerror(err));
}

/* A NOTIFYCMD run ended: explain anything but success. */
static void
explain_status(const struct notify_ctx *ctx, const struct queue *q, int st)
{
	const char *name = upsmon_notify_name(q->running_ev);
	const char *net = ctx->net_allowed ? HINT_NET_SOME : HINT_NET_NONE;

	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
		log_err("NOTIFYCMD %s (%s) was killed by SIGSYS: it made a system call outside the "
		        "[notify] seccomp profile (see upsmon -h). It runs with %s",
		        cmd_name(ctx), name, net);
	else if (WIFSIGNALED(st))
		log_warn("NOTIFYCMD %s (%s) was killed by signal %d", cmd_name(ctx), name,
		         WTERMSIG(st));
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 126)
		log_err("NOTIFYCMD %s (%s): a program it ran could not be executed (exit 126): %s",
		        cmd_name(ctx), name, HINT_EXEC);
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 127 && q->exec_failed)
		return; /* explained when the exec failed */
	else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		log_err("NOTIFYCMD %s (%s) exited with status %d. It runs sandboxed: %s; it %s",
		        cmd_name(ctx), name, WEXITSTATUS(st), net, HINT_WRITE);
}

static volatile sig_atomic_t notifier_stop;

static void
on_term(int sig)
{
	(void)sig;
	notifier_stop = 1;
}

static void
reap(const struct notify_ctx *ctx, struct queue *q)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid != q->running)
			continue; /* wall */
		explain_status(ctx, q, st);
		q->running = 0;
	}
}

/* The child's execve() error, sent over a close-on-exec pipe: 0 when it started. */
static int
exec_error(int fd)
{
	int err = 0;
	ssize_t n;

	while ((n = read(fd, &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(fd);
	return n == (ssize_t)sizeof(err) ? err : 0;
}

/* Run argv with envp; when in is not NULL it is written to the child's stdin.
 * Returns the child's pid, or 0 when it could not fork; *exec_err is the
 * errno of a failed execve (the child then exits 127). */
static pid_t
spawn(char *const argv[], char *const envp[], const char *in, int *exec_err)
{
	int pfd[2] = {-1, -1}, efd[2];

	*exec_err = 0;
	if (pipe2(efd, O_CLOEXEC) < 0) {
		log_err("pipe: %s", strerror(errno));
		return 0;
	}
	if (in && pipe2(pfd, O_CLOEXEC) < 0) {
		log_err("pipe: %s", strerror(errno));
		close(efd[0]);
		close(efd[1]);
		return 0;
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_err("cannot fork to notify: %s", strerror(errno));
		if (in) {
			close(pfd[0]);
			close(pfd[1]);
		}
		close(efd[0]);
		close(efd[1]);
		return 0;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		dup2(in ? pfd[0] : devnull, 0);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execvpe(argv[0], argv, envp);
		int err = errno;
		ssize_t w = write(efd[1], &err, sizeof(err));
		(void)w; /* nothing more to do if the parent is gone */
		_exit(127);
	}
	close(efd[1]);
	*exec_err = exec_error(efd[0]);
	if (in) {
		close(pfd[0]);
		size_t len = strlen(in);
		if (write(pfd[1], in, len) != (ssize_t)len || write(pfd[1], "\n", 1) != 1)
			log_warn("wall: short write");
		close(pfd[1]);
	}
	return pid;
}

static pid_t
run_notifycmd(const struct notify_ctx *ctx, unsigned ev, const char *ups, char *msg,
              bool *exec_failed)
{
	char *argv[UPSMON_NOTIFY_ARGS + 2];
	char *envp[NOTIFY_ENV_MAX + 3];
	char typebuf[64], upsbuf[PRIVSEP_UPS_MAX + 16];
	size_t n = 0, e = 0;

	for (; n < ctx->cmd_argc && n < UPSMON_NOTIFY_ARGS; n++)
		argv[n] = ctx->cmd[n];
	argv[n++] = msg;
	argv[n] = NULL;
	snprintf(typebuf, sizeof(typebuf), "NOTIFYTYPE=%s", upsmon_notify_name(ev));
	snprintf(upsbuf, sizeof(upsbuf), "UPSNAME=%s", ups);
	for (; ctx->env && ctx->env[e] && e < NOTIFY_ENV_MAX; e++)
		envp[e] = ctx->env[e];
	envp[e++] = typebuf;
	envp[e++] = upsbuf;
	envp[e] = NULL;
	int err;
	pid_t pid = spawn(argv, envp, NULL, &err);
	*exec_failed = err != 0;
	if (err)
		explain_exec_error(ctx, ev, err);
	return pid;
}

static void
queue_push(struct queue *q, unsigned ev, const char *ups, const char *msg)
{
	if (q->n == NOTIFY_QUEUE_MAX) {
		log_err("NOTIFYCMD queue full: %s not passed on", upsmon_notify_name(ev));
		return;
	}
	struct pending *p = &q->q[(q->head + q->n++) % NOTIFY_QUEUE_MAX];
	p->ev = ev;
	snprintf(p->ups, sizeof(p->ups), "%s", ups);
	snprintf(p->msg, sizeof(p->msg), "%s", msg);
}

static void
queue_run(struct notify_ctx *ctx, struct queue *q)
{
	while (!q->running && q->n) {
		struct pending *p = &q->q[q->head];
		q->head = (q->head + 1) % NOTIFY_QUEUE_MAX;
		q->n--;
		q->running_ev = p->ev;
		q->running = run_notifycmd(ctx, p->ev, p->ups, p->msg, &q->exec_failed);
	}
}

static void
handle(struct notify_ctx *ctx, struct queue *q, const struct privsep_notify *nm)
{
	char msg[EVENT_MSG_MAX];
	unsigned ev = nm->event;
	unsigned flags = ctx->flags[ev];
	const char *tmpl = ctx->msg[ev] ? ctx->msg[ev] : upsmon_notify_default_msg(ev);

	event_format(msg, sizeof(msg), tmpl, nm->ups, nm->text);
	log_debug(1, "event %s ups [%s]: %s", upsmon_notify_name(ev), nm->ups, msg);
	if (flags & UPSMON_F_IGNORE)
		return;
	if (flags & UPSMON_F_SYSLOG) {
		log_notice("%s", msg);
		syslog(LOG_NOTICE, "%s", msg);
	}
	if (flags & UPSMON_F_WALL) {
		char wall[] = WALL_PATH, path[] = "PATH=/usr/bin:/bin";
		char *argv[] = {wall, NULL};
		char *envp[] = {path, NULL};
		int err;
		(void)spawn(argv, envp, msg, &err);
		if (err)
			log_err("cannot run %s for WALL: %s", WALL_PATH, strerror(err));
	}
	if ((flags & UPSMON_F_EXEC) && ctx->cmd)
		queue_push(q, ev, nm->ups, msg);
}

int
notifier_run(struct notify_ctx *ctx)
{
	struct sigaction sa;
	static struct queue q;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	openlog("upsmon", LOG_PID, LOG_DAEMON);

	while (!notifier_stop) {
		struct pollfd p[2] = {{ctx->fd, POLLIN, 0}, {ctx->hook_fd, POLLIN, 0}};
		int nfds = ctx->hook_fd >= 0 ? 2 : 1;

		reap(ctx, &q);
		queue_run(ctx, &q);
		if (poll(p, (nfds_t)nfds, q.running ? 50 : 1000) <= 0)
			continue;
		if (nfds == 2 && p[1].revents && sandbox_hook_handle(ctx->hook) < 0) {
			ctx->hook = sandbox_hook_free(ctx->hook);
			ctx->hook_fd = -1;
		}
		if (!p[0].revents)
			continue;
		struct privsep_msg m;
		int r = privsep_recv(ctx->fd, PRIVSEP_ACCEPT(PRIVSEP_NOTIFY), UPSMON_N_COUNT, &m);
		if (r == -EAGAIN)
			continue;
		if (r == -EBADMSG) {
			log_err("bad message from [net]: ending");
			return 1;
		}
		if (r <= 0)
			break; /* [net] is gone */
		handle(ctx, &q, &m.u.notify);
	}
	/* Let queued NOTIFYCMD runs finish (SHUTDOWN is usually the last). */
	while (!notifier_stop && (q.running || q.n)) {
		reap(ctx, &q);
		queue_run(ctx, &q);
		poll(NULL, 0, 50);
	}
	return 0;
}

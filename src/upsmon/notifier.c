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
};

static volatile sig_atomic_t notifier_stop;

static void
on_term(int sig)
{
	(void)sig;
	notifier_stop = 1;
}

static void
reap(struct queue *q)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		if (pid == q->running)
			q->running = 0;
}

/* Run argv with envp; when in is not NULL it is written to the child's stdin.
 * Returns the child's pid, or 0 when it could not start. */
static pid_t
spawn(char *const argv[], char *const envp[], const char *in)
{
	int pfd[2] = {-1, -1};

	if (in && pipe2(pfd, O_CLOEXEC) < 0) {
		log_err("pipe: %s", strerror(errno));
		return 0;
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_err("cannot fork to notify: %s", strerror(errno));
		if (in) {
			close(pfd[0]);
			close(pfd[1]);
		}
		return 0;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		dup2(in ? pfd[0] : devnull, 0);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execvpe(argv[0], argv, envp);
		_exit(127);
	}
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
run_notifycmd(struct notify_ctx *ctx, unsigned ev, const char *ups, char *msg)
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
	return spawn(argv, envp, NULL);
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
		q->running = run_notifycmd(ctx, p->ev, p->ups, p->msg);
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
		(void)spawn(argv, envp, msg);
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

		reap(&q);
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
		reap(&q);
		queue_run(ctx, &q);
		poll(NULL, 0, 50);
	}
	return 0;
}

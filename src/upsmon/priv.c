/*
 * priv: the privileged part of upsmon.  Kept tiny on purpose (a line
 * budget is tested): it parses nothing from the network, accepts exactly
 * one request type from [net] -- SHUTDOWN, once -- and runs the
 * SHUTDOWNCMD it read itself before the split, through the upswrap engine.
 * Signals arrive on a signalfd, so no code runs in a signal handler.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "privsep/privsep.h"
#include "upsmon.h"

int
priv_write_flag(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	size_t len = strlen(UPSMON_SDMAGIC);

	if (fd < 0)
		return -errno;
	int r = write(fd, UPSMON_SDMAGIC, len) == (ssize_t)len ? 0 : -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

int
priv_check_flag(const char *path)
{
	char buf[sizeof(UPSMON_SDMAGIC) + 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -EIO;
	return (size_t)n == strlen(UPSMON_SDMAGIC) && memcmp(buf, UPSMON_SDMAGIC, (size_t)n) == 0;
}

static void
stop_children(struct priv_ctx *ctx)
{
	pid_t pids[2] = {ctx->net_pid, ctx->notify_pid};

	/* A message, not a signal: [priv] may lack CAP_KILL for the other uid.
	 * [notify] ends when [net] closes its channel. */
	if (ctx->net_pid > 0)
		(void)privsep_send_stop(ctx->net_fd);
	for (int i = 0; i < 2; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (int i = 0; i < 2; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
	ctx->net_pid = ctx->notify_pid = 0;
}

static void
do_shutdown(struct priv_ctx *ctx)
{
	log_err("shutdown requested: running SHUTDOWNCMD");
	if (ctx->powerdownflag) {
		int r = priv_write_flag(ctx->powerdownflag);
		if (r < 0)
			log_err("failed to create power down flag %s: %s", ctx->powerdownflag,
			    strerror(-r));
	}
	int status = ctx->run_shutdown(ctx->wrap);
	if (status != 0)
		log_err("SHUTDOWNCMD failed (status %d): %s", status, ctx->shutdowncmd);
}

/* A child ended.  Returns true when upsmon must end too. */
static bool
child_exited(struct priv_ctx *ctx, bool shutting_down)
{
	pid_t pid;
	int st;
	bool end = false;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		const char *who = pid == ctx->net_pid ? "net" : pid == ctx->notify_pid ? "notify" : NULL;
		if (!who)
			continue;
		if (pid == ctx->net_pid)
			ctx->net_pid = 0;
		else
			ctx->notify_pid = 0;
		if (!shutting_down)
			log_err("[%s] process died (%s %d): exiting without shutting down", who,
			    WIFSIGNALED(st) ? "signal" : "status",
			    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		end = true;
	}
	return end;
}

/* One message or EOF from [net].  Returns -1 to go on, else an exit status. */
static int
net_message(struct priv_ctx *ctx, bool *done)
{
	struct privsep_msg m;
	int r = privsep_recv(ctx->net_fd, PRIVSEP_ACCEPT(PRIVSEP_SHUTDOWN), 0, &m);

	if (r == -EAGAIN)
		return -1;
	if (r == 1 && !*done) {
		*done = true;
		do_shutdown(ctx);
		return -1;
	}
	if (r == 1)
		log_err("second SHUTDOWN request refused: ending");
	else if (r == 0 && *done)
		return 0; /* [net] finished after the shutdown */
	else if (r == 0)
		log_err("[net] process died (channel closed): exiting without shutting down");
	else
		log_err("bad message from [net] (%s): ending", strerror(-r));
	return 1;
}

/* A signal.  Returns -1 to go on, else an exit status (PRIV_RELOAD to re-exec). */
static int
signal_event(struct priv_ctx *ctx, int sfd, bool done)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return -1;
	switch (si.ssi_signo) {
	case SIGCHLD:
		return child_exited(ctx, done) ? (done ? 0 : 1) : -1;
	case SIGUSR1:
		log_warn("forced shutdown requested (upsmon -c fsd)");
		if (privsep_send_fsd(ctx->net_fd) < 0)
			log_err("cannot pass FSD to [net]");
		return -1;
	case SIGHUP:
		return PRIV_RELOAD;
	default:
		log_info("signal %d: stopping", (int)si.ssi_signo);
		return 0;
	}
}

int
priv_run(struct priv_ctx *ctx)
{
	sigset_t set;
	bool done = false;
	int ret = -1;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		log_err("signalfd: %s", strerror(errno));
		stop_children(ctx);
		return 1;
	}
	while (ret < 0) {
		struct pollfd p[2] = {{ctx->net_fd, POLLIN, 0}, {sfd, POLLIN, 0}};
		if (poll(p, 2, -1) < 0)
			continue;
		/* Messages first: [net] sends SHUTDOWN before it exits, so a SIGCHLD
		 * seen in the same round must not hide the request. */
		if (p[0].revents)
			ret = net_message(ctx, &done);
		if (ret < 0 && p[1].revents)
			ret = signal_event(ctx, sfd, done);
	}
	stop_children(ctx);
	close(sfd);
	return ret;
}

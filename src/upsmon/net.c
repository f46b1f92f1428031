/*
 * net: upsmon's unprivileged network process.
 *
 * Speaks NUT's upsmon dialogue (reference 1.8): STARTTLS (required for
 * servers off loopback unless FORCESSL 0), USERNAME, PASSWORD, LOGIN,
 * PRIMARY (the client library falls back to MASTER), then every POLLFREQ
 * GET VAR ups.status, ups.mode.buzzwords and, when ALARM is set,
 * ups.alarm.  The decisions are monitor.c's; this file only moves bytes,
 * sleeps, and talks to [priv] and [notify] over privsep messages.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "privsep/privsep.h"
#include "sandbox/sandbox.h"
#include "str.h"
#include "upsmon.h"

static volatile sig_atomic_t net_stop, net_fsd;

static void
on_term(int sig)
{
	(void)sig;
	net_stop = 1;
}

/* `upsmon -c fsd` run by an unprivileged CMDSCRIPT (upssched's early
 * shutdown pattern) signals [net] directly: it cannot signal [priv]. */
static void
on_usr1(int sig)
{
	(void)sig;
	net_fsd = 1;
}

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
send_notify(void *arg, unsigned ev, const char *ups, const char *detail)
{
	struct net_ctx *ctx = arg;
	int r = privsep_send_notify(ctx->notify_fd, ev, ups, detail);
	if (r < 0)
		log_err("cannot pass %s to the notifier: %s", upsmon_notify_name(ev), strerror(-r));
}

static void
target_close(struct net_target *t)
{
	ucl_abort(t->conn);
	t->conn = NULL;
	t->logged_in = false;
}

/* Connect, authenticate, LOGIN and PRIMARY as NUT's upsmon does. */
static int
target_open(struct net_ctx *ctx, size_t i)
{
	struct net_target *t = &ctx->t[i];
	char err[UCL_ERRMSG_MAX] = "";
	int r;

	r = ucl_connect(&t->conn, t->addr, t->port, &t->opts, err);
	if (r < 0) {
		/* TLS failures are configuration problems: always say so. */
		if (r == UCL_E_TLS || r == UCL_E_TLS_REFUSED || r == UCL_E_TLS_VERIFY)
			log_err("UPS [%s]: %s", ctx->ups[i].name, err);
		else
			log_debug(1, "UPS [%s]: connect failed: %s", ctx->ups[i].name, err);
		return r;
	}
	if (ucl_tls_state(t->conn) == UCL_TLS_REFUSED || ucl_tls_state(t->conn) == UCL_TLS_UNVERIFIED)
		log_warn("UPS [%s]: %s", ctx->ups[i].name, ucl_tls_note(t->conn));
	else if (ucl_tls_state(t->conn) == UCL_TLS_VERIFIED)
		log_info("UPS [%s]: TLS session, server certificate verified", ctx->ups[i].name);
	if (ctx->ups[i].pv == 0)
		return 0; /* monitoring only: NUT does not log in */
	r = ucl_auth(t->conn, t->user, t->pass);
	if (r == 0)
		r = ucl_login(t->conn, t->ups);
	if (r < 0) {
		/* NUT keeps polling anonymously; say so loudly (nut #3403). */
		log_err("UPS [%s]: login failed: %s; polling without a session, "
			"a primary will not wait for this host",
		    ctx->ups[i].name, ucl_errmsg(t->conn));
		if (ucl_fd(t->conn) < 0) {
			target_close(t);
			return r;
		}
		return 0;
	}
	t->logged_in = true;
	if (ctx->ups[i].primary) {
		r = ucl_primary(t->conn, t->ups);
		if (r < 0)
			log_err("UPS [%s]: primary privileges unavailable: %s", ctx->ups[i].name,
			    ucl_errmsg(t->conn));
	}
	log_info("UPS [%s]: logged in%s", ctx->ups[i].name, ctx->ups[i].primary ? " as primary" : "");
	return 0;
}

static bool
var_soft_error(int r)
{
	return r == UCL_E_VAR_NOT_SUPPORTED || r == UCL_E_UNKNOWN_VAR || r == UCL_E_VAR_UNKNOWN;
}

/* One poll of UPS i: status, buzzwords, alarm.  Feeds the monitor. */
static void
poll_one(struct net_ctx *ctx, size_t i)
{
	struct net_target *t = &ctx->t[i];
	char status[UCL_VALUE_MAX], buzz[UCL_VALUE_MAX] = "", alarm[UCL_VALUE_MAX] = "";
	int r;

	if (!t->conn && target_open(ctx, i) < 0) {
		mon_poll_failed(&ctx->m, i, now_ms());
		return;
	}
	r = ucl_get_var(t->conn, t->ups, "ups.status", status, sizeof(status));
	if (r == 0) {
		int rb = ucl_get_var(t->conn, t->ups, "ups.mode.buzzwords", buzz, sizeof(buzz));
		if (rb < 0 && var_soft_error(rb))
			rb = ucl_get_var(t->conn, t->ups, "experimental.ups.mode.buzzwords", buzz,
			    sizeof(buzz));
		if (rb < 0)
			buzz[0] = '\0';
		if (strstr(status, "ALARM") &&
		    ucl_get_var(t->conn, t->ups, "ups.alarm", alarm, sizeof(alarm)) < 0)
			alarm[0] = '\0';
	}
	if (r < 0) {
		log_debug(1, "UPS [%s]: poll failed: %s", ctx->ups[i].name, ucl_errmsg(t->conn));
		if (ucl_fd(t->conn) < 0 || !ucl_err_is_server(r))
			target_close(t);
		mon_poll_failed(&ctx->m, i, now_ms());
		return;
	}
	if (strcmp(status, "WAIT") == 0)
		return; /* upsd has no data from the driver yet */
	mon_poll_ok(&ctx->m, i, now_ms(), status, alarm, buzz);
}

/* A message or EOF from [priv]. Returns true when the caller should stop waiting. */
static bool
priv_event(struct net_ctx *ctx)
{
	struct privsep_msg m;
	int r = privsep_recv(ctx->priv_fd, PRIVSEP_ACCEPT(PRIVSEP_FSD) | PRIVSEP_ACCEPT(PRIVSEP_STOP),
	    0, &m);

	if (r == 1 && m.type == PRIVSEP_STOP) {
		net_stop = 1;
		return true;
	}
	if (r == 1) {
		log_warn("forced shutdown requested by the operator");
		mon_request_fsd(&ctx->m);
		return true;
	}
	if (r == -EAGAIN)
		return false;
	if (r == -EBADMSG)
		log_fatal("bad message from [priv]: ending");
	/* EOF or error: the privileged parent is gone. */
	log_err("upsmon parent process died - shutdown impossible");
	send_notify(ctx, UPSMON_N_NOPARENT, "", NULL);
	ctx->parent_gone = true;
	close(ctx->priv_fd);
	ctx->priv_fd = -1;
	return false;
}

static void
hook_event(struct net_ctx *ctx)
{
	if (sandbox_hook_handle(ctx->hook) < 0) {
		ctx->hook = sandbox_hook_free(ctx->hook);
		ctx->hook_fd = -1;
	}
}

/* Sleep up to ms, watching [priv] (FSD, EOF) and the test hook. */
static void
wait_events(struct net_ctx *ctx, int ms)
{
	int64_t end = now_ms() + ms;

	while (!net_stop && !net_fsd) {
		int64_t left = end - now_ms();
		struct pollfd p[2];
		int n = 0, ipriv = -1, ihook = -1;

		if (left <= 0)
			return;
		if (ctx->priv_fd >= 0) {
			ipriv = n;
			p[n++] = (struct pollfd){ctx->priv_fd, POLLIN, 0};
		}
		if (ctx->hook_fd >= 0) {
			ihook = n;
			p[n++] = (struct pollfd){ctx->hook_fd, POLLIN, 0};
		}
		if (poll(p, (nfds_t)n, (int)left) <= 0)
			continue;
		if (ipriv >= 0 && p[ipriv].revents && priv_event(ctx))
			return;
		if (ihook >= 0 && p[ihook].revents)
			hook_event(ctx);
	}
}

static bool
any_on_battery(const struct net_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n; i++)
		if (ctx->ups[i].flags & MF_OB)
			return true;
	return false;
}

static void
poll_all(struct net_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n && !net_stop; i++)
		poll_one(ctx, i);
}

static void
send_fsd_all(struct net_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n; i++) {
		struct net_target *t = &ctx->t[i];
		if (!ctx->ups[i].primary)
			continue;
		if (!t->conn)
			(void)target_open(ctx, i);
		int r = t->conn ? ucl_fsd(t->conn, t->ups) : UCL_E_CONNECT;
		if (r < 0)
			log_err("FSD set on UPS [%s] failed: %s", ctx->ups[i].name,
			    t->conn ? ucl_errmsg(t->conn) : "not connected");
		else
			log_warn("FSD set on UPS [%s]", ctx->ups[i].name);
	}
}

static int
max_logins(struct net_ctx *ctx)
{
	int maxl = -1;

	for (size_t i = 0; i < ctx->n; i++) {
		struct net_target *t = &ctx->t[i];
		long v;
		if (!ctx->ups[i].primary || !t->conn)
			continue;
		if (ucl_get_numlogins(t->conn, t->ups, &v) == 0 && v > maxl)
			maxl = (int)v;
		else if (ucl_fd(t->conn) < 0)
			target_close(t);
	}
	return maxl;
}

/* FSD -> HOSTSYNC -> SHUTDOWN notice -> FINALDELAY -> ask [priv]. */
static void
shutdown_sequence(struct net_ctx *ctx)
{
	send_fsd_all(ctx);
	mon_fsd_sent(&ctx->m, now_ms());
	while (ctx->m.sd == MON_SD_SYNC && !net_stop) {
		mon_sync_logins(&ctx->m, now_ms(), max_logins(ctx));
		if (ctx->m.sd == MON_SD_SYNC)
			wait_events(ctx, UPSMON_SYNC_POLL_MS);
	}
	while (!mon_final_due(&ctx->m, now_ms()) && !net_stop)
		wait_events(ctx, 100);
	if (net_stop)
		return;
	if (ctx->priv_fd < 0 || privsep_send_shutdown(ctx->priv_fd) < 0)
		log_err("cannot ask the privileged process to shut down: shutdown impossible");
}

/* SHUTDOWNEXIT: keep our sessions open so a primary keeps waiting for us. */
static void
linger(struct net_ctx *ctx)
{
	int64_t end = now_ms() + (int64_t)ctx->shutdownexit * 1000;

	while (!net_stop && (ctx->shutdownexit < 0 || now_ms() < end)) {
		poll_all(ctx);
		wait_events(ctx, ctx->pollfreq * 1000);
	}
}

int
net_run(struct net_ctx *ctx)
{
	struct sigaction sa;
	int64_t last_noparent = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	(void)ucl_ignore_sigpipe();
	mon_init(&ctx->m, &ctx->s, ctx->ups, ctx->n, send_notify, ctx, now_ms());

	while (!net_stop) {
		poll_all(ctx);
		if (net_fsd) {
			log_warn("forced shutdown requested (upsmon -c fsd)");
			mon_request_fsd(&ctx->m);
		}
		if (mon_recalc(&ctx->m, now_ms())) {
			shutdown_sequence(ctx);
			if (ctx->shutdownexit != 0)
				linger(ctx);
			break;
		}
		if (ctx->parent_gone && now_ms() - last_noparent >= UPSMON_NOPARENT_REPEAT_S * 1000) {
			if (last_noparent)
				send_notify(ctx, UPSMON_N_NOPARENT, "", NULL);
			last_noparent = now_ms();
		}
		wait_events(ctx, (any_on_battery(ctx) ? ctx->pollfreqalert : ctx->pollfreq) * 1000);
	}
	for (size_t i = 0; i < ctx->n; i++) {
		if (ctx->t[i].conn)
			ucl_close(ctx->t[i].conn);
		ctx->t[i].conn = NULL;
	}
	return 0;
}

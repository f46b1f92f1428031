/*
 * upsweb: dashboard, JSON API and Prometheus metrics for the UPSes listed
 * in NUT's hosts.conf, served by one unprivileged process that talks only
 * to upsd.
 *
 * Start-up order: options → configuration (hosts.conf, upsweb.conf) →
 * model → listeners and name resolution → sandbox (user drop, Landlock,
 * seccomp) → poller and action threads → event loop.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/event.h>

#include "actions.h"
#include "conf/hosts_conf.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "model.h"
#include "paths.h"
#include "poller.h"
#include "sandbox/sandbox.h"
#include "webconf.h"

#define FD_RESERVE 64 /* descriptors beyond MAX_CONNECTIONS: upsd, listeners, log */

struct options {
	bool foreground;
	int debug;
	bool check;
	bool print;
	const char *user;
};

struct upsweb {
	struct options opt;
	struct webconf conf;
	struct hosts_conf *hosts;
	struct model model;
	struct poller poller;
	struct ucl_options ucl;
	struct event_base *base;
	struct web web;
	struct sandbox_manifest manifest;
	struct sandbox_user user;
	char hosts_path[512], conf_path[512];
};

static void
usage(FILE *out, const struct sandbox_manifest *m)
{
	fprintf(out,
	        "usage: upsweb [-F] [-D]... [-t | -T] [-u user] [-h]\n"
	        "  -F       stay in the foreground (the default; kept for NUT habits)\n"
	        "  -D       more debug output (repeatable)\n"
	        "  -t       check hosts.conf and upsweb.conf, exit 0 or 1\n"
	        "  -T       print the effective configuration and exit\n"
	        "  -u user  run as this user when started as root (default %s)\n"
	        "  -h       this help\n"
	        "Reads hosts.conf and upsweb.conf from %s (NUT_CONFPATH overrides).\n",
	        RUN_AS_USER, paths_confdir());
	sandbox_manifest_print(m, out);
}

static int
parse_options(int argc, char **argv, struct options *o)
{
	int c;

	while ((c = getopt(argc, argv, "FBDtTu:h")) != -1) {
		switch (c) {
		case 'F':
		case 'B':
			o->foreground = c == 'F';
			break;
		case 'D':
			o->debug++;
			break;
		case 't':
			o->check = true;
			break;
		case 'T':
			o->print = true;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'h':
			return 1;
		default:
			return -1;
		}
	}
	return optind < argc ? -1 : 0;
}

static int
load_config(struct upsweb *u)
{
	struct conf_diag diag;
	int r;

	paths_conf_file(u->hosts_path, sizeof(u->hosts_path), "hosts.conf");
	paths_conf_file(u->conf_path, sizeof(u->conf_path), "upsweb.conf");
	conf_diag_init(&diag);
	r = hosts_conf_load(u->hosts_path, &u->hosts, &diag);
	conf_diag_print(stderr, &diag);
	conf_diag_free(&diag);
	if (r < 0) {
		if (r != -EINVAL)
			fprintf(stderr, "%s: %s\n", u->hosts_path, strerror(-r));
		return r;
	}
	return webconf_load(u->conf_path, true, &u->conf, stderr);
}

static int
build_model(struct upsweb *u)
{
	int r = model_init(&u->model, u->conf.history, u->conf.history_step, u->conf.pollfreq);

	if (r < 0)
		return r;
	for (size_t i = 0; i < u->hosts->nmonitors; i++) {
		const struct hosts_monitor *m = &u->hosts->monitors[i];
		r = model_add(&u->model, m->name.ups, m->name.host, (uint16_t)m->name.port,
		              m->desc);
		if (r == -ENOSPC) {
			log_warn("%s:%u: more than %d UPSes, the rest are ignored", u->hosts_path,
			         m->lineno, MODEL_MAX_UPS);
			break;
		}
		if (r < 0)
			log_warn("%s:%u: MONITOR %s@%s ignored (%s)", u->hosts_path, m->lineno,
			         m->name.ups, m->name.host,
			         r == -EINVAL ? "duplicate or too long" : "no memory");
	}
	return 0;
}

/* Bound concurrent connections by the descriptor limit (see http.c). */
static void
limit_fds(const struct webconf *c)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)c->max_connections + FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > want)) {
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("cannot lower the descriptor limit: %s", strerror(errno));
	}
}

static int
build_manifest(struct upsweb *u)
{
	struct sandbox_manifest *m = &u->manifest;

	m->program = "upsweb";
	m->syscalls = SANDBOX_SYS_EVENT | SANDBOX_SYS_NET_SERVER | SANDBOX_SYS_NET_CLIENT |
	              /* pthread_create is clone(): the poller and action threads */
	              SANDBOX_SYS_SPAWN;
	/* STARTTLS to upsd reads the trust store at each connection. */
	if (u->conf.upsd_cafile[0])
		sandbox_manifest_add_read(m, u->conf.upsd_cafile);
	sandbox_manifest_add_read(m, "/etc/ssl/certs");
	sandbox_manifest_add_read(m, "/usr/lib/ssl");
	for (size_t i = 0; i < u->conf.nlisten; i++)
		sandbox_manifest_add_bind(m, u->conf.listen[i].port);
	/* Landlock filters connect() by port only, so one entry per port. */
	for (size_t i = 0; i < u->model.nups; i++) {
		bool seen = false;
		for (size_t k = 0; k < i; k++)
			seen |= u->model.ups[k].port == u->model.ups[i].port;
		if (!seen && sandbox_manifest_add_connect(m, poller_addr(&u->poller, i),
		                                          u->model.ups[i].port) < 0) {
			log_err("more than %d different upsd ports in hosts.conf: the sandbox "
			        "cannot list them all",
			        SANDBOX_MAX_CONNECT);
			return -E2BIG;
		}
	}
	return 0;
}

/* -h: the usage and the manifest this configuration would get (host names
 * unresolved); without a valid configuration, the fixed part only. */
static int
help(struct upsweb *u, bool asked)
{
	FILE *out = asked ? stdout : stderr;
	FILE *quiet = fopen("/dev/null", "w");

	u->manifest.program = "upsweb";
	u->manifest.syscalls =
	    SANDBOX_SYS_EVENT | SANDBOX_SYS_NET_SERVER | SANDBOX_SYS_NET_CLIENT | SANDBOX_SYS_SPAWN;
	sandbox_manifest_add_read(&u->manifest, "/etc/ssl/certs");
	sandbox_manifest_add_read(&u->manifest, "/usr/lib/ssl");
	paths_conf_file(u->hosts_path, sizeof(u->hosts_path), "hosts.conf");
	paths_conf_file(u->conf_path, sizeof(u->conf_path), "upsweb.conf");
	struct conf_diag diag;
	conf_diag_init(&diag);
	if (asked && quiet && hosts_conf_load(u->hosts_path, &u->hosts, &diag) == 0 &&
	    webconf_load(u->conf_path, true, &u->conf, quiet) == 0) {
		for (size_t i = 0; i < u->conf.nlisten; i++)
			sandbox_manifest_add_bind(&u->manifest, u->conf.listen[i].port);
		for (size_t i = 0; i < u->hosts->nmonitors; i++)
			sandbox_manifest_add_connect(&u->manifest, u->hosts->monitors[i].name.host,
			                             (uint16_t)u->hosts->monitors[i].name.port);
	}
	conf_diag_free(&diag);
	if (quiet)
		fclose(quiet);
	usage(out, &u->manifest);
	hosts_conf_free(u->hosts);
	u->hosts = NULL;
	return asked ? 0 : 1;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	log_info("signal %d: stopping", (int)sig);
	event_base_loopbreak(arg);
	(void)what;
}

static int
drop_privileges(struct upsweb *u)
{
	struct sandbox_report rep;
	char err[256], line[1024];
	int r;

	if (geteuid() == 0) {
		r = sandbox_user_resolve(u->opt.user, u->conf.user[0] ? u->conf.user : NULL,
		                         "RUN_AS_USER in upsweb.conf", &u->user, err, sizeof(err));
		if (r < 0) {
			log_err("%s", err);
			return r;
		}
		u->manifest.run_as = &u->user;
	}
	r = sandbox_hook_attach(u->base, "upsweb");
	if (r < 0)
		log_warn("test hook: %s", strerror(-r));
	r = sandbox_apply(&u->manifest, &rep);
	if (sandbox_report_format(&rep, line, sizeof(line)) >= 0)
		log_info("sandbox: %s", line);
	if (r < 0)
		log_err("sandbox step %s failed: %s", rep.failed_step ? rep.failed_step : "?",
		        strerror(-r));
	return r;
}

static int
setup(struct upsweb *u)
{
	int r;

	limit_fds(&u->conf);
	u->ucl.timeout_ms = u->conf.upsd_timeout * 1000;
	u->ucl.tls = u->conf.upsd_tls ? UCL_TLS_REQUIRE : UCL_TLS_AUTO;
	u->ucl.ca_file = u->conf.upsd_cafile[0] ? u->conf.upsd_cafile : NULL;
	ucl_ignore_sigpipe();
	u->base = event_base_new();
	if (!u->base)
		return -ENOMEM;
	r = poller_init(&u->poller, &u->model, &u->ucl, u->conf.pollfreq);
	if (r < 0)
		return r;
	if (u->conf.allow_commands || u->conf.allow_writes) {
		u->web.actions = actions_new(u->base, &u->conf, &u->model, &u->poller, &u->ucl);
		if (!u->web.actions)
			return -ENOMEM;
	}
	u->web.poller = &u->poller;
	r = http_setup(&u->web, u->base, &u->conf, &u->model, stderr);
	if (r < 0)
		return r;
	return build_manifest(u);
}

static int
run(struct upsweb *u)
{
	struct event *sigs[2];
	int r;

	sigs[0] = evsignal_new(u->base, SIGTERM, on_signal, u->base);
	sigs[1] = evsignal_new(u->base, SIGINT, on_signal, u->base);
	for (int i = 0; i < 2; i++)
		if (!sigs[i] || evsignal_add(sigs[i], NULL) < 0)
			return -ENOMEM;
	r = poller_start(&u->poller);
	if (r == 0 && u->web.actions)
		r = actions_start(u->web.actions);
	if (r < 0) {
		log_err("cannot start threads: %s", strerror(-r));
		return r;
	}
	for (size_t i = 0; i < u->conf.nlisten; i++)
		log_info("listening on %s port %u%s", u->conf.listen[i].addr,
		         (unsigned)u->conf.listen[i].port, u->conf.certfile[0] ? " (TLS)" : "");
	event_base_dispatch(u->base);
	for (int i = 0; i < 2; i++)
		event_free(sigs[i]);
	return 0;
}

static void
teardown(struct upsweb *u)
{
	poller_stop(&u->poller);
	actions_free(u->web.actions);
	u->web.actions = NULL;
	http_teardown(&u->web);
	if (u->base)
		event_base_free(u->base);
	model_deinit(&u->model);
	hosts_conf_free(u->hosts);
}

int
main(int argc, char **argv)
{
	static struct upsweb u; /* large (model): not on the stack */
	int r;

	log_init("upsweb");
	r = parse_options(argc, argv, &u.opt);
	if (r != 0)
		return help(&u, r > 0);
	log_set_debug(u.opt.debug);
	if (load_config(&u) < 0)
		return 1;
	if (u.opt.check) {
		printf("%s and %s are valid (%zu UPS)\n", u.hosts_path, u.conf_path,
		       u.hosts->nmonitors);
		hosts_conf_free(u.hosts);
		return 0;
	}
	if (u.opt.print) {
		printf("# %s\n", u.conf_path);
		webconf_print(&u.conf, stdout);
		printf("# %s\n", u.hosts_path);
		hosts_conf_print(stdout, u.hosts);
		hosts_conf_free(u.hosts);
		return 0;
	}
	if (build_model(&u) < 0 || setup(&u) < 0 || drop_privileges(&u) < 0) {
		teardown(&u);
		return 1;
	}
	r = run(&u);
	teardown(&u);
	return r < 0 ? 1 : 0;
}

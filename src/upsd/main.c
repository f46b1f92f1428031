/*
 * upsd: the NUT protocol 1.3 network server.
 *
 * Start order: options, configuration (upsd.conf, ups.conf, upsd.users),
 * listeners, TLS keys and the pid file, then the sandbox (user drop,
 * Landlock, seccomp), then the event loop.  SIGHUP (or `upsd -c reload`)
 * re-reads all three without dropping clients; listeners, TLS and the
 * state path keep their start-up values until a restart.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#if HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "paths.h"
#include "sandbox/sandbox.h"
#include "upsd.h"

struct options {
	bool check, print, background;
	int debug;
	const char *user, *chroot_dir, *command;
};

static void
usage(FILE *f, const struct sandbox_manifest *m)
{
	fprintf(f, "usage: upsd [-hFBtT] [-D]... [-u user] [-r chrootdir] [-c reload|stop]\n"
	           "  -F          stay in the foreground (default)\n"
	           "  -B          run in the background\n"
	           "  -D          more debug output (repeatable)\n"
	           "  -t          check the configuration and exit\n"
	           "  -T          print the effective configuration and exit\n"
	           "  -u user     run as this user (default " RUN_AS_USER ")\n"
	           "  -r dir      chroot to dir (configuration and state inside it)\n"
	           "  -c cmd      send a command to the running upsd: reload, stop\n"
	           "Files: $NUT_CONFPATH (default " CONFDIR ") upsd.conf ups.conf upsd.users;\n"
	           "driver sockets and upsd.pid in the state path.\n");
	if (m) {
		fprintf(f, "Sandbox:\n");
		sandbox_manifest_print(m, f);
	}
}

static int
parse_args(int argc, char **argv, struct options *o)
{
	int ch;

	while ((ch = getopt(argc, argv, "hFBDtTu:r:c:")) != -1) {
		switch (ch) {
		case 'F':
			o->background = false;
			break;
		case 'B':
			o->background = true;
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
		case 'r':
			o->chroot_dir = optarg;
			break;
		case 'c':
			o->command = optarg;
			break;
		case 'h':
			return 1;
		default:
			return -1;
		}
	}
	return optind < argc ? -1 : 0;
}

/* Paths are read before a chroot (prefixed) and after it (as written). */
static const char *
conf_path(struct server *srv, const char *name, char *buf, size_t size)
{
	char p[4096];

	(void)paths_conf_file(p, sizeof(p), name);
	snprintf(buf, size, "%s%s", srv->confdir ? srv->confdir : "", p);
	return buf;
}

static int
load_users(struct server *srv, struct upsd_users **ret)
{
	char path[4200], msg[512];
	struct conf_diag d;
	int r;

	conf_path(srv, "upsd.users", path, sizeof(path));
	if (conf_check_secret_file(path, msg, sizeof(msg)) < 0) {
		log_err("%s", msg);
		return -EACCES;
	}
	conf_diag_init(&d);
	r = upsd_users_load(path, ret, &d);
	conf_diag_print(stderr, &d);
	conf_diag_free(&d);
	return r;
}

static int
load_ups_conf(struct server *srv, struct ups_conf **ret)
{
	char path[4200];
	struct conf_diag d;
	int r;

	conf_diag_init(&d);
	r = ups_conf_load(conf_path(srv, "ups.conf", path, sizeof(path)), ret, &d);
	conf_diag_print(stderr, &d);
	conf_diag_free(&d);
	return r;
}

static int
load_upsd_conf(struct server *srv, struct upsd_conf **ret)
{
	char path[4200];
	struct conf_diag d;
	int r;

	conf_diag_init(&d);
	r = upsd_conf_load(conf_path(srv, "upsd.conf", path, sizeof(path)), ret, &d);
	conf_diag_print(stderr, &d);
	conf_diag_free(&d);
	return r;
}

/* NUT_STATEPATH, then ups.conf statepath, then STATEPATH, then the default. */
static void
choose_statepath(struct server *srv, const struct ups_conf *uc, const char *root)
{
	const char *p = getenv("NUT_STATEPATH");
	char buf[4200];

	if (!p || !*p)
		p = uc->statepath ? uc->statepath : srv->conf ? srv->conf->statepath : NULL;
	if (!p || !*p)
		p = paths_statepath();
	snprintf(buf, sizeof(buf), "%s%s", root ? root : "", p);
	free(srv->statepath);
	srv->statepath = strdup(buf);
}

static bool
str_differs(const char *a, const char *b)
{
	return (a || b) && (!a || !b || strcmp(a, b) != 0);
}

static bool
listen_differs(const struct upsd_conf *a, const struct upsd_conf *b)
{
	if (a->nlisten != b->nlisten)
		return true;
	for (size_t i = 0; i < a->nlisten; i++)
		if (strcmp(a->listen[i].addr, b->listen[i].addr) != 0 ||
		    a->listen[i].port != b->listen[i].port)
			return true;
	return false;
}

/*
 * A reload applies upsd.conf's run-time settings, as NUT's upsd does.
 * Listeners, TLS and the state path were set up before the sandbox
 * (sockets bound, certificates read, paths allowed) and cannot change now:
 * they keep their running values, with a warning for each the file changed.
 */
static void
apply_runtime_settings(struct upsd_conf *running, const struct upsd_conf *loaded)
{
	const struct {
		const char *name;
		bool changed;
	} fixed[] = {
	    {"LISTEN", listen_differs(running, loaded) ||
	                   running->allow_not_all_listeners != loaded->allow_not_all_listeners},
	    {"STATEPATH", str_differs(running->statepath, loaded->statepath)},
	    {"CERTFILE", str_differs(running->certfile, loaded->certfile)},
	    {"CERTPATH", str_differs(running->certpath, loaded->certpath)},
	    {"CERTIDENT", str_differs(running->certident_name, loaded->certident_name) ||
	                      str_differs(running->certident_pass, loaded->certident_pass)},
	    {"CERTREQUEST", running->certrequest != loaded->certrequest},
	    {"DISABLE_WEAK_SSL", running->disable_weak_ssl != loaded->disable_weak_ssl},
	    {"ALLOW_PLAINTEXT_LISTEN",
	     running->allow_plaintext_listen != loaded->allow_plaintext_listen},
	};

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (fixed[i].changed)
			log_warn("reload: %s changed in upsd.conf; it takes effect when upsd "
			         "restarts",
			         fixed[i].name);
	running->maxage = loaded->maxage;
	running->trackingdelay = loaded->trackingdelay;
	running->maxconn = loaded->maxconn;
	running->allow_no_device = loaded->allow_no_device;
	running->debug_min = loaded->debug_min;
	running->anonymous_read = loaded->anonymous_read;
	running->client_timeout = loaded->client_timeout;
}

/* The debug level is the higher of -D and DEBUG_MIN, as in NUT. */
static void
apply_debug_level(const struct server *srv)
{
	long min = srv->conf ? srv->conf->debug_min : -1;

	log_set_debug(min > srv->debug_cli ? (int)min : srv->debug_cli);
}

static void
reload(struct server *srv)
{
	struct upsd_users *users = NULL;
	struct ups_conf *uc = NULL;
	struct upsd_conf *conf = NULL;

	log_info("reloading upsd.conf, ups.conf and upsd.users");
#if HAVE_SYSTEMD
	(void)sd_notify(0, "RELOADING=1");
#endif
	if (load_upsd_conf(srv, &conf) < 0 || load_ups_conf(srv, &uc) < 0 ||
	    load_users(srv, &users) < 0) {
		log_err("reload failed: keeping the running configuration");
		upsd_conf_free(conf);
		ups_conf_free(uc);
		upsd_users_free(users);
#if HAVE_SYSTEMD
		(void)sd_notify(0, "READY=1");
#endif
		return;
	}
	apply_runtime_settings(srv->conf, conf);
	upsd_conf_free(conf);
	srv->maxconn = srv->conf->maxconn;
	apply_debug_level(srv);
	if (ups_reload(srv, uc) < 0)
		log_err("reload: out of memory updating the UPS list");
	ups_conf_free(uc);
	upsd_users_free(srv->users);
	srv->users = users;
	srv->dummy_hash[0] = '\0';
	/* Rights may have changed: verify passwords again on next use. */
	for (struct client *c = srv->clients_head; c; c = c->next)
		c->flags &= ~(CL_AUTH_DONE | CL_AUTH_OK);
	for (struct ups *u = srv->upses; u; u = u->next)
		ups_connect(u);
#if HAVE_SYSTEMD
	(void)sd_notify(0, "READY=1");
#endif
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	time_t now = time(NULL);

	for (struct ups *u = srv->upses; u; u = u->next)
		ups_tick(u, now);
	tracking_expire(srv, now);
	client_sweep_idle(srv, now);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;

	if (sig == SIGHUP) {
		reload(srv);
		return;
	}
	log_info("signal %d: stopping", (int)sig);
#if HAVE_SYSTEMD
	(void)sd_notify(0, "STOPPING=1");
#endif
	srv->stopping = true;
	event_base_loopbreak(srv->base);
}

static char pidfile_path[4200];

static void
pidfile_name(struct server *srv, char *buf, size_t size)
{
	snprintf(buf, size, "%s/upsd.pid", srv->statepath);
}

static int
send_command(struct server *srv, const char *cmd)
{
	char path[4200], buf[32] = "";
	FILE *f;
	long pid;
	int sig;

	if (strcmp(cmd, "reload") == 0)
		sig = SIGHUP;
	else if (strcmp(cmd, "stop") == 0)
		sig = SIGTERM;
	else {
		fprintf(stderr, "upsd: -c takes reload or stop\n");
		return 1;
	}
	pidfile_name(srv, path, sizeof(path));
	if (!(f = fopen(path, "r")) || !fgets(buf, sizeof(buf), f) ||
	    (pid = strtol(buf, NULL, 10)) <= 1) {
		fprintf(stderr, "upsd: no usable pid file %s\n", path);
		if (f)
			fclose(f);
		return 1;
	}
	fclose(f);
	if (kill((pid_t)pid, sig) < 0) {
		fprintf(stderr, "upsd: cannot signal %ld: %s\n", pid, strerror(errno));
		return 1;
	}
	return 0;
}

/* -c: only the state path matters, so a broken config does not stop it. */
static int
command_mode(struct server *srv, const struct options *o)
{
	struct ups_conf *uc = NULL;
	struct ups_conf empty = {0};
	struct conf_diag d;
	char path[4200];

	conf_diag_init(&d);
	(void)upsd_conf_load(conf_path(srv, "upsd.conf", path, sizeof(path)), &srv->conf, &d);
	(void)ups_conf_load(conf_path(srv, "ups.conf", path, sizeof(path)), &uc, &d);
	conf_diag_free(&d);
	choose_statepath(srv, uc ? uc : &empty, o->chroot_dir);
	ups_conf_free(uc);
	return send_command(srv, o->command);
}

static void
write_pidfile(struct server *srv)
{
	FILE *f;

	pidfile_name(srv, pidfile_path, sizeof(pidfile_path));
	if (!(f = fopen(pidfile_path, "w"))) {
		log_warn("cannot write %s: %s", pidfile_path, strerror(errno));
		pidfile_path[0] = '\0';
		return;
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
}

static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
apply_sandbox(struct server *srv, const struct options *o, struct sandbox_manifest *m, bool dry)
{
	static struct sandbox_user user;
	struct sandbox_report rep = {0};
	char err[512], line[1024];
	int r;

	m->program = "upsd";
	m->syscalls = SANDBOX_SYS_EVENT | SANDBOX_SYS_NET_SERVER;
	m->chroot_dir = o->chroot_dir;
	(void)sandbox_manifest_add_read(m, o->chroot_dir ? paths_confdir() : srv->confdir_full);
	(void)sandbox_manifest_add_read(m, o->chroot_dir ? srv->statepath + strlen(o->chroot_dir)
	                                                 : srv->statepath);
	(void)sandbox_manifest_add_unix_connect(m, "<statepath>/<driver>-<ups>");
	/* A CA directory is read at each client-certificate verification. */
	if (srv->conf && srv->conf->certpath)
		(void)sandbox_manifest_add_read(m, srv->conf->certpath);
	for (size_t i = 0; i < srv->nlisteners; i++) {
		const char *port = strrchr(srv->listeners[i].name, ' ');

		if (port)
			(void)sandbox_manifest_add_bind(m, (uint16_t)atoi(port + 1));
	}
	if (dry)
		return 0;
	if (sandbox_user_resolve(o->user, NULL, "-u", &user, err, sizeof(err)) < 0) {
		log_err("%s", err);
		return -1;
	}
	m->run_as = &user;
	if ((r = sandbox_apply(m, &rep)) < 0) {
		log_err("sandbox: %s failed: %s", rep.failed_step ? rep.failed_step : "setup",
		        strerror(-r));
		return -1;
	}
	if (sandbox_report_format(&rep, line, sizeof(line)) >= 0)
		log_info("%s", line);
	return 0;
}

static int
setup(struct server *srv, const struct options *o)
{
	struct ups_conf *uc = NULL;
	char msg[512];

	if (load_upsd_conf(srv, &srv->conf) < 0 || load_ups_conf(srv, &uc) < 0 ||
	    load_users(srv, &srv->users) < 0) {
		ups_conf_free(uc);
		return -1;
	}
	choose_statepath(srv, uc, o->chroot_dir);
	srv->maxconn = srv->conf->maxconn;
	apply_debug_level(srv);
	if (o->print) {
		upsd_conf_print(stdout, srv->conf);
		ups_conf_print(stdout, uc);
		printf("# upsd.users: %zu user(s)\n", srv->users->nusers);
	}
	if (ups_reload(srv, uc) < 0 || (!srv->upses && !srv->conf->allow_no_device)) {
		log_err("no UPS defined in ups.conf (set ALLOW_NO_DEVICE in upsd.conf to start "
		        "anyway)");
		ups_conf_free(uc);
		return -1;
	}
	ups_conf_free(uc);
	if (tls_setup(srv, msg, sizeof(msg)) < 0) {
		log_err("%s", msg);
		return -1;
	}
	return 0;
}

static int
run(struct server *srv, const struct options *o)
{
	struct sandbox_manifest m = {0};
	char msg[512];
	struct timeval one = {1, 0};
	static const int sigs[] = {SIGHUP, SIGTERM, SIGINT};

	raise_fd_limit();
	if (listen_open_all(srv, msg, sizeof(msg)) < 0) {
		log_err("%s", msg);
		return 1;
	}
	if (o->background) {
		if (daemon(0, 0) < 0)
			log_fatal("cannot go to the background: %s", strerror(errno));
		/* stderr is gone: log to syslog from now on. */
		log_use_syslog(true);
	}
	write_pidfile(srv);
	srv->base = event_base_new();
	if (!srv->base)
		log_fatal("cannot create the event loop");
	(void)sandbox_hook_attach(srv->base, "upsd");
	if (apply_sandbox(srv, o, &m, false) < 0)
		return 1;
	if (o->chroot_dir) {
		free(srv->confdir);
		srv->confdir = NULL;
		memmove(srv->statepath, srv->statepath + strlen(o->chroot_dir),
		        strlen(srv->statepath + strlen(o->chroot_dir)) + 1);
		for (struct ups *u = srv->upses; u; u = u->next)
			memmove(u->sockpath, u->sockpath + strlen(o->chroot_dir),
			        strlen(u->sockpath + strlen(o->chroot_dir)) + 1);
	}
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		evsignal_assign(&srv->sigs[i], srv->base, sigs[i], signal_cb, srv);
		evsignal_add(&srv->sigs[i], NULL);
	}
	event_assign(&srv->tick, srv->base, -1, EV_PERSIST, tick_cb, srv);
	event_add(&srv->tick, &one);
	for (struct ups *u = srv->upses; u; u = u->next)
		ups_connect(u);
	listen_enable(srv);
#if HAVE_SYSTEMD
	(void)sd_notify(0, "READY=1");
#endif
	event_base_dispatch(srv->base);
	return 0;
}

static void
teardown(struct server *srv)
{
	while (srv->clients_head)
		client_close(srv->clients_head);
	listen_close_all(srv);
	while (srv->upses) {
		struct ups *u = srv->upses;

		srv->upses = u->next;
		ups_free(u);
	}
	tracking_free(srv);
	if (pidfile_path[0])
		(void)unlink(pidfile_path);
	if (srv->ssl_ctx)
		SSL_CTX_free(srv->ssl_ctx);
	upsd_users_free(srv->users);
	upsd_conf_free(srv->conf);
	obuf_free(&srv->reply);
	tok_free(&srv->shared_tok);
	if (srv->base)
		event_base_free(srv->base);
	free(srv->statepath);
	free(srv->confdir);
	free(srv->confdir_full);
}

int
main(int argc, char **argv)
{
	struct options o = {0};
	struct server srv = {0};
	int r;

	log_init("upsd");
	r = parse_args(argc, argv, &o);
	if (r != 0) {
		struct sandbox_manifest m = {0};

		srv.statepath = strdup("<statepath>");
		srv.confdir_full = strdup(paths_confdir());
		apply_sandbox(&srv, &o, &m, true);
		usage(r > 0 ? stdout : stderr, &m);
		free(srv.statepath);
		free(srv.confdir_full);
		return r > 0 ? 0 : 1;
	}
	srv.debug_cli = o.debug;
	log_set_debug(o.debug);
	tok_init(&srv.shared_tok);
	srv.confdir = strdup(o.chroot_dir ? o.chroot_dir : "");
	{
		char buf[4200];

		snprintf(buf, sizeof(buf), "%s%s", srv.confdir, paths_confdir());
		srv.confdir_full = strdup(buf);
	}
	if (o.command) {
		r = command_mode(&srv, &o);
		teardown(&srv);
		return r;
	}
	if (setup(&srv, &o) < 0) {
		teardown(&srv);
		return 1;
	}
	if (o.check || o.print) {
		if (o.check)
			printf("upsd: configuration OK\n");
		teardown(&srv);
		return 0;
	}
	r = run(&srv, &o);
	teardown(&srv);
	return r;
}

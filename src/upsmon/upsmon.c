/*
 * upsmon: monitor UPSes over the network and shut the host down safely.
 *
 * main() loads upsmon.conf, checks SHUTDOWNCMD against the upswrap filters
 * (so a command that could never run stops us now, not during a power
 * failure), then splits into [priv], [net] and [notify] (upsmon.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/upsmon_conf.h"
#include "conf/upssched_conf.h"
#include "config.h"
#include "log.h"
#include "paths.h"
#include "privsep/privsep.h"
#include "sandbox/sandbox.h"
#include "scriptbox.h"
#include "shutdowncmd.h"
#include "str.h"
#include "upsmon.h"

struct opts {
	const char *cmd;  /* -c */
	const char *user; /* -u */
	const char *conffile;
	int debug;
	bool check, print, killpower, foreground;
};

struct upsmon {
	struct opts o;
	struct upsmon_conf *conf;
	struct upssched_conf *sched; /* when NOTIFYCMD is upssched: its needs join [notify]'s */
	char conffile[4096];
	char pidfile[4096];
	char netpidfile[4096]; /* [net]'s pid, for `-c fsd` from unprivileged scripts */
	char emptydir[4096];
	struct sandbox_user user;
	struct shutdowncmd *sd;
	char **argv_copy;
};

/* Process title storage: the argv area of main(), set once. */
static char *title_area;
static size_t title_len;

void
upsmon_set_title(const char *title)
{
	prctl(PR_SET_NAME, title, 0, 0, 0);
	if (title_area && title_len > 1) {
		memset(title_area, 0, title_len);
		str_copy(title_area, title, title_len);
	}
}

static void
title_init(int argc, char **argv)
{
	if (argc < 1)
		return;
	title_area = argv[0];
	title_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) + 1 - argv[0]);
}

/*
 * [notify]'s manifest: the scriptbox principle (scriptbox.h), NOTIFYCMD,
 * the NOTIFYCMD_WRITE / NOTIFYCMD_CONNECT opt-ins, and, when NOTIFYCMD is
 * upssched, what upssched and its CMDSCRIPT need (they run inside it).
 * Returns 0, or -errno after logging what to change.
 */
static int
notify_manifest(const struct upsmon_conf *c, const struct upssched_conf *sc, struct scriptbox *sb)
{
	const char *tree = NULL, *w = NULL;
	int r = 0;

	scriptbox_init(sb, "upsmon [notify]");
	r = scriptbox_add_optins(sb, &c->notify_optins);
	if (sc) {
		if (r >= 0 && sc->pipefn)
			r = scriptbox_add_write_dir_of(sb, sc->pipefn);
		if (r >= 0 && sc->lockfn)
			r = scriptbox_add_write_dir_of(sb, sc->lockfn);
		if (r >= 0)
			r = scriptbox_add_optins(sb, &sc->cmd_optins);
	}
	if (r < 0) {
		log_err("[notify] sandbox: too many NOTIFYCMD_WRITE/NOTIFYCMD_CONNECT entries "
		        "(with upssched's): %s",
		        strerror(-r));
		return r;
	}
	if ((r = scriptbox_finish(sb, &tree, &w)) == -EPERM) {
		log_err("[notify] sandbox: W^X: %s may be written (NOTIFYCMD_WRITE, "
		        "CMDSCRIPT_WRITE or upssched's PIPEFN/LOCKFN) but lies in or above %s, "
		        "where programs are executed: choose a path outside it",
		        w ? w : "?", tree);
		return r;
	}
	if (r >= 0 && c->notifycmd)
		r = scriptbox_add_script(sb, c->notifycmd[0]);
	if (r >= 0 && sc && sc->cmdscript)
		r = scriptbox_add_script(sb, sc->cmdscript[0]);
	if (r < 0)
		log_err("[notify] sandbox: %s", strerror(-r));
	return r;
}

static void
usage_notify_manifest(FILE *f)
{
	static struct upsmon_conf empty;
	static struct scriptbox sb;

	sb.describe = true;
	if (notify_manifest(&empty, NULL, &sb) < 0)
		return;
	sandbox_manifest_print(&sb.m, f);
	fputs("  plus NOTIFYCMD (and its directory unless writable), the NOTIFYCMD_WRITE and\n"
	      "  NOTIFYCMD_CONNECT opt-ins of upsmon.conf, and, when NOTIFYCMD is upssched,\n"
	      "  its PIPEFN/LOCKFN directories, CMDSCRIPT, CMDSCRIPT_WRITE/_CONNECT\n",
	      f);
}

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: upsmon [-c fsd|stop|reload] [-D] [-F] [-B] [-K] [-t] [-T] [-u user] "
	        "[-f upsmon.conf]\n"
	        "  -c fsd     ask the running upsmon to start a forced shutdown\n"
	        "  -c stop    stop the running upsmon\n"
	        "  -c reload  re-read upsmon.conf (the processes are restarted)\n"
	        "  -D         more debug output (repeat), stay in the foreground\n"
	        "  -F / -B    foreground (default) / background\n"
	        "  -K         exit 0 when POWERDOWNFLAG holds the shutdown magic, else 1\n"
	        "  -t / -T    check / print the effective configuration\n"
	        "  -u user    run [net] and [notify] as user (default RUN_AS_USER, then %s)\n"
	        "processes: [priv] root, waits for SHUTDOWN; [net] %s, chrooted to "
	        "<statepath>/%s, connects to upsd only; [notify] %s, Landlock with W^X, no network "
	        "unless NOTIFYCMD_CONNECT\n",
	        RUN_AS_USER, RUN_AS_USER, UPSMON_EMPTY_DIR, RUN_AS_USER);
	usage_notify_manifest(f);
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	int c;

	while ((c = getopt(argc, argv, "c:DFBKtTu:f:hp")) != -1) {
		switch (c) {
		case 'c':
			o->cmd = optarg;
			break;
		case 'D':
			o->debug++;
			o->foreground = true;
			break;
		case 'F':
			o->foreground = true;
			break;
		case 'B':
			o->foreground = false;
			break;
		case 'K':
			o->killpower = true;
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
		case 'f':
			o->conffile = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'p':
			fprintf(stderr, "upsmon: -p (one root process) is not supported: upsguard "
			                "always separates privileges\n");
			return -EINVAL;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	return optind == argc ? 0 : -EINVAL;
}

/* NOTIFYCMD is upssched (by name): read upssched.conf for what it will need. */
static void
load_sched(struct upsmon *u)
{
	const struct upsmon_conf *c = u->conf;
	struct conf_diag diag;
	char path[4096];
	const char *base;

	if (!c->notifycmd)
		return;
	base = strrchr(c->notifycmd[0], '/');
	base = base ? base + 1 : c->notifycmd[0];
	if (strcmp(base, "upssched") != 0 ||
	    paths_conf_file(path, sizeof(path), "upssched.conf") < 0)
		return;
	conf_diag_init(&diag);
	if (upssched_conf_load(path, &u->sched, &diag) < 0)
		log_warn("%s: cannot read it: the [notify] sandbox will not allow upssched's "
		         "PIPEFN/LOCKFN directories and CMDSCRIPT",
		         path);
	conf_diag_free(&diag);
}

static int
load_conf(struct upsmon *u)
{
	struct conf_diag diag;
	char msg[512];
	int r;

	if (u->o.conffile)
		str_copy(u->conffile, u->o.conffile, sizeof(u->conffile));
	else if (paths_conf_file(u->conffile, sizeof(u->conffile), "upsmon.conf") < 0)
		return -ENAMETOOLONG;
	if (conf_check_secret_file(u->conffile, msg, sizeof(msg)) < 0) {
		log_err("%s", msg);
		return -EACCES;
	}
	conf_diag_init(&diag);
	r = upsmon_conf_load(u->conffile, &u->conf, &diag);
	conf_diag_print(stderr, &diag);
	conf_diag_free(&diag);
	if (r == 0)
		load_sched(u);
	return r;
}

/* Checks NUT's upsmon makes at start-up, plus the SHUTDOWNCMD filter check. */
static int
validate(struct upsmon *u)
{
	struct upsmon_conf *c = u->conf;
	char err[512];
	long total = 0;

	if (c->nmonitors == 0) {
		log_err("%s: no MONITOR line: nothing to watch", u->conffile);
		return -EINVAL;
	}
	struct scriptbox sb;
	if (notify_manifest(c, u->sched, &sb) < 0)
		return -EPERM;
	for (size_t i = 0; i < c->nmonitors; i++)
		total += c->monitors[i].powervalue;
	if (total < c->minsupplies) {
		log_err("%s: insufficient power configured: the power values of the MONITOR lines "
		        "add up to %ld, MINSUPPLIES is %ld",
		        u->conffile, total, c->minsupplies);
		return -EINVAL;
	}
	if (!c->shutdowncmd) {
		if (c->minsupplies > 0) {
			log_err("%s: SHUTDOWNCMD is not set: upsmon could not shut this host down",
			        u->conffile);
			return -EINVAL;
		}
		return 0;
	}
	if (shutdowncmd_load(c->wrapconf, c->shutdowncmd, &u->sd, err, sizeof(err)) < 0) {
		log_err("%s: SHUTDOWNCMD \"%s\" cannot run: %s", u->conffile, c->shutdowncmd, err);
		return -EPERM;
	}
	return 0;
}

static int
read_pid(const char *path, pid_t *ret)
{
	char buf[32];
	long v;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (str_to_long(buf, 2, 1 << 30, &v) < 0)
		return -EINVAL;
	*ret = (pid_t)v;
	return 0;
}

struct signal_cmd {
	const char *name;
	int sig;
};

static const struct signal_cmd signal_cmds[] = {
    {"fsd", SIGUSR1},
    {"stop", SIGTERM},
    {"reload", SIGHUP},
};

static int
send_command(struct upsmon *u)
{
	pid_t pid = 0;

	for (size_t i = 0; i < sizeof(signal_cmds) / sizeof(signal_cmds[0]); i++) {
		if (strcmp(signal_cmds[i].name, u->o.cmd) != 0)
			continue;
		int r = read_pid(u->pidfile, &pid);
		if (r < 0) {
			log_err("cannot read %s: %s (is upsmon running?)", u->pidfile,
			        strerror(-r));
			return 1;
		}
		if (kill(pid, signal_cmds[i].sig) == 0)
			return 0;
		/* Not root (a CMDSCRIPT): fsd can go to [net], which runs as our user. */
		if (errno == EPERM && signal_cmds[i].sig == SIGUSR1 &&
		    read_pid(u->netpidfile, &pid) == 0 && kill(pid, SIGUSR1) == 0)
			return 0;
		log_err("cannot signal upsmon (pid %d): %s", (int)pid, strerror(errno));
		return 1;
	}
	log_err("-c: unknown command \"%s\" (fsd, stop, reload)", u->o.cmd);
	return 1;
}

static int
killpower_check(struct upsmon *u)
{
	if (!u->conf->powerdownflag) {
		log_err("POWERDOWNFLAG is not set in %s", u->conffile);
		return 1;
	}
	int r = priv_check_flag(u->conf->powerdownflag);
	if (r < 0)
		log_err("%s: %s", u->conf->powerdownflag, strerror(-r));
	return r == 1 ? 0 : 1;
}

static int
write_pid(const char *path, pid_t pid)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0)
		return -errno;
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	int r = write(fd, buf, (size_t)n) == n ? 0 : -EIO;
	close(fd);
	return r;
}

/* The empty directory [net] is chrooted to: root-owned, not writable by others, empty. */
static int
make_empty_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0555) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(path, &st) < 0)
		return -errno;
	/* A service's UMask (0077) would leave it 0500, and [net] could not even
	 * look at its own root after dropping to RUN_AS_USER. */
	if (S_ISDIR(st.st_mode) && st.st_uid == geteuid() && (st.st_mode & 07777) != 0555) {
		if (chmod(path, 0555) < 0)
			return -errno;
		st.st_mode = (st.st_mode & ~07777u) | 0555;
	}
	if (!S_ISDIR(st.st_mode) || (geteuid() == 0 && st.st_uid != 0) || (st.st_mode & 022))
		return -EPERM;
	if (st.st_nlink > 2)
		return -ENOTEMPTY;
	return 0;
}

static int
setup_paths(struct upsmon *u)
{
	const char *sp = paths_statepath();

	if ((size_t)snprintf(u->pidfile, sizeof(u->pidfile), "%s/%s", sp, UPSMON_PIDFILE) >=
	        sizeof(u->pidfile) ||
	    (size_t)snprintf(u->emptydir, sizeof(u->emptydir), "%s/%s", sp, UPSMON_EMPTY_DIR) >=
	        sizeof(u->emptydir) ||
	    (size_t)snprintf(u->netpidfile, sizeof(u->netpidfile), "%s/%s", sp,
	                     UPSMON_NET_PIDFILE) >= sizeof(u->netpidfile))
		return -ENAMETOOLONG;
	return 0;
}

static char **
upsmon_copy_argv(int argc, char **argv)
{
	char **v = calloc((size_t)argc + 1, sizeof(*v));

	for (int i = 0; v && i < argc; i++)
		v[i] = strdup(argv[i]);
	return v;
}

static bool
addr_loopback(const struct addrinfo *ai)
{
	if (ai->ai_family == AF_INET)
		return (ntohl(((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr.s_addr) >>
		        24) == 127;
	if (ai->ai_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(
		    &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr);
	return false;
}

/*
 * Resolve a MONITOR host now, before the chroot hides /etc/hosts and
 * resolv.conf.  IPv4 first when a name has both, as upsd listens on
 * 127.0.0.1 by default.
 */
static int
resolve(struct net_target *t)
{
	struct addrinfo hints, *res, *ai, *pick = NULL;
	char port[8];

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", (unsigned)t->port);
	if (getaddrinfo(t->host, port, &hints, &res) != 0)
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next)
		if (!pick || (ai->ai_family == AF_INET && pick->ai_family != AF_INET))
			pick = ai;
	int r = getnameinfo(pick->ai_addr, pick->ai_addrlen, t->addr, sizeof(t->addr), NULL, 0,
	                    NI_NUMERICHOST);
	t->loopback = addr_loopback(pick);
	freeaddrinfo(res);
	return r == 0 ? 0 : -EHOSTUNREACH;
}

/* CERTHOST for this host, if any. */
static const struct upsmon_certhost *
certhost_for(const struct upsmon_conf *c, const char *host)
{
	for (size_t i = 0; i < c->ncerthosts; i++)
		if (str_ieq(c->certhosts[i].host, host))
			return &c->certhosts[i];
	return NULL;
}

/* TLS: NUT always tries STARTTLS; we require it off loopback unless FORCESSL 0. */
static void
tls_options(const struct upsmon_conf *c, struct net_target *t)
{
	const struct upsmon_certhost *ch = certhost_for(c, t->host);
	int forcessl = ch ? ch->forcessl : c->forcessl;
	int certverify = ch ? ch->certverify : c->certverify;
	struct stat st;

	memset(&t->opts, 0, sizeof(t->opts));
	t->opts.timeout_ms = UCL_DEFAULT_TIMEOUT_MS;
	if (forcessl < 0)
		forcessl = !t->loopback;
	t->opts.tls = forcessl ? UCL_TLS_REQUIRE : UCL_TLS_TRY;
	t->opts.tls_no_verify = certverify == 0;
	t->opts.tls_name = t->host;
	if (c->certpath) {
		if (stat(c->certpath, &st) == 0 && S_ISDIR(st.st_mode))
			t->opts.ca_dir = c->certpath;
		else
			t->opts.ca_file = c->certpath;
	}
	t->opts.cert_file = c->certfile;
}

static int
build_net(struct upsmon *u, struct net_ctx *ctx)
{
	const struct upsmon_conf *c = u->conf;

	ctx->n = c->nmonitors;
	ctx->t = calloc(ctx->n, sizeof(*ctx->t));
	ctx->ups = calloc(ctx->n, sizeof(*ctx->ups));
	if (!ctx->t || !ctx->ups)
		return -ENOMEM;
	for (size_t i = 0; i < ctx->n; i++) {
		const struct upsmon_monitor *m = &c->monitors[i];
		struct net_target *t = &ctx->t[i];
		str_copy(t->ups, m->name.ups, sizeof(t->ups));
		str_copy(t->host, m->name.host, sizeof(t->host));
		t->port = (uint16_t)m->name.port;
		str_copy(t->user, m->user ? m->user : "", sizeof(t->user));
		str_copy(t->pass, m->pass ? m->pass : "", sizeof(t->pass));
		snprintf(ctx->ups[i].name, sizeof(ctx->ups[i].name), "%s@%s", m->name.ups,
		         m->name.host);
		ctx->ups[i].pv = (unsigned)m->powervalue;
		ctx->ups[i].primary = m->primary;
		if (resolve(t) < 0) {
			log_err("UPS [%s]: cannot resolve %s", ctx->ups[i].name, t->host);
			return -EHOSTUNREACH;
		}
		tls_options(c, t);
	}
	mon_settings_default(&ctx->s);
	ctx->s.minsupplies = (int)c->minsupplies;
	ctx->s.deadtime = (int)c->deadtime;
	ctx->s.hostsync = (int)c->hostsync;
	ctx->s.finaldelay = (int)c->finaldelay;
	ctx->s.rbwarntime = (int)c->rbwarntime;
	ctx->s.nocommwarntime = (int)c->nocommwarntime;
	ctx->s.offduration = (int)c->offduration;
	ctx->s.overduration = (int)c->overduration;
	ctx->s.oblbduration = (int)c->oblbduration;
	ctx->s.alarmcritical = c->alarmcritical;
	ctx->pollfreq = (int)c->pollfreq;
	ctx->pollfreqalert = (int)c->pollfreqalert;
	ctx->shutdownexit = c->shutdownexit;
	ctx->timeout_ms = UCL_DEFAULT_TIMEOUT_MS;
	return 0;
}

/* Read CERTPATH, CERTFILE (or the system CA store) once, before the
 * chroot: every target shares one TLS context, and no connect reads a
 * file.  A CA or certificate the admin named must load: fail loudly. */
static void
prepare_tls(struct upsmon *u, struct net_ctx *ctx)
{
	char err[UCL_ERRMSG_MAX];

	if (ctx->n == 0)
		return;
	if (ucl_tls_prepare(&ctx->t[0].opts, err) < 0) {
		if (u->conf->certpath || u->conf->certfile)
			log_fatal("[net] CERTPATH/CERTFILE: %s", err);
		log_warn("[net] %s: certificates cannot be verified", err);
		return;
	}
	for (size_t i = 1; i < ctx->n; i++)
		ctx->t[i].opts.tls_ctx = ctx->t[0].opts.tls_ctx;
}

static void
apply_sandbox(struct upsmon *u, struct sandbox_manifest *m, const char *tag)
{
	struct sandbox_report rep;
	char line[1024];

	m->run_as = &u->user;
	if (sandbox_apply(m, &rep) < 0)
		log_fatal("[%s] sandbox failed at step %s%s%s", tag,
		          rep.failed_step ? rep.failed_step : "?", rep.failed_path ? ": " : "",
		          rep.failed_path ? rep.failed_path : "");
	if (sandbox_report_format(&rep, line, sizeof(line)) >= 0)
		log_info("%s", line);
}

static _Noreturn void
run_net(struct upsmon *u, int priv_fd, int notify_fd)
{
	struct net_ctx ctx;
	struct sandbox_manifest m;

	memset(&ctx, 0, sizeof(ctx));
	memset(&m, 0, sizeof(m));
	log_set_tag("net");
	upsmon_set_title("upsmon [net]");
	ctx.priv_fd = priv_fd;
	ctx.notify_fd = notify_fd;
	if (build_net(u, &ctx) < 0)
		exit(1);
	if (sandbox_hook_open("net", &ctx.hook) < 0)
		log_warn("test hook requested but not connected");
	ctx.hook_fd = sandbox_hook_fd(ctx.hook);
	m.program = "upsmon [net]";
	for (size_t i = 0; i < ctx.n; i++)
		(void)sandbox_manifest_add_connect(&m, ctx.t[i].addr, ctx.t[i].port);
	m.syscalls = SANDBOX_SYS_NET_CLIENT | SANDBOX_SYS_EVENT;
	prepare_tls(u, &ctx);
	m.chroot_dir = u->emptydir;
	apply_sandbox(u, &m, "net");
	exit(net_run(&ctx));
}

/* NOTIFYCMD's environment: a fixed PATH and where NUT programs find their files. */
static char **
notify_env(void)
{
	/* The sanitizer options travel too: a sanitizer build's NOTIFYCMD
	 * children (upssched, `upsmon -c fsd`) must keep the run's settings,
	 * since LeakSanitizer's ptrace-based check cannot run in the sandbox
	 * they inherit and would spin forever at exit. */
	static const char *const keep[] = {
		"NUT_CONFPATH",
		"NUT_STATEPATH",
		"ASAN_OPTIONS",
		"UBSAN_OPTIONS",
		"LSAN_OPTIONS",
#if TEST_HOOKS
		/* test builds: upssched's timer process, started from here, joins the hook */
		SANDBOX_HOOK_ENV,
#endif
	};
	char **env = calloc(sizeof(keep) / sizeof(keep[0]) + 2, sizeof(*env));
	size_t n = 0;

	if (!env)
		return NULL;
	env[n++] = strdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		const char *v = getenv(keep[i]);
		if (v && asprintf(&env[n], "%s=%s", keep[i], v) >= 0)
			n++;
	}
	return env;
}

static _Noreturn void
run_notify(struct upsmon *u, int fd)
{
	struct notify_ctx ctx;
	static struct scriptbox sb; /* large (path storage): not on the stack */

	memset(&ctx, 0, sizeof(ctx));
	log_set_tag("notify");
	upsmon_set_title("upsmon [notify]");
	ctx.fd = fd;
	for (unsigned i = 0; i < UPSMON_N_COUNT; i++) {
		ctx.msg[i] = u->conf->notifymsg[i];
		ctx.flags[i] = u->conf->notifyflag[i];
	}
	ctx.cmd = u->conf->notifycmd;
	ctx.cmd_argc = u->conf->notifycmd_argc;
	ctx.env = notify_env();
	if (sandbox_hook_open("notify", &ctx.hook) < 0)
		log_warn("test hook requested but not connected");
	ctx.hook_fd = sandbox_hook_fd(ctx.hook);
	/* Least privilege for scripts (scriptbox.h): no network unless
	 * NOTIFYCMD_CONNECT, writes only to scratch space and opt-ins, W^X. */
	if (notify_manifest(u->conf, u->sched, &sb) < 0)
		exit(1);
	for (size_t i = 0; i < sb.nwx_dropped; i++)
		log_info("[notify] W^X: %s is writable here, so only the configured script in "
		         "it may run, not its other files",
		         sb.wx_dropped[i]);
	ctx.net_allowed = u->conf->notify_optins.nconnect > 0;
	apply_sandbox(u, &sb.m, "notify");
	exit(notifier_run(&ctx));
}

static void
unblock_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
}

static void
block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static int
prepare(struct upsmon *u)
{
	char err[512];
	int r;

	if (geteuid() == 0) {
		if (sandbox_user_resolve(u->o.user, u->conf->run_as_user,
		                         "RUN_AS_USER in upsmon.conf", &u->user, err,
		                         sizeof(err)) < 0) {
			log_err("%s", err);
			return -ENOENT;
		}
		if ((r = make_empty_dir(u->emptydir)) < 0) {
			log_err("%s: cannot use as the empty chroot of [net]: %s", u->emptydir,
			        strerror(-r));
			return r;
		}
	}
	/* NUT removes a POWERDOWNFLAG only when it holds the magic. */
	if (u->conf->powerdownflag && priv_check_flag(u->conf->powerdownflag) == 1)
		(void)unlink(u->conf->powerdownflag);
	if (!u->o.foreground && daemon(0, 0) < 0)
		return -errno;
	if (!u->o.foreground)
		log_use_syslog(true);
	if ((r = write_pid(u->pidfile, getpid())) < 0) {
		log_err("%s: %s", u->pidfile, strerror(-r));
		return r;
	}
	return 0;
}

static pid_t
fork_child(void)
{
	pid_t pid = fork();

	if (pid == 0)
		unblock_signals();
	else if (pid < 0)
		log_err("fork: %s", strerror(errno));
	return pid;
}

static int
upsmon_split(struct upsmon *u)
{
	int pn[2], nn[2];
	struct priv_ctx pc;

	if (prepare(u) < 0)
		return 1;
	if (privsep_pair(pn) < 0 || privsep_pair(nn) < 0)
		log_fatal("socketpair: %s", strerror(errno));
	block_signals();
	memset(&pc, 0, sizeof(pc));
	pc.notify_pid = fork_child();
	if (pc.notify_pid == 0) {
		close(pn[0]);
		close(pn[1]);
		close(nn[0]);
		run_notify(u, nn[1]);
	}
	pc.net_pid = fork_child();
	if (pc.net_pid == 0) {
		close(pn[0]);
		close(nn[1]);
		run_net(u, pn[1], nn[0]);
	}
	close(pn[1]);
	close(nn[0]);
	close(nn[1]);
	if (pc.net_pid > 0 && write_pid(u->netpidfile, pc.net_pid) < 0)
		log_warn("%s: cannot write", u->netpidfile);
	log_set_tag("priv");
	upsmon_set_title("upsmon [priv]");
	pc.net_fd = pn[0];
	pc.shutdowncmd = u->conf->shutdowncmd;
	pc.powerdownflag = u->conf->powerdownflag;
	pc.wrap = u->sd;
	pc.run_shutdown = shutdowncmd_run;
	if (pc.notify_pid < 0 || pc.net_pid < 0)
		return 1;
	int r = priv_run(&pc);
	if (r == PRIV_RELOAD) {
		log_info("reloading: restarting with %s", u->conffile);
		close(pn[0]);
		unblock_signals();
		execv("/proc/self/exe", u->argv_copy);
		log_err("re-exec failed: %s", strerror(errno));
		r = 1;
	}
	unlink(u->pidfile);
	unlink(u->netpidfile);
	return r;
}

int
main(int argc, char **argv)
{
	struct upsmon u;
	int r;

	memset(&u, 0, sizeof(u));
	log_init("upsmon");
	u.argv_copy = upsmon_copy_argv(argc, argv);
	if (parse_args(argc, argv, &u.o) < 0)
		return 1;
	log_set_debug(u.o.debug);
	title_init(argc, argv);
	if (setup_paths(&u) < 0)
		log_fatal("state path too long");
	if (u.o.cmd)
		return send_command(&u);
	if (load_conf(&u) < 0)
		return 1;
	if (u.o.killpower)
		return killpower_check(&u);
	if (u.o.print)
		upsmon_conf_print(stdout, u.conf);
	r = validate(&u);
	if (u.o.check || u.o.print) {
		if (r == 0 && u.o.check)
			printf("%s: configuration OK\n", u.conffile);
		return r < 0 ? 1 : 0;
	}
	if (r < 0)
		return 1;
	r = upsmon_split(&u);
	upssched_conf_free(u.sched);
	upsmon_conf_free(u.conf);
	return r;
}

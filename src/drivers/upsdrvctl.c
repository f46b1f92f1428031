/*
 * upsdrvctl: start, stop and shut down the drivers of ups.conf.
 *
 * It never talks to a device itself: it runs each driver with the user
 * and group ups.conf gives it (the driver drops privileges after opening
 * its device), waits for it to report ready (maxstartdelay), retries
 * (maxretry, retrydelay), and stops drivers through their pid files.
 * A driver is only ever run as root when the configuration names root
 * explicitly ("user = root" or -u root); anything else that would end up
 * as uid 0 is refused with the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/ups_conf.h"
#include "config.h"
#include "log.h"
#include "paths.h"
#include "str.h"

#define CTL_STOP_WAIT_MS 10000 /* how long stop waits for a driver to exit */
#define CTL_MAX_ARGS 16

struct ctl {
	struct ups_conf *conf;
	const char *opt_user;
	int debug;
	bool foreground;
	char confdir[PATH_MAX];
	char statepath[PATH_MAX];
	char driverpath[PATH_MAX];
};

enum verb { V_START, V_STOP, V_SHUTDOWN };

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: upsdrvctl [OPTIONS] start|stop|shutdown [<ups>]\n\n"
	        "  start [<ups>]     start all drivers of ups.conf, or one\n"
	        "  stop [<ups>]      stop them (SIGTERM through the pid file)\n"
	        "  shutdown [<ups>]  power off the loads: each driver with -k, by sdorder\n"
	        "  -F                with start <ups>: run that driver in the foreground\n"
	        "  -u <user>         run drivers as this user (default: 'user =' in ups.conf,\n"
	        "                    else %s); root only when named explicitly\n"
	        "  -D                more debug output (passed to the drivers)\n"
	        "  -t                check ups.conf and exit; -T print it\n"
	        "  -h                this help\n\n"
	        "upsdrvctl runs no device code and needs no sandbox of its own; each driver\n"
	        "applies its manifest (see <driver> -h).\n",
	        RUN_AS_USER);
}

/* ---- who a driver runs as ---- */

/*
 * The user for a driver, and whether running it is allowed.  Returns the
 * name (NULL when upsdrvctl is not root and passes nothing), or sets *why.
 */
static const char *
driver_user(const struct ctl *c, const struct ups_conf_ups *u, char *why, size_t size)
{
	const char *name = RUN_AS_USER, *from = "the build default";
	struct passwd *pw;

	why[0] = '\0';
	if (c->conf->user) {
		name = c->conf->user;
		from = "the global 'user =' of ups.conf";
	}
	if (u->user) {
		name = u->user;
		from = "'user =' in its section";
	}
	if (c->opt_user) {
		name = c->opt_user;
		from = "-u";
	}
	if (geteuid() != 0)
		return NULL; /* it runs as we are; it cannot change user */
	if (strcmp(name, "root") == 0)
		return name; /* explicit */
	pw = getpwnam(name);
	if (!pw) {
		snprintf(
		    why, size,
		    "user '%s' (from %s) does not exist; create it or set 'user =' in ups.conf "
		    "(refusing to fall back to root)",
		    name, from);
		return NULL;
	}
	if (pw->pw_uid == 0) {
		snprintf(why, size,
		         "user '%s' (from %s) has uid 0: that would run the driver as root; write "
		         "'user = root' in its section if that is really wanted",
		         name, from);
		return NULL;
	}
	return name;
}

static const char *
driver_group(const struct ctl *c, const struct ups_conf_ups *u)
{
	return u->group ? u->group : c->conf->group;
}

/* ---- paths ---- */

static int
driver_binary(const struct ctl *c, const struct ups_conf_ups *u, char *buf, size_t size)
{
	int n;

	if (strchr(u->driver, '/') || u->driver[0] == '.') {
		log_err("[%s]: driver '%s' must be a plain program name", u->name, u->driver);
		return -EINVAL;
	}
	n = snprintf(buf, size, "%s/%s", c->driverpath, u->driver);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	if (access(buf, X_OK) < 0) {
		log_err("[%s]: driver %s: %s", u->name, buf, strerror(errno));
		return -errno;
	}
	return 0;
}

static int
pid_path(const struct ctl *c, const struct ups_conf_ups *u, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s-%s.pid", c->statepath, u->driver, u->name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* ---- running a driver ---- */

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Build the driver's argv: driver [-D...] -a ups [-u user] [-g group] [extra]. */
/* execv() takes char *const[]; the strings are not written to. */
static char *
arg(const char *s)
{
	union {
		const char *c;
		char *m;
	} u = {.c = s};

	return u.m;
}

static size_t
build_argv(const struct ctl *c, const struct ups_conf_ups *u, const char *bin, const char *user,
           const char *extra, char **argv)
{
	size_t n = 0;

	argv[n++] = arg(bin);
	for (int i = 0; i < c->debug && i < 4; i++)
		argv[n++] = arg("-D");
	argv[n++] = arg("-a");
	argv[n++] = u->name;
	if (user) {
		argv[n++] = arg("-u");
		argv[n++] = arg(user);
	}
	if (driver_group(c, u) && geteuid() == 0) {
		argv[n++] = arg("-g");
		argv[n++] = arg(driver_group(c, u));
	}
	if (extra)
		argv[n++] = arg(extra);
	else if (c->debug)
		argv[n++] = arg("-B"); /* -D alone would keep it in the foreground */
	argv[n] = NULL;
	return n;
}

/* Run argv and wait for it up to timeout_s (0: forever). Exit status, or -ETIMEDOUT. */
static int
run_wait(char **argv, long timeout_s, bool wait)
{
	pid_t pid = fork();
	long deadline;
	int st;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execv(argv[0], argv);
		fprintf(stderr, "upsdrvctl: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (!wait)
		return 0;
	deadline = now_ms() + timeout_s * 1000L;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (timeout_s > 0 && now_ms() > deadline) {
			kill(pid, SIGTERM);
			(void)waitpid(pid, &st, 0);
			return -ETIMEDOUT;
		}
		usleep(20000);
	}
}

static long
start_delay(const struct ctl *c, const struct ups_conf_ups *u)
{
	return u->maxstartdelay >= 0 ? u->maxstartdelay : c->conf->maxstartdelay;
}

static int
start_one(const struct ctl *c, const struct ups_conf_ups *u)
{
	char bin[PATH_MAX], why[512];
	char *argv[CTL_MAX_ARGS];
	const char *user = driver_user(c, u, why, sizeof(why));
	long tries = c->conf->maxretry > 0 ? c->conf->maxretry : 1;
	int r = -1;

	if (why[0]) {
		log_err("[%s]: not started: %s", u->name, why);
		return -EPERM;
	}
	if (driver_binary(c, u, bin, sizeof(bin)) < 0)
		return -ENOENT;
	if (user && strcmp(user, "root") == 0)
		log_warn("[%s]: running %s as root, as ups.conf or -u asks", u->name, u->driver);
	if (c->foreground) {
		build_argv(c, u, bin, user, "-F", argv);
		execv(bin, argv);
		log_err("[%s]: exec %s: %s", u->name, bin, strerror(errno));
		return -errno;
	}
	build_argv(c, u, bin, user, NULL, argv);
	for (long i = 0; i < tries; i++) {
		if (i > 0) {
			log_warn("[%s]: retrying in %ld s", u->name, c->conf->retrydelay);
			sleep((unsigned)c->conf->retrydelay);
		}
		r = run_wait(argv, start_delay(c, u), !c->conf->nowait);
		if (r == 0)
			return 0;
		if (r == -ETIMEDOUT)
			log_err("[%s]: %s not ready after maxstartdelay %ld s", u->name, u->driver,
			        start_delay(c, u));
		else
			log_err("[%s]: %s failed (exit %d)", u->name, u->driver, r);
	}
	return -EIO;
}

static bool
alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

static int
read_pid(const char *path, pid_t *ret)
{
	char buf[32];
	long v;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (str_to_long(buf, 2, INT_MAX, &v) < 0)
		return -EINVAL;
	*ret = (pid_t)v;
	return 0;
}

static int
stop_one(const struct ctl *c, const struct ups_conf_ups *u)
{
	char path[PATH_MAX];
	pid_t pid = 0;
	long deadline;
	int r;

	r = pid_path(c, u, path, sizeof(path));
	if (r == 0)
		r = read_pid(path, &pid);
	if (r < 0) {
		log_err("[%s]: no driver running (%s: %s)", u->name, path, strerror(-r));
		return r;
	}
	if (kill(pid, SIGTERM) < 0) {
		log_err("[%s]: pid %ld: %s", u->name, (long)pid, strerror(errno));
		if (errno == ESRCH)
			(void)unlink(path);
		return -errno;
	}
	deadline = now_ms() + CTL_STOP_WAIT_MS;
	while (alive(pid) && now_ms() < deadline)
		usleep(20000);
	if (alive(pid)) {
		log_err("[%s]: pid %ld did not exit", u->name, (long)pid);
		return -ETIMEDOUT;
	}
	(void)unlink(path); /* the driver may lack the right to remove it */
	log_info("[%s]: stopped", u->name);
	return 0;
}

static int
shutdown_one(const struct ctl *c, const struct ups_conf_ups *u)
{
	char bin[PATH_MAX], why[512];
	char *argv[CTL_MAX_ARGS];
	const char *user = driver_user(c, u, why, sizeof(why));
	int r;

	if (why[0]) {
		log_err("[%s]: not shut down: %s", u->name, why);
		return -EPERM;
	}
	if (driver_binary(c, u, bin, sizeof(bin)) < 0)
		return -ENOENT;
	build_argv(c, u, bin, user, "-k", argv);
	r = run_wait(argv, start_delay(c, u), true);
	if (r != 0) {
		log_err("[%s]: %s -k failed (%d)", u->name, u->driver, r);
		return -EIO;
	}
	return 0;
}

/* ---- selection and order ---- */

static int
cmp_sdorder(const void *a, const void *b)
{
	const struct ups_conf_ups *x = *(const struct ups_conf_ups *const *)a;
	const struct ups_conf_ups *y = *(const struct ups_conf_ups *const *)b;

	return (x->sdorder > y->sdorder) - (x->sdorder < y->sdorder);
}

static int
for_each(struct ctl *c, enum verb v, const char *only)
{
	const struct ups_conf_ups **list = calloc(c->conf->nups + 1, sizeof(*list));
	size_t n = 0;
	int failed = 0;

	if (!list)
		return 1;
	for (size_t i = 0; i < c->conf->nups; i++) {
		const struct ups_conf_ups *u = &c->conf->ups[i];
		if (only && strcasecmp(only, u->name) != 0)
			continue;
		if (v == V_SHUTDOWN && !only && u->sdorder < 0)
			continue; /* sdorder -1: never shut down with the others */
		list[n++] = u;
	}
	if (only && n == 0) {
		log_err("no UPS [%s] in ups.conf", only);
		free(list);
		return 1;
	}
	if (c->foreground && (v != V_START || !only || n != 1)) {
		log_err("-F needs: start <ups>");
		free(list);
		return 1;
	}
	if (v == V_SHUTDOWN)
		qsort(list, n, sizeof(*list), cmp_sdorder);
	for (size_t i = 0; i < n; i++) {
		int r = v == V_START  ? start_one(c, list[i])
		        : v == V_STOP ? stop_one(c, list[i])
		                      : shutdown_one(c, list[i]);
		if (r < 0)
			failed = 1;
	}
	free(list);
	return failed;
}

/* -t: every section has a runnable driver and an acceptable user. */
static int
check_all(const struct ctl *c)
{
	char bin[PATH_MAX], why[512];
	int bad = 0;

	for (size_t i = 0; i < c->conf->nups; i++) {
		const struct ups_conf_ups *u = &c->conf->ups[i];

		(void)driver_user(c, u, why, sizeof(why));
		if (why[0]) {
			log_err("[%s]: %s", u->name, why);
			bad = 1;
		}
		if (driver_binary(c, u, bin, sizeof(bin)) < 0)
			bad = 1;
	}
	if (!bad)
		printf("ups.conf: %zu UPS section(s) OK\n", c->conf->nups);
	return bad;
}

/* ---- set-up ---- */

static void
own_dir(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	char *slash;

	if (n <= 0) {
		str_copy(buf, SBINDIR, size);
		return;
	}
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
}

static int
setup(struct ctl *c)
{
	char path[PATH_MAX];
	struct conf_diag diag;
	const char *env = getenv("NUT_STATEPATH");
	int r;

	str_copy(c->confdir, paths_confdir(), sizeof(c->confdir));
	if (snprintf(path, sizeof(path), "%s/ups.conf", c->confdir) >= (int)sizeof(path)) {
		log_err("configuration directory path too long");
		return 1;
	}
	conf_diag_init(&diag);
	r = ups_conf_load(path, &c->conf, &diag);
	conf_diag_print(stderr, &diag);
	conf_diag_free(&diag);
	if (r < 0) {
		if (r != -EINVAL)
			log_err("%s: %s", path, strerror(-r));
		return 1;
	}
	str_copy(c->statepath,
	         (env && *env) || !c->conf->statepath ? paths_statepath() : c->conf->statepath,
	         sizeof(c->statepath));
	if (c->conf->driverpath)
		str_copy(c->driverpath, c->conf->driverpath, sizeof(c->driverpath));
	else
		own_dir(c->driverpath, sizeof(c->driverpath));
	return 0;
}

static int
parse_verb(const char *s, enum verb *v)
{
	static const struct {
		const char *name;
		enum verb verb;
	} verbs[] = {{"start", V_START}, {"stop", V_STOP}, {"shutdown", V_SHUTDOWN}};

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(s, verbs[i].name) == 0) {
			*v = verbs[i].verb;
			return 0;
		}
	return -EINVAL;
}

int
main(int argc, char **argv)
{
	struct ctl c;
	enum verb v;
	bool check = false, print = false;
	int opt, status;

	memset(&c, 0, sizeof(c));
	log_init("upsdrvctl");
	while ((opt = getopt(argc, argv, "Fu:DtThV")) != -1) {
		switch (opt) {
		case 'F':
			c.foreground = true;
			break;
		case 'u':
			c.opt_user = optarg;
			break;
		case 'D':
			c.debug++;
			break;
		case 't':
			check = true;
			break;
		case 'T':
			print = true;
			break;
		case 'V':
			printf("upsdrvctl (upsguard) %s\n", UPSGUARD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	log_set_debug(c.debug);
	if (setup(&c) != 0)
		return 1;
	if (check || print) {
		status = print ? 0 : check_all(&c);
		if (print)
			ups_conf_print(stdout, c.conf);
		ups_conf_free(c.conf);
		return status;
	}
	if (optind >= argc || parse_verb(argv[optind], &v) < 0 || argc - optind > 2) {
		usage(stderr);
		ups_conf_free(c.conf);
		return 1;
	}
	status = for_each(&c, v, optind + 1 < argc ? argv[optind + 1] : NULL);
	ups_conf_free(c.conf);
	return status;
}

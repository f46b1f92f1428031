/*
 * drv: the driver core's life cycle: options, ups.conf, socket, pid file,
 * privileges, event loop, reload, driver-core instant commands.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/ups_conf.h"
#include "config.h"
#include "drv_int.h"
#include "log.h"
#include "paths.h"
#include "sandbox/sandbox.h"
#include "str.h"

#define DRV_DEFAULT_POLL 2
#define DRV_MAX_POLL 3600

/* ---- options of this UPS ---- */

const char *
drv_opt(const struct drv *d, const char *key)
{
	for (size_t i = 0; i < d->nxopts; i++)
		if (strcmp(d->xopts[i].key, key) == 0)
			return d->xopts[i].value ? d->xopts[i].value : "";
	if (!d->ups)
		return NULL;
	if (strcmp(key, "port") == 0)
		return d->ups->port;
	if (strcmp(key, "desc") == 0)
		return d->ups->desc;
	if (strcmp(key, "driver") == 0)
		return d->ups->driver;
	return ups_conf_opt(d->ups, key);
}

struct event_base *
drv_base(struct drv *d)
{
	return d->base;
}

void *
drv_priv(struct drv *d)
{
	return d->priv;
}

void
drv_set_priv(struct drv *d, void *priv)
{
	d->priv = priv;
}

const char *
drv_upsname(const struct drv *d)
{
	return d->upsname;
}

const char *
drv_port(const struct drv *d)
{
	return drv_opt(d, "port");
}

const char *
drv_confdir(const struct drv *d)
{
	return d->confdir;
}

const struct st_tree *
drv_tree(const struct drv *d)
{
	return &d->tree;
}

bool
drv_debug(const struct drv *d)
{
	return d->debug > 0;
}

void
drv_exit(struct drv *d, int status)
{
	struct timeval flush = {.tv_sec = 0, .tv_usec = 200000};

	d->exit_status = status;
	/* a moment for pending replies (the TRACKING of driver.exit) to leave */
	if (d->base)
		event_base_loopexit(d->base, &flush);
}

/* ---- the keys the core understands ---- */

static const char *const core_keys[] = {
    "driver",
    "port",
    "desc",
    "sdorder",
    "sdcommands",
    "allow_killpower",
    "nolock",
    "ignorelb",
    "maxstartdelay",
    "synchronous",
    "user",
    "group",
    "debug_min",
    "pollinterval",
    "maxretry",
    "retrydelay",
    "usb_set_altinterface",
    "usb_config_index",
    "usb_hid_rep_index",
    "usb_hid_desc_index",
    "usb_hid_ep_in",
    "usb_hid_ep_out",
};

static bool
known_key(const struct drv *d, const char *key)
{
	if (strncmp(key, "override.", 9) == 0 || strncmp(key, "default.", 8) == 0)
		return st_valid_name(strchr(key, '.') + 1);
	for (size_t i = 0; i < sizeof(core_keys) / sizeof(core_keys[0]); i++)
		if (strcmp(core_keys[i], key) == 0)
			return true;
	return d->ops->known_opt && d->ops->known_opt(key);
}

/* Every key of the section and of -x, checked. 0 or -EINVAL (logged). */
static int
check_keys(const struct drv *d)
{
	int bad = 0;

	for (size_t i = 0; d->ups && i < d->ups->nopts; i++)
		if (!known_key(d, d->ups->opts[i].key)) {
			log_err("ups.conf:%u: '%s' is not a valid option for driver %s",
			        d->ups->opts[i].lineno, d->ups->opts[i].key, d->ops->name);
			bad = 1;
		}
	for (size_t i = 0; i < d->nxopts; i++)
		if (!known_key(d, d->xopts[i].key)) {
			log_err("-x %s: not a valid option for driver %s", d->xopts[i].key,
			        d->ops->name);
			bad = 1;
		}
	return bad ? -EINVAL : 0;
}

static int
read_pollinterval(const struct drv *d, long *ret)
{
	const char *v = drv_opt(d, "pollinterval");

	*ret = d->conf ? d->conf->pollinterval : DRV_DEFAULT_POLL;
	if (v && str_to_long(v, 1, DRV_MAX_POLL, ret) < 0) {
		log_err("pollinterval '%s': expected 1..%d seconds", v, DRV_MAX_POLL);
		return -EINVAL;
	}
	if (*ret < 1)
		*ret = DRV_DEFAULT_POLL;
	return 0;
}

/* ---- ups.conf ---- */

static int
load_conf(struct drv *d, struct ups_conf **ret, const struct ups_conf_ups **ups)
{
	char path[PATH_MAX];
	struct conf_diag diag;
	int r;

	*ret = NULL;
	*ups = NULL;
	if (snprintf(path, sizeof(path), "%s/ups.conf", d->confdir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	conf_diag_init(&diag);
	r = ups_conf_load(path, ret, &diag);
	conf_diag_print(stderr, &diag);
	conf_diag_free(&diag);
	if (r < 0) {
		if (r != -EINVAL)
			log_err("%s: %s", path, strerror(-r));
		return r;
	}
	*ups = ups_conf_find(*ret, d->upsname);
	if (!*ups) {
		log_err("%s: no section [%s]", path, d->upsname);
		ups_conf_free(*ret);
		*ret = NULL;
		return -ENOENT;
	}
	if (strcmp((*ups)->driver, d->ops->name) != 0) {
		log_err("%s: [%s] is for driver '%s', not %s", path, d->upsname, (*ups)->driver,
		        d->ops->name);
		ups_conf_free(*ret);
		*ret = NULL;
		return -EINVAL;
	}
	return 0;
}

static int
set_statepath(struct drv *d)
{
	int n;

	const char *env = getenv("NUT_STATEPATH");
	const char *dir = paths_statepath();

	/* NUT: the environment wins, then ups.conf's statepath */
	if ((!env || !*env) && d->conf && d->conf->statepath)
		dir = d->conf->statepath;
	str_copy(d->statepath, dir, sizeof(d->statepath));
	/* sun_path is the real bound (108 bytes) */
	if (strlen(d->statepath) + strlen(d->ops->name) + strlen(d->upsname) + 2 + 4 >=
	    sizeof(((struct sockaddr_un *)0)->sun_path)) {
		log_err("socket path %s/%s-%s is too long for a Unix socket", d->statepath,
		        d->ops->name, d->upsname);
		return -ENAMETOOLONG;
	}
	n = snprintf(d->sockpath, sizeof(d->sockpath) - 8, "%s/%s-%s", d->statepath, d->ops->name,
	             d->upsname);
	if (n < 0)
		return -EINVAL;
	memcpy(d->pidpath, d->sockpath, (size_t)n);
	memcpy(d->pidpath + n, ".pid", 5);
	return 0;
}

/* ---- published driver.* values and options ---- */

void
drv_apply_overrides(struct drv *d)
{
	for (int pass = 0; pass < 2; pass++) {
		const char *prefix = pass ? "override." : "default.";
		size_t plen = strlen(prefix);

		for (size_t i = 0; d->ups && i < d->ups->nopts; i++) {
			const struct conf_kv *kv = &d->ups->opts[i];
			const char *var = kv->key + plen;

			if (strncmp(kv->key, prefix, plen) != 0 || !st_valid_name(var))
				continue;
			if (pass == 0) {
				/* default.*: only where the device gave nothing */
				if (!st_get(&d->tree, var))
					(void)drv_setinfo(d, var, kv->value ? kv->value : "");
				continue;
			}
			const struct st_var *v;
			struct sp_msg m = {
			    .kind = SP_SETINFO, .name = var, .value = kv->value ? kv->value : ""};
			if (st_set_forced(&d->tree, var, m.value) > 0 && d->sock) {
				char line[SP_MAX_LINE + 1];
				int n = sp_format(line, sizeof(line), &m);
				if (n > 0)
					dsock_broadcast(d->sock, line, (size_t)n);
			}
			v = st_get(&d->tree, var);
			if (v)
				(void)st_set_flags(&d->tree, var, v->flags | ST_F_IMMUTABLE);
		}
	}
}

static bool
opt_bool(const struct drv *d, const char *key)
{
	const char *v = drv_opt(d, key);
	bool b = false;

	if (!v)
		return false;
	if (!*v)
		return true; /* a bare flag */
	return str_to_bool(v, &b) == 0 && b;
}

void
drv_apply_switches(struct drv *d)
{
	d->ignorelb = opt_bool(d, "ignorelb");
	d->allow_killpower = opt_bool(d, "allow_killpower");
	if (d->allow_killpower)
		(void)drv_addcmd(d, "driver.killpower");
	else
		(void)drv_delcmd(d, "driver.killpower");
}

/* Options never published as driver.parameter.* (anyone may read those). */
static bool
secret_key(const char *key)
{
	return strstr(key, "pass") || strstr(key, "secret") || strstr(key, "key");
}

static void
publish_driver_info(struct drv *d)
{
	char key[ST_MAX_NAME + 1];

	(void)drv_setinfo(d, "driver.name", d->ops->name);
	(void)drv_setinfo(d, "driver.version", UPSGUARD_VERSION);
	(void)drv_setinfo(d, "driver.version.internal", d->ops->version);
	(void)drv_setinfof(d, "driver.parameter.pollinterval", "%ld", d->pollinterval);
	if (drv_port(d))
		(void)drv_setinfo(d, "driver.parameter.port", drv_port(d));
	for (size_t i = 0; d->ups && i < d->ups->nopts; i++) {
		const struct conf_kv *kv = &d->ups->opts[i];

		if (strncmp(kv->key, "override.", 9) == 0 || strncmp(kv->key, "default.", 8) == 0 ||
		    strcmp(kv->key, "pollinterval") == 0 || secret_key(kv->key))
			continue;
		snprintf(key, sizeof(key), "driver.%s.%s", kv->value ? "parameter" : "flag",
		         kv->key);
		(void)drv_setinfo(d, key, kv->value ? kv->value : "enabled");
	}
	(void)drv_addcmd(d, "driver.reload");
	(void)drv_addcmd(d, "driver.reload-or-error");
	(void)drv_addcmd(d, "driver.reload-or-exit");
	(void)drv_addcmd(d, "driver.exit");
}

/* NUT's core copies the ups.* identity to device.* once the driver has
 * published its first data, and calls the device a UPS unless told. */
static void
publish_device_info(struct drv *d)
{
	static const char *const ids[] = {"mfr", "model", "serial"};
	char from[32], to[32];

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const char *v;

		snprintf(from, sizeof(from), "ups.%s", ids[i]);
		snprintf(to, sizeof(to), "device.%s", ids[i]);
		v = st_value(&d->tree, from);
		if (v) {
			char copy[ST_MAX_VALUE];
			str_copy(copy, v, sizeof(copy));
			(void)drv_setinfo(d, to, copy);
		}
	}
	if (!st_get(&d->tree, "device.type"))
		(void)drv_setinfo(d, "device.type", "ups");
}

/* ---- poll timer and signals ---- */

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct drv *d = arg;

	if (d->ops->poll)
		d->ops->poll(d);
}

void
drv_set_pollinterval(struct drv *d, long secs)
{
	struct timeval tv = {.tv_sec = secs < 1 ? 1 : secs};

	d->pollinterval = tv.tv_sec;
	if (d->poll_ev)
		event_add(d->poll_ev, &tv);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct drv *d = arg;

	if (sig == SIGHUP) {
		log_info("SIGHUP: reloading");
		(void)drv_reload(d, false);
		return;
	}
	log_info("signal %d: exiting", (int)sig);
	drv_exit(d, 0);
}

/* ---- reload and driver-core commands ---- */

static bool
same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int
drv_reload(struct drv *d, bool strict)
{
	struct ups_conf *conf;
	const struct ups_conf_ups *ups;
	bool restart;
	long poll;

	if (!d->conf)
		return 0; /* -s: nothing to re-read */
	if (load_conf(d, &conf, &ups) < 0) {
		log_err("reload: ups.conf not usable, keeping the running configuration");
		return -EINVAL;
	}
	restart = !same_str(ups->port, d->ups->port) || !same_str(ups->user, d->ups->user) ||
	          !same_str(ups->group, d->ups->group) ||
	          !same_str(conf->statepath, d->conf->statepath);
	if (restart && strict) {
		log_warn("reload: port, user, group or statepath changed: a restart is needed");
		ups_conf_free(conf);
		return -EBUSY;
	}
	ups_conf_free(d->conf);
	d->conf = conf;
	d->ups = ups;
	if (read_pollinterval(d, &poll) == 0)
		drv_set_pollinterval(d, poll);
	drv_apply_switches(d);
	drv_apply_overrides(d);
	log_info("reload: done%s", restart ? " (port/user/group change needs a restart)" : "");
	return restart ? -EBUSY : 0;
}

int
drv_core_instcmd(struct drv *d, const char *cmd, const char *param)
{
	int r;

	if (strcasecmp(cmd, "driver.reload") == 0)
		return drv_reload(d, false) == -EINVAL ? SP_R_FAILED : SP_R_HANDLED;
	if (strcasecmp(cmd, "driver.reload-or-error") == 0)
		return drv_reload(d, true) < 0 ? SP_R_FAILED : SP_R_HANDLED;
	if (strcasecmp(cmd, "driver.reload-or-exit") == 0) {
		r = drv_reload(d, true);
		if (r == -EBUSY) {
			log_notice("driver.reload-or-exit: exiting for a restart");
			drv_exit(d, 0);
		}
		return r == -EINVAL ? SP_R_FAILED : SP_R_HANDLED;
	}
	if (strcasecmp(cmd, "driver.exit") == 0) {
		log_notice("driver.exit: exiting");
		drv_exit(d, 0);
		return SP_R_HANDLED;
	}
	if (strcasecmp(cmd, "driver.killpower") == 0) {
		if (!d->allow_killpower) {
			log_warn("driver.killpower refused: allow_killpower is not set");
			return SP_R_UNKNOWN;
		}
		if (!d->ops->shutdown)
			return SP_R_UNKNOWN;
		log_notice("driver.killpower: powering off the load");
		return d->ops->shutdown(d) < 0 ? SP_R_FAILED : SP_R_HANDLED;
	}
	return -1;
}

/* ---- pid file ---- */

static int
write_pidfile(const struct drv *d)
{
	char buf[32];
	int fd, n;

	fd = open(d->pidpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

/* ---- privileges ---- */

struct drop {
	struct sandbox_user user;
	bool keep_root;
	bool have_group;
	gid_t group;
};

static const char *
conf_user(const struct drv *d)
{
	if (d->ups && d->ups->user)
		return d->ups->user;
	return d->conf ? d->conf->user : NULL;
}

/* Where to chroot before dropping root: -r, else the global 'chroot =' of
 * ups.conf, as NUT's drivers do.  What the driver opens afterwards (ups.conf
 * on a reload, a dummy-ups file) is looked up inside it. */
static const char *
chroot_dir(const struct drv *d)
{
	if (d->opt_chroot)
		return d->opt_chroot;
	return d->conf ? d->conf->chroot : NULL;
}

static const char *
conf_group(const struct drv *d)
{
	if (d->opt_group)
		return d->opt_group;
	if (d->ups && d->ups->group)
		return d->ups->group;
	return d->conf ? d->conf->group : NULL;
}

/* Decide the run-as identity. Only an explicit "root" keeps root. */
static int
resolve_identity(const struct drv *d, struct drop *dr)
{
	const char *name = d->opt_user ? d->opt_user : conf_user(d);
	const char *grp = conf_group(d);
	char err[512];

	memset(dr, 0, sizeof(*dr));
	if (grp) {
		char *end;
		unsigned long g = strtoul(grp, &end, 10);
		struct group *gr;

		if (*end == '\0') {
			dr->group = (gid_t)g;
		} else if ((gr = getgrnam(grp)) != NULL) {
			dr->group = gr->gr_gid;
		} else {
			log_err("group '%s' (from -g or 'group =' in ups.conf) does not exist",
			        grp);
			return -ENOENT;
		}
		dr->have_group = true;
	}
	if (geteuid() != 0) {
		if (d->opt_user)
			log_warn("-u %s ignored: not started as root", d->opt_user);
		return 0;
	}
	if (name && strcmp(name, "root") == 0) {
		log_warn("running as root: 'user = root' or -u root asked for it");
		dr->keep_root = true;
		return 0;
	}
	if (sandbox_user_resolve(d->opt_user, conf_user(d), "'user =' in ups.conf", &dr->user, err,
	                         sizeof(err)) < 0) {
		log_err("%s", err);
		return -ENOENT;
	}
	return 0;
}

/* The manifest every driver shares; the driver adds its device/peer. */
static void
base_manifest(struct drv *d, struct sandbox_manifest *m, const struct drop *dr)
{
	memset(m, 0, sizeof(*m));
	m->program = d->ops->name;
	(void)sandbox_manifest_add_read(m, d->confdir);
	(void)sandbox_manifest_add_write(m, d->statepath);
	(void)sandbox_manifest_add_unix_listen(m, d->sockpath);
	m->syscalls =
	    SANDBOX_SYS_EVENT | SANDBOX_SYS_UNIX_SERVER | SANDBOX_SYS_FILE_WRITE | d->ops->syscalls;
	m->chroot_dir = chroot_dir(d);
	if (dr) {
		m->keep_root = dr->keep_root;
		m->run_as = dr->keep_root || geteuid() != 0 ? NULL : &dr->user;
	}
	if (d->ops->manifest)
		d->ops->manifest(d, m);
}

static int
drop_privileges(struct drv *d, const struct drop *dr)
{
	struct sandbox_manifest m;
	struct sandbox_report rep;
	char text[1024];
	uid_t uid = (uid_t)-1;
	gid_t gid = dr->have_group ? dr->group : (gid_t)-1;
	int r;

	if (geteuid() == 0 && !dr->keep_root) {
		uid = dr->user.uid;
		if (!dr->have_group)
			gid = dr->user.gid;
	}
	/* the socket and pid file belong to the run-as user, its group may be
	 * upsd's (group =) */
	if (d->sock && (uid != (uid_t)-1 || gid != (gid_t)-1)) {
		r = dsock_chown(d->sock, uid, gid);
		if (r < 0)
			log_warn("chown %s: %s", d->sockpath, strerror(-r));
		if (chown(d->pidpath, uid, gid) < 0)
			log_debug(1, "chown %s: %s", d->pidpath, strerror(errno));
	}
	base_manifest(d, &m, dr);
	m.seccomp_log = d->debug > 2;
	r = sandbox_apply(&m, &rep);
	if (sandbox_report_format(&rep, text, sizeof(text)) > 0)
		log_debug(1, "sandbox: %s", text);
	if (r < 0) {
		log_err("sandbox: step %s failed: %s", rep.failed_step ? rep.failed_step : "?",
		        strerror(-r));
		return r;
	}
	if (m.chroot_dir && !rep.chrooted) /* asked for, so not only a debug note */
		log_warn("chroot %s not done: %s", m.chroot_dir, rep.notes);
	return 0;
}

/* ---- background start: the parent exits when the child is ready ---- */

static int
daemonize(int *ready_fd)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		int st;
		close(p[1]);
		/* a byte means ready; EOF means the child failed */
		ssize_t n = read(p[0], &c, 1);
		if (n == 1)
			_exit(0);
		(void)waitpid(pid, &st, 0);
		_exit(WIFEXITED(st) && WEXITSTATUS(st) ? WEXITSTATUS(st) : 1);
	}
	close(p[0]);
	(void)setsid();
	*ready_fd = p[1];
	return 0;
}

static void
announce_ready(int *ready_fd, int null_fd)
{
	int fd = null_fd;

	if (*ready_fd < 0)
		return;
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	log_use_syslog(true);
	(void)write(*ready_fd, "R", 1);
	close(*ready_fd);
	*ready_fd = -1;
}

/* ---- help, -T ---- */

static void
usage(struct drv *d, FILE *f)
{
	struct sandbox_manifest m;

	fprintf(f,
	        "usage: %s [OPTIONS] -a <ups>\n"
	        "  %s\n\n"
	        "  -a <ups>        run the driver for section [ups] of ups.conf\n"
	        "  -s <ups>        run without ups.conf (give -x port=...)\n"
	        "  -x <key>=<val>  set a driver option (wins over ups.conf)\n"
	        "  -F              stay in the foreground\n"
	        "  -B              go to the background when ready (default)\n"
	        "  -k              power off the load (the shutdown path) and exit\n"
	        "  -D              more debug output (repeat), implies -F\n"
	        "  -u <user>       run as this user (default: 'user =' in ups.conf, else %s)\n"
	        "  -g <group>      group of the socket (default: 'group =' in ups.conf)\n"
	        "  -r <dir>        chroot to dir before dropping root (default: 'chroot =' in\n"
	        "                  ups.conf); files opened later are looked up inside it\n"
	        "  -t              check the configuration and exit (0 ok, 1 broken)\n"
	        "  -T              print the effective configuration of the section\n"
	        "  -V              print the version\n"
	        "  -h              this help\n\n"
	        "ups.conf options of the driver core: port, desc, pollinterval, user, group,\n"
	        "  ignorelb, allow_killpower, override.<var>, default.<var>, sdorder, sdcommands,\n"
	        "  maxstartdelay, synchronous, nolock, debug_min\n"
	        "Instant commands of the driver core: driver.reload, driver.reload-or-error,\n"
	        "  driver.reload-or-exit, driver.exit, driver.killpower (with allow_killpower)\n",
	        d->ops->name, d->ops->description, RUN_AS_USER);
	if (d->ops->help) {
		fprintf(f, "\nOptions of %s:\n", d->ops->name);
		d->ops->help(f);
	}
	fprintf(f, "\nSandbox manifest (applied after the device is open):\n");
	str_copy(d->confdir, paths_confdir(), sizeof(d->confdir));
	str_copy(d->statepath, paths_statepath(), sizeof(d->statepath));
	snprintf(d->sockpath, sizeof(d->sockpath), "<statepath>/%s-<ups>", d->ops->name);
	base_manifest(d, &m, NULL);
	sandbox_manifest_print(&m, f);
}

static void
print_effective(const struct drv *d, long poll)
{
	printf("[%s]\n\tdriver = %s\n", d->upsname, d->ops->name);
	if (drv_port(d))
		printf("\tport = \"%s\"\n", drv_port(d));
	if (drv_opt(d, "desc"))
		printf("\tdesc = \"%s\"\n", drv_opt(d, "desc"));
	printf("\tpollinterval = %ld\n", poll);
	for (size_t i = 0; d->ups && i < d->ups->nopts; i++) {
		const struct conf_kv *kv = &d->ups->opts[i];

		if (strcmp(kv->key, "pollinterval") == 0)
			continue;
		if (kv->value)
			printf("\t%s = \"%s\"\n", kv->key, kv->value);
		else
			printf("\t%s\n", kv->key);
	}
	for (size_t i = 0; i < d->nxopts; i++)
		printf("\t%s = \"%s\"\t# -x\n", d->xopts[i].key,
		       d->xopts[i].value ? d->xopts[i].value : "");
	printf("# socket %s\n", d->sockpath);
}

/* ---- main ---- */

enum mode { M_RUN, M_CHECK, M_PRINT, M_KILLPOWER };

static int
add_xopt(struct drv *d, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (d->nxopts >= DRV_MAX_OPTS)
		return -E2BIG;
	if (eq == arg)
		return -EINVAL;
	d->xopts[d->nxopts].key = eq ? strndup(arg, (size_t)(eq - arg)) : strdup(arg);
	d->xopts[d->nxopts].value = eq ? strdup(eq + 1) : NULL;
	d->nxopts++;
	return 0;
}

static int
parse_args(struct drv *d, int argc, char **argv, enum mode *mode, bool *standalone)
{
	int c;

	bool background = false;

	*mode = M_RUN;
	*standalone = false;
	while ((c = getopt(argc, argv, "a:s:x:FBkDu:g:tTVhr:")) != -1) {
		switch (c) {
		case 'a':
			d->upsname = optarg;
			break;
		case 's':
			d->upsname = optarg;
			*standalone = true;
			break;
		case 'x':
			if (add_xopt(d, optarg) < 0) {
				fprintf(stderr, "-x %s: expected key=value\n", optarg);
				return 1;
			}
			break;
		case 'F':
			d->foreground = true;
			break;
		case 'B':
			background = true;
			break;
		case 'k':
			*mode = M_KILLPOWER;
			break;
		case 'D':
			d->debug++;
			d->foreground = true;
			break;
		case 'u':
			d->opt_user = optarg;
			break;
		case 'g':
			d->opt_group = optarg;
			break;
		case 'r':
			d->opt_chroot = optarg;
			break;
		case 't':
			*mode = M_CHECK;
			break;
		case 'T':
			*mode = M_PRINT;
			break;
		case 'V':
			printf("%s (upsguard) %s\n", d->ops->name, UPSGUARD_VERSION);
			exit(0);
		case 'h':
			usage(d, stdout);
			exit(0);
		default:
			usage(d, stderr);
			return 1;
		}
	}
	if (background)
		d->foreground = false; /* -B wins over the -F that -D implies */
	if (optind < argc || !d->upsname) {
		fprintf(stderr, "%s: give the UPS with -a <name> (see -h)\n", d->ops->name);
		return 1;
	}
	return 0;
}

static void
free_drv(struct drv *d)
{
	for (size_t i = 0; i < d->nxopts; i++) {
		free(d->xopts[i].key);
		free(d->xopts[i].value);
	}
	if (d->conf)
		ups_conf_free(d->conf);
	st_clear(&d->tree);
}

/* Configuration: section, keys, poll interval, paths. 0 or 1 (logged). */
static int
configure(struct drv *d, bool standalone)
{
	str_copy(d->confdir, paths_confdir(), sizeof(d->confdir));
	if (!standalone && load_conf(d, &d->conf, &d->ups) < 0)
		return 1;
	if (!drv_port(d)) {
		log_err("[%s]: no port (set 'port =' in ups.conf or -x port=...)", d->upsname);
		return 1;
	}
	if (check_keys(d) < 0 || read_pollinterval(d, &d->pollinterval) < 0)
		return 1;
	return set_statepath(d) < 0 ? 1 : 0;
}

static int
open_runtime(struct drv *d)
{
	int r;

	d->base = event_base_new();
	if (!d->base) {
		log_err("cannot create the event loop");
		return -ENOMEM;
	}
	r = dsock_open(d->base, d->sockpath, drv_sock_line, d, &d->sock);
	if (r == -EADDRINUSE) {
		log_err(
		    "socket %s: another driver is serving [%s]; stop it first (upsdrvctl stop %s)",
		    d->sockpath, d->upsname, d->upsname);
		return r;
	}
	if (r < 0) {
		log_err("socket %s: %s", d->sockpath, strerror(-r));
		return r;
	}
	r = write_pidfile(d);
	if (r < 0)
		log_warn("pid file %s: %s", d->pidpath, strerror(-r));
	return 0;
}

static int
add_events(struct drv *d)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGQUIT, SIGHUP};
	struct timeval tv = {.tv_sec = d->pollinterval};

	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < 4; i++) {
		d->sig_ev[i] = evsignal_new(d->base, sigs[i], signal_cb, d);
		if (!d->sig_ev[i] || event_add(d->sig_ev[i], NULL) < 0)
			return -ENOMEM;
	}
	d->poll_ev = event_new(d->base, -1, EV_PERSIST, poll_cb, d);
	if (!d->poll_ev || event_add(d->poll_ev, &tv) < 0)
		return -ENOMEM;
	return 0;
}

static void
shutdown_runtime(struct drv *d)
{
	if (d->ops->cleanup)
		d->ops->cleanup(d);
	dsock_close(d->sock);
	d->sock = NULL;
	(void)unlink(d->pidpath);
	if (d->poll_ev)
		event_free(d->poll_ev);
	for (size_t i = 0; i < 4; i++)
		if (d->sig_ev[i])
			event_free(d->sig_ev[i]);
	if (d->base)
		event_base_free(d->base);
}

static int
run(struct drv *d)
{
	struct drop dr;
	int ready_fd = -1, null_fd = -1;

	if (resolve_identity(d, &dr) < 0)
		return 1;
	if (!d->foreground) {
		/* opened now: the sandbox will not allow it later */
		null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (daemonize(&ready_fd) < 0) {
			log_err("cannot go to the background: %s", strerror(errno));
			return 1;
		}
	}
	if (open_runtime(d) < 0)
		return 1;
	/* the device is opened as the starting user, before the drop */
	if (d->ops->init && d->ops->init(d) < 0)
		return 1;
	/* test builds only, when UPSGUARD_TEST_HOOK is set (added by the sandbox area) */
	(void)sandbox_hook_attach(d->base, "driver");
	if (drop_privileges(d, &dr) < 0 || add_events(d) < 0)
		return 1;
	publish_driver_info(d);
	drv_apply_switches(d);
	drv_apply_overrides(d);
	if (d->ops->start && d->ops->start(d) < 0)
		return 1;
	publish_device_info(d);
	drv_apply_overrides(d);
	d->started = true;
	log_info("%s for [%s] ready on %s", d->ops->name, d->upsname, d->sockpath);
	announce_ready(&ready_fd, null_fd);
	event_base_dispatch(d->base);
	return d->exit_status;
}

/*
 * The shutdown path: `sdcommands` (comma-separated instant commands, tried
 * in order until one is handled; "shutdown.default" is the driver's own
 * power-off), or the driver's power-off alone.  0 or -1.
 */
static int
power_off(struct drv *d)
{
	const char *list = drv_opt(d, "sdcommands");
	char copy[512], *save = NULL;

	if (!list || !*list)
		return d->ops->shutdown && d->ops->shutdown(d) == 0 ? 0 : -1;
	str_copy(copy, list, sizeof(copy));
	for (char *c = strtok_r(copy, ", ", &save); c; c = strtok_r(NULL, ", ", &save)) {
		int r;

		if (strcmp(c, "shutdown.default") == 0)
			r = d->ops->shutdown && d->ops->shutdown(d) == 0 ? SP_R_HANDLED
			                                                 : SP_R_FAILED;
		else
			r = d->ops->instcmd ? d->ops->instcmd(d, c, NULL) : SP_R_UNKNOWN;
		log_info("sdcommands: %s: %s", c, r == SP_R_HANDLED ? "done" : "not handled");
		if (r == SP_R_HANDLED)
			return 0;
	}
	return -1;
}

/* -k: open the device, drop privileges like a normal start, power off. */
static int
killpower(struct drv *d)
{
	struct drop dr;
	int r = 1;

	if (resolve_identity(d, &dr) == 0 && (!d->ops->init || d->ops->init(d) == 0) &&
	    drop_privileges(d, &dr) == 0 && power_off(d) == 0) {
		log_notice("[%s]: load powered off", d->upsname);
		r = 0;
	} else {
		log_err("[%s]: the load was not powered off", d->upsname);
	}
	if (d->ops->cleanup)
		d->ops->cleanup(d);
	return r;
}

int
drv_main(const struct drv_ops *ops, int argc, char **argv)
{
	struct drv d;
	enum mode mode;
	bool standalone;
	int status;

	memset(&d, 0, sizeof(d));
	d.ops = ops;
	st_init(&d.tree);
	log_init(ops->name);
	if (parse_args(&d, argc, argv, &mode, &standalone) != 0)
		return 1;
	log_set_debug(d.debug);
	status = configure(&d, standalone);
	if (status == 0) {
		switch (mode) {
		case M_CHECK:
			printf("%s: [%s] configuration OK\n", ops->name, d.upsname);
			break;
		case M_PRINT:
			print_effective(&d, d.pollinterval);
			break;
		case M_KILLPOWER:
			status = killpower(&d);
			break;
		case M_RUN:
			status = run(&d);
			shutdown_runtime(&d);
			break;
		}
	}
	free_drv(&d);
	return status;
}

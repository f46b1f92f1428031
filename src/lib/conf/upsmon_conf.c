/*
 * upsmon_conf: parser and printer for upsmon.conf; the notify type table.
 */
#include "conf/upsmon_conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_internal.h"
#include "paths.h"
#include "str.h"

#define DAY 86400L

static const struct {
	const char *name;
	const char *msg;
	unsigned max_args;
} notify_table[UPSMON_N_COUNT] = {
    [UPSMON_N_ONLINE] = {"ONLINE", "UPS %s on line power", 1},
    [UPSMON_N_ONBATT] = {"ONBATT", "UPS %s on battery", 1},
    [UPSMON_N_LOWBATT] = {"LOWBATT", "UPS %s battery is low", 1},
    [UPSMON_N_FSD] = {"FSD", "UPS %s: forced shutdown in progress", 1},
    [UPSMON_N_COMMOK] = {"COMMOK", "Communications with UPS %s established", 1},
    [UPSMON_N_COMMBAD] = {"COMMBAD", "Communications with UPS %s lost", 1},
    [UPSMON_N_SHUTDOWN] = {"SHUTDOWN", "Auto logout and shutdown proceeding", 1},
    [UPSMON_N_REPLBATT] = {"REPLBATT", "UPS %s battery needs to be replaced", 1},
    [UPSMON_N_NOCOMM] = {"NOCOMM", "UPS %s is unavailable", 1},
    [UPSMON_N_NOPARENT] = {"NOPARENT", "upsmon parent process died - shutdown impossible", 1},
    [UPSMON_N_CAL] = {"CAL", "UPS %s: calibration in progress", 1},
    [UPSMON_N_NOTCAL] = {"NOTCAL", "UPS %s: calibration finished", 1},
    [UPSMON_N_OFF] = {"OFF", "UPS %s: administratively OFF or asleep", 1},
    [UPSMON_N_NOTOFF] = {"NOTOFF", "UPS %s: no longer administratively OFF or asleep", 1},
    [UPSMON_N_BYPASS] = {"BYPASS", "UPS %s: on bypass (powered, not protecting)", 1},
    [UPSMON_N_NOTBYPASS] = {"NOTBYPASS", "UPS %s: no longer on bypass", 1},
    [UPSMON_N_ECO] = {"ECO", "UPS %s: in ECO mode (as defined by vendor)", 1},
    [UPSMON_N_NOTECO] = {"NOTECO", "UPS %s: no longer in ECO mode", 1},
    [UPSMON_N_ALARM] = {"ALARM", "UPS %s: one or more active alarms: [%s]", 2},
    [UPSMON_N_NOTALARM] = {"NOTALARM", "UPS %s: no longer under alarm", 1},
    [UPSMON_N_OVER] = {"OVER", "UPS %s: overloaded", 1},
    [UPSMON_N_NOTOVER] = {"NOTOVER", "UPS %s: no longer overloaded", 1},
    [UPSMON_N_TRIM] = {"TRIM", "UPS %s: trimming incoming voltage", 1},
    [UPSMON_N_NOTTRIM] = {"NOTTRIM", "UPS %s: no longer trimming incoming voltage", 1},
    [UPSMON_N_BOOST] = {"BOOST", "UPS %s: boosting incoming voltage", 1},
    [UPSMON_N_NOTBOOST] = {"NOTBOOST", "UPS %s: no longer boosting incoming voltage", 1},
    [UPSMON_N_OTHER] = {"OTHER", "UPS %s: has at least one unclassified status token: [%s]", 2},
    [UPSMON_N_NOTOTHER] = {"NOTOTHER", "UPS %s: has no unclassified status tokens anymore", 1},
    [UPSMON_N_SUSPEND_STARTING] = {"SUSPEND_STARTING",
                                   "OS is entering sleep/suspend/hibernate mode", 1},
    [UPSMON_N_SUSPEND_FINISHED] = {"SUSPEND_FINISHED",
                                   "OS just finished sleep/suspend/hibernate mode", 1},
    [UPSMON_N_SHUTDOWN_HOSTSYNC] = {"SHUTDOWN_HOSTSYNC",
                                    "Primary upsmon waits for secondaries to log out before "
                                    "shutting down",
                                    1},
};

const char *
upsmon_notify_name(enum upsmon_notify n)
{
	return (unsigned)n < UPSMON_N_COUNT ? notify_table[n].name : NULL;
}

int
upsmon_notify_from_name(const char *name)
{
	for (int i = 0; i < UPSMON_N_COUNT; i++)
		if (strcmp(notify_table[i].name, name) == 0)
			return i;
	return -1;
}

const char *
upsmon_notify_default_msg(enum upsmon_notify n)
{
	return (unsigned)n < UPSMON_N_COUNT ? notify_table[n].msg : NULL;
}

unsigned
upsmon_notify_max_args(enum upsmon_notify n)
{
	return (unsigned)n < UPSMON_N_COUNT ? notify_table[n].max_args : 0;
}

/* ---- directives ---- */

static void
d_monitor(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct upsmon_conf *conf = st;
	struct upsmon_monitor *m;
	struct conf_upsname name;
	const char *why;
	bool primary;
	long pv;

	(void)n;
	if (conf_upsname_parse(a[0], &name, &why) < 0) {
		conf_err(c, line, "MONITOR: '%s': %s", a[0], why);
		return;
	}
	if (conf_get_long(c, line, "MONITOR power value", a[1], 0, 1000, &pv) < 0)
		goto fail;
	if (str_ieq(a[4], "primary") || str_ieq(a[4], "master"))
		primary = true;
	else if (str_ieq(a[4], "secondary") || str_ieq(a[4], "slave"))
		primary = false;
	else {
		conf_err(c, line, "MONITOR: expected primary or secondary, not '%s'", a[4]);
		goto fail;
	}
	if (!*a[2]) {
		conf_err(c, line, "MONITOR: empty user name");
		goto fail;
	}
	for (size_t i = 0; i < conf->nmonitors; i++) {
		const struct conf_upsname *o = &conf->monitors[i].name;

		if (str_ieq(o->ups, name.ups) && str_ieq(o->host, name.host) &&
		    o->port == name.port) {
			conf_err(c, line, "MONITOR: %s is monitored twice (first at line %u)", a[0],
			         conf->monitors[i].lineno);
			goto fail;
		}
	}
	if (conf->nmonitors >= UPSMON_MAX_MONITORS) {
		conf_err(c, line, "MONITOR: more than %d", UPSMON_MAX_MONITORS);
		goto fail;
	}
	m = conf_push(c, line, (void **)&conf->monitors, &conf->nmonitors, sizeof(*m));
	if (!m)
		goto fail;
	m->name = name;
	m->powervalue = pv;
	m->user = conf_strdup(c, line, a[2]);
	m->pass = conf_strdup(c, line, a[3]);
	m->primary = primary;
	m->lineno = line;
	return;
fail:
	conf_upsname_free(&name);
}

#define LONG_DIRECTIVE(fname, field, what, min, max)                                               \
	static void fname(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)   \
	{                                                                                          \
		struct upsmon_conf *conf = st;                                                     \
		(void)n;                                                                           \
		(void)conf_get_long(c, line, what, a[0], min, max, &conf->field);                  \
	}
#define STR_DIRECTIVE(fname, field, what)                                                          \
	static void fname(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)   \
	{                                                                                          \
		struct upsmon_conf *conf = st;                                                     \
		(void)n;                                                                           \
		if (!*a[0])                                                                        \
			conf_err(c, line, "%s: empty value", what);                                \
		else                                                                               \
			conf_set_str(c, line, &conf->field, a[0]);                                 \
	}

LONG_DIRECTIVE(d_minsupplies, minsupplies, "MINSUPPLIES", 0, 1000)
LONG_DIRECTIVE(d_pollfreq, pollfreq, "POLLFREQ", 1, DAY)
LONG_DIRECTIVE(d_pollfreqalert, pollfreqalert, "POLLFREQALERT", 1, DAY)
LONG_DIRECTIVE(d_deadtime, deadtime, "DEADTIME", 1, DAY)
LONG_DIRECTIVE(d_hostsync, hostsync, "HOSTSYNC", 1, DAY)
LONG_DIRECTIVE(d_finaldelay, finaldelay, "FINALDELAY", 0, DAY)
LONG_DIRECTIVE(d_rbwarntime, rbwarntime, "RBWARNTIME", 1, 365 * DAY)
LONG_DIRECTIVE(d_nocommwarntime, nocommwarntime, "NOCOMMWARNTIME", 1, 365 * DAY)
LONG_DIRECTIVE(d_offduration, offduration, "OFFDURATION", -1, DAY)
LONG_DIRECTIVE(d_overduration, overduration, "OVERDURATION", -1, DAY)
LONG_DIRECTIVE(d_oblbduration, oblbduration, "OBLBDURATION", 0, DAY)
LONG_DIRECTIVE(d_pollfail, pollfail_log_throttle_max, "POLLFAIL_LOG_THROTTLE_MAX", -1, 1000000)
LONG_DIRECTIVE(d_debug_min, debug_min, "DEBUG_MIN", 0, 99)
STR_DIRECTIVE(d_shutdowncmd, shutdowncmd, "SHUTDOWNCMD")
STR_DIRECTIVE(d_powerdownflag, powerdownflag, "POWERDOWNFLAG")
STR_DIRECTIVE(d_run_as_user, run_as_user, "RUN_AS_USER")
STR_DIRECTIVE(d_certpath, certpath, "CERTPATH")
STR_DIRECTIVE(d_certfile, certfile, "CERTFILE")
STR_DIRECTIVE(d_wrapconf, wrapconf, "WRAPCONF")

static int
get_01(struct conf_ctx *c, unsigned line, const char *what, const char *s, int *ret)
{
	bool b;

	if (conf_get_bool(c, line, what, s, &b) < 0)
		return -EINVAL;
	*ret = b ? 1 : 0;
	return 0;
}

static void
d_certverify(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct upsmon_conf *conf = st;

	(void)n;
	(void)get_01(c, line, "CERTVERIFY", a[0], &conf->certverify);
}

static void
d_forcessl(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct upsmon_conf *conf = st;

	(void)n;
	(void)get_01(c, line, "FORCESSL", a[0], &conf->forcessl);
}

static void
d_alarmcritical(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct upsmon_conf *conf = st;

	(void)n;
	(void)conf_get_bool(c, line, "ALARMCRITICAL", a[0], &conf->alarmcritical);
}

static void
d_shutdownexit(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct upsmon_conf *conf = st;
	bool b;

	(void)n;
	if (a[0][0] >= '0' && a[0][0] <= '9') {
		(void)conf_get_long(c, line, "SHUTDOWNEXIT", a[0], 0, DAY, &conf->shutdownexit);
		return;
	}
	if (str_to_bool(a[0], &b) == 0) {
		conf->shutdownexit = b ? 0 : -1;
		return;
	}
	conf_err(c, line, "SHUTDOWNEXIT: expected yes, no or a number of seconds");
}

static void
d_notifycmd(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct upsmon_conf *conf = st;
	char **argv;

	if (!*a[0]) {
		conf_err(c, line, "NOTIFYCMD: empty program");
		return;
	}
	argv = conf_argv_dup(c, line, a, n);
	if (!argv)
		return;
	conf_argv_free(conf->notifycmd);
	conf->notifycmd = argv;
	conf->notifycmd_argc = n;
}

static int
notify_type(struct conf_ctx *c, unsigned line, const char *kw, const char *name)
{
	int t = upsmon_notify_from_name(name);

	if (t < 0)
		conf_err(c, line, "%s: unknown notify type '%s'", kw, name);
	return t;
}

/* A message may hold up to max "%s" and "%%", nothing else after '%'. */
static bool
msg_format_ok(const char *msg, unsigned max)
{
	unsigned n = 0;

	for (const char *p = msg; *p; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p == '%')
			continue;
		if (*p != 's' || ++n > max)
			return false;
	}
	return true;
}

static void
d_notifymsg(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct upsmon_conf *conf = st;
	int t = notify_type(c, line, "NOTIFYMSG", a[0]);

	(void)n;
	if (t < 0)
		return;
	if (strlen(a[1]) > UPSMON_MAX_MSGLEN) {
		conf_err(c, line, "NOTIFYMSG: message longer than %d characters",
		         UPSMON_MAX_MSGLEN);
		return;
	}
	if (!msg_format_ok(a[1], notify_table[t].max_args)) {
		conf_err(c, line,
		         "NOTIFYMSG %s: only %u '%%s' and '%%%%' may follow '%%' in the message",
		         a[0], notify_table[t].max_args);
		return;
	}
	conf_set_str(c, line, &conf->notifymsg[t], a[1]);
}

static const struct {
	const char *name;
	unsigned bit;
} flag_names[] = {
    {"SYSLOG", UPSMON_F_SYSLOG},
    {"WALL", UPSMON_F_WALL},
    {"EXEC", UPSMON_F_EXEC},
    {"IGNORE", UPSMON_F_IGNORE},
};

static void
d_notifyflag(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct upsmon_conf *conf = st;
	int t = notify_type(c, line, "NOTIFYFLAG", a[0]);
	unsigned flags = 0;
	const char *p = a[1];

	(void)n;
	if (t < 0)
		return;
	while (*p) {
		size_t len = strcspn(p, "+"), i;

		for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
			if (strlen(flag_names[i].name) == len &&
			    strncmp(flag_names[i].name, p, len) == 0)
				break;
		}
		if (i == sizeof(flag_names) / sizeof(flag_names[0])) {
			conf_err(c, line,
			         "NOTIFYFLAG: unknown flag '%.*s' (SYSLOG, WALL, EXEC joined with "
			         "'+', or IGNORE)",
			         (int)len, p);
			return;
		}
		flags |= flag_names[i].bit;
		p += len;
		if (*p == '+' && *++p == '\0') {
			conf_err(c, line, "NOTIFYFLAG: trailing '+'");
			return;
		}
	}
	if (flags == 0) {
		conf_err(c, line, "NOTIFYFLAG: no flag given");
		return;
	}
	if ((flags & UPSMON_F_IGNORE) && flags != UPSMON_F_IGNORE) {
		conf_err(c, line, "NOTIFYFLAG: IGNORE cannot be combined with other flags");
		return;
	}
	conf->notifyflag[t] = flags;
}

static void
d_certident(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct upsmon_conf *conf = st;

	(void)n;
	conf_set_str(c, line, &conf->certident_name, a[0]);
	conf_set_str(c, line, &conf->certident_pass, a[1]);
}

static void
d_certhost(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct upsmon_conf *conf = st;
	struct upsmon_certhost *h;
	int verify, force;

	(void)n;
	if (!*a[0] || !*a[1]) {
		conf_err(c, line, "CERTHOST: empty host or certificate name");
		return;
	}
	if (get_01(c, line, "CERTHOST certverify", a[2], &verify) < 0 ||
	    get_01(c, line, "CERTHOST forcessl", a[3], &force) < 0)
		return;
	if (conf->ncerthosts >= UPSMON_MAX_CERTHOSTS) {
		conf_err(c, line, "CERTHOST: more than %d", UPSMON_MAX_CERTHOSTS);
		return;
	}
	h = conf_push(c, line, (void **)&conf->certhosts, &conf->ncerthosts, sizeof(*h));
	if (!h)
		return;
	h->host = conf_strdup(c, line, a[0]);
	h->certname = conf_strdup(c, line, a[1]);
	h->certverify = verify;
	h->forcessl = force;
}

#define HOSTPORT_HOST_CHARS                                                                        \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:%"

int
upsmon_hostport_parse(const char *s, char **host, long *port, const char **why)
{
	const char *colon, *h = s, *end;
	size_t hlen;

	*host = NULL;
	if (*s == '[') {
		end = strchr(s, ']');
		if (!end || end[1] != ':') {
			*why = "expected [address]:port";
			return -EINVAL;
		}
		h = s + 1;
		hlen = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s))) {
			*why = "expected host:port (an IPv6 address goes in brackets)";
			return -EINVAL;
		}
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0) {
		*why = "empty host (write *:port for any host)";
		return -EINVAL;
	}
	if (!(hlen == 1 && *h == '*') && strspn(h, HOSTPORT_HOST_CHARS) < hlen) {
		*why = "the host may hold letters, digits and . - _ : % only";
		return -EINVAL;
	}
	if (str_to_long(colon + 1, 1, 65535, port) < 0) {
		*why = "port must be a number from 1 to 65535";
		return -EINVAL;
	}
	*host = strndup(h, hlen);
	return *host ? 0 : -ENOMEM;
}

void
upsmon_hostport_print(FILE *f, const char *host, long port)
{
	fprintf(f, strchr(host, ':') ? "[%s]:%ld" : "%s:%ld", host, port);
}

void
conf_optin_connect(struct conf_ctx *c, unsigned line, const char *directive, const char *arg,
                   struct script_optins *o, size_t max)
{
	struct upsmon_hostport *hp;
	const char *why = "";
	char *host;
	long port;

	if (upsmon_hostport_parse(arg, &host, &port, &why) < 0) {
		conf_err(c, line, "%s: '%s': %s", directive, arg, why);
		return;
	}
	if (o->nconnect >= max) {
		conf_err(c, line, "%s: more than %zu", directive, max);
		free(host);
		return;
	}
	hp = conf_push(c, line, (void **)&o->connect, &o->nconnect, sizeof(*hp));
	if (!hp) {
		free(host);
		return;
	}
	hp->host = host;
	hp->port = port;
}

void
conf_optin_write(struct conf_ctx *c, unsigned line, const char *directive, const char *arg,
                 struct script_optins *o, size_t max)
{
	char **p;

	if (arg[0] != '/') {
		conf_err(c, line, "%s: '%s' is not an absolute path", directive, arg);
		return;
	}
	if (o->nwrite >= max) {
		conf_err(c, line, "%s: more than %zu", directive, max);
		return;
	}
	p = conf_push(c, line, (void **)&o->write, &o->nwrite, sizeof(*p));
	if (p)
		*p = conf_strdup(c, line, arg);
}

void
conf_optins_print(FILE *f, const struct script_optins *o, const char *connect_kw,
                  const char *write_kw)
{
	for (size_t i = 0; i < o->nconnect; i++) {
		fprintf(f, "%s ", connect_kw);
		upsmon_hostport_print(f, o->connect[i].host, o->connect[i].port);
		fputc('\n', f);
	}
	for (size_t i = 0; i < o->nwrite; i++) {
		fprintf(f, "%s ", write_kw);
		conf_print_word(f, o->write[i]);
		fputc('\n', f);
	}
}

void
script_optins_free(struct script_optins *o)
{
	for (size_t i = 0; i < o->nconnect; i++)
		free(o->connect[i].host);
	free(o->connect);
	for (size_t i = 0; i < o->nwrite; i++)
		free(o->write[i]);
	free(o->write);
}

static void
d_notify_connect(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct upsmon_conf *conf = st;

	(void)n;
	conf_optin_connect(c, line, "NOTIFYCMD_CONNECT", a[0], &conf->notify_optins,
	                   UPSMON_MAX_NOTIFY_CONNECT);
}

static void
d_notify_write(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct upsmon_conf *conf = st;

	(void)n;
	conf_optin_write(c, line, "NOTIFYCMD_WRITE", a[0], &conf->notify_optins,
	                 UPSMON_MAX_NOTIFY_WRITE);
}

static const struct conf_directive directives[] = {
    {"MONITOR", 5, 5, d_monitor},
    {"MINSUPPLIES", 1, 1, d_minsupplies},
    {"SHUTDOWNCMD", 1, 1, d_shutdowncmd},
    {"SHUTDOWNEXIT", 1, 1, d_shutdownexit},
    {"NOTIFYCMD", 1, UPSMON_MAX_ARGS, d_notifycmd},
    {"NOTIFYMSG", 2, 2, d_notifymsg},
    {"NOTIFYFLAG", 2, 2, d_notifyflag},
    {"POLLFREQ", 1, 1, d_pollfreq},
    {"POLLFREQALERT", 1, 1, d_pollfreqalert},
    {"DEADTIME", 1, 1, d_deadtime},
    {"HOSTSYNC", 1, 1, d_hostsync},
    {"FINALDELAY", 1, 1, d_finaldelay},
    {"POWERDOWNFLAG", 1, 1, d_powerdownflag},
    {"RBWARNTIME", 1, 1, d_rbwarntime},
    {"NOCOMMWARNTIME", 1, 1, d_nocommwarntime},
    {"RUN_AS_USER", 1, 1, d_run_as_user},
    {"OFFDURATION", 1, 1, d_offduration},
    {"OVERDURATION", 1, 1, d_overduration},
    {"OBLBDURATION", 1, 1, d_oblbduration},
    {"ALARMCRITICAL", 1, 1, d_alarmcritical},
    {"POLLFAIL_LOG_THROTTLE_MAX", 1, 1, d_pollfail},
    {"CERTPATH", 1, 1, d_certpath},
    {"CERTFILE", 1, 1, d_certfile},
    {"CERTIDENT", 2, 2, d_certident},
    {"CERTHOST", 4, 4, d_certhost},
    {"CERTVERIFY", 1, 1, d_certverify},
    {"FORCESSL", 1, 1, d_forcessl},
    {"DEBUG_MIN", 1, 1, d_debug_min},
    {"WRAPCONF", 1, 1, d_wrapconf},
    {"NOTIFYCMD_CONNECT", 1, 1, d_notify_connect},
    {"NOTIFYCMD_WRITE", 1, 1, d_notify_write},
};

static void
on_line(void *st, struct conf_ctx *c, const struct tok_line *l)
{
	conf_dispatch(c, directives, sizeof(directives) / sizeof(directives[0]), st, l);
}

static void
finish(struct conf_ctx *c, struct upsmon_conf *conf)
{
	long total = 0;

	for (size_t i = 0; i < conf->nmonitors; i++)
		total += conf->monitors[i].powervalue;
	if (total < conf->minsupplies)
		conf_err(c, 0,
		         "the power values of the MONITOR lines add up to %ld, less than "
		         "MINSUPPLIES %ld: upsmon would shut down at once (set MINSUPPLIES 0 "
		         "to only monitor)",
		         total, conf->minsupplies);
	if (conf->deadtime < conf->pollfreq || conf->deadtime < conf->pollfreqalert)
		conf_warn(c, 0,
		          "DEADTIME %ld is shorter than POLLFREQ/POLLFREQALERT (%ld/%ld): a UPS "
		          "would be declared dead between two polls",
		          conf->deadtime, conf->pollfreq, conf->pollfreqalert);
	if (!conf->wrapconf) {
		char path[4096];

		if (paths_conf_file(path, sizeof(path), "rootwrap.conf") < 0)
			conf_err(c, 0, "configuration directory path too long");
		else
			conf->wrapconf = conf_strdup(c, 0, path);
	}
}

static struct upsmon_conf *
conf_new(void)
{
	struct upsmon_conf *conf = calloc(1, sizeof(*conf));

	if (!conf)
		return NULL;
	conf->minsupplies = 1;
	for (int i = 0; i < UPSMON_N_COUNT; i++)
		conf->notifyflag[i] = UPSMON_F_DEFAULT;
	conf->pollfreq = 5;
	conf->pollfreqalert = 5;
	conf->deadtime = 15;
	conf->hostsync = 15;
	conf->finaldelay = 5;
	conf->rbwarntime = 43200;
	conf->nocommwarntime = 300;
	conf->offduration = 30;
	conf->overduration = -1;
	conf->oblbduration = 0;
	conf->alarmcritical = true;
	conf->pollfail_log_throttle_max = -1;
	conf->certverify = -1;
	conf->forcessl = -1;
	conf->debug_min = -1;
	return conf;
}

int
upsmon_conf_parse(const char *name, const char *buf, size_t len, struct upsmon_conf **ret,
                  struct conf_diag *diag)
{
	struct conf_ctx c = {name, diag, diag->nerrors};
	struct upsmon_conf *conf;

	*ret = NULL;
	conf = conf_new();
	if (!conf)
		return -ENOMEM;
	conf_each_line(&c, buf, len, on_line, conf);
	finish(&c, conf);
	if (conf_failed(&c)) {
		upsmon_conf_free(conf);
		return -EINVAL;
	}
	*ret = conf;
	return 0;
}

CONF_DEFINE_LOAD(upsmon_conf)

static void
free_secret(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
upsmon_conf_free(struct upsmon_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nmonitors; i++) {
		conf_upsname_free(&c->monitors[i].name);
		free(c->monitors[i].user);
		free_secret(c->monitors[i].pass);
	}
	free(c->monitors);
	free(c->shutdowncmd);
	conf_argv_free(c->notifycmd);
	for (int i = 0; i < UPSMON_N_COUNT; i++)
		free(c->notifymsg[i]);
	free(c->powerdownflag);
	free(c->run_as_user);
	free(c->certpath);
	free(c->certfile);
	free(c->certident_name);
	free_secret(c->certident_pass);
	for (size_t i = 0; i < c->ncerthosts; i++) {
		free(c->certhosts[i].host);
		free(c->certhosts[i].certname);
	}
	free(c->certhosts);
	free(c->wrapconf);
	script_optins_free(&c->notify_optins);
	free(c);
}

const char *
upsmon_conf_msg(const struct upsmon_conf *c, enum upsmon_notify n)
{
	if ((unsigned)n >= UPSMON_N_COUNT)
		return NULL;
	return c->notifymsg[n] ? c->notifymsg[n] : notify_table[n].msg;
}

static void
print_flags(FILE *f, unsigned flags)
{
	const char *sep = "";

	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		if (flags & flag_names[i].bit) {
			fprintf(f, "%s%s", sep, flag_names[i].name);
			sep = "+";
		}
	}
}

static void
print_words(FILE *f, const char *kw, char *const *words, size_t n)
{
	fputs(kw, f);
	for (size_t i = 0; i < n; i++) {
		fputc(' ', f);
		conf_print_word(f, words[i]);
	}
	fputc('\n', f);
}

void
upsmon_conf_print(FILE *f, const struct upsmon_conf *c)
{
	for (size_t i = 0; i < c->nmonitors; i++) {
		const struct upsmon_monitor *m = &c->monitors[i];

		fputs("MONITOR ", f);
		conf_upsname_print(f, &m->name);
		fprintf(f, " %ld ", m->powervalue);
		conf_print_word(f, m->user);
		fputc(' ', f);
		conf_print_word(f, m->pass);
		fprintf(f, " %s\n", m->primary ? "primary" : "secondary");
	}
	fprintf(f, "MINSUPPLIES %ld\n", c->minsupplies);
	conf_print_kw_str(f, "SHUTDOWNCMD", c->shutdowncmd);
	if (c->shutdownexit == 0)
		fputs("SHUTDOWNEXIT yes\n", f);
	else if (c->shutdownexit < 0)
		fputs("SHUTDOWNEXIT no\n", f);
	else
		fprintf(f, "SHUTDOWNEXIT %ld\n", c->shutdownexit);
	if (c->notifycmd)
		print_words(f, "NOTIFYCMD", c->notifycmd, c->notifycmd_argc);
	conf_optins_print(f, &c->notify_optins, "NOTIFYCMD_CONNECT", "NOTIFYCMD_WRITE");
	for (int i = 0; i < UPSMON_N_COUNT; i++) {
		if (!c->notifymsg[i])
			continue;
		fprintf(f, "NOTIFYMSG %s ", notify_table[i].name);
		conf_print_word(f, c->notifymsg[i]);
		fputc('\n', f);
	}
	for (int i = 0; i < UPSMON_N_COUNT; i++) {
		if (c->notifyflag[i] == UPSMON_F_DEFAULT)
			continue;
		fprintf(f, "NOTIFYFLAG %s ", notify_table[i].name);
		print_flags(f, c->notifyflag[i]);
		fputc('\n', f);
	}
	fprintf(f, "POLLFREQ %ld\n", c->pollfreq);
	fprintf(f, "POLLFREQALERT %ld\n", c->pollfreqalert);
	fprintf(f, "DEADTIME %ld\n", c->deadtime);
	fprintf(f, "HOSTSYNC %ld\n", c->hostsync);
	fprintf(f, "FINALDELAY %ld\n", c->finaldelay);
	conf_print_kw_str(f, "POWERDOWNFLAG", c->powerdownflag);
	fprintf(f, "RBWARNTIME %ld\n", c->rbwarntime);
	fprintf(f, "NOCOMMWARNTIME %ld\n", c->nocommwarntime);
	conf_print_kw_str(f, "RUN_AS_USER", c->run_as_user);
	fprintf(f, "OFFDURATION %ld\n", c->offduration);
	fprintf(f, "OVERDURATION %ld\n", c->overduration);
	fprintf(f, "OBLBDURATION %ld\n", c->oblbduration);
	fprintf(f, "ALARMCRITICAL %d\n", c->alarmcritical ? 1 : 0);
	if (c->pollfail_log_throttle_max >= 0)
		fprintf(f, "POLLFAIL_LOG_THROTTLE_MAX %ld\n", c->pollfail_log_throttle_max);
	conf_print_kw_str(f, "CERTPATH", c->certpath);
	conf_print_kw_str(f, "CERTFILE", c->certfile);
	if (c->certident_name) {
		char *w[2] = {c->certident_name, c->certident_pass};

		print_words(f, "CERTIDENT", w, 2);
	}
	for (size_t i = 0; i < c->ncerthosts; i++) {
		fputs("CERTHOST ", f);
		conf_print_word(f, c->certhosts[i].host);
		fputc(' ', f);
		conf_print_word(f, c->certhosts[i].certname);
		fprintf(f, " %d %d\n", c->certhosts[i].certverify, c->certhosts[i].forcessl);
	}
	if (c->certverify >= 0)
		fprintf(f, "CERTVERIFY %d\n", c->certverify);
	if (c->forcessl >= 0)
		fprintf(f, "FORCESSL %d\n", c->forcessl);
	if (c->debug_min >= 0)
		fprintf(f, "DEBUG_MIN %ld\n", c->debug_min);
	conf_print_kw_str(f, "WRAPCONF", c->wrapconf);
}

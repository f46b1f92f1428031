/*
 * upsmon_conf: upsmon.conf, and the table of notify types that upsmon,
 * upssched and upssched.conf share.
 *
 * Keywords are upper-case and case-sensitive (DEBUG_MIN aside).  NUT 2.8.5's
 * directives plus upsguard's WRAPCONF, and NOTIFYCMD_CONNECT host:port /
 * NOTIFYCMD_WRITE path (repeatable): what the [notify] sandbox grants to
 * NOTIFYCMD beyond its least-privilege default (no network, writes only to
 * /tmp, /var/tmp and upssched's PIPEFN/LOCKFN directories).  FORCESSL and CERTVERIFY keep "not
 * set" (-1) apart from 0, since upsmon turns them on for servers that are
 * not on loopback unless set explicitly.
 */
#ifndef UPSGUARD_UPSMON_CONF_H
#define UPSGUARD_UPSMON_CONF_H

#include "conf/conf.h"

#define UPSMON_MAX_MSGLEN 256   /* NOTIFYMSG text */
#define UPSMON_MAX_MONITORS 128 /* MONITOR lines */
#define UPSMON_MAX_ARGS 16      /* NOTIFYCMD words */
#define UPSMON_MAX_CERTHOSTS 128
#define UPSMON_MAX_NOTIFY_CONNECT 8 /* NOTIFYCMD_CONNECT lines (sandbox connect list) */
#define UPSMON_MAX_NOTIFY_WRITE 16  /* NOTIFYCMD_WRITE lines (sandbox write list) */

enum upsmon_notify {
	UPSMON_N_ONLINE = 0,
	UPSMON_N_ONBATT,
	UPSMON_N_LOWBATT,
	UPSMON_N_FSD,
	UPSMON_N_COMMOK,
	UPSMON_N_COMMBAD,
	UPSMON_N_SHUTDOWN,
	UPSMON_N_REPLBATT,
	UPSMON_N_NOCOMM,
	UPSMON_N_NOPARENT,
	UPSMON_N_CAL,
	UPSMON_N_NOTCAL,
	UPSMON_N_OFF,
	UPSMON_N_NOTOFF,
	UPSMON_N_BYPASS,
	UPSMON_N_NOTBYPASS,
	UPSMON_N_ECO,
	UPSMON_N_NOTECO,
	UPSMON_N_ALARM,
	UPSMON_N_NOTALARM,
	UPSMON_N_OVER,
	UPSMON_N_NOTOVER,
	UPSMON_N_TRIM,
	UPSMON_N_NOTTRIM,
	UPSMON_N_BOOST,
	UPSMON_N_NOTBOOST,
	UPSMON_N_OTHER,
	UPSMON_N_NOTOTHER,
	UPSMON_N_SUSPEND_STARTING,
	UPSMON_N_SUSPEND_FINISHED,
	UPSMON_N_SHUTDOWN_HOSTSYNC,
	UPSMON_N_COUNT
};

enum upsmon_flag {
	UPSMON_F_SYSLOG = 1u << 0,
	UPSMON_F_WALL = 1u << 1,
	UPSMON_F_EXEC = 1u << 2,
	UPSMON_F_IGNORE = 1u << 3,
};
#define UPSMON_F_DEFAULT (UPSMON_F_SYSLOG | UPSMON_F_WALL)

/* "ONLINE" ... ; NULL for an out-of-range value. */
const char *upsmon_notify_name(enum upsmon_notify n);
/* Index for a name (case-sensitive, as NUT), or -1. */
int upsmon_notify_from_name(const char *name);
/* NUT's default message; contains one "%s" (two for ALARM and OTHER, none
 * for SHUTDOWN, NOPARENT and the SUSPEND ones). */
const char *upsmon_notify_default_msg(enum upsmon_notify n);
/* How many "%s" a NOTIFYMSG of this type may hold (1, or 2). */
unsigned upsmon_notify_max_args(enum upsmon_notify n);

struct upsmon_monitor {
	struct conf_upsname name; /* ups, host, port */
	long powervalue;          /* 0: monitor only */
	char *user, *pass;
	bool primary; /* "primary"/"master" vs "secondary"/"slave" */
	unsigned lineno;
};

/* A TCP destination: host as written ("*" for any; IPv6 without brackets). */
struct upsmon_hostport {
	char *host;
	long port; /* 1..65535 */
};

/*
 * Parse "host:port", "[v6addr]:port" or "*:port".  Fills *host (malloc'd)
 * and *port; -EINVAL with *why set, -ENOMEM.  upssched.conf uses it too.
 */
int upsmon_hostport_parse(const char *s, char **host, long *port, const char **why);

/* Print "host:port" (brackets around an IPv6 host). */
void upsmon_hostport_print(FILE *f, const char *host, long port);

/*
 * What the admin opened in the sandbox of a process that runs scripts:
 * NOTIFYCMD_CONNECT / NOTIFYCMD_WRITE here, CMDSCRIPT_CONNECT /
 * CMDSCRIPT_WRITE in upssched.conf.  Both in file order.
 */
struct script_optins {
	struct upsmon_hostport *connect; /* TCP destinations */
	size_t nconnect;
	char **write; /* absolute paths */
	size_t nwrite;
};

void script_optins_free(struct script_optins *o);

struct upsmon_certhost {
	char *host, *certname;
	int certverify, forcessl; /* 0 or 1 */
};

struct upsmon_conf {
	struct upsmon_monitor *monitors;
	size_t nmonitors;
	long minsupplies;  /* 1 */
	char *shutdowncmd; /* NULL: not set */
	long shutdownexit; /* 0 "yes" (default): exit at once; -1 "no"; N: linger N s */
	char **notifycmd;  /* NULL or argv (NULL-terminated): program [args...] */
	size_t notifycmd_argc;
	char *notifymsg[UPSMON_N_COUNT];     /* NULL: default message */
	unsigned notifyflag[UPSMON_N_COUNT]; /* UPSMON_F_DEFAULT unless set */
	long pollfreq, pollfreqalert;        /* 5, 5 */
	long deadtime;                       /* 15 */
	long hostsync;                       /* 15 */
	long finaldelay;                     /* 5 */
	long rbwarntime;                     /* 43200 */
	long nocommwarntime;                 /* 300 */
	long offduration;                    /* 30 */
	long overduration;                   /* -1 */
	long oblbduration;                   /* 0 */
	bool alarmcritical;                  /* true */
	long pollfail_log_throttle_max;      /* -1: not set */
	char *powerdownflag;                 /* NULL: none (NUT has no default) */
	char *run_as_user;                   /* NULL: build default */
	char *certpath, *certfile;           /* NULL: not set */
	char *certident_name, *certident_pass;
	struct upsmon_certhost *certhosts;
	size_t ncerthosts;
	int certverify; /* -1 not set, 0, 1 */
	int forcessl;   /* -1 not set, 0, 1 */
	long debug_min; /* -1: not set */
	char *wrapconf; /* "<confdir>/rootwrap.conf" unless set */
	struct script_optins notify_optins; /* NOTIFYCMD_CONNECT, NOTIFYCMD_WRITE */
};

int upsmon_conf_load(const char *path, struct upsmon_conf **ret, struct conf_diag *diag);
int upsmon_conf_parse(const char *name, const char *buf, size_t len, struct upsmon_conf **ret,
                      struct conf_diag *diag);
void upsmon_conf_free(struct upsmon_conf *c);
void upsmon_conf_print(FILE *f, const struct upsmon_conf *c);

/* The message for a type: the configured one or the default. */
const char *upsmon_conf_msg(const struct upsmon_conf *c, enum upsmon_notify n);

#endif

/*
 * upsmon: the three processes and what they share.
 *
 *   [priv]   root (or CAP_SYS_BOOT): waits for one SHUTDOWN request from
 *            [net], then writes POWERDOWNFLAG and runs SHUTDOWNCMD through
 *            the upswrap engine.  priv.c.
 *   [net]    unprivileged, chrooted to an empty directory, Landlock TCP
 *            connect to the upsd ports only: the protocol and the state
 *            machine.  net.c.
 *   [notify] unprivileged, no network unless NOTIFYCMD_CONNECT, Landlock
 *            with W^X (scriptbox.h): syslog, wall, NOTIFYCMD by execve.
 *            notifier.c.
 * Everything each process needs is copied into its own struct before the
 * split; no process reads a setting from another.
 */
#ifndef UPSMON_UPSMON_H
#define UPSMON_UPSMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "client/upsclient.h"
#include "events.h"
#include "monitor.h"

struct sandbox_hook;

#define UPSMON_PIDFILE "upsmon.pid"
#define UPSMON_NET_PIDFILE "upsmon-net.pid"
#define UPSMON_EMPTY_DIR "upsmon-empty"
#define UPSMON_SDMAGIC "upsmon-shutdown-file" /* POWERDOWNFLAG content, as NUT */
#define UPSMON_SYNC_POLL_MS 250                /* NUMLOGINS poll during HOSTSYNC */
#define UPSMON_NOPARENT_REPEAT_S 120           /* NOPARENT repeats, as NUT */
#define UPSMON_CRED_MAX UCL_CRED_MAX
#define UPSMON_NOTIFY_ARGS 16

/* One MONITOR line as [net] uses it. */
struct net_target {
	char ups[UCL_NAME_MAX];   /* the UPS name on the server */
	char host[UCL_HOST_MAX];  /* as configured (for TLS name checks) */
	char addr[UCL_HOST_MAX];  /* numeric address resolved before the chroot */
	uint16_t port;
	char user[UPSMON_CRED_MAX];
	char pass[UPSMON_CRED_MAX];
	struct ucl_options opts;
	bool loopback;
	/* run-time */
	struct ucl_conn *conn;
	bool logged_in;
};

struct net_ctx {
	struct net_target *t;
	struct mon_ups *ups; /* parallel to t */
	size_t n;
	struct mon_settings s;
	int pollfreq, pollfreqalert;
	long shutdownexit; /* 0 exit at once, -1 never, N linger N s */
	int timeout_ms;
	int priv_fd;   /* SHUTDOWN out, FSD in; EOF: [priv] died */
	int notify_fd; /* NOTIFY out */
	int hook_fd;   /* test hook, -1 */
	struct sandbox_hook *hook;
	struct mon m;
	bool parent_gone;
};

/* [net]: runs until SIGTERM or the end of the shutdown sequence. */
int net_run(struct net_ctx *ctx);

struct notify_ctx {
	char *msg[UPSMON_N_COUNT];     /* NULL: default */
	unsigned flags[UPSMON_N_COUNT]; /* EVF_* */
	char **cmd;              /* NOTIFYCMD argv, NULL-terminated, or NULL */
	size_t cmd_argc;
	char **env;              /* environment for NOTIFYCMD, NULL-terminated */
	int fd;                  /* NOTIFY in */
	bool net_allowed;        /* NOTIFYCMD_CONNECT given: for the failure hints */
	int hook_fd;
	struct sandbox_hook *hook;
};

/* [notify]: runs until [net] closes its end. */
int notifier_run(struct notify_ctx *ctx);

struct priv_ctx {
	int net_fd; /* SHUTDOWN in, FSD out */
	pid_t net_pid, notify_pid;
	const char *shutdowncmd;
	const char *powerdownflag; /* NULL: none */
	void *wrap;                /* the SHUTDOWNCMD checked against the upswrap filters */
	int (*run_shutdown)(void *wrap); /* runs it; returns its exit status */
};

#define PRIV_RELOAD 100 /* priv_run(): SIGHUP, the caller re-executes upsmon */

/* [priv]: blocks SIGCHLD/TERM/INT/HUP/USR1 and serves; returns the exit status. */
int priv_run(struct priv_ctx *ctx);

/* Write UPSMON_SDMAGIC to path (0644, replacing it). Returns 0 or -errno. */
int priv_write_flag(const char *path);

/* 1 when path exists and holds the magic, 0 when not, -errno on error. */
int priv_check_flag(const char *path);

/* Show `title` in ps (comm and command line). */
void upsmon_set_title(const char *title);

#endif

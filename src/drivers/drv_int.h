/*
 * drv_int: the core's context, shared by drv.c (life cycle), dstate.c
 * (state and socket commands) and the unit tests.  Not for drivers.
 */
#ifndef UPSGUARD_DRIVERS_DRV_INT_H
#define UPSGUARD_DRIVERS_DRV_INT_H

#include <limits.h>
#include <stdbool.h>

#include "drv.h"
#include "dsock.h"

struct ups_conf;
struct ups_conf_ups;
struct event;

struct drv_xopt {
	char *key, *value;
};

struct drv {
	const struct drv_ops *ops;
	struct event_base *base;
	struct dsock *sock;
	struct st_tree tree;
	void *priv;

	/* configuration */
	struct ups_conf *conf;          /* NULL with -s */
	const struct ups_conf_ups *ups; /* this UPS's section, NULL with -s */
	const char *upsname;
	char confdir[PATH_MAX];
	char statepath[PATH_MAX];
	char sockpath[PATH_MAX];
	char pidpath[PATH_MAX];
	struct drv_xopt xopts[DRV_MAX_OPTS]; /* -x key=value, win over ups.conf */
	size_t nxopts;
	long pollinterval;
	bool ignorelb;
	bool allow_killpower;

	/* status and alarm buffers */
	char status[DRV_MAX_STATUS];
	bool status_set; /* a status was committed at least once */
	char alarm[DRV_MAX_ALARM];
	bool alarm_active;

	/* options */
	int debug;
	bool foreground;
	bool killpower;
	const char *opt_user, *opt_group;
	const char *opt_chroot; /* -r */

	/* run time */
	struct event *poll_ev;
	struct event *sig_ev[4];
	int exit_status;
	bool started;
};

/* Line handler for dsock: one client -> driver command. */
int drv_sock_line(void *ctx, struct dsock_client *c, const struct tok_line *line);

/* Driver-core instant commands (driver.*): SP_R_* or -1 when not one. */
int drv_core_instcmd(struct drv *d, const char *cmd, const char *param);

/* Re-read ups.conf and apply what can change at run time.
 * 0, -EINVAL (broken file, nothing changed) or -EBUSY (something that
 * needs a restart changed; the rest was applied unless strict). */
int drv_reload(struct drv *d, bool strict);

/* override.* (immutable) and default.* values from the options. */
void drv_apply_overrides(struct drv *d);

/* Set the ignorelb / allow_killpower switches from the options and
 * (un)register driver.killpower accordingly. */
void drv_apply_switches(struct drv *d);

#endif

/*
 * drv: the driver core.  Every driver (dummy-ups today) provides a struct
 * drv_ops and calls drv_main(); the core reads ups.conf, opens the socket,
 * drops privileges, publishes state and answers the socket protocol.
 *
 * Order at start (as NUT's main.c, with the sandbox last):
 *   options -> ups.conf section -> ops->init (open the device, as root when
 *   started as root) -> override.* / default.* -> socket and pid file ->
 *   ops->manifest + privilege drop -> ops->start (first data) -> event loop.
 *
 * State updates go through drv_setinfo() and friends: they change the tree
 * and push the line to every client that has broadcasts on.
 */
#ifndef UPSGUARD_DRIVERS_DRV_H
#define UPSGUARD_DRIVERS_DRV_H

#include <stdbool.h>
#include <stdio.h>

#include "sock/sockproto.h"
#include "sock/state.h"

#define DRV_MAX_STATUS ST_MAX_VALUE
#define DRV_MAX_ALARM ST_MAX_VALUE
#define DRV_MAX_OPTS 128 /* -x options */

struct drv;
struct event_base;
struct sandbox_manifest;

struct drv_ops {
	const char *name;    /* "dummy-ups": socket and pid file prefix */
	const char *version; /* driver.version.internal */
	const char *description;
	/* Check options, open the device. Negative: start fails (message logged
	 * by the driver). */
	int (*init)(struct drv *d);
	/* Publish the first data; called with the socket open. */
	int (*start)(struct drv *d);
	/* Every pollinterval seconds (may be NULL). */
	void (*poll)(struct drv *d);
	/* SET and INSTCMD: return an enum sp_result. */
	int (*setvar)(struct drv *d, const char *var, const char *value);
	int (*instcmd)(struct drv *d, const char *cmd, const char *param);
	/* Power off the load (-k, driver.killpower). 0 or negative. */
	int (*shutdown)(struct drv *d);
	/* What the driver needs after the drop (device, upstream address...). */
	void (*manifest)(struct drv *d, struct sandbox_manifest *m);
	void (*cleanup)(struct drv *d);
	/* Driver-specific ups.conf options for -h. */
	void (*help)(FILE *f);
	/* Whether an ups.conf key is one this driver understands (for -t). */
	bool (*known_opt)(const char *key);
	/* Extra syscall groups the driver needs (SANDBOX_SYS_*). */
	unsigned syscalls;
};

/* Run a driver: returns the process exit status. */
int drv_main(const struct drv_ops *ops, int argc, char **argv);

/* ---- services for drivers ---- */

struct event_base *drv_base(struct drv *d);
void *drv_priv(struct drv *d);
void drv_set_priv(struct drv *d, void *priv);
const char *drv_upsname(const struct drv *d);
const char *drv_port(const struct drv *d);
/* ups.conf option of this UPS ("" for a bare flag), NULL when absent. */
const char *drv_opt(const struct drv *d, const char *key);
/* The configuration directory (relative file names are resolved there). */
const char *drv_confdir(const struct drv *d);
const struct st_tree *drv_tree(const struct drv *d);
bool drv_debug(const struct drv *d);
/* Ask the loop to stop with that exit status. */
void drv_exit(struct drv *d, int status);
/* Change the poll interval (seconds, >= 1). */
void drv_set_pollinterval(struct drv *d, long secs);

/* Tree updates, broadcast on change. Return as the st_* functions. */
int drv_setinfo(struct drv *d, const char *name, const char *value);
int drv_setinfof(struct drv *d, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int drv_delinfo(struct drv *d, const char *name);
int drv_setflags(struct drv *d, const char *name, unsigned flags);
int drv_setaux(struct drv *d, const char *name, long aux);
int drv_addenum(struct drv *d, const char *name, const char *value);
int drv_delenum(struct drv *d, const char *name, const char *value);
int drv_addrange(struct drv *d, const char *name, long min, long max);
int drv_delrange(struct drv *d, const char *name, long min, long max);
int drv_addcmd(struct drv *d, const char *cmd);
int drv_delcmd(struct drv *d, const char *cmd);
void drv_dataok(struct drv *d);
void drv_datastale(struct drv *d);

/*
 * ups.status through the status buffer: init, set tokens, commit.  Commit
 * puts "ALARM" first when alarms are active and, with ignorelb, drops the
 * device's LB and adds LB from battery.charge/runtime against their .low
 * values.
 */
void drv_status_init(struct drv *d);
void drv_status_set(struct drv *d, const char *tokens);
void drv_status_commit(struct drv *d);

/* Alarms: init clears, set appends, commit publishes ups.alarm (deleted
 * when empty) and re-commits the status. */
void drv_alarm_init(struct drv *d);
void drv_alarm_set(struct drv *d, const char *text);
void drv_alarm_commit(struct drv *d);

#endif

/*
 * ups_conf: ups.conf (drivers, upsdrvctl, upsd).
 *
 * Global keys before the first section, then one [name] section per UPS
 * ("default" is reserved).  Lines are "key = value", "key=value" or a bare
 * flag "key".  Keys are lower-case and case-sensitive (LIBUSB_DEBUG aside).
 * Per-UPS keys the driver core knows are checked and also exposed as typed
 * fields; every per-UPS key except driver, port and desc is kept in file
 * order in opts[] (driver-specific options, default.*, override.*), as NUT
 * hands them to the driver.
 */
#ifndef UPSGUARD_UPS_CONF_H
#define UPSGUARD_UPS_CONF_H

#include "conf/conf.h"

#define UPS_CONF_MAX_UPS 1024 /* [sections] */
#define UPS_CONF_MAX_OPTS 256 /* keys per section */

enum ups_sync {
	UPS_SYNC_UNSET = 0, /* per UPS: inherit the global value */
	UPS_SYNC_AUTO,
	UPS_SYNC_YES,
	UPS_SYNC_NO,
};

struct conf_kv {
	char *key;
	char *value; /* NULL for a bare flag */
	unsigned lineno;
};

struct ups_conf_ups {
	char *name;
	char *driver; /* required */
	char *port;   /* required */
	char *desc;   /* NULL when absent */
	unsigned lineno;
	/* Typed views of known keys (their text is in opts too). */
	long sdorder;       /* default 0; -1 excludes from shutdown */
	char *sdcommands;   /* NULL: "shutdown.default" */
	long maxstartdelay; /* -1: use the global value */
	enum ups_sync synchronous;
	char *user, *group; /* NULL: use the global value */
	long debug_min;     /* -1: not set */
	bool allow_killpower, nolock, ignorelb;
	struct conf_kv *opts;
	size_t nopts;
};

struct ups_conf {
	char *chroot, *driverpath, *statepath, *user, *group; /* NULL when unset */
	long maxstartdelay;                                   /* 75 */
	long maxretry;                                        /* 1 */
	long retrydelay;                                      /* 5 */
	long pollinterval;                                    /* 2 */
	long debug_min;                                       /* -1: not set */
	long libusb_debug;                                    /* -1: not set */
	long reconnect_max_tries;   /* -2: not set (driver default); -1 forever */
	long reconnect_report_freq; /* -1: not set */
	enum ups_sync synchronous;  /* UPS_SYNC_AUTO */
	bool nowait;
	struct ups_conf_ups *ups;
	size_t nups;
};

int ups_conf_load(const char *path, struct ups_conf **ret, struct conf_diag *diag);
int ups_conf_parse(const char *name, const char *buf, size_t len, struct ups_conf **ret,
                   struct conf_diag *diag);
void ups_conf_free(struct ups_conf *c);
void ups_conf_print(FILE *f, const struct ups_conf *c);

/* The UPS section with this name (case-insensitive, as upsd matches), or NULL. */
const struct ups_conf_ups *ups_conf_find(const struct ups_conf *c, const char *name);

/* Value of a per-UPS option ("" for a bare flag), or NULL when absent. */
const char *ups_conf_opt(const struct ups_conf_ups *u, const char *key);

#endif

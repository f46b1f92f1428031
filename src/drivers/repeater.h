/*
 * repeater: dummy-ups's repeater mode.  Mirrors one UPS of a remote upsd
 * (ours or NUT's) into the driver's tree: values every poll, and the
 * metadata NUT's repeater never copies (RW flags, STRING lengths, enums,
 * ranges, instant commands) at connect and whenever the variable set
 * changes.  SET and INSTCMD are forwarded upstream with TRACKING, and the
 * upstream's real result is the driver's answer.
 *
 * Options (ups.conf): username, password (for SET/INSTCMD upstream),
 * tls = auto|off|try|require, cafile, cadir, certfile, keyfile, tls_name,
 * timeout (ms per exchange), repeater_disable_strict_start.
 */
#ifndef UPSGUARD_DRIVERS_REPEATER_H
#define UPSGUARD_DRIVERS_REPEATER_H

#include <stdio.h>

#define REP_DEFAULT_TIMEOUT_MS 5000
#define REP_TRACK_WAIT_MS 10000 /* how long a forwarded SET/INSTCMD may take */
#define REP_META_EVERY 30       /* polls between metadata refreshes */

struct drv;
struct repeater;
struct sandbox_manifest;

/* Parse the target and options; resolve nothing yet. 0 or -EINVAL (logged). */
int repeater_new(struct drv *d, const char *target, struct repeater **ret);
/* Connect and mirror once; a failure is fatal unless
 * repeater_disable_strict_start is set. */
int repeater_start(struct repeater *r);
void repeater_poll(struct repeater *r);
int repeater_setvar(struct repeater *r, const char *var, const char *value);
int repeater_instcmd(struct repeater *r, const char *cmd, const char *param);
int repeater_shutdown(struct repeater *r);
void repeater_manifest(struct repeater *r, struct sandbox_manifest *m);
void repeater_help(FILE *f);
void repeater_free(struct repeater *r);

#endif

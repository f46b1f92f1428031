/*
 * paths: where configuration and state live.
 *
 * Build-time defaults (CONFDIR, STATEPATH), overridden at run time the way
 * NUT does it: the NUT_CONFPATH and NUT_STATEPATH environment variables,
 * then an explicit override set by a program option.
 */
#ifndef UPSGUARD_PATHS_H
#define UPSGUARD_PATHS_H

#include <stddef.h>

/* The configuration directory: override, else $NUT_CONFPATH, else CONFDIR. */
const char *paths_confdir(void);

/* The state directory: override, else $NUT_STATEPATH, else STATEPATH. */
const char *paths_statepath(void);

/* Set an override (from a command-line option); the string must outlive use. */
void paths_set_confdir(const char *dir);
void paths_set_statepath(const char *dir);

/*
 * Write "<confdir>/<name>" into buf.  A name that is already absolute is
 * copied as is.  Returns 0, or -ENAMETOOLONG when it does not fit.
 */
int paths_conf_file(char *buf, size_t size, const char *name);

#endif

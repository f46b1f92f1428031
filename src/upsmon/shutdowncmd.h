/*
 * shutdowncmd: SHUTDOWNCMD as [priv] runs it -- split into words without a
 * shell (NUT's word rules: quotes and backslashes group, nothing else is
 * special), checked against the upswrap filters of WRAPCONF at start-up
 * and again at the moment of use, and run with the engine's execve.
 */
#ifndef UPSMON_SHUTDOWNCMD_H
#define UPSMON_SHUTDOWNCMD_H

#include <stddef.h>

#define SHUTDOWNCMD_MAX_ARGS 32

struct shutdowncmd;

/*
 * Load wrapconf and decide for cmd.  Returns 0 and *ret when a filter
 * allows it; otherwise a negative errno and a sentence in err (the
 * engine's refusal, the config problem, or "empty command").
 */
int shutdowncmd_load(const char *wrapconf, const char *cmd, struct shutdowncmd **ret, char *err,
    size_t errsz);

/* Split cmd into argv (NUL-terminated words in store). Returns argc or -errno. */
int shutdowncmd_split(const char *cmd, char *argv[SHUTDOWNCMD_MAX_ARGS + 1], char *store,
    size_t storesz);

/* Decide again and run it in a child; returns its exit status (or 127..). */
int shutdowncmd_run(void *sd);

void shutdowncmd_free(struct shutdowncmd *sd);

#endif

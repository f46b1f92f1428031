/*
 * sandbox/sys: internal interface between sandbox.c and the syscall tables.
 */
#ifndef UPSGUARD_SANDBOX_SYS_H
#define UPSGUARD_SANDBOX_SYS_H

#include <stdbool.h>

/* Add BASE (and SPAWN for EXEC); drop unknown bits. */
unsigned sandbox_sys_normalize(unsigned groups);

/* Build and load the filter for `groups` (TSYNC). 0 or -errno. */
int sandbox_sys_load(unsigned groups, bool log_only);

/* One-line description of a group bit, or NULL. */
const char *sandbox_sys_describe(unsigned bit);

/* 0 when every name in the tables is known to libseccomp, -EINVAL otherwise. */
int sandbox_sys_check_tables(void);

#endif

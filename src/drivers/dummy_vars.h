/*
 * dummy_vars: the flags dummy-ups gives a variable, as NUT's dummy-ups
 * does: known numeric variables are RW, known strings RW STRING with
 * their length, anything else RW STRING:32.  Derived from NUT 2.8.0's
 * observable behaviour (SETFLAGS/SETAUX in its dump), not from its code.
 */
#ifndef UPSGUARD_DRIVERS_DUMMY_VARS_H
#define UPSGUARD_DRIVERS_DUMMY_VARS_H

#include <stdbool.h>

#define DV_DEFAULT_STRLEN 32 /* STRING length of unknown variables */

/* Flags (ST_F_*) and aux for a variable name (case-insensitive).
 * Returns true when the name is in the table. */
bool dv_lookup(const char *name, unsigned *flags, long *aux);

#endif

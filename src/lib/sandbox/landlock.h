/*
 * sandbox/landlock: internal interface used by sandbox_apply().
 */
#ifndef UPSGUARD_SANDBOX_LANDLOCK_H
#define UPSGUARD_SANDBOX_LANDLOCK_H

#include "sandbox/sandbox.h"

/* The kernel's Landlock ABI version, 0 when absent or disabled. */
int sandbox_landlock_abi(void);

/*
 * Build the ruleset from the manifest and restrict the calling thread.
 * Fills the landlock_* fields and notes of `report`.  0 (also when the
 * kernel has no Landlock: noted) or -errno.
 */
int sandbox_landlock_apply(const struct sandbox_manifest *m, struct sandbox_report *report);

#endif

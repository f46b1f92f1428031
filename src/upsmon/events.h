/*
 * events: upsmon's notification types.  The table (names, default
 * messages) is conf's (conf/upsmon_conf.h: enum upsmon_notify); this module
 * only adds the safe NOTIFYMSG formatter.
 */
#ifndef UPSMON_EVENTS_H
#define UPSMON_EVENTS_H

#include <stddef.h>

#include "conf/upsmon_conf.h"

#define EVENT_MSG_MAX 512 /* a formatted message, NUL included */

/*
 * Format a NOTIFYMSG template: the first %s becomes ups, the second detail
 * (ALARM, OTHER), %% a percent sign; any other % sequence is copied as is,
 * so a template can never make the formatter read arguments it lacks.
 * Always terminates buf; output is cut at size - 1.
 */
void event_format(char *buf, size_t size, const char *tmpl, const char *ups, const char *detail);

#endif

/*
 * events: upsmon's notification types (NUT 2.8.5 names, default messages
 * and flags), NOTIFYFLAG words, and safe NOTIFYMSG formatting.
 */
#ifndef UPSMON_EVENTS_H
#define UPSMON_EVENTS_H

#include <stddef.h>

enum event {
	EV_ONLINE,
	EV_ONBATT,
	EV_LOWBATT,
	EV_FSD,
	EV_COMMOK,
	EV_COMMBAD,
	EV_SHUTDOWN,
	EV_REPLBATT,
	EV_NOCOMM,
	EV_NOPARENT,
	EV_CAL,
	EV_NOTCAL,
	EV_OFF,
	EV_NOTOFF,
	EV_BYPASS,
	EV_NOTBYPASS,
	EV_ECO,
	EV_NOTECO,
	EV_ALARM,
	EV_NOTALARM,
	EV_OVER,
	EV_NOTOVER,
	EV_TRIM,
	EV_NOTTRIM,
	EV_BOOST,
	EV_NOTBOOST,
	EV_OTHER,
	EV_NOTOTHER,
	EV_SUSPEND_STARTING,
	EV_SUSPEND_FINISHED,
	EV_SHUTDOWN_HOSTSYNC,
	EV_COUNT,
};

enum event_flag {
	EVF_IGNORE = 1u << 0,
	EVF_SYSLOG = 1u << 1,
	EVF_WALL = 1u << 2,
	EVF_EXEC = 1u << 3,
};

#define EVF_DEFAULT (EVF_SYSLOG | EVF_WALL)
#define EVENT_MSG_MAX 512 /* a formatted message, NUL included */

/* NUT's name ("ONBATT"), or NULL for an out-of-range value. */
const char *event_name(unsigned ev);

/* The stock message ("UPS %s on battery"). */
const char *event_default_msg(unsigned ev);

/* Look a name up (case-sensitive, as NUT). Returns the event or -ENOENT. */
int event_lookup(const char *name);

/* Parse NOTIFYFLAG's value ("SYSLOG+WALL", "IGNORE"). Returns flags or -EINVAL. */
int event_parse_flags(const char *s);

/*
 * Format a NOTIFYMSG template: the first %s becomes ups, the second detail
 * (ALARM, OTHER), %% a percent sign; any other % sequence is copied as is,
 * so a template can never make the formatter read arguments it lacks.
 * Always terminates buf; output is cut at size - 1.
 */
void event_format(char *buf, size_t size, const char *tmpl, const char *ups, const char *detail);

#endif

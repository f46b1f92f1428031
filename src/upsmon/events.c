/*
 * events: the table of notification types.  One row per type drives the
 * name lookup of NOTIFYMSG/NOTIFYFLAG, the default message and upssched's
 * AT matching.
 */
#include "events.h"

#include <errno.h>
#include <string.h>

struct event_info {
	const char *name;
	const char *msg;
};

static const struct event_info event_table[EV_COUNT] = {
	[EV_ONLINE] = {"ONLINE", "UPS %s on line power"},
	[EV_ONBATT] = {"ONBATT", "UPS %s on battery"},
	[EV_LOWBATT] = {"LOWBATT", "UPS %s battery is low"},
	[EV_FSD] = {"FSD", "UPS %s: forced shutdown in progress"},
	[EV_COMMOK] = {"COMMOK", "Communications with UPS %s established"},
	[EV_COMMBAD] = {"COMMBAD", "Communications with UPS %s lost"},
	[EV_SHUTDOWN] = {"SHUTDOWN", "Auto logout and shutdown proceeding"},
	[EV_REPLBATT] = {"REPLBATT", "UPS %s battery needs to be replaced"},
	[EV_NOCOMM] = {"NOCOMM", "UPS %s is unavailable"},
	[EV_NOPARENT] = {"NOPARENT", "upsmon parent process died - shutdown impossible"},
	[EV_CAL] = {"CAL", "UPS %s: calibration in progress"},
	[EV_NOTCAL] = {"NOTCAL", "UPS %s: calibration finished"},
	[EV_OFF] = {"OFF", "UPS %s: administratively OFF or asleep"},
	[EV_NOTOFF] = {"NOTOFF", "UPS %s: no longer administratively OFF or asleep"},
	[EV_BYPASS] = {"BYPASS", "UPS %s: on bypass (powered, not protecting)"},
	[EV_NOTBYPASS] = {"NOTBYPASS", "UPS %s: no longer on bypass"},
	[EV_ECO] = {"ECO", "UPS %s: in ECO mode (as defined by vendor)"},
	[EV_NOTECO] = {"NOTECO", "UPS %s: no longer in ECO mode"},
	[EV_ALARM] = {"ALARM", "UPS %s: one or more active alarms: [%s]"},
	[EV_NOTALARM] = {"NOTALARM", "UPS %s is no longer in an alarm state (no active alarms)"},
	[EV_OVER] = {"OVER", "UPS %s: overloaded"},
	[EV_NOTOVER] = {"NOTOVER", "UPS %s: no longer overloaded"},
	[EV_TRIM] = {"TRIM", "UPS %s: trimming incoming voltage"},
	[EV_NOTTRIM] = {"NOTTRIM", "UPS %s: no longer trimming incoming voltage"},
	[EV_BOOST] = {"BOOST", "UPS %s: boosting incoming voltage"},
	[EV_NOTBOOST] = {"NOTBOOST", "UPS %s: no longer boosting incoming voltage"},
	[EV_OTHER] = {"OTHER", "UPS %s: has at least one unclassified status token: [%s]"},
	[EV_NOTOTHER] = {"NOTOTHER", "UPS %s has no unclassified status tokens anymore"},
	[EV_SUSPEND_STARTING] = {"SUSPEND_STARTING", "OS is entering sleep/suspend/hibernate mode"},
	[EV_SUSPEND_FINISHED] = {"SUSPEND_FINISHED",
	    "OS just finished sleep/suspend/hibernate mode, de-activating obsolete UPS "
	    "readings to avoid an unfortunate shutdown"},
	[EV_SHUTDOWN_HOSTSYNC] = {"SHUTDOWN_HOSTSYNC",
	    "Primary is waiting for secondaries to log out before shutdown"},
};

const char *
event_name(unsigned ev)
{
	return ev < EV_COUNT ? event_table[ev].name : NULL;
}

const char *
event_default_msg(unsigned ev)
{
	return ev < EV_COUNT ? event_table[ev].msg : NULL;
}

int
event_lookup(const char *name)
{
	for (unsigned i = 0; i < EV_COUNT; i++)
		if (strcmp(event_table[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

struct flag_word {
	const char *word;
	unsigned flag;
};

static const struct flag_word flag_words[] = {
	{"IGNORE", EVF_IGNORE},
	{"SYSLOG", EVF_SYSLOG},
	{"WALL", EVF_WALL},
	{"EXEC", EVF_EXEC},
};

int
event_parse_flags(const char *s)
{
	unsigned flags = 0;

	while (*s) {
		size_t n = strcspn(s, "+");
		size_t i;
		for (i = 0; i < sizeof(flag_words) / sizeof(flag_words[0]); i++)
			if (strlen(flag_words[i].word) == n && strncmp(flag_words[i].word, s, n) == 0)
				break;
		if (i == sizeof(flag_words) / sizeof(flag_words[0]))
			return -EINVAL;
		flags |= flag_words[i].flag;
		s += n;
		if (*s == '+' && *++s == '\0')
			return -EINVAL;
	}
	if (flags == 0)
		return -EINVAL;
	/* IGNORE wins, as in NUT: nothing happens for an ignored type. */
	return (flags & EVF_IGNORE) ? EVF_IGNORE : (int)flags;
}

static size_t
put(char *buf, size_t size, size_t o, const char *s, size_t n)
{
	for (size_t i = 0; i < n && o + 1 < size; i++)
		buf[o++] = s[i];
	return o;
}

void
event_format(char *buf, size_t size, const char *tmpl, const char *ups, const char *detail)
{
	const char *args[2] = {ups ? ups : "", detail ? detail : ""};
	size_t o = 0;
	unsigned used = 0;

	if (size == 0)
		return;
	for (const char *p = tmpl; *p; p++) {
		if (p[0] == '%' && p[1] == 's') {
			const char *a = used < 2 ? args[used] : "";
			used++;
			o = put(buf, size, o, a, strlen(a));
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			o = put(buf, size, o, "%", 1);
			p++;
		} else {
			o = put(buf, size, o, p, 1);
		}
	}
	buf[o] = '\0';
}

/*
 * dummy_vars: a sorted table searched with bsearch.
 */
#include "dummy_vars.h"

#include <stdlib.h>
#include <strings.h>

#include "sock/state.h"

struct dv_entry {
	const char *name;
	unsigned flags;
	long aux;
};

#define NUM(n)                                                                                     \
	{                                                                                          \
		n, ST_F_RW, 0                                                                      \
	}
#define STR(n, len)                                                                                \
	{                                                                                          \
		n, ST_F_RW | ST_F_STRING, len                                                      \
	}

/* Sorted case-insensitively (checked by the unit test). */
static const struct dv_entry table[] = {
    NUM("ambient.humidity"),
    NUM("ambient.humidity.alarm"),
    NUM("ambient.humidity.high"),
    NUM("ambient.humidity.low"),
    NUM("ambient.temperature"),
    NUM("ambient.temperature.alarm"),
    NUM("ambient.temperature.high"),
    NUM("ambient.temperature.low"),
    NUM("battery.charge"),
    NUM("battery.charge.low"),
    NUM("battery.charge.restart"),
    NUM("battery.current"),
    NUM("battery.runtime"),
    NUM("battery.runtime.low"),
    NUM("battery.temperature"),
    NUM("battery.voltage"),
    NUM("battery.voltage.nominal"),
    NUM("input.frequency"),
    STR("input.quality", 6),
    STR("input.sensitivity", 1),
    NUM("input.transfer.boost.high"),
    NUM("input.transfer.boost.low"),
    NUM("input.transfer.high"),
    NUM("input.transfer.low"),
    STR("input.transfer.reason", 1),
    NUM("input.transfer.trim.high"),
    NUM("input.transfer.trim.low"),
    NUM("input.voltage"),
    NUM("input.voltage.maximum"),
    NUM("input.voltage.minimum"),
    NUM("input.voltage.nominal"),
    NUM("output.current"),
    NUM("output.frequency"),
    NUM("output.voltage"),
    STR("ups.date", 16),
    NUM("ups.delay.reboot"),
    NUM("ups.delay.shutdown"),
    NUM("ups.delay.start"),
    STR("ups.firmware", 16),
    STR("ups.firmware.aux", 16),
    STR("ups.id", 16),
    NUM("ups.load"),
    STR("ups.mfr", 32),
    STR("ups.mfr.date", 16),
    STR("ups.model", 32),
    STR("ups.status", 32),
    NUM("ups.temperature"),
    NUM("ups.test.interval"),
    STR("ups.test.result", 16),
    STR("ups.time", 16),
};

static int
cmp(const void *key, const void *elem)
{
	return strcasecmp(key, ((const struct dv_entry *)elem)->name);
}

bool
dv_lookup(const char *name, unsigned *flags, long *aux)
{
	const struct dv_entry *e =
	    bsearch(name, table, sizeof(table) / sizeof(table[0]), sizeof(table[0]), cmp);

	*flags = e ? e->flags : ST_F_RW | ST_F_STRING;
	*aux = e ? e->aux : DV_DEFAULT_STRLEN;
	return e != NULL;
}

/*
 * events: NOTIFYMSG formatting without printf, so a template from the
 * configuration never becomes a format string.
 */
#include "events.h"

#include <string.h>

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

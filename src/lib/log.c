/*
 * log: stderr or syslog sink with a per-process tag and debug level.
 */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 1024

static struct {
	const char *ident;
	const char *tag;
	bool syslog_on;
	int debug;
} log_cfg = {"upsguard", NULL, false, 0};

void
log_init(const char *ident)
{
	const char *slash = strrchr(ident, '/');

	log_cfg.ident = slash ? slash + 1 : ident;
}

void
log_set_tag(const char *tag)
{
	log_cfg.tag = tag;
}

void
log_use_syslog(bool on)
{
	if (on && !log_cfg.syslog_on)
		openlog(log_cfg.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!on && log_cfg.syslog_on)
		closelog();
	log_cfg.syslog_on = on;
}

void
log_set_debug(int level)
{
	log_cfg.debug = level;
}

int
log_debug_level(void)
{
	return log_cfg.debug;
}

void
log_vmsg(int prio, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];

	(void)vsnprintf(line, sizeof(line), fmt, ap);
	if (log_cfg.syslog_on) {
		if (log_cfg.tag)
			syslog(prio, "[%s] %s", log_cfg.tag, line);
		else
			syslog(prio, "%s", line);
		return;
	}
	/* One write per line, so lines of several processes never interleave. */
	char out[LOG_LINE_MAX + 128];
	int n = snprintf(out, sizeof(out), "%s%s%s%s: %s\n", log_cfg.ident, log_cfg.tag ? "[" : "",
	    log_cfg.tag ? log_cfg.tag : "", log_cfg.tag ? "]" : "", line);
	if (n > (int)sizeof(out))
		n = (int)sizeof(out);
	if (n > 0)
		(void)!write(STDERR_FILENO, out, (size_t)n);
}

void
log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
}

void
log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}

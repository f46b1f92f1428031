/*
 * log: one logging sink per process, stderr or syslog.
 *
 * The only module with global state (the style guide allows the log
 * configuration): a process sets its tag once and every line carries it,
 * so "[priv]" and "[net]" lines can be told apart.  Library code never
 * logs; programs log once, where an error is handled.
 */
#ifndef UPSGUARD_LOG_H
#define UPSGUARD_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Start logging as `ident` (program name) to stderr. */
void log_init(const char *ident);

/* Tag every following line with `tag` (e.g. "net"); NULL removes it. */
void log_set_tag(const char *tag);

/* Send lines to syslog (facility LOG_DAEMON) instead of stderr, or back. */
void log_use_syslog(bool on);

/* Debug verbosity: log_debug(n, ...) prints when n <= level. 0 = off. */
void log_set_debug(int level);
int log_debug_level(void);

void log_msg(int prio, const char *fmt, ...) LOG_PRINTF(2, 3);
void log_vmsg(int prio, const char *fmt, va_list ap) LOG_PRINTF(2, 0);

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(n, ...)                                                                          \
	do {                                                                                       \
		if ((n) <= log_debug_level())                                                      \
			log_msg(LOG_DEBUG, __VA_ARGS__);                                           \
	} while (0)

/* Log at LOG_ERR and exit(1): for main() and start-up only. */
_Noreturn void log_fatal(const char *fmt, ...) LOG_PRINTF(1, 2);

#endif

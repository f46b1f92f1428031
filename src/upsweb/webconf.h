/*
 * webconf: upsweb.conf, upsweb's own settings.
 *
 * NUT word rules (tokenizer.h), one directive per line, directives in upper
 * case as in upsd.conf.  Parsed, validated, then frozen: the result is read
 * only at run time.  Errors are reported as "file:line: message".
 */
#ifndef UPSWEB_WEBCONF_H
#define UPSWEB_WEBCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WEBCONF_MAX_LISTEN 8
#define WEBCONF_ADDR_MAX 64
#define WEBCONF_PATH_MAX 512
#define WEBCONF_MAX_FILE (256 * 1024) /* bytes of upsweb.conf read */
#define WEBCONF_DEFAULT_ADDR "127.0.0.1"
#define WEBCONF_DEFAULT_PORT 8008

struct webconf_listen {
	char addr[WEBCONF_ADDR_MAX];
	uint16_t port;
};

struct webconf {
	struct webconf_listen listen[WEBCONF_MAX_LISTEN];
	size_t nlisten;          /* 0 in the file means the default 127.0.0.1 8008 */
	int pollfreq;            /* seconds between polls of upsd */
	int upsd_timeout;        /* seconds for one upsd exchange */
	int history;             /* seconds of history kept */
	int history_step;        /* seconds between history samples */
	int max_connections;     /* concurrent HTTP connections */
	int request_timeout;     /* seconds an HTTP connection may stay idle */
	bool allow_commands;     /* instant commands (login required) */
	bool allow_writes;       /* SET VAR (login required) */
	int login_rate_count;    /* login/action attempts per client address ... */
	int login_rate_window;   /* ... per this many seconds */
	int session_timeout;     /* idle seconds before a login expires */
	bool allow_plain_remote; /* permit a non-loopback LISTEN without TLS */
	bool upsd_tls;           /* require STARTTLS to upsd */
	char upsd_cafile[WEBCONF_PATH_MAX];
	char certfile[WEBCONF_PATH_MAX];
	char keyfile[WEBCONF_PATH_MAX];
	char user[64]; /* run-as user when started as root; "" = build default */
};

/* Fill in the defaults. */
void webconf_defaults(struct webconf *c);

/*
 * Parse `path` into *ret (defaults first).  A missing file is not an error
 * when `optional` is true (all defaults).  Every problem is written to errs
 * as "file:line: message"; returns 0, or -EINVAL after the first bad line
 * (all bad lines are still reported), or -errno when the file cannot be read.
 */
int webconf_load(const char *path, bool optional, struct webconf *ret, FILE *errs);

/* Parse from memory (for tests and fuzzing); `name` is used in messages. */
int webconf_parse(const char *name, const char *text, size_t len, struct webconf *ret, FILE *errs);

/* Print the effective configuration in upsweb.conf syntax. */
void webconf_print(const struct webconf *c, FILE *out);

/* True when addr is a loopback address (127.0.0.0/8, ::1, localhost). */
bool webconf_is_loopback(const char *addr);

#endif

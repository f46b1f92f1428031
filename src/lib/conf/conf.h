/*
 * conf: what every configuration parser shares.
 *
 *  - struct conf_diag collects every warning and error of one load, each a
 *    finished line "file:line: message" or "file:line: warning: message";
 *    library code never prints them, the program does (conf_diag_print).
 *  - conf_check_secret_file() refuses files holding secrets that others
 *    could read or change (upsd.users, upsmon.conf).
 *  - struct conf_net and conf_cidr_match(): address lists (upsd.users
 *    allowfrom).
 *  - conf_upsname_parse(): "ups[@host[:port]]" as in MONITOR lines.
 *
 * Every parser (ups_conf.h, upsd_conf.h, upsd_users.h, upsmon_conf.h,
 * upssched_conf.h, hosts_conf.h) follows one pattern:
 *   int  X_load(const char *path, struct X **ret, struct conf_diag *diag);
 *   int  X_parse(const char *name, const char *buf, size_t len,
 *                struct X **ret, struct conf_diag *diag);
 *   void X_free(struct X *);
 *   void X_print(FILE *, const struct X *);   canonical; print-parse-print
 *                                             is the identity
 * A load with any error returns -EINVAL (-errno when the file cannot be
 * read, -ENOMEM) and stores NULL: a partial result is
 * never handed out.  Warnings alone do not fail a load.
 */
#ifndef UPSGUARD_CONF_H
#define UPSGUARD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define CONF_MAX_FILE_SIZE (1024 * 1024) /* bytes of one config file */
#define CONF_MAX_MSGS 200                /* messages kept per load; more are counted */
#define CONF_MAX_MSGLEN 1024             /* one message line */
#define CONF_MAX_NAME 64                 /* UPS names, user names, timer names */
#define CONF_DEFAULT_PORT 3493
#define CONF_NET_STRLEN 64 /* conf_net_format() buffer */

struct conf_msg {
	bool warning;
	char *text; /* "file:line: message", no newline */
};

struct conf_diag {
	struct conf_msg *msgs;
	size_t nmsgs, cap;
	size_t nerrors, nwarnings; /* all of them, also those not kept */
};

void conf_diag_init(struct conf_diag *d);
void conf_diag_free(struct conf_diag *d);
/* Print every kept message, one per line, then a note if some were dropped. */
void conf_diag_print(FILE *f, const struct conf_diag *d);

/*
 * Secret files: refuse a file that is group-writable or has any permission
 * for others, or that is owned by a user other than root or the effective
 * user.  Returns 0 when acceptable, -EACCES with msg set to a complete
 * sentence naming the exact chmod/chown command to run, or -errno when the
 * file cannot be examined (msg set too).
 */
int conf_check_secret_file(const char *path, char *msg, size_t size);
int conf_check_secret_stat(const struct stat *st, const char *path, char *msg, size_t size);

/* An IPv4 or IPv6 network; a host address has the full prefix. */
struct conf_net {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix; /* 0..32 or 0..128 */
};

/*
 * Parse "a.b.c.d", "a.b.c.d/n", an IPv6 address, "v6/n" (brackets allowed
 * around the address).  Host bits beyond the prefix must be zero.
 * Returns 0 or -EINVAL.
 */
int conf_net_parse(const char *s, struct conf_net *ret);

/* Canonical text of a network ("10.0.0.0/8", "::1", "192.0.2.1"). */
void conf_net_format(const struct conf_net *net, char *buf, size_t size);

/*
 * True when the address in sa (AF_INET or AF_INET6) lies in one of the n
 * networks.  An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is matched as
 * the IPv4 address it carries, against IPv4 and IPv6 rules alike.
 */
bool conf_cidr_match(const struct conf_net *nets, size_t n, const struct sockaddr *sa);

/* "ups[@host[:port]]", host may be "[v6]" with a port. */
struct conf_upsname {
	char *ups;
	char *host;    /* "localhost" when absent; IPv6 without brackets */
	unsigned port; /* CONF_DEFAULT_PORT when absent */
};

/* Returns 0, -EINVAL (msg tells why) or -ENOMEM.  Free with conf_upsname_free. */
int conf_upsname_parse(const char *s, struct conf_upsname *ret, const char **why);
void conf_upsname_free(struct conf_upsname *u);
/* Print "ups@host:port" ("[v6]" bracketed) as a word. */
void conf_upsname_print(FILE *f, const struct conf_upsname *u);

/* True for UPS/user/timer names: [A-Za-z0-9_.-], 1..CONF_MAX_NAME, no leading '.' */
bool conf_name_valid(const char *s);

/* Print a word so that the tokenizer reads it back unchanged. */
void conf_print_word(FILE *f, const char *word);

#endif

/*
 * upsd_conf: upsd.conf.
 *
 * Keywords are upper-case and case-sensitive (DEBUG_MIN aside).  NUT's
 * directives plus upsguard's ANONYMOUS_READ, ALLOW_PLAINTEXT_LISTEN and
 * CLIENT_TIMEOUT.  ACL, ACCEPT and REJECT are obsolete: warned, ignored.
 * A LISTEN address that is not loopback is an error unless CERTFILE is set
 * or ALLOW_PLAINTEXT_LISTEN yes.
 */
#ifndef UPSGUARD_UPSD_CONF_H
#define UPSGUARD_UPSD_CONF_H

#include "conf/conf.h"

enum upsd_anon {
	UPSD_ANON_LOOPBACK = 0, /* default: anonymous GET/LIST from loopback only */
	UPSD_ANON_ANY,
	UPSD_ANON_NONE,
};

struct upsd_listen {
	char *addr;    /* as written: "127.0.0.1", "::1", "*", a host name */
	unsigned port; /* 3493 */
	unsigned lineno;
};

struct upsd_conf {
	struct upsd_listen *listen; /* when none is given: 127.0.0.1 and ::1 */
	size_t nlisten;
	bool listen_default; /* true when the list is the built-in default */
	long maxage;         /* 15 */
	long trackingdelay;  /* 3600 */
	long maxconn;        /* 0: not set (the fd limit) */
	char *statepath;     /* NULL: not set */
	bool allow_no_device, allow_not_all_listeners; /* false */
	char *certfile, *certpath;                     /* NULL: not set */
	char *certident_name, *certident_pass;
	long certrequest; /* 0 NO, 1 REQUEST, 2 REQUIRE */
	bool disable_weak_ssl;
	long debug_min; /* -1: not set */
	enum upsd_anon anonymous_read;
	bool allow_plaintext_listen;
	long client_timeout; /* 60 seconds of silence before a client is dropped */
};

int upsd_conf_load(const char *path, struct upsd_conf **ret, struct conf_diag *diag);
int upsd_conf_parse(const char *name, const char *buf, size_t len, struct upsd_conf **ret,
                    struct conf_diag *diag);
void upsd_conf_free(struct upsd_conf *c);
void upsd_conf_print(FILE *f, const struct upsd_conf *c);

/* True for "localhost", 127.0.0.0/8 and ::1 (no name resolution). */
bool upsd_conf_addr_is_loopback(const char *addr);

#endif

/*
 * fixture: an in-memory upsd for unit tests and the dispatcher fuzzer.
 *
 * One UPS "dev" whose driver connection is one end of a socketpair (the
 * other end is returned so a test can read what upsd sends the driver),
 * a state tree with every kind of variable, and one loopback client.
 * Not used by the daemon itself.
 */
#ifndef UPSGUARD_UPSD_FIXTURE_H
#define UPSGUARD_UPSD_FIXTURE_H

#include "upsd.h"

struct fixture {
	struct server srv;
	struct client *c;
	struct ups *ups;
	int driver_fd; /* the driver's end */
};

/* Build the fixture with an upsd.conf text (NULL: "ANONYMOUS_READ any").
 * Returns 0 or a negative error. */
int fixture_init(struct fixture *f, const char *upsd_conf);

/* Feed raw bytes as the client; the replies are in f->srv.reply (NUL
 * terminated) until the next call. */
const char *fixture_feed(struct fixture *f, const char *data, size_t len);

/* Read what upsd queued for the driver (flushing the event loop), into buf. */
size_t fixture_driver_read(struct fixture *f, char *buf, size_t size);

void fixture_free(struct fixture *f);

#endif

/*
 * poller: one thread that polls upsd for every UPS of the model.
 *
 * It uses the blocking client library (src/lib/client) with its timeouts,
 * keeps one connection per UPS across polls, and caches variable and
 * command descriptions and types (they do not change while a driver runs).
 * HTTP handlers never wait for it: they read the model.
 */
#ifndef UPSWEB_POLLER_H
#define UPSWEB_POLLER_H

#include <pthread.h>
#include <stdbool.h>

#include "client/upsclient.h"
#include "model.h"

#define POLLER_ADDR_MAX 64 /* numeric address text */
#define POLLER_MAX_ADDRS 4 /* addresses kept per host name */

struct poller_target {
	/* Resolved at start-up, before the sandbox closes the resolver's
	 * files; tried in order ("localhost" is often ::1, then 127.0.0.1),
	 * starting with the one that worked last. */
	char addrs[POLLER_MAX_ADDRS][POLLER_ADDR_MAX];
	size_t naddrs, cur;
	struct ucl_conn *conn;
	struct poller_cache *cache;
};

struct poller {
	struct model *model;
	struct ucl_options opts;
	int pollfreq; /* seconds */
	struct poller_target t[MODEL_MAX_UPS];
	pthread_t thread;
	bool running;
	pthread_mutex_t lock; /* guards stop and kick */
	pthread_cond_t cond;
	bool stop, kick;
};

/* Prepare: resolve every UPS's host to numeric addresses (getaddrinfo, so
 * before the sandbox).  A host that does not resolve keeps its name and is
 * reported unreachable at each poll.  Returns 0 or -ENOMEM. */
int poller_init(struct poller *p, struct model *m, const struct ucl_options *opts, int pollfreq);

/* The address of UPS i that worked last (or the first one).  Other
 * threads call it with the model's lock held. */
const char *poller_addr(const struct poller *p, size_t i);

/* Start the thread (after the sandbox). Returns 0 or -errno. */
int poller_start(struct poller *p);

/* Ask for a poll now (after an action changed something). */
void poller_kick(struct poller *p);

/* Stop the thread, close connections, free caches. */
void poller_stop(struct poller *p);

/* Poll every UPS once, in the calling thread (tests, and the thread's loop). */
void poller_poll_all(struct poller *p);

#endif

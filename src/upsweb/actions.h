/*
 * actions: the optional write side of upsweb (the upsset.cgi replacement).
 *
 * Only built into the route table when upsweb.conf has ALLOW_COMMANDS or
 * ALLOW_WRITES.  A login keeps the upsd USERNAME/PASSWORD in memory for the
 * session (never in the cookie); upsd checks them, with the right the
 * action needs, on every INSTCMD or SET VAR.  Every POST needs the CSRF
 * token of its session (login: a double-submit token), a same-origin
 * Origin header when one is sent, and passes a per-address rate limit.
 * Actions run on a worker thread; the HTTP reply is sent when upsd answers.
 */
#ifndef UPSWEB_ACTIONS_H
#define UPSWEB_ACTIONS_H

#include <event2/event.h>
#include <event2/http.h>

#include "client/upsclient.h"
#include "model.h"
#include "render.h"
#include "webconf.h"

#define ACTIONS_MAX_SESSIONS 64    /* logged-in sessions; the oldest is dropped */
#define ACTIONS_MAX_CLIENTS 512    /* addresses tracked by the rate limiter */
#define ACTIONS_MAX_PENDING 16     /* actions queued for upsd */
#define ACTIONS_TOKEN_LEN 64       /* hex characters of session ids and CSRF tokens */
#define ACTIONS_TRACK_WAIT_MS 5000 /* wait for a tracked result this long */

struct actions;
struct poller;

/* Create the action side; starts no thread yet.  Returns NULL on OOM. */
struct actions *actions_new(struct event_base *base, const struct webconf *conf,
                            struct model *model, struct poller *poller,
                            const struct ucl_options *opts);

/* Start the worker thread (after the sandbox). Returns 0 or -errno. */
int actions_start(struct actions *a);

/* Stop the worker, wipe credentials, free.  NULL is fine. */
void actions_free(struct actions *a);

enum actions_route {
	ACTIONS_LOGIN,   /* GET or POST /login */
	ACTIONS_LOGOUT,  /* POST /logout */
	ACTIONS_COMMAND, /* POST /ups/<id>/command */
	ACTIONS_SET,     /* POST /ups/<id>/set */
};

/* Handle one of the routes (the dispatcher decided which; id is the
 * decoded UPS id for COMMAND and SET, NULL otherwise). */
void actions_handle(struct actions *a, struct evhttp_request *req, enum actions_route route,
                    const char *id);

/* Fill user and csrf of a render context from the request's session. */
void actions_fill_ctx(struct actions *a, struct evhttp_request *req, struct render_ctx *c);

/* For tests: parse one application/x-www-form-urlencoded field. Returns a
 * malloc'd decoded value or NULL when absent. */
char *actions_form_value(const char *body, const char *key);

#endif

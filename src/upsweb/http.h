/*
 * http: upsweb's HTTP front, on libevent's evhttp.
 *
 * Routes are one table; every response carries the security headers;
 * requests are bounded (header and body sizes, URI length, idle timeout,
 * concurrent connections).  Action routes (login, commands, writes) exist
 * only when upsweb.conf enables them: otherwise they are 404 like any
 * unknown path.
 */
#ifndef UPSWEB_HTTP_H
#define UPSWEB_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "model.h"
#include "webconf.h"

#define HTTP_MAX_HEADERS_SIZE 8192 /* all request headers together */
#define HTTP_MAX_BODY_SIZE 4096    /* POST bodies (login and action forms) */
#define HTTP_MAX_URI 1024          /* request target */
#define HTTP_ACCEPT_PAUSE_MS 200   /* accept() paused this long when out of fds */
#define HTTP_SWEEP_MS 1000         /* how often connection deadlines are checked */

struct actions;
struct poller;

/* A connection watched for the request deadline (see http.c). */
struct http_conn {
	struct bufferevent *bev; /* holds one reference; NULL: free slot */
	int64_t since;           /* accepted, or last request received */
	bool cut;                /* shut down for missing the deadline */
};

struct web {
	struct event_base *base;
	struct evhttp *http;
	const struct webconf *conf;
	struct model *model;
	struct poller *poller;
	struct actions *actions; /* NULL when neither commands nor writes are enabled */
	SSL_CTX *tls;
	struct http_conn *conns; /* one slot per possible descriptor */
	size_t nconns;
	struct event *sweep;
	int deadline; /* seconds a connection may take to deliver a request */
	struct evconnlistener *listeners[WEBCONF_MAX_LISTEN];
	size_t nlisteners;
	uint64_t requests;
};

/* Create the evhttp server on base and bind every LISTEN address.  Errors
 * are written to errs.  Returns 0 or -errno (bind failure, bad TLS files). */
int http_setup(struct web *w, struct event_base *base, const struct webconf *conf,
               struct model *model, FILE *errs);

/* Free the server and listeners. */
void http_teardown(struct web *w);

/* Security headers added to every response (exposed for actions.c). */
void http_add_headers(struct evhttp_request *req, const char *content_type, bool cacheable);

/* Send a small page or text with status code (headers included). */
void http_send_text(struct evhttp_request *req, int code, const char *reason, const char *text);

/* Send the buffer as a response with the given type (headers included). */
void http_send_buffer(struct evhttp_request *req, int code, const char *reason,
                      const char *content_type, struct evbuffer *body);

/* The request's path, percent-decoded into buf; -EINVAL when malformed
 * (NUL, too long, not starting with '/'). */
int http_decoded_path(struct evhttp_request *req, char *buf, size_t size);

#endif

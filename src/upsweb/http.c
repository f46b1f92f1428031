/*
 * http: evhttp set-up, the route table and the read-only handlers
 * (see http.h).  Handlers hold the model's lock only while rendering into
 * a buffer; the network write happens after it is released.
 */
#include "http.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "actions.h"
#include "assets.h"
#include "log.h"
#include "render.h"
#include "str.h"

#define CSP                                                                                        \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "                \
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

void
http_add_headers(struct evhttp_request *req, const char *content_type, bool cacheable)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_remove_header(h, "Content-Type");
	evhttp_add_header(h, "Content-Type", content_type);
	evhttp_add_header(h, "Content-Security-Policy", CSP);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cross-Origin-Opener-Policy", "same-origin");
	evhttp_add_header(h, "Cross-Origin-Resource-Policy", "same-origin");
	evhttp_add_header(h, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
	evhttp_add_header(h, "Cache-Control", cacheable ? "public, max-age=300" : "no-store");
	/* Served over our own TLS: tell the browser to stay on it. */
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	if (bev && bufferevent_openssl_get_ssl(bev))
		evhttp_add_header(h, "Strict-Transport-Security", "max-age=31536000");
}

void
http_send_buffer(struct evhttp_request *req, int code, const char *reason, const char *content_type,
                 struct evbuffer *body)
{
	http_add_headers(req, content_type, false);
	evhttp_send_reply(req, code, reason, body);
}

void
http_send_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	if (!b) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evbuffer_add_printf(b, "%s\n", text);
	http_send_buffer(req, code, reason, "text/plain; charset=utf-8", b);
	evbuffer_free(b);
}

int
http_decoded_path(struct evhttp_request *req, char *buf, size_t size)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *raw = uri ? evhttp_uri_get_path(uri) : NULL;
	size_t len = 0;

	if (!raw || raw[0] != '/' || strlen(raw) >= HTTP_MAX_URI)
		return -EINVAL;
	char *dec = evhttp_uridecode(raw, 0, &len);
	if (!dec)
		return -ENOMEM;
	/* A %00 would cut the name short: refuse it rather than guess. */
	int r = (len != strlen(dec) || len >= size) ? -EINVAL : 0;
	if (r == 0)
		memcpy(buf, dec, len + 1);
	free(dec);
	return r;
}

static void
render_ctx_init(struct web *w, struct evhttp_request *req, struct render_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->now = (int64_t)time(NULL);
	c->allow_commands = w->conf->allow_commands;
	c->allow_writes = w->conf->allow_writes;
	if (w->actions)
		actions_fill_ctx(w->actions, req, c);
}

/* ---- handlers ---- */

typedef void (*handler_fn)(struct web *w, struct evhttp_request *req, const char *id);

static void
h_healthz(struct web *w, struct evhttp_request *req, const char *id)
{
	char text[128];
	size_t up = 0;

	pthread_mutex_lock(&w->model->lock);
	for (size_t i = 0; i < w->model->nups; i++)
		up += w->model->ups[i].reachable;
	size_t n = w->model->nups;
	pthread_mutex_unlock(&w->model->lock);
	snprintf(text, sizeof(text), "ok %zu/%zu ups reachable", up, n);
	http_send_text(req, HTTP_OK, "OK", text);
	(void)id;
}

static void
h_metrics(struct web *w, struct evhttp_request *req, const char *id)
{
	struct evbuffer *b = evbuffer_new();
	struct render_ctx c;
	int r;

	render_ctx_init(w, req, &c);
	if (!b) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	pthread_mutex_lock(&w->model->lock);
	r = render_metrics(b, w->model, &c);
	pthread_mutex_unlock(&w->model->lock);
	if (r < 0)
		http_send_text(req, HTTP_INTERNAL, "Internal Server Error", "out of memory");
	else
		http_send_buffer(req, HTTP_OK, "OK", "text/plain; version=0.0.4; charset=utf-8", b);
	evbuffer_free(b);
	(void)id;
}

static void
h_static(struct web *w, struct evhttp_request *req, const char *id)
{
	const struct asset *a = assets_find(id);

	if (!a) {
		http_send_text(req, HTTP_NOTFOUND, "Not Found", "not found");
		return;
	}
	struct evbuffer *b = evbuffer_new();
	if (!b) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evbuffer_add_reference(b, a->data, a->len, NULL, NULL);
	http_add_headers(req, a->type, true);
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
	(void)w;
}

enum page {
	P_OVERVIEW,
	P_UPS,
	P_LIST_JSON,
	P_UPS_JSON,
	P_HIST_JSON,
};

static int64_t
query_since(struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq params;
	long v = 0;

	if (!q || evhttp_parse_query_str(q, &params) != 0)
		return 0;
	const char *s = evhttp_find_header(&params, "since");
	if (!s || str_to_long(s, 0, 1L << 40, &v) < 0)
		v = 0;
	evhttp_clear_headers(&params);
	return v;
}

static void
serve_page(struct web *w, struct evhttp_request *req, const char *id, enum page p)
{
	struct evbuffer *b = evbuffer_new();
	struct render_ctx c;
	bool json = p == P_LIST_JSON || p == P_UPS_JSON || p == P_HIST_JSON;
	bool found = true;
	int64_t since = p == P_HIST_JSON ? query_since(req) : 0;

	if (!b) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	render_ctx_init(w, req, &c);
	pthread_mutex_lock(&w->model->lock);
	struct model_ups *u = id ? model_find(w->model, id) : NULL;
	if (id && !u)
		found = false;
	else if (p == P_OVERVIEW)
		render_overview_html(b, w->model, &c);
	else if (p == P_UPS)
		render_ups_html(b, w->model, u, &c);
	else if (p == P_LIST_JSON)
		render_list_json(b, w->model, &c);
	else if (p == P_UPS_JSON)
		render_ups_json(b, w->model, u, &c);
	else
		render_history_json(b, w->model, u, since);
	pthread_mutex_unlock(&w->model->lock);
	if (!found && json)
		evbuffer_add_printf(b, "{\"error\":\"unknown UPS\"}\n");
	else if (!found)
		render_message_html(b, "Unknown UPS",
		                    "No UPS of that name is listed in hosts.conf.");
	http_send_buffer(req, found ? HTTP_OK : HTTP_NOTFOUND, found ? "OK" : "Not Found",
	                 json ? "application/json" : "text/html; charset=utf-8", b);
	evbuffer_free(b);
}

static void
h_overview(struct web *w, struct evhttp_request *req, const char *id)
{
	serve_page(w, req, NULL, P_OVERVIEW);
	(void)id;
}

static void
h_ups(struct web *w, struct evhttp_request *req, const char *id)
{
	serve_page(w, req, id, P_UPS);
}

static void
h_list_json(struct web *w, struct evhttp_request *req, const char *id)
{
	serve_page(w, req, NULL, P_LIST_JSON);
	(void)id;
}

static void
h_ups_json(struct web *w, struct evhttp_request *req, const char *id)
{
	serve_page(w, req, id, P_UPS_JSON);
}

static void
h_hist_json(struct web *w, struct evhttp_request *req, const char *id)
{
	serve_page(w, req, id, P_HIST_JSON);
}

/* ---- routing ---- */

enum need {
	NEED_NOTHING,
	NEED_COMMANDS, /* ALLOW_COMMANDS */
	NEED_WRITES,   /* ALLOW_WRITES */
	NEED_ACTIONS,  /* either */
};

struct route {
	const char *prefix;
	const char *suffix; /* NULL: exact path; else prefix + id + suffix */
	unsigned methods;   /* EVHTTP_REQ_* */
	enum need need;
	handler_fn fn;
};

#define GET_HEAD (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD)

static void
h_login(struct web *w, struct evhttp_request *req, const char *id)
{
	actions_handle(w->actions, req, ACTIONS_LOGIN, NULL);
	(void)id;
}

static void
h_logout(struct web *w, struct evhttp_request *req, const char *id)
{
	actions_handle(w->actions, req, ACTIONS_LOGOUT, NULL);
	(void)id;
}

static void
h_command(struct web *w, struct evhttp_request *req, const char *id)
{
	actions_handle(w->actions, req, ACTIONS_COMMAND, id);
}

static void
h_set(struct web *w, struct evhttp_request *req, const char *id)
{
	actions_handle(w->actions, req, ACTIONS_SET, id);
}

static const struct route routes[] = {
    {"/", NULL, GET_HEAD, NEED_NOTHING, h_overview},
    {"/healthz", NULL, GET_HEAD, NEED_NOTHING, h_healthz},
    {"/metrics", NULL, GET_HEAD, NEED_NOTHING, h_metrics},
    {"/api/v1/ups", NULL, GET_HEAD, NEED_NOTHING, h_list_json},
    {"/static/", "", GET_HEAD, NEED_NOTHING, h_static},
    {"/api/v1/ups/", "/history", GET_HEAD, NEED_NOTHING, h_hist_json},
    {"/api/v1/ups/", "", GET_HEAD, NEED_NOTHING, h_ups_json},
    {"/login", NULL, GET_HEAD | EVHTTP_REQ_POST, NEED_ACTIONS, h_login},
    {"/logout", NULL, EVHTTP_REQ_POST, NEED_ACTIONS, h_logout},
    {"/ups/", "/command", EVHTTP_REQ_POST, NEED_COMMANDS, h_command},
    {"/ups/", "/set", EVHTTP_REQ_POST, NEED_WRITES, h_set},
    {"/ups/", "", GET_HEAD, NEED_NOTHING, h_ups},
};

static bool
route_enabled(const struct web *w, enum need n)
{
	switch (n) {
	case NEED_NOTHING:
		return true;
	case NEED_COMMANDS:
		return w->conf->allow_commands && w->actions;
	case NEED_WRITES:
		return w->conf->allow_writes && w->actions;
	case NEED_ACTIONS:
		return w->actions != NULL;
	}
	return false;
}

/* Match path against r; on success *id points into idbuf (or is NULL). */
static bool
route_match(const struct route *r, const char *path, char *idbuf, size_t size, const char **id)
{
	size_t plen = strlen(r->prefix), len = strlen(path);

	*id = NULL;
	if (!r->suffix)
		return strcmp(path, r->prefix) == 0;
	size_t slen = strlen(r->suffix);
	if (len <= plen + slen || strncmp(path, r->prefix, plen) != 0 ||
	    strcmp(path + len - slen, r->suffix) != 0)
		return false;
	size_t idlen = len - plen - slen;
	if (idlen >= size || memchr(path + plen, '/', idlen))
		return false;
	memcpy(idbuf, path + plen, idlen);
	idbuf[idlen] = '\0';
	*id = idbuf;
	return true;
}

static void touch(struct web *w, struct evhttp_request *req);

/* evhttp writes the headers and the body separately; with Nagle's
 * algorithm the body then waits for the client's delayed ACK (40 ms). */
static void
no_delay(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
	int one = 1;

	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void
dispatch(struct evhttp_request *req, void *arg)
{
	struct web *w = arg;
	char path[HTTP_MAX_URI], idbuf[HTTP_MAX_URI];
	const char *id;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);

	w->requests++;
	touch(w, req);
	no_delay(req);
	if (http_decoded_path(req, path, sizeof(path)) < 0) {
		http_send_text(req, HTTP_BADREQUEST, "Bad Request", "bad request target");
		return;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		if (!route_enabled(w, r->need) || !route_match(r, path, idbuf, sizeof(idbuf), &id))
			continue;
		if (!(r->methods & method)) {
			evhttp_add_header(
			    evhttp_request_get_output_headers(req), "Allow",
			    r->methods & EVHTTP_REQ_POST
			        ? (r->methods & EVHTTP_REQ_GET ? "GET, HEAD, POST" : "POST")
			        : "GET, HEAD");
			http_send_text(req, 405, "Method Not Allowed", "method not allowed");
			return;
		}
		log_debug(2, "%s %s", method == EVHTTP_REQ_POST ? "POST" : "GET", path);
		r->fn(w, req, id);
		return;
	}
	http_send_text(req, HTTP_NOTFOUND, "Not Found", "not found");
}

/* ---- listeners, limits, TLS ---- */

static void
resume_accept(evutil_socket_t fd, short what, void *arg)
{
	evconnlistener_enable(arg);
	(void)fd;
	(void)what;
}

/* accept() failed for a reason that is not "try again": out of file
 * descriptors (the connection bound, RLIMIT_NOFILE) or memory.  Stop
 * accepting on this listener for a moment instead of spinning on a socket
 * that stays readable; connections already open keep being served. */
static void
accept_error(struct evconnlistener *lev, void *arg)
{
	struct timeval tv = {0, HTTP_ACCEPT_PAUSE_MS * 1000};

	evconnlistener_disable(lev);
	if (event_base_once(evconnlistener_get_base(lev), -1, EV_TIMEOUT, resume_accept, lev, &tv) <
	    0)
		evconnlistener_enable(lev);
	log_debug(1, "accept paused: %s", strerror(errno));
	(void)arg;
}

/*
 * Request deadline.  evhttp's timeout restarts with every byte, so a client
 * sending one header byte every few seconds would hold its connection for
 * hours.  Every connection's bufferevent is created here and tracked with
 * an extra reference: a connection that has not delivered a complete
 * request within `deadline` seconds (of being accepted, or of its previous
 * request) is shut down, and evhttp then frees it.  evhttp clears the
 * callbacks of a bufferevent it has freed, which is how the sweep knows to
 * drop its reference.
 */
static int64_t
mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

static void
track(struct web *w, struct bufferevent *bev)
{
	for (size_t i = 0; i < w->nconns; i++) {
		if (w->conns[i].bev)
			continue;
		bufferevent_incref(bev);
		w->conns[i] = (struct http_conn){.bev = bev, .since = mono_s()};
		return;
	}
	/* More connections than descriptors cannot happen; untracked is safe. */
}

static void
touch(struct web *w, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;

	for (size_t i = 0; bev && i < w->nconns; i++)
		if (w->conns[i].bev == bev) {
			w->conns[i].since = mono_s();
			return;
		}
}

static void
sweep(evutil_socket_t fd, short what, void *arg)
{
	struct web *w = arg;
	int64_t now = mono_s();

	for (size_t i = 0; i < w->nconns; i++) {
		struct http_conn *c = &w->conns[i];
		bufferevent_event_cb ecb = NULL;
		if (!c->bev)
			continue;
		bufferevent_getcb(c->bev, NULL, NULL, &ecb, NULL);
		if (!ecb) {
			bufferevent_decref(c->bev); /* evhttp is done with it */
			*c = (struct http_conn){0};
		} else if (!c->cut && now - c->since > w->deadline) {
			evutil_socket_t s = bufferevent_getfd(c->bev);
			if (s >= 0)
				shutdown(s, SHUT_RDWR);
			c->cut = true;
			log_debug(1, "connection dropped: no complete request in %d s",
			          w->deadline);
		}
	}
	(void)fd;
	(void)what;
}

static struct bufferevent *
bevcb(struct event_base *base, void *arg)
{
	struct web *w = arg;
	struct bufferevent *bev;

	if (w->tls) {
		SSL *ssl = SSL_new(w->tls);
		if (!ssl)
			return NULL;
		bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
		                                     BEV_OPT_CLOSE_ON_FREE);
	} else {
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	}
	if (bev)
		track(w, bev);
	return bev;
}

static void
conns_free(struct web *w)
{
	for (size_t i = 0; i < w->nconns; i++)
		if (w->conns[i].bev)
			bufferevent_decref(w->conns[i].bev);
	free(w->conns);
	w->conns = NULL;
	w->nconns = 0;
}

static int
tls_setup(struct web *w, const struct webconf *conf, FILE *errs)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx)
		return -ENOMEM;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(ctx, conf->certfile) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, conf->keyfile, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		char e[256];
		ERR_error_string_n(ERR_get_error(), e, sizeof(e));
		fprintf(errs, "TLS: cannot use CERTFILE %s / KEYFILE %s: %s\n", conf->certfile,
		        conf->keyfile, e);
		SSL_CTX_free(ctx);
		return -EINVAL;
	}
	w->tls = ctx;
	return 0;
}

int
http_setup(struct web *w, struct event_base *base, const struct webconf *conf, struct model *model,
           FILE *errs)
{
	/* Every method reaches dispatch(), which answers 404 or 405 with the
	 * security headers; evhttp's own 501 page would lack them. */
	unsigned methods = EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	                   EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH |
	                   EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT;

	w->base = base;
	w->conf = conf;
	w->model = model;
	w->http = evhttp_new(base);
	if (!w->http)
		return -ENOMEM;
	evhttp_set_allowed_methods(w->http, (ev_uint16_t)methods);
	evhttp_set_max_headers_size(w->http, HTTP_MAX_HEADERS_SIZE);
	evhttp_set_max_body_size(w->http, HTTP_MAX_BODY_SIZE);
	evhttp_set_timeout(w->http, conf->request_timeout);
	evhttp_set_default_content_type(w->http, "text/plain; charset=utf-8");
	evhttp_set_gencb(w->http, dispatch, w);
	if (conf->certfile[0] && tls_setup(w, conf, errs) < 0)
		return -EINVAL;
	w->deadline = 2 * conf->request_timeout;
	w->nconns = (size_t)conf->max_connections + 64;
	w->conns = calloc(w->nconns, sizeof(*w->conns));
	w->sweep = event_new(base, -1, EV_PERSIST, sweep, w);
	struct timeval every = {HTTP_SWEEP_MS / 1000, (HTTP_SWEEP_MS % 1000) * 1000};
	if (!w->conns || !w->sweep || event_add(w->sweep, &every) < 0)
		return -ENOMEM;
	evhttp_set_bevcb(w->http, bevcb, w);
	for (size_t i = 0; i < conf->nlisten; i++) {
		const struct webconf_listen *l = &conf->listen[i];
		struct evhttp_bound_socket *bs =
		    evhttp_bind_socket_with_handle(w->http, l->addr, l->port);
		if (!bs) {
			int e = errno ? errno : EADDRNOTAVAIL;
			fprintf(errs, "cannot listen on %s port %u: %s\n", l->addr,
			        (unsigned)l->port, strerror(e));
			return -e;
		}
		struct evconnlistener *lev = evhttp_bound_socket_get_listener(bs);
		evconnlistener_set_error_cb(lev, accept_error);
		w->listeners[w->nlisteners++] = lev;
	}
	return 0;
}

void
http_teardown(struct web *w)
{
	if (w->sweep)
		event_free(w->sweep);
	w->sweep = NULL;
	if (w->http)
		evhttp_free(w->http);
	conns_free(w);
	if (w->tls)
		SSL_CTX_free(w->tls);
	w->http = NULL;
	w->tls = NULL;
}

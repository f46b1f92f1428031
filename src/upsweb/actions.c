/*
 * actions: login, CSRF, rate limiting and the upsd write requests
 * (see actions.h).
 *
 * State lives in struct actions and is touched only from the event loop,
 * except the job queue, which the worker thread shares under a mutex.
 * Finished jobs come back to the loop through a pipe.
 */
#include "actions.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "http.h"
#include "log.h"
#include "poller.h"
#include "str.h"

#define SESSION_COOKIE "upsweb_session"
#define PRELOGIN_COOKIE "upsweb_login"
#define RESULT_MAX 256

struct session {
	bool used;
	char id[ACTIONS_TOKEN_LEN + 1];
	char csrf[ACTIONS_TOKEN_LEN + 1];
	char user[UCL_CRED_MAX];
	char pass[UCL_CRED_MAX];
	int64_t last_used;
};

struct client_rate {
	char addr[64];
	int64_t window_start;
	int count;
};

enum job_kind {
	JOB_INSTCMD,
	JOB_SETVAR,
};

struct job {
	enum job_kind kind;
	struct evhttp_request *req;
	char ups_id[2 * MODEL_NAME_MAX + 8];
	char ups[MODEL_NAME_MAX];
	char host[POLLER_ADDR_MAX];
	char tls_name[MODEL_NAME_MAX];
	uint16_t port;
	char user[UCL_CRED_MAX];
	char pass[UCL_CRED_MAX];
	char name[MODEL_NAME_MAX]; /* command or variable */
	char value[UCL_VALUE_MAX]; /* SET value or command parameter ("" = none) */
	int result;                /* 0 or an error code */
	char text[RESULT_MAX];
	struct job *next;
};

struct actions {
	struct event_base *base;
	const struct webconf *conf;
	struct model *model;
	struct poller *poller;
	struct ucl_options opts;
	struct session sessions[ACTIONS_MAX_SESSIONS];
	struct client_rate rates[ACTIONS_MAX_CLIENTS];
	int pipe[2];
	struct event *done_ev;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *queue; /* FIFO, guarded by lock */
	size_t pending;    /* jobs queued or running */
	bool stop;
};

/* ---- small helpers ---- */

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

static int
random_token(char out[ACTIONS_TOKEN_LEN + 1])
{
	unsigned char raw[ACTIONS_TOKEN_LEN / 2];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/* Constant-time comparison of two tokens of the same expected length. */
static bool
token_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != ACTIONS_TOKEN_LEN || lb != ACTIONS_TOKEN_LEN;

	for (size_t i = 0; i < ACTIONS_TOKEN_LEN && i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static void
wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

char *
actions_form_value(const char *body, const char *key)
{
	struct evkeyvalq q;
	char *r = NULL;

	if (evhttp_parse_query_str(body, &q) != 0)
		return NULL;
	const char *v = evhttp_find_header(&q, key);
	if (v)
		r = strdup(v);
	/* The parsed copy may hold a password: wipe it before freeing. */
	for (struct evkeyval *kv = q.tqh_first; kv; kv = kv->next.tqe_next)
		if (kv->value)
			wipe(kv->value, strlen(kv->value));
	evhttp_clear_headers(&q);
	return r;
}

/* The request body as a NUL-terminated string (bounded by evhttp's
 * HTTP_MAX_BODY_SIZE); NULL on OOM. */
static char *
body_string(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);

	if (len > HTTP_MAX_BODY_SIZE)
		return NULL;
	char *s = malloc(len + 1);
	if (!s)
		return NULL;
	evbuffer_copyout(in, s, len);
	s[len] = '\0';
	return s;
}

static void
free_body(char *s)
{
	if (s) {
		wipe(s, strlen(s));
		free(s);
	}
}

/* Value of cookie `name` in the request, into buf; false when absent. */
static bool
cookie_value(struct evhttp_request *req, const char *name, char *buf, size_t size)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Cookie");
	size_t nlen = strlen(name);

	while (h && *h) {
		while (*h == ' ' || *h == ';')
			h++;
		size_t len = strcspn(h, ";");
		if (len > nlen && strncmp(h, name, nlen) == 0 && h[nlen] == '=') {
			size_t vlen = len - nlen - 1;
			if (vlen >= size)
				return false;
			memcpy(buf, h + nlen + 1, vlen);
			buf[vlen] = '\0';
			return true;
		}
		h += len;
	}
	return false;
}

static void
set_cookie(struct actions *a, struct evhttp_request *req, const char *name, const char *value,
           const char *path, int max_age)
{
	char c[256];

	snprintf(c, sizeof(c), "%s=%s; Path=%s; Max-Age=%d; HttpOnly; SameSite=Strict%s", name,
	         value, path, max_age, a->conf->certfile[0] ? "; Secure" : "");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", c);
}

static void
peer_addr(struct evhttp_request *req, char *buf, size_t size)
{
	char *addr = NULL;
	ev_uint16_t port = 0;
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);

	if (evcon)
		evhttp_connection_get_peer(evcon, &addr, &port);
	str_copy(buf, addr ? addr : "?", size);
}

/* ---- sessions and rate limit ---- */

static struct session *
session_of(struct actions *a, struct evhttp_request *req)
{
	char id[ACTIONS_TOKEN_LEN + 8];
	int64_t now = now_s();

	if (!cookie_value(req, SESSION_COOKIE, id, sizeof(id)))
		return NULL;
	for (size_t i = 0; i < ACTIONS_MAX_SESSIONS; i++) {
		struct session *s = &a->sessions[i];
		if (!s->used || !token_eq(s->id, id))
			continue;
		if (now - s->last_used > a->conf->session_timeout) {
			wipe(s, sizeof(*s));
			return NULL;
		}
		s->last_used = now;
		return s;
	}
	return NULL;
}

static struct session *
session_new(struct actions *a, const char *user, const char *pass)
{
	struct session *s = NULL;

	for (size_t i = 0; i < ACTIONS_MAX_SESSIONS; i++) {
		struct session *c = &a->sessions[i];
		if (!c->used) {
			s = c;
			break;
		}
		if (!s || c->last_used < s->last_used)
			s = c; /* least recently used, dropped if all are taken */
	}
	wipe(s, sizeof(*s));
	if (random_token(s->id) < 0 || random_token(s->csrf) < 0)
		return NULL;
	str_copy(s->user, user, sizeof(s->user));
	str_copy(s->pass, pass, sizeof(s->pass));
	s->last_used = now_s();
	s->used = true;
	return s;
}

/* Count one attempt from the request's address; false when over the limit. */
static bool
rate_ok(struct actions *a, struct evhttp_request *req)
{
	char addr[64];
	int64_t now = now_s();
	struct client_rate *r = NULL, *oldest = NULL;

	peer_addr(req, addr, sizeof(addr));
	for (size_t i = 0; i < ACTIONS_MAX_CLIENTS; i++) {
		struct client_rate *c = &a->rates[i];
		if (c->addr[0] && strcmp(c->addr, addr) == 0) {
			r = c;
			break;
		}
		if (!oldest || c->window_start < oldest->window_start)
			oldest = c;
	}
	if (!r) {
		r = oldest;
		str_copy(r->addr, addr, sizeof(r->addr));
		r->window_start = now;
		r->count = 0;
	}
	if (now - r->window_start >= a->conf->login_rate_window) {
		r->window_start = now;
		r->count = 0;
	}
	if (r->count >= a->conf->login_rate_count)
		return false;
	r->count++;
	return true;
}

/* A POST must come from our own pages: when the browser says where the
 * form came from (Origin), it must be this host. */
static bool
origin_ok(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *origin = evhttp_find_header(h, "Origin");
	const char *host = evhttp_find_header(h, "Host");

	if (!origin)
		return true;
	if (!host)
		return false;
	const char *p = strstr(origin, "://");
	return p && strcmp(p + 3, host) == 0;
}

/* ---- responses ---- */

static void
send_page(struct evhttp_request *req, int code, const char *reason, const char *title,
          const char *text)
{
	struct evbuffer *b = evbuffer_new();
	if (!b) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	render_message_html(b, title, text);
	http_send_buffer(req, code, reason, "text/html; charset=utf-8", b);
	evbuffer_free(b);
}

static void
redirect(struct evhttp_request *req, const char *to)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Location", to);
	http_send_text(req, 303, "See Other", "see other");
}

static void
too_many(struct actions *a, struct evhttp_request *req)
{
	char s[16];
	snprintf(s, sizeof(s), "%d", a->conf->login_rate_window);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", s);
	send_page(req, 429, "Too Many Requests", "Too many attempts",
	          "Too many sign-in or action attempts from your address; wait and try again.");
}

/* ---- login / logout ---- */

static void
login_form(struct actions *a, struct evhttp_request *req)
{
	char token[ACTIONS_TOKEN_LEN + 1];
	struct render_ctx c = {.now = now_s(),
	                       .allow_commands = a->conf->allow_commands,
	                       .allow_writes = a->conf->allow_writes};
	struct evbuffer *b = evbuffer_new();

	if (!b || random_token(token) < 0) {
		if (b)
			evbuffer_free(b);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	c.csrf = token;
	set_cookie(a, req, PRELOGIN_COOKIE, token, "/login", 600);
	render_login_html(b, &c, "/");
	http_send_buffer(req, HTTP_OK, "OK", "text/html; charset=utf-8", b);
	evbuffer_free(b);
}

/* A redirect target from a form: a local path only ("/x", never "//x"). */
static const char *
safe_next(const char *next)
{
	if (!next || next[0] != '/' || next[1] == '/' || next[1] == '\\' || strlen(next) > 200 ||
	    strpbrk(next, "\r\n"))
		return "/";
	return next;
}

static void
login_post(struct actions *a, struct evhttp_request *req)
{
	char pre[ACTIONS_TOKEN_LEN + 8];
	char *body = body_string(req), *csrf = NULL, *user = NULL, *pass = NULL, *next = NULL;

	if (!origin_ok(req)) {
		send_page(req, 403, "Forbidden", "Refused", "Cross-site form refused.");
		goto out;
	}
	if (!rate_ok(a, req)) {
		too_many(a, req);
		goto out;
	}
	if (body) {
		csrf = actions_form_value(body, "csrf");
		user = actions_form_value(body, "username");
		pass = actions_form_value(body, "password");
		next = actions_form_value(body, "next");
	}
	if (!csrf || !cookie_value(req, PRELOGIN_COOKIE, pre, sizeof(pre)) ||
	    !token_eq(csrf, pre)) {
		send_page(req, 403, "Forbidden", "Refused",
		          "The sign-in form expired or was not sent from this site; reload it.");
		goto out;
	}
	if (!user || !pass || !ucl_cred_sendable(user) || !ucl_cred_sendable(pass)) {
		send_page(req, 400, "Bad Request", "Sign-in failed",
		          "User name and password must be non-empty and without spaces, quotes, "
		          "backslashes, '#' or '=' (upsd's clients cannot send those).");
		goto out;
	}
	struct session *s = session_new(a, user, pass);
	if (!s) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		goto out;
	}
	char addr[64];
	peer_addr(req, addr, sizeof(addr));
	log_info("session opened for upsd user %s from %s", user, addr);
	set_cookie(a, req, SESSION_COOKIE, s->id, "/", a->conf->session_timeout);
	set_cookie(a, req, PRELOGIN_COOKIE, "", "/login", 0);
	redirect(req, safe_next(next));
out:
	free_body(body);
	free_body(csrf);
	free_body(user);
	free_body(pass);
	free_body(next);
}

static void
logout_post(struct actions *a, struct evhttp_request *req)
{
	char *body = body_string(req);
	char *csrf = body ? actions_form_value(body, "csrf") : NULL;
	struct session *s = session_of(a, req);

	if (s && csrf && token_eq(csrf, s->csrf))
		wipe(s, sizeof(*s));
	set_cookie(a, req, SESSION_COOKIE, "", "/", 0);
	redirect(req, "/");
	free_body(body);
	free_body(csrf);
}

/* ---- the worker ---- */

static void
job_run(struct actions *a, struct job *j)
{
	struct ucl_conn *c = NULL;
	struct ucl_options o = a->opts;
	char err[UCL_ERRMSG_MAX] = "", track[UCL_TRACKID_MAX] = "";
	enum ucl_track res = UCL_TRACK_PENDING;
	int r;

	o.tls_name = j->tls_name;
	r = ucl_connect(&c, j->host, j->port, &o, err);
	if (r < 0) {
		snprintf(j->text, sizeof(j->text), "cannot reach upsd: %s", err);
		j->result = r;
		return;
	}
	r = ucl_auth(c, j->user, j->pass);
	if (r == 0)
		(void)ucl_set_tracking(c, true);
	if (r == 0 && j->kind == JOB_INSTCMD)
		r = ucl_instcmd(c, j->ups, j->name, j->value[0] ? j->value : NULL, track);
	else if (r == 0)
		r = ucl_set_var(c, j->ups, j->name, j->value, track);
	if (r == 0 && track[0] &&
	    ucl_wait_tracking(c, track, ACTIONS_TRACK_WAIT_MS, 200, &res) == 0)
		snprintf(j->text, sizeof(j->text), "upsd accepted it; the driver says %s",
		         ucl_track_name(res));
	else if (r == 0)
		snprintf(j->text, sizeof(j->text), "upsd accepted it");
	else
		snprintf(j->text, sizeof(j->text), "upsd refused: %s", ucl_errmsg(c));
	j->result = r;
	ucl_close(c);
}

static void *
worker_main(void *arg)
{
	struct actions *a = arg;

	for (;;) {
		pthread_mutex_lock(&a->lock);
		while (!a->stop && !a->queue)
			pthread_cond_wait(&a->cond, &a->lock);
		if (a->stop) {
			pthread_mutex_unlock(&a->lock);
			break;
		}
		struct job *j = a->queue;
		a->queue = j->next;
		pthread_mutex_unlock(&a->lock);
		job_run(a, j);
		wipe(j->pass, sizeof(j->pass));
		/* A pointer is written atomically to a pipe (< PIPE_BUF). */
		while (write(a->pipe[1], &j, sizeof(j)) < 0 && errno == EINTR)
			;
	}
	return NULL;
}

static void
job_done(evutil_socket_t fd, short what, void *arg)
{
	struct actions *a = arg;
	struct job *j;

	while (read(fd, &j, sizeof(j)) == (ssize_t)sizeof(j)) {
		a->pending--;
		log_info("%s %s on %s by %s: %s", j->kind == JOB_INSTCMD ? "INSTCMD" : "SET VAR",
		         j->name, j->ups_id, j->user, j->text);
		int code = j->result == 0                     ? HTTP_OK
		           : j->result == UCL_E_ACCESS_DENIED ? 403
		           : ucl_err_is_server(j->result)     ? 409
		                                              : 502;
		send_page(j->req, code, j->result == 0 ? "OK" : "Failed",
		          j->result == 0 ? "Done" : "Failed", j->text);
		poller_kick(a->poller);
		wipe(j, sizeof(*j));
		free(j);
	}
	(void)what;
}

static bool
name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n >= MODEL_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static void
action_post(struct actions *a, struct evhttp_request *req, const char *id, enum job_kind kind)
{
	char *body = body_string(req), *csrf = NULL, *name = NULL, *value = NULL;
	struct session *s = session_of(a, req);
	struct job *j = NULL;

	if (!origin_ok(req)) {
		send_page(req, 403, "Forbidden", "Refused", "Cross-site form refused.");
		goto out;
	}
	if (!s) {
		send_page(req, 403, "Forbidden", "Sign in first",
		          "Your session expired or you are not signed in.");
		goto out;
	}
	if (body) {
		csrf = actions_form_value(body, "csrf");
		name = actions_form_value(body, kind == JOB_INSTCMD ? "cmd" : "var");
		value = actions_form_value(body, kind == JOB_INSTCMD ? "param" : "value");
	}
	if (!csrf || !token_eq(csrf, s->csrf)) {
		send_page(req, 403, "Forbidden", "Refused", "Missing or wrong CSRF token.");
		goto out;
	}
	if (!rate_ok(a, req)) {
		too_many(a, req);
		goto out;
	}
	if (!name_ok(name) || (kind == JOB_SETVAR && !value) ||
	    (value && strlen(value) >= UCL_VALUE_MAX)) {
		send_page(req, 400, "Bad Request", "Bad request",
		          "Missing or invalid name or value.");
		goto out;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		goto out;
	}
	pthread_mutex_lock(&a->model->lock);
	struct model_ups *u = model_find(a->model, id);
	if (u) {
		size_t i = (size_t)(u - a->model->ups);
		str_copy(j->ups_id, u->id, sizeof(j->ups_id));
		str_copy(j->ups, u->name, sizeof(j->ups));
		str_copy(j->tls_name, u->host, sizeof(j->tls_name));
		str_copy(j->host, poller_addr(a->poller, i), sizeof(j->host));
		j->port = u->port;
	}
	pthread_mutex_unlock(&a->model->lock);
	if (!u) {
		send_page(req, 404, "Not Found", "Unknown UPS", "No such UPS in hosts.conf.");
		goto out;
	}
	j->kind = kind;
	j->req = req;
	str_copy(j->user, s->user, sizeof(j->user));
	str_copy(j->pass, s->pass, sizeof(j->pass));
	str_copy(j->name, name, sizeof(j->name));
	str_copy(j->value, value ? value : "", sizeof(j->value));
	pthread_mutex_lock(&a->lock);
	bool full = a->pending >= ACTIONS_MAX_PENDING;
	if (!full) {
		struct job **tail = &a->queue;
		while (*tail)
			tail = &(*tail)->next;
		*tail = j;
		a->pending++;
		pthread_cond_signal(&a->cond);
	}
	pthread_mutex_unlock(&a->lock);
	if (full) {
		send_page(req, 503, "Service Unavailable", "Busy", "Too many actions in progress.");
		goto out;
	}
	j = NULL; /* the worker owns it now */
out:
	if (j) {
		wipe(j, sizeof(*j));
		free(j);
	}
	free_body(body);
	free_body(csrf);
	free_body(name);
	free_body(value);
}

void
actions_handle(struct actions *a, struct evhttp_request *req, enum actions_route route,
               const char *id)
{
	bool post = evhttp_request_get_command(req) == EVHTTP_REQ_POST;

	switch (route) {
	case ACTIONS_LOGIN:
		if (post)
			login_post(a, req);
		else
			login_form(a, req);
		return;
	case ACTIONS_LOGOUT:
		logout_post(a, req);
		return;
	case ACTIONS_COMMAND:
	case ACTIONS_SET:
		if (!id) {
			send_page(req, 404, "Not Found", "Unknown UPS", "No such UPS.");
			return;
		}
		action_post(a, req, id, route == ACTIONS_COMMAND ? JOB_INSTCMD : JOB_SETVAR);
		return;
	}
}

void
actions_fill_ctx(struct actions *a, struct evhttp_request *req, struct render_ctx *c)
{
	struct session *s = session_of(a, req);
	if (s) {
		c->user = s->user;
		c->csrf = s->csrf;
	}
}

struct actions *
actions_new(struct event_base *base, const struct webconf *conf, struct model *model,
            struct poller *poller, const struct ucl_options *opts)
{
	struct actions *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->base = base;
	a->conf = conf;
	a->model = model;
	a->poller = poller;
	if (opts)
		a->opts = *opts;
	a->pipe[0] = a->pipe[1] = -1;
	if (pipe2(a->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		goto fail;
	a->done_ev = event_new(base, a->pipe[0], EV_READ | EV_PERSIST, job_done, a);
	if (!a->done_ev || event_add(a->done_ev, NULL) < 0)
		goto fail;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	return a;
fail:
	if (a->done_ev)
		event_free(a->done_ev);
	if (a->pipe[0] >= 0) {
		close(a->pipe[0]);
		close(a->pipe[1]);
	}
	free(a);
	return NULL;
}

int
actions_start(struct actions *a)
{
	int r = pthread_create(&a->thread, NULL, worker_main, a);
	if (r != 0)
		return -r;
	a->running = true;
	return 0;
}

void
actions_free(struct actions *a)
{
	if (!a)
		return;
	if (a->running) {
		pthread_mutex_lock(&a->lock);
		a->stop = true;
		pthread_cond_signal(&a->cond);
		pthread_mutex_unlock(&a->lock);
		pthread_join(a->thread, NULL);
	}
	while (a->queue) {
		struct job *j = a->queue;
		a->queue = j->next;
		wipe(j, sizeof(*j));
		free(j);
	}
	event_free(a->done_ev);
	close(a->pipe[0]);
	close(a->pipe[1]);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	wipe(a->sessions, sizeof(a->sessions));
	free(a);
}

/*
 * client: one network connection.
 *
 * Plaintext clients use one embedded event and direct read()/write():
 * a readiness event reads up to UPSD_READ_CHUNK bytes, dispatches every
 * complete line, and writes all replies of the batch with one write().
 * Only when the kernel does not take them all does the client get an
 * output queue, and it is not read again until that queue drains, so a
 * client that never reads holds at most one batch.  After STARTTLS the
 * connection moves to a bufferevent_openssl with the same rules.
 *
 * Idle clients cost no work: they sit in a list ordered by the time their
 * last line arrived, and the once-a-second sweep only looks at its head.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "upsd.h"

/* ---- output buffers ---- */

void
obuf_add(struct obuf *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 512;
		char *p;

		while (cap < o->len + n + 1)
			cap *= 2;
		if (!(p = realloc(o->buf, cap))) {
			o->oom = true;
			return;
		}
		o->buf = p;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

void
obuf_puts(struct obuf *o, const char *s)
{
	obuf_add(o, s, strlen(s));
}

void
obuf_printf(struct obuf *o, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		obuf_add(o, tmp, (size_t)n);
		return;
	}
	{
		char *p = malloc((size_t)n + 1);

		if (!p) {
			o->oom = true;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
		obuf_add(o, p, (size_t)n);
		free(p);
	}
}

void
obuf_head(struct obuf *o, const char *kind, const char *ups, const char *name)
{
	obuf_puts(o, kind);
	obuf_add(o, " ", 1);
	obuf_puts(o, ups);
	obuf_add(o, " ", 1);
	obuf_puts(o, name);
	obuf_add(o, " \"", 2);
}

void
obuf_escaped(struct obuf *o, const char *src)
{
	for (const char *p = src; *p; p++) {
		size_t run = strcspn(p, "\\\"#");

		obuf_add(o, p, run);
		p += run;
		if (!*p)
			break;
		obuf_add(o, "\\", 1);
		obuf_add(o, p, 1);
	}
}

void
obuf_free(struct obuf *o)
{
	free(o->buf);
	o->buf = NULL;
	o->len = o->cap = 0;
}

/* ---- bookkeeping ---- */

const char *
client_addr_str(const struct client *c, char *buf, size_t size)
{
	const void *a = c->addr.sa.sa_family == AF_INET6 ? (const void *)&c->addr.in6.sin6_addr
	                                                 : (const void *)&c->addr.in4.sin_addr;

	if (!inet_ntop(c->addr.sa.sa_family, a, buf, (socklen_t)size))
		snprintf(buf, size, "unknown");
	return buf;
}

static void
lru_unlink(struct client *c)
{
	struct server *srv = c->srv;

	if (c->prev)
		c->prev->next = c->next;
	else
		srv->clients_head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		srv->clients_tail = c->prev;
	c->prev = c->next = NULL;
}

static void
lru_append(struct client *c)
{
	struct server *srv = c->srv;

	c->prev = srv->clients_tail;
	c->next = NULL;
	if (srv->clients_tail)
		srv->clients_tail->next = c;
	else
		srv->clients_head = c;
	srv->clients_tail = c;
}

static void
touch(struct client *c, time_t now)
{
	c->last_heard = now;
	if (c->srv->clients_tail != c) {
		lru_unlink(c);
		lru_append(c);
	}
}

void
client_close(struct client *c)
{
	struct server *srv = c->srv;

	if (c->loginups && c->loginups->numlogins > 0)
		c->loginups->numlogins--;
	if (c->bev) {
		bufferevent_free(c->bev); /* closes fd */
	} else {
		event_del(&c->ev);
		if (c->fd >= 0)
			close(c->fd);
	}
	lru_unlink(c);
	srv->nclients--;
	if (c->tok) {
		tok_free(c->tok);
		free(c->tok);
	}
	if (c->out) {
		obuf_free(c->out);
		free(c->out);
	}
	free(c->stash);
	if (c->password)
		explicit_bzero(c->password, strlen(c->password));
	free(c->username);
	free(c->password);
	free(c);
}

void
client_sweep_idle(struct server *srv, time_t now)
{
	long timeout = srv->conf->client_timeout;

	while (srv->clients_head && now - srv->clients_head->last_heard > timeout) {
		char addr[INET6_ADDRSTRLEN];
		struct client *c = srv->clients_head;

		log_debug(1, "Disconnecting idle client %s",
		          client_addr_str(c, addr, sizeof(addr)));
		client_close(c);
	}
}

/* ---- input ---- */

static void plain_event(evutil_socket_t fd, short what, void *arg);
static void finish_batch(struct client *c);

static void
set_plain_event(struct client *c, short what)
{
	event_del(&c->ev);
	event_assign(&c->ev, c->srv->base, c->fd, what | EV_PERSIST, plain_event, c);
	event_add(&c->ev, NULL);
}

/*
 * Feed bytes through the tokenizer and dispatch complete lines.  Returns
 * the number of bytes consumed: less than len when dispatching stopped
 * (STARTTLS, LOGOUT, or a full reply batch).
 */
static size_t
feed(struct client *c, const char *data, size_t len)
{
	struct server *srv = c->srv;
	struct tokenizer *t = c->tok ? c->tok : &srv->shared_tok;
	size_t off = 0;

	if (c->flags & CL_DEAF)
		return len;

	while (off < len) {
		int ret;

		off += tok_feed(t, data + off, len - off, &ret);
		if (ret == TOK_ERROR) {
			char addr[INET6_ADDRSTRLEN];

			/* NUT answers nothing to a line it cannot parse, and its
			 * parser stays in the error state: the connection is
			 * never answered again and ends at the idle timeout. */
			log_debug(2, "Parse error on sock from %s: %s",
			          client_addr_str(c, addr, sizeof(addr)), tok_strerror(t->err));
			c->flags |= CL_DEAF;
			tok_free(t);
			if (t == &srv->shared_tok) {
				tok_init(t);
			} else {
				free(c->tok);
				c->tok = NULL;
			}
			return len;
		}
		if (ret != TOK_LINE)
			continue;
		touch(c, time(NULL));
		netcmd_dispatch(srv, c, &t->line);
		if (c->flags & (CL_CLOSING | CL_STARTTLS | CL_HELD) ||
		    srv->reply.len >= UPSD_CLIENT_OUT_MAX)
			break;
	}
	/* Keep a partial line with the client; the shared tokenizer moves. */
	if (!tok_idle(t) && t == &srv->shared_tok) {
		c->tok = malloc(sizeof(*c->tok));
		if (c->tok) {
			*c->tok = *t;
			tok_init(t);
		}
	} else if (tok_idle(t) && c->tok) {
		tok_free(c->tok);
		free(c->tok);
		c->tok = NULL;
	}
	return off;
}

/* Keep unprocessed input until the replies drain (bounded by one read). */
static void
stash(struct client *c, const char *data, size_t len)
{
	char *p;

	if (!len)
		return;
	p = malloc(len);
	if (!p)
		return;
	memcpy(p, data, len);
	free(c->stash);
	c->stash = p;
	c->stash_len = len;
}

static void
process(struct client *c, const char *data, size_t len)
{
	size_t used = feed(c, data, len);

	if (used < len && !(c->flags & (CL_CLOSING | CL_STARTTLS)))
		stash(c, data + used, len - used);
	finish_batch(c);
}

static void
plain_read(struct client *c)
{
	char buf[UPSD_READ_CHUNK];
	ssize_t n = read(c->fd, buf, sizeof(buf));

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		client_close(c);
		return;
	}
	if (n < 0)
		return;
	process(c, buf, (size_t)n);
}

/* Replay stashed input once the output queue is empty. */
static void
replay_stash(struct client *c)
{
	char *s = c->stash;
	size_t n = c->stash_len;

	c->stash = NULL;
	c->stash_len = 0;
	process(c, s, n);
	free(s);
}

/* ---- output ---- */

static void held_done(evutil_socket_t fd, short what, void *arg);

/* Write the queued output: 1 when the queue is now empty, 0 when some is
 * left, -1 on a connection error. */
static int
plain_flush(struct client *c)
{
	struct obuf *o = c->out;
	ssize_t n;

	if (!o)
		return 1;
	n = write(c->fd, o->buf, o->len);
	if (n < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	memmove(o->buf, o->buf + n, o->len - (size_t)n);
	o->len -= (size_t)n;
	if (o->len)
		return 0;
	obuf_free(o);
	free(o);
	c->out = NULL;
	return 1;
}

static void
queue_reply(struct client *c, const char *data, size_t len)
{
	if (!c->out && !(c->out = calloc(1, sizeof(*c->out)))) {
		c->flags |= CL_CLOSING;
		return;
	}
	obuf_add(c->out, data, len);
}

static void
after_output(struct client *c)
{
	if (c->out) {
		if (!(c->flags & CL_WRITE_WAIT)) {
			c->flags |= CL_WRITE_WAIT;
			set_plain_event(c, EV_WRITE);
		}
		return;
	}
	if (c->flags & CL_CLOSING) {
		client_close(c);
		return;
	}
	if (c->flags & CL_STARTTLS) {
		client_start_tls(c);
		return;
	}
	if (c->flags & CL_WRITE_WAIT) {
		c->flags &= ~CL_WRITE_WAIT;
		set_plain_event(c, EV_READ);
	}
	if (c->stash)
		replay_stash(c);
}

static void
hold(struct client *c, unsigned delay)
{
	struct timeval tv = {.tv_sec = delay};

	event_del(&c->ev);
	event_assign(&c->ev, c->srv->base, -1, 0, held_done, c);
	event_add(&c->ev, &tv);
}

static void
held_done(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;

	c->flags &= ~(CL_HELD | CL_WRITE_WAIT);
	if (c->bev) {
		bufferevent_enable(c->bev, EV_READ);
		if (c->out) {
			bufferevent_write(c->bev, c->out->buf, c->out->len);
			obuf_free(c->out);
			free(c->out);
			c->out = NULL;
		}
		event_del(&c->ev);
		return;
	}
	event_assign(&c->ev, c->srv->base, c->fd, EV_READ | EV_PERSIST, plain_event, c);
	event_add(&c->ev, NULL);
	if (plain_flush(c) < 0) {
		client_close(c);
		return;
	}
	after_output(c);
}

static void
finish_batch(struct client *c)
{
	struct obuf *r = &c->srv->reply;

	if (r->oom) {
		r->len = 0;
		r->oom = false;
		c->flags |= CL_CLOSING;
	}
	if (c->flags & CL_HELD) {
		unsigned delay = auth_fail_delay(c->srv, c);

		queue_reply(c, r->buf, r->len);
		r->len = 0;
		if (c->bev)
			bufferevent_disable(c->bev, EV_READ);
		hold(c, delay ? delay : 1);
		return;
	}
	if (c->bev) {
		if (r->len)
			bufferevent_write(c->bev, r->buf, r->len);
		r->len = 0;
		if (c->flags & CL_CLOSING)
			bufferevent_disable(c->bev, EV_READ);
		return;
	}
	if (r->len) {
		if (c->out) {
			queue_reply(c, r->buf, r->len);
		} else {
			ssize_t n = write(c->fd, r->buf, r->len);

			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				r->len = 0;
				client_close(c);
				return;
			}
			if (n < 0)
				n = 0;
			if ((size_t)n < r->len)
				queue_reply(c, r->buf + n, r->len - (size_t)n);
		}
		r->len = 0;
	}
	after_output(c);
}

static void
plain_event(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;

	if (what & EV_WRITE) {
		if (plain_flush(c) < 0) {
			client_close(c);
			return;
		}
		after_output(c);
		return;
	}
	if (what & EV_READ)
		plain_read(c);
}

/* ---- TLS ---- */

static void
tls_read(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v;

	while (evbuffer_peek(in, -1, NULL, &v, 1) > 0 && v.iov_len > 0) {
		size_t used = feed(c, v.iov_base, v.iov_len);

		evbuffer_drain(in, used);
		if (c->flags & CL_CLOSING) {
			evbuffer_drain(in, evbuffer_get_length(in));
			break;
		}
		if (used < v.iov_len || (c->flags & CL_HELD))
			break;
	}
	finish_batch(c);
	if (c->flags & CL_HELD)
		return;
	if (evbuffer_get_length(bufferevent_get_output(bev)) >= UPSD_CLIENT_OUT_MAX)
		bufferevent_disable(bev, EV_READ);
}

static void
tls_write(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;

	/* Called when the output queue has drained. */
	if (c->flags & CL_CLOSING) {
		client_close(c);
		return;
	}
	if (!(c->flags & CL_HELD))
		bufferevent_enable(bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_input(bev)))
		tls_read(bev, c);
}

static void
tls_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;
	char addr[INET6_ADDRSTRLEN];

	if (what & BEV_EVENT_CONNECTED) {
		log_debug(1, "TLS established with %s", client_addr_str(c, addr, sizeof(addr)));
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
		unsigned long e = bufferevent_get_openssl_error(bev);

		if (e) {
			char msg[256];

			ERR_error_string_n(e, msg, sizeof(msg));
			log_warn("TLS with %s failed: %s", client_addr_str(c, addr, sizeof(addr)),
			         msg);
		}
		client_close(c);
	}
}

void
client_start_tls(struct client *c)
{
	SSL *ssl = SSL_new(c->srv->ssl_ctx);

	c->flags &= ~CL_STARTTLS;
	if (!ssl) {
		client_close(c);
		return;
	}
	event_del(&c->ev);
	c->bev = bufferevent_openssl_socket_new(c->srv->base, c->fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
	                                        BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (!c->bev) {
		SSL_free(ssl);
		client_close(c);
		return;
	}
	c->flags |= CL_TLS;
	free(c->stash); /* bytes sent before the handshake are not trusted */
	c->stash = NULL;
	c->stash_len = 0;
	bufferevent_setcb(c->bev, tls_read, tls_write, tls_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* ---- accept ---- */

static bool
addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_LOOPBACK(a))
			return true;
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return false;
}

void
client_accept(struct server *srv, struct listener *l, int fd, struct sockaddr *sa, socklen_t salen)
{
	struct client *c;
	int one = 1;

	if (srv->maxconn > 0 && (long)srv->nclients >= srv->maxconn) {
		log_warn("MAXCONN (%ld) reached: refusing a connection (MAXCONN in upsd.conf)",
		         srv->maxconn);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	/* Listeners set TCP_NODELAY, which accepted sockets inherit; sockets
	 * passed by systemd may not have it. */
	if (!l->nodelay_inherited)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->srv = srv;
	c->fd = fd;
	c->seq = ++srv->next_seq;
	if ((size_t)salen > sizeof(c->addr))
		salen = sizeof(c->addr);
	memcpy(&c->addr, sa, salen);
	if (addr_is_loopback(sa))
		c->flags |= CL_LOOPBACK;
	if (l->tls_required && !(c->flags & CL_LOOPBACK))
		c->flags |= CL_TLS_REQ;
	c->last_heard = time(NULL);
	lru_append(c);
	srv->nclients++;
	event_assign(&c->ev, srv->base, fd, EV_READ | EV_PERSIST, plain_event, c);
	event_add(&c->ev, NULL);
}

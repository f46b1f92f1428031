/*
 * dsock: listener, per-client buffers and line splitting.
 */
#include "dsock.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "str.h"

struct dsock_client {
	struct dsock *srv;
	struct bufferevent *bev;
	struct tokenizer tok;
	struct dsock_client *prev, *next;
	size_t since_line; /* raw bytes of the line being read */
	unsigned bad_lines;
	bool broadcast;
	bool closing; /* drop once output is flushed */
	bool dead;    /* drop at the end of the current callback */
	bool in_cb;
	bool bulk;
};

struct dsock {
	struct event_base *base;
	struct evconnlistener *lev;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dsock_line_fn fn;
	void *ctx;
	struct dsock_client *clients;
	size_t nclients;
};

static void
client_free(struct dsock_client *c)
{
	struct dsock *s = c->srv;

	if (c->prev)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nclients--;
	bufferevent_free(c->bev);
	tok_free(&c->tok);
	free(c);
}

/* Drop now, or at the end of the callback that is running for it. */
static void
client_drop(struct dsock_client *c)
{
	c->dead = true;
	if (!c->in_cb)
		client_free(c);
}

static bool
over_bound(struct dsock_client *c)
{
	return !c->bulk && evbuffer_get_length(bufferevent_get_output(c->bev)) > DSOCK_MAX_OUTPUT;
}

int
dsock_send(struct dsock_client *c, const char *data, size_t len)
{
	if (c->dead || c->closing)
		return -EPIPE;
	if (bufferevent_write(c->bev, data, len) < 0 || over_bound(c)) {
		client_drop(c);
		return -EPIPE;
	}
	return 0;
}

int
dsock_send_msg(struct dsock_client *c, const struct sp_msg *m)
{
	char line[SP_MAX_LINE + 1];
	int n = sp_format(line, sizeof(line), m);

	if (n < 0)
		return n;
	return dsock_send(c, line, (size_t)n);
}

void
dsock_broadcast(struct dsock *s, const char *data, size_t len)
{
	struct dsock_client *c = s->clients, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->broadcast)
			(void)dsock_send(c, data, len);
	}
}

void
dsock_client_set_broadcast(struct dsock_client *c, bool on)
{
	c->broadcast = on;
}

void
dsock_client_close_after_flush(struct dsock_client *c)
{
	c->closing = true;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		client_drop(c);
}

int
dsock_client_begin_bulk(struct dsock_client *c)
{
	if (c->dead || c->closing)
		return -EPIPE;
	if (over_bound(c)) {
		client_drop(c);
		return -EPIPE;
	}
	c->bulk = true;
	return 0;
}

void
dsock_client_end_bulk(struct dsock_client *c)
{
	c->bulk = false;
}

size_t
dsock_nclients(const struct dsock *s)
{
	return s->nclients;
}

const char *
dsock_path(const struct dsock *s)
{
	return s->path;
}

/* One complete or failed line from the tokenizer. Returns false when the
 * client must go. */
static bool
take_line(struct dsock_client *c, int r)
{
	if (r == TOK_ERROR)
		return false;
	if (c->tok.line.warnings & (TOK_W_NONASCII | TOK_W_LINELEN | TOK_W_WORDLEN))
		return false;
	if (c->tok.line.nwords == 0)
		return true; /* empty line: nothing to do */
	if (c->srv->fn(c->srv->ctx, c, &c->tok.line) < 0 && ++c->bad_lines > DSOCK_MAX_BAD_LINES)
		return false;
	return true;
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct dsock_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	c->in_cb = true;
	while (!c->dead && !c->closing && evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v;
		int r = TOK_MORE;
		size_t used;

		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		used = tok_feed(&c->tok, v.iov_base, v.iov_len, &r);
		evbuffer_drain(in, used);
		c->since_line += used;
		if (c->since_line > DSOCK_MAX_LINE) {
			c->dead = true;
			break;
		}
		if (r == TOK_MORE)
			continue;
		c->since_line = 0;
		if (!take_line(c, r))
			c->dead = true;
	}
	if (!c->dead && tok_idle(&c->tok))
		tok_shrink(&c->tok);
	c->in_cb = false;
	if (c->dead)
		client_free(c);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct dsock_client *c = arg;

	if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		client_drop(c);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct dsock_client *c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_drop(c);
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	struct dsock *s = arg;
	struct dsock_client *c;

	if (s->nclients >= DSOCK_MAX_CLIENTS) {
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		close(fd);
		free(c);
		return;
	}
	c->srv = s;
	c->broadcast = true;
	tok_init(&c->tok);
	c->next = s->clients;
	if (s->clients)
		s->clients->prev = c;
	s->clients = c;
	s->nclients++;
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* True when a live server answers on the socket at path. */
static bool
in_use(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool used;

	if (fd < 0)
		return false;
	used = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return used;
}

/* Remove a stale socket left by a dead driver; never another file type,
 * never the socket of a driver that is still running (-EADDRINUSE). */
static int
clear_path(const struct sockaddr_un *sa)
{
	struct stat st;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	if (in_use(sa))
		return -EADDRINUSE;
	return unlink(sa->sun_path) < 0 ? -errno : 0;
}

/*
 * Bound and listening under a temporary name first, then renamed into
 * place: a client that sees the path can always connect (no window
 * between bind and listen), and mode 0660 holds from the start.
 */
static int
listen_fd(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX}, tmp = {.sun_family = AF_UNIX};
	mode_t old;
	int fd, r;

	if (str_copy(sa.sun_path, path, sizeof(sa.sun_path)) >= sizeof(sa.sun_path) ||
	    snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.new", path) >=
	        (int)sizeof(tmp.sun_path))
		return -ENAMETOOLONG;
	r = clear_path(&sa);
	if (r == 0)
		r = clear_path(&tmp);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	old = umask(0117);
	r = bind(fd, (struct sockaddr *)&tmp, sizeof(tmp));
	umask(old);
	if (r < 0 || chmod(tmp.sun_path, 0660) < 0 || listen(fd, SOMAXCONN) < 0 ||
	    rename(tmp.sun_path, path) < 0) {
		r = -errno;
		(void)unlink(tmp.sun_path);
		close(fd);
		return r;
	}
	return fd;
}

int
dsock_open(struct event_base *base, const char *path, dsock_line_fn fn, void *ctx,
           struct dsock **ret)
{
	struct dsock *s = calloc(1, sizeof(*s));
	int fd;

	if (!s)
		return -ENOMEM;
	if (str_copy(s->path, path, sizeof(s->path)) >= sizeof(s->path)) {
		free(s);
		return -ENAMETOOLONG;
	}
	fd = listen_fd(path);
	if (fd < 0) {
		free(s);
		return fd;
	}
	s->base = base;
	s->fn = fn;
	s->ctx = ctx;
	s->lev = evconnlistener_new(base, accept_cb, s,
	                            LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (!s->lev) {
		close(fd);
		unlink(path);
		free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

int
dsock_chown(struct dsock *s, uid_t uid, gid_t gid)
{
	return chown(s->path, uid, gid) < 0 ? -errno : 0;
}

void
dsock_close(struct dsock *s)
{
	if (!s)
		return;
	while (s->clients)
		client_free(s->clients);
	evconnlistener_free(s->lev);
	unlink(s->path);
	free(s);
}

/*
 * ups: one mirror per UPS of ups.conf, fed by the driver's socket
 * (<statepath>/<driver>-<ups>).
 *
 * On connect upsd sends DUMPALL and shows ups.status "WAIT" until the
 * dump ends with DUMPDONE.  Drivers push changes; upsd only PINGs a driver
 * that has been quiet for MAXAGE/3 and calls its data stale after MAXAGE.
 * A lost connection empties the tree and is retried every second; connect
 * failures are logged at most every UPSD_CONNFAIL_LOG_EVERY seconds.
 */
#include "config.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "proto/proto.h"
#include "sock/sockproto.h"
#include "upsd.h"

struct ups *
ups_find(struct server *srv, const char *name)
{
	for (struct ups *u = srv->upses; u; u = u->next)
		if (strcasecmp(u->name, name) == 0)
			return u;
	return NULL;
}

static bool
is_stale(struct ups *u, time_t now)
{
	long maxage = u->srv->conf ? u->srv->conf->maxage : 15;

	if (u->dumpdone && u->tree.stale)
		return true;
	return now - u->last_heard > maxage;
}

int
ups_check_available(struct ups *u)
{
	if (!u->bev)
		return PROTO_E_DRIVER_NOT_CONNECTED;
	if (is_stale(u, time(NULL)))
		return PROTO_E_DATA_STALE;
	return 0;
}

int
ups_send(struct ups *u, const char *line, size_t len)
{
	if (!u->bev)
		return -ENOTCONN;
	if (evbuffer_get_length(bufferevent_get_output(u->bev)) + len > UPSD_DRIVER_OUT_MAX)
		return -ENOBUFS;
	if (bufferevent_write(u->bev, line, len) < 0)
		return -ENOMEM;
	return 0;
}

static void
disconnect(struct ups *u, const char *why)
{
	if (u->bev) {
		log_warn("UPS [%s]: lost the driver connection (%s)", u->name, why);
		bufferevent_free(u->bev);
		u->bev = NULL;
	}
	st_clear(&u->tree);
	tok_free(&u->tok);
	tok_init(&u->tok);
	u->dumpdone = false;
}

static void
handle_line(struct ups *u, const struct tok_line *line)
{
	struct sp_msg m;
	int r = sp_parse_driver(line, &m);

	if (r == -ENODATA)
		return;
	if (r < 0) {
		log_debug(1, "UPS [%s]: unrecognised driver line (%s)", u->name,
		          line->nwords ? line->words[0] : "");
		return;
	}
	u->last_heard = time(NULL);
	switch (m.kind) {
	case SP_DUMPDONE:
		if (!u->dumpdone)
			log_info("UPS [%s]: driver dump complete", u->name);
		u->dumpdone = true;
		return;
	case SP_TRACKING:
		tracking_set(u->srv, m.id, (int)m.num);
		return;
	case SP_DATAOK:
	case SP_DATASTALE:
		(void)sp_apply(&u->tree, &m);
		return;
	default:
		break;
	}
	/* The WAIT placeholder goes as soon as the driver sets the status. */
	r = sp_apply(&u->tree, &m);
	if (r < 0)
		log_debug(1, "UPS [%s]: driver update %s refused (%d)", u->name,
		          sp_kind_name(m.kind), r);
}

static void
readcb(struct bufferevent *bev, void *arg)
{
	struct ups *u = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v;

	while (u->bev && evbuffer_peek(in, -1, NULL, &v, 1) > 0 && v.iov_len > 0) {
		size_t off = 0;

		while (off < v.iov_len) {
			int ret;

			off += tok_feed(&u->tok, (const char *)v.iov_base + off, v.iov_len - off,
			                &ret);
			if (ret == TOK_LINE)
				handle_line(u, &u->tok.line);
		}
		evbuffer_drain(in, v.iov_len);
	}
	if (tok_idle(&u->tok))
		tok_shrink(&u->tok);
}

static void
eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct ups *u = arg;

	if (what & BEV_EVENT_EOF)
		disconnect(u, "end of file");
	else if (what & BEV_EVENT_ERROR)
		disconnect(u, strerror(EVUTIL_SOCKET_ERROR()));
}

void
ups_connect(struct ups *u)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	time_t now = time(NULL);
	int fd;

	if (u->bev)
		return;
	if (strlen(u->sockpath) >= sizeof(sa.sun_path)) {
		if (now - u->last_connfail >= UPSD_CONNFAIL_LOG_EVERY) {
			log_err("UPS [%s]: socket path %s is too long", u->name, u->sockpath);
			u->last_connfail = now;
		}
		return;
	}
	memcpy(sa.sun_path, u->sockpath, strlen(u->sockpath) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	/* A blocking connect to a local socket: it completes or fails at once. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (now - u->last_connfail >= UPSD_CONNFAIL_LOG_EVERY) {
			log_warn("UPS [%s]: cannot connect to driver socket %s: %s", u->name,
			         u->sockpath, strerror(errno));
			u->last_connfail = now;
		}
		close(fd);
		return;
	}
	evutil_make_socket_nonblocking(fd);
	u->bev = bufferevent_socket_new(u->srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!u->bev) {
		close(fd);
		return;
	}
	bufferevent_setcb(u->bev, readcb, NULL, eventcb, u);
	bufferevent_enable(u->bev, EV_READ | EV_WRITE);
	st_clear(&u->tree);
	(void)st_set(&u->tree, "ups.status", "WAIT");
	u->dumpdone = false;
	u->last_heard = u->last_ping = now;
	u->last_connfail = 0;
	u->stale_logged = false;
	log_info("UPS [%s]: connected to driver socket %s", u->name, u->sockpath);
	(void)ups_send(u, "DUMPALL\n", 8);
}

void
ups_tick(struct ups *u, time_t now)
{
	long maxage = u->srv->conf->maxage;
	bool stale;

	if (!u->bev) {
		ups_connect(u);
		return;
	}
	if (now - u->last_heard > maxage / 3 && now - u->last_ping > maxage / 3) {
		(void)ups_send(u, "PING\n", 5);
		u->last_ping = now;
	}
	stale = is_stale(u, now);
	if (stale && !u->stale_logged)
		log_warn("Data for UPS [%s] is stale - check driver", u->name);
	else if (!stale && u->stale_logged)
		log_info("UPS [%s] data is no longer stale", u->name);
	u->stale_logged = stale;
}

struct ups *
ups_new(struct server *srv, const struct ups_conf_ups *cu)
{
	struct ups *u = calloc(1, sizeof(*u));
	char path[4096];

	if (!u)
		return NULL;
	u->srv = srv;
	snprintf(path, sizeof(path), "%s/%s-%s", srv->statepath, cu->driver, cu->name);
	u->name = strdup(cu->name);
	u->driver = strdup(cu->driver);
	u->desc = cu->desc ? strdup(cu->desc) : NULL;
	u->sockpath = strdup(path);
	st_init(&u->tree);
	tok_init(&u->tok);
	if (!u->name || !u->driver || !u->sockpath || (cu->desc && !u->desc)) {
		ups_free(u);
		return NULL;
	}
	return u;
}

void
ups_free(struct ups *u)
{
	if (!u)
		return;
	if (u->bev)
		bufferevent_free(u->bev);
	st_clear(&u->tree);
	tok_free(&u->tok);
	free(u->name);
	free(u->driver);
	free(u->desc);
	free(u->sockpath);
	free(u);
}

/* Forget a UPS that left ups.conf: clients logged into it are detached. */
static void
drop_ups(struct server *srv, struct ups *u)
{
	for (struct client *c = srv->clients_head; c; c = c->next)
		if (c->loginups == u)
			c->loginups = NULL;
	log_info("UPS [%s] removed from ups.conf", u->name);
	ups_free(u);
}

int
ups_reload(struct server *srv, const struct ups_conf *uc)
{
	struct ups *head = NULL, **tail = &head;

	for (size_t i = 0; i < uc->nups; i++) {
		const struct ups_conf_ups *cu = &uc->ups[i];
		struct ups *u = NULL, **pp;
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s-%s", srv->statepath, cu->driver, cu->name);
		for (pp = &srv->upses; *pp; pp = &(*pp)->next)
			if (strcmp((*pp)->name, cu->name) == 0 &&
			    strcmp((*pp)->sockpath, path) == 0) {
				u = *pp;
				*pp = u->next;
				break;
			}
		if (u) {
			char *d = cu->desc ? strdup(cu->desc) : NULL;

			free(u->desc);
			u->desc = d;
		} else if (!(u = ups_new(srv, cu))) {
			return -ENOMEM;
		}
		u->next = NULL;
		*tail = u;
		tail = &u->next;
	}
	while (srv->upses) {
		struct ups *u = srv->upses;

		srv->upses = u->next;
		drop_ups(srv, u);
	}
	srv->upses = head;
	return 0;
}

/*
 * listen: the TCP listeners of LISTEN (or the sockets systemd passes).
 *
 * Backlog SOMAXCONN so connection bursts are queued, not dropped; each
 * readiness event accepts a bounded number of connections so a flood on
 * one listener does not starve established clients.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#if HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "upsd.h"

#define ACCEPTS_PER_EVENT 256

static void
accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;

	for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int cfd = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				log_warn("accept: %s (raise the open-file limit or lower MAXCONN)",
				         strerror(errno));
			return;
		}
		client_accept(l->srv, l, cfd, (struct sockaddr *)&ss, len);
	}
}

static bool
sa_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

static int
add_listener(struct server *srv, int fd, const struct sockaddr *sa, char *msg, size_t size)
{
	struct listener *l;
	char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";

	if (srv->nlisteners >= UPSD_MAX_LISTENERS) {
		snprintf(msg, size, "too many LISTEN addresses (at most %d)", UPSD_MAX_LISTENERS);
		close(fd);
		return -E2BIG;
	}
	l = &srv->listeners[srv->nlisteners++];
	l->fd = fd;
	l->srv = srv;
	l->loopback = sa_is_loopback(sa);
	l->tls_required = !l->loopback && !srv->conf->allow_plaintext_listen;
	(void)getnameinfo(sa,
	                  sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                            : sizeof(struct sockaddr_in),
	                  host, sizeof(host), port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(l->name, sizeof(l->name), "%s port %s", host, port);
	return 0;
}

static int
bind_one(struct server *srv, const struct addrinfo *ai, char *msg, size_t size)
{
	int one = 1, fd;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		goto fail;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Accepted sockets inherit TCP_NODELAY: no setsockopt per client. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0)
		goto fail;
	if (add_listener(srv, fd, ai->ai_addr, msg, size) < 0)
		return -E2BIG;
	srv->listeners[srv->nlisteners - 1].nodelay_inherited = true;
	return 0;
fail : {
	char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";
	int e = errno;

	(void)getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), port, sizeof(port),
	                  NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(msg, size, "LISTEN %s %s: %s", host, port, strerror(e));
	if (fd >= 0)
		close(fd);
	return -e;
}
}

static int
open_listen(struct server *srv, const struct upsd_listen *ul, char *msg, size_t size)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
	struct addrinfo *res = NULL;
	char port[8];
	int r;

	snprintf(port, sizeof(port), "%u", ul->port);
	if (strcmp(ul->addr, "*") == 0) {
		char v4[] = "0.0.0.0", v6[] = "::";
		char *wild[] = {v4, v6};

		for (size_t i = 0; i < 2; i++) {
			struct upsd_listen w = {.addr = wild[i], .port = ul->port};

			if ((r = open_listen(srv, &w, msg, size)) < 0)
				return r;
		}
		return 0;
	}
	hints.ai_flags |= AI_NUMERICSERV;
	r = getaddrinfo(ul->addr, port, &hints, &res);
	if (r != 0) {
		snprintf(msg, size, "LISTEN %s: %s", ul->addr, gai_strerror(r));
		return -EINVAL;
	}
	/* A name binds its first address, as NUT does. */
	r = bind_one(srv, res, msg, size);
	freeaddrinfo(res);
	return r;
}

#if HAVE_SYSTEMD
static int
from_systemd(struct server *srv, char *msg, size_t size)
{
	int n = sd_listen_fds(1);

	for (int i = 0; i < n; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = SD_LISTEN_FDS_START + i;

		if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
			continue;
		evutil_make_socket_nonblocking(fd);
		if (add_listener(srv, fd, (struct sockaddr *)&ss, msg, size) < 0)
			return -E2BIG;
	}
	return n > 0 ? n : 0;
}
#endif

int
listen_open_all(struct server *srv, char *msg, size_t size)
{
	const struct upsd_conf *cf = srv->conf;
	size_t ok = 0;
	int r = 0;

#if HAVE_SYSTEMD
	if ((r = from_systemd(srv, msg, size)) != 0)
		return r < 0 ? r : 0;
#endif
	for (size_t i = 0; i < cf->nlisten; i++) {
		char one[256];

		r = open_listen(srv, &cf->listen[i], one, sizeof(one));
		if (r == 0) {
			ok++;
			continue;
		}
		/* The built-in default (127.0.0.1 and ::1) needs only one to work. */
		if (cf->listen_default || cf->allow_not_all_listeners) {
			log_warn("%s (continuing: %s)", one,
			         cf->listen_default ? "default LISTEN" : "ALLOW_NOT_ALL_LISTENERS");
			continue;
		}
		snprintf(msg, size, "%s (ALLOW_NOT_ALL_LISTENERS in upsd.conf would continue)",
		         one);
		return r;
	}
	if (!ok) {
		snprintf(msg, size, "no LISTEN address could be bound");
		return -EADDRNOTAVAIL;
	}
	return 0;
}

void
listen_enable(struct server *srv)
{
	for (size_t i = 0; i < srv->nlisteners; i++) {
		struct listener *l = &srv->listeners[i];

		event_assign(&l->ev, srv->base, l->fd, EV_READ | EV_PERSIST, accept_cb, l);
		event_add(&l->ev, NULL);
		log_info("listening on %s%s", l->name,
		         l->tls_required ? " (credentials need STARTTLS)" : "");
	}
}

void
listen_close_all(struct server *srv)
{
	for (size_t i = 0; i < srv->nlisteners; i++) {
		if (event_initialized(&srv->listeners[i].ev))
			event_del(&srv->listeners[i].ev);
		close(srv->listeners[i].fd);
	}
	srv->nlisteners = 0;
}

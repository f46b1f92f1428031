/*
 * upsd-load: a load generator for NUT protocol servers (ours and NUT's).
 *
 *   upsd-load -p PORT [-H host] -m MODE [-c conns] [-d depth] [-t secs] [-u ups] [-v var]
 *
 * Modes:
 *   get    each connection keeps `depth` "GET VAR ups var" requests in flight
 *   list   each connection keeps `depth` "LIST VAR ups" requests in flight
 *   churn  `conns` workers: connect, VER, read the reply, close, repeat
 *   idle   open `conns` connections, wait, then probe every one of them
 *   burst  open `conns` connections at once, each sends VER; count replies
 *
 * Prints one line: mode, connections, completed requests, seconds, rate,
 * errors.  Not a test: bench/compare-upsd.py runs it against both servers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn {
	int fd;
	int outstanding;
	int state; /* churn: 0 connecting, 1 waiting reply; burst/idle: 0 conn, 1 sent, 2 done */
	size_t partial;
	char tail[64];
};

struct opts {
	const char *host, *mode, *ups, *var;
	int port, conns, depth;
	double secs;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
connect_to(const struct opts *o, int nonblock)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
	int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
	int one = 1;

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, o->host, &sa.sin_addr);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Count complete replies in buf: lines for get, "END LIST" lines for list. */
static int
count_replies(struct conn *c, const char *buf, size_t n, int list)
{
	int replies = 0;

	for (size_t i = 0; i < n; i++) {
		if (list) {
			/* track the start of each line in a tiny window */
			if (c->partial < sizeof(c->tail))
				c->tail[c->partial] = buf[i];
			c->partial++;
			if (buf[i] == '\n') {
				if (c->partial >= 8 && memcmp(c->tail, "END LIST", 8) == 0)
					replies++;
				c->partial = 0;
			}
		} else if (buf[i] == '\n') {
			replies++;
		}
	}
	return replies;
}

static int
run_pipelined(const struct opts *o, int list)
{
	char req[512], buf[1 << 16], *batch;
	struct conn *cs = calloc((size_t)o->conns, sizeof(*cs));
	int ep = epoll_create1(0), reqlen;
	long done = 0, errors = 0;
	double t0, t1;

	reqlen = list ? snprintf(req, sizeof(req), "LIST VAR %s\n", o->ups)
	              : snprintf(req, sizeof(req), "GET VAR %s %s\n", o->ups, o->var);
	batch = malloc((size_t)reqlen * (size_t)o->depth);
	for (int i = 0; i < o->depth; i++)
		memcpy(batch + i * reqlen, req, (size_t)reqlen);
	for (int i = 0; i < o->conns; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &cs[i]};

		cs[i].fd = connect_to(o, 0);
		if (cs[i].fd < 0) {
			perror("connect");
			return 1;
		}
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
		if (write(cs[i].fd, batch, (size_t)reqlen * (size_t)o->depth) < 0)
			errors++;
		cs[i].outstanding = o->depth;
	}
	t0 = now();
	t1 = t0 + o->secs;
	while (now() < t1) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, 100);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			ssize_t r = read(c->fd, buf, sizeof(buf));
			int got;

			if (r <= 0) {
				errors++;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				continue;
			}
			got = count_replies(c, buf, (size_t)r, list);
			done += got;
			c->outstanding -= got;
			/* Refill the pipeline in one write. */
			if (c->outstanding <= 0 || o->depth == 1 ||
			    c->outstanding <= o->depth / 2) {
				int want = o->depth - c->outstanding;

				if (want > 0 &&
				    write(c->fd, batch, (size_t)reqlen * (size_t)want) > 0)
					c->outstanding += want;
			}
		}
	}
	printf("mode=%s conns=%d depth=%d requests=%ld seconds=%.2f rate=%.0f errors=%ld\n",
	       list ? "list" : "get", o->conns, o->depth, done, o->secs, (double)done / o->secs,
	       errors);
	return 0;
}

static int
run_churn(const struct opts *o)
{
	double t1 = now() + o->secs;
	long done = 0, errors = 0;
	char buf[512];

	/* Sequential workers: each connect-VER-close is a full round trip. */
	while (now() < t1) {
		int fd = connect_to(o, 0);
		ssize_t n;

		if (fd < 0) {
			errors++;
			continue;
		}
		if (write(fd, "VER\n", 4) != 4 || (n = read(fd, buf, sizeof(buf))) <= 0)
			errors++;
		else
			done++;
		close(fd);
	}
	printf("mode=churn conns=1 depth=1 requests=%ld seconds=%.2f rate=%.0f errors=%ld\n", done,
	       o->secs, (double)done / o->secs, errors);
	return 0;
}

/* Open many connections; optionally wait; probe each with NETVER. */
static int
run_many(const struct opts *o, int burst)
{
	struct conn *cs = calloc((size_t)o->conns, sizeof(*cs));
	int ep = epoll_create1(0), opened = 0;
	long answered = 0;
	double t0 = now(), deadline;
	char buf[512];

	for (int i = 0; i < o->conns; i++) {
		struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.ptr = &cs[i]};

		cs[i].fd = connect_to(o, 1);
		if (cs[i].fd < 0) {
			cs[i].state = 3;
			continue;
		}
		opened++;
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
	}
	if (!burst) {
		/* idle: connected and silent; report, wait for the signal to probe */
		fprintf(stderr, "opened %d connections\n", opened);
		printf("IDLE-READY %d\n", opened);
		fflush(stdout);
		sleep((unsigned)o->secs);
	}
	deadline = now() + 30;
	while (answered < opened && now() < deadline) {
		struct epoll_event evs[512];
		int n = epoll_wait(ep, evs, 512, 200);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->state == 0 && (evs[i].events & EPOLLOUT)) {
				struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};

				if (write(c->fd, "NETVER\n", 7) == 7)
					c->state = 1;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			} else if (c->state == 1 && (evs[i].events & EPOLLIN)) {
				if (read(c->fd, buf, sizeof(buf)) > 0) {
					answered++;
					c->state = 2;
				}
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			} else if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				c->state = 3;
			}
		}
	}
	if (!burst) {
		/* Still connected, each having been served once: measure now. */
		printf("PROBED %ld\n", answered);
		fflush(stdout);
		sleep(3);
	}
	printf("mode=%s conns=%d opened=%d answered=%ld seconds=%.2f\n", burst ? "burst" : "idle",
	       o->conns, opened, answered, now() - t0);
	for (int i = 0; i < o->conns; i++)
		if (cs[i].fd >= 0)
			close(cs[i].fd);
	return answered == o->conns ? 0 : 2;
}

int
main(int argc, char **argv)
{
	struct opts o = {.host = "127.0.0.1",
	                 .mode = "get",
	                 .ups = "dummy",
	                 .var = "ups.status",
	                 .conns = 1,
	                 .depth = 1,
	                 .secs = 5};
	struct rlimit rl;
	int ch;

	while ((ch = getopt(argc, argv, "H:p:m:c:d:t:u:v:")) != -1) {
		switch (ch) {
		case 'H':
			o.host = optarg;
			break;
		case 'p':
			o.port = atoi(optarg);
			break;
		case 'm':
			o.mode = optarg;
			break;
		case 'c':
			o.conns = atoi(optarg);
			break;
		case 'd':
			o.depth = atoi(optarg);
			break;
		case 't':
			o.secs = atof(optarg);
			break;
		case 'u':
			o.ups = optarg;
			break;
		case 'v':
			o.var = optarg;
			break;
		default:
			fprintf(stderr, "usage: upsd-load -p port -m get|list|churn|idle|burst "
			                "[-c conns] [-d depth] [-t secs] [-u ups] [-v var]\n");
			return 1;
		}
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (!o.port || o.conns < 1 || o.depth < 1)
		return 1;
	if (!strcmp(o.mode, "get"))
		return run_pipelined(&o, 0);
	if (!strcmp(o.mode, "list"))
		return run_pipelined(&o, 1);
	if (!strcmp(o.mode, "churn"))
		return run_churn(&o);
	if (!strcmp(o.mode, "idle"))
		return run_many(&o, 0);
	if (!strcmp(o.mode, "burst"))
		return run_many(&o, 1);
	return 1;
}

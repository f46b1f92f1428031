/*
 * poller: the thread that keeps the model fresh (see poller.h).
 *
 * A poll of one UPS is LIST VAR and LIST CMD, plus GET DESC / GET TYPE /
 * GET CMDDESC for names not seen before.  Server errors (DATA-STALE,
 * UNKNOWN-UPS, ...) keep the connection; anything else closes it and the
 * next poll reconnects.
 */
#include "poller.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "str.h"

#define CACHE_MAX MODEL_MAX_VARS /* names remembered per UPS (vars and cmds apart) */

struct cache_entry {
	char *name;
	char *desc; /* NULL: upsd had none */
	char *type;
};

struct cache_set {
	struct cache_entry e[CACHE_MAX];
	size_t n;
};

struct poller_cache {
	struct cache_set vars, cmds;
};

static void
cache_free(struct poller_cache *c)
{
	if (!c)
		return;
	struct cache_set *sets[] = {&c->vars, &c->cmds};
	for (size_t s = 0; s < 2; s++) {
		for (size_t i = 0; i < sets[s]->n; i++) {
			free(sets[s]->e[i].name);
			free(sets[s]->e[i].desc);
			free(sets[s]->e[i].type);
		}
	}
	free(c);
}

static struct cache_entry *
cache_find(struct cache_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcasecmp(s->e[i].name, name) == 0)
			return &s->e[i];
	return NULL;
}

static struct cache_entry *
cache_add(struct cache_set *s, const char *name, const char *desc, const char *type)
{
	if (s->n >= CACHE_MAX)
		return NULL;
	struct cache_entry *e = &s->e[s->n];
	e->name = strdup(name);
	e->desc = desc ? strdup(desc) : NULL;
	e->type = type ? strdup(type) : NULL;
	if (!e->name) {
		free(e->desc);
		free(e->type);
		return NULL;
	}
	s->n++;
	return e;
}

static void
resolve(const char *host, struct poller_target *t)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;

	t->naddrs = 0;
	if (getaddrinfo(host, NULL, &hints, &res) == 0) {
		for (struct addrinfo *ai = res; ai && t->naddrs < POLLER_MAX_ADDRS;
		     ai = ai->ai_next) {
			char *out = t->addrs[t->naddrs];
			if (getnameinfo(ai->ai_addr, ai->ai_addrlen, out, POLLER_ADDR_MAX, NULL, 0,
			                NI_NUMERICHOST) != 0)
				continue;
			bool dup = false;
			for (size_t k = 0; k < t->naddrs; k++)
				dup |= strcmp(t->addrs[k], out) == 0;
			if (!dup)
				t->naddrs++;
		}
		freeaddrinfo(res);
	}
	if (t->naddrs == 0) {
		str_copy(t->addrs[0], host, POLLER_ADDR_MAX);
		t->naddrs = 1;
	}
}

int
poller_init(struct poller *p, struct model *m, const struct ucl_options *opts, int pollfreq)
{
	memset(p, 0, sizeof(*p));
	p->model = m;
	if (opts)
		p->opts = *opts;
	p->pollfreq = pollfreq;
	for (size_t i = 0; i < m->nups; i++) {
		resolve(m->ups[i].host, &p->t[i]);
		p->t[i].cache = calloc(1, sizeof(*p->t[i].cache));
		if (!p->t[i].cache)
			return -ENOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	return 0;
}

const char *
poller_addr(const struct poller *p, size_t i)
{
	return p->t[i].addrs[p->t[i].cur];
}

/* Descriptions and type of a variable, from the cache or from upsd. */
static const struct cache_entry *
var_info(struct ucl_conn *c, struct poller_cache *pc, const char *ups, const char *var)
{
	char desc[UCL_VALUE_MAX];
	struct ucl_type type;
	struct cache_entry *e = cache_find(&pc->vars, var);

	if (e)
		return e;
	bool have_desc = ucl_get_desc(c, ups, var, desc, sizeof(desc)) == 0;
	bool have_type = ucl_get_type(c, ups, var, &type) == 0;
	if (ucl_fd(c) < 0)
		return NULL; /* the connection broke: do not cache a failure */
	return cache_add(&pc->vars, var, have_desc ? desc : NULL, have_type ? type.raw : NULL);
}

static const struct cache_entry *
cmd_info(struct ucl_conn *c, struct poller_cache *pc, const char *ups, const char *cmd)
{
	char desc[UCL_VALUE_MAX];
	struct cache_entry *e = cache_find(&pc->cmds, cmd);

	if (e)
		return e;
	bool have = ucl_get_cmddesc(c, ups, cmd, desc, sizeof(desc)) == 0;
	if (ucl_fd(c) < 0)
		return NULL;
	return cache_add(&pc->cmds, cmd, have ? desc : NULL, NULL);
}

static int
fill_snap(struct ucl_conn *c, struct poller_cache *pc, const char *ups, struct model_snap *snap)
{
	struct ucl_list vars = {0}, cmds = {0};
	int r = ucl_list_var(c, ups, &vars);

	if (r < 0)
		goto out;
	for (size_t i = 0; i < vars.n && snap->nvars < MODEL_MAX_VARS; i++) {
		const char *name = vars.items[i].w[0], *value = vars.items[i].w[1];
		const struct cache_entry *e = var_info(c, pc, ups, name);
		r = model_snap_add_var(snap, name, value, e ? e->desc : NULL, e ? e->type : NULL);
		if (r < 0)
			goto out;
	}
	/* No commands is not an error (a server may refuse LIST CMD). */
	if (ucl_list_cmd(c, ups, &cmds) == 0) {
		for (size_t i = 0; i < cmds.n && snap->ncmds < MODEL_MAX_CMDS; i++) {
			const struct cache_entry *e = cmd_info(c, pc, ups, cmds.items[i].w[0]);
			r = model_snap_add_cmd(snap, cmds.items[i].w[0], e ? e->desc : NULL);
			if (r < 0)
				goto out;
		}
	}
	r = ucl_fd(c) < 0 ? UCL_E_BROKEN : 0;
	model_snap_sort(snap);
out:
	ucl_list_free(&vars);
	ucl_list_free(&cmds);
	return r;
}

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

static void
poll_one(struct poller *p, size_t i)
{
	struct model_ups *u = &p->model->ups[i];
	struct poller_target *t = &p->t[i];
	struct model_snap snap = {0};
	char err[UCL_ERRMSG_MAX];
	int r;

	if (!t->conn) {
		struct ucl_options o = p->opts;
		o.tls_name = o.tls_name ? o.tls_name : u->host;
		r = -ENOENT;
		for (size_t k = 0; k < t->naddrs && r < 0; k++) {
			size_t a = (t->cur + k) % t->naddrs;
			err[0] = '\0';
			r = ucl_connect(&t->conn, t->addrs[a], u->port, &o, err);
			if (r == 0 && a != t->cur) {
				/* The action worker reads cur under the model's lock. */
				pthread_mutex_lock(&p->model->lock);
				t->cur = a;
				pthread_mutex_unlock(&p->model->lock);
			}
		}
		if (r < 0) {
			model_fail(p->model, i, err[0] ? err : ucl_strerror(r), now_s());
			return;
		}
	}
	r = fill_snap(t->conn, t->cache, u->name, &snap);
	if (r == 0) {
		model_update(p->model, i, &snap, now_s());
		return;
	}
	model_snap_free(&snap);
	snprintf(err, sizeof(err), "%s", ucl_errmsg(t->conn));
	if (!err[0])
		snprintf(err, sizeof(err), "%s", ucl_strerror(r));
	model_fail(p->model, i, err, now_s());
	if (!ucl_err_is_server(r)) {
		ucl_abort(t->conn);
		t->conn = NULL;
	}
}

void
poller_poll_all(struct poller *p)
{
	for (size_t i = 0; i < p->model->nups; i++)
		poll_one(p, i);
}

static void *
poller_main(void *arg)
{
	struct poller *p = arg;
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		poller_poll_all(p);
		next.tv_sec += p->pollfreq;
		pthread_mutex_lock(&p->lock);
		while (!p->stop && !p->kick) {
			if (pthread_cond_timedwait(&p->cond, &p->lock, &next) == ETIMEDOUT)
				break;
		}
		bool stop = p->stop;
		if (p->kick) {
			p->kick = false;
			clock_gettime(CLOCK_MONOTONIC, &next);
		}
		pthread_mutex_unlock(&p->lock);
		if (stop)
			break;
		/* After a long stall, do not try to catch up missed ticks. */
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (next.tv_sec < now.tv_sec)
			next = now;
	}
	return NULL;
}

int
poller_start(struct poller *p)
{
	pthread_condattr_t ca;

	/* The wait uses CLOCK_MONOTONIC so clock steps do not stall polling. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&p->cond);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	int r = pthread_create(&p->thread, NULL, poller_main, p);
	if (r != 0)
		return -r;
	p->running = true;
	return 0;
}

void
poller_kick(struct poller *p)
{
	pthread_mutex_lock(&p->lock);
	p->kick = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

void
poller_stop(struct poller *p)
{
	if (p->running) {
		pthread_mutex_lock(&p->lock);
		p->stop = true;
		pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
		p->running = false;
	}
	for (size_t i = 0; i < MODEL_MAX_UPS; i++) {
		ucl_close(p->t[i].conn);
		p->t[i].conn = NULL;
		cache_free(p->t[i].cache);
		p->t[i].cache = NULL;
	}
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
}

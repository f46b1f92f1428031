/*
 * model: the in-memory state served by upsweb (see model.h).
 *
 * Snapshots are built by the poller without the lock and swapped in under
 * it, so the lock is held only for pointer swaps and for rendering.
 */
#include "model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "str.h"

const char *const model_series_var[MODEL_S_COUNT] = {
    [MODEL_S_CHARGE] = "battery.charge",
    [MODEL_S_LOAD] = "ups.load",
    [MODEL_S_RUNTIME] = "battery.runtime",
    [MODEL_S_INVOLT] = "input.voltage",
};

const char *const model_forced_flags[] = {
    "OL",  "OB",  "LB",   "HB",   "RB",    "CHRG", "DISCHRG", "BYPASS",
    "CAL", "OFF", "OVER", "TRIM", "BOOST", "FSD",  "SD",      NULL,
};

struct flag_info {
	const char *flag;
	const char *words;
	enum model_severity sev;
};

/* ups.status tokens (nut-protocol-and-peers.md 4.1) and how alarming each is. */
static const struct flag_info flag_table[] = {
    {"OL", "On line", MODEL_SEV_OK},
    {"OB", "On battery", MODEL_SEV_WARN},
    {"LB", "Low battery", MODEL_SEV_CRIT},
    {"HB", "High battery", MODEL_SEV_WARN},
    {"RB", "Replace battery", MODEL_SEV_WARN},
    {"CHRG", "Charging", MODEL_SEV_OK},
    {"DISCHRG", "Discharging", MODEL_SEV_WARN},
    {"BYPASS", "On bypass", MODEL_SEV_WARN},
    {"CAL", "Calibrating", MODEL_SEV_WARN},
    {"OFF", "Output off", MODEL_SEV_CRIT},
    {"OVER", "Overloaded", MODEL_SEV_CRIT},
    {"TRIM", "Trimming voltage", MODEL_SEV_OK},
    {"BOOST", "Boosting voltage", MODEL_SEV_OK},
    {"FSD", "Forced shutdown", MODEL_SEV_CRIT},
    {"SD", "Shutting down", MODEL_SEV_CRIT},
    {"ALARM", "Alarm", MODEL_SEV_WARN},
    {"ECO", "Eco mode", MODEL_SEV_OK},
    {"WAIT", "Waiting for data", MODEL_SEV_UNKNOWN},
};

static const struct flag_info *
flag_lookup(const char *flag, size_t len)
{
	for (size_t i = 0; i < sizeof(flag_table) / sizeof(flag_table[0]); i++)
		if (strlen(flag_table[i].flag) == len &&
		    strncmp(flag_table[i].flag, flag, len) == 0)
			return &flag_table[i];
	return NULL;
}

const char *
model_flag_words(const char *flag)
{
	const struct flag_info *f = flag_lookup(flag, strlen(flag));
	return f ? f->words : NULL;
}

char *
model_status_words(const char *status, char *buf, size_t size)
{
	size_t used = 0;
	const char *p = status;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	while (*p) {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, " ");
		if (len == 0)
			break;
		const struct flag_info *f = flag_lookup(p, len);
		int n =
		    f ? snprintf(buf + used, size - used, "%s%s", used ? ", " : "", f->words)
		      : snprintf(buf + used, size - used, "%s%.*s", used ? ", " : "", (int)len, p);
		if (n < 0 || (size_t)n >= size - used) {
			buf[used] = '\0';
			break;
		}
		used += (size_t)n;
		p += len;
	}
	return buf;
}

enum model_severity
model_severity(const struct model_ups *u)
{
	enum model_severity worst = MODEL_SEV_OK;
	const char *p = u->status;
	bool any = false;

	if (!u->reachable || u->status[0] == '\0')
		return MODEL_SEV_UNKNOWN;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, " ");
		if (len == 0)
			break;
		const struct flag_info *f = flag_lookup(p, len);
		enum model_severity s = f ? f->sev : MODEL_SEV_WARN;
		if (s == MODEL_SEV_UNKNOWN)
			return s;
		if (s > worst)
			worst = s;
		any = true;
		p += len;
	}
	return any ? worst : MODEL_SEV_UNKNOWN;
}

const char *
model_severity_name(enum model_severity sev)
{
	static const char *const names[] = {"ok", "warn", "crit", "unknown"};
	return (unsigned)sev < 4 ? names[sev] : "unknown";
}

int
model_init(struct model *m, int hist_seconds, int hist_step, int poll_every)
{
	memset(m, 0, sizeof(*m));
	if (hist_step < 1 || hist_seconds < hist_step)
		return -EINVAL;
	if (pthread_mutex_init(&m->lock, NULL) != 0)
		return -ENOMEM;
	m->hist_step = hist_step;
	m->poll_every = poll_every;
	/* The ring is allocated per UPS in model_add(), sized from these. */
	m->hist_cap = (size_t)(hist_seconds / hist_step);
	if (m->hist_cap > MODEL_HIST_MAX)
		m->hist_cap = MODEL_HIST_MAX;
	if (m->hist_cap < 2)
		m->hist_cap = 2;
	return 0;
}

void
model_snap_free(struct model_snap *s)
{
	for (size_t i = 0; i < s->nvars; i++) {
		free(s->vars[i].name);
		free(s->vars[i].value);
		free(s->vars[i].desc);
		free(s->vars[i].type);
	}
	for (size_t i = 0; i < s->ncmds; i++) {
		free(s->cmds[i].name);
		free(s->cmds[i].desc);
	}
	free(s->vars);
	free(s->cmds);
	memset(s, 0, sizeof(*s));
}

void
model_deinit(struct model *m)
{
	for (size_t i = 0; i < m->nups; i++) {
		model_snap_free(&m->ups[i].snap);
		free(m->ups[i].hist.ring);
	}
	pthread_mutex_destroy(&m->lock);
	m->nups = 0;
}

int
model_add(struct model *m, const char *name, const char *host, uint16_t port, const char *desc)
{
	size_t cap = m->hist_cap;

	if (m->nups >= MODEL_MAX_UPS)
		return -ENOSPC;
	if (!name[0] || strlen(name) >= MODEL_NAME_MAX || !host[0] ||
	    strlen(host) >= MODEL_NAME_MAX)
		return -EINVAL;
	struct model_ups *u = &m->ups[m->nups];
	memset(u, 0, sizeof(*u));
	str_copy(u->name, name, sizeof(u->name));
	str_copy(u->host, host, sizeof(u->host));
	u->port = port;
	str_copy(u->desc, desc ? desc : "", sizeof(u->desc));
	snprintf(u->id, sizeof(u->id), strchr(host, ':') ? "%s@[%s]:%u" : "%s@%s:%u", name, host,
	         (unsigned)port);
	for (size_t i = 0; i < m->nups; i++)
		if (strcasecmp(m->ups[i].id, u->id) == 0)
			return -EINVAL;
	u->hist.ring = calloc(cap, sizeof(*u->hist.ring));
	if (!u->hist.ring)
		return -ENOMEM;
	u->hist.cap = cap;
	u->hist.len = u->hist.head = 0;
	m->nups++;
	return (int)(m->nups - 1);
}

struct model_ups *
model_find(struct model *m, const char *id)
{
	struct model_ups *byname = NULL;
	int nbyname = 0;

	for (size_t i = 0; i < m->nups; i++) {
		if (strcasecmp(m->ups[i].id, id) == 0)
			return &m->ups[i];
		if (strcasecmp(m->ups[i].name, id) == 0) {
			byname = &m->ups[i];
			nbyname++;
		}
	}
	return nbyname == 1 ? byname : NULL;
}

static char *
dup_bounded(const char *s)
{
	if (!s)
		return NULL;
	return strndup(s, MODEL_VALUE_MAX - 1);
}

int
model_snap_add_var(struct model_snap *s, const char *name, const char *value, const char *desc,
                   const char *type)
{
	if (s->nvars >= MODEL_MAX_VARS)
		return -ENOSPC;
	if (s->nvars == s->vcap) {
		size_t ncap = s->vcap ? s->vcap * 2 : 32;
		struct model_var *nv = realloc(s->vars, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->vars = nv;
		s->vcap = ncap;
	}
	struct model_var *v = &s->vars[s->nvars];
	v->name = strndup(name, MODEL_NAME_MAX - 1);
	v->value = dup_bounded(value ? value : "");
	v->desc = dup_bounded(desc);
	v->type = dup_bounded(type);
	if (!v->name || !v->value || (desc && !v->desc) || (type && !v->type)) {
		free(v->name);
		free(v->value);
		free(v->desc);
		free(v->type);
		return -ENOMEM;
	}
	s->nvars++;
	return 0;
}

int
model_snap_add_cmd(struct model_snap *s, const char *name, const char *desc)
{
	if (s->ncmds >= MODEL_MAX_CMDS)
		return -ENOSPC;
	if (s->ncmds == s->ccap) {
		size_t ncap = s->ccap ? s->ccap * 2 : 16;
		struct model_cmd *nc = realloc(s->cmds, ncap * sizeof(*nc));
		if (!nc)
			return -ENOMEM;
		s->cmds = nc;
		s->ccap = ncap;
	}
	struct model_cmd *c = &s->cmds[s->ncmds];
	c->name = strndup(name, MODEL_NAME_MAX - 1);
	c->desc = dup_bounded(desc);
	if (!c->name || (desc && !c->desc)) {
		free(c->name);
		free(c->desc);
		return -ENOMEM;
	}
	s->ncmds++;
	return 0;
}

static int
var_cmp(const void *a, const void *b)
{
	return strcasecmp(((const struct model_var *)a)->name, ((const struct model_var *)b)->name);
}

static int
cmd_cmp(const void *a, const void *b)
{
	return strcasecmp(((const struct model_cmd *)a)->name, ((const struct model_cmd *)b)->name);
}

void
model_snap_sort(struct model_snap *s)
{
	if (s->nvars > 1)
		qsort(s->vars, s->nvars, sizeof(*s->vars), var_cmp);
	if (s->ncmds > 1)
		qsort(s->cmds, s->ncmds, sizeof(*s->cmds), cmd_cmp);
}

const char *
model_snap_get(const struct model_snap *s, const char *name)
{
	for (size_t i = 0; i < s->nvars; i++)
		if (strcasecmp(s->vars[i].name, name) == 0)
			return s->vars[i].value;
	return NULL;
}

const struct model_sample *
model_hist_at(const struct model_hist *h, size_t i)
{
	return &h->ring[(h->head + i) % h->cap];
}

static float
sample_value(const struct model_snap *s, const char *name)
{
	const char *v = model_snap_get(s, name);
	if (!v || !str_is_number(v))
		return NAN;
	return strtof(v, NULL);
}

static void
hist_push(struct model_hist *h, const struct model_sample *smp)
{
	if (h->len < h->cap) {
		h->ring[(h->head + h->len) % h->cap] = *smp;
		h->len++;
	} else {
		h->ring[h->head] = *smp;
		h->head = (h->head + 1) % h->cap;
	}
}

void
model_update(struct model *m, size_t i, struct model_snap *snap, int64_t now)
{
	struct model_snap old;
	struct model_sample smp = {.t = now};
	const char *st = model_snap_get(snap, "ups.status");

	for (int k = 0; k < MODEL_S_COUNT; k++)
		smp.v[k] = sample_value(snap, model_series_var[k]);

	pthread_mutex_lock(&m->lock);
	struct model_ups *u = &m->ups[i];
	old = u->snap;
	u->snap = *snap;
	memset(snap, 0, sizeof(*snap));
	if (!st)
		st = "";
	if (!u->polled || strcmp(u->status, st) != 0) {
		str_copy(u->status, st, sizeof(u->status));
		u->status_since = now;
	}
	u->polled = true;
	u->reachable = true;
	u->error[0] = '\0';
	u->last_poll = u->last_ok = now;
	if (u->hist.len == 0 || now - u->last_sample >= m->hist_step) {
		hist_push(&u->hist, &smp);
		u->last_sample = now;
	}
	pthread_mutex_unlock(&m->lock);
	model_snap_free(&old);
}

void
model_fail(struct model *m, size_t i, const char *error, int64_t now)
{
	pthread_mutex_lock(&m->lock);
	struct model_ups *u = &m->ups[i];
	if (u->reachable || !u->polled)
		u->status_since = now;
	u->polled = true;
	u->reachable = false;
	str_copy(u->error, error ? error : "unknown error", sizeof(u->error));
	u->last_poll = now;
	pthread_mutex_unlock(&m->lock);
}

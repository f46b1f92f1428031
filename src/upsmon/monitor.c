/*
 * monitor: NUT-compatible decisions of upsmon, free of I/O.
 *
 * Every notification edge and every "critical" rule lives here so that the
 * unit tests can walk each one with a fake clock; the [net] process only
 * moves bytes and calls these functions.
 */
#include "monitor.h"

#include <string.h>

#include "events.h"
#include "log.h"
#include "str.h"

#define SEC(x) ((int64_t)(x) * 1000)

void
mon_settings_default(struct mon_settings *s)
{
	s->minsupplies = 1;
	s->deadtime = 15;
	s->hostsync = 15;
	s->finaldelay = 5;
	s->rbwarntime = 43200;
	s->nocommwarntime = 300;
	s->offduration = 30;
	s->overduration = -1;
	s->oblbduration = 0;
	s->alarmcritical = true;
}

void
mon_init(struct mon *m, const struct mon_settings *s, struct mon_ups *ups, size_t n,
    mon_notify_fn notify, void *ctx, int64_t now)
{
	memset(m, 0, sizeof(*m));
	m->s = *s;
	m->ups = ups;
	m->nups = n;
	m->notify = notify;
	m->ctx = ctx;
	for (size_t i = 0; i < n; i++) {
		struct mon_ups *u = &ups[i];
		u->flags = 0;
		u->commstate = -1;
		u->linestate = -1;
		u->polled = u->rb_warned = u->nc_warned = u->fsd_notified = false;
		u->lastpoll = u->lastnoncrit = now;
		u->lastrbwarn = u->lastncwarn = u->offsince = u->oversince = u->oblbsince = now;
		u->alarm[0] = u->other[0] = '\0';
	}
}

unsigned
mon_total_pv(const struct mon *m)
{
	unsigned sum = 0;

	for (size_t i = 0; i < m->nups; i++)
		sum += m->ups[i].pv;
	return sum;
}

static void
emit(struct mon *m, unsigned ev, const struct mon_ups *u, const char *detail)
{
	if (m->notify)
		m->notify(m->ctx, ev, u ? u->name : "", detail);
}

struct token {
	const char *word;
	unsigned flag; /* 0: known, ignored by upsmon (HB, CHRG, DISCHRG) */
};

static const struct token tokens[] = {
	{"OL", MF_OL},         {"OB", MF_OB},     {"LB", MF_LB},       {"RB", MF_RB},
	{"FSD", MF_FSD},       {"CAL", MF_CAL},   {"OFF", MF_OFF},     {"BYPASS", MF_BYPASS},
	{"ECO", MF_ECO},       {"ALARM", MF_ALARM}, {"OVER", MF_OVER}, {"TRIM", MF_TRIM},
	{"BOOST", MF_BOOST},   {"HB", 0},         {"CHRG", 0},         {"DISCHRG", 0},
};

static const struct token *
token_find(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++)
		if (strlen(tokens[i].word) == n && strncmp(tokens[i].word, w, n) == 0)
			return &tokens[i];
	return NULL;
}

static void
other_append(char *other, size_t size, const char *w, size_t n)
{
	size_t len = strlen(other);

	if (len + (len ? 1 : 0) + n + 1 > size)
		return;
	if (len)
		other[len++] = ' ';
	memcpy(other + len, w, n);
	other[len + n] = '\0';
}

unsigned
mon_parse_status(const char *status, const char *buzzwords, char *other, size_t size)
{
	unsigned flags = 0;
	const char *p = status ? status : "";

	if (size)
		other[0] = '\0';
	while (*p) {
		p += strspn(p, " \t");
		size_t n = strcspn(p, " \t");
		if (n == 0)
			break;
		const struct token *t = token_find(p, n);
		if (t)
			flags |= t->flag;
		else if (size)
			other_append(other, size, p, n);
		p += n;
	}
	/* NUT 2.8.3+: ECO may be announced in ups.mode.buzzwords instead. */
	for (p = buzzwords ? buzzwords : ""; *p;) {
		p += strspn(p, " \t");
		size_t n = strcspn(p, " \t");
		if (n == 3 && strncmp(p, "ECO", 3) == 0)
			flags |= MF_ECO;
		p += n;
	}
	if (size && other[0])
		flags |= MF_OTHER;
	return flags;
}

/* Plain set/clear edges: event when the flag appears, NOT-event when it goes. */
struct edge {
	unsigned flag;
	unsigned on, off;
};

static const struct edge edges[] = {
	{MF_CAL, UPSMON_N_CAL, UPSMON_N_NOTCAL},          {MF_OFF, UPSMON_N_OFF, UPSMON_N_NOTOFF},
	{MF_BYPASS, UPSMON_N_BYPASS, UPSMON_N_NOTBYPASS}, {MF_ECO, UPSMON_N_ECO, UPSMON_N_NOTECO},
	{MF_OVER, UPSMON_N_OVER, UPSMON_N_NOTOVER},       {MF_TRIM, UPSMON_N_TRIM, UPSMON_N_NOTTRIM},
	{MF_BOOST, UPSMON_N_BOOST, UPSMON_N_NOTBOOST},
};

static void
comm_alive(struct mon *m, struct mon_ups *u, int64_t now)
{
	u->lastpoll = now;
	if (u->commstate == 0)
		emit(m, UPSMON_N_COMMOK, u, NULL);
	u->commstate = 1;
	u->nc_warned = false;
}

static void
line_edges(struct mon *m, struct mon_ups *u, unsigned old, unsigned new)
{
	if ((new & MF_OB) && !(old & MF_OB)) {
		/* ONBATT is sent even for the first poll after start. */
		emit(m, UPSMON_N_ONBATT, u, NULL);
		u->linestate = 0;
	} else if ((new & MF_OL) && !(new & MF_OB) && !(old & MF_OL)) {
		/* ONLINE is not sent for the first OL after start. */
		if (u->linestate != -1)
			emit(m, UPSMON_N_ONLINE, u, NULL);
		u->linestate = 1;
	} else if ((new & MF_OL) && !(new & MF_OB) && (old & MF_OB)) {
		emit(m, UPSMON_N_ONLINE, u, NULL);
		u->linestate = 1;
	}
	if ((new & MF_LB) && !(old & MF_LB))
		emit(m, UPSMON_N_LOWBATT, u, NULL);
	if ((new & MF_FSD) && !u->fsd_notified) {
		log_warn("UPS [%s]: forced shutdown (FSD) is set", u->name);
		emit(m, UPSMON_N_FSD, u, NULL);
		u->fsd_notified = true;
	}
}

static void
repeat_edges(struct mon *m, struct mon_ups *u, unsigned new, int64_t now)
{
	if (new & MF_RB) {
		if (!u->rb_warned || now - u->lastrbwarn >= SEC(m->s.rbwarntime)) {
			emit(m, UPSMON_N_REPLBATT, u, NULL);
			u->lastrbwarn = now;
			u->rb_warned = true;
		}
	} else {
		u->rb_warned = false;
	}
}

static void
state_edges(struct mon *m, struct mon_ups *u, unsigned old, unsigned new, const char *alarm,
    const char *other)
{
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		const struct edge *e = &edges[i];
		if ((new & e->flag) && !(old & e->flag))
			emit(m, e->on, u, NULL);
		else if (!(new & e->flag) && (old & e->flag))
			emit(m, e->off, u, NULL);
	}
	/* ALARM and OTHER also fire again when their text changes. */
	if (new & MF_ALARM) {
		if (!(old & MF_ALARM) || strcmp(u->alarm, alarm) != 0)
			emit(m, UPSMON_N_ALARM, u, alarm);
		str_copy(u->alarm, alarm, sizeof(u->alarm));
	} else if (old & MF_ALARM) {
		emit(m, UPSMON_N_NOTALARM, u, NULL);
		u->alarm[0] = '\0';
	}
	if (new & MF_OTHER) {
		if (!(old & MF_OTHER) || strcmp(u->other, other) != 0)
			emit(m, UPSMON_N_OTHER, u, other);
		str_copy(u->other, other, sizeof(u->other));
	} else if (old & MF_OTHER) {
		emit(m, UPSMON_N_NOTOTHER, u, NULL);
		u->other[0] = '\0';
	}
}

static void
track_since(struct mon_ups *u, unsigned old, unsigned new, int64_t now)
{
	if ((new & MF_OFF) && !(old & MF_OFF))
		u->offsince = now;
	if ((new & MF_OVER) && !(old & MF_OVER))
		u->oversince = now;
	bool oblb = (new & MF_OB) && (new & MF_LB);
	if (oblb && !((old & MF_OB) && (old & MF_LB)))
		u->oblbsince = now;
	if (!oblb)
		u->lastnoncrit = now;
}

void
mon_poll_ok(struct mon *m, size_t i, int64_t now, const char *status, const char *alarm,
    const char *buzzwords)
{
	struct mon_ups *u = &m->ups[i];
	char other[MON_DETAIL_MAX];
	unsigned old = u->flags;
	unsigned new = mon_parse_status(status, buzzwords, other, sizeof(other));

	comm_alive(m, u, now);
	/* The FSD latch is never cleared by a poll: upsd keeps it too. */
	if (old & MF_FSD)
		new |= MF_FSD;
	line_edges(m, u, old, new);
	repeat_edges(m, u, new, now);
	state_edges(m, u, old, new, alarm ? alarm : "", other);
	track_since(u, old, new, now);
	u->flags = new;
	u->polled = true;
}

void
mon_poll_failed(struct mon *m, size_t i, int64_t now)
{
	struct mon_ups *u = &m->ups[i];

	if (u->commstate != 0) {
		/* COMMBAD is the first loss, also when the first connect fails. */
		u->commstate = 0;
		emit(m, UPSMON_N_COMMBAD, u, NULL);
		return;
	}
	if (now - u->lastpoll < SEC(m->s.nocommwarntime))
		return;
	if (!u->nc_warned || now - u->lastncwarn >= SEC(m->s.nocommwarntime)) {
		emit(m, UPSMON_N_NOCOMM, u, NULL);
		u->lastncwarn = now;
		u->nc_warned = true;
	}
}

static void
promote_dead(struct mon *m, struct mon_ups *u, int64_t now)
{
	if (now - u->lastpoll > SEC(m->s.deadtime) && (u->flags & MF_OB) && !(u->flags & MF_LB)) {
		log_warn("UPS [%s]: no data for more than %d s while on battery: assuming low battery",
		    u->name, m->s.deadtime);
		u->flags |= MF_LB;
		u->oblbsince = now;
	}
}

/* Last known state makes a silent UPS critical (NUT 2.8.3 rules). */
static bool
critical_when_lost(const struct mon *m, const struct mon_ups *u, int64_t now)
{
	if (u->commstate != 0)
		return false;
	if (u->flags & (MF_CAL | MF_BYPASS))
		return true;
	if ((u->flags & MF_OFF) && m->s.offduration >= 0)
		return true;
	if ((u->flags & MF_ALARM) && m->s.alarmcritical)
		return true;
	if ((u->flags & MF_OVER) && m->s.overduration >= 0 &&
	    now - u->oversince > SEC(m->s.overduration))
		return true;
	return false;
}

bool
mon_is_critical(struct mon *m, size_t i, int64_t now)
{
	struct mon_ups *u = &m->ups[i];

	promote_dead(m, u, now);
	if (u->flags & MF_FSD)
		return true;
	if (critical_when_lost(m, u, now))
		return true;
	if ((u->flags & MF_OFF) && m->s.offduration >= 0 &&
	    now - u->offsince >= SEC(m->s.offduration))
		return true;
	if (!(u->flags & MF_OB) || !(u->flags & MF_LB) || (u->flags & MF_CAL))
		return false;
	if (m->s.oblbduration > 0 && now - u->oblbsince < SEC(m->s.oblbduration))
		return false;
	if (u->primary)
		return true;
	/* A secondary gives the primary HOSTSYNC seconds to set FSD first. */
	if (now - u->lastnoncrit > SEC(m->s.hostsync)) {
		log_warn("Giving up on the primary for UPS [%s]", u->name);
		return true;
	}
	return false;
}

bool
mon_recalc(struct mon *m, int64_t now)
{
	unsigned online = 0;

	if (m->sd != MON_SD_NONE)
		return false;
	for (size_t i = 0; i < m->nups; i++)
		if (!mon_is_critical(m, i, now))
			online += m->ups[i].pv;
	if (online < (unsigned)m->s.minsupplies || m->userfsd) {
		if (m->userfsd)
			log_warn("Forced shutdown requested (upsmon -c fsd)");
		else
			log_warn("Power value %u below MINSUPPLIES %d: shutting down", online,
			    m->s.minsupplies);
		mon_shutdown_begin(m, now);
		return true;
	}
	return false;
}

void
mon_request_fsd(struct mon *m)
{
	m->userfsd = true;
}

bool
mon_any_primary(const struct mon *m)
{
	for (size_t i = 0; i < m->nups; i++)
		if (m->ups[i].primary)
			return true;
	return false;
}

static void
enter_final(struct mon *m, int64_t now)
{
	log_err("Executing automatic power-fail shutdown");
	emit(m, UPSMON_N_SHUTDOWN, NULL, NULL);
	m->sd = MON_SD_FINAL;
	m->sd_deadline = now + SEC(m->s.finaldelay);
}

void
mon_shutdown_begin(struct mon *m, int64_t now)
{
	if (m->sd != MON_SD_NONE)
		return;
	m->sd = MON_SD_FSD;
	m->sd_deadline = now;
}

void
mon_fsd_sent(struct mon *m, int64_t now)
{
	if (m->sd != MON_SD_FSD)
		return;
	for (size_t i = 0; i < m->nups; i++) {
		struct mon_ups *u = &m->ups[i];
		if (u->primary && !u->fsd_notified) {
			emit(m, UPSMON_N_FSD, u, NULL);
			u->fsd_notified = true;
		}
	}
	if (mon_any_primary(m)) {
		m->sd = MON_SD_SYNC;
		m->sd_deadline = now + SEC(m->s.hostsync);
	} else {
		enter_final(m, now);
	}
}

void
mon_sync_logins(struct mon *m, int64_t now, int maxlogins)
{
	if (m->sd != MON_SD_SYNC)
		return;
	if (maxlogins > 1 && now <= m->sd_deadline) {
		if (!m->hostsync_notified) {
			emit(m, UPSMON_N_SHUTDOWN_HOSTSYNC, NULL, NULL);
			m->hostsync_notified = true;
		}
		return;
	}
	if (maxlogins > 1)
		log_info("Host sync timer expired, forcing shutdown");
	enter_final(m, now);
}

bool
mon_final_due(struct mon *m, int64_t now)
{
	if (m->sd != MON_SD_FINAL || now < m->sd_deadline)
		return false;
	m->sd = MON_SD_DONE;
	return true;
}

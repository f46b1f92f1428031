/*
 * dstate: the driver's state tree, broadcasts, status/alarm buffers and
 * the client -> driver commands of the socket protocol.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "drv_int.h"
#include "log.h"
#include "str.h"

/* ---- broadcasts ---- */

static void
broadcast(struct drv *d, const struct sp_msg *m)
{
	char line[SP_MAX_LINE + 1];
	int n;

	if (!d->sock)
		return;
	n = sp_format(line, sizeof(line), m);
	if (n > 0)
		dsock_broadcast(d->sock, line, (size_t)n);
}

/* Apply a message to the tree and broadcast it when it changed something. */
static int
update(struct drv *d, const struct sp_msg *m)
{
	int r = sp_apply(&d->tree, m);

	if (r > 0)
		broadcast(d, m);
	return r;
}

int
drv_setinfo(struct drv *d, const char *name, const char *value)
{
	struct sp_msg m = {.kind = SP_SETINFO, .name = name, .value = value};
	const char *now;
	int r = sp_apply(&d->tree, &m);

	if (r > 0) {
		/* broadcast the stored value: it may have been cut */
		now = st_value(&d->tree, name);
		m.value = now ? now : value;
		broadcast(d, &m);
	}
	return r;
}

int
drv_setinfof(struct drv *d, const char *name, const char *fmt, ...)
{
	char buf[ST_MAX_VALUE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return drv_setinfo(d, name, buf);
}

int
drv_delinfo(struct drv *d, const char *name)
{
	return update(d, &(struct sp_msg){.kind = SP_DELINFO, .name = name});
}

int
drv_setflags(struct drv *d, const char *name, unsigned flags)
{
	const struct st_var *v = st_get(&d->tree, name);
	unsigned old = v ? v->flags : 0;
	int r = st_set_flags(&d->tree, name, flags);

	/* only the wire flags travel; the immutable bit is local */
	if (r > 0 && (old & ST_F_WIRE) != (flags & ST_F_WIRE))
		broadcast(d, &(struct sp_msg){.kind = SP_SETFLAGS, .name = name, .flags = flags});
	return r;
}

int
drv_setaux(struct drv *d, const char *name, long aux)
{
	return update(d, &(struct sp_msg){.kind = SP_SETAUX, .name = name, .num = aux});
}

int
drv_addenum(struct drv *d, const char *name, const char *value)
{
	return update(d, &(struct sp_msg){.kind = SP_ADDENUM, .name = name, .value = value});
}

int
drv_delenum(struct drv *d, const char *name, const char *value)
{
	return update(d, &(struct sp_msg){.kind = SP_DELENUM, .name = name, .value = value});
}

int
drv_addrange(struct drv *d, const char *name, long min, long max)
{
	return update(d,
	              &(struct sp_msg){.kind = SP_ADDRANGE, .name = name, .min = min, .max = max});
}

int
drv_delrange(struct drv *d, const char *name, long min, long max)
{
	return update(d,
	              &(struct sp_msg){.kind = SP_DELRANGE, .name = name, .min = min, .max = max});
}

int
drv_addcmd(struct drv *d, const char *cmd)
{
	return update(d, &(struct sp_msg){.kind = SP_ADDCMD, .name = cmd});
}

int
drv_delcmd(struct drv *d, const char *cmd)
{
	return update(d, &(struct sp_msg){.kind = SP_DELCMD, .name = cmd});
}

void
drv_dataok(struct drv *d)
{
	(void)update(d, &(struct sp_msg){.kind = SP_DATAOK});
}

void
drv_datastale(struct drv *d)
{
	(void)update(d, &(struct sp_msg){.kind = SP_DATASTALE});
}

/* ---- status and alarms ---- */

void
drv_status_init(struct drv *d)
{
	d->status[0] = '\0';
}

static bool
has_token(const char *list, const char *tok)
{
	size_t n = strlen(tok);

	for (const char *p = list; (p = strstr(p, tok)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

static void
append_token(char *buf, size_t size, const char *tok)
{
	size_t len = strlen(buf);

	if (has_token(buf, tok))
		return;
	snprintf(buf + len, size - len, "%s%s", len ? " " : "", tok);
}

void
drv_status_set(struct drv *d, const char *tokens)
{
	char copy[DRV_MAX_STATUS];
	char *save = NULL;

	str_copy(copy, tokens, sizeof(copy));
	for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		/* with ignorelb the device's own LB is not trusted */
		if (d->ignorelb && strcmp(t, "LB") == 0)
			continue;
		append_token(d->status, sizeof(d->status), t);
	}
}

/* value < low, both numbers: the ignorelb rule. */
static bool
below_low(const struct drv *d, const char *var, const char *low)
{
	const char *v = st_value(&d->tree, var), *l = st_value(&d->tree, low);
	char *end1, *end2;
	double a, b;

	if (!v || !l || !*v || !*l)
		return false;
	a = strtod(v, &end1);
	b = strtod(l, &end2);
	return *end1 == '\0' && *end2 == '\0' && a < b;
}

void
drv_status_commit(struct drv *d)
{
	char out[DRV_MAX_STATUS];

	out[0] = '\0';
	if (d->alarm_active)
		append_token(out, sizeof(out), "ALARM");
	/* the device cannot set ALARM itself: it follows ups.alarm */
	if (*d->status) {
		char copy[DRV_MAX_STATUS], *save = NULL;

		str_copy(copy, d->status, sizeof(copy));
		for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
			if (!d->alarm_active || strcmp(t, "ALARM") != 0)
				append_token(out, sizeof(out), t);
	}
	if (d->ignorelb && (below_low(d, "battery.charge", "battery.charge.low") ||
	                    below_low(d, "battery.runtime", "battery.runtime.low")))
		append_token(out, sizeof(out), "LB");
	d->status_set = true;
	(void)drv_setinfo(d, "ups.status", out);
}

void
drv_alarm_init(struct drv *d)
{
	d->alarm[0] = '\0';
}

void
drv_alarm_set(struct drv *d, const char *text)
{
	size_t len = strlen(d->alarm);

	if (!text || !*text)
		return;
	snprintf(d->alarm + len, sizeof(d->alarm) - len, "%s%s", len ? " " : "", text);
}

void
drv_alarm_commit(struct drv *d)
{
	bool was = d->alarm_active;

	d->alarm_active = d->alarm[0] != '\0';
	if (d->alarm_active)
		(void)drv_setinfo(d, "ups.alarm", d->alarm);
	else if (was)
		(void)drv_delinfo(d, "ups.alarm");
	if (d->status_set && was != d->alarm_active)
		drv_status_commit(d);
}

/* ---- client -> driver commands ---- */

static int
emit_to_client(void *ctx, const char *line, size_t len)
{
	return dsock_send(ctx, line, len);
}

static void
reply_tracking(struct dsock_client *c, const char *id, int result)
{
	if (id)
		(void)dsock_send_msg(
		    c, &(struct sp_msg){.kind = SP_TRACKING, .id = id, .num = result});
}

static int
do_instcmd(struct drv *d, const char *cmd, const char *param)
{
	int r = drv_core_instcmd(d, cmd, param);

	if (r >= 0)
		return r;
	if (!st_has_cmd(&d->tree, cmd) || !d->ops->instcmd) {
		log_warn("instcmd: unknown command [%s]", cmd);
		return SP_R_UNKNOWN;
	}
	return d->ops->instcmd(d, cmd, param);
}

static int
do_setvar(struct drv *d, const char *var, const char *value)
{
	if (!d->ops->setvar)
		return SP_R_UNKNOWN;
	return d->ops->setvar(d, var, value);
}

int
drv_sock_line(void *ctx, struct dsock_client *c, const struct tok_line *line)
{
	struct drv *d = ctx;
	struct sp_msg m;
	const char *v;
	int r = sp_parse_server(line, &m);

	if (r < 0) {
		log_debug(1, "socket: bad command [%s] (%s)", line->words[0], strerror(-r));
		return r;
	}
	switch (m.kind) {
	case SP_PING:
		(void)dsock_send_msg(c, &(struct sp_msg){.kind = SP_PONG});
		return 0;
	case SP_DUMPALL:
		if (dsock_client_begin_bulk(c) < 0)
			return 0;
		(void)sp_dump(&d->tree, emit_to_client, c);
		dsock_client_end_bulk(c);
		return 0;
	case SP_DUMPVALUE:
	case SP_DUMPSTATUS:
		v = m.kind == SP_DUMPSTATUS ? "ups.status" : m.name;
		if (st_value(&d->tree, v))
			(void)dsock_send_msg(c, &(struct sp_msg){.kind = SP_SETINFO,
			                                         .name = st_get(&d->tree, v)->name,
			                                         .value = st_value(&d->tree, v)});
		return 0;
	case SP_GETPID:
		(void)dsock_send_msg(c, &(struct sp_msg){.kind = SP_PID, .num = (long)getpid()});
		return 0;
	case SP_NOBROADCAST:
		dsock_client_set_broadcast(c, false);
		return 0;
	case SP_BROADCAST:
		dsock_client_set_broadcast(c, m.num != 0);
		return 0;
	case SP_LOGOUT:
		(void)dsock_send_msg(c, &(struct sp_msg){.kind = SP_GOODBYE});
		dsock_client_close_after_flush(c);
		return 0;
	case SP_INSTCMD:
		log_info("instcmd: [%s]%s%s", m.name, m.value ? " param " : "",
		         m.value ? m.value : "");
		reply_tracking(c, m.id, do_instcmd(d, m.name, m.value));
		return 0;
	case SP_SET:
		log_info("set: [%s] to [%s]", m.name, m.value);
		reply_tracking(c, m.id, do_setvar(d, m.name, m.value));
		return 0;
	default:
		return -ENOTSUP;
	}
}

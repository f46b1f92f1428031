/*
 * sockproto: table-driven parsing and formatting of driver socket lines.
 */
#include "sock/sockproto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "str.h"

enum dir { TO_SERVER, TO_DRIVER };

/* Argument shapes: how the words after the command word map to sp_msg. */
enum shape {
	A_NONE,       /* no arguments (extra words ignored, as NUT does) */
	A_NAME,       /* name */
	A_NAME_VAL,   /* name value */
	A_NAME_NUM,   /* name number */
	A_NAME_FLAGS, /* name flag... */
	A_NAME_RANGE, /* name min max */
	A_ID_NUM,     /* id number */
	A_NUM,        /* number */
	A_OPT_NUM,    /* [number] */
	A_GOODBYE,    /* "Goodbye" */
	A_INSTCMD,    /* name [param] [TRACKING id] */
	A_SET,        /* name value [TRACKING id] */
};

struct cmd_def {
	const char *word;
	enum sp_kind kind;
	enum dir dir;
	enum shape shape;
};

static const struct cmd_def cmds[] = {
    {"SETINFO", SP_SETINFO, TO_SERVER, A_NAME_VAL},
    {"DELINFO", SP_DELINFO, TO_SERVER, A_NAME},
    {"SETFLAGS", SP_SETFLAGS, TO_SERVER, A_NAME_FLAGS},
    {"SETAUX", SP_SETAUX, TO_SERVER, A_NAME_NUM},
    {"ADDENUM", SP_ADDENUM, TO_SERVER, A_NAME_VAL},
    {"DELENUM", SP_DELENUM, TO_SERVER, A_NAME_VAL},
    {"ADDRANGE", SP_ADDRANGE, TO_SERVER, A_NAME_RANGE},
    {"DELRANGE", SP_DELRANGE, TO_SERVER, A_NAME_RANGE},
    {"ADDCMD", SP_ADDCMD, TO_SERVER, A_NAME},
    {"DELCMD", SP_DELCMD, TO_SERVER, A_NAME},
    {"DATAOK", SP_DATAOK, TO_SERVER, A_NONE},
    {"DATASTALE", SP_DATASTALE, TO_SERVER, A_NONE},
    {"DUMPDONE", SP_DUMPDONE, TO_SERVER, A_NONE},
    {"PONG", SP_PONG, TO_SERVER, A_NONE},
    {"TRACKING", SP_TRACKING, TO_SERVER, A_ID_NUM},
    {"PID", SP_PID, TO_SERVER, A_NUM},
    {"OK", SP_GOODBYE, TO_SERVER, A_GOODBYE},
    {"PING", SP_PING, TO_DRIVER, A_NONE},
    {"DUMPALL", SP_DUMPALL, TO_DRIVER, A_NONE},
    {"DUMPVALUE", SP_DUMPVALUE, TO_DRIVER, A_NAME},
    {"DUMPSTATUS", SP_DUMPSTATUS, TO_DRIVER, A_NONE},
    {"GETPID", SP_GETPID, TO_DRIVER, A_NONE},
    {"NOBROADCAST", SP_NOBROADCAST, TO_DRIVER, A_NONE},
    {"BROADCAST", SP_BROADCAST, TO_DRIVER, A_OPT_NUM},
    {"LOGOUT", SP_LOGOUT, TO_DRIVER, A_NONE},
    {"INSTCMD", SP_INSTCMD, TO_DRIVER, A_INSTCMD},
    {"SET", SP_SET, TO_DRIVER, A_SET},
};

static const struct {
	const char *word;
	unsigned flag;
} flag_words[] = {
    {"RW", ST_F_RW},
    {"STRING", ST_F_STRING},
    {"NUMBER", ST_F_NUMBER},
};

static const struct cmd_def *
def_of_kind(enum sp_kind kind)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (cmds[i].kind == kind)
			return &cmds[i];
	return NULL;
}

const char *
sp_kind_name(enum sp_kind kind)
{
	const struct cmd_def *d = def_of_kind(kind);

	return d ? d->word : NULL;
}

static int
parse_num(const char *s, long *ret)
{
	return str_to_long(s, -__LONG_MAX__ - 1, __LONG_MAX__, ret) < 0 ? -EINVAL : 0;
}

static bool
valid_id(const char *id)
{
	return st_valid_name(id) && strlen(id) <= SP_MAX_TRACKING_ID;
}

/* The optional "TRACKING <id>" at the end of words[from..n). Returns the
 * number of words before it (n when absent), or -EINVAL for a bad id. */
static int
split_tracking(const struct tok_line *l, size_t from, struct sp_msg *m)
{
	size_t n = l->nwords;

	if (n >= from + 2 && strcasecmp(l->words[n - 2], "TRACKING") == 0) {
		if (!valid_id(l->words[n - 1]))
			return -EINVAL;
		m->id = l->words[n - 1];
		return (int)(n - 2);
	}
	return (int)n;
}

static int
parse_flags(const struct tok_line *l, struct sp_msg *m)
{
	for (size_t i = 2; i < l->nwords; i++)
		for (size_t j = 0; j < sizeof(flag_words) / sizeof(flag_words[0]); j++)
			if (strcasecmp(l->words[i], flag_words[j].word) == 0)
				m->flags |= flag_words[j].flag;
	return 0;
}

static int
parse_args(const struct cmd_def *d, const struct tok_line *l, struct sp_msg *m)
{
	size_t n = l->nwords;
	const char *const *w = (const char *const *)l->words;
	int end;

	switch (d->shape) {
	case A_NONE:
		return 0;
	case A_GOODBYE:
		return n >= 2 && strcasecmp(w[1], "Goodbye") == 0 ? 0 : -EINVAL;
	case A_NUM:
		return n >= 2 ? parse_num(w[1], &m->num) : -EINVAL;
	case A_OPT_NUM:
		m->num = 1;
		return n >= 2 ? parse_num(w[1], &m->num) : 0;
	case A_ID_NUM:
		if (n < 3 || !valid_id(w[1]))
			return -EINVAL;
		m->id = w[1];
		return parse_num(w[2], &m->num);
	default:
		break;
	}
	if (n < 2 || !st_valid_name(w[1]))
		return -EINVAL;
	m->name = w[1];
	switch (d->shape) {
	case A_NAME:
		return 0;
	case A_NAME_VAL:
		if (n < 3)
			return -EINVAL;
		m->value = w[2];
		return 0;
	case A_NAME_NUM:
		return n >= 3 ? parse_num(w[2], &m->num) : -EINVAL;
	case A_NAME_FLAGS:
		return parse_flags(l, m);
	case A_NAME_RANGE:
		if (n < 4 || parse_num(w[2], &m->min) < 0 || parse_num(w[3], &m->max) < 0)
			return -EINVAL;
		return 0;
	case A_INSTCMD:
		end = split_tracking(l, 2, m);
		if (end < 0)
			return end;
		if (end >= 3)
			m->value = w[2]; /* words past the parameter are ignored, as NUT does */
		return 0;
	case A_SET:
		end = split_tracking(l, 3, m);
		if (end < 0 || end < 3)
			return -EINVAL;
		m->value = w[2];
		return 0;
	default:
		return -EINVAL;
	}
}

static int
parse(const struct tok_line *l, struct sp_msg *m, enum dir dir)
{
	memset(m, 0, sizeof(*m));
	if (l->nwords == 0)
		return -ENODATA;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const struct cmd_def *d = &cmds[i];
		int r;

		if (d->dir != dir || strcasecmp(d->word, l->words[0]) != 0)
			continue;
		m->kind = d->kind;
		r = parse_args(d, l, m);
		if (r < 0) {
			memset(m, 0, sizeof(*m));
			m->kind = SP_NONE;
		}
		return r;
	}
	return -ENOTSUP;
}

int
sp_parse_driver(const struct tok_line *line, struct sp_msg *m)
{
	return parse(line, m, TO_SERVER);
}

int
sp_parse_server(const struct tok_line *line, struct sp_msg *m)
{
	return parse(line, m, TO_DRIVER);
}

int
sp_apply(struct st_tree *t, const struct sp_msg *m)
{
	switch (m->kind) {
	case SP_SETINFO:
		return st_set(t, m->name, m->value);
	case SP_DELINFO:
		return st_del(t, m->name);
	case SP_SETFLAGS: {
		const struct st_var *v = st_get(t, m->name);
		/* keep the local immutable bit; the wire only carries the rest */
		unsigned keep = v ? (v->flags & ST_F_IMMUTABLE) : 0;
		return st_set_flags(t, m->name, (m->flags & ST_F_WIRE) | keep);
	}
	case SP_SETAUX:
		return st_set_aux(t, m->name, m->num);
	case SP_ADDENUM:
		return st_add_enum(t, m->name, m->value);
	case SP_DELENUM:
		return st_del_enum(t, m->name, m->value);
	case SP_ADDRANGE:
		return st_add_range(t, m->name, m->min, m->max);
	case SP_DELRANGE:
		return st_del_range(t, m->name, m->min, m->max);
	case SP_ADDCMD:
		return st_add_cmd(t, m->name);
	case SP_DELCMD:
		return st_del_cmd(t, m->name);
	case SP_DATAOK:
	case SP_DATASTALE: {
		bool stale = m->kind == SP_DATASTALE;
		if (t->stale == stale)
			return 0;
		t->stale = stale;
		return 1;
	}
	default:
		return 0;
	}
}

size_t
sp_flags_text(char *buf, size_t size, unsigned flags)
{
	size_t len = 0;

	if (size > 0)
		buf[0] = '\0';
	for (size_t j = 0; j < sizeof(flag_words) / sizeof(flag_words[0]); j++) {
		if (!(flags & flag_words[j].flag))
			continue;
		int r = snprintf(buf + len, size > len ? size - len : 0, "%s%s", len ? " " : "",
		                 flag_words[j].word);
		if (r < 0 || (size_t)r >= (size > len ? size - len : 0))
			return len;
		len += (size_t)r;
	}
	return len;
}

/* Appending writer into a fixed buffer. */
struct out {
	char *buf;
	size_t size, len;
	bool full;
};

static void __attribute__((format(printf, 2, 3))) put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (o->full)
		return;
	va_start(ap, fmt);
	r = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= o->size - o->len) {
		o->full = true;
		return;
	}
	o->len += (size_t)r;
}

static void
put_quoted(struct out *o, const char *s)
{
	size_t n;

	if (o->full)
		return;
	put(o, " ");
	n = tok_quote(o->buf + o->len, o->size - o->len, s ? s : "");
	if (n >= o->size - o->len)
		o->full = true;
	else
		o->len += n;
}

/* A word quoted only when it needs it (INSTCMD parameters). */
static void
put_word(struct out *o, const char *s)
{
	if (tok_needs_quotes(s))
		put_quoted(o, s);
	else
		put(o, " %s", s);
}

static int
put_tracking(struct out *o, const char *id)
{
	if (!id)
		return 0;
	if (!valid_id(id))
		return -EINVAL;
	put(o, " TRACKING %s", id);
	return 0;
}

static int
format_args(struct out *o, const struct cmd_def *d, const struct sp_msg *m)
{
	char flags[64];

	switch (d->shape) {
	case A_NONE:
		return 0;
	case A_GOODBYE:
		put(o, " Goodbye");
		return 0;
	case A_NUM:
	case A_OPT_NUM:
		put(o, " %ld", m->num);
		return 0;
	case A_ID_NUM:
		if (!m->id || !valid_id(m->id))
			return -EINVAL;
		put(o, " %s %ld", m->id, m->num);
		return 0;
	default:
		break;
	}
	if (!st_valid_name(m->name))
		return -EINVAL;
	put(o, " %s", m->name);
	switch (d->shape) {
	case A_NAME:
		return 0;
	case A_NAME_VAL:
		put_quoted(o, m->value);
		return 0;
	case A_NAME_NUM:
		put(o, " %ld", m->num);
		return 0;
	case A_NAME_FLAGS:
		if (sp_flags_text(flags, sizeof(flags), m->flags) > 0)
			put(o, " %s", flags);
		return 0;
	case A_NAME_RANGE:
		put(o, " %ld %ld", m->min, m->max);
		return 0;
	case A_INSTCMD:
		if (m->value)
			put_word(o, m->value);
		return put_tracking(o, m->id);
	case A_SET:
		put_quoted(o, m->value);
		return put_tracking(o, m->id);
	default:
		return -EINVAL;
	}
}

int
sp_format(char *buf, size_t size, const struct sp_msg *m)
{
	const struct cmd_def *d = def_of_kind(m->kind);
	struct out o = {buf, size, 0, false};
	int r;

	if (size == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (!d)
		return -EINVAL;
	put(&o, "%s", d->word);
	r = format_args(&o, d, m);
	if (r < 0)
		return r;
	put(&o, "\n");
	if (o.full || o.len > SP_MAX_LINE) {
		buf[0] = '\0';
		return -ENOSPC;
	}
	return (int)o.len;
}

static int
emit_msg(const struct sp_msg *m, sp_emit_fn emit, void *ctx)
{
	char line[SP_MAX_LINE + 1];
	int n = sp_format(line, sizeof(line), m);

	if (n < 0)
		return n;
	return emit(ctx, line, (size_t)n);
}

int
sp_dump_var(const struct st_var *v, sp_emit_fn emit, void *ctx)
{
	struct sp_msg m = {.kind = SP_SETINFO, .name = v->name, .value = v->value};
	int r = emit_msg(&m, emit, ctx);

	for (size_t i = 0; r >= 0 && i < v->nenums; i++) {
		m = (struct sp_msg){.kind = SP_ADDENUM, .name = v->name, .value = v->enums[i]};
		r = emit_msg(&m, emit, ctx);
	}
	for (size_t i = 0; r >= 0 && i < v->nranges; i++) {
		m = (struct sp_msg){.kind = SP_ADDRANGE,
		                    .name = v->name,
		                    .min = v->ranges[i].min,
		                    .max = v->ranges[i].max};
		r = emit_msg(&m, emit, ctx);
	}
	if (r >= 0 && v->aux != 0) {
		m = (struct sp_msg){.kind = SP_SETAUX, .name = v->name, .num = v->aux};
		r = emit_msg(&m, emit, ctx);
	}
	if (r >= 0 && (v->flags & ST_F_WIRE)) {
		m = (struct sp_msg){.kind = SP_SETFLAGS, .name = v->name, .flags = v->flags};
		r = emit_msg(&m, emit, ctx);
	}
	return r < 0 ? r : 0;
}

static int
emit_bare(enum sp_kind kind, sp_emit_fn emit, void *ctx)
{
	struct sp_msg m = {.kind = kind};

	return emit_msg(&m, emit, ctx);
}

int
sp_dump(const struct st_tree *t, sp_emit_fn emit, void *ctx)
{
	int r = 0;

	if (t->stale)
		r = emit_bare(SP_DATASTALE, emit, ctx);
	for (size_t i = 0; r >= 0 && i < st_nvars(t); i++)
		r = sp_dump_var(st_var_at(t, i), emit, ctx);
	for (size_t i = 0; r >= 0 && i < st_ncmds(t); i++) {
		struct sp_msg m = {.kind = SP_ADDCMD, .name = st_cmd_at(t, i)};
		r = emit_msg(&m, emit, ctx);
	}
	if (r >= 0 && !t->stale)
		r = emit_bare(SP_DATAOK, emit, ctx);
	if (r >= 0)
		r = emit_bare(SP_DUMPDONE, emit, ctx);
	return r < 0 ? r : 0;
}

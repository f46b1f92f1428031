/*
 * upslog_format: compile and render NUT upslog format strings.
 */
#include "upslog_format.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/upsclient.h"

/* NUT matches the escape name by prefix, in this order ("%HOSTNAME%" is
 * %HOST%, "%TIMESTAMP fmt%" is %TIME fmt%). */
static const struct {
	const char *name;
	enum ulf_kind kind;
} escapes[] = {
	{"HOST", ULF_HOST}, {"UPSHOST", ULF_UPSHOST}, {"PID", ULF_PID},
	{"TIME", ULF_TIME}, {"VAR", ULF_VAR},         {"ETIME", ULF_ETIME},
};

static int
add(struct ulf_format *f, enum ulf_kind kind, const char *arg, size_t len)
{
	struct ulf_item *it;

	if (f->n >= ULF_ITEMS_MAX)
		return -E2BIG;
	it = &f->items[f->n];
	it->kind = kind;
	it->arg = NULL;
	if (arg) {
		it->arg = strndup(arg, len);
		if (!it->arg)
			return -ENOMEM;
	}
	f->n++;
	return 0;
}

/* Append a literal, merging with the previous literal item. */
static int
add_literal(struct ulf_format *f, const char *s, size_t len)
{
	if (f->n > 0 && f->items[f->n - 1].kind == ULF_LITERAL) {
		struct ulf_item *it = &f->items[f->n - 1];
		size_t old = strlen(it->arg);
		char *p = realloc(it->arg, old + len + 1);
		if (!p)
			return -ENOMEM;
		memcpy(p + old, s, len);
		p[old + len] = '\0';
		it->arg = p;
		return 0;
	}
	return add(f, ULF_LITERAL, s, len);
}

/* One "%NAME[ ARG]%" escape: body is the text between the two '%'. */
static int
add_escape(struct ulf_format *f, const char *body, size_t len)
{
	const char *sp = memchr(body, ' ', len);
	size_t namelen = sp ? (size_t)(sp - body) : len;

	for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		size_t l = strlen(escapes[i].name);
		if (namelen >= l && strncasecmp(body, escapes[i].name, l) == 0) {
			if (!sp)
				return add(f, escapes[i].kind, NULL, 0);
			return add(f, escapes[i].kind, sp + 1, len - namelen - 1);
		}
	}
	return add_literal(f, "INVALID", 7);
}

int
ulf_compile(const char *fmt, struct ulf_format *f)
{
	size_t len = strlen(fmt);
	int r = 0;

	f->n = 0;
	if (len >= ULF_FORMAT_MAX)
		return -E2BIG;
	for (size_t i = 0; i < len && r == 0; i++) {
		if (fmt[i] != '%') {
			r = add_literal(f, fmt + i, 1);
		} else if (fmt[i + 1] == '%') {
			r = add_literal(f, "%", 1);
			i++;
		} else {
			const char *end = strchr(fmt + i + 1, '%');
			if (!end) { /* a lone '%': NUT prints INVALID and goes on */
				r = add_literal(f, "INVALID", 7);
				continue;
			}
			r = add_escape(f, fmt + i + 1, (size_t)(end - fmt - i - 1));
			i = (size_t)(end - fmt);
		}
	}
	return r;
}

void
ulf_free(struct ulf_format *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->items[i].arg);
	f->n = 0;
}

struct out {
	char *buf;
	size_t size, len;
};

static void __attribute__((format(printf, 2, 3)))
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len + 1 >= o->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n < o->size - o->len ? (size_t)n : o->size - o->len - 1;
}

static void
put_time(struct out *o, const char *arg, time_t now)
{
	char fmt[ULF_FORMAT_MAX], tbuf[512];
	struct tm tm;
	size_t i;

	for (i = 0; arg && arg[i] && i + 1 < sizeof(fmt); i++)
		fmt[i] = arg[i] == '@' ? '%' : arg[i];
	fmt[i] = '\0';
	localtime_r(&now, &tm);
	/* The user's format is the point of %TIME: a non-literal on purpose. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (strftime(tbuf, sizeof(tbuf), fmt, &tm) == 0)
		tbuf[0] = '\0';
#pragma GCC diagnostic pop
	put(o, "%s", tbuf);
}

static void
put_var(struct out *o, const char *var, const struct ulf_context *ctx)
{
	char val[UCL_VALUE_MAX];

	/* NUT refuses empty and old-style (dot-less) names */
	if (!var || !*var || !strchr(var, '.')) {
		put(o, "INVALID");
		return;
	}
	if (ctx->get_var(ctx->arg, var, val, sizeof(val)) < 0)
		put(o, "NA");
	else
		put(o, "%s", val);
}

size_t
ulf_render(const struct ulf_format *f, const struct ulf_context *ctx, char *buf, size_t size)
{
	struct out o = {.buf = buf, .size = size};

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < f->n; i++) {
		const struct ulf_item *it = &f->items[i];
		switch (it->kind) {
		case ULF_LITERAL:
			put(&o, "%s", it->arg);
			break;
		case ULF_HOST:
			put(&o, "%s", ctx->hostname);
			break;
		case ULF_UPSHOST:
			put(&o, "%s", ctx->upshost);
			break;
		case ULF_PID:
			put(&o, "%ld", (long)ctx->pid);
			break;
		case ULF_TIME:
			put_time(&o, it->arg, ctx->now);
			break;
		case ULF_VAR:
			put_var(&o, it->arg, ctx);
			break;
		case ULF_ETIME:
			put(&o, "%ld", (long)ctx->now);
			break;
		}
	}
	return o.len;
}

/*
 * usersfile: line-preserving edits of upsd.users text (see usersfile.h).
 *
 * The file is treated as lines; only section headers ("[name]") and
 * "password" lines are interpreted.  Everything else is copied through
 * unchanged, so comments and the administrator's layout survive.
 */
#include "usersfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A growing output buffer bounded by USERSFILE_MAX_SIZE. */
struct out {
	char *buf;
	size_t len, cap;
	int err;
};

static void
out_put(struct out *o, const char *s, size_t n)
{
	if (o->err)
		return;
	if (o->len + n + 1 > USERSFILE_MAX_SIZE) {
		o->err = -E2BIG;
		return;
	}
	if (o->len + n + 1 > o->cap) {
		size_t cap = (o->len + n + 1) * 2;
		char *b = realloc(o->buf, cap);
		if (!b) {
			o->err = -ENOMEM;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
out_str(struct out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

static int
out_finish(struct out *o, char **ret)
{
	if (!o->err && !o->buf)
		out_put(o, "", 0);
	if (o->err) {
		free(o->buf);
		return o->err;
	}
	*ret = o->buf;
	return 0;
}

/* One line of the input: [start, end) without the newline; next = after it. */
struct line {
	const char *start, *end, *next;
};

static bool
line_get(const char *text, size_t len, const char *pos, struct line *l)
{
	const char *stop = text + len;
	const char *nl;

	if (pos >= stop)
		return false;
	nl = memchr(pos, '\n', (size_t)(stop - pos));
	l->start = pos;
	l->end = nl ? nl : stop;
	l->next = nl ? nl + 1 : stop;
	return true;
}

static const char *
skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

/* If the line is a section header, return its name span. */
static bool
line_section(const struct line *l, const char **name, size_t *nlen)
{
	const char *p = skip_space(l->start, l->end);
	const char *close;

	if (p >= l->end || *p != '[')
		return false;
	close = memchr(p, ']', (size_t)(l->end - p));
	if (!close)
		return false;
	*name = p + 1;
	*nlen = (size_t)(close - p - 1);
	return true;
}

static bool
line_is_section(const struct line *l, const char *name)
{
	const char *n;
	size_t len;

	return line_section(l, &n, &len) && len == strlen(name) && memcmp(n, name, len) == 0;
}

/* Comment or blank: belongs to whatever follows it. */
static bool
line_is_filler(const struct line *l)
{
	const char *p = skip_space(l->start, l->end);

	return p >= l->end || *p == '#';
}

static bool
line_is_password(const struct line *l)
{
	const char *p = skip_space(l->start, l->end);
	size_t n = strlen("password");

	if ((size_t)(l->end - p) < n || strncasecmp(p, "password", n) != 0)
		return false;
	p += n;
	return p == l->end || *p == ' ' || *p == '\t' || *p == '=';
}

int
usersfile_check_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > USERSFILE_NAME_MAX)
		return -EINVAL;
	for (const char *p = name; *p; p++)
		if (!isgraph((unsigned char)*p) || strchr("[]\"\\#=", *p))
			return -EINVAL;
	return 0;
}

/* Values are written in double quotes: they may not contain these. */
static int
check_value(const char *v)
{
	if (!v || !*v || strpbrk(v, "\"\\\n\r") || strlen(v) > USERSFILE_EXTRA_MAX * 2)
		return -EINVAL;
	return 0;
}

int
usersfile_has_user(const char *text, size_t len, const char *name)
{
	struct line l;

	for (const char *pos = text; line_get(text, len, pos, &l); pos = l.next)
		if (line_is_section(&l, name))
			return 1;
	return 0;
}

static void
put_password(struct out *o, const char *indent, size_t ilen, const char *hash)
{
	out_put(o, indent, ilen);
	out_str(o, "password = \"");
	out_str(o, hash);
	out_str(o, "\"\n");
}

static void
put_line(struct out *o, const struct line *l)
{
	out_put(o, l->start, (size_t)(l->next - l->start));
	if (l->next == l->end) /* last line without newline */
		out_str(o, "\n");
}

int
usersfile_add(const char *text, size_t len, const char *name, const char *hash,
    const struct usersfile_extra *extra, char **ret)
{
	struct out o = {0};

	if (usersfile_check_name(name) < 0 || check_value(hash) < 0)
		return -EINVAL;
	if (extra && ((extra->actions && check_value(extra->actions) < 0) ||
			 (extra->instcmds && check_value(extra->instcmds) < 0) ||
			 (extra->upsmon && check_value(extra->upsmon) < 0)))
		return -EINVAL;
	if (usersfile_has_user(text, len, name))
		return -EEXIST;
	out_put(&o, text, len);
	if (len > 0 && text[len - 1] != '\n')
		out_str(&o, "\n");
	if (len > 0)
		out_str(&o, "\n");
	out_str(&o, "[");
	out_str(&o, name);
	out_str(&o, "]\n");
	put_password(&o, "\t", 1, hash);
	if (extra && extra->actions) {
		out_str(&o, "\tactions = ");
		out_str(&o, extra->actions);
		out_str(&o, "\n");
	}
	if (extra && extra->instcmds) {
		out_str(&o, "\tinstcmds = ");
		out_str(&o, extra->instcmds);
		out_str(&o, "\n");
	}
	if (extra && extra->upsmon) {
		out_str(&o, "\tupsmon ");
		out_str(&o, extra->upsmon);
		out_str(&o, "\n");
	}
	return out_finish(&o, ret);
}

int
usersfile_change(const char *text, size_t len, const char *name, const char *hash, char **ret)
{
	struct out o = {0};
	struct line l;
	bool in = false, found = false, done = false;

	if (usersfile_check_name(name) < 0 || check_value(hash) < 0)
		return -EINVAL;
	if (!usersfile_has_user(text, len, name))
		return -ENOENT;
	for (const char *pos = text; line_get(text, len, pos, &l); pos = l.next) {
		const char *n;
		size_t nl;

		if (line_section(&l, &n, &nl)) {
			if (in && !done) { /* section had no password line */
				put_password(&o, "\t", 1, hash);
				done = true;
			}
			in = !found && line_is_section(&l, name);
			found = found || in;
			put_line(&o, &l);
			continue;
		}
		if (in && line_is_password(&l)) {
			if (!done) /* keep the indentation; later duplicates are dropped */
				put_password(&o, l.start,
				    (size_t)(skip_space(l.start, l.end) - l.start), hash);
			done = true;
			continue;
		}
		put_line(&o, &l);
	}
	if (in && !done)
		put_password(&o, "\t", 1, hash);
	return out_finish(&o, ret);
}

int
usersfile_delete(const char *text, size_t len, const char *name, char **ret)
{
	struct out o = {0};
	struct line l;
	bool in = false;
	const char *held = NULL; /* comments/blanks inside the deleted section, maybe the next's */

	if (usersfile_check_name(name) < 0)
		return -EINVAL;
	if (!usersfile_has_user(text, len, name))
		return -ENOENT;
	for (const char *pos = text; line_get(text, len, pos, &l); pos = l.next) {
		const char *n;
		size_t nl;

		if (line_section(&l, &n, &nl)) {
			if (in && held) /* the run of comments right before the next section stays */
				out_put(&o, held, (size_t)(l.start - held));
			held = NULL;
			in = line_is_section(&l, name); /* every duplicate section goes too */
			if (!in)
				put_line(&o, &l);
			continue;
		}
		if (!in) {
			put_line(&o, &l);
			continue;
		}
		if (line_is_filler(&l)) {
			if (!held)
				held = l.start;
		} else {
			held = NULL; /* a directive of the deleted user: drop what came before too */
		}
	}
	if (in && held) /* trailing comments at the end of the file stay */
		out_put(&o, held, (size_t)(text + len - held));
	return out_finish(&o, ret);
}

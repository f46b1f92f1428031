/*
 * devfile: definition files through the tokenizer.
 */
#include "devfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "str.h"

static int
read_all(int fd, char **ret, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_size > DF_MAX_FILE)
		return -EFBIG;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	*ret = buf;
	*len = got;
	return 0;
}

int
df_open(struct df_reader *r, const char *path)
{
	int fd, ret;
	char *buf = NULL;
	size_t len = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = read_all(fd, &buf, &len);
	close(fd);
	if (ret < 0)
		return ret;
	ret = df_open_mem(r, path, buf, len);
	free(buf);
	return ret;
}

int
df_open_mem(struct df_reader *r, const char *path, const char *data, size_t len)
{
	memset(r, 0, sizeof(*r));
	if (len > DF_MAX_FILE)
		return -EFBIG;
	r->path = strdup(path);
	r->buf = malloc(len + 1);
	if (!r->path || !r->buf) {
		free(r->path);
		free(r->buf);
		return -ENOMEM;
	}
	memcpy(r->buf, data, len);
	r->len = len;
	tok_init(&r->tok);
	return 0;
}

void
df_rewind(struct df_reader *r)
{
	tok_free(&r->tok);
	tok_init(&r->tok);
	r->off = 0;
	r->finished = false;
	r->have_last = false;
}

void
df_close(struct df_reader *r)
{
	tok_free(&r->tok);
	free(r->buf);
	free(r->path);
	memset(r, 0, sizeof(*r));
}

static enum df_kind __attribute__((format(printf, 4, 5)))
error(struct df_reader *r, struct df_event *ev, unsigned line, const char *fmt, ...)
{
	int n = snprintf(ev->msg, sizeof(ev->msg), "%s:%u: ", r->path, line);
	va_list ap;

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(ev->msg))
		vsnprintf(ev->msg + n, sizeof(ev->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	ev->kind = DF_ERROR;
	return DF_ERROR;
}

static void
join(char *dst, size_t size, const struct tok_line *l, size_t from)
{
	size_t len = 0;

	dst[0] = '\0';
	for (size_t i = from; i < l->nwords && len + 1 < size; i++) {
		int n = snprintf(dst + len, size - len, "%s%s", i > from ? " " : "", l->words[i]);
		if (n < 0)
			break;
		len += (size_t)n;
		if (len >= size)
			len = size - 1;
	}
}

static enum df_kind
interpret(struct df_reader *r, const struct tok_line *l, struct df_event *ev)
{
	const char *w0 = l->words[0];
	size_t nlen = strlen(w0);
	long secs;

	ev->line = l->lineno;
	if (strcmp(w0, "TIMER") == 0) {
		if (l->nwords < 2 || str_to_long(l->words[1], 0, DF_MAX_TIMER, &secs) < 0)
			return error(r, ev, l->lineno, "TIMER needs 0..86400 seconds, got '%s'",
			             l->nwords < 2 ? "" : l->words[1]);
		ev->secs = secs;
		return ev->kind = DF_TIMER;
	}
	if (strcmp(w0, "ALARM") == 0) {
		join(ev->value, sizeof(ev->value), l, 1);
		return ev->kind = DF_ALARM;
	}
	if (nlen < 2 || w0[nlen - 1] != ':' || strchr(w0, ':') != w0 + nlen - 1)
		return error(r, ev, l->lineno, "expected 'name: value', got '%.100s'", w0);
	memcpy(ev->name, w0, nlen - 1 < ST_MAX_NAME ? nlen - 1 : ST_MAX_NAME);
	ev->name[nlen - 1 < ST_MAX_NAME ? nlen - 1 : ST_MAX_NAME] = '\0';
	if (nlen - 1 > ST_MAX_NAME || !st_valid_name(ev->name))
		return error(r, ev, l->lineno, "invalid variable name '%.100s'", w0);
	if (strncmp(ev->name, "driver.", 7) == 0)
		return DF_END; /* skipped: the caller reads on */
	join(ev->value, sizeof(ev->value), l, 1);
	if (strcasecmp(ev->name, "ups.status") == 0)
		return ev->kind = DF_STATUS;
	if (l->nwords < 2) {
		if (!r->have_last)
			return DF_END; /* nothing to repeat: skipped */
		str_copy(ev->value, r->last, sizeof(ev->value));
	}
	str_copy(r->last, ev->value, sizeof(r->last));
	r->have_last = true;
	return ev->kind = DF_VAR;
}

enum df_kind
df_next(struct df_reader *r, struct df_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	while (!r->finished) {
		int res = TOK_MORE;

		if (r->off < r->len) {
			r->off += tok_feed(&r->tok, r->buf + r->off, r->len - r->off, &res);
		} else {
			res = tok_finish(&r->tok);
			if (res == TOK_MORE) {
				r->finished = true;
				break;
			}
			r->finished = true;
		}
		if (res == TOK_ERROR)
			return error(r, ev, r->tok.lineno, "%s", tok_strerror(r->tok.err));
		if (res != TOK_LINE || r->tok.line.nwords == 0)
			continue;
		if (interpret(r, &r->tok.line, ev) != DF_END)
			return ev->kind;
		memset(ev, 0, sizeof(*ev));
	}
	ev->kind = DF_END;
	return DF_END;
}

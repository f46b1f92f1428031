/*
 * webconf: parser and printer for upsweb.conf (see webconf.h).
 *
 * One table drives parsing and the canonical printer, so a directive cannot
 * be accepted without also being printed by -T.
 */
#include "webconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "str.h"
#include "tokenizer.h"

enum kind {
	K_INT,  /* one integer in [min, max] */
	K_BOOL, /* yes/no */
	K_PATH, /* one word */
	K_LISTEN,
	K_RATE, /* count seconds */
};

struct directive {
	const char *name;
	enum kind kind;
	size_t off; /* offset of the field in struct webconf */
	long min, max;
};

#define F(field) offsetof(struct webconf, field)

static const struct directive table[] = {
    {"LISTEN", K_LISTEN, F(listen), 1, 65535},
    {"POLLFREQ", K_INT, F(pollfreq), 1, 3600},
    {"UPSD_TIMEOUT", K_INT, F(upsd_timeout), 1, 120},
    {"UPSD_TLS", K_BOOL, F(upsd_tls), 0, 0},
    {"UPSD_CAFILE", K_PATH, F(upsd_cafile), 0, WEBCONF_PATH_MAX},
    {"HISTORY", K_INT, F(history), 60, 7 * 86400},
    {"HISTORY_STEP", K_INT, F(history_step), 1, 3600},
    {"MAX_CONNECTIONS", K_INT, F(max_connections), 8, 65536},
    {"REQUEST_TIMEOUT", K_INT, F(request_timeout), 1, 600},
    {"ALLOW_COMMANDS", K_BOOL, F(allow_commands), 0, 0},
    {"ALLOW_WRITES", K_BOOL, F(allow_writes), 0, 0},
    {"LOGIN_RATE", K_RATE, F(login_rate_count), 1, 86400},
    {"SESSION_TIMEOUT", K_INT, F(session_timeout), 60, 86400},
    {"ALLOW_PLAINTEXT_REMOTE", K_BOOL, F(allow_plain_remote), 0, 0},
    {"CERTFILE", K_PATH, F(certfile), 0, WEBCONF_PATH_MAX},
    {"KEYFILE", K_PATH, F(keyfile), 0, WEBCONF_PATH_MAX},
    {"RUN_AS_USER", K_PATH, F(user), 0, 64},
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

void
webconf_defaults(struct webconf *c)
{
	memset(c, 0, sizeof(*c));
	c->pollfreq = 5;
	c->upsd_timeout = 5;
	c->history = 4 * 3600;
	c->history_step = 30;
	c->max_connections = 256;
	c->request_timeout = 15;
	c->login_rate_count = 5;
	c->login_rate_window = 60;
	c->session_timeout = 900;
}

bool
webconf_is_loopback(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
	       strcmp(addr, "localhost") == 0;
}

static int
set_value(struct webconf *c, const struct directive *d, char *const *args, size_t nargs,
          const char **why)
{
	char *base = (char *)c + d->off;
	long v, w;
	bool b;

	switch (d->kind) {
	case K_INT:
		if (nargs != 1 || str_to_long(args[0], d->min, d->max, &v) < 0) {
			*why = "expects one whole number in range";
			return -EINVAL;
		}
		*(int *)(void *)base = (int)v;
		return 0;
	case K_BOOL:
		if (nargs != 1 || str_to_bool(args[0], &b) < 0) {
			*why = "expects yes or no";
			return -EINVAL;
		}
		*(bool *)(void *)base = b;
		return 0;
	case K_PATH:
		if (nargs != 1 || args[0][0] == '\0' || strlen(args[0]) >= (size_t)d->max) {
			*why = "expects one non-empty word (quote it if it has spaces)";
			return -EINVAL;
		}
		str_copy(base, args[0], (size_t)d->max);
		return 0;
	case K_RATE:
		if (nargs != 2 || str_to_long(args[0], 1, 10000, &v) < 0 ||
		    str_to_long(args[1], d->min, d->max, &w) < 0) {
			*why = "expects <count> <seconds>";
			return -EINVAL;
		}
		c->login_rate_count = (int)v;
		c->login_rate_window = (int)w;
		return 0;
	case K_LISTEN:
		if (nargs < 1 || nargs > 2 || args[0][0] == '\0' ||
		    strlen(args[0]) >= WEBCONF_ADDR_MAX) {
			*why = "expects <address> [<port>]";
			return -EINVAL;
		}
		v = WEBCONF_DEFAULT_PORT;
		if (nargs == 2 && str_to_long(args[1], 1, 65535, &v) < 0) {
			*why = "port must be 1..65535";
			return -EINVAL;
		}
		if (c->nlisten >= WEBCONF_MAX_LISTEN) {
			*why = "too many LISTEN lines";
			return -EINVAL;
		}
		str_copy(c->listen[c->nlisten].addr, args[0], WEBCONF_ADDR_MAX);
		c->listen[c->nlisten].port = (uint16_t)v;
		c->nlisten++;
		return 0;
	}
	*why = "internal error";
	return -EINVAL;
}

static int
handle_line(struct webconf *c, const char *name, const struct tok_line *l, FILE *errs)
{
	const char *why = NULL;

	if (l->nwords == 0)
		return 0;
	for (size_t i = 0; i < NTABLE; i++) {
		if (strcmp(table[i].name, l->words[0]) != 0)
			continue;
		if (set_value(c, &table[i], l->words + 1, l->nwords - 1, &why) == 0)
			return 0;
		fprintf(errs, "%s:%u: %s %s\n", name, l->lineno, table[i].name, why);
		return -EINVAL;
	}
	fprintf(errs, "%s:%u: unknown directive %s\n", name, l->lineno, l->words[0]);
	return -EINVAL;
}

/* Checks across directives, after the whole file was read. */
static int
validate(struct webconf *c, const char *name, FILE *errs)
{
	int r = 0;

	if ((c->certfile[0] != '\0') != (c->keyfile[0] != '\0')) {
		fprintf(errs, "%s: CERTFILE and KEYFILE go together\n", name);
		r = -EINVAL;
	}
	if (c->history_step > c->history) {
		fprintf(errs, "%s: HISTORY_STEP is longer than HISTORY\n", name);
		r = -EINVAL;
	}
	for (size_t i = 0; i < c->nlisten; i++) {
		if (webconf_is_loopback(c->listen[i].addr) || c->certfile[0] ||
		    c->allow_plain_remote)
			continue;
		fprintf(
		    errs,
		    "%s: LISTEN %s is not loopback and no CERTFILE is set; put a TLS reverse "
		    "proxy in front and set ALLOW_PLAINTEXT_REMOTE yes, or configure CERTFILE\n",
		    name, c->listen[i].addr);
		r = -EINVAL;
	}
	if (c->nlisten == 0) {
		str_copy(c->listen[0].addr, WEBCONF_DEFAULT_ADDR, WEBCONF_ADDR_MAX);
		c->listen[0].port = WEBCONF_DEFAULT_PORT;
		c->nlisten = 1;
	}
	return r;
}

int
webconf_parse(const char *name, const char *text, size_t len, struct webconf *ret, FILE *errs)
{
	struct webconf c;
	struct tokenizer t;
	int r = 0, res;
	size_t off = 0;

	webconf_defaults(&c);
	tok_init(&t);
	for (;;) {
		if (off < len) {
			off += tok_feed(&t, text + off, len - off, &res);
		} else {
			res = tok_finish(&t);
			if (res == TOK_MORE)
				break;
		}
		if (res == TOK_LINE) {
			if (handle_line(&c, name, &t.line, errs) < 0)
				r = -EINVAL;
		} else if (res == TOK_ERROR) {
			fprintf(errs, "%s:%u: %s\n", name, t.lineno, tok_strerror(t.err));
			r = -EINVAL;
			if (off >= len)
				break;
		} else if (off >= len && res == TOK_MORE) {
			continue;
		}
	}
	tok_free(&t);
	if (validate(&c, name, errs) < 0)
		r = -EINVAL;
	if (r == 0)
		*ret = c;
	return r;
}

int
webconf_load(const char *path, bool optional, struct webconf *ret, FILE *errs)
{
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;
		if (e == ENOENT && optional) {
			webconf_defaults(ret);
			return webconf_parse(path, "", 0, ret, errs);
		}
		fprintf(errs, "%s: %s\n", path, strerror(e));
		return -e;
	}
	buf = malloc(WEBCONF_MAX_FILE + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (len < WEBCONF_MAX_FILE && (n = read(fd, buf + len, WEBCONF_MAX_FILE - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			fprintf(errs, "%s: %s\n", path, strerror(e));
			free(buf);
			close(fd);
			return -e;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len >= WEBCONF_MAX_FILE) {
		fprintf(errs, "%s: file larger than %d bytes\n", path, WEBCONF_MAX_FILE);
		free(buf);
		return -EFBIG;
	}
	int r = webconf_parse(path, buf, len, ret, errs);
	free(buf);
	return r;
}

static void
print_word(FILE *out, const char *w)
{
	char q[2 * WEBCONF_PATH_MAX + 3];
	if (tok_needs_quotes(w)) {
		tok_quote(q, sizeof(q), w);
		fputs(q, out);
	} else {
		fputs(w, out);
	}
}

void
webconf_print(const struct webconf *c, FILE *out)
{
	for (size_t i = 0; i < NTABLE; i++) {
		const struct directive *d = &table[i];
		const char *base = (const char *)c + d->off;
		switch (d->kind) {
		case K_LISTEN:
			for (size_t k = 0; k < c->nlisten; k++) {
				fputs("LISTEN ", out);
				print_word(out, c->listen[k].addr);
				fprintf(out, " %u\n", (unsigned)c->listen[k].port);
			}
			break;
		case K_INT:
			fprintf(out, "%s %d\n", d->name, *(const int *)(const void *)base);
			break;
		case K_BOOL:
			fprintf(out, "%s %s\n", d->name,
			        *(const bool *)(const void *)base ? "yes" : "no");
			break;
		case K_RATE:
			fprintf(out, "%s %d %d\n", d->name, c->login_rate_count,
			        c->login_rate_window);
			break;
		case K_PATH:
			if (base[0] == '\0')
				break;
			fprintf(out, "%s ", d->name);
			print_word(out, base);
			fputc('\n', out);
			break;
		}
	}
}

/*
 * conf: diagnostics, file reading, the line loop and the small value
 * parsers every config parser shares; the secret-file check; networks.
 */
#include "conf/conf.h"
#include "conf/conf_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "str.h"

void
conf_diag_init(struct conf_diag *d)
{
	memset(d, 0, sizeof(*d));
}

void
conf_diag_free(struct conf_diag *d)
{
	for (size_t i = 0; i < d->nmsgs; i++)
		free(d->msgs[i].text);
	free(d->msgs);
	conf_diag_init(d);
}

void
conf_diag_print(FILE *f, const struct conf_diag *d)
{
	size_t total = d->nerrors + d->nwarnings;

	for (size_t i = 0; i < d->nmsgs; i++)
		fprintf(f, "%s\n", d->msgs[i].text);
	if (total > d->nmsgs)
		fprintf(f, "(%zu more messages not shown)\n", total - d->nmsgs);
}

static void diag_add(struct conf_ctx *c, bool warning, unsigned line, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void
diag_add(struct conf_ctx *c, bool warning, unsigned line, const char *fmt, va_list ap)
{
	struct conf_diag *d = c->diag;
	char text[CONF_MAX_MSGLEN];
	int n;

	if (warning)
		d->nwarnings++;
	else
		d->nerrors++;
	if (d->nmsgs >= CONF_MAX_MSGS)
		return;
	if (line)
		n = snprintf(text, sizeof(text), "%s:%u: %s", c->path, line,
		             warning ? "warning: " : "");
	else
		n = snprintf(text, sizeof(text), "%s: %s", c->path, warning ? "warning: " : "");
	if (n < 0 || (size_t)n >= sizeof(text))
		n = 0;
	(void)vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
	if (d->nmsgs == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct conf_msg *m = realloc(d->msgs, cap * sizeof(*m));

		if (!m)
			return;
		d->msgs = m;
		d->cap = cap;
	}
	d->msgs[d->nmsgs].text = strdup(text);
	if (!d->msgs[d->nmsgs].text)
		return;
	d->msgs[d->nmsgs].warning = warning;
	d->nmsgs++;
}

void
conf_err(struct conf_ctx *c, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_add(c, false, line, fmt, ap);
	va_end(ap);
}

void
conf_warn(struct conf_ctx *c, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_add(c, true, line, fmt, ap);
	va_end(ap);
}

bool
conf_failed(const struct conf_ctx *c)
{
	return c->diag->nerrors > c->errors_before;
}

static void
report_warnings(struct conf_ctx *c, unsigned line, unsigned bits)
{
	static const unsigned order[] = {TOK_W_NONASCII, TOK_W_WORDLEN, TOK_W_WORDS, TOK_W_LINELEN};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (bits & order[i])
			conf_warn(c, line, "%s", tok_strwarning(order[i]));
}

void
conf_each_line(struct conf_ctx *c, const char *buf, size_t len, conf_line_fn fn, void *state)
{
	struct tokenizer t;
	size_t off = 0;
	int r;

	tok_init(&t);
	while (off < len) {
		off += tok_feed(&t, buf + off, len - off, &r);
		if (r == TOK_ERROR) {
			/* Cuts before the error still count; the error is on the
			 * physical line of the offending byte. */
			report_warnings(c, t.start_lineno, t.warnings);
			conf_err(c, t.lineno, "%s", tok_strerror(t.err));
		} else if (r == TOK_LINE) {
			report_warnings(c, t.line.lineno, t.line.warnings);
			if (t.line.nwords > 0)
				fn(state, c, &t.line);
		}
	}
	r = tok_finish(&t);
	if (r == TOK_ERROR) {
		report_warnings(c, t.start_lineno, t.warnings);
		conf_err(c, t.start_lineno, "%s", tok_strerror(t.err));
	} else if (r == TOK_LINE) {
		report_warnings(c, t.line.lineno, t.line.warnings);
		if (t.line.nwords > 0)
			fn(state, c, &t.line);
	}
	tok_free(&t);
}

int
conf_read_file(struct conf_ctx *c, char **buf, size_t *len)
{
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	int fd, err;

	*buf = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO in place of the file must not hang the daemon. */
	fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		err = errno;
		conf_err(c, 0, "cannot open: %s", strerror(err));
		return -err;
	}
	if (fstat(fd, &st) < 0) {
		err = errno;
		conf_err(c, 0, "cannot examine: %s", strerror(err));
		close(fd);
		return -err;
	}
	if (!S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		conf_err(c, 0, "not a regular file");
		close(fd);
		return -err;
	}
	if (st.st_size > CONF_MAX_FILE_SIZE) {
		conf_err(c, 0, "file larger than %d bytes", CONF_MAX_FILE_SIZE);
		close(fd);
		return -EFBIG;
	}
	data = malloc((size_t)st.st_size + 1);
	if (!data) {
		conf_err(c, 0, "out of memory");
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			conf_err(c, 0, "read error: %s", strerror(err));
			free(data);
			close(fd);
			return -err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	data[got] = '\0';
	*buf = data;
	*len = got;
	return 0;
}

char *
conf_strdup(struct conf_ctx *c, unsigned line, const char *s)
{
	char *p = strdup(s);

	if (!p)
		conf_err(c, line, "out of memory");
	return p;
}

void
conf_set_str(struct conf_ctx *c, unsigned line, char **dst, const char *s)
{
	char *p = conf_strdup(c, line, s);

	if (!p)
		return;
	free(*dst);
	*dst = p;
}

int
conf_get_long(struct conf_ctx *c, unsigned line, const char *what, const char *s, long min,
              long max, long *ret)
{
	long v;

	if (str_to_long(s, min, max, &v) < 0) {
		conf_err(c, line, "%s: '%s' is not a whole number in %ld..%ld", what, s, min, max);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

int
conf_get_bool(struct conf_ctx *c, unsigned line, const char *what, const char *s, bool *ret)
{
	if (str_to_bool(s, ret) < 0) {
		conf_err(c, line, "%s: '%s' is not a boolean (yes/no, true/false, on/off, 1/0)",
		         what, s);
		return -EINVAL;
	}
	return 0;
}

void *
conf_push(struct conf_ctx *c, unsigned line, void **arr, size_t *n, size_t elem)
{
	char *p;

	/* Grow one by one: config arrays are short and bounded. */
	p = realloc(*arr, (*n + 1) * elem);
	if (!p) {
		conf_err(c, line, "out of memory");
		return NULL;
	}
	*arr = p;
	memset(p + *n * elem, 0, elem);
	return p + (*n)++ * elem;
}

char **
conf_argv_dup(struct conf_ctx *c, unsigned line, char *const *words, size_t n)
{
	char **argv = calloc(n + 1, sizeof(*argv));

	if (!argv) {
		conf_err(c, line, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		argv[i] = conf_strdup(c, line, words[i]);
		if (!argv[i]) {
			conf_argv_free(argv);
			return NULL;
		}
	}
	return argv;
}

void
conf_argv_free(char **argv)
{
	if (!argv)
		return;
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

void
conf_print_word(FILE *f, const char *word)
{
	char buf[2 * TOK_MAX_WORDLEN + 3];

	if (!tok_needs_quotes(word)) {
		fputs(word, f);
		return;
	}
	if (tok_quote(buf, sizeof(buf), word) < sizeof(buf)) {
		fputs(buf, f);
		return;
	}
	/* Longer than any word the tokenizer produces: escape piecewise. */
	fputc('"', f);
	for (const char *p = word; *p; p++) {
		if (*p == '\\' || *p == '"' || *p == '#')
			fputc('\\', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

void
conf_print_kw_str(FILE *f, const char *kw, const char *val)
{
	if (!val)
		return;
	fprintf(f, "%s ", kw);
	conf_print_word(f, val);
	fputc('\n', f);
}

void
conf_print_kv_str(FILE *f, const char *indent, const char *key, const char *val)
{
	if (!val)
		return;
	fprintf(f, "%s%s = ", indent, key);
	conf_print_word(f, val);
	fputc('\n', f);
}

/* ---- secret files ---- */

int
conf_check_secret_stat(const struct stat *st, const char *path, char *msg, size_t size)
{
	char group[64];
	struct group *gr;

	gr = getgrgid(st->st_gid);
	if (gr)
		str_copy(group, gr->gr_name, sizeof(group));
	else
		(void)snprintf(group, sizeof(group), "%u", (unsigned)st->st_gid);

	if (!S_ISREG(st->st_mode)) {
		(void)snprintf(msg, size, "%s: not a regular file", path);
		return -EACCES;
	}
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		(void)snprintf(msg, size,
		               "%s: owned by uid %u, neither root nor this program's user; "
		               "run: chown root:%s %s",
		               path, (unsigned)st->st_uid, group, path);
		return -EACCES;
	}
	if (st->st_mode & (S_IWGRP | S_IRWXO)) {
		const char *what = (st->st_mode & S_IWOTH)   ? "world-writable"
		                   : (st->st_mode & S_IROTH) ? "world-readable"
		                   : (st->st_mode & S_IWGRP) ? "group-writable"
		                                             : "accessible to others";

		(void)snprintf(msg, size,
		               "%s: mode %04o is %s and the file holds passwords; "
		               "run: chmod 0640 %s (and chown root:%s %s if the group is not "
		               "the daemon's)",
		               path, (unsigned)(st->st_mode & 07777), what, path, group, path);
		return -EACCES;
	}
	if (size > 0)
		msg[0] = '\0';
	return 0;
}

int
conf_check_secret_file(const char *path, char *msg, size_t size)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		int err = errno;

		(void)snprintf(msg, size, "%s: %s", path, strerror(err));
		return -err;
	}
	return conf_check_secret_stat(&st, path, msg, size);
}

/* ---- networks ---- */

static bool
host_bits_zero(const uint8_t *addr, unsigned bytes, unsigned prefix)
{
	for (unsigned i = 0; i < bytes; i++) {
		unsigned bit = i * 8;
		uint8_t mask;

		if (bit + 8 <= prefix)
			continue;
		mask = bit >= prefix ? 0xff : (uint8_t)(0xff >> (prefix - bit));
		if (addr[i] & mask)
			return false;
	}
	return true;
}

int
conf_net_parse(const char *s, struct conf_net *ret)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash, *a = buf;
	size_t len = strlen(s);
	long prefix = -1;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len + 1);
	slash = strchr(buf, '/');
	if (slash) {
		*slash++ = '\0';
		if (*slash < '0' || *slash > '9' || str_to_long(slash, 0, 128, &prefix) < 0)
			return -EINVAL;
	}
	if (a[0] == '[') {
		size_t al = strlen(a);

		if (al < 3 || a[al - 1] != ']')
			return -EINVAL;
		a[al - 1] = '\0';
		a++;
	}
	memset(ret, 0, sizeof(*ret));
	if (inet_pton(AF_INET, a, ret->addr) == 1 && buf[0] != '[') {
		ret->family = AF_INET;
		if (prefix > 32)
			return -EINVAL;
		ret->prefix = prefix < 0 ? 32 : (unsigned)prefix;
		return host_bits_zero(ret->addr, 4, ret->prefix) ? 0 : -EINVAL;
	}
	if (inet_pton(AF_INET6, a, ret->addr) == 1) {
		ret->family = AF_INET6;
		ret->prefix = prefix < 0 ? 128 : (unsigned)prefix;
		return host_bits_zero(ret->addr, 16, ret->prefix) ? 0 : -EINVAL;
	}
	return -EINVAL;
}

void
conf_net_format(const struct conf_net *net, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];
	unsigned full = net->family == AF_INET ? 32 : 128;

	if (!inet_ntop(net->family, net->addr, a, sizeof(a)))
		str_copy(a, "?", sizeof(a));
	if (net->prefix == full)
		(void)snprintf(buf, size, "%s", a);
	else
		(void)snprintf(buf, size, "%s/%u", a, net->prefix);
}

static bool
prefix_match(const uint8_t *a, const uint8_t *b, unsigned prefix)
{
	unsigned bytes = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool
net_match(const struct conf_net *net, int family, const uint8_t *addr)
{
	uint8_t mapped[16];

	if (net->family == family)
		return prefix_match(net->addr, addr, net->prefix);
	/* An IPv4 peer against an IPv6 rule: compare its mapped form. */
	if (family == AF_INET && net->family == AF_INET6) {
		memcpy(mapped, v4mapped_prefix, 12);
		memcpy(mapped + 12, addr, 4);
		return prefix_match(net->addr, mapped, net->prefix);
	}
	return false;
}

bool
conf_cidr_match(const struct conf_net *nets, size_t n, const struct sockaddr *sa)
{
	uint8_t addr[16];
	int family;

	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;

		family = AF_INET;
		memcpy(addr, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)sa;

		family = AF_INET6;
		memcpy(addr, &sin6->sin6_addr, 16);
		if (memcmp(addr, v4mapped_prefix, 12) == 0) {
			/* IPv4-mapped: the peer is really an IPv4 address. */
			family = AF_INET;
			memmove(addr, addr + 12, 4);
		}
	} else {
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (net_match(&nets[i], family, addr))
			return true;
	return false;
}

/* ---- names ---- */

bool
conf_name_valid(const char *s)
{
	size_t n = 0;

	if (!*s || *s == '.')
		return false;
	for (; *s; s++, n++) {
		unsigned char ch = (unsigned char)*s;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.'))
			return false;
	}
	return n <= CONF_MAX_NAME;
}

static bool
host_valid(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 253)
		return false;
	for (; *h; h++) {
		unsigned char ch = (unsigned char)*h;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
		      ch == ':' || ch == '%'))
			return false;
	}
	return true;
}

int
conf_upsname_parse(const char *s, struct conf_upsname *ret, const char **why)
{
	const char *at = strchr(s, '@');
	const char *host, *port = NULL;
	size_t ulen, hlen;
	long p = CONF_DEFAULT_PORT;

	memset(ret, 0, sizeof(*ret));
	*why = NULL;
	ulen = at ? (size_t)(at - s) : strlen(s);
	if (ulen == 0 || ulen > CONF_MAX_NAME) {
		*why = "missing or over-long UPS name";
		return -EINVAL;
	}
	host = at ? at + 1 : "localhost";
	if (at && strchr(host, '@')) {
		*why = "more than one '@'";
		return -EINVAL;
	}
	if (host[0] == '[') {
		const char *close = strchr(host, ']');

		if (!close) {
			*why = "missing ']' after an IPv6 address";
			return -EINVAL;
		}
		if (close[1] != '\0' && close[1] != ':') {
			*why = "unexpected text after ']'";
			return -EINVAL;
		}
		if (close[1] == ':')
			port = close + 2;
		host++;
		hlen = (size_t)(close - host);
	} else {
		const char *colon = strchr(host, ':');

		if (colon && strchr(colon + 1, ':')) {
			*why = "an IPv6 address must be written in brackets: ups@[addr]:port";
			return -EINVAL;
		}
		if (colon)
			port = colon + 1;
		hlen = colon ? (size_t)(colon - host) : strlen(host);
	}
	if (port && (*port < '0' || *port > '9' || str_to_long(port, 1, 65535, &p) < 0)) {
		*why = "port is not a number in 1..65535";
		return -EINVAL;
	}
	ret->ups = strndup(s, ulen);
	ret->host = strndup(host, hlen);
	ret->port = (unsigned)p;
	if (!ret->ups || !ret->host) {
		conf_upsname_free(ret);
		*why = "out of memory";
		return -ENOMEM;
	}
	if (!conf_name_valid(ret->ups)) {
		conf_upsname_free(ret);
		*why = "invalid UPS name (letters, digits, '_', '-', '.')";
		return -EINVAL;
	}
	if (!host_valid(ret->host)) {
		conf_upsname_free(ret);
		*why = "invalid host name";
		return -EINVAL;
	}
	return 0;
}

void
conf_upsname_free(struct conf_upsname *u)
{
	free(u->ups);
	free(u->host);
	u->ups = u->host = NULL;
}

void
conf_upsname_print(FILE *f, const struct conf_upsname *u)
{
	if (strchr(u->host, ':'))
		fprintf(f, "%s@[%s]:%u", u->ups, u->host, u->port);
	else
		fprintf(f, "%s@%s:%u", u->ups, u->host, u->port);
}

int
conf_section_header(struct conf_ctx *c, const struct tok_line *l, char *buf, size_t size)
{
	const char *w = l->words[0];
	size_t n = strlen(w);

	if (w[0] != '[')
		return 0;
	if (l->nwords != 1 || n < 2 || w[n - 1] != ']') {
		conf_err(c, l->lineno, "malformed section header: expected [name]");
		return -1;
	}
	if (n - 2 >= size) {
		conf_err(c, l->lineno, "section name longer than %zu characters", size - 1);
		return -1;
	}
	memcpy(buf, w + 1, n - 2);
	buf[n - 2] = '\0';
	return 1;
}

bool
conf_key_valid(const char *key)
{
	if (!*key)
		return false;
	for (; *key; key++) {
		unsigned char ch = (unsigned char)*key;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.'))
			return false;
	}
	return true;
}

void
conf_dispatch(struct conf_ctx *c, const struct conf_directive *tab, size_t n, void *state,
              const struct tok_line *l)
{
	const char *kw = l->words[0];
	size_t nargs = l->nwords - 1;
	const struct conf_directive *d = NULL;

	for (size_t i = 0; i < n && !d; i++) {
		if (strcmp(tab[i].name, kw) == 0 ||
		    (strcmp(tab[i].name, "DEBUG_MIN") == 0 && str_ieq(kw, "DEBUG_MIN")))
			d = &tab[i];
	}
	if (!d) {
		for (size_t i = 0; i < n; i++) {
			if (str_ieq(tab[i].name, kw)) {
				conf_err(c, l->lineno,
				         "unknown directive '%s' (directives are upper-case: %s)",
				         kw, tab[i].name);
				return;
			}
		}
		conf_err(c, l->lineno, "unknown directive '%s'", kw);
		return;
	}
	if (nargs < d->min_args || nargs > d->max_args) {
		if (d->min_args == d->max_args)
			conf_err(c, l->lineno, "%s: expected %u argument%s, got %zu", d->name,
			         d->min_args, d->min_args == 1 ? "" : "s", nargs);
		else
			conf_err(c, l->lineno, "%s: expected %u to %u arguments, got %zu", d->name,
			         d->min_args, d->max_args, nargs);
		return;
	}
	d->fn(state, c, l->lineno, l->words + 1, nargs);
}

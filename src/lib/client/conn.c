/*
 * upsclient connection: non-blocking socket driven by poll() with a
 * deadline per exchange, STARTTLS with OpenSSL, bounded line reading.
 */
#include "conn.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "str.h"

#define LOG_FMT(a, b) __attribute__((format(printf, a, b)))
#define LOGOUT_WAIT_MS 1000 /* how long ucl_close() waits for "OK Goodbye" */
#define REQUEST_MAX (2 * UCL_LINE_MAX)

static bool
err_is_fatal(int err)
{
	switch (err) {
	case UCL_E_TIMEOUT:
	case UCL_E_CLOSED:
	case UCL_E_LINE_TOO_LONG:
	case UCL_E_LIST_TOO_LONG:
	case UCL_E_IO:
	case UCL_E_TLS:
	case UCL_E_TLS_VERIFY:
	case UCL_E_TLS_REFUSED:
	case UCL_E_PARSE:
	case UCL_E_PROTOCOL:
	case UCL_E_BROKEN:
		return true;
	default:
		return false;
	}
}

/* snprintf whose truncation is intended (messages are cut, never overflow) */
static void LOG_FMT(3, 4)
fmt_msg(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

int
ucl__fail(struct ucl_conn *c, int err, const char *fmt, ...)
{
	const char *base = ucl_strerror(err);

	if (fmt) {
		char detail[UCL_ERRMSG_MAX];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
		fmt_msg(c->errmsg, sizeof(c->errmsg), detail[0] == '(' ? "%s %s" : "%s: %s", base,
		        detail);
	} else {
		snprintf(c->errmsg, sizeof(c->errmsg), "%s", base);
	}
	if (err_is_fatal(err))
		c->broken = true;
	return err;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
ucl__deadline(const struct ucl_conn *c)
{
	return now_ms() + c->timeout_ms;
}

/*
 * OpenSSL writes with write(2), which raises SIGPIPE when the server has
 * gone.  Around every TLS call SIGPIPE is blocked for this thread and a
 * SIGPIPE it caused is consumed, so callers need not ignore SIGPIPE
 * process-wide (plain sockets use MSG_NOSIGNAL).
 */
static void
sigpipe_block(sigset_t *old)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &s, old);
}

static void
sigpipe_restore(const sigset_t *old)
{
	sigset_t pending, s;
	struct timespec zero = {0, 0};

	if (!sigismember(old, SIGPIPE) && sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE)) {
		sigemptyset(&s);
		sigaddset(&s, SIGPIPE);
		while (sigtimedwait(&s, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* Wait for events on the socket until the deadline. */
static int
wait_fd(struct ucl_conn *c, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		struct pollfd p = {.fd = c->fd, .events = events};
		int r;

		if (left <= 0)
			return ucl__fail(c, UCL_E_TIMEOUT, "no reply from %s within %d ms", c->host,
			                 c->timeout_ms);
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return ucl__fail(c, UCL_E_IO, "poll: %s", strerror(errno));
	}
}

static int
tls_io_error(struct ucl_conn *c, int r, int64_t deadline)
{
	int e = SSL_get_error(c->ssl, r);
	unsigned long code;

	switch (e) {
	case SSL_ERROR_WANT_READ:
		return wait_fd(c, POLLIN, deadline);
	case SSL_ERROR_WANT_WRITE:
		return wait_fd(c, POLLOUT, deadline);
	case SSL_ERROR_ZERO_RETURN:
		return ucl__fail(c, UCL_E_CLOSED, NULL);
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0)
			return errno ? ucl__fail(c, UCL_E_IO, "%s", strerror(errno))
			             : ucl__fail(c, UCL_E_CLOSED, NULL);
		/* fall through */
	default:
		code = ERR_get_error();
		ERR_clear_error();
		return ucl__fail(c, UCL_E_TLS, "%s", code ? ERR_reason_error_string(code) : "failure");
	}
}

/* Read some bytes into the read buffer (which must be empty). */
static int
fill(struct ucl_conn *c, int64_t deadline)
{
	for (;;) {
		int r;
		if (c->ssl) {
			size_t got = 0;
			sigset_t old;
			errno = 0;
			sigpipe_block(&old);
			int ok = SSL_read_ex(c->ssl, c->rbuf, sizeof(c->rbuf), &got);
			sigpipe_restore(&old);
			if (ok == 1) {
				c->rlen = got;
				c->roff = 0;
				return 0;
			}
			r = tls_io_error(c, 0, deadline);
			if (r < 0)
				return r;
			continue;
		}
		ssize_t n = recv(c->fd, c->rbuf, sizeof(c->rbuf), 0);
		if (n > 0) {
			c->rlen = (size_t)n;
			c->roff = 0;
			return 0;
		}
		if (n == 0)
			return ucl__fail(c, UCL_E_CLOSED, NULL);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return ucl__fail(c, UCL_E_IO, "%s", strerror(errno));
		r = wait_fd(c, POLLIN, deadline);
		if (r < 0)
			return r;
	}
}

static int
write_all(struct ucl_conn *c, const char *buf, size_t len, int64_t deadline)
{
	while (len > 0) {
		int r;
		if (c->ssl) {
			size_t put = 0;
			sigset_t old;
			errno = 0;
			sigpipe_block(&old);
			int ok = SSL_write_ex(c->ssl, buf, len, &put);
			sigpipe_restore(&old);
			if (ok == 1) {
				buf += put;
				len -= put;
				continue;
			}
			r = tls_io_error(c, 0, deadline);
			if (r < 0)
				return r;
			continue;
		}
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return ucl__fail(c, UCL_E_IO, "write: %s", strerror(errno));
		r = wait_fd(c, POLLOUT, deadline);
		if (r < 0)
			return r;
	}
	return 0;
}

int
ucl__read_line(struct ucl_conn *c, char *buf, size_t *len, int64_t deadline)
{
	size_t n = 0;

	for (;;) {
		if (c->roff == c->rlen) {
			int r = fill(c, deadline);
			if (r < 0)
				return r;
		}
		char *start = c->rbuf + c->roff;
		size_t avail = c->rlen - c->roff;
		char *nl = memchr(start, '\n', avail);
		size_t take = nl ? (size_t)(nl - start) : avail;
		if (n + take >= UCL_LINE_MAX)
			return ucl__fail(c, UCL_E_LINE_TOO_LONG, "over %d bytes", UCL_LINE_MAX - 1);
		memcpy(buf + n, start, take);
		n += take;
		c->roff += take + (nl ? 1 : 0);
		if (nl) {
			if (n > 0 && buf[n - 1] == '\r') /* CR is whitespace to NUT */
				n--;
			buf[n] = '\0';
			*len = n;
			return 0;
		}
	}
}

int
ucl__read_reply(struct ucl_conn *c, struct ucl_words *ans, int64_t deadline)
{
	char line[UCL_LINE_MAX];
	size_t len;
	int r;

	r = ucl__read_line(c, line, &len, deadline);
	if (r < 0)
		return r;
	memcpy(c->last, line, len + 1);
	r = ucl_parse_line(line, len, ans);
	if (r < 0)
		return ucl__fail(c, r, "malformed reply from %s", c->host);
	return 0;
}

/* Encode one request word as NUT's clients do: quoted only when needed. */
static int
encode_word(char *dst, size_t size, const char *w)
{
	size_t n;

	for (const char *p = w; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			return UCL_E_BADARG; /* would be dropped or break the line */
	if (tok_needs_quotes(w))
		n = tok_quote(dst, size, w);
	else
		n = str_copy(dst, w, size);
	return n >= size ? UCL_E_BADARG : (int)n;
}

int
ucl__send_words(struct ucl_conn *c, const char *const *words, size_t n, int64_t deadline)
{
	char line[REQUEST_MAX];
	size_t len = 0;

	if (c->broken)
		return UCL_E_BROKEN; /* errmsg keeps the error that broke it */
	if (n == 0 || n > TOK_MAX_WORDS)
		return ucl__fail(c, UCL_E_BADARG, "%zu words", n);
	for (size_t i = 0; i < n; i++) {
		if (!words[i] || strlen(words[i]) >= TOK_MAX_WORDLEN)
			return ucl__fail(c, UCL_E_BADARG, "word %zu too long", i + 1);
		if (i > 0)
			line[len++] = ' ';
		int r = encode_word(line + len, sizeof(line) - len - 1, words[i]);
		if (r < 0)
			return ucl__fail(c, r, "word %zu has control characters or is too long",
			                 i + 1);
		len += (size_t)r;
	}
	line[len++] = '\n';
	return write_all(c, line, len, deadline);
}

/* ---- connecting ------------------------------------------------------------ */

static bool
addr_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
	}
	return false;
}

static int
connect_one(struct ucl_conn *c, const struct addrinfo *ai, int64_t deadline)
{
	int fd, err = 0;
	socklen_t elen = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	c->fd = fd;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS) {
		err = errno;
		goto fail;
	}
	if (wait_fd(c, POLLOUT, deadline) < 0) {
		err = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		err = errno;
	if (err == 0)
		return 0;
fail:
	close(fd);
	c->fd = -1;
	return -err;
}

static int
tcp_connect(struct ucl_conn *c, int64_t deadline)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	char port[8];
	int r, last = -ECONNREFUSED;

	snprintf(port, sizeof(port), "%u", (unsigned)c->port);
	r = getaddrinfo(c->host, port, &hints, &res);
	if (r != 0)
		return ucl__fail(c, UCL_E_NOSUCHHOST, "%s: %s", c->host,
		                 r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		last = connect_one(c, ai, deadline);
		if (last == 0)
			break;
	}
	freeaddrinfo(res);
	if (last < 0)
		return ucl__fail(c, UCL_E_CONNECT, "%s", strerror(-last));
	c->broken = false;
	return 0;
}

/* ---- TLS ------------------------------------------------------------------- */

static int
tls_fail(struct ucl_conn *c, const char *what)
{
	unsigned long code = ERR_get_error();

	ERR_clear_error();
	return ucl__fail(c, UCL_E_TLS, "%s%s%s", what, code ? ": " : "",
	                 code ? ERR_reason_error_string(code) : "");
}

/* OpenSSL reads a hashed CA directory at each verification, opening the
 * entries named after subject hashes (HHHHHHHH.N); a context that must
 * need no file later reads those entries now. */
static bool
hashed_name(const char *n)
{
	size_t i;

	for (i = 0; i < 8; i++)
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
			return false;
	if (n[8] != '.' || !n[9])
		return false;
	for (i = 9; n[i]; i++)
		if (n[i] < '0' || n[i] > '9')
			return false;
	return true;
}

static int
load_dir_now(X509_STORE *st, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		FILE *f;
		X509 *x;
		if (!hashed_name(e->d_name) ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path) ||
		    !(f = fopen(path, "re")))
			continue;
		while ((x = PEM_read_X509(f, NULL, NULL, NULL))) {
			(void)X509_STORE_add_cert(st, x);
			X509_free(x);
		}
		fclose(f);
	}
	ERR_clear_error(); /* the end of each file reads as an error */
	closedir(d);
	return 0;
}

/* The system store (SSL_CERT_FILE / SSL_CERT_DIR or OpenSSL's defaults), now. */
static int
load_default_now(SSL_CTX *ctx)
{
	const char *file = getenv(X509_get_default_cert_file_env());
	const char *dirs = getenv(X509_get_default_cert_dir_env());
	char one[4096];

	if (!file)
		file = X509_get_default_cert_file();
	if (!dirs)
		dirs = X509_get_default_cert_dir();
	if (access(file, R_OK) == 0 && SSL_CTX_load_verify_locations(ctx, file, NULL) != 1)
		return -1;
	for (const char *p = dirs; *p;) {
		size_t n = strcspn(p, ":");
		if (n > 0 && n < sizeof(one)) {
			memcpy(one, p, n);
			one[n] = '\0';
			(void)load_dir_now(SSL_CTX_get_cert_store(ctx), one);
		}
		p += n + (p[n] == ':');
	}
	return 0;
}

/* A client context for o; with now, every file is read at once (see
 * ucl_tls_prepare()).  NULL with *why set on failure. */
static SSL_CTX *
build_ctx(const struct ucl_options *o, bool now, const char **why)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	*why = "cannot create a TLS context";
	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (o->ca_file || o->ca_dir) {
		*why = "cannot load the CA file or directory";
		if ((o->ca_file && SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL) != 1) ||
		    (o->ca_dir && now && load_dir_now(SSL_CTX_get_cert_store(ctx), o->ca_dir) < 0) ||
		    (o->ca_dir && !now && SSL_CTX_load_verify_locations(ctx, NULL, o->ca_dir) != 1))
			goto fail;
	} else {
		*why = "cannot load the system CA store";
		if (now ? load_default_now(ctx) < 0 : SSL_CTX_set_default_verify_paths(ctx) != 1)
			goto fail;
	}
	if (o->cert_file) {
		const char *key = o->key_file ? o->key_file : o->cert_file;
		*why = "cannot load the client certificate";
		if (SSL_CTX_use_certificate_chain_file(ctx, o->cert_file) != 1)
			goto fail;
		*why = "cannot load the client key";
		if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
			goto fail;
		*why = "client key does not match the certificate";
		if (SSL_CTX_check_private_key(ctx) != 1)
			goto fail;
	}
	/* Verification is checked after the handshake, so that an optional
	 * (AUTO) attempt can report an untrusted certificate instead of
	 * failing; a required one fails below. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static int
tls_context(struct ucl_conn *c, const struct ucl_options *o)
{
	const char *why;

	if (o->tls_ctx) {
		SSL_CTX_up_ref(o->tls_ctx);
		c->ctx = o->tls_ctx;
		return 0;
	}
	c->ctx = build_ctx(o, false, &why);
	return c->ctx ? 0 : tls_fail(c, why);
}

int
ucl_tls_prepare(struct ucl_options *opts, char *errmsg)
{
	const char *why;
	unsigned long code;

	ucl_tls_release(opts);
	if ((opts->tls_ctx = build_ctx(opts, true, &why)))
		return 0;
	code = ERR_get_error();
	ERR_clear_error();
	if (errmsg)
		fmt_msg(errmsg, UCL_ERRMSG_MAX, "%s%s%s", why, code ? ": " : "",
		        code ? ERR_reason_error_string(code) : "");
	return UCL_E_TLS;
}

void
ucl_tls_release(struct ucl_options *opts)
{
	SSL_CTX_free(opts->tls_ctx);
	opts->tls_ctx = NULL;
}

static int
tls_handshake(struct ucl_conn *c, const struct ucl_options *o, int64_t deadline)
{
	const char *name = o->tls_name ? o->tls_name : c->host;
	unsigned char tmp[16];
	bool is_ip = inet_pton(AF_INET, name, tmp) == 1 || inet_pton(AF_INET6, name, tmp) == 1;

	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
		return tls_fail(c, "cannot create a TLS session");
	if (is_ip) {
		X509_VERIFY_PARAM *p = SSL_get0_param(c->ssl);
		if (X509_VERIFY_PARAM_set1_ip_asc(p, name) != 1)
			return tls_fail(c, "cannot set the address to verify");
	} else {
		SSL_set_tlsext_host_name(c->ssl, name);
		if (SSL_set1_host(c->ssl, name) != 1)
			return tls_fail(c, "cannot set the host name to verify");
	}
	for (;;) {
		sigset_t old;
		sigpipe_block(&old);
		int r = SSL_connect(c->ssl);
		sigpipe_restore(&old);
		if (r == 1)
			return 0;
		int e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			r = wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
			if (r < 0)
				return r;
			continue;
		}
		if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
			return ucl__fail(c, UCL_E_TLS, "handshake: server closed the connection");
		return tls_fail(c, "handshake");
	}
}

static int
tls_check(struct ucl_conn *c, const struct ucl_options *o)
{
	X509 *peer = SSL_get1_peer_certificate(c->ssl);
	long v = peer ? SSL_get_verify_result(c->ssl) : X509_V_ERR_UNSPECIFIED;
	const char *why = peer ? X509_verify_cert_error_string(v) : "no certificate";
	bool must = o->tls == UCL_TLS_REQUIRE || o->ca_file || o->ca_dir;

	X509_free(peer);
	if (v == X509_V_OK) {
		c->tls_state = UCL_TLS_VERIFIED;
		return 0;
	}
	if (must && !o->tls_no_verify)
		return ucl__fail(c, UCL_E_TLS_VERIFY, "%s (%s)", c->host, why);
	c->tls_state = UCL_TLS_UNVERIFIED;
	fmt_msg(c->tls_note, sizeof(c->tls_note),
	         "connection to %s is encrypted but the server certificate is not verified (%s)%s",
	         c->host, why,
	         o->tls_no_verify ? "" : "; give a CA file or directory to verify it");
	return 0;
}

static int
tls_start(struct ucl_conn *c, const struct ucl_options *o, int64_t deadline)
{
	static const char *const q[] = {"STARTTLS"};
	struct ucl_words ans;
	int r;

	r = ucl__send_words(c, q, 1, deadline);
	if (r == 0)
		r = ucl__read_reply(c, &ans, deadline);
	if (r < 0)
		return r;
	r = ucl_reply_error(&ans);
	if (r < 0) {
		if (o->tls == UCL_TLS_REQUIRE)
			return ucl__fail(c, UCL_E_TLS_REFUSED, "%s answered ERR %s", c->host,
			                 ans.n > 1 ? ans.w[1] : "");
		c->tls_state = UCL_TLS_REFUSED;
		fmt_msg(c->tls_note, sizeof(c->tls_note),
		         "%s refused STARTTLS (ERR %s): the connection is NOT encrypted", c->host,
		         ans.n > 1 ? ans.w[1] : "");
		return 0;
	}
	if (strcmp(ans.w[0], "OK") != 0)
		return ucl__fail(c, UCL_E_PROTOCOL, "unexpected reply to STARTTLS");
	/* Bytes after "OK STARTTLS" but before the handshake would be
	 * injected plain text (the STARTTLS injection attack): refuse. */
	if (c->roff != c->rlen)
		return ucl__fail(c, UCL_E_PROTOCOL, "data after OK STARTTLS");
	r = tls_context(c, o);
	if (r == 0)
		r = tls_handshake(c, o, deadline);
	if (r == 0)
		r = tls_check(c, o);
	return r;
}

static bool
want_tls(const struct ucl_conn *c, const struct ucl_options *o)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	switch (o->tls) {
	case UCL_TLS_OFF:
		return false;
	case UCL_TLS_TRY:
	case UCL_TLS_REQUIRE:
		return true;
	case UCL_TLS_AUTO:
	default:
		if (getpeername(c->fd, (struct sockaddr *)&ss, &len) < 0)
			return true;
		return !addr_is_loopback(&ss);
	}
}

int
ucl_connect(struct ucl_conn **ret, const char *host, uint16_t port,
            const struct ucl_options *opts, char *errmsg)
{
	static const struct ucl_options defaults;
	const struct ucl_options *o = opts ? opts : &defaults;
	struct ucl_conn *c;
	int64_t deadline;
	int r;

	*ret = NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		if (errmsg)
			snprintf(errmsg, UCL_ERRMSG_MAX, "%s", ucl_strerror(UCL_E_NOMEM));
		return UCL_E_NOMEM;
	}
	c->fd = -1;
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : UCL_DEFAULT_TIMEOUT_MS;
	c->port = port;
	if (!host || str_copy(c->host, host, sizeof(c->host)) >= sizeof(c->host) || port == 0) {
		r = ucl__fail(c, UCL_E_BADADDR, "%s", host ? host : "(none)");
		goto fail;
	}
	deadline = ucl__deadline(c);
	r = tcp_connect(c, deadline);
	if (r == 0 && want_tls(c, o))
		r = tls_start(c, o, deadline);
	if (r < 0)
		goto fail;
	*ret = c;
	return 0;
fail:
	if (errmsg)
		fmt_msg(errmsg, UCL_ERRMSG_MAX, "%s", c->errmsg);
	ucl_abort(c);
	return r;
}

int
ucl_attach_fd(struct ucl_conn **ret, int fd, const char *name, int timeout_ms)
{
	struct ucl_conn *c = calloc(1, sizeof(*c));
	int fl = fcntl(fd, F_GETFL);

	*ret = NULL;
	if (!c) {
		close(fd);
		return UCL_E_NOMEM;
	}
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	c->fd = fd;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : UCL_DEFAULT_TIMEOUT_MS;
	str_copy(c->host, name ? name : "peer", sizeof(c->host));
	*ret = c;
	return 0;
}

void
ucl_abort(struct ucl_conn *c)
{
	if (!c)
		return;
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->ctx)
		SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

void
ucl_close(struct ucl_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0 && !c->broken) {
		static const char *const q[] = {"LOGOUT"};
		char line[UCL_LINE_MAX];
		size_t len;
		int saved = c->timeout_ms;
		c->timeout_ms = saved < LOGOUT_WAIT_MS ? saved : LOGOUT_WAIT_MS;
		int64_t deadline = ucl__deadline(c);
		if (ucl__send_words(c, q, 1, deadline) == 0)
			(void)ucl__read_line(c, line, &len, deadline);
		if (c->ssl && !c->broken) {
			sigset_t old;
			sigpipe_block(&old);
			(void)SSL_shutdown(c->ssl);
			sigpipe_restore(&old);
		}
	}
	ucl_abort(c);
}

const char *
ucl_errmsg(const struct ucl_conn *c)
{
	return c->errmsg[0] ? c->errmsg : "no error";
}

const char *
ucl_last_reply(const struct ucl_conn *c)
{
	return c->last;
}

enum ucl_tls_state
ucl_tls_state(const struct ucl_conn *c)
{
	return c->tls_state;
}

const char *
ucl_tls_note(const struct ucl_conn *c)
{
	return c->tls_note;
}

int
ucl_fd(const struct ucl_conn *c)
{
	return c->broken ? -1 : c->fd;
}

void
ucl_set_timeout(struct ucl_conn *c, int timeout_ms)
{
	if (timeout_ms > 0)
		c->timeout_ms = timeout_ms;
}

int
ucl_ignore_sigpipe(void)
{
	struct sigaction sa = {.sa_handler = SIG_IGN};

	sigemptyset(&sa.sa_mask);
	return sigaction(SIGPIPE, &sa, NULL) < 0 ? -errno : 0;
}

/*
 * clicommon: shared option handling, connecting and credentials of the
 * command-line clients.
 */
#include "clicommon.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "str.h"
#include "tokenizer.h"

int
cli_net_option(struct cli_net *n, int opt, const char *arg)
{
	long secs;

	switch (opt) {
	case CLI_OPT_TLS:
		n->opts.tls = UCL_TLS_REQUIRE;
		return 1;
	case CLI_OPT_NO_TLS:
		n->opts.tls = UCL_TLS_OFF;
		return 1;
	case CLI_OPT_CAFILE:
		n->opts.ca_file = arg;
		return 1;
	case CLI_OPT_CAPATH:
		n->opts.ca_dir = arg;
		return 1;
	case CLI_OPT_CERT:
		n->opts.cert_file = arg;
		return 1;
	case CLI_OPT_KEY:
		n->opts.key_file = arg;
		return 1;
	case CLI_OPT_TLS_NAME:
		n->opts.tls_name = arg;
		return 1;
	case CLI_OPT_INSECURE:
		n->opts.tls_no_verify = true;
		return 1;
	case CLI_OPT_NET_TIMEOUT:
		if (str_to_long(arg, 1, 3600, &secs) < 0) {
			fprintf(stderr, "Error: --net-timeout wants seconds (1..3600), not '%s'\n", arg);
			return -1;
		}
		n->opts.timeout_ms = (int)secs * 1000;
		return 1;
	case CLI_OPT_CREDFILE:
		n->credfile = arg;
		return 1;
	default:
		return 0;
	}
}

void
cli_net_usage(FILE *f, bool with_credentials)
{
	fprintf(f, "\nNetwork and TLS options (upsguard):\n"
	           "  --tls             require STARTTLS and a verified server certificate\n"
	           "  --no-tls          never try STARTTLS (default: try it, and warn when it\n"
	           "                    fails, unless the server is on loopback)\n"
	           "  --cafile FILE     trusted CA certificates (PEM) to verify the server\n"
	           "  --capath DIR      directory of trusted CA certificates (c_rehash form)\n"
	           "  --cert FILE       client certificate (PEM)\n"
	           "  --key FILE        client private key (PEM; default: in --cert)\n"
	           "  --tls-name NAME   name expected in the server certificate (default: host)\n"
	           "  --tls-insecure    encrypt without verifying the certificate\n"
	           "  --net-timeout S   seconds to wait for the server (default 10)\n");
	if (!with_credentials)
		return;
	fprintf(f, "\nCredentials (keep the password off the command line; read-only requests\n"
	           "send them only when configured by file or environment, and never in clear\n"
	           "after a refused STARTTLS):\n"
	           "  --credentials FILE  read 'username = NAME' and 'password = SECRET' lines;\n"
	           "                    the file must be owned by you and mode 0600 or 0400\n"
	           "                    (also $" CLI_ENV_CREDFILE ")\n"
	           "  $" CLI_ENV_USER ", $" CLI_ENV_PASS " (or $" CLI_ENV_USER_NUT
	           ", $" CLI_ENV_PASS_NUT ")\n"
	           "  without any of these, the password is asked on the terminal without echo;\n"
	           "  -p PASSWORD still works but warns: other users can see it (ps, /proc).\n");

}

struct ucl_conn *
cli_connect(const struct ucl_target *t, const struct cli_net *n, char *err)
{
	struct ucl_conn *c = NULL;

	if (ucl_connect(&c, t->host, t->port, &n->opts, err) < 0)
		return NULL;
	if (ucl_tls_state(c) == UCL_TLS_REFUSED || ucl_tls_state(c) == UCL_TLS_UNVERIFIED)
		fprintf(stderr, "Warning: %s\n", ucl_tls_note(c));
	return c;
}

/* ---- credentials ------------------------------------------------------------ */

void
cli_creds_set_user(struct cli_creds *c, const char *user)
{
	str_copy(c->user, user, sizeof(c->user));
	c->have_user = true;
}

void
cli_creds_set_pass(struct cli_creds *c, char *pass)
{
	str_copy(c->pass, pass, sizeof(c->pass));
	c->have_pass = true;
	c->pass_from_argv = true;
	/* Shorten the window in which ps shows it. */
	memset(pass, 'x', strlen(pass));
}

static int
creds_line(const struct tok_line *l, struct cli_creds *c, char *err, size_t errsize)
{
	const char *key = l->words[0];
	const char *val;

	if (l->nwords == 3 && strcmp(l->words[1], "=") == 0)
		val = l->words[2];
	else if (l->nwords == 2)
		val = l->words[1];
	else {
		snprintf(err, errsize, "line %u: expected 'key = value'", l->lineno);
		return -1;
	}
	if (strlen(val) >= UCL_CRED_MAX) {
		snprintf(err, errsize, "line %u: value too long", l->lineno);
		return -1;
	}
	if (strcmp(key, "username") == 0 || strcmp(key, "user") == 0) {
		if (!c->have_user)
			cli_creds_set_user(c, val);
	} else if (strcmp(key, "password") == 0 || strcmp(key, "pass") == 0) {
		if (!c->have_pass) {
			str_copy(c->pass, val, sizeof(c->pass));
			c->have_pass = true;
		}
	} else {
		snprintf(err, errsize, "line %u: unknown key '%s' (username, password)", l->lineno,
		         key);
		return -1;
	}
	return 0;
}

int
cli_creds_parse(const char *text, size_t len, struct cli_creds *c, char *err, size_t errsize)
{
	struct tokenizer t;
	size_t off = 0;
	int r, ret = 0;

	tok_init(&t);
	for (;;) {
		if (off < len)
			off += tok_feed(&t, text + off, len - off, &r);
		else if ((r = tok_finish(&t)) == TOK_MORE)
			break;
		if (r == TOK_ERROR) {
			snprintf(err, errsize, "line %u: %s", t.start_lineno ? t.start_lineno : t.lineno,
			         tok_strerror(t.err));
			ret = -1;
			break;
		}
		if (r == TOK_LINE && t.line.nwords > 0) {
			ret = creds_line(&t.line, c, err, errsize);
			if (ret < 0)
				break;
		}
	}
	tok_free(&t);
	return ret;
}

int
cli_creds_load(const char *path, struct cli_creds *c, char *err, size_t errsize)
{
	char buf[CLI_CREDFILE_MAX];
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsize, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		snprintf(err, errsize,
		         "%s: refused: a credentials file must be owned by you and not accessible "
		         "to group or others (run: chown %u %s && chmod 600 %s)",
		         path, (unsigned)geteuid(), path, path);
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((size_t)n >= sizeof(buf)) {
		snprintf(err, errsize, "%s: larger than %d bytes", path, CLI_CREDFILE_MAX - 1);
		return -1;
	}
	char msg[256];
	int r = cli_creds_parse(buf, (size_t)n, c, msg, sizeof(msg));
	explicit_bzero(buf, sizeof(buf));
	if (r < 0)
		snprintf(err, errsize, "%s: %s", path, msg);
	return r;
}

int
cli_read_password(const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	size_t n = 0;
	bool restore = false;

	if (fd < 0)
		return -1;
	/* echo off before the prompt shows: an answer typed right after it
	 * is neither echoed nor flushed away */
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	(void)!write(fd, prompt, strlen(prompt));
	for (;;) {
		char ch;
		ssize_t r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || ch == '\n' || ch == '\r')
			break;
		if (n + 1 < size)
			buf[n++] = ch;
	}
	buf[n] = '\0';
	if (restore)
		(void)tcsetattr(fd, TCSAFLUSH, &old);
	(void)!write(fd, "\n", 1);
	close(fd);
	return 0;
}

static const char *
env_first(const char *a, const char *b)
{
	const char *v = getenv(a);

	return v && *v ? v : getenv(b);
}

/* NUT asks "Username (login): " on stdout and reads stdin. */
static int
prompt_user(struct cli_creds *c)
{
	const struct passwd *pw = getpwuid(getuid());
	const char *login = pw ? pw->pw_name : NULL;
	char line[UCL_CRED_MAX];

	if (login)
		printf("Username (%s): ", login);
	else
		printf("Username: ");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin)) {
		fprintf(stderr, "Error reading from stdin!\n");
		return -1;
	}
	line[strcspn(line, "\r\n")] = '\0';
	if (!line[0] && login)
		str_copy(line, login, sizeof(line));
	if (!line[0]) {
		fprintf(stderr, "Error: no username given\n");
		return -1;
	}
	cli_creds_set_user(c, line);
	return 0;
}

/* What the credentials file and the environment give, for what is still missing. */
static int
creds_from_file_and_env(const struct cli_net *n, struct cli_creds *c)
{
	const char *file = n->credfile ? n->credfile : getenv(CLI_ENV_CREDFILE);
	char err[512];

	if (file && *file && (!c->have_user || !c->have_pass) &&
	    cli_creds_load(file, c, err, sizeof(err)) < 0) {
		fprintf(stderr, "Error: %s\n", err);
		return -1;
	}
	if (!c->have_user) {
		const char *u = env_first(CLI_ENV_USER, CLI_ENV_USER_NUT);
		if (u && *u)
			cli_creds_set_user(c, u);
	}
	if (!c->have_pass) {
		const char *p = env_first(CLI_ENV_PASS, CLI_ENV_PASS_NUT);
		if (p && *p) {
			str_copy(c->pass, p, sizeof(c->pass));
			c->have_pass = true;
		}
	}
	return 0;
}

int
cli_creds_finish(struct cli_creds *c, const struct cli_net *n)
{
	if (c->pass_from_argv)
		fprintf(stderr, "Warning: a password given with -p is visible to other users (ps, "
		                "/proc); prefer --credentials FILE, $" CLI_ENV_PASS
		                " or the prompt\n");
	if (creds_from_file_and_env(n, c) < 0)
		return -1;
	if (!c->have_user && prompt_user(c) < 0)
		return -1;
	if (!c->have_pass) {
		if (cli_read_password("Password: ", c->pass, sizeof(c->pass)) < 0) {
			fprintf(stderr, "Error: no password given and no terminal to ask for it (use "
			                "--credentials FILE or $" CLI_ENV_PASS ")\n");
			return -1;
		}
		c->have_pass = true;
	}
	if (!ucl_cred_sendable(c->user) || !ucl_cred_sendable(c->pass)) {
		fprintf(stderr, "Error: %s: %s\n",
		        ucl_cred_sendable(c->user) ? "password" : "username",
		        "empty, too long, or has spaces, quotes, '\\', '#' or '=' (NUT servers "
		        "cannot receive it)");
		return -1;
	}
	return 0;
}

int
cli_read_creds(const struct cli_net *n, struct cli_creds *c)
{
	memset(c, 0, sizeof(*c));
	return creds_from_file_and_env(n, c);
}

int
cli_send_read_creds(struct ucl_conn *conn, const struct cli_creds *c)
{
	int r;

	if (!c->have_user || !c->have_pass)
		return 0;
	if (ucl_tls_state(conn) == UCL_TLS_REFUSED) {
		fprintf(stderr, "Warning: credentials not sent over the unencrypted connection\n");
		return 0;
	}
	r = ucl_auth(conn, c->user, c->pass);
	/* a server refusing USERNAME/PASSWORD shows up on the read itself */
	if (r < 0 && !ucl_err_is_server(r)) {
		fprintf(stderr, "Error: %s\n", ucl_errmsg(conn));
		return -1;
	}
	return 0;
}

int
cli_read_auth(struct ucl_conn *conn, const struct cli_net *n)
{
	struct cli_creds c;
	int r = cli_read_creds(n, &c);

	if (r == 0)
		r = cli_send_read_creds(conn, &c);
	explicit_bzero(&c, sizeof(c));
	return r;
}

void
cli_json_string(FILE *f, const char *s)
{
	/* the escapes of NUT 2.8.5's json_print_esc(), for identical output */
	static const char *const special[] = {['"'] = "\\\"", ['\\'] = "\\\\", ['\b'] = "\\b",
	                                      ['\f'] = "\\f",   ['\n'] = "\\n",  ['\r'] = "\\r",
	                                      ['\t'] = "\\t"};

	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch < sizeof(special) / sizeof(special[0]) && special[ch])
			fputs(special[ch], f);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

void
cli_die(struct ucl_conn *c, const char *fmt, ...)
{
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fflush(stdout);
	ucl_close(c);
	exit(EXIT_FAILURE);
}

void
cli_report_result(struct ucl_conn *c, const char *id, bool wait, long timeout)
{
	enum ucl_track res;

	if (!wait || !id[0]) {
		fprintf(stderr, "OK\n");
		return;
	}
	if (timeout == 0) /* NUT checks the time before its first poll */
		cli_die(c, "Can't receive status tracking information: timeout");
	if (ucl_wait_tracking(c, id, (int)timeout * 1000, CLI_TRACKING_POLL_MS, &res) < 0)
		cli_die(c, "Can't receive status tracking information: %s", ucl_errmsg(c));
	if (res == UCL_TRACK_PENDING)
		cli_die(c, "Can't receive status tracking information: timeout");
	fprintf(stderr, "%s%s\n", res == UCL_TRACK_SUCCESS ? "" : "ERR ", ucl_track_name(res));
}

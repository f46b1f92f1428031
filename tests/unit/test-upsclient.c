/*
 * Unit tests of the client library: address parsing, reply tokenizing and
 * echo verification, the ERR word table, credentials, and the network
 * paths against a scripted fake server forked on loopback (timeouts,
 * over-long lines, list bounds, STARTTLS refusal, tracking, fallbacks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/upsclient.h"

/* ---- addresses ---------------------------------------------------------------- */

static void
test_hostport(void **state)
{
	char host[UCL_HOST_MAX];
	uint16_t port;

	assert_int_equal(ucl_parse_hostport("example.org", host, sizeof(host), &port), 0);
	assert_string_equal(host, "example.org");
	assert_int_equal(port, 3493);
	assert_int_equal(ucl_parse_hostport("10.0.0.1:1234", host, sizeof(host), &port), 0);
	assert_string_equal(host, "10.0.0.1");
	assert_int_equal(port, 1234);
	assert_int_equal(ucl_parse_hostport("[::1]:65535", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 65535);
	assert_int_equal(ucl_parse_hostport("[fe80::1%eth0]", host, sizeof(host), &port), 0);
	assert_string_equal(host, "fe80::1%eth0");
	assert_int_equal(port, 3493);
	assert_int_equal(ucl_parse_hostport("2001:db8::5", host, sizeof(host), &port), 0);
	assert_string_equal(host, "2001:db8::5");
	assert_int_equal(port, 3493);

	static const char *const bad[] = {"",       "host:",     "host:0",  "host:65536",
	                                  "host:x", "host:12a",  "[::1",    "[::1]x",
	                                  "[]:1",   "a b",       ":3493",   "host:-1",
	                                  "h\n",    "[::1]:",    "ho\"st"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ucl_parse_hostport(bad[i], host, sizeof(host), &port),
		                 UCL_E_BADADDR);

	char longhost[UCL_HOST_MAX + 10];
	memset(longhost, 'a', sizeof(longhost) - 1);
	longhost[sizeof(longhost) - 1] = '\0';
	assert_int_equal(ucl_parse_hostport(longhost, host, sizeof(host), &port), UCL_E_BADADDR);
	/* the exact bound: UCL_HOST_MAX-1 characters fit */
	longhost[UCL_HOST_MAX - 1] = '\0';
	assert_int_equal(ucl_parse_hostport(longhost, host, sizeof(host), &port), 0);
}

static void
test_target(void **state)
{
	struct ucl_target t;

	assert_int_equal(ucl_parse_target("myups", &t), 0);
	assert_string_equal(t.ups, "myups");
	assert_string_equal(t.host, "localhost");
	assert_int_equal(t.port, 3493);
	assert_int_equal(ucl_parse_target("myups@srv:3000", &t), 0);
	assert_string_equal(t.ups, "myups");
	assert_string_equal(t.host, "srv");
	assert_int_equal(t.port, 3000);
	assert_int_equal(ucl_parse_target("u@[::1]:99", &t), 0);
	assert_string_equal(t.host, "::1");
	assert_int_equal(t.port, 99);
	assert_int_equal(ucl_parse_target("@srv", &t), UCL_E_BADADDR);
	assert_int_equal(ucl_parse_target("ups@", &t), UCL_E_BADADDR);
	assert_int_equal(ucl_parse_target("ups:1", &t), UCL_E_BADADDR);
	assert_int_equal(ucl_parse_target("", &t), UCL_E_BADADDR);

	char name[UCL_NAME_MAX + 1];
	memset(name, 'u', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(ucl_parse_target(name, &t), UCL_E_BADADDR);
	name[UCL_NAME_MAX - 1] = '\0';
	assert_int_equal(ucl_parse_target(name, &t), 0);
}

/* ---- replies -------------------------------------------------------------------- */

static void
test_parse_line(void **state)
{
	struct ucl_words w;
	const char *line = "VAR ups ups.id \"has \\\"quote\\\" and \\\\ backslash \\# hash\"\n";

	assert_int_equal(ucl_parse_line(line, strlen(line), &w), 0);
	assert_int_equal(w.n, 4);
	assert_string_equal(w.w[0], "VAR");
	assert_string_equal(w.w[3], "has \"quote\" and \\ backslash # hash");

	line = "UPS name \"\"";
	assert_int_equal(ucl_parse_line(line, strlen(line), &w), 0);
	assert_int_equal(w.n, 3);
	assert_string_equal(w.w[2], "");

	static const char *const bad[] = {
		"VAR u v \"a#b\"", /* unescaped # inside quotes */
		"VAR u v \"open",  /* unterminated quote */
		"",                /* no words */
		"   ",             /* no words */
		"# only a comment",
		"VAR u v x\\",     /* would join the next line */
		"VAR u\nv w",      /* two lines */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ucl_parse_line(bad[i], strlen(bad[i]), &w), UCL_E_PARSE);

	char big[UCL_LINE_MAX + 2];
	memset(big, 'a', sizeof(big));
	assert_int_equal(ucl_parse_line(big, UCL_LINE_MAX, &w), UCL_E_LINE_TOO_LONG);
	/* the longest accepted line, with its newline */
	memcpy(big, "VAR u v ", 8);
	big[UCL_LINE_MAX - 1] = '\n';
	assert_int_equal(ucl_parse_line(big, UCL_LINE_MAX, &w), 0);
}

static void
test_errors(void **state)
{
	struct ucl_words w;
	static const struct {
		const char *word;
		int code;
		const char *text;
	} table[] = {
		{"ACCESS-DENIED", UCL_E_ACCESS_DENIED, "Access denied"},
		{"UNKNOWN-UPS", UCL_E_UNKNOWN_UPS, "Unknown UPS"},
		{"VAR-NOT-SUPPORTED", UCL_E_VAR_NOT_SUPPORTED, "Variable not supported by UPS"},
		{"CMD-NOT-SUPPORTED", UCL_E_CMD_NOT_SUPPORTED, "Instant command not supported"},
		{"INVALID-ARGUMENT", UCL_E_INVALID_ARGUMENT, "Invalid argument"},
		{"INSTCMD-FAILED", UCL_E_INSTCMD_FAILED, "Instant command failed"},
		{"SET-FAILED", UCL_E_SET_FAILED, "Set command failed"},
		{"READONLY", UCL_E_READONLY, "Read-only variable"},
		{"TOO-LONG", UCL_E_TOO_LONG, "New value is too long"},
		{"FEATURE-NOT-SUPPORTED", UCL_E_FEATURE_NOT_SUPPORTED, NULL},
		{"FEATURE-NOT-CONFIGURED", UCL_E_FEATURE_NOT_CONFIGURED, NULL},
		{"ALREADY-SSL-MODE", UCL_E_ALREADY_SSL_MODE, NULL},
		{"DRIVER-NOT-CONNECTED", UCL_E_DRIVER_NOT_CONNECTED, "Driver not connected"},
		{"DATA-STALE", UCL_E_DATA_STALE, "Data stale"},
		{"ALREADY-LOGGED-IN", UCL_E_ALREADY_LOGGED_IN, "Already logged in"},
		{"INVALID-PASSWORD", UCL_E_INVALID_PASSWORD, "Invalid password"},
		{"ALREADY-SET-PASSWORD", UCL_E_ALREADY_SET_PASSWORD, "Already set password"},
		{"INVALID-USERNAME", UCL_E_INVALID_USERNAME, "Invalid username"},
		{"ALREADY-SET-USERNAME", UCL_E_ALREADY_SET_USERNAME, "Already set username"},
		{"USERNAME-REQUIRED", UCL_E_USERNAME_REQUIRED, "Username required"},
		{"PASSWORD-REQUIRED", UCL_E_PASSWORD_REQUIRED, "Password required"},
		{"UNKNOWN-COMMAND", UCL_E_UNKNOWN_COMMAND, "Unknown command"},
		{"INVALID-VALUE", UCL_E_INVALID_VALUE, "Invalid value for variable"},
		{"VAR-UNKNOWN", UCL_E_VAR_UNKNOWN, "Variable unknown"},
		{"UNKNOWN-TYPE", UCL_E_UNKNOWN_TYPE, "Unknown variable type"},
		{"UNKNOWN-INSTCMD", UCL_E_UNKNOWN_INSTCMD, "Unknown instant command"},
		{"MISSING-ARGUMENT", UCL_E_MISSING_ARGUMENT, "Missing argument"},
		{"PASSWORD-INCORRECT", UCL_E_PASSWORD_INCORRECT, "Password incorrect"},
		{"UNKNOWN-VAR", UCL_E_UNKNOWN_VAR, "Unknown variable"},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		char line[128];
		snprintf(line, sizeof(line), "ERR %s extra words", table[i].word);
		assert_int_equal(ucl_parse_line(line, strlen(line), &w), 0);
		assert_int_equal(ucl_reply_error(&w), table[i].code);
		assert_true(ucl_err_is_server(table[i].code));
		assert_string_equal(ucl_err_word(table[i].code), table[i].word);
		const char *text = ucl_strerror(table[i].code);
		assert_non_null(text);
		assert_true(strlen(text) > 5);
		if (table[i].text)
			assert_string_equal(text, table[i].text);
	}
	assert_int_equal(ucl_parse_line("ERR SOMETHING-NEW", 17, &w), 0);
	assert_int_equal(ucl_reply_error(&w), UCL_E_SERVER_UNKNOWN);
	assert_int_equal(ucl_parse_line("ERR", 3, &w), 0);
	assert_int_equal(ucl_reply_error(&w), UCL_E_SERVER_UNKNOWN);
	assert_int_equal(ucl_parse_line("OK", 2, &w), 0);
	assert_int_equal(ucl_reply_error(&w), 0);
	/* words are case-sensitive on the wire */
	assert_int_equal(ucl_err_from_word("access-denied"), UCL_E_SERVER_UNKNOWN);
	/* local codes have distinct texts and no word */
	static const int local[] = {UCL_E_TIMEOUT,       UCL_E_CLOSED,       UCL_E_LINE_TOO_LONG,
	                            UCL_E_LIST_TOO_LONG, UCL_E_PARSE,        UCL_E_PROTOCOL,
	                            UCL_E_NOSUCHHOST,    UCL_E_CONNECT,      UCL_E_IO,
	                            UCL_E_TLS,           UCL_E_TLS_REFUSED,  UCL_E_TLS_VERIFY,
	                            UCL_E_BAD_CREDENTIAL, UCL_E_BADADDR,     UCL_E_BADARG,
	                            UCL_E_BROKEN,        UCL_E_NOMEM};
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		assert_false(ucl_err_is_server(local[i]));
		assert_null(ucl_err_word(local[i]));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(ucl_strerror(local[i]), ucl_strerror(local[j]));
	}
	assert_string_equal(ucl_strerror(-2), "No such file or directory");
}

static void
test_echo(void **state)
{
	struct ucl_words w;
	const char *q[] = {"VAR", "MyUps", "UPS.Status"};
	const char *line = "VAR myups ups.status \"OL\"";

	assert_int_equal(ucl_parse_line(line, strlen(line), &w), 0);
	assert_true(ucl_reply_echoes(&w, 0, q, 3));
	const char *q2[] = {"VAR", "other", "ups.status"};
	assert_false(ucl_reply_echoes(&w, 0, q2, 3));
	const char *q3[] = {"VAR", "myups", "ups.status", "OL", "more"};
	assert_false(ucl_reply_echoes(&w, 0, q3, 5));
	const char *q4[] = {"myups", "ups.status"};
	assert_true(ucl_reply_echoes(&w, 1, q4, 2));
}

static void
test_creds(void **state)
{
	assert_true(ucl_cred_sendable("admin"));
	assert_true(ucl_cred_sendable("p@ss:w0rd!$%&*()[]{}<>?/.,;~^`|+-_"));
	static const char *const bad[] = {"", "a b", "a\"b", "a\\b", "a#b", "a=b",
	                                  "a'b", "a\tb", "caf\xc3\xa9", "a\nb"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(ucl_cred_sendable(bad[i]));
	assert_false(ucl_cred_sendable(NULL));
	char big[UCL_CRED_MAX + 1];
	memset(big, 'x', sizeof(big) - 1);
	big[UCL_CRED_MAX] = '\0';
	assert_false(ucl_cred_sendable(big));
	big[UCL_CRED_MAX - 1] = '\0';
	assert_true(ucl_cred_sendable(big));
}

/* ---- scripted fake server ------------------------------------------------------- */

/*
 * One step: wait for a request line starting with `expect` (NULL: do not
 * read), then send `reply` (raw bytes; NULL sends nothing), then sleep
 * `pause_ms`.  `repeat` sends the reply that many times (for big lists).
 */
struct step {
	const char *expect;
	const char *reply;
	int repeat;
	int pause_ms;
};

struct fake {
	pid_t pid;
	uint16_t port;
};

static bool
read_request(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		char ch;
		if (read(fd, &ch, 1) != 1)
			return false;
		if (ch == '\n')
			break;
		buf[n++] = ch;
	}
	buf[n] = '\0';
	return true;
}

static void
serve(int lfd, const struct step *steps)
{
	int fd = accept(lfd, NULL, NULL);
	char req[2048];

	if (fd < 0)
		_exit(2);
	for (const struct step *s = steps; s->expect || s->reply || s->pause_ms; s++) {
		if (s->expect) {
			if (!read_request(fd, req, sizeof(req)))
				_exit(0);
			if (strncmp(req, s->expect, strlen(s->expect)) != 0) {
				fprintf(stderr, "fake: expected '%s', got '%s'\n", s->expect, req);
				_exit(3);
			}
		}
		for (int i = 0; s->reply && i < (s->repeat ? s->repeat : 1); i++)
			if (write(fd, s->reply, strlen(s->reply)) < 0)
				_exit(0);
		if (s->pause_ms)
			usleep((useconds_t)s->pause_ms * 1000);
	}
	/* drain until the client closes (LOGOUT and all) */
	while (read_request(fd, req, sizeof(req)))
		if (strcmp(req, "LOGOUT") == 0)
			(void)!write(fd, "OK Goodbye\n", 11);
	_exit(0);
}

static struct fake
fake_start(const struct step *steps)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct fake f;

	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	f.port = ntohs(sa.sin_port);
	f.pid = fork();
	assert_true(f.pid >= 0);
	if (f.pid == 0)
		serve(lfd, steps);
	close(lfd);
	return f;
}

static void
fake_stop(struct fake *f)
{
	int status;

	kill(f->pid, SIGKILL);
	waitpid(f->pid, &status, 0);
}

static struct ucl_conn *
fake_connect(struct fake *f, int timeout_ms)
{
	struct ucl_options o = {.timeout_ms = timeout_ms, .tls = UCL_TLS_OFF};
	struct ucl_conn *c = NULL;
	char err[UCL_ERRMSG_MAX];

	assert_int_equal(ucl_connect(&c, "127.0.0.1", f->port, &o, err), 0);
	return c;
}

static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
test_get_ok_and_echo(void **state)
{
	static const struct step steps[] = {
		{"GET VAR ups ups.status", "VAR UPS UPS.STATUS \"OL \\\"x\\\"\"\n", 0, 0},
		{"GET VAR ups ups.status", "VAR other ups.status \"OL\"\n", 0, 0},
		{0},
	};
	struct fake f = fake_start(steps);
	struct ucl_conn *c = fake_connect(&f, 2000);
	char v[UCL_VALUE_MAX];

	assert_int_equal(ucl_get_var(c, "ups", "ups.status", v, sizeof(v)), 0);
	assert_string_equal(v, "OL \"x\"");
	assert_int_equal(ucl_get_var(c, "ups", "ups.status", v, sizeof(v)), UCL_E_PROTOCOL);
	assert_non_null(strstr(ucl_errmsg(c), "Protocol error"));
	/* a connection out of sync is not used again */
	assert_int_equal(ucl_get_var(c, "ups", "ups.status", v, sizeof(v)), UCL_E_BROKEN);
	assert_int_equal(ucl_fd(c), -1);
	ucl_close(c);
	fake_stop(&f);
}

static void
test_timeout(void **state)
{
	static const struct step steps[] = {{"GET VAR", NULL, 0, 3000}, {0}};
	struct fake f = fake_start(steps);
	struct ucl_conn *c = fake_connect(&f, 300);
	struct timespec t0;
	char v[UCL_VALUE_MAX];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ucl_get_var(c, "ups", "ups.status", v, sizeof(v)), UCL_E_TIMEOUT);
	long ms = elapsed_ms(&t0);
	assert_true(ms >= 250 && ms < 1500);
	assert_non_null(strstr(ucl_errmsg(c), "Timeout"));
	ucl_abort(c);
	fake_stop(&f);
}

static void
test_trickle_timeout(void **state)
{
	/* a server sending a byte at a time never extends the deadline */
	static const struct step steps[] = {
		{"GET VAR", "V", 0, 100}, {NULL, "A", 0, 100}, {NULL, "R", 0, 100},
		{NULL, " ", 0, 100},      {NULL, "u", 0, 100}, {NULL, "p", 0, 100},
		{NULL, "s", 0, 100},      {NULL, " ", 0, 100}, {NULL, "x", 0, 3000},
		{0},
	};
	struct fake f = fake_start(steps);
	struct ucl_conn *c = fake_connect(&f, 400);
	struct timespec t0;
	char v[UCL_VALUE_MAX];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ucl_get_var(c, "ups", "ups.status", v, sizeof(v)), UCL_E_TIMEOUT);
	assert_true(elapsed_ms(&t0) < 1500);
	ucl_abort(c);
	fake_stop(&f);
}

static void
test_long_line(void **state)
{
	static char big[UCL_LINE_MAX + 100];
	static struct step steps[] = {{"GET VAR", big, 0, 0}, {0}};
	memset(big, 'a', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	struct fake f = fake_start(steps);
	struct ucl_conn *c = fake_connect(&f, 2000);
	char v[UCL_VALUE_MAX];

	assert_int_equal(ucl_get_var(c, "ups", "ups.status", v, sizeof(v)), UCL_E_LINE_TOO_LONG);
	ucl_abort(c);
	fake_stop(&f);
}

static void
test_endless_list(void **state)
{
	static const struct step steps[] = {
		{"LIST VAR ups", "BEGIN LIST VAR ups\n", 0, 0},
		{NULL, "VAR ups x \"1\"\n", UCL_LIST_MAX_ITEMS + 5, 0},
		{0},
	};
	struct fake f = fake_start(steps);
	struct ucl_conn *c = fake_connect(&f, 5000);
	struct ucl_list l;

	assert_int_equal(ucl_list_var(c, "ups", &l), UCL_E_LIST_TOO_LONG);
	assert_int_equal(l.n, 0);
	assert_null(l.items);
	ucl_list_free(&l);
	ucl_abort(c);
	fake_stop(&f);
}

static void
test_list(void **state)
{
	static const struct step steps[] = {
		{"LIST RANGE ups v", "BEGIN LIST RANGE ups v\nRANGE ups v \"1\" \"5\"\n"
		                     "RANGE UPS V \"10\" \"20\"\nEND LIST RANGE ups v\n", 0, 0},
		{"LIST UPS", "BEGIN LIST UPS\nUPS a \"desc a\"\nEND LIST UPS\n", 0, 0},
		{"LIST VAR ups", "BEGIN LIST VAR ups\nVAR ups a \"1\"\nERR DATA-STALE\n", 0, 0},
		{"LIST CMD ups", "BEGIN LIST CMD ups\nCMD ups a\nEND LIST CMD other\n", 0, 0},
		{"LIST CMD ups", "BEGIN LIST CMD nope\n", 0, 0},
		{0},
	};
	struct fake f = fake_start(steps);
	struct ucl_conn *c = fake_connect(&f, 2000);
	struct ucl_list l;

	assert_int_equal(ucl_list_range(c, "ups", "v", &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.items[0].w[0], "1");
	assert_string_equal(l.items[1].w[1], "20");
	assert_string_equal(l.items[1].w[2], "");
	ucl_list_free(&l);
	assert_int_equal(ucl_list_ups(c, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0].w[1], "desc a");
	ucl_list_free(&l);
	assert_int_equal(ucl_list_var(c, "ups", &l), UCL_E_DATA_STALE);
	assert_string_equal(ucl_errmsg(c), "Data stale");
	ucl_list_free(&l);
	assert_int_equal(ucl_list_cmd(c, "ups", &l), UCL_E_PROTOCOL);
	ucl_list_free(&l);
	ucl_abort(c);
	fake_stop(&f);
}

static void
test_session(void **state)
{
	static const struct step steps[] = {
		{"USERNAME admin", "OK\n", 0, 0},
		{"PASSWORD secret", "OK\n", 0, 0},
		{"PRIMARY ups", "ERR UNKNOWN-COMMAND\n", 0, 0},
		{"MASTER ups", "OK MASTER-GRANTED\n", 0, 0},
		{"SET TRACKING ON", "OK\n", 0, 0},
		{"INSTCMD ups load.off 5", "OK TRACKING 1234-ABCD\n", 0, 0},
		{"GET TRACKING 1234-ABCD", "PENDING\n", 0, 0},
		{"GET TRACKING 1234-ABCD", "ERR FAILED\n", 0, 0},
		{"SET VAR ups ups.id \"a b\"", "OK\n", 0, 0},
		{"GET TRACKING x", "ERR INVALID-ARGUMENT\n", 0, 0},
		{"GET TRACKING y", "ERR UNKNOWN\n", 0, 0},
		{"GET TRACKING z", "SUCCESS\n", 0, 0},
		{"GET TRACKING w", "ERR FEATURE-NOT-CONFIGURED\n", 0, 0},
		{"PROTVER", "ERR UNKNOWN-COMMAND\n", 0, 0},
		{"NETVER", "1.2\n", 0, 0},
		{"GET NUMLOGINS ups", "NUMLOGINS ups 3\n", 0, 0},
		{"GET TYPE ups v", "TYPE ups v RW ENUM STRING:16\n", 0, 0},
		{"FSD ups", "OK FSD-SET\n", 0, 0},
		{"LOGIN ups", "ERR ACCESS-DENIED \"SSL trust failed\"\n", 0, 0},
		{"LOGIN ups", "ERR BRAND-NEW-WORD\n", 0, 0},
		{0},
	};
	struct fake f = fake_start(steps);
	struct ucl_conn *c = fake_connect(&f, 2000);
	char id[UCL_TRACKID_MAX], buf[64];
	enum ucl_track t;
	struct ucl_type ty;
	long n;

	assert_int_equal(ucl_auth(c, "bad user", "x"), UCL_E_BAD_CREDENTIAL);
	assert_int_equal(ucl_auth(c, "admin", "secret"), 0);
	assert_int_equal(ucl_primary(c, "ups"), 0);
	assert_int_equal(ucl_set_tracking(c, true), 0);
	assert_int_equal(ucl_instcmd(c, "ups", "load.off", "5", id), 0);
	assert_string_equal(id, "1234-ABCD");
	assert_int_equal(ucl_wait_tracking(c, id, 3000, 50, &t), 0);
	assert_int_equal(t, UCL_TRACK_FAILED);
	assert_int_equal(ucl_set_var(c, "ups", "ups.id", "a b", id), 0);
	assert_string_equal(id, "");
	assert_int_equal(ucl_get_tracking(c, "x", &t), 0);
	assert_int_equal(t, UCL_TRACK_INVALID);
	assert_int_equal(ucl_get_tracking(c, "y", &t), 0);
	assert_int_equal(t, UCL_TRACK_UNKNOWN);
	assert_int_equal(ucl_get_tracking(c, "z", &t), 0);
	assert_int_equal(t, UCL_TRACK_SUCCESS);
	assert_int_equal(ucl_get_tracking(c, "w", &t), UCL_E_FEATURE_NOT_CONFIGURED);
	assert_int_equal(ucl_protver(c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1.2");
	assert_int_equal(ucl_get_numlogins(c, "ups", &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ucl_get_type(c, "ups", "v", &ty), 0);
	assert_true(ty.rw && ty.is_enum && ty.is_string && !ty.is_number && !ty.is_range);
	assert_int_equal(ty.strlen_max, 16);
	assert_string_equal(ty.raw, "RW ENUM STRING:16");
	assert_int_equal(ucl_fsd(c, "ups"), 0);
	/* the server's explanation after the ERR word is kept */
	assert_int_equal(ucl_login(c, "ups"), UCL_E_ACCESS_DENIED);
	assert_string_equal(ucl_errmsg(c), "Access denied (SSL trust failed)");
	assert_string_equal(ucl_last_reply(c), "ERR ACCESS-DENIED \"SSL trust failed\"");
	assert_int_equal(ucl_login(c, "ups"), UCL_E_SERVER_UNKNOWN);
	assert_string_equal(ucl_errmsg(c), "Unknown error: server said ERR BRAND-NEW-WORD");
	/* request words that cannot travel are refused before sending */
	assert_int_equal(ucl_set_var(c, "ups", "ups.id", "line\nbreak", id), UCL_E_BADARG);
	ucl_close(c);
	fake_stop(&f);
}

static void
test_starttls_refused(void **state)
{
	static const struct step steps[] = {{"STARTTLS", "ERR FEATURE-NOT-CONFIGURED\n", 0, 0},
	                                    {0}};
	struct fake f = fake_start(steps);
	struct ucl_options o = {.timeout_ms = 2000, .tls = UCL_TLS_REQUIRE};
	struct ucl_conn *c = NULL;
	char err[UCL_ERRMSG_MAX];

	assert_int_equal(ucl_connect(&c, "127.0.0.1", f.port, &o, err), UCL_E_TLS_REFUSED);
	assert_null(c);
	assert_non_null(strstr(err, "FEATURE-NOT-CONFIGURED"));
	fake_stop(&f);

	f = fake_start(steps);
	o.tls = UCL_TLS_TRY;
	assert_int_equal(ucl_connect(&c, "127.0.0.1", f.port, &o, err), 0);
	assert_int_equal(ucl_tls_state(c), UCL_TLS_REFUSED);
	assert_non_null(strstr(ucl_tls_note(c), "NOT encrypted"));
	ucl_close(c);
	fake_stop(&f);
}

static void
test_starttls_injection(void **state)
{
	/* plain text smuggled after "OK STARTTLS" must not be trusted */
	static const struct step steps[] = {
		{"STARTTLS", "OK STARTTLS\nVAR ups ups.status \"OB\"\n", 0, 0}, {0}};
	struct fake f = fake_start(steps);
	struct ucl_options o = {.timeout_ms = 2000, .tls = UCL_TLS_TRY};
	struct ucl_conn *c = NULL;
	char err[UCL_ERRMSG_MAX];

	usleep(100000); /* let both lines arrive in one read */
	assert_int_equal(ucl_connect(&c, "127.0.0.1", f.port, &o, err), UCL_E_PROTOCOL);
	assert_non_null(strstr(err, "after OK STARTTLS"));
	fake_stop(&f);
}

static void
test_connect_errors(void **state)
{
	struct ucl_conn *c = NULL;
	char err[UCL_ERRMSG_MAX];
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* a port that was just free: connection refused */
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	assert_int_equal(ucl_connect(&c, "127.0.0.1", ntohs(sa.sin_port), NULL, err),
	                 UCL_E_CONNECT);
	assert_string_equal(err, "Connection failure: Connection refused");
	assert_int_equal(ucl_connect(&c, "nosuch.invalid", 3493, NULL, err), UCL_E_NOSUCHHOST);
	assert_int_equal(ucl_connect(&c, "127.0.0.1", 0, NULL, err), UCL_E_BADADDR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostport),         cmocka_unit_test(test_target),
		cmocka_unit_test(test_parse_line),       cmocka_unit_test(test_errors),
		cmocka_unit_test(test_echo),             cmocka_unit_test(test_creds),
		cmocka_unit_test(test_get_ok_and_echo),  cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_trickle_timeout),  cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_endless_list),     cmocka_unit_test(test_list),
		cmocka_unit_test(test_session),          cmocka_unit_test(test_starttls_refused),
		cmocka_unit_test(test_starttls_injection), cmocka_unit_test(test_connect_errors),
	};
	/* no SIG_IGN for SIGPIPE: the library must not raise it */
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * clicommon: what upsc, upscmd, upsrw and upslog share: the TLS and
 * network long options, connecting with NUT-style error messages, and
 * credentials that stay off the command line (file, environment, prompt).
 */
#ifndef UPSGUARD_CLICOMMON_H
#define UPSGUARD_CLICOMMON_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "client/upsclient.h"

/* The NUT release whose client output these clients reproduce byte for
 * byte, usage banners included (-V shows upsguard's own version). */
#define CLI_NUT_COMPAT_VERSION "2.8.0"

/* Environment variables read for credentials (first one set wins). */
#define CLI_ENV_USER "UPSGUARD_USERNAME"
#define CLI_ENV_USER_NUT "NUT_USERNAME"
#define CLI_ENV_PASS "UPSGUARD_PASSWORD"
#define CLI_ENV_PASS_NUT "NUT_PASSWORD"
#define CLI_ENV_CREDFILE "UPSGUARD_CREDENTIALS"
#define CLI_CREDFILE_MAX 4096 /* bytes of a credentials file */

/* Long option codes (all above the short option characters). */
enum cli_longopt {
	CLI_OPT_TLS = 1000,
	CLI_OPT_NO_TLS,
	CLI_OPT_CAFILE,
	CLI_OPT_CAPATH,
	CLI_OPT_CERT,
	CLI_OPT_KEY,
	CLI_OPT_TLS_NAME,
	CLI_OPT_INSECURE,
	CLI_OPT_NET_TIMEOUT,
	CLI_OPT_CREDFILE,
};

/* The long options every client accepts; end a program's table with
 * CLI_LONG_OPTIONS then {0}. */
#define CLI_LONG_OPTIONS                                                                           \
	{"tls", no_argument, NULL, CLI_OPT_TLS}, {"no-tls", no_argument, NULL, CLI_OPT_NO_TLS},    \
	    {"cafile", required_argument, NULL, CLI_OPT_CAFILE},                                   \
	    {"capath", required_argument, NULL, CLI_OPT_CAPATH},                                   \
	    {"cert", required_argument, NULL, CLI_OPT_CERT},                                       \
	    {"key", required_argument, NULL, CLI_OPT_KEY},                                         \
	    {"tls-name", required_argument, NULL, CLI_OPT_TLS_NAME},                               \
	    {"tls-insecure", no_argument, NULL, CLI_OPT_INSECURE},                                 \
	    {"net-timeout", required_argument, NULL, CLI_OPT_NET_TIMEOUT},                         \
	    {"credentials", required_argument, NULL, CLI_OPT_CREDFILE}

struct cli_net {
	struct ucl_options opts;
	const char *credfile;
};

/* Handle one of the long options above.  Returns 1 when handled, 0 when
 * opt is not one of them, -1 (message printed) for a bad argument. */
int cli_net_option(struct cli_net *n, int opt, const char *arg);

/* Help text for the long options (TLS, timeouts, credentials). */
void cli_net_usage(FILE *f, bool with_credentials);

/*
 * Connect to t->host:t->port.  Returns NULL on failure with the reason in
 * err (UCL_ERRMSG_MAX bytes, NUT wording: "Connection failure: ...");
 * prints a warning when TLS was refused or the certificate could not be
 * verified.  The caller owns the connection.
 */
struct ucl_conn *cli_connect(const struct ucl_target *t, const struct cli_net *n, char *err);

struct cli_creds {
	char user[UCL_CRED_MAX];
	char pass[UCL_CRED_MAX];
	bool have_user, have_pass;
	bool pass_from_argv;
};

/* Record -u / -p values (-p also scrubs the argument in argv). */
void cli_creds_set_user(struct cli_creds *c, const char *user);
void cli_creds_set_pass(struct cli_creds *c, char *pass);

/*
 * Complete the credentials: -u/-p first, then the credentials file
 * (--credentials or $UPSGUARD_CREDENTIALS; must be owned by the caller
 * and not accessible by group or others), then the environment, then
 * prompts (username on stdin as NUT does, password on the terminal
 * without echo).  Prints a warning for a password given with -p and an
 * "Error: ..." line on failure.  Returns 0 or -1.
 */
int cli_creds_finish(struct cli_creds *c, const struct cli_net *n);

/*
 * Parse a credentials file's text: lines "username = NAME" and
 * "password = SECRET" (NUT word rules: quotes, backslash escapes, '#'
 * comments).  Returns 0, or -1 with a message "line N: ..." in err.
 */
int cli_creds_parse(const char *text, size_t len, struct cli_creds *c, char *err, size_t errsize);

/* Load and check a credentials file (see cli_creds_finish). 0 or -1 with err. */
int cli_creds_load(const char *path, struct cli_creds *c, char *err, size_t errsize);

#define CLI_TRACKING_TIMEOUT_DEFAULT 10 /* seconds, NUT's DEFAULT_TRACKING_TIMEOUT */
#define CLI_TRACKING_POLL_MS 1000       /* NUT polls once a second */

/*
 * After a SET VAR or INSTCMD was accepted: print "OK" when not waiting (or
 * when the server gave no tracking id), otherwise poll the tracking id for
 * up to timeout seconds and print the driver's result as NUT's upscmd and
 * upsrw do ("SUCCESS", or "ERR <word>").  Dies on a timeout or an error.
 */
void cli_report_result(struct ucl_conn *c, const char *id, bool wait, long timeout);

/* Print fmt (plus a newline) on stderr unless fmt is NULL, close c (may be
 * NULL) and exit 1. */
_Noreturn void cli_die(struct ucl_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * For read-only requests: servers may refuse anonymous reads (upsguard's
 * upsd does from other hosts by default).  cli_read_creds() collects the
 * credentials configured without asking (--credentials,
 * $UPSGUARD_CREDENTIALS, the username/password variables; never -p, never
 * a prompt): 0 (c->have_user && c->have_pass tell whether there are any)
 * or -1 after printing "Error: ..." for a broken credentials file.
 * cli_send_read_creds() sends them when there are some -- unless STARTTLS
 * was refused, then they stay home with a warning: 0, or -1 after printing
 * the error of a broken connection.  cli_read_auth() does both.
 */
int cli_read_creds(const struct cli_net *n, struct cli_creds *c);
int cli_send_read_creds(struct ucl_conn *conn, const struct cli_creds *c);
int cli_read_auth(struct ucl_conn *conn, const struct cli_net *n);

/* Print s as a JSON string (with quotes) on f. */
void cli_json_string(FILE *f, const char *s);

/* Open /dev/tty and read a line without echo; 0 or -1. */
int cli_read_password(const char *prompt, char *buf, size_t size);

#endif

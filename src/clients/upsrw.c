/*
 * upsrw: list and set read/write variables, output identical to NUT's upsrw.
 *
 *   upsrw UPS                               list RW variables, types, values
 *   upsrw -s VAR[=VALUE] [-u U] [-w] UPS    set one
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clicommon.h"
#include "config.h"
#include "str.h"


struct upsrw {
	char *setvar; /* -s argument, VAR or VAR=VALUE */
	bool wait;
	long timeout;
	struct cli_creds creds;
	struct cli_net net;
	struct ucl_target t;
	struct ucl_conn *conn;
};

static void
usage(const char *prog)
{
	printf("Network UPS Tools %s %s\n\n", prog, CLI_NUT_COMPAT_VERSION);
	printf("usage: %s [-h]\n", prog);
	printf("       %s [-s <variable>] [-u <username>] [-p <password>] [-w] [-t <timeout>] "
	       "<ups>\n\n",
	       prog);
	printf("Demo program to set variables within UPS hardware.\n");
	printf("\n");
	printf("  -h            display this help text\n");
	printf("  -s <variable>\tspecify variable to be changed\n");
	printf("\t\tuse -s VAR=VALUE to avoid prompting for value\n");
	printf("  -l            show all possible read/write variables.\n");
	printf("  -u <username> set username for command authentication\n");
	printf("  -p <password> set password for command authentication\n");
	printf("  -w            wait for the completion of setting by the driver\n");
	printf("                and return its actual result from the device\n");
	printf("  -t <timeout>\tset a timeout when using -w (in seconds, default: %d)\n",
	       CLI_TRACKING_TIMEOUT_DEFAULT);
	printf("\n");
	printf("  <ups>         UPS identifier - <upsname>[@<hostname>[:<port>]]\n");
	printf("\n");
	printf("Call without -s to show all possible read/write variables (same as -l).\n");
}

/* ---- listing ------------------------------------------------------------------ */

/* The current value; a failure ends the program as NUT's does. */
static void
current_value(struct upsrw *u, const char *who, const char *var, char *val, size_t size)
{
	if (ucl_get_var(u->conn, u->t.ups, var, val, size) < 0)
		cli_die(u->conn, "%s: can't get current value of %s", who, var);
}

static void
print_enum(struct upsrw *u, const char *var, const char *kind, long len)
{
	char cur[UCL_VALUE_MAX];
	struct ucl_list l;

	current_value(u, "do_enum", var, cur, sizeof(cur));
	if (ucl_list_enum(u->conn, u->t.ups, var, &l) < 0)
		cli_die(u->conn, "Error: %s", ucl_errmsg(u->conn));
	if (kind)
		printf("Type: ENUM %s\n", kind);
	else
		printf("Type: ENUM\n");
	if (kind && strcmp(kind, "STRING") == 0)
		printf("Maximum length: %ld\n", len);
	for (size_t i = 0; i < l.n; i++)
		printf("Option: \"%s\"%s\n", l.items[i].w[0],
		       strcmp(l.items[i].w[0], cur) == 0 ? " SELECTED" : "");
	ucl_list_free(&l);
}

/* atoi() as NUT uses it: leading number, 0 when there is none. */
static int
leading_int(const char *s)
{
	long v = strtol(s, NULL, 10);

	return v > 2147483647L ? 2147483647 : v < -2147483647L - 1 ? -2147483647 - 1 : (int)v;
}

static void
print_range(struct upsrw *u, const char *var)
{
	char cur[UCL_VALUE_MAX];
	struct ucl_list l;
	int ival;

	current_value(u, "do_range", var, cur, sizeof(cur));
	ival = leading_int(cur);
	if (ucl_list_range(u->conn, u->t.ups, var, &l) < 0)
		cli_die(u->conn, "Error: %s", ucl_errmsg(u->conn));
	printf("Type: RANGE NUMBER\n");
	for (size_t i = 0; i < l.n; i++) {
		int min = leading_int(l.items[i].w[0]), max = leading_int(l.items[i].w[1]);
		printf("Option: \"%i-%i\"%s\n", min, max,
		       ival >= min && ival <= max ? " SELECTED" : "");
	}
	ucl_list_free(&l);
}

static void
print_type(struct upsrw *u, const char *var)
{
	const char *q[] = {"TYPE", u->t.ups, var};
	char cur[UCL_VALUE_MAX];
	struct ucl_words ans;
	bool is_enum = false;

	if (ucl_get(u->conn, q, 3, 0, &ans) < 0) {
		printf("Unknown type\n");
		return;
	}
	for (size_t i = 3; i < ans.n; i++) {
		const char *w = ans.w[i];
		if (strcasecmp(w, "ENUM") == 0) {
			is_enum = true;
		} else if (strcasecmp(w, "RANGE") == 0) {
			print_range(u, var);
			return;
		} else if (strncasecmp(w, "STRING:", 7) == 0) {
			long len = strtol(w + 7, NULL, 10);
			if (is_enum) {
				print_enum(u, var, "STRING", len);
			} else {
				current_value(u, "do_string", var, cur, sizeof(cur));
				printf("Type: STRING\nMaximum length: %ld\nValue: %s\n", len, cur);
			}
			return;
		} else if (strcasecmp(w, "NUMBER") == 0) {
			if (is_enum) {
				print_enum(u, var, "NUMBER", 0);
			} else {
				current_value(u, "do_number", var, cur, sizeof(cur));
				printf("Type: NUMBER\nValue: %s\n", cur);
			}
			return;
		} else if (strcasecmp(w, "RW") != 0) {
			printf("Type: %s (unrecognized)\n", w);
		}
	}
	if (is_enum) /* servers that do not add STRING/NUMBER to ENUM */
		print_enum(u, var, NULL, 0);
}

static void
list_rw(struct upsrw *u)
{
	struct ucl_list l;
	int r = ucl_list_rw(u->conn, u->t.ups, &l);

	if (r == UCL_E_UNKNOWN_COMMAND)
		cli_die(u->conn, "Error: upsd is too old to support this query");
	if (r < 0)
		cli_die(u->conn, "Error: %s", ucl_errmsg(u->conn));
	for (size_t i = 0; i < l.n; i++) {
		const char *var = l.items[i].w[0];
		char desc[UCL_VALUE_MAX];
		printf("[%s]\n", var);
		if (ucl_get_desc(u->conn, u->t.ups, var, desc, sizeof(desc)) == 0)
			printf("%s\n", desc);
		else
			printf("Description unavailable\n");
		print_type(u, var);
		printf("\n");
	}
	ucl_list_free(&l);
}

/* ---- setting -------------------------------------------------------------------- */

static void
read_value(const char *var, char *val, size_t size)
{
	printf("Enter new value for %s: ", var);
	fflush(stdout);
	if (!fgets(val, (int)size, stdin))
		val[0] = '\0';
	val[strcspn(val, "\n")] = '\0';
}

static void
set_var(struct upsrw *u)
{
	char id[UCL_TRACKID_MAX], value[UCL_VALUE_MAX];
	char *var = u->setvar, *eq = strchr(var, '=');
	int r;

	if (cli_creds_finish(&u->creds, &u->net) < 0)
		cli_die(u->conn, NULL);
	if (eq) {
		*eq = '\0';
		str_copy(value, eq + 1, sizeof(value));
	} else {
		read_value(var, value, sizeof(value));
	}
	if (ucl_auth(u->conn, u->creds.user, u->creds.pass) < 0)
		cli_die(u->conn, "Error: %s", ucl_errmsg(u->conn));
	if (!strchr(var, '.'))
		cli_die(u->conn, "Error: old variable names are not supported");
	if (u->wait && (r = ucl_set_tracking(u->conn, true)) < 0) {
		if (ucl_err_is_server(r))
			cli_die(u->conn,
			        "Enabling set variable status tracking failed. upsd answered: %s",
			        ucl_last_reply(u->conn));
		cli_die(u->conn, "Enabling set variable status tracking failed: %s",
		        ucl_errmsg(u->conn));
	}
	r = ucl_set_var(u->conn, u->t.ups, var, value, id);
	if (ucl_err_is_server(r))
		cli_die(u->conn, "Unexpected response from upsd: %s", ucl_last_reply(u->conn));
	if (r < 0)
		cli_die(u->conn, "Set variable failed: %s", ucl_errmsg(u->conn));
	cli_report_result(u->conn, id, u->wait, u->timeout);
}

static void
parse_args(struct upsrw *u, int argc, char **argv)
{
	static const struct option longopts[] = {CLI_LONG_OPTIONS, {0}};
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	int ch;

	while ((ch = getopt_long(argc, argv, "+hls:p:t:u:wV", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			u->setvar = optarg;
			break;
		case 'l':
			if (u->setvar)
				fprintf(stderr, "Listing mode requested, overriding setvar specified "
				                "earlier!\n");
			u->setvar = NULL;
			break;
		case 'p':
			cli_creds_set_pass(&u->creds, optarg);
			break;
		case 'u':
			cli_creds_set_user(&u->creds, optarg);
			break;
		case 't':
			if (str_to_long(optarg, 0, 86400, &u->timeout) < 0)
				cli_die(NULL, "Could not convert the provided value for timeout ('-t' "
				              "option) to unsigned int");
			break;
		case 'w':
			u->wait = true;
			break;
		case 'V':
			printf("Network UPS Tools %s %s (upsguard)\n", prog, UPSGUARD_VERSION);
			exit(EXIT_SUCCESS);
		default: {
			int r = cli_net_option(&u->net, ch, optarg);
			if (r < 0)
				exit(EXIT_FAILURE);
			if (r > 0)
				break;
			usage(prog);
			if (ch == 'h')
				cli_net_usage(stdout, true);
			exit(EXIT_SUCCESS);
		}
		}
	}
	if (optind >= argc) {
		usage(prog);
		exit(EXIT_SUCCESS);
	}
	if (ucl_parse_target(argv[optind], &u->t) < 0)
		cli_die(NULL, "Error: invalid UPS definition.  Required format: "
		              "upsname[@hostname[:port]]");
}

int
main(int argc, char **argv)
{
	struct upsrw u = {.timeout = CLI_TRACKING_TIMEOUT_DEFAULT};
	char err[UCL_ERRMSG_MAX];

	parse_args(&u, argc, argv);
	u.conn = cli_connect(&u.t, &u.net, err);
	if (!u.conn)
		cli_die(NULL, "Error: %s", err);
	if (u.setvar) {
		set_var(&u);
	} else {
		if (cli_read_auth(u.conn, &u.net) < 0)
			cli_die(u.conn, NULL);
		list_rw(&u);
	}
	fflush(stdout);
	ucl_close(u.conn);
	return EXIT_SUCCESS;
}

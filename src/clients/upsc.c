/*
 * upsc: read-only client, output identical to NUT's upsc.
 *
 *   upsc -l | -L [host[:port]]     list UPS names (with descriptions)
 *   upsc UPS[@host[:port]] [VAR]   all variables, or one value
 *   upsc -c UPS[@host[:port]]      addresses of logged-in clients
 *   -j                             JSON (the shape of NUT 2.8.5's upsc -j)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clicommon.h"
#include "config.h"

enum upsc_mode { MODE_VARS, MODE_UPSES, MODE_CLIENTS };

struct upsc {
	enum upsc_mode mode;
	bool verbose; /* -L */
	bool json;
	const char *target;
	const char *var;
	struct cli_net net;
	struct ucl_target t;
	struct ucl_conn *conn;
};

static void
usage(const char *prog)
{
	printf("Network UPS Tools upsc %s\n\n", CLI_NUT_COMPAT_VERSION);
	printf("usage: %s -l | -L [<hostname>[:port]]\n", prog);
	printf("       %s <ups> [<variable>]\n", prog);
	printf("       %s -c <ups>\n", prog);
	printf("\nDemo program to display UPS variables.\n\n");
	printf("First form (lists UPSes):\n");
	printf("  -l         - lists each UPS on <hostname>, one per line.\n");
	printf("  -L         - lists each UPS followed by its description (from ups.conf).\n");
	printf("               Default hostname: localhost\n");
	printf("\nSecond form (lists variables and values):\n");
	printf("  <ups>      - upsd server, <upsname>[@<hostname>[:<port>]] form\n");
	printf("  <variable> - optional, display this variable only.\n");
	printf("               Default: list all variables for <host>\n");
	printf("\nThird form (lists clients connected to a device):\n");
	printf("  -c         - lists each client connected on <ups>, one per line.\n");
	printf("  <ups>      - upsd server, <upsname>[@<hostname>[:<port>]] form\n");
}

static void
long_usage(void)
{
	printf("\nupsguard additions:\n");
	printf("  -j         - print JSON (array of names, object of variables, or a string)\n");
	cli_net_usage(stdout, true);
}

/* Every failure ends here: "Error: ..." on stderr, and in JSON mode an
 * error object on stdout in NUT 2.8.5's two layouts: {"error": "..."} on
 * one line, or (for the variable list, whose "{" NUT has printed already)
 * on three lines. */
static _Noreturn void
fail_json(const struct upsc *u, const char *msg, bool multiline)
{
	fprintf(stderr, "Error: %s\n", msg);
	if (u->json) {
		printf(multiline ? "{\n  \"error\": " : "{\"error\": ");
		cli_json_string(stdout, msg);
		printf(multiline ? "\n}\n" : "}\n");
	}
	fflush(stdout);
	if (u->conn)
		ucl_close(u->conn);
	exit(EXIT_FAILURE);
}

static _Noreturn void
fail(const struct upsc *u, const char *msg)
{
	fail_json(u, msg, false);
}

static _Noreturn void
fail_conn(const struct upsc *u, int err, bool multiline)
{
	/* NUT names a LIST/GET sent to a server that lacks it this way. */
	if (err == UCL_E_UNKNOWN_COMMAND)
		fail_json(u, "upsd is too old to support this query", multiline);
	fail_json(u, ucl_errmsg(u->conn), multiline);
}

/* NUT 2.8.5's layout: "[\n" or "{\n", items "  ..." joined by ",\n",
 * then "\n]\n" or "\n}\n" (so an empty list is "[\n\n]\n"). */
static void
json_list(const struct ucl_list *l, int key, int val)
{
	printf(val < 0 ? "[\n" : "{\n");
	for (size_t i = 0; i < l->n; i++) {
		printf("%s  ", i ? ",\n" : "");
		cli_json_string(stdout, l->items[i].w[key]);
		if (val >= 0) {
			printf(": ");
			cli_json_string(stdout, l->items[i].w[val]);
		}
	}
	printf(val < 0 ? "\n]\n" : "\n}\n");
}

static void
list_upses(struct upsc *u)
{
	struct ucl_list l;
	int r = ucl_list_ups(u->conn, &l);

	if (r < 0)
		fail_conn(u, r, false);
	if (u->json)
		json_list(&l, 0, u->verbose ? 1 : -1);
	else
		for (size_t i = 0; i < l.n; i++) {
			if (u->verbose)
				printf("%s: %s\n", l.items[i].w[0], l.items[i].w[1]);
			else
				printf("%s\n", l.items[i].w[0]);
		}
	ucl_list_free(&l);
}

static void
list_clients(struct upsc *u)
{
	struct ucl_list l;
	int r = ucl_list_client(u->conn, u->t.ups, &l);

	if (r < 0)
		fail_conn(u, r, false);
	if (u->json)
		json_list(&l, 0, -1);
	else
		for (size_t i = 0; i < l.n; i++)
			printf("%s\n", l.items[i].w[0]);
	ucl_list_free(&l);
}

static void
list_vars(struct upsc *u)
{
	struct ucl_list l;
	int r = ucl_list_var(u->conn, u->t.ups, &l);

	if (r < 0)
		fail_conn(u, r, true);
	if (u->json)
		json_list(&l, 0, 1);
	else
		for (size_t i = 0; i < l.n; i++)
			printf("%s: %s\n", l.items[i].w[0], l.items[i].w[1]);
	ucl_list_free(&l);
}

static void
print_var(struct upsc *u)
{
	char val[UCL_VALUE_MAX];
	int r;

	if (!strchr(u->var, '.'))
		fail(u, "old-style variable names are not supported");
	r = ucl_get_var(u->conn, u->t.ups, u->var, val, sizeof(val));
	if (r == UCL_E_UNKNOWN_COMMAND)
		fail(u, "variable unknown (old upsd detected)");
	if (r < 0)
		fail_conn(u, r, false);
	if (u->json) {
		cli_json_string(stdout, val);
		printf("\n");
	} else {
		printf("%s\n", val);
	}
}

static void
parse_args(struct upsc *u, int argc, char **argv)
{
	static const struct option longopts[] = {CLI_LONG_OPTIONS, {0}};
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	int ch;

	while ((ch = getopt_long(argc, argv, "+hlLcVj", longopts, NULL)) != -1) {
		switch (ch) {
		case 'L':
			u->verbose = true;
			/* fall through */
		case 'l':
			u->mode = MODE_UPSES;
			break;
		case 'c':
			u->mode = MODE_CLIENTS;
			break;
		case 'j':
			u->json = true;
			break;
		case 'V':
			fprintf(stderr, "Network UPS Tools upsc %s (upsguard)\n", UPSGUARD_VERSION);
			exit(EXIT_SUCCESS);
		default: {
			int r = cli_net_option(&u->net, ch, optarg);
			if (r < 0)
				exit(EXIT_FAILURE);
			if (r > 0)
				break;
			/* NUT prints the help and exits 0 on -h and unknown options */
			usage(prog);
			if (ch == 'h')
				long_usage();
			exit(EXIT_SUCCESS);
		}
		}
	}
	u->target = optind < argc ? argv[optind] : NULL;
	u->var = optind + 1 < argc ? argv[optind + 1] : NULL;
}

static void
parse_target(struct upsc *u)
{
	if (u->mode == MODE_UPSES) {
		memset(&u->t, 0, sizeof(u->t));
		if (ucl_parse_hostport(u->target ? u->target : "localhost", u->t.host,
		                       sizeof(u->t.host), &u->t.port) < 0)
			fail(u, "invalid hostname.\nRequired format: [hostname[:port]]");
		return;
	}
	if (!u->target || ucl_parse_target(u->target, &u->t) < 0)
		fail(u, "invalid UPS definition.\nRequired format: upsname[@hostname[:port]]");
}

int
main(int argc, char **argv)
{
	struct upsc u = {.mode = MODE_VARS};

	parse_args(&u, argc, argv);
	parse_target(&u);
	char err[UCL_ERRMSG_MAX];
	u.conn = cli_connect(&u.t, &u.net, err);
	if (!u.conn)
		fail(&u, err);
	if (cli_read_auth(u.conn, &u.net) < 0)
		cli_die(u.conn, NULL);
	if (u.mode == MODE_UPSES)
		list_upses(&u);
	else if (u.mode == MODE_CLIENTS)
		list_clients(&u);
	else if (u.var)
		print_var(&u);
	else
		list_vars(&u);
	fflush(stdout);
	ucl_close(u.conn);
	return EXIT_SUCCESS;
}

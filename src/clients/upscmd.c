/*
 * upscmd: list and run instant commands, output identical to NUT's upscmd.
 *
 *   upscmd -l UPS                      list commands with descriptions
 *   upscmd [-u U] [-w] [-t S] UPS CMD [VALUE]
 *
 * As in NUT, the server's answer ("OK", or the tracking result with -w)
 * goes to stderr, and an error answer exits 1.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clicommon.h"
#include "config.h"
#include "str.h"


struct upscmd {
	bool list, wait;
	long timeout;
	struct cli_creds creds;
	struct cli_net net;
	struct ucl_target t;
	struct ucl_conn *conn;
	int argc;
	char **argv; /* UPS CMD [VALUE] */
};

static void
usage(const char *prog)
{
	printf("Network UPS Tools upscmd %s\n\n", CLI_NUT_COMPAT_VERSION);
	printf("usage: %s [-h]\n", prog);
	printf("       %s [-l <ups>]\n", prog);
	printf("       %s [-u <username>] [-p <password>] [-w] [-t <timeout>] <ups> <command> "
	       "[<value>]\n\n",
	       prog);
	printf("Administration program to initiate instant commands on UPS hardware.\n");
	printf("\n");
	printf("  -h\t\tdisplay this help text\n");
	printf("  -l <ups>\tshow available commands on UPS <ups>\n");
	printf("  -u <username>\tset username for command authentication\n");
	printf("  -p <password>\tset password for command authentication\n");
	printf("  -w            wait for the completion of command by the driver\n");
	printf("                and return its actual result from the device\n");
	printf("  -t <timeout>\tset a timeout when using -w (in seconds, default: %d)\n",
	       CLI_TRACKING_TIMEOUT_DEFAULT);
	printf("\n");
	printf("  <ups>\t\tUPS identifier - <upsname>[@<hostname>[:<port>]]\n");
	printf("  <command>\tValid instant command - test.panel.start, etc.\n");
	printf("  [<value>]\tAdditional data for command - number of seconds, etc.\n");
}

static void
list_cmds(struct upscmd *u)
{
	struct ucl_list l;
	int r = ucl_list_cmd(u->conn, u->t.ups, &l);

	if (r == UCL_E_UNKNOWN_COMMAND)
		cli_die(u->conn, "Error: upsd is too old to support this query");
	if (r < 0)
		cli_die(u->conn, "Error: %s", ucl_errmsg(u->conn));
	printf("Instant commands supported on UPS [%s]:\n\n", u->t.ups);
	for (size_t i = 0; i < l.n; i++) {
		char desc[UCL_VALUE_MAX];
		const char *cmd = l.items[i].w[0];
		if (ucl_get_cmddesc(u->conn, u->t.ups, cmd, desc, sizeof(desc)) == 0)
			printf("%s - %s\n", cmd, desc);
		else if (ucl_fd(u->conn) >= 0)
			printf("%s\n", cmd);
		else
			cli_die(u->conn, "Error: %s", ucl_errmsg(u->conn));
	}
	ucl_list_free(&l);
}

/* The server's answer as NUT prints it: the ERR line, or the result word. */
static void
run_cmd(struct upscmd *u)
{
	char id[UCL_TRACKID_MAX];
	const char *param = u->argc > 2 ? u->argv[2] : NULL;
	int r;

	if (ucl_auth(u->conn, u->creds.user, u->creds.pass) < 0)
		cli_die(u->conn, "Error: %s", ucl_errmsg(u->conn));
	if (u->wait && (r = ucl_set_tracking(u->conn, true)) < 0) {
		if (ucl_err_is_server(r))
			cli_die(u->conn, "Enabling command status tracking failed. upsd answered: %s",
			        ucl_last_reply(u->conn));
		cli_die(u->conn, "Enabling command status tracking failed: %s", ucl_errmsg(u->conn));
	}
	r = ucl_instcmd(u->conn, u->t.ups, u->argv[1], param, id);
	if (ucl_err_is_server(r))
		cli_die(u->conn, "Unexpected response from upsd: %s", ucl_last_reply(u->conn));
	if (r < 0)
		cli_die(u->conn, "Instant command failed: %s", ucl_errmsg(u->conn));
	cli_report_result(u->conn, id, u->wait, u->timeout);
}

static void
parse_args(struct upscmd *u, int argc, char **argv)
{
	static const struct option longopts[] = {CLI_LONG_OPTIONS, {0}};
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	int ch;

	while ((ch = getopt_long(argc, argv, "+lhu:p:t:wV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			u->list = true;
			break;
		case 'u':
			cli_creds_set_user(&u->creds, optarg);
			break;
		case 'p':
			cli_creds_set_pass(&u->creds, optarg);
			break;
		case 't':
			if (str_to_long(optarg, 0, 86400, &u->timeout) < 0) {
				fprintf(stderr, "Could not convert the provided value for timeout "
				                "('-t' option) to unsigned int\n");
				exit(EXIT_FAILURE);
			}
			break;
		case 'w':
			u->wait = true;
			break;
		case 'V':
			fprintf(stderr, "Network UPS Tools upscmd %s (upsguard)\n", UPSGUARD_VERSION);
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
	u->argc = argc - optind;
	u->argv = argv + optind;
	if (u->argc < 1) {
		usage(prog);
		exit(EXIT_SUCCESS);
	}
	if (ucl_parse_target(u->argv[0], &u->t) < 0)
		cli_die(NULL, "Error: invalid UPS definition.  Required format: "
		              "upsname[@hostname[:port]]");
	if (!u->list && u->argc < 2) {
		usage(prog);
		exit(EXIT_SUCCESS);
	}
}

int
main(int argc, char **argv)
{
	struct upscmd u = {.timeout = CLI_TRACKING_TIMEOUT_DEFAULT};
	char err[UCL_ERRMSG_MAX];

	parse_args(&u, argc, argv);
	u.conn = cli_connect(&u.t, &u.net, err);
	if (!u.conn)
		cli_die(NULL, "Error: %s", err);
	if (u.list) {
		if (cli_read_auth(u.conn, &u.net) < 0)
			cli_die(u.conn, NULL);
		list_cmds(&u);
	} else {
		if (!strchr(u.argv[1], '.'))
			cli_die(u.conn, "Error: old command names are not supported");
		if (cli_creds_finish(&u.creds, &u.net) < 0)
			cli_die(u.conn, NULL);
		run_cmd(&u);
	}
	fflush(stdout);
	ucl_close(u.conn);
	return EXIT_SUCCESS;
}

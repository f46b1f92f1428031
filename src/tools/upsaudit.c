/*
 * upsaudit: checks an installation against NUT's security chapter and
 * upsguard's rules, and prints each finding with the command that fixes it.
 * Exit status: 0 nothing worse than information, 1 warnings, 2 errors,
 * 3 usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "config.h"
#include "paths.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: upsaudit [options]\n"
	    "  --root DIR       audit the installation below DIR (default /)\n"
	    "  --confdir DIR    configuration directory (default: $NUT_CONFPATH or %s)\n"
	    "  --statepath DIR  state directory (default: $NUT_STATEPATH or %s)\n"
	    "  --proc DIR       process table to scan (default /proc; 'none' skips)\n"
	    "  --unitdir DIR    unit directory to score (repeatable; default the usual ones;\n"
	    "                   'none' skips)\n"
	    "  --group NAME     group that should own secrets (default upsguard)\n"
	    "  --json           machine-readable output\n"
	    "exit status: 0 clean or information only, 1 warnings, 2 errors\n",
	    CONFDIR, STATEPATH);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"confdir", required_argument, NULL, 'c'},
	    {"statepath", required_argument, NULL, 's'},
	    {"proc", required_argument, NULL, 'p'},
	    {"unitdir", required_argument, NULL, 'u'},
	    {"group", required_argument, NULL, 'g'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const char *const default_units[] = {"/etc/systemd/system", "/lib/systemd/system",
	    "/usr/lib/systemd/system", "/usr/local/lib/systemd/system"};
	struct audit_options opt = {0};
	struct audit a;
	bool json = false, units_none = false;
	int c, worst;

	opt.confdir = paths_confdir();
	opt.statepath = paths_statepath();
	opt.procdir = "/proc";
	while ((c = getopt_long(argc, argv, "hj", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': opt.root = optarg; break;
		case 'c': opt.confdir = optarg; break;
		case 's': opt.statepath = optarg; break;
		case 'p': opt.procdir = strcmp(optarg, "none") ? optarg : NULL; break;
		case 'g': opt.group = optarg; break;
		case 'j': json = true; break;
		case 'u':
			if (strcmp(optarg, "none") == 0)
				units_none = true;
			else if (opt.nunitdirs < sizeof(opt.unitdirs) / sizeof(opt.unitdirs[0]))
				opt.unitdirs[opt.nunitdirs++] = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 3;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 3;
	}
	if (units_none)
		opt.nunitdirs = 0;
	else if (opt.nunitdirs == 0)
		for (size_t i = 0; i < sizeof(default_units) / sizeof(default_units[0]); i++)
			opt.unitdirs[opt.nunitdirs++] = default_units[i];

	audit_init(&a, &opt);
	audit_run_all(&a);
	if (json)
		audit_print_json(&a, stdout);
	else
		audit_print_text(&a, stdout);
	worst = audit_worst(&a);
	audit_free(&a);
	return worst <= 0 ? 0 : worst;
}

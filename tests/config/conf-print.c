/*
 * conf-print TYPE FILE: load one config file with the parser for TYPE and
 * print its canonical form on stdout, or its messages on stderr and exit 1.
 * Warnings go to stderr in both cases.  TYPE is the file's NUT name:
 * ups.conf, upsd.conf, upsd.users, upsmon.conf, upssched.conf, hosts.conf.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/hosts_conf.h"
#include "conf/ups_conf.h"
#include "conf/upsd_conf.h"
#include "conf/upsd_users.h"
#include "conf/upsmon_conf.h"
#include "conf/upssched_conf.h"

#define LOADER(prefix)                                                                             \
	static int load_##prefix(const char *path, struct conf_diag *d)                            \
	{                                                                                          \
		struct prefix *c;                                                                  \
		int r = prefix##_load(path, &c, d);                                                \
		if (r < 0)                                                                         \
			return r;                                                                  \
		prefix##_print(stdout, c);                                                         \
		prefix##_free(c);                                                                  \
		return 0;                                                                          \
	}

LOADER(ups_conf)
LOADER(upsd_conf)
LOADER(upsd_users)
LOADER(upsmon_conf)
LOADER(upssched_conf)
LOADER(hosts_conf)

static const struct {
	const char *type;
	int (*load)(const char *path, struct conf_diag *d);
} types[] = {
    {"ups.conf", load_ups_conf},           {"upsd.conf", load_upsd_conf},
    {"upsd.users", load_upsd_users},       {"upsmon.conf", load_upsmon_conf},
    {"upssched.conf", load_upssched_conf}, {"hosts.conf", load_hosts_conf},
};

int
main(int argc, char **argv)
{
	struct conf_diag d;
	int r = -1;

	if (argc != 3) {
		fprintf(stderr, "usage: conf-print TYPE FILE\n");
		return 2;
	}
	conf_diag_init(&d);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcmp(argv[1], types[i].type) == 0) {
			r = types[i].load(argv[2], &d);
			fflush(stdout);
			conf_diag_print(stderr, &d);
			conf_diag_free(&d);
			return r < 0 ? 1 : 0;
		}
	}
	fprintf(stderr, "conf-print: unknown type '%s'\n", argv[1]);
	return 2;
}

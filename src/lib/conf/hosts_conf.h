/*
 * hosts_conf: hosts.conf (the web front end's list of UPSes it may show).
 *
 *   MONITOR ups[@host[:port]] "description"
 *   CUSTOM_TEMPLATE_LIST file, CUSTOM_TEMPLATE_SINGLE file
 */
#ifndef UPSGUARD_HOSTS_CONF_H
#define UPSGUARD_HOSTS_CONF_H

#include "conf/conf.h"

#define HOSTS_MAX_MONITORS 1024

struct hosts_monitor {
	struct conf_upsname name;
	char *desc;
	unsigned lineno;
};

struct hosts_conf {
	struct hosts_monitor *monitors;
	size_t nmonitors;
	char *custom_template_list, *custom_template_single; /* NULL: not set */
};

int hosts_conf_load(const char *path, struct hosts_conf **ret, struct conf_diag *diag);
int hosts_conf_parse(const char *name, const char *buf, size_t len, struct hosts_conf **ret,
                     struct conf_diag *diag);
void hosts_conf_free(struct hosts_conf *c);
void hosts_conf_print(FILE *f, const struct hosts_conf *c);

/* True when "ups@host:port" is listed (ups and host case-insensitive). */
bool hosts_conf_allows(const struct hosts_conf *c, const char *ups, const char *host,
                       unsigned port);

#endif

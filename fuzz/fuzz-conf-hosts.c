/*
 * fuzz-conf-hosts: the hosts_conf parser (src/lib/conf/hosts_conf.h) on arbitrary input.
 */
#include "conf/hosts_conf.h"

#define CONF_T hosts_conf
#include "fuzz-conf.h"

/*
 * fuzz-conf-users: the upsd_users parser (src/lib/conf/upsd_users.h) on arbitrary input.
 */
#include "conf/upsd_users.h"

#define CONF_T upsd_users
#include "fuzz-conf.h"

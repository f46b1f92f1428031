/*
 * fuzz-conf-upsmon: the upsmon_conf parser (src/lib/conf/upsmon_conf.h) on arbitrary input.
 */
#include "conf/upsmon_conf.h"

#define CONF_T upsmon_conf
#include "fuzz-conf.h"

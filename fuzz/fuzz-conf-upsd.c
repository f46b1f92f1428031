/*
 * fuzz-conf-upsd: the upsd_conf parser (src/lib/conf/upsd_conf.h) on arbitrary input.
 */
#include "conf/upsd_conf.h"

#define CONF_T upsd_conf
#include "fuzz-conf.h"

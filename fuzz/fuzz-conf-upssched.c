/*
 * fuzz-conf-upssched: the upssched_conf parser (src/lib/conf/upssched_conf.h) on arbitrary input.
 */
#include "conf/upssched_conf.h"

#define CONF_T upssched_conf
#include "fuzz-conf.h"

/*
 * fuzz-conf-ups: the ups_conf parser (src/lib/conf/ups_conf.h) on arbitrary input.
 */
#include "conf/ups_conf.h"

#define CONF_T ups_conf
#include "fuzz-conf.h"

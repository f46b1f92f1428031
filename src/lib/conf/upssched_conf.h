/*
 * upssched_conf: upssched.conf.
 *
 *   CMDSCRIPT path [args...]   must come before the first AT line
 *   PIPEFN file, LOCKFN file   required when a timer is used
 *   DEBUG_MIN n
 *   CMDSCRIPT_CONNECT host:port  (upsguard, repeatable) CMDSCRIPT may connect there
 *   CMDSCRIPT_WRITE path         (upsguard, repeatable) CMDSCRIPT may write there
 *   AT <notifytype> <ups|*> START-TIMER <name> <secs>
 *                           START-TIMER-SHARED <name> <secs>
 *                           CANCEL-TIMER <name> [cmd]
 *                           CANCEL-TIMER-MATCHED <name> [cmd]
 *                           EXECUTE <cmd>
 */
#ifndef UPSGUARD_UPSSCHED_CONF_H
#define UPSGUARD_UPSSCHED_CONF_H

#include "conf/conf.h"
#include "conf/upsmon_conf.h"

#define UPSSCHED_MAX_ARGS 16      /* CMDSCRIPT words */
#define UPSSCHED_MAX_SECS 2592000 /* timers up to 30 days */
#define UPSSCHED_MAX_CONNECT 8    /* CMDSCRIPT_CONNECT lines (sandbox connect list) */
#define UPSSCHED_MAX_WRITE 8      /* CMDSCRIPT_WRITE lines (sandbox write list) */

enum upssched_action {
	UPSSCHED_START_TIMER = 0,
	UPSSCHED_START_TIMER_SHARED,
	UPSSCHED_CANCEL_TIMER,
	UPSSCHED_CANCEL_TIMER_MATCHED,
	UPSSCHED_EXECUTE,
};

struct upssched_at {
	enum upsmon_notify type;
	char *ups; /* "*" matches any */
	enum upssched_action action;
	char *name; /* timer name; for EXECUTE the command */
	long secs;  /* START-TIMER*: seconds */
	char *cmd;  /* CANCEL-TIMER*: optional command; NULL */
	unsigned lineno;
};

struct upssched_conf {
	char **cmdscript; /* NULL or argv (NULL-terminated) */
	size_t cmdscript_argc;
	char *pipefn, *lockfn; /* NULL: not set */
	long debug_min;        /* -1: not set */
	struct upssched_at *at;
	size_t nat;
	struct script_optins cmd_optins; /* CMDSCRIPT_CONNECT, CMDSCRIPT_WRITE */
};

int upssched_conf_load(const char *path, struct upssched_conf **ret, struct conf_diag *diag);
int upssched_conf_parse(const char *name, const char *buf, size_t len, struct upssched_conf **ret,
                        struct conf_diag *diag);
void upssched_conf_free(struct upssched_conf *c);
void upssched_conf_print(FILE *f, const struct upssched_conf *c);

const char *upssched_action_name(enum upssched_action a);

#endif

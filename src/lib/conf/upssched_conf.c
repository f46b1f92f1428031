/*
 * upssched_conf: parser and printer for upssched.conf.
 */
#include "conf/upssched_conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_internal.h"
#include "str.h"

#define UPSSCHED_MAX_AT 1024

static const struct {
	const char *name;
	unsigned min, max; /* words after the action */
} actions[] = {
    [UPSSCHED_START_TIMER] = {"START-TIMER", 2, 2},
    [UPSSCHED_START_TIMER_SHARED] = {"START-TIMER-SHARED", 2, 2},
    [UPSSCHED_CANCEL_TIMER] = {"CANCEL-TIMER", 1, 2},
    [UPSSCHED_CANCEL_TIMER_MATCHED] = {"CANCEL-TIMER-MATCHED", 1, 2},
    [UPSSCHED_EXECUTE] = {"EXECUTE", 1, 1},
};
#define NACTIONS (sizeof(actions) / sizeof(actions[0]))

struct state {
	struct upssched_conf *conf;
	bool timers; /* some AT line uses a timer */
};

const char *
upssched_action_name(enum upssched_action a)
{
	return (unsigned)a < NACTIONS ? actions[a].name : NULL;
}

static void
d_cmdscript(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct state *s = st;
	char **argv;

	if (!*a[0]) {
		conf_err(c, line, "CMDSCRIPT: empty path");
		return;
	}
	argv = conf_argv_dup(c, line, a, n);
	if (!argv)
		return;
	conf_argv_free(s->conf->cmdscript);
	s->conf->cmdscript = argv;
	s->conf->cmdscript_argc = n;
}

static void
d_pipefn(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct state *s = st;

	(void)n;
	if (!*a[0])
		conf_err(c, line, "PIPEFN: empty path");
	else
		conf_set_str(c, line, &s->conf->pipefn, a[0]);
}

static void
d_lockfn(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct state *s = st;

	(void)n;
	if (!*a[0])
		conf_err(c, line, "LOCKFN: empty path");
	else
		conf_set_str(c, line, &s->conf->lockfn, a[0]);
}

static void
d_debug_min(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct state *s = st;

	(void)n;
	(void)conf_get_long(c, line, "DEBUG_MIN", a[0], 0, 99, &s->conf->debug_min);
}

static int
find_action(const char *word)
{
	for (size_t i = 0; i < NACTIONS; i++)
		if (strcmp(actions[i].name, word) == 0)
			return (int)i;
	return -1;
}

static void
d_at(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct state *s = st;
	struct upssched_at *at;
	size_t rest = n - 3;
	long secs = 0;
	int type, act;

	if (!s->conf->cmdscript) {
		conf_err(c, line, "AT before CMDSCRIPT: CMDSCRIPT must come first");
		return;
	}
	type = upsmon_notify_from_name(a[0]);
	if (type < 0) {
		conf_err(c, line, "AT: unknown notify type '%s'", a[0]);
		return;
	}
	if (strcmp(a[1], "*") != 0 && !conf_name_valid(a[1])) {
		struct conf_upsname un;
		const char *why;

		/* upsmon passes "ups@host" as UPSNAME. */
		if (conf_upsname_parse(a[1], &un, &why) < 0) {
			conf_err(c, line, "AT: invalid UPS name '%s'", a[1]);
			return;
		}
		conf_upsname_free(&un);
	}
	act = find_action(a[2]);
	if (act < 0) {
		conf_err(c, line,
		         "AT: unknown action '%s' (START-TIMER, START-TIMER-SHARED, CANCEL-TIMER, "
		         "CANCEL-TIMER-MATCHED, EXECUTE)",
		         a[2]);
		return;
	}
	if (rest < actions[act].min || rest > actions[act].max) {
		if (actions[act].min == actions[act].max)
			conf_err(c, line, "AT ... %s: expected %u arguments, got %zu", a[2],
			         actions[act].min, rest);
		else
			conf_err(c, line, "AT ... %s: expected %u to %u arguments, got %zu", a[2],
			         actions[act].min, actions[act].max, rest);
		return;
	}
	if (!*a[3]) {
		conf_err(c, line, "AT ... %s: empty name", a[2]);
		return;
	}
	if ((act == UPSSCHED_START_TIMER || act == UPSSCHED_START_TIMER_SHARED) &&
	    conf_get_long(c, line, "AT timer seconds", a[4], 0, UPSSCHED_MAX_SECS, &secs) < 0)
		return;
	if (s->conf->nat >= UPSSCHED_MAX_AT) {
		conf_err(c, line, "AT: more than %d lines", UPSSCHED_MAX_AT);
		return;
	}
	at = conf_push(c, line, (void **)&s->conf->at, &s->conf->nat, sizeof(*at));
	if (!at)
		return;
	at->type = (enum upsmon_notify)type;
	at->ups = conf_strdup(c, line, a[1]);
	at->action = (enum upssched_action)act;
	at->name = conf_strdup(c, line, a[3]);
	at->secs = secs;
	if ((act == UPSSCHED_CANCEL_TIMER || act == UPSSCHED_CANCEL_TIMER_MATCHED) && rest == 2)
		at->cmd = conf_strdup(c, line, a[4]);
	at->lineno = line;
	if (act != UPSSCHED_EXECUTE)
		s->timers = true;
}

static void
d_cmd_connect(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct upssched_conf *conf = ((struct state *)st)->conf;

	(void)n;
	conf_optin_connect(c, line, "CMDSCRIPT_CONNECT", a[0], &conf->cmd_optins,
	                   UPSSCHED_MAX_CONNECT);
}

static void
d_cmd_write(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct upssched_conf *conf = ((struct state *)st)->conf;

	(void)n;
	conf_optin_write(c, line, "CMDSCRIPT_WRITE", a[0], &conf->cmd_optins, UPSSCHED_MAX_WRITE);
}

static const struct conf_directive directives[] = {
    {"CMDSCRIPT", 1, UPSSCHED_MAX_ARGS, d_cmdscript},
    {"PIPEFN", 1, 1, d_pipefn},
    {"LOCKFN", 1, 1, d_lockfn},
    {"DEBUG_MIN", 1, 1, d_debug_min},
    {"AT", 4, 5, d_at},
    {"CMDSCRIPT_CONNECT", 1, 1, d_cmd_connect},
    {"CMDSCRIPT_WRITE", 1, 1, d_cmd_write},
};

static void
on_line(void *st, struct conf_ctx *c, const struct tok_line *l)
{
	conf_dispatch(c, directives, sizeof(directives) / sizeof(directives[0]), st, l);
}

int
upssched_conf_parse(const char *name, const char *buf, size_t len, struct upssched_conf **ret,
                    struct conf_diag *diag)
{
	struct conf_ctx c = {name, diag, diag->nerrors};
	struct state s = {0};

	*ret = NULL;
	s.conf = calloc(1, sizeof(*s.conf));
	if (!s.conf)
		return -ENOMEM;
	s.conf->debug_min = -1;
	conf_each_line(&c, buf, len, on_line, &s);
	if (s.timers && !s.conf->pipefn)
		conf_err(&c, 0, "timers are used but PIPEFN is not set");
	if (s.timers && !s.conf->lockfn)
		conf_err(&c, 0, "timers are used but LOCKFN is not set");
	if (conf_failed(&c)) {
		upssched_conf_free(s.conf);
		return -EINVAL;
	}
	*ret = s.conf;
	return 0;
}

CONF_DEFINE_LOAD(upssched_conf)

void
upssched_conf_free(struct upssched_conf *c)
{
	if (!c)
		return;
	conf_argv_free(c->cmdscript);
	script_optins_free(&c->cmd_optins);
	free(c->pipefn);
	free(c->lockfn);
	for (size_t i = 0; i < c->nat; i++) {
		free(c->at[i].ups);
		free(c->at[i].name);
		free(c->at[i].cmd);
	}
	free(c->at);
	free(c);
}

void
upssched_conf_print(FILE *f, const struct upssched_conf *c)
{
	if (c->cmdscript) {
		fputs("CMDSCRIPT", f);
		for (size_t i = 0; i < c->cmdscript_argc; i++) {
			fputc(' ', f);
			conf_print_word(f, c->cmdscript[i]);
		}
		fputc('\n', f);
	}
	conf_optins_print(f, &c->cmd_optins, "CMDSCRIPT_CONNECT", "CMDSCRIPT_WRITE");
	conf_print_kw_str(f, "PIPEFN", c->pipefn);
	conf_print_kw_str(f, "LOCKFN", c->lockfn);
	if (c->debug_min >= 0)
		fprintf(f, "DEBUG_MIN %ld\n", c->debug_min);
	for (size_t i = 0; i < c->nat; i++) {
		const struct upssched_at *at = &c->at[i];

		fprintf(f, "AT %s ", upsmon_notify_name(at->type));
		conf_print_word(f, at->ups);
		fprintf(f, " %s ", actions[at->action].name);
		conf_print_word(f, at->name);
		if (at->action == UPSSCHED_START_TIMER || at->action == UPSSCHED_START_TIMER_SHARED)
			fprintf(f, " %ld", at->secs);
		if (at->cmd) {
			fputc(' ', f);
			conf_print_word(f, at->cmd);
		}
		fputc('\n', f);
	}
}

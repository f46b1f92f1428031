/*
 * upswrap CONFIG COMMAND [ARGS...]: run COMMAND as root (or the filter's
 * user) only if a root-owned filter file allows it.  Compatible with
 * oslo.rootwrap's configuration and exit codes; see src/lib/wrap/wrap.h.
 *
 *   sudoers:  upsguard ALL = (root) NOPASSWD: /usr/sbin/upswrap /etc/upsguard/rootwrap.conf *
 */
#include "config.h"
#include "wrap/wrap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

struct out {
	const char *name;
	bool syslog;
};

/* The caller: SUDO_UID when sudo ran us, else the real uid. */
static unsigned long
caller_uid(void)
{
	const char *s = getenv("SUDO_UID");
	char *end;
	unsigned long v;

	if (getuid() == 0 && s && *s) {
		v = strtoul(s, &end, 10);
		if (*end == '\0' && v <= 0xffffffffUL)
			return v;
	}
	return (unsigned long)getuid();
}

static void
say(const struct out *o, int prio, bool also_stderr, const char *fmt, ...)
{
	char buf[WRAP_MSG_MAX * 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (o->syslog)
		syslog(prio, "%s", buf);
	if (!o->syslog || also_stderr)
		fprintf(stderr, "%s: %s\n", o->name, buf);
}

static int
usage(const char *name)
{
	fprintf(stderr, "%s: No command specified\nusage: %s CONFIG COMMAND [ARGS...]\n", name,
		name);
	return WRAP_RC_NOCOMMAND;
}

static void
setup_log(struct out *o, const struct wrap_settings *s)
{
	if (!s->use_syslog)
		return;
	openlog(o->name, LOG_PID, s->syslog_facility);
	/* decisions are always logged; syslog_log_level filters the rest */
	o->syslog = true;
}

static int
run(struct out *o, struct wrap_ctx *ctx, int argc, char **argv)
{
	char cmd[WRAP_MSG_MAX / 2], err[WRAP_MSG_MAX];
	struct wrap_decision d;
	int rc;

	wrap_format_argv(cmd, sizeof(cmd), argc, argv);
	for (size_t i = 0; i < wrap_problem_count(ctx); i++)
		if (LOG_WARNING <= wrap_settings(ctx)->syslog_level || !o->syslog)
			say(o, LOG_WARNING, false, "warning: %s", wrap_problem(ctx, i));
	rc = wrap_decide(ctx, argc, argv, &d);
	if (rc != 0) {
		say(o, LOG_ERR, true, "uid=%lu denied: %s", caller_uid(), d.msg);
		wrap_decision_free(&d);
		return rc;
	}
	say(o, LOG_NOTICE, false, "uid=%lu allowed: %s (filter match = %s at %s, run as %s)",
	    caller_uid(), cmd, d.filter, d.where, d.run_as);
	wrap_exec(ctx, &d, err, sizeof(err));
	say(o, LOG_ERR, true, "uid=%lu exec failed: %s", caller_uid(), err);
	wrap_decision_free(&d);
	return WRAP_RC_NOEXEC;
}

int
main(int argc, char **argv)
{
	struct out o = {.name = "upswrap", .syslog = false};
	struct wrap_opts opts;
	struct wrap_ctx *ctx;
	char err[WRAP_MSG_MAX];
	int rc;

	if (argc < 3)
		return usage(o.name);
	wrap_opts_default(&opts);
	if (wrap_load(argv[1], &opts, &ctx, err, sizeof(err)) < 0) {
		say(&o, LOG_ERR, true, "uid=%lu refused (bad configuration): %s", caller_uid(),
		    err);
		return WRAP_RC_BADCONFIG;
	}
	setup_log(&o, wrap_settings(ctx));
	rc = run(&o, ctx, argc - 2, argv + 2);
	wrap_free(ctx);
	return rc;
}

/*
 * upswrap CONFIG COMMAND [ARGS...]: run COMMAND as root (or the filter's
 * user) only if a root-owned filter file allows it.  Compatible with
 * oslo.rootwrap's configuration and exit codes; see src/lib/wrap/wrap.h.
 *
 *   sudoers:  upsguard ALL = (root) NOPASSWD: /usr/sbin/upswrap /etc/upsguard/rootwrap.conf *
 */
#include "config.h"
#include "str.h"
#include "wrap/wrap.h"

#include <errno.h>
#include <fcntl.h>
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

/* A caller may start us with fd 0, 1 or 2 closed: the next file opened
 * (a config file, or one the command opens as root) would take its place. */
static void
standard_fds(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			_exit(WRAP_RC_BADCONFIG);
}

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

/* One log line to syslog, or to stderr as "upswrap: line". */
static void
emit(const struct out *o, int prio, bool also_stderr, const char *line)
{
	char buf[WRAP_MSG_MAX * 2 + 64];
	size_t n;

	if (o->syslog)
		syslog(prio, "%s", line);
	if (!o->syslog || also_stderr) {
		n = str_join(buf, sizeof(buf), (const char *const[]){o->name, ": ", line, "\n"}, 4);
		if (n >= sizeof(buf)) {
			n = sizeof(buf) - 1;
			buf[n - 1] = '\n';
		}
		(void)!write(STDERR_FILENO, buf, n);
	}
}

static void
say(const struct out *o, int prio, bool also_stderr, const char *fmt, ...)
{
	char buf[WRAP_MSG_MAX * 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	emit(o, prio, also_stderr, buf);
}

static void
help(FILE *f, const char *name)
{
	fprintf(f,
		"usage: %s CONFIG COMMAND [ARGS...]   run COMMAND if a filter allows it\n"
		"       %s -t CONFIG [COMMAND...]     check CONFIG and its filter files; with a\n"
		"                                      command, print the decision, run nothing\n"
		"       %s -h                         this help\n"
		"Exit codes: 99 unauthorized, 98 no command, 97 bad configuration or untrusted\n"
		"file, 96 executable not found; otherwise the command's own status.\n"
		"Every link of the chain (this program, CONFIG, the filter directories and\n"
		"files, each executable and its directory) must be owned by root and not\n"
		"writable by group or others.  No sandbox manifest: upswrap's job is to exec\n"
		"the allowed command as its filter's user.\n"
		"A static upswrap hands a call that needs NSS (a run-as user other than\n"
		"root) to upswrap-nss in its own directory, the same program linked\n"
		"dynamically.\n",
		name, name, name);
}

static unsigned long caller_uid(void);

static int
usage(const char *name)
{
	fprintf(stderr, "%s: uid=%lu denied: No command specified\n", name, caller_uid());
	help(stderr, name);
	return WRAP_RC_NOCOMMAND;
}

extern char **environ;

/* A decision that needs NSS (WRAP_RC_NEEDS_NSS: only in the static build,
 * for a run-as user other than root or one /etc/passwd does not list) goes,
 * unchanged, to upswrap-nss: this program linked dynamically, in the same
 * directory as this one, checked as a link of the chain first.  Nothing
 * has been logged yet: the twin logs the call.  Returns only on failure. */
static int
hand_over(struct out *o, struct wrap_ctx *ctx, char **all)
{
	static const char twin_name[] = "/upswrap-nss";
	const char *self = wrap_program(ctx), *slash = self ? strrchr(self, '/') : NULL;
	char twin[WRAP_MAX_PATH], err[WRAP_MSG_MAX];
	size_t dl = slash ? (size_t)(slash - self) : 0;

	if (!slash || dl + sizeof(twin_name) > sizeof(twin)) {
		say(o, LOG_ERR, true, "uid=%lu refused: needs NSS, and no path to upswrap-nss",
		    caller_uid());
		return WRAP_RC_BADCONFIG;
	}
	memcpy(twin, self, dl);
	memcpy(twin + dl, twin_name, sizeof(twin_name));
	if (wrap_check_program(ctx, twin, err, sizeof(err)) < 0) {
		say(o, LOG_ERR, true, "uid=%lu refused (bad configuration): %s", caller_uid(), err);
		return WRAP_RC_BADCONFIG;
	}
	all[0] = twin;
	execve(twin, all, environ);
	say(o, LOG_ERR, true, "uid=%lu refused: %s: %s", caller_uid(), twin, strerror(errno));
	return WRAP_RC_BADCONFIG;
}

/* -t: load, report problems, decide without running. */
static int
check(struct out *o, struct wrap_ctx *ctx, int argc, char **argv, char **all)
{
	struct wrap_decision d;
	char cmd[WRAP_MSG_MAX / 2];
	size_t np = wrap_problem_count(ctx);
	int rc = 0;

	if (argc > 0 && (rc = wrap_decide(ctx, argc, argv, &d)) == WRAP_RC_NEEDS_NSS) {
		wrap_decision_free(&d);
		return hand_over(o, ctx, all);
	}
	for (size_t i = 0; i < np; i++)
		printf("warning: %s\n", wrap_problem(ctx, i));
	printf("%zu filters loaded, %zu filter files refused\n", wrap_filter_count(ctx),
	       wrap_refused_files(ctx));
	if (argc == 0)
		return wrap_refused_files(ctx) ? WRAP_RC_BADCONFIG : 0;
	if (rc != 0) {
		printf("denied (%d): %s\n", rc, d.msg);
	} else {
		int n = 0;
		while (d.argv[n])
			n++;
		wrap_format_argv(cmd, sizeof(cmd), n, d.argv);
		printf("allowed: %s (filter match = %s at %s, run as %s)\n", cmd, d.filter,
		       d.where, d.run_as);
		for (char **e = d.setenv; e && *e; e++)
			printf("  environment: %s\n", *e);
	}
	wrap_decision_free(&d);
	return rc;
}

static void
setup_log(struct out *o, const struct wrap_settings *s)
{
	if (!s->use_syslog)
		return;
	if (access("/dev/log", W_OK) != 0) {
		/* oslo warns and ignores the syslog settings too */
		fprintf(stderr, "%s: warning: /dev/log unavailable, logging to stderr\n", o->name);
		return;
	}
	openlog(o->name, LOG_PID, s->syslog_facility);
	/* decisions are always logged; syslog_log_level filters the rest */
	o->syslog = true;
}

static int
run(struct out *o, struct wrap_ctx *ctx, int argc, char **argv, char **all)
{
	char cmd[WRAP_MSG_MAX / 2], err[WRAP_MSG_MAX], line[WRAP_MSG_MAX * 2], uid[21];
	struct wrap_decision d;
	int rc;

	if ((rc = wrap_decide(ctx, argc, argv, &d)) == WRAP_RC_NEEDS_NSS) {
		wrap_decision_free(&d);
		return hand_over(o, ctx, all);
	}
	wrap_format_argv(cmd, sizeof(cmd), argc, argv);
	for (size_t i = 0; i < wrap_problem_count(ctx); i++)
		if (LOG_WARNING <= wrap_settings(ctx)->syslog_level || !o->syslog)
			say(o, LOG_WARNING, false, "warning: %s", wrap_problem(ctx, i));
	if (rc != 0) {
		say(o, LOG_ERR, true, "uid=%lu denied: %s", caller_uid(), d.msg);
		wrap_decision_free(&d);
		return rc;
	}
	/* the line every allowed call writes: joined, not formatted (the first
	 * printf of a process costs more than the rest of this line's work) */
	str_join(line, sizeof(line),
		 (const char *const[]){"uid=", str_ulong(uid, caller_uid()), " allowed: ", cmd,
				       " (filter match = ", d.filter, " at ", d.where, ", run as ",
				       d.run_as, ")"},
		 11);
	emit(o, LOG_NOTICE, false, line);
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
	char err[WRAP_MSG_MAX], **all = argv;
	int rc;

	standard_fds();
	if (argc == 2 && strcmp(argv[1], "-h") == 0) {
		help(stdout, o.name);
		return 0;
	}
	bool test = argc >= 3 && strcmp(argv[1], "-t") == 0;
	if (test) {
		argv++;
		argc--;
	} else if (argc < 3) {
		return usage(o.name);
	}
	wrap_opts_default(&opts);
	opts.one_shot = true;
	if (wrap_load(argv[1], &opts, &ctx, err, sizeof(err)) < 0) {
		say(&o, LOG_ERR, true, "uid=%lu refused (bad configuration): %s", caller_uid(),
		    err);
		return WRAP_RC_BADCONFIG;
	}
	if (test) {
		rc = check(&o, ctx, argc - 2, argv + 2, all);
		wrap_free(ctx);
		return rc;
	}
	setup_log(&o, wrap_settings(ctx));
	rc = run(&o, ctx, argc - 2, argv + 2, all);
	wrap_free(ctx);
	return rc;
}

/*
 * shutdowncmd: the one command [priv] may run, through the upswrap engine.
 */
#include "shutdowncmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "str.h"
#include "tokenizer.h"
#include "wrap/wrap.h"

#define SHUTDOWNCMD_MAX_LEN 4096

struct shutdowncmd {
	struct wrap_ctx *w;
	int argc;
	char *argv[SHUTDOWNCMD_MAX_ARGS + 1];
	char store[SHUTDOWNCMD_MAX_LEN + SHUTDOWNCMD_MAX_ARGS + 1];
};

int
shutdowncmd_split(const char *cmd, char *argv[SHUTDOWNCMD_MAX_ARGS + 1], char *store,
    size_t storesz)
{
	struct tokenizer t;
	size_t len = strlen(cmd), used = 0;
	int r, argc = 0;

	if (len > SHUTDOWNCMD_MAX_LEN || strchr(cmd, '\n'))
		return -E2BIG;
	tok_init(&t);
	size_t n = tok_feed(&t, cmd, len, &r);
	if (n == len && r == TOK_MORE)
		r = tok_finish(&t);
	if (r != TOK_LINE || t.line.nwords == 0 || t.line.nwords > SHUTDOWNCMD_MAX_ARGS ||
	    t.line.warnings) {
		tok_free(&t);
		return -EINVAL;
	}
	for (size_t i = 0; i < t.line.nwords; i++) {
		size_t wl = strlen(t.line.words[i]) + 1;
		if (used + wl > storesz) {
			tok_free(&t);
			return -E2BIG;
		}
		memcpy(store + used, t.line.words[i], wl);
		argv[argc++] = store + used;
		used += wl;
	}
	argv[argc] = NULL;
	tok_free(&t);
	return argc;
}

static int
decide(struct shutdowncmd *sd, struct wrap_decision *d, char *err, size_t errsz)
{
	int rc = wrap_decide(sd->w, sd->argc, sd->argv, d);

	if (rc == 0)
		return 0;
	if (err) {
		size_t np = wrap_problem_count(sd->w);
		snprintf(err, errsz, "refused by the upswrap filters (exit %d): %s%s%s", rc, d->msg,
		    np ? "; " : "", np ? wrap_problem(sd->w, 0) : "");
	}
	wrap_decision_free(d);
	return -EPERM;
}

int
shutdowncmd_load(const char *wrapconf, const char *cmd, struct shutdowncmd **ret, char *err,
    size_t errsz)
{
	struct shutdowncmd *sd = calloc(1, sizeof(*sd));
	struct wrap_opts o;
	struct wrap_decision d;
	int r;

	if (!sd)
		return -ENOMEM;
	r = shutdowncmd_split(cmd, sd->argv, sd->store, sizeof(sd->store));
	if (r < 0) {
		snprintf(err, errsz, "cannot split it into at most %d words", SHUTDOWNCMD_MAX_ARGS);
		free(sd);
		return r;
	}
	sd->argc = r;
	wrap_opts_default(&o);
	o.check_self = false; /* upsmon, not upswrap, is the running program */
	/* Not root: [priv] holds no privilege to protect, so files of the
	 * invoking user are as trusted as the user (dry runs, the demo). */
	if (geteuid() != 0)
		o.trusted_uid = geteuid();
	r = wrap_load(wrapconf, &o, &sd->w, err, errsz);
	if (r < 0) {
		free(sd);
		return r;
	}
	r = decide(sd, &d, err, errsz);
	if (r < 0) {
		shutdowncmd_free(sd);
		return r;
	}
	wrap_decision_free(&d);
	*ret = sd;
	return 0;
}

int
shutdowncmd_run(void *arg)
{
	struct shutdowncmd *sd = arg;
	struct wrap_decision d;
	char err[512];
	int status;

	if (!sd) {
		log_err("no SHUTDOWNCMD configured");
		return 127;
	}
	if (decide(sd, &d, err, sizeof(err)) < 0) {
		log_err("SHUTDOWNCMD %s", err);
		return WRAP_RC_UNAUTHORIZED;
	}
	log_notice("running %s (filter %s at %s, as %s)", d.path, d.filter, d.where, d.run_as);
	pid_t pid = fork();
	if (pid == 0) {
		(void)wrap_exec(sd->w, &d, err, sizeof(err));
		_exit(127);
	}
	wrap_decision_free(&d);
	if (pid < 0)
		return 127;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 127;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void
shutdowncmd_free(struct shutdowncmd *sd)
{
	if (!sd)
		return;
	wrap_free(sd->w);
	free(sd);
}

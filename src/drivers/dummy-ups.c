/*
 * dummy-ups: a simulated UPS from a definition file (.dev read once and
 * re-read when its mtime changes, .seq looping), or a repeater of a UPS on
 * another upsd (port = ups@host[:port]), see repeater.h.
 */
#include <errno.h>
#include <event2/event.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "devfile.h"
#include "drv.h"
#include "dummy_vars.h"
#include "log.h"
#include "repeater.h"
#include "sandbox/sandbox.h"
#include "str.h"

#define DUMMY_VERSION "0.20"

enum mode { MODE_ONCE, MODE_LOOP, MODE_REPEATER };

struct dummy {
	enum mode mode;
	char path[PATH_MAX];
	struct df_reader rd;
	bool reading;          /* a pass is open (possibly paused by TIMER) */
	struct timespec mtime; /* of the file when last read (dummy-once) */
	struct event *step_ev; /* resumes a pass after TIMER */
	struct repeater *rep;
};

static const char *const dummy_keys[] = {
    "mode",     "repeater_disable_strict_start",
    "username", "password",
    "tls",      "cafile",
    "cadir",    "certfile",
    "keyfile",  "tls_name",
    "timeout",
};

static bool
dummy_known_opt(const char *key)
{
	for (size_t i = 0; i < sizeof(dummy_keys) / sizeof(dummy_keys[0]); i++)
		if (strcmp(dummy_keys[i], key) == 0)
			return true;
	return false;
}

static void
dummy_help(FILE *f)
{
	fprintf(f, "  port = <file>.dev     dummy-once: read once, re-read when the file changes\n"
	           "  port = <file>.seq     dummy-loop: read again and again (TIMER pauses)\n"
	           "  port = ups@host[:port] repeater of a UPS on another upsd\n"
	           "  mode = dummy-once|dummy-loop|dummy|repeater\n"
	           "  Relative file names are read from the configuration directory.\n");
	repeater_help(f);
}

/* ---- variables as NUT's dummy-ups sets them ---- */

/* Set a variable with its table flags; empty value deletes. SP_R_*. */
static int
dummy_setvar_local(struct drv *d, const char *var, const char *value)
{
	unsigned flags;
	long aux;
	bool fixed = false;
	int r;

	if (strcasecmp(var, "ups.status") == 0) {
		drv_status_init(d);
		drv_status_set(d, value);
		drv_status_commit(d);
	} else if (!*value) {
		(void)drv_delinfo(d, var);
		return SP_R_HANDLED;
	} else {
		r = drv_setinfo(d, var, value);
		if (r < 0 && r != -EPERM)
			return r == -EINVAL ? SP_R_INVALID : SP_R_FAILED;
		/* fixed by override.*: the value stays, the flags are still set */
		if (r == -EPERM)
			log_debug(1, "%s is fixed by override.%s: not changed", var, var);
		fixed = r == -EPERM;
	}
	(void)dv_lookup(var, &flags, &aux);
	{
		const struct st_var *v = st_get(drv_tree(d), var);
		(void)drv_setflags(d, var, flags | (v ? v->flags & ST_F_IMMUTABLE : 0));
	}
	if (flags & ST_F_STRING)
		(void)drv_setaux(d, var, aux);
	return fixed ? SP_R_FAILED : SP_R_HANDLED;
}

/* ---- definition files ---- */

static int
resolve_path(struct drv *d, struct dummy *du)
{
	const char *port = drv_port(d);
	int n;

	if (port[0] == '/')
		n = snprintf(du->path, sizeof(du->path), "%s", port);
	else
		n = snprintf(du->path, sizeof(du->path), "%s/%s", drv_confdir(d), port);
	return n < 0 || (size_t)n >= sizeof(du->path) ? -ENAMETOOLONG : 0;
}

static int
open_file(struct drv *d, struct dummy *du)
{
	struct stat st;
	int r;

	if (stat(du->path, &st) < 0)
		return -errno;
	r = df_open(&du->rd, du->path);
	if (r < 0)
		return r;
	du->mtime = st.st_mtim;
	du->reading = true;
	return 0;
}

static void
schedule_step(struct dummy *du, long secs)
{
	struct timeval tv = {.tv_sec = secs};

	event_add(du->step_ev, &tv);
}

/* Run the pass until TIMER (pauses) or the end of the file. */
static void
run_pass(struct drv *d, struct dummy *du)
{
	struct df_event ev;

	while (du->reading) {
		switch (df_next(&du->rd, &ev)) {
		case DF_VAR:
			(void)dummy_setvar_local(d, ev.name, ev.value);
			break;
		case DF_STATUS:
			(void)dummy_setvar_local(d, "ups.status", ev.value);
			break;
		case DF_ALARM:
			drv_alarm_init(d);
			drv_alarm_set(d, ev.value);
			drv_alarm_commit(d);
			break;
		case DF_ERROR:
			log_warn("%s (line skipped)", ev.msg);
			break;
		case DF_TIMER:
			drv_dataok(d);
			schedule_step(du, ev.secs);
			return;
		case DF_END:
			drv_dataok(d);
			if (du->mode == MODE_LOOP) {
				/* NUT re-reads a looping file at the next update */
				df_rewind(&du->rd);
				schedule_step(du, 1);
				return;
			}
			df_close(&du->rd);
			du->reading = false;
			return;
		}
	}
}

static void
step_cb(evutil_socket_t fd, short what, void *arg)
{
	struct drv *d = arg;

	run_pass(d, drv_priv(d));
}

static bool
file_changed(struct dummy *du)
{
	struct stat st;

	if (stat(du->path, &st) < 0)
		return false;
	return st.st_mtim.tv_sec != du->mtime.tv_sec || st.st_mtim.tv_nsec != du->mtime.tv_nsec;
}

/* ---- driver operations ---- */

static int
pick_mode(struct drv *d, struct dummy *du)
{
	const char *mode = drv_opt(d, "mode");
	const char *port = drv_port(d);
	size_t n = strlen(port);

	if (mode) {
		if (strcmp(mode, "dummy-once") == 0)
			du->mode = MODE_ONCE;
		else if (strcmp(mode, "dummy-loop") == 0 || strcmp(mode, "dummy") == 0)
			du->mode = MODE_LOOP;
		else if (strcmp(mode, "repeater") == 0)
			du->mode = MODE_REPEATER;
		else {
			log_err("mode '%s': expected dummy-once, dummy-loop, dummy or repeater",
			        mode);
			return -EINVAL;
		}
	} else if (strchr(port, '@')) {
		du->mode = MODE_REPEATER;
	} else if (n > 4 && strcmp(port + n - 4, ".dev") == 0) {
		du->mode = MODE_ONCE;
	} else {
		du->mode = MODE_LOOP; /* .seq and anything else, as NUT */
	}
	return 0;
}

static const char *const mode_names[] = {"dummy-once", "dummy-loop", "repeater"};

static int
dummy_init(struct drv *d)
{
	struct dummy *du = calloc(1, sizeof(*du));
	int r;

	if (!du)
		return -ENOMEM;
	drv_set_priv(d, du);
	if (pick_mode(d, du) < 0)
		return -EINVAL;
	if (du->mode == MODE_REPEATER) {
		/* connect before the sandbox, as a device is opened before it */
		r = repeater_new(d, drv_port(d), &du->rep);
		return r < 0 ? r : repeater_start(du->rep);
	}
	if (resolve_path(d, du) < 0) {
		log_err("port '%s': path too long", drv_port(d));
		return -ENAMETOOLONG;
	}
	/* the file is the device: it must be readable now, not silently empty */
	r = open_file(d, du);
	if (r < 0) {
		log_err("cannot read definition file %s: %s", du->path, strerror(-r));
		return r;
	}
	return 0;
}

static int
dummy_start(struct drv *d)
{
	struct dummy *du = drv_priv(d);

	(void)drv_setinfo(d, "driver.parameter.mode", mode_names[du->mode]);
	if (du->mode == MODE_REPEATER)
		return 0;
	du->step_ev = evtimer_new(drv_base(d), step_cb, d);
	if (!du->step_ev)
		return -ENOMEM;
	/* what NUT's dummy-ups shows before reading the file */
	(void)dummy_setvar_local(d, "ups.mfr", "Dummy Manufacturer");
	(void)dummy_setvar_local(d, "ups.model", "Dummy UPS");
	(void)dummy_setvar_local(d, "ups.status", "OL");
	(void)drv_addcmd(d, "load.off");
	run_pass(d, du);
	return 0;
}

static void
dummy_poll(struct drv *d)
{
	struct dummy *du = drv_priv(d);
	int r;

	if (du->mode == MODE_REPEATER) {
		repeater_poll(du->rep);
		return;
	}
	if (du->mode != MODE_ONCE || du->reading || !file_changed(du))
		return;
	log_info("%s changed: reading it again", du->path);
	r = open_file(d, du);
	if (r < 0) {
		log_warn("cannot read %s: %s", du->path, strerror(-r));
		return;
	}
	run_pass(d, du);
}

static int
dummy_setvar(struct drv *d, const char *var, const char *value)
{
	struct dummy *du = drv_priv(d);

	if (du->mode == MODE_REPEATER)
		return repeater_setvar(du->rep, var, value);
	return dummy_setvar_local(d, var, value);
}

static int
dummy_instcmd(struct drv *d, const char *cmd, const char *param)
{
	struct dummy *du = drv_priv(d);

	if (du->mode == MODE_REPEATER)
		return repeater_instcmd(du->rep, cmd, param);
	if (strcasecmp(cmd, "load.off") == 0) {
		/* the simulated load goes off */
		(void)dummy_setvar_local(d, "ups.status", "OFF");
		return SP_R_HANDLED;
	}
	return SP_R_UNKNOWN;
}

static int
dummy_shutdown(struct drv *d)
{
	struct dummy *du = drv_priv(d);

	if (du && du->mode == MODE_REPEATER)
		return repeater_shutdown(du->rep);
	log_notice("dummy-ups: simulated power-off of [%s]", drv_upsname(d));
	return 0;
}

static void
dummy_manifest(struct drv *d, struct sandbox_manifest *m)
{
	struct dummy *du = drv_priv(d);

	if (du && du->mode == MODE_REPEATER) {
		repeater_manifest(du->rep, m);
		return;
	}
	if (du && du->path[0])
		(void)sandbox_manifest_add_read(m, du->path);
	if (!du) {
		/* -h: what each mode adds */
		(void)sandbox_manifest_add_read(m, "<port> (the .dev/.seq file)");
		(void)sandbox_manifest_add_connect(
		    m, "<upstream, repeater mode only; adds net-client>", 3493);
	}
}

static void
dummy_cleanup(struct drv *d)
{
	struct dummy *du = drv_priv(d);

	if (!du)
		return;
	if (du->reading)
		df_close(&du->rd);
	if (du->step_ev)
		event_free(du->step_ev);
	repeater_free(du->rep);
	free(du);
	drv_set_priv(d, NULL);
}

static const struct drv_ops dummy_ops = {
    .name = "dummy-ups",
    .version = DUMMY_VERSION,
    .description = "simulated UPS from a definition file, or a repeater of a remote UPS",
    .init = dummy_init,
    .start = dummy_start,
    .poll = dummy_poll,
    .setvar = dummy_setvar,
    .instcmd = dummy_instcmd,
    .shutdown = dummy_shutdown,
    .manifest = dummy_manifest,
    .cleanup = dummy_cleanup,
    .help = dummy_help,
    .known_opt = dummy_known_opt,
};

int
main(int argc, char **argv)
{
	return drv_main(&dummy_ops, argc, argv);
}

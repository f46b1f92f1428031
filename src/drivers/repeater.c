/*
 * repeater: mirror a remote UPS through the client library.
 */
#include "repeater.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/upsclient.h"
#include "drv.h"
#include "log.h"
#include "sandbox/sandbox.h"
#include "str.h"

struct repeater {
	struct drv *d;
	struct ucl_target tgt;
	struct ucl_options opts;
	const char *user, *pass;
	struct ucl_conn *c;
	bool strict;
	bool tracking; /* SET TRACKING ON accepted upstream */
	bool meta_needed;
	unsigned polls;
	bool connect_logged;
};

void
repeater_help(FILE *f)
{
	fprintf(f,
	        "Repeater options:\n"
	        "  username, password    credentials for SET and INSTCMD upstream\n"
	        "  tls = auto|off|try|require (default auto: TLS unless on loopback)\n"
	        "  cafile, cadir         trust for the upstream certificate\n"
	        "  certfile, keyfile     client certificate; tls_name = name to verify\n"
	        "  timeout = <ms>        per request (default %d)\n"
	        "  repeater_disable_strict_start  start even if upstream is down\n",
	        REP_DEFAULT_TIMEOUT_MS);
}

static int
parse_tls(const char *v, enum ucl_tls_mode *ret)
{
	static const struct {
		const char *name;
		enum ucl_tls_mode mode;
	} modes[] = {{"auto", UCL_TLS_AUTO},
	             {"off", UCL_TLS_OFF},
	             {"try", UCL_TLS_TRY},
	             {"require", UCL_TLS_REQUIRE}};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcasecmp(v, modes[i].name) == 0) {
			*ret = modes[i].mode;
			return 0;
		}
	return -EINVAL;
}

int
repeater_new(struct drv *d, const char *target, struct repeater **ret)
{
	struct repeater *r = calloc(1, sizeof(*r));
	const char *v;
	long ms;

	if (!r)
		return -ENOMEM;
	r->d = d;
	*ret = r;
	if (ucl_parse_target(target, &r->tgt) < 0 || !r->tgt.ups[0]) {
		log_err("port '%s': expected ups@host[:port]", target);
		return -EINVAL;
	}
	r->opts.timeout_ms = REP_DEFAULT_TIMEOUT_MS;
	if ((v = drv_opt(d, "timeout")) && str_to_long(v, 100, 600000, &ms) == 0)
		r->opts.timeout_ms = (int)ms;
	else if (v) {
		log_err("timeout '%s': expected 100..600000 ms", v);
		return -EINVAL;
	}
	if ((v = drv_opt(d, "tls")) && parse_tls(v, &r->opts.tls) < 0) {
		log_err("tls '%s': expected auto, off, try or require", v);
		return -EINVAL;
	}
	r->opts.ca_file = drv_opt(d, "cafile");
	r->opts.ca_dir = drv_opt(d, "cadir");
	r->opts.cert_file = drv_opt(d, "certfile");
	r->opts.key_file = drv_opt(d, "keyfile");
	r->opts.tls_name = drv_opt(d, "tls_name");
	r->user = drv_opt(d, "username");
	r->pass = drv_opt(d, "password");
	r->strict = drv_opt(d, "repeater_disable_strict_start") == NULL;
	(void)ucl_ignore_sigpipe();
	return 0;
}

static void
disconnect(struct repeater *r)
{
	ucl_abort(r->c);
	r->c = NULL;
	r->tracking = false;
}

static int
connect_upstream(struct repeater *r)
{
	char err[UCL_ERRMSG_MAX];
	int e;

	if (r->c)
		return 0;
	e = ucl_connect(&r->c, r->tgt.host, r->tgt.port, &r->opts, err);
	if (e < 0) {
		if (!r->connect_logged)
			log_warn("upstream %s@%s:%u: %s", r->tgt.ups, r->tgt.host, r->tgt.port,
			         err);
		r->connect_logged = true;
		return e;
	}
	r->connect_logged = false;
	if (ucl_tls_state(r->c) == UCL_TLS_REFUSED || ucl_tls_state(r->c) == UCL_TLS_UNVERIFIED)
		log_warn("upstream TLS: %s", ucl_tls_note(r->c));
	if (r->user || r->pass) {
		e = ucl_auth(r->c, r->user, r->pass);
		if (e < 0) {
			log_err("upstream credentials: %s", ucl_errmsg(r->c));
			disconnect(r);
			return e;
		}
		r->tracking = ucl_set_tracking(r->c, true) == 0;
	}
	log_info("connected to %s@%s:%u%s", r->tgt.ups, r->tgt.host, r->tgt.port,
	         ucl_tls_state(r->c) == UCL_TLS_VERIFIED ? " (TLS)" : "");
	r->meta_needed = true;
	return 0;
}

static bool
is_driver_name(const char *name)
{
	return strncasecmp(name, "driver.", 7) == 0;
}

static bool
in_list(const struct ucl_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->items[i].w[0], name) == 0)
			return true;
	return false;
}

/* Delete local variables (not driver.*, not overridden) gone upstream. */
static void
drop_vanished(struct repeater *r, const struct ucl_list *vars)
{
	const struct st_tree *t = drv_tree(r->d);

	for (size_t i = 0; i < st_nvars(t);) {
		const struct st_var *v = st_var_at(t, i);

		if (!is_driver_name(v->name) && !(v->flags & ST_F_IMMUTABLE) &&
		    !in_list(vars, v->name)) {
			(void)drv_delinfo(r->d, v->name);
			r->meta_needed = true;
			continue;
		}
		i++;
	}
}

static int
sync_values(struct repeater *r)
{
	struct ucl_list vars = {0};
	int e = ucl_list_var(r->c, r->tgt.ups, &vars);

	if (e < 0) {
		ucl_list_free(&vars);
		return e;
	}
	for (size_t i = 0; i < vars.n; i++) {
		const char *name = vars.items[i].w[0];

		if (is_driver_name(name))
			continue;
		if (!st_get(drv_tree(r->d), name))
			r->meta_needed = true;
		(void)drv_setinfo(r->d, name, vars.items[i].w[1]);
	}
	drop_vanished(r, &vars);
	ucl_list_free(&vars);
	return 0;
}

/* Make a variable's enumeration (or ranges) equal to the upstream list. */
static void
sync_enums(struct repeater *r, const char *name, bool want)
{
	struct ucl_list l = {0};
	const struct st_var *v;

	if (want && ucl_list_enum(r->c, r->tgt.ups, name, &l) < 0) {
		ucl_list_free(&l);
		return;
	}
	for (size_t i = 0; i < l.n; i++)
		(void)drv_addenum(r->d, name, l.items[i].w[0]);
	while ((v = st_get(drv_tree(r->d), name)) != NULL) {
		size_t i;
		for (i = 0; i < v->nenums && in_list(&l, v->enums[i]); i++)
			;
		if (i == v->nenums)
			break;
		(void)drv_delenum(r->d, name, v->enums[i]);
	}
	ucl_list_free(&l);
}

static bool
has_range(const struct ucl_list *l, long min, long max)
{
	for (size_t i = 0; i < l->n; i++)
		if (atol(l->items[i].w[0]) == min && atol(l->items[i].w[1]) == max)
			return true;
	return false;
}

static void
sync_ranges(struct repeater *r, const char *name, bool want)
{
	struct ucl_list l = {0};
	const struct st_var *v;

	if (want && ucl_list_range(r->c, r->tgt.ups, name, &l) < 0) {
		ucl_list_free(&l);
		return;
	}
	for (size_t i = 0; i < l.n; i++) {
		long min, max;
		if (str_to_long(l.items[i].w[0], -__LONG_MAX__, __LONG_MAX__, &min) == 0 &&
		    str_to_long(l.items[i].w[1], -__LONG_MAX__, __LONG_MAX__, &max) == 0)
			(void)drv_addrange(r->d, name, min, max);
	}
	while ((v = st_get(drv_tree(r->d), name)) != NULL) {
		size_t i;
		for (i = 0; i < v->nranges && has_range(&l, v->ranges[i].min, v->ranges[i].max);
		     i++)
			;
		if (i == v->nranges)
			break;
		(void)drv_delrange(r->d, name, v->ranges[i].min, v->ranges[i].max);
	}
	ucl_list_free(&l);
}

static void
sync_var_meta(struct repeater *r, const char *name)
{
	struct ucl_type ty;
	unsigned flags = 0;
	const struct st_var *v;

	if (ucl_get_type(r->c, r->tgt.ups, name, &ty) < 0)
		return;
	flags = (ty.rw ? ST_F_RW : 0) | (ty.is_string ? ST_F_STRING : 0) |
	        (ty.is_number ? ST_F_NUMBER : 0);
	v = st_get(drv_tree(r->d), name);
	if (!v)
		return;
	(void)drv_setflags(r->d, name, flags | (v->flags & ST_F_IMMUTABLE));
	(void)drv_setaux(r->d, name, ty.is_string ? ty.strlen_max : 0);
	sync_enums(r, name, ty.is_enum);
	sync_ranges(r, name, ty.is_range);
}

static void
sync_cmds(struct repeater *r)
{
	struct ucl_list cmds = {0};
	const struct st_tree *t = drv_tree(r->d);

	if (ucl_list_cmd(r->c, r->tgt.ups, &cmds) < 0) {
		ucl_list_free(&cmds);
		return;
	}
	/* upstream driver.* commands would act on the upstream driver under
	 * the same names as ours: they are not mirrored */
	for (size_t i = 0; i < cmds.n; i++)
		if (!is_driver_name(cmds.items[i].w[0]))
			(void)drv_addcmd(r->d, cmds.items[i].w[0]);
	for (size_t i = 0; i < st_ncmds(t);) {
		const char *c = st_cmd_at(t, i);
		if (!is_driver_name(c) && !in_list(&cmds, c)) {
			(void)drv_delcmd(r->d, c);
			continue;
		}
		i++;
	}
	ucl_list_free(&cmds);
}

static void
sync_meta(struct repeater *r)
{
	const struct st_tree *t = drv_tree(r->d);

	for (size_t i = 0; i < st_nvars(t) && r->c; i++) {
		const char *name = st_var_at(t, i)->name;
		char copy[ST_MAX_NAME + 1];

		if (is_driver_name(name))
			continue;
		str_copy(copy, name, sizeof(copy));
		sync_var_meta(r, copy);
	}
	sync_cmds(r);
	r->meta_needed = false;
	r->polls = 0;
}

/* One mirror round. 0, or an error after which the data is stale. */
static int
mirror(struct repeater *r)
{
	int e = connect_upstream(r);

	if (e < 0)
		return e;
	e = sync_values(r);
	if (e < 0) {
		if (ucl_errmsg(r->c))
			log_debug(1, "upstream: %s", ucl_errmsg(r->c));
		if (!ucl_err_is_server(e))
			disconnect(r);
		return e;
	}
	if (r->meta_needed || ++r->polls >= REP_META_EVERY)
		sync_meta(r);
	return 0;
}

int
repeater_start(struct repeater *r)
{
	int e = mirror(r);

	if (e < 0) {
		if (r->strict) {
			log_err("repeater: upstream %s@%s:%u not usable (%s); set "
			        "repeater_disable_strict_start to start anyway",
			        r->tgt.ups, r->tgt.host, r->tgt.port, ucl_strerror(e));
			return e;
		}
		drv_datastale(r->d);
		return 0;
	}
	drv_dataok(r->d);
	return 0;
}

void
repeater_poll(struct repeater *r)
{
	if (mirror(r) < 0)
		drv_datastale(r->d);
	else
		drv_dataok(r->d);
}

static int
result_of_error(int e)
{
	switch (e) {
	case UCL_E_VAR_NOT_SUPPORTED:
	case UCL_E_CMD_NOT_SUPPORTED:
	case UCL_E_UNKNOWN_UPS:
		return SP_R_UNKNOWN;
	case UCL_E_INVALID_VALUE:
	case UCL_E_INVALID_ARGUMENT:
	case UCL_E_TOO_LONG:
	case UCL_E_READONLY:
		return SP_R_INVALID;
	default:
		return SP_R_FAILED;
	}
}

static int
result_of_track(enum ucl_track t)
{
	switch (t) {
	case UCL_TRACK_SUCCESS:
		return SP_R_HANDLED;
	case UCL_TRACK_UNKNOWN:
		return SP_R_UNKNOWN;
	case UCL_TRACK_INVALID:
		return SP_R_INVALID;
	default:
		return SP_R_FAILED; /* FAILED, or still PENDING after the wait */
	}
}

/* Wait for the upstream result of a request that answered with an id. */
static int
finish(struct repeater *r, int e, const char *what, const char *id)
{
	enum ucl_track t = UCL_TRACK_PENDING;

	if (e < 0) {
		log_warn("upstream %s: %s", what, ucl_errmsg(r->c));
		if (!ucl_err_is_server(e))
			disconnect(r);
		return result_of_error(e);
	}
	if (!id[0])
		return SP_R_HANDLED; /* no tracking upstream: OK is all we learn */
	e = ucl_wait_tracking(r->c, id, REP_TRACK_WAIT_MS, 100, &t);
	if (e < 0) {
		log_warn("upstream %s: tracking %s: %s", what, id, ucl_errmsg(r->c));
		return SP_R_FAILED;
	}
	log_info("upstream %s: %s", what, ucl_track_name(t));
	return result_of_track(t);
}

int
repeater_setvar(struct repeater *r, const char *var, const char *value)
{
	char id[UCL_TRACKID_MAX] = "";
	int e;

	if (connect_upstream(r) < 0)
		return SP_R_FAILED;
	e = ucl_set_var(r->c, r->tgt.ups, var, value, id);
	e = finish(r, e, "SET", id);
	if (e == SP_R_HANDLED && r->c)
		(void)sync_values(r);
	return e;
}

int
repeater_instcmd(struct repeater *r, const char *cmd, const char *param)
{
	char id[UCL_TRACKID_MAX] = "";
	int e;

	if (connect_upstream(r) < 0)
		return SP_R_FAILED;
	e = ucl_instcmd(r->c, r->tgt.ups, cmd, param, id);
	return finish(r, e, "INSTCMD", id);
}

int
repeater_shutdown(struct repeater *r)
{
	log_err("repeater: power-off is done by the driver of the real device upstream");
	return -ENOTSUP;
}

void
repeater_manifest(struct repeater *r, struct sandbox_manifest *m)
{
	static const char *const sys_files[] = {
	    "/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf",         "/etc/gai.conf",
	    "/etc/ssl",   "/usr/lib/ssl",     "/usr/share/ca-certificates",
	};

	if (!r)
		return;
	m->syscalls |= SANDBOX_SYS_NET_CLIENT;
	(void)sandbox_manifest_add_connect(m, r->tgt.host, r->tgt.port);
	for (size_t i = 0; i < sizeof(sys_files) / sizeof(sys_files[0]); i++)
		(void)sandbox_manifest_add_read(m, sys_files[i]);
	if (r->opts.ca_file)
		(void)sandbox_manifest_add_read(m, r->opts.ca_file);
	if (r->opts.ca_dir)
		(void)sandbox_manifest_add_read(m, r->opts.ca_dir);
	if (r->opts.cert_file)
		(void)sandbox_manifest_add_read(m, r->opts.cert_file);
	if (r->opts.key_file)
		(void)sandbox_manifest_add_read(m, r->opts.key_file);
}

void
repeater_free(struct repeater *r)
{
	if (!r)
		return;
	if (r->c)
		ucl_close(r->c);
	free(r);
}

/*
 * netcmd: the protocol 1.3 command dispatcher, reply for reply as NUT's
 * upsd 2.8 answers (server/netcmds.h, netget.c, netlist.c, netset.c,
 * netinstcmd.c, netuser.c, netssl.c).
 *
 * Handlers only append replies to srv->reply and change session state;
 * the I/O layer writes each batch of replies with one write.  Argument
 * checks follow NUT's order exactly, since clients and the differential
 * test see that order: argument count, then UPS, then availability or
 * permission, then the variable.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "proto/proto.h"
#include "sock/sockproto.h"
#include "upsd.h"

/* The command needs USERNAME and PASSWORD to have been sent. */
#define NC_USER 1u
/* The command reads UPS data (subject to ANONYMOUS_READ). */
#define NC_READ 2u

struct nctx {
	struct server *srv;
	struct client *c;
	struct obuf *o;
};

typedef void (*netcmd_fn)(struct nctx *x, size_t argc, char *const *argv);

static void
send_err(struct nctx *x, enum proto_err e)
{
	obuf_puts(x->o, "ERR ");
	obuf_puts(x->o, proto_err_word(e));
	obuf_puts(x->o, "\n");
}

/* An upsguard-only refusal: NUT's error word plus a quoted hint naming
 * the directive that would allow it (clients match the word as a prefix). */
static void
send_err_hint(struct nctx *x, enum proto_err e, const char *hint)
{
	obuf_printf(x->o, "ERR %s \"", proto_err_word(e));
	obuf_escaped(x->o, hint);
	obuf_puts(x->o, "\"\n");
}

/* UPS lookup + availability, sending the error; NULL when not usable. */
static struct ups *
get_ups(struct nctx *x, const char *name, bool need_available)
{
	struct ups *u = ups_find(x->srv, name);
	int e;

	if (!u) {
		send_err(x, PROTO_E_UNKNOWN_UPS);
		return NULL;
	}
	if (need_available && (e = ups_check_available(u)) != 0) {
		send_err(x, (enum proto_err)e);
		return NULL;
	}
	return u;
}

static void
nc_starttls(struct nctx *x, size_t argc, char *const *argv)
{
	if (x->c->flags & CL_TLS) {
		send_err(x, PROTO_E_ALREADY_SSL_MODE);
		return;
	}
	if (!x->srv->ssl_ctx) {
		send_err(x, PROTO_E_FEATURE_NOT_CONFIGURED);
		return;
	}
	obuf_puts(x->o, "OK STARTTLS\n");
	x->c->flags |= CL_STARTTLS;
}

static bool
plaintext_creds_refused(struct nctx *x)
{
	if (!(x->c->flags & CL_TLS_REQ) || (x->c->flags & CL_TLS))
		return false;
	send_err_hint(
	    x, PROTO_E_ACCESS_DENIED,
	    "credentials need STARTTLS on this listener (ALLOW_PLAINTEXT_LISTEN in upsd.conf)");
	return true;
}

/* USERNAME and PASSWORD: each may be set once per connection, and NUT
 * answers OK whatever the value; it is only checked at the action. */
static void
set_credential_once(struct nctx *x, size_t argc, char *const *argv, char **slot,
    enum proto_err already_err, const char *what)
{
	char addr[INET6_ADDRSTRLEN];

	if (argc != 1) {
		send_err(x, PROTO_E_INVALID_ARGUMENT);
		return;
	}
	if (*slot) {
		log_info("%s: client already set %s", client_addr_str(x->c, addr, sizeof(addr)),
		    what);
		send_err(x, already_err);
		return;
	}
	if (plaintext_creds_refused(x))
		return;
	*slot = strdup(argv[0]);
	if (!*slot) {
		send_err(x, PROTO_E_UNKNOWN_COMMAND);
		return;
	}
	obuf_puts(x->o, "OK\n");
}

static void
nc_username(struct nctx *x, size_t argc, char *const *argv)
{
	set_credential_once(x, argc, argv, &x->c->username, PROTO_E_ALREADY_SET_USERNAME,
	    "username");
}

static void
nc_password(struct nctx *x, size_t argc, char *const *argv)
{
	set_credential_once(x, argc, argv, &x->c->password, PROTO_E_ALREADY_SET_PASSWORD,
	    "password");
}

static void
nc_login(struct nctx *x, size_t argc, char *const *argv)
{
	char addr[INET6_ADDRSTRLEN];
	struct ups *u;

	if (argc != 1) {
		send_err(x, PROTO_E_INVALID_ARGUMENT);
		return;
	}
	if (x->c->loginups) {
		send_err(x, PROTO_E_ALREADY_LOGGED_IN);
		return;
	}
	if (!(u = get_ups(x, argv[0], false)))
		return;
	if (!auth_check(x->srv, x->c, AUTH_LOGIN)) {
		send_err(x, PROTO_E_ACCESS_DENIED);
		return;
	}
	u->numlogins++;
	x->c->loginups = u;
	log_info("User %s@%s logged into UPS [%s]", x->c->username,
	         client_addr_str(x->c, addr, sizeof(addr)), u->name);
	obuf_puts(x->o, "OK\n");
}

static void
nc_logout(struct nctx *x, size_t argc, char *const *argv)
{
	char addr[INET6_ADDRSTRLEN];

	if (argc != 0) {
		send_err(x, PROTO_E_INVALID_ARGUMENT);
		return;
	}
	if (x->c->loginups)
		log_info("User %s@%s logged out from UPS [%s]",
		         x->c->username ? x->c->username : "",
		         client_addr_str(x->c, addr, sizeof(addr)), x->c->loginups->name);
	obuf_puts(x->o, "OK Goodbye\n");
	x->c->flags |= CL_CLOSING;
}

static void
primary_common(struct nctx *x, size_t argc, char *const *argv, const char *reply)
{
	if (argc != 1) {
		send_err(x, PROTO_E_INVALID_ARGUMENT);
		return;
	}
	if (!get_ups(x, argv[0], false))
		return;
	if (!auth_check(x->srv, x->c, AUTH_PRIMARY)) {
		send_err(x, PROTO_E_ACCESS_DENIED);
		return;
	}
	obuf_puts(x->o, reply);
}

static void
nc_primary(struct nctx *x, size_t argc, char *const *argv)
{
	primary_common(x, argc, argv, "OK PRIMARY-GRANTED\n");
}

static void
nc_master(struct nctx *x, size_t argc, char *const *argv)
{
	primary_common(x, argc, argv, "OK MASTER-GRANTED\n");
}

static void
nc_fsd(struct nctx *x, size_t argc, char *const *argv)
{
	char addr[INET6_ADDRSTRLEN];
	struct ups *u;

	if (argc != 1) {
		send_err(x, PROTO_E_INVALID_ARGUMENT);
		return;
	}
	if (!(u = get_ups(x, argv[0], false)))
		return;
	if (!auth_check(x->srv, x->c, AUTH_FSD)) {
		send_err(x, PROTO_E_ACCESS_DENIED);
		return;
	}
	log_info("Client %s@%s set FSD on UPS [%s]", x->c->username,
	         client_addr_str(x->c, addr, sizeof(addr)), u->name);
	u->fsd = true;
	obuf_puts(x->o, "OK FSD-SET\n");
}

/* ---- GET ---- */

static void
get_var(struct nctx *x, const char *upsname, const char *var)
{
	const char *val;
	struct ups *u;

	/* server.* is answered for any UPS name, known or not. */
	if (strncasecmp(var, "server.", 7) == 0) {
		if (strcasecmp(var, "server.info") == 0)
			obuf_printf(x->o, "VAR %s server.info \"%s\"\n", upsname, UPSD_VER_TEXT);
		else if (strcasecmp(var, "server.version") == 0)
			obuf_printf(x->o, "VAR %s server.version \"%s\"\n", upsname,
			            UPSGUARD_VERSION);
		else
			send_err(x, PROTO_E_VAR_NOT_SUPPORTED);
		return;
	}
	if (!(u = get_ups(x, upsname, true)))
		return;
	if (!(val = st_value(&u->tree, var))) {
		send_err(x, PROTO_E_VAR_NOT_SUPPORTED);
		return;
	}
	obuf_head(x->o, "VAR", upsname, var);
	if (u->fsd && strcasecmp(var, "ups.status") == 0)
		obuf_puts(x->o, "FSD ");
	obuf_escaped(x->o, val);
	obuf_puts(x->o, "\"\n");
}

static void
get_type(struct nctx *x, const char *upsname, const char *var)
{
	const struct st_var *v;
	struct ups *u;

	if (!(u = get_ups(x, upsname, true)))
		return;
	if (!(v = st_get(&u->tree, var))) {
		send_err(x, PROTO_E_VAR_NOT_SUPPORTED);
		return;
	}
	obuf_printf(x->o, "TYPE %s %s", upsname, var);
	if (v->flags & ST_F_RW)
		obuf_puts(x->o, " RW");
	if (v->nenums)
		obuf_puts(x->o, " ENUM");
	if (v->nranges)
		obuf_puts(x->o, " RANGE");
	if (v->flags & ST_F_STRING)
		obuf_printf(x->o, " STRING:%ld\n", v->aux);
	else
		obuf_puts(x->o, " NUMBER\n");
}

static void
get_desc(struct nctx *x, const char *what, const char *upsname, const char *name, bool cmd)
{
	const char *d;

	if (!get_ups(x, upsname, true))
		return;
	d = cmd ? proto_cmd_desc(name) : proto_var_desc(name);
	obuf_head(x->o, what, upsname, name);
	obuf_escaped(x->o, d ? d : PROTO_DESC_UNAVAILABLE);
	obuf_puts(x->o, "\"\n");
}

static void
get_tracking(struct nctx *x, size_t argc, char *const *argv)
{
	if (argc < 2) {
		obuf_puts(x->o, (x->c->flags & CL_TRACKING) ? "ON\n" : "OFF\n");
		return;
	}
	if (!(x->c->flags & CL_TRACKING)) {
		send_err(x, PROTO_E_FEATURE_NOT_CONFIGURED);
		return;
	}
	obuf_puts(x->o, tracking_get(x->srv, argv[1]));
	obuf_puts(x->o, "\n");
}

static void
nc_get(struct nctx *x, size_t argc, char *const *argv)
{
	struct ups *u;

	if (argc < 1) {
		send_err(x, PROTO_E_INVALID_ARGUMENT);
		return;
	}
	if (strcasecmp(argv[0], "TRACKING") == 0) {
		get_tracking(x, argc, argv);
		return;
	}
	if (argc < 2) {
		send_err(x, PROTO_E_INVALID_ARGUMENT);
		return;
	}
	if (strcasecmp(argv[0], "NUMLOGINS") == 0) {
		if ((u = get_ups(x, argv[1], true)))
			obuf_printf(x->o, "NUMLOGINS %s %d\n", argv[1], u->numlogins);
		return;
	}
	if (strcasecmp(argv[0], "UPSDESC") == 0) {
		if (!(u = get_ups(x, argv[1], false)))
			return;
		obuf_printf(x->o, "UPSDESC %s \"", argv[1]);
		obuf_escaped(x->o, u->desc ? u->desc : "Unavailable");
		obuf_puts(x->o, "\"\n");
		return;
	}
	if (argc < 3) {
		send_err(x, PROTO_E_INVALID_ARGUMENT);
		return;
	}
	if (strcasecmp(argv[0], "VAR") == 0)
		get_var(x, argv[1], argv[2]);
	else if (strcasecmp(argv[0], "TYPE") == 0)
		get_type(x, argv[1], argv[2]);
	else if (strcasecmp(argv[0], "DESC") == 0)
		get_desc(x, "DESC", argv[1], argv[2], false);
	else if (strcasecmp(argv[0], "CMDDESC") == 0)
		get_desc(x, "CMDDESC", argv[1], argv[2], true);
	else
		send_err(x, PROTO_E_INVALID_ARGUMENT);
}

/* ---- LIST ---- */

static void
list_ups(struct nctx *x)
{
	obuf_puts(x->o, "BEGIN LIST UPS\n");
	for (struct ups *u = x->srv->upses; u; u = u->next) {
		obuf_printf(x->o, "UPS %s \"", u->name);
		obuf_escaped(x->o, u->desc ? u->desc : PROTO_DESC_UNAVAILABLE);
		obuf_puts(x->o, "\"\n");
	}
	obuf_puts(x->o, "END LIST UPS\n");
}

static void
list_vars(struct nctx *x, const char *upsname, bool rw_only)
{
	const char *kind = rw_only ? "RW" : "VAR";
	struct ups *u;

	if (!(u = get_ups(x, upsname, true)))
		return;
	obuf_printf(x->o, "BEGIN LIST %s %s\n", kind, upsname);
	for (size_t i = 0; i < st_nvars(&u->tree); i++) {
		const struct st_var *v = st_var_at(&u->tree, i);

		if (rw_only && !(v->flags & ST_F_RW))
			continue;
		obuf_head(x->o, kind, upsname, v->name);
		if (!rw_only && u->fsd && strcasecmp(v->name, "ups.status") == 0)
			obuf_puts(x->o, "FSD ");
		obuf_escaped(x->o, v->value);
		obuf_puts(x->o, "\"\n");
	}
	obuf_printf(x->o, "END LIST %s %s\n", kind, upsname);
}

static void
list_cmd(struct nctx *x, const char *upsname)
{
	struct ups *u;

	if (!(u = get_ups(x, upsname, true)))
		return;
	obuf_printf(x->o, "BEGIN LIST CMD %s\n", upsname);
	for (size_t i = 0; i < st_ncmds(&u->tree); i++)
		obuf_printf(x->o, "CMD %s %s\n", upsname, st_cmd_at(&u->tree, i));
	obuf_printf(x->o, "END LIST CMD %s\n", upsname);
}

static void
list_client(struct nctx *x, const char *upsname)
{
	char addr[INET6_ADDRSTRLEN];
	struct ups *u;

	if (!(u = get_ups(x, upsname, false)))
		return;
	/* Who is connected is not for anonymous eyes (upsguard default). */
	if (!auth_valid_user(x->srv, x->c)) {
		send_err_hint(x, PROTO_E_ACCESS_DENIED,
		              "LIST CLIENT needs USERNAME and PASSWORD of a user in upsd.users");
		return;
	}
	obuf_printf(x->o, "BEGIN LIST CLIENT %s\n", upsname);
	/* NUT lists the newest connection first; the client list is kept in
	 * idle order, so pick by connection sequence (rare, small). */
	for (unsigned long below = ~0ul;;) {
		struct client *best = NULL;

		for (struct client *c = x->srv->clients_head; c; c = c->next)
			if (c->loginups == u && c->seq < below && (!best || c->seq > best->seq))
				best = c;
		if (!best)
			break;
		obuf_printf(x->o, "CLIENT %s %s\n", u->name,
		            client_addr_str(best, addr, sizeof(addr)));
		below = best->seq;
	}
	obuf_printf(x->o, "END LIST CLIENT %s\n", upsname);
}

static void
list_enum_range(struct nctx *x, const char *upsname, const char *var, bool range)
{
	const struct st_var *v;
	struct ups *u;

	if (!(u = get_ups(x, upsname, true)))
		return;
	if (!(v = st_get(&u->tree, var))) {
		send_err(x, PROTO_E_VAR_NOT_SUPPORTED);
		return;
	}
	if (range) {
		obuf_printf(x->o, "BEGIN LIST RANGE %s %s\n", upsname, var);
		for (size_t i = 0; i < v->nranges; i++)
			obuf_printf(x->o, "RANGE %s %s \"%ld\" \"%ld\"\n", upsname, var,
			            v->ranges[i].min, v->ranges[i].max);
		obuf_printf(x->o, "END LIST RANGE %s %s\n", upsname, var);
		return;
	}
	obuf_printf(x->o, "BEGIN LIST ENUM %s %s\n", upsname, var);
	for (size_t i = 0; i < v->nenums; i++) {
		obuf_printf(x->o, "ENUM %s %s \"", upsname, var);
		obuf_escaped(x->o, v->enums[i]);
		obuf_puts(x->o, "\"\n");
	}
	obuf_printf(x->o, "END LIST ENUM %s %s\n", upsname, var);
}

static void
nc_list(struct nctx *x, size_t argc, char *const *argv)
{
	if (argc < 1) {
		send_err(x, PROTO_E_INVALID_ARGUMENT);
		return;
	}
	if (strcasecmp(argv[0], "UPS") == 0) {
		list_ups(x);
		return;
	}
	if (argc < 2) {
		send_err(x, PROTO_E_INVALID_ARGUMENT);
		return;
	}
	if (strcasecmp(argv[0], "VAR") == 0)
		list_vars(x, argv[1], false);
	else if (strcasecmp(argv[0], "RW") == 0)
		list_vars(x, argv[1], true);
	else if (strcasecmp(argv[0], "CMD") == 0)
		list_cmd(x, argv[1]);
	else if (strcasecmp(argv[0], "CLIENT") == 0)
		list_client(x, argv[1]);
	else if (argc < 3)
		send_err(x, PROTO_E_INVALID_ARGUMENT);
	else if (strcasecmp(argv[0], "ENUM") == 0)
		list_enum_range(x, argv[1], argv[2], false);
	else if (strcasecmp(argv[0], "RANGE") == 0)
		list_enum_range(x, argv[1], argv[2], true);
	else
		send_err(x, PROTO_E_INVALID_ARGUMENT);
}

/* ---- SET, INSTCMD ---- */

/* Forward a formatted message to the driver, with a tracking id when the
 * client asked for tracking; replies OK [TRACKING id] or the error. */
static void
forward(struct nctx *x, struct ups *u, struct sp_msg *m, enum proto_err fail)
{
	char line[SP_MAX_LINE], id[40] = "";
	int n;

	if ((x->c->flags & CL_TRACKING) && tracking_add(x->srv, id) == 0)
		m->id = id;
	n = sp_format(line, sizeof(line), m);
	if (n < 0 || ups_send(u, line, (size_t)n) < 0) {
		log_info("UPS [%s]: sending %s to the driver failed", u->name,
		         sp_kind_name(m->kind));
		if (id[0])
			tracking_set(x->srv, id, PROTO_TRACK_FAILED);
		send_err(x, fail);
		return;
	}
	if (id[0])
		obuf_printf(x->o, "OK TRACKING %s\n", id);
	else
		obuf_puts(x->o, "OK\n");
}

/* NUT reads the new value with atoi(): leading digits count, "abc" is 0. */
static bool
range_allows(const struct st_var *v, const char *val)
{
	long n;

	if (!v->nranges)
		return true;
	errno = 0;
	n = strtol(val, NULL, 10);
	if (errno == ERANGE || n > INT_MAX || n < INT_MIN)
		n = n < 0 ? INT_MIN : INT_MAX;
	for (size_t i = 0; i < v->nranges; i++)
		if (n >= v->ranges[i].min && n <= v->ranges[i].max)
			return true;
	return false;
}

static void
set_var(struct nctx *x, const char *upsname, const char *var, const char *val)
{
	char addr[INET6_ADDRSTRLEN];
	struct sp_msg m = {.kind = SP_SET};
	const struct st_var *v;
	struct ups *u;

	/* NUT: UPS, availability, permission, then the variable. */
	if (!(u = get_ups(x, upsname, true)))
		return;
	if (!auth_check(x->srv, x->c, AUTH_SET)) {
		send_err(x, PROTO_E_ACCESS_DENIED);
		return;
	}
	if (!(v = st_get(&u->tree, var))) {
		send_err(x, PROTO_E_VAR_NOT_SUPPORTED);
		return;
	}
	if (!(v->flags & ST_F_RW)) {
		send_err(x, PROTO_E_READONLY);
		return;
	}
	if (v->flags & ST_F_STRING) {
		if (v->aux < 1) {
			log_warn("UPS [%s]: auxdata for %s is invalid", u->name, v->name);
			send_err(x, PROTO_E_SET_FAILED);
			return;
		}
		if ((long)strlen(val) > v->aux) {
			send_err(x, PROTO_E_TOO_LONG);
			return;
		}
	}
	if (!st_enum_allows(v, val) || !range_allows(v, val)) {
		send_err(x, PROTO_E_INVALID_VALUE);
		return;
	}
	log_info("Set variable: %s@%s set %s on %s to %s", x->c->username,
	         client_addr_str(x->c, addr, sizeof(addr)), v->name, u->name, val);
	m.name = var;
	m.value = val;
	forward(x, u, &m, PROTO_E_SET_FAILED);
}

static void
set_tracking(struct nctx *x, const char *arg)
{
	if (strcasecmp(arg, "ON") == 0)
		x->c->flags |= CL_TRACKING;
	else if (strcasecmp(arg, "OFF") == 0)
		x->c->flags &= ~CL_TRACKING;
	else {
		send_err(x, PROTO_E_INVALID_ARGUMENT);
		return;
	}
	obuf_puts(x->o, "OK\n");
}

static void
nc_set(struct nctx *x, size_t argc, char *const *argv)
{
	if (argc < 2) {
		send_err(x, PROTO_E_INVALID_ARGUMENT);
		return;
	}
	if (strcasecmp(argv[0], "VAR") == 0) {
		if (argc < 4)
			send_err(x, PROTO_E_INVALID_ARGUMENT);
		else
			set_var(x, argv[1], argv[2], argv[3]);
		return;
	}
	if (strcasecmp(argv[0], "TRACKING") == 0) {
		set_tracking(x, argv[1]);
		return;
	}
	send_err(x, PROTO_E_INVALID_ARGUMENT);
}

static void
nc_instcmd(struct nctx *x, size_t argc, char *const *argv)
{
	char addr[INET6_ADDRSTRLEN];
	struct sp_msg m = {.kind = SP_INSTCMD};
	struct ups *u;

	if (argc < 2) {
		send_err(x, PROTO_E_INVALID_ARGUMENT);
		return;
	}
	if (!(u = get_ups(x, argv[0], true)))
		return;
	/* NUT checks the command exists before the permission. */
	if (!st_has_cmd(&u->tree, argv[1])) {
		send_err(x, PROTO_E_CMD_NOT_SUPPORTED);
		return;
	}
	if (!auth_check_instcmd(x->srv, x->c, argv[1])) {
		send_err(x, PROTO_E_ACCESS_DENIED);
		return;
	}
	log_info("Instant command: %s@%s did %s on %s%s%s", x->c->username,
	         client_addr_str(x->c, addr, sizeof(addr)), argv[1], u->name,
	         argc >= 3 ? " with value " : "", argc >= 3 ? argv[2] : "");
	m.name = argv[1];
	m.value = argc >= 3 ? argv[2] : NULL;
	forward(x, u, &m, PROTO_E_INSTCMD_FAILED);
}

/* A command either has a handler, or a fixed reply (no arguments taken). */
static const struct netcmd {
	const char *name;
	netcmd_fn fn;
	unsigned flags;
	const char *reply;
} netcmds[] = {
    /* the most frequent first: the table is searched in order */
    {"GET", nc_get, NC_READ, NULL},
    {"LIST", nc_list, NC_READ, NULL},
    {"VER", NULL, 0, UPSD_VER_TEXT "\n"},
    {"NETVER", NULL, 0, PROTO_NETVER "\n"},
    {"PROTVER", NULL, 0, PROTO_NETVER "\n"},
    {"HELP", NULL, 0,
        "Commands: HELP VER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS\n"},
    {"STARTTLS", nc_starttls, 0, NULL},
    {"USERNAME", nc_username, 0, NULL},
    {"PASSWORD", nc_password, 0, NULL},
    {"LOGIN", nc_login, NC_USER, NULL},
    {"LOGOUT", nc_logout, 0, NULL},
    {"PRIMARY", nc_primary, NC_USER, NULL},
    {"MASTER", nc_master, NC_USER, NULL},
    {"FSD", nc_fsd, NC_USER, NULL},
    {"SET", nc_set, NC_USER, NULL},
    {"INSTCMD", nc_instcmd, NC_USER, NULL},
};

void
netcmd_dispatch(struct server *srv, struct client *c, const struct tok_line *line)
{
	struct nctx x = {.srv = srv, .c = c, .o = &srv->reply};
	const struct netcmd *cmd = NULL;

	srv->requests++;
	if (line->nwords < 1) {
		send_err(&x, PROTO_E_UNKNOWN_COMMAND);
		return;
	}
	for (size_t i = 0; i < sizeof(netcmds) / sizeof(netcmds[0]); i++)
		if (strcasecmp(netcmds[i].name, line->words[0]) == 0) {
			cmd = &netcmds[i];
			break;
		}
	if (!cmd) {
		send_err(&x, PROTO_E_UNKNOWN_COMMAND);
		return;
	}
	if (cmd->flags & NC_USER) {
		if (!c->username) {
			send_err(&x, PROTO_E_USERNAME_REQUIRED);
			return;
		}
		if (!c->password) {
			send_err(&x, PROTO_E_PASSWORD_REQUIRED);
			return;
		}
	}
	if ((cmd->flags & NC_READ) && !auth_may_read(srv, c)) {
		send_err_hint(
		    &x, PROTO_E_ACCESS_DENIED,
		    "anonymous reads are off for this address (ANONYMOUS_READ in upsd.conf)");
		return;
	}
	if (cmd->reply) {
		if (line->nwords != 1)
			send_err(&x, PROTO_E_INVALID_ARGUMENT);
		else
			obuf_puts(x.o, cmd->reply);
		return;
	}
	cmd->fn(&x, line->nwords - 1, line->words + 1);
}

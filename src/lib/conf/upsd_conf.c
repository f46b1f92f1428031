/*
 * upsd_conf: parser and printer for upsd.conf.
 */
#include "conf/upsd_conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_internal.h"
#include "str.h"

#define UPSD_CONF_MAX_LISTEN 64
#define DAY 86400L

static const char *const anon_names[] = {"loopback", "any", "none"};

/* "*", an IPv4/IPv6 address (scope allowed) or a host name. */
static bool
addr_valid(const char *a)
{
	if (strcmp(a, "*") == 0)
		return true;
	if (!*a || strlen(a) > 253 || *a == '-' || *a == '.')
		return false;
	for (; *a; a++) {
		unsigned char ch = (unsigned char)*a;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
		      ch == ':' || ch == '%'))
			return false;
	}
	return true;
}

static void
d_listen(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct upsd_conf *conf = st;
	struct upsd_listen *l;
	char addr[256];
	size_t len = strlen(a[0]);
	long port = CONF_DEFAULT_PORT;

	if (len >= sizeof(addr)) {
		conf_err(c, line, "LISTEN: address too long");
		return;
	}
	memcpy(addr, a[0], len + 1);
	if (addr[0] == '[') {
		if (len < 3 || addr[len - 1] != ']') {
			conf_err(c, line, "LISTEN: malformed bracketed address '%s'", a[0]);
			return;
		}
		addr[len - 1] = '\0';
		memmove(addr, addr + 1, len - 1);
	}
	if (!addr_valid(addr)) {
		conf_err(c, line, "LISTEN: '%s' is not an address, a host name or *", a[0]);
		return;
	}
	if (n == 2 && conf_get_long(c, line, "LISTEN port", a[1], 1, 65535, &port) < 0)
		return;
	for (size_t i = 0; i < conf->nlisten; i++) {
		if (strcmp(conf->listen[i].addr, addr) == 0 && conf->listen[i].port == port) {
			conf_err(c, line, "LISTEN %s %ld given twice (first at line %u)", addr,
			         port, conf->listen[i].lineno);
			return;
		}
	}
	if (conf->nlisten >= UPSD_CONF_MAX_LISTEN) {
		conf_err(c, line, "LISTEN: more than %d addresses", UPSD_CONF_MAX_LISTEN);
		return;
	}
	l = conf_push(c, line, (void **)&conf->listen, &conf->nlisten, sizeof(*l));
	if (!l)
		return;
	l->addr = conf_strdup(c, line, addr);
	l->port = (unsigned)port;
	l->lineno = line;
}

#define LONG_DIRECTIVE(fname, field, what, min, max)                                               \
	static void fname(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)   \
	{                                                                                          \
		struct upsd_conf *conf = st;                                                       \
		(void)n;                                                                           \
		(void)conf_get_long(c, line, what, a[0], min, max, &conf->field);                  \
	}
#define BOOL_DIRECTIVE(fname, field, what)                                                         \
	static void fname(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)   \
	{                                                                                          \
		struct upsd_conf *conf = st;                                                       \
		(void)n;                                                                           \
		(void)conf_get_bool(c, line, what, a[0], &conf->field);                            \
	}
#define STR_DIRECTIVE(fname, field, what)                                                          \
	static void fname(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)   \
	{                                                                                          \
		struct upsd_conf *conf = st;                                                       \
		(void)n;                                                                           \
		if (!*a[0])                                                                        \
			conf_err(c, line, "%s: empty value", what);                                \
		else                                                                               \
			conf_set_str(c, line, &conf->field, a[0]);                                 \
	}

LONG_DIRECTIVE(d_maxage, maxage, "MAXAGE", 1, DAY)
LONG_DIRECTIVE(d_trackingdelay, trackingdelay, "TRACKINGDELAY", 1, 7 * DAY)
LONG_DIRECTIVE(d_maxconn, maxconn, "MAXCONN", 1, 10000000)
LONG_DIRECTIVE(d_debug_min, debug_min, "DEBUG_MIN", 0, 99)
LONG_DIRECTIVE(d_client_timeout, client_timeout, "CLIENT_TIMEOUT", 1, DAY)
BOOL_DIRECTIVE(d_allow_no_device, allow_no_device, "ALLOW_NO_DEVICE")
BOOL_DIRECTIVE(d_allow_not_all, allow_not_all_listeners, "ALLOW_NOT_ALL_LISTENERS")
BOOL_DIRECTIVE(d_disable_weak_ssl, disable_weak_ssl, "DISABLE_WEAK_SSL")
BOOL_DIRECTIVE(d_allow_plaintext, allow_plaintext_listen, "ALLOW_PLAINTEXT_LISTEN")
STR_DIRECTIVE(d_statepath, statepath, "STATEPATH")
STR_DIRECTIVE(d_certfile, certfile, "CERTFILE")
STR_DIRECTIVE(d_certpath, certpath, "CERTPATH")

static void
d_certident(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct upsd_conf *conf = st;

	(void)n;
	conf_set_str(c, line, &conf->certident_name, a[0]);
	conf_set_str(c, line, &conf->certident_pass, a[1]);
}

static void
d_certrequest(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	static const char *const names[] = {"NO", "REQUEST", "REQUIRE"};
	struct upsd_conf *conf = st;

	(void)n;
	for (long i = 0; i < 3; i++) {
		if (str_ieq(a[0], names[i])) {
			conf->certrequest = i;
			return;
		}
	}
	(void)conf_get_long(c, line, "CERTREQUEST (0 NO, 1 REQUEST, 2 REQUIRE)", a[0], 0, 2,
	                    &conf->certrequest);
}

static void
d_anonymous_read(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct upsd_conf *conf = st;

	(void)n;
	for (size_t i = 0; i < sizeof(anon_names) / sizeof(anon_names[0]); i++) {
		if (str_ieq(a[0], anon_names[i])) {
			conf->anonymous_read = (enum upsd_anon)i;
			return;
		}
	}
	conf_err(c, line, "ANONYMOUS_READ: expected any, loopback or none");
}

static void
d_obsolete(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	(void)st;
	(void)a;
	(void)n;
	conf_warn(c, line,
	          "ACL, ACCEPT and REJECT are obsolete and ignored; restrict access with LISTEN, "
	          "a firewall and allowfrom in upsd.users");
}

static const struct conf_directive directives[] = {
    {"LISTEN", 1, 2, d_listen},
    {"MAXAGE", 1, 1, d_maxage},
    {"TRACKINGDELAY", 1, 1, d_trackingdelay},
    {"MAXCONN", 1, 1, d_maxconn},
    {"STATEPATH", 1, 1, d_statepath},
    {"ALLOW_NO_DEVICE", 1, 1, d_allow_no_device},
    {"ALLOW_NOT_ALL_LISTENERS", 1, 1, d_allow_not_all},
    {"CERTFILE", 1, 1, d_certfile},
    {"CERTPATH", 1, 1, d_certpath},
    {"CERTIDENT", 2, 2, d_certident},
    {"CERTREQUEST", 1, 1, d_certrequest},
    {"DISABLE_WEAK_SSL", 1, 1, d_disable_weak_ssl},
    {"DEBUG_MIN", 1, 1, d_debug_min},
    {"ANONYMOUS_READ", 1, 1, d_anonymous_read},
    {"ALLOW_PLAINTEXT_LISTEN", 1, 1, d_allow_plaintext},
    {"CLIENT_TIMEOUT", 1, 1, d_client_timeout},
    {"ACL", 0, TOK_MAX_WORDS, d_obsolete},
    {"ACCEPT", 0, TOK_MAX_WORDS, d_obsolete},
    {"REJECT", 0, TOK_MAX_WORDS, d_obsolete},
};

static void
on_line(void *st, struct conf_ctx *c, const struct tok_line *l)
{
	conf_dispatch(c, directives, sizeof(directives) / sizeof(directives[0]), st, l);
}

bool
upsd_conf_addr_is_loopback(const char *addr)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (str_ieq(addr, "localhost") || str_ieq(addr, "localhost6") ||
	    str_ieq(addr, "ip6-localhost"))
		return true;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

static void
finish(struct conf_ctx *c, struct upsd_conf *conf)
{
	static const char *const defaults[] = {"127.0.0.1", "::1"};

	for (size_t i = 0; i < conf->nlisten; i++) {
		const struct upsd_listen *l = &conf->listen[i];

		if (upsd_conf_addr_is_loopback(l->addr) || conf->certfile ||
		    conf->allow_plaintext_listen)
			continue;
		conf_err(c, l->lineno,
		         "LISTEN %s is not a loopback address and no CERTFILE is set: passwords "
		         "would cross the network in clear; set CERTFILE, or "
		         "'ALLOW_PLAINTEXT_LISTEN yes' to accept that",
		         l->addr);
	}
	if (conf->nlisten > 0)
		return;
	conf->listen_default = true;
	for (size_t i = 0; i < 2; i++) {
		struct upsd_listen *l =
		    conf_push(c, 0, (void **)&conf->listen, &conf->nlisten, sizeof(*l));

		if (!l)
			return;
		l->addr = conf_strdup(c, 0, defaults[i]);
		l->port = CONF_DEFAULT_PORT;
	}
}

int
upsd_conf_parse(const char *name, const char *buf, size_t len, struct upsd_conf **ret,
                struct conf_diag *diag)
{
	struct conf_ctx c = {name, diag, diag->nerrors};
	struct upsd_conf *conf;

	*ret = NULL;
	conf = calloc(1, sizeof(*conf));
	if (!conf)
		return -ENOMEM;
	conf->maxage = 15;
	conf->trackingdelay = 3600;
	conf->debug_min = -1;
	conf->anonymous_read = UPSD_ANON_LOOPBACK;
	conf->client_timeout = 60;
	conf_each_line(&c, buf, len, on_line, conf);
	finish(&c, conf);
	if (conf_failed(&c)) {
		upsd_conf_free(conf);
		return -EINVAL;
	}
	*ret = conf;
	return 0;
}

CONF_DEFINE_LOAD(upsd_conf)

void
upsd_conf_free(struct upsd_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nlisten; i++)
		free(c->listen[i].addr);
	free(c->listen);
	free(c->statepath);
	free(c->certfile);
	free(c->certpath);
	free(c->certident_name);
	free(c->certident_pass);
	free(c);
}

static const char *
yesno(bool b)
{
	return b ? "yes" : "no";
}

void
upsd_conf_print(FILE *f, const struct upsd_conf *c)
{
	for (size_t i = 0; i < c->nlisten; i++) {
		fputs("LISTEN ", f);
		conf_print_word(f, c->listen[i].addr);
		fprintf(f, " %u\n", c->listen[i].port);
	}
	fprintf(f, "MAXAGE %ld\n", c->maxage);
	fprintf(f, "TRACKINGDELAY %ld\n", c->trackingdelay);
	if (c->maxconn > 0)
		fprintf(f, "MAXCONN %ld\n", c->maxconn);
	conf_print_kw_str(f, "STATEPATH", c->statepath);
	fprintf(f, "ALLOW_NO_DEVICE %s\n", yesno(c->allow_no_device));
	fprintf(f, "ALLOW_NOT_ALL_LISTENERS %s\n", yesno(c->allow_not_all_listeners));
	conf_print_kw_str(f, "CERTFILE", c->certfile);
	conf_print_kw_str(f, "CERTPATH", c->certpath);
	if (c->certident_name) {
		fputs("CERTIDENT ", f);
		conf_print_word(f, c->certident_name);
		fputc(' ', f);
		conf_print_word(f, c->certident_pass);
		fputc('\n', f);
	}
	fprintf(f, "CERTREQUEST %ld\n", c->certrequest);
	fprintf(f, "DISABLE_WEAK_SSL %s\n", yesno(c->disable_weak_ssl));
	if (c->debug_min >= 0)
		fprintf(f, "DEBUG_MIN %ld\n", c->debug_min);
	fprintf(f, "ANONYMOUS_READ %s\n", anon_names[c->anonymous_read]);
	fprintf(f, "ALLOW_PLAINTEXT_LISTEN %s\n", yesno(c->allow_plaintext_listen));
	fprintf(f, "CLIENT_TIMEOUT %ld\n", c->client_timeout);
}

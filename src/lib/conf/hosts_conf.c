/*
 * hosts_conf: parser and printer for hosts.conf.
 */
#include "conf/hosts_conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_internal.h"
#include "str.h"

static void
d_monitor(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct hosts_conf *conf = st;
	struct hosts_monitor *m;
	struct conf_upsname name;
	const char *why;

	(void)n;
	if (conf_upsname_parse(a[0], &name, &why) < 0) {
		conf_err(c, line, "MONITOR: '%s': %s", a[0], why);
		return;
	}
	for (size_t i = 0; i < conf->nmonitors; i++) {
		const struct conf_upsname *o = &conf->monitors[i].name;

		if (str_ieq(o->ups, name.ups) && str_ieq(o->host, name.host) &&
		    o->port == name.port) {
			conf_err(c, line, "MONITOR: %s is listed twice (first at line %u)", a[0],
			         conf->monitors[i].lineno);
			conf_upsname_free(&name);
			return;
		}
	}
	if (conf->nmonitors >= HOSTS_MAX_MONITORS) {
		conf_err(c, line, "MONITOR: more than %d", HOSTS_MAX_MONITORS);
		conf_upsname_free(&name);
		return;
	}
	m = conf_push(c, line, (void **)&conf->monitors, &conf->nmonitors, sizeof(*m));
	if (!m) {
		conf_upsname_free(&name);
		return;
	}
	m->name = name;
	m->desc = conf_strdup(c, line, a[1]);
	m->lineno = line;
}

static void
d_tlist(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct hosts_conf *conf = st;

	(void)n;
	if (!*a[0])
		conf_err(c, line, "CUSTOM_TEMPLATE_LIST: empty value");
	else
		conf_set_str(c, line, &conf->custom_template_list, a[0]);
}

static void
d_tsingle(void *st, struct conf_ctx *c, unsigned line, char *const *a, size_t n)
{
	struct hosts_conf *conf = st;

	(void)n;
	if (!*a[0])
		conf_err(c, line, "CUSTOM_TEMPLATE_SINGLE: empty value");
	else
		conf_set_str(c, line, &conf->custom_template_single, a[0]);
}

static const struct conf_directive directives[] = {
    {"MONITOR", 2, 2, d_monitor},
    {"CUSTOM_TEMPLATE_LIST", 1, 1, d_tlist},
    {"CUSTOM_TEMPLATE_SINGLE", 1, 1, d_tsingle},
};

static void
on_line(void *st, struct conf_ctx *c, const struct tok_line *l)
{
	conf_dispatch(c, directives, sizeof(directives) / sizeof(directives[0]), st, l);
}

int
hosts_conf_parse(const char *name, const char *buf, size_t len, struct hosts_conf **ret,
                 struct conf_diag *diag)
{
	struct conf_ctx c = {name, diag, diag->nerrors};
	struct hosts_conf *conf;

	*ret = NULL;
	conf = calloc(1, sizeof(*conf));
	if (!conf)
		return -ENOMEM;
	conf_each_line(&c, buf, len, on_line, conf);
	if (conf_failed(&c)) {
		hosts_conf_free(conf);
		return -EINVAL;
	}
	*ret = conf;
	return 0;
}

CONF_DEFINE_LOAD(hosts_conf)

void
hosts_conf_free(struct hosts_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nmonitors; i++) {
		conf_upsname_free(&c->monitors[i].name);
		free(c->monitors[i].desc);
	}
	free(c->monitors);
	free(c->custom_template_list);
	free(c->custom_template_single);
	free(c);
}

void
hosts_conf_print(FILE *f, const struct hosts_conf *c)
{
	for (size_t i = 0; i < c->nmonitors; i++) {
		fputs("MONITOR ", f);
		conf_upsname_print(f, &c->monitors[i].name);
		fputc(' ', f);
		/* Descriptions are always quoted, as in NUT's examples. */
		{
			char buf[2 * TOK_MAX_WORDLEN + 3];

			if (tok_quote(buf, sizeof(buf), c->monitors[i].desc) < sizeof(buf))
				fputs(buf, f);
			else
				conf_print_word(f, c->monitors[i].desc);
		}
		fputc('\n', f);
	}
	conf_print_kw_str(f, "CUSTOM_TEMPLATE_LIST", c->custom_template_list);
	conf_print_kw_str(f, "CUSTOM_TEMPLATE_SINGLE", c->custom_template_single);
}

bool
hosts_conf_allows(const struct hosts_conf *c, const char *ups, const char *host, unsigned port)
{
	for (size_t i = 0; i < c->nmonitors; i++) {
		const struct conf_upsname *n = &c->monitors[i].name;

		if (str_ieq(n->ups, ups) && str_ieq(n->host, host) && n->port == port)
			return true;
	}
	return false;
}

/*
 * ups_conf: parser and printer for ups.conf.
 */
#include "conf/ups_conf.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf_internal.h"
#include "str.h"

enum key_type { K_STR, K_LONG, K_FLAG, K_SYNC };

struct key_def {
	const char *name;
	enum key_type type;
	ptrdiff_t off; /* into the struct; -1: checked, kept only in opts */
	long min, max;
	bool opt; /* per UPS: also kept in opts */
};

#define G(f) offsetof(struct ups_conf, f)
#define U(f) offsetof(struct ups_conf_ups, f)
#define DAY 86400L

static const struct key_def global_keys[] = {
    {"chroot", K_STR, G(chroot), 0, 0, false},
    {"driverpath", K_STR, G(driverpath), 0, 0, false},
    {"statepath", K_STR, G(statepath), 0, 0, false},
    {"user", K_STR, G(user), 0, 0, false},
    {"group", K_STR, G(group), 0, 0, false},
    {"maxstartdelay", K_LONG, G(maxstartdelay), 0, DAY, false},
    {"maxretry", K_LONG, G(maxretry), 0, 1000, false},
    {"retrydelay", K_LONG, G(retrydelay), 0, DAY, false},
    {"pollinterval", K_LONG, G(pollinterval), 1, DAY, false},
    {"synchronous", K_SYNC, G(synchronous), 0, 0, false},
    {"nowait", K_FLAG, G(nowait), 0, 0, false},
    {"debug_min", K_LONG, G(debug_min), 0, 99, false},
    {"LIBUSB_DEBUG", K_LONG, G(libusb_debug), 0, 99, false},
    {"reconnect_max_tries", K_LONG, G(reconnect_max_tries), -1, 1000000, false},
    {"reconnect_report_freq", K_LONG, G(reconnect_report_freq), 0, 1000000, false},
};

static const struct key_def ups_keys[] = {
    {"driver", K_STR, U(driver), 0, 0, false},
    {"port", K_STR, U(port), 0, 0, false},
    {"desc", K_STR, U(desc), 0, 0, false},
    {"sdorder", K_LONG, U(sdorder), -1, 1000000, true},
    {"sdcommands", K_STR, U(sdcommands), 0, 0, true},
    {"allow_killpower", K_FLAG, U(allow_killpower), 0, 0, true},
    {"nolock", K_FLAG, U(nolock), 0, 0, true},
    {"ignorelb", K_FLAG, U(ignorelb), 0, 0, true},
    {"maxstartdelay", K_LONG, U(maxstartdelay), 0, DAY, true},
    {"synchronous", K_SYNC, U(synchronous), 0, 0, true},
    {"user", K_STR, U(user), 0, 0, true},
    {"group", K_STR, U(group), 0, 0, true},
    {"debug_min", K_LONG, U(debug_min), 0, 99, true},
    {"pollinterval", K_LONG, -1, 1, DAY, true},
};

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

static const char *const sync_names[] = {"", "auto", "yes", "no"};

struct state {
	struct ups_conf *conf;
	struct ups_conf_ups *cur;
	bool cur_skip; /* inside a rejected section: ignore its keys */
};

static const struct key_def *
find_key(const struct key_def *tab, size_t n, const char *key, bool exact)
{
	for (size_t i = 0; i < n; i++)
		if (exact ? strcmp(tab[i].name, key) == 0 : strcasecmp(tab[i].name, key) == 0)
			return &tab[i];
	return NULL;
}

/* Store a value in the typed field; returns 0 or -EINVAL (reported). */
static int
store(struct conf_ctx *c, unsigned line, void *base, const struct key_def *k, const char *val)
{
	char *p = (char *)base + k->off;
	bool b = true;
	long v;

	switch (k->type) {
	case K_STR:
		/* An empty description is fine; an empty path or name is not. */
		if (!val || (!*val && strcmp(k->name, "desc") != 0)) {
			conf_err(c, line, "%s: needs a value", k->name);
			return -EINVAL;
		}
		if (k->off >= 0)
			conf_set_str(c, line, (char **)(void *)p, val);
		return 0;
	case K_LONG:
		if (!val) {
			conf_err(c, line, "%s: needs a value", k->name);
			return -EINVAL;
		}
		if (conf_get_long(c, line, k->name, val, k->min, k->max, &v) < 0)
			return -EINVAL;
		if (k->off >= 0)
			*(long *)(void *)p = v;
		return 0;
	case K_FLAG:
		/* NUT's flags are bare words; a boolean value is accepted too. */
		if (val && conf_get_bool(c, line, k->name, val, &b) < 0)
			return -EINVAL;
		*(bool *)(void *)p = b;
		return 0;
	case K_SYNC:
		for (size_t i = 1; val && i < NKEYS(sync_names); i++) {
			if (str_ieq(val, sync_names[i])) {
				*(enum ups_sync *)(void *)p = (enum ups_sync)i;
				return 0;
			}
		}
		conf_err(c, line, "%s: expected auto, yes or no", k->name);
		return -EINVAL;
	}
	return -EINVAL;
}

static struct conf_kv *
find_opt(struct ups_conf_ups *u, const char *key)
{
	for (size_t i = 0; i < u->nopts; i++)
		if (strcmp(u->opts[i].key, key) == 0)
			return &u->opts[i];
	return NULL;
}

static void
add_opt(struct conf_ctx *c, unsigned line, struct ups_conf_ups *u, const char *key, const char *val)
{
	struct conf_kv *kv = find_opt(u, key);
	char *v = NULL;

	if (val && !(v = conf_strdup(c, line, val)))
		return;
	if (kv) {
		conf_warn(c, line, "'%s' given again (line %u); the last value wins", key,
		          kv->lineno);
		free(kv->value);
		kv->value = v;
		kv->lineno = line;
		return;
	}
	if (u->nopts >= UPS_CONF_MAX_OPTS) {
		conf_err(c, line, "more than %d settings for UPS '%s'", UPS_CONF_MAX_OPTS, u->name);
		free(v);
		return;
	}
	kv = conf_push(c, line, (void **)&u->opts, &u->nopts, sizeof(*kv));
	if (!kv) {
		free(v);
		return;
	}
	kv->key = conf_strdup(c, line, key);
	kv->value = v;
	kv->lineno = line;
}

static void
remove_opt(struct ups_conf_ups *u, const char *key)
{
	struct conf_kv *kv = find_opt(u, key);

	if (!kv)
		return;
	free(kv->key);
	free(kv->value);
	memmove(kv, kv + 1, (size_t)(u->opts + u->nopts - kv - 1) * sizeof(*kv));
	u->nopts--;
}

static void
ups_init(struct ups_conf_ups *u)
{
	u->sdorder = 0;
	u->maxstartdelay = -1;
	u->debug_min = -1;
	u->synchronous = UPS_SYNC_UNSET;
}

static void
start_section(struct state *s, struct conf_ctx *c, unsigned line, const char *name)
{
	struct ups_conf *conf = s->conf;
	struct ups_conf_ups *u;

	s->cur = NULL;
	s->cur_skip = true;
	if (strcmp(name, "default") == 0) {
		conf_err(c, line, "[default] is reserved and cannot name a UPS");
		return;
	}
	if (!conf_name_valid(name)) {
		conf_err(c, line, "invalid UPS name '%s' (1..%d of letters, digits, '_', '-', '.')",
		         name, CONF_MAX_NAME);
		return;
	}
	for (size_t i = 0; i < conf->nups; i++) {
		if (str_ieq(conf->ups[i].name, name)) {
			conf_err(c, line, "UPS '%s' is defined twice (first at line %u)", name,
			         conf->ups[i].lineno);
			return;
		}
	}
	if (conf->nups >= UPS_CONF_MAX_UPS) {
		conf_err(c, line, "more than %d UPS sections", UPS_CONF_MAX_UPS);
		return;
	}
	u = conf_push(c, line, (void **)&conf->ups, &conf->nups, sizeof(*u));
	if (!u)
		return;
	ups_init(u);
	u->name = conf_strdup(c, line, name);
	u->lineno = line;
	s->cur = u;
	s->cur_skip = false;
}

static void
global_kv(struct state *s, struct conf_ctx *c, unsigned line, const char *key, const char *val)
{
	const struct key_def *k = find_key(global_keys, NKEYS(global_keys), key, true);

	if (!k) {
		k = find_key(global_keys, NKEYS(global_keys), key, false);
		if (k)
			conf_err(c, line, "unknown global setting '%s' (did you mean '%s'?)", key,
			         k->name);
		else if (find_key(ups_keys, NKEYS(ups_keys), key, true))
			conf_err(c, line, "'%s' must be inside a [upsname] section", key);
		else
			conf_err(c, line, "unknown global setting '%s'", key);
		return;
	}
	if (k->type != K_FLAG && !val) {
		conf_err(c, line, "%s: expected '%s = value'", key, key);
		return;
	}
	(void)store(c, line, s->conf, k, val);
}

/* The text kept in opts for a checked value: numbers and enums normalized. */
static const char *
canonical(const struct key_def *k, const struct ups_conf_ups *u, const char *val, char *buf,
          size_t size)
{
	long v;

	if (k->type == K_SYNC)
		return sync_names[u->synchronous];
	if (k->type == K_LONG && str_to_long(val, k->min, k->max, &v) == 0) {
		(void)snprintf(buf, size, "%ld", v);
		return buf;
	}
	return val;
}

static void
ups_kv(struct state *s, struct conf_ctx *c, unsigned line, const char *key, const char *val)
{
	struct ups_conf_ups *u = s->cur;
	char buf[32];
	const struct key_def *k = find_key(ups_keys, NKEYS(ups_keys), key, true);

	if (!k) {
		const struct key_def *ci = find_key(ups_keys, NKEYS(ups_keys), key, false);

		if (ci) {
			conf_err(c, line, "'%s': keys are lower-case (did you mean '%s'?)", key,
			         ci->name);
			return;
		}
		/* Driver-specific option: the driver checks it. */
		add_opt(c, line, u, key, val);
		return;
	}
	if (k->type != K_FLAG && !val) {
		conf_err(c, line, "%s: expected '%s = value'", key, key);
		return;
	}
	if (!k->opt && k->off >= 0 && *(char **)(void *)((char *)u + k->off))
		conf_warn(c, line, "'%s' given again; the last value wins", key);
	if (store(c, line, u, k, val) < 0)
		return;
	if (!k->opt)
		return;
	if (k->type == K_FLAG) {
		/* A flag is kept bare when set, dropped when set to false. */
		if (*(bool *)(void *)((char *)u + k->off))
			add_opt(c, line, u, key, NULL);
		else
			remove_opt(u, key);
		return;
	}
	add_opt(c, line, u, key, canonical(k, u, val, buf, sizeof(buf)));
}

static void
on_line(void *st, struct conf_ctx *c, const struct tok_line *l)
{
	struct state *s = st;
	char name[TOK_MAX_WORDLEN + 1];
	const char *key = l->words[0], *val = NULL;
	int r;

	r = conf_section_header(c, l, name, sizeof(name));
	if (r != 0) {
		if (r > 0)
			start_section(s, c, l->lineno, name);
		else {
			s->cur = NULL;
			s->cur_skip = true;
		}
		return;
	}
	if (l->nwords == 2 && strcmp(l->words[1], "=") == 0) {
		conf_err(c, l->lineno, "%s: missing value after '='", key);
		return;
	}
	if (l->nwords == 2 || (l->nwords >= 3 && strcmp(l->words[1], "=") != 0)) {
		conf_err(c, l->lineno, "expected 'key = value' or a bare flag");
		return;
	}
	if (l->nwords > 3) {
		conf_err(c, l->lineno,
		         "%s: more than one value; quote the value or escape '=' and spaces "
		         "with '\\'",
		         key);
		return;
	}
	if (l->nwords == 3)
		val = l->words[2];
	if (!conf_key_valid(key)) {
		conf_err(c, l->lineno, "invalid key '%s'", key);
		return;
	}
	if (s->cur_skip)
		return;
	if (s->cur)
		ups_kv(s, c, l->lineno, key, val);
	else
		global_kv(s, c, l->lineno, key, val);
}

static void
check_required(struct conf_ctx *c, const struct ups_conf *conf)
{
	for (size_t i = 0; i < conf->nups; i++) {
		const struct ups_conf_ups *u = &conf->ups[i];

		if (!u->driver)
			conf_err(c, u->lineno, "UPS '%s' has no 'driver'", u->name);
		if (!u->port)
			conf_err(c, u->lineno, "UPS '%s' has no 'port'", u->name);
	}
}

int
ups_conf_parse(const char *name, const char *buf, size_t len, struct ups_conf **ret,
               struct conf_diag *diag)
{
	struct conf_ctx c = {name, diag, diag->nerrors};
	struct state s = {0};
	struct ups_conf *conf;

	*ret = NULL;
	conf = calloc(1, sizeof(*conf));
	if (!conf)
		return -ENOMEM;
	conf->maxstartdelay = 75;
	conf->maxretry = 1;
	conf->retrydelay = 5;
	conf->pollinterval = 2;
	conf->debug_min = -1;
	conf->libusb_debug = -1;
	conf->reconnect_max_tries = -2;
	conf->reconnect_report_freq = -1;
	conf->synchronous = UPS_SYNC_AUTO;
	s.conf = conf;
	conf_each_line(&c, buf, len, on_line, &s);
	check_required(&c, conf);
	if (conf_failed(&c)) {
		ups_conf_free(conf);
		return -EINVAL;
	}
	*ret = conf;
	return 0;
}

CONF_DEFINE_LOAD(ups_conf)

void
ups_conf_free(struct ups_conf *c)
{
	if (!c)
		return;
	free(c->chroot);
	free(c->driverpath);
	free(c->statepath);
	free(c->user);
	free(c->group);
	for (size_t i = 0; i < c->nups; i++) {
		struct ups_conf_ups *u = &c->ups[i];

		free(u->name);
		free(u->driver);
		free(u->port);
		free(u->desc);
		free(u->sdcommands);
		free(u->user);
		free(u->group);
		for (size_t j = 0; j < u->nopts; j++) {
			free(u->opts[j].key);
			free(u->opts[j].value);
		}
		free(u->opts);
	}
	free(c->ups);
	free(c);
}

static void
print_long_if(FILE *f, const char *key, long v, long unset)
{
	if (v != unset)
		fprintf(f, "%s = %ld\n", key, v);
}

void
ups_conf_print(FILE *f, const struct ups_conf *c)
{
	conf_print_kv_str(f, "", "chroot", c->chroot);
	conf_print_kv_str(f, "", "driverpath", c->driverpath);
	conf_print_kv_str(f, "", "statepath", c->statepath);
	conf_print_kv_str(f, "", "user", c->user);
	conf_print_kv_str(f, "", "group", c->group);
	fprintf(f, "maxstartdelay = %ld\n", c->maxstartdelay);
	fprintf(f, "maxretry = %ld\n", c->maxretry);
	fprintf(f, "retrydelay = %ld\n", c->retrydelay);
	fprintf(f, "pollinterval = %ld\n", c->pollinterval);
	fprintf(f, "synchronous = %s\n", sync_names[c->synchronous]);
	if (c->nowait)
		fprintf(f, "nowait\n");
	print_long_if(f, "debug_min", c->debug_min, -1);
	print_long_if(f, "LIBUSB_DEBUG", c->libusb_debug, -1);
	print_long_if(f, "reconnect_max_tries", c->reconnect_max_tries, -2);
	print_long_if(f, "reconnect_report_freq", c->reconnect_report_freq, -1);
	for (size_t i = 0; i < c->nups; i++) {
		const struct ups_conf_ups *u = &c->ups[i];

		fprintf(f, "\n[%s]\n", u->name);
		conf_print_kv_str(f, "\t", "driver", u->driver);
		conf_print_kv_str(f, "\t", "port", u->port);
		conf_print_kv_str(f, "\t", "desc", u->desc);
		for (size_t j = 0; j < u->nopts; j++) {
			if (u->opts[j].value)
				conf_print_kv_str(f, "\t", u->opts[j].key, u->opts[j].value);
			else
				fprintf(f, "\t%s\n", u->opts[j].key);
		}
	}
}

const struct ups_conf_ups *
ups_conf_find(const struct ups_conf *c, const char *name)
{
	for (size_t i = 0; i < c->nups; i++)
		if (str_ieq(c->ups[i].name, name))
			return &c->ups[i];
	return NULL;
}

const char *
ups_conf_opt(const struct ups_conf_ups *u, const char *key)
{
	for (size_t i = 0; i < u->nopts; i++)
		if (strcmp(u->opts[i].key, key) == 0)
			return u->opts[i].value ? u->opts[i].value : "";
	return NULL;
}

/*
 * upsd_users: parser and printer for upsd.users.
 */
#include "conf/upsd_users.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_internal.h"
#include "str.h"

#define PRINT_PER_LINE 16 /* list values per printed line, well below TOK_MAX_WORDS */

static const struct {
	const char *word;
	unsigned bit;
} action_words[] = {
    {"SET", UPSD_ACT_SET},         {"FSD", UPSD_ACT_FSD},        {"LOGIN", UPSD_ACT_LOGIN},
    {"PRIMARY", UPSD_ACT_PRIMARY}, {"MASTER", UPSD_ACT_PRIMARY},
};

struct state {
	struct upsd_users *conf;
	struct upsd_user *cur;
	bool skip; /* inside a duplicate or rejected section */
	bool in_section;
};

static void
start_section(struct state *s, struct conf_ctx *c, unsigned line, const char *name)
{
	struct upsd_user *u;

	s->cur = NULL;
	s->skip = true;
	s->in_section = true;
	if (!conf_name_valid(name)) {
		conf_err(c, line,
		         "invalid user name '%s' (1..%d of letters, digits, '_', '-', '.')", name,
		         CONF_MAX_NAME);
		return;
	}
	for (size_t i = 0; i < s->conf->nusers; i++) {
		if (strcmp(s->conf->users[i].name, name) == 0) {
			conf_warn(c, line,
			          "user '%s' is defined again (first at line %u); this section is "
			          "ignored",
			          name, s->conf->users[i].lineno);
			return;
		}
	}
	if (s->conf->nusers >= UPSD_USERS_MAX_USERS) {
		conf_err(c, line, "more than %d users", UPSD_USERS_MAX_USERS);
		return;
	}
	u = conf_push(c, line, (void **)&s->conf->users, &s->conf->nusers, sizeof(*u));
	if (!u)
		return;
	u->name = conf_strdup(c, line, name);
	u->lineno = line;
	s->cur = u;
	s->skip = false;
}

static void
k_password(struct conf_ctx *c, unsigned line, struct upsd_user *u, char *const *v, size_t n)
{
	if (n != 1) {
		conf_err(c, line,
		         "password: more than one word; quote it (\"a=b c\") or escape '=', "
		         "spaces, '\"', '#' and '\\' with '\\'");
		return;
	}
	if (!*v[0]) {
		conf_err(c, line, "password: empty");
		return;
	}
	if (u->password) {
		conf_warn(c, line, "password given again for user '%s'; the first one is kept",
		          u->name);
		return;
	}
	u->password = conf_strdup(c, line, v[0]);
	if (u->password && !upsd_user_password_is_hash(u))
		conf_warn(c, line,
		          "user '%s': plaintext password; store a crypt(3) hash instead "
		          "(upspasswd)",
		          u->name);
}

static void
k_actions(struct conf_ctx *c, unsigned line, struct upsd_user *u, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < sizeof(action_words) / sizeof(action_words[0]); j++) {
			if (str_ieq(v[i], action_words[j].word)) {
				u->actions |= action_words[j].bit;
				break;
			}
		}
		if (j == sizeof(action_words) / sizeof(action_words[0]))
			conf_warn(c, line, "actions: unknown action '%s' ignored", v[i]);
	}
}

static bool
has_instcmd(const struct upsd_user *u, const char *cmd)
{
	for (size_t i = 0; i < u->ninstcmds; i++)
		if (str_ieq(u->instcmds[i], cmd))
			return true;
	return false;
}

static void
k_instcmds(struct conf_ctx *c, unsigned line, struct upsd_user *u, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char **slot;

		if (str_ieq(v[i], "ALL")) {
			u->instcmds_all = true;
			continue;
		}
		if (!conf_key_valid(v[i])) {
			conf_err(c, line, "instcmds: invalid command name '%s'", v[i]);
			continue;
		}
		if (has_instcmd(u, v[i]))
			continue;
		if (u->ninstcmds >= UPSD_USERS_MAX_LIST) {
			conf_err(c, line, "instcmds: more than %d commands", UPSD_USERS_MAX_LIST);
			return;
		}
		slot = conf_push(c, line, (void **)&u->instcmds, &u->ninstcmds, sizeof(*slot));
		if (slot)
			*slot = conf_strdup(c, line, v[i]);
	}
}

static void
k_upsmon(struct conf_ctx *c, unsigned line, struct upsd_user *u, char *const *v, size_t n)
{
	enum upsd_upsmon role;

	if (n != 1) {
		conf_err(c, line, "upsmon: expected primary or secondary");
		return;
	}
	if (str_ieq(v[0], "primary") || str_ieq(v[0], "master"))
		role = UPSD_UPSMON_PRIMARY;
	else if (str_ieq(v[0], "secondary") || str_ieq(v[0], "slave"))
		role = UPSD_UPSMON_SECONDARY;
	else {
		conf_err(c, line, "upsmon: expected primary or secondary, not '%s'", v[0]);
		return;
	}
	if (u->upsmon != UPSD_UPSMON_NONE && u->upsmon != role)
		conf_warn(c, line, "upsmon role given again for user '%s'; the last one wins",
		          u->name);
	u->upsmon = role;
}

static void
add_net(struct conf_ctx *c, unsigned line, struct upsd_user *u, const struct conf_net *net)
{
	struct conf_net *slot;

	for (size_t i = 0; i < u->nallowfrom; i++)
		if (memcmp(&u->allowfrom[i], net, sizeof(*net)) == 0)
			return;
	if (u->nallowfrom >= UPSD_USERS_MAX_LIST) {
		conf_err(c, line, "allowfrom: more than %d networks", UPSD_USERS_MAX_LIST);
		return;
	}
	slot = conf_push(c, line, (void **)&u->allowfrom, &u->nallowfrom, sizeof(*slot));
	if (slot)
		*slot = *net;
}

static void
k_allowfrom(struct conf_ctx *c, unsigned line, struct upsd_user *u, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct conf_net net;

		if (str_ieq(v[i], "localhost")) {
			/* NUT's old ACL name for the loopback networks. */
			(void)conf_net_parse("127.0.0.0/8", &net);
			add_net(c, line, u, &net);
			(void)conf_net_parse("::1", &net);
			add_net(c, line, u, &net);
			continue;
		}
		if (conf_net_parse(v[i], &net) < 0) {
			conf_err(c, line,
			         "allowfrom: '%s' is not an IPv4/IPv6 address or network "
			         "(a.b.c.d/n, addr/n; host bits must be zero)",
			         v[i]);
			continue;
		}
		add_net(c, line, u, &net);
	}
}

typedef void (*key_fn)(struct conf_ctx *c, unsigned line, struct upsd_user *u, char *const *v,
                       size_t n);

static const struct {
	const char *key;
	key_fn fn;
} keys[] = {
    {"password", k_password}, {"actions", k_actions},     {"instcmds", k_instcmds},
    {"upsmon", k_upsmon},     {"allowfrom", k_allowfrom},
};

static void
on_line(void *st, struct conf_ctx *c, const struct tok_line *l)
{
	struct state *s = st;
	char name[TOK_MAX_WORDLEN + 1];
	char *const *vals;
	size_t nvals;
	int r;

	r = conf_section_header(c, l, name, sizeof(name));
	if (r > 0) {
		start_section(s, c, l->lineno, name);
		return;
	}
	if (r < 0) {
		s->cur = NULL;
		s->skip = true;
		s->in_section = true;
		return;
	}
	if (l->nwords >= 2 && strcmp(l->words[1], "=") == 0) {
		vals = l->words + 2;
		nvals = l->nwords - 2;
	} else if (str_ieq(l->words[0], "upsmon")) {
		vals = l->words + 1;
		nvals = l->nwords - 1;
	} else {
		conf_err(c, l->lineno, "expected 'key = value'");
		return;
	}
	if (nvals == 0 && str_ieq(l->words[0], "upsmon")) {
		conf_err(c, l->lineno, "upsmon: expected primary or secondary");
		return;
	}
	if (nvals == 0) {
		conf_err(c, l->lineno, "%s: missing value", l->words[0]);
		return;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!str_ieq(keys[i].key, l->words[0]))
			continue;
		if (!s->in_section)
			conf_err(c, l->lineno, "'%s' outside a [username] section", l->words[0]);
		else if (!s->skip)
			keys[i].fn(c, l->lineno, s->cur, vals, nvals);
		return;
	}
	conf_err(c, l->lineno, "unknown key '%s'", l->words[0]);
}

static void
check_users(struct conf_ctx *c, const struct upsd_users *conf)
{
	for (size_t i = 0; i < conf->nusers; i++) {
		const struct upsd_user *u = &conf->users[i];

		if (!u->password)
			conf_warn(c, u->lineno, "user '%s' has no password and cannot log in",
			          u->name);
	}
}

int
upsd_users_parse(const char *name, const char *buf, size_t len, struct upsd_users **ret,
                 struct conf_diag *diag)
{
	struct conf_ctx c = {name, diag, diag->nerrors};
	struct state s = {0};

	*ret = NULL;
	s.conf = calloc(1, sizeof(*s.conf));
	if (!s.conf)
		return -ENOMEM;
	conf_each_line(&c, buf, len, on_line, &s);
	check_users(&c, s.conf);
	if (conf_failed(&c)) {
		upsd_users_free(s.conf);
		return -EINVAL;
	}
	*ret = s.conf;
	return 0;
}

CONF_DEFINE_LOAD(upsd_users)

void
upsd_users_free(struct upsd_users *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nusers; i++) {
		struct upsd_user *u = &c->users[i];

		free(u->name);
		if (u->password) {
			explicit_bzero(u->password, strlen(u->password));
			free(u->password);
		}
		for (size_t j = 0; j < u->ninstcmds; j++)
			free(u->instcmds[j]);
		free(u->instcmds);
		free(u->allowfrom);
	}
	free(c->users);
	free(c);
}

void
upsd_users_print(FILE *f, const struct upsd_users *c)
{
	for (size_t i = 0; i < c->nusers; i++) {
		const struct upsd_user *u = &c->users[i];

		fprintf(f, "%s[%s]\n", i ? "\n" : "", u->name);
		conf_print_kv_str(f, "\t", "password", u->password);
		if (u->actions) {
			fputs("\tactions =", f);
			for (size_t j = 0; j < 4; j++)
				if (u->actions & action_words[j].bit)
					fprintf(f, " %s", action_words[j].word);
			fputc('\n', f);
		}
		if (u->instcmds_all)
			fputs("\tinstcmds = ALL\n", f);
		for (size_t j = 0; j < u->ninstcmds; j++) {
			if (j % PRINT_PER_LINE == 0)
				fputs(j ? "\n\tinstcmds =" : "\tinstcmds =", f);
			fprintf(f, " %s", u->instcmds[j]);
		}
		if (u->ninstcmds)
			fputc('\n', f);
		if (u->upsmon != UPSD_UPSMON_NONE)
			fprintf(f, "\tupsmon %s\n",
			        u->upsmon == UPSD_UPSMON_PRIMARY ? "primary" : "secondary");
		for (size_t j = 0; j < u->nallowfrom; j++) {
			char net[CONF_NET_STRLEN];

			conf_net_format(&u->allowfrom[j], net, sizeof(net));
			if (j % PRINT_PER_LINE == 0)
				fputs(j ? "\n\tallowfrom =" : "\tallowfrom =", f);
			fprintf(f, " %s", net);
		}
		if (u->nallowfrom)
			fputc('\n', f);
	}
}

const struct upsd_user *
upsd_users_find(const struct upsd_users *c, const char *name)
{
	for (size_t i = 0; i < c->nusers; i++)
		if (strcmp(c->users[i].name, name) == 0)
			return &c->users[i];
	return NULL;
}

unsigned
upsd_user_actions(const struct upsd_user *u)
{
	unsigned a = u->actions;

	if (u->upsmon == UPSD_UPSMON_PRIMARY)
		a |= UPSD_ACT_LOGIN | UPSD_ACT_PRIMARY | UPSD_ACT_FSD;
	else if (u->upsmon == UPSD_UPSMON_SECONDARY)
		a |= UPSD_ACT_LOGIN;
	return a;
}

bool
upsd_user_may_instcmd(const struct upsd_user *u, const char *cmd)
{
	return u->instcmds_all || has_instcmd(u, cmd);
}

bool
upsd_user_allowed_from(const struct upsd_user *u, const struct sockaddr *sa)
{
	if (u->nallowfrom == 0)
		return true;
	return conf_cidr_match(u->allowfrom, u->nallowfrom, sa);
}

bool
upsd_user_password_is_hash(const struct upsd_user *u)
{
	const char *p = u->password;

	if (!p || p[0] != '$')
		return false;
	p++;
	if (!*p || *p == '$')
		return false;
	while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
		p++;
	return *p == '$';
}

/*
 * upsd_users: upsd.users.
 *
 * One [username] section per user (user names are case-sensitive; a
 * duplicate section is ignored with a warning, as NUT does).  Keys:
 *   password = secret        plaintext or a crypt(3) hash ("$y$...")
 *   actions = SET FSD        several words or repeated lines
 *   instcmds = ALL | name..  several words or repeated; ALL case-insensitive
 *   upsmon primary|secondary (also "upsmon = ...", aliases master/slave)
 *   allowfrom = 10.0.0.0/8 ::1   several words or repeated (upsd enforces)
 */
#ifndef UPSGUARD_UPSD_USERS_H
#define UPSGUARD_UPSD_USERS_H

#include "conf/conf.h"

#define UPSD_USERS_MAX_LIST 256 /* instcmds or allowfrom entries per user */
#define UPSD_USERS_MAX_USERS 1024

enum upsd_action {
	UPSD_ACT_SET = 1u << 0,
	UPSD_ACT_FSD = 1u << 1,
	UPSD_ACT_LOGIN = 1u << 2,
	UPSD_ACT_PRIMARY = 1u << 3, /* also granted by the word MASTER */
};

enum upsd_upsmon {
	UPSD_UPSMON_NONE = 0,
	UPSD_UPSMON_PRIMARY,   /* LOGIN, PRIMARY, FSD */
	UPSD_UPSMON_SECONDARY, /* LOGIN */
};

struct upsd_user {
	char *name;
	char *password;   /* NULL: no password, the user can do nothing */
	unsigned actions; /* enum upsd_action bits as written (no upsmon rights) */
	bool instcmds_all;
	char **instcmds; /* lower-case as written; matched case-insensitively */
	size_t ninstcmds;
	enum upsd_upsmon upsmon;
	struct conf_net *allowfrom; /* empty: from anywhere */
	size_t nallowfrom;
	unsigned lineno;
};

struct upsd_users {
	struct upsd_user *users;
	size_t nusers;
};

int upsd_users_load(const char *path, struct upsd_users **ret, struct conf_diag *diag);
int upsd_users_parse(const char *name, const char *buf, size_t len, struct upsd_users **ret,
                     struct conf_diag *diag);
void upsd_users_free(struct upsd_users *c);
void upsd_users_print(FILE *f, const struct upsd_users *c);

/* The user with exactly this name, or NULL. */
const struct upsd_user *upsd_users_find(const struct upsd_users *c, const char *name);

/* Effective action bits: actions plus those the upsmon role grants. */
unsigned upsd_user_actions(const struct upsd_user *u);

/* True when the user may run this instant command (case-insensitive). */
bool upsd_user_may_instcmd(const struct upsd_user *u, const char *cmd);

/* True when the peer address is allowed (always when allowfrom is empty). */
bool upsd_user_allowed_from(const struct upsd_user *u, const struct sockaddr *sa);

/* True when the password field looks like a crypt(3) hash ("$id$..."). */
bool upsd_user_password_is_hash(const struct upsd_user *u);

#endif

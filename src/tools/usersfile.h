/*
 * usersfile: edit the text of an upsd.users file in memory, keeping every
 * line that is not the one being changed (comments, blank lines, other
 * users, unknown directives) byte for byte.  upspasswd reads the file,
 * calls one of these, checks the result parses, and rewrites atomically.
 */
#ifndef UPSGUARD_USERSFILE_H
#define UPSGUARD_USERSFILE_H

#include <stddef.h>

#define USERSFILE_NAME_MAX 64        /* user name length */
#define USERSFILE_MAX_SIZE (1 << 20) /* largest upsd.users we edit */
#define USERSFILE_EXTRA_MAX 256      /* actions/instcmds text on add */

/* Extra directives written for a new user; NULL fields are left out. */
struct usersfile_extra {
	const char *actions;  /* "SET FSD" */
	const char *instcmds; /* "ALL" or names */
	const char *upsmon;   /* "primary" or "secondary" */
};

/* 0 when `name` can be a section name (printable, no space [ ] " \ # =), else -EINVAL. */
int usersfile_check_name(const char *name);

/* True (1) when the text has a [name] section, 0 when not. */
int usersfile_has_user(const char *text, size_t len, const char *name);

/*
 * Each returns a new malloc'ed NUL-terminated text in *ret (caller frees)
 * and 0, or: -EEXIST (add: the user is there), -ENOENT (change/delete: it
 * is not), -EINVAL (bad name or value with a quote, backslash or newline),
 * -E2BIG (result beyond USERSFILE_MAX_SIZE), -ENOMEM.  change edits the
 * first [name] section (the one upsd uses); delete removes every one.
 */
int usersfile_add(const char *text, size_t len, const char *name, const char *hash,
		  const struct usersfile_extra *extra, char **ret);
int usersfile_change(const char *text, size_t len, const char *name, const char *hash, char **ret);
int usersfile_delete(const char *text, size_t len, const char *name, char **ret);

#endif

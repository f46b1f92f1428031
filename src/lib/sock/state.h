/*
 * state: one UPS's state tree, as a driver publishes it and as upsd mirrors
 * it from the driver socket.
 *
 * Variables carry a value, flags (RW, STRING, NUMBER), an aux value (the
 * maximum length of a STRING variable), an enumeration list and a list of
 * integer ranges; instant commands are a set of names.  Names are
 * case-insensitive, as in NUT.  Variables and commands are kept in arrays
 * sorted case-insensitively (NUT's LIST order), found by binary search:
 * O(log n) lookups without a second index, and iteration by position.
 *
 * Every list is bounded by a named constant; values longer than
 * ST_MAX_VALUE - 1 are cut there, as NUT's ST_MAX_VALUE_LEN does.
 * Errors are negative errno values: -EINVAL (bad name or argument),
 * -ENOENT (no such entry), -ENOSPC (a bound reached), -ENOMEM, -EPERM
 * (the variable is immutable).
 */
#ifndef UPSGUARD_SOCK_STATE_H
#define UPSGUARD_SOCK_STATE_H

#include <stdbool.h>
#include <stddef.h>

#define ST_MAX_NAME 128  /* bytes of a variable or command name, NUL excluded */
#define ST_MAX_VALUE 256 /* bytes of a value, NUL included (NUT ST_MAX_VALUE_LEN) */
#define ST_MAX_VARS 4096 /* variables per UPS */
#define ST_MAX_CMDS 1024 /* instant commands per UPS */
#define ST_MAX_ENUMS 256 /* enumeration values per variable */
#define ST_MAX_RANGES 64 /* ranges per variable */

/* Flags sent on the wire (SETFLAGS words). */
#define ST_F_RW 0x1u
#define ST_F_STRING 0x2u
#define ST_F_NUMBER 0x4u
#define ST_F_WIRE (ST_F_RW | ST_F_STRING | ST_F_NUMBER)
/* Driver-local: the value was fixed by override.* and ignores updates. */
#define ST_F_IMMUTABLE 0x100u

struct st_range {
	long min, max;
};

struct st_var {
	char *name;
	char value[ST_MAX_VALUE];
	unsigned flags;
	long aux;
	char **enums; /* insertion order, no duplicates */
	size_t nenums;
	struct st_range *ranges; /* insertion order, no duplicates */
	size_t nranges;
};

struct st_tree {
	struct st_var **vars; /* sorted by strcasecmp(name) */
	size_t nvars, capvars;
	char **cmds; /* sorted by strcasecmp */
	size_t ncmds, capcmds;
	bool stale; /* DATASTALE seen / device lost; DATAOK clears */
};

/* An empty tree (stale = false); owns no memory yet. */
void st_init(struct st_tree *t);

/* Free everything; the tree is empty and reusable afterwards. */
void st_clear(struct st_tree *t);

/* True when name is acceptable: 1..ST_MAX_NAME printable ASCII characters
 * without space, quote, backslash, '#' or '='. */
bool st_valid_name(const char *name);

/* Lookup by name, case-insensitively. NULL when absent. The pointer stays
 * valid until that variable is deleted or the tree cleared. */
const struct st_var *st_get(const struct st_tree *t, const char *name);

/* The value of a variable or NULL. */
const char *st_value(const struct st_tree *t, const char *name);

/*
 * Create or update a variable's value (cut to ST_MAX_VALUE - 1 bytes).
 * Returns 1 when something changed (created or new value), 0 when the value
 * was already that, -EPERM when immutable, or another negative error.
 */
int st_set(struct st_tree *t, const char *name, const char *value);

/* Like st_set, ignoring and keeping ST_F_IMMUTABLE (for override.*). */
int st_set_forced(struct st_tree *t, const char *name, const char *value);

/* Delete a variable. 1 deleted, 0 absent. */
int st_del(struct st_tree *t, const char *name);

/* Replace the flags / aux of an existing variable. 1 changed, 0 same,
 * -ENOENT absent. Flags outside ST_F_WIRE | ST_F_IMMUTABLE are dropped. */
int st_set_flags(struct st_tree *t, const char *name, unsigned flags);
int st_set_aux(struct st_tree *t, const char *name, long aux);

/* Enumerations and ranges of an existing variable. 1 changed, 0 already
 * there (add) or absent (del), -ENOENT no variable, -ENOSPC bound. */
int st_add_enum(struct st_tree *t, const char *name, const char *value);
int st_del_enum(struct st_tree *t, const char *name, const char *value);
int st_add_range(struct st_tree *t, const char *name, long min, long max);
int st_del_range(struct st_tree *t, const char *name, long min, long max);

/* Instant commands. 1 changed, 0 already there / absent. */
int st_add_cmd(struct st_tree *t, const char *cmd);
int st_del_cmd(struct st_tree *t, const char *cmd);
bool st_has_cmd(const struct st_tree *t, const char *cmd);

/* Sorted iteration: i in [0, st_nvars). Positions shift on insert/delete. */
static inline size_t
st_nvars(const struct st_tree *t)
{
	return t->nvars;
}
static inline const struct st_var *
st_var_at(const struct st_tree *t, size_t i)
{
	return i < t->nvars ? t->vars[i] : NULL;
}
static inline size_t
st_ncmds(const struct st_tree *t)
{
	return t->ncmds;
}
static inline const char *
st_cmd_at(const struct st_tree *t, size_t i)
{
	return i < t->ncmds ? t->cmds[i] : NULL;
}

/* Is value allowed for the variable's enumeration / ranges?  True when the
 * variable has no enumeration (resp. no ranges). */
bool st_enum_allows(const struct st_var *v, const char *value);
bool st_range_allows(const struct st_var *v, const char *value);

#endif

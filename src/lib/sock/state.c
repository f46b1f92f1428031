/*
 * state: sorted arrays of variables and commands, binary search by
 * case-insensitive name.
 */
#include "sock/state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "str.h"

void
st_init(struct st_tree *t)
{
	memset(t, 0, sizeof(*t));
}

static void
var_free(struct st_var *v)
{
	for (size_t i = 0; i < v->nenums; i++)
		free(v->enums[i]);
	free(v->enums);
	free(v->ranges);
	free(v->name);
	free(v);
}

void
st_clear(struct st_tree *t)
{
	for (size_t i = 0; i < t->nvars; i++)
		var_free(t->vars[i]);
	for (size_t i = 0; i < t->ncmds; i++)
		free(t->cmds[i]);
	free(t->vars);
	free(t->cmds);
	st_init(t);
}

bool
st_valid_name(const char *name)
{
	size_t n = 0;

	if (!name || !*name)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++, n++) {
		if (*p <= 0x20 || *p >= 0x7f || strchr("\"\\#=", *p))
			return false;
	}
	return n <= ST_MAX_NAME;
}

/* Binary search in a sorted array of names reached through get(). Returns
 * the index found, or the insertion point with *found = false. */
static size_t
search(void *const *arr, size_t n, const char *(*get)(const void *), const char *key, bool *found)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(get(arr[mid]), key);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static const char *
var_key(const void *p)
{
	return ((const struct st_var *)p)->name;
}

static const char *
cmd_key(const void *p)
{
	return p;
}

static struct st_var *
find(const struct st_tree *t, const char *name)
{
	bool found;
	size_t i;

	if (!name)
		return NULL;
	i = search((void *const *)t->vars, t->nvars, var_key, name, &found);
	return found ? t->vars[i] : NULL;
}

const struct st_var *
st_get(const struct st_tree *t, const char *name)
{
	return find(t, name);
}

const char *
st_value(const struct st_tree *t, const char *name)
{
	const struct st_var *v = find(t, name);

	return v ? v->value : NULL;
}

/* Make room for one more pointer in *arr (capacity *cap, bound max). */
static int
grow(void ***arr, size_t n, size_t *cap, size_t max)
{
	size_t ncap;
	void **p;

	if (n >= max)
		return -ENOSPC;
	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap > max)
		ncap = max;
	p = realloc(*arr, ncap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static void
insert_at(void **arr, size_t *n, size_t i, void *item)
{
	memmove(arr + i + 1, arr + i, (*n - i) * sizeof(*arr));
	arr[i] = item;
	(*n)++;
}

static void
remove_at(void **arr, size_t *n, size_t i)
{
	memmove(arr + i, arr + i + 1, (*n - i - 1) * sizeof(*arr));
	(*n)--;
}

/* Copy a value cut to the bound, never inside nothing but bytes. */
static int
store_value(struct st_var *v, const char *value)
{
	char tmp[ST_MAX_VALUE];

	str_copy(tmp, value ? value : "", sizeof(tmp));
	if (strcmp(tmp, v->value) == 0)
		return 0;
	memcpy(v->value, tmp, sizeof(tmp));
	return 1;
}

static int
set_value(struct st_tree *t, const char *name, const char *value, bool forced)
{
	bool found;
	size_t i;
	struct st_var *v;
	int r;

	if (!st_valid_name(name))
		return -EINVAL;
	i = search((void *const *)t->vars, t->nvars, var_key, name, &found);
	if (found) {
		v = t->vars[i];
		if ((v->flags & ST_F_IMMUTABLE) && !forced)
			return -EPERM;
		return store_value(v, value);
	}
	r = grow((void ***)&t->vars, t->nvars, &t->capvars, ST_MAX_VARS);
	if (r < 0)
		return r;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->name = strdup(name);
	if (!v->name) {
		free(v);
		return -ENOMEM;
	}
	store_value(v, value);
	insert_at((void **)t->vars, &t->nvars, i, v);
	return 1;
}

int
st_set(struct st_tree *t, const char *name, const char *value)
{
	return set_value(t, name, value, false);
}

int
st_set_forced(struct st_tree *t, const char *name, const char *value)
{
	return set_value(t, name, value, true);
}

int
st_del(struct st_tree *t, const char *name)
{
	bool found;
	size_t i;

	if (!name)
		return 0;
	i = search((void *const *)t->vars, t->nvars, var_key, name, &found);
	if (!found)
		return 0;
	var_free(t->vars[i]);
	remove_at((void **)t->vars, &t->nvars, i);
	return 1;
}

int
st_set_flags(struct st_tree *t, const char *name, unsigned flags)
{
	struct st_var *v = find(t, name);

	if (!v)
		return -ENOENT;
	flags &= ST_F_WIRE | ST_F_IMMUTABLE;
	if (v->flags == flags)
		return 0;
	v->flags = flags;
	return 1;
}

int
st_set_aux(struct st_tree *t, const char *name, long aux)
{
	struct st_var *v = find(t, name);

	if (!v)
		return -ENOENT;
	if (v->aux == aux)
		return 0;
	v->aux = aux;
	return 1;
}

static ssize_t
enum_index(const struct st_var *v, const char *value)
{
	for (size_t i = 0; i < v->nenums; i++)
		if (strcmp(v->enums[i], value) == 0)
			return (ssize_t)i;
	return -1;
}

int
st_add_enum(struct st_tree *t, const char *name, const char *value)
{
	struct st_var *v = find(t, name);
	char **p;
	char tmp[ST_MAX_VALUE];

	if (!v)
		return -ENOENT;
	if (!value)
		return -EINVAL;
	str_copy(tmp, value, sizeof(tmp));
	if (enum_index(v, tmp) >= 0)
		return 0;
	if (v->nenums >= ST_MAX_ENUMS)
		return -ENOSPC;
	p = realloc(v->enums, (v->nenums + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	v->enums = p;
	p[v->nenums] = strdup(tmp);
	if (!p[v->nenums])
		return -ENOMEM;
	v->nenums++;
	return 1;
}

int
st_del_enum(struct st_tree *t, const char *name, const char *value)
{
	struct st_var *v = find(t, name);
	ssize_t i;

	if (!v)
		return -ENOENT;
	if (!value || (i = enum_index(v, value)) < 0)
		return 0;
	free(v->enums[i]);
	memmove(v->enums + i, v->enums + i + 1, (v->nenums - (size_t)i - 1) * sizeof(char *));
	v->nenums--;
	return 1;
}

static ssize_t
range_index(const struct st_var *v, long min, long max)
{
	for (size_t i = 0; i < v->nranges; i++)
		if (v->ranges[i].min == min && v->ranges[i].max == max)
			return (ssize_t)i;
	return -1;
}

int
st_add_range(struct st_tree *t, const char *name, long min, long max)
{
	struct st_var *v = find(t, name);
	struct st_range *p;

	if (!v)
		return -ENOENT;
	if (range_index(v, min, max) >= 0)
		return 0;
	if (v->nranges >= ST_MAX_RANGES)
		return -ENOSPC;
	p = realloc(v->ranges, (v->nranges + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	v->ranges = p;
	p[v->nranges].min = min;
	p[v->nranges].max = max;
	v->nranges++;
	return 1;
}

int
st_del_range(struct st_tree *t, const char *name, long min, long max)
{
	struct st_var *v = find(t, name);
	ssize_t i;

	if (!v)
		return -ENOENT;
	if ((i = range_index(v, min, max)) < 0)
		return 0;
	memmove(v->ranges + i, v->ranges + i + 1,
	        (v->nranges - (size_t)i - 1) * sizeof(*v->ranges));
	v->nranges--;
	return 1;
}

int
st_add_cmd(struct st_tree *t, const char *cmd)
{
	bool found;
	size_t i;
	char *c;
	int r;

	if (!st_valid_name(cmd))
		return -EINVAL;
	i = search((void *const *)t->cmds, t->ncmds, cmd_key, cmd, &found);
	if (found)
		return 0;
	r = grow((void ***)&t->cmds, t->ncmds, &t->capcmds, ST_MAX_CMDS);
	if (r < 0)
		return r;
	c = strdup(cmd);
	if (!c)
		return -ENOMEM;
	insert_at((void **)t->cmds, &t->ncmds, i, c);
	return 1;
}

int
st_del_cmd(struct st_tree *t, const char *cmd)
{
	bool found;
	size_t i;

	if (!cmd)
		return 0;
	i = search((void *const *)t->cmds, t->ncmds, cmd_key, cmd, &found);
	if (!found)
		return 0;
	free(t->cmds[i]);
	remove_at((void **)t->cmds, &t->ncmds, i);
	return 1;
}

bool
st_has_cmd(const struct st_tree *t, const char *cmd)
{
	bool found = false;

	if (cmd)
		(void)search((void *const *)t->cmds, t->ncmds, cmd_key, cmd, &found);
	return found;
}

bool
st_enum_allows(const struct st_var *v, const char *value)
{
	return v->nenums == 0 || enum_index(v, value) >= 0;
}

bool
st_range_allows(const struct st_var *v, const char *value)
{
	long n;

	if (v->nranges == 0)
		return true;
	if (str_to_long(value, -__LONG_MAX__ - 1, __LONG_MAX__, &n) < 0)
		return false;
	for (size_t i = 0; i < v->nranges; i++)
		if (n >= v->ranges[i].min && n <= v->ranges[i].max)
			return true;
	return false;
}

/*
 * paths: configuration and state directories with NUT's overrides.
 */
#include "paths.h"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static const char *confdir_override;
static const char *statepath_override;

static const char *
pick(const char *override, const char *env, const char *builtin)
{
	const char *v;

	if (override)
		return override;
	v = getenv(env);
	if (v && *v)
		return v;
	return builtin;
}

const char *
paths_confdir(void)
{
	return pick(confdir_override, "NUT_CONFPATH", CONFDIR);
}

const char *
paths_statepath(void)
{
	return pick(statepath_override, "NUT_STATEPATH", STATEPATH);
}

void
paths_set_confdir(const char *dir)
{
	confdir_override = dir;
}

void
paths_set_statepath(const char *dir)
{
	statepath_override = dir;
}

int
paths_conf_file(char *buf, size_t size, const char *name)
{
	int n;

	if (name[0] == '/')
		n = snprintf(buf, size, "%s", name);
	else
		n = snprintf(buf, size, "%s/%s", paths_confdir(), name);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

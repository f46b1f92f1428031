/*
 * wnss: the two lookups of the wrap engine that need NSS (getpwnam for a
 * run-as user /etc/passwd cannot answer for, initgroups for a run-as user
 * other than root), alone in this file so that a program linked without
 * NSS can define them itself: upswrap's static build defines both as
 * "not here" (-ENOTSUP) and hands such calls to upswrap-nss.
 */
#include "wrap-int.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

int
wnss_user(const char *name, struct wpw *out)
{
	struct passwd *pw;

	errno = 0;
	if (!(pw = getpwnam(name)))
		return errno && errno != ENOENT && errno != ESRCH ? -errno : -ENOENT;
	if (!(out->home = strdup(pw->pw_dir)))
		return -ENOMEM;
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	return 0;
}

int
wnss_initgroups(const char *name, gid_t gid)
{
	return initgroups(name, gid) < 0 ? -errno : 0;
}

bool
wnss_available(void)
{
	return true;
}

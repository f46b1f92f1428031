/*
 * wnss-none: the NSS lookups of wnss.c for a program linked without NSS
 * (upswrap's static build).  A static glibc cannot load NSS modules
 * safely, so nothing here calls getpwnam or initgroups: a decision that
 * needs them ends with WRAP_RC_NEEDS_NSS, and upswrap hands the call to
 * upswrap-nss, its dynamically linked twin.
 */
#include "wrap-int.h"

#include <errno.h>

int
wnss_user(const char *name, struct wpw *out)
{
	(void)name;
	(void)out;
	return -ENOTSUP;
}

int
wnss_initgroups(const char *name, gid_t gid)
{
	(void)name;
	(void)gid;
	return -ENOTSUP;
}

bool
wnss_available(void)
{
	return false;
}

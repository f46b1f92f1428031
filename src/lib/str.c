/*
 * str: bounded string helpers.
 */
#include "str.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t
str_copy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

size_t
str_join(char *dst, size_t size, const char *const *parts, size_t n)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(parts[i]);
		if (size > 0 && len < size - 1) {
			size_t room = size - 1 - len;
			memcpy(dst + len, parts[i], l < room ? l : room);
		}
		len += l;
	}
	if (size > 0)
		dst[len < size - 1 ? len : size - 1] = '\0';
	return len;
}

const char *
str_ulong(char buf[21], unsigned long v)
{
	char *p = buf + 20;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return p;
}

int
str_to_long(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || end == s)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

bool
str_is_number(const char *s)
{
	bool digits = false;

	if (*s == '-' || *s == '+')
		s++;
	while (isdigit((unsigned char)*s)) {
		s++;
		digits = true;
	}
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s)) {
			s++;
			digits = true;
		}
	}
	return digits && *s == '\0';
}

bool
str_ieq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

int
str_to_bool(const char *s, bool *ret)
{
	static const char *const yes[] = {"yes", "on", "true", "1", "enabled"};
	static const char *const no[] = {"no", "off", "false", "0", "disabled"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (str_ieq(s, yes[i])) {
			*ret = true;
			return 0;
		}
		if (str_ieq(s, no[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * str: bounded string helpers shared by every module.
 */
#ifndef UPSGUARD_STR_H
#define UPSGUARD_STR_H

#include <stdbool.h>
#include <stddef.h>

/* Copy src into dst (size bytes, always terminated). Returns strlen(src);
 * a result >= size means the copy was truncated (strlcpy semantics). */
size_t str_copy(char *dst, const char *src, size_t size);

/* Concatenate the n strings of parts into dst (size bytes, always
 * terminated), without printf: for hot paths where a format costs more
 * than the work.  Returns the untruncated length, like str_copy. */
size_t str_join(char *dst, size_t size, const char *const *parts, size_t n);

/* Decimal digits of v into buf (21 bytes), returned. */
const char *str_ulong(char buf[21], unsigned long v);

/* Parse a whole decimal integer in [min, max]. Returns 0 or -EINVAL/-ERANGE. */
int str_to_long(const char *s, long min, long max, long *ret);

/* Parse a decimal number as NUT defines it: optional sign, digits, optional
 * '.' and digits; no exponent, no grouping. Returns true if s is one. */
bool str_is_number(const char *s);

/* Case-insensitive equality (ASCII). */
bool str_ieq(const char *a, const char *b);

/* Parse yes/no/on/off/true/false/1/0 (case-insensitive). Returns 0 or -EINVAL. */
int str_to_bool(const char *s, bool *ret);

#endif

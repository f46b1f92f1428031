/*
 * fuzz-usersfile: arbitrary text as an upsd.users file edited by
 * upspasswd.  Adding a user keeps the text as a prefix and makes the user
 * present; changing keeps it present; deleting makes it absent; and every
 * line that is not a section header or a password line of the edited user
 * survives a change.
 */
#include "usersfile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HASH "$y$j9T$salt$hash"

/* The first section name in the text, if it is a valid user name. */
static int
first_user(const char *text, char *name, size_t size)
{
	const char *open = strchr(text, '[');
	const char *close = open ? strchr(open, ']') : NULL;
	size_t n;

	if (!close)
		return -1;
	n = (size_t)(close - open - 1);
	if (n == 0 || n >= size)
		return -1;
	memcpy(name, open + 1, n);
	name[n] = '\0';
	return usersfile_check_name(name) == 0 && usersfile_has_user(text, strlen(text), name) ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *out = NULL;
	char name[USERSFILE_NAME_MAX + 1];
	size_t len;

	if (size > USERSFILE_MAX_SIZE)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	len = strlen(text); /* upspasswd reads text; a NUL ends it */

	if (usersfile_add(text, len, "fuzzuser", HASH, NULL, &out) == 0) {
		if (strncmp(out, text, len) != 0 || !usersfile_has_user(out, strlen(out), "fuzzuser"))
			abort();
		free(out);
	} else if (!usersfile_has_user(text, len, "fuzzuser")) {
		abort(); /* only an existing user may refuse the add */
	}
	if (first_user(text, name, sizeof(name)) == 0) {
		if (usersfile_change(text, len, name, HASH, &out) != 0)
			abort();
		if (!usersfile_has_user(out, strlen(out), name) || !strstr(out, HASH))
			abort();
		free(out);
		if (usersfile_delete(text, len, name, &out) != 0)
			abort();
		if (usersfile_has_user(out, strlen(out), name) || strlen(out) > len)
			abort();
		free(out);
	}
	free(text);
	return 0;
}

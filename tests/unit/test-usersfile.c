/*
 * Unit tests for usersfile: line-preserving add/change/delete of upsd.users
 * text, name and value checks, and the size bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "usersfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HASH "$y$j9T$abc$def"

static const char sample[] =
    "# upsd.users: who may do what\n"
    "\n"
    "[admin]\n"
    "\tpassword = oldsecret   # plaintext, NUT style\n"
    "\tactions = SET FSD\n"
    "\tinstcmds = ALL\n"
    "\n"
    "# the monitor below\n"
    "[monuser]\n"
    "  PASSWORD=\"pass\"\n"
    "  upsmon primary\n";

static char *
run_add(const char *text, const char *name, const struct usersfile_extra *x, int want)
{
	char *out = NULL;

	assert_int_equal(usersfile_add(text, strlen(text), name, HASH, x, &out), want);
	return out;
}

static void
test_names(void **state)
{
	char longname[USERSFILE_NAME_MAX + 2];

	(void)state;
	assert_int_equal(usersfile_check_name("admin"), 0);
	assert_int_equal(usersfile_check_name("a.b-c_d@x"), 0);
	assert_int_equal(usersfile_check_name(""), -EINVAL);
	assert_int_equal(usersfile_check_name(NULL), -EINVAL);
	assert_int_equal(usersfile_check_name("a b"), -EINVAL);
	assert_int_equal(usersfile_check_name("a]"), -EINVAL);
	assert_int_equal(usersfile_check_name("[a"), -EINVAL);
	assert_int_equal(usersfile_check_name("a\"b"), -EINVAL);
	assert_int_equal(usersfile_check_name("a#b"), -EINVAL);
	assert_int_equal(usersfile_check_name("a=b"), -EINVAL);
	assert_int_equal(usersfile_check_name("a\nb"), -EINVAL);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(usersfile_check_name(longname), -EINVAL);
	longname[USERSFILE_NAME_MAX] = '\0';
	assert_int_equal(usersfile_check_name(longname), 0);
}

static void
test_add(void **state)
{
	struct usersfile_extra x = {.actions = "SET", .instcmds = "ALL", .upsmon = "secondary"};
	char *out;

	(void)state;
	out = run_add(sample, "newuser", &x, 0);
	assert_memory_equal(out, sample, strlen(sample)); /* old content untouched */
	assert_string_equal(out + strlen(sample), "\n[newuser]\n\tpassword = \"" HASH "\"\n"
						  "\tactions = SET\n\tinstcmds = ALL\n"
						  "\tupsmon secondary\n");
	free(out);
	assert_null(run_add(sample, "admin", NULL, -EEXIST));
	assert_null(run_add(sample, "bad name", NULL, -EINVAL));
	/* a file without final newline, and an empty file */
	out = run_add("[a]\npassword = x", "b", NULL, 0);
	assert_string_equal(out, "[a]\npassword = x\n\n[b]\n\tpassword = \"" HASH "\"\n");
	free(out);
	out = run_add("", "b", NULL, 0);
	assert_string_equal(out, "[b]\n\tpassword = \"" HASH "\"\n");
	free(out);
	/* a value with a quote cannot be written */
	struct usersfile_extra bad = {.actions = "SET\"FSD"};
	assert_null(run_add(sample, "c", &bad, -EINVAL));
	char *o2 = NULL;
	assert_int_equal(usersfile_add(sample, strlen(sample), "c", "a\"b", NULL, &o2), -EINVAL);
	assert_int_equal(usersfile_add(sample, strlen(sample), "c", "a\nb", NULL, &o2), -EINVAL);
}

static void
test_change(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(usersfile_change(sample, strlen(sample), "monuser", HASH, &out), 0);
	/* only the password line of monuser changed, indentation kept */
	const char *want = "# upsd.users: who may do what\n"
			   "\n"
			   "[admin]\n"
			   "\tpassword = oldsecret   # plaintext, NUT style\n"
			   "\tactions = SET FSD\n"
			   "\tinstcmds = ALL\n"
			   "\n"
			   "# the monitor below\n"
			   "[monuser]\n"
			   "  password = \"" HASH "\"\n"
			   "  upsmon primary\n";
	assert_string_equal(out, want);
	free(out);
	assert_int_equal(usersfile_change(sample, strlen(sample), "nobody", HASH, &out), -ENOENT);
	/* case-sensitive names, like upsd */
	assert_int_equal(usersfile_change(sample, strlen(sample), "Admin", HASH, &out), -ENOENT);
	/* a section without a password line gets one; duplicates collapse to one */
	const char *nopw = "[a]\n\tactions = SET\n[b]\npassword = 1\npassword = 2\n";
	assert_int_equal(usersfile_change(nopw, strlen(nopw), "a", HASH, &out), 0);
	assert_string_equal(out, "[a]\n\tactions = SET\n\tpassword = \"" HASH "\"\n[b]\n"
				 "password = 1\npassword = 2\n");
	free(out);
	assert_int_equal(usersfile_change(nopw, strlen(nopw), "b", HASH, &out), 0);
	assert_string_equal(out, "[a]\n\tactions = SET\n[b]\npassword = \"" HASH "\"\n");
	free(out);
	/* "passwords" is not "password" */
	const char *other = "[a]\npasswordx = 1\n";
	assert_int_equal(usersfile_change(other, strlen(other), "a", HASH, &out), 0);
	assert_string_equal(out, "[a]\npasswordx = 1\n\tpassword = \"" HASH "\"\n");
	free(out);
}

static void
test_delete(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(usersfile_delete(sample, strlen(sample), "admin", &out), 0);
	/* the comment introducing the next section stays */
	assert_string_equal(out, "# upsd.users: who may do what\n"
				 "\n"
				 "\n"
				 "# the monitor below\n"
				 "[monuser]\n"
				 "  PASSWORD=\"pass\"\n"
				 "  upsmon primary\n");
	free(out);
	assert_int_equal(usersfile_delete(sample, strlen(sample), "monuser", &out), 0);
	assert_null(strstr(out, "monuser"));
	assert_null(strstr(out, "upsmon primary"));
	assert_non_null(strstr(out, "[admin]"));
	assert_non_null(strstr(out, "# the monitor below")); /* belongs to nothing now, kept */
	free(out);
	assert_int_equal(usersfile_delete(sample, strlen(sample), "ghost", &out), -ENOENT);
	/* a duplicate section (ignored by upsd) is removed too: the user is gone */
	const char *dup = "[a]\npassword = 1\n[b]\npassword = 2\n[a]\npassword = 3\n";
	assert_int_equal(usersfile_delete(dup, strlen(dup), "a", &out), 0);
	assert_string_equal(out, "[b]\npassword = 2\n");
	free(out);
}

static void
test_size_bound(void **state)
{
	size_t n = USERSFILE_MAX_SIZE - 10;
	char *big = malloc(n + 1);
	char *out = NULL;

	(void)state;
	assert_non_null(big);
	memset(big, '#', n);
	big[n] = '\0';
	assert_int_equal(usersfile_add(big, n, "u", HASH, NULL, &out), -E2BIG);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_add),
	    cmocka_unit_test(test_change),
	    cmocka_unit_test(test_delete),
	    cmocka_unit_test(test_size_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

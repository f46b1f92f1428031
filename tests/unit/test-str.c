/*
 * Unit tests of the bounded string helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>

#include <cmocka.h>

#include "str.h"

static void
test_copy(void **state)
{
	char buf[4];

	assert_int_equal(str_copy(buf, "ab", sizeof(buf)), 2);
	assert_string_equal(buf, "ab");
	assert_int_equal(str_copy(buf, "abcdef", sizeof(buf)), 6);
	assert_string_equal(buf, "abc");
}

static void
test_join(void **state)
{
	const char *parts[] = {"ab", "", "cde", "f"};
	char buf[5], big[16], num[21];

	assert_int_equal(str_join(big, sizeof(big), parts, 4), 6);
	assert_string_equal(big, "abcdef");
	assert_int_equal(str_join(buf, sizeof(buf), parts, 4), 6);
	assert_string_equal(buf, "abcd");
	assert_int_equal(str_join(buf, sizeof(buf), parts, 0), 0);
	assert_string_equal(buf, "");
	assert_int_equal(str_join(buf, 1, parts, 4), 6);
	assert_string_equal(buf, "");
	assert_string_equal(str_ulong(num, 0), "0");
	assert_string_equal(str_ulong(num, 4294967295UL), "4294967295");
	assert_string_equal(str_ulong(num, 18446744073709551615UL), "18446744073709551615");
}

static void
test_long(void **state)
{
	long v = 0;

	assert_int_equal(str_to_long("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(str_to_long("-1", 0, 100, &v), -ERANGE);
	assert_int_equal(str_to_long("4x", 0, 100, &v), -EINVAL);
	assert_int_equal(str_to_long("", 0, 100, &v), -EINVAL);
}

static void
test_number(void **state)
{
	assert_true(str_is_number("230"));
	assert_true(str_is_number("-1.5"));
	assert_true(str_is_number("0.25"));
	assert_false(str_is_number("1e3"));
	assert_false(str_is_number("1,000"));
	assert_false(str_is_number("."));
	assert_false(str_is_number(""));
}

static void
test_bool(void **state)
{
	bool b = false;

	assert_int_equal(str_to_bool("Yes", &b), 0);
	assert_true(b);
	assert_int_equal(str_to_bool("off", &b), 0);
	assert_false(b);
	assert_int_equal(str_to_bool("maybe", &b), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_copy),
	    cmocka_unit_test(test_join),
	    cmocka_unit_test(test_long),
	    cmocka_unit_test(test_number),
	    cmocka_unit_test(test_bool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

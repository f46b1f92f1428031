/*
 * Unit tests of password hashing and verification.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "passwd.h"

static void
test_plaintext(void **state)
{
	assert_false(passwd_is_hash("secret"));
	assert_false(passwd_is_hash("$notahash"));
	assert_int_equal(passwd_verify("secret", "secret"), 1);
	assert_int_equal(passwd_verify("secret", "Secret"), 0);
	assert_int_equal(passwd_verify("secret", "secre"), 0);
	assert_int_equal(passwd_verify("secret", "secrett"), 0);
	assert_int_equal(passwd_verify("", ""), 1);
	assert_int_equal(passwd_verify("", "x"), 0);
}

static void
test_yescrypt_roundtrip(void **state)
{
	char h[PASSWD_HASH_MAX], h2[PASSWD_HASH_MAX];

	assert_int_equal(passwd_hash("pa ss\"word", h, sizeof(h)), 0);
	assert_true(strncmp(h, "$y$", 3) == 0);
	assert_true(passwd_is_hash(h));
	assert_int_equal(passwd_verify(h, "pa ss\"word"), 1);
	assert_int_equal(passwd_verify(h, "pa ss\"wordx"), 0);
	assert_int_equal(passwd_verify(h, ""), 0);
	/* A fresh salt each time. */
	assert_int_equal(passwd_hash("pa ss\"word", h2, sizeof(h2)), 0);
	assert_string_not_equal(h, h2);
}

static void
test_sha512crypt(void **state)
{
	/* Known vector: crypt("secret", "$6$saltsalt$"). */
	const char *known =
	    "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQ"
	    "SpT0Y77vwPZN.Pq.H91p5hVO1";

	assert_int_equal(passwd_verify(known, "secret"), 1);
	assert_int_equal(passwd_verify(known, "wrong"), 0);
}

static void
test_bad_hash_never_matches(void **state)
{
	assert_true(passwd_is_hash("$6$x$"));
	assert_true(passwd_verify("$y$garbage$", "garbage") <= 0);
}

static void
test_bounds(void **state)
{
	char big[PASSWD_MAX_LEN + 2];
	char h[PASSWD_HASH_MAX];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(passwd_hash(big, h, sizeof(h)), -EINVAL);
	assert_int_equal(passwd_hash("a\nb", h, sizeof(h)), -EINVAL);
	assert_int_equal(passwd_hash("abc", h, 8), -ENOSPC);
	assert_int_equal(passwd_hash("abc", h, sizeof(h)), 0);
	assert_int_equal(passwd_verify(h, big), 0);
}

static void
test_equal(void **state)
{
	assert_true(passwd_equal("abc", "abc"));
	assert_false(passwd_equal("abc", "abd"));
	assert_false(passwd_equal("abc", "ab"));
	assert_true(passwd_equal("", ""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plaintext),   cmocka_unit_test(test_yescrypt_roundtrip),
	    cmocka_unit_test(test_sha512crypt), cmocka_unit_test(test_bad_hash_never_matches),
	    cmocka_unit_test(test_bounds),      cmocka_unit_test(test_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

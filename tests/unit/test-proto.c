/*
 * Unit tests of the protocol tables: error words, descriptions, tracking.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto/proto.h"

static void
test_err_words(void **state)
{
	assert_string_equal(proto_err_word(PROTO_E_ACCESS_DENIED), "ACCESS-DENIED");
	assert_string_equal(proto_err_word(PROTO_E_INVALID_VALUE), "INVALID-VALUE");
	assert_string_equal(proto_err_word(PROTO_E_DATA_STALE), "DATA-STALE");
	assert_null(proto_err_word(PROTO_E_COUNT));
	for (int i = 0; i < PROTO_E_COUNT; i++) {
		assert_non_null(proto_err_word(i));
		assert_int_equal(proto_err_from_word(proto_err_word(i)), i);
	}
	assert_int_equal(proto_err_from_word("NOPE"), -1);
}

static void
test_desc(void **state)
{
	assert_int_equal(proto_desc_tables_sorted(), 1);
	assert_non_null(proto_var_desc("ups.status"));
	assert_string_equal(proto_var_desc("UPS.STATUS"), proto_var_desc("ups.status"));
	assert_string_equal(proto_var_desc("upstream.ups.status"), proto_var_desc("ups.status"));
	assert_null(proto_var_desc("no.such.var"));
	assert_non_null(proto_cmd_desc("load.off"));
	assert_non_null(proto_cmd_desc("Test.Battery.Start"));
	assert_null(proto_cmd_desc("load"));
}

static void
test_track(void **state)
{
	assert_string_equal(proto_track_reply(-1), "PENDING");
	assert_string_equal(proto_track_reply(0), "SUCCESS");
	assert_string_equal(proto_track_reply(1), "ERR UNKNOWN");
	assert_string_equal(proto_track_reply(2), "ERR INVALID-ARGUMENT");
	assert_string_equal(proto_track_reply(3), "ERR FAILED");
	assert_string_equal(proto_track_reply(4), "ERR INVALID-ARGUMENT");
	assert_string_equal(proto_track_reply(99), "ERR UNKNOWN");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_err_words),
	    cmocka_unit_test(test_desc),
	    cmocka_unit_test(test_track),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

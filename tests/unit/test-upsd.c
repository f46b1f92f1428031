/*
 * Unit tests of upsd's command dispatcher, through an in-memory server
 * (src/upsd/fixture.c): reply forms, error order, escaping, FSD, the
 * permission model, tracking, availability, and what reaches the driver.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "fixture.h"

static struct fixture F;

static int
setup(void **state)
{
	return fixture_init(&F, NULL);
}

static int
teardown(void **state)
{
	fixture_free(&F);
	return 0;
}

static const char *
ask(const char *line)
{
	char buf[2048];

	snprintf(buf, sizeof(buf), "%s\n", line);
	return fixture_feed(&F, buf, strlen(buf));
}

#define ASK(line, want) assert_string_equal(ask(line), want)

static void
test_basic(void **state)
{
	ASK("NETVER", "1.3\n");
	ASK("protver", "1.3\n");
	ASK("VER x", "ERR INVALID-ARGUMENT\n");
	ASK("", "ERR UNKNOWN-COMMAND\n");
	ASK("# comment", "ERR UNKNOWN-COMMAND\n");
	ASK("NOPE", "ERR UNKNOWN-COMMAND\n");
	ASK("HELP", "Commands: HELP VER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD "
	            "STARTTLS\n");
	ASK("STARTTLS", "ERR FEATURE-NOT-CONFIGURED\n");
	/* Two lines in one feed give two replies in one batch. */
	assert_string_equal(fixture_feed(&F, "NETVER\nNETVER\n", 14), "1.3\n1.3\n");
	/* A parse error (# inside quotes) gives no reply at all. */
	ASK("GET VAR dev \"a#b\"", "");
}

static void
test_get(void **state)
{
	ASK("GET VAR dev ups.status", "VAR dev ups.status \"OL CHRG\"\n");
	ASK("get var DEV UPS.STATUS", "VAR DEV UPS.STATUS \"OL CHRG\"\n");
	ASK("GET VAR dev ups.id", "VAR dev ups.id \"has \\\"quote\\\" \\\\ and \\#\"\n");
	ASK("GET VAR nosuch ups.status", "ERR UNKNOWN-UPS\n");
	ASK("GET VAR dev nosuch", "ERR VAR-NOT-SUPPORTED\n");
	ASK("GET VAR any SERVER.VERSION", "VAR any server.version \"" UPSGUARD_VERSION "\"\n");
	ASK("GET VAR dev server.x", "ERR VAR-NOT-SUPPORTED\n");
	ASK("GET TYPE dev ups.id", "TYPE dev ups.id RW STRING:8\n");
	ASK("GET TYPE dev input.sensitivity", "TYPE dev input.sensitivity RW ENUM NUMBER\n");
	ASK("GET TYPE dev ups.delay.shutdown", "TYPE dev ups.delay.shutdown RW RANGE NUMBER\n");
	ASK("GET TYPE dev battery.charge", "TYPE dev battery.charge NUMBER\n");
	ASK("GET DESC dev no.such", "DESC dev no.such \"Description unavailable\"\n");
	ASK("GET CMDDESC dev nope", "CMDDESC dev nope \"Description unavailable\"\n");
	ASK("GET NUMLOGINS dev", "NUMLOGINS dev 0\n");
	ASK("GET UPSDESC dev", "UPSDESC dev \"Test \\\"dev\\\"\"\n");
	ASK("GET", "ERR INVALID-ARGUMENT\n");
	ASK("GET VAR dev", "ERR INVALID-ARGUMENT\n");
	ASK("GET FOO a b", "ERR INVALID-ARGUMENT\n");
	ASK("GET TRACKING", "OFF\n");
	ASK("GET TRACKING x", "ERR FEATURE-NOT-CONFIGURED\n");
}

static void
test_list(void **state)
{
	ASK("LIST UPS", "BEGIN LIST UPS\nUPS dev \"Test \\\"dev\\\"\"\nEND LIST UPS\n");
	ASK("LIST CMD Dev", "BEGIN LIST CMD Dev\nCMD Dev load.off\nCMD Dev test.battery.start\n"
	                    "END LIST CMD Dev\n");
	ASK("LIST ENUM dev input.sensitivity",
	    "BEGIN LIST ENUM dev input.sensitivity\nENUM dev input.sensitivity \"H\"\n"
	    "ENUM dev input.sensitivity \"L\"\nEND LIST ENUM dev input.sensitivity\n");
	ASK("LIST RANGE dev ups.delay.shutdown",
	    "BEGIN LIST RANGE dev ups.delay.shutdown\nRANGE dev ups.delay.shutdown \"0\" \"100\"\n"
	    "END LIST RANGE dev ups.delay.shutdown\n");
	ASK("LIST RW dev",
	    "BEGIN LIST RW dev\nRW dev input.sensitivity \"H\"\nRW dev ups.bad \"x\"\n"
	    "RW dev ups.delay.shutdown \"20\"\nRW dev ups.id \"has \\\"quote\\\" \\\\ and \\#\"\n"
	    "END LIST RW dev\n");
	ASK("LIST ENUM dev nosuch", "ERR VAR-NOT-SUPPORTED\n");
	ASK("LIST VAR", "ERR INVALID-ARGUMENT\n");
	ASK("LIST FOO dev x", "ERR INVALID-ARGUMENT\n");
	/* Not anonymous in upsguard. */
	assert_true(strncmp(ask("LIST CLIENT dev"), "ERR ACCESS-DENIED \"", 19) == 0);
}

static void
test_auth_order(void **state)
{
	ASK("LOGIN dev", "ERR USERNAME-REQUIRED\n");
	ASK("SET TRACKING ON", "ERR USERNAME-REQUIRED\n");
	ASK("USERNAME sec", "OK\n");
	ASK("USERNAME sec", "ERR ALREADY-SET-USERNAME\n");
	ASK("INSTCMD dev load.off", "ERR PASSWORD-REQUIRED\n");
	ASK("PASSWORD s", "OK\n");
	ASK("PASSWORD s", "ERR ALREADY-SET-PASSWORD\n");
	ASK("INSTCMD dev nosuch", "ERR CMD-NOT-SUPPORTED\n");
	ASK("INSTCMD dev load.off", "ERR ACCESS-DENIED\n");
	ASK("SET VAR dev nosuch x", "ERR ACCESS-DENIED\n");
	ASK("FSD dev", "ERR ACCESS-DENIED\n");
	ASK("PRIMARY dev", "ERR ACCESS-DENIED\n");
	ASK("LOGIN nosuch", "ERR UNKNOWN-UPS\n");
	ASK("LOGIN dev", "OK\n");
	ASK("LOGIN dev", "ERR ALREADY-LOGGED-IN\n");
	ASK("GET NUMLOGINS dev", "NUMLOGINS dev 1\n");
	ASK("LIST CLIENT dev",
	    "BEGIN LIST CLIENT dev\nCLIENT dev 127.0.0.1\nEND LIST CLIENT dev\n");
	ASK("LOGOUT x", "ERR INVALID-ARGUMENT\n");
	ASK("LOGOUT", "OK Goodbye\n");
}

static void
test_primary_fsd(void **state)
{
	ASK("USERNAME mon", "OK\n");
	ASK("PASSWORD m", "OK\n");
	ASK("PRIMARY dev", "OK PRIMARY-GRANTED\n");
	ASK("master DEV", "OK MASTER-GRANTED\n");
	ASK("FSD dev", "OK FSD-SET\n");
	ASK("GET VAR dev ups.status", "VAR dev ups.status \"FSD OL CHRG\"\n");
	assert_non_null(strstr(ask("LIST VAR dev"), "VAR dev ups.status \"FSD OL CHRG\"\n"));
	assert_null(strstr(ask("LIST RW dev"), "FSD"));
}

static void
test_set_and_tracking(void **state)
{
	char drv[4096];

	ASK("USERNAME admin", "OK\n");
	ASK("PASSWORD secret", "OK\n");
	ASK("SET VAR dev battery.charge 5", "ERR READONLY\n");
	ASK("SET VAR dev ups.id 123456789", "ERR TOO-LONG\n");
	ASK("SET VAR dev ups.bad x", "ERR SET-FAILED\n");
	ASK("SET VAR dev input.sensitivity h", "ERR INVALID-VALUE\n");
	ASK("SET VAR dev ups.delay.shutdown 101", "ERR INVALID-VALUE\n");
	ASK("SET VAR dev ups.delay.shutdown abc", "OK\n"); /* atoi("abc") == 0, as NUT */
	ASK("SET VAR dev ups.id \"a\\\"b\\#\"", "OK\n");
	fixture_driver_read(&F, drv, sizeof(drv));
	assert_non_null(strstr(drv, "SET ups.delay.shutdown \"abc\"\n"));
	assert_non_null(strstr(drv, "SET ups.id \"a\\\"b\\#\"\n"));
	ASK("SET TRACKING maybe", "ERR INVALID-ARGUMENT\n");
	ASK("SET TRACKING on", "OK\n");
	ASK("GET TRACKING", "ON\n");
	{
		const char *r = ask("INSTCMD dev load.off 5");
		char id[40];

		assert_true(strncmp(r, "OK TRACKING ", 12) == 0);
		assert_int_equal(strlen(r), 12 + 36 + 1);
		memcpy(id, r + 12, 36);
		id[36] = '\0';
		assert_int_equal(id[14], '4');
		fixture_driver_read(&F, drv, sizeof(drv));
		assert_non_null(strstr(drv, "INSTCMD load.off 5 TRACKING "));
		assert_non_null(strstr(drv, id));
		{
			char q[64];

			snprintf(q, sizeof(q), "GET TRACKING %s", id);
			ASK(q, "PENDING\n");
			tracking_set(&F.srv, id, 3);
			ASK(q, "ERR FAILED\n");
			tracking_set(&F.srv, id, 0);
			ASK(q, "SUCCESS\n");
		}
	}
	ASK("GET TRACKING 00000000-0000-4000-8000-000000000000", "ERR UNKNOWN\n");
	/* Entries expire after TRACKINGDELAY (3600 s by default). */
	{
		const char *r = ask("INSTCMD dev load.off");
		char q[64];

		assert_true(strncmp(r, "OK TRACKING ", 12) == 0);
		snprintf(q, sizeof(q), "GET TRACKING %.36s", r + 12);
		tracking_expire(&F.srv, time(NULL) + 3000);
		ASK(q, "PENDING\n");
		tracking_expire(&F.srv, time(NULL) + 3601 + 1);
		ASK(q, "ERR UNKNOWN\n");
	}
}

static void
test_availability(void **state)
{
	F.ups->last_heard = time(NULL) - 1000;
	ASK("GET VAR dev ups.status", "ERR DATA-STALE\n");
	ASK("GET UPSDESC dev", "UPSDESC dev \"Test \\\"dev\\\"\"\n");
	ASK("GET VAR dev server.info", "VAR dev server.info \"" UPSD_VER_TEXT "\"\n");
	F.ups->last_heard = time(NULL);
	F.ups->tree.stale = true;
	ASK("LIST VAR dev", "ERR DATA-STALE\n");
	F.ups->tree.stale = false;
	ASK("GET VAR dev ups.status", "VAR dev ups.status \"OL CHRG\"\n");
}

static void
test_allowfrom_and_anonymous(void **state)
{
	struct fixture g;

	assert_int_equal(fixture_init(&g, "ANONYMOUS_READ none\n"), 0);
	assert_true(strncmp(fixture_feed(&g, "GET VAR dev ups.status\n", 23),
	                    "ERR ACCESS-DENIED \"", 19) == 0);
	fixture_feed(&g, "USERNAME far\nPASSWORD f\n", 24);
	/* far may only authenticate from 10.0.0.0/8. */
	assert_true(strncmp(fixture_feed(&g, "GET VAR dev ups.status\n", 23), "ERR ACCESS-DENIED",
	                    17) == 0);
	fixture_free(&g);
	assert_int_equal(fixture_init(&g, "ANONYMOUS_READ none\n"), 0);
	fixture_feed(&g, "USERNAME admin\nPASSWORD secret\n", 31);
	assert_string_equal(fixture_feed(&g, "GET VAR dev ups.status\n", 23),
	                    "VAR dev ups.status \"OL CHRG\"\n");
	fixture_free(&g);
}

static void
test_bounds(void **state)
{
	char line[3000];

	/* Words beyond TOK_MAX_WORDS and characters beyond TOK_MAX_WORDLEN
	 * are dropped, never overflow. */
	memset(line, 'v', sizeof(line));
	memcpy(line, "GET VAR dev ", 12);
	line[sizeof(line) - 1] = '\n';
	assert_string_equal(fixture_feed(&F, line, sizeof(line)), "ERR VAR-NOT-SUPPORTED\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_basic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_get, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auth_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_primary_fsd, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_and_tracking, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_availability, setup, teardown),
	    cmocka_unit_test(test_allowfrom_and_anonymous),
	    cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

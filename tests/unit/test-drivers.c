/*
 * Unit tests of the driver pieces that need no process: the definition
 * file reader, the dummy-ups variable table, and the core's status, alarm
 * and ignorelb rules (on a core context without a socket).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "devfile.h"
#include "drv_int.h"
#include "dummy_vars.h"

static struct df_reader rd;

static void
open_text(const char *text)
{
	assert_int_equal(df_open_mem(&rd, "t.dev", text, strlen(text)), 0);
}

static void
expect_var(const char *name, const char *value)
{
	struct df_event ev;

	assert_int_equal(df_next(&rd, &ev), DF_VAR);
	assert_string_equal(ev.name, name);
	assert_string_equal(ev.value, value);
}

static void
test_devfile_values(void **state)
{
	struct df_event ev;

	open_text("# comment\n"
	          "battery.charge:  96.90\n"
	          "ups.model:   Smart   UPS   1000  \t#COMMENT: x\n"
	          "ups.serial: AB#CD\n"
	          "quoted: \"a  b\" c\n"
	          "driver.version: 1.0\n"
	          "ups.alarm:\n"
	          "ups.status: OL  CHRG\n"
	          "\n");
	expect_var("battery.charge", "96.90");
	expect_var("ups.model", "Smart UPS 1000");
	expect_var("ups.serial", "AB");
	expect_var("quoted", "a  b c");
	/* an empty value repeats the previous one (NUT 2.8's buffer) */
	expect_var("ups.alarm", "a  b c");
	assert_int_equal(df_next(&rd, &ev), DF_STATUS);
	assert_string_equal(ev.value, "OL CHRG");
	assert_int_equal(df_next(&rd, &ev), DF_END);
	assert_int_equal(df_next(&rd, &ev), DF_END);
	df_close(&rd);
}

static void
test_devfile_errors_and_directives(void **state)
{
	struct df_event ev;

	open_text("first:\n"
	          "no colon here\n"
	          "a:b c\n"
	          "bad\"name: 1\n"
	          "x: \"has # hash\"\n"
	          "TIMER 5\n"
	          "TIMER soon\n"
	          "ALARM replace battery\n"
	          "ALARM\n"
	          "last: 1\n");
	/* an empty value with nothing before it is skipped */
	assert_int_equal(df_next(&rd, &ev), DF_ERROR);
	assert_string_equal(ev.msg, "t.dev:2: expected 'name: value', got 'no'");
	assert_int_equal(df_next(&rd, &ev), DF_ERROR);
	assert_non_null(strstr(ev.msg, "t.dev:3:"));
	assert_int_equal(df_next(&rd, &ev), DF_ERROR);
	assert_non_null(strstr(ev.msg, "t.dev:4: invalid variable name"));
	assert_int_equal(df_next(&rd, &ev), DF_ERROR);
	assert_non_null(strstr(ev.msg, "t.dev:5:"));
	assert_int_equal(df_next(&rd, &ev), DF_TIMER);
	assert_int_equal(ev.secs, 5);
	assert_int_equal(df_next(&rd, &ev), DF_ERROR);
	assert_non_null(strstr(ev.msg, "t.dev:7: TIMER"));
	assert_int_equal(df_next(&rd, &ev), DF_ALARM);
	assert_string_equal(ev.value, "replace battery");
	assert_int_equal(df_next(&rd, &ev), DF_ALARM);
	assert_string_equal(ev.value, "");
	expect_var("last", "1");
	assert_int_equal(df_next(&rd, &ev), DF_END);
	/* a new pass starts over with no previous value */
	df_rewind(&rd);
	assert_int_equal(df_next(&rd, &ev), DF_ERROR);
	assert_non_null(strstr(ev.msg, "t.dev:2:"));
	df_close(&rd);
}

static void
test_devfile_bounds(void **state)
{
	char line[600];
	struct df_event ev;

	/* values are cut at DF_MAX_VALUE - 1 like NUT's 128-byte buffer */
	memset(line, 0, sizeof(line));
	strcpy(line, "long: ");
	memset(line + 6, 'v', 300);
	strcat(line, "\n");
	open_text(line);
	assert_int_equal(df_next(&rd, &ev), DF_VAR);
	assert_int_equal(strlen(ev.value), DF_MAX_VALUE - 1);
	df_close(&rd);
	/* an unbalanced quote swallows lines up to the next quote, as NUT */
	open_text("a: \"x\nb: 1\nc: y\" z\nd: 2\n");
	assert_int_equal(df_next(&rd, &ev), DF_VAR);
	assert_string_equal(ev.name, "a");
	expect_var("d", "2");
	df_close(&rd);
	assert_int_equal(df_open(&rd, "/nonexistent/file.dev"), -ENOENT);
	assert_int_equal(df_open(&rd, "/"), -EINVAL);
}

static void
test_dummy_table(void **state)
{
	unsigned flags;
	long aux;

	assert_true(dv_lookup("battery.charge", &flags, &aux));
	assert_int_equal(flags, ST_F_RW);
	assert_true(dv_lookup("UPS.ID", &flags, &aux));
	assert_int_equal(flags, ST_F_RW | ST_F_STRING);
	assert_int_equal(aux, 16);
	assert_false(dv_lookup("no.such.var", &flags, &aux));
	assert_int_equal(flags, ST_F_RW | ST_F_STRING);
	assert_int_equal(aux, DV_DEFAULT_STRLEN);
	assert_true(dv_lookup("input.sensitivity", &flags, &aux));
	assert_int_equal(aux, 1);
}

static struct drv *
new_drv(void)
{
	struct drv *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	st_init(&d->tree);
	return d;
}

static void
free_drv(struct drv *d)
{
	st_clear(&d->tree);
	free(d);
}

static void
test_status_alarm(void **state)
{
	struct drv *d = new_drv();

	drv_status_init(d);
	drv_status_set(d, "OL CHRG");
	drv_status_commit(d);
	assert_string_equal(st_value(&d->tree, "ups.status"), "OL CHRG");
	drv_alarm_init(d);
	drv_alarm_set(d, "[Replace battery]");
	drv_alarm_set(d, "[Overheat]");
	drv_alarm_commit(d);
	assert_string_equal(st_value(&d->tree, "ups.alarm"), "[Replace battery] [Overheat]");
	assert_string_equal(st_value(&d->tree, "ups.status"), "ALARM OL CHRG");
	/* a device status that already says ALARM does not get it twice */
	drv_status_init(d);
	drv_status_set(d, "ALARM OB");
	drv_status_commit(d);
	assert_string_equal(st_value(&d->tree, "ups.status"), "ALARM OB");
	drv_alarm_init(d);
	drv_alarm_commit(d);
	assert_null(st_value(&d->tree, "ups.alarm"));
	assert_string_equal(st_value(&d->tree, "ups.status"), "ALARM OB");
	drv_status_init(d);
	drv_status_set(d, "OB");
	drv_status_commit(d);
	assert_string_equal(st_value(&d->tree, "ups.status"), "OB");
	free_drv(d);
}

static void
test_ignorelb(void **state)
{
	struct drv *d = new_drv();

	d->ignorelb = true;
	assert_int_equal(drv_setinfo(d, "battery.charge", "50"), 1);
	assert_int_equal(drv_setinfo(d, "battery.charge.low", "20"), 1);
	drv_status_init(d);
	drv_status_set(d, "OB LB");
	drv_status_commit(d);
	assert_string_equal(st_value(&d->tree, "ups.status"), "OB");
	assert_int_equal(drv_setinfo(d, "battery.charge", "19.5"), 1);
	drv_status_commit(d);
	assert_string_equal(st_value(&d->tree, "ups.status"), "OB LB");
	assert_int_equal(drv_setinfo(d, "battery.charge", "80"), 1);
	assert_int_equal(drv_setinfo(d, "battery.runtime", "100"), 1);
	assert_int_equal(drv_setinfo(d, "battery.runtime.low", "not a number"), 1);
	drv_status_commit(d);
	assert_string_equal(st_value(&d->tree, "ups.status"), "OB");
	assert_int_equal(drv_setinfo(d, "battery.runtime.low", "120"), 1);
	drv_status_commit(d);
	assert_string_equal(st_value(&d->tree, "ups.status"), "OB LB");
	free_drv(d);
}

static void
test_core_commands(void **state)
{
	struct drv *d = new_drv();

	/* killpower is refused without allow_killpower; unknown names are not core */
	assert_int_equal(drv_core_instcmd(d, "driver.killpower", NULL), SP_R_UNKNOWN);
	assert_int_equal(drv_core_instcmd(d, "load.off", NULL), -1);
	/* without ups.conf (-s) a reload has nothing to do */
	assert_int_equal(drv_core_instcmd(d, "driver.reload", NULL), SP_R_HANDLED);
	assert_int_equal(drv_core_instcmd(d, "DRIVER.EXIT", NULL), SP_R_HANDLED);
	free_drv(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_devfile_values),
	    cmocka_unit_test(test_devfile_errors_and_directives),
	    cmocka_unit_test(test_devfile_bounds),
	    cmocka_unit_test(test_dummy_table),
	    cmocka_unit_test(test_status_alarm),
	    cmocka_unit_test(test_ignorelb),
	    cmocka_unit_test(test_core_commands),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

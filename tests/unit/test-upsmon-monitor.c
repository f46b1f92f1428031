/*
 * Unit tests of upsmon's state machine with a fake clock: every critical
 * rule of NUT 2.8.x (reference 4.3), the notification edges (4.2), the
 * shutdown sequence (4.4), and the events table and formatter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "log.h"
#include "monitor.h"

#define S(x) ((int64_t)(x) * 1000)

struct rec {
	unsigned ev[64];
	char ups[64][MON_NAME_MAX];
	char detail[64][MON_DETAIL_MAX];
	size_t n;
};

static void
record(void *ctx, unsigned ev, const char *ups, const char *detail)
{
	struct rec *r = ctx;
	if (r->n < 64) {
		r->ev[r->n] = ev;
		snprintf(r->ups[r->n], MON_NAME_MAX, "%s", ups);
		snprintf(r->detail[r->n], MON_DETAIL_MAX, "%s", detail ? detail : "");
		r->n++;
	}
}

/* Events since the last call, as "ONBATT,LOWBATT". */
static const char *
take(struct rec *r)
{
	static char buf[1024];
	buf[0] = '\0';
	for (size_t i = 0; i < r->n; i++) {
		if (i)
			strcat(buf, ",");
		strcat(buf, upsmon_notify_name(r->ev[i]));
	}
	r->n = 0;
	return buf;
}

struct fixture {
	struct mon m;
	struct mon_settings s;
	struct mon_ups ups[2];
	struct rec rec;
};

static void
setup(struct fixture *f, size_t n, bool primary)
{
	memset(f, 0, sizeof(*f));
	mon_settings_default(&f->s);
	for (size_t i = 0; i < n; i++) {
		snprintf(f->ups[i].name, MON_NAME_MAX, "ups%zu@localhost", i);
		f->ups[i].pv = 1;
		f->ups[i].primary = primary;
	}
}

static void
start(struct fixture *f, size_t n)
{
	mon_init(&f->m, &f->s, f->ups, n, record, &f->rec, 0);
}

static void
test_online_edges(void **state)
{
	struct fixture f;

	setup(&f, 1, true);
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OL", NULL, NULL);
	assert_string_equal(take(&f.rec), ""); /* no ONLINE for the first OL */
	mon_poll_ok(&f.m, 0, S(2), "OL CHRG", NULL, NULL);
	assert_string_equal(take(&f.rec), "");
	mon_poll_ok(&f.m, 0, S(3), "OB DISCHRG", NULL, NULL);
	assert_string_equal(take(&f.rec), "ONBATT");
	mon_poll_ok(&f.m, 0, S(4), "OB", NULL, NULL);
	assert_string_equal(take(&f.rec), "");
	mon_poll_ok(&f.m, 0, S(5), "OL", NULL, NULL);
	assert_string_equal(take(&f.rec), "ONLINE");
	assert_false(mon_recalc(&f.m, S(5)));

	/* ONBATT is sent even for the first poll after start. */
	setup(&f, 1, true);
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OB", NULL, NULL);
	assert_string_equal(take(&f.rec), "ONBATT");
	assert_string_equal(f.rec.ups[0], "ups0@localhost");
}

static void
test_comm_edges(void **state)
{
	struct fixture f;

	setup(&f, 1, false);
	f.s.nocommwarntime = 10;
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OL", NULL, NULL);
	assert_string_equal(take(&f.rec), ""); /* no COMMOK on the first contact */
	mon_poll_failed(&f.m, 0, S(2));
	assert_string_equal(take(&f.rec), "COMMBAD");
	mon_poll_failed(&f.m, 0, S(3));
	mon_poll_failed(&f.m, 0, S(10));
	assert_string_equal(take(&f.rec), "");
	mon_poll_failed(&f.m, 0, S(11)); /* NOCOMMWARNTIME after the last good poll */
	assert_string_equal(take(&f.rec), "NOCOMM");
	mon_poll_failed(&f.m, 0, S(15));
	assert_string_equal(take(&f.rec), "");
	mon_poll_failed(&f.m, 0, S(21)); /* repeats every NOCOMMWARNTIME */
	assert_string_equal(take(&f.rec), "NOCOMM");
	mon_poll_ok(&f.m, 0, S(22), "OL", NULL, NULL);
	assert_string_equal(take(&f.rec), "COMMOK");
	mon_poll_ok(&f.m, 0, S(23), "OL", NULL, NULL);
	assert_string_equal(take(&f.rec), "");

	/* A UPS that never answered: COMMBAD at once, then NOCOMM. */
	setup(&f, 1, false);
	f.s.nocommwarntime = 5;
	start(&f, 1);
	mon_poll_failed(&f.m, 0, S(1));
	assert_string_equal(take(&f.rec), "COMMBAD");
	mon_poll_failed(&f.m, 0, S(6));
	assert_string_equal(take(&f.rec), "NOCOMM");
	/* never heard counts as OK: no shutdown */
	assert_false(mon_recalc(&f.m, S(100)));
}

static void
test_replbatt_repeats(void **state)
{
	struct fixture f;

	setup(&f, 1, true);
	f.s.rbwarntime = 60;
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OL RB", NULL, NULL);
	assert_string_equal(take(&f.rec), "REPLBATT");
	mon_poll_ok(&f.m, 0, S(30), "OL RB", NULL, NULL);
	assert_string_equal(take(&f.rec), "");
	mon_poll_ok(&f.m, 0, S(61), "OL RB", NULL, NULL);
	assert_string_equal(take(&f.rec), "REPLBATT");
	mon_poll_ok(&f.m, 0, S(62), "OL", NULL, NULL);
	mon_poll_ok(&f.m, 0, S(63), "OL RB", NULL, NULL);
	assert_string_equal(take(&f.rec), "REPLBATT");
}

static void
test_primary_sequence(void **state)
{
	struct fixture f;

	setup(&f, 1, true);
	f.s.hostsync = 10;
	f.s.finaldelay = 3;
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OL", NULL, NULL);
	mon_poll_ok(&f.m, 0, S(2), "OB", NULL, NULL);
	assert_false(mon_recalc(&f.m, S(2)));
	mon_poll_ok(&f.m, 0, S(3), "OB LB", NULL, NULL);
	assert_string_equal(take(&f.rec), "ONBATT,LOWBATT");
	/* primary: OB+LB is critical at once */
	assert_true(mon_is_critical(&f.m, 0, S(3)));
	assert_true(mon_recalc(&f.m, S(3)));
	assert_int_equal(f.m.sd, MON_SD_FSD);
	assert_false(mon_recalc(&f.m, S(3))); /* begins once */
	mon_fsd_sent(&f.m, S(3));
	assert_string_equal(take(&f.rec), "FSD");
	assert_int_equal(f.m.sd, MON_SD_SYNC);
	mon_sync_logins(&f.m, S(4), 2);
	assert_string_equal(take(&f.rec), "SHUTDOWN_HOSTSYNC");
	mon_sync_logins(&f.m, S(5), 3);
	assert_string_equal(take(&f.rec), "");
	mon_sync_logins(&f.m, S(6), 1); /* the secondary logged out */
	assert_string_equal(take(&f.rec), "SHUTDOWN");
	assert_int_equal(f.m.sd, MON_SD_FINAL);
	assert_false(mon_final_due(&f.m, S(8)));
	assert_true(mon_final_due(&f.m, S(9)));
	assert_int_equal(f.m.sd, MON_SD_DONE);
	/* Our own FSD seen in a later poll is not announced twice. */
	mon_poll_ok(&f.m, 0, S(10), "FSD OB LB", NULL, NULL);
	assert_string_equal(take(&f.rec), "");
}

static void
test_hostsync_expires(void **state)
{
	struct fixture f;

	setup(&f, 1, true);
	f.s.hostsync = 5;
	f.s.finaldelay = 0;
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OB LB", NULL, NULL);
	assert_true(mon_recalc(&f.m, S(1)));
	mon_fsd_sent(&f.m, S(1));
	mon_sync_logins(&f.m, S(3), 2);
	mon_sync_logins(&f.m, S(6), 2);
	assert_int_equal(f.m.sd, MON_SD_SYNC);
	mon_sync_logins(&f.m, S(7), 2); /* > HOSTSYNC: give up waiting */
	assert_int_equal(f.m.sd, MON_SD_FINAL);
	assert_true(mon_final_due(&f.m, S(7)));
	/* NUMLOGINS unreadable (-1) does not hold up the shutdown */
	setup(&f, 1, true);
	start(&f, 1);
	mon_shutdown_begin(&f.m, 0);
	mon_fsd_sent(&f.m, 0);
	mon_sync_logins(&f.m, S(1), -1);
	assert_int_equal(f.m.sd, MON_SD_FINAL);
}

static void
test_secondary(void **state)
{
	struct fixture f;

	setup(&f, 1, false);
	f.s.hostsync = 10;
	f.s.finaldelay = 2;
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OL", NULL, NULL);
	mon_poll_ok(&f.m, 0, S(2), "OB LB", NULL, NULL);
	/* a secondary waits HOSTSYNC for the primary's FSD */
	assert_false(mon_recalc(&f.m, S(2)));
	mon_poll_ok(&f.m, 0, S(8), "OB LB", NULL, NULL);
	assert_false(mon_recalc(&f.m, S(8)));
	mon_poll_ok(&f.m, 0, S(9), "OL", NULL, NULL); /* a brief OB LB blip */
	assert_false(mon_recalc(&f.m, S(9)));
	mon_poll_ok(&f.m, 0, S(10), "OB LB", NULL, NULL);
	assert_false(mon_recalc(&f.m, S(19)));
	assert_true(mon_recalc(&f.m, S(20))); /* 11 s without FSD: give up */
	take(&f.rec);
	mon_fsd_sent(&f.m, S(20));
	assert_string_equal(take(&f.rec), "SHUTDOWN"); /* not primary: no sync */

	/* FSD from the primary: critical at once */
	setup(&f, 1, false);
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OB", NULL, NULL);
	mon_poll_ok(&f.m, 0, S(2), "FSD OB", NULL, NULL);
	assert_string_equal(take(&f.rec), "ONBATT,FSD");
	assert_true(mon_recalc(&f.m, S(2)));
	mon_fsd_sent(&f.m, S(2));
	assert_string_equal(take(&f.rec), "SHUTDOWN");
	assert_true(mon_final_due(&f.m, S(7)));
}

static void
test_deadtime(void **state)
{
	struct fixture f;

	setup(&f, 1, true);
	f.s.deadtime = 15;
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OB", NULL, NULL);
	mon_poll_failed(&f.m, 0, S(2));
	assert_false(mon_recalc(&f.m, S(10)));
	assert_false(mon_recalc(&f.m, S(16)));
	assert_true(mon_recalc(&f.m, S(17))); /* > DEADTIME silent while OB */
	assert_true(f.ups[0].flags & MF_LB);

	/* silent while OL: no promotion, no shutdown */
	setup(&f, 1, true);
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OL", NULL, NULL);
	mon_poll_failed(&f.m, 0, S(2));
	assert_false(mon_recalc(&f.m, S(100)));
}

static void
test_minsupplies(void **state)
{
	struct fixture f;

	/* two supplies needed, one fails */
	setup(&f, 2, true);
	f.s.minsupplies = 2;
	start(&f, 2);
	mon_poll_ok(&f.m, 0, S(1), "OL", NULL, NULL);
	mon_poll_ok(&f.m, 1, S(1), "OB LB", NULL, NULL);
	assert_true(mon_recalc(&f.m, S(1)));

	/* one of two is enough */
	setup(&f, 2, true);
	f.s.minsupplies = 1;
	start(&f, 2);
	mon_poll_ok(&f.m, 0, S(1), "OL", NULL, NULL);
	mon_poll_ok(&f.m, 1, S(1), "OB LB", NULL, NULL);
	assert_false(mon_recalc(&f.m, S(1)));
	mon_poll_ok(&f.m, 0, S(2), "OB LB", NULL, NULL);
	assert_true(mon_recalc(&f.m, S(2)));

	/* power values: a UPS worth 2 carries a MINSUPPLIES 2 host alone */
	setup(&f, 2, true);
	f.s.minsupplies = 2;
	f.ups[0].pv = 2;
	f.ups[1].pv = 0; /* monitoring only */
	start(&f, 2);
	assert_int_equal(mon_total_pv(&f.m), 2);
	mon_poll_ok(&f.m, 0, S(1), "OL", NULL, NULL);
	mon_poll_ok(&f.m, 1, S(1), "FSD OB LB", NULL, NULL);
	assert_false(mon_recalc(&f.m, S(1)));
	mon_poll_ok(&f.m, 0, S(2), "OB LB", NULL, NULL);
	assert_true(mon_recalc(&f.m, S(2)));

	/* MINSUPPLIES 0: monitoring only, never shuts down */
	setup(&f, 1, true);
	f.s.minsupplies = 0;
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "FSD OB LB", NULL, NULL);
	assert_false(mon_recalc(&f.m, S(1)));
}

static void
test_off_duration(void **state)
{
	struct fixture f;

	setup(&f, 1, true);
	f.s.offduration = 30;
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OFF", NULL, NULL);
	assert_string_equal(take(&f.rec), "OFF");
	assert_false(mon_recalc(&f.m, S(30)));
	mon_poll_ok(&f.m, 0, S(31), "OFF", NULL, NULL);
	assert_true(mon_recalc(&f.m, S(31)));

	setup(&f, 1, true);
	f.s.offduration = -1; /* disabled */
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OFF", NULL, NULL);
	assert_false(mon_recalc(&f.m, S(1000)));
	mon_poll_failed(&f.m, 0, S(1001));
	assert_false(mon_recalc(&f.m, S(1001)));

	setup(&f, 1, true);
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OFF", NULL, NULL);
	mon_poll_ok(&f.m, 0, S(2), "OL", NULL, NULL);
	assert_string_equal(take(&f.rec), "OFF,NOTOFF");
	assert_false(mon_recalc(&f.m, S(100)));
}

static void
test_cal_and_lost(void **state)
{
	struct fixture f;

	/* OB LB during calibration is not critical */
	setup(&f, 1, true);
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OB LB CAL", NULL, NULL);
	assert_false(mon_recalc(&f.m, S(1)));
	/* but losing comms while in CAL is */
	mon_poll_failed(&f.m, 0, S(2));
	assert_true(mon_recalc(&f.m, S(2)));

	static const char *const lost_critical[] = {"OL BYPASS", "OL ALARM"};
	for (size_t i = 0; i < 2; i++) {
		setup(&f, 1, true);
		start(&f, 1);
		mon_poll_ok(&f.m, 0, S(1), lost_critical[i], "Fan failure", NULL);
		assert_false(mon_recalc(&f.m, S(1)));
		mon_poll_failed(&f.m, 0, S(2));
		assert_true(mon_recalc(&f.m, S(2)));
	}
	setup(&f, 1, true);
	f.s.alarmcritical = false;
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OL ALARM", "x", NULL);
	mon_poll_failed(&f.m, 0, S(2));
	assert_false(mon_recalc(&f.m, S(2)));
	/* OFF + lost with OFFDURATION >= 0 */
	setup(&f, 1, true);
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OFF", NULL, NULL);
	mon_poll_failed(&f.m, 0, S(2));
	assert_true(mon_recalc(&f.m, S(2)));
}

static void
test_over_duration(void **state)
{
	struct fixture f;

	setup(&f, 1, true);
	start(&f, 1); /* default -1: never */
	mon_poll_ok(&f.m, 0, S(1), "OL OVER", NULL, NULL);
	mon_poll_failed(&f.m, 0, S(2));
	assert_false(mon_recalc(&f.m, S(100)));

	setup(&f, 1, true);
	f.s.overduration = 10;
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OL OVER", NULL, NULL);
	assert_false(mon_recalc(&f.m, S(20))); /* communicating: not critical */
	mon_poll_failed(&f.m, 0, S(21));
	assert_true(mon_recalc(&f.m, S(21)));

	setup(&f, 1, true);
	f.s.overduration = 10;
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OL OVER", NULL, NULL);
	mon_poll_failed(&f.m, 0, S(2));
	assert_false(mon_recalc(&f.m, S(11)));
	assert_true(mon_recalc(&f.m, S(12)));
}

static void
test_oblb_duration(void **state)
{
	struct fixture f;

	setup(&f, 1, true);
	f.s.oblbduration = 5;
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OB LB", NULL, NULL);
	assert_false(mon_recalc(&f.m, S(1)));
	mon_poll_ok(&f.m, 0, S(5), "OB LB", NULL, NULL);
	assert_false(mon_recalc(&f.m, S(5)));
	mon_poll_ok(&f.m, 0, S(6), "OB LB", NULL, NULL);
	assert_true(mon_recalc(&f.m, S(6)));
}

static void
test_state_edges(void **state)
{
	struct fixture f;

	setup(&f, 1, true);
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OL TRIM", NULL, NULL);
	assert_string_equal(take(&f.rec), "TRIM");
	mon_poll_ok(&f.m, 0, S(2), "OL BOOST", NULL, NULL);
	assert_string_equal(take(&f.rec), "NOTTRIM,BOOST");
	mon_poll_ok(&f.m, 0, S(3), "OL BYPASS CAL", NULL, NULL);
	assert_string_equal(take(&f.rec), "CAL,BYPASS,NOTBOOST");
	/* order in the table: CAL, OFF, BYPASS, ECO, OVER, TRIM, BOOST */
	mon_poll_ok(&f.m, 0, S(4), "OL OVER", NULL, "ECO");
	assert_string_equal(take(&f.rec), "NOTCAL,NOTBYPASS,ECO,OVER");
	mon_poll_ok(&f.m, 0, S(5), "OL ALARM", "[Fan]", NULL);
	assert_string_equal(take(&f.rec), "NOTECO,NOTOVER,ALARM");
	assert_string_equal(f.rec.detail[0], "");
	mon_poll_ok(&f.m, 0, S(6), "OL ALARM", "[Fan]", NULL);
	assert_string_equal(take(&f.rec), "");
	mon_poll_ok(&f.m, 0, S(7), "OL ALARM", "[Fan] [Heat]", NULL);
	assert_int_equal(f.rec.n, 1);
	assert_string_equal(f.rec.detail[0], "[Fan] [Heat]");
	assert_string_equal(take(&f.rec), "ALARM");
	mon_poll_ok(&f.m, 0, S(8), "OL WEIRD", NULL, NULL);
	assert_string_equal(f.rec.detail[1], "WEIRD");
	assert_string_equal(take(&f.rec), "NOTALARM,OTHER");
	mon_poll_ok(&f.m, 0, S(9), "OL WEIRD ODD HB CHRG", NULL, NULL);
	assert_string_equal(f.rec.detail[0], "WEIRD ODD");
	assert_string_equal(take(&f.rec), "OTHER");
	mon_poll_ok(&f.m, 0, S(10), "OL", NULL, NULL);
	assert_string_equal(take(&f.rec), "NOTOTHER");
}

static void
test_parse_status(void **state)
{
	char other[16];
	unsigned fl = mon_parse_status("  OL\tLB   FSD  X1 X2 X3 X4 X5 X6 ", NULL, other, sizeof(other));
	assert_int_equal(fl, MF_OL | MF_LB | MF_FSD | MF_OTHER);
	assert_true(strlen(other) < sizeof(other)); /* bounded */
	assert_string_equal(other, "X1 X2 X3 X4 X5");
	assert_int_equal(mon_parse_status("", "", other, sizeof(other)), 0);
	assert_int_equal(mon_parse_status("ol ob", NULL, other, sizeof(other)), MF_OTHER);
}

static void
test_userfsd(void **state)
{
	struct fixture f;

	setup(&f, 1, true);
	start(&f, 1);
	mon_poll_ok(&f.m, 0, S(1), "OL", NULL, NULL);
	assert_false(mon_recalc(&f.m, S(1)));
	mon_request_fsd(&f.m);
	assert_true(mon_recalc(&f.m, S(2)));
}

static void
test_events(void **state)
{
	char buf[64];

	assert_int_equal(UPSMON_N_COUNT, 31);
	for (unsigned i = 0; i < UPSMON_N_COUNT; i++) {
		assert_non_null(upsmon_notify_name(i));
			assert_int_equal(upsmon_notify_from_name(upsmon_notify_name(i)), (int)i);
	}
	assert_null(upsmon_notify_name(UPSMON_N_COUNT));
	assert_int_equal(upsmon_notify_from_name("onbatt"), -1);

	event_format(buf, sizeof(buf), "UPS %s: [%s] %d%% %n %s", "u@h", "fan");
	assert_string_equal(buf, "UPS u@h: [fan] %d% %n ");
	event_format(buf, 8, "UPS %s on battery", "abcdefgh", NULL);
	assert_string_equal(buf, "UPS abc");
	event_format(buf, sizeof(buf), "trailing %", "x", NULL);
	assert_string_equal(buf, "trailing %");
}

int
main(void)
{
	log_init("test");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_online_edges),
		cmocka_unit_test(test_comm_edges),
		cmocka_unit_test(test_replbatt_repeats),
		cmocka_unit_test(test_primary_sequence),
		cmocka_unit_test(test_hostsync_expires),
		cmocka_unit_test(test_secondary),
		cmocka_unit_test(test_deadtime),
		cmocka_unit_test(test_minsupplies),
		cmocka_unit_test(test_off_duration),
		cmocka_unit_test(test_cal_and_lost),
		cmocka_unit_test(test_over_duration),
		cmocka_unit_test(test_oblb_duration),
		cmocka_unit_test(test_state_edges),
		cmocka_unit_test(test_parse_status),
		cmocka_unit_test(test_userfsd),
		cmocka_unit_test(test_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

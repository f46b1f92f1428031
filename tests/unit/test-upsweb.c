/*
 * Unit tests of upsweb's pure parts: upsweb.conf, the model (status words,
 * history ring, bounds) and the renderers (escaping, JSON, metrics).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "model.h"
#include "render.h"
#include "webconf.h"

/* ---- helpers ---- */

static char *
drain(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	char *s = malloc(n + 1);
	assert_non_null(s);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	return s;
}

static int
parse(const char *text, struct webconf *c, char *errbuf, size_t size)
{
	FILE *errs = fmemopen(errbuf, size, "w");
	assert_non_null(errs);
	int r = webconf_parse("t.conf", text, strlen(text), c, errs);
	fclose(errs);
	return r;
}

/* ---- webconf ---- */

static void
conf_defaults(void **state)
{
	struct webconf c;
	char err[512] = "";

	assert_int_equal(parse("", &c, err, sizeof(err)), 0);
	assert_int_equal(c.nlisten, 1);
	assert_string_equal(c.listen[0].addr, "127.0.0.1");
	assert_int_equal(c.listen[0].port, 8008);
	assert_false(c.allow_commands);
	assert_false(c.allow_writes);
	assert_int_equal(c.pollfreq, 5);
	(void)state;
}

static void
conf_values_and_errors(void **state)
{
	struct webconf c;
	char err[2048] = "";

	assert_int_equal(parse("LISTEN 127.0.0.1 9000\nLISTEN ::1\n# comment\nPOLLFREQ 2\n"
	                       "ALLOW_WRITES yes\nLOGIN_RATE 3 30\nCERTFILE \"/a b/c.pem\"\n"
	                       "KEYFILE /k.pem\n",
	                       &c, err, sizeof(err)),
	                 0);
	assert_int_equal(c.nlisten, 2);
	assert_int_equal(c.listen[0].port, 9000);
	assert_string_equal(c.listen[1].addr, "::1");
	assert_int_equal(c.listen[1].port, 8008);
	assert_true(c.allow_writes);
	assert_int_equal(c.login_rate_count, 3);
	assert_int_equal(c.login_rate_window, 30);
	assert_string_equal(c.certfile, "/a b/c.pem");

	memset(err, 0, sizeof(err));
	assert_int_equal(parse("POLLFREQ 0\nBOGUS 1\nLISTEN 127.0.0.1 70000\nALLOW_WRITES maybe\n",
	                       &c, err, sizeof(err)),
	                 -EINVAL);
	assert_non_null(strstr(err, "t.conf:1: POLLFREQ"));
	assert_non_null(strstr(err, "t.conf:2: unknown directive BOGUS"));
	assert_non_null(strstr(err, "t.conf:3: LISTEN"));
	assert_non_null(strstr(err, "t.conf:4: ALLOW_WRITES"));

	memset(err, 0, sizeof(err));
	assert_int_equal(parse("LISTEN 0.0.0.0 80\n", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not loopback"));
	assert_int_equal(
	    parse("LISTEN 0.0.0.0 80\nALLOW_PLAINTEXT_REMOTE yes\n", &c, err, sizeof(err)), 0);
	memset(err, 0, sizeof(err));
	assert_int_equal(parse("CERTFILE /x\n", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "go together"));
	memset(err, 0, sizeof(err));
	assert_int_equal(parse("ALLOW_WRITES \"yes\n", &c, err, sizeof(err)), -EINVAL);
	(void)state;
}

static void
conf_listen_bound(void **state)
{
	struct webconf c;
	char text[2048] = "", err[1024] = "";

	for (int i = 0; i <= WEBCONF_MAX_LISTEN; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "LISTEN 127.0.0.%d\n",
		         i + 1);
	assert_int_equal(parse(text, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too many LISTEN"));
	(void)state;
}

static void
conf_print_roundtrip(void **state)
{
	struct webconf a, b;
	char err[512] = "", out1[4096] = "", out2[4096] = "";

	assert_int_equal(parse("LISTEN 127.0.0.1 81\nLISTEN ::1 82\nALLOW_COMMANDS on\n"
	                       "UPSD_CAFILE \"/etc/my ca.pem\"\nSESSION_TIMEOUT 120\n",
	                       &a, err, sizeof(err)),
	                 0);
	FILE *f = fmemopen(out1, sizeof(out1), "w");
	webconf_print(&a, f);
	fclose(f);
	assert_int_equal(parse(out1, &b, err, sizeof(err)), 0);
	f = fmemopen(out2, sizeof(out2), "w");
	webconf_print(&b, f);
	fclose(f);
	assert_string_equal(out1, out2);
	assert_non_null(strstr(out1, "UPSD_CAFILE \"/etc/my ca.pem\""));
	(void)state;
}

/* ---- model ---- */

static void
model_status(void **state)
{
	char buf[256];

	assert_string_equal(model_status_words("OL CHRG", buf, sizeof(buf)), "On line, Charging");
	assert_string_equal(model_status_words("  OB  LB XYZ", buf, sizeof(buf)),
	                    "On battery, Low battery, XYZ");
	assert_string_equal(model_status_words("", buf, sizeof(buf)), "");
	/* Truncation never overruns and ends on a whole word. */
	assert_string_equal(model_status_words("OL CHRG", buf, 10), "On line");
	assert_null(model_flag_words("NOPE"));

	struct model_ups u = {.reachable = true};
	strcpy(u.status, "OL");
	assert_int_equal(model_severity(&u), MODEL_SEV_OK);
	strcpy(u.status, "OL RB");
	assert_int_equal(model_severity(&u), MODEL_SEV_WARN);
	strcpy(u.status, "OB LB");
	assert_int_equal(model_severity(&u), MODEL_SEV_CRIT);
	strcpy(u.status, "FSD OL");
	assert_int_equal(model_severity(&u), MODEL_SEV_CRIT);
	strcpy(u.status, "WAIT");
	assert_int_equal(model_severity(&u), MODEL_SEV_UNKNOWN);
	strcpy(u.status, "OL");
	u.reachable = false;
	assert_int_equal(model_severity(&u), MODEL_SEV_UNKNOWN);
	(void)state;
}

static void
fill(struct model_snap *s, const char *status, const char *charge)
{
	assert_int_equal(model_snap_add_var(s, "ups.status", status, NULL, NULL), 0);
	if (charge)
		assert_int_equal(model_snap_add_var(s, "battery.charge", charge,
		                                    "Battery charge (percent of full)", "NUMBER"),
		                 0);
	model_snap_sort(s);
}

static void
model_history_and_changes(void **state)
{
	struct model m;
	struct model_snap s = {0};

	assert_int_equal(model_init(&m, 50, 10, 5), 0); /* 5 samples */
	assert_int_equal(model_add(&m, "ups", "localhost", 3493, "d"), 0);
	assert_int_equal(model_add(&m, "ups", "localhost", 3493, "again"), -EINVAL);
	assert_int_equal(model_add(&m, "ups", "other", 3493, ""), 1);
	assert_int_equal(m.ups[0].hist.cap, 5);
	for (int t = 0; t < 100; t += 5) {
		fill(&s, t < 50 ? "OL" : "OB", t % 20 ? "90" : "x");
		model_update(&m, 0, &s, 1000 + t);
	}
	const struct model_hist *h = &m.ups[0].hist;
	assert_int_equal(h->len, 5);
	/* One sample per 10 s step, oldest first, ring wrapped. */
	for (size_t i = 0; i < h->len; i++)
		assert_int_equal(model_hist_at(h, i)->t, 1000 + 50 + 10 * (int64_t)i);
	assert_true(isnan(model_hist_at(h, 1)->v[MODEL_S_CHARGE]) ||
	            isnan(model_hist_at(h, 0)->v[MODEL_S_CHARGE]));
	assert_true(isnan(model_hist_at(h, 0)->v[MODEL_S_LOAD]));
	assert_int_equal(m.ups[0].status_since, 1050);
	assert_string_equal(m.ups[0].status, "OB");

	model_fail(&m, 0, "connection refused", 2000);
	assert_false(m.ups[0].reachable);
	assert_int_equal(m.ups[0].status_since, 2000);
	assert_string_equal(model_snap_get(&m.ups[0].snap, "ups.status"), "OB");

	/* Lookup by id, by unique name, ambiguous name. */
	assert_ptr_equal(model_find(&m, "ups@localhost:3493"), &m.ups[0]);
	assert_ptr_equal(model_find(&m, "UPS@LOCALHOST:3493"), &m.ups[0]);
	assert_null(model_find(&m, "ups"));
	assert_null(model_find(&m, "nosuch"));
	model_deinit(&m);
	(void)state;
}

static void
model_bounds(void **state)
{
	struct model_snap s = {0};
	char name[32];

	for (int i = 0; i < MODEL_MAX_VARS; i++) {
		snprintf(name, sizeof(name), "v.%d", i);
		assert_int_equal(model_snap_add_var(&s, name, "1", NULL, NULL), 0);
	}
	assert_int_equal(model_snap_add_var(&s, "one.more", "1", NULL, NULL), -ENOSPC);
	for (int i = 0; i < MODEL_MAX_CMDS; i++)
		assert_int_equal(model_snap_add_cmd(&s, "c", NULL), 0);
	assert_int_equal(model_snap_add_cmd(&s, "c", NULL), -ENOSPC);
	model_snap_free(&s);

	char big[4 * MODEL_VALUE_MAX];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(model_snap_add_var(&s, big, big, big, big), 0);
	assert_true(strlen(s.vars[0].name) < MODEL_NAME_MAX);
	assert_true(strlen(s.vars[0].value) < MODEL_VALUE_MAX);
	model_snap_free(&s);

	struct model m;
	assert_int_equal(model_init(&m, 3600, 1, 1), 0);
	for (int i = 0; i < MODEL_MAX_UPS; i++) {
		snprintf(name, sizeof(name), "u%d", i);
		assert_int_equal(model_add(&m, name, "h", 1, NULL), i);
	}
	assert_int_equal(model_add(&m, "x", "h", 1, NULL), -ENOSPC);
	model_deinit(&m);
	(void)state;
}

/* ---- render ---- */

static void
render_escapes(void **state)
{
	struct evbuffer *b = evbuffer_new();
	char *s;

	render_html_escape(b, "<script>alert('x')</script> & \"q\"");
	s = drain(b);
	assert_string_equal(s,
	                    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
	free(s);
	render_json_string(b, "a\"b\\c\n\x01</script>\x7f");
	s = drain(b);
	assert_string_equal(s, "\"a\\\"b\\\\c\\u000a\\u0001\\u003c/script\\u003e\\u007f\"");
	free(s);
	evbuffer_free(b);

	char name[256];
	assert_true(render_metric_name(name, sizeof(name), "ups.load") > 0);
	assert_string_equal(name, "network_ups_tools_ups_load");
	render_metric_name(name, sizeof(name), "Outlet.1-Status x{y}");
	assert_string_equal(name, "network_ups_tools_outlet_1_status_x_y_");
	assert_int_equal(render_metric_name(name, 20, "battery.charge"), -ENAMETOOLONG);
	(void)state;
}

static struct model *
fake_model(void)
{
	static struct model m;
	struct model_snap s = {0};

	assert_int_equal(model_init(&m, 600, 10, 5), 0);
	assert_int_equal(model_add(&m, "a\"b", "localhost", 3493, "<b>desc</b>"), 0);
	assert_int_equal(model_add(&m, "down", "localhost", 3494, NULL), 1);
	model_snap_add_var(&s, "ups.status", "OL TRIM ODD", NULL, NULL);
	model_snap_add_var(&s, "battery.charge", "95", "Battery charge\nnewline", "NUMBER");
	model_snap_add_var(&s, "ups.load", "12.5", NULL, NULL);
	model_snap_add_var(&s, "ups-load", "13", NULL, NULL); /* same metric name */
	model_snap_add_var(&s, "device.model", "<M\"x>", NULL, NULL);
	model_snap_add_var(&s, "device.count", "1", NULL, NULL);
	model_snap_add_var(&s, "ups.beeper.status", "disabled", NULL, NULL);
	model_snap_add_var(&s, "ups.id", "not a number", NULL, NULL);
	model_snap_add_var(&s, "device.info", "7", NULL, NULL); /* collides with device_info */
	model_snap_add_cmd(&s, "test.battery.start", "<i>Start</i>");
	model_snap_sort(&s);
	model_update(&m, 0, &s, 1700000000);
	model_fail(&m, 1, "Connection refused", 1700000000);
	return &m;
}

static void
render_metrics_text(void **state)
{
	struct model *m = fake_model();
	struct render_ctx c = {.now = 1700000000};
	struct evbuffer *b = evbuffer_new();

	assert_int_equal(render_metrics(b, m, &c), 0);
	char *t = drain(b);
	assert_non_null(strstr(t, "network_ups_tools_battery_charge{ups=\"a\\\"b\",server="
	                          "\"localhost:3493\"} 95\n"));
	assert_non_null(strstr(t, "# HELP network_ups_tools_battery_charge Battery charge\\n"
	                          "newline (battery.charge)\n"));
	assert_non_null(strstr(t, "network_ups_tools_ups_load{ups=\"a\\\"b\",server="
	                          "\"localhost:3493\"} 12.5\n"));
	assert_null(strstr(t, "} 13\n"));
	assert_non_null(strstr(t, "network_ups_tools_ups_beeper_status{"));
	assert_non_null(strstr(t, "network_ups_tools_device_count_value{"));
	assert_null(strstr(t, "network_ups_tools_ups_id"));
	assert_non_null(strstr(t, "network_ups_tools_ups_status{flag=\"TRIM\",ups=\"a\\\"b\""));
	assert_non_null(strstr(t, "network_ups_tools_ups_status{flag=\"ODD\",ups=\"a\\\"b\""));
	assert_non_null(strstr(t, "network_ups_tools_ups_status{flag=\"SD\",ups=\"a\\\"b\","
	                          "server=\"localhost:3493\"} 0\n"));
	assert_non_null(strstr(t, "model=\"<M\\\"x>\""));
	/* One TYPE line per family; the unreachable UPS exports only up=0. */
	const char *p = strstr(t, "# TYPE network_ups_tools_ups_status gauge");
	assert_non_null(p);
	assert_null(strstr(p + 1, "# TYPE network_ups_tools_ups_status gauge"));
	assert_null(strstr(t, "# TYPE network_ups_tools_device_info gauge\n# TYPE"));
	assert_non_null(strstr(t, "upsweb_ups_up{ups=\"down\",server=\"localhost:3494\"} 0\n"));
	assert_null(strstr(t, "network_ups_tools_battery_charge{ups=\"down\""));
	free(t);
	evbuffer_free(b);
	model_deinit(m);
	(void)state;
}

static void
render_pages_escape(void **state)
{
	struct model *m = fake_model();
	struct render_ctx c = {.now = 1700000000};
	struct evbuffer *b = evbuffer_new();

	render_overview_html(b, m, &c);
	render_ups_html(b, m, &m->ups[0], &c);
	char *t = drain(b);
	assert_null(strstr(t, "<b>desc"));
	assert_non_null(strstr(t, "&lt;b&gt;desc&lt;/b&gt;"));
	assert_null(strstr(t, "<i>Start"));
	assert_null(strstr(t, "style="));
	assert_non_null(strstr(t, "On line, Trimming voltage, ODD"));
	assert_non_null(strstr(t, "Unreachable: Connection refused"));
	assert_non_null(strstr(t, "href=\"/ups/a%22b@localhost:3493\""));
	assert_null(strstr(t, "<form")); /* read-only context */
	free(t);

	render_list_json(b, m, &c);
	t = drain(b);
	assert_non_null(strstr(t, "\"name\":\"a\\\"b\""));
	assert_non_null(strstr(t, "\"flags\":[\"OL\",\"TRIM\",\"ODD\"]"));
	assert_non_null(strstr(t, "\"battery.charge\":95"));
	assert_non_null(strstr(t, "\"error\":\"Connection refused\""));
	free(t);

	render_ups_json(b, m, &m->ups[0], &c);
	t = drain(b);
	assert_non_null(strstr(t, "\"desc\":\"\\u003ci\\u003eStart\\u003c/i\\u003e\""));
	assert_non_null(strstr(t, "\"actions\":{\"commands\":false,\"writes\":false}"));
	free(t);

	render_history_json(b, m, &m->ups[0], 0);
	t = drain(b);
	assert_non_null(strstr(t, "\"points\":[[1700000000,95,12.5,null,null]]"));
	free(t);
	render_history_json(b, m, &m->ups[0], 1700000000);
	t = drain(b);
	assert_non_null(strstr(t, "\"points\":[]"));
	free(t);

	/* Signed in with writes: forms carry the CSRF token. */
	c.allow_writes = true;
	c.allow_commands = true;
	c.user = "admin";
	c.csrf = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	render_ups_html(b, m, &m->ups[0], &c);
	t = drain(b);
	assert_non_null(strstr(t, "name=\"csrf\" value=\"0123456789abcdef"));
	assert_non_null(strstr(t, "action=\"/ups/a%22b@localhost:3493/command\""));
	free(t);
	evbuffer_free(b);
	model_deinit(m);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(conf_defaults),       cmocka_unit_test(conf_values_and_errors),
	    cmocka_unit_test(conf_listen_bound),   cmocka_unit_test(conf_print_roundtrip),
	    cmocka_unit_test(model_status),        cmocka_unit_test(model_history_and_changes),
	    cmocka_unit_test(model_bounds),        cmocka_unit_test(render_escapes),
	    cmocka_unit_test(render_metrics_text), cmocka_unit_test(render_pages_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

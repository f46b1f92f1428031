/*
 * Unit tests of the state tree and the driver socket protocol.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sock/sockproto.h"
#include "sock/state.h"
#include "tokenizer.h"

/* Collects dump lines into one string. */
struct sink {
	char buf[65536];
	size_t len;
};

static int
collect(void *ctx, const char *line, size_t len)
{
	struct sink *s = ctx;

	if (s->len + len >= sizeof(s->buf))
		return -ENOSPC;
	memcpy(s->buf + s->len, line, len);
	s->len += len;
	s->buf[s->len] = '\0';
	return 0;
}

/* Tokenize one line (without newline) into t->line. */
static const struct tok_line *
tokenize(struct tokenizer *t, const char *text)
{
	char buf[8192];
	int r = TOK_MORE;
	size_t n = (size_t)snprintf(buf, sizeof(buf), "%s\n", text);

	tok_init(t);
	(void)tok_feed(t, buf, n, &r);
	assert_int_equal(r, TOK_LINE);
	return &t->line;
}

/* Parse a driver line and apply it; returns sp_apply's result. */
static int
feed(struct st_tree *tree, const char *text)
{
	struct tokenizer t;
	struct sp_msg m;
	int r;

	r = sp_parse_driver(tokenize(&t, text), &m);
	if (r == 0)
		r = sp_apply(tree, &m);
	tok_free(&t);
	return r;
}

static void
test_dump_order(void **state)
{
	struct st_tree t;
	struct sink s = {.len = 0};

	st_init(&t);
	/* Inserted out of order and in mixed case: the dump is sorted
	 * case-insensitively, per variable SETINFO, ADDENUM*, ADDRANGE*,
	 * SETAUX, SETFLAGS, then the commands, DATAOK, DUMPDONE. */
	assert_int_equal(feed(&t, "SETINFO ups.status OL"), 1);
	assert_int_equal(feed(&t, "SETINFO Battery.Charge 90"), 1);
	assert_int_equal(feed(&t, "SETFLAGS Battery.Charge RW"), 1);
	assert_int_equal(feed(&t, "SETINFO input.sensitivity H"), 1);
	assert_int_equal(feed(&t, "ADDENUM input.sensitivity H"), 1);
	assert_int_equal(feed(&t, "ADDENUM input.sensitivity L"), 1);
	assert_int_equal(feed(&t, "ADDRANGE input.sensitivity 1 5"), 1);
	assert_int_equal(feed(&t, "SETFLAGS input.sensitivity RW STRING"), 1);
	assert_int_equal(feed(&t, "SETAUX input.sensitivity 8"), 1);
	assert_int_equal(feed(&t, "ADDCMD test.battery.start"), 1);
	assert_int_equal(feed(&t, "ADDCMD Beeper.Enable"), 1);
	assert_int_equal(sp_dump(&t, collect, &s), 0);
	assert_string_equal(s.buf, "SETINFO Battery.Charge \"90\"\n"
	                           "SETFLAGS Battery.Charge RW\n"
	                           "SETINFO input.sensitivity \"H\"\n"
	                           "ADDENUM input.sensitivity \"H\"\n"
	                           "ADDENUM input.sensitivity \"L\"\n"
	                           "ADDRANGE input.sensitivity 1 5\n"
	                           "SETAUX input.sensitivity 8\n"
	                           "SETFLAGS input.sensitivity RW STRING\n"
	                           "SETINFO ups.status \"OL\"\n"
	                           "ADDCMD Beeper.Enable\n"
	                           "ADDCMD test.battery.start\n"
	                           "DATAOK\n"
	                           "DUMPDONE\n");
	/* Stale: DATASTALE first, no DATAOK. */
	assert_int_equal(feed(&t, "DATASTALE"), 1);
	assert_int_equal(feed(&t, "DATASTALE"), 0);
	s.len = 0;
	assert_int_equal(sp_dump(&t, collect, &s), 0);
	assert_true(strncmp(s.buf, "DATASTALE\n", 10) == 0);
	assert_null(strstr(s.buf, "DATAOK"));
	assert_int_equal(feed(&t, "DATAOK"), 1);
	assert_false(t.stale);
	st_clear(&t);
}

static void
test_case_insensitive(void **state)
{
	struct st_tree t;

	st_init(&t);
	assert_int_equal(st_set(&t, "ups.Status", "OL"), 1);
	assert_int_equal(st_set(&t, "UPS.STATUS", "OL"), 0);
	assert_int_equal(st_set(&t, "ups.status", "OB"), 1);
	assert_int_equal(st_nvars(&t), 1);
	assert_string_equal(st_value(&t, "uPs.sTaTuS"), "OB");
	/* The first spelling is kept. */
	assert_string_equal(st_var_at(&t, 0)->name, "ups.Status");
	assert_int_equal(st_add_cmd(&t, "Load.Off"), 1);
	assert_int_equal(st_add_cmd(&t, "load.off"), 0);
	assert_true(st_has_cmd(&t, "LOAD.OFF"));
	assert_int_equal(st_del_cmd(&t, "load.OFF"), 1);
	assert_false(st_has_cmd(&t, "load.off"));
	assert_int_equal(st_del(&t, "UPS.status"), 1);
	assert_int_equal(st_del(&t, "ups.status"), 0);
	assert_int_equal(st_nvars(&t), 0);
	st_clear(&t);
}

static void
test_sorted_many(void **state)
{
	struct st_tree t;
	char name[32];

	st_init(&t);
	/* Insert in a scrambled order, delete every third, check order. */
	for (int i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "%s.v%03d", (i % 2) ? "A" : "a", (i * 37) % 500);
		assert_true(st_set(&t, name, "x") >= 0);
	}
	assert_int_equal(st_nvars(&t), 500);
	for (int i = 0; i < 500; i += 3) {
		snprintf(name, sizeof(name), "a.v%03d", i);
		assert_int_equal(st_del(&t, name), 1);
	}
	for (size_t i = 1; i < st_nvars(&t); i++)
		assert_true(strcasecmp(st_var_at(&t, i - 1)->name, st_var_at(&t, i)->name) < 0);
	for (int i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "A.V%03d", i);
		if (i % 3 == 0)
			assert_null(st_get(&t, name));
		else
			assert_non_null(st_get(&t, name));
	}
	st_clear(&t);
}

static void
test_flags_aux(void **state)
{
	struct st_tree t;
	struct sink s = {.len = 0};
	const struct st_var *v;

	st_init(&t);
	assert_int_equal(feed(&t, "SETFLAGS nosuch RW"), -ENOENT);
	assert_int_equal(feed(&t, "SETINFO ups.id abc"), 1);
	/* unknown flag words are ignored, case of flag words too */
	assert_int_equal(feed(&t, "SETFLAGS ups.id rw BOGUS STRING"), 1);
	v = st_get(&t, "ups.id");
	assert_int_equal(v->flags, ST_F_RW | ST_F_STRING);
	assert_int_equal(feed(&t, "SETFLAGS ups.id RW STRING"), 0);
	assert_int_equal(feed(&t, "SETAUX ups.id 16"), 1);
	assert_int_equal(v->aux, 16);
	assert_int_equal(feed(&t, "SETAUX ups.id sixteen"), -EINVAL);
	assert_int_equal(feed(&t, "SETFLAGS ups.id NUMBER"), 1);
	assert_int_equal(v->flags, ST_F_NUMBER);
	assert_int_equal(feed(&t, "SETFLAGS ups.id"), 1);
	assert_int_equal(v->flags, 0);
	/* a flag-less, aux-less variable dumps as SETINFO only */
	assert_int_equal(feed(&t, "SETAUX ups.id 0"), 1);
	assert_int_equal(sp_dump(&t, collect, &s), 0);
	assert_string_equal(s.buf, "SETINFO ups.id \"abc\"\nDATAOK\nDUMPDONE\n");
	/* immutable values ignore updates unless forced, and keep the bit
	 * across a SETFLAGS from the wire */
	assert_int_equal(st_set_flags(&t, "ups.id", ST_F_IMMUTABLE | ST_F_RW), 1);
	assert_int_equal(st_set(&t, "ups.id", "zzz"), -EPERM);
	assert_int_equal(st_set_forced(&t, "ups.id", "zzz"), 1);
	assert_int_equal(feed(&t, "SETFLAGS ups.id STRING"), 1);
	assert_int_equal(v->flags, ST_F_IMMUTABLE | ST_F_STRING);
	st_clear(&t);
}

static void
test_enum_range(void **state)
{
	struct st_tree t;
	const struct st_var *v;

	st_init(&t);
	assert_int_equal(feed(&t, "ADDENUM x a"), -ENOENT);
	assert_int_equal(feed(&t, "SETINFO x 1"), 1);
	v = st_get(&t, "x");
	assert_true(st_enum_allows(v, "anything"));
	assert_true(st_range_allows(v, "anything"));
	assert_int_equal(feed(&t, "ADDENUM x \"a b\""), 1);
	assert_int_equal(feed(&t, "ADDENUM x \"a b\""), 0);
	assert_int_equal(feed(&t, "ADDENUM x c"), 1);
	assert_int_equal(v->nenums, 2);
	assert_true(st_enum_allows(v, "a b"));
	assert_false(st_enum_allows(v, "A B"));
	assert_int_equal(feed(&t, "DELENUM x \"a b\""), 1);
	assert_int_equal(feed(&t, "DELENUM x \"a b\""), 0);
	assert_int_equal(v->nenums, 1);
	assert_string_equal(v->enums[0], "c");
	assert_int_equal(feed(&t, "ADDRANGE x 10 20"), 1);
	assert_int_equal(feed(&t, "ADDRANGE x 10 20"), 0);
	assert_int_equal(feed(&t, "ADDRANGE x -5 -1"), 1);
	assert_int_equal(feed(&t, "ADDRANGE x 1"), -EINVAL);
	assert_int_equal(feed(&t, "ADDRANGE x 1 two"), -EINVAL);
	assert_true(st_range_allows(v, "15"));
	assert_true(st_range_allows(v, "-3"));
	assert_false(st_range_allows(v, "0"));
	assert_false(st_range_allows(v, "15.5"));
	assert_int_equal(feed(&t, "DELRANGE x 10 20"), 1);
	assert_false(st_range_allows(v, "15"));
	assert_int_equal(v->nranges, 1);
	/* bounds */
	for (int i = 0; i < ST_MAX_ENUMS + 5; i++) {
		char val[16];
		snprintf(val, sizeof(val), "e%d", i);
		int r = st_add_enum(&t, "x", val);
		assert_int_equal(r, i + 1 < ST_MAX_ENUMS ? 1 : -ENOSPC);
	}
	for (long i = 0; i < ST_MAX_RANGES + 5; i++) {
		int r = st_add_range(&t, "x", 100 + i, 200 + i);
		assert_int_equal(r, i + 1 < ST_MAX_RANGES ? 1 : -ENOSPC);
	}
	/* DELINFO frees the lot */
	assert_int_equal(feed(&t, "DELINFO x"), 1);
	assert_null(st_get(&t, "x"));
	st_clear(&t);
}

static void
test_bounds(void **state)
{
	struct st_tree t;
	char name[ST_MAX_NAME + 2];
	char value[ST_MAX_VALUE * 2];

	st_init(&t);
	memset(name, 'n', sizeof(name));
	name[ST_MAX_NAME] = '\0';
	assert_int_equal(st_set(&t, name, "ok"), 1);
	name[ST_MAX_NAME] = 'n';
	name[ST_MAX_NAME + 1] = '\0';
	assert_int_equal(st_set(&t, name, "too long"), -EINVAL);
	assert_int_equal(st_set(&t, "", "x"), -EINVAL);
	assert_int_equal(st_set(&t, "a b", "x"), -EINVAL);
	assert_int_equal(st_set(&t, "a#b", "x"), -EINVAL);
	assert_int_equal(st_set(&t, "a\"b", "x"), -EINVAL);
	assert_int_equal(st_add_cmd(&t, "bad cmd"), -EINVAL);
	/* values are cut at ST_MAX_VALUE - 1, like NUT */
	memset(value, 'v', sizeof(value));
	value[sizeof(value) - 1] = '\0';
	assert_int_equal(st_set(&t, "long", value), 1);
	assert_int_equal(strlen(st_value(&t, "long")), ST_MAX_VALUE - 1);
	assert_int_equal(st_set(&t, "long", value), 0);
	st_clear(&t);

	st_init(&t);
	for (int i = 0; i < ST_MAX_VARS + 3; i++) {
		snprintf(name, sizeof(name), "v.%05d", i);
		assert_int_equal(st_set(&t, name, "1"), i < ST_MAX_VARS ? 1 : -ENOSPC);
	}
	for (int i = 0; i < ST_MAX_CMDS + 3; i++) {
		snprintf(name, sizeof(name), "c.%05d", i);
		assert_int_equal(st_add_cmd(&t, name), i < ST_MAX_CMDS ? 1 : -ENOSPC);
	}
	st_clear(&t);
}

static void
test_quoting(void **state)
{
	struct st_tree t;
	struct sink s = {.len = 0};
	struct tokenizer tk;
	struct sp_msg m;
	const char *nasty = "a \"quoted\" # and \\ back";

	st_init(&t);
	assert_int_equal(st_set(&t, "ups.id", nasty), 1);
	assert_int_equal(st_set(&t, "empty", ""), 1);
	assert_int_equal(sp_dump(&t, collect, &s), 0);
	assert_non_null(strstr(s.buf, "SETINFO empty \"\"\n"));
	assert_non_null(strstr(s.buf, "SETINFO ups.id \"a \\\"quoted\\\" \\# and \\\\ back\"\n"));
	/* the formatted line parses back to the same value */
	char line[SP_MAX_LINE + 1];
	m = (struct sp_msg){.kind = SP_SETINFO, .name = "ups.id", .value = nasty};
	int n = sp_format(line, sizeof(line), &m);
	assert_true(n > 0);
	line[n - 1] = '\0';
	assert_int_equal(sp_parse_driver(tokenize(&tk, line), &m), 0);
	assert_string_equal(m.value, nasty);
	tok_free(&tk);
	/* buffer too small */
	assert_int_equal(
	    sp_format(line, 10,
	              &(struct sp_msg){.kind = SP_SETINFO, .name = "ups.id", .value = nasty}),
	    -ENOSPC);
	/* a name that cannot travel is refused */
	assert_int_equal(
	    sp_format(line, sizeof(line), &(struct sp_msg){.kind = SP_DELINFO, .name = "a b"}),
	    -EINVAL);
	st_clear(&t);
}

static void
test_tracking(void **state)
{
	struct tokenizer tk;
	struct sp_msg m;
	char line[SP_MAX_LINE + 1];

	assert_int_equal(sp_parse_driver(tokenize(&tk, "TRACKING 1234-abcd 3"), &m), 0);
	assert_int_equal(m.kind, SP_TRACKING);
	assert_string_equal(m.id, "1234-abcd");
	assert_int_equal(m.num, SP_R_FAILED);
	tok_free(&tk);
	assert_int_equal(sp_parse_driver(tokenize(&tk, "TRACKING x"), &m), -EINVAL);
	tok_free(&tk);
	assert_int_equal(sp_parse_driver(tokenize(&tk, "TRACKING x y"), &m), -EINVAL);
	tok_free(&tk);

	m = (struct sp_msg){.kind = SP_TRACKING, .id = "ABC-1", .num = 0};
	assert_int_equal(sp_format(line, sizeof(line), &m), 17);
	assert_string_equal(line, "TRACKING ABC-1 0\n");

	m = (struct sp_msg){.kind = SP_SET, .name = "ups.id", .value = "new id", .id = "T1"};
	sp_format(line, sizeof(line), &m);
	assert_string_equal(line, "SET ups.id \"new id\" TRACKING T1\n");
	m = (struct sp_msg){.kind = SP_INSTCMD, .name = "load.off", .value = "10", .id = "T2"};
	sp_format(line, sizeof(line), &m);
	assert_string_equal(line, "INSTCMD load.off 10 TRACKING T2\n");
	m = (struct sp_msg){.kind = SP_INSTCMD, .name = "load.off", .value = "a b"};
	sp_format(line, sizeof(line), &m);
	assert_string_equal(line, "INSTCMD load.off \"a b\"\n");
	m = (struct sp_msg){.kind = SP_INSTCMD, .name = "load.off", .id = "bad id"};
	assert_int_equal(sp_format(line, sizeof(line), &m), -EINVAL);
}

struct server_case {
	const char *line;
	int ret;
	enum sp_kind kind;
	const char *name, *value, *id;
	long num;
};

static void
test_server_parse(void **state)
{
	static const struct server_case cases[] = {
	    {"PING", 0, SP_PING, NULL, NULL, NULL, 0},
	    {"ping", 0, SP_PING, NULL, NULL, NULL, 0},
	    {"DUMPALL", 0, SP_DUMPALL, NULL, NULL, NULL, 0},
	    {"DUMPVALUE ups.status", 0, SP_DUMPVALUE, "ups.status", NULL, NULL, 0},
	    {"DUMPVALUE", -EINVAL, SP_NONE, NULL, NULL, NULL, 0},
	    {"DUMPSTATUS", 0, SP_DUMPSTATUS, NULL, NULL, NULL, 0},
	    {"GETPID", 0, SP_GETPID, NULL, NULL, NULL, 0},
	    {"NOBROADCAST", 0, SP_NOBROADCAST, NULL, NULL, NULL, 0},
	    {"BROADCAST", 0, SP_BROADCAST, NULL, NULL, NULL, 1},
	    {"BROADCAST 0", 0, SP_BROADCAST, NULL, NULL, NULL, 0},
	    {"BROADCAST x", -EINVAL, SP_NONE, NULL, NULL, NULL, 0},
	    {"LOGOUT", 0, SP_LOGOUT, NULL, NULL, NULL, 0},
	    {"INSTCMD load.off", 0, SP_INSTCMD, "load.off", NULL, NULL, 0},
	    {"INSTCMD load.off 5", 0, SP_INSTCMD, "load.off", "5", NULL, 0},
	    {"INSTCMD load.off TRACKING t1", 0, SP_INSTCMD, "load.off", NULL, "t1", 0},
	    {"INSTCMD load.off 5 TRACKING t1", 0, SP_INSTCMD, "load.off", "5", "t1", 0},
	    {"INSTCMD load.off 5 extra", 0, SP_INSTCMD, "load.off", "5", NULL, 0},
	    {"INSTCMD", -EINVAL, SP_NONE, NULL, NULL, NULL, 0},
	    {"INSTCMD \"a b\"", -EINVAL, SP_NONE, NULL, NULL, NULL, 0},
	    {"SET ups.id \"x y\"", 0, SP_SET, "ups.id", "x y", NULL, 0},
	    {"SET ups.id x TRACKING t9", 0, SP_SET, "ups.id", "x", "t9", 0},
	    {"SET ups.id TRACKING t9", 0, SP_SET, "ups.id", "TRACKING", NULL, 0},
	    {"SET ups.id", -EINVAL, SP_NONE, NULL, NULL, NULL, 0},
	    {"SET ups.id x TRACKING \"bad id\"", -EINVAL, SP_NONE, NULL, NULL, NULL, 0},
	    {"SETINFO a b", -ENOTSUP, SP_NONE, NULL, NULL, NULL, 0},
	    {"FROB", -ENOTSUP, SP_NONE, NULL, NULL, NULL, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct server_case *c = &cases[i];
		struct tokenizer tk;
		struct sp_msg m;
		int r = sp_parse_server(tokenize(&tk, c->line), &m);

		if (r != c->ret)
			fail_msg("%s: %d != %d", c->line, r, c->ret);
		assert_int_equal(m.kind, c->kind);
		if (r == 0) {
			if (c->name)
				assert_string_equal(m.name, c->name);
			if (c->value)
				assert_string_equal(m.value, c->value);
			else
				assert_null(m.value);
			if (c->id)
				assert_string_equal(m.id, c->id);
			else
				assert_null(m.id);
			assert_int_equal(m.num, c->num);
			/* format then parse again gives the same message */
			char line[SP_MAX_LINE + 1];
			struct tokenizer tk2;
			struct sp_msg m2;
			int n = sp_format(line, sizeof(line), &m);
			assert_true(n > 0);
			line[n - 1] = '\0';
			assert_int_equal(sp_parse_server(tokenize(&tk2, line), &m2), 0);
			assert_int_equal(m2.kind, m.kind);
			tok_free(&tk2);
		}
		tok_free(&tk);
	}
}

static void
test_driver_parse(void **state)
{
	struct tokenizer tk;
	struct sp_msg m;

	assert_int_equal(sp_parse_driver(tokenize(&tk, "OK Goodbye"), &m), 0);
	assert_int_equal(m.kind, SP_GOODBYE);
	tok_free(&tk);
	assert_int_equal(sp_parse_driver(tokenize(&tk, "PID 4242"), &m), 0);
	assert_int_equal(m.num, 4242);
	tok_free(&tk);
	assert_int_equal(sp_parse_driver(tokenize(&tk, "PONG"), &m), 0);
	assert_int_equal(m.kind, SP_PONG);
	tok_free(&tk);
	assert_int_equal(sp_parse_driver(tokenize(&tk, "SETINFO x"), &m), -EINVAL);
	tok_free(&tk);
	assert_int_equal(sp_parse_driver(tokenize(&tk, "PING"), &m), -ENOTSUP);
	tok_free(&tk);
	assert_int_equal(sp_parse_driver(tokenize(&tk, "\"\""), &m), -ENOTSUP);
	tok_free(&tk);
	/* extra words after a complete command are ignored, as NUT does */
	assert_int_equal(sp_parse_driver(tokenize(&tk, "SETINFO x y z"), &m), 0);
	assert_string_equal(m.value, "y");
	tok_free(&tk);
	assert_string_equal(sp_kind_name(SP_DUMPDONE), "DUMPDONE");
	assert_null(sp_kind_name(SP_NONE));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dump_order),   cmocka_unit_test(test_case_insensitive),
	    cmocka_unit_test(test_sorted_many),  cmocka_unit_test(test_flags_aux),
	    cmocka_unit_test(test_enum_range),   cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_quoting),      cmocka_unit_test(test_tracking),
	    cmocka_unit_test(test_server_parse), cmocka_unit_test(test_driver_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

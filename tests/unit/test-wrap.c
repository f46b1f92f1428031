/*
 * Unit tests of the wrap engine: the configparser dialect, the Python
 * regular-expression translation, os.path emulation, the filter classes
 * and the decision (from memory, no ownership checks), and the bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wrap/wrap-int.h"

static const char *conf_min = "[DEFAULT]\nfilters_path=/nonexistent\nexec_dirs=/bin,/usr/bin\n";

/* ---- wini ---- */

static void
test_ini_basic(void **state)
{
	const char *t = "# c\n; c\n[DEFAULT]\nA = 1\n[Filters]\n  Key: v1, v2 \nk2=x:y\n"
			"multi: a,\n    b,\n\n    c\n";
	struct wini ini;
	char err[256];
	int line = 0;
	const struct wini_sect *s;

	assert_int_equal(wini_parse(t, strlen(t), true, &ini, err, sizeof(err), &line), 0);
	assert_string_equal(wini_get(&ini.defaults, "a")->val, "1");
	s = wini_section(&ini, "Filters");
	assert_non_null(s);
	assert_string_equal(wini_get(s, "key")->val, "v1, v2");
	assert_int_equal(wini_get(s, "key")->line, 6);
	assert_string_equal(wini_get(s, "k2")->val, "x:y");
	assert_string_equal(wini_get(s, "multi")->val, "a,\nb,\n\nc");
	wini_free(&ini);
}

static void
test_ini_errors(void **state)
{
	static const struct {
		const char *text;
		bool strict;
		int line;
	} bad[] = {
		{"a=1\n", true, 1},                       /* no section header */
		{"[s]\nno delimiter\n", false, 2},       /* ParsingError */
		{"[s]\n= value\n", false, 2},            /* empty key */
		{"[s]\na=1\na=2\n", true, 3},            /* duplicate option (strict) */
		{"[s]\n[s]\n", true, 2},                 /* duplicate section (strict) */
		{"[s]\na=\xff\n", false, 2},             /* not UTF-8 */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wini ini;
		char err[256];
		int line = 0;
		assert_int_equal(wini_parse(bad[i].text, strlen(bad[i].text), bad[i].strict, &ini,
					    err, sizeof(err), &line),
				 -EINVAL);
		assert_int_equal(line, bad[i].line);
		wini_free(&ini);
	}
}

static void
test_ini_nonstrict_and_quirks(void **state)
{
	/* duplicates allowed (last wins), section header with trailing text,
	 * CR line ends, an indented line after a blank continues the value */
	const char *t = "[Filters] trailing\r\na=1\r\na=2\r\n\r\n  b: 3\r\n";
	struct wini ini;
	char err[256];
	int line;

	assert_int_equal(wini_parse(t, strlen(t), false, &ini, err, sizeof(err), &line), 0);
	const struct wini_sect *s = wini_section(&ini, "Filters");
	assert_non_null(s);
	assert_int_equal(s->n, 1);
	assert_string_equal(wini_get(s, "a")->val, "2\n\nb: 3");
	wini_free(&ini);
}

/* ---- wre ---- */

static bool
py_match(const char *pat, const char *s)
{
	char err[256];
	struct wre *re = wre_compile(pat, err, sizeof(err));
	bool m;

	if (!re)
		return false;
	m = wre_match(re, s);
	wre_free(re);
	return m;
}

static bool
compiles(const char *pat)
{
	char err[256];
	struct wre *re = wre_compile(pat, err, sizeof(err));

	wre_free(re);
	return re != NULL;
}

static void
test_regex_semantics(void **state)
{
	/* re.match(p + '$', s): anchored at the start, '$' before a final \n */
	assert_true(py_match("abc", "abc"));
	assert_true(py_match("abc", "abc\n"));
	assert_false(py_match("abc", "abcd"));
	assert_false(py_match("abc", "xabc"));
	/* alternation binds looser than the appended '$' */
	assert_true(py_match("a|b", "axyz"));
	assert_false(py_match("a|b", "bxyz"));
	/* Python set syntax: [[:alpha:]] is '[' ':' 'a' ... then ']' */
	assert_true(py_match("[[:alpha:]]+", "a]"));
	assert_false(py_match("[[:alpha:]]+", "abc"));
	/* {,n} means {0,n}; a non-quantifier brace is literal */
	assert_true(py_match("x{,2}", "xx"));
	assert_false(py_match("x{,2}", "xxx"));
	assert_true(py_match("a{", "a{"));
	assert_true(py_match("a{1,x}", "a{1,x}"));
	/* escapes: \Z is the absolute end, \v a single VT, \x two digits */
	assert_false(py_match("a\\Z", "a\n"));
	assert_true(py_match("\\v", "\v"));
	assert_false(py_match("\\v", "\n"));
	assert_true(py_match("\\x41", "A"));
	assert_true(py_match("\\u00e9", "\xc3\xa9"));
	assert_true(py_match("\\101", "A"));
	assert_true(py_match("(ab)\\1", "abab"));
	assert_true(py_match("(?P<n>ab)(?P=n)", "abab"));
	/* flags and verbose mode */
	assert_true(py_match("(?i)abc", "ABC"));
	assert_true(py_match("(?x) a b # c", "ab"));
	assert_true(py_match("(?i:a)b", "Ab"));
	assert_false(py_match("(?i:a)b", "AB"));
	/* Unicode by default, ASCII with (?a) */
	assert_true(py_match("\\w+", "\xc3\xa9t\xc3\xa9"));
	assert_false(py_match("(?a)\\w+", "\xc3\xa9t\xc3\xa9"));
	assert_true(py_match("[]a]+", "]a"));
	assert_true(py_match("[a-]+", "-a"));
	/* backslash at the end escapes the appended '$' */
	assert_true(py_match("a\\", "a$"));
}

/* A plain word is compared instead of compiled: the answers must be PCRE2's
 * for the same word in a group (which forces the PCRE2 path). */
static void
test_regex_literal_fast_path(void **state)
{
	static const char *const words[] = {"now", "-h", "poweroff", "a b", "x#y", "k=v",
					    "/sbin/shutdown", "", "'q'", "@~!%&;<>,"};
	char grouped[64], subj[64];

	(void)state;
	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		const char *p = words[w];
		snprintf(grouped, sizeof(grouped), "(?:%s)", p);
		/* subjects: prefix + word + suffix, and the empty string */
		static const char *const around[][2] = {{"", ""},   {"", "\n"},  {"", "\n\n"},
							{"", "x"},  {"x", ""},    {"\n", ""},
							{"", " "}, {"(", ")"}};
		for (size_t f = 0; f <= sizeof(around) / sizeof(around[0]); f++) {
			if (f == sizeof(around) / sizeof(around[0]))
				subj[0] = '\0';
			else
				snprintf(subj, sizeof(subj), "%s%s%s", around[f][0], p, around[f][1]);
			if (py_match(p, subj) != py_match(grouped, subj))
				fail_msg("'%s' on '%s': literal and PCRE2 disagree", p, subj);
		}
	}
	assert_true(py_match("now", "now\n"));
	assert_false(py_match("now", "NOW"));
	assert_false(py_match("now", "nowx"));
	assert_true(py_match("", ""));
	assert_false(py_match("", "x"));
}

static void
test_regex_rejected(void **state)
{
	static const char *const bad[] = {
		"[a-", "(", "a{3,1}", "\\q", "*a", "a**", "(?<n>a)", "\\N{DASH}", "(?L)a", "a)",
		"[z-a]", "(?P=nope)", "\\2(a)", "(?#open", "(a)(?i)", "\\e", "\\z", "\\Qa\\E",
		"(?|a)", "(?R)", "a{70000}", "[\\d-z]", "\\x4", "(*UTF)a", "^*", "(?a:x)",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (compiles(bad[i]))
			fail_msg("pattern '%s' should be rejected", bad[i]);
	assert_true(compiles("(?i)(?x)a"));
	assert_true(compiles("(?#c)(?i)a"));
}

static void
test_regex_bound(void **state)
{
	char *p = malloc(5000);

	memset(p, 'a', 4096);
	p[4096] = '\0';
	assert_true(compiles(p));
	memset(p, 'a', 4097);
	p[4097] = '\0';
	assert_false(compiles(p));
	/* The translation buffer is sized from the pattern: the units that
	 * grow most, repeated up to the bound, must all still translate. */
	static const char *const units[] = {"a", "[a-b]", "\xc3\xa9", "\xf4\x8f\xbf\xbf",
					    "x{,9}", "[\\x00-\\x7f]", "\\d", "(?i:b)"};
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		size_t n = 0, k = strlen(units[u]);
		while (n + k <= 4096) {
			memcpy(p + n, units[u], k);
			n += k;
		}
		p[n] = '\0';
		if (!compiles(p))
			fail_msg("%zu bytes of '%s' should compile", n, units[u]);
	}
	/* catastrophic backtracking hits the match limit and denies */
	char s[64];
	memset(s, 'a', 40);
	strcpy(s + 40, "!");
	assert_false(py_match("(a+)+b", s));
	free(p);
}

/* ---- wpy ---- */

static void
test_realpath(void **state)
{
	char out[WRAP_MAX_PATH];
	char dir[] = "/tmp/upswrap-unit-XXXXXX";
	char p[512], t[512];

	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/sub", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/link", dir);
	snprintf(t, sizeof(t), "%s/sub", dir);
	assert_int_equal(symlink(t, p), 0);
	snprintf(p, sizeof(p), "%s/loop", dir);
	assert_int_equal(symlink(p, p), 0);

	snprintf(p, sizeof(p), "%s/link/../x", dir);
	assert_int_equal(wpy_realpath(p, out), 0);
	snprintf(t, sizeof(t), "%s/x", dir);
	assert_string_equal(out, t); /* '..' after the link: physical parent */
	snprintf(p, sizeof(p), "%s/missing/../sub", dir);
	assert_int_equal(wpy_realpath(p, out), 0);
	snprintf(t, sizeof(t), "%s/sub", dir);
	assert_string_equal(out, t); /* missing components are lexical */
	snprintf(p, sizeof(p), "%s/loop/x", dir);
	assert_int_equal(wpy_realpath(p, out), 0);
	snprintf(t, sizeof(t), "%s/loop/x", dir);
	assert_string_equal(out, t); /* loops stay unresolved */
	assert_int_equal(wpy_realpath("//a//b/./c/..", out), 0);
	assert_string_equal(out, "/a/b");
	assert_int_equal(wpy_realpath("/../..", out), 0);
	assert_string_equal(out, "/");

	assert_string_equal(wpy_basename("/bin/true"), "true");
	assert_string_equal(wpy_basename("/bin/"), "");
	assert_true(wpy_prefix("/a/b", "/a/bc"));
	snprintf(p, sizeof(p), "%s/link", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/loop", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/sub", dir);
	rmdir(p);
	rmdir(dir);
}

/* ---- decisions from memory ---- */

static struct wrap_ctx *
load1(const char *filters)
{
	const char *names[] = {"t.filters"};
	const char *texts[] = {filters};
	struct wrap_ctx *ctx = NULL;
	char err[512];

	assert_int_equal(wrap_load_mem(conf_min, 1, names, texts, &ctx, err, sizeof(err)), 0);
	return ctx;
}

static int
decide(struct wrap_ctx *ctx, const char *line, struct wrap_decision *d)
{
	char buf[512], *argv[32];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	return wrap_decide(ctx, argc, argv, d);
}

static int
rc_of(struct wrap_ctx *ctx, const char *line)
{
	struct wrap_decision d;
	int rc = decide(ctx, line, &d);

	wrap_decision_free(&d);
	return rc;
}

static void
test_decide_classes(void **state)
{
	struct wrap_ctx *ctx = load1(
		"[Filters]\n"
		"true: CommandFilter, true, root\n"
		"echo: RegExpFilter, /bin/echo, root, echo, [a-z]+\n"
		"missing: CommandFilter, /nonexistent/x, root\n"
		"env: EnvFilter, env, root, A=, /bin/echo\n"
		"ip: IpFilter, ip, root\n"
		"ipn: IpNetnsExecFilter, ip, root\n"
		"cat: ReadFileFilter, /etc/hostname\n"
		"nice: ChainingRegExpFilter, nice, root, nice, -n, \\d+\n");
	struct wrap_decision d;

	assert_int_equal(decide(ctx, "true x y", &d), 0);
	assert_string_equal(d.path, "/bin/true");
	assert_string_equal(d.argv[0], "/bin/true");
	assert_string_equal(d.argv[2], "y");
	assert_string_equal(d.filter, "true");
	assert_string_equal(d.where, "t.filters:2");
	wrap_decision_free(&d);
	assert_int_equal(rc_of(ctx, "echo abc"), 0);
	assert_int_equal(rc_of(ctx, "echo ABC"), WRAP_RC_UNAUTHORIZED);
	assert_int_equal(rc_of(ctx, "x"), WRAP_RC_NOEXEC);
	assert_int_equal(decide(ctx, "env A=1 echo hi", &d), 0);
	assert_string_equal(d.argv[0], "/bin/echo");
	assert_string_equal(d.argv[1], "hi");
	assert_null(d.argv[2]);
	assert_string_equal(d.setenv[0], "A=1");
	wrap_decision_free(&d);
	assert_int_equal(rc_of(ctx, "env B=1 echo hi"), WRAP_RC_UNAUTHORIZED);
	assert_int_equal(rc_of(ctx, "ip link show"), 0);
	assert_int_equal(rc_of(ctx, "ip netns exec ns true"), 0);   /* chained to true */
	assert_int_equal(rc_of(ctx, "ip net e ns sh"), WRAP_RC_UNAUTHORIZED);
	assert_int_equal(rc_of(ctx, "ip netns ex ns sh"), WRAP_RC_UNAUTHORIZED);
	assert_int_equal(rc_of(ctx, "ip -b /tmp/x"), WRAP_RC_UNAUTHORIZED);
	assert_int_equal(rc_of(ctx, "ip -n ns --batch /tmp/x"), WRAP_RC_UNAUTHORIZED);
	assert_int_equal(rc_of(ctx, "ip -br link"), 0);
	assert_int_equal(rc_of(ctx, "cat /etc/hostname"), 0);
	assert_int_equal(rc_of(ctx, "cat /etc/shadow"), WRAP_RC_UNAUTHORIZED);
	assert_int_equal(rc_of(ctx, "nice -n 5 true"), 0);
	assert_int_equal(rc_of(ctx, "nice -n 5 sh"), WRAP_RC_UNAUTHORIZED);
	assert_int_equal(rc_of(ctx, "nice -n 5 nice -n 5 true"), WRAP_RC_UNAUTHORIZED);
	wrap_free(ctx);
}

static void
test_decide_bounds_and_errors(void **state)
{
	struct wrap_ctx *ctx = load1("[Filters]\nany: RegExpFilter, /bin/echo, root, echo, .*\n");
	struct wrap_decision d;
	char *argv[WRAP_MAX_ARGS + 2];
	char *big = malloc(WRAP_MAX_ARG_LEN + 2);

	assert_int_equal(wrap_decide(ctx, 0, argv, &d), WRAP_RC_NOCOMMAND);
	wrap_decision_free(&d);
	memset(big, 'a', WRAP_MAX_ARG_LEN + 1);
	big[WRAP_MAX_ARG_LEN + 1] = '\0';
	argv[0] = "echo";
	argv[1] = big;
	assert_int_equal(wrap_decide(ctx, 2, argv, &d), WRAP_RC_UNAUTHORIZED);
	wrap_decision_free(&d);
	big[WRAP_MAX_ARG_LEN] = '\0';
	assert_int_equal(wrap_decide(ctx, 2, argv, &d), 0);
	wrap_decision_free(&d);
	for (int i = 0; i < WRAP_MAX_ARGS + 1; i++)
		argv[i] = "echo";
	assert_int_equal(wrap_decide(ctx, WRAP_MAX_ARGS + 1, argv, &d), WRAP_RC_UNAUTHORIZED);
	wrap_decision_free(&d);
	free(big);
	wrap_free(ctx);
}

static void
test_broken_file_is_dropped(void **state)
{
	const char *names[] = {"good.filters", "bad.filters", "unknown.filters"};
	const char *texts[] = {"[Filters]\ntrue: CommandFilter, /bin/true, root\n",
			       "[Filters]\necho: CommandFilter, /bin/echo, root\nbad: KillFilter\n",
			       "[Filters]\nx: NoSuchClass, a, b\nid: CommandFilter, /usr/bin/id, root\n"};
	struct wrap_ctx *ctx = NULL;
	struct wrap_decision d;
	char err[512];

	assert_int_equal(wrap_load_mem(conf_min, 3, names, texts, &ctx, err, sizeof(err)), 0);
	assert_int_equal(wrap_filter_count(ctx), 2);
	assert_int_equal(rc_of(ctx, "true"), 0);
	assert_int_equal(rc_of(ctx, "id"), 0);
	assert_int_equal(decide(ctx, "echo x", &d), WRAP_RC_UNAUTHORIZED);
	assert_non_null(strstr(d.msg, "bad.filters:3"));
	wrap_decision_free(&d);
	assert_int_equal(wrap_problem_count(ctx), 2);
	wrap_free(ctx);
}

static void
test_bad_conf(void **state)
{
	static const char *const bad[] = {
		"[DEFAULT]\nexec_dirs=/bin\n",
		"[DEFAULT]\nfilters_path=/x\nuse_syslog=perhaps\n",
		"[DEFAULT]\nfilters_path=/x\nrlimit_nofile=0\n",
		"[DEFAULT]\nfilters_path=/x\nsyslog_log_level=LOUD\n",
		"[DEFAULT]\nfilters_path=/x\nsyslog_log_facility=LOG_ERR\n",
		"filters_path=/x\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wrap_ctx *ctx = NULL;
		char err[512];
		assert_int_equal(wrap_load_mem(bad[i], 0, NULL, NULL, &ctx, err, sizeof(err)),
				 -EINVAL);
		assert_null(ctx);
	}
	struct wrap_ctx *ctx = NULL;
	char err[512];
	assert_int_equal(wrap_load_mem("[DEFAULT]\nfilters_path=/x\nuse_syslog=On\n"
				       "syslog_log_facility=local3\nsyslog_log_level=info\n"
				       "rlimit_nofile=1_000\n",
				       0, NULL, NULL, &ctx, err, sizeof(err)),
			 0);
	assert_true(wrap_settings(ctx)->use_syslog);
	assert_int_equal(wrap_settings(ctx)->rlimit_nofile, 1000);
	wrap_free(ctx);
}

static void
test_format_argv(void **state)
{
	char buf[64];
	char *argv[] = {"echo", "a b", "", "x\n", NULL};

	wrap_format_argv(buf, sizeof(buf), 4, argv);
	assert_string_equal(buf, "echo 'a b' '' x\\x0a");
	wrap_format_argv(buf, 12, 4, argv);
	assert_true(strlen(buf) < 12);
}

/* ---- wpw ---- */

/* Every user NSS knows must come out of wpw_lookup as getpwnam gives it,
 * whichever way wpw found it. */
static void
test_user_matches_getpwnam(void **state)
{
	struct passwd *pw;
	struct wpw w;
	char names[512][64];
	int n = 0;

	setpwent();
	while ((pw = getpwent()) && n < 512)
		if (strlen(pw->pw_name) < 64)
			snprintf(names[n++], 64, "%s", pw->pw_name);
	endpwent();
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		pw = getpwnam(names[i]);
		assert_non_null(pw);
		assert_int_equal(wpw_lookup(names[i], &w), 0);
		assert_int_equal(w.uid, pw->pw_uid);
		assert_int_equal(w.gid, pw->pw_gid);
		assert_string_equal(w.home, pw->pw_dir);
		free(w.home);
	}
	assert_int_equal(wpw_lookup("no-such-user-upsguard-test", &w), -ENOENT);
	assert_int_equal(wpw_lookup("", &w), -ENOENT);
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* wpw_lookup_at(name) with nsswitch.conf and passwd of the given texts. */
static int
lookup_in(const char *nsswitch, const char *passwd, const char *name, struct wpw *w)
{
	char ns[] = "/tmp/upsguard-wpw-ns-XXXXXX", pf[] = "/tmp/upsguard-wpw-pw-XXXXXX";
	int a = mkstemp(ns), b = mkstemp(pf), r;

	assert_true(a >= 0 && b >= 0);
	close(a);
	close(b);
	put(ns, nsswitch);
	put(pf, passwd);
	r = wpw_lookup_at(ns, pf, name, w);
	unlink(ns);
	unlink(pf);
	return r;
}

/* With made-up files claiming root is uid 4242: 4242 means wpw read the
 * file, 0 means it asked NSS (the real root). */
static uid_t
root_uid_with(const char *nsswitch, const char *passwd)
{
	struct wpw w;

	assert_int_equal(lookup_in(nsswitch, passwd, "root", &w), 0);
	free(w.home);
	return w.uid;
}

static void
test_user_file_or_nss(void **state)
{
	static const struct {
		const char *nsswitch;
		const char *passwd;
		uid_t uid;
	} cases[] = {
		/* files first, default actions: the file answers */
		{"passwd: files systemd\n", "root:x:4242:4242:root:/fake:/bin/sh\n", 4242},
		{"# c\n  passwd :\tfiles # c\ngroup: files\n", "root:x:4242:4242::/fake:\n", 4242},
		{"passwd: files\n", "# root:x:1:1::/:\n  root:x:4242:0::/fake:/bin/sh\n", 4242},
		{"passwd: files\n", "root:x:4242:1::/a:/s\nroot:x:7:7::/b:/s\n", 4242},
		/* anything else: NSS answers */
		{"passwd: compat\n", "root:x:4242:4242:root:/fake:/bin/sh\n", 0},
		{"passwd: sss files\n", "root:x:4242:4242:root:/fake:/bin/sh\n", 0},
		{"passwd: files [NOTFOUND=return] sss\n", "root:x:4242:0::/f:/s\n", 0},
		{"passwd: filesx\n", "root:x:4242:0::/f:/s\n", 0},
		{"passwd: files\npasswd: sss\n", "root:x:4242:0::/f:/s\n", 0},
		{"group: files\n", "root:x:4242:0::/f:/s\n", 0},
		{"passwd: files\n", "root:x:42x:0::/f:/s\n", 0},
		{"passwd: files\n", "root:x::0::/f:/s\n", 0},
		{"passwd: files\n", "root:x:4242:0::/f\n", 0},
		{"passwd: files\n", "root:x:4242:0::/f:/s:extra\n", 0},
		{"passwd: files\n", "root:x:4294967295:0::/f:/s\n", 0},
		{"passwd: files\n", "rootx:x:4242:0::/f:/s\n", 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uid_t got = root_uid_with(cases[i].nsswitch, cases[i].passwd);
		if (got != cases[i].uid)
			fail_msg("case %zu: uid %u, expected %u", i, (unsigned)got,
				 (unsigned)cases[i].uid);
	}
}

static void
test_user_fields_from_file(void **state)
{
	static const char *ns = "passwd: files\n",
			  *pf = "daemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"
				"ups-test:x:123:456:UPS:/var/lib/nut:/bin/false";
	struct wpw w;

	assert_int_equal(lookup_in(ns, pf, "ups-test", &w), 0);
	assert_int_equal(w.uid, 123);
	assert_int_equal(w.gid, 456);
	assert_string_equal(w.home, "/var/lib/nut");
	free(w.home);
	/* not in the file and unknown to NSS */
	assert_int_equal(lookup_in(ns, pf, "no-such-user-upsguard-test", &w), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ini_basic),
		cmocka_unit_test(test_ini_errors),
		cmocka_unit_test(test_ini_nonstrict_and_quirks),
		cmocka_unit_test(test_regex_semantics),
		cmocka_unit_test(test_regex_literal_fast_path),
		cmocka_unit_test(test_regex_rejected),
		cmocka_unit_test(test_regex_bound),
		cmocka_unit_test(test_realpath),
		cmocka_unit_test(test_decide_classes),
		cmocka_unit_test(test_decide_bounds_and_errors),
		cmocka_unit_test(test_broken_file_is_dropped),
		cmocka_unit_test(test_bad_conf),
		cmocka_unit_test(test_format_argv),
		cmocka_unit_test(test_user_matches_getpwnam),
		cmocka_unit_test(test_user_file_or_nss),
		cmocka_unit_test(test_user_fields_from_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

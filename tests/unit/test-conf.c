/*
 * Unit tests of src/lib/conf for what golden files show poorly: address
 * matching, defaults, helper lookups, the secret-file check on real files,
 * message bounds and load errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/hosts_conf.h"
#include "conf/ups_conf.h"
#include "conf/upsd_conf.h"
#include "conf/upsd_users.h"
#include "conf/upsmon_conf.h"
#include "conf/upssched_conf.h"

/* ---- helpers ---- */

static struct sockaddr_storage
sa_of(const char *addr)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
	}
	return ss;
}

static bool
match(const char *rule, const char *addr)
{
	struct conf_net net;
	struct sockaddr_storage ss = sa_of(addr);

	assert_int_equal(conf_net_parse(rule, &net), 0);
	return conf_cidr_match(&net, 1, (struct sockaddr *)&ss);
}

/* ---- networks ---- */

static void
test_net_parse(void **state)
{
	static const char *const good[] = {
	    "10.0.0.0/8",           "192.0.2.1",       "0.0.0.0/0", "::1",
	    "2001:db8::/32",        "[fe80::]/10",     "[::1]",     "::/0",
	    "::ffff:192.0.2.0/120", "192.168.1.128/25"};
	static const char *const bad[] = {
	    "10.0.0.1/8", "10.0.0.0/33", "::1/129",        "1.2.3.4/",
	    "1.2.3.4/-1", "1.2.3.4/+8",  "1.2.3.4/8x",     " 1.2.3.4",
	    "[1.2.3.4]",  "[::1",        "host.example",   "",
	    "300.1.1.1",  "1.2.3",       "2001:db8::1/32", "10.0.0.0/8/8"};
	struct conf_net net;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (conf_net_parse(good[i], &net) != 0)
			fail_msg("rejected %s", good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (conf_net_parse(bad[i], &net) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
	}
}

static void
test_net_format(void **state)
{
	static const char *const pairs[][2] = {
	    {"10.0.0.0/8", "10.0.0.0/8"}, {"192.0.2.1/32", "192.0.2.1"},
	    {"[fe80::]/10", "fe80::/10"}, {"2001:DB8::/32", "2001:db8::/32"},
	    {"::1/128", "::1"},           {"0.0.0.0/0", "0.0.0.0/0"},
	};
	char buf[CONF_NET_STRLEN];
	struct conf_net net;

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		assert_int_equal(conf_net_parse(pairs[i][0], &net), 0);
		conf_net_format(&net, buf, sizeof(buf));
		assert_string_equal(buf, pairs[i][1]);
	}
}

static void
test_cidr_ipv4(void **state)
{
	assert_true(match("10.0.0.0/8", "10.1.2.3"));
	assert_true(match("10.0.0.0/8", "10.255.255.255"));
	assert_false(match("10.0.0.0/8", "11.0.0.1"));
	assert_false(match("10.0.0.0/8", "9.255.255.255"));
	assert_true(match("192.168.1.128/25", "192.168.1.200"));
	assert_false(match("192.168.1.128/25", "192.168.1.100"));
	assert_true(match("192.0.2.7", "192.0.2.7"));
	assert_false(match("192.0.2.7", "192.0.2.6"));
	assert_true(match("0.0.0.0/0", "203.0.113.9"));
	assert_true(match("172.16.0.0/12", "172.31.255.1"));
	assert_false(match("172.16.0.0/12", "172.32.0.1"));
}

static void
test_cidr_ipv6(void **state)
{
	assert_true(match("2001:db8::/32", "2001:db8:1::1"));
	assert_false(match("2001:db8::/32", "2001:db9::1"));
	assert_true(match("::1", "::1"));
	assert_false(match("::1", "::2"));
	assert_true(match("fe80::/10", "febf::1"));
	assert_false(match("fe80::/10", "fec0::1"));
	assert_true(match("::/0", "2001:db8::5"));
	assert_true(match("2001:db8::/127", "2001:db8::1"));
	assert_false(match("2001:db8::/127", "2001:db8::2"));
	/* An IPv4 rule never matches a native IPv6 peer, nor the reverse. */
	assert_false(match("0.0.0.0/0", "::1"));
	assert_false(match("::1", "127.0.0.1"));
}

static void
test_cidr_mapped(void **state)
{
	/* A mapped peer is matched as the IPv4 address it carries. */
	assert_true(match("10.0.0.0/8", "::ffff:10.1.2.3"));
	assert_false(match("10.0.0.0/8", "::ffff:11.1.2.3"));
	assert_true(match("127.0.0.1", "::ffff:127.0.0.1"));
	assert_true(match("0.0.0.0/0", "::ffff:198.51.100.1"));
	/* IPv4 and mapped peers against a rule written in mapped form. */
	assert_true(match("::ffff:10.0.0.0/104", "10.9.9.9"));
	assert_true(match("::ffff:10.0.0.0/104", "::ffff:10.9.9.9"));
	assert_false(match("::ffff:10.0.0.0/104", "11.9.9.9"));
	/* ::/0 covers everything, mapped and IPv4 alike. */
	assert_true(match("::/0", "192.0.2.1"));
	/* Not mapped: ::10.1.2.3 (compatible form) is IPv6. */
	assert_false(match("10.0.0.0/8", "::10.1.2.3"));
}

static void
test_cidr_lists(void **state)
{
	struct conf_net nets[3];
	struct sockaddr_storage ss;
	struct sockaddr_un sun;

	assert_int_equal(conf_net_parse("192.0.2.0/24", &nets[0]), 0);
	assert_int_equal(conf_net_parse("2001:db8::/32", &nets[1]), 0);
	assert_int_equal(conf_net_parse("127.0.0.1", &nets[2]), 0);
	ss = sa_of("2001:db8::9");
	assert_true(conf_cidr_match(nets, 3, (struct sockaddr *)&ss));
	ss = sa_of("127.0.0.1");
	assert_true(conf_cidr_match(nets, 3, (struct sockaddr *)&ss));
	ss = sa_of("127.0.0.2");
	assert_false(conf_cidr_match(nets, 3, (struct sockaddr *)&ss));
	assert_false(conf_cidr_match(nets, 0, (struct sockaddr *)&ss));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_false(conf_cidr_match(nets, 3, (struct sockaddr *)&sun));
	assert_false(conf_cidr_match(nets, 3, NULL));
}

/* ---- upsd.users helpers ---- */

static struct upsd_users *
users_of(const char *text)
{
	struct conf_diag d;
	struct upsd_users *u = NULL;

	conf_diag_init(&d);
	if (upsd_users_parse("t", text, strlen(text), &u, &d) != 0) {
		conf_diag_print(stderr, &d);
		fail_msg("upsd.users did not parse");
	}
	conf_diag_free(&d);
	return u;
}

static void
test_users_rights(void **state)
{
	struct upsd_users *c =
	    users_of("[p]\n password = x\n upsmon primary\n"
	             "[s]\n password = x\n upsmon = slave\n"
	             "[a]\n password = x\n actions = set\n instcmds = Beeper.Toggle\n"
	             "[all]\n password = $6$salt$hash\n instcmds = all\n"
	             "[Case]\n password = y\n");
	const struct upsd_user *u;

	u = upsd_users_find(c, "p");
	assert_non_null(u);
	assert_int_equal(upsd_user_actions(u), UPSD_ACT_LOGIN | UPSD_ACT_PRIMARY | UPSD_ACT_FSD);
	assert_int_equal(u->actions, 0);
	assert_false(upsd_user_password_is_hash(u));
	u = upsd_users_find(c, "s");
	assert_int_equal(upsd_user_actions(u), UPSD_ACT_LOGIN);
	u = upsd_users_find(c, "a");
	assert_int_equal(upsd_user_actions(u), UPSD_ACT_SET);
	assert_true(upsd_user_may_instcmd(u, "beeper.toggle"));
	assert_false(upsd_user_may_instcmd(u, "load.off"));
	u = upsd_users_find(c, "all");
	assert_true(upsd_user_may_instcmd(u, "load.off"));
	assert_true(upsd_user_password_is_hash(u));
	/* User names are case-sensitive. */
	assert_null(upsd_users_find(c, "case"));
	assert_non_null(upsd_users_find(c, "Case"));
	upsd_users_free(c);
}

static void
test_users_allowfrom(void **state)
{
	struct upsd_users *c = users_of("[n]\n password = x\n"
	                                "[r]\n password = x\n allowfrom = 192.0.2.0/24\n"
	                                " allowfrom = ::1\n");
	const struct upsd_user *any = upsd_users_find(c, "n");
	const struct upsd_user *r = upsd_users_find(c, "r");
	struct sockaddr_storage ss;

	ss = sa_of("203.0.113.1");
	assert_true(upsd_user_allowed_from(any, (struct sockaddr *)&ss));
	assert_false(upsd_user_allowed_from(r, (struct sockaddr *)&ss));
	ss = sa_of("192.0.2.44");
	assert_true(upsd_user_allowed_from(r, (struct sockaddr *)&ss));
	ss = sa_of("::ffff:192.0.2.44");
	assert_true(upsd_user_allowed_from(r, (struct sockaddr *)&ss));
	ss = sa_of("::1");
	assert_true(upsd_user_allowed_from(r, (struct sockaddr *)&ss));
	ss = sa_of("127.0.0.1");
	assert_false(upsd_user_allowed_from(r, (struct sockaddr *)&ss));
	upsd_users_free(c);
}

static void
test_password_hash_shapes(void **state)
{
	static const struct {
		const char *pw;
		bool hash;
	} cases[] = {
	    {"$y$j9T$abc$def", true}, {"$6$salt$x", true}, {"$2b$10$x", true},
	    {"$$x", false},           {"$", false},        {"plain", false},
	    {"$abc", false},          {"$Y$x$y", false},
	};
	struct upsd_user u;

	memset(&u, 0, sizeof(u));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		u.password = (char *)(uintptr_t)cases[i].pw;
		if (upsd_user_password_is_hash(&u) != cases[i].hash)
			fail_msg("%s", cases[i].pw);
	}
}

/* ---- defaults ---- */

static void
test_defaults(void **state)
{
	struct conf_diag d;
	struct ups_conf *uc;
	struct upsd_conf *dc;
	struct upsmon_conf *mc;
	struct upssched_conf *sc;
	struct hosts_conf *hc;
	struct upsd_users *us;

	conf_diag_init(&d);
	assert_int_equal(ups_conf_parse("e", "", 0, &uc, &d), 0);
	assert_int_equal(uc->maxstartdelay, 75);
	assert_int_equal(uc->maxretry, 1);
	assert_int_equal(uc->retrydelay, 5);
	assert_int_equal(uc->pollinterval, 2);
	assert_int_equal(uc->synchronous, UPS_SYNC_AUTO);
	assert_false(uc->nowait);
	assert_null(uc->statepath);
	assert_int_equal(uc->nups, 0);
	ups_conf_free(uc);

	assert_int_equal(upsd_conf_parse("e", "", 0, &dc, &d), 0);
	assert_true(dc->listen_default);
	assert_int_equal(dc->nlisten, 2);
	assert_string_equal(dc->listen[0].addr, "127.0.0.1");
	assert_string_equal(dc->listen[1].addr, "::1");
	assert_int_equal(dc->listen[0].port, 3493);
	assert_int_equal(dc->maxage, 15);
	assert_int_equal(dc->trackingdelay, 3600);
	assert_int_equal(dc->maxconn, 0);
	assert_int_equal(dc->anonymous_read, UPSD_ANON_LOOPBACK);
	assert_false(dc->allow_plaintext_listen);
	assert_int_equal(dc->client_timeout, 60);
	assert_int_equal(dc->certrequest, 0);
	assert_int_equal(dc->debug_min, -1);
	upsd_conf_free(dc);

	assert_int_equal(upsd_users_parse("e", "", 0, &us, &d), 0);
	assert_int_equal(us->nusers, 0);
	upsd_users_free(us);

	setenv("NUT_CONFPATH", "/tmp/upsguard-conf-test", 1);
	assert_int_equal(upsmon_conf_parse("e", "MINSUPPLIES 0\n", 14, &mc, &d), 0);
	assert_int_equal(mc->minsupplies, 0);
	assert_int_equal(mc->pollfreq, 5);
	assert_int_equal(mc->pollfreqalert, 5);
	assert_int_equal(mc->deadtime, 15);
	assert_int_equal(mc->hostsync, 15);
	assert_int_equal(mc->finaldelay, 5);
	assert_int_equal(mc->rbwarntime, 43200);
	assert_int_equal(mc->nocommwarntime, 300);
	assert_int_equal(mc->offduration, 30);
	assert_int_equal(mc->overduration, -1);
	assert_int_equal(mc->oblbduration, 0);
	assert_true(mc->alarmcritical);
	assert_int_equal(mc->certverify, -1);
	assert_int_equal(mc->forcessl, -1);
	assert_int_equal(mc->shutdownexit, 0);
	assert_null(mc->powerdownflag);
	assert_null(mc->shutdowncmd);
	assert_string_equal(mc->wrapconf, "/tmp/upsguard-conf-test/rootwrap.conf");
	for (int i = 0; i < UPSMON_N_COUNT; i++) {
		assert_int_equal(mc->notifyflag[i], UPSMON_F_SYSLOG | UPSMON_F_WALL);
		assert_ptr_equal(upsmon_conf_msg(mc, (enum upsmon_notify)i),
		                 upsmon_notify_default_msg((enum upsmon_notify)i));
	}
	upsmon_conf_free(mc);
	unsetenv("NUT_CONFPATH");

	assert_int_equal(upssched_conf_parse("e", "", 0, &sc, &d), 0);
	assert_null(sc->cmdscript);
	assert_null(sc->pipefn);
	upssched_conf_free(sc);

	assert_int_equal(hosts_conf_parse("e", "", 0, &hc, &d), 0);
	assert_int_equal(hc->nmonitors, 0);
	hosts_conf_free(hc);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.nwarnings, 0);
	conf_diag_free(&d);
}

static void
test_notify_table(void **state)
{
	for (int i = 0; i < UPSMON_N_COUNT; i++) {
		const char *name = upsmon_notify_name((enum upsmon_notify)i);

		assert_non_null(name);
		assert_int_equal(upsmon_notify_from_name(name), i);
		assert_non_null(upsmon_notify_default_msg((enum upsmon_notify)i));
	}
	assert_int_equal(upsmon_notify_from_name("SHUTDOWN_HOSTSYNC"), UPSMON_N_SHUTDOWN_HOSTSYNC);
	assert_int_equal(upsmon_notify_from_name("online"), -1);
	assert_int_equal(upsmon_notify_max_args(UPSMON_N_ALARM), 2);
	assert_int_equal(upsmon_notify_max_args(UPSMON_N_OTHER), 2);
	assert_int_equal(upsmon_notify_max_args(UPSMON_N_ONLINE), 1);
	assert_null(upsmon_notify_name(UPSMON_N_COUNT));
}

static void
test_lookups(void **state)
{
	const char *ups = "[MyUPS]\n driver = dummy-ups\n port = x.dev\n nolock\n "
	                  "vendorid = 051d\n";
	const char *hosts = "MONITOR a@h1:3494 \"A\"\nMONITOR b \"B\"\n";
	struct conf_diag d;
	struct ups_conf *uc;
	struct hosts_conf *hc;
	const struct ups_conf_ups *u;

	conf_diag_init(&d);
	assert_int_equal(ups_conf_parse("t", ups, strlen(ups), &uc, &d), 0);
	u = ups_conf_find(uc, "myups");
	assert_non_null(u);
	assert_string_equal(u->name, "MyUPS");
	assert_true(u->nolock);
	assert_string_equal(ups_conf_opt(u, "nolock"), "");
	assert_string_equal(ups_conf_opt(u, "vendorid"), "051d");
	assert_null(ups_conf_opt(u, "driver"));
	assert_null(ups_conf_find(uc, "other"));
	ups_conf_free(uc);

	assert_int_equal(hosts_conf_parse("t", hosts, strlen(hosts), &hc, &d), 0);
	assert_true(hosts_conf_allows(hc, "A", "H1", 3494));
	assert_false(hosts_conf_allows(hc, "a", "h1", 3493));
	assert_true(hosts_conf_allows(hc, "b", "localhost", 3493));
	hosts_conf_free(hc);
	conf_diag_free(&d);
}

static void
test_upsname(void **state)
{
	static const struct {
		const char *in, *ups, *host;
		unsigned port;
	} good[] = {
	    {"u", "u", "localhost", 3493},
	    {"u@h", "u", "h", 3493},
	    {"u@h:1", "u", "h", 1},
	    {"u@[::1]", "u", "::1", 3493},
	    {"u@[2001:db8::1]:65535", "u", "2001:db8::1", 65535},
	    {"u-1.x_y@192.0.2.1:3494", "u-1.x_y", "192.0.2.1", 3494},
	};
	static const char *const bad[] = {"",          "@h",     "u@",     "u@h:",     "u@h:0",
	                                  "u@h:65536", "u@::1",  "u@[::1", "u@[::1]x", "u@a@b",
	                                  "u/x@h",     "u@h:1x", "u@h h",  "u@[::1]:"};
	struct conf_upsname n;
	const char *why;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(conf_upsname_parse(good[i].in, &n, &why), 0);
		assert_string_equal(n.ups, good[i].ups);
		assert_string_equal(n.host, good[i].host);
		assert_int_equal(n.port, good[i].port);
		conf_upsname_free(&n);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (conf_upsname_parse(bad[i], &n, &why) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
		assert_non_null(why);
		assert_null(n.ups);
	}
}

/* ---- secret files ---- */

static char tmpdir[] = "/tmp/upsguard-conf-XXXXXX";

static void
make_file(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[u]\n", 4), 4);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_secret_modes(void **state)
{
	static const struct {
		mode_t mode;
		bool ok;
		const char *word;
	} cases[] = {
	    {0600, true, NULL},
	    {0640, true, NULL},
	    {0400, true, NULL},
	    {0440, true, NULL},
	    {0644, false, "world-readable"},
	    {0604, false, "world-readable"},
	    {0660, false, "group-writable"},
	    {0620, false, "group-writable"},
	    {0602, false, "world-writable"},
	    {0601, false, "accessible to others"},
	    {0666, false, "world-writable"},
	};
	char path[128], msg[512], want[256];

	assert_non_null(mkdtemp(tmpdir));
	(void)snprintf(path, sizeof(path), "%s/upsd.users", tmpdir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		make_file(path, cases[i].mode);
		r = conf_check_secret_file(path, msg, sizeof(msg));
		if (cases[i].ok) {
			if (r != 0)
				fail_msg("mode %04o refused: %s", (unsigned)cases[i].mode, msg);
			continue;
		}
		if (r != -EACCES)
			fail_msg("mode %04o accepted", (unsigned)cases[i].mode);
		assert_non_null(strstr(msg, cases[i].word));
		(void)snprintf(want, sizeof(want), "chmod 0640 %s", path);
		assert_non_null(strstr(msg, want));
		assert_non_null(strstr(msg, "chown root:"));
	}
	unlink(path);
	assert_int_equal(conf_check_secret_file(path, msg, sizeof(msg)), -ENOENT);
	assert_non_null(strstr(msg, path));
	/* A directory is not a secret file. */
	assert_int_equal(conf_check_secret_file(tmpdir, msg, sizeof(msg)), -EACCES);
	rmdir(tmpdir);
}

static void
test_secret_owner(void **state)
{
	struct stat st;
	char msg[512];

	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | 0640;
	st.st_uid = 0;
	st.st_gid = 0;
	assert_int_equal(conf_check_secret_stat(&st, "/etc/x", msg, sizeof(msg)), 0);
	st.st_uid = geteuid();
	assert_int_equal(conf_check_secret_stat(&st, "/etc/x", msg, sizeof(msg)), 0);
	/* Owned by some other user: that user could rewrite it. */
	st.st_uid = geteuid() == 54321 ? 54322 : 54321;
	assert_int_equal(conf_check_secret_stat(&st, "/etc/x", msg, sizeof(msg)), -EACCES);
	assert_non_null(strstr(msg, "chown root:"));
	assert_non_null(strstr(msg, "/etc/x"));
}

/* ---- diagnostics and loading ---- */

static void
test_diag_bounds(void **state)
{
	struct conf_diag d;
	struct upsd_conf *c;
	size_t n = CONF_MAX_MSGS + 50;
	char *buf = malloc(n * 8 + 1), *p = buf;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	if (!buf)
		abort(); /* also tells the compiler buf is set */
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "BOGUS%zu\n", i % 10);
	conf_diag_init(&d);
	assert_int_equal(upsd_conf_parse("b", buf, (size_t)(p - buf), &c, &d), -EINVAL);
	assert_null(c);
	assert_int_equal(d.nerrors, n);
	assert_int_equal(d.nmsgs, CONF_MAX_MSGS);
	assert_string_equal(d.msgs[0].text, "b:1: unknown directive 'BOGUS0'");
	assert_false(d.msgs[0].warning);
	f = open_memstream(&out, &outlen);
	conf_diag_print(f, &d);
	fclose(f);
	assert_non_null(strstr(out, "(50 more messages not shown)"));
	free(out);
	conf_diag_free(&d);
	free(buf);
}

/* Each list a file can grow is bounded; the bound gives an error. */
static void
test_list_bounds(void **state)
{
	size_t n = UPS_CONF_MAX_UPS + 1, cap = n * 64;
	char *buf = malloc(cap), *p = buf;
	struct conf_diag d;
	struct ups_conf *uc;
	struct upsd_users *us;

	if (!buf)
		abort(); /* also tells the compiler buf is set */
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "[u%zu]\ndriver = d\nport = p\n", i);
	conf_diag_init(&d);
	assert_int_equal(ups_conf_parse("b", buf, (size_t)(p - buf), &uc, &d), -EINVAL);
	assert_int_equal(d.nerrors, 1);
	assert_non_null(strstr(d.msgs[0].text, "more than 1024 UPS sections"));
	conf_diag_free(&d);
	/* One section below the bound is fine. */
	p = strstr(buf, "[u1024]");
	*p = '\0';
	assert_int_equal(ups_conf_parse("b", buf, strlen(buf), &uc, &d), 0);
	assert_int_equal(uc->nups, UPS_CONF_MAX_UPS);
	ups_conf_free(uc);

	p = buf + sprintf(buf, "[u]\ndriver = d\nport = p\n");
	for (size_t i = 0; i < UPS_CONF_MAX_OPTS + 1; i++)
		p += sprintf(p, "opt%zu = v\n", i);
	assert_int_equal(ups_conf_parse("b", buf, (size_t)(p - buf), &uc, &d), -EINVAL);
	conf_diag_free(&d);

	p = buf;
	for (size_t i = 0; i < UPSD_USERS_MAX_USERS + 1; i++)
		p += sprintf(p, "[u%zu]\npassword = $6$a$b\n", i);
	assert_int_equal(upsd_users_parse("b", buf, (size_t)(p - buf), &us, &d), -EINVAL);
	assert_int_equal(d.nerrors, 1);
	conf_diag_free(&d);

	p = buf + sprintf(buf, "[u]\npassword = $6$a$b\n");
	for (size_t i = 0; i < UPSD_USERS_MAX_LIST + 1; i++)
		p += sprintf(p, "instcmds = cmd.%zu\n", i);
	assert_int_equal(upsd_users_parse("b", buf, (size_t)(p - buf), &us, &d), -EINVAL);
	assert_int_equal(d.nerrors, 1);
	conf_diag_free(&d);
	free(buf);
}

/* n+1 generated lines where n is the bound: exactly one error, naming it. */
typedef int (*parse_fn)(const char *text, size_t len, struct conf_diag *d);

static int
p_upsmon(const char *t, size_t n, struct conf_diag *d)
{
	struct upsmon_conf *c;
	int r = upsmon_conf_parse("b", t, n, &c, d);

	upsmon_conf_free(c);
	return r;
}

static int
p_hosts(const char *t, size_t n, struct conf_diag *d)
{
	struct hosts_conf *c;
	int r = hosts_conf_parse("b", t, n, &c, d);

	hosts_conf_free(c);
	return r;
}

static int
p_upssched(const char *t, size_t n, struct conf_diag *d)
{
	struct upssched_conf *c;
	int r = upssched_conf_parse("b", t, n, &c, d);

	upssched_conf_free(c);
	return r;
}

static int
p_upsd(const char *t, size_t n, struct conf_diag *d)
{
	struct upsd_conf *c;
	int r = upsd_conf_parse("b", t, n, &c, d);

	upsd_conf_free(c);
	return r;
}

typedef int (*gen_fn)(char *buf, size_t i);

static int
g_monitor(char *b, size_t i)
{
	return sprintf(b, "MONITOR u%zu@h 1 user pass primary\n", i);
}

static int
g_certhost(char *b, size_t i)
{
	return sprintf(b, "CERTHOST h%zu name 1 1\n", i);
}

static int
g_hosts(char *b, size_t i)
{
	return sprintf(b, "MONITOR u%zu@h x\n", i);
}

static int
g_at(char *b, size_t i)
{
	return sprintf(b, "AT FSD * EXECUTE c%zu\n", i);
}

static int
g_listen(char *b, size_t i)
{
	return sprintf(b, "LISTEN 127.0.0.1 %zu\n", i + 1);
}

static void
check_bound(parse_fn fn, const char *head, gen_fn gen, size_t bound, const char *want)
{
	size_t cap = strlen(head) + (bound + 1) * 128;
	char *buf = malloc(cap), *p = buf;
	struct conf_diag d;

	if (!buf)
		abort(); /* also tells the compiler buf is set */
	p += sprintf(p, "%s", head);
	for (size_t i = 0; i < bound + 1; i++)
		p += gen(p, i);
	conf_diag_init(&d);
	assert_int_equal(fn(buf, (size_t)(p - buf), &d), -EINVAL);
	assert_int_equal(d.nerrors, 1);
	if (!strstr(d.msgs[0].text, want))
		fail_msg("'%s' lacks '%s'", d.msgs[0].text, want);
	conf_diag_free(&d);
	/* Exactly at the bound: accepted. */
	p = strrchr(buf, '\n');
	*p = '\0';
	p = strrchr(buf, '\n');
	p[1] = '\0';
	assert_int_equal(fn(buf, strlen(buf), &d), 0);
	conf_diag_free(&d);
	free(buf);
}

static void
test_more_bounds(void **state)
{
	char msg[UPSMON_MAX_MSGLEN + 64], line[UPSMON_MAX_MSGLEN + 128];
	struct conf_diag d;

	check_bound(p_upsmon, "", g_monitor, UPSMON_MAX_MONITORS, "MONITOR: more than 128");
	check_bound(p_upsmon, "MINSUPPLIES 0\n", g_certhost, UPSMON_MAX_CERTHOSTS,
	            "CERTHOST: more than 128");
	check_bound(p_hosts, "", g_hosts, HOSTS_MAX_MONITORS, "MONITOR: more than 1024");
	check_bound(p_upssched, "CMDSCRIPT /bin/x\n", g_at, 1024, "AT: more than 1024");
	check_bound(p_upsd, "", g_listen, 64, "LISTEN: more than 64");

	/* NOTIFYMSG text: UPSMON_MAX_MSGLEN characters, not one more. */
	memset(msg, 'm', sizeof(msg));
	msg[UPSMON_MAX_MSGLEN] = '\0';
	(void)snprintf(line, sizeof(line), "MINSUPPLIES 0\nNOTIFYMSG ONLINE \"%s\"\n", msg);
	conf_diag_init(&d);
	assert_int_equal(p_upsmon(line, strlen(line), &d), 0);
	msg[UPSMON_MAX_MSGLEN] = 'm';
	msg[UPSMON_MAX_MSGLEN + 1] = '\0';
	(void)snprintf(line, sizeof(line), "MINSUPPLIES 0\nNOTIFYMSG ONLINE \"%s\"\n", msg);
	assert_int_equal(p_upsmon(line, strlen(line), &d), -EINVAL);
	assert_int_equal(d.nerrors, 1);
	conf_diag_free(&d);
}

static void
test_load_errors(void **state)
{
	char dir[] = "/tmp/upsguard-conf-XXXXXX", path[128];
	struct conf_diag d;
	struct upsd_conf *c = (struct upsd_conf *)1;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	conf_diag_init(&d);
	(void)snprintf(path, sizeof(path), "%s/missing.conf", dir);
	assert_int_equal(upsd_conf_load(path, &c, &d), -ENOENT);
	assert_null(c);
	assert_int_equal(d.nerrors, 1);
	assert_non_null(strstr(d.msgs[0].text, path));
	assert_int_equal(upsd_conf_load(dir, &c, &d), -EISDIR);
	/* A FIFO is refused at once instead of blocking for a writer. */
	(void)snprintf(path, sizeof(path), "%s/fifo.conf", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(upsd_conf_load(path, &c, &d), -EINVAL);
	assert_null(c);
	unlink(path);

	/* Larger than CONF_MAX_FILE_SIZE: refused before parsing. */
	(void)snprintf(path, sizeof(path), "%s/big.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < CONF_MAX_FILE_SIZE / 16 + 1; i++)
		fputs("# padding......\n", f);
	fclose(f);
	assert_int_equal(upsd_conf_load(path, &c, &d), -EFBIG);
	unlink(path);

	/* A good file loads; one error anywhere means no result at all. */
	f = fopen(path, "w");
	fputs("MAXAGE 20\nLISTEN 127.0.0.1 3000\n", f);
	fclose(f);
	conf_diag_free(&d);
	assert_int_equal(upsd_conf_load(path, &c, &d), 0);
	assert_int_equal(c->maxage, 20);
	upsd_conf_free(c);
	f = fopen(path, "w");
	fputs("MAXAGE 20\nLISTEN 127.0.0.1 3000\nMAXAGE x\n", f);
	fclose(f);
	assert_int_equal(upsd_conf_load(path, &c, &d), -EINVAL);
	assert_null(c);
	unlink(path);
	rmdir(dir);
	conf_diag_free(&d);
}

static void
test_warning_once(void **state)
{
	/* Three over-long words on one line: one warning for the line; a second
	 * line with the same problem: a second warning. */
	char buf[4096], *p = buf;
	struct conf_diag d;
	struct hosts_conf *c;

	p += sprintf(p, "MONITOR u@h \"");
	memset(p, 'a', 600);
	p += 600;
	p += sprintf(p, "\"\nMONITOR v@h \"");
	memset(p, 'b', 700);
	p += 700;
	p += sprintf(p, "\"\n");
	conf_diag_init(&d);
	assert_int_equal(hosts_conf_parse("w", buf, (size_t)(p - buf), &c, &d), 0);
	assert_int_equal(d.nwarnings, 2);
	assert_string_equal(d.msgs[0].text,
	                    "w:1: warning: word longer than 512 characters was cut");
	assert_string_equal(d.msgs[1].text,
	                    "w:2: warning: word longer than 512 characters was cut");
	assert_int_equal(strlen(c->monitors[0].desc), 512);
	hosts_conf_free(c);
	conf_diag_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_net_parse),
	    cmocka_unit_test(test_net_format),
	    cmocka_unit_test(test_cidr_ipv4),
	    cmocka_unit_test(test_cidr_ipv6),
	    cmocka_unit_test(test_cidr_mapped),
	    cmocka_unit_test(test_cidr_lists),
	    cmocka_unit_test(test_users_rights),
	    cmocka_unit_test(test_users_allowfrom),
	    cmocka_unit_test(test_password_hash_shapes),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_notify_table),
	    cmocka_unit_test(test_lookups),
	    cmocka_unit_test(test_upsname),
	    cmocka_unit_test(test_secret_modes),
	    cmocka_unit_test(test_secret_owner),
	    cmocka_unit_test(test_diag_bounds),
	    cmocka_unit_test(test_load_errors),
	    cmocka_unit_test(test_list_bounds),
	    cmocka_unit_test(test_more_bounds),
	    cmocka_unit_test(test_warning_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

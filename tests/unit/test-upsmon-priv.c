/*
 * Unit tests of upsmon's privileged part: it runs SHUTDOWNCMD for exactly
 * one well-formed SHUTDOWN request, and ends without running it on any
 * bad message, on a second request, or when [net] goes away first.
 * Also SHUTDOWNCMD's shell-free word splitting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "privsep/privsep.h"
#include "shutdowncmd.h"
#include "upsmon.h"

static int runs;

static int
fake_run(void *arg)
{
	(void)arg;
	runs++;
	return 0;
}

/* Run priv_run against a fake [net] that sent `buf` then closed (or not). */
static int
run_priv(const void *buf, size_t len, int count, bool close_after)
{
	int fds[2];
	struct priv_ctx ctx;

	assert_int_equal(privsep_pair(fds), 0);
	for (int i = 0; i < count; i++)
		assert_int_equal(send(fds[1], buf, len, 0), (ssize_t)len);
	if (close_after)
		close(fds[1]);
	memset(&ctx, 0, sizeof(ctx));
	ctx.net_fd = fds[0];
	ctx.shutdowncmd = "/usr/bin/true";
	ctx.run_shutdown = fake_run;
	runs = 0;
	int r = priv_run(&ctx);
	close(fds[0]);
	if (!close_after)
		close(fds[1]);
	return r;
}

static int
shutdown_msg(unsigned char *buf, size_t size)
{
	struct privsep_msg m;
	memset(&m, 0, sizeof(m));
	m.type = PRIVSEP_SHUTDOWN;
	m.u.shutdown.magic = PRIVSEP_SHUTDOWN_MAGIC;
	return privsep_encode(&m, buf, size);
}

static void
test_one_shutdown(void **state)
{
	unsigned char buf[PRIVSEP_MSG_MAX];
	int len = shutdown_msg(buf, sizeof(buf));

	/* [net] asks once and exits: SHUTDOWNCMD runs once, exit status 0 */
	assert_int_equal(run_priv(buf, (size_t)len, 1, true), 0);
	assert_int_equal(runs, 1);
	/* a second request is refused and ends [priv] */
	assert_int_equal(run_priv(buf, (size_t)len, 2, false), 1);
	assert_int_equal(runs, 1);
}

static void
test_bad_messages(void **state)
{
	unsigned char buf[PRIVSEP_MSG_MAX + 8];
	int len = shutdown_msg(buf, sizeof(buf));

	/* truncated, oversized, a lone byte (NUT's old request), wrong magic */
	assert_int_equal(run_priv(buf, (size_t)len - 1, 1, false), 1);
	assert_int_equal(runs, 0);
	memset(buf + len, 0, 8);
	assert_int_equal(run_priv(buf, (size_t)len + 8, 1, false), 1);
	assert_int_equal(runs, 0);
	assert_int_equal(run_priv("\x01", 1, 1, false), 1);
	assert_int_equal(runs, 0);
	buf[8] ^= 0xff;
	assert_int_equal(run_priv(buf, (size_t)len, 1, false), 1);
	assert_int_equal(runs, 0);
	/* a NOTIFY is well-formed but not accepted by [priv] */
	struct privsep_msg m;
	memset(&m, 0, sizeof(m));
	m.type = PRIVSEP_NOTIFY;
	len = privsep_encode(&m, buf, sizeof(buf));
	assert_int_equal(run_priv(buf, (size_t)len, 1, false), 1);
	assert_int_equal(runs, 0);
}

static void
test_net_gone(void **state)
{
	/* EOF before any request: exit 1, no shutdown */
	assert_int_equal(run_priv("", 0, 0, true), 1);
	assert_int_equal(runs, 0);
}

static void
test_split(void **state)
{
	char *argv[SHUTDOWNCMD_MAX_ARGS + 1];
	char store[256];

	assert_int_equal(shutdowncmd_split("/sbin/shutdown -h +0", argv, store, sizeof(store)), 3);
	assert_string_equal(argv[2], "+0");
	assert_null(argv[3]);
	/* shell syntax is just text: one word each */
	assert_int_equal(shutdowncmd_split("/usr/bin/touch x; reboot", argv, store, sizeof(store)),
	    3);
	assert_string_equal(argv[1], "x;");
	assert_int_equal(shutdowncmd_split("a \"b c\" $(d)", argv, store, sizeof(store)), 3);
	assert_string_equal(argv[1], "b c");
	assert_string_equal(argv[2], "$(d)");
	assert_true(shutdowncmd_split("", argv, store, sizeof(store)) < 0);
	assert_true(shutdowncmd_split("a\nb", argv, store, sizeof(store)) < 0);
	assert_true(shutdowncmd_split("\"open", argv, store, sizeof(store)) < 0);
	char many[SHUTDOWNCMD_MAX_ARGS * 2 + 8];
	size_t o = 0;
	for (int i = 0; i <= SHUTDOWNCMD_MAX_ARGS; i++) {
		many[o++] = 'a';
		many[o++] = ' ';
	}
	many[o] = '\0';
	assert_true(shutdowncmd_split(many, argv, store, sizeof(store)) < 0);
}

static void
test_flag(void **state)
{
	char path[] = "/tmp/upsmon-flag-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(priv_check_flag(path), 0);
	assert_int_equal(priv_write_flag(path), 0);
	assert_int_equal(priv_check_flag(path), 1);
	unlink(path);
	assert_int_equal(priv_check_flag(path), 0);
}

int
main(void)
{
	log_init("test");
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_shutdown),
		cmocka_unit_test(test_bad_messages),
		cmocka_unit_test(test_net_gone),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_flag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

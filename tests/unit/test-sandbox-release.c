/*
 * The release variant of the test hook (compiled here with
 * SANDBOX_NO_TEST_HOOKS, as release builds compile it with TEST_HOOKS 0):
 * even with UPSGUARD_TEST_HOOK set to a live socket, nothing connects,
 * nothing is attached, and no hook can be served.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sandbox/sandbox.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void
test_release_hook_is_inert(void **state)
{
	int sv[2];
	char spec[32];
	struct sandbox_hook *h = (struct sandbox_hook *)1;
	struct event_base *base = event_base_new();
	char buf[64];

	(void)state;
	assert_non_null(base);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	snprintf(spec, sizeof(spec), "fd:%d", sv[1]);
	assert_int_equal(setenv(SANDBOX_HOOK_ENV, spec, 1), 0);

	assert_int_equal(sandbox_hook_open("t", &h), 0);
	assert_null(h);
	assert_int_equal(sandbox_hook_fd(NULL), -1);
	assert_int_equal(sandbox_hook_attach(base, "t"), 0);
	assert_int_equal(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 0);
	/* nothing was written on the socket: no HELLO */
	assert_int_equal(recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	close(sv[0]);
	close(sv[1]);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_release_hook_is_inert),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

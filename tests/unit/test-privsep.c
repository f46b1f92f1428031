/*
 * Unit tests of the typed privsep messages: round trips over a real
 * socketpair, and every way a message can be wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "privsep/privsep.h"

#define ALL (PRIVSEP_ACCEPT(PRIVSEP_SHUTDOWN) | PRIVSEP_ACCEPT(PRIVSEP_NOTIFY) | PRIVSEP_ACCEPT(PRIVSEP_FSD) | PRIVSEP_ACCEPT(PRIVSEP_STOP))

static void
test_roundtrip(void **state)
{
	int fds[2];
	struct privsep_msg m;

	assert_int_equal(privsep_pair(fds), 0);
	assert_int_equal(privsep_send_shutdown(fds[0]), 0);
	assert_int_equal(privsep_recv(fds[1], ALL, 40, &m), 1);
	assert_int_equal(m.type, PRIVSEP_SHUTDOWN);

	assert_int_equal(privsep_send_notify(fds[0], 7, "ups@host:3493", "a \"b\" $(c); d"), 0);
	assert_int_equal(privsep_recv(fds[1], ALL, 40, &m), 1);
	assert_int_equal(m.type, PRIVSEP_NOTIFY);
	assert_int_equal(m.u.notify.event, 7);
	assert_string_equal(m.u.notify.ups, "ups@host:3493");
	assert_string_equal(m.u.notify.text, "a \"b\" $(c); d");

	assert_int_equal(privsep_send_fsd(fds[0]), 0);
	assert_int_equal(privsep_recv(fds[1], ALL, 40, &m), 1);
	assert_int_equal(m.type, PRIVSEP_FSD);

	close(fds[0]);
	assert_int_equal(privsep_recv(fds[1], ALL, 40, &m), 0);
	close(fds[1]);
}

static void
test_not_accepted(void **state)
{
	int fds[2];
	struct privsep_msg m;

	/* [priv] accepts only SHUTDOWN: a NOTIFY or FSD is a bad message. */
	assert_int_equal(privsep_pair(fds), 0);
	assert_int_equal(privsep_send_notify(fds[0], 1, "u", "t"), 0);
	assert_int_equal(privsep_recv(fds[1], PRIVSEP_ACCEPT(PRIVSEP_SHUTDOWN), 40, &m), -EBADMSG);
	assert_int_equal(privsep_send_fsd(fds[0]), 0);
	assert_int_equal(privsep_recv(fds[1], PRIVSEP_ACCEPT(PRIVSEP_SHUTDOWN), 40, &m), -EBADMSG);
	/* event beyond the receiver's bound */
	assert_int_equal(privsep_send_notify(fds[0], 40, "u", "t"), 0);
	assert_int_equal(privsep_recv(fds[1], ALL, 40, &m), -EBADMSG);
	close(fds[0]);
	close(fds[1]);
}

static void
test_lengths(void **state)
{
	int fds[2];
	struct privsep_msg m, in;
	unsigned char buf[PRIVSEP_MSG_MAX + 64];
	int len;

	memset(&in, 0, sizeof(in));
	in.type = PRIVSEP_SHUTDOWN;
	in.u.shutdown.magic = PRIVSEP_SHUTDOWN_MAGIC;
	len = privsep_encode(&in, buf, sizeof(buf));
	assert_int_equal(len, 12);
	assert_int_equal(privsep_decode(buf, (size_t)len, ALL, 40, &m), 0);
	/* truncated, one byte too long, header lies about length, bad magic */
	assert_int_equal(privsep_decode(buf, (size_t)len - 1, ALL, 40, &m), -EBADMSG);
	assert_int_equal(privsep_decode(buf, (size_t)len + 1, ALL, 40, &m), -EBADMSG);
	assert_int_equal(privsep_decode(buf, 3, ALL, 40, &m), -EBADMSG);
	buf[4] = 5;
	assert_int_equal(privsep_decode(buf, (size_t)len, ALL, 40, &m), -EBADMSG);
	buf[4] = 4;
	buf[8] ^= 1;
	assert_int_equal(privsep_decode(buf, (size_t)len, ALL, 40, &m), -EBADMSG);
	buf[8] ^= 1;
	/* unknown types */
	buf[0] = 0;
	assert_int_equal(privsep_decode(buf, (size_t)len, ALL, 40, &m), -EBADMSG);
	buf[0] = PRIVSEP_TYPE_MAX + 1;
	assert_int_equal(privsep_decode(buf, (size_t)len, ALL, 40, &m), -EBADMSG);
	buf[0] = PRIVSEP_SHUTDOWN;

	/* Over a real socket: a truncated and an oversized datagram. */
	assert_int_equal(privsep_pair(fds), 0);
	assert_int_equal(send(fds[0], buf, (size_t)len - 1, 0), len - 1);
	assert_int_equal(privsep_recv(fds[1], ALL, 40, &m), -EBADMSG);
	memset(buf + len, 0, sizeof(buf) - (size_t)len);
	assert_int_equal(send(fds[0], buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	assert_int_equal(privsep_recv(fds[1], ALL, 40, &m), -EBADMSG);
	/* A single stray byte, NUT's old "0x01" request, means nothing here. */
	assert_int_equal(send(fds[0], "\x01", 1, 0), 1);
	assert_int_equal(privsep_recv(fds[1], ALL, 40, &m), -EBADMSG);
	/* non-blocking, empty */
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	assert_int_equal(privsep_recv(fds[1], ALL, 40, &m), -EAGAIN);
	close(fds[0]);
	close(fds[1]);
}

static void
test_strings(void **state)
{
	struct privsep_msg in, m;
	unsigned char buf[PRIVSEP_MSG_MAX];
	char longname[PRIVSEP_UPS_MAX * 2];
	int fds[2];

	memset(&in, 0, sizeof(in));
	in.type = PRIVSEP_NOTIFY;
	in.u.notify.event = 1;
	strcpy(in.u.notify.ups, "ups");
	strcpy(in.u.notify.text, "text");
	int len = privsep_encode(&in, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(privsep_decode(buf, (size_t)len, ALL, 40, &m), 0);
	/* a field without NUL */
	memset(in.u.notify.ups, 'a', sizeof(in.u.notify.ups));
	len = privsep_encode(&in, buf, sizeof(buf));
	assert_int_equal(privsep_decode(buf, (size_t)len, ALL, 40, &m), -EBADMSG);
	/* control characters */
	strcpy(in.u.notify.ups, "u\nx");
	len = privsep_encode(&in, buf, sizeof(buf));
	assert_int_equal(privsep_decode(buf, (size_t)len, ALL, 40, &m), -EBADMSG);
	strcpy(in.u.notify.ups, "ups");
	strcpy(in.u.notify.text, "\x1b[31m");
	len = privsep_encode(&in, buf, sizeof(buf));
	assert_int_equal(privsep_decode(buf, (size_t)len, ALL, 40, &m), -EBADMSG);

	/* The sender cuts long strings and replaces unprintable bytes. */
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(privsep_pair(fds), 0);
	assert_int_equal(privsep_send_notify(fds[0], 2, longname, "bell\a\xff"), 0);
	assert_int_equal(privsep_recv(fds[1], ALL, 40, &m), 1);
	assert_int_equal(strlen(m.u.notify.ups), PRIVSEP_UPS_MAX - 1);
	assert_string_equal(m.u.notify.text, "bell??");
	close(fds[0]);
	close(fds[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_not_accepted),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

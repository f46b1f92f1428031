/*
 * privsep: typed, exactly-sized messages over SOCK_SEQPACKET socketpairs.
 *
 * The payload of each type has one fixed size (the table below), so the
 * receiver never interprets a message whose length is not exactly the
 * header plus that size.  Strings travel in fixed fields and must be
 * NUL-terminated inside them and printable ASCII, so nothing a network
 * peer sent can carry control characters into syslog or a terminal.
 */
#include "privsep/privsep.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

struct type_info {
	size_t payload;
};

static const struct type_info type_table[PRIVSEP_TYPE_MAX + 1] = {
	[PRIVSEP_SHUTDOWN] = {sizeof(struct privsep_shutdown)},
	[PRIVSEP_NOTIFY] = {sizeof(struct privsep_notify)},
	[PRIVSEP_FSD] = {sizeof(struct privsep_fsd)},
	[PRIVSEP_STOP] = {sizeof(struct privsep_stop)},
};

int
privsep_pair(int ret_fds[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ret_fds) < 0)
		return -errno;
	return 0;
}

/* True when field holds a NUL within size and only printable ASCII before it. */
static bool
field_ok(const char *field, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		unsigned char c = (unsigned char)field[i];
		if (c == '\0')
			return true;
		if (c < 0x20 || c > 0x7e)
			return false;
	}
	return false;
}

int
privsep_decode(const void *buf, size_t len, unsigned accept, uint32_t event_max,
    struct privsep_msg *ret)
{
	struct privsep_hdr h;
	struct privsep_msg m;
	const unsigned char *p = buf;

	if (len < sizeof(h))
		return -EBADMSG;
	memcpy(&h, p, sizeof(h));
	if (h.type == 0 || h.type > PRIVSEP_TYPE_MAX || !(accept & PRIVSEP_ACCEPT(h.type)))
		return -EBADMSG;
	if (h.len != type_table[h.type].payload || len != sizeof(h) + h.len)
		return -EBADMSG;
	memset(&m, 0, sizeof(m));
	m.type = (enum privsep_type)h.type;
	switch (m.type) {
	case PRIVSEP_SHUTDOWN:
		memcpy(&m.u.shutdown, p + sizeof(h), sizeof(m.u.shutdown));
		if (m.u.shutdown.magic != PRIVSEP_SHUTDOWN_MAGIC)
			return -EBADMSG;
		break;
	case PRIVSEP_FSD:
		memcpy(&m.u.fsd, p + sizeof(h), sizeof(m.u.fsd));
		if (m.u.fsd.magic != PRIVSEP_SHUTDOWN_MAGIC)
			return -EBADMSG;
		break;
	case PRIVSEP_STOP:
		memcpy(&m.u.stop, p + sizeof(h), sizeof(m.u.stop));
		if (m.u.stop.magic != PRIVSEP_SHUTDOWN_MAGIC)
			return -EBADMSG;
		break;
	case PRIVSEP_NOTIFY:
		memcpy(&m.u.notify, p + sizeof(h), sizeof(m.u.notify));
		if (m.u.notify.event >= event_max ||
		    !field_ok(m.u.notify.ups, sizeof(m.u.notify.ups)) ||
		    !field_ok(m.u.notify.text, sizeof(m.u.notify.text)))
			return -EBADMSG;
		break;
	}
	*ret = m;
	return 0;
}

int
privsep_encode(const struct privsep_msg *m, void *buf, size_t size)
{
	struct privsep_hdr h;

	if ((unsigned)m->type == 0 || (unsigned)m->type > PRIVSEP_TYPE_MAX)
		return -EINVAL;
	h.type = (uint32_t)m->type;
	h.len = (uint32_t)type_table[m->type].payload;
	if (size < sizeof(h) + h.len)
		return -EINVAL;
	memcpy(buf, &h, sizeof(h));
	memcpy((unsigned char *)buf + sizeof(h), &m->u, h.len);
	return (int)(sizeof(h) + h.len);
}

int
privsep_recv(int fd, unsigned accept, uint32_t event_max, struct privsep_msg *ret)
{
	unsigned char buf[PRIVSEP_MSG_MAX];
	ssize_t n;

	do {
		n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n == 0)
		return 0;
	/* MSG_TRUNC makes n the real length, so an oversized message fails here. */
	if ((size_t)n > sizeof(buf))
		return -EBADMSG;
	int r = privsep_decode(buf, (size_t)n, accept, event_max, ret);
	return r < 0 ? r : 1;
}

static int
send_msg(int fd, const struct privsep_msg *m)
{
	unsigned char buf[PRIVSEP_MSG_MAX];
	int len = privsep_encode(m, buf, sizeof(buf));
	ssize_t n;

	if (len < 0)
		return len;
	do {
		n = send(fd, buf, (size_t)len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == len ? 0 : -EIO;
}

int
privsep_send_shutdown(int fd)
{
	struct privsep_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PRIVSEP_SHUTDOWN;
	m.u.shutdown.magic = PRIVSEP_SHUTDOWN_MAGIC;
	return send_msg(fd, &m);
}

int
privsep_send_fsd(int fd)
{
	struct privsep_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PRIVSEP_FSD;
	m.u.fsd.magic = PRIVSEP_SHUTDOWN_MAGIC;
	return send_msg(fd, &m);
}

int
privsep_send_stop(int fd)
{
	struct privsep_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PRIVSEP_STOP;
	m.u.stop.magic = PRIVSEP_SHUTDOWN_MAGIC;
	return send_msg(fd, &m);
}

/* Copy src into a fixed field, cut to fit, unprintable bytes as '?'. */
static void
field_set(char *field, size_t size, const char *src)
{
	size_t i = 0;

	for (; src && src[i] && i + 1 < size; i++) {
		unsigned char c = (unsigned char)src[i];
		field[i] = (c < 0x20 || c > 0x7e) ? '?' : (char)c;
	}
	field[i] = '\0';
}

int
privsep_send_notify(int fd, uint32_t event, const char *ups, const char *text)
{
	struct privsep_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PRIVSEP_NOTIFY;
	m.u.notify.event = event;
	field_set(m.u.notify.ups, sizeof(m.u.notify.ups), ups);
	field_set(m.u.notify.text, sizeof(m.u.notify.text), text);
	return send_msg(fd, &m);
}

/*
 * privsep: small typed messages between the processes of upsmon.
 *
 * Every channel is an AF_UNIX SOCK_SEQPACKET socketpair, so one send is
 * one message and a truncated or oversized message is visible to the
 * receiver.  A message is a fixed header (type, payload length) followed by
 * a payload whose length is fixed per type.  The receiver names the types
 * it accepts; anything else -- unknown type, a type it does not accept, a
 * length that is not exactly right, a string that is not NUL-terminated
 * inside its field or holds bytes outside 0x20..0x7e -- is -EBADMSG, and
 * the caller ends (the ntpd/OpenSSH rule: a bad message is fatal).
 *
 * The three channels of upsmon:
 *   [net] -> [priv]   PRIVSEP_SHUTDOWN (no payload but a fixed magic)
 *   [net] -> [notify] PRIVSEP_NOTIFY   (event type, UPS name, detail text)
 *   [priv] -> [net]   PRIVSEP_FSD      (the operator asked `upsmon -c fsd`)
 *   [priv] -> [net]   PRIVSEP_STOP     (end quietly: upsmon is stopping; no
 *                                       signal needed, so [priv] needs no CAP_KILL)
 */
#ifndef UPSGUARD_PRIVSEP_H
#define UPSGUARD_PRIVSEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PRIVSEP_UPS_MAX 128   /* "ups@host:port" of a MONITOR line, NUL included */
#define PRIVSEP_TEXT_MAX 512  /* detail text (alarm, unknown tokens), NUL included */
#define PRIVSEP_MSG_MAX 1024  /* no message is longer; receive buffers use this */
#define PRIVSEP_SHUTDOWN_MAGIC 0x55505344u /* "UPSD": a stray write is not a request */

enum privsep_type {
	PRIVSEP_SHUTDOWN = 1,
	PRIVSEP_NOTIFY = 2,
	PRIVSEP_FSD = 3,
	PRIVSEP_STOP = 4,
	PRIVSEP_TYPE_MAX = 4,
};

/* Bit for a receiver's set of accepted types. */
#define PRIVSEP_ACCEPT(t) (1u << (t))

struct privsep_hdr {
	uint32_t type;
	uint32_t len; /* payload bytes after the header */
};

struct privsep_shutdown {
	uint32_t magic;
};

struct privsep_notify {
	uint32_t event;                 /* an index the receiver checks (< event_max) */
	char ups[PRIVSEP_UPS_MAX];      /* NUL-terminated, may be empty */
	char text[PRIVSEP_TEXT_MAX];    /* NUL-terminated, may be empty */
};

struct privsep_fsd {
	uint32_t magic;
};

struct privsep_stop {
	uint32_t magic;
};

struct privsep_msg {
	enum privsep_type type;
	union {
		struct privsep_shutdown shutdown;
		struct privsep_notify notify;
		struct privsep_fsd fsd;
		struct privsep_stop stop;
	} u;
};

/* A SOCK_SEQPACKET|SOCK_CLOEXEC socketpair. Returns 0 or -errno. */
int privsep_pair(int ret_fds[2]);

/*
 * Check and decode one received message of len bytes.  accept is a set of
 * PRIVSEP_ACCEPT() bits; event_max bounds PRIVSEP_NOTIFY's event.  Returns
 * 0 and fills *ret, or -EBADMSG.  Pure: fuzzed directly.
 */
int privsep_decode(const void *buf, size_t len, unsigned accept, uint32_t event_max,
    struct privsep_msg *ret);

/*
 * Receive one message from fd and decode it as privsep_decode() does.
 * Returns 1 with *ret filled, 0 on end of file (peer gone), -EAGAIN when a
 * non-blocking fd has nothing, -EBADMSG for a bad message, or -errno.
 */
int privsep_recv(int fd, unsigned accept, uint32_t event_max, struct privsep_msg *ret);

/* Senders.  Each writes exactly one message; returns 0 or -errno. */
int privsep_send_shutdown(int fd);
int privsep_send_fsd(int fd);
int privsep_send_stop(int fd);

/* Strings are cut to their field and unprintable bytes become '?'. */
int privsep_send_notify(int fd, uint32_t event, const char *ups, const char *text);

/* Encode (for tests and the fuzzer's seeds): returns the length or -EINVAL. */
int privsep_encode(const struct privsep_msg *m, void *buf, size_t size);

#endif

/*
 * upsd internals shared by its modules: the server context, the UPS
 * mirrors of the driver sockets, and the network clients.
 *
 * One process, one libevent loop, no threads.  Memory per idle client is
 * kept small on purpose: an embedded read event, a few pointers and flags;
 * the tokenizer and the output queue exist only while a client has a
 * partial line or unsent replies.
 */
#ifndef UPSGUARD_UPSD_H
#define UPSGUARD_UPSD_H

#include "config.h"

#include <event2/event.h>
#include <event2/event_struct.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "conf/conf.h"
#include "conf/ups_conf.h"
#include "conf/upsd_conf.h"
#include "conf/upsd_users.h"
#include "sock/state.h"
#include "tokenizer.h"

/* Bounds on what one client can make upsd hold. */
#define UPSD_READ_CHUNK 16384            /* bytes read per readiness event */
#define UPSD_CLIENT_OUT_MAX (256 * 1024) /* queued reply bytes before reading stops */
#define UPSD_MAX_LISTENERS 64
#define UPSD_FAIL_TABLE 1024              /* addresses remembered for failed passwords */
#define UPSD_FAIL_FREE 3                  /* failures answered without delay */
#define UPSD_FAIL_WINDOW 600              /* seconds a failure is remembered */
#define UPSD_FAIL_DELAY_MAX 30            /* seconds of the longest delay */
#define UPSD_TRACKING_MAX 4096            /* tracking entries kept */
#define UPSD_DRIVER_OUT_MAX (1024 * 1024) /* bytes queued to one driver */
#define UPSD_CONNFAIL_LOG_EVERY 300       /* seconds between driver connect-failure logs */

/* A growable output buffer for one batch of replies. */
struct obuf {
	char *buf;
	size_t len, cap;
	bool oom;
};

void obuf_add(struct obuf *o, const char *s, size_t n);
void obuf_puts(struct obuf *o, const char *s);
void obuf_printf(struct obuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append `KIND UPS NAME "`, the head of a quoted-value reply line, without
 * printf: GET VAR is the request upsd answers most. */
void obuf_head(struct obuf *o, const char *kind, const char *ups, const char *name);
/* Append src escaped with NUT's value escaping (\ " #), without quotes. */
void obuf_escaped(struct obuf *o, const char *src);
void obuf_free(struct obuf *o);

struct server;

struct tracking {
	char id[40];
	int status; /* enum proto_track_status */
	time_t created;
};

/* One UPS of ups.conf and the mirror of its driver's state. */
struct ups {
	struct ups *next;
	struct server *srv;
	char *name; /* as in ups.conf */
	char *desc; /* NULL: none */
	char *driver;
	char *sockpath;
	struct st_tree tree;
	struct bufferevent *bev; /* NULL: not connected */
	struct tokenizer tok;
	bool dumpdone;
	bool stale_logged;
	bool fsd;
	bool keep; /* reload: still in ups.conf */
	int numlogins;
	time_t last_heard, last_ping, last_connfail;
};

/* One listening socket. */
struct listener {
	struct server *srv;
	int fd;
	struct event ev;
	bool loopback;          /* bound to a loopback address */
	bool tls_required;      /* credentials need STARTTLS first */
	bool nodelay_inherited; /* TCP_NODELAY set on the listener */
	char name[80];          /* "addr port" for logs */
};

enum {
	CL_TRACKING = 1u << 0,
	CL_TLS = 1u << 1,       /* STARTTLS done */
	CL_CLOSING = 1u << 2,   /* close after the queued output */
	CL_LOOPBACK = 1u << 3,  /* peer address is loopback */
	CL_TLS_REQ = 1u << 4,   /* arrived on a TLS-required listener */
	CL_AUTH_DONE = 1u << 5, /* password verified (cached result in CL_AUTH_OK) */
	CL_AUTH_OK = 1u << 6,
	CL_WRITE_WAIT = 1u << 7, /* waiting for POLLOUT */
	CL_HELD = 1u << 8,       /* failed-password delay in progress */
	CL_STARTTLS = 1u << 9,   /* handshake to begin after the OK is sent */
	CL_DEAF = 1u << 10,      /* parse error: input ignored from now on, as NUT does */
};

struct client {
	struct client *prev, *next; /* LRU: least recently heard first */
	struct server *srv;
	int fd;
	unsigned flags;
	time_t last_heard;
	unsigned long seq;       /* connection order */
	struct event ev;         /* plaintext I/O */
	struct bufferevent *bev; /* TLS I/O, after STARTTLS */
	struct tokenizer *tok;   /* only while a partial line is buffered */
	struct obuf *out;        /* only while replies are unsent */
	char *username, *password;
	struct ups *loginups;
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} addr;      /* peer address */
	char *stash; /* input not yet processed while replies back up */
	size_t stash_len;
};

/* Counts of the per-address failed-password table. */
struct failent {
	uint8_t addr[16];
	int family;
	unsigned count;
	time_t last;
};

struct server {
	struct event_base *base;
	/* The configuration; a reload updates its run-time settings. */
	struct upsd_conf *conf;
	int debug_cli; /* -D count; DEBUG_MIN in upsd.conf can raise it */
	struct upsd_users *users;
	char *confdir;      /* chroot prefix while not yet chrooted, else NULL */
	char *confdir_full; /* the configuration directory as opened at start */
	char *statepath;
	const char *upsd_conf_path, *users_path, *ups_conf_path;
	struct ups *upses; /* ups.conf order */
	struct listener listeners[UPSD_MAX_LISTENERS];
	size_t nlisteners;
	struct client *clients_head, *clients_tail;
	size_t nclients;
	long maxconn;
	SSL_CTX *ssl_ctx; /* NULL: no CERTFILE */
	struct tracking *tracking;
	size_t ntracking;
	struct failent fails[UPSD_FAIL_TABLE];
	char dummy_hash[400];        /* verified for unknown users, for even timing */
	struct tokenizer shared_tok; /* used for clients without a partial line */
	struct obuf reply;           /* replies of the batch being processed */
	struct event tick;           /* 1 s housekeeping */
	struct event sigs[4];
	bool stopping;
	unsigned long requests; /* lines dispatched, for statistics */
	unsigned long next_seq;
};

/* netcmd.c: the command dispatcher. Appends replies to srv->reply. */
void netcmd_dispatch(struct server *srv, struct client *c, const struct tok_line *line);
/* The reply for a line the tokenizer rejected: none (NUT sends nothing). */

/* ups.c: driver connections and state mirrors. */
struct ups *ups_find(struct server *srv, const char *name);
/* 0 available, else the PROTO_E_* error to send. */
int ups_check_available(struct ups *u);
/* Send one formatted line to the driver: 0, or -ENOTCONN / -ENOBUFS. */
int ups_send(struct ups *u, const char *line, size_t len);
void ups_connect(struct ups *u);
void ups_tick(struct ups *u, time_t now);
void ups_free(struct ups *u);
struct ups *ups_new(struct server *srv, const struct ups_conf_ups *cu);
/* Replace the UPS list from a newly loaded ups.conf, keeping connections. */
int ups_reload(struct server *srv, const struct ups_conf *uc);

/* tracking.c */
/* Create an entry with a fresh upper-case UUID v4 in id (>= 37 bytes). */
int tracking_add(struct server *srv, char *id);
void tracking_set(struct server *srv, const char *id, int status);
const char *tracking_get(struct server *srv, const char *id);
void tracking_expire(struct server *srv, time_t now);
void tracking_free(struct server *srv);

/* auth.c: permission checks of upsd.users. */
enum auth_right {
	AUTH_LOGIN,
	AUTH_PRIMARY,
	AUTH_FSD,
	AUTH_SET,
};
/* True when the client's USERNAME/PASSWORD grant the right (logs refusals). */
bool auth_check(struct server *srv, struct client *c, enum auth_right r);
bool auth_check_instcmd(struct server *srv, struct client *c, const char *cmd);
/* True when the client is a valid user (any rights). */
bool auth_valid_user(struct server *srv, struct client *c);
/* True when anonymous reads are allowed for this client, or it logged in. */
bool auth_may_read(struct server *srv, struct client *c);
/* Seconds the client must wait after a failure from its address (0: none). */
unsigned auth_fail_delay(struct server *srv, struct client *c);

/* client.c */
void client_accept(struct server *srv, struct listener *l, int fd, struct sockaddr *sa,
                   socklen_t salen);
void client_close(struct client *c);
void client_sweep_idle(struct server *srv, time_t now);
/* Numeric text of the client's address. */
const char *client_addr_str(const struct client *c, char *buf, size_t size);
/* Begin the TLS handshake (after OK STARTTLS was queued). */
void client_start_tls(struct client *c);

/* tls.c */
/* Build the TLS context from CERTFILE/CERTPATH/CERTREQUEST: 0 or -errno, msg set. */
int tls_setup(struct server *srv, char *msg, size_t size);

/* listen.c */
int listen_open_all(struct server *srv, char *msg, size_t size);
void listen_enable(struct server *srv);
void listen_close_all(struct server *srv);

/* The version strings of VER and server.*. */
#define UPSD_VER_TEXT "Network UPS Tools upsd " UPSGUARD_VERSION " - upsguard"

#endif

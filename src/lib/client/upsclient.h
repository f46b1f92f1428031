/*
 * upsclient: a blocking client of the NUT network protocol (TCP 3493),
 * used by upsc, upscmd, upsrw, upslog, upsmon's network part, the
 * dummy-ups repeater and upsweb.
 *
 * Properties:
 *  - every network wait is bounded: connect, each request/reply exchange
 *    (a whole LIST included) has a deadline of the connection's timeout;
 *  - every reply line is bounded by UCL_LINE_MAX bytes and every list by
 *    UCL_LIST_MAX_ITEMS items and UCL_LIST_MAX_BYTES bytes;
 *  - every reply and list line must repeat the query words
 *    (case-insensitively), as NUT's libupsclient checks;
 *  - values are unescaped with NUT's word rules (tokenizer.h);
 *  - STARTTLS with OpenSSL, certificate verification against a CA file or
 *    directory (or the system store) and a host-name check.
 *
 * Errors are negative ints: -errno for local system errors, or one of the
 * UCL_E_* codes below.  ucl_strerror() names any of them; ucl_errmsg()
 * gives the last error of a connection with its detail (OS error, TLS
 * reason, unknown server word...).  After UCL_E_TIMEOUT, UCL_E_LINE_TOO_LONG,
 * UCL_E_LIST_TOO_LONG, UCL_E_CLOSED, UCL_E_IO or a TLS error the connection
 * is out of sync and marked broken: every later call fails with
 * UCL_E_BROKEN.  Server ERR replies leave it usable.
 *
 * The library neither logs nor exits and keeps no global state.  It never
 * raises SIGPIPE: plain sockets are written with MSG_NOSIGNAL and around
 * TLS calls SIGPIPE is blocked for the calling thread and any SIGPIPE it
 * caused is consumed (a SIGPIPE already pending then is consumed too).
 */
#ifndef UPSGUARD_UPSCLIENT_H
#define UPSGUARD_UPSCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenizer.h"

#define UCL_PORT 3493
#define UCL_PORT_STR "3493"
#define UCL_LINE_MAX 1024            /* bytes of one reply line, newline included */
#define UCL_LIST_MAX_ITEMS 16384     /* lines of one LIST reply */
#define UCL_LIST_MAX_BYTES (4 << 20) /* raw bytes of one LIST reply */
#define UCL_HOST_MAX 256             /* host name or address text, NUL included */
#define UCL_NAME_MAX 128             /* UPS, variable or command name, NUL included */
#define UCL_VALUE_MAX (TOK_MAX_WORDLEN + 1) /* one unescaped value, NUL included */
#define UCL_TRACKID_MAX 64           /* tracking id, NUL included */
#define UCL_CRED_MAX 256             /* username or password, NUL included */
#define UCL_ERRMSG_MAX 320           /* ucl_errmsg() text */
#define UCL_DEFAULT_TIMEOUT_MS 10000 /* NUT's clients wait 10 s */
#define UCL_ITEM_WORDS 4             /* payload words kept per list item */

enum ucl_error {
	UCL_E_BASE = -1000,
	/* ERR words sent by the server (reference 1.4) */
	UCL_E_ACCESS_DENIED = UCL_E_BASE - 1,
	UCL_E_UNKNOWN_UPS = UCL_E_BASE - 2,
	UCL_E_VAR_NOT_SUPPORTED = UCL_E_BASE - 3,
	UCL_E_CMD_NOT_SUPPORTED = UCL_E_BASE - 4,
	UCL_E_INVALID_ARGUMENT = UCL_E_BASE - 5,
	UCL_E_INSTCMD_FAILED = UCL_E_BASE - 6,
	UCL_E_SET_FAILED = UCL_E_BASE - 7,
	UCL_E_READONLY = UCL_E_BASE - 8,
	UCL_E_TOO_LONG = UCL_E_BASE - 9,
	UCL_E_FEATURE_NOT_SUPPORTED = UCL_E_BASE - 10,
	UCL_E_FEATURE_NOT_CONFIGURED = UCL_E_BASE - 11,
	UCL_E_ALREADY_SSL_MODE = UCL_E_BASE - 12,
	UCL_E_DRIVER_NOT_CONNECTED = UCL_E_BASE - 13,
	UCL_E_DATA_STALE = UCL_E_BASE - 14,
	UCL_E_ALREADY_LOGGED_IN = UCL_E_BASE - 15,
	UCL_E_INVALID_PASSWORD = UCL_E_BASE - 16,
	UCL_E_ALREADY_SET_PASSWORD = UCL_E_BASE - 17,
	UCL_E_INVALID_USERNAME = UCL_E_BASE - 18,
	UCL_E_ALREADY_SET_USERNAME = UCL_E_BASE - 19,
	UCL_E_USERNAME_REQUIRED = UCL_E_BASE - 20,
	UCL_E_PASSWORD_REQUIRED = UCL_E_BASE - 21,
	UCL_E_UNKNOWN_COMMAND = UCL_E_BASE - 22,
	UCL_E_INVALID_VALUE = UCL_E_BASE - 23,
	UCL_E_VAR_UNKNOWN = UCL_E_BASE - 24,       /* legacy */
	UCL_E_UNKNOWN_TYPE = UCL_E_BASE - 25,      /* legacy */
	UCL_E_UNKNOWN_INSTCMD = UCL_E_BASE - 26,   /* legacy */
	UCL_E_MISSING_ARGUMENT = UCL_E_BASE - 27,  /* legacy */
	UCL_E_PASSWORD_INCORRECT = UCL_E_BASE - 28, /* libupsclient extra */
	UCL_E_UNKNOWN_VAR = UCL_E_BASE - 29,       /* libupsclient extra */
	UCL_E_SERVER_UNKNOWN = UCL_E_BASE - 30,    /* an ERR word we do not know */
	/* local conditions */
	UCL_E_TIMEOUT = UCL_E_BASE - 100,       /* no (complete) reply in time */
	UCL_E_CLOSED = UCL_E_BASE - 101,        /* server closed the connection */
	UCL_E_LINE_TOO_LONG = UCL_E_BASE - 102, /* reply line over UCL_LINE_MAX */
	UCL_E_LIST_TOO_LONG = UCL_E_BASE - 103, /* list over UCL_LIST_MAX_* */
	UCL_E_PARSE = UCL_E_BASE - 104,         /* reply could not be tokenized */
	UCL_E_PROTOCOL = UCL_E_BASE - 105,      /* reply does not answer the query */
	UCL_E_NOSUCHHOST = UCL_E_BASE - 106,    /* name resolution failed */
	UCL_E_CONNECT = UCL_E_BASE - 107,       /* could not connect */
	UCL_E_IO = UCL_E_BASE - 108,            /* read/write failure */
	UCL_E_TLS = UCL_E_BASE - 109,           /* TLS set-up or handshake failed */
	UCL_E_TLS_REFUSED = UCL_E_BASE - 110,   /* server refused STARTTLS, TLS required */
	UCL_E_TLS_VERIFY = UCL_E_BASE - 111,    /* server certificate not trusted */
	UCL_E_BAD_CREDENTIAL = UCL_E_BASE - 112, /* cannot be sent as NUT clients do */
	UCL_E_BADADDR = UCL_E_BASE - 113,       /* malformed host/port/UPS name */
	UCL_E_BADARG = UCL_E_BASE - 114,        /* a request word cannot be sent */
	UCL_E_BROKEN = UCL_E_BASE - 115,        /* connection unusable after an earlier error */
	UCL_E_NOMEM = UCL_E_BASE - 116,
};

/* "ups@host:port" split up.  ups is empty when the text had no UPS part. */
struct ucl_target {
	char ups[UCL_NAME_MAX];
	char host[UCL_HOST_MAX];
	uint16_t port;
};

/*
 * Parse "host", "host:port", "[v6]", "[v6]:port" (a bare IPv6 address
 * with two or more colons is taken as a host without port).  The default
 * port is UCL_PORT.  Returns 0 or UCL_E_BADADDR.
 */
int ucl_parse_hostport(const char *s, char *host, size_t hostsize, uint16_t *port);

/*
 * Parse "ups[@hostport]" as NUT's clients do: without '@' the host is
 * "localhost"; "ups:port" without a host, "@host" and "ups@" are errors.
 * Returns 0 or UCL_E_BADADDR.
 */
int ucl_parse_target(const char *s, struct ucl_target *t);

/* Name of an error code, in libupsclient's wording where it has one. */
const char *ucl_strerror(int err);

/* Map an ERR word ("ACCESS-DENIED") to its code; UCL_E_SERVER_UNKNOWN if unknown. */
int ucl_err_from_word(const char *word);

/* True for codes that stand for a server "ERR <word>" reply. */
bool ucl_err_is_server(int err);

/* The ERR word for a server error code, or NULL for local codes. */
const char *ucl_err_word(int err);

/* True when a username or password can be sent unquoted as NUT clients do:
 * 1..UCL_CRED_MAX-1 printable ASCII characters other than space, '"', '\',
 * '#', '=' and '\''. */
bool ucl_cred_sendable(const char *s);

enum ucl_tls_mode {
	UCL_TLS_AUTO = 0, /* try STARTTLS unless the peer is on loopback (default) */
	UCL_TLS_OFF,      /* never */
	UCL_TLS_TRY,      /* try STARTTLS, fall back to plain text if refused */
	UCL_TLS_REQUIRE,  /* STARTTLS must succeed and the certificate verify */
};

/* Connection options; zero-initialised means: 10 s, TLS AUTO, system CA store. */
struct ucl_options {
	int timeout_ms;          /* per exchange; <= 0 means UCL_DEFAULT_TIMEOUT_MS */
	enum ucl_tls_mode tls;
	const char *ca_file;     /* PEM bundle of trusted CAs */
	const char *ca_dir;      /* OpenSSL hashed CA directory */
	const char *cert_file;   /* client certificate chain (PEM) */
	const char *key_file;    /* its key (PEM); defaults to cert_file */
	const char *tls_name;    /* name to check in the certificate; default host */
	bool tls_no_verify;      /* encrypt without checking (never the default) */
	struct ssl_ctx_st *tls_ctx; /* from ucl_tls_prepare(): no file read at connect */
};

/*
 * Build the TLS context of opts now, reading every CA (file, hashed
 * directory, or the system store), the client certificate and its key, so
 * that later connections with these opts read no file: for a process that
 * chroots or loses file access before it connects.  Sets opts->tls_ctx
 * (release with ucl_tls_release()).  Returns 0, or UCL_E_TLS with a
 * message in errmsg (UCL_ERRMSG_MAX bytes) when errmsg is not NULL.
 */
int ucl_tls_prepare(struct ucl_options *opts, char *errmsg);
void ucl_tls_release(struct ucl_options *opts);

/* What happened to TLS on a connection (ucl_tls_state()). */
enum ucl_tls_state {
	UCL_TLS_NONE = 0,       /* not attempted (OFF, or AUTO on loopback) */
	UCL_TLS_REFUSED,        /* server refused; plain text (see ucl_tls_note()) */
	UCL_TLS_UNVERIFIED,     /* encrypted, certificate NOT verified (see note) */
	UCL_TLS_VERIFIED,       /* encrypted, certificate and name verified */
};

struct ucl_conn;

/*
 * Connect to host:port and, depending on opts->tls, run STARTTLS.
 * opts may be NULL.  On success *ret owns a new connection (free with
 * ucl_close()); on failure *ret is NULL and, when errmsg is not NULL,
 * a message is written there (UCL_ERRMSG_MAX bytes).  Name resolution has
 * no timeout of its own (getaddrinfo).
 */
int ucl_connect(struct ucl_conn **ret, const char *host, uint16_t port,
                const struct ucl_options *opts, char *errmsg);

/*
 * Wrap an already connected stream socket (a socketpair in tests and the
 * fuzzer, or a socket connected by a privileged helper).  Takes ownership
 * of fd (closed by ucl_close/ucl_abort, also on failure); no STARTTLS.
 * name is used in messages.  Returns 0 or UCL_E_NOMEM.
 */
int ucl_attach_fd(struct ucl_conn **ret, int fd, const char *name, int timeout_ms);

/* Send LOGOUT (without waiting long), close and free.  NULL is fine. */
void ucl_close(struct ucl_conn *c);

/* Close and free without LOGOUT.  NULL is fine. */
void ucl_abort(struct ucl_conn *c);

/* Last error of c with its detail ("Connection failure: Connection refused"). */
const char *ucl_errmsg(const struct ucl_conn *c);

/* The last reply line read on c, as received (for messages such as
 * "Unexpected response from upsd: ERR ACCESS-DENIED"); "" if none. */
const char *ucl_last_reply(const struct ucl_conn *c);

/* TLS outcome and, for REFUSED/UNVERIFIED, a sentence saying why. */
enum ucl_tls_state ucl_tls_state(const struct ucl_conn *c);
const char *ucl_tls_note(const struct ucl_conn *c);

/* The socket, for callers that poll several connections; -1 if broken. */
int ucl_fd(const struct ucl_conn *c);

/* Change the per-exchange timeout (ms, > 0). */
void ucl_set_timeout(struct ucl_conn *c, int timeout_ms);

/* Ignore SIGPIPE in this process (not needed by the library itself, see
 * above; for programs that want it anyway).  Returns 0 or -errno. */
int ucl_ignore_sigpipe(void);

/* ---- requests ---------------------------------------------------------- */

/* Words of one reply line, unescaped; w[] points into buf. */
struct ucl_words {
	size_t n;
	char *w[TOK_MAX_WORDS];
	char buf[UCL_LINE_MAX + TOK_MAX_WORDS];
};

/*
 * Send one request made of words (each quoted/escaped when needed) and read
 * one reply line into *ans.  A reply "ERR WORD ..." gives the WORD's code.
 * No echo check (use ucl_get for GET).  Returns 0 or an error.
 */
int ucl_request(struct ucl_conn *c, const char *const *words, size_t n, struct ucl_words *ans);

/*
 * GET with query words q (e.g. {"VAR", ups, var}): the reply must start
 * with the same words (case-insensitively) followed by at least `extra`
 * more words.  *ans holds the whole reply.  Returns 0 or an error.
 */
int ucl_get(struct ucl_conn *c, const char *const *q, size_t nq, size_t extra,
            struct ucl_words *ans);

/* GET VAR/DESC/CMDDESC/UPSDESC: copy the unescaped value into val (size
 * bytes; UCL_VALUE_MAX is always enough).  Returns 0 or an error. */
int ucl_get_var(struct ucl_conn *c, const char *ups, const char *var, char *val, size_t size);
int ucl_get_desc(struct ucl_conn *c, const char *ups, const char *var, char *val, size_t size);
int ucl_get_cmddesc(struct ucl_conn *c, const char *ups, const char *cmd, char *val, size_t size);
int ucl_get_upsdesc(struct ucl_conn *c, const char *ups, char *val, size_t size);

/* GET NUMLOGINS: the count.  Returns 0 or an error (UCL_E_PROTOCOL if not a number). */
int ucl_get_numlogins(struct ucl_conn *c, const char *ups, long *ret);

/* GET TYPE, parsed. */
struct ucl_type {
	bool rw, is_enum, is_range, is_string, is_number;
	long strlen_max; /* STRING:n, 0 if absent */
	char raw[UCL_LINE_MAX]; /* the type words joined by spaces ("RW STRING:16") */
};
int ucl_get_type(struct ucl_conn *c, const char *ups, const char *var, struct ucl_type *t);

/*
 * A LIST reply.  Each item holds the words after the echoed query words:
 *   LIST UPS         -> w[0] name, w[1] description
 *   LIST VAR/RW ups  -> w[0] variable, w[1] value
 *   LIST CMD ups     -> w[0] command
 *   LIST ENUM ups v  -> w[0] value
 *   LIST RANGE ups v -> w[0] min, w[1] max
 *   LIST CLIENT ups  -> w[0] address
 * Missing words are "" (n says how many the server sent), extra words
 * beyond UCL_ITEM_WORDS are dropped.  The list owns its memory.
 */
struct ucl_item {
	size_t n;
	const char *w[UCL_ITEM_WORDS];
};
struct ucl_list {
	size_t n;
	struct ucl_item *items;
	char *store; /* all words, NUL-separated */
};

/*
 * LIST with query words q (e.g. {"VAR", ups}): checks BEGIN LIST q...,
 * that every line repeats q, and END LIST q...; each item must carry at
 * least `min_words` payload words.  *out is replaced; free with
 * ucl_list_free() (also after an error).  Returns 0 or an error.
 */
int ucl_list(struct ucl_conn *c, const char *const *q, size_t nq, size_t min_words,
             struct ucl_list *out);
int ucl_list_ups(struct ucl_conn *c, struct ucl_list *out);
int ucl_list_var(struct ucl_conn *c, const char *ups, struct ucl_list *out);
int ucl_list_rw(struct ucl_conn *c, const char *ups, struct ucl_list *out);
int ucl_list_cmd(struct ucl_conn *c, const char *ups, struct ucl_list *out);
int ucl_list_enum(struct ucl_conn *c, const char *ups, const char *var, struct ucl_list *out);
int ucl_list_range(struct ucl_conn *c, const char *ups, const char *var, struct ucl_list *out);
int ucl_list_client(struct ucl_conn *c, const char *ups, struct ucl_list *out);
void ucl_list_free(struct ucl_list *l);

/* USERNAME and PASSWORD, unquoted as NUT clients send them; refuses
 * (UCL_E_BAD_CREDENTIAL, nothing sent) when !ucl_cred_sendable().
 * Either may be NULL to skip it.  Returns 0 or an error. */
int ucl_auth(struct ucl_conn *c, const char *user, const char *pass);

/* LOGIN ups, LOGOUT (the server then closes; c stays allocated),
 * PRIMARY ups (falls back to MASTER on an error reply), FSD ups. */
int ucl_login(struct ucl_conn *c, const char *ups);
int ucl_logout(struct ucl_conn *c);
int ucl_primary(struct ucl_conn *c, const char *ups);
int ucl_fsd(struct ucl_conn *c, const char *ups);

/* PROTVER, falling back to NETVER; VER.  Copies the text. */
int ucl_protver(struct ucl_conn *c, char *buf, size_t size);
int ucl_ver(struct ucl_conn *c, char *buf, size_t size);

/*
 * SET VAR ups var value / INSTCMD ups cmd [param].  trackid (may be NULL)
 * receives the id of "OK TRACKING <id>", or "" for a plain "OK".
 * Returns 0 or an error.
 */
int ucl_set_var(struct ucl_conn *c, const char *ups, const char *var, const char *value,
                char trackid[UCL_TRACKID_MAX]);
int ucl_instcmd(struct ucl_conn *c, const char *ups, const char *cmd, const char *param,
                char trackid[UCL_TRACKID_MAX]);

/* SET TRACKING ON|OFF.  Returns 0 or an error. */
int ucl_set_tracking(struct ucl_conn *c, bool on);

enum ucl_track {
	UCL_TRACK_PENDING = 0,
	UCL_TRACK_SUCCESS,
	UCL_TRACK_UNKNOWN, /* ERR UNKNOWN: unknown id, or the driver did not know */
	UCL_TRACK_INVALID, /* ERR INVALID-ARGUMENT */
	UCL_TRACK_FAILED,  /* ERR FAILED */
};

/* GET TRACKING id once.  Returns 0 with *res set, or an error. */
int ucl_get_tracking(struct ucl_conn *c, const char *id, enum ucl_track *res);

/*
 * Poll GET TRACKING every poll_ms until the result is no longer PENDING or
 * wait_ms has passed (then *res stays UCL_TRACK_PENDING and 0 is returned).
 */
int ucl_wait_tracking(struct ucl_conn *c, const char *id, int wait_ms, int poll_ms,
                      enum ucl_track *res);

/* "SUCCESS", "PENDING", "UNKNOWN", "INVALID-ARGUMENT", "FAILED". */
const char *ucl_track_name(enum ucl_track t);

/* ---- reply parsing (pure; exposed for unit tests and the fuzzer) -------- */

/* Tokenize one raw reply line (without or with its newline) into *ans.
 * Returns 0, UCL_E_PARSE (bad quoting, no words) or UCL_E_LINE_TOO_LONG. */
int ucl_parse_line(const char *line, size_t len, struct ucl_words *ans);

/* If ans is "ERR WORD ...", the WORD's code; otherwise 0. */
int ucl_reply_error(const struct ucl_words *ans);

/* True when ans->w[off..off+nq) equal q[] case-insensitively. */
bool ucl_reply_echoes(const struct ucl_words *ans, size_t off, const char *const *q, size_t nq);

#endif

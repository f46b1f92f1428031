/*
 * upsclient internals shared by conn.c (socket, TLS, line I/O) and
 * requests.c (protocol commands).  Not part of the public contract.
 */
#ifndef UPSGUARD_UPSCLIENT_CONN_H
#define UPSGUARD_UPSCLIENT_CONN_H

#include <openssl/ssl.h>
#include <stdint.h>

#include "upsclient.h"

#define UCL_RBUF_SIZE 4096

struct ucl_conn {
	int fd;
	bool broken;
	int timeout_ms;
	char host[UCL_HOST_MAX];
	uint16_t port;
	SSL_CTX *ctx;
	SSL *ssl;
	enum ucl_tls_state tls_state;
	char tls_note[UCL_ERRMSG_MAX];
	char errmsg[UCL_ERRMSG_MAX];
	char last[UCL_LINE_MAX];
	char rbuf[UCL_RBUF_SIZE];
	size_t rlen, roff;
};

/* Record err with an optional printf detail as the connection's last error;
 * returns err.  Fatal errors also mark the connection broken. */
int ucl__fail(struct ucl_conn *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Absolute monotonic deadline timeout_ms from now, in ms. */
int64_t ucl__deadline(const struct ucl_conn *c);

/* Send a request line (words encoded, newline added). */
int ucl__send_words(struct ucl_conn *c, const char *const *words, size_t n, int64_t deadline);

/* Read one raw line (newline stripped) into buf (UCL_LINE_MAX bytes). */
int ucl__read_line(struct ucl_conn *c, char *buf, size_t *len, int64_t deadline);

/* Read and tokenize one reply line. */
int ucl__read_reply(struct ucl_conn *c, struct ucl_words *ans, int64_t deadline);

#endif

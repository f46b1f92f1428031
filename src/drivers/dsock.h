/*
 * dsock: the driver's Unix-socket server (libevent).
 *
 * Listens on <statepath>/<driver>-<ups> (mode 0660), accepts up to
 * DSOCK_MAX_CLIENTS clients, splits their input into tokenized lines and
 * hands each to a callback.  A client is disconnected, without affecting
 * the others, when it sends a line longer than DSOCK_MAX_LINE bytes, a line
 * that cannot be tokenized or holds bytes outside printable ASCII, more
 * than DSOCK_MAX_BAD_LINES lines the callback rejects, or when more than
 * DSOCK_MAX_OUTPUT bytes wait unread in its output.
 */
#ifndef UPSGUARD_DRIVERS_DSOCK_H
#define UPSGUARD_DRIVERS_DSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sock/sockproto.h"
#include "tokenizer.h"

#define DSOCK_MAX_CLIENTS 64
#define DSOCK_MAX_LINE SP_MAX_LINE
#define DSOCK_MAX_OUTPUT (1024 * 1024)
#define DSOCK_MAX_BAD_LINES 3

struct event_base;
struct dsock;
struct dsock_client;

/*
 * Called for each complete line of a client. Return 0 when the line was
 * understood, a negative value when it was not (counted against
 * DSOCK_MAX_BAD_LINES).
 */
typedef int (*dsock_line_fn)(void *ctx, struct dsock_client *c, const struct tok_line *line);

/*
 * Create the listening socket at path (an existing socket there is
 * replaced; any other kind of file is not: -EEXIST), mode 0660.
 * Returns 0 or -errno.
 */
int dsock_open(struct event_base *base, const char *path, dsock_line_fn fn, void *ctx,
               struct dsock **ret);

/* Give the socket file to uid/gid (either may be -1). 0 or -errno. */
int dsock_chown(struct dsock *s, uid_t uid, gid_t gid);

/* Stop listening, disconnect everybody, remove the socket file, free. */
void dsock_close(struct dsock *s);

/* Queue bytes to one client. 0, or -EPIPE when the client had to be
 * dropped (output bound) or is closing. */
int dsock_send(struct dsock_client *c, const char *data, size_t len);

/* A formatted sp_msg to one client. */
int dsock_send_msg(struct dsock_client *c, const struct sp_msg *m);

/* Queue bytes to every client that has broadcasts on. */
void dsock_broadcast(struct dsock *s, const char *data, size_t len);

/* Per-client broadcast switch (NOBROADCAST / BROADCAST n). */
void dsock_client_set_broadcast(struct dsock_client *c, bool on);

/* Close the client once its pending output is written (LOGOUT). */
void dsock_client_close_after_flush(struct dsock_client *c);

/* Lift the output bound for a dump that is larger (DUMPALL of a big tree):
 * the bound applies again to what comes after.  A client whose pending
 * output is already over the bound is dropped instead (-EPIPE). */
int dsock_client_begin_bulk(struct dsock_client *c);
void dsock_client_end_bulk(struct dsock_client *c);

size_t dsock_nclients(const struct dsock *s);
const char *dsock_path(const struct dsock *s);

#endif

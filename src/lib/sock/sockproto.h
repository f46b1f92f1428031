/*
 * sockproto: NUT's driver socket protocol (docs/sock-protocol.txt), both
 * directions, as parsed messages.
 *
 * A line is tokenized with the tokenizer (NUT word rules), turned into a
 * struct sp_msg by sp_parse_driver() (driver -> server lines) or
 * sp_parse_server() (server -> driver lines), applied to a state tree with
 * sp_apply(), and formatted back with sp_format() using NUT's quoting.
 * sp_dump() writes a whole tree in NUT's DUMPALL order:
 *   [DATASTALE] { SETINFO, ADDENUM*, ADDRANGE*, [SETAUX], [SETFLAGS] }*
 *   ADDCMD* [DATAOK] DUMPDONE
 * with variables and commands in case-insensitive sorted order.
 *
 * Strings in a parsed message point into the tok_line it came from.
 */
#ifndef UPSGUARD_SOCK_SOCKPROTO_H
#define UPSGUARD_SOCK_SOCKPROTO_H

#include <stddef.h>

#include "sock/state.h"
#include "tokenizer.h"

/* Longest formatted line: command, name, a value escaped to twice its
 * length plus quotes, a tracking id and the newline fit well within. */
#define SP_MAX_LINE 2048
#define SP_MAX_TRACKING_ID 64 /* bytes of a TRACKING id (NUT uses 36-byte UUIDs) */

enum sp_kind {
	SP_NONE = 0,
	/* driver -> server */
	SP_SETINFO,  /* name, value */
	SP_DELINFO,  /* name */
	SP_SETFLAGS, /* name, flags */
	SP_SETAUX,   /* name, num */
	SP_ADDENUM,  /* name, value */
	SP_DELENUM,  /* name, value */
	SP_ADDRANGE, /* name, min, max */
	SP_DELRANGE, /* name, min, max */
	SP_ADDCMD,   /* name */
	SP_DELCMD,   /* name */
	SP_DATAOK,
	SP_DATASTALE,
	SP_DUMPDONE,
	SP_PONG,
	SP_TRACKING, /* id, num = result (enum sp_result) */
	SP_PID,      /* num */
	SP_GOODBYE,  /* "OK Goodbye" */
	/* server -> driver */
	SP_PING,
	SP_DUMPALL,
	SP_DUMPVALUE, /* name */
	SP_DUMPSTATUS,
	SP_GETPID,
	SP_NOBROADCAST,
	SP_BROADCAST, /* num: 1 on (default), 0 off */
	SP_LOGOUT,
	SP_INSTCMD, /* name, value = parameter or NULL, id or NULL */
	SP_SET,     /* name, value, id or NULL */
	SP_KIND_COUNT,
};

/* Results of a SET or INSTCMD, as TRACKING reports them
 * (NUT drivers/upshandler.h numbering). */
enum sp_result {
	SP_R_HANDLED = 0,
	SP_R_UNKNOWN = 1,
	SP_R_INVALID = 2,
	SP_R_FAILED = 3,
	SP_R_CONVERSION = 4,
};

struct sp_msg {
	enum sp_kind kind;
	const char *name;
	const char *value;
	const char *id;
	long min, max;
	long num;
	unsigned flags; /* ST_F_* */
};

/*
 * Parse a tokenized line. Returns 0 with *m filled, -ENOTSUP for an unknown
 * command word (m->kind = SP_NONE), -EINVAL for a known command with bad
 * arguments (wrong count, bad number, bad name, too-long id), -ENODATA for
 * an empty line.
 */
int sp_parse_driver(const struct tok_line *line, struct sp_msg *m);
int sp_parse_server(const struct tok_line *line, struct sp_msg *m);

/*
 * Apply a driver -> server message to a tree. Returns 1 when the tree
 * changed, 0 when not (including kinds that do not touch the tree), or a
 * negative error from the state module.
 */
int sp_apply(struct st_tree *t, const struct sp_msg *m);

/*
 * Format one message as a protocol line ending in '\n', NUL-terminated in
 * buf. Returns the line length, -ENOSPC when it does not fit, -EINVAL for a
 * message that cannot be formatted.
 */
int sp_format(char *buf, size_t size, const struct sp_msg *m);

/* Receives each formatted line of a dump; a negative return stops it. */
typedef int (*sp_emit_fn)(void *ctx, const char *line, size_t len);

/* A whole tree in NUT's DUMPALL order, DUMPDONE last. 0 or the first
 * negative value of emit / sp_format. */
int sp_dump(const struct st_tree *t, sp_emit_fn emit, void *ctx);

/* One variable's lines as in a dump: SETINFO, ADDENUM*, ADDRANGE*, SETAUX
 * (aux != 0), SETFLAGS (wire flags != 0). */
int sp_dump_var(const struct st_var *v, sp_emit_fn emit, void *ctx);

/* Command word of a kind ("SETINFO"), or NULL. */
const char *sp_kind_name(enum sp_kind kind);

/* "RW STRING" style text for flags; returns the length written. */
size_t sp_flags_text(char *buf, size_t size, unsigned flags);

#endif

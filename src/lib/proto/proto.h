/*
 * proto: shapes of NUT's network protocol 1.3 that several programs share:
 * the error words of `ERR <WORD>` replies, the protocol version, and the
 * human descriptions upsd answers to GET DESC / GET CMDDESC.
 */
#ifndef UPSGUARD_PROTO_H
#define UPSGUARD_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#define PROTO_NETVER "1.3"
#define PROTO_PORT 3493
/* NUT builds one reply line in 512 bytes; clients read lines of that size. */
#define PROTO_LINE_MAX 512

enum proto_err {
	PROTO_E_ACCESS_DENIED = 0,
	PROTO_E_UNKNOWN_UPS,
	PROTO_E_VAR_NOT_SUPPORTED,
	PROTO_E_CMD_NOT_SUPPORTED,
	PROTO_E_INVALID_ARGUMENT,
	PROTO_E_INSTCMD_FAILED,
	PROTO_E_SET_FAILED,
	PROTO_E_READONLY,
	PROTO_E_TOO_LONG,
	PROTO_E_FEATURE_NOT_SUPPORTED,
	PROTO_E_FEATURE_NOT_CONFIGURED,
	PROTO_E_ALREADY_SSL_MODE,
	PROTO_E_DRIVER_NOT_CONNECTED,
	PROTO_E_DATA_STALE,
	PROTO_E_ALREADY_LOGGED_IN,
	PROTO_E_INVALID_PASSWORD,
	PROTO_E_ALREADY_SET_PASSWORD,
	PROTO_E_INVALID_USERNAME,
	PROTO_E_ALREADY_SET_USERNAME,
	PROTO_E_USERNAME_REQUIRED,
	PROTO_E_PASSWORD_REQUIRED,
	PROTO_E_UNKNOWN_COMMAND,
	PROTO_E_INVALID_VALUE,
	/* Legacy words, kept so clients can recognise them. */
	PROTO_E_VAR_UNKNOWN,
	PROTO_E_UNKNOWN_TYPE,
	PROTO_E_UNKNOWN_INSTCMD,
	PROTO_E_MISSING_ARGUMENT,
	PROTO_E_PASSWORD_INCORRECT,
	PROTO_E_UNKNOWN_VAR,
	PROTO_E_COUNT,
};

/* The wire word of an error ("ACCESS-DENIED"); NULL when out of range. */
const char *proto_err_word(enum proto_err e);

/* The error for a wire word (case-sensitive, as sent); -1 when unknown. */
int proto_err_from_word(const char *word);

/*
 * Description of a variable or an instant command for GET DESC/CMDDESC;
 * an "upstream." prefix (proxy drivers) is ignored; names are matched
 * case-insensitively.  NULL when the table has none.
 */
const char *proto_var_desc(const char *name);
const char *proto_cmd_desc(const char *name);

/* 1 when both description tables are sorted (checked by the unit test). */
int proto_desc_tables_sorted(void);

/* The text NUT answers when no description is known. */
#define PROTO_DESC_UNAVAILABLE "Description unavailable"

/* Driver results of tracked SET/INSTCMD (sock protocol TRACKING <id> <n>). */
enum proto_track_status {
	PROTO_TRACK_PENDING = -1,
	PROTO_TRACK_HANDLED = 0,
	PROTO_TRACK_UNKNOWN = 1,
	PROTO_TRACK_INVALID = 2,
	PROTO_TRACK_FAILED = 3,
	PROTO_TRACK_CONVERSION_FAILED = 4,
};

/* The reply to GET TRACKING <id> for a status ("SUCCESS", "ERR FAILED"...). */
const char *proto_track_reply(int status);

/* Length of a tracking id: an upper-case UUID v4, 36 characters. */
#define PROTO_TRACKING_ID_LEN 36

#endif

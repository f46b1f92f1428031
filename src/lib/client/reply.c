/*
 * upsclient, pure part: error table, address parsing, reply tokenizing and
 * echo verification.  No I/O here, so unit tests and the fuzzer reach it.
 */
#include "upsclient.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"

/* One row per error code: the ERR word the server sends (NULL for local
 * conditions) and the text.  Texts follow libupsclient where it has one, so
 * "Error: ..." lines read the same as NUT's clients print. */
static const struct {
	int code;
	const char *word;
	const char *text;
} err_table[] = {
	{UCL_E_ACCESS_DENIED, "ACCESS-DENIED", "Access denied"},
	{UCL_E_UNKNOWN_UPS, "UNKNOWN-UPS", "Unknown UPS"},
	{UCL_E_VAR_NOT_SUPPORTED, "VAR-NOT-SUPPORTED", "Variable not supported by UPS"},
	{UCL_E_CMD_NOT_SUPPORTED, "CMD-NOT-SUPPORTED", "Instant command not supported"},
	{UCL_E_INVALID_ARGUMENT, "INVALID-ARGUMENT", "Invalid argument"},
	{UCL_E_INSTCMD_FAILED, "INSTCMD-FAILED", "Instant command failed"},
	{UCL_E_SET_FAILED, "SET-FAILED", "Set command failed"},
	{UCL_E_READONLY, "READONLY", "Read-only variable"},
	{UCL_E_TOO_LONG, "TOO-LONG", "New value is too long"},
	{UCL_E_FEATURE_NOT_SUPPORTED, "FEATURE-NOT-SUPPORTED", "Feature not supported by server"},
	{UCL_E_FEATURE_NOT_CONFIGURED, "FEATURE-NOT-CONFIGURED", "Feature not configured on server"},
	{UCL_E_ALREADY_SSL_MODE, "ALREADY-SSL-MODE", "Already in TLS mode"},
	{UCL_E_DRIVER_NOT_CONNECTED, "DRIVER-NOT-CONNECTED", "Driver not connected"},
	{UCL_E_DATA_STALE, "DATA-STALE", "Data stale"},
	{UCL_E_ALREADY_LOGGED_IN, "ALREADY-LOGGED-IN", "Already logged in"},
	{UCL_E_INVALID_PASSWORD, "INVALID-PASSWORD", "Invalid password"},
	{UCL_E_ALREADY_SET_PASSWORD, "ALREADY-SET-PASSWORD", "Already set password"},
	{UCL_E_INVALID_USERNAME, "INVALID-USERNAME", "Invalid username"},
	{UCL_E_ALREADY_SET_USERNAME, "ALREADY-SET-USERNAME", "Already set username"},
	{UCL_E_USERNAME_REQUIRED, "USERNAME-REQUIRED", "Username required"},
	{UCL_E_PASSWORD_REQUIRED, "PASSWORD-REQUIRED", "Password required"},
	{UCL_E_UNKNOWN_COMMAND, "UNKNOWN-COMMAND", "Unknown command"},
	{UCL_E_INVALID_VALUE, "INVALID-VALUE", "Invalid value for variable"},
	{UCL_E_VAR_UNKNOWN, "VAR-UNKNOWN", "Variable unknown"},
	{UCL_E_UNKNOWN_TYPE, "UNKNOWN-TYPE", "Unknown variable type"},
	{UCL_E_UNKNOWN_INSTCMD, "UNKNOWN-INSTCMD", "Unknown instant command"},
	{UCL_E_MISSING_ARGUMENT, "MISSING-ARGUMENT", "Missing argument"},
	{UCL_E_PASSWORD_INCORRECT, "PASSWORD-INCORRECT", "Password incorrect"},
	{UCL_E_UNKNOWN_VAR, "UNKNOWN-VAR", "Unknown variable"},
	{UCL_E_SERVER_UNKNOWN, NULL, "Unknown error"},
	{UCL_E_TIMEOUT, NULL, "Timeout waiting for the server"},
	{UCL_E_CLOSED, NULL, "Server disconnected"},
	{UCL_E_LINE_TOO_LONG, NULL, "Reply line too long"},
	{UCL_E_LIST_TOO_LONG, NULL, "Reply list too long"},
	{UCL_E_PARSE, NULL, "Parse error"},
	{UCL_E_PROTOCOL, NULL, "Protocol error"},
	{UCL_E_NOSUCHHOST, NULL, "No such host"},
	{UCL_E_CONNECT, NULL, "Connection failure"},
	{UCL_E_IO, NULL, "Read error"},
	{UCL_E_TLS, NULL, "SSL error"},
	{UCL_E_TLS_REFUSED, NULL, "Server refused STARTTLS"},
	{UCL_E_TLS_VERIFY, NULL, "Server certificate verification failed"},
	{UCL_E_BAD_CREDENTIAL, NULL, "Credential contains characters that cannot be sent"},
	{UCL_E_BADADDR, NULL, "Invalid host, port or UPS name"},
	{UCL_E_BADARG, NULL, "Request word cannot be sent"},
	{UCL_E_BROKEN, NULL, "Connection unusable after an earlier error"},
	{UCL_E_NOMEM, NULL, "Memory allocation failure"},
};

const char *
ucl_strerror(int err)
{
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code == err)
			return err_table[i].text;
	if (err < 0 && err > UCL_E_BASE)
		return strerror(-err);
	return "Unknown error";
}

int
ucl_err_from_word(const char *word)
{
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].word && strcmp(err_table[i].word, word) == 0)
			return err_table[i].code;
	return UCL_E_SERVER_UNKNOWN;
}

bool
ucl_err_is_server(int err)
{
	return err <= UCL_E_ACCESS_DENIED && err >= UCL_E_SERVER_UNKNOWN;
}

const char *
ucl_err_word(int err)
{
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code == err)
			return err_table[i].word;
	return NULL;
}

bool
ucl_cred_sendable(const char *s)
{
	size_t n = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++, n++) {
		unsigned char ch = (unsigned char)*s;
		if (ch <= 0x20 || ch >= 0x7f || strchr("\"\\#='", ch))
			return false;
	}
	return n < UCL_CRED_MAX;
}

/* ---- addresses ------------------------------------------------------------ */

static int
parse_port(const char *s, uint16_t *port)
{
	long v;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return UCL_E_BADADDR;
	if (str_to_long(s, 1, 65535, &v) < 0)
		return UCL_E_BADADDR;
	*port = (uint16_t)v;
	return 0;
}

static int
set_host(char *host, size_t size, const char *s, size_t len)
{
	if (len == 0 || len >= size || len >= UCL_HOST_MAX)
		return UCL_E_BADADDR;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		/* host names, IPv4/IPv6 literals (with %scope) only */
		if (!(isalnum(ch) || strchr("-._:%", ch)))
			return UCL_E_BADADDR;
	}
	memcpy(host, s, len);
	host[len] = '\0';
	return 0;
}

int
ucl_parse_hostport(const char *s, char *host, size_t hostsize, uint16_t *port)
{
	const char *colon;

	if (!s || !*s)
		return UCL_E_BADADDR;
	*port = UCL_PORT;
	if (*s == '[') {
		const char *end = strchr(s, ']');
		if (!end || end == s + 1)
			return UCL_E_BADADDR;
		if (set_host(host, hostsize, s + 1, (size_t)(end - s - 1)) < 0)
			return UCL_E_BADADDR;
		if (end[1] == '\0')
			return 0;
		if (end[1] != ':')
			return UCL_E_BADADDR;
		return parse_port(end + 2, port);
	}
	colon = strchr(s, ':');
	if (colon && strchr(colon + 1, ':')) /* bare IPv6 literal, no port */
		return set_host(host, hostsize, s, strlen(s));
	if (!colon)
		return set_host(host, hostsize, s, strlen(s));
	if (set_host(host, hostsize, s, (size_t)(colon - s)) < 0)
		return UCL_E_BADADDR;
	return parse_port(colon + 1, port);
}

int
ucl_parse_target(const char *s, struct ucl_target *t)
{
	const char *at;
	size_t len;

	if (!s || !*s)
		return UCL_E_BADADDR;
	memset(t, 0, sizeof(*t));
	at = strchr(s, '@');
	len = at ? (size_t)(at - s) : strlen(s);
	if (len == 0 || len >= sizeof(t->ups))
		return UCL_E_BADADDR;
	memcpy(t->ups, s, len);
	if (!at) {
		if (strchr(s, ':')) /* "ups:port" has no host */
			return UCL_E_BADADDR;
		str_copy(t->host, "localhost", sizeof(t->host));
		t->port = UCL_PORT;
		return 0;
	}
	return ucl_parse_hostport(at + 1, t->host, sizeof(t->host), &t->port);
}

/* ---- reply lines ---------------------------------------------------------- */

static void
copy_words(const struct tok_line *line, struct ucl_words *ans)
{
	char *p = ans->buf;

	ans->n = line->nwords;
	for (size_t i = 0; i < line->nwords; i++) {
		size_t l = strlen(line->words[i]);
		memcpy(p, line->words[i], l + 1);
		ans->w[i] = p;
		p += l + 1;
	}
}

int
ucl_parse_line(const char *line, size_t len, struct ucl_words *ans)
{
	struct tokenizer t;
	size_t off = 0;
	int r = TOK_MORE, ret = UCL_E_PARSE;

	ans->n = 0;
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len >= UCL_LINE_MAX)
		return UCL_E_LINE_TOO_LONG;
	/* A reply is one physical line: a newline inside it (or a trailing
	 * backslash joining the next line) would desynchronise us. */
	if (memchr(line, '\n', len) || (len > 0 && line[len - 1] == '\\'))
		return UCL_E_PARSE;
	tok_init(&t);
	while (off < len) {
		off += tok_feed(&t, line + off, len - off, &r);
		if (r != TOK_MORE)
			break;
	}
	if (r == TOK_MORE)
		r = tok_finish(&t);
	if (r == TOK_LINE && off >= len && t.line.nwords > 0) {
		/* the whole line is unescaped into at most len bytes of words */
		copy_words(&t.line, ans);
		ret = 0;
	}
	tok_free(&t);
	return ret;
}

int
ucl_reply_error(const struct ucl_words *ans)
{
	if (ans->n == 0 || strcmp(ans->w[0], "ERR") != 0)
		return 0;
	if (ans->n < 2)
		return UCL_E_SERVER_UNKNOWN;
	return ucl_err_from_word(ans->w[1]);
}

bool
ucl_reply_echoes(const struct ucl_words *ans, size_t off, const char *const *q, size_t nq)
{
	if (ans->n < off + nq)
		return false;
	for (size_t i = 0; i < nq; i++)
		if (!str_ieq(ans->w[off + i], q[i]))
			return false;
	return true;
}

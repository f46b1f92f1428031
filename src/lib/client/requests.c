/*
 * upsclient requests: GET/LIST/SET/INSTCMD/TRACKING and the session
 * commands, each reply checked against the query it answers.
 */
#include "conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "str.h"

#define MAX_QUERY 8 /* query words of any request built here */

/* Record a server ERR reply as the connection's error. */
static int
server_error(struct ucl_conn *c, int err, const struct ucl_words *ans)
{
	char extra[UCL_ERRMSG_MAX];
	size_t len = 0;

	if (err == UCL_E_SERVER_UNKNOWN)
		return ucl__fail(c, err, "server said ERR %s", ans->n > 1 ? ans->w[1] : "");
	if (ans->n <= 2)
		return ucl__fail(c, err, NULL);
	/* words after the ERR word are the server's explanation (upsguard's
	 * upsd and newer NUT send one): keep it, in parentheses */
	extra[0] = '\0';
	for (size_t i = 2; i < ans->n && len + 1 < sizeof(extra); i++)
		len += (size_t)snprintf(extra + len, sizeof(extra) - len, "%s%s", i > 2 ? " " : "",
		                        ans->w[i]);
	return ucl__fail(c, err, "(%s)", extra);
}

/* Send words, read one reply line; an ERR reply becomes its code. */
static int
exchange(struct ucl_conn *c, const char *const *words, size_t n, struct ucl_words *ans)
{
	int64_t deadline = ucl__deadline(c);
	int r;

	r = ucl__send_words(c, words, n, deadline);
	if (r == 0)
		r = ucl__read_reply(c, ans, deadline);
	if (r < 0)
		return r;
	r = ucl_reply_error(ans);
	return r < 0 ? server_error(c, r, ans) : 0;
}

int
ucl_request(struct ucl_conn *c, const char *const *words, size_t n, struct ucl_words *ans)
{
	return exchange(c, words, n, ans);
}

/* Prefix q with a command word ("GET", "LIST"). */
static int
prefixed(struct ucl_conn *c, const char *cmd, const char *const *q, size_t nq,
         const char **out)
{
	if (nq == 0 || nq >= MAX_QUERY)
		return ucl__fail(c, UCL_E_BADARG, "%zu query words", nq);
	out[0] = cmd;
	for (size_t i = 0; i < nq; i++)
		out[i + 1] = q[i];
	return 0;
}

int
ucl_get(struct ucl_conn *c, const char *const *q, size_t nq, size_t extra,
        struct ucl_words *ans)
{
	const char *words[MAX_QUERY];
	int r;

	r = prefixed(c, "GET", q, nq, words);
	if (r == 0)
		r = exchange(c, words, nq + 1, ans);
	if (r < 0)
		return r;
	if (!ucl_reply_echoes(ans, 0, q, nq) || ans->n < nq + extra)
		return ucl__fail(c, UCL_E_PROTOCOL, "reply does not answer GET %s", q[0]);
	return 0;
}

static int
get_value(struct ucl_conn *c, const char *const *q, size_t nq, char *val, size_t size)
{
	struct ucl_words ans;
	int r = ucl_get(c, q, nq, 1, &ans);

	if (r < 0)
		return r;
	str_copy(val, ans.w[nq], size);
	return 0;
}

int
ucl_get_var(struct ucl_conn *c, const char *ups, const char *var, char *val, size_t size)
{
	const char *q[] = {"VAR", ups, var};
	return get_value(c, q, 3, val, size);
}

int
ucl_get_desc(struct ucl_conn *c, const char *ups, const char *var, char *val, size_t size)
{
	const char *q[] = {"DESC", ups, var};
	return get_value(c, q, 3, val, size);
}

int
ucl_get_cmddesc(struct ucl_conn *c, const char *ups, const char *cmd, char *val, size_t size)
{
	const char *q[] = {"CMDDESC", ups, cmd};
	return get_value(c, q, 3, val, size);
}

int
ucl_get_upsdesc(struct ucl_conn *c, const char *ups, char *val, size_t size)
{
	const char *q[] = {"UPSDESC", ups};
	return get_value(c, q, 2, val, size);
}

int
ucl_get_numlogins(struct ucl_conn *c, const char *ups, long *ret)
{
	const char *q[] = {"NUMLOGINS", ups};
	char val[UCL_VALUE_MAX];
	int r = get_value(c, q, 2, val, sizeof(val));

	if (r < 0)
		return r;
	if (str_to_long(val, 0, 1000000000L, ret) < 0)
		return ucl__fail(c, UCL_E_PROTOCOL, "NUMLOGINS is not a number");
	return 0;
}

int
ucl_get_type(struct ucl_conn *c, const char *ups, const char *var, struct ucl_type *t)
{
	const char *q[] = {"TYPE", ups, var};
	struct ucl_words ans;
	size_t len = 0;
	int r = ucl_get(c, q, 3, 1, &ans);

	if (r < 0)
		return r;
	memset(t, 0, sizeof(*t));
	for (size_t i = 3; i < ans.n; i++) {
		const char *w = ans.w[i];
		if (strcmp(w, "RW") == 0)
			t->rw = true;
		else if (strcmp(w, "ENUM") == 0)
			t->is_enum = true;
		else if (strcmp(w, "RANGE") == 0)
			t->is_range = true;
		else if (strcmp(w, "NUMBER") == 0)
			t->is_number = true;
		else if (strncmp(w, "STRING", 6) == 0) {
			t->is_string = true;
			if (w[6] == ':' && str_to_long(w + 7, 0, 1000000L, &t->strlen_max) < 0)
				t->strlen_max = 0;
		}
		len += (size_t)snprintf(t->raw + len, sizeof(t->raw) - len, "%s%s",
		                        i > 3 ? " " : "", w);
		if (len >= sizeof(t->raw))
			len = sizeof(t->raw) - 1;
	}
	return 0;
}

/* ---- lists ---------------------------------------------------------------- */

struct list_build {
	struct ucl_list *out;
	size_t cap_items, store_len, store_cap;
	size_t (*off)[UCL_ITEM_WORDS]; /* word offsets into store, fixed up at the end */
};

static int
store_word(struct list_build *b, const char *w, size_t *off)
{
	size_t l = strlen(w) + 1;

	if (b->store_len + l > b->store_cap) {
		size_t cap = b->store_cap ? b->store_cap * 2 : 4096;
		while (cap < b->store_len + l)
			cap *= 2;
		char *s = realloc(b->out->store, cap);
		if (!s)
			return UCL_E_NOMEM;
		b->out->store = s;
		b->store_cap = cap;
	}
	memcpy(b->out->store + b->store_len, w, l);
	*off = b->store_len;
	b->store_len += l;
	return 0;
}

static int
add_item(struct list_build *b, const struct ucl_words *ans, size_t first)
{
	struct ucl_list *l = b->out;

	if (l->n == b->cap_items) {
		size_t cap = b->cap_items ? b->cap_items * 2 : 32;
		struct ucl_item *it = realloc(l->items, cap * sizeof(*it));
		if (!it)
			return UCL_E_NOMEM;
		l->items = it;
		void *off = realloc(b->off, cap * sizeof(*b->off));
		if (!off)
			return UCL_E_NOMEM;
		b->off = off;
		b->cap_items = cap;
	}
	struct ucl_item *item = &l->items[l->n];
	item->n = ans->n - first;
	for (size_t i = 0; i < UCL_ITEM_WORDS; i++) {
		const char *w = first + i < ans->n ? ans->w[first + i] : "";
		int r = store_word(b, w, &b->off[l->n][i]);
		if (r < 0)
			return r;
	}
	l->n++;
	return 0;
}

static void
fix_pointers(struct list_build *b)
{
	for (size_t i = 0; i < b->out->n; i++)
		for (size_t j = 0; j < UCL_ITEM_WORDS; j++)
			b->out->items[i].w[j] = b->out->store + b->off[i][j];
}

static bool
is_end(const struct ucl_words *ans)
{
	return ans->n >= 2 && str_ieq(ans->w[0], "END") && str_ieq(ans->w[1], "LIST");
}

static int
read_items(struct ucl_conn *c, const char *const *q, size_t nq, size_t min_words,
           struct list_build *b, int64_t deadline)
{
	size_t bytes = 0;
	struct ucl_words ans;

	for (;;) {
		int r = ucl__read_reply(c, &ans, deadline);
		if (r < 0)
			return r;
		for (size_t i = 0; i < ans.n; i++)
			bytes += strlen(ans.w[i]) + 1;
		r = ucl_reply_error(&ans);
		if (r < 0)
			return server_error(c, r, &ans);
		if (is_end(&ans)) {
			if (!ucl_reply_echoes(&ans, 2, q, nq))
				return ucl__fail(c, UCL_E_PROTOCOL, "END LIST does not match LIST %s",
				                 q[0]);
			return 0;
		}
		if (!ucl_reply_echoes(&ans, 0, q, nq) || ans.n < nq + min_words)
			return ucl__fail(c, UCL_E_PROTOCOL, "list line does not answer LIST %s",
			                 q[0]);
		if (b->out->n >= UCL_LIST_MAX_ITEMS || bytes > UCL_LIST_MAX_BYTES)
			return ucl__fail(c, UCL_E_LIST_TOO_LONG, "over %d items or %d bytes",
			                 UCL_LIST_MAX_ITEMS, UCL_LIST_MAX_BYTES);
		r = add_item(b, &ans, nq);
		if (r < 0)
			return ucl__fail(c, r, NULL);
	}
}

int
ucl_list(struct ucl_conn *c, const char *const *q, size_t nq, size_t min_words,
         struct ucl_list *out)
{
	const char *words[MAX_QUERY];
	struct list_build b = {.out = out};
	struct ucl_words ans;
	int64_t deadline = ucl__deadline(c);
	int r;

	memset(out, 0, sizeof(*out));
	r = prefixed(c, "LIST", q, nq, words);
	if (r == 0)
		r = ucl__send_words(c, words, nq + 1, deadline);
	if (r == 0)
		r = ucl__read_reply(c, &ans, deadline);
	if (r < 0)
		return r;
	r = ucl_reply_error(&ans);
	if (r < 0)
		return server_error(c, r, &ans);
	if (ans.n < 2 || !str_ieq(ans.w[0], "BEGIN") || !str_ieq(ans.w[1], "LIST") ||
	    !ucl_reply_echoes(&ans, 2, q, nq))
		return ucl__fail(c, UCL_E_PROTOCOL, "reply does not begin LIST %s", q[0]);
	r = read_items(c, q, nq, min_words, &b, deadline);
	if (r == 0)
		fix_pointers(&b);
	free(b.off);
	if (r < 0)
		ucl_list_free(out);
	return r;
}

void
ucl_list_free(struct ucl_list *l)
{
	free(l->items);
	free(l->store);
	memset(l, 0, sizeof(*l));
}

int
ucl_list_ups(struct ucl_conn *c, struct ucl_list *out)
{
	const char *q[] = {"UPS"};
	return ucl_list(c, q, 1, 1, out);
}

int
ucl_list_var(struct ucl_conn *c, const char *ups, struct ucl_list *out)
{
	const char *q[] = {"VAR", ups};
	return ucl_list(c, q, 2, 2, out);
}

int
ucl_list_rw(struct ucl_conn *c, const char *ups, struct ucl_list *out)
{
	const char *q[] = {"RW", ups};
	return ucl_list(c, q, 2, 2, out);
}

int
ucl_list_cmd(struct ucl_conn *c, const char *ups, struct ucl_list *out)
{
	const char *q[] = {"CMD", ups};
	return ucl_list(c, q, 2, 1, out);
}

int
ucl_list_enum(struct ucl_conn *c, const char *ups, const char *var, struct ucl_list *out)
{
	const char *q[] = {"ENUM", ups, var};
	return ucl_list(c, q, 3, 1, out);
}

int
ucl_list_range(struct ucl_conn *c, const char *ups, const char *var, struct ucl_list *out)
{
	const char *q[] = {"RANGE", ups, var};
	return ucl_list(c, q, 3, 2, out);
}

int
ucl_list_client(struct ucl_conn *c, const char *ups, struct ucl_list *out)
{
	const char *q[] = {"CLIENT", ups};
	return ucl_list(c, q, 2, 1, out);
}

/* ---- session --------------------------------------------------------------- */

/* A request whose success reply starts with "OK". */
static int
expect_ok(struct ucl_conn *c, const char *const *words, size_t n, struct ucl_words *ans)
{
	int r = exchange(c, words, n, ans);

	if (r < 0)
		return r;
	if (strcmp(ans->w[0], "OK") != 0)
		return ucl__fail(c, UCL_E_PROTOCOL, "unexpected reply to %s", words[0]);
	return 0;
}

int
ucl_auth(struct ucl_conn *c, const char *user, const char *pass)
{
	struct ucl_words ans;
	int r;

	if ((user && !ucl_cred_sendable(user)) || (pass && !ucl_cred_sendable(pass)))
		return ucl__fail(c, UCL_E_BAD_CREDENTIAL,
		                 "use printable ASCII without spaces, quotes, '\\', '#' or '='");
	if (user) {
		const char *q[] = {"USERNAME", user};
		r = expect_ok(c, q, 2, &ans);
		if (r < 0)
			return r;
	}
	if (pass) {
		const char *q[] = {"PASSWORD", pass};
		r = expect_ok(c, q, 2, &ans);
		if (r < 0)
			return r;
	}
	return 0;
}

int
ucl_login(struct ucl_conn *c, const char *ups)
{
	const char *q[] = {"LOGIN", ups};
	struct ucl_words ans;
	return expect_ok(c, q, 2, &ans);
}

int
ucl_logout(struct ucl_conn *c)
{
	const char *q[] = {"LOGOUT"};
	struct ucl_words ans;
	int r = exchange(c, q, 1, &ans);

	/* The server closes after its goodbye: no further requests. */
	c->broken = true;
	if (r == 0)
		snprintf(c->errmsg, sizeof(c->errmsg), "logged out");
	return r;
}

int
ucl_primary(struct ucl_conn *c, const char *ups)
{
	const char *q[] = {"PRIMARY", ups};
	const char *m[] = {"MASTER", ups};
	struct ucl_words ans;
	int r = expect_ok(c, q, 2, &ans);

	/* Servers before NUT 2.8.0 only know MASTER; any server refusal of
	 * PRIMARY is retried as MASTER, as NUT's upsmon does. */
	if (ucl_err_is_server(r))
		r = expect_ok(c, m, 2, &ans);
	return r;
}

int
ucl_fsd(struct ucl_conn *c, const char *ups)
{
	const char *q[] = {"FSD", ups};
	struct ucl_words ans;
	return expect_ok(c, q, 2, &ans);
}

int
ucl_protver(struct ucl_conn *c, char *buf, size_t size)
{
	const char *p[] = {"PROTVER"};
	const char *n[] = {"NETVER"};
	struct ucl_words ans;
	int r = exchange(c, p, 1, &ans);

	if (ucl_err_is_server(r))
		r = exchange(c, n, 1, &ans);
	if (r < 0)
		return r;
	str_copy(buf, ans.w[0], size);
	return 0;
}

int
ucl_ver(struct ucl_conn *c, char *buf, size_t size)
{
	const char *q[] = {"VER"};
	struct ucl_words ans;
	size_t len = 0;
	int r = exchange(c, q, 1, &ans);

	if (r < 0)
		return r;
	buf[0] = '\0';
	for (size_t i = 0; i < ans.n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? " " : "", ans.w[i]);
	return 0;
}

/* ---- SET, INSTCMD, TRACKING ---------------------------------------------- */

static int
tracked(struct ucl_conn *c, const char *const *words, size_t n, char *trackid)
{
	struct ucl_words ans;
	int r = expect_ok(c, words, n, &ans);

	if (r < 0)
		return r;
	if (trackid)
		trackid[0] = '\0';
	if (ans.n >= 3 && strcmp(ans.w[1], "TRACKING") == 0) {
		if (strlen(ans.w[2]) >= UCL_TRACKID_MAX)
			return ucl__fail(c, UCL_E_PROTOCOL, "tracking id too long");
		if (trackid)
			str_copy(trackid, ans.w[2], UCL_TRACKID_MAX);
	}
	return 0;
}

int
ucl_set_var(struct ucl_conn *c, const char *ups, const char *var, const char *value,
            char trackid[UCL_TRACKID_MAX])
{
	const char *q[] = {"SET", "VAR", ups, var, value};
	return tracked(c, q, 5, trackid);
}

int
ucl_instcmd(struct ucl_conn *c, const char *ups, const char *cmd, const char *param,
            char trackid[UCL_TRACKID_MAX])
{
	const char *q[] = {"INSTCMD", ups, cmd, param};
	return tracked(c, q, param ? 4 : 3, trackid);
}

int
ucl_set_tracking(struct ucl_conn *c, bool on)
{
	const char *q[] = {"SET", "TRACKING", on ? "ON" : "OFF"};
	struct ucl_words ans;
	return expect_ok(c, q, 3, &ans);
}

/* Tracking results travel as "ERR <word>" but are answers, not errors. */
static const struct {
	const char *word;
	enum ucl_track result;
} track_table[] = {
	{"PENDING", UCL_TRACK_PENDING},
	{"SUCCESS", UCL_TRACK_SUCCESS},
	{"UNKNOWN", UCL_TRACK_UNKNOWN},
	{"INVALID-ARGUMENT", UCL_TRACK_INVALID},
	{"FAILED", UCL_TRACK_FAILED},
};

const char *
ucl_track_name(enum ucl_track t)
{
	for (size_t i = 0; i < sizeof(track_table) / sizeof(track_table[0]); i++)
		if (track_table[i].result == t)
			return track_table[i].word;
	return "?";
}

int
ucl_get_tracking(struct ucl_conn *c, const char *id, enum ucl_track *res)
{
	const char *q[] = {"GET", "TRACKING", id};
	struct ucl_words ans;
	int64_t deadline = ucl__deadline(c);
	int r;

	r = ucl__send_words(c, q, 3, deadline);
	if (r == 0)
		r = ucl__read_reply(c, &ans, deadline);
	if (r < 0)
		return r;
	bool err = strcmp(ans.w[0], "ERR") == 0;
	const char *word = err ? (ans.n > 1 ? ans.w[1] : "") : ans.w[0];
	for (size_t i = 0; i < sizeof(track_table) / sizeof(track_table[0]); i++) {
		/* PENDING and SUCCESS come bare; the failures with ERR */
		bool want_err = track_table[i].result > UCL_TRACK_SUCCESS;
		if (want_err == err && strcmp(word, track_table[i].word) == 0) {
			*res = track_table[i].result;
			return 0;
		}
	}
	if (err)
		return server_error(c, ucl_err_from_word(word), &ans);
	return ucl__fail(c, UCL_E_PROTOCOL, "unexpected reply to GET TRACKING");
}

static void
sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int
ucl_wait_tracking(struct ucl_conn *c, const char *id, int wait_ms, int poll_ms,
                  enum ucl_track *res)
{
	struct timespec ts;
	int64_t end;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + wait_ms;
	if (poll_ms <= 0)
		poll_ms = 100;
	for (;;) {
		int r = ucl_get_tracking(c, id, res);
		if (r < 0 || *res != UCL_TRACK_PENDING)
			return r;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t left = end - ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		if (left <= 0)
			return 0;
		sleep_ms(left < poll_ms ? (int)left : poll_ms);
	}
}

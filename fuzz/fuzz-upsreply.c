/*
 * fuzz-upsreply: the client library's reply handling.  The input is what a
 * hostile server sends; it is written to one end of a socketpair and the
 * library reads it through the real line reader, tokenizer, echo checks
 * and list builder (GET, LIST, TYPE, TRACKING, SET/INSTCMD replies), until
 * the connection breaks.  Also every input line goes through
 * ucl_parse_line() directly, and the results are checked against the bounds.
 */
#include "client/upsclient.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FUZZ_INPUT_MAX (64 * 1024) /* stays below the socket buffer */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_words(const struct ucl_words *w)
{
	if (w->n > TOK_MAX_WORDS)
		abort();
	for (size_t i = 0; i < w->n; i++)
		if (strlen(w->w[i]) > TOK_MAX_WORDLEN)
			abort();
	(void)ucl_reply_error(w);
}

static void
parse_lines(const uint8_t *data, size_t size)
{
	struct ucl_words w;
	size_t start = 0;

	for (size_t i = 0; i <= size; i++) {
		if (i == size || data[i] == '\n') {
			if (ucl_parse_line((const char *)data + start, i - start, &w) == 0)
				check_words(&w);
			start = i + 1;
		}
	}
}

static void
check_list(const struct ucl_list *l)
{
	if (l->n > UCL_LIST_MAX_ITEMS)
		abort();
	for (size_t i = 0; i < l->n; i++)
		for (size_t j = 0; j < UCL_ITEM_WORDS; j++)
			if (!l->items[i].w[j] || strlen(l->items[i].w[j]) > TOK_MAX_WORDLEN)
				abort();
}

static void
converse(struct ucl_conn *c)
{
	char v[UCL_VALUE_MAX], id[UCL_TRACKID_MAX];
	struct ucl_list l;
	struct ucl_type t;
	enum ucl_track tr;
	long n;

	for (int round = 0; round < 64 && ucl_fd(c) >= 0; round++) {
		switch (round % 8) {
		case 0:
			if (ucl_list_var(c, "ups", &l) == 0)
				check_list(&l);
			ucl_list_free(&l);
			break;
		case 1:
			(void)ucl_get_var(c, "ups", "ups.status", v, sizeof(v));
			break;
		case 2:
			if (ucl_list_ups(c, &l) == 0)
				check_list(&l);
			ucl_list_free(&l);
			break;
		case 3:
			(void)ucl_get_type(c, "ups", "ups.id", &t);
			break;
		case 4:
			(void)ucl_get_tracking(c, "id", &tr);
			break;
		case 5:
			if (ucl_instcmd(c, "ups", "load.off", NULL, id) == 0 && strlen(id) >= UCL_TRACKID_MAX)
				abort();
			break;
		case 6:
			if (ucl_list_range(c, "ups", "v", &l) == 0)
				check_list(&l);
			ucl_list_free(&l);
			break;
		case 7:
			(void)ucl_get_numlogins(c, "ups", &n);
			break;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ucl_conn *c;
	int sv[2];

	if (size > FUZZ_INPUT_MAX)
		return 0;
	parse_lines(data, size);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	if (size && write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	/* the requests the client writes are never read: keep them small */
	shutdown(sv[1], SHUT_WR);
	if (ucl_attach_fd(&c, sv[0], "fuzz", 50) == 0) {
		converse(c);
		ucl_abort(c);
	}
	close(sv[1]);
	return 0;
}

/*
 * fuzz-sockproto: arbitrary bytes as a driver socket stream, read by both
 * sides: each line is parsed as a driver line (applied to a tree) and as a
 * server line; every parsed message must format and parse back to the same
 * kind, and the tree must dump within its bounds.
 */
#include "sock/sockproto.h"
#include "sock/state.h"
#include "tokenizer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
check_dump_line(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	if (len == 0 || len > SP_MAX_LINE || line[len - 1] != '\n' || strlen(line) != len)
		abort();
	return 0;
}

static void
roundtrip(const struct sp_msg *m, int (*parse)(const struct tok_line *, struct sp_msg *))
{
	char line[SP_MAX_LINE + 1];
	int n = sp_format(line, sizeof(line), m);
	struct tokenizer t;
	struct sp_msg m2;
	int r;

	if (n < 0)
		return; /* e.g. a value longer than a line: refused, not cut */
	tok_init(&t);
	(void)tok_feed(&t, line, (size_t)n, &r);
	if (r != TOK_LINE || parse(&t.line, &m2) != 0 || m2.kind != m->kind)
		abort();
	if (m->name && strcmp(m->name, m2.name))
		abort();
	if (m->value && (!m2.value || strcmp(m->value, m2.value)))
		abort();
	tok_free(&t);
}

static void
handle(struct st_tree *tree, const struct tok_line *l)
{
	struct sp_msg m;

	if (sp_parse_driver(l, &m) == 0) {
		(void)sp_apply(tree, &m);
		roundtrip(&m, sp_parse_driver);
	}
	if (sp_parse_server(l, &m) == 0)
		roundtrip(&m, sp_parse_server);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tokenizer t;
	struct st_tree tree;
	size_t off = 0;
	int r;

	tok_init(&t);
	st_init(&tree);
	while (off < size) {
		off += tok_feed(&t, (const char *)data + off, size - off, &r);
		if (r == TOK_LINE)
			handle(&tree, &t.line);
	}
	if (tok_finish(&t) == TOK_LINE)
		handle(&tree, &t.line);
	if (sp_dump(&tree, check_dump_line, NULL) != 0)
		abort();
	for (size_t i = 1; i < st_nvars(&tree); i++)
		if (strcasecmp(st_var_at(&tree, i - 1)->name, st_var_at(&tree, i)->name) >= 0)
			abort();
	st_clear(&tree);
	tok_free(&t);
	return 0;
}

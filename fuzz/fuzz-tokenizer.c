/*
 * fuzz-tokenizer: feeds arbitrary bytes through the tokenizer in chunks of
 * varying size and checks the bounds every completed line must respect.
 */
#include "tokenizer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_line(const struct tok_line *line)
{
	if (line->nwords > TOK_MAX_WORDS)
		abort();
	for (size_t i = 0; i < line->nwords; i++) {
		if (strlen(line->words[i]) > TOK_MAX_WORDLEN)
			abort();
		char enc[2 * TOK_MAX_WORDLEN + 3];
		size_t n = tok_quote(enc, sizeof(enc), line->words[i]);
		if (n >= sizeof(enc))
			abort();
		/* An encoded word must tokenize back to itself. */
		struct tokenizer rt;
		int r;
		tok_init(&rt);
		enc[n] = '\n';
		(void)tok_feed(&rt, enc, n + 1, &r);
		if (r != TOK_LINE || rt.line.nwords != 1 || strcmp(rt.line.words[0], line->words[i]))
			abort();
		tok_free(&rt);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tokenizer t;
	size_t off = 0, chunk = size ? (data[0] % 7) + 1 : 1;
	int r;

	tok_init(&t);
	while (off < size) {
		size_t len = size - off < chunk ? size - off : chunk;
		size_t used = tok_feed(&t, (const char *)data + off, len, &r);
		off += used;
		if (r == TOK_LINE)
			check_line(&t.line);
	}
	if (tok_finish(&t) == TOK_LINE)
		check_line(&t.line);
	tok_free(&t);
	return 0;
}

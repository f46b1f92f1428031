/*
 * fuzz-tokenizer: feeds arbitrary bytes through the tokenizer in chunks of
 * varying size and checks the bounds every completed line must respect,
 * then checks that feeding one byte at a time (no run longer than a byte
 * for the word fast path) gives the same lines, warnings and errors.
 */
#include "tokenizer.h"

#include <stdbool.h>
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

/* A digest of everything the tokenizer reported, to compare two feedings. */
struct trace {
	uint64_t hash;
	size_t events;
};

static void
mix(struct trace *tr, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		tr->hash = (tr->hash ^ b[i]) * 1099511628211ull;
}

static void
record(struct trace *tr, const struct tokenizer *t, int r)
{
	tr->events++;
	mix(tr, &r, sizeof(r));
	if (r == TOK_ERROR)
		mix(tr, &t->err, sizeof(t->err));
	if (r != TOK_LINE)
		return;
	mix(tr, &t->line.nwords, sizeof(t->line.nwords));
	mix(tr, &t->line.warnings, sizeof(t->line.warnings));
	for (size_t i = 0; i < t->line.nwords; i++)
		mix(tr, t->line.words[i], strlen(t->line.words[i]) + 1);
}

static struct trace
feed(const uint8_t *data, size_t size, size_t chunk, bool check)
{
	struct tokenizer t;
	struct trace tr = {1469598103934665603ull, 0};
	size_t off = 0;
	int r;

	tok_init(&t);
	while (off < size) {
		size_t len = size - off < chunk ? size - off : chunk;
		off += tok_feed(&t, (const char *)data + off, len, &r);
		if (r != TOK_MORE)
			record(&tr, &t, r);
		if (r == TOK_LINE && check)
			check_line(&t.line);
	}
	r = tok_finish(&t);
	record(&tr, &t, r);
	if (r == TOK_LINE && check)
		check_line(&t.line);
	tok_free(&t);
	return tr;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunk = size ? (data[0] % 7) + 1 : 1;
	struct trace a = feed(data, size, chunk, true);
	struct trace b = feed(data, size, 1, false);
	struct trace c = feed(data, size, size ? size : 1, false);

	if (a.hash != b.hash || a.events != b.events || b.hash != c.hash || b.events != c.events)
		abort();
	return 0;
}

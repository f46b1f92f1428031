/*
 * Unit tests of the tokenizer: every quoting, escaping and comment rule,
 * with NUT parseconf's behaviour as the expected result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tokenizer.h"

#define MAX_LINES 8

struct result {
	int nlines;
	int nerrors;
	size_t nwords[MAX_LINES];
	char words[MAX_LINES][TOK_MAX_WORDS][TOK_MAX_WORDLEN + 1];
	unsigned warnings[MAX_LINES];
	unsigned lineno[MAX_LINES];
	enum tok_error errs[MAX_LINES];
};

static void
save_line(struct result *res, const struct tok_line *line)
{
	int n = res->nlines++;

	assert_true(n < MAX_LINES);
	res->nwords[n] = line->nwords;
	res->warnings[n] = line->warnings;
	res->lineno[n] = line->lineno;
	for (size_t i = 0; i < line->nwords; i++)
		strcpy(res->words[n][i], line->words[i]);
}

/* Tokenize `in` fed `chunk` bytes at a time, then finish. */
static struct result *
run(const char *in, size_t len, size_t chunk)
{
	struct result *res = calloc(1, sizeof(*res));
	struct tokenizer t;
	size_t off = 0;
	int r;

	tok_init(&t);
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;
		off += tok_feed(&t, in + off, n, &r);
		if (r == TOK_LINE)
			save_line(res, &t.line);
		else if (r == TOK_ERROR)
			res->errs[res->nerrors++] = t.err;
	}
	r = tok_finish(&t);
	if (r == TOK_LINE)
		save_line(res, &t.line);
	else if (r == TOK_ERROR)
		res->errs[res->nerrors++] = t.err;
	tok_free(&t);
	return res;
}

/* Check that `in` gives one line per NULL-terminated group in `expect`,
 * whatever the feeding chunk size. */
static void
expect_lines(const char *in, const char *const *expect)
{
	for (size_t chunk = 1; chunk <= 64; chunk = chunk * 2 + 1) {
		struct result *res = run(in, strlen(in), chunk);
		int line = 0;
		size_t w = 0;

		/* Groups end with NULL; the list ends with a second NULL. */
		for (size_t i = 0;; i++) {
			if (expect[i] == NULL) {
				assert_int_equal(res->nwords[line], w);
				line++;
				w = 0;
				if (expect[i + 1] == NULL)
					break;
				continue;
			}
			assert_true(w < res->nwords[line]);
			assert_string_equal(res->words[line][w], expect[i]);
			w++;
		}
		assert_int_equal(res->nlines, line);
		assert_int_equal(res->nerrors, 0);
		free(res);
	}
}

#define LINES(...) ((const char *const[]){__VA_ARGS__, NULL, NULL})

static void
test_words(void **state)
{
	expect_lines("GET VAR ups ups.status\n", LINES("GET", "VAR", "ups", "ups.status"));
	expect_lines("  a\t b  \r\n", LINES("a", "b"));
	expect_lines("a\nb c\n", LINES("a", NULL, "b", "c"));
}

static void
test_quotes(void **state)
{
	expect_lines("a \"b c\" d\n", LINES("a", "b c", "d"));
	expect_lines("\"\"\n", LINES(""));
	expect_lines("x \"\" y\n", LINES("x", "", "y"));
	/* A quote inside an unquoted word is an ordinary character. */
	expect_lines("ab\"cd\n", LINES("ab\"cd"));
	/* A quoted word ends at its closing quote even without a space. */
	expect_lines("\"ab\"cd\n", LINES("ab", "cd"));
}

static void
test_escapes(void **state)
{
	expect_lines("a\\ b\n", LINES("a b"));
	expect_lines("\"a \\\"q\\\" \\\\ \\#\"\n", LINES("a \"q\" \\ #"));
	expect_lines("p\\#ss\n", LINES("p#ss"));
	expect_lines("123\\=123\n", LINES("123=123"));
	expect_lines("\\\"x\n", LINES("\"x"));
}

static void
test_comments(void **state)
{
	expect_lines("# only a comment\nx\n", LINES(NULL, "x"));
	expect_lines("a b # c d\n", LINES("a", "b"));
	expect_lines("a#b\n", LINES("a"));
}

static void
test_hash_in_quotes_is_error(void **state)
{
	const char *in = "password = \"p#ss\" more\nnext line\n";
	struct result *res = run(in, strlen(in), 1);

	assert_int_equal(res->nerrors, 1);
	assert_int_equal(res->errs[0], TOK_E_HASH_IN_QUOTES);
	assert_int_equal(res->nlines, 1);
	assert_string_equal(res->words[0][0], "next");
	assert_int_equal(res->lineno[0], 2);
	free(res);
}

static void
test_equals(void **state)
{
	expect_lines("a=b\n", LINES("a", "=", "b"));
	expect_lines("a = b\n", LINES("a", "=", "b"));
	expect_lines("==\n", LINES("=", "="));
	expect_lines("password = 123=123\n", LINES("password", "=", "123", "=", "123"));
	expect_lines("\"a=b\"\n", LINES("a=b"));
	expect_lines("=x\n", LINES("=", "x"));
}

static void
test_continuation(void **state)
{
	/* Backslash-newline inside a word joins it with the next line. */
	expect_lines("ab\\\ncd\n", LINES("abcd"));
	/* Inside quotes the newline is dropped and the word goes on. */
	expect_lines("\"ab\\\ncd\"\n", LINES("abcd"));
	/* An unterminated quote spans lines; the raw newline is dropped. */
	expect_lines("\"ab\ncd\" e\n", LINES("abcd", "e"));
	/* NUT leaves an open word after "\\\n": leading blanks then end it,
	 * which yields an empty word. */
	expect_lines("a \\\n  b\n", LINES("a", "", "b"));
	expect_lines("a \\\nb\n", LINES("a", "b"));
}

static void
test_line_numbers(void **state)
{
	const char *in = "a\n\n# c\nb \\\nc\nd\n";
	struct result *res = run(in, strlen(in), 3);

	assert_int_equal(res->nlines, 5);
	assert_int_equal(res->lineno[0], 1);
	assert_int_equal(res->lineno[1], 2); /* empty line */
	assert_int_equal(res->nwords[1], 0);
	assert_int_equal(res->lineno[3], 4);
	assert_int_equal(res->lineno[4], 6);
	free(res);
}

static void
test_nonascii_dropped(void **state)
{
	const char *in = "ab\xc3\xa4" "cd \"x\x01y\"\n";
	struct result *res = run(in, strlen(in), 2);

	assert_int_equal(res->nlines, 1);
	assert_string_equal(res->words[0][0], "abcd");
	assert_string_equal(res->words[0][1], "xy");
	assert_true(res->warnings[0] & TOK_W_NONASCII);
	free(res);
}

static void
test_word_limit(void **state)
{
	char in[TOK_MAX_WORDLEN + 64];
	struct result *res;

	memset(in, 'w', TOK_MAX_WORDLEN + 10);
	strcpy(in + TOK_MAX_WORDLEN + 10, " next\n");
	res = run(in, strlen(in), 50);
	assert_int_equal(res->nlines, 1);
	assert_int_equal(strlen(res->words[0][0]), TOK_MAX_WORDLEN);
	assert_string_equal(res->words[0][1], "next");
	assert_int_equal(res->warnings[0], TOK_W_WORDLEN);
	free(res);
}

static void
test_word_count_limit(void **state)
{
	char in[512] = "";
	struct result *res;

	for (int i = 0; i < TOK_MAX_WORDS + 5; i++) {
		char w[16];
		snprintf(w, sizeof(w), "w%d ", i);
		strcat(in, w);
	}
	strcat(in, "\n");
	res = run(in, strlen(in), 7);
	assert_int_equal(res->nlines, 1);
	assert_int_equal(res->nwords[0], TOK_MAX_WORDS);
	assert_string_equal(res->words[0][TOK_MAX_WORDS - 1], "w31");
	assert_int_equal(res->warnings[0], TOK_W_WORDS);
	free(res);
}

static void
test_line_limit(void **state)
{
	size_t len = TOK_MAX_LINELEN * 3;
	char *in = malloc(len + 16);
	struct result *res;

	in[0] = '"';
	memset(in + 1, 'x', len);
	strcpy(in + 1 + len, "\" y\n");
	strcat(in, "next\n");
	res = run(in, strlen(in), 4096);
	/* The cut line still ends at its newline; the next one is intact. */
	assert_int_equal(res->nlines, 2);
	assert_true(res->warnings[0] & TOK_W_LINELEN);
	assert_int_equal(strlen(res->words[0][0]), TOK_MAX_WORDLEN);
	assert_string_equal(res->words[1][0], "next");
	assert_int_equal(res->warnings[1], 0);
	free(res);
	free(in);
}

static void
test_unterminated_at_eof(void **state)
{
	const char *in = "a \"never closed\nmore";
	struct result *res = run(in, strlen(in), 5);

	assert_int_equal(res->nlines, 0);
	assert_int_equal(res->nerrors, 1);
	assert_int_equal(res->errs[0], TOK_E_UNTERMINATED);
	free(res);
}

static void
test_last_line_without_newline(void **state)
{
	expect_lines("a b", LINES("a", "b"));
}

static void
test_encode(void **state)
{
	char buf[64];

	assert_int_equal(tok_encode(buf, sizeof(buf), "plain"), 5);
	assert_string_equal(buf, "plain");
	assert_int_equal(tok_encode(buf, sizeof(buf), "a\"b\\c#d"), 10);
	assert_string_equal(buf, "a\\\"b\\\\c\\#d");
	assert_int_equal(tok_quote(buf, sizeof(buf), "has \"quote\""), 15);
	assert_string_equal(buf, "\"has \\\"quote\\\"\"");
	/* Cut, but never in the middle of an escape pair. */
	assert_int_equal(tok_encode(buf, 3, "a#"), 3);
	assert_string_equal(buf, "a");
	assert_true(tok_needs_quotes(""));
	assert_true(tok_needs_quotes("a b"));
	assert_true(tok_needs_quotes("a=b"));
	assert_false(tok_needs_quotes("ups.status"));
}

static void
test_shrink(void **state)
{
	struct tokenizer t;
	int r;

	tok_init(&t);
	(void)tok_feed(&t, "VER\n", 4, &r);
	assert_int_equal(r, TOK_LINE);
	assert_true(tok_idle(&t));
	tok_shrink(&t);
	assert_null(t.store);
	(void)tok_feed(&t, "HELP\n", 5, &r);
	assert_int_equal(r, TOK_LINE);
	assert_string_equal(t.line.words[0], "HELP");
	tok_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_words),
	    cmocka_unit_test(test_quotes),
	    cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_comments),
	    cmocka_unit_test(test_hash_in_quotes_is_error),
	    cmocka_unit_test(test_equals),
	    cmocka_unit_test(test_continuation),
	    cmocka_unit_test(test_line_numbers),
	    cmocka_unit_test(test_nonascii_dropped),
	    cmocka_unit_test(test_word_limit),
	    cmocka_unit_test(test_word_count_limit),
	    cmocka_unit_test(test_line_limit),
	    cmocka_unit_test(test_unterminated_at_eof),
	    cmocka_unit_test(test_last_line_without_newline),
	    cmocka_unit_test(test_encode),
	    cmocka_unit_test(test_shrink),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

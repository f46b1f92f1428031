/*
 * tokenizer: NUT's word rules, for config files, the network protocol and
 * the driver socket protocol alike.
 *
 * Rules (NUT common/parseconf.c, reference nut-protocol-and-peers.md 1.1, 3.1):
 *  - words are separated by whitespace; a newline ends the logical line;
 *  - "..." groups a word, "" is an empty word; a quote inside an unquoted
 *    word is an ordinary character;
 *  - a backslash makes the next character literal, inside or outside quotes;
 *    a backslash before a newline continues the line (outside quotes it
 *    leaves an open, possibly empty, word, exactly as NUT does);
 *  - '#' outside quotes starts a comment; an unescaped '#' inside quotes is a
 *    parse error and the rest of that physical line is discarded;
 *  - an unquoted '=' is always a word of its own ("a=b" is a, =, b);
 *  - an unterminated quote continues across newlines;
 *  - bytes outside 0x20..0x7f inside a word are dropped;
 *  - words beyond TOK_MAX_WORDS and characters beyond TOK_MAX_WORDLEN are
 *    dropped; a logical line longer than TOK_MAX_LINELEN raw bytes keeps
 *    being parsed but its further characters are dropped.
 * Each truncation sets a warning bit on the line, once per line.
 */
#ifndef UPSGUARD_TOKENIZER_H
#define UPSGUARD_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOK_MAX_WORDS 32     /* NUT PCONF_DEFAULT_ARG_LIMIT */
#define TOK_MAX_WORDLEN 512  /* NUT PCONF_DEFAULT_WORDLEN_LIMIT */
#define TOK_MAX_LINELEN 8192 /* raw bytes of one logical line */

enum tok_result {
	TOK_MORE = 0,   /* no complete line yet */
	TOK_LINE = 1,   /* t->line holds a complete line until the next call */
	TOK_ERROR = -1, /* parse error; t->err says which; the line is discarded */
};

enum tok_error {
	TOK_E_NONE = 0,
	TOK_E_HASH_IN_QUOTES, /* unescaped '#' inside a quoted word */
	TOK_E_UNTERMINATED,   /* end of input inside a quoted word */
	TOK_E_NOMEM,
};

enum tok_warning {
	TOK_W_WORDLEN = 1u << 0,  /* a word was cut at TOK_MAX_WORDLEN */
	TOK_W_WORDS = 1u << 1,    /* words beyond TOK_MAX_WORDS were dropped */
	TOK_W_LINELEN = 1u << 2,  /* the line was cut at TOK_MAX_LINELEN */
	TOK_W_NONASCII = 1u << 3, /* bytes outside 0x20..0x7f were dropped */
};

struct tok_line {
	size_t nwords;
	char *words[TOK_MAX_WORDS];
	unsigned warnings; /* enum tok_warning bits */
	unsigned lineno;   /* physical line (1-based) where this line started */
};

struct tokenizer {
	int state;
	enum tok_error err;
	bool reset_pending;
	unsigned lineno;   /* current physical line */
	size_t linelen;    /* raw bytes of the current logical line */
	size_t nwords;     /* completed words kept */
	size_t wordlen;    /* length of the open word */
	unsigned warnings; /* for the current line */
	unsigned start_lineno;
	uint16_t word_off[TOK_MAX_WORDS];
	char *store; /* completed words, NUL-separated, then the open word */
	size_t store_len, store_cap;
	struct tok_line line;
};

/* Prepare an empty tokenizer; it owns no memory until bytes are fed. */
void tok_init(struct tokenizer *t);

/* Release the tokenizer's memory; it may be reused after tok_init(). */
void tok_free(struct tokenizer *t);

/*
 * Consume bytes until a line completes, an error occurs or buf is used up.
 * Returns the number of bytes consumed and stores the outcome in *ret
 * (enum tok_result).  Call again with the rest of the buffer.
 */
size_t tok_feed(struct tokenizer *t, const char *buf, size_t len, int *ret);

/*
 * End of input: completes a pending unterminated line.  Returns TOK_LINE,
 * TOK_MORE when nothing was pending, or TOK_ERROR (TOK_E_UNTERMINATED).
 */
int tok_finish(struct tokenizer *t);

/* True when no partial line is buffered (between lines). */
bool tok_idle(const struct tokenizer *t);

/* Drop memory held between lines (for servers with many idle clients). */
void tok_shrink(struct tokenizer *t);

/* Human text for an error or for the lowest warning bit set. */
const char *tok_strerror(enum tok_error err);
const char *tok_strwarning(unsigned warning_bit);

/*
 * Escape src as NUT's servers emit values: '\', '"' and '#' get a backslash.
 * Writes at most size-1 characters plus NUL.  Returns the full length the
 * encoding needs (excluding NUL); a result >= size means it was cut, never
 * in the middle of an escape pair.
 */
size_t tok_encode(char *dst, size_t size, const char *src);

/* Like tok_encode, surrounded by double quotes. */
size_t tok_quote(char *dst, size_t size, const char *src);

/* True when a word must be quoted to survive tokenizing unchanged. */
bool tok_needs_quotes(const char *word);

#endif

/*
 * tokenizer: a byte-driven state machine with NUT parseconf's word rules.
 *
 * Words are kept in one growable buffer, so a tokenizer between lines
 * holds no memory after tok_shrink(); the buffer never exceeds
 * TOK_MAX_WORDS * (TOK_MAX_WORDLEN + 1) bytes whatever the input.
 */
#include "tokenizer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TOK_STORE_MAX (TOK_MAX_WORDS * (TOK_MAX_WORDLEN + 1))
#define TOK_STORE_MIN 64
#define STR_(x) #x
#define STR(x) STR_(x)

enum tok_state {
	ST_FINDWORDSTART = 0,
	ST_COLLECT,
	ST_COLLECTLITERAL,
	ST_QUOTECOLLECT,
	ST_QC_LITERAL,
	ST_FINDEOL,  /* comment: skip to the newline */
	ST_DISCARD,  /* after a parse error: skip to the newline */
	ST_ENDOFLINE,
};

void
tok_init(struct tokenizer *t)
{
	memset(t, 0, sizeof(*t));
	t->state = ST_FINDWORDSTART;
	t->lineno = 1;
	t->start_lineno = 1;
}

void
tok_free(struct tokenizer *t)
{
	free(t->store);
	t->store = NULL;
	t->store_len = t->store_cap = 0;
}

static void
start_line(struct tokenizer *t)
{
	t->state = ST_FINDWORDSTART;
	t->nwords = 0;
	t->wordlen = 0;
	t->store_len = 0;
	t->linelen = 0;
	t->warnings = 0;
	t->err = TOK_E_NONE;
	t->start_lineno = t->lineno;
	t->reset_pending = false;
}

static int
store_reserve(struct tokenizer *t, size_t need)
{
	size_t cap;
	char *p;

	if (t->store_len + need <= t->store_cap)
		return 0;
	cap = t->store_cap ? t->store_cap : TOK_STORE_MIN;
	while (cap < t->store_len + need)
		cap *= 2;
	if (cap > TOK_STORE_MAX)
		cap = TOK_STORE_MAX;
	p = realloc(t->store, cap);
	if (!p)
		return -ENOMEM;
	t->store = p;
	t->store_cap = cap;
	return 0;
}

/* Append the current byte to the open word, within the bounds. */
static void
addchar(struct tokenizer *t, unsigned char ch)
{
	if (ch < 0x20 || ch > 0x7f) {
		t->warnings |= TOK_W_NONASCII;
		return;
	}
	if (t->nwords >= TOK_MAX_WORDS)
		return; /* the word will be dropped at its end anyway */
	if (t->linelen > TOK_MAX_LINELEN) {
		t->warnings |= TOK_W_LINELEN;
		return;
	}
	if (t->wordlen >= TOK_MAX_WORDLEN) {
		t->warnings |= TOK_W_WORDLEN;
		return;
	}
	/* Room for the char and the word's NUL is guaranteed by the cap. */
	if (store_reserve(t, 2) < 0) {
		t->err = TOK_E_NOMEM;
		return;
	}
	t->store[t->store_len++] = (char)ch;
	t->wordlen++;
}

static void
endofword(struct tokenizer *t)
{
	if (t->nwords >= TOK_MAX_WORDS) {
		t->warnings |= TOK_W_WORDS;
		t->wordlen = 0;
		return;
	}
	if (store_reserve(t, 1) < 0) {
		t->err = TOK_E_NOMEM;
		return;
	}
	t->word_off[t->nwords++] = (uint16_t)(t->store_len - t->wordlen);
	t->store[t->store_len++] = '\0';
	t->wordlen = 0;
}

static bool
is_space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

static int
findwordstart(struct tokenizer *t, unsigned char ch)
{
	if (ch == '\n')
		return ST_ENDOFLINE;
	if (ch == '#')
		return ST_FINDEOL;
	if (is_space(ch))
		return ST_FINDWORDSTART;
	if (ch == '\\')
		return ST_COLLECTLITERAL;
	if (ch == '"')
		return ST_QUOTECOLLECT;
	addchar(t, ch);
	if (ch == '=') {
		endofword(t);
		return ST_FINDWORDSTART;
	}
	return ST_COLLECT;
}

static int
collect(struct tokenizer *t, unsigned char ch)
{
	if (ch == '#') {
		endofword(t);
		return ST_FINDEOL;
	}
	if (ch == '\n') {
		endofword(t);
		return ST_ENDOFLINE;
	}
	if (is_space(ch)) {
		endofword(t);
		return ST_FINDWORDSTART;
	}
	if (ch == '=') {
		endofword(t);
		addchar(t, ch);
		endofword(t);
		return ST_FINDWORDSTART;
	}
	if (ch == '\\')
		return ST_COLLECTLITERAL;
	addchar(t, ch);
	return ST_COLLECT;
}

static int
quotecollect(struct tokenizer *t, unsigned char ch)
{
	if (ch == '#') {
		t->err = TOK_E_HASH_IN_QUOTES;
		return ST_DISCARD;
	}
	if (ch == '"') {
		endofword(t);
		return ST_FINDWORDSTART;
	}
	if (ch == '\\')
		return ST_QC_LITERAL;
	addchar(t, ch);
	return ST_QUOTECOLLECT;
}

/* One byte through the state machine; returns the new state. */
static int
step(struct tokenizer *t, unsigned char ch)
{
	switch (t->state) {
	case ST_FINDWORDSTART:
		return findwordstart(t, ch);
	case ST_COLLECT:
		return collect(t, ch);
	case ST_COLLECTLITERAL:
		/* Backslash-newline continues the word on the next line. */
		if (ch != '\n')
			addchar(t, ch);
		return ST_COLLECT;
	case ST_QUOTECOLLECT:
		return quotecollect(t, ch);
	case ST_QC_LITERAL:
		if (ch != '\n')
			addchar(t, ch);
		return ST_QUOTECOLLECT;
	case ST_FINDEOL:
		return ch == '\n' ? ST_ENDOFLINE : ST_FINDEOL;
	case ST_DISCARD:
		if (ch == '\n')
			t->reset_pending = true;
		return ST_DISCARD;
	default:
		return t->state;
	}
}

static void
publish(struct tokenizer *t)
{
	t->line.nwords = t->nwords;
	for (size_t i = 0; i < t->nwords; i++)
		t->line.words[i] = t->store + t->word_off[i];
	t->line.warnings = t->warnings;
	t->line.lineno = t->start_lineno;
	t->reset_pending = true;
}

/* A byte that collect() would only append to the open word. */
static bool
is_plain(unsigned char ch)
{
	return ch > 0x20 && ch <= 0x7f && ch != '#' && ch != '=' && ch != '\\';
}

/*
 * Inside a word, append the run of plain bytes at buf in one copy instead
 * of one state-machine step each: request lines are mostly such runs, and
 * upsd tokenizes every request.  Returns the bytes taken; 0 (the byte-wise
 * path decides) near any bound, so warnings and truncation stay as they are.
 */
static size_t
collect_run(struct tokenizer *t, const char *buf, size_t len)
{
	size_t n = 0;

	if (t->state != ST_COLLECT || t->reset_pending)
		return 0;
	while (n < len && is_plain((unsigned char)buf[n]))
		n++;
	if (n == 0 || t->nwords >= TOK_MAX_WORDS || t->linelen + n > TOK_MAX_LINELEN ||
	    t->wordlen + n > TOK_MAX_WORDLEN || store_reserve(t, n + 1) < 0)
		return 0;
	memcpy(t->store + t->store_len, buf, n);
	t->store_len += n;
	t->wordlen += n;
	t->linelen += n;
	return n;
}

size_t
tok_feed(struct tokenizer *t, const char *buf, size_t len, int *ret)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch;
		int prev;

		i += collect_run(t, buf + i, len - i);
		if (i == len)
			break;
		ch = (unsigned char)buf[i];
		if (t->reset_pending)
			start_line(t);
		t->linelen++;
		prev = t->state;
		t->state = step(t, ch);
		if (ch == '\n')
			t->lineno++;
		if (t->err == TOK_E_NOMEM && prev != ST_DISCARD)
			t->state = ST_DISCARD;
		if (t->state == ST_DISCARD && prev != ST_DISCARD) {
			/* Report the error once; the rest of the line is skipped. */
			*ret = TOK_ERROR;
			return i + 1;
		}
		if (t->state == ST_ENDOFLINE) {
			publish(t);
			*ret = TOK_LINE;
			return i + 1;
		}
	}
	*ret = TOK_MORE;
	return i;
}

int
tok_finish(struct tokenizer *t)
{
	if (t->reset_pending)
		start_line(t);
	switch (t->state) {
	case ST_QUOTECOLLECT:
	case ST_QC_LITERAL:
		t->err = TOK_E_UNTERMINATED;
		t->reset_pending = true;
		return TOK_ERROR;
	case ST_COLLECT:
	case ST_COLLECTLITERAL:
		endofword(t);
		break;
	case ST_DISCARD:
		t->reset_pending = true;
		return TOK_MORE;
	default:
		break;
	}
	if (t->nwords == 0 && t->warnings == 0) {
		t->reset_pending = true;
		return TOK_MORE;
	}
	publish(t);
	return TOK_LINE;
}

bool
tok_idle(const struct tokenizer *t)
{
	return t->reset_pending || (t->state == ST_FINDWORDSTART && t->nwords == 0 &&
					  t->linelen == 0);
}

void
tok_shrink(struct tokenizer *t)
{
	if (!tok_idle(t))
		return;
	/* The published line points into the store; it is gone after this. */
	t->line.nwords = 0;
	tok_free(t);
}

const char *
tok_strerror(enum tok_error err)
{
	switch (err) {
	case TOK_E_NONE:
		return "no error";
	case TOK_E_HASH_IN_QUOTES:
		return "Unbalanced word due to unescaped # in quotes";
	case TOK_E_UNTERMINATED:
		return "unterminated quoted word at end of input";
	case TOK_E_NOMEM:
		return "out of memory";
	}
	return "unknown error";
}

const char *
tok_strwarning(unsigned warning_bit)
{
	if (warning_bit & TOK_W_WORDLEN)
		return "word longer than " STR(TOK_MAX_WORDLEN) " characters was cut";
	if (warning_bit & TOK_W_WORDS)
		return "words beyond the 32nd were dropped";
	if (warning_bit & TOK_W_LINELEN)
		return "line longer than " STR(TOK_MAX_LINELEN) " bytes was cut";
	if (warning_bit & TOK_W_NONASCII)
		return "characters outside printable ASCII were dropped";
	return "no warning";
}

size_t
tok_encode(char *dst, size_t size, const char *src)
{
	size_t need = 0, out = 0;
	bool full = false;

	for (const char *p = src; *p; p++) {
		size_t n = (*p == '\\' || *p == '"' || *p == '#') ? 2 : 1;

		need += n;
		if (full || size == 0 || out + n > size - 1) {
			full = true;
			continue;
		}
		if (n == 2)
			dst[out++] = '\\';
		dst[out++] = *p;
	}
	if (size > 0)
		dst[out] = '\0';
	return need;
}

size_t
tok_quote(char *dst, size_t size, const char *src)
{
	size_t need;

	if (size < 3) {
		if (size > 0)
			dst[0] = '\0';
		return tok_encode(NULL, 0, src) + 2;
	}
	dst[0] = '"';
	need = tok_encode(dst + 1, size - 2, src);
	if (need >= size - 2) {
		dst[0] = '\0';
		return need + 2;
	}
	dst[need + 1] = '"';
	dst[need + 2] = '\0';
	return need + 2;
}

bool
tok_needs_quotes(const char *word)
{
	if (*word == '\0')
		return true;
	for (const char *p = word; *p; p++) {
		if (is_space((unsigned char)*p) || *p == '"' || *p == '#' || *p == '=' ||
		    *p == '\\' || *p == '\n')
			return true;
	}
	return false;
}

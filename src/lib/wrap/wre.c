/*
 * wre: Python's re.match(pattern + '$', arg), the test oslo.rootwrap's
 * RegExpFilter and ChainingRegExpFilter apply, on top of PCRE2.
 *
 * The Python pattern is translated into an explicit PCRE2 pattern: every
 * literal becomes \x{...}, character classes are rebuilt item by item (so
 * PCRE-only syntax such as [:alpha:] or \Q cannot leak in), verbose-mode
 * white space and comments are removed here, and the constructs Python
 * rejects are rejected with Python's reason.  Constructs with no exact
 * PCRE2 equivalent (\N{...}, scoped (?a:...)/(?u:...)) are refused, which
 * denies the filter: fail closed.
 */
#include "wrap-int.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WRE_MAX_PATTERN 4096  /* bytes of one Python pattern */
/* PCRE2 bytes per pattern byte, at most: an ASCII literal becomes \x{61}
 * (6), a class range a-b becomes \x{61}-\x{62} (13 for 3); leading flags
 * and the appended '$' fit in the constant. */
#define WRE_OUT_PER_BYTE 12
#define WRE_OUT_EXTRA 64
#define WRE_MAX_DEPTH 200     /* nested groups */
#define WRE_MAX_GROUPS 200
#define WRE_MAX_REPEAT 65535  /* PCRE2's limit; Python's is larger: refused */
#define WRE_MATCH_LIMIT 1000000 /* backtracking steps before denying */

struct wre {
	char *literal; /* set instead of code for a pattern without metacharacters */
	pcre2_code *code;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
};

struct group {
	char name[64];
	bool closed;
};

struct tr {
	const char *p, *end;
	char *out;
	size_t len, cap;
	bool verbose[WRE_MAX_DEPTH + 1];
	int depth;
	struct group groups[WRE_MAX_GROUPS + 1]; /* 1-based */
	int ngroups;
	int open[WRE_MAX_DEPTH + 1]; /* group number per depth, 0 if none */
	enum { LAST_NONE, LAST_ATOM, LAST_AT, LAST_QUANT } last;
	char *err;
	size_t errlen;
};

static int
tfail(struct tr *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, t->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int
emit(struct tr *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap)
		return tfail(t, "pattern too long");
	memcpy(t->out + t->len, s, n);
	t->len += n;
	t->out[t->len] = '\0';
	return 0;
}

static int
emits(struct tr *t, const char *s)
{
	return emit(t, s, strlen(s));
}

static int
emit_cp(struct tr *t, unsigned long cp)
{
	/* Every literal goes through here: formatted by hand, not snprintf,
	 * which was a third of the start-up cost of upswrap. */
	static const char hex[] = "0123456789abcdef";
	char b[24], digits[16];
	size_t n = 0, k = 0;

	do {
		digits[k++] = hex[cp & 0xf];
		cp >>= 4;
	} while (cp && k < sizeof(digits));
	b[n++] = '\\';
	b[n++] = 'x';
	b[n++] = '{';
	while (k > 0)
		b[n++] = digits[--k];
	b[n++] = '}';
	return emit(t, b, n);
}

/* Decode one UTF-8 code point (the pattern was validated as UTF-8). */
static unsigned long
next_cp(struct tr *t)
{
	const unsigned char *p = (const unsigned char *)t->p;
	unsigned long c = p[0];
	int n = 0;

	if (c >= 0xf0) {
		c &= 0x07;
		n = 3;
	} else if (c >= 0xe0) {
		c &= 0x0f;
		n = 2;
	} else if (c >= 0xc0) {
		c &= 0x1f;
		n = 1;
	}
	t->p++;
	for (int i = 0; i < n && t->p < t->end; i++)
		c = (c << 6) | ((unsigned char)*t->p++ & 0x3f);
	return c;
}

static bool
is_oct(char c)
{
	return c >= '0' && c <= '7';
}

static bool
is_dig(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(char c)
{
	return is_dig(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* \x, \u, \U with exactly `n` hex digits. */
static int
hex_escape(struct tr *t, char kind, int n, unsigned long *cp)
{
	unsigned long v = 0;

	for (int i = 0; i < n; i++) {
		if (t->p >= t->end || !is_hex(*t->p))
			return tfail(t, "incomplete escape \\%c", kind);
		char c = *t->p++;
		v = v * 16 + (unsigned long)(is_dig(c) ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	if (v > 0x10ffff)
		return tfail(t, "bad escape \\%c", kind);
	*cp = v;
	return 0;
}

/* Escapes shared by classes and the pattern that denote one character.
 * Returns 1 and *cp, 0 if `c` is not such an escape, or an error. */
static int
char_escape(struct tr *t, char c, unsigned long *cp)
{
	static const struct {
		char c;
		unsigned long v;
	} simple[] = {{'a', 7}, {'f', 12}, {'n', 10}, {'r', 13}, {'t', 9}, {'v', 11}, {'\\', 92}};

	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		if (c == simple[i].c) {
			*cp = simple[i].v;
			return 1;
		}
	if (c == 'x' || c == 'u' || c == 'U') {
		int r = hex_escape(t, c, c == 'x' ? 2 : c == 'u' ? 4 : 8, cp);
		return r < 0 ? r : 1;
	}
	if (c == 'N')
		return tfail(t, "\\N{...} is not supported by upswrap");
	return 0;
}

static bool
is_category(char c)
{
	return strchr("dDsSwW", c) != NULL;
}

/* One item of a class; *lit set when it is a single character. */
static int
class_item(struct tr *t, char *cat, unsigned long *cp, bool *lit)
{
	int r;

	*lit = false;
	if (*t->p != '\\') {
		*cp = next_cp(t);
		*lit = true;
		return 0;
	}
	t->p++;
	if (t->p >= t->end)
		return tfail(t, "bad escape (end of pattern)");
	char c = *t->p++;
	if (is_category(c)) {
		*cat = c;
		return 0;
	}
	if (c == 'b') {
		*cp = 8;
		*lit = true;
		return 0;
	}
	if ((r = char_escape(t, c, cp)) != 0) {
		*lit = r > 0;
		return r < 0 ? r : 0;
	}
	if (is_oct(c)) {
		unsigned long v = (unsigned long)(c - '0');
		for (int i = 0; i < 2 && t->p < t->end && is_oct(*t->p); i++)
			v = v * 8 + (unsigned long)(*t->p++ - '0');
		if (v > 0377)
			return tfail(t, "octal escape value outside of range 0-0o377");
		*cp = v;
		*lit = true;
		return 0;
	}
	if (is_dig(c) || is_alpha(c))
		return tfail(t, "bad escape \\%c", c);
	t->p--;
	*cp = next_cp(t);
	*lit = true;
	return 0;
}

static int
emit_class_item(struct tr *t, char cat, unsigned long cp, bool lit)
{
	char b[4] = {'\\', cat, '\0'};

	return lit ? emit_cp(t, cp) : emits(t, b);
}

/* A character class, t->p just after '['. */
static int
tr_class(struct tr *t)
{
	bool any = false;
	int r;

	if ((r = emits(t, "[")) < 0)
		return r;
	if (t->p < t->end && *t->p == '^') {
		t->p++;
		if ((r = emits(t, "^")) < 0)
			return r;
	}
	for (;;) {
		char cat1 = 0, cat2 = 0;
		unsigned long c1 = 0, c2 = 0;
		bool lit1, lit2;

		if (t->p >= t->end)
			return tfail(t, "unterminated character set");
		if (*t->p == ']' && any) {
			t->p++;
			break;
		}
		if ((r = class_item(t, &cat1, &c1, &lit1)) < 0)
			return r;
		any = true;
		if (t->p < t->end && *t->p == '-') {
			t->p++;
			if (t->p >= t->end)
				return tfail(t, "unterminated character set");
			if (*t->p == ']') {
				t->p++;
				if ((r = emit_class_item(t, cat1, c1, lit1)) < 0 ||
				    (r = emit_cp(t, '-')) < 0)
					return r;
				break;
			}
			if ((r = class_item(t, &cat2, &c2, &lit2)) < 0)
				return r;
			if (!lit1 || !lit2 || c2 < c1)
				return tfail(t, "bad character range");
			if ((r = emit_cp(t, c1)) < 0 || (r = emits(t, "-")) < 0 ||
			    (r = emit_cp(t, c2)) < 0)
				return r;
			continue;
		}
		if ((r = emit_class_item(t, cat1, c1, lit1)) < 0)
			return r;
	}
	t->last = LAST_ATOM;
	return emits(t, "]");
}

static int
group_ref(struct tr *t, int n)
{
	char b[32];

	if (n < 1 || n > t->ngroups)
		return tfail(t, "invalid group reference %d", n);
	if (!t->groups[n].closed)
		return tfail(t, "cannot refer to an open group");
	snprintf(b, sizeof(b), "\\g{%d}", n);
	t->last = LAST_ATOM;
	return emits(t, b);
}

/* An escape outside classes, t->p just after '\'. */
static int
tr_escape(struct tr *t)
{
	static const struct {
		char c;
		const char *out;
		bool at;
	} cats[] = {{'A', "\\A", true}, {'Z', "\\z", true}, {'b', "\\b", true},
		    {'B', "\\B", true}, {'d', "\\d", false}, {'D', "\\D", false},
		    {'s', "\\s", false}, {'S', "\\S", false}, {'w', "\\w", false},
		    {'W', "\\W", false}};
	unsigned long cp;
	int r;

	if (t->p >= t->end)
		return tfail(t, "bad escape (end of pattern)");
	char c = *t->p++;
	for (size_t i = 0; i < sizeof(cats) / sizeof(cats[0]); i++)
		if (c == cats[i].c) {
			t->last = cats[i].at ? LAST_AT : LAST_ATOM;
			return emits(t, cats[i].out);
		}
	if ((r = char_escape(t, c, &cp)) != 0) {
		t->last = LAST_ATOM;
		return r < 0 ? r : emit_cp(t, cp);
	}
	if (c == '0') {
		unsigned long v = 0;
		for (int i = 0; i < 2 && t->p < t->end && is_oct(*t->p); i++)
			v = v * 8 + (unsigned long)(*t->p++ - '0');
		t->last = LAST_ATOM;
		return emit_cp(t, v);
	}
	if (is_dig(c)) {
		int n = c - '0';
		if (t->p < t->end && is_dig(*t->p)) {
			char d = *t->p++;
			if (is_oct(c) && is_oct(d) && t->p < t->end && is_oct(*t->p)) {
				unsigned long v = (unsigned long)((c - '0') * 64 + (d - '0') * 8 +
								  (*t->p++ - '0'));
				if (v > 0377)
					return tfail(t, "octal escape value outside of range");
				t->last = LAST_ATOM;
				return emit_cp(t, v);
			}
			n = n * 10 + (d - '0');
		}
		return group_ref(t, n);
	}
	if (is_alpha(c))
		return tfail(t, "bad escape \\%c", c);
	t->p--;
	t->last = LAST_ATOM;
	return emit_cp(t, next_cp(t));
}

/* Python's repeat syntax at t->p ('*', '+', '?' or a valid '{...}').
 * Returns 1 if a quantifier was consumed and emitted, 0 if not one. */
static int
tr_quant(struct tr *t)
{
	char b[64];
	const char *q = t->p;
	int r;

	if (*q == '*' || *q == '+' || *q == '?') {
		b[0] = *q;
		b[1] = '\0';
		t->p++;
	} else {
		unsigned long lo = 0, hi = 0;
		bool has_lo = false, has_hi = false, comma = false;
		q++;
		if (q < t->end && *q == '}')
			return 0;
		for (; q < t->end && is_dig(*q); q++, has_lo = true)
			lo = lo < 1000000 ? lo * 10 + (unsigned long)(*q - '0') : lo;
		if (q < t->end && *q == ',') {
			comma = true;
			for (q++; q < t->end && is_dig(*q); q++, has_hi = true)
				hi = hi < 1000000 ? hi * 10 + (unsigned long)(*q - '0') : hi;
		} else {
			hi = lo;
			has_hi = has_lo;
		}
		if (q >= t->end || *q != '}')
			return 0;
		t->p = q + 1;
		if (has_hi && hi < lo)
			return tfail(t, "min repeat greater than max repeat");
		if (lo > WRE_MAX_REPEAT || (has_hi && hi > WRE_MAX_REPEAT))
			return tfail(t, "repeat count above %d is not supported", WRE_MAX_REPEAT);
		if (!comma)
			snprintf(b, sizeof(b), "{%lu}", lo);
		else if (has_hi)
			snprintf(b, sizeof(b), "{%lu,%lu}", lo, hi);
		else
			snprintf(b, sizeof(b), "{%lu,}", lo);
	}
	if (t->last == LAST_NONE || t->last == LAST_AT)
		return tfail(t, "nothing to repeat");
	if (t->last == LAST_QUANT)
		return tfail(t, "multiple repeat");
	if ((r = emits(t, b)) < 0)
		return r;
	if (t->p < t->end && (*t->p == '?' || *t->p == '+')) {
		char m[2] = {*t->p++, '\0'};
		if ((r = emits(t, m)) < 0)
			return r;
	}
	t->last = LAST_QUANT;
	return 1;
}

static bool
flag_letter(char c)
{
	return strchr("aiLmsux", c) != NULL;
}

/* Inline flags after "(?": global "(?flags)" or scoped "(?f-g:". */
static int
tr_flags(struct tr *t, bool at_start, unsigned *opts)
{
	char on[16] = "", off[16] = "";
	size_t non = 0, noff = 0;
	bool minus = false;
	int r;

	while (t->p < t->end && (flag_letter(*t->p) || (*t->p == '-' && !minus))) {
		char c = *t->p++;
		if (c == '-') {
			minus = true;
			continue;
		}
		if (c == 'L')
			return tfail(t, "bad inline flags: cannot use 'L' flag with a str pattern");
		if (minus ? noff >= sizeof(off) - 1 : non >= sizeof(on) - 1)
			return tfail(t, "too many flags");
		if (minus)
			off[noff++] = c;
		else
			on[non++] = c;
	}
	if (t->p >= t->end)
		return tfail(t, "missing -, : or )");
	if (*t->p == ')' && !minus) {
		t->p++;
		if (!at_start)
			return tfail(t, "global flags not at the start of the expression");
		for (size_t i = 0; i < non; i++) {
			static const struct {
				char c;
				unsigned o;
			} map[] = {{'i', PCRE2_CASELESS}, {'m', PCRE2_MULTILINE},
				   {'s', PCRE2_DOTALL}, {'a', 0x80000000u}};
			if (on[i] == 'x')
				t->verbose[0] = t->verbose[t->depth] = true;
			for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++)
				if (on[i] == map[k].c)
					*opts |= map[k].o;
		}
		return 0;
	}
	if (*t->p != ':')
		return tfail(t, "missing -, : or )");
	t->p++;
	if ((minus && noff == 0) || (non == 0 && noff == 0))
		return tfail(t, "missing flag");
	if (strpbrk(on, "au") || strpbrk(off, "au"))
		return tfail(t, "scoped flags 'a' and 'u' are not supported by upswrap");
	for (size_t i = 0; i < non; i++)
		if (strchr(off, on[i]))
			return tfail(t, "bad inline flags: flag turned on and off");
	if (t->depth >= WRE_MAX_DEPTH)
		return tfail(t, "too many nested groups");
	t->depth++;
	t->open[t->depth] = 0;
	t->verbose[t->depth] = (t->verbose[t->depth - 1] || strchr(on, 'x')) && !strchr(off, 'x');
	/* x is handled here; PCRE2 never sees it. */
	char b[40] = "(?";
	size_t k = 2;
	for (size_t i = 0; i < non; i++)
		if (on[i] != 'x')
			b[k++] = on[i];
	bool dash = false;
	for (size_t i = 0; i < noff; i++)
		if (off[i] != 'x') {
			if (!dash)
				b[k++] = '-';
			dash = true;
			b[k++] = off[i];
		}
	b[k] = '\0';
	if ((r = emits(t, b)) < 0)
		return r;
	t->last = LAST_NONE;
	return emits(t, ":");
}

static bool
ident_char(char c, bool first)
{
	return is_alpha(c) || c == '_' || (!first && is_dig(c));
}

/* A group name up to `stop`; Python wants an identifier (ASCII here). */
static int
group_name(struct tr *t, char stop, char *name, size_t size)
{
	size_t n = 0;

	while (t->p < t->end && *t->p != stop) {
		if (!ident_char(*t->p, n == 0) || n + 1 >= size)
			return tfail(t, "bad character in group name");
		name[n++] = *t->p++;
	}
	if (t->p >= t->end || n == 0)
		return tfail(t, "missing group name");
	name[n] = '\0';
	t->p++;
	return 0;
}

static int
find_group(struct tr *t, const char *name)
{
	for (int i = 1; i <= t->ngroups; i++)
		if (strcmp(t->groups[i].name, name) == 0)
			return i;
	return 0;
}

static int
open_group(struct tr *t, const char *name, const char *how)
{
	int r;

	if (t->depth >= WRE_MAX_DEPTH || t->ngroups >= WRE_MAX_GROUPS)
		return tfail(t, "too many groups");
	if (name && find_group(t, name))
		return tfail(t, "redefinition of group name '%s'", name);
	t->depth++;
	t->verbose[t->depth] = t->verbose[t->depth - 1];
	t->open[t->depth] = 0;
	if (how == NULL) {
		t->ngroups++;
		t->open[t->depth] = t->ngroups;
		snprintf(t->groups[t->ngroups].name, sizeof(t->groups[0].name), "%s",
			 name ? name : "");
		t->groups[t->ngroups].closed = false;
		if (name) {
			if ((r = emits(t, "(?P<")) < 0 || (r = emits(t, name)) < 0)
				return r;
			how = ">";
		} else {
			how = "(";
		}
	}
	t->last = LAST_NONE;
	return emits(t, how);
}

static int
tr_conditional(struct tr *t)
{
	char name[64], b[96];
	int n = 0;

	while (t->p < t->end && *t->p != ')' && (size_t)n + 1 < sizeof(name))
		name[n++] = *t->p++;
	if (t->p >= t->end || *t->p != ')')
		return tfail(t, "missing ), unterminated name");
	name[n] = '\0';
	t->p++;
	if (n > 0 && ident_char(name[0], true)) {
		for (int i = 1; i < n; i++)
			if (!ident_char(name[i], false))
				return tfail(t, "bad character in group name");
		if (!find_group(t, name))
			return tfail(t, "unknown group name '%s'", name);
		snprintf(b, sizeof(b), "(?(<%s>)", name);
	} else {
		long g = 0;
		for (int i = 0; i < n; i++) {
			if (!is_dig(name[i]))
				return tfail(t, "bad character in group name");
			g = g < 100000 ? g * 10 + (name[i] - '0') : g;
		}
		if (n == 0 || g == 0)
			return tfail(t, "bad group number");
		if (g > t->ngroups)
			return tfail(t, "invalid group reference %ld", g);
		snprintf(b, sizeof(b), "(?(%ld)", g);
	}
	return open_group(t, NULL, b);
}

/* After "(": what kind of group. */
static int
tr_group(struct tr *t, bool at_start, unsigned *opts)
{
	char name[64];
	int r;

	if (t->p >= t->end || *t->p != '?')
		return open_group(t, NULL, NULL);
	t->p++;
	if (t->p >= t->end)
		return tfail(t, "unexpected end of pattern");
	char c = *t->p++;
	switch (c) {
	case ':':
		return open_group(t, NULL, "(?:");
	case '>':
		return open_group(t, NULL, "(?>");
	case '=':
		return open_group(t, NULL, "(?=");
	case '!':
		return open_group(t, NULL, "(?!");
	case '#':
		while (t->p < t->end && *t->p != ')')
			t->p++;
		if (t->p >= t->end)
			return tfail(t, "missing ), unterminated comment");
		t->p++;
		return 0;
	case '<':
		if (t->p < t->end && (*t->p == '=' || *t->p == '!')) {
			const char *how = *t->p == '=' ? "(?<=" : "(?<!";
			t->p++;
			return open_group(t, NULL, how);
		}
		return tfail(t, "unknown extension ?<");
	case '(':
		return tr_conditional(t);
	case 'P':
		if (t->p < t->end && *t->p == '<') {
			t->p++;
			if ((r = group_name(t, '>', name, sizeof(name))) < 0)
				return r;
			return open_group(t, name, NULL);
		}
		if (t->p < t->end && *t->p == '=') {
			int g;
			t->p++;
			if ((r = group_name(t, ')', name, sizeof(name))) < 0)
				return r;
			if (!(g = find_group(t, name)))
				return tfail(t, "unknown group name '%s'", name);
			return group_ref(t, g);
		}
		return tfail(t, "unknown extension ?P");
	default:
		if (flag_letter(c) || c == '-') {
			t->p--;
			return tr_flags(t, at_start, opts);
		}
		return tfail(t, "unknown extension ?%c", c);
	}
}

static int
tr_close(struct tr *t)
{
	if (t->depth == 0)
		return tfail(t, "unbalanced parenthesis");
	if (t->open[t->depth])
		t->groups[t->open[t->depth]].closed = true;
	t->depth--;
	t->last = LAST_ATOM;
	return emits(t, ")");
}

static bool
verbose_skip(struct tr *t)
{
	char c = *t->p;

	if (!t->verbose[t->depth])
		return false;
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
		t->p++;
		return true;
	}
	if (c == '#') {
		while (t->p < t->end && *t->p != '\n')
			t->p++;
		return true;
	}
	return false;
}

static int
tr_one(struct tr *t, bool *at_start, unsigned *opts)
{
	char c = *t->p;
	bool start = *at_start;
	int r;

	if (verbose_skip(t))
		return 0;
	*at_start = false;
	if (c == '*' || c == '+' || c == '?')
		return tr_quant(t) < 0 ? -EINVAL : 0;
	if (c == '{') {
		r = tr_quant(t);
		if (r != 0)
			return r < 0 ? r : 0;
		t->p++;
		t->last = LAST_ATOM;
		return emit_cp(t, '{');
	}
	t->p++;
	switch (c) {
	case '\\':
		return tr_escape(t);
	case '[':
		return tr_class(t);
	case '(':
	{
		size_t before = t->len;
		r = tr_group(t, start, opts);
		/* a global flag group or a comment emits nothing and keeps the start */
		if (r == 0 && t->len == before)
			*at_start = start;
		return r;
	}
	case ')':
		return tr_close(t);
	case '|':
		t->last = LAST_NONE;
		return emits(t, "|");
	case '.':
		t->last = LAST_ATOM;
		return emits(t, ".");
	case '^':
		t->last = LAST_AT;
		return emits(t, "^");
	case '$':
		t->last = LAST_AT;
		return emits(t, "$");
	default:
		t->p--;
		t->last = LAST_ATOM;
		return emit_cp(t, next_cp(t));
	}
}

int
wre_translate(const char *pattern, char *out, size_t outlen, bool *ascii, char *err,
	      size_t errlen)
{
	/* Not zero-initialised: the group table is 13 KB, and clearing it per
	 * pattern was most of upswrap's start-up time.  Entries are written
	 * before they are read (open_group, tr_flags); only depth 0 needs a value. */
	struct tr t;
	unsigned opts = 0;
	bool at_start = true;
	int r = 0;

	t.p = pattern;
	t.end = pattern + strlen(pattern);
	t.out = out;
	t.len = 0;
	t.cap = outlen;
	t.verbose[0] = false;
	t.depth = 0;
	t.ngroups = 0;
	t.open[0] = 0;
	t.last = LAST_NONE;
	t.err = err;
	t.errlen = errlen;
	if (strlen(pattern) > WRE_MAX_PATTERN + 1) /* + the '$' oslo appends */
		return tfail(&t, "pattern longer than %d bytes", WRE_MAX_PATTERN);
	if (outlen == 0)
		return -EINVAL;
	out[0] = '\0';
	/* Leading global flags become compile options, emitted as (?ims). */
	while (t.p < t.end && r == 0)
		r = tr_one(&t, &at_start, &opts);
	if (r < 0)
		return r;
	if (t.depth != 0)
		return tfail(&t, "missing ), unterminated subpattern");
	*ascii = (opts & 0x80000000u) != 0;
	opts &= ~0x80000000u;
	if (opts) {
		char pre[16] = "(?";
		size_t n = strlen(out);
		if (opts & PCRE2_CASELESS)
			strcat(pre, "i");
		if (opts & PCRE2_MULTILINE)
			strcat(pre, "m");
		if (opts & PCRE2_DOTALL)
			strcat(pre, "s");
		strcat(pre, ")");
		if (n + strlen(pre) + 1 > outlen)
			return tfail(&t, "pattern too long");
		memmove(out + strlen(pre), out, n + 1);
		memcpy(out, pre, strlen(pre));
	}
	return 0;
}

/*
 * Python pattern + '$' (oslo matches the whole argument) translated into a
 * malloc'd PCRE2 pattern; NULL with a message.  The buffer is sized from
 * the pattern, not the maximum: upswrap translates every regular
 * expression of every filter at each call, and 48 KB buffers cost it a page
 * fault apiece.
 */
static char *
translated(const char *pattern, bool *ascii, char *err, size_t errlen)
{
	size_t plen = strlen(pattern), outlen;
	char *src, *out;

	if (plen > WRE_MAX_PATTERN) {
		snprintf(err, errlen, "pattern longer than %d bytes", WRE_MAX_PATTERN);
		return NULL;
	}
	outlen = (plen + 1) * WRE_OUT_PER_BYTE + WRE_OUT_EXTRA;
	src = malloc(plen + 2);
	out = malloc(outlen);
	if (!src || !out) {
		free(src);
		free(out);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(src, pattern, plen);
	memcpy(src + plen, "$", 2);
	if (wre_translate(src, out, outlen, ascii, err, errlen) < 0) {
		free(out);
		out = NULL;
	}
	free(src);
	return out;
}

/*
 * Most filter arguments are plain words ("-h", "now", "poweroff").  Python
 * gives re.match(word + '$', s) the same answer as comparing: s is the word,
 * or the word and one final newline ('$' also matches before it).  Printable
 * ASCII without a regular-expression metacharacter is such a word; it needs
 * neither the translation nor PCRE2, which is most of a call's cost.
 */
static bool
is_literal(const char *pattern)
{
	for (const char *p = pattern; *p; p++)
		if (*p < 0x20 || *p > 0x7e || strchr(".^$*+?{}[]\\|()", *p))
			return false;
	return strlen(pattern) <= WRE_MAX_PATTERN;
}

static bool
literal_match(const char *lit, const char *s)
{
	size_t n = strlen(lit);

	return strncmp(lit, s, n) == 0 && (s[n] == '\0' || (s[n] == '\n' && s[n + 1] == '\0'));
}

int
wre_check(const char *pattern, char *err, size_t errlen)
{
	bool ascii;
	char *pcre;

	if (is_literal(pattern))
		return 0;
	pcre = translated(pattern, &ascii, err, errlen);
	free(pcre);
	return pcre ? 0 : -EINVAL;
}

struct wre *
wre_compile(const char *pattern, char *err, size_t errlen)
{
	bool ascii = false;
	int ec;
	PCRE2_SIZE eo;
	struct wre *re = calloc(1, sizeof(*re));
	char *pcre = NULL;
	pcre2_compile_context *cctx;

	if (!re) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (is_literal(pattern)) {
		if (!(re->literal = strdup(pattern))) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		return re;
	}
	if (!(pcre = translated(pattern, &ascii, err, errlen)))
		goto fail;
	cctx = pcre2_compile_context_create(NULL);
	if (!cctx) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
	re->code = pcre2_compile((PCRE2_SPTR)pcre, PCRE2_ZERO_TERMINATED,
				 PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C |
				     (ascii ? 0 : PCRE2_UCP),
				 &ec, &eo, cctx);
	pcre2_compile_context_free(cctx);
	if (!re->code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		snprintf(err, errlen, "%s", (char *)msg);
		goto fail;
	}
	re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
	re->mctx = pcre2_match_context_create(NULL);
	if (!re->md || !re->mctx) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	pcre2_set_match_limit(re->mctx, WRE_MATCH_LIMIT);
	free(pcre);
	return re;
fail:
	free(pcre);
	wre_free(re);
	return NULL;
}

bool
wre_match(const struct wre *re, const char *s)
{
	if (re->literal)
		return literal_match(re->literal, s);
	int rc = pcre2_match(re->code, (PCRE2_SPTR)s, strlen(s), 0, PCRE2_ANCHORED, re->md,
			     re->mctx);
	/* A match-limit overrun or any error denies. */
	return rc >= 0;
}

void
wre_free(struct wre *re)
{
	if (!re)
		return;
	free(re->literal);
	pcre2_match_data_free(re->md);
	pcre2_match_context_free(re->mctx);
	pcre2_code_free(re->code);
	free(re);
}

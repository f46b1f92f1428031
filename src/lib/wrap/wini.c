/*
 * wini: the INI dialect of Python's configparser.RawConfigParser with its
 * defaults, which is how oslo.rootwrap reads rootwrap.conf (strict) and
 * filter files (strict=False): '=' or ':' delimiters (the first one wins),
 * whole-line '#'/';' comments only, values continued on lines indented
 * deeper than their key (blank lines kept inside values), keys
 * lower-cased, [DEFAULT] kept apart, universal newlines, Python's notion
 * of white space.
 */
#include "wrap-int.h"

#include "str.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINI_MAX_LINES 100000

struct wbuf {
	char *s;
	size_t len, cap;
};

/* Byte length of the UTF-8 sequence at p if it is valid, else 0. */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end, unsigned *cp)
{
	unsigned c = p[0];
	size_t n;
	unsigned v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10ffff)) ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* Python's str.isspace() for one code point. */
static bool
py_isspace(unsigned cp)
{
	static const unsigned wide[] = {0x85,   0xa0,   0x1680, 0x2028, 0x2029,
					0x202f, 0x205f, 0x3000};

	if ((cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20))
		return true;
	if (cp < 0x80)
		return false;
	if (cp >= 0x2000 && cp <= 0x200a)
		return true;
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (cp == wide[i])
			return true;
	return false;
}

/* Length of the Python white-space character at p (0 if none). */
static size_t
space_at(const char *p, const char *end)
{
	unsigned cp;
	size_t n;

	if (p >= end)
		return 0;
	n = utf8_len((const unsigned char *)p, (const unsigned char *)end, &cp);
	return n && py_isspace(cp) ? n : 0;
}

/* str.strip(): narrow [*b, *e). */
void
wini_strip(const char **b, const char **e)
{
	size_t n;

	while ((n = space_at(*b, *e)) > 0)
		*b += n;
	while (*e > *b) {
		const char *p = *e - 1;
		while (p > *b && ((unsigned char)*p & 0xc0) == 0x80)
			p--;
		if (space_at(p, *e) != (size_t)(*e - p))
			break;
		*e = p;
	}
}

static int
fail(char *err, size_t errlen, int *errline, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "line %d: ", line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	if (errline)
		*errline = line;
	return -EINVAL;
}

static char *
dup_range(const char *b, const char *e)
{
	char *s = malloc((size_t)(e - b) + 1);

	if (s) {
		memcpy(s, b, (size_t)(e - b));
		s[e - b] = '\0';
	}
	return s;
}

static struct wini_sect *
find_sect(struct wini *ini, const char *name)
{
	for (size_t i = 0; i < ini->n; i++)
		if (strcmp(ini->sects[i].name, name) == 0)
			return &ini->sects[i];
	return NULL;
}

static struct wini_sect *
add_sect(struct wini *ini, char *name)
{
	if (ini->n == ini->cap) {
		size_t cap = ini->cap ? ini->cap * 2 : 8;
		struct wini_sect *s = realloc(ini->sects, cap * sizeof(*s));
		if (!s)
			return NULL;
		ini->sects = s;
		ini->cap = cap;
	}
	memset(&ini->sects[ini->n], 0, sizeof(ini->sects[0]));
	ini->sects[ini->n].name = name;
	return &ini->sects[ini->n++];
}

static unsigned
key_hash(const char *key)
{
	unsigned h = 2166136261u; /* FNV-1a */

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h;
}

static struct wini_opt *
find_opt(struct wini_sect *s, const char *key, unsigned hash)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->opts[i].hash == hash && strcmp(s->opts[i].key, key) == 0)
			return &s->opts[i];
	return NULL;
}

/* Set key (taking ownership) to a fresh value; a repeated key keeps its
 * place, as a Python dict does. */
static struct wini_opt *
set_opt(struct wini_sect *s, char *key, char *val, int line)
{
	unsigned hash = key_hash(key);
	struct wini_opt *o = find_opt(s, key, hash);

	if (o) {
		free(key);
		free(o->val);
		o->val = val;
		o->line = line;
		return o;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct wini_opt *n = realloc(s->opts, cap * sizeof(*n));
		if (!n)
			return NULL;
		s->opts = n;
		s->cap = cap;
	}
	o = &s->opts[s->n++];
	o->key = key;
	o->val = val;
	o->line = line;
	o->hash = hash;
	return o;
}

/* Append "\n" + piece to o->val (a continuation line or a kept blank). */
static int
append_val(struct wini_opt *o, const char *b, const char *e)
{
	size_t old = strlen(o->val), add = (size_t)(e - b);
	char *v;

	if (old + add + 2 > WRAP_MAX_FILE_SIZE)
		return -E2BIG;
	v = realloc(o->val, old + add + 2);
	if (!v)
		return -ENOMEM;
	v[old] = '\n';
	memcpy(v + old + 1, b, add);
	v[old + 1 + add] = '\0';
	o->val = v;
	return 0;
}

/* _join_multiline_values(): right-strip every value. */
static void
rstrip_values(struct wini_sect *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const char *b = s->opts[i].val, *e = b + strlen(b), *b0 = b;
		while (e > b) {
			const char *p = e - 1;
			while (p > b && ((unsigned char)*p & 0xc0) == 0x80)
				p--;
			if (space_at(p, e) != (size_t)(e - p))
				break;
			e = p;
		}
		s->opts[i].val[e - b0] = '\0';
	}
}

/* Lower-case the ASCII letters of a key (optionxform = str.lower). */
static void
lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* Indentation of a raw line: code points before the first non-space. */
static long
indent_of(const char *b, const char *e)
{
	long n = 0;
	size_t k;

	while ((k = space_at(b, e)) > 0) {
		b += k;
		n++;
	}
	return b < e ? n : 0;
}

struct wini_state {
	struct wini *ini;
	bool strict;
	struct wini_sect *cur; /* NULL before the first header */
	char *sectname;        /* of cur, for duplicate checks */
	struct wini_opt *opt;  /* option being continued, NULL after a header */
	size_t optidx;         /* index of opt in cur (realloc-safe) */
	long indent;
	int bad_line;          /* first line with a ParsingError, 0 if none */
	char *added;           /* "\x01sect\x02key" records for strict mode */
	size_t added_len;
};

static struct wini_opt *
cur_opt(struct wini_state *st)
{
	return st->opt ? &st->cur->opts[st->optidx] : NULL;
}

/* Record (sect, key) or a section name; true if it was already there. */
static bool
seen(struct wini_state *st, const char *sect, const char *key)
{
	size_t need = strlen(sect) + (key ? strlen(key) : 0) + 3;
	char *rec = malloc(need), *p;
	bool found = false;

	if (!rec)
		return false;
	str_join(rec, need, (const char *const[]){"\x01", sect, "\x02", key ? key : ""}, 4);
	for (p = st->added; p && p < st->added + st->added_len; p += strlen(p) + 1)
		if (strcmp(p, rec) == 0) {
			found = true;
			break;
		}
	if (!found) {
		char *n = realloc(st->added, st->added_len + need);
		if (n) {
			memcpy(n + st->added_len, rec, need);
			st->added = n;
			st->added_len += need;
		}
	}
	free(rec);
	return found;
}

static int
header_line(struct wini_state *st, const char *b, const char *e, int line, char *err,
	    size_t errlen, int *errline)
{
	const char *close = e - 1;
	char *name;

	while (*close != ']')
		close--;
	name = dup_range(b + 1, close);
	if (!name)
		return -ENOMEM;
	if (strcmp(name, "DEFAULT") == 0 && !find_sect(st->ini, name)) {
		free(name);
		st->cur = &st->ini->defaults;
		st->sectname = "DEFAULT";
	} else {
		struct wini_sect *s = find_sect(st->ini, name);
		if (s && st->strict && seen(st, name, NULL)) {
			free(name);
			return fail(err, errlen, errline, line, "section [%s] repeated",
				    s->name);
		}
		if (s) {
			free(name);
		} else {
			s = add_sect(st->ini, name);
			if (!s) {
				free(name);
				return -ENOMEM;
			}
		}
		(void)seen(st, s->name, NULL);
		st->cur = s;
		st->sectname = s->name;
	}
	st->opt = NULL;
	return 0;
}

static int
option_line(struct wini_state *st, const char *b, const char *e, int line, char *err,
	    size_t errlen, int *errline)
{
	const char *d = b, *kb = b, *ke, *vb, *ve = e;
	char *key, *val;
	struct wini_opt *o;

	while (d < e && *d != '=' && *d != ':')
		d++;
	if (d == e || d == b) {
		if (!st->bad_line)
			st->bad_line = line;
		st->opt = NULL;
		return 0;
	}
	ke = d;
	wini_strip(&kb, &ke);
	vb = d + 1;
	wini_strip(&vb, &ve);
	key = dup_range(kb, ke);
	val = dup_range(vb, ve);
	if (!key || !val) {
		free(key);
		free(val);
		return -ENOMEM;
	}
	lower(key);
	if (st->strict && seen(st, st->sectname, key)) {
		int r = fail(err, errlen, errline, line, "option '%s' repeated in [%s]", key,
			     st->sectname);
		free(key);
		free(val);
		return r;
	}
	o = set_opt(st->cur, key, val, line);
	if (!o) {
		free(key);
		free(val);
		return -ENOMEM;
	}
	st->opt = o;
	st->optidx = (size_t)(o - st->cur->opts);
	return 0;
}

static int
one_line(struct wini_state *st, const char *lb, const char *le, int line, char *err,
	 size_t errlen, int *errline)
{
	const char *b = lb, *e = le;
	long ind;

	wini_strip(&b, &e);
	if (b < e && (*b == '#' || *b == ';'))
		return 0; /* whole-line comment: not even a blank inside a value */
	if (b == e) {
		struct wini_opt *o = cur_opt(st);
		return o ? append_val(o, b, b) : 0;
	}
	ind = indent_of(lb, le);
	if (st->cur && cur_opt(st) && ind > st->indent)
		return append_val(cur_opt(st), b, e);
	st->indent = ind;
	if (*b == '[' && e - b >= 3) {
		const char *c = e - 1;
		while (c > b + 1 && *c != ']')
			c--;
		if (*c == ']' && c > b + 1)
			return header_line(st, b, c + 1, line, err, errlen, errline);
	}
	if (!st->cur)
		return fail(err, errlen, errline, line, "no section header before this line");
	return option_line(st, b, e, line, err, errlen, errline);
}

static int
check_utf8(const char *buf, size_t len, int *line)
{
	const unsigned char *p = (const unsigned char *)buf, *end = p + len;
	unsigned char high = 0;
	unsigned cp;

	/* The usual file is ASCII without NUL: one pass with no decoding. */
	for (size_t i = 0; i < len; i++)
		high |= p[i] & 0x80;
	if (!high && !memchr(buf, '\0', len))
		return 0;
	*line = 1;
	while (p < end) {
		size_t n = utf8_len(p, end, &cp);
		if (!n || cp == 0)
			return -EILSEQ;
		if (cp == '\n')
			(*line)++;
		p += n;
	}
	return 0;
}

int
wini_parse(const char *buf, size_t len, bool strict, struct wini *ini, char *err, size_t errlen,
	   int *errline)
{
	struct wini_state st = {.ini = ini, .strict = strict};
	const char *p = buf, *end = buf + len;
	int line = 0, r = 0, bad;

	memset(ini, 0, sizeof(*ini));
	ini->defaults.name = strdup("DEFAULT");
	if (!ini->defaults.name)
		return -ENOMEM;
	if (len > WRAP_MAX_FILE_SIZE)
		return fail(err, errlen, errline, 1, "file larger than %d bytes",
			    WRAP_MAX_FILE_SIZE);
	if (check_utf8(buf, len, &bad) < 0)
		return fail(err, errlen, errline, bad, "not valid UTF-8 text");
	while (p < end && r == 0) {
		const char *le = p;
		while (le < end && *le != '\n' && *le != '\r')
			le++;
		if (++line > WINI_MAX_LINES)
			return fail(err, errlen, errline, line, "more than %d lines",
				    WINI_MAX_LINES);
		r = one_line(&st, p, le, line, err, errlen, errline);
		if (le < end && *le == '\r' && le + 1 < end && le[1] == '\n')
			le++;
		p = le < end ? le + 1 : le;
	}
	free(st.added);
	if (r == -EINVAL)
		return r;
	if (r < 0)
		return fail(err, errlen, errline, line, "%s", strerror(-r));
	if (st.bad_line)
		return fail(err, errlen, errline, st.bad_line,
			    "not a section header, 'key = value' or 'key: value'");
	rstrip_values(&ini->defaults);
	for (size_t i = 0; i < ini->n; i++)
		rstrip_values(&ini->sects[i]);
	return 0;
}

static void
free_sect(struct wini_sect *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->opts[i].key);
		free(s->opts[i].val);
	}
	free(s->opts);
	free(s->name);
}

void
wini_free(struct wini *ini)
{
	free_sect(&ini->defaults);
	for (size_t i = 0; i < ini->n; i++)
		free_sect(&ini->sects[i]);
	free(ini->sects);
	memset(ini, 0, sizeof(*ini));
}

const struct wini_sect *
wini_section(const struct wini *ini, const char *name)
{
	if (strcmp(name, "DEFAULT") == 0)
		return &ini->defaults;
	for (size_t i = 0; i < ini->n; i++)
		if (strcmp(ini->sects[i].name, name) == 0)
			return &ini->sects[i];
	return NULL;
}

const struct wini_opt *
wini_get(const struct wini_sect *s, const char *key)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (strcmp(s->opts[i].key, key) == 0)
			return &s->opts[i];
	return NULL;
}

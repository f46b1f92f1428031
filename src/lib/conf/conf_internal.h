/*
 * conf_internal: helpers the parsers of src/lib/conf share; not for use
 * outside this directory.
 */
#ifndef UPSGUARD_CONF_INTERNAL_H
#define UPSGUARD_CONF_INTERNAL_H

#include "conf/conf.h"
#include "tokenizer.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* One load in progress: where messages go and which file they name. */
struct conf_ctx {
	const char *path;
	struct conf_diag *diag;
	size_t errors_before; /* diag->nerrors when the load started */
};

void conf_err(struct conf_ctx *c, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void conf_warn(struct conf_ctx *c, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* True when this load has reported an error so far. */
bool conf_failed(const struct conf_ctx *c);

/* Called for every non-empty logical line. */
typedef void (*conf_line_fn)(void *state, struct conf_ctx *c, const struct tok_line *line);

/* Tokenize buf and call fn per line; tokenizer errors and warnings go to
 * the diag. */
void conf_each_line(struct conf_ctx *c, const char *buf, size_t len, conf_line_fn fn, void *state);

/* Read a whole regular file (at most CONF_MAX_FILE_SIZE).  Errors are
 * reported as "path: message" and returned as -errno. */
int conf_read_file(struct conf_ctx *c, char **buf, size_t *len);

/*
 * Define X_load() for a parser whose X_parse() exists: read the file, parse
 * it, and wipe the buffer (config files may hold passwords).  Every parser
 * loads the same way, so the code is written once here.
 */
#define CONF_DEFINE_LOAD(prefix)                                                                   \
	int prefix##_load(const char *path, struct prefix **ret, struct conf_diag *diag)           \
	{                                                                                          \
		struct conf_ctx c = {path, diag, diag->nerrors};                                   \
		char *buf;                                                                         \
		size_t len;                                                                        \
		int r;                                                                             \
                                                                                                   \
		*ret = NULL;                                                                       \
		r = conf_read_file(&c, &buf, &len);                                                \
		if (r < 0)                                                                         \
			return r;                                                                  \
		r = prefix##_parse(path, buf, len, ret, diag);                                     \
		explicit_bzero(buf, len);                                                          \
		free(buf);                                                                         \
		return r;                                                                          \
	}

/* strdup that reports "out of memory" on failure (returns NULL). */
char *conf_strdup(struct conf_ctx *c, unsigned line, const char *s);
/* Replace *dst by a copy of s. */
void conf_set_str(struct conf_ctx *c, unsigned line, char **dst, const char *s);

/* Integer in [min, max] or report "<what>: ..." and return -EINVAL. */
int conf_get_long(struct conf_ctx *c, unsigned line, const char *what, const char *s, long min,
                  long max, long *ret);
/* yes/no/on/off/true/false/1/0 or report an error. */
int conf_get_bool(struct conf_ctx *c, unsigned line, const char *what, const char *s, bool *ret);

/* Grow an array of elem-size items by one zeroed item; NULL on failure. */
void *conf_push(struct conf_ctx *c, unsigned line, void **arr, size_t *n, size_t elem);

/*
 * The sandbox opt-ins of upsmon.conf and upssched.conf (struct
 * script_optins): check `arg` (host:port, or an absolute path) and append
 * it, at most `max` entries; errors name `directive`.  The printer writes
 * both lists under the two directive names.
 */
struct script_optins;
void conf_optin_connect(struct conf_ctx *c, unsigned line, const char *directive,
                        const char *arg, struct script_optins *o, size_t max);
void conf_optin_write(struct conf_ctx *c, unsigned line, const char *directive, const char *arg,
                      struct script_optins *o, size_t max);
void conf_optins_print(FILE *f, const struct script_optins *o, const char *connect_kw,
                       const char *write_kw);

/* Copy argv words into a NULL-terminated allocated array. */
char **conf_argv_dup(struct conf_ctx *c, unsigned line, char *const *words, size_t n);
void conf_argv_free(char **argv);

/* Print "  KEYWORD word word\n" helpers. */
void conf_print_kw_str(FILE *f, const char *kw, const char *val);
void conf_print_kv_str(FILE *f, const char *indent, const char *key, const char *val);

/*
 * "[name]" section header: returns 1 with the name copied into buf, 0 when
 * the line is not a header, -1 when it is a malformed one (reported).
 */
int conf_section_header(struct conf_ctx *c, const struct tok_line *l, char *buf, size_t size);

/* True when a key is made of [A-Za-z0-9_.-] only. */
bool conf_key_valid(const char *key);

/* A keyword directive ("LISTEN addr [port]") and its handler. */
typedef void (*conf_directive_fn)(void *state, struct conf_ctx *c, unsigned line, char *const *args,
                                  size_t nargs);
struct conf_directive {
	const char *name;
	unsigned min_args, max_args;
	conf_directive_fn fn;
};

/*
 * Run the directive named by the line's first word (case-sensitive; only
 * DEBUG_MIN matches in any case).  Unknown names and wrong argument counts
 * are reported.
 */
void conf_dispatch(struct conf_ctx *c, const struct conf_directive *tab, size_t n, void *state,
                   const struct tok_line *l);

#endif

/*
 * wrap-int: internals of the wrap engine shared by its source files and
 * its unit tests.  Not part of the contract for other modules.
 */
#ifndef UPSGUARD_WRAP_INT_H
#define UPSGUARD_WRAP_INT_H

#include "wrap.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Read fd to its end (at most WRAP_MAX_FILE_SIZE bytes) into *buf,
 * NUL-terminated, *len bytes (free *buf).  expect is the size fstat()
 * gave, SIZE_MAX when not known: once that much is in, a short read is the
 * end, with no extra read() to see 0.  0, or a negative errno with a
 * message naming name in err. */
int wread_all(int fd, const char *name, size_t expect, char **buf, size_t *len, char *err,
	      size_t errlen);

/* ---- wini: Python configparser.RawConfigParser, as oslo reads files ---- */

struct wini_opt {
	char *key;     /* lower-cased */
	char *val;     /* continuation lines joined with '\n', right-stripped */
	int line;      /* line of the key */
	unsigned hash; /* of key: repeated keys are looked up among all keys */
};

struct wini_sect {
	char *name;
	struct wini_opt *opts;
	size_t n, cap;
};

struct wini {
	struct wini_sect defaults; /* [DEFAULT] */
	struct wini_sect *sects;
	size_t n, cap;
};

/* Parse buf (len bytes, UTF-8) like RawConfigParser(strict=strict).read().
 * Returns 0, or -EINVAL with "line N: message" in err and the line in
 * *errline. */
int wini_parse(const char *buf, size_t len, bool strict, struct wini *ini, char *err,
	       size_t errlen, int *errline);
void wini_free(struct wini *ini);
/* Python str.strip() on the UTF-8 range [*b, *e). */
void wini_strip(const char **b, const char **e);
const struct wini_sect *wini_section(const struct wini *ini, const char *name);
const struct wini_opt *wini_get(const struct wini_sect *s, const char *key);

/* ---- wre: Python re.match(pattern + '$', s) on top of PCRE2 ---- */

struct wre;

/* Compile a Python regular expression as oslo uses it.  Returns NULL with
 * a message in err when Python would reject it or it uses a construct the
 * translation does not support (both deny). */
struct wre *wre_compile(const char *pattern, char *err, size_t errlen);
bool wre_match(const struct wre *re, const char *s);
/* Only the translation (the checks Python's parser makes): 0 or -EINVAL. */
int wre_check(const char *pattern, char *err, size_t errlen);
void wre_free(struct wre *re);

/* Translate a Python pattern into PCRE2 syntax (exposed for unit tests).
 * Returns 0 or -EINVAL with a message; *ascii set for (?a). */
int wre_translate(const char *pattern, char *out, size_t outlen, bool *ascii, char *err,
		  size_t errlen);

/* ---- wtrust: the ownership chain ---- */

enum wtrust_kind {
	WTRUST_FILE,     /* regular file to read */
	WTRUST_DIR,      /* directory (filters_path) */
	WTRUST_EXEC,     /* executable: regular file, its directory strict */
};

/* Resolve path (absolute) component by component without following a link
 * that is not owned by uid, checking every directory, link and the final
 * object are owned by uid and not writable by group or others (a sticky
 * directory may be traversed).  On success returns 0, the resolved path in
 * real (size WRAP_MAX_PATH, or NULL when not wanted) and, for FILE/DIR, an open fd in *fd (O_RDONLY,
 * caller closes; -1 for EXEC).  On failure returns a negative errno and a
 * message naming the offending file. */
struct wtrust_dirs;
int wtrust_open(const char *path, enum wtrust_kind kind, uid_t uid, struct wtrust_dirs *dirs,
		char *real, int *fd, char *err, size_t errlen);
/* dirs, when not NULL, keeps the directories a walk checked open, for the
 * next walks to start below them: for the walks of one load only, not to
 * be kept longer (what it holds was checked when it was walked). */
struct wtrust_dirs *wtrust_dirs_new(void);
void wtrust_dirs_free(struct wtrust_dirs *d);
/* Open the regular file name in dirfd, a directory wtrust_open() checked
 * (WTRUST_DIR: trusted and writable by no one else, so its entries cannot
 * be swapped), checking the file itself; path names it in messages.
 * Returns 0, an O_RDONLY fd and the file's size, 1 when name is not (or
 * no longer) a regular file (a link is for wtrust_open() to resolve), or a
 * negative errno and a message. */
int wtrust_open_in(int dirfd, const char *name, uid_t uid, const char *path, int *fd,
		   size_t *size, char *err, size_t errlen);

/* ---- wpw: the run-as user ---- */

struct wpw {
	uid_t uid;
	gid_t gid;
	char *home; /* malloc'd: the caller frees it */
};

/* getpwnam(name) into out: 0, -ENOENT, or another negative errno.  Read
 * from /etc/passwd when nsswitch.conf makes "files" the first source and
 * the name is there, else from getpwnam (see wpw.c for why). */
int wpw_lookup(const char *name, struct wpw *out);
/* The same with other files in place of /etc/nsswitch.conf and
 * /etc/passwd (unit tests). */
int wpw_lookup_at(const char *nsswitch, const char *passwd, const char *name, struct wpw *out);

/* ---- wnss: the lookups that need NSS (a build without NSS defines them
 * itself, returning -ENOTSUP) ---- */

/* getpwnam(name) into out: 0, -ENOENT, or another negative errno. */
int wnss_user(const char *name, struct wpw *out);
/* initgroups(name, gid): 0 or a negative errno. */
int wnss_initgroups(const char *name, gid_t gid);
/* false in a build without NSS (wnss-none.c) */
bool wnss_available(void);

/* ---- wpy: Python os.path helpers with the same results ---- */

/* os.path.realpath (non-strict, Python 3.11) with '' when the working
 * directory is gone.  out has WRAP_MAX_PATH bytes; returns 0 or -ENAMETOOLONG. */
int wpy_realpath(const char *path, char *out);
/* os.path.basename */
const char *wpy_basename(const char *path);
/* os.path.join(a, b) into out (WRAP_MAX_PATH). Returns 0 or -ENAMETOOLONG. */
int wpy_join(const char *a, const char *b, char *out);
/* os.path.commonprefix([a, b]) == a */
bool wpy_prefix(const char *a, const char *b);

/* ---- wfilter: the filter classes of oslo_rootwrap/filters.py ---- */

enum wf_class {
	WF_COMMAND,
	WF_REGEXP,
	WF_PATH,
	WF_KILL,
	WF_READFILE,
	WF_IP,
	WF_ENV,
	WF_CHAINING,
	WF_IPNETNS,
	WF_CHAINREGEXP,
};

struct wfilter {
	enum wf_class cls;
	char *store;           /* one allocation holding the strings below */
	const char *name;      /* filter name (the key, lower-cased) */
	const char *where;     /* file:line */
	const char *exec_path; /* as configured (EnvFilter: the command after the env names) */
	const char *run_as;
	const char *file_path; /* ReadFileFilter */
	int nargs;
	const char **args;
	struct wre **re; /* RegExpFilter, ChainingRegExpFilter: one per arg,
			  * compiled when first needed (checked at load) */
	char *real_exec; /* get_exec() result, cached */
	bool exec_done;
};

/* The argument list oslo passes around, mutable as a Python list: EnvFilter
 * removes a leading "env" from it while matching. */
struct wargs {
	char **v;
	int n;
};

/* Build a filter from "Class, a, b, ..." (the raw value).  Returns 0, 1 if
 * the class is unknown (skipped, as oslo does, reason in err), or -EINVAL
 * with the reason in err (the whole file is then refused). */
int wfilter_build(struct wfilter *f, const char *name, const char *where, const char *value,
		  char *err, size_t errlen);
void wfilter_free(struct wfilter *f);
bool wfilter_chaining(const struct wfilter *f);
/* filter.match(userargs); may remove a leading "env" (EnvFilter). */
bool wfilter_match(const struct wfilter *f, struct wargs *a);
/* ChainingFilter.exec_args(): a fresh list (free with wargs_free). */
int wfilter_exec_args(const struct wfilter *f, const struct wargs *a, struct wargs *out);
/* get_exec(exec_dirs): the executable or NULL. */
const char *wfilter_get_exec(struct wfilter *f, char *const *dirs, size_t ndirs);
/* get_command(userargs): fresh argv (NULL-terminated) in *argv. */
int wfilter_command(struct wfilter *f, const struct wargs *a, char *const *dirs, size_t ndirs,
		    char ***argv);
/* get_environment(userargs): NAME=VALUE to add (NULL-terminated, may be
 * empty); removes a leading "env" like oslo. */
int wfilter_environment(const struct wfilter *f, struct wargs *a, char ***env);
void wargs_free(struct wargs *a);
void wstrv_free(char **v);

#endif

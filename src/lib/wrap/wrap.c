/*
 * wrap: loading rootwrap.conf and the filter files through the chain of
 * trust, oslo's match_filter() decision, and the exec.
 */
#include "wrap-int.h"

#include "str.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#define WRAP_SAFE_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define WRAP_MAX_ENV_VALUE 256 /* bytes of a kept locale/terminal variable */
#define WRAP_MAX_PROBLEMS 256

struct wrap_ctx {
	struct wrap_settings set;
	struct wrap_opts opts;
	char **exec_dirs;
	size_t nexec;
	struct wfilter *f;
	size_t nf, capf;
	char **problems;
	size_t np;
	char *dropped; /* first filter file refused as file:line: reason */
	size_t ndropped;
	char *self;               /* the running program, as checked (check_self) */
	struct wtrust_dirs *dirs; /* directories already checked: while loading, and
				   * until the decision for a one-shot process */
};

void
wrap_opts_default(struct wrap_opts *opts)
{
	opts->trusted_uid = 0;
	opts->check_self = true;
	opts->check_chain = true;
	opts->one_shot = false;
}

static int
msg(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

static void
problem(struct wrap_ctx *ctx, const char *fmt, ...)
{
	char buf[WRAP_MSG_MAX];
	char **n;
	va_list ap;

	if (ctx->np >= WRAP_MAX_PROBLEMS)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = realloc(ctx->problems, (ctx->np + 1) * sizeof(*n));
	if (!n)
		return;
	ctx->problems = n;
	if ((n[ctx->np] = strdup(buf)))
		ctx->np++;
}

/* ---- settings ---- */

static const struct {
	const char *name;
	int value;
} facilities[] = {
	{"auth", LOG_AUTH},       {"authpriv", LOG_AUTHPRIV}, {"cron", LOG_CRON},
	{"daemon", LOG_DAEMON},   {"ftp", LOG_FTP},           {"kern", LOG_KERN},
	{"lpr", LOG_LPR},         {"mail", LOG_MAIL},         {"news", LOG_NEWS},
	{"security", LOG_AUTH},   {"syslog", LOG_SYSLOG},     {"user", LOG_USER},
	{"uucp", LOG_UUCP},       {"local0", LOG_LOCAL0},     {"local1", LOG_LOCAL1},
	{"local2", LOG_LOCAL2},   {"local3", LOG_LOCAL3},     {"local4", LOG_LOCAL4},
	{"local5", LOG_LOCAL5},   {"local6", LOG_LOCAL6},     {"local7", LOG_LOCAL7},
	{"LOG_AUTH", LOG_AUTH},   {"LOG_AUTHPRIV", LOG_AUTHPRIV}, {"LOG_CRON", LOG_CRON},
	{"LOG_DAEMON", LOG_DAEMON}, {"LOG_FTP", LOG_FTP},     {"LOG_KERN", LOG_KERN},
	{"LOG_LPR", LOG_LPR},     {"LOG_MAIL", LOG_MAIL},     {"LOG_NEWS", LOG_NEWS},
	{"LOG_SYSLOG", LOG_SYSLOG}, {"LOG_USER", LOG_USER},   {"LOG_UUCP", LOG_UUCP},
	{"LOG_LOCAL0", LOG_LOCAL0}, {"LOG_LOCAL1", LOG_LOCAL1}, {"LOG_LOCAL2", LOG_LOCAL2},
	{"LOG_LOCAL3", LOG_LOCAL3}, {"LOG_LOCAL4", LOG_LOCAL4}, {"LOG_LOCAL5", LOG_LOCAL5},
	{"LOG_LOCAL6", LOG_LOCAL6}, {"LOG_LOCAL7", LOG_LOCAL7},
};

static const struct {
	const char *name;
	int value;
} levels[] = {
	{"CRITICAL", LOG_CRIT}, {"FATAL", LOG_CRIT}, {"ERROR", LOG_ERR}, {"WARN", LOG_WARNING},
	{"WARNING", LOG_WARNING}, {"INFO", LOG_INFO}, {"DEBUG", LOG_DEBUG}, {"NOTSET", LOG_DEBUG},
};

static const struct {
	const char *name;
	bool value;
} booleans[] = {
	{"1", true}, {"yes", true}, {"true", true}, {"on", true},
	{"0", false}, {"no", false}, {"false", false}, {"off", false},
};

/* Python's int() for a config value: sign, digits, single underscores. */
static int
py_int(const char *s, long *out)
{
	long v = 0;
	bool neg = false, digit = false;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	for (; *s; s++) {
		if (*s == '_' && digit && s[1] >= '0' && s[1] <= '9')
			continue;
		if (*s < '0' || *s > '9' || v > 100000000)
			return -EINVAL;
		v = v * 10 + (*s - '0');
		digit = true;
	}
	if (!digit)
		return -EINVAL;
	*out = neg ? -v : v;
	return 0;
}

static int
set_bool(const char *v, bool *out)
{
	for (size_t i = 0; i < sizeof(booleans) / sizeof(booleans[0]); i++)
		if (strcasecmp(v, booleans[i].name) == 0) {
			*out = booleans[i].value;
			return 0;
		}
	return -EINVAL;
}

static int
split_list(const char *v, char sep, char ***out, size_t *n)
{
	size_t k = 1, i = 0;
	char **a;
	const char *p = v;

	for (const char *q = v; *q; q++)
		k += *q == sep;
	a = calloc(k + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (;;) {
		const char *c = strchr(p, sep);
		size_t l = c ? (size_t)(c - p) : strlen(p);
		if (!(a[i++] = strndup(p, l))) {
			wstrv_free(a);
			return -ENOMEM;
		}
		if (!c)
			break;
		p = c + 1;
	}
	*out = a;
	*n = i;
	return 0;
}

/* Keep the absolute entries; note the others (oslo would resolve them
 * against the caller's working directory). */
static int
keep_absolute(struct wrap_ctx *ctx, char **v, size_t *n, const char *what)
{
	size_t k = 0;

	for (size_t i = 0; i < *n; i++) {
		if (v[i][0] == '/') {
			v[k++] = v[i];
			continue;
		}
		problem(ctx, "%s entry '%s' is not an absolute path: ignored", what, v[i]);
		free(v[i]);
	}
	v[k] = NULL;
	*n = k;
	return 0;
}

static int
parse_settings(struct wrap_ctx *ctx, const struct wini *ini, const char *conf, char ***fpath,
	       size_t *nfpath, char *err, size_t errlen)
{
	const struct wini_sect *d = &ini->defaults;
	const struct wini_opt *o;
	long v;

	ctx->set.use_syslog = false;
	ctx->set.syslog_facility = LOG_SYSLOG;
	ctx->set.syslog_level = LOG_ERR;
	ctx->set.rlimit_nofile = 1024;
	if (!(o = wini_get(d, "filters_path")))
		return msg(err, errlen, -EINVAL,
			   "Incorrect configuration file: %s (no filters_path in [DEFAULT])", conf);
	if (split_list(o->val, ',', fpath, nfpath) < 0)
		return -ENOMEM;
	keep_absolute(ctx, *fpath, nfpath, "filters_path");
	if ((o = wini_get(d, "exec_dirs"))) {
		if (split_list(o->val, ',', &ctx->exec_dirs, &ctx->nexec) < 0)
			return -ENOMEM;
	} else if (getenv("PATH")) {
		if (split_list(getenv("PATH"), ':', &ctx->exec_dirs, &ctx->nexec) < 0)
			return -ENOMEM;
	}
	if (ctx->exec_dirs)
		keep_absolute(ctx, ctx->exec_dirs, &ctx->nexec, "exec_dirs");
	if ((o = wini_get(d, "syslog_log_facility"))) {
		size_t i;
		for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
			if (strcmp(o->val, facilities[i].name) == 0)
				break;
		if (i == sizeof(facilities) / sizeof(facilities[0]))
			return msg(err, errlen, -EINVAL,
				   "Incorrect value in %s: Unexpected syslog_log_facility: %s", conf,
				   o->val);
		ctx->set.syslog_facility = facilities[i].value;
	}
	if ((o = wini_get(d, "syslog_log_level"))) {
		size_t i;
		for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
			if (strcasecmp(o->val, levels[i].name) == 0)
				break;
		if (i == sizeof(levels) / sizeof(levels[0]))
			return msg(err, errlen, -EINVAL,
				   "Incorrect value in %s: Unexpected syslog_log_level: '%s'", conf,
				   o->val);
		ctx->set.syslog_level = levels[i].value;
	}
	if ((o = wini_get(d, "use_syslog")) && set_bool(o->val, &ctx->set.use_syslog) < 0)
		return msg(err, errlen, -EINVAL, "Incorrect value in %s: Not a boolean: %s", conf,
			   o->val);
	if ((o = wini_get(d, "daemon_timeout")) && py_int(o->val, &v) < 0)
		return msg(err, errlen, -EINVAL,
			   "Incorrect value in %s: invalid literal for int() with base 10: '%s'",
			   conf, o->val);
	if ((o = wini_get(d, "rlimit_nofile"))) {
		if (py_int(o->val, &v) < 0 || v < 1)
			return msg(err, errlen, -EINVAL,
				   "Incorrect value in %s: rlimit_nofile must be a positive "
				   "integer: '%s'",
				   conf, o->val);
		ctx->set.rlimit_nofile = v;
	}
	return 0;
}

/* ---- filter files ---- */

int
wread_all(int fd, const char *name, size_t expect, char **buf, size_t *len, char *err,
	  size_t errlen)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);

	if (!b)
		return -ENOMEM;
	for (;;) {
		ssize_t r;
		if (n == cap) {
			char *nb;
			if (cap >= WRAP_MAX_FILE_SIZE + 1) {
				free(b);
				return msg(err, errlen, -EFBIG, "%s: larger than %d bytes", name,
					   WRAP_MAX_FILE_SIZE);
			}
			cap *= 2;
			if (!(nb = realloc(b, cap + 1))) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(b);
			return msg(err, errlen, -e, "%s: %s", name, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n < cap && n >= expect)
			break;
	}
	if (n > WRAP_MAX_FILE_SIZE) {
		free(b);
		return msg(err, errlen, -EFBIG, "%s: larger than %d bytes", name,
			   WRAP_MAX_FILE_SIZE);
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

static int
add_filter(struct wrap_ctx *ctx, const struct wfilter *f)
{
	if (ctx->nf == ctx->capf) {
		size_t cap = ctx->capf ? ctx->capf * 2 : 32;
		struct wfilter *n;
		if (cap > WRAP_MAX_FILTERS)
			cap = WRAP_MAX_FILTERS;
		if (ctx->nf >= cap)
			return -E2BIG;
		if (!(n = realloc(ctx->f, cap * sizeof(*n))))
			return -ENOMEM;
		ctx->f = n;
		ctx->capf = cap;
	}
	ctx->f[ctx->nf++] = *f;
	return 0;
}

static void
drop_file(struct wrap_ctx *ctx, size_t first, const char *fmt, ...)
{
	char buf[WRAP_MSG_MAX];
	va_list ap;

	while (ctx->nf > first)
		wfilter_free(&ctx->f[--ctx->nf]);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	problem(ctx, "%s; this file allows nothing", buf);
	ctx->ndropped++;
	if (!ctx->dropped)
		ctx->dropped = strdup(buf);
}

static int
one_item(struct wrap_ctx *ctx, const char *name, const struct wini_opt *o, size_t first)
{
	char where[WRAP_MAX_PATH + 16], err[WRAP_MSG_MAX], num[21];
	struct wfilter f;
	int r;

	/* joined, not printed: this runs for every filter line of every call */
	str_join(where, sizeof(where),
		 (const char *const[]){name, ":", str_ulong(num, (unsigned long)o->line)}, 3);
	r = wfilter_build(&f, o->key, where, o->val, err, sizeof(err));
	if (r == 1) {
		problem(ctx, "%s: %s: skipped", where, err);
		return 0;
	}
	if (r < 0) {
		drop_file(ctx, first, "%s: %s", where, err);
		return -EINVAL;
	}
	if ((r = add_filter(ctx, &f)) < 0) {
		wfilter_free(&f);
		drop_file(ctx, first, "%s: more than %d filters", where, WRAP_MAX_FILTERS);
		return r;
	}
	return 0;
}

/* Filters of one file: [DEFAULT] items first, then [Filters] (the order of
 * RawConfigParser.items("Filters")). */
static void
load_filter_text(struct wrap_ctx *ctx, const char *name, const char *buf, size_t len)
{
	struct wini ini;
	const struct wini_sect *s;
	char err[WRAP_MSG_MAX];
	int line = 0;
	size_t first = ctx->nf;

	if (wini_parse(buf, len, false, &ini, err, sizeof(err), &line) < 0) {
		drop_file(ctx, first, "%s:%d: %s", name, line, strchr(err, ':') ? strchr(err, ':') + 2 : err);
		wini_free(&ini);
		return;
	}
	if (!(s = wini_section(&ini, "Filters")) || s == &ini.defaults) {
		drop_file(ctx, first, "%s:1: no [Filters] section", name);
		wini_free(&ini);
		return;
	}
	for (size_t i = 0; i < ini.defaults.n; i++) {
		const struct wini_opt *o = wini_get(s, ini.defaults.opts[i].key);
		if (one_item(ctx, name, o ? o : &ini.defaults.opts[i], first) < 0)
			goto out;
	}
	for (size_t i = 0; i < s->n; i++) {
		if (wini_get(&ini.defaults, s->opts[i].key))
			continue;
		if (one_item(ctx, name, &s->opts[i], first) < 0)
			goto out;
	}
out:
	wini_free(&ini);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory fd, dot files left out, sorted.  getdents64
 * straight into a stack buffer: opendir() would allocate 32 KiB and make
 * three more system calls, on every call of upswrap. */
static int
list_dir(int fd, char ***names, size_t *n, const char *dirname, char *err, size_t errlen)
{
	_Alignas(struct dirent64) char buf[4096];
	char **v = NULL;
	size_t k = 0;
	ssize_t got;

	while ((got = getdents64(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < got;) {
			struct dirent64 *e = (struct dirent64 *)(void *)(buf + off);
			char **nv;
			off += e->d_reclen;
			if (e->d_name[0] == '.')
				continue;
			if (k >= WRAP_MAX_FILES) {
				wstrv_free(v);
				return msg(err, errlen, -E2BIG, "%s: more than %d files", dirname,
					   WRAP_MAX_FILES);
			}
			if (!(nv = realloc(v, (k + 2) * sizeof(*nv))) ||
			    !(nv[k] = strdup(e->d_name))) {
				wstrv_free(nv ? nv : v);
				return -ENOMEM;
			}
			v = nv;
			v[++k] = NULL;
		}
	}
	if (got < 0) {
		int e = errno;
		wstrv_free(v);
		return msg(err, errlen, -e, "%s: %s", dirname, strerror(e));
	}
	if (k)
		qsort(v, k, sizeof(*v), cmp_names);
	*names = v;
	*n = k;
	return 0;
}

/* Count, read and parse one open filter file (fd is closed). */
static int
load_fd(struct wrap_ctx *ctx, int fd, const char *path, size_t expect, size_t *nfiles,
	char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int r;

	if (++*nfiles > WRAP_MAX_FILES) {
		close(fd);
		return msg(err, errlen, -E2BIG, "more than %d filter files", WRAP_MAX_FILES);
	}
	r = wread_all(fd, path, expect, &buf, &len, err, errlen);
	close(fd);
	if (r < 0)
		return r;
	load_filter_text(ctx, path, buf, len);
	free(buf);
	return 0;
}

static int
load_file(struct wrap_ctx *ctx, const char *path, size_t *nfiles, char *err, size_t errlen)
{
	int fd, r;
	struct stat st;

	if (ctx->opts.check_chain) {
		r = wtrust_open(path, WTRUST_FILE, ctx->opts.trusted_uid, ctx->dirs, NULL, &fd, err,
				errlen);
		if (r < 0)
			return r;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			if (fd >= 0)
				close(fd);
			return msg(err, errlen, -EINVAL, "%s: not a readable file", path);
		}
	}
	return load_fd(ctx, fd, path, SIZE_MAX, nfiles, err, errlen);
}

/* A directory entry that is not a regular file: a link to one is resolved
 * through the whole chain; anything else is skipped, as oslo does, but a
 * link we do not follow must still not be someone else's. */
static int
load_other(struct wrap_ctx *ctx, const char *path, size_t *nfiles, char *err, size_t errlen)
{
	struct stat st, lst;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return load_file(ctx, path, nfiles, err, errlen);
	if (ctx->opts.check_chain && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) &&
	    lst.st_uid != ctx->opts.trusted_uid)
		return msg(err, errlen, -EPERM,
			   "%s: symbolic link owned by uid %u, must be owned by uid %u", path,
			   (unsigned)lst.st_uid, (unsigned)ctx->opts.trusted_uid);
	return 0;
}

/* One filters_path directory: files in name order, skipping dot files and
 * what is not (a link to) a regular file, as oslo does.  A regular file is
 * opened relative to the checked directory, without walking from "/"
 * again. */
static int
load_dir(struct wrap_ctx *ctx, const char *dir, size_t *nfiles, char *err, size_t errlen)
{
	char real[WRAP_MAX_PATH], path[WRAP_MAX_PATH];
	char **names = NULL;
	size_t n = 0;
	size_t size = 0;
	int fd, ffd, r;

	if (ctx->opts.check_chain) {
		r = wtrust_open(dir, WTRUST_DIR, ctx->opts.trusted_uid, ctx->dirs, real, &fd, err,
				errlen);
		if (r == -ENOENT || r == -ENOTDIR || r == -EISDIR)
			return 0; /* not a directory: oslo skips it */
		if (r < 0)
			return r;
	} else {
		snprintf(real, sizeof(real), "%s", dir);
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return 0;
	}
	r = list_dir(fd, &names, &n, real, err, errlen);
	for (size_t i = 0; i < n && r == 0; i++) {
		if (wpy_join(real, names[i], path) < 0)
			continue;
		r = 1;
		if (ctx->opts.check_chain)
			r = wtrust_open_in(fd, names[i], ctx->opts.trusted_uid, path, &ffd, &size,
					   err, errlen);
		if (r == 0)
			r = load_fd(ctx, ffd, path, size, nfiles, err, errlen);
		else if (r == 1)
			r = load_other(ctx, path, nfiles, err, errlen);
	}
	close(fd);
	wstrv_free(names);
	return r;
}

/* The running program's path: the absolute path execve() was given (sudo
 * passes the sudoers path) costs nothing to read; /proc/self/exe, whose
 * first readlink costs tens of microseconds, is the fallback for relative
 * and descriptor paths.  The walk then checks the file at that path: if a
 * non-root user could have replaced it since the exec, the walk meets a
 * link they can write and fails. */
static int
check_self(struct wrap_ctx *ctx, char *err, size_t errlen)
{
	const char *fn = (const char *)getauxval(AT_EXECFN);
	char self[WRAP_MAX_PATH], real[WRAP_MAX_PATH];
	ssize_t n;
	int fd, r;

	if (!fn || fn[0] != '/' || strncmp(fn, "/proc/", 6) == 0 || strncmp(fn, "/dev/fd/", 8) == 0) {
		if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0)
			return msg(err, errlen, -errno, "/proc/self/exe: %s", strerror(errno));
		self[n] = '\0';
		fn = self;
	}
	r = wtrust_open(fn, WTRUST_EXEC, ctx->opts.trusted_uid, ctx->dirs, real, &fd, err, errlen);
	if (r == 0 && !(ctx->self = strdup(real)))
		r = -ENOMEM;
	return r;
}

static struct wrap_ctx *
ctx_new(const struct wrap_opts *opts)
{
	struct wrap_ctx *ctx = calloc(1, sizeof(*ctx));

	if (ctx)
		ctx->opts = *opts;
	return ctx;
}

static int
load_conf_text(struct wrap_ctx *ctx, const char *name, const char *buf, size_t len,
	       char ***fpath, size_t *nfpath, char *err, size_t errlen)
{
	struct wini ini;
	char e[WRAP_MSG_MAX];
	int line = 0, r;

	if (wini_parse(buf, len, true, &ini, e, sizeof(e), &line) < 0) {
		wini_free(&ini);
		return msg(err, errlen, -EINVAL, "Incorrect configuration file: %s:%d: %s", name,
			   line, strchr(e, ':') ? strchr(e, ':') + 2 : e);
	}
	r = parse_settings(ctx, &ini, name, fpath, nfpath, err, errlen);
	wini_free(&ini);
	return r;
}

/* Read rootwrap.conf (absolute or relative conf_path) into *buf. */
static int
read_conf(struct wrap_ctx *ctx, const char *conf_path, char **buf, size_t *len, char *err,
	  size_t errlen)
{
	char abs[WRAP_MAX_PATH], *cwd;
	int fd, r;

	if (conf_path[0] != '/') {
		cwd = getcwd(NULL, 0);
		r = cwd ? wpy_join(cwd, conf_path, abs) : -ENOENT;
		free(cwd);
		if (r < 0)
			return msg(err, errlen, -ENAMETOOLONG, "%s: cannot make absolute",
				   conf_path);
	} else if (str_copy(abs, conf_path, sizeof(abs)) >= sizeof(abs)) {
		return msg(err, errlen, -ENAMETOOLONG, "%s: path too long", conf_path);
	}
	if (ctx->opts.check_chain) {
		r = wtrust_open(abs, WTRUST_FILE, ctx->opts.trusted_uid, ctx->dirs, NULL, &fd, err,
				errlen);
	} else {
		fd = open(abs, O_RDONLY | O_CLOEXEC);
		r = fd < 0 ? msg(err, errlen, -errno, "%s: %s", abs, strerror(errno)) : 0;
	}
	if (r < 0)
		return r;
	r = wread_all(fd, conf_path, SIZE_MAX, buf, len, err, errlen);
	close(fd);
	return r;
}

int
wrap_load(const char *conf_path, const struct wrap_opts *opts, struct wrap_ctx **ret, char *err,
	  size_t errlen)
{
	char **fpath = NULL, *buf = NULL;
	size_t len, nfpath = 0, nfiles = 0;
	struct wrap_ctx *ctx;
	int r;

	*ret = NULL;
	if (!(ctx = ctx_new(opts)))
		return -ENOMEM;
	if (opts->check_chain && !(ctx->dirs = wtrust_dirs_new())) {
		wrap_free(ctx);
		return -ENOMEM;
	}
	r = opts->check_chain && opts->check_self ? check_self(ctx, err, errlen) : 0;
	if (r == 0 && (r = read_conf(ctx, conf_path, &buf, &len, err, errlen)) == 0)
		r = load_conf_text(ctx, conf_path, buf, len, &fpath, &nfpath, err, errlen);
	free(buf);
	for (size_t i = 0; r == 0 && i < nfpath; i++)
		r = load_dir(ctx, fpath[i], &nfiles, err, errlen);
	wstrv_free(fpath);
	if (!opts->one_shot) {
		wtrust_dirs_free(ctx->dirs);
		ctx->dirs = NULL;
	}
	if (r < 0) {
		wrap_free(ctx);
		return r;
	}
	*ret = ctx;
	return 0;
}

int
wrap_load_mem(const char *conf_text, size_t nfiles, const char *const *names,
	      const char *const *filters, struct wrap_ctx **ret, char *err, size_t errlen)
{
	struct wrap_opts opts = {.trusted_uid = 0, .check_self = false, .check_chain = false};
	struct wrap_ctx *ctx = ctx_new(&opts);
	char **fpath = NULL;
	size_t nfpath = 0;
	int r;

	*ret = NULL;
	if (!ctx)
		return -ENOMEM;
	r = load_conf_text(ctx, "rootwrap.conf", conf_text, strlen(conf_text), &fpath, &nfpath,
			   err, errlen);
	wstrv_free(fpath);
	if (r < 0) {
		wrap_free(ctx);
		return r;
	}
	for (size_t i = 0; i < nfiles && i < WRAP_MAX_FILES; i++)
		load_filter_text(ctx, names[i], filters[i], strlen(filters[i]));
	*ret = ctx;
	return 0;
}

void
wrap_free(struct wrap_ctx *ctx)
{
	if (!ctx)
		return;
	for (size_t i = 0; i < ctx->nf; i++)
		wfilter_free(&ctx->f[i]);
	wtrust_dirs_free(ctx->dirs);
	free(ctx->self);
	free(ctx->f);
	wstrv_free(ctx->exec_dirs);
	for (size_t i = 0; i < ctx->np; i++)
		free(ctx->problems[i]);
	free(ctx->problems);
	free(ctx->dropped);
	free(ctx);
}

const char *
wrap_program(const struct wrap_ctx *ctx)
{
	return ctx->self;
}

int
wrap_check_program(struct wrap_ctx *ctx, const char *path, char *err, size_t errlen)
{
	int fd;

	return wtrust_open(path, WTRUST_EXEC, ctx->opts.trusted_uid, ctx->dirs, NULL, &fd, err,
			   errlen);
}

const struct wrap_settings *
wrap_settings(const struct wrap_ctx *ctx)
{
	return &ctx->set;
}

size_t
wrap_filter_count(const struct wrap_ctx *ctx)
{
	return ctx->nf;
}

size_t
wrap_problem_count(const struct wrap_ctx *ctx)
{
	return ctx->np;
}

size_t
wrap_refused_files(const struct wrap_ctx *ctx)
{
	return ctx->ndropped;
}

const char *
wrap_problem(const struct wrap_ctx *ctx, size_t i)
{
	return i < ctx->np ? ctx->problems[i] : NULL;
}

/* ---- the decision: oslo_rootwrap.wrapper.match_filter ---- */

static struct wfilter *
match_filter(struct wrap_ctx *ctx, struct wfilter **list, size_t n, struct wargs *a,
	     struct wfilter **notexec)
{
	*notexec = NULL;
	for (size_t i = 0; i < n; i++) {
		struct wfilter *f = list[i];
		if (!wfilter_match(f, a))
			continue;
		if (wfilter_chaining(f)) {
			struct wfilter **leaf = calloc(n + 1, sizeof(*leaf)), *sub, *ne;
			struct wargs rest;
			size_t k = 0;
			if (!leaf)
				continue;
			for (size_t j = 0; j < n; j++)
				if (!wfilter_chaining(list[j]) &&
				    strcmp(list[j]->run_as, f->run_as) == 0)
					leaf[k++] = list[j];
			if (wfilter_exec_args(f, a, &rest) < 0) {
				free(leaf);
				continue;
			}
			sub = rest.n ? match_filter(ctx, leaf, k, &rest, &ne) : NULL;
			wargs_free(&rest);
			free(leaf);
			if (!sub)
				continue;
		}
		if (!wfilter_get_exec(f, ctx->exec_dirs, ctx->nexec)) {
			if (!*notexec)
				*notexec = f;
			continue;
		}
		return f;
	}
	return NULL;
}

static int
deny(struct wrap_decision *d, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	d->rc = rc;
	return rc;
}

static int
finish_allowed(struct wrap_ctx *ctx, struct wfilter *f, struct wargs *a, struct wrap_decision *d)
{
	char err[WRAP_MSG_MAX];
	struct wpw pw;
	int fd, r;

	str_copy(d->filter, f->name, sizeof(d->filter));
	str_copy(d->where, f->where, sizeof(d->where));
	str_copy(d->run_as, f->run_as, sizeof(d->run_as));
	if (wfilter_command(f, a, ctx->exec_dirs, ctx->nexec, &d->argv) < 0 ||
	    wfilter_environment(f, a, &d->setenv) < 0)
		return deny(d, WRAP_RC_UNAUTHORIZED, "out of memory building the command");
	if (!(d->path = strdup(d->argv[0])))
		return deny(d, WRAP_RC_UNAUTHORIZED, "out of memory");
	if (ctx->opts.check_chain) {
		r = wtrust_open(d->path, WTRUST_EXEC, ctx->opts.trusted_uid, ctx->dirs, NULL, &fd, err,
				sizeof(err));
		if (r < 0)
			return deny(d, WRAP_RC_BADCONFIG, "Untrusted executable: %s (filter match = %s)",
				    err, f->name);
	}
	r = wpw_lookup(f->run_as, &pw);
	if (r == 0) {
		d->uid = pw.uid;
		d->gid = pw.gid;
		d->home = pw.home;
	}
	/* without NSS, a user /etc/passwd lacks cannot be found, and one that
	 * is not root cannot get its groups (initgroups) in wrap_exec */
	if (r == -ENOTSUP || (r == 0 && d->uid != 0 && !wnss_available()))
		return deny(d, WRAP_RC_NEEDS_NSS, "run-as user '%s' needs NSS", f->run_as);
	if (r < 0)
		return deny(d, WRAP_RC_BADCONFIG, "Unknown run-as user '%s' (filter match = %s at %s)",
			    f->run_as, f->name, f->where);
	d->rc = 0;
	str_join(d->msg, sizeof(d->msg),
		 (const char *const[]){"filter ", f->name, " at ", f->where, ", as ", f->run_as}, 6);
	return 0;
}

int
wrap_decide(struct wrap_ctx *ctx, int argc, char *const argv[], struct wrap_decision *d)
{
	struct wfilter **list, *f, *ne = NULL;
	struct wargs a;
	char shown[WRAP_MSG_MAX / 2];
	int r;

	memset(d, 0, sizeof(*d));
	if (argc < 1)
		return deny(d, WRAP_RC_NOCOMMAND, "No command specified");
	wrap_format_argv(shown, sizeof(shown), argc, argv);
	if (argc > WRAP_MAX_ARGS)
		return deny(d, WRAP_RC_UNAUTHORIZED, "Unauthorized command: more than %d words",
			    WRAP_MAX_ARGS);
	for (int i = 0; i < argc; i++)
		if (strlen(argv[i]) > WRAP_MAX_ARG_LEN)
			return deny(d, WRAP_RC_UNAUTHORIZED,
				    "Unauthorized command: a word longer than %d bytes",
				    WRAP_MAX_ARG_LEN);
	list = calloc(ctx->nf + 1, sizeof(*list));
	a.v = calloc((size_t)argc + 1, sizeof(*a.v));
	if (!list || !a.v) {
		free(list);
		free(a.v);
		return deny(d, WRAP_RC_UNAUTHORIZED, "out of memory");
	}
	for (size_t i = 0; i < ctx->nf; i++)
		list[i] = &ctx->f[i];
	memcpy(a.v, argv, (size_t)argc * sizeof(*a.v));
	a.n = argc;
	f = match_filter(ctx, list, ctx->nf, &a, &ne);
	free(list);
	if (f)
		r = finish_allowed(ctx, f, &a, d);
	else if (ne)
		r = deny(d, WRAP_RC_NOEXEC, "Executable not found: %s (filter match = %s)",
			 ne->exec_path, ne->name);
	else
		r = deny(d, WRAP_RC_UNAUTHORIZED, "Unauthorized command: %s (no filter matched%s%s)",
			 shown, ctx->dropped ? "; refused filter file: " : "",
			 ctx->dropped ? ctx->dropped : "");
	wargs_free(&a);
	return r;
}

void
wrap_decision_free(struct wrap_decision *d)
{
	free(d->path);
	free(d->home);
	wstrv_free(d->argv);
	wstrv_free(d->setenv);
	d->path = d->home = NULL;
	d->argv = d->setenv = NULL;
}

/* ---- the exec ---- */

static bool
sane_value(const char *v)
{
	if (strlen(v) > WRAP_MAX_ENV_VALUE || strchr(v, '/'))
		return false;
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return false;
	return true;
}

static int
env_add(char ***env, size_t *n, const char *name, const char *value)
{
	const char *eq = strchr(name, '=') ? "" : "=";
	size_t l;
	char *s, **nv;

	if (!value)
		return 0;
	l = strlen(name) + strlen(eq) + strlen(value) + 1;
	if (!(s = malloc(l)))
		return -ENOMEM;
	str_join(s, l, (const char *const[]){name, eq, value}, 3);
	l = (size_t)(strchr(s, '=') - s);
	for (size_t i = 0; i < *n; i++)
		if (strncmp((*env)[i], s, l + 1) == 0) {
			free((*env)[i]);
			(*env)[i] = s;
			return 0;
		}
	if (!(nv = realloc(*env, (*n + 2) * sizeof(*nv)))) {
		free(s);
		return -ENOMEM;
	}
	*env = nv;
	nv[(*n)++] = s;
	nv[*n] = NULL;
	return 0;
}

extern char **environ;

static int
build_env(const struct wrap_decision *d, char ***out)
{
	static const char *const keep[] = {"TERM", "LANG", "LANGUAGE", NULL};
	char **env = NULL;
	size_t n = 0;
	int r = 0;

	r |= env_add(&env, &n, "PATH", WRAP_SAFE_PATH);
	for (const char *const *k = keep; *k; k++)
		if (getenv(*k) && sane_value(getenv(*k)))
			r |= env_add(&env, &n, *k, getenv(*k));
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "LC_", 3) == 0 && strchr(*e, '=') && sane_value(strchr(*e, '=') + 1))
			r |= env_add(&env, &n, *e, "");
	r |= env_add(&env, &n, "HOME", d->home);
	r |= env_add(&env, &n, "USER", d->run_as);
	r |= env_add(&env, &n, "LOGNAME", d->run_as);
	for (char **s = d->setenv; s && *s; s++)
		r |= env_add(&env, &n, *s, "");
	if (r || !env) {
		wstrv_free(env);
		return -ENOMEM;
	}
	*out = env;
	return 0;
}

static void
reset_signals(void)
{
	sigset_t none;

	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static int
drop_to(const struct wrap_decision *d, char *err, size_t errlen)
{
	int r;

	if (d->uid == 0 && geteuid() == 0)
		return 0; /* run as root: as oslo, keep root's groups */
	r = wnss_initgroups(d->run_as, d->gid);
	if (r == 0 && (setgid(d->gid) < 0 || setuid(d->uid) < 0))
		r = -errno;
	if (r < 0)
		return msg(err, errlen, r, "cannot switch to user %s: %s", d->run_as, strerror(-r));
	if (getuid() != d->uid || geteuid() != d->uid || getgid() != d->gid ||
	    (d->uid != 0 && setuid(0) == 0))
		return msg(err, errlen, -EPERM, "user switch to %s did not stick", d->run_as);
	return 0;
}

int
wrap_exec(const struct wrap_ctx *ctx, const struct wrap_decision *d, char *err, size_t errlen)
{
	struct rlimit rl;
	char **env;
	int r;

	if (d->rc != 0 || !d->path)
		return msg(err, errlen, -EPERM, "not an allowed decision");
	if ((r = build_env(d, &env)) < 0)
		return msg(err, errlen, r, "out of memory");
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > (rlim_t)ctx->set.rlimit_nofile) {
		rl.rlim_cur = (rlim_t)ctx->set.rlimit_nofile;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			wstrv_free(env);
			return msg(err, errlen, -errno, "setrlimit: %s", strerror(errno));
		}
	}
	close_range(3, ~0U, 0);
	reset_signals();
	if ((r = drop_to(d, err, errlen)) < 0) {
		wstrv_free(env);
		return r;
	}
	execve(d->path, d->argv, env);
	r = -errno;
	wstrv_free(env);
	return msg(err, errlen, r, "%s: %s", d->path, strerror(-r));
}

void
wrap_format_argv(char *buf, size_t size, int argc, char *const argv[])
{
	size_t o = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (int i = 0; i < argc && o + 8 < size; i++) {
		const unsigned char *s = (const unsigned char *)argv[i];
		bool quote = !*s || strpbrk(argv[i], " '\"\\") != NULL;
		if (i)
			buf[o++] = ' ';
		if (quote)
			buf[o++] = '\'';
		for (; *s && o + 8 < size; s++) {
			if (*s < 0x20 || *s == 0x7f)
				o += (size_t)snprintf(buf + o, size - o, "\\x%02x", *s);
			else if (*s == '\'' || *s == '\\')
				o += (size_t)snprintf(buf + o, size - o, "\\%c", *s);
			else
				buf[o++] = (char)*s;
		}
		if (quote)
			buf[o++] = '\'';
		buf[o] = '\0';
	}
	if (o + 8 >= size && size > 4)
		strcpy(buf + size - 4, "...");
}

/*
 * wtrust: walk a path from "/" one component at a time (openat with
 * O_NOFOLLOW, fstatat without following), so that every directory, every
 * symbolic link and the final object met on the way is checked before it
 * is used: owned by the trusted uid and not writable by group or others.
 * A directory that is group/other-writable may only be traversed when it
 * is sticky (like /tmp): its entries we use are then trusted-owned, so no
 * one else can rename or replace them.  The directory holding an
 * executable and a filters directory itself get no such exception.  The
 * walks of one load may start below directories an earlier walk checked
 * and kept open (struct wtrust_dirs).
 */
#include "wrap-int.h"

#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WTRUST_MAX_DEPTH 128 /* directories open at once; deeper paths are refused */

/* The open directories of a walk, "/" first. */
struct wlevels {
	int fds[WTRUST_MAX_DEPTH];
	mode_t modes[WTRUST_MAX_DEPTH];  /* of each directory, as checked */
	uint16_t plen[WTRUST_MAX_DEPTH]; /* length of its path at each level */
	int n;
};

/* The directories of the last walk, kept open for the next walks of the
 * same load: rootwrap.conf, the filters directories and the program share
 * most of their paths.  An open directory keeps being the one checked. */
struct wtrust_dirs {
	struct wlevels lv;
	char real[WRAP_MAX_PATH]; /* path of lv.fds[lv.n - 1] */
};

struct walk {
	struct wlevels lv;
	int borrowed; /* lv.fds[0 .. borrowed) belong to a struct wtrust_dirs */
	char *real;
	const char *asked;
	uid_t uid;
	char *err;
	size_t errlen;
};

static int
wfail(struct walk *w, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(w->err, w->errlen, "%s: ", w->real[0] ? w->real : "/");
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < w->errlen)
		vsnprintf(w->err + n, w->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	if (strcmp(w->real, w->asked) != 0) {
		size_t l = strlen(w->err);
		if (l < w->errlen)
			snprintf(w->err + l, w->errlen - l, " (resolving %s)", w->asked);
	}
	return rc;
}

static int
top_fd(const struct walk *w)
{
	return w->lv.fds[w->lv.n - 1];
}

/* Leave level n - 1 (a borrowed directory stays open for its owner). */
static void
pop_dir(struct walk *w)
{
	if (--w->lv.n >= w->borrowed)
		close(w->lv.fds[w->lv.n]);
	else
		w->borrowed = w->lv.n;
}

static void
walk_close(struct walk *w)
{
	while (w->lv.n > 0)
		pop_dir(w);
}

static int
check_owner(struct walk *w, const struct stat *st, const char *what)
{
	if (st->st_uid != w->uid)
		return wfail(w, -EPERM, "%s owned by uid %u, must be owned by uid %u%s", what,
			     (unsigned)st->st_uid, (unsigned)w->uid, w->uid == 0 ? " (root)" : "");
	return 0;
}

static int
check_mode(struct walk *w, mode_t mode, bool sticky_ok)
{
	if ((mode & (S_IWGRP | S_IWOTH)) == 0)
		return 0;
	if (sticky_ok && S_ISDIR(mode) && (mode & S_ISVTX))
		return 0;
	return wfail(w, -EPERM, "writable by group or others (mode %04o)", (unsigned)(mode & 07777));
}

/* Append "/name" to w->real. */
static int
real_push(struct walk *w, const char *name)
{
	size_t l = strlen(w->real);

	if (l + strlen(name) + 2 > WRAP_MAX_PATH)
		return wfail(w, -ENAMETOOLONG, "path too long");
	if (l == 0 || w->real[l - 1] != '/')
		w->real[l++] = '/';
	strcpy(w->real + l, name);
	return 0;
}

/* A directory on the way: trusted owner, and writable by no one else
 * unless sticky (its entries we use are then trusted-owned). */
static int
check_dir_fd(struct walk *w, int fd, struct stat *st)
{
	int r;

	if (fstat(fd, st) < 0)
		return wfail(w, -errno, "%s", strerror(errno));
	if ((r = check_owner(w, st, "directory")) < 0 || (r = check_mode(w, st->st_mode, true)) < 0)
		return r;
	return 0;
}

static int
push_dir(struct walk *w, int fd, mode_t mode)
{
	if (w->lv.n >= WTRUST_MAX_DEPTH) {
		close(fd);
		return wfail(w, -ELOOP, "too deep");
	}
	w->lv.plen[w->lv.n] = (uint16_t)strlen(w->real); /* < WRAP_MAX_PATH */
	w->lv.modes[w->lv.n] = mode;
	w->lv.fds[w->lv.n++] = fd;
	return 0;
}

static int
open_root(struct walk *w)
{
	struct stat st;
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), r;

	w->real[0] = '\0';
	if (fd < 0)
		return wfail(w, -errno, "%s", strerror(errno));
	if ((r = check_dir_fd(w, fd, &st)) < 0) {
		close(fd);
		return r;
	}
	return push_dir(w, fd, st.st_mode);
}

/* Replace the pending components: pending becomes target + "/" + what
 * was left after *pos, in place. */
static int
splice_link(struct walk *w, char *pending, size_t *pos, const char *target, size_t lt)
{
	size_t lr = strlen(pending + *pos);

	if (lt + lr + 2 > WRAP_MAX_PATH)
		return wfail(w, -ENAMETOOLONG, "link target too long");
	memmove(pending + lt + (lr ? 1 : 0), pending + *pos, lr + 1);
	memcpy(pending, target, lt);
	if (lr)
		pending[lt] = '/';
	*pos = 0;
	return 0;
}

static int
step_link(struct walk *w, const char *name, const struct stat *st, char *pending, size_t *pos,
	  int *links)
{
	char target[WRAP_MAX_PATH];
	ssize_t n;
	int r;

	if ((r = real_push(w, name)) < 0)
		return r;
	if ((r = check_owner(w, st, "symbolic link")) < 0)
		return r;
	if (++*links > WRAP_MAX_LINKS)
		return wfail(w, -ELOOP, "too many levels of symbolic links");
	n = readlinkat(top_fd(w), name, target, sizeof(target) - 1);
	if (n < 0)
		return wfail(w, -errno, "%s", strerror(errno));
	target[n] = '\0';
	w->real[w->lv.plen[w->lv.n - 1]] = '\0';
	if (target[0] == '/') {
		walk_close(w);
		if ((r = open_root(w)) < 0)
			return r;
	}
	return splice_link(w, pending, pos, target, (size_t)n);
}

/* Enter name if it is a directory: opened first (O_NOFOLLOW: a link
 * fails with ENOTDIR) and checked through the descriptor, so what is
 * checked is what is used.  Returns 0 entered, 1 when name is not a
 * directory (a link, a file: the caller looks), or a negative errno. */
static int
step_dir(struct walk *w, const char *name)
{
	struct stat st;
	int fd, r;

	fd = openat(top_fd(w), name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (errno == ENOTDIR || errno == ELOOP))
		return 1;
	if (fd < 0) {
		int e = errno;
		(void)real_push(w, name);
		return wfail(w, -e, "%s", strerror(e));
	}
	if ((r = real_push(w, name)) < 0 || (r = check_dir_fd(w, fd, &st)) < 0) {
		close(fd);
		return r;
	}
	return push_dir(w, fd, st.st_mode);
}

/* The walk ended on a directory. */
static int
finish(struct walk *w, enum wtrust_kind kind, int *fdp)
{
	int fd, r;
	int top = top_fd(w);

	if (kind != WTRUST_DIR)
		return wfail(w, -EISDIR, "is a directory, expected a file");
	if ((r = check_mode(w, w->lv.modes[w->lv.n - 1], false)) < 0)
		return r;
	fd = openat(top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return wfail(w, -errno, "%s", strerror(errno));
	*fdp = fd;
	return 0;
}

static int
final_file(struct walk *w, const char *name, const struct stat *st, enum wtrust_kind kind,
	   int *fdp)
{
	struct stat st2;
	mode_t pmode = w->lv.modes[w->lv.n - 1];
	int fd, r;
	int top = top_fd(w);

	if ((r = real_push(w, name)) < 0)
		return r;
	if (kind == WTRUST_DIR)
		return wfail(w, -ENOTDIR, "not a directory");
	if (!S_ISREG(st->st_mode))
		return wfail(w, -EINVAL, "not a regular file");
	if ((r = check_owner(w, st, "file")) < 0 || (r = check_mode(w, st->st_mode, false)) < 0)
		return r;
	if (kind == WTRUST_EXEC) {
		if (pmode & (S_IWGRP | S_IWOTH)) {
			w->real[w->lv.plen[w->lv.n - 1]] = '\0';
			return wfail(w, -EPERM,
				     "directory of an executable writable by group or others "
				     "(mode %04o)",
				     (unsigned)(pmode & 07777));
		}
		*fdp = -1;
		return 0;
	}
	fd = openat(top, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return wfail(w, -errno, "%s", strerror(errno));
	if (fstat(fd, &st2) < 0 || st2.st_ino != st->st_ino || st2.st_dev != st->st_dev) {
		close(fd);
		return wfail(w, -EAGAIN, "changed while being checked");
	}
	*fdp = fd;
	return 0;
}

/* One component below the top directory.  Returns 1 to go on walking, 0
 * when the walk ended on a file (*fdp set), or a negative errno. */
static int
step(struct walk *w, const char *name, bool last, enum wtrust_kind kind, char *pending,
     size_t *pos, int *links, int *fdp)
{
	struct stat st;
	int r;

	if (!last || kind == WTRUST_DIR) {
		if ((r = step_dir(w, name)) <= 0)
			return r < 0 ? r : 1;
	}
	if (fstatat(top_fd(w), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		int e = errno;
		(void)real_push(w, name);
		return wfail(w, -e, "%s", strerror(e));
	}
	if (S_ISLNK(st.st_mode))
		return (r = step_link(w, name, &st, pending, pos, links)) < 0 ? r : 1;
	if (S_ISDIR(st.st_mode) && (!last || kind == WTRUST_DIR)) {
		(void)real_push(w, name); /* step_dir found no directory there */
		return wfail(w, -EAGAIN, "changed while being checked");
	}
	if (!last) {
		(void)real_push(w, name);
		return wfail(w, -ENOTDIR, "not a directory");
	}
	return final_file(w, name, &st, kind, fdp);
}

/* Start at the deepest kept directory whose path is a leading part of
 * path, component for component (kept paths hold no links, "." or "..",
 * so the same names lead to the same directories).  Returns where the rest
 * of path starts. */
static size_t
start_from(struct walk *w, const struct wtrust_dirs *d, const char *path)
{
	size_t pos = 0;
	int k = 0;

	while (k + 1 < d->lv.n) {
		const char *comp = d->real + d->lv.plen[k] + 1;
		size_t clen = (size_t)(d->lv.plen[k + 1] - d->lv.plen[k] - 1);
		size_t q = pos + strspn(path + pos, "/");
		if (strncmp(path + q, comp, clen) != 0 || (path[q + clen] != '/' && path[q + clen]))
			break;
		pos = q + clen;
		k++;
	}
	w->lv = d->lv;
	w->lv.n = w->borrowed = k + 1;
	memcpy(w->real, d->real, d->lv.plen[k]);
	w->real[d->lv.plen[k]] = '\0';
	return pos;
}

/* After a walk that succeeded: its directories become the kept ones. */
static void
keep_dirs(struct walk *w, struct wtrust_dirs *d)
{
	for (int i = w->borrowed; i < d->lv.n; i++)
		close(d->lv.fds[i]);
	d->lv = w->lv; /* the walk's own directories are the kept ones' now */
	w->borrowed = w->lv.n;
	memcpy(d->real, w->real, w->lv.plen[w->lv.n - 1]);
	d->real[w->lv.plen[w->lv.n - 1]] = '\0';
}

static int
walk(struct walk *w, const struct wtrust_dirs *dirs, const char *path, enum wtrust_kind kind,
     int *fdp)
{
	char pending[WRAP_MAX_PATH], name[NAME_MAX + 1];
	size_t pos = 0;
	int links = 0, r;

	if (path[0] != '/')
		return wfail(w, -EINVAL, "not an absolute path");
	if (strlen(path) >= sizeof(pending))
		return wfail(w, -ENAMETOOLONG, "path too long");
	strcpy(pending, path);
	if (dirs && dirs->lv.n > 0)
		pos = start_from(w, dirs, pending);
	else if ((r = open_root(w)) < 0)
		return r;
	for (;;) {
		size_t len;

		pos += strspn(pending + pos, "/");
		if (!pending[pos])
			return finish(w, kind, fdp);
		len = strcspn(pending + pos, "/");
		if (len > NAME_MAX)
			return wfail(w, -ENAMETOOLONG, "%s", strerror(ENAMETOOLONG));
		memcpy(name, pending + pos, len);
		name[len] = '\0';
		pos += len;
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			if (w->lv.n > 1) {
				pop_dir(w);
				w->real[w->lv.plen[w->lv.n]] = '\0';
			}
			continue;
		}
		bool last = pending[pos + strspn(pending + pos, "/")] == '\0';
		if ((r = step(w, name, last, kind, pending, &pos, &links, fdp)) <= 0)
			return r;
	}
}

int
wtrust_open(const char *path, enum wtrust_kind kind, uid_t uid, struct wtrust_dirs *dirs,
	    char *real, int *fd, char *err, size_t errlen)
{
	char own[WRAP_MAX_PATH];
	struct walk w = {.real = real ? real : own, .asked = path, .uid = uid,
			 .err = err, .errlen = errlen};
	int r;

	real = w.real;
	real[0] = '\0';
	*fd = -1;
	r = walk(&w, dirs, path, kind, fd);
	if (r == 0 && dirs)
		keep_dirs(&w, dirs);
	walk_close(&w);
	if (r == 0 && real[0] == '\0')
		strcpy(real, "/");
	return r;
}

struct wtrust_dirs *
wtrust_dirs_new(void)
{
	struct wtrust_dirs *d = malloc(sizeof(*d));

	if (d)
		d->lv.n = 0;
	return d;
}

void
wtrust_dirs_free(struct wtrust_dirs *d)
{
	if (!d)
		return;
	while (d->lv.n > 0)
		close(d->lv.fds[--d->lv.n]);
	free(d);
}

int
wtrust_open_in(int dirfd, const char *name, uid_t uid, const char *path, int *fd, size_t *size,
	       char *err, size_t errlen)
{
	char real[WRAP_MAX_PATH];
	struct walk w = {.real = real, .asked = path, .uid = uid, .err = err,
			 .errlen = errlen};
	struct stat st;
	int r;

	/* Opened before it is looked at: in a directory no one else can write,
	 * what is there is root's, and O_NONBLOCK keeps a FIFO from blocking. */
	str_copy(real, path, sizeof(real));
	*fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (*fd < 0)
		return 1; /* a link (ELOOP), or gone: the caller looks again by path */
	if (fstat(*fd, &st) < 0)
		r = wfail(&w, -errno, "%s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		r = 1;
	else if ((r = check_owner(&w, &st, "file")) == 0)
		r = check_mode(&w, st.st_mode, false);
	if (r != 0) {
		close(*fd);
		*fd = -1;
	} else {
		*size = (size_t)st.st_size;
	}
	return r;
}

/*
 * wpy: the few os.path functions oslo.rootwrap's decisions depend on, with
 * Python 3.11's results (not the C library's): realpath() is lexical about
 * '..' after resolving links, tolerates missing components and loops, and
 * oslo turns a vanished working directory into ''.
 */
#include "wrap-int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WPY_MAX_SEEN 64

const char *
wpy_basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int
wpy_join(const char *a, const char *b, char *out)
{
	size_t la = strlen(a), lb = strlen(b);

	if (b[0] == '/' || la == 0) {
		if (lb >= WRAP_MAX_PATH)
			return -ENAMETOOLONG;
		memcpy(out, b, lb + 1);
		return 0;
	}
	if (la + lb + 2 > WRAP_MAX_PATH)
		return -ENAMETOOLONG;
	memcpy(out, a, la);
	if (a[la - 1] != '/')
		out[la++] = '/';
	memcpy(out + la, b, lb + 1);
	return 0;
}

bool
wpy_prefix(const char *a, const char *b)
{
	/* os.path.commonprefix([a, b]) == a: a character-wise prefix */
	return strncmp(a, b, strlen(a)) == 0;
}

/* os.path.split(): head stays in path, tail into tail. */
static void
split_head(char *path, char *tail, size_t tailsize)
{
	char *s = strrchr(path, '/');
	size_t n;
	bool all = true;

	if (!s) {
		snprintf(tail, tailsize, "%s", path);
		path[0] = '\0';
		return;
	}
	snprintf(tail, tailsize, "%s", s + 1);
	n = (size_t)(s - path) + 1;
	for (size_t i = 0; i < n; i++)
		if (path[i] != '/')
			all = false;
	if (!all)
		while (n > 0 && path[n - 1] == '/')
			n--;
	path[n] = '\0';
}

struct seen {
	char *link[WPY_MAX_SEEN];
	char *res[WPY_MAX_SEEN]; /* NULL while being resolved */
	int n;
};

static int joinreal(char *path, const char *rest, struct seen *sn, int depth, bool *ok);

static int
follow(char *path, const char *newpath, const char *rest_after, struct seen *sn, int depth,
       bool *ok, bool *done)
{
	char target[WRAP_MAX_PATH];
	ssize_t n;
	int i, r;

	*done = false;
	for (i = 0; i < sn->n; i++)
		if (strcmp(sn->link[i], newpath) == 0)
			break;
	if (i < sn->n) {
		if (sn->res[i]) {
			snprintf(path, WRAP_MAX_PATH, "%s", sn->res[i]);
			return 0;
		}
		/* a loop: the resolved part plus the rest, unresolved */
		*ok = false;
		*done = true;
		if (rest_after[0])
			return wpy_join(newpath, rest_after, path);
		snprintf(path, WRAP_MAX_PATH, "%s", newpath);
		return 0;
	}
	if (sn->n >= WPY_MAX_SEEN || depth > WRAP_MAX_LINKS)
		return -ELOOP;
	n = readlink(newpath, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	i = sn->n++;
	sn->link[i] = strdup(newpath);
	sn->res[i] = NULL;
	if (!sn->link[i])
		return -ENOMEM;
	r = joinreal(path, target, sn, depth + 1, ok);
	if (r < 0)
		return r;
	if (!*ok) {
		char tmp[WRAP_MAX_PATH];
		*done = true;
		if (rest_after[0]) {
			snprintf(tmp, sizeof(tmp), "%s", path);
			return wpy_join(tmp, rest_after, path);
		}
		return 0;
	}
	sn->res[i] = strdup(path);
	return sn->res[i] ? 0 : -ENOMEM;
}

/* posixpath._joinrealpath(path, rest, strict=False, seen) */
static int
joinreal(char *path, const char *rest, struct seen *sn, int depth, bool *ok)
{
	char name[WRAP_MAX_PATH], newpath[WRAP_MAX_PATH];
	int r;

	*ok = true;
	if (rest[0] == '/') {
		rest++;
		snprintf(path, WRAP_MAX_PATH, "/");
	}
	while (*rest) {
		const char *sl = strchr(rest, '/');
		size_t n = sl ? (size_t)(sl - rest) : strlen(rest);
		struct stat st;
		bool done;

		if (n >= sizeof(name))
			return -ENAMETOOLONG;
		memcpy(name, rest, n);
		name[n] = '\0';
		rest = sl ? sl + 1 : rest + n;
		if (n == 0 || strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			if (path[0]) {
				char tail[WRAP_MAX_PATH];
				split_head(path, tail, sizeof(tail));
				if (strcmp(tail, "..") == 0) {
					char tmp[WRAP_MAX_PATH];
					snprintf(tmp, sizeof(tmp), "%s", path);
					if ((r = wpy_join(tmp, "../..", path)) < 0)
						return r;
				}
			} else {
				snprintf(path, WRAP_MAX_PATH, "..");
			}
			continue;
		}
		if ((r = wpy_join(path, name, newpath)) < 0)
			return r;
		if (lstat(newpath, &st) < 0 || !S_ISLNK(st.st_mode)) {
			memcpy(path, newpath, strlen(newpath) + 1);
			continue;
		}
		if ((r = follow(path, newpath, rest, sn, depth, ok, &done)) < 0)
			return r;
		if (done)
			return 0;
	}
	return 0;
}

/* posixpath.normpath */
static void
normpath(char *p)
{
	char out[WRAP_MAX_PATH];
	static const char dotdot[] = "..";
	const char *comps[WRAP_MAX_PATH / 2];
	size_t lens[WRAP_MAX_PATH / 2];
	size_t nc = 0, o = 0;
	int slashes = 0;
	const char *s = p;

	if (p[0] == '/')
		slashes = (p[1] == '/' && p[2] != '/') ? 2 : 1;
	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		bool dd = n == 2 && s[0] == '.' && s[1] == '.';
		bool last_dd = nc > 0 && lens[nc - 1] == 2 && comps[nc - 1][0] == '.' &&
			       comps[nc - 1][1] == '.';

		if (n == 0 || (n == 1 && s[0] == '.')) {
			/* skip */
		} else if (!dd || (!slashes && nc == 0) || last_dd) {
			comps[nc] = dd ? dotdot : s;
			lens[nc++] = n;
		} else if (nc > 0) {
			nc--;
		}
		s = e ? e + 1 : s + n;
	}
	for (int i = 0; i < slashes; i++)
		out[o++] = '/';
	for (size_t i = 0; i < nc; i++) {
		if (i)
			out[o++] = '/';
		memcpy(out + o, comps[i], lens[i]);
		o += lens[i];
	}
	out[o] = '\0';
	if (o == 0)
		strcpy(out, ".");
	strcpy(p, out);
}

int
wpy_realpath(const char *path, char *out)
{
	struct seen sn = {.n = 0};
	char buf[WRAP_MAX_PATH] = "";
	bool ok;
	int r;

	r = joinreal(buf, path, &sn, 0, &ok);
	for (int i = 0; i < sn.n; i++) {
		free(sn.link[i]);
		free(sn.res[i]);
	}
	if (r < 0)
		return r;
	if (buf[0] != '/') {
		char cwd[WRAP_MAX_PATH], tmp[WRAP_MAX_PATH];
		if (!getcwd(cwd, sizeof(cwd))) {
			out[0] = '\0'; /* oslo: FileNotFoundError -> '' */
			return 0;
		}
		if ((r = wpy_join(cwd, buf, tmp)) < 0)
			return r;
		memcpy(buf, tmp, strlen(tmp) + 1);
	}
	normpath(buf);
	memcpy(out, buf, strlen(buf) + 1);
	return 0;
}

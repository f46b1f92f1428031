/*
 * wpw: the run-as user of a filter, as getpwnam(3) finds it.
 *
 * Why not just getpwnam: on every upswrap call the first NSS lookup costs
 * more than the rest of the decision (nscd socket probes, nsswitch.conf
 * parsing and cold libc code: 80-300 us measured, a third of upswrap's own
 * time).  When nsswitch.conf makes "files" the first passwd source with
 * the default actions, NSS answers a name found in /etc/passwd from that
 * file and consults nothing else, so reading the file gives the same
 * entry.  Anything this reader is not sure of (another first source, an
 * action after "files", a name not in the file, a matching line it cannot
 * parse exactly like glibc) is left to getpwnam (wnss.c), which stays the
 * reference.
 */
#include "wrap-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A whole regular file (NUL-terminated), or NULL: NSS then answers. */
static char *
slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL, err[WRAP_MSG_MAX];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    wread_all(fd, path, (size_t)st.st_size, &buf, len, err, sizeof(err)) < 0)
		buf = NULL;
	close(fd);
	return buf;
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

/* True when the passwd line of nsswitch text names "files" first with no
 * action after it: a hit in /etc/passwd is then final. */
static bool
files_first(const char *text)
{
	const char *p = text, *found = NULL;

	while (*p) {
		const char *eol = strchr(p, '\n'), *q = p;
		if (!eol)
			eol = p + strlen(p);
		while (q < eol && blank(*q))
			q++;
		if ((size_t)(eol - q) > 6 && strncmp(q, "passwd", 6) == 0) {
			const char *c = q + 6;
			while (c < eol && blank(*c))
				c++;
			if (c < eol && *c == ':') {
				if (found)
					return false; /* two passwd lines: leave it to NSS */
				found = c + 1;
			}
		}
		p = *eol ? eol + 1 : eol;
	}
	if (!found)
		return false;
	while (blank(*found))
		found++;
	if (strncmp(found, "files", 5) != 0)
		return false;
	found += 5;
	if (*found == '\n' || *found == '\0' || *found == '#')
		return true;
	if (!blank(*found))
		return false; /* "filesx" */
	while (blank(*found))
		found++;
	return *found != '[';
}

/* A uid or gid field: decimal digits only, below (id_t)-1. */
static bool
parse_id(const char *s, size_t n, unsigned long *out)
{
	unsigned long v = 0;

	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v >= 0xffffffffUL)
		return false;
	*out = v;
	return true;
}

/* One passwd line, already known to start with "name:".  1 filled, 0 when
 * the line is not plain enough to be sure of glibc's reading. */
static int
parse_entry(const char *line, size_t len, const char *name, struct wpw *out)
{
	const char *f[7];
	size_t fl[7], nf = 0;
	const char *p = line, *end = line + len;
	unsigned long uid, gid;

	while (nf < 7) {
		const char *c = memchr(p, ':', (size_t)(end - p));
		f[nf] = p;
		fl[nf] = (size_t)((c ? c : end) - p);
		nf++;
		if (!c)
			break;
		p = c + 1;
	}
	if (nf != 7 || f[6] + fl[6] != end)
		return 0; /* fewer or more than seven fields */
	if (!parse_id(f[2], fl[2], &uid) || !parse_id(f[3], fl[3], &gid))
		return 0;
	if (memchr(f[5], '\r', fl[5]) || !(out->home = strndup(f[5], fl[5])))
		return 0;
	out->uid = (uid_t)uid;
	out->gid = (gid_t)gid;
	return 1;
}

/* 1 found and filled, 0 when NSS must answer. */
static int
from_file(const char *text, size_t len, const char *name, struct wpw *out)
{
	size_t nl = strlen(name);
	const char *p = text, *end = text + len;

	if (nl == 0 || strchr(name, ':') || strchr(name, '\n'))
		return 0;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *q = p;
		if (!eol)
			eol = end;
		if (memchr(p, '\0', (size_t)(eol - p)))
			return 0; /* a NUL byte: glibc's line reading differs */
		while (q < eol && (blank(*q) || *q == '\r' || *q == '\v' || *q == '\f'))
			q++;
		if (q < eol && *q != '#' && (size_t)(eol - q) > nl && strncmp(q, name, nl) == 0 &&
		    q[nl] == ':')
			return parse_entry(q, (size_t)(eol - q), name, out);
		p = eol + 1;
	}
	return 0;
}

int
wpw_lookup_at(const char *nsswitch, const char *passwd, const char *name, struct wpw *out)
{
	char *conf, *text = NULL;
	size_t len;
	int found = 0;

	if ((conf = slurp(nsswitch, &len))) {
		if (files_first(conf) && (text = slurp(passwd, &len)))
			found = from_file(text, len, name, out);
		free(conf);
		free(text);
	}
	return found ? 0 : wnss_user(name, out);
}

int
wpw_lookup(const char *name, struct wpw *out)
{
	return wpw_lookup_at("/etc/nsswitch.conf", "/etc/passwd", name, out);
}

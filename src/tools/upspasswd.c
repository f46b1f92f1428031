/*
 * upspasswd: add, change or delete a user in upsd.users, storing the
 * password as a yescrypt hash.  The file is rewritten atomically (temporary
 * file in the same directory, fsync, rename) with its owner, group, mode,
 * comments and other content kept.  Passwords come from the terminal
 * without echo, or from stdin with -s.
 */
#include "config.h"
#include "conf/conf.h"
#include "conf/upsd_users.h"
#include "passwd.h"
#include "paths.h"
#include "usersfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

enum op { OP_ADD, OP_CHANGE, OP_DELETE };

struct opts {
	const char *file;
	bool from_stdin;
	enum op op;
	const char *user;
	struct usersfile_extra extra;
};

struct verb {
	const char *name;
	enum op op;
};

static const struct verb verbs[] = {
    {"add", OP_ADD}, {"change", OP_CHANGE}, {"passwd", OP_CHANGE}, {"delete", OP_DELETE},
    {"del", OP_DELETE},
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: upspasswd [-f FILE] [-s] [-a ACTIONS] [-c INSTCMDS] [-m primary|secondary] add USER\n"
	    "       upspasswd [-f FILE] [-s] change USER\n"
	    "       upspasswd [-f FILE] delete USER\n"
	    "Writes a yescrypt password hash for USER into upsd.users (default %s/upsd.users,\n"
	    "NUT_CONFPATH overrides), keeping the file's comments, other users and mode.\n"
	    "  -f FILE      the upsd.users file to edit\n"
	    "  -s           read the password from the first line of stdin (no terminal)\n"
	    "  -a ACTIONS   add: actions line, e.g. \"SET FSD\"\n"
	    "  -c INSTCMDS  add: instcmds line, e.g. \"ALL\"\n"
	    "  -m ROLE      add: upsmon primary|secondary\n",
	    CONFDIR);
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	int c;

	while ((c = getopt(argc, argv, "f:sa:c:m:h")) != -1) {
		switch (c) {
		case 'f': o->file = optarg; break;
		case 's': o->from_stdin = true; break;
		case 'a': o->extra.actions = optarg; break;
		case 'c': o->extra.instcmds = optarg; break;
		case 'm': o->extra.upsmon = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: return -EINVAL;
		}
	}
	if (argc - optind != 2)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(argv[optind], verbs[i].name) == 0) {
			o->op = verbs[i].op;
			o->user = argv[optind + 1];
			return 0;
		}
	}
	return -EINVAL;
}

/* Read one line (without newline) from f into buf; -E2BIG when too long, -EIO at EOF. */
static int
read_line(FILE *f, char *buf, size_t size)
{
	size_t n;

	if (!fgets(buf, (int)size, f))
		return -EIO;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(f))
		return -E2BIG;
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

static int
prompt_tty(FILE *tty, const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	int fd = fileno(tty), r;

	if (tcgetattr(fd, &old) < 0)
		return -errno;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	fputs(prompt, tty);
	fflush(tty);
	if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0)
		return -errno;
	r = read_line(tty, buf, size);
	(void)tcsetattr(fd, TCSAFLUSH, &old);
	return r;
}

static int
get_password(const struct opts *o, char *pw, size_t size)
{
	char again[PASSWD_MAX_LEN + 2];
	FILE *tty;
	int r;

	if (o->from_stdin) {
		r = read_line(stdin, pw, size);
		if (r < 0) {
			fprintf(stderr, "upspasswd: %s\n", r == -E2BIG ? "password too long" :
			    "no password on stdin");
			return r;
		}
	} else {
		tty = fopen("/dev/tty", "r+");
		if (!tty) {
			fprintf(stderr, "upspasswd: no terminal to ask for the password: use -s to read it "
					"from stdin\n");
			return -ENOTTY;
		}
		r = prompt_tty(tty, "New password: ", pw, size);
		if (r >= 0)
			r = prompt_tty(tty, "Retype new password: ", again, sizeof(again));
		fclose(tty);
		if (r >= 0 && strcmp(pw, again) != 0) {
			fprintf(stderr, "upspasswd: the passwords do not match\n");
			r = -EINVAL;
		}
		explicit_bzero(again, sizeof(again));
		if (r < 0)
			return r;
	}
	if (pw[0] == '\0') {
		fprintf(stderr, "upspasswd: empty password refused\n");
		return -EINVAL;
	}
	return 0;
}

/* Read the whole file (bounded); a missing file is empty when `may_create`. */
static int
read_file(const char *path, bool may_create, char **ret, size_t *len, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;
	ssize_t n;

	if (fd < 0) {
		if (errno != ENOENT || !may_create)
			return -errno;
		memset(st, 0, sizeof(*st));
		st->st_mode = S_IFREG | 0600;
		st->st_uid = geteuid();
		st->st_gid = getegid();
		*ret = calloc(1, 1);
		*len = 0;
		return *ret ? 1 : -ENOMEM; /* 1: new file */
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_size > USERSFILE_MAX_SIZE) {
		int e = !S_ISREG(st->st_mode) ? -EINVAL : st->st_size > USERSFILE_MAX_SIZE ? -E2BIG : -errno;
		close(fd);
		return e;
	}
	buf = malloc((size_t)st->st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, buf, (size_t)st->st_size);
	close(fd);
	if (n != st->st_size) {
		free(buf);
		return -EIO;
	}
	buf[n] = '\0';
	*ret = buf;
	*len = (size_t)n;
	return 0;
}

static int
write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Temporary file beside `path`, same owner and mode, fsync, rename, fsync the directory. */
static int
replace_file(const char *path, const char *text, const struct stat *st)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.upspasswd-XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, st->st_mode & 07777) < 0 ||
	    (geteuid() == 0 && fchown(fd, st->st_uid, st->st_gid) < 0))
		r = -errno;
	if (r == 0)
		r = write_all(fd, text, strlen(text));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		return r;
	}
	memcpy(dir, path, strlen(path) + 1);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	return 0;
}

/* The edited text must still be a valid upsd.users with the expected user. */
static int
validate(const char *path, const char *text, const struct opts *o)
{
	struct upsd_users *u = NULL;
	struct conf_diag diag;
	int r;

	conf_diag_init(&diag);
	r = upsd_users_parse(path, text, strlen(text), &u, &diag);
	if (r < 0) {
		fprintf(stderr, "upspasswd: the result would not parse; file left unchanged:\n");
		conf_diag_print(stderr, &diag);
	} else if ((upsd_users_find(u, o->user) != NULL) != (o->op != OP_DELETE)) {
		fprintf(stderr, "upspasswd: internal error: user %s not %s; file left unchanged\n",
		    o->user, o->op == OP_DELETE ? "removed" : "written");
		r = -EINVAL;
	}
	upsd_users_free(u);
	conf_diag_free(&diag);
	return r < 0 ? r : 0;
}

static int
edit(const struct opts *o, const char *text, size_t len, const char *hash, char **out)
{
	switch (o->op) {
	case OP_ADD: return usersfile_add(text, len, o->user, hash, &o->extra, out);
	case OP_CHANGE: return usersfile_change(text, len, o->user, hash, out);
	case OP_DELETE: return usersfile_delete(text, len, o->user, out);
	}
	return -EINVAL;
}

static const char *
edit_error(int r, const struct opts *o)
{
	switch (r) {
	case -EEXIST: return "user already exists (use change)";
	case -ENOENT: return o->op == OP_DELETE ? "no such user" : "no such user (use add)";
	case -EINVAL: return "invalid user name or value (no spaces, quotes, [ ] # = or backslash)";
	case -E2BIG: return "file too large";
	default: return strerror(-r);
	}
}

/* Edit the file a symlink points to, so the rename keeps the link. */
static void
resolve_link(char *path, size_t size)
{
	char real[PATH_MAX];

	if (realpath(path, real) && strlen(real) < size)
		memcpy(path, real, strlen(real) + 1);
}

static void
warn_mode(const char *path, bool created)
{
	char msg[512];

	if (!created && conf_check_secret_file(path, msg, sizeof(msg)) == -EACCES)
		fprintf(stderr, "upspasswd: warning: %s\n", msg);
}

int
main(int argc, char **argv)
{
	struct opts o = {0};
	char path[PATH_MAX], pw[PASSWD_MAX_LEN + 2], hash[PASSWD_HASH_MAX];
	char *text = NULL, *out = NULL;
	struct stat st;
	size_t len = 0;
	int r, created;

	if (parse_args(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	if (usersfile_check_name(o.user) < 0) {
		fprintf(stderr, "upspasswd: invalid user name '%s'\n", o.user);
		return 1;
	}
	if (o.file)
		snprintf(path, sizeof(path), "%s", o.file);
	else if (paths_conf_file(path, sizeof(path), "upsd.users") < 0)
		return 1;
	resolve_link(path, sizeof(path));
	created = read_file(path, o.op == OP_ADD, &text, &len, &st);
	if (created < 0) {
		fprintf(stderr, "upspasswd: %s: %s\n", path, strerror(-created));
		return 1;
	}
	hash[0] = '\0';
	if (o.op != OP_DELETE) {
		if (o.op == OP_CHANGE && !usersfile_has_user(text, len, o.user)) {
			fprintf(stderr, "upspasswd: %s: %s: no such user (use add)\n", path, o.user);
			free(text);
			return 1;
		}
		if (o.op == OP_ADD && usersfile_has_user(text, len, o.user)) {
			fprintf(stderr, "upspasswd: %s: %s: user already exists (use change)\n", path, o.user);
			free(text);
			return 1;
		}
		r = get_password(&o, pw, sizeof(pw));
		if (r == 0 && (r = passwd_hash(pw, hash, sizeof(hash))) < 0)
			fprintf(stderr, "upspasswd: hashing failed: %s\n", strerror(-r));
		explicit_bzero(pw, sizeof(pw));
		if (r < 0) {
			free(text);
			return 1;
		}
	}
	r = edit(&o, text, len, hash, &out);
	if (r < 0) {
		fprintf(stderr, "upspasswd: %s: %s: %s\n", path, o.user, edit_error(r, &o));
	} else if ((r = validate(path, out, &o)) == 0 && (r = replace_file(path, out, &st)) < 0) {
		fprintf(stderr, "upspasswd: %s: %s\n", path, strerror(-r));
	}
	free(text);
	free(out);
	if (r < 0)
		return 1;
	warn_mode(path, created == 1);
	printf("upspasswd: %s: user %s %s\n", path, o.user,
	    o.op == OP_ADD ? "added" : o.op == OP_CHANGE ? "password changed" : "deleted");
	return 0;
}

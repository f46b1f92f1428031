/*
 * wfilter: oslo.rootwrap's filter classes, one match function each, with
 * oslo's exact semantics (including its quirks, which decide real
 * deployments) and a few deliberate refusals where oslo's behaviour is a
 * known hole; those are listed in docs/upswrap.md:
 *   - KillFilter only takes a plain decimal PID (oslo's int() also takes
 *     " 12", "+12", "1_2", which /bin/kill may read differently);
 *   - PathFilter requires the resolved path to be the directory or inside
 *     it (oslo's character prefix also lets /dir2 pass for /dir);
 *   - IpFilter refuses ip's batch option (-b/-batch), whose file or stdin
 *     could hold "netns exec".
 */
#include "wrap-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const netns_vars[] = {"net", "netn", "netns", NULL};
static const char *const exec_vars[] = {"e", "ex", "exe", "exec", NULL};

static const struct {
	const char *name;
	enum wf_class cls;
	int min_fields; /* constructor arguments required */
} classes[] = {
	{"CommandFilter", WF_COMMAND, 2},
	{"RegExpFilter", WF_REGEXP, 2},
	{"PathFilter", WF_PATH, 2},
	{"KillFilter", WF_KILL, 2},
	{"ReadFileFilter", WF_READFILE, 1},
	{"IpFilter", WF_IP, 2},
	{"EnvFilter", WF_ENV, 2},
	{"ChainingFilter", WF_CHAINING, 2},
	{"IpNetnsExecFilter", WF_IPNETNS, 2},
	{"ChainingRegExpFilter", WF_CHAINREGEXP, 2},
};

/* Other names of oslo_rootwrap.filters: oslo's loader finds them with
 * hasattr() and crashes calling them; here they make the file invalid. */
static const char *const module_names[] = {
	"os", "re", "shutil", "sys", "pwd", "NETNS_VARS", "EXEC_VARS", "_getuid", "realpath",
	"__name__", "__doc__", "__package__", "__loader__", "__spec__", "__file__",
	"__cached__", "__builtins__", NULL};

static bool
in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

void
wstrv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

void
wargs_free(struct wargs *a)
{
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

static void
pop_front(struct wargs *a)
{
	memmove(a->v, a->v + 1, (size_t)(a->n - 1) * sizeof(a->v[0]));
	a->n--;
}

/* Split value on ',' and strip each field, as oslo's loader does, in
 * place: the fields are pointers into value. */
static int
split_fields(char *value, const char ***fields, int *n)
{
	const char **v;
	char *p = value;
	int k = 1;

	for (const char *c = value; (c = strchr(c, ',')); c++)
		if (++k > WRAP_MAX_FILTER_ARGS)
			return -E2BIG;
	if (!(v = calloc((size_t)k + 1, sizeof(*v))))
		return -ENOMEM;
	for (int i = 0; i < k; i++) {
		char *c = strchr(p, ',');
		const char *b = p, *e = c ? c : p + strlen(p);
		wini_strip(&b, &e);
		p[e - p] = '\0';
		v[i] = b;
		p = c + 1; /* not read again when c is NULL: that was the last field */
	}
	*fields = v;
	*n = k;
	return 0;
}

/* Number of distinct names among the leading NAME=VALUE words (a set in
 * oslo), and the count of those leading words in *words. */
static int
env_names(const char *const *v, int n, char ***names_out)
{
	char **names = calloc((size_t)n + 1, sizeof(*names));
	int k = 0;

	if (!names)
		return -ENOMEM;
	for (int i = 0; i < n && strchr(v[i], '='); i++) {
		size_t len = (size_t)(strchr(v[i], '=') - v[i]);
		bool dup = false;
		for (int j = 0; j < k; j++)
			if (strlen(names[j]) == len && strncmp(names[j], v[i], len) == 0)
				dup = true;
		if (!dup && !(names[k++] = strndup(v[i], len))) {
			wstrv_free(names);
			return -ENOMEM;
		}
	}
	*names_out = names;
	return k;
}

static bool
same_name_sets(char **a, int na, char **b, int nb)
{
	if (na != nb)
		return false;
	for (int i = 0; i < na; i++) {
		bool found = false;
		for (int j = 0; j < nb && !found; j++)
			found = strcmp(a[i], b[j]) == 0;
		if (!found)
			return false;
	}
	return true;
}

static int
build_regexps(struct wfilter *f, char *err, size_t errlen)
{
	char e[256];

	f->re = calloc((size_t)f->nargs + 1, sizeof(*f->re));
	if (!f->re)
		return -ENOMEM;
	for (int i = 0; i < f->nargs; i++) {
		if (wre_check(f->args[i], e, sizeof(e)) < 0) {
			snprintf(err, errlen, "regular expression %d '%s': %s", i + 1, f->args[i],
				 e);
			return -EINVAL;
		}
	}
	return 0;
}

static int
set_args(struct wfilter *f, const char **fields, int from, int n)
{
	f->nargs = n - from > 0 ? n - from : 0;
	f->args = calloc((size_t)f->nargs + 1, sizeof(*f->args));
	if (!f->args)
		return -ENOMEM;
	for (int i = 0; i < f->nargs; i++)
		f->args[i] = fields[from + i];
	return 0;
}

/* The fields after the class name become the filter's (they live in
 * f->store). */
static int
construct(struct wfilter *f, const char **fl, int n, char *err, size_t errlen)
{
	int r;

	switch (f->cls) {
	case WF_KILL:
		f->exec_path = "/bin/kill";
		f->run_as = fl[1];
		r = set_args(f, fl, 2, n);
		break;
	case WF_READFILE:
		f->exec_path = "/bin/cat";
		f->run_as = "root";
		f->file_path = fl[1];
		r = set_args(f, fl, 2, n);
		break;
	default:
		f->exec_path = fl[1];
		f->run_as = fl[2];
		r = set_args(f, fl, 3, n);
		break;
	}
	if (r < 0)
		return r;
	if (f->cls == WF_ENV && strstr(f->exec_path, "env")) {
		char **names;
		int k = env_names(f->args, f->nargs, &names);
		if (k < 0)
			return k;
		wstrv_free(names);
		if (k < f->nargs)
			f->exec_path = f->args[k];
	}
	if (f->cls == WF_REGEXP || f->cls == WF_CHAINREGEXP)
		return build_regexps(f, err, errlen);
	return 0;
}

int
wfilter_build(struct wfilter *f, const char *name, const char *where, const char *value,
	      char *err, size_t errlen)
{
	size_t ln = strlen(name) + 1, lw = strlen(where) + 1, lv = strlen(value) + 1;
	const char **fl;
	int n, r;
	size_t i;

	memset(f, 0, sizeof(*f));
	if (!(f->store = malloc(ln + lw + lv))) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -EINVAL;
	}
	f->name = memcpy(f->store, name, ln);
	f->where = memcpy(f->store + ln, where, lw);
	if ((r = split_fields(memcpy(f->store + ln + lw, value, lv), &fl, &n)) < 0) {
		snprintf(err, errlen, "%s", r == -E2BIG ? "too many fields" : strerror(-r));
		wfilter_free(f);
		return -EINVAL;
	}
	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strcmp(fl[0], classes[i].name) == 0)
			break;
	if (i == sizeof(classes) / sizeof(classes[0])) {
		bool attr = in_list(fl[0], module_names);
		snprintf(err, errlen, "%s filter class '%s'",
			 attr ? "not a filter class:" : "unknown", fl[0]);
		r = attr ? -EINVAL : 1;
	} else if (n - 1 < classes[i].min_fields) {
		snprintf(err, errlen, "%s needs at least %d arguments, %d given", fl[0],
			 classes[i].min_fields, n - 1);
		r = -EINVAL;
	} else {
		f->cls = classes[i].cls;
		if ((r = construct(f, fl, n, err, errlen)) < 0 && r != -EINVAL)
			snprintf(err, errlen, "%s", strerror(-r));
		r = r < 0 ? -EINVAL : 0;
	}
	free(fl);
	if (r != 0)
		wfilter_free(f);
	return r;
}

void
wfilter_free(struct wfilter *f)
{
	free(f->store);
	free(f->args);
	if (f->re)
		for (int i = 0; i < f->nargs; i++)
			wre_free(f->re[i]);
	free(f->re);
	free(f->real_exec);
	memset(f, 0, sizeof(*f));
}

bool
wfilter_chaining(const struct wfilter *f)
{
	return f->cls == WF_CHAINING || f->cls == WF_IPNETNS || f->cls == WF_CHAINREGEXP;
}

static bool
command_match(const struct wfilter *f, const char *arg0)
{
	return strcmp(f->exec_path, arg0) == 0 || strcmp(wpy_basename(f->exec_path), arg0) == 0;
}

static bool
regexp_match(const struct wfilter *f, const struct wargs *a, bool prefix)
{
	if (a->n == 0 || (prefix ? f->nargs > a->n : f->nargs != a->n))
		return false;
	for (int i = 0; i < f->nargs; i++) {
		if (!f->re[i]) {
			/* compiled on first use: most filters never get this far */
			char e[256];
			if (!(f->re[i] = wre_compile(f->args[i], e, sizeof(e))))
				return false;
		}
		if (!wre_match(f->re[i], a->v[i]))
			return false;
	}
	return true;
}

static bool
is_abs(const char *p)
{
	return p[0] == '/';
}

/* The resolved path must be the directory or below it. */
static bool
path_within(const char *dir, const char *real)
{
	size_t n = strlen(dir);

	if (!wpy_prefix(dir, real))
		return false;
	return real[n] == '\0' || real[n] == '/' || (n > 0 && dir[n - 1] == '/');
}

static bool
path_match(const struct wfilter *f, const struct wargs *a)
{
	char real[WRAP_MAX_PATH];

	if (a->n < 2 || f->nargs != a->n - 1 || !command_match(f, a->v[0]))
		return false;
	for (int i = 0; i < f->nargs; i++) {
		const char *arg = f->args[i], *val = a->v[i + 1];
		if (!is_abs(arg)) {
			if (strcmp(arg, "pass") != 0 && strcmp(arg, val) != 0)
				return false;
			continue;
		}
		if (wpy_realpath(val, real) < 0 || !path_within(arg, real))
			return false;
	}
	return true;
}

/* A plain decimal PID, or -1. */
static long
parse_pid(const char *s)
{
	long v = 0;

	if (!*s || strlen(s) > 10)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static bool
isfile(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* shutil.which(cmd) with the caller's PATH; false if not found. */
static bool
which(const char *cmd, char *out)
{
	const char *path = getenv("PATH");
	struct stat st;
	char cand[WRAP_MAX_PATH];

	if (strchr(cmd, '/')) {
		if (stat(cmd, &st) == 0 && access(cmd, X_OK) == 0 && !S_ISDIR(st.st_mode)) {
			snprintf(out, WRAP_MAX_PATH, "%s", cmd);
			return true;
		}
		return false;
	}
	if (!path)
		path = "/bin:/usr/bin";
	if (!*path)
		return false;
	for (;;) {
		const char *c = strchr(path, ':');
		char dir[WRAP_MAX_PATH];
		size_t n = c ? (size_t)(c - path) : strlen(path);
		if (n < sizeof(dir)) {
			memcpy(dir, path, n);
			dir[n] = '\0';
			if (wpy_join(dir, cmd, cand) == 0 && stat(cand, &st) == 0 &&
			    access(cand, X_OK) == 0 && !S_ISDIR(st.st_mode)) {
				snprintf(out, WRAP_MAX_PATH, "%s", cand);
				return true;
			}
		}
		if (!c)
			break;
		path = c + 1;
	}
	return false;
}

/* KillFilter._program(pid): the executable of a process, or false. */
static bool
kill_program(const char *pidstr, char *cmd)
{
	char p[64], buf[WRAP_MAX_PATH], w[WRAP_MAX_PATH];
	long pid = parse_pid(pidstr);
	ssize_t n;
	FILE *fp;
	size_t len;

	if (pid < 0)
		return false;
	snprintf(p, sizeof(p), "/proc/%ld/exe", pid);
	n = readlink(p, cmd, WRAP_MAX_PATH - 1);
	if (n < 0)
		return false;
	cmd[n] = '\0';
	len = strlen(cmd);
	if (len >= 10 && strcmp(cmd + len - 10, " (deleted)") == 0)
		cmd[len - 10] = '\0';
	if (isfile(cmd))
		return true;
	/* renamed or deleted executable: defer to argv[0] (oslo does) */
	snprintf(p, sizeof(p), "/proc/%ld/cmdline", pid);
	fp = fopen(p, "re");
	if (!fp)
		return false;
	len = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[len] = '\0';
	if (which(buf, w) && isfile(w))
		snprintf(cmd, WRAP_MAX_PATH, "%s", w);
	return true;
}

static bool
dir_in_path(const char *dir)
{
	const char *path = getenv("PATH");
	size_t n = strlen(dir);

	if (!path)
		return n == 0;
	for (;;) {
		const char *c = strchr(path, ':');
		size_t l = c ? (size_t)(c - path) : strlen(path);
		if (l == n && strncmp(path, dir, n) == 0)
			return true;
		if (!c)
			return false;
		path = c + 1;
	}
}

static bool
kill_match(const struct wfilter *f, const struct wargs *a)
{
	char cmd[WRAP_MAX_PATH], dir[WRAP_MAX_PATH];
	const char *pid, *target = f->args[0];
	const char *base;

	if (a->n == 0 || strcmp(a->v[0], "kill") != 0)
		return false;
	if (a->n == 3) {
		bool ok = false;
		for (int i = 1; i < f->nargs && !ok; i++)
			ok = strcmp(a->v[1], f->args[i]) == 0;
		if (!ok)
			return false;
		pid = a->v[2];
	} else if (a->n == 2 && f->nargs <= 1) {
		pid = a->v[1];
	} else {
		return false;
	}
	if (!kill_program(pid, cmd) || !cmd[0])
		return false;
	if (is_abs(target))
		return strcmp(target, cmd) == 0;
	if (!is_abs(cmd))
		return false;
	base = wpy_basename(cmd);
	snprintf(dir, sizeof(dir), "%.*s", (int)(base - cmd), cmd);
	/* posixpath.dirname strips trailing slashes unless all slashes */
	for (size_t l = strlen(dir); l > 1 && dir[l - 1] == '/'; l--)
		dir[l - 1] = '\0';
	return strcmp(target, base) == 0 && dir_in_path(dir);
}

/* ip's batch option, in any spelling ip accepts, anywhere: options with
 * an argument (-n NS) may come before it, so no position is safe. */
static bool
ip_batch_option(const struct wargs *a)
{
	for (int i = 1; i < a->n; i++) {
		const char *o = a->v[i][0] == '-' && a->v[i][1] == '-' ? a->v[i] + 1 : a->v[i];
		size_t n = strlen(o);
		if (n >= 2 && strncmp(o, "-batch", n) == 0)
			return true;
	}
	return false;
}

static bool
ip_match(const struct wargs *a)
{
	if (a->n == 0 || strcmp(a->v[0], "ip") != 0)
		return false;
	if (ip_batch_option(a))
		return false;
	for (int i = 1; i + 1 < a->n; i++)
		if (in_list(a->v[i], netns_vars))
			return !in_list(a->v[i + 1], exec_vars);
	return true;
}

static bool
env_match(const struct wfilter *f, struct wargs *a)
{
	char **un = NULL, **fn = NULL;
	int nu, nf;
	bool ok;

	if (a->n == 0)
		return false;
	if (strcmp(a->v[0], "env") == 0)
		pop_front(a);
	if (a->n < f->nargs)
		return false;
	nu = env_names((const char *const *)a->v, a->n, &un);
	nf = env_names(f->args, f->nargs, &fn);
	if (nu < 0 || nf < 0) {
		wstrv_free(un);
		wstrv_free(fn);
		return false;
	}
	ok = nu < a->n && command_match(f, a->v[nu]) && nf > 0 &&
	     same_name_sets(un, nu, fn, nf);
	wstrv_free(un);
	wstrv_free(fn);
	return ok;
}

bool
wfilter_match(const struct wfilter *f, struct wargs *a)
{
	switch (f->cls) {
	case WF_COMMAND:
	case WF_CHAINING:
		return a->n > 0 && command_match(f, a->v[0]);
	case WF_REGEXP:
		return regexp_match(f, a, false);
	case WF_CHAINREGEXP:
		return regexp_match(f, a, true);
	case WF_PATH:
		return path_match(f, a);
	case WF_KILL:
		return kill_match(f, a);
	case WF_READFILE:
		return a->n == 2 && strcmp(a->v[0], "cat") == 0 &&
		       strcmp(a->v[1], f->file_path) == 0;
	case WF_IP:
		return ip_match(a);
	case WF_ENV:
		return env_match(f, a);
	case WF_IPNETNS:
		return strcmp(f->run_as, "root") == 0 && a->n >= 4 &&
		       strcmp(a->v[0], "ip") == 0 && in_list(a->v[1], netns_vars) &&
		       in_list(a->v[2], exec_vars);
	}
	return false;
}

int
wfilter_exec_args(const struct wfilter *f, const struct wargs *a, struct wargs *out)
{
	int skip = f->cls == WF_IPNETNS ? 4 : f->cls == WF_CHAINREGEXP ? f->nargs : a->n;

	out->n = a->n > skip ? a->n - skip : 0;
	out->v = calloc((size_t)out->n + 1, sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (int i = 0; i < out->n; i++)
		out->v[i] = a->v[skip + i];
	if (out->n > 0)
		out->v[0] += wpy_basename(out->v[0]) - out->v[0];
	return 0;
}

const char *
wfilter_get_exec(struct wfilter *f, char *const *dirs, size_t ndirs)
{
	char cand[WRAP_MAX_PATH];

	if (f->exec_done)
		return f->real_exec;
	f->exec_done = true;
	if (is_abs(f->exec_path)) {
		if (access(f->exec_path, X_OK) == 0)
			f->real_exec = strdup(f->exec_path);
		return f->real_exec;
	}
	for (size_t i = 0; i < ndirs; i++)
		if (wpy_join(dirs[i], f->exec_path, cand) == 0 && access(cand, X_OK) == 0) {
			f->real_exec = strdup(cand);
			break;
		}
	return f->real_exec;
}

static int
argv_push(char ***v, int *n, const char *s)
{
	char **nv = realloc(*v, (size_t)(*n + 2) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(s);
	nv[*n + 1] = NULL;
	if (!nv[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

int
wfilter_command(struct wfilter *f, const struct wargs *a, char *const *dirs, size_t ndirs,
		char ***argv)
{
	const char *exe = wfilter_get_exec(f, dirs, ndirs);
	char real[WRAP_MAX_PATH];
	char **v = NULL;
	int n = 0, from = 1, r;

	if ((r = argv_push(&v, &n, exe ? exe : f->exec_path)) < 0)
		goto fail;
	if (f->cls == WF_ENV) {
		/* exec_args(): drop "env" and the NAME=VALUE words, then the command */
		from = 0;
		if (from < a->n && strcmp(a->v[from], "env") == 0)
			from++;
		while (from < a->n && strchr(a->v[from], '='))
			from++;
		from++;
	}
	for (int i = from; i < a->n; i++) {
		const char *w = a->v[i];
		if (f->cls == WF_PATH && i - 1 < f->nargs && is_abs(f->args[i - 1])) {
			if (wpy_realpath(w, real) < 0) {
				r = -ENAMETOOLONG;
				goto fail;
			}
			w = real;
		}
		if (f->cls == WF_PATH && i - 1 >= f->nargs)
			break;
		if ((r = argv_push(&v, &n, w)) < 0)
			goto fail;
	}
	*argv = v;
	return 0;
fail:
	wstrv_free(v);
	return r;
}

int
wfilter_environment(const struct wfilter *f, struct wargs *a, char ***env)
{
	char **v = NULL;
	int n = 0, r;

	*env = NULL;
	if (f->cls == WF_ENV) {
		if (a->n > 0 && strcmp(a->v[0], "env") == 0)
			pop_front(a);
		for (int i = 0; i < a->n && strchr(a->v[i], '='); i++) {
			const char *eq = strchr(a->v[i], '=');
			if (eq == a->v[i] || eq[1] == '\0')
				continue; /* oslo sets only a non-empty name and value */
			if ((r = argv_push(&v, &n, a->v[i])) < 0) {
				wstrv_free(v);
				return r;
			}
		}
	}
	if (!v && !(v = calloc(1, sizeof(*v))))
		return -ENOMEM;
	*env = v;
	return 0;
}

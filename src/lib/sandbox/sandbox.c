/*
 * sandbox: apply a program's manifest in the one documented order
 * (chroot, bounding set, uid/gid, no_new_privs, Landlock, seccomp), resolve
 * the run-as user, and describe manifests and results.  See sandbox.h.
 */
#include "sandbox/sandbox.h"

#include "config.h"
#include "sandbox/landlock.h"
#include "sandbox/sys.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SANDBOX_PW_BUF 16384 /* getpwnam_r buffer */
#define SANDBOX_CAP_MAX 64   /* capability numbers probed when clearing the bounding set */

static void
sb_note(struct sandbox_report *r, const char *text)
{
	size_t len = strlen(r->notes);

	(void)snprintf(r->notes + len, sizeof(r->notes) - len, "%s%s", len ? "; " : "", text);
}

static int
sb_fail(struct sandbox_report *r, const char *step, int err)
{
	r->failed_step = step;
	return err;
}

/* Landlock is per thread: every thread must exist after the sandbox, not before. */
static int
sb_count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1; /* no /proc: cannot tell */
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
sb_chroot(const char *dir)
{
	if (chdir(dir) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return -errno;
	return 0;
}

/* Drop every capability not in `keep` from the bounding set; needs CAP_SETPCAP. */
static int
sb_clear_bounding(uint64_t keep)
{
	for (int cap = 0; cap < SANDBOX_CAP_MAX; cap++) {
		if (keep & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break; /* past the kernel's last capability */
			return -errno;
		}
	}
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return 0;
}

/* Set permitted and effective to `keep`, inheritable to nothing. */
static int
sb_capset(uint64_t keep)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	data[0].permitted = data[0].effective = (uint32_t)keep;
	data[1].permitted = data[1].effective = (uint32_t)(keep >> 32);
	if (syscall(SYS_capget, &hdr, NULL) < 0) /* fills in the kernel's version */
		return -errno;
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

static int
sb_change_user(const struct sandbox_user *u)
{
	uid_t ru, eu, su;

	if (setgroups(u->ngroups, u->groups) < 0)
		return -errno;
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return -errno;
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return -errno;
	/* Paranoia: root must be gone from every field, and unreachable. */
	if (getresuid(&ru, &eu, &su) < 0 || ru == 0 || eu == 0 || su == 0)
		return -EPERM;
	if (setuid(0) == 0)
		return -EPERM;
	return 0;
}

/* Steps 1-3: chroot, bounding set, identity.  Root-only parts are skipped otherwise. */
static int
sb_identity(const struct sandbox_manifest *m, struct sandbox_report *rep)
{
	bool root = geteuid() == 0;
	uint64_t keep = m->keep_root ? m->keep_caps : 0;
	int r;

	if (root && !m->keep_root && (!m->run_as || m->run_as->uid == 0))
		return sb_fail(rep, "run-as user", -EPERM);
	if (m->chroot_dir && root) {
		if ((r = sb_chroot(m->chroot_dir)) < 0)
			return sb_fail(rep, "chroot", r);
		rep->chrooted = true;
	} else if (m->chroot_dir) {
		sb_note(rep, "not root: no chroot");
	}
	r = sb_clear_bounding(keep);
	if (r == 0)
		rep->capbnd_cleared = true;
	else if (r == -EPERM)
		sb_note(rep, "capability bounding set not cleared (no CAP_SETPCAP: set "
			     "CapabilityBoundingSet= in the service)");
	else
		return sb_fail(rep, "capability bounding set", r);
	if (root && !m->keep_root) {
		if ((r = sb_change_user(m->run_as)) < 0)
			return sb_fail(rep, "setuid", r);
		rep->uid_changed = true;
	}
	/* Empties what a non-root start may have inherited (ambient, file caps). */
	if ((r = sb_capset(keep)) < 0 && !(r == -EPERM && !root))
		return sb_fail(rep, "capset", r);
	rep->uid = geteuid();
	rep->gid = getegid();
	return 0;
}

int
sandbox_apply(const struct sandbox_manifest *m, struct sandbox_report *rep)
{
	int r;

	memset(rep, 0, sizeof(*rep));
	if (sb_count_threads() > 1)
		return sb_fail(rep, "threads", -EBUSY);
	if ((r = sb_identity(m, rep)) < 0)
		return r;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return sb_fail(rep, "no_new_privs", -errno);
	rep->nnp = true;
	if ((r = sandbox_manifest_check_wx(m, &rep->failed_path, NULL)) < 0)
		return sb_fail(rep, "W^X", r);
	if (m->no_landlock)
		sb_note(rep, "landlock skipped (debug)");
	else if ((r = sandbox_landlock_apply(m, rep)) < 0)
		return sb_fail(rep, "landlock", r);
	if ((r = sandbox_sys_load(m->syscalls, m->seccomp_log)) < 0)
		return sb_fail(rep, "seccomp", r);
	rep->seccomp = true;
	rep->seccomp_log = m->seccomp_log;
	rep->syscalls = sandbox_sys_normalize(m->syscalls);
	if (rep->paths_missing)
		sb_note(rep, "some manifest paths do not exist");
	return 0;
}

/* ---- run-as user ---- */

static int
sb_fill_user(const struct passwd *pw, struct sandbox_user *ret)
{
	int n = SANDBOX_MAX_GROUPS;
	gid_t groups[SANDBOX_MAX_GROUPS];

	if (strlen(pw->pw_name) >= sizeof(ret->name))
		return -ENAMETOOLONG;
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return -E2BIG;
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->name, pw->pw_name, strlen(pw->pw_name) + 1);
	ret->uid = pw->pw_uid;
	ret->gid = pw->pw_gid;
	memcpy(ret->groups, groups, (size_t)n * sizeof(gid_t));
	ret->ngroups = (size_t)n;
	return 0;
}

int
sandbox_user_resolve(const char *opt_user, const char *conf_user, const char *conf_hint,
    struct sandbox_user *ret, char *err, size_t errsz)
{
	const char *name = RUN_AS_USER, *from = "the build default";
	char buf[SANDBOX_PW_BUF];
	struct passwd pw, *found = NULL;
	int r;

	if (conf_user && *conf_user) {
		name = conf_user;
		from = conf_hint ? conf_hint : "the configuration";
	}
	if (opt_user && *opt_user) {
		name = opt_user;
		from = "-u";
	}
	r = getpwnam_r(name, &pw, buf, sizeof(buf), &found);
	if (r != 0 || !found) {
		(void)snprintf(err, errsz,
		    "run-as user '%s' (from %s) does not exist: create it (useradd --system %s) "
		    "or name another user with -u USER or %s",
		    name, from, name, conf_hint ? conf_hint : "the configuration's user directive");
		return -ENOENT;
	}
	if (found->pw_uid == 0) {
		(void)snprintf(err, errsz,
		    "run-as user '%s' (from %s) is root: name an unprivileged user with -u USER or %s",
		    name, from, conf_hint ? conf_hint : "the configuration's user directive");
		return -EPERM;
	}
	r = sb_fill_user(found, ret);
	if (r < 0)
		(void)snprintf(err, errsz, "run-as user '%s': %s", name, strerror(-r));
	return r;
}

/* ---- building manifests ---- */

static int
sb_add_path(const char **list, const char *path)
{
	if (!path || !*path)
		return -EINVAL;
	for (size_t i = 0; i < SANDBOX_MAX_PATHS; i++) {
		if (!list[i]) {
			list[i] = path;
			return 0;
		}
	}
	return -E2BIG;
}

int
sandbox_manifest_add_read(struct sandbox_manifest *m, const char *path)
{
	return sb_add_path(m->read, path);
}

int
sandbox_manifest_add_write(struct sandbox_manifest *m, const char *path)
{
	return sb_add_path(m->write, path);
}

int
sandbox_manifest_add_device(struct sandbox_manifest *m, const char *path)
{
	return sb_add_path(m->devices, path);
}

int
sandbox_manifest_add_exec(struct sandbox_manifest *m, const char *path)
{
	return sb_add_path(m->exec, path);
}

int
sandbox_manifest_add_unix_listen(struct sandbox_manifest *m, const char *path)
{
	return sb_add_path(m->unix_listen, path);
}

int
sandbox_manifest_add_unix_connect(struct sandbox_manifest *m, const char *path)
{
	return sb_add_path(m->unix_connect, path);
}

int
sandbox_manifest_add_bind(struct sandbox_manifest *m, uint16_t port)
{
	if (port == 0)
		return -EINVAL;
	for (size_t i = 0; i < SANDBOX_MAX_PORTS; i++) {
		if (m->bind_ports[i] == port)
			return 0;
		if (!m->bind_ports[i]) {
			m->bind_ports[i] = port;
			return 0;
		}
	}
	return -E2BIG;
}

int
sandbox_manifest_add_connect(struct sandbox_manifest *m, const char *host, uint16_t port)
{
	if (port == 0 || !host || !*host)
		return -EINVAL;
	for (size_t i = 0; i < SANDBOX_MAX_CONNECT; i++) {
		if (!m->connect[i].port) {
			m->connect[i].host = host;
			m->connect[i].port = port;
			return 0;
		}
	}
	return -E2BIG;
}

/* ---- W^X ---- */

/* The canonical form of `path` when it exists, else the path as written. */
static const char *
sb_canon(const char *path, char *buf)
{
	return realpath(path, buf) ? buf : path;
}

/* `inner` is `outer` or lies beneath it (both canonical or both as written). */
static bool
sb_path_within(const char *inner, const char *outer)
{
	size_t n = strlen(outer);

	if (n == 1 && outer[0] == '/')
		return inner[0] == '/';
	while (n > 1 && outer[n - 1] == '/')
		n--;
	return strncmp(inner, outer, n) == 0 && (inner[n] == '\0' || inner[n] == '/');
}

static bool
sb_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Does the exec tree `dir` overlap a write or device entry?  Returns it, or NULL. */
static const char *
sb_wx_conflict(const struct sandbox_manifest *m, const char *dir)
{
	const char *const *lists[] = {m->write, m->devices};
	char a[PATH_MAX], b[PATH_MAX];
	const char *x = sb_canon(dir, a);

	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		for (size_t i = 0; i < SANDBOX_MAX_PATHS && lists[l][i]; i++) {
			const char *w = sb_canon(lists[l][i], b);
			if (sb_path_within(w, x) || sb_path_within(x, w))
				return lists[l][i];
		}
	}
	return NULL;
}

int
sandbox_manifest_check_wx(const struct sandbox_manifest *m, const char **exec_path,
    const char **write_path)
{
	for (size_t i = 0; i < SANDBOX_MAX_PATHS && m->exec[i]; i++) {
		const char *w;
		if (!sb_is_dir(m->exec[i]))
			continue; /* a file: its rule binds to that inode */
		if ((w = sb_wx_conflict(m, m->exec[i]))) {
			if (exec_path)
				*exec_path = m->exec[i];
			if (write_path)
				*write_path = w;
			return -EPERM;
		}
	}
	return 0;
}

int
sandbox_manifest_add_exec_dir(struct sandbox_manifest *m, const char *dir)
{
	if (!dir || !*dir)
		return -EINVAL;
	if (sb_wx_conflict(m, dir))
		return -EPERM;
	return sb_add_path(m->exec, dir);
}

/* ---- describing ---- */

static void
sb_print_list(FILE *out, const char *label, const char *const *list)
{
	fprintf(out, "  %-16s", label);
	if (!list[0])
		fputs(" none", out);
	for (size_t i = 0; i < SANDBOX_MAX_PATHS && list[i]; i++)
		fprintf(out, " %s", list[i]);
	fputc('\n', out);
}

static void
sb_print_identity(const struct sandbox_manifest *m, FILE *out)
{
	if (m->keep_root)
		fprintf(out, "  %-16s stays root (capabilities kept: %#llx)\n", "identity:",
		    (unsigned long long)m->keep_caps);
	else
		fprintf(out, "  %-16s %s when started as root (-u USER overrides)\n", "run as:",
		    m->run_as ? m->run_as->name : RUN_AS_USER);
	fprintf(out, "  %-16s %s\n", "chroot:", m->chroot_dir ? m->chroot_dir : "none");
}

static void
sb_print_net(const struct sandbox_manifest *m, FILE *out)
{
	fprintf(out, "  %-16s", "tcp bind:");
	if (!m->bind_ports[0])
		fputs(" none", out);
	for (size_t i = 0; i < SANDBOX_MAX_PORTS && m->bind_ports[i]; i++)
		fprintf(out, " %u", m->bind_ports[i]);
	fprintf(out, "\n  %-16s", "tcp connect:");
	if (!m->connect[0].port)
		fputs(" none", out);
	for (size_t i = 0; i < SANDBOX_MAX_CONNECT && m->connect[i].port; i++)
		fprintf(out, " %s:%u", m->connect[i].host, m->connect[i].port);
	fputs("\n  (Landlock enforces TCP ports only, not addresses; UDP is not covered)\n", out);
}

void
sandbox_manifest_print(const struct sandbox_manifest *m, FILE *out)
{
	char groups[256];

	fprintf(out, "Sandbox manifest%s%s%s:\n", m->program ? " (" : "",
	    m->program ? m->program : "", m->program ? ")" : "");
	sb_print_identity(m, out);
	sb_print_list(out, "reads:", m->read);
	sb_print_list(out, "writes:", m->write);
	sb_print_list(out, "devices:", m->devices);
	sb_print_list(out, "executes:", m->exec);
	sb_print_list(out, "unix creates:", m->unix_listen);
	sb_print_list(out, "unix connects:", m->unix_connect);
	sb_print_net(m, out);
	if (sandbox_sys_format(sandbox_sys_normalize(m->syscalls), groups, sizeof(groups)) < 0)
		memcpy(groups, "?", 2);
	fprintf(out, "  %-16s %s (others %s)\n", "syscalls:", groups,
	    m->seccomp_log ? "logged: debug mode" : "kill the process");
	fputs("  always: no_new_privs, empty capability bounding set, no capabilities\n", out);
}

int
sandbox_report_format(const struct sandbox_report *r, char *buf, size_t size)
{
	char groups[256];
	int n;

	if (sandbox_sys_format(r->syscalls, groups, sizeof(groups)) < 0)
		memcpy(groups, "?", 2);
	n = snprintf(buf, size,
	    "sandbox: uid %u gid %u%s, chroot %s, bounding set %s, no_new_privs %s, "
	    "landlock ABI %d (fs %s, tcp %s, scope %s, %u rules), seccomp %s [%s]%s%s",
	    (unsigned)r->uid, (unsigned)r->gid, r->uid_changed ? " (dropped)" : "",
	    r->chrooted ? "yes" : "no", r->capbnd_cleared ? "cleared" : "NOT cleared",
	    r->nnp ? "on" : "off", r->landlock_abi, r->landlock_fs ? "on" : "off",
	    r->landlock_net ? "on" : "off", r->landlock_scope ? "on" : "off", r->landlock_rules,
	    !r->seccomp ? "off" : r->seccomp_log ? "log-only" : "kill", groups,
	    r->notes[0] ? "; " : "", r->notes);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

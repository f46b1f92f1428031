/*
 * scriptbox: the manifest of the processes that run scripts ([notify],
 * upssched's timer).  The principle is in scriptbox.h.
 */
#include "scriptbox.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "str.h"

/* Where programs live: read + execute beneath (none of it is writable). */
static const char *const sb_program_trees[] = {"/usr",   "/bin",   "/sbin",   "/lib",
                                               "/lib32", "/lib64", "/libx32", "/opt"};

/* Read only: configuration, the resolver, utmp for wall, /proc for ps and pidof. */
static const char *const sb_read[] = {
    "/etc",         "/proc",      "/run/utmp", "/run/systemd/resolve", "/sys/devices/system/cpu",
    "/dev/urandom", "/dev/random"};

/* Scratch space scripts conventionally use, and the harmless device files. */
static const char *const sb_write[] = {"/tmp", "/var/tmp", "/dev/null", "/dev/zero", "/dev/full"};

/* wall(1) writes to terminals. */
static const char *const sb_devices[] = {"/dev/pts", "/dev/tty"};

#define SB_N(a) (sizeof(a) / sizeof((a)[0]))

void
scriptbox_init(struct scriptbox *sb, const char *program)
{
	bool describe = sb->describe; /* set by the caller before init */

	memset(sb, 0, sizeof(*sb));
	sb->describe = describe;
	sb->m.program = program;
	for (size_t i = 0; i < SB_N(sb_read); i++)
		if (access(sb_read[i], F_OK) == 0)
			(void)sandbox_manifest_add_read(&sb->m, sb_read[i]);
	(void)sandbox_manifest_add_read(&sb->m, paths_confdir());
	(void)sandbox_manifest_add_read(&sb->m, paths_statepath());
	for (size_t i = 0; i < SB_N(sb_write); i++)
		(void)sandbox_manifest_add_write(&sb->m, sb_write[i]);
	for (size_t i = 0; i < SB_N(sb_devices); i++)
		if (access(sb_devices[i], F_OK) == 0)
			(void)sandbox_manifest_add_device(&sb->m, sb_devices[i]);
	(void)sandbox_manifest_add_unix_connect(&sb->m, "/dev/log");
	/* unix-server: upssched (run as NOTIFYCMD) creates the PIPEFN socket. */
	sb->m.syscalls = SANDBOX_SYS_SPAWN | SANDBOX_SYS_EXEC | SANDBOX_SYS_FILE_WRITE |
	                 SANDBOX_SYS_UNIX_SERVER | SANDBOX_SYS_EVENT;
	sb->m.allow_signals = true; /* `upsmon -c fsd` from a script */
}

/* Keep a copy of `s` for the manifest to point at. */
static const char *
sb_own(struct scriptbox *sb, const char *s, size_t len)
{
	if (sb->nowned == SCRIPTBOX_MAX_OWNED || len >= PATH_MAX)
		return NULL;
	char *p = sb->owned[sb->nowned++];
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* The directory of `file` as an owned string; "/" for a top-level file. */
static const char *
sb_dir_of(struct scriptbox *sb, const char *file)
{
	const char *slash = strrchr(file, '/');

	if (!slash)
		return NULL; /* a bare name is found through PATH: the program trees */
	return sb_own(sb, file, slash == file ? 1 : (size_t)(slash - file));
}

int
scriptbox_add_optins(struct scriptbox *sb, const struct script_optins *o)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < o->nwrite; i++)
		r = sandbox_manifest_add_write(&sb->m, o->write[i]);
	for (size_t i = 0; r >= 0 && i < o->nconnect; i++)
		r = sandbox_manifest_add_connect(&sb->m, o->connect[i].host,
		                                 (uint16_t)o->connect[i].port);
	if (o->nconnect)
		sb->m.syscalls |= SANDBOX_SYS_NET_CLIENT;
	return r;
}

int
scriptbox_add_write_dir_of(struct scriptbox *sb, const char *file)
{
	const char *dir = sb_dir_of(sb, file);

	return dir ? sandbox_manifest_add_write(&sb->m, dir) : -EINVAL;
}

/* A script's or our own directory: a program tree unless writable here. */
static int
sb_add_dir(struct scriptbox *sb, const char *dir)
{
	int r = sandbox_manifest_add_exec_dir(&sb->m, dir);

	if (r == -EPERM && sb->nwx_dropped < SCRIPTBOX_MAX_OWNED) {
		sb->wx_dropped[sb->nwx_dropped++] = dir;
		return 0;
	}
	return r;
}

int
scriptbox_add_script(struct scriptbox *sb, const char *path)
{
	const char *dir = sb_dir_of(sb, path);
	int r;

	if (!dir)
		return 0; /* found through PATH: must be in a program tree */
	r = sandbox_manifest_add_exec(&sb->m, path);
	if (r >= 0)
		r = sb_add_dir(sb, dir);
	return r;
}

int
scriptbox_finish(struct scriptbox *sb, const char **conflict, const char **write)
{
	char self[PATH_MAX];
	ssize_t n;
	int r;

	for (size_t i = 0; i < SB_N(sb_program_trees); i++) {
		if (access(sb_program_trees[i], F_OK) < 0)
			continue; /* e.g. /libx32 */
		r = sandbox_manifest_add_exec_dir(&sb->m, sb_program_trees[i]);
		if (r == -EPERM) {
			/* name the writable entry the tree collides with */
			struct sandbox_manifest probe = sb->m;
			memset(probe.exec, 0, sizeof(probe.exec));
			probe.exec[0] = sb_program_trees[i];
			*conflict = sb_program_trees[i];
			(void)sandbox_manifest_check_wx(&probe, NULL, write);
			return -EPERM;
		}
		if (r < 0)
			return r;
	}
	/* Our own directory: upssched and `upsmon -c fsd` live beside us. */
	if (sb->describe)
		return sandbox_manifest_add_exec(&sb->m, "<its own directory>");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		const char *dir = sb_dir_of(sb, self);
		if (dir && (r = sb_add_dir(sb, dir)) < 0)
			return r;
	}
	return 0;
}

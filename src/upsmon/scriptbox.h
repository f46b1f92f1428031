/*
 * scriptbox: the sandbox of the processes that run the administrator's
 * scripts: upsmon [notify] (NOTIFYCMD, wall) and upssched's timer process
 * (CMDSCRIPT).  One principle, so both read the same:
 *
 *   read      /etc, /usr, /proc, /run/utmp, the resolver's files, the
 *             configuration directory and STATEPATH (`upsmon -c fsd`
 *             reads the pid files there)
 *   execute   (read + execute beneath) where programs live: /usr, /bin,
 *             /sbin, /lib*, /opt, the directory of the running program
 *             (upssched, `upsmon -c fsd`) and of each configured script;
 *             a script's directory that is writable by this sandbox is
 *             left out and only the script itself may be executed
 *   write     /tmp, /var/tmp, /dev/null, /dev/zero, /dev/full; ttys for
 *             wall (/dev/pts, /dev/tty, /dev/console); plus what the
 *             caller adds (upssched's PIPEFN/LOCKFN directories, the
 *             NOTIFYCMD_WRITE / CMDSCRIPT_WRITE opt-ins)
 *   W^X       nothing writable is executable (sandbox_manifest_check_wx):
 *             a program dropped into /tmp cannot be run
 *   TCP       no bind, no connect (Landlock ABI >= 4) and no TCP/UDP
 *             sockets at all (seccomp), unless the caller adds a connect
 *             opt-in (NOTIFYCMD_CONNECT / CMDSCRIPT_CONNECT): then
 *             connect to those ports only and the net-client syscalls
 *   signals   may signal outside its Landlock domain (`upsmon -c fsd`
 *             from a script signals upsmon)
 *
 * Children inherit all of it: a script is as confined as its runner.
 */
#ifndef UPSMON_SCRIPTBOX_H
#define UPSMON_SCRIPTBOX_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/upsmon_conf.h"
#include "sandbox/sandbox.h"

#define SCRIPTBOX_MAX_OWNED 16 /* paths computed here (directories of files) */

struct scriptbox {
	struct sandbox_manifest m;
	char owned[SCRIPTBOX_MAX_OWNED][PATH_MAX]; /* storage the manifest points into */
	size_t nowned;
	const char *wx_dropped[SCRIPTBOX_MAX_OWNED]; /* script dirs left out for W^X */
	size_t nwx_dropped;
	bool describe; /* for -h: name "<own directory>" instead of this build's path */
};

/* The defaults above, syscall groups for running scripts; `program` names it.
 * Clears *sb except `describe`. */
void scriptbox_init(struct scriptbox *sb, const char *program);

/* The admin's opt-ins: writable paths, and TCP destinations (the Landlock
 * port and the net-client syscalls).  0, -E2BIG, -EINVAL. */
int scriptbox_add_optins(struct scriptbox *sb, const struct script_optins *o);

/* The directory holding `file` (a socket or lock file) becomes writable. */
int scriptbox_add_write_dir_of(struct scriptbox *sb, const char *file);

/* A configured script: the file, and its directory when W^X allows it. */
int scriptbox_add_script(struct scriptbox *sb, const char *path);

/*
 * Add the program trees (call after every write entry).  -EPERM when a
 * writable opt-in lies inside or above one of them: *conflict names the
 * tree, *write the writable path.
 */
int scriptbox_finish(struct scriptbox *sb, const char **conflict, const char **write);

#endif

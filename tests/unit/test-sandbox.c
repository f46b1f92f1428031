/*
 * Unit tests for the sandbox manifest and profile logic: syscall group
 * tables, parsing and formatting, the manifest bounds, run-as user
 * resolution, report and manifest printing, and the refusal to run as root
 * without a run-as user (in a child process).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "sandbox/sandbox.h"
#include "sandbox/sys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void
test_tables_resolve(void **state)
{
	(void)state;
	assert_int_equal(sandbox_sys_check_tables(), 0);
}

static void
test_parse_format(void **state)
{
	unsigned g = 0;
	char buf[256];

	(void)state;
	assert_int_equal(sandbox_sys_parse("event,net-server", &g), 0);
	assert_true(g & SANDBOX_SYS_BASE); /* implied */
	assert_true(g & SANDBOX_SYS_EVENT);
	assert_true(g & SANDBOX_SYS_NET_SERVER);
	assert_false(g & SANDBOX_SYS_NET_CLIENT);
	assert_true(sandbox_sys_format(g, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "base,event,net-server");

	assert_int_equal(sandbox_sys_parse("exec", &g), 0);
	assert_true(g & SANDBOX_SYS_SPAWN); /* exec implies spawn */

	assert_int_equal(sandbox_sys_parse("", &g), 0);
	assert_int_equal(g, SANDBOX_SYS_BASE);
	assert_int_equal(sandbox_sys_parse("event,bogus", &g), -EINVAL);
	assert_int_equal(sandbox_sys_parse("eventx", &g), -EINVAL);
	assert_int_equal(sandbox_sys_parse(NULL, &g), -EINVAL);

	assert_int_equal(sandbox_sys_format(SANDBOX_SYS_ALL, buf, 8), -ENOSPC);
	assert_int_equal(sandbox_sys_format(SANDBOX_SYS_ALL, buf, 0), -ENOSPC);
	assert_true(sandbox_sys_format(SANDBOX_SYS_ALL, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "device"));
}

static void
test_allows(void **state)
{
	(void)state;
	/* the base every program gets: glibc, libevent, sanitizers */
	const char *base[] = {"read", "write", "close", "openat", "mmap", "munmap", "madvise",
	    "sigaltstack", "sched_yield", "readlink", "futex", "getrandom", "clock_gettime",
	    "rt_sigreturn", "exit_group", "sendto", "connect"};
	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
		assert_true(sandbox_sys_allows(0, base[i]));
	assert_false(sandbox_sys_allows(0, "execve"));
	assert_false(sandbox_sys_allows(0, "ptrace"));
	assert_false(sandbox_sys_allows(0, "bind"));
	assert_false(sandbox_sys_allows(0, "epoll_wait"));
	assert_false(sandbox_sys_allows(0, "clone"));
	assert_false(sandbox_sys_allows(SANDBOX_SYS_ALL, "ptrace"));
	assert_false(sandbox_sys_allows(SANDBOX_SYS_ALL, "swapoff"));
	assert_true(sandbox_sys_allows(SANDBOX_SYS_EVENT, "epoll_wait"));
	assert_true(sandbox_sys_allows(SANDBOX_SYS_EVENT, "eventfd2"));
	assert_true(sandbox_sys_allows(SANDBOX_SYS_NET_SERVER, "accept4"));
	assert_false(sandbox_sys_allows(SANDBOX_SYS_NET_CLIENT, "listen"));
	assert_true(sandbox_sys_allows(SANDBOX_SYS_UNIX_SERVER, "bind"));
	assert_true(sandbox_sys_allows(SANDBOX_SYS_EXEC, "execve"));
	assert_true(sandbox_sys_allows(SANDBOX_SYS_EXEC, "wait4")); /* via spawn */
	/* what shells and coreutils run by NOTIFYCMD need (tr died of fadvise64) */
	assert_true(sandbox_sys_allows(SANDBOX_SYS_EXEC, "fadvise64"));
	assert_true(sandbox_sys_allows(SANDBOX_SYS_EXEC, "chdir"));
	assert_false(sandbox_sys_allows(SANDBOX_SYS_NET_SERVER, "chdir"));
	assert_false(sandbox_sys_allows(SANDBOX_SYS_SPAWN, "execve"));
	assert_true(sandbox_sys_allows(SANDBOX_SYS_FILE_WRITE, "renameat2"));
	assert_false(sandbox_sys_allows(0, "unlink"));
	assert_true(sandbox_sys_allows(0, "socket")); /* by argument */
	assert_true(sandbox_sys_allows(0, "ioctl"));  /* by argument */
	assert_int_equal(sandbox_sys_normalize(1u << 30), SANDBOX_SYS_BASE);
	assert_non_null(sandbox_sys_describe(SANDBOX_SYS_NET_CLIENT));
	assert_null(sandbox_sys_describe(1u << 30));
}

static void
test_manifest_bounds(void **state)
{
	struct sandbox_manifest m = {0};
	char names[SANDBOX_MAX_PATHS + 1][16];

	(void)state;
	for (int i = 0; i < SANDBOX_MAX_PATHS; i++) {
		snprintf(names[i], sizeof(names[i]), "/p%d", i);
		assert_int_equal(sandbox_manifest_add_read(&m, names[i]), 0);
	}
	assert_int_equal(sandbox_manifest_add_read(&m, "/one-too-many"), -E2BIG);
	assert_string_equal(m.read[SANDBOX_MAX_PATHS - 1], names[SANDBOX_MAX_PATHS - 1]);
	assert_int_equal(sandbox_manifest_add_write(&m, NULL), -EINVAL);
	assert_int_equal(sandbox_manifest_add_write(&m, ""), -EINVAL);
	assert_int_equal(sandbox_manifest_add_write(&m, "/w"), 0);
	assert_int_equal(sandbox_manifest_add_device(&m, "/dev/ttyS0"), 0);
	assert_int_equal(sandbox_manifest_add_exec(&m, "/bin/true"), 0);
	assert_int_equal(sandbox_manifest_add_unix_listen(&m, "/run/x/s"), 0);
	assert_int_equal(sandbox_manifest_add_unix_connect(&m, "/dev/log"), 0);
	assert_string_equal(m.devices[0], "/dev/ttyS0");
	assert_null(m.devices[1]);

	assert_int_equal(sandbox_manifest_add_bind(&m, 0), -EINVAL);
	assert_int_equal(sandbox_manifest_add_bind(&m, 3493), 0);
	assert_int_equal(sandbox_manifest_add_bind(&m, 3493), 0); /* deduplicated */
	assert_int_equal(m.bind_ports[1], 0);
	for (int i = 1; i < SANDBOX_MAX_PORTS; i++)
		assert_int_equal(sandbox_manifest_add_bind(&m, (uint16_t)(4000 + i)), 0);
	assert_int_equal(sandbox_manifest_add_bind(&m, 5000), -E2BIG);

	assert_int_equal(sandbox_manifest_add_connect(&m, "localhost", 0), -EINVAL);
	assert_int_equal(sandbox_manifest_add_connect(&m, NULL, 1), -EINVAL);
	for (int i = 0; i < SANDBOX_MAX_CONNECT; i++)
		assert_int_equal(sandbox_manifest_add_connect(&m, "h", (uint16_t)(100 + i)), 0);
	assert_int_equal(sandbox_manifest_add_connect(&m, "h", 9), -E2BIG);
}

static void
test_user_resolve(void **state)
{
	struct sandbox_user u;
	char err[512] = "";

	(void)state;
	assert_int_equal(sandbox_user_resolve("no-such-user-xyz", "other", "'user =' in upsd.conf",
			     &u, err, sizeof(err)),
	    -ENOENT);
	assert_non_null(strstr(err, "no-such-user-xyz"));
	assert_non_null(strstr(err, "-u USER"));
	assert_non_null(strstr(err, "'user =' in upsd.conf"));
	assert_non_null(strstr(err, "from -u"));

	/* the directive is used when there is no -u */
	assert_int_equal(sandbox_user_resolve(NULL, "no-such-conf-user", "RUN_AS_USER in upsmon.conf",
			     &u, err, sizeof(err)),
	    -ENOENT);
	assert_non_null(strstr(err, "no-such-conf-user"));
	assert_non_null(strstr(err, "from RUN_AS_USER in upsmon.conf"));

	/* root is never a run-as user */
	assert_int_equal(sandbox_user_resolve("root", NULL, NULL, &u, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "is root"));

	/* an existing unprivileged user: nobody exists on every Debian system */
	assert_int_equal(sandbox_user_resolve("nobody", "root", "x", &u, err, sizeof(err)), 0);
	assert_string_equal(u.name, "nobody");
	assert_true(u.uid != 0);
	assert_true(u.ngroups >= 1 && u.ngroups <= SANDBOX_MAX_GROUPS);
}

static void
test_report_format(void **state)
{
	struct sandbox_report r = {.uid = 999, .gid = 995, .uid_changed = true, .nnp = true,
	    .capbnd_cleared = true, .landlock_abi = 7, .landlock_fs = true, .landlock_net = true,
	    .landlock_rules = 3, .seccomp = true, .syscalls = SANDBOX_SYS_BASE | SANDBOX_SYS_EVENT};
	char buf[1024], tiny[16];

	(void)state;
	assert_true(sandbox_report_format(&r, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "uid 999"));
	assert_non_null(strstr(buf, "landlock ABI 7"));
	assert_non_null(strstr(buf, "tcp on"));
	assert_non_null(strstr(buf, "seccomp kill [base,event]"));
	assert_int_equal(sandbox_report_format(&r, tiny, sizeof(tiny)), -ENOSPC);
	strcpy(r.notes, "landlock ABI < 4: TCP bind/connect not restricted");
	r.seccomp_log = true;
	assert_true(sandbox_report_format(&r, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "log-only"));
	assert_non_null(strstr(buf, "not restricted"));
}

static void
test_manifest_print(void **state)
{
	struct sandbox_manifest m = {.program = "upsd",
	    .read = {"/etc/upsguard"},
	    .write = {"/run/upsguard"},
	    .bind_ports = {3493},
	    .syscalls = SANDBOX_SYS_EVENT | SANDBOX_SYS_NET_SERVER};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	sandbox_manifest_print(&m, f);
	fclose(f);
	assert_non_null(strstr(text, "Sandbox manifest (upsd)"));
	assert_non_null(strstr(text, "/etc/upsguard"));
	char *bind = strstr(text, "tcp bind:");
	assert_non_null(bind);
	assert_true(strstr(bind, "3493") < strchr(bind, '\n'));
	char *conn = strstr(text, "tcp connect:");
	assert_non_null(conn);
	assert_true(strstr(conn, "none") < strchr(conn, '\n'));
	assert_non_null(strstr(text, "base,event,net-server"));
	assert_non_null(strstr(text, RUN_AS_USER));
	assert_non_null(strstr(text, "ports only"));
	free(text);
}

/* As root, no run-as user and no keep_root: refused before anything changes. */
static void
test_apply_refuses_root_without_user(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	if (geteuid() != 0) {
		/* Only meaningful as root; as a user, check the refusal of threads instead. */
		struct sandbox_manifest m = {0};
		struct sandbox_report r;
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			m.seccomp_log = true;
			_exit(sandbox_apply(&m, &r) == 0 && r.nnp ? 0 : 1);
		}
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		return;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sandbox_manifest m = {0};
		struct sandbox_report r;
		int rc = sandbox_apply(&m, &r);
		_exit(rc == -EPERM && strcmp(r.failed_step, "run-as user") == 0 && geteuid() == 0 ? 0
												: 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* W^X: a program tree never overlaps a written path; a single program may. */
static void
test_check_wx(void **state)
{
	char dir[] = "/tmp/upsguard-wx-XXXXXX";
	char sub[64], prog[64], near[64];
	const char *e = NULL, *w = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	(void)snprintf(sub, sizeof(sub), "%s/bin", dir);
	(void)snprintf(prog, sizeof(prog), "%s/notify.sh", dir);
	(void)snprintf(near, sizeof(near), "%sx", dir); /* a sibling sharing the prefix */
	assert_int_equal(mkdir(sub, 0755), 0);
	int fd = open(prog, O_WRONLY | O_CREAT, 0755);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(mkdir(near, 0755), 0);

	struct sandbox_manifest m = {.write = {dir}, .exec = {"/usr", "/bin", prog}};
	assert_int_equal(sandbox_manifest_check_wx(&m, &e, &w), 0); /* a file in a written tree */

	m.exec[3] = sub; /* a tree inside a written tree */
	assert_int_equal(sandbox_manifest_check_wx(&m, &e, &w), -EPERM);
	assert_string_equal(e, sub);
	assert_string_equal(w, dir);

	struct sandbox_manifest up = {.write = {sub}, .exec = {dir}}; /* written inside a tree */
	assert_int_equal(sandbox_manifest_check_wx(&up, &e, &w), -EPERM);
	struct sandbox_manifest dev = {.devices = {sub}, .exec = {dir}};
	assert_int_equal(sandbox_manifest_check_wx(&dev, NULL, NULL), -EPERM);
	struct sandbox_manifest slash = {.write = {"/tmp/"}, .exec = {"/tmp"}};
	assert_int_equal(sandbox_manifest_check_wx(&slash, NULL, NULL), -EPERM);
	struct sandbox_manifest root = {.write = {"/"}, .exec = {"/usr"}};
	assert_int_equal(sandbox_manifest_check_wx(&root, NULL, NULL), -EPERM);
	struct sandbox_manifest sibling = {.write = {dir}, .exec = {near}};
	assert_int_equal(sandbox_manifest_check_wx(&sibling, NULL, NULL), 0);

	/* the builder refuses a tree that would break W^X and accepts the others */
	struct sandbox_manifest b = {.write = {"/tmp", "/var/tmp"}};
	assert_int_equal(sandbox_manifest_add_exec_dir(&b, sub), -EPERM);
	assert_int_equal(sandbox_manifest_add_exec_dir(&b, "/usr/bin"), 0);
	assert_int_equal(sandbox_manifest_add_exec_dir(&b, ""), -EINVAL);
	assert_string_equal(b.exec[0], "/usr/bin");
	assert_null(b.exec[1]);
	assert_int_equal(sandbox_manifest_check_wx(&b, NULL, NULL), 0);

	unlink(prog);
	rmdir(sub);
	rmdir(near);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tables_resolve),
	    cmocka_unit_test(test_parse_format),
	    cmocka_unit_test(test_allows),
	    cmocka_unit_test(test_manifest_bounds),
	    cmocka_unit_test(test_user_resolve),
	    cmocka_unit_test(test_report_format),
	    cmocka_unit_test(test_manifest_print),
	    cmocka_unit_test(test_apply_refuses_root_without_user),
	    cmocka_unit_test(test_check_wx),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

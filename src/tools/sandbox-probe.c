/*
 * sandbox-probe: a test-only program (built with test hooks) that applies a
 * manifest given on the command line, prints the report, and then serves
 * the test hook in a poll() loop.  It proves the sandbox module before any
 * daemon uses it, and shows how a poll-based program wires the hook.
 */
#include "config.h"
#include "log.h"
#include "sandbox/sandbox.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct probe {
	struct sandbox_manifest m;
	struct sandbox_user user;
	const char *opt_user;
	bool print_only;
};

static _Noreturn void
usage(int status)
{
	fputs("usage: sandbox-probe [-u USER] [-r PATH] [-w PATH] [-d DEV] [-x PROG] [-l SOCK]\n"
	      "                     [-b PORT] [-c HOST:PORT] [-s GROUPS] [-C DIR] [-R] [-L] [-N] [-p]\n"
	      "  -s GROUPS  comma-separated syscall groups (base,event,net-server,...)\n"
	      "  -R keep root, -L seccomp log only, -N no Landlock, -p print manifest and exit\n",
	    status ? stderr : stdout);
	exit(status);
}

static int
parse_connect(struct sandbox_manifest *m, char *arg)
{
	char *colon = strrchr(arg, ':');

	if (!colon)
		return -EINVAL;
	*colon = '\0';
	return sandbox_manifest_add_connect(m, arg, (uint16_t)atoi(colon + 1));
}

static int
parse_opt(struct probe *p, int c, char *arg)
{
	switch (c) {
	case 'u': p->opt_user = arg; return 0;
	case 'r': return sandbox_manifest_add_read(&p->m, arg);
	case 'w': return sandbox_manifest_add_write(&p->m, arg);
	case 'd': return sandbox_manifest_add_device(&p->m, arg);
	case 'x': return sandbox_manifest_add_exec(&p->m, arg);
	case 'l': return sandbox_manifest_add_unix_listen(&p->m, arg);
	case 'b': return sandbox_manifest_add_bind(&p->m, (uint16_t)atoi(arg));
	case 'c': return parse_connect(&p->m, arg);
	case 's': return sandbox_sys_parse(arg, &p->m.syscalls);
	case 'C': p->m.chroot_dir = arg; return 0;
	case 'R': p->m.keep_root = true; return 0;
	case 'L': p->m.seccomp_log = true; return 0;
	case 'N': p->m.no_landlock = true; return 0;
	case 'p': p->print_only = true; return 0;
	case 'h': usage(0);
	default: usage(1);
	}
}

static void
serve_hook(struct sandbox_hook *h)
{
	struct pollfd pfd = {.fd = sandbox_hook_fd(h), .events = POLLIN};

	while (poll(&pfd, 1, -1) >= 0 || errno == EINTR)
		if ((pfd.revents & (POLLIN | POLLHUP)) && sandbox_hook_handle(h) < 0)
			break;
	sandbox_hook_free(h);
}

int
main(int argc, char **argv)
{
	struct probe p = {.m = {.program = "sandbox-probe"}};
	struct sandbox_report rep;
	struct sandbox_hook *hook = NULL;
	char err[512], line[1024];
	int c, r;

	log_init(argv[0]);
	while ((c = getopt(argc, argv, "u:r:w:d:x:l:b:c:s:C:RLNph")) != -1)
		if (parse_opt(&p, c, optarg) < 0)
			log_fatal("bad option -%c %s", c, optarg ? optarg : "");
	if (p.print_only) {
		sandbox_manifest_print(&p.m, stdout);
		return 0;
	}
	if (geteuid() == 0 && !p.m.keep_root) {
		if (sandbox_user_resolve(p.opt_user, NULL, "-u", &p.user, err, sizeof(err)) < 0)
			log_fatal("%s", err);
		p.m.run_as = &p.user;
	}
	if ((r = sandbox_hook_open("probe", &hook)) < 0)
		log_fatal("test hook: %s", strerror(-r));
	if ((r = sandbox_apply(&p.m, &rep)) < 0)
		log_fatal("sandbox: %s failed%s%s: %s", rep.failed_step, rep.failed_path ? " on " : "",
		    rep.failed_path ? rep.failed_path : "", strerror(-r));
	(void)sandbox_report_format(&rep, line, sizeof(line));
	printf("%s\n", line);
	fflush(stdout);
	if (hook)
		serve_hook(hook);
	return 0;
}

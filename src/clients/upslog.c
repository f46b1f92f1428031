/*
 * upslog: poll UPSes at an interval and append one formatted line per UPS
 * to its log, as NUT's upslog does.
 *
 *   upslog -s UPS -l FILE|- [-i SECS] [-f FORMAT] [-F|-B] [-u USER]
 *   upslog -m UPS,FILE [-m UPS2,FILE2 ...]      several UPSes, one process
 *   upslog UPS FILE SECS [FORMAT...]            NUT's old calling style
 *
 * SIGHUP reopens the logs (after rotation), SIGUSR1 polls at once,
 * SIGTERM/SIGINT/SIGQUIT exit.  Started as root it drops to -u USER
 * (default: the build's run-as user) after opening its logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clicommon.h"
#include "config.h"
#include "paths.h"
#include "sandbox/sandbox.h"
#include "str.h"
#include "upslog_format.h"

#define UL_TARGETS_MAX 64 /* -m tuples */
#define UL_INTERVAL_DEFAULT 30
#define UL_KEEP_OPEN_MAX 30 /* NUT closes the connection between polls above this */

struct ul_target {
	const char *spec;  /* ups@host:port as given */
	const char *logfn; /* path or "-" */
	struct ucl_target t;
	FILE *log;
	struct ucl_conn *conn;
	char logdir[4096]; /* for the sandbox: where a rotated log is recreated */
};

struct upslog {
	struct ul_target targets[UL_TARGETS_MAX];
	size_t n;
	const char *spec, *logfn, *format, *user, *pidbase;
	char oldfmt[ULF_FORMAT_MAX];
	long interval;
	int foreground; /* -1: NUT's default (foreground only when logging to stdout) */
	struct cli_net net;
	struct ulf_format fmt;
	struct cli_creds creds; /* for servers refusing anonymous reads */
	char hostname[256];
};

static volatile sig_atomic_t reopen_flag, exit_flag;

static void
on_hup(int sig)
{
	reopen_flag = sig;
}

static void
on_exit_signal(int sig)
{
	exit_flag = sig;
}

static void
on_usr1(int sig)
{
	(void)sig; /* only interrupts the sleep */
}

static void
setup_signals(void)
{
	static const struct {
		int sig;
		void (*fn)(int);
	} table[] = {
		{SIGHUP, on_hup},          {SIGINT, on_exit_signal}, {SIGQUIT, on_exit_signal},
		{SIGTERM, on_exit_signal}, {SIGUSR1, on_usr1},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct sigaction sa = {.sa_handler = table[i].fn}; /* no SA_RESTART */
		sigemptyset(&sa.sa_mask);
		sigaction(table[i].sig, &sa, NULL);
	}
}

static void
help(const char *prog)
{
	printf("NUT read-only client program - UPS status logger.\n");
	printf("\nusage: %s [OPTIONS]\n\n", prog);
	printf("  -f <format>\t- Log format.  See below for details.\n");
	printf("\t\t- Use -f \"<format>\" so your shell doesn't break it up.\n");
	printf("  -i <interval>\t- Time between updates, in seconds\n");
	printf("  -l <logfile>\t- Log file name, or - for stdout (foreground by default)\n");
	printf("  -F\t\t- stay foregrounded even if logging into a file\n");
	printf("  -B\t\t- stay backgrounded even if logging to stdout\n");
	printf("  -p <pidbase>  - Base name for PID file (defaults to \"%s\")\n", prog);
	printf("  -s <ups>\t- Monitor UPS <ups> - <upsname>@<host>[:<port>]\n");
	printf("        \t- Example: -s myups@server\n");
	printf("  -m <tuple>\t- Monitor UPS <ups,logfile>\n");
	printf("\t\t- Example: -m myups@server,/var/log/myups.log\n");
	printf("\t\t- NOTE: You can use '-' as logfile for stdout\n");
	printf("\t\t  and it would not imply foregrounding\n");
	printf("\t\t- NOTE: '-s ups' and/or '-l file' options are ignored\n");
	printf("\t\t  if tuples are used, but you can specify many tuples\n");
	printf("  -u <user>\t- Switch to <user> if started as root\n");
	printf("  -V\t\t- Display the version of this software\n");
	printf("  -h\t\t- Display this help text\n");
	printf("\n");
	printf("Some valid format string escapes:\n");
	printf("\t%%%% insert a single %%\n");
	printf("\t%%TIME format%% insert the time with strftime formatting\n");
	printf("\t%%ETIME%% insert the number of seconds, ala time_t\n");
	printf("\t%%HOST%% insert the local hostname\n");
	printf("\t%%UPSHOST%% insert the host of the ups being monitored\n");
	printf("\t%%PID%% insert the pid of upslog\n");
	printf("\t%%VAR varname%% insert the value of ups variable varname\n\n");
	printf("format string defaults to:\n");
	printf("%s\n", ULF_DEFAULT);
	cli_net_usage(stdout, true);
	exit(EXIT_SUCCESS);
}

static void
add_tuple(struct upslog *u, char *arg)
{
	char *comma = strchr(arg, ',');

	if (!comma || strchr(comma + 1, ','))
		cli_die(NULL, "Argument '-m upsspec,logfile' requires exactly 2 components in the tuple");
	if (u->n >= UL_TARGETS_MAX)
		cli_die(NULL, "Error: at most %d -m tuples", UL_TARGETS_MAX);
	*comma = '\0';
	u->targets[u->n].spec = arg;
	u->targets[u->n].logfn = comma + 1;
	u->n++;
}

/* NUT's old style: <ups> <logfile> <interval> [<format words>...] */
static void
old_style_args(struct upslog *u, int argc, char **argv, const char *prog)
{
	size_t len = 0;

	if (argc == 1 || argc == 2)
		help(prog);
	if (argc < 3)
		return;
	u->spec = argv[0];
	u->logfn = argv[1];
	u->interval = strtol(argv[2], NULL, 10);
	if (argc < 4)
		return;
	u->oldfmt[0] = '\0';
	for (int i = 3; i < argc; i++)
		len += (size_t)snprintf(u->oldfmt + len, len < sizeof(u->oldfmt) ? sizeof(u->oldfmt) - len : 0,
		                        "%s ", argv[i]);
	u->format = u->oldfmt;
}

static void
parse_args(struct upslog *u, int argc, char **argv)
{
	static const struct option longopts[] = {CLI_LONG_OPTIONS, {0}};
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	int ch;

	u->pidbase = prog;
	while ((ch = getopt_long(argc, argv, "+hs:l:i:f:u:Vp:FBm:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			help(prog);
			break;
		case 'm':
			add_tuple(u, optarg);
			break;
		case 's':
			u->spec = optarg;
			break;
		case 'l':
			u->logfn = optarg;
			break;
		case 'i':
			u->interval = strtol(optarg, NULL, 10);
			break;
		case 'f':
			u->format = optarg;
			break;
		case 'u':
			u->user = optarg;
			break;
		case 'V':
			exit(EXIT_SUCCESS); /* the banner was printed already */
		case 'p':
			u->pidbase = optarg;
			break;
		case 'F':
			u->foreground = 1;
			break;
		case 'B':
			u->foreground = 0;
			break;
		default:
			/* NUT 2.8.0 goes on after getopt's complaint */
			if (cli_net_option(&u->net, ch, optarg) < 0)
				exit(EXIT_FAILURE);
			break;
		}
	}
	old_style_args(u, argc - optind, argv + optind, prog);
}

static void
check_args(struct upslog *u)
{
	if (u->n == 0) {
		if (!u->spec)
			cli_die(NULL, "No UPS defined for monitoring - use -s <system> or -m "
			              "<ups,logfile>");
		if (!u->logfn)
			cli_die(NULL, "No filename defined for logging - use -l <file>");
		u->targets[0].spec = u->spec;
		u->targets[0].logfn = u->logfn;
		u->n = 1;
	}
	if (u->interval < 1)
		cli_die(NULL, "Error: the interval (-i) must be at least 1 second");
	if (ulf_compile(u->format, &u->fmt) < 0)
		cli_die(NULL, "Error: the format string is longer than %d bytes or has more than %d "
		              "items",
		        ULF_FORMAT_MAX - 1, ULF_ITEMS_MAX);
	if (u->foreground < 0)
		u->foreground = strcmp(u->targets[0].logfn, "-") == 0;
}

static FILE *
open_log(const char *fn)
{
	int fd;
	FILE *f;

	if (strcmp(fn, "-") == 0)
		return stdout;
	fd = open(fn, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "a");
	if (!f)
		close(fd);
	return f;
}

static void
open_targets(struct upslog *u)
{
	for (size_t i = 0; i < u->n; i++) {
		struct ul_target *t = &u->targets[i];
		char err[UCL_ERRMSG_MAX];
		printf("logging status of %s to %s (%lis intervals)\n", t->spec, t->logfn,
		       u->interval);
		if (ucl_parse_target(t->spec, &t->t) < 0)
			cli_die(NULL, "Error: invalid UPS definition.  Required format: "
			              "upsname[@hostname[:port]]");
		t->conn = cli_connect(&t->t, &u->net, err);
		if (!t->conn)
			fprintf(stderr, "Warning: initial connect failed: %s\n", err);
		else if (cli_send_read_creds(t->conn, &u->creds) < 0)
			exit(EXIT_FAILURE);
		t->log = open_log(t->logfn);
		if (!t->log)
			cli_die(NULL, "could not open logfile %s: %s", t->logfn, strerror(errno));
	}
	fflush(stdout);
}

/* After rotation: a new file under the old name.  On failure keep the
 * old stream, so no line is lost (NUT exits here). */
static void
reopen_logs(struct upslog *u)
{
	for (size_t i = 0; i < u->n; i++) {
		struct ul_target *t = &u->targets[i];
		if (t->log == stdout)
			continue;
		FILE *f = open_log(t->logfn);
		if (!f) {
			fprintf(stderr, "upslog: could not reopen logfile %s: %s (still writing to the "
			                "old file)\n",
			        t->logfn, strerror(errno));
			continue;
		}
		fclose(t->log);
		t->log = f;
	}
}

static int
get_var(void *arg, const char *var, char *buf, size_t size)
{
	struct ul_target *t = arg;

	if (!t->conn)
		return -1;
	return ucl_get_var(t->conn, t->t.ups, var, buf, size);
}

static void
poll_target(struct upslog *u, struct ul_target *t)
{
	char line[ULF_LINE_MAX], err[UCL_ERRMSG_MAX];
	struct ulf_context ctx = {.upshost = t->spec, .hostname = u->hostname, .pid = getpid(),
	                          .get_var = get_var, .arg = t};

	if (t->conn && ucl_fd(t->conn) < 0) {
		ucl_abort(t->conn);
		t->conn = NULL;
	}
	if (!t->conn && (t->conn = cli_connect(&t->t, &u->net, err)) != NULL)
		(void)cli_send_read_creds(t->conn, &u->creds);
	ctx.now = time(NULL);
	ulf_render(&u->fmt, &ctx, line, sizeof(line));
	fprintf(t->log, "%s\n", line);
	fflush(t->log);
	if (u->interval > UL_KEEP_OPEN_MAX && t->conn) {
		ucl_close(t->conn);
		t->conn = NULL;
	}
}

static void
sleep_until(const struct timespec *when)
{
	/* returns early on a signal: the loop checks the flags */
	(void)clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, when, NULL);
}

static void
run(struct upslog *u)
{
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!exit_flag) {
		if (reopen_flag) {
			reopen_flag = 0;
			reopen_logs(u);
		}
		for (size_t i = 0; i < u->n && !exit_flag; i++)
			poll_target(u, &u->targets[i]);
		next.tv_sec += u->interval;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec) /* polling took longer than the interval */
			next = now;
		if (!exit_flag && !reopen_flag)
			sleep_until(&next);
	}
}

static void
background(struct upslog *u)
{
	char path[4096];
	pid_t pid = fork();

	if (pid < 0)
		cli_die(NULL, "fork: %s", strerror(errno));
	if (pid > 0)
		exit(EXIT_SUCCESS);
	setsid();
	int fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	snprintf(path, sizeof(path), "%s/%s.pid", paths_statepath(), u->pidbase);
	FILE *pf = fopen(path, "w");
	if (pf) {
		fprintf(pf, "%ld\n", (long)getpid());
		fclose(pf);
	}
}

/* Directory of a log file, made absolute (the sandbox wants real paths). */
static void
log_dir(struct ul_target *t)
{
	char tmp[4096];
	const char *slash = strrchr(t->logfn, '/');

	if (!slash)
		str_copy(tmp, ".", sizeof(tmp));
	else if (slash == t->logfn)
		str_copy(tmp, "/", sizeof(tmp));
	else
		snprintf(tmp, sizeof(tmp), "%.*s", (int)(slash - t->logfn), t->logfn);
	if (!realpath(tmp, t->logdir))
		t->logdir[0] = '\0';
}

/* Whether uid/gid may create files in dir (for reopening a rotated log).
 * Asked in a child that takes that identity, so every ancestor counts. */
static bool
user_can_write(const char *dir, uid_t uid, gid_t gid)
{
	int status;
	pid_t pid;

	if (uid == geteuid())
		return access(dir, W_OK | X_OK) == 0;
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
			_exit(1);
		_exit(access(dir, W_OK | X_OK) == 0 ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * Least privilege for the polling loop: when root, drop to the run-as
 * user (-u); always no-new-privileges, Landlock (read system files for
 * name resolution and time zones, write only the log directories, TCP
 * connect only to the monitored ports) and the client syscall profile.
 */
static void
apply_sandbox(struct upslog *u)
{
	static const char *const sys_read[] = {"/etc", "/usr/share/zoneinfo", "/usr/lib", "/lib",
	                                       "/lib64"};
	struct sandbox_manifest m = {.program = "upslog",
	                             .syscalls = SANDBOX_SYS_NET_CLIENT | SANDBOX_SYS_FILE_WRITE};
	struct sandbox_report rep;
	struct sandbox_user user;
	char err[256];

	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (uid == 0) {
		if (sandbox_user_resolve(u->user, NULL, "-u USER", &user, err, sizeof(err)) < 0)
			cli_die(NULL, "Error: %s", err);
		if (user.uid == 0) {
			m.keep_root = true; /* -u root: NUT allows it */
		} else {
			m.run_as = &user;
			uid = user.uid;
			gid = user.gid;
		}
	}
	for (size_t i = 0; i < sizeof(sys_read) / sizeof(sys_read[0]); i++)
		(void)sandbox_manifest_add_read(&m, sys_read[i]);
	for (size_t i = 0; i < u->n; i++) {
		struct ul_target *t = &u->targets[i];
		if (t->log != stdout) {
			log_dir(t);
			/* a directory the run-as user cannot write gets no rule: the
			 * open log keeps working, only a reopen would fail */
			if (t->logdir[0] && user_can_write(t->logdir, uid, gid))
				(void)sandbox_manifest_add_write(&m, t->logdir);
		}
		(void)sandbox_manifest_add_connect(&m, t->t.host, t->t.port);
	}
	(void)sandbox_manifest_add_connect(&m, "dns", 53);
	if (sandbox_apply(&m, &rep) < 0)
		cli_die(NULL, "Error: sandbox step '%s' failed%s%s",
		        rep.failed_step ? rep.failed_step : "?", rep.failed_path ? " at " : "",
		        rep.failed_path ? rep.failed_path : "");
}

int
main(int argc, char **argv)
{
	struct upslog u = {.format = ULF_DEFAULT, .interval = UL_INTERVAL_DEFAULT, .foreground = -1};

	printf("Network UPS Tools upslog %s\n", CLI_NUT_COMPAT_VERSION);
	fflush(stdout);
	parse_args(&u, argc, argv);
	check_args(&u);
	if (gethostname(u.hostname, sizeof(u.hostname)) < 0)
		u.hostname[0] = '\0';
	u.hostname[sizeof(u.hostname) - 1] = '\0';
	if (cli_read_creds(&u.net, &u.creds) < 0) /* before the sandbox hides the file */
		return EXIT_FAILURE;
	open_targets(&u);
	if (!u.foreground)
		background(&u);
	setup_signals();
	apply_sandbox(&u);
	run(&u);
	for (size_t i = 0; i < u.n; i++) {
		if (u.targets[i].log != stdout)
			fclose(u.targets[i].log);
		ucl_close(u.targets[i].conn);
	}
	ulf_free(&u.fmt);
	fprintf(stderr, "Signal %d: exiting\n", (int)exit_flag);
	return EXIT_SUCCESS;
}

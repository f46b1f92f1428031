/*
 * upssched: timers for upsmon notifications (NUT's upssched).
 *
 * Run by [notify] as NOTIFYCMD with the message as its argument and
 * NOTIFYTYPE/UPSNAME in the environment.  Each matching AT line of
 * upssched.conf acts:
 *   START-TIMER name secs         a timer for this UPS (started unless running)
 *   START-TIMER-SHARED name secs  one timer for all UPSes
 *   CANCEL-TIMER name [cmd]       cancel this UPS's (and the shared) timer;
 *                                 run CMDSCRIPT cmd when none was running
 *   CANCEL-TIMER-MATCHED name [cmd] cancel every timer of that name
 *   EXECUTE cmd                   run CMDSCRIPT cmd now
 * When a timer expires the timer process runs CMDSCRIPT [args] <name>.
 * The timer process is started on demand (LOCKFN serialises the start),
 * listens on the Unix socket PIPEFN, sandboxes itself and exits when no
 * timer is left.  `upssched -l` lists the timers.
 *
 * The timer's sandbox follows scriptbox.h (read and execute where
 * programs live, write only to /tmp, /var/tmp, PIPEFN's directory and the
 * CMDSCRIPT_WRITE opt-ins, W^X, TCP only to CMDSCRIPT_CONNECT ports).  Run
 * by upsmon's [notify] it adds this layer inside [notify]'s (Landlock and
 * seccomp stack under no_new_privs: a path must be allowed by both);
 * started as root it drops to RUN_AS_USER first.
 *
 * Protocol on PIPEFN, one line each way, words separated by one space:
 *   START <name> <ups|*> <secs> -> OK | ERR EXISTS
 *   CANCEL <name> <ups|*>       -> OK | ERR NOTFOUND   ("*" = any UPS)
 *   LIST                        -> one "TIMER <name> <ups|*> <secs-left>" per timer, then END
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/upssched_conf.h"
#include "log.h"
#include "paths.h"
#include "sandbox/sandbox.h"
#include "scriptbox.h"
#include "str.h"

#define SCHED_MAX_TIMERS 256
#define SCHED_MAX_CLIENTS 16
#define SCHED_LINE_MAX 512
#define SCHED_NAME_MAX 128
#define SCHED_IDLE_EXIT_MS 2000 /* linger this long without timers before exiting */

struct timer {
	char name[SCHED_NAME_MAX];
	char ups[SCHED_NAME_MAX]; /* "*" for shared */
	int64_t due;
};

struct client {
	int fd;
	size_t len;
	char buf[SCHED_LINE_MAX];
};

struct sched {
	struct upssched_conf *conf;
	char **env;
	struct timer timers[SCHED_MAX_TIMERS];
	size_t ntimers;
	struct client clients[SCHED_MAX_CLIENTS];
	int lfd;
	struct sandbox_hook *hook; /* test builds: UPSGUARD_TEST_HOOK, tag "sched" */
	int hook_fd;
};

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A word safe to put on the PIPEFN protocol: printable, no space. */
static bool
word_ok(const char *s)
{
	if (!*s || strlen(s) >= SCHED_NAME_MAX)
		return false;
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f)
			return false;
	return true;
}

/* Run CMDSCRIPT [args] arg and wait for it (NUT: synchronous). */
static void
run_cmdscript(const struct upssched_conf *c, const char *arg)
{
	char *argv[UPSSCHED_MAX_ARGS + 2];
	size_t n = 0;
	int status;

	if (!c->cmdscript) {
		log_err("CMDSCRIPT is not set: cannot run \"%s\"", arg);
		return;
	}
	for (; n < c->cmdscript_argc && n < UPSSCHED_MAX_ARGS; n++)
		argv[n] = c->cmdscript[n];
	char *a = strdup(arg);
	argv[n++] = a;
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		execvp(argv[0], argv);
		log_err("cannot run %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	free(a);
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
}

/* ---- the timer process ------------------------------------------------ */

static struct timer *
timer_find(struct sched *s, const char *name, const char *ups)
{
	for (size_t i = 0; i < s->ntimers; i++)
		if (strcmp(s->timers[i].name, name) == 0 && strcmp(s->timers[i].ups, ups) == 0)
			return &s->timers[i];
	return NULL;
}

static void
timer_remove(struct sched *s, size_t i)
{
	s->timers[i] = s->timers[--s->ntimers];
}

static void
reply(int fd, const char *text)
{
	size_t len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len)
		log_debug(1, "short reply");
}

static void
cmd_start(struct sched *s, int fd, char **w, size_t n)
{
	long secs;

	if (n != 4 || str_to_long(w[3], 0, UPSSCHED_MAX_SECS, &secs) < 0 ||
	    s->ntimers == SCHED_MAX_TIMERS) {
		reply(fd, "ERR INVALID\n");
		return;
	}
	if (timer_find(s, w[1], w[2])) {
		reply(fd, "ERR EXISTS\n");
		return;
	}
	struct timer *t = &s->timers[s->ntimers++];
	str_copy(t->name, w[1], sizeof(t->name));
	str_copy(t->ups, w[2], sizeof(t->ups));
	t->due = now_ms() + secs * 1000;
	log_info("timer %s (%s) started: %ld s", t->name, t->ups, secs);
	reply(fd, "OK\n");
}

static void
cmd_cancel(struct sched *s, int fd, char **w, size_t n)
{
	bool any = n == 3 && strcmp(w[2], "*") == 0;
	size_t found = 0;

	if (n != 3) {
		reply(fd, "ERR INVALID\n");
		return;
	}
	for (size_t i = 0; i < s->ntimers;) {
		if (strcmp(s->timers[i].name, w[1]) == 0 &&
		    (any || strcmp(s->timers[i].ups, w[2]) == 0 ||
		     strcmp(s->timers[i].ups, "*") == 0)) {
			log_info("timer %s (%s) cancelled", s->timers[i].name, s->timers[i].ups);
			timer_remove(s, i);
			found++;
		} else {
			i++;
		}
	}
	reply(fd, found ? "OK\n" : "ERR NOTFOUND\n");
}

static void
cmd_list(struct sched *s, int fd)
{
	char line[3 * SCHED_NAME_MAX];
	int64_t now = now_ms();

	for (size_t i = 0; i < s->ntimers; i++) {
		snprintf(line, sizeof(line), "TIMER %s %s %lld\n", s->timers[i].name,
		         s->timers[i].ups, (long long)((s->timers[i].due - now + 999) / 1000));
		reply(fd, line);
	}
	reply(fd, "END\n");
}

static void
client_line(struct sched *s, int fd, char *line)
{
	char *w[6];
	size_t n = 0;

	for (char *tok = strtok(line, " "); tok && n < 6; tok = strtok(NULL, " "))
		w[n++] = tok;
	if (n >= 1 && strcmp(w[0], "START") == 0)
		cmd_start(s, fd, w, n);
	else if (n >= 1 && strcmp(w[0], "CANCEL") == 0)
		cmd_cancel(s, fd, w, n);
	else if (n == 1 && strcmp(w[0], "LIST") == 0)
		cmd_list(s, fd);
	else
		reply(fd, "ERR UNKNOWN\n");
}

/* Read from a client; false when it is done (closed, or a line too long). */
static bool
client_read(struct sched *s, struct client *c)
{
	ssize_t r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (r <= 0)
		return false;
	c->len += (size_t)r;
	char *nl;
	while ((nl = memchr(c->buf, '\n', c->len))) {
		*nl = '\0';
		client_line(s, c->fd, c->buf);
		size_t used = (size_t)(nl + 1 - c->buf);
		memmove(c->buf, nl + 1, c->len - used);
		c->len -= used;
	}
	return c->len < sizeof(c->buf);
}

static void
fire_due(struct sched *s)
{
	int64_t now = now_ms();

	for (size_t i = 0; i < s->ntimers;) {
		if (s->timers[i].due <= now) {
			char name[SCHED_NAME_MAX];
			str_copy(name, s->timers[i].name, sizeof(name));
			log_info("timer %s (%s) expired: running CMDSCRIPT", name,
			         s->timers[i].ups);
			timer_remove(s, i);
			run_cmdscript(s->conf, name);
		} else {
			i++;
		}
	}
}

static int
next_timeout(const struct sched *s, int64_t idle_since)
{
	int64_t now = now_ms(), t = s->ntimers ? INT64_MAX : idle_since + SCHED_IDLE_EXIT_MS;

	for (size_t i = 0; i < s->ntimers; i++)
		if (s->timers[i].due < t)
			t = s->timers[i].due;
	return t <= now ? 0 : (int)(t - now > 60000 ? 60000 : t - now);
}

static void
accept_client(struct sched *s)
{
	int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (size_t i = 0; i < SCHED_MAX_CLIENTS; i++) {
		if (s->clients[i].fd < 0) {
			s->clients[i].fd = fd;
			s->clients[i].len = 0;
			return;
		}
	}
	close(fd); /* bounded: too many clients */
}

static void
timer_loop(struct sched *s)
{
	int64_t idle_since = now_ms();

	for (size_t i = 0; i < SCHED_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	for (;;) {
		struct pollfd p[SCHED_MAX_CLIENTS + 2];
		bool busy = false;
		p[0] = (struct pollfd){s->lfd, POLLIN, 0};
		for (size_t i = 0; i < SCHED_MAX_CLIENTS; i++) {
			p[i + 1] = (struct pollfd){s->clients[i].fd, POLLIN, 0};
			busy |= s->clients[i].fd >= 0;
		}
		p[SCHED_MAX_CLIENTS + 1] = (struct pollfd){s->hook_fd, POLLIN, 0}; /* -1: ignored */
		if (poll(p, SCHED_MAX_CLIENTS + 2, next_timeout(s, idle_since)) > 0) {
			if (p[0].revents)
				accept_client(s);
			if (s->hook_fd >= 0 && p[SCHED_MAX_CLIENTS + 1].revents &&
			    sandbox_hook_handle(s->hook) < 0) {
				s->hook = sandbox_hook_free(s->hook);
				s->hook_fd = -1;
			}
			for (size_t i = 0; i < SCHED_MAX_CLIENTS; i++) {
				if (s->clients[i].fd >= 0 && p[i + 1].revents &&
				    !client_read(s, &s->clients[i])) {
					close(s->clients[i].fd);
					s->clients[i].fd = -1;
				}
			}
		}
		fire_due(s);
		if (s->ntimers || busy)
			idle_since = now_ms();
		else if (now_ms() - idle_since >= SCHED_IDLE_EXIT_MS)
			return;
	}
}

/* Already under a seccomp filter (started from upsmon's [notify])? */
static bool
already_confined(void)
{
	char line[128];
	bool yes = false;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "Seccomp:", 8) == 0)
			yes = atoi(line + 8) == 2;
	if (f)
		fclose(f);
	return yes;
}

/* The timer's manifest (scriptbox.h); 0 or -errno after logging why. */
static int
timer_manifest(const struct upssched_conf *c, struct scriptbox *sb)
{
	const char *tree = NULL, *w = NULL;
	int r = 0;

	scriptbox_init(sb, "upssched [timer]");
	if (c->pipefn)
		r = scriptbox_add_write_dir_of(sb, c->pipefn); /* removed at exit */
	if (r >= 0)
		r = scriptbox_add_optins(sb, &c->cmd_optins);
	if (r >= 0 && (r = scriptbox_finish(sb, &tree, &w)) == -EPERM) {
		log_err(
		    "timer sandbox: W^X: %s may be written (CMDSCRIPT_WRITE or PIPEFN) but lies "
		    "in or above %s, where programs are executed: choose a path outside it",
		    w ? w : "?", tree);
		return r;
	}
	if (r >= 0 && c->cmdscript)
		r = scriptbox_add_script(sb, c->cmdscript[0]);
	if (r < 0)
		log_err("timer sandbox: %s", strerror(-r));
	return r;
}

static void
usage_manifest(void)
{
	static struct upssched_conf empty;
	static struct scriptbox sb;

	sb.describe = true;
	if (timer_manifest(&empty, &sb) < 0)
		return;
	sandbox_manifest_print(&sb.m, stdout);
	fputs("  plus CMDSCRIPT (and its directory unless writable), PIPEFN's directory and\n"
	      "  the CMDSCRIPT_WRITE / CMDSCRIPT_CONNECT opt-ins of upssched.conf; run by upsmon\n"
	      "  this layer stacks inside [notify]'s\n",
	      stdout);
}

static void
timer_sandbox(const struct upssched_conf *c)
{
	static struct scriptbox sb; /* large (path storage): not on the stack */
	struct sandbox_report rep;
	struct sandbox_user user;
	char err[256], line[1024];

	if (timer_manifest(c, &sb) < 0)
		_exit(1);
	for (size_t i = 0; i < sb.nwx_dropped; i++)
		log_info("W^X: %s is writable here, so only CMDSCRIPT may run from it",
		         sb.wx_dropped[i]);
	/* Run by [notify]: this layer stacks on the inherited one (no_new_privs
	 * is already set, the base seccomp group allows landlock and seccomp). */
	if (already_confined())
		log_info("timer process: adding its own sandbox inside the caller's");
	if (geteuid() == 0) {
		if (sandbox_user_resolve(NULL, NULL, "RUN_AS_USER", &user, err, sizeof(err)) < 0)
			log_fatal("%s", err);
		sb.m.run_as = &user;
	}
	if (sandbox_apply(&sb.m, &rep) < 0)
		log_fatal("timer process sandbox failed at %s%s%s",
		          rep.failed_step ? rep.failed_step : "?", rep.failed_path ? ": " : "",
		          rep.failed_path ? rep.failed_path : "");
	if (sandbox_report_format(&rep, line, sizeof(line)) >= 0)
		log_info("%s", line);
}

static int
listen_pipe(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	str_copy(sa.sun_path, path, sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)unlink(path);
	mode_t old = umask(0077);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, SCHED_MAX_CLIENTS) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* Start the timer process (we hold LOCKFN). Returns 0 when it listens. */
static int
start_daemon(struct sched *s)
{
	int lfd = listen_pipe(s->conf->pipefn);
	if (lfd < 0)
		return lfd;
	pid_t pid = fork();
	if (pid < 0) {
		close(lfd);
		return -errno;
	}
	if (pid > 0) {
		close(lfd);
		return 0;
	}
	setsid();
	/* Let go of the caller's pipes (upsmon or a test may wait for EOF). */
	int devnull = open("/dev/null", O_RDWR);
	dup2(devnull, 0);
	dup2(devnull, 1);
	dup2(devnull, 2);
	log_use_syslog(true);
	if (fork() > 0)
		_exit(0);
	s->lfd = lfd;
	log_set_tag("timer");
	prctl(PR_SET_NAME, "upssched-timer", 0, 0, 0);
	if (sandbox_hook_open("sched", &s->hook) < 0)
		log_warn("test hook requested but not connected");
	s->hook_fd = sandbox_hook_fd(s->hook);
	timer_sandbox(s->conf);
	timer_loop(s);
	unlink(s->conf->pipefn);
	_exit(0);
}

/* ---- the client side -------------------------------------------------- */

static int
connect_pipe(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	str_copy(sa.sun_path, path, sizeof(sa.sun_path));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static int
daemon_connect(struct sched *s)
{
	int fd = connect_pipe(s->conf->pipefn);
	if (fd >= 0)
		return fd;
	int lock = open(s->conf->lockfn, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) < 0) {
		log_err("cannot lock %s: %s", s->conf->lockfn, strerror(errno));
		return -errno;
	}
	fd = connect_pipe(s->conf->pipefn);
	if (fd < 0 && start_daemon(s) == 0)
		fd = connect_pipe(s->conf->pipefn);
	close(lock);
	return fd;
}

/* Send one request line, read the reply until END or one line. */
static int
request(struct sched *s, const char *line, bool list, FILE *out)
{
	char buf[4096];
	size_t len = 0;
	int fd = daemon_connect(s);

	if (fd < 0) {
		log_err("cannot reach the timer process at %s: %s", s->conf->pipefn, strerror(-fd));
		return fd;
	}
	if (write(fd, line, strlen(line)) < 0) {
		close(fd);
		return -errno;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
		if ((!list && strchr(buf, '\n')) || (list && strstr(buf, "END\n")) ||
		    len == sizeof(buf) - 1)
			break;
	}
	close(fd);
	buf[len] = '\0';
	if (out)
		fputs(buf, out);
	return strncmp(buf, "OK", 2) == 0 ? 0 : -ENOENT;
}

static void
act(struct sched *s, const struct upssched_at *a, const char *ups)
{
	char line[SCHED_LINE_MAX];

	switch (a->action) {
	case UPSSCHED_START_TIMER:
	case UPSSCHED_START_TIMER_SHARED:
		snprintf(line, sizeof(line), "START %s %s %ld\n", a->name,
		         a->action == UPSSCHED_START_TIMER ? ups : "*", a->secs);
		(void)request(s, line, false, NULL);
		break;
	case UPSSCHED_CANCEL_TIMER:
	case UPSSCHED_CANCEL_TIMER_MATCHED:
		snprintf(line, sizeof(line), "CANCEL %s %s\n", a->name,
		         a->action == UPSSCHED_CANCEL_TIMER ? ups : "*");
		if (request(s, line, false, NULL) < 0 && a->cmd)
			run_cmdscript(s->conf, a->cmd);
		break;
	case UPSSCHED_EXECUTE:
		run_cmdscript(s->conf, a->name);
		break;
	}
}

static int
handle_event(struct sched *s)
{
	const char *type = getenv("NOTIFYTYPE"), *ups = getenv("UPSNAME");

	if (!type || !ups) {
		log_err(
		    "NOTIFYTYPE and UPSNAME must be set: upssched is run by upsmon as NOTIFYCMD");
		return 1;
	}
	/* UPSNAME travels on the PIPEFN protocol: a name, not free text. */
	if (!word_ok(ups) || strcmp(ups, "*") == 0) {
		log_err("UPSNAME \"%s\" is not a valid UPS name", ups);
		return 1;
	}
	int ntype = upsmon_notify_from_name(type);
	for (size_t i = 0; i < s->conf->nat; i++) {
		const struct upssched_at *a = &s->conf->at[i];
		if ((int)a->type != ntype)
			continue;
		if (strcmp(a->ups, "*") != 0 && strcmp(a->ups, ups) != 0)
			continue;
		act(s, a, ups);
	}
	return 0;
}

static bool
needs_timers(const struct upssched_conf *c)
{
	for (size_t i = 0; i < c->nat; i++)
		if (c->at[i].action != UPSSCHED_EXECUTE)
			return true;
	return false;
}

int
main(int argc, char **argv)
{
	struct sched s;
	struct conf_diag diag;
	char path[4096];
	int c, r;
	bool list = false, check = false, print = false;

	memset(&s, 0, sizeof(s));
	log_init("upssched");
	while ((c = getopt(argc, argv, "lDtTh")) != -1) {
		switch (c) {
		case 'l':
			list = true;
			break;
		case 'D':
			log_set_debug(log_debug_level() + 1);
			break;
		case 't':
			check = true;
			break;
		case 'T':
			print = true;
			break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
			        "usage: upssched [-l] [-D] [-t] [-T] [message]\n"
			        "  run by upsmon as NOTIFYCMD (NOTIFYTYPE, UPSNAME in the "
			        "environment)\n"
			        "  -l  list the running timers\n");
			if (c == 'h')
				usage_manifest();
			return c == 'h' ? 0 : 1;
		}
	}
	if (paths_conf_file(path, sizeof(path), "upssched.conf") < 0)
		return 1;
	conf_diag_init(&diag);
	r = upssched_conf_load(path, &s.conf, &diag);
	conf_diag_print(stderr, &diag);
	conf_diag_free(&diag);
	if (r < 0)
		return 1;
	if (needs_timers(s.conf) && (!s.conf->pipefn || !s.conf->lockfn)) {
		log_err("%s: PIPEFN and LOCKFN must be set for timers", path);
		return 1;
	}
	if (print)
		upssched_conf_print(stdout, s.conf);
	if (check || print)
		return 0;
	signal(SIGPIPE, SIG_IGN);
	if (list) {
		if (!s.conf->pipefn || connect_pipe(s.conf->pipefn) < 0) {
			printf("no timers running\n");
			return 0;
		}
		return request(&s, "LIST\n", true, stdout) < 0 ? 0 : 0;
	}
	return handle_event(&s);
}

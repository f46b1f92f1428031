/*
 * wrap: the upswrap filter engine (oslo.rootwrap-compatible).
 *
 * Loads a rootwrap.conf and the .filters files it names, decides whether a
 * command line may run (same filter classes and the same decision as
 * Debian's python3-oslo.rootwrap), and executes the matched executable with
 * execve: absolute path, cleaned environment, the filter's run-as user,
 * rlimit_nofile applied, never a shell.
 *
 * Beyond oslo.rootwrap, every link of the chain of trust (the program
 * itself, the config file, each filters_path directory, each filter file,
 * each executable and the directory it is found in) must be owned by the
 * trusted uid (root) and not writable by group or others, and is resolved
 * without following a link that another user controls.  A violation fails
 * closed (WRAP_RC_BADCONFIG) with a message naming the file.  A filter file
 * that does not parse contributes no filter, and its `file:line: message`
 * is kept in the context (wrap_problem()) and named when a command is
 * refused.
 *
 * Used by upswrap (src/upswrap/) and by upsmon's privileged part, which
 * checks SHUTDOWNCMD at start-up with wrap_decide() and runs it with
 * wrap_exec() in a child.  Library code: nothing here logs or exits.
 */
#ifndef UPSGUARD_WRAP_H
#define UPSGUARD_WRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Exit codes, as oslo_rootwrap/cmd.py. */
#define WRAP_RC_UNAUTHORIZED 99 /* no filter matched */
#define WRAP_RC_NOCOMMAND 98    /* no config or no command given */
#define WRAP_RC_BADCONFIG 97    /* config unreadable/invalid, or a chain link untrusted */
#define WRAP_RC_NOEXEC 96       /* a filter matched but its executable is missing */
/* Not an exit code: the decision needs NSS, which this build of the
 * program lacks (upswrap's static build then hands the call to
 * upswrap-nss). */
#define WRAP_RC_NEEDS_NSS 95

/* Bounds on untrusted or semi-trusted input. */
#define WRAP_MAX_ARGS 1024          /* words of a command line */
#define WRAP_MAX_ARG_LEN 65536      /* bytes of one word */
#define WRAP_MAX_FILE_SIZE 1048576  /* bytes of rootwrap.conf or one filter file */
#define WRAP_MAX_FILES 512          /* filter files over all filters_path dirs */
#define WRAP_MAX_FILTERS 8192       /* filters over all files */
#define WRAP_MAX_FILTER_ARGS 256    /* comma-separated fields of one filter line */
#define WRAP_MAX_PATH 4096          /* bytes of a path */
#define WRAP_MAX_LINKS 40           /* symbolic links followed in one resolution */
#define WRAP_MSG_MAX 2048           /* bytes of a message, terminated */

struct wrap_ctx;

/* Settings from [DEFAULT] of rootwrap.conf (oslo defaults when absent). */
struct wrap_settings {
	bool use_syslog;         /* use_syslog (default false) */
	int syslog_facility;     /* syslog_log_facility as LOG_xxx (default LOG_SYSLOG) */
	int syslog_level;        /* syslog_log_level as LOG_xxx priority (default LOG_ERR) */
	long rlimit_nofile;      /* rlimit_nofile (default 1024) */
};

struct wrap_opts {
	uid_t trusted_uid; /* owner every link must have: 0 except in unit tests */
	bool check_self;   /* also check the running program (/proc/self/exe) */
	bool check_chain;  /* ownership checks on (always true outside tests) */
	bool one_shot;     /* the process decides once, right after loading (upswrap):
			    * the directories checked while loading are reused for
			    * the executable's walk instead of walked again */
};

/* Production options: trusted uid 0, all checks on. */
void wrap_opts_default(struct wrap_opts *opts);

/* Load conf_path and every filter file its filters_path names.
 * Returns 0 and *ret (free with wrap_free), or a negative errno with a
 * message in err naming the file (every failure maps to WRAP_RC_BADCONFIG).
 * Filter files that do not parse do not fail the load: see wrap_problem(). */
int wrap_load(const char *conf_path, const struct wrap_opts *opts, struct wrap_ctx **ret,
	      char *err, size_t errlen);

/* Same from memory, without files and without ownership checks, for tests
 * and fuzzing: conf_text is rootwrap.conf, filters[i]/names[i] the filter
 * files (names used in messages). */
int wrap_load_mem(const char *conf_text, size_t nfiles, const char *const *names,
		  const char *const *filters, struct wrap_ctx **ret, char *err, size_t errlen);

void wrap_free(struct wrap_ctx *ctx);

const struct wrap_settings *wrap_settings(const struct wrap_ctx *ctx);

/* The running program's resolved path as wrap_load() checked it (NULL
 * when opts.check_self was off). */
const char *wrap_program(const struct wrap_ctx *ctx);

/* Check path as a link of the chain (an executable: trusted owner, not
 * writable by others, nor its directory).  0, or a negative errno and a
 * message naming the file. */
int wrap_check_program(struct wrap_ctx *ctx, const char *path, char *err, size_t errlen);

/* Number of filters loaded, and the problems met while loading (filter
 * files skipped as `file:line: message`, unknown filter classes, ignored
 * relative directories).  The strings belong to ctx. */
size_t wrap_filter_count(const struct wrap_ctx *ctx);
size_t wrap_problem_count(const struct wrap_ctx *ctx);
const char *wrap_problem(const struct wrap_ctx *ctx, size_t i);
/* Number of filter files refused as a whole (they allow nothing). */
size_t wrap_refused_files(const struct wrap_ctx *ctx);

struct wrap_decision {
	int rc;                  /* 0 allowed, else WRAP_RC_* */
	char msg[WRAP_MSG_MAX];  /* denial reason (oslo's wording), or a summary */
	char filter[256];        /* name of the matching filter ("" if none) */
	char where[WRAP_MAX_PATH + 16]; /* file:line of the matching filter */
	char run_as[256];        /* user the command runs as */
	char *path;              /* absolute executable for execve */
	char **argv;             /* NULL-terminated; argv[0] is path */
	char **setenv;           /* NULL-terminated NAME=VALUE added by EnvFilter */
	uid_t uid;               /* run-as ids, resolved */
	gid_t gid;
	char *home;              /* run-as user's home directory (HOME) */
};

/* Decide for the command line argv[0..argc-1] (argv[0] the command as the
 * caller wrote it).  Always fills d (free with wrap_decision_free) and
 * returns d->rc.  Checks the executable's chain of trust and that the
 * run-as user exists, so a 0 result is ready for wrap_exec(). */
int wrap_decide(struct wrap_ctx *ctx, int argc, char *const argv[], struct wrap_decision *d);

void wrap_decision_free(struct wrap_decision *d);

/* Run an allowed decision in this process: close fds >= 3, lower
 * RLIMIT_NOFILE to rlimit_nofile, reset signals, drop to the run-as user
 * (initgroups, setgid, setuid) and execve with a cleaned environment
 * (PATH fixed; TERM, LANG, LANGUAGE, LC_* kept when sane; HOME, USER,
 * LOGNAME of the run-as user; then the EnvFilter assignments).
 * Returns only on failure: a negative errno and a message in err. */
int wrap_exec(const struct wrap_ctx *ctx, const struct wrap_decision *d, char *err,
	      size_t errlen);

/* Write a printable, bounded rendering of argv (control bytes escaped,
 * words with spaces quoted) for logs. */
void wrap_format_argv(char *buf, size_t size, int argc, char *const argv[]);

#endif

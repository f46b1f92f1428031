/*
 * audit: checks an upsguard (or NUT) installation against NUT's security
 * chapter and upsguard's rules.  Each check adds findings with a severity
 * and the command that fixes them; upsaudit prints them.
 */
#ifndef UPSGUARD_AUDIT_H
#define UPSGUARD_AUDIT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define AUDIT_MAX_FINDINGS 512
#define AUDIT_TEXT_MAX 512

enum audit_severity {
	AUDIT_INFO = 0,
	AUDIT_WARNING = 1,
	AUDIT_ERROR = 2,
};

struct audit_finding {
	enum audit_severity severity;
	const char *check; /* static name of the check */
	char subject[PATH_MAX];
	char message[AUDIT_TEXT_MAX];
	char fix[AUDIT_TEXT_MAX];
};

struct audit_options {
	const char *root;      /* prefix for every path below, "" for the live system */
	const char *confdir;   /* configuration directory (without root) */
	const char *statepath; /* state directory (without root) */
	const char *procdir;   /* /proc to scan, NULL to skip the process check */
	const char *unitdirs[8];
	size_t nunitdirs;      /* 0 to skip the unit check */
	const char *group;     /* group that should own secrets, e.g. "upsguard" */
};

struct audit {
	struct audit_options opt;
	struct audit_finding *findings;
	size_t nfindings;
	bool truncated;
};

/* Prepare an audit; findings are allocated on first use. */
void audit_init(struct audit *a, const struct audit_options *opt);
void audit_free(struct audit *a);

/* The checks; each adds findings and never fails as a whole. */
void audit_check_config_files(struct audit *a);
void audit_check_statepath(struct audit *a);
void audit_check_users(struct audit *a);
void audit_check_listen(struct audit *a);
void audit_check_processes(struct audit *a);
void audit_check_units(struct audit *a);

/* Run every check enabled by the options. */
void audit_run_all(struct audit *a);

/* Highest severity found, or -1 when there is no finding. */
int audit_worst(const struct audit *a);

const char *audit_severity_name(enum audit_severity s);

/* Output: one finding per block with its fix, or a JSON document. */
void audit_print_text(const struct audit *a, FILE *f);
void audit_print_json(const struct audit *a, FILE *f);

#endif

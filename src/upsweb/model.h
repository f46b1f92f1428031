/*
 * model: upsweb's in-memory picture of every monitored UPS.
 *
 * The poller thread writes it, HTTP handlers read it; both hold the model's
 * mutex for the short time they copy or render, so an HTTP request never
 * waits for upsd.  Every collection is bounded by a named constant, since
 * the data comes from the network (a hostile or broken upsd).
 */
#ifndef UPSWEB_MODEL_H
#define UPSWEB_MODEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MODEL_MAX_UPS 64     /* MONITOR lines kept from hosts.conf */
#define MODEL_MAX_VARS 512   /* variables kept per UPS */
#define MODEL_MAX_CMDS 256   /* instant commands kept per UPS */
#define MODEL_NAME_MAX 128   /* UPS, host, variable and command names */
#define MODEL_VALUE_MAX 512  /* one value or description (NUT's line limit) */
#define MODEL_STATUS_MAX 256 /* ups.status */
#define MODEL_HIST_MAX 20000 /* history samples per UPS */
#define MODEL_ERROR_MAX 128

/* The four series drawn as charts, in this order everywhere. */
enum model_series {
	MODEL_S_CHARGE,  /* battery.charge, % */
	MODEL_S_LOAD,    /* ups.load, % */
	MODEL_S_RUNTIME, /* battery.runtime, s */
	MODEL_S_INVOLT,  /* input.voltage, V */
	MODEL_S_COUNT,
};

/* Variable names of the series, indexed by enum model_series. */
extern const char *const model_series_var[MODEL_S_COUNT];

struct model_var {
	char *name;
	char *value;
	char *desc; /* NULL until GET DESC answered */
	char *type; /* "RW STRING:16", "NUMBER", ...; NULL until GET TYPE answered */
};

struct model_cmd {
	char *name;
	char *desc; /* NULL when unknown */
};

struct model_sample {
	int64_t t;              /* unix time */
	float v[MODEL_S_COUNT]; /* NaN when the UPS did not report it */
};

struct model_hist {
	struct model_sample *ring;
	size_t cap, len, head; /* head: index of the oldest sample */
};

/* What one poll of one UPS produced; owned by whoever holds it. */
struct model_snap {
	struct model_var *vars; /* sorted case-insensitively by name */
	size_t nvars, vcap;
	struct model_cmd *cmds;
	size_t ncmds, ccap;
};

struct model_ups {
	/* From hosts.conf; constant after model_add(). */
	char id[2 * MODEL_NAME_MAX + 8]; /* "ups@host:port", the URL key */
	char name[MODEL_NAME_MAX];
	char host[MODEL_NAME_MAX];
	uint16_t port;
	char desc[MODEL_VALUE_MAX];

	/* Updated by the poller. */
	bool polled;    /* at least one poll finished */
	bool reachable; /* the last poll got data */
	char error[MODEL_ERROR_MAX];
	int64_t last_poll, last_ok;
	char status[MODEL_STATUS_MAX];
	int64_t status_since; /* when status last changed (first seen: first poll) */
	struct model_snap snap;
	struct model_hist hist;
	int64_t last_sample;
};

struct model {
	pthread_mutex_t lock;
	struct model_ups ups[MODEL_MAX_UPS];
	size_t nups;
	size_t hist_cap; /* samples kept per UPS */
	int hist_step;   /* seconds between history samples */
	int poll_every;  /* seconds between polls, for clients' refresh */
	int64_t started;
};

/* Initialise an empty model; history keeps hist_seconds/hist_step samples. */
int model_init(struct model *m, int hist_seconds, int hist_step, int poll_every);
void model_deinit(struct model *m);

/* Add a UPS (before the poller starts). Returns its index, -ENOSPC, -EINVAL
 * (name or host too long, duplicate id) or -ENOMEM. */
int model_add(struct model *m, const char *name, const char *host, uint16_t port, const char *desc);

/* Find a UPS by id ("ups@host:port") or, when unique, by plain UPS name.
 * Caller holds the lock. Returns NULL when not found. */
struct model_ups *model_find(struct model *m, const char *id);

/* Install a fresh poll result for UPS i at time now, taking ownership of
 * *snap (it is left empty).  Records status changes and history samples.
 * Takes the lock itself. */
void model_update(struct model *m, size_t i, struct model_snap *snap, int64_t now);

/* Record a failed poll for UPS i (keeps the last data, marks unreachable). */
void model_fail(struct model *m, size_t i, const char *error, int64_t now);

/* Snapshot helpers for the poller. */
void model_snap_free(struct model_snap *s);
/* Append a variable (copies strings). Returns 0, -ENOSPC or -ENOMEM. */
int model_snap_add_var(struct model_snap *s, const char *name, const char *value, const char *desc,
                       const char *type);
int model_snap_add_cmd(struct model_snap *s, const char *name, const char *desc);
/* Sort variables and commands by name, case-insensitively. */
void model_snap_sort(struct model_snap *s);

/* Look a variable up in a snapshot; NULL when absent. */
const char *model_snap_get(const struct model_snap *s, const char *name);

/* The i-th oldest history sample, i < h->len. */
const struct model_sample *model_hist_at(const struct model_hist *h, size_t i);

/* Status flags. */
enum model_severity {
	MODEL_SEV_OK,
	MODEL_SEV_WARN,
	MODEL_SEV_CRIT,
	MODEL_SEV_UNKNOWN,
};

/* Human words for one status token ("OL" -> "On line"); NULL if unknown. */
const char *model_flag_words(const char *flag);

/* Words for a whole ups.status into buf ("On line, Charging"). Unknown
 * tokens are kept as they are. Returns buf. */
char *model_status_words(const char *status, char *buf, size_t size);

/* The worst severity of the status tokens; UNKNOWN when unreachable. */
enum model_severity model_severity(const struct model_ups *u);
const char *model_severity_name(enum model_severity sev);

/* nut_exporter's forced flag list (--nut.statuses default), NULL-terminated. */
extern const char *const model_forced_flags[];

#endif

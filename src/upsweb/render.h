/*
 * render: HTML pages, the JSON API and Prometheus metrics, from the model.
 *
 * Pure functions of the model (and the clock value passed in): no I/O, so
 * they are unit-tested with fake data.  The caller holds the model's lock.
 * Every string from upsd is escaped for the output language.
 */
#ifndef UPSWEB_RENDER_H
#define UPSWEB_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/buffer.h>

#include "model.h"

#define RENDER_METRICS_MAX_SERIES 40000 /* per scrape, across all UPSes */

/* What the page may offer besides reading (login-gated actions). */
struct render_ctx {
	int64_t now;
	bool allow_commands;
	bool allow_writes;
	const char *user;   /* logged-in upsd user, or NULL */
	const char *csrf;   /* the session's CSRF token, or NULL */
	const char *notice; /* one-line message to show (result of an action), or NULL */
};

/* Pages. */
void render_overview_html(struct evbuffer *b, const struct model *m, const struct render_ctx *c);
void render_ups_html(struct evbuffer *b, const struct model *m, const struct model_ups *u,
                     const struct render_ctx *c);
void render_login_html(struct evbuffer *b, const struct render_ctx *c, const char *next);
void render_message_html(struct evbuffer *b, const char *title, const char *text);

/* JSON API (docs/api.md). */
void render_list_json(struct evbuffer *b, const struct model *m, const struct render_ctx *c);
void render_ups_json(struct evbuffer *b, const struct model *m, const struct model_ups *u,
                     const struct render_ctx *c);
void render_history_json(struct evbuffer *b, const struct model *m, const struct model_ups *u,
                         int64_t since);

/* Prometheus text format 0.0.4 with nut_exporter's names.
 * Returns 0, or -ENOMEM. */
int render_metrics(struct evbuffer *b, const struct model *m, const struct render_ctx *c);

/* Escapers, exposed for tests. */
void render_html_escape(struct evbuffer *b, const char *s);
void render_json_string(struct evbuffer *b, const char *s);
/* Metric name for a NUT variable: "network_ups_tools_" + name with every
 * character outside [a-z0-9_] mapped to '_' (upper case folded).  Returns
 * the length written or -ENAMETOOLONG. */
int render_metric_name(char *buf, size_t size, const char *var);

#endif

/*
 * render: pages, JSON and metrics (see render.h).
 *
 * The HTML carries no inline script or style (the CSP forbids both); the
 * pages are complete without JavaScript, and /static/app.js refreshes the
 * values from the JSON API and draws the charts.
 */
#include "render.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "str.h"

#define METRIC_PREFIX "network_ups_tools_"
#define METRIC_NAME_MAX 200

void
render_html_escape(struct evbuffer *b, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *rep = NULL;
		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		evbuffer_add(b, run, (size_t)(s - run));
		evbuffer_add(b, rep, strlen(rep));
		run = s + 1;
	}
	evbuffer_add(b, run, (size_t)(s - run));
}

void
render_json_string(struct evbuffer *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	evbuffer_add(b, "\"", 1);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			evbuffer_add_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f || *p == '<' || *p == '>' || *p == '&')
			/* NUT strips non-ASCII; anything else odd is escaped, and so are
			 * <>& so the JSON is safe even if sniffed as HTML. */
			evbuffer_add_printf(b, "\\u%04x", (unsigned)*p);
		else
			evbuffer_add(b, p, 1);
	}
	evbuffer_add(b, "\"", 1);
}

/* A JSON value for a NUT value: a number when NUT would call it one. */
static void
json_value(struct evbuffer *b, const char *v)
{
	if (v && str_is_number(v) && strlen(v) < 32) {
		double d = strtod(v, NULL);
		if (isfinite(d)) {
			evbuffer_add_printf(b, "%.10g", d);
			return;
		}
	}
	if (!v)
		evbuffer_add(b, "null", 4);
	else
		render_json_string(b, v);
}

static void
json_float(struct evbuffer *b, float v)
{
	if (isnan(v))
		evbuffer_add(b, "null", 4);
	else
		evbuffer_add_printf(b, "%.6g", (double)v);
}

static void
fmt_time(char *buf, size_t size, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || !gmtime_r(&tt, &tm)) {
		str_copy(buf, "never", size);
		return;
	}
	strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void
fmt_iso(char *buf, size_t size, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || !gmtime_r(&tt, &tm)) {
		buf[0] = '\0';
		return;
	}
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "1 h 05 min", "12 min 30 s", "45 s" from a number of seconds. */
static void
fmt_runtime(char *buf, size_t size, const char *secs)
{
	if (!secs || !str_is_number(secs)) {
		str_copy(buf, "–", size);
		return;
	}
	long s = (long)strtod(secs, NULL);
	if (s < 0)
		s = 0;
	if (s >= 3600)
		snprintf(buf, size, "%ld h %02ld min", s / 3600, (s % 3600) / 60);
	else if (s >= 60)
		snprintf(buf, size, "%ld min %02ld s", s / 60, s % 60);
	else
		snprintf(buf, size, "%ld s", s);
}

/* URL path segment encoding of an id (RFC 3986 unreserved kept). */
static void
url_segment(struct evbuffer *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr("-._~@:", *p))
			evbuffer_add(b, p, 1);
		else
			evbuffer_add_printf(b, "%%%02X", *p);
	}
}

/* ---- HTML ---- */

static void
html_head(struct evbuffer *b, const char *title, const char *page, const struct model *m)
{
	evbuffer_add_printf(
	    b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	       "<title>");
	render_html_escape(b, title);
	evbuffer_add_printf(
	    b,
	    " · upsweb</title>"
	    "<link rel=\"stylesheet\" href=\"/static/app.css\">"
	    "<link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">"
	    "<noscript><meta http-equiv=\"refresh\" content=\"%d\"></noscript>"
	    "<script src=\"/static/app.js\" defer></script>"
	    "</head>\n<body data-page=\"%s\" data-refresh=\"%d\">\n",
	    m->poll_every < 10 ? 10 : m->poll_every, page, m->poll_every);
}

static void
html_value(struct evbuffer *b, const struct model_ups *u, const char *var, const char *unit)
{
	const char *v = model_snap_get(&u->snap, var);
	if (!v || !*v) {
		evbuffer_add_printf(b, "–");
		return;
	}
	render_html_escape(b, v);
	if (unit)
		evbuffer_add_printf(b, " %s", unit);
}

static void
html_ups_summary(struct evbuffer *b, const struct model_ups *u, const struct render_ctx *c,
                 bool link)
{
	char words[512], when[64], rt[64];
	const char *charge = model_snap_get(&u->snap, "battery.charge");
	enum model_severity sev = model_severity(u);

	evbuffer_add_printf(b, "<article class=\"card sev-%s\" data-ups=\"",
	                    model_severity_name(sev));
	render_html_escape(b, u->id);
	evbuffer_add_printf(b, "\"><h2>");
	if (link) {
		evbuffer_add_printf(b, "<a href=\"/ups/");
		url_segment(b, u->id);
		evbuffer_add_printf(b, "\">");
	}
	render_html_escape(b, u->name);
	if (link)
		evbuffer_add_printf(b, "</a>");
	evbuffer_add_printf(b, " <small>");
	render_html_escape(b, u->host);
	evbuffer_add_printf(b, ":%u</small></h2>", (unsigned)u->port);
	if (u->desc[0]) {
		evbuffer_add_printf(b, "<p class=\"desc\">");
		render_html_escape(b, u->desc);
		evbuffer_add_printf(b, "</p>");
	}
	if (!u->polled)
		str_copy(words, "Waiting for the first poll", sizeof(words));
	else if (!u->reachable)
		snprintf(words, sizeof(words), "Unreachable: %s", u->error);
	else
		model_status_words(u->status, words, sizeof(words));
	evbuffer_add_printf(b, "<p class=\"status\" data-field=\"status_text\">");
	render_html_escape(b, words);
	/* The alarm text (ups.alarm) under the status; empty and hidden when none. */
	const char *alarm = model_snap_get(&u->snap, "ups.alarm");
	evbuffer_add_printf(b, "</p><p class=\"alarm\" data-field=\"ups.alarm\">");
	render_html_escape(b, alarm && u->reachable ? alarm : "");
	evbuffer_add_printf(b, "</p><div class=\"gauge\"><meter min=\"0\" max=\"100\" low=\"25\" "
	                       "high=\"60\" optimum=\"100\" value=\"");
	render_html_escape(b, charge && str_is_number(charge) ? charge : "0");
	evbuffer_add_printf(b, "\" data-field=\"charge_meter\"></meter> <span "
	                       "data-field=\"battery.charge\">");
	html_value(b, u, "battery.charge", "%");
	evbuffer_add_printf(b, "</span> <span class=\"label\">battery</span></div><dl>");
	fmt_runtime(rt, sizeof(rt), model_snap_get(&u->snap, "battery.runtime"));
	evbuffer_add_printf(b, "<dt>Runtime</dt><dd data-field=\"battery.runtime\">%s</dd>", rt);
	evbuffer_add_printf(b, "<dt>Load</dt><dd data-field=\"ups.load\">");
	html_value(b, u, "ups.load", "%");
	evbuffer_add_printf(b, "</dd><dt>Input</dt><dd data-field=\"input.voltage\">");
	html_value(b, u, "input.voltage", "V");
	evbuffer_add_printf(b, "</dd><dt>Output</dt><dd data-field=\"output.voltage\">");
	html_value(b, u, "output.voltage", "V");
	fmt_time(when, sizeof(when), u->status_since);
	evbuffer_add_printf(b, "</dd><dt>Status since</dt><dd data-field=\"status_since\">%s</dd>",
	                    when);
	fmt_time(when, sizeof(when), u->last_poll);
	evbuffer_add_printf(b, "<dt>Last poll</dt><dd data-field=\"last_poll\">%s</dd></dl>", when);
	evbuffer_add_printf(b, "</article>\n");
	(void)c;
}

static void
html_header(struct evbuffer *b, const char *title, const struct render_ctx *c, bool back)
{
	char when[64];

	evbuffer_add_printf(b, "<header>");
	if (back)
		evbuffer_add_printf(b, "<a class=\"back\" href=\"/\">← All UPSes</a>");
	evbuffer_add_printf(b, "<h1>");
	render_html_escape(b, title);
	fmt_time(when, sizeof(when), c->now);
	evbuffer_add_printf(b, "</h1><p class=\"updated\">Updated <span id=\"updated\">%s</span>",
	                    when);
	if ((c->allow_commands || c->allow_writes) && c->user) {
		evbuffer_add_printf(b, " · signed in as ");
		render_html_escape(b, c->user);
		evbuffer_add_printf(
		    b, " <form class=\"inline\" method=\"post\" "
		       "action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"");
		render_html_escape(b, c->csrf ? c->csrf : "");
		evbuffer_add_printf(b, "\"><button type=\"submit\">Sign out</button></form>");
	} else if (c->allow_commands || c->allow_writes) {
		evbuffer_add_printf(b, " · <a href=\"/login\">Sign in</a>");
	}
	evbuffer_add_printf(b, "</p></header>\n");
	if (c->notice) {
		evbuffer_add_printf(b, "<p class=\"notice\" role=\"status\">");
		render_html_escape(b, c->notice);
		evbuffer_add_printf(b, "</p>\n");
	}
}

void
render_overview_html(struct evbuffer *b, const struct model *m, const struct render_ctx *c)
{
	html_head(b, "UPS overview", "overview", m);
	html_header(b, "UPS overview", c, false);
	evbuffer_add_printf(b, "<main class=\"grid\">\n");
	if (m->nups == 0)
		evbuffer_add_printf(b, "<p>No UPS is listed in hosts.conf (add lines like "
		                       "<code>MONITOR myups@localhost \"My UPS\"</code>).</p>");
	for (size_t i = 0; i < m->nups; i++)
		html_ups_summary(b, &m->ups[i], c, true);
	evbuffer_add_printf(b, "</main>\n<footer>upsweb · read-only view of upsd</footer>\n"
	                       "</body></html>\n");
}

static const char *const chart_titles[MODEL_S_COUNT] = {
    [MODEL_S_CHARGE] = "Battery charge (%)",
    [MODEL_S_LOAD] = "Load (%)",
    [MODEL_S_RUNTIME] = "Runtime (s)",
    [MODEL_S_INVOLT] = "Input voltage (V)",
};

static void
html_commands(struct evbuffer *b, const struct model_ups *u, const struct render_ctx *c)
{
	if (u->snap.ncmds == 0)
		return;
	evbuffer_add_printf(b, "<section><h2>Instant commands</h2>");
	if (c->allow_commands && !c->user)
		evbuffer_add_printf(b, "<p><a href=\"/login\">Sign in</a> to run commands.</p>");
	evbuffer_add_printf(b,
	                    "<table class=\"cmds\"><thead><tr><th>Command</th>"
	                    "<th>Description</th>%s</tr></thead><tbody>",
	                    c->allow_commands && c->user ? "<th></th>" : "");
	for (size_t i = 0; i < u->snap.ncmds; i++) {
		const struct model_cmd *cmd = &u->snap.cmds[i];
		evbuffer_add_printf(b, "<tr><td><code>");
		render_html_escape(b, cmd->name);
		evbuffer_add_printf(b, "</code></td><td>");
		render_html_escape(b, cmd->desc ? cmd->desc : "");
		evbuffer_add_printf(b, "</td>");
		if (c->allow_commands && c->user) {
			evbuffer_add_printf(b, "<td><form method=\"post\" action=\"/ups/");
			url_segment(b, u->id);
			evbuffer_add_printf(b, "/command\"><input type=\"hidden\" name=\"csrf\" "
			                       "value=\"");
			render_html_escape(b, c->csrf ? c->csrf : "");
			evbuffer_add_printf(b, "\"><input type=\"hidden\" name=\"cmd\" value=\"");
			render_html_escape(b, cmd->name);
			evbuffer_add_printf(b,
			                    "\"><button type=\"submit\">Run</button></form></td>");
		}
		evbuffer_add_printf(b, "</tr>");
	}
	evbuffer_add_printf(b, "</tbody></table></section>\n");
}

static void
html_vars(struct evbuffer *b, const struct model_ups *u, const struct render_ctx *c)
{
	bool edit = c->allow_writes && c->user;

	evbuffer_add_printf(b, "<section><h2>Variables</h2><table class=\"vars\" id=\"vars\">"
	                       "<thead><tr><th>Name</th><th>Value</th><th>Type</th>"
	                       "<th>Description</th></tr></thead><tbody>");
	for (size_t i = 0; i < u->snap.nvars; i++) {
		const struct model_var *v = &u->snap.vars[i];
		bool rw = v->type && strstr(v->type, "RW");
		evbuffer_add_printf(b, "<tr data-var=\"");
		render_html_escape(b, v->name);
		evbuffer_add_printf(b, "\"><td><code>");
		render_html_escape(b, v->name);
		evbuffer_add_printf(b, "</code></td><td class=\"val\">");
		if (edit && rw) {
			evbuffer_add_printf(b, "<form method=\"post\" action=\"/ups/");
			url_segment(b, u->id);
			evbuffer_add_printf(b,
			                    "/set\"><input type=\"hidden\" name=\"csrf\" value=\"");
			render_html_escape(b, c->csrf ? c->csrf : "");
			evbuffer_add_printf(b, "\"><input type=\"hidden\" name=\"var\" value=\"");
			render_html_escape(b, v->name);
			evbuffer_add_printf(b, "\"><input name=\"value\" value=\"");
			render_html_escape(b, v->value);
			evbuffer_add_printf(b, "\" aria-label=\"new value\"><button "
			                       "type=\"submit\">Set</button></form>");
		} else {
			render_html_escape(b, v->value);
		}
		evbuffer_add_printf(b, "</td><td>");
		render_html_escape(b, v->type ? v->type : "");
		evbuffer_add_printf(b, "</td><td>");
		render_html_escape(b, v->desc ? v->desc : "");
		evbuffer_add_printf(b, "</td></tr>");
	}
	evbuffer_add_printf(b, "</tbody></table></section>\n");
}

void
render_ups_html(struct evbuffer *b, const struct model *m, const struct model_ups *u,
                const struct render_ctx *c)
{
	html_head(b, u->name, "ups", m);
	html_header(b, u->name, c, true);
	evbuffer_add_printf(b, "<main data-ups=\"");
	render_html_escape(b, u->id);
	evbuffer_add_printf(b, "\" data-step=\"%d\">\n", m->hist_step);
	html_ups_summary(b, u, c, false);
	evbuffer_add_printf(b, "<section><h2>History</h2><noscript><p>The charts need "
	                       "JavaScript; the values above refresh without it.</p></noscript>"
	                       "<div class=\"charts\">");
	for (int k = 0; k < MODEL_S_COUNT; k++)
		evbuffer_add_printf(
		    b,
		    "<figure class=\"chart\"><figcaption>%s</figcaption><svg id=\"chart-%d\" "
		    "data-var=\"%s\" viewBox=\"0 0 400 150\" role=\"img\" aria-label=\"%s\">"
		    "</svg></figure>",
		    chart_titles[k], k, model_series_var[k], chart_titles[k]);
	evbuffer_add_printf(b, "</div></section>\n");
	html_commands(b, u, c);
	html_vars(b, u, c);
	evbuffer_add_printf(b, "</main>\n<footer>upsweb</footer>\n</body></html>\n");
}

void
render_login_html(struct evbuffer *b, const struct render_ctx *c, const char *next)
{
	struct model dummy = {.poll_every = 3600};

	html_head(b, "Sign in", "login", &dummy);
	html_header(b, "Sign in", c, true);
	evbuffer_add_printf(b,
	                    "<main><form class=\"login\" method=\"post\" action=\"/login\">"
	                    "<p>Use an account from upsd.users; upsd checks it on every action.</p>"
	                    "<input type=\"hidden\" name=\"csrf\" value=\"");
	render_html_escape(b, c->csrf ? c->csrf : "");
	evbuffer_add_printf(b, "\"><input type=\"hidden\" name=\"next\" value=\"");
	render_html_escape(b, next ? next : "/");
	evbuffer_add_printf(
	    b, "\"><label>User <input name=\"username\" autocomplete=\"username\" required></label>"
	       "<label>Password <input name=\"password\" type=\"password\" "
	       "autocomplete=\"current-password\" required></label>"
	       "<button type=\"submit\">Sign in</button></form></main></body></html>\n");
}

void
render_message_html(struct evbuffer *b, const char *title, const char *text)
{
	evbuffer_add_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	                       "<meta name=\"viewport\" content=\"width=device-width, "
	                       "initial-scale=1\"><title>");
	render_html_escape(b, title);
	evbuffer_add_printf(b, "</title><link rel=\"stylesheet\" href=\"/static/app.css\">"
	                       "<link rel=\"icon\" href=\"/static/favicon.svg\" "
	                       "type=\"image/svg+xml\"></head><body><header><a class=\"back\" "
	                       "href=\"/\">← All UPSes</a><h1>");
	render_html_escape(b, title);
	evbuffer_add_printf(b, "</h1></header><main><p>");
	render_html_escape(b, text);
	evbuffer_add_printf(b, "</p></main></body></html>\n");
}

/* ---- JSON ---- */

static const char *const summary_vars[] = {
    "battery.charge", "battery.runtime", "ups.load", "input.voltage",
    "output.voltage", "ups.model",       "ups.mfr",  "device.model",
    "device.mfr",     "ups.alarm",       NULL,
};

static void
json_flags(struct evbuffer *b, const char *status)
{
	const char *p = status;
	bool first = true;
	char flag[MODEL_STATUS_MAX];

	evbuffer_add(b, "[", 1);
	while (*p) {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, " ");
		if (len == 0)
			break;
		snprintf(flag, sizeof(flag), "%.*s", (int)len, p);
		if (!first)
			evbuffer_add(b, ",", 1);
		render_json_string(b, flag);
		first = false;
		p += len;
	}
	evbuffer_add(b, "]", 1);
}

static void
json_ups_common(struct evbuffer *b, const struct model *m, const struct model_ups *u)
{
	char words[512], iso[32];

	evbuffer_add_printf(b, "\"id\":");
	render_json_string(b, u->id);
	evbuffer_add_printf(b, ",\"name\":");
	render_json_string(b, u->name);
	evbuffer_add_printf(b, ",\"host\":");
	render_json_string(b, u->host);
	evbuffer_add_printf(b, ",\"port\":%u,\"desc\":", (unsigned)u->port);
	render_json_string(b, u->desc);
	evbuffer_add_printf(b, ",\"polled\":%s,\"reachable\":%s,\"error\":",
	                    u->polled ? "true" : "false", u->reachable ? "true" : "false");
	if (u->reachable || !u->polled)
		evbuffer_add(b, "null", 4);
	else
		render_json_string(b, u->error);
	evbuffer_add_printf(b, ",\"status\":");
	render_json_string(b, u->status);
	evbuffer_add_printf(b, ",\"flags\":");
	json_flags(b, u->status);
	if (!u->polled)
		str_copy(words, "Waiting for the first poll", sizeof(words));
	else if (!u->reachable)
		snprintf(words, sizeof(words), "Unreachable: %s", u->error);
	else
		model_status_words(u->status, words, sizeof(words));
	evbuffer_add_printf(b, ",\"status_text\":");
	render_json_string(b, words);
	evbuffer_add_printf(b, ",\"severity\":\"%s\"", model_severity_name(model_severity(u)));
	fmt_iso(iso, sizeof(iso), u->status_since);
	evbuffer_add_printf(b, ",\"status_since\":%lld,\"status_since_iso\":\"%s\"",
	                    (long long)u->status_since, iso);
	evbuffer_add_printf(b, ",\"last_poll\":%lld,\"last_ok\":%lld", (long long)u->last_poll,
	                    (long long)u->last_ok);
	evbuffer_add_printf(b, ",\"summary\":{");
	bool first = true;
	for (size_t i = 0; summary_vars[i]; i++) {
		const char *v = model_snap_get(&u->snap, summary_vars[i]);
		if (!v)
			continue;
		evbuffer_add_printf(b, "%s\"%s\":", first ? "" : ",", summary_vars[i]);
		json_value(b, v);
		first = false;
	}
	evbuffer_add(b, "}", 1);
	(void)m;
}

void
render_list_json(struct evbuffer *b, const struct model *m, const struct render_ctx *c)
{
	evbuffer_add_printf(b, "{\"generated\":%lld,\"poll_interval\":%d,\"ups\":[",
	                    (long long)c->now, m->poll_every);
	for (size_t i = 0; i < m->nups; i++) {
		evbuffer_add_printf(b, "%s{", i ? "," : "");
		json_ups_common(b, m, &m->ups[i]);
		evbuffer_add(b, "}", 1);
	}
	evbuffer_add_printf(b, "]}\n");
}

void
render_ups_json(struct evbuffer *b, const struct model *m, const struct model_ups *u,
                const struct render_ctx *c)
{
	evbuffer_add_printf(b, "{\"generated\":%lld,\"poll_interval\":%d,", (long long)c->now,
	                    m->poll_every);
	json_ups_common(b, m, u);
	evbuffer_add_printf(b, ",\"variables\":[");
	for (size_t i = 0; i < u->snap.nvars; i++) {
		const struct model_var *v = &u->snap.vars[i];
		evbuffer_add_printf(b, "%s{\"name\":", i ? "," : "");
		render_json_string(b, v->name);
		evbuffer_add_printf(b, ",\"value\":");
		render_json_string(b, v->value);
		evbuffer_add_printf(b, ",\"type\":");
		if (v->type)
			render_json_string(b, v->type);
		else
			evbuffer_add(b, "null", 4);
		evbuffer_add_printf(b, ",\"desc\":");
		if (v->desc)
			render_json_string(b, v->desc);
		else
			evbuffer_add(b, "null", 4);
		evbuffer_add_printf(b, ",\"writable\":%s}",
		                    v->type && strstr(v->type, "RW") ? "true" : "false");
	}
	evbuffer_add_printf(b, "],\"commands\":[");
	for (size_t i = 0; i < u->snap.ncmds; i++) {
		evbuffer_add_printf(b, "%s{\"name\":", i ? "," : "");
		render_json_string(b, u->snap.cmds[i].name);
		evbuffer_add_printf(b, ",\"desc\":");
		if (u->snap.cmds[i].desc)
			render_json_string(b, u->snap.cmds[i].desc);
		else
			evbuffer_add(b, "null", 4);
		evbuffer_add(b, "}", 1);
	}
	evbuffer_add_printf(b, "],\"actions\":{\"commands\":%s,\"writes\":%s}}\n",
	                    c->allow_commands ? "true" : "false",
	                    c->allow_writes ? "true" : "false");
}

void
render_history_json(struct evbuffer *b, const struct model *m, const struct model_ups *u,
                    int64_t since)
{
	evbuffer_add_printf(b, "{\"id\":");
	render_json_string(b, u->id);
	evbuffer_add_printf(b, ",\"step\":%d,\"capacity\":%zu,\"series\":[", m->hist_step,
	                    u->hist.cap);
	for (int k = 0; k < MODEL_S_COUNT; k++)
		evbuffer_add_printf(b, "%s\"%s\"", k ? "," : "", model_series_var[k]);
	evbuffer_add_printf(b, "],\"points\":[");
	bool first = true;
	for (size_t i = 0; i < u->hist.len; i++) {
		const struct model_sample *s = model_hist_at(&u->hist, i);
		if (s->t <= since)
			continue;
		evbuffer_add_printf(b, "%s[%lld", first ? "" : ",", (long long)s->t);
		for (int k = 0; k < MODEL_S_COUNT; k++) {
			evbuffer_add(b, ",", 1);
			json_float(b, s->v[k]);
		}
		evbuffer_add(b, "]", 1);
		first = false;
	}
	evbuffer_add_printf(b, "]}\n");
}

/* ---- Prometheus ---- */

int
render_metric_name(char *buf, size_t size, const char *var)
{
	size_t plen = strlen(METRIC_PREFIX), n = strlen(var);

	if (plen + n + 1 > size)
		return -ENAMETOOLONG;
	memcpy(buf, METRIC_PREFIX, plen);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)tolower((unsigned char)var[i]);
		buf[plen + i] = (isalnum(ch) && ch < 0x80) || ch == '_' ? (char)ch : '_';
	}
	buf[plen + n] = '\0';
	return (int)(plen + n);
}

/* Label values escape backslash, double quote and newline. */
static void
label_value(struct evbuffer *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			evbuffer_add_printf(b, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, s, 1);
	}
}

/* HELP text escapes backslash and newline. */
static void
help_text(struct evbuffer *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			evbuffer_add(b, "\\\\", 2);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, s, 1);
	}
}

static void
ups_labels(struct evbuffer *b, const struct model_ups *u)
{
	evbuffer_add_printf(b, "ups=\"");
	label_value(b, u->name);
	evbuffer_add_printf(b, "\",server=\"");
	label_value(b, u->host);
	evbuffer_add_printf(b, ":%u\"", (unsigned)u->port);
}

/* nut_exporter's default --nut.on_regex / --nut.off_regex words. */
static int
bool_word(const char *v)
{
	static const char *const on[] = {"enable", "enabled",   "on", "true",
	                                 "active", "activated", NULL};
	static const char *const off[] = {"disable",  "disabled",    "off", "false",
	                                  "inactive", "deactivated", NULL};
	for (size_t i = 0; on[i]; i++)
		if (strcasecmp(v, on[i]) == 0)
			return 1;
	for (size_t i = 0; off[i]; i++)
		if (strcasecmp(v, off[i]) == 0)
			return 0;
	return -1;
}

struct series {
	char name[METRIC_NAME_MAX];
	const struct model_ups *u;
	const struct model_var *v;
	double value;
};

static int
odd_chars(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.');
	return n;
}

static int
series_cmp(const void *a, const void *b)
{
	const struct series *x = a, *y = b;
	int r = strcmp(x->name, y->name);
	if (r)
		return r;
	/* Same family: keep the UPS order stable. */
	if (x->u != y->u)
		return x->u < y->u ? -1 : 1;
	/* Same UPS and metric name ("ups.load", "ups-load"): the NUT spelling
	 * (only lower case, digits and dots) first, it is the one exported. */
	return odd_chars(x->v->name) - odd_chars(y->v->name);
}

/* Names promtool's linter reserves for histograms and summaries. */
static bool
reserved_suffix(const char *name)
{
	static const char *const sfx[] = {"_count", "_sum", "_bucket", "_total", "_created", NULL};
	size_t n = strlen(name);
	for (size_t i = 0; sfx[i]; i++) {
		size_t k = strlen(sfx[i]);
		if (n >= k && strcmp(name + n - k, sfx[i]) == 0)
			return true;
	}
	return false;
}

static int
collect_series(const struct model *m, struct series **ret, size_t *ret_n)
{
	size_t cap = 0, n = 0;
	struct series *s = NULL;

	for (size_t i = 0; i < m->nups; i++) {
		const struct model_ups *u = &m->ups[i];
		if (!u->reachable)
			continue;
		for (size_t k = 0; k < u->snap.nvars; k++) {
			const struct model_var *v = &u->snap.vars[k];
			double value;
			int bw;
			if (strcasecmp(v->name, "ups.status") == 0)
				continue;
			if (str_is_number(v->value) && strlen(v->value) < 32)
				value = strtod(v->value, NULL);
			else if ((bw = bool_word(v->value)) >= 0)
				value = bw;
			else
				continue;
			if (!isfinite(value))
				continue;
			if (n >= RENDER_METRICS_MAX_SERIES)
				break;
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 256;
				struct series *ns = realloc(s, ncap * sizeof(*ns));
				if (!ns) {
					free(s);
					return -ENOMEM;
				}
				s = ns;
				cap = ncap;
			}
			if (render_metric_name(s[n].name, sizeof(s[n].name), v->name) < 0 ||
			    strcmp(s[n].name, METRIC_PREFIX "device_info") == 0 ||
			    strcmp(s[n].name, METRIC_PREFIX "ups_status") == 0)
				continue;
			/* Keep the family a plain gauge for promtool: names that end like a
			 * histogram/summary/counter part get a "_value" suffix. */
			if (reserved_suffix(s[n].name) && strlen(s[n].name) + 7 < sizeof(s[n].name))
				strcat(s[n].name, "_value");
			s[n].u = u;
			s[n].v = v;
			s[n].value = value;
			n++;
		}
	}
	if (n > 1)
		qsort(s, n, sizeof(*s), series_cmp);
	*ret = s;
	*ret_n = n;
	return 0;
}

static void
metrics_status(struct evbuffer *b, const struct model *m)
{
	const char *fam = METRIC_PREFIX "ups_status";

	evbuffer_add_printf(b,
	                    "# HELP %s UPS status flag, 1 when set (ups.status)\n"
	                    "# TYPE %s gauge\n",
	                    fam, fam);
	for (size_t i = 0; i < m->nups; i++) {
		const struct model_ups *u = &m->ups[i];
		if (!u->reachable)
			continue;
		/* Forced flags first (0 or 1), then any other flag present. */
		for (size_t f = 0; model_forced_flags[f]; f++) {
			char pad[MODEL_STATUS_MAX + 2];
			snprintf(pad, sizeof(pad), " %s ", u->status);
			char want[32];
			snprintf(want, sizeof(want), " %s ", model_forced_flags[f]);
			evbuffer_add_printf(b, "%s{flag=\"%s\",", fam, model_forced_flags[f]);
			ups_labels(b, u);
			evbuffer_add_printf(b, "} %d\n", strstr(pad, want) ? 1 : 0);
		}
		const char *p = u->status;
		while (*p) {
			while (*p == ' ')
				p++;
			size_t len = strcspn(p, " ");
			if (len == 0)
				break;
			bool forced = false, dup = false;
			for (size_t f = 0; model_forced_flags[f]; f++)
				if (strlen(model_forced_flags[f]) == len &&
				    strncmp(model_forced_flags[f], p, len) == 0)
					forced = true;
			/* A flag repeated in ups.status is exported once. */
			for (const char *q = u->status; q < p; q++)
				if ((q == u->status || q[-1] == ' ') && strncmp(q, p, len) == 0 &&
				    (q[len] == ' ' || q[len] == '\0'))
					dup = true;
			if (!forced && !dup) {
				evbuffer_add_printf(b, "%s{flag=\"", fam);
				char flag[MODEL_STATUS_MAX];
				snprintf(flag, sizeof(flag), "%.*s", (int)len, p);
				label_value(b, flag);
				evbuffer_add_printf(b, "\",");
				ups_labels(b, u);
				evbuffer_add_printf(b, "} 1\n");
			}
			p += len;
		}
	}
}

static const char *const device_labels[] = {
    "model", "mfr", "serial", "type", "description", "contact", "location", "part", "macaddr", NULL,
};

static void
metrics_device_info(struct evbuffer *b, const struct model *m)
{
	const char *fam = METRIC_PREFIX "device_info";
	char var[64];

	evbuffer_add_printf(b, "# HELP %s UPS Device information\n# TYPE %s gauge\n", fam, fam);
	for (size_t i = 0; i < m->nups; i++) {
		const struct model_ups *u = &m->ups[i];
		if (!u->reachable)
			continue;
		evbuffer_add_printf(b, "%s{", fam);
		for (size_t k = 0; device_labels[k]; k++) {
			snprintf(var, sizeof(var), "device.%s", device_labels[k]);
			const char *v = model_snap_get(&u->snap, var);
			evbuffer_add_printf(b, "%s=\"", device_labels[k]);
			label_value(b, v ? v : "");
			evbuffer_add_printf(b, "\",");
		}
		ups_labels(b, u);
		evbuffer_add_printf(b, "} 1\n");
	}
}

static void
metrics_upsweb(struct evbuffer *b, const struct model *m)
{
	evbuffer_add_printf(b, "# HELP upsweb_ups_up 1 when the last poll of the UPS through upsd "
	                       "succeeded\n# TYPE upsweb_ups_up gauge\n");
	for (size_t i = 0; i < m->nups; i++) {
		evbuffer_add_printf(b, "upsweb_ups_up{");
		ups_labels(b, &m->ups[i]);
		evbuffer_add_printf(b, "} %d\n", m->ups[i].reachable ? 1 : 0);
	}
	evbuffer_add_printf(b, "# HELP upsweb_ups_last_poll_timestamp_seconds Time of the last "
	                       "successful poll of the UPS\n"
	                       "# TYPE upsweb_ups_last_poll_timestamp_seconds gauge\n");
	for (size_t i = 0; i < m->nups; i++) {
		evbuffer_add_printf(b, "upsweb_ups_last_poll_timestamp_seconds{");
		ups_labels(b, &m->ups[i]);
		evbuffer_add_printf(b, "} %lld\n", (long long)m->ups[i].last_ok);
	}
}

int
render_metrics(struct evbuffer *b, const struct model *m, const struct render_ctx *c)
{
	struct series *s = NULL;
	size_t n = 0;

	if (collect_series(m, &s, &n) < 0)
		return -ENOMEM;
	metrics_device_info(b, m);
	metrics_status(b, m);
	for (size_t i = 0; i < n; i++) {
		bool first = i == 0 || strcmp(s[i].name, s[i - 1].name) != 0;
		/* One series per UPS and name (e.g. "ups.load" and "ups-load"). */
		if (!first && s[i].u == s[i - 1].u)
			continue;
		if (first) {
			evbuffer_add_printf(b, "# HELP %s ", s[i].name);
			help_text(b, s[i].v->desc ? s[i].v->desc : "Description unavailable");
			evbuffer_add_printf(b, " (");
			help_text(b, s[i].v->name);
			evbuffer_add_printf(b, ")\n# TYPE %s gauge\n", s[i].name);
		}
		evbuffer_add_printf(b, "%s{", s[i].name);
		ups_labels(b, s[i].u);
		evbuffer_add_printf(b, "} %.15g\n", s[i].value);
	}
	free(s);
	metrics_upsweb(b, m);
	(void)c;
	return 0;
}

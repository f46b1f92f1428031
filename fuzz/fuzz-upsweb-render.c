/*
 * Fuzz the renderers with hostile upsd data: the input is lines of
 * "name<TAB>value" (the first line is ups.status) fed into a model, then
 * every page, JSON document and the metrics are rendered (ASan/UBSan
 * find overruns).  Checks that the JSON has no raw control characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "model.h"
#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
load(struct model *m, const char *text)
{
	struct model_snap s = {0};
	const char *p = text;
	int n = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[1024];
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		char *tab = strchr(line, '\t');
		if (tab)
			*tab++ = '\0';
		if (n == 0)
			model_snap_add_var(&s, "ups.status", line, NULL, NULL);
		else if (line[0] == '!')
			model_snap_add_cmd(&s, line + 1, tab);
		else
			model_snap_add_var(&s, line, tab ? tab : "", tab,
			                   n % 2 ? "RW STRING:8" : NULL);
		n++;
		p += nl ? (size_t)(nl - p) + 1 : strlen(p);
	}
	model_snap_sort(&s);
	model_update(m, 0, &s, 1700000000 + n);
	model_snap_free(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model m;
	struct render_ctx c = {
	    .now = 1700000000, .allow_writes = size % 2, .user = "u", .csrf = "t"};
	char *text = malloc(size + 1);
	struct evbuffer *b = evbuffer_new();

	if (!text || !b || model_init(&m, 100, 10, 5) < 0)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	model_add(&m, "fuzz", "localhost", 3493, text);
	load(&m, text);
	load(&m, text);
	render_overview_html(b, &m, &c);
	render_ups_html(b, &m, &m.ups[0], &c);
	evbuffer_drain(b, evbuffer_get_length(b));
	render_list_json(b, &m, &c);
	render_ups_json(b, &m, &m.ups[0], &c);
	render_history_json(b, &m, &m.ups[0], 0);
	size_t n = evbuffer_get_length(b);
	unsigned char *j = evbuffer_pullup(b, -1);
	for (size_t i = 0; i < n; i++)
		if (j[i] < 0x20 && j[i] != '\n')
			abort();
	evbuffer_drain(b, n);
	if (render_metrics(b, &m, &c) < 0)
		abort();
	evbuffer_free(b);
	model_deinit(&m);
	free(text);
	return 0;
}

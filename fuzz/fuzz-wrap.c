/*
 * fuzz-wrap: arbitrary bytes as a filter file (up to the first NUL), then
 * as a command line (words separated by '\n'); the filter-file parser, the
 * Python-to-PCRE2 regex translation and the decision all run on it.  Also
 * compiles each command word as a Python pattern.  Nothing is executed.
 */
#include "wrap/wrap-int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_WORDS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_decision(const struct wrap_decision *d, int rc)
{
	if (rc != d->rc)
		abort();
	if (rc == 0 && (!d->path || !d->argv || !d->argv[0] || strcmp(d->path, d->argv[0]) != 0))
		abort();
	if (rc != 0 && rc != WRAP_RC_UNAUTHORIZED && rc != WRAP_RC_NOEXEC &&
	    rc != WRAP_RC_BADCONFIG && rc != WRAP_RC_NOCOMMAND)
		abort();
	if (strlen(d->msg) >= sizeof(d->msg))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *conf = "[DEFAULT]\nfilters_path=/nonexistent\nexec_dirs=/bin,/usr/bin\n";
	char *buf = malloc(size + 1), *cmd, *argv[FUZZ_MAX_WORDS + 1];
	const char *names[] = {"fuzz.filters"};
	const char *texts[1];
	struct wrap_ctx *ctx = NULL;
	struct wrap_decision d;
	char err[512];
	int argc = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	cmd = strlen(buf) < size ? buf + strlen(buf) + 1 : buf + size;
	texts[0] = buf;
	for (char *w = cmd; argc < FUZZ_MAX_WORDS && w < buf + size;) {
		char *nl = strchr(w, '\n');
		if (nl)
			*nl = '\0';
		argv[argc++] = w;
		if (!nl)
			break;
		w = nl + 1;
	}
	argv[argc] = NULL;
	if (wrap_load_mem(conf, 1, names, texts, &ctx, err, sizeof(err)) != 0)
		abort();
	for (size_t i = 0; i < wrap_problem_count(ctx); i++)
		if (!wrap_problem(ctx, i))
			abort();
	int rc = wrap_decide(ctx, argc, argv, &d);
	check_decision(&d, rc);
	wrap_decision_free(&d);
	wrap_free(ctx);
	for (int i = 0; i < argc; i++) {
		struct wre *re = wre_compile(argv[i], err, sizeof(err));
		if (re) {
			(void)wre_match(re, argv[i]);
			wre_free(re);
		}
	}
	free(buf);
	return 0;
}

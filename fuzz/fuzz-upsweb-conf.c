/* Fuzz upsweb.conf parsing and the print/parse identity of its printer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webconf a, b;
	char *out1 = NULL, *out2 = NULL;
	size_t n1 = 0, n2 = 0;
	FILE *devnull = fopen("/dev/null", "w");

	if (!devnull)
		return 0;
	if (webconf_parse("fuzz", (const char *)data, size, &a, devnull) == 0) {
		FILE *f = open_memstream(&out1, &n1);
		webconf_print(&a, f);
		fclose(f);
		if (webconf_parse("print", out1, n1, &b, devnull) != 0)
			abort();
		f = open_memstream(&out2, &n2);
		webconf_print(&b, f);
		fclose(f);
		if (n1 != n2 || memcmp(out1, out2, n1) != 0)
			abort();
	}
	free(out1);
	free(out2);
	fclose(devnull);
	return 0;
}

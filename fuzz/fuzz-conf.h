/*
 * fuzz-conf.h: the body shared by the config parser fuzz targets.  Each
 * target defines CONF_T (the struct and function prefix) and includes this.
 *
 * Properties checked: parsing never crashes or leaks; when it succeeds the
 * canonical print parses again without error and prints identically.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
print_to_mem(const struct CONF_T *c, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		abort();
	CAT(CONF_T, _print)(f, c);
	if (fclose(f) != 0)
		abort();
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_diag d;
	struct CONF_T *c = NULL, *c2 = NULL;
	char *p1, *p2;
	size_t l1, l2;

	if (size > CONF_MAX_FILE_SIZE)
		return 0;
	conf_diag_init(&d);
	if (CAT(CONF_T, _parse)("fuzz", (const char *)data, size, &c, &d) < 0) {
		if (c || d.nerrors == 0)
			abort(); /* a failed load reports and returns nothing */
		conf_diag_free(&d);
		return 0;
	}
	p1 = print_to_mem(c, &l1);
	conf_diag_free(&d);
	if (CAT(CONF_T, _parse)("fuzz-print", p1, l1, &c2, &d) < 0) {
		conf_diag_print(stderr, &d);
		fprintf(stderr, "--- canonical print that failed to parse:\n%s", p1);
		abort();
	}
	p2 = print_to_mem(c2, &l2);
	if (l1 != l2 || memcmp(p1, p2, l1) != 0) {
		fprintf(stderr, "--- first print:\n%s--- second print:\n%s", p1, p2);
		abort();
	}
	free(p1);
	free(p2);
	CAT(CONF_T, _free)(c);
	CAT(CONF_T, _free)(c2);
	conf_diag_free(&d);
	return 0;
}

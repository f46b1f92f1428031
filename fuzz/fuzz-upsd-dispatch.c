/*
 * fuzz-upsd-dispatch: arbitrary client bytes through upsd's tokenizer and
 * command dispatcher, against an in-memory server with one UPS (every
 * variable kind, commands, tracking) and a connected fake driver end.
 * The input is split into a few feeds to exercise partial lines; the
 * replies must always end with a newline and stay within a bound.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fixture f;
	char drv[65536];
	size_t off = 0;

	if (fixture_init(&f, size && (data[0] & 1) ? "ANONYMOUS_READ none\n" : NULL) < 0)
		abort();
	while (off < size) {
		size_t n = size - off;
		const char *r;

		if (n > 97)
			n = 97 + (data[off] % 64);
		if (n > size - off)
			n = size - off;
		r = fixture_feed(&f, (const char *)data + off, n);
		if (r[0] && r[strlen(r) - 1] != '\n')
			abort();
		/* One feed of at most 161 bytes cannot ask for more than a few
		 * whole lists of the fixture's small UPS. */
		if (strlen(r) > 64 * 1024)
			abort();
		off += n;
		(void)fixture_driver_read(&f, drv, sizeof(drv));
	}
	fixture_free(&f);
	return 0;
}

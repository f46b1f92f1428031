/*
 * fuzz-devfile: arbitrary bytes as a dummy-ups definition file.  Every
 * event must respect its bounds, and the reader must reach the end.
 */
#include "devfile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct df_reader rd;
	struct df_event ev;
	size_t n = 0;

	if (df_open_mem(&rd, "fuzz.dev", (const char *)data, size) < 0)
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		while (df_next(&rd, &ev) != DF_END) {
			if (strlen(ev.value) >= DF_MAX_VALUE || strlen(ev.msg) >= DF_MAX_MSG)
				abort();
			if (ev.kind == DF_VAR && !st_valid_name(ev.name))
				abort();
			if (ev.kind == DF_TIMER && (ev.secs < 0 || ev.secs > DF_MAX_TIMER))
				abort();
			if (++n > size + 2)
				abort(); /* more events than lines: the reader is stuck */
		}
		df_rewind(&rd);
		n = 0;
	}
	df_close(&rd);
	return 0;
}

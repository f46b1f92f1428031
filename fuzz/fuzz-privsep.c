/*
 * fuzz-privsep: arbitrary bytes as a received privsep message.  A decoded
 * message must be exactly one of the known types, with NUL-terminated
 * printable strings, and must encode back to the same bytes.
 */
#include "privsep/privsep.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ALL                                                                                        \
	(PRIVSEP_ACCEPT(PRIVSEP_SHUTDOWN) | PRIVSEP_ACCEPT(PRIVSEP_NOTIFY) |                        \
	    PRIVSEP_ACCEPT(PRIVSEP_FSD) | PRIVSEP_ACCEPT(PRIVSEP_STOP))

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct privsep_msg m;
	unsigned char out[PRIVSEP_MSG_MAX];

	/* [priv]'s view: only SHUTDOWN, and only in its exact form. */
	if (privsep_decode(data, size, PRIVSEP_ACCEPT(PRIVSEP_SHUTDOWN), 0, &m) == 0) {
		if (m.type != PRIVSEP_SHUTDOWN || size != 12 ||
		    m.u.shutdown.magic != PRIVSEP_SHUTDOWN_MAGIC)
			abort();
	}
	if (privsep_decode(data, size, ALL, 64, &m) != 0)
		return 0;
	if (m.type == PRIVSEP_NOTIFY) {
		if (m.u.notify.event >= 64 || strlen(m.u.notify.ups) >= PRIVSEP_UPS_MAX ||
		    strlen(m.u.notify.text) >= PRIVSEP_TEXT_MAX)
			abort();
		for (const char *p = m.u.notify.text; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				abort();
	}
	int n = privsep_encode(&m, out, sizeof(out));
	if (n < 0 || (size_t)n != size)
		abort();
	/* Bytes after a field's NUL are not kept, so compare the header only. */
	if (memcmp(out, data, 8) != 0)
		abort();
	return 0;
}

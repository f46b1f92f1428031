/*
 * upslog_format: NUT upslog's format strings, compiled once and rendered
 * per poll.  Escapes: %% %TIME fmt% (strftime, '@' stands for '%')
 * %ETIME% %HOST% %UPSHOST% %PID% %VAR name%; anything else between two
 * '%' and a '%' without a partner render as "INVALID", as in NUT.
 */
#ifndef UPSGUARD_UPSLOG_FORMAT_H
#define UPSGUARD_UPSLOG_FORMAT_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define ULF_FORMAT_MAX 2048 /* bytes of a format string */
#define ULF_ITEMS_MAX 512   /* compiled items */
#define ULF_LINE_MAX 4096   /* one rendered line (NUT's LARGEBUF), NUL included */

#define ULF_DEFAULT                                                                                \
	"%TIME @Y@m@d @H@M@S% %VAR battery.charge% %VAR input.voltage% %VAR ups.load% [%VAR "      \
	"ups.status%] %VAR ups.temperature% %VAR input.frequency%"

enum ulf_kind { ULF_LITERAL, ULF_HOST, ULF_UPSHOST, ULF_PID, ULF_TIME, ULF_VAR, ULF_ETIME };

struct ulf_item {
	enum ulf_kind kind;
	char *arg; /* literal text, strftime format, or variable name; may be NULL */
};

struct ulf_format {
	size_t n;
	struct ulf_item items[ULF_ITEMS_MAX];
};

/* What rendering needs from the caller: the values of one poll. */
struct ulf_context {
	const char *upshost; /* the UPS as given (ups@host:port) */
	const char *hostname;
	pid_t pid;
	time_t now;
	/* Value of a variable into buf; return 0, or <0 to print "NA". */
	int (*get_var)(void *arg, const char *var, char *buf, size_t size);
	void *arg;
};

/* Compile fmt.  Returns 0, -E2BIG (over ULF_FORMAT_MAX or ULF_ITEMS_MAX)
 * or -ENOMEM.  Free with ulf_free() in all cases. */
int ulf_compile(const char *fmt, struct ulf_format *f);
void ulf_free(struct ulf_format *f);

/* Render one line (without newline) into buf (ULF_LINE_MAX bytes is
 * enough; longer output is cut).  Returns the length written. */
size_t ulf_render(const struct ulf_format *f, const struct ulf_context *ctx, char *buf,
                  size_t size);

#endif

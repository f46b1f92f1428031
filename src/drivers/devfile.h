/*
 * devfile: reads dummy-ups definition files (.dev, .seq) line by line with
 * NUT's word rules, the way NUT 2.8's dummy-ups interprets them:
 *   - "name: value words..." sets a variable; the value is the words joined
 *     by single spaces, cut at DF_MAX_VALUE - 1 bytes (NUT: 128-byte buffer);
 *   - a name line without words repeats the value of the previous variable
 *     line of the same pass (NUT 2.8 reuses its value buffer), or is
 *     skipped when there is none;
 *   - driver.* lines are skipped; "ups.status" gives a status event;
 *   - "TIMER <seconds>" pauses the pass; "ALARM [text...]" sets or clears
 *     the alarm (an upsguard extension, documented in dummy-ups(8));
 *   - a line that cannot be tokenized, or whose first word is not
 *     "name:", is an error event carrying "file:line: message".
 * The whole file is read at open (at most DF_MAX_FILE bytes), so a pass
 * paused by TIMER continues from the same content.
 */
#ifndef UPSGUARD_DRIVERS_DEVFILE_H
#define UPSGUARD_DRIVERS_DEVFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "sock/state.h"
#include "tokenizer.h"

#define DF_MAX_FILE (4 * 1024 * 1024)
#define DF_MAX_VALUE 128   /* NUT's MAX_STRING_SIZE */
#define DF_MAX_TIMER 86400 /* seconds of one TIMER */
#define DF_MAX_MSG 512

enum df_kind {
	DF_END = 0, /* end of file */
	DF_VAR,     /* name, value */
	DF_STATUS,  /* value: the status tokens */
	DF_TIMER,   /* secs */
	DF_ALARM,   /* value: alarm text, "" clears */
	DF_ERROR,   /* msg */
};

struct df_event {
	enum df_kind kind;
	unsigned line;
	char name[ST_MAX_NAME + 1];
	char value[DF_MAX_VALUE];
	long secs;
	char msg[DF_MAX_MSG];
};

struct df_reader {
	char *path;
	char *buf;
	size_t len, off;
	bool finished;
	struct tokenizer tok;
	char last[DF_MAX_VALUE]; /* previous variable value in this pass */
	bool have_last;
};

/* Read the whole file. 0, -errno, or -EFBIG over DF_MAX_FILE. */
int df_open(struct df_reader *r, const char *path);

/* The same from memory (tests); path is used in messages. */
int df_open_mem(struct df_reader *r, const char *path, const char *data, size_t len);

/* The next event; DF_END once the content is used up. */
enum df_kind df_next(struct df_reader *r, struct df_event *ev);

/* Start a new pass over the same content (dummy-loop). */
void df_rewind(struct df_reader *r);

void df_close(struct df_reader *r);

#endif

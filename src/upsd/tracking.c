/*
 * tracking: results of SET and INSTCMD requests sent with tracking on.
 *
 * Ids are random UUID v4 in upper case, as NUT 2.8.0 prints them; the
 * table is global (any client with tracking on may ask about any id) and
 * bounded: entries expire after TRACKINGDELAY, and when the table is full
 * the oldest entry makes room.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "proto/proto.h"
#include "upsd.h"

static int
make_uuid(char *id)
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -EIO;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(id, 37, "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
	return 0;
}

int
tracking_add(struct server *srv, char *id)
{
	struct tracking *t;

	if (make_uuid(id) < 0)
		return -EIO;
	if (srv->ntracking >= UPSD_TRACKING_MAX) {
		memmove(srv->tracking, srv->tracking + 1,
		        (srv->ntracking - 1) * sizeof(*srv->tracking));
		srv->ntracking--;
	}
	if (!srv->tracking) {
		srv->tracking = calloc(UPSD_TRACKING_MAX, sizeof(*srv->tracking));
		if (!srv->tracking)
			return -ENOMEM;
	}
	t = &srv->tracking[srv->ntracking++];
	memcpy(t->id, id, 37);
	t->status = PROTO_TRACK_PENDING;
	t->created = time(NULL);
	return 0;
}

static struct tracking *
find(struct server *srv, const char *id)
{
	for (size_t i = 0; i < srv->ntracking; i++)
		if (strcasecmp(srv->tracking[i].id, id) == 0)
			return &srv->tracking[i];
	return NULL;
}

void
tracking_set(struct server *srv, const char *id, int status)
{
	struct tracking *t = id ? find(srv, id) : NULL;

	if (t)
		t->status = status;
}

const char *
tracking_get(struct server *srv, const char *id)
{
	struct tracking *t = find(srv, id);

	return t ? proto_track_reply(t->status) : "ERR UNKNOWN";
}

void
tracking_expire(struct server *srv, time_t now)
{
	long delay = srv->conf ? srv->conf->trackingdelay : 3600;
	size_t keep = 0;

	for (size_t i = 0; i < srv->ntracking; i++)
		if (now - srv->tracking[i].created <= delay)
			srv->tracking[keep++] = srv->tracking[i];
	srv->ntracking = keep;
}

void
tracking_free(struct server *srv)
{
	free(srv->tracking);
	srv->tracking = NULL;
	srv->ntracking = 0;
}

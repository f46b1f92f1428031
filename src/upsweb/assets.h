/*
 * assets: the page's static files (CSS, JavaScript, icon), embedded in the
 * binary at build time by embed.py, so upsweb reads no files to serve them
 * and a path can never reach the filesystem.
 */
#ifndef UPSWEB_ASSETS_H
#define UPSWEB_ASSETS_H

#include <stddef.h>

struct asset {
	const char *name; /* "app.css", served as /static/app.css */
	const char *type; /* Content-Type */
	const unsigned char *data;
	size_t len;
};

/* The asset called exactly `name`, or NULL. */
const struct asset *assets_find(const char *name);

#endif

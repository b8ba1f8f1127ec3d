/*
 * hdrdrop - pass a message through, without the header fields that
 * claim to be ours
 *
 * A receiving server writes Authentication-Results (RFC 8601) under its
 * own authserv-id; one that arrives with our id on it was forged, and
 * RFC 8601 5 says to remove it before adding ours.  The filter sees the
 * message as it streams in (any chunking) and hands on everything but
 * the fields whose name is `name` and whose value starts with the token
 * `id` (case ignored), and those named in `any`.  A field is held until the next line shows that
 * it has ended; one longer than HDRDROP_FIELD_MAX is judged on its first
 * HDRDROP_FIELD_MAX bytes.
 */
#ifndef POSTERN_HDRDROP_H
#define POSTERN_HDRDROP_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

#define HDRDROP_FIELD_MAX	65536

typedef void hdrdrop_out_fn(void *ctx, const void *p, size_t n);
/* hdrdrop_see_fn - every header field, whole (or its first
 * HDRDROP_FIELD_MAX bytes), before it is passed on or dropped */
typedef void hdrdrop_see_fn(void *ctx, const char *field, size_t n);

struct hdrdrop {
	const char *name, *id;
	hdrdrop_out_fn *out;
	hdrdrop_see_fn *see;	/* optional */
	const char *const *any;	/* optional, NULL-terminated: names dropped
				   whatever their value (our X-Spam-*) */
	void *ctx;
	bool body;		/* past the header: everything passes */
	bool bol;		/* at the start of a line */
	bool streaming;		/* a long field: decided, bytes go on */
	bool drop;		/* ... and it is dropped */
	struct buf field;	/* the field held back */
	unsigned dropped;	/* fields removed, for the log */
};

void hdrdrop_init(struct hdrdrop *h, const char *name, const char *id,
    hdrdrop_out_fn *out, void *ctx);
void hdrdrop_feed(struct hdrdrop *h, const void *p, size_t n);
/* hdrdrop_end - the message is complete: a field still held goes out
 * (or not); frees what the filter holds. */
void hdrdrop_end(struct hdrdrop *h);

#endif

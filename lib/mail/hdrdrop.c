/*
 * NAME
 *	hdrdrop - remove header fields that claim to be ours
 * DESCRIPTION
 *	See hdrdrop.h.  In the header, bytes gather in h->field; at the
 *	start of each line the first byte tells whether the held field
 *	goes on (SP or HT: a folded line) or is complete, and a complete
 *	field is judged and passed on or dropped.  The empty line ends the
 *	header and from then on bytes go straight through.
 */
#include <string.h>
#include <strings.h>

#include "mail/hdrdrop.h"

void
hdrdrop_init(struct hdrdrop *h, const char *name, const char *id,
    hdrdrop_out_fn *out, void *ctx)
{
	memset(h, 0, sizeof(*h));
	h->name = name;
	h->id = id;
	h->out = out;
	h->ctx = ctx;
	h->bol = true;
	buf_init(&h->field, 0);
}

/* ours - whether field text (len bytes) is name: id... */
static bool
ours(const struct hdrdrop *h, const char *f, size_t len)
{
	size_t nl = strlen(h->name), il = strlen(h->id), i;

	for (const char *const *a = h->any; a != NULL && *a != NULL; a++) {
		size_t al = strlen(*a);

		if (len > al && strncasecmp(f, *a, al) == 0 &&
		    (f[al] == ':' || f[al] == ' ' || f[al] == '\t') &&
		    memchr(f + al, ':', len - al) != NULL &&
		    strspn(f + al, " \t") == (size_t)((const char *)memchr(f +
		    al, ':', len - al) - (f + al)))
			return true;
	}
	if (len <= nl || strncasecmp(f, h->name, nl) != 0)
		return false;
	for (i = nl; i < len && (f[i] == ' ' || f[i] == '\t'); i++)
		;
	if (i >= len || f[i] != ':')
		return false;
	for (i++; i < len && (f[i] == ' ' || f[i] == '\t' || f[i] == '\r' ||
	    f[i] == '\n'); i++)
		;
	return len - i >= il && strncasecmp(f + i, h->id, il) == 0 &&
	    (len - i == il || strchr("; \t\r\n", f[i + il]) != NULL);
}

/* flush - the held field is complete */
static void
flush(struct hdrdrop *h)
{
	if (h->field.len == 0)
		return;
	if (h->see != NULL)
		h->see(h->ctx, (const char *)h->field.data, h->field.len);
	if (ours(h, (const char *)h->field.data, h->field.len))
		h->dropped++;
	else
		h->out(h->ctx, h->field.data, h->field.len);
	buf_reset(&h->field);
}

void
hdrdrop_feed(struct hdrdrop *h, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t i = 0;

	while (i < n && !h->body) {
		const unsigned char *lf;
		size_t end;

		if (h->bol) {
			if (p[i] != ' ' && p[i] != '\t') {
				/* A new field, or the end of the header. */
				if (h->streaming)
					h->streaming = false;
				else
					flush(h);
				if (p[i] == '\n' || (p[i] == '\r' &&
				    (i + 1 >= n || p[i + 1] == '\n'))) {
					h->body = true;
					break;
				}
			}
			h->bol = false;
		}
		lf = memchr(p + i, '\n', n - i);
		end = lf != NULL ? (size_t)(lf - p) + 1 : n;
		if (h->streaming) {
			if (!h->drop)
				h->out(h->ctx, p + i, end - i);
		} else {
			buf_put(&h->field, p + i, end - i);
			if (h->field.len > HDRDROP_FIELD_MAX) {
				/* Judge it now; the rest follows the same
				 * way. */
				if (h->see != NULL)
					h->see(h->ctx,
					    (const char *)h->field.data,
					    h->field.len);
				h->drop = ours(h, (const char *)h->field.data,
				    h->field.len);
				if (h->drop)
					h->dropped++;
				else
					h->out(h->ctx, h->field.data,
					    h->field.len);
				buf_reset(&h->field);
				h->streaming = true;
			}
		}
		h->bol = lf != NULL;
		i = end;
	}
	if (i < n)
		h->out(h->ctx, p + i, n - i);
}

void
hdrdrop_end(struct hdrdrop *h)
{
	if (!h->body && !h->streaming)
		flush(h);
	buf_free(&h->field);
}

/*
 * mime.h - RFC 5322 header fields and the MIME structure of a message
 * (RFC 2045-2049), with RFC 2231 parameters and RFC 2047 encoded words,
 * for IMAP's BODYSTRUCTURE, ENVELOPE, BODY[section] and SEARCH.
 *
 * The parser works on a message in memory (imapd decrypts a message
 * into a buffer, bounded by message_size_limit) and records offsets, so
 * sections are slices of the original bytes.  Nesting of multiparts and
 * message/rfc822 is bounded (MIME_DEPTH_MAX); a part deeper than that, or
 * a missing boundary, is kept as opaque text, never an error: mail in the
 * wild is broken in every way and must still be served.
 */
#ifndef POSTERN_MIME_H
#define POSTERN_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"
#include "util/buf.h"

#define MIME_DEPTH_MAX	32
#define MIME_PARTS_MAX	1000

struct mime_part {
	size_t hdr_start;	/* offset of the header */
	size_t body_start;	/* offset of the body (after the blank line) */
	size_t body_end;	/* end of the body (before the CRLF that
				   precedes a closing boundary) */
	size_t lines;		/* body lines */
	char type[64];		/* lower case, "text" */
	char subtype[64];	/* lower case, "plain" */
	struct mime_part *child;	/* first sub-part (multipart), or the
					   message (message/rfc822) */
	struct mime_part *next;		/* next sibling */
	size_t n_children;
};

struct mime_message {
	const char *data;
	size_t len;
	struct mime_part *root;
	struct arena parts;	/* freed with the message */
	size_t used;		/* parts, at most MIME_PARTS_MAX */
};

/* mime_parse - parse data (kept, not copied).  Never fails; free with
 * mime_free. */
void mime_parse(struct mime_message *m, const char *data, size_t len);
void mime_free(struct mime_message *m);

/*
 * mime_header - the value of the first field called name in the header
 * starting at hdr (up to the blank line), unfolded, into out.  Returns 1
 * found, 0 not.
 */
int mime_header(const char *data, size_t len, size_t hdr, const char *name,
    struct buf *out);

/*
 * mime_param - the value of parameter name in a Content-Type or
 * Content-Disposition value, with RFC 2231 continuations (name*0*=...)
 * and charset'language' encoding decoded to UTF-8.  1 found, 0 not.
 */
int mime_param(const char *value, const char *name, struct buf *out);

/* mime_decode_words - RFC 2047 encoded words in text, decoded to UTF-8
 * (unknown charsets are left as they are).  0, or -1 out of memory. */
int mime_decode_words(const char *text, size_t len, struct buf *out);

/* mime_to_utf8 - text in charset (NULL, or unknown: copied) to UTF-8. */
int mime_to_utf8(const char *charset, const char *in, size_t n,
    struct buf *out);

/*
 * mime_decode_body - undo a Content-Transfer-Encoding (cte: 7bit, 8bit,
 * binary, base64, quoted-printable; NULL or "" is 7bit).  0, -1 out of
 * memory, -2 an unknown encoding.
 */
int mime_decode_body(const char *cte, const char *in, size_t len,
    struct buf *out);

#endif

/*
 * imap_fetch.h - FETCH data items computed from a message: ENVELOPE and
 * BODY/BODYSTRUCTURE (RFC 3501 7.4.2, RFC 9051 7.5.2), built on the MIME
 * tree of lib/mail/mime.h, plus IMAP string quoting.
 */
#ifndef POSTERN_IMAP_FETCH_H
#define POSTERN_IMAP_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/mime.h"
#include "util/buf.h"

/* imap_string - s (len bytes) as NIL (s NULL), a quoted string, or a
 * literal when it has CR, LF, '"' or '\\' or 8-bit bytes. */
int imap_string(struct buf *out, const char *s, size_t len);
/* imap_envelope - the ENVELOPE of the header at hdr in data. */
int imap_envelope(struct buf *out, const char *data, size_t len,
    size_t hdr);
/* imap_bodystructure - BODYSTRUCTURE (extended) or BODY of part. */
int imap_bodystructure(struct buf *out, const struct mime_message *m,
    const struct mime_part *part, bool extended);

#endif

/*
 * imap_utf7 - mailbox names in modified UTF-7 (RFC 3501 5.1.3) and UTF-8
 *
 * Inside imapd a folder name is UTF-8, as IMAP4rev2 (RFC 9051) sends it
 * and as it is stored.  A client that has not enabled IMAP4rev2 sends and
 * receives modified UTF-7: printable ASCII stands for itself ("&" as
 * "&-"), anything else is UTF-16 in a modified base64 ("," for "/")
 * between "&" and "-".
 */
#ifndef POSTERN_IMAP_UTF7_H
#define POSTERN_IMAP_UTF7_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* imap_utf7_decode - n bytes of modified UTF-7 as UTF-8, appended to out;
 * -1 if they are not valid modified UTF-7 (8-bit bytes, a bad shift,
 * printable ASCII encoded, a lone surrogate). */
int imap_utf7_decode(const char *in, size_t n, struct buf *out);
/* imap_utf7_encode - UTF-8 text as modified UTF-7, appended to out; -1
 * if text is not valid UTF-8. */
int imap_utf7_encode(const char *text, struct buf *out);
/* imap_utf8_valid - n bytes are well-formed UTF-8 (no overlongs, no
 * surrogates, at most U+10FFFF). */
bool imap_utf8_valid(const char *s, size_t n);

#endif

/*
 * fromaddr - the one address of a From: field (RFC 5322 3.6.2)
 *
 * Used where exactly one author must be named: smtpd's submission check
 * (the From: must be the user's own address) and the DKIM signer (d= is
 * the From: domain).  Lenient about display names and comments, strict
 * about the count: a list, a group or no address at all is refused.
 */
#ifndef POSTERN_FROMADDR_H
#define POSTERN_FROMADDR_H

#include <stdbool.h>
#include <stddef.h>

/*
 * fromaddr_parse - the one address in the n bytes of a From: field's
 * value (after the colon, folding allowed) into out (NUL-terminated);
 * false if there is none, more than one, or it does not fit in size.
 */
bool fromaddr_parse(const char *v, size_t n, char *out, size_t size);

#endif

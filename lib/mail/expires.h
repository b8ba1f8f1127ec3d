/*
 * expires.h - the Expires: header field of a message (RFC 4021 2.1.52:
 * "time at which a message loses its validity"), read from untrusted
 * bytes at delivery (local) and APPEND (imapd), so that the store can
 * delete the message at that time (expire(8)).
 */
#ifndef POSTERN_EXPIRES_H
#define POSTERN_EXPIRES_H

#include <stddef.h>
#include <stdint.h>

/* Longest field value looked at, unfolded; longer ones are bad. */
#define EXPIRES_VALUE_MAX	256

/*
 * expires_find - the value of the first Expires: field in the header
 * at the start of msg (len bytes; the header ends at the first empty
 * line), unfolded, NUL-terminated, in value (at least
 * EXPIRES_VALUE_MAX + 1 bytes).  1 found, 0 none, -1 found but longer
 * than EXPIRES_VALUE_MAX (value then holds its start, for the log).
 */
int expires_find(const char *msg, size_t len, char *value, size_t size);

/*
 * expires_parse - an Expires: value as an RFC 5322 date-time (3.3, with
 * the obsolete forms of 4.3), in seconds since the epoch, between 1970
 * and 9999.  0 with *when, or -1 with *error_r.
 */
int expires_parse(const char *value, int64_t *when, const char **error_r);

/*
 * expires_header - expires_find then expires_parse: 1 with *when, 0 no
 * field, -1 a field that is not a usable date (*error_r says why, value
 * holds it for the log).
 */
int expires_header(const char *msg, size_t len, char *value, size_t size,
    int64_t *when, const char **error_r);

/* expires_log_value - value made safe for a log line: printable ASCII,
 * other bytes as \xNN, at most 200 bytes of it (STYLE 5). */
void expires_log_value(const char *value, char *out, size_t size);

/* expires_format - "2026-12-01T11:30:00Z" for when. */
void expires_format(int64_t when, char *out, size_t size);

#endif

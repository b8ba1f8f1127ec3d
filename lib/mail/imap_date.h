/*
 * imap_date.h - dates in IMAP (RFC 3501 9: date, date-time) and in
 * RFC 5322 Date: fields, without the C library's time zone machinery
 * (the daemons run chrooted, with no zoneinfo): times are time_t in UTC
 * plus the zone's offset in minutes east of UTC.
 */
#ifndef POSTERN_IMAP_DATE_H
#define POSTERN_IMAP_DATE_H

#include <stddef.h>
#include <time.h>

/* imap_date_format - "17-Jul-1996 02:44:25 -0700" (day padded with a
 * space, RFC 3501 date-day-fixed) for t in zone tz. */
void imap_date_format(time_t t, int tz, char *out, size_t size);
/* imap_date_time_parse - an IMAP date-time; 0, or -1. */
int imap_date_time_parse(const char *s, time_t *t, int *tz);
/* imap_date_parse - an IMAP date ("1-Feb-1994"): *day is the days since
 * 1970-01-01.  0, or -1. */
int imap_date_parse(const char *s, size_t len, long *day);
/* imap_date_rfc5322 - a Date: field's value (lenient: optional weekday,
 * obsolete zones, two-digit years, comments); 0, or -1. */
int imap_date_rfc5322(const char *s, time_t *t, int *tz);
/* imap_date_day - the date (days since 1970-01-01) of t in zone tz, for
 * SEARCH, which compares dates without times (RFC 3501 6.4.4). */
long imap_date_day(time_t t, int tz);

#endif

/*
 * NAME
 *	expires - find and parse a message's Expires: field
 * DESCRIPTION
 *	The header is scanned line by line up to the first empty line; a
 *	field name matches without case (RFC 5322 1.2.2), continuation
 *	lines are unfolded (3.2.2) and the value is bounded.  The date is
 *	parsed by imap_date_rfc5322, the one RFC 5322 date parser of
 *	lib/mail.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mail/expires.h"
#include "mail/imap_date.h"

#define FIELD		"Expires:"
#define FIELD_LEN	(sizeof(FIELD) - 1)

/* line_end - the end of the line at p (its LF, or end) */
static const char *
line_end(const char *p, const char *end)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));

	return lf != NULL ? lf : end;
}

int
expires_find(const char *msg, size_t len, char *value, size_t size)
{
	const char *p = msg, *end = msg + len;
	size_t n = 0;
	bool found = false, over = false;

	if (size == 0)
		return 0;
	value[0] = '\0';
	while (p < end) {
		const char *e = line_end(p, end);
		const char *s = p;

		if (e == p || (e == p + 1 && *p == '\r'))
			break;		/* the empty line ends the header */
		if (found && *p != ' ' && *p != '\t')
			break;		/* the next field */
		if (!found) {
			if ((size_t)(e - p) >= FIELD_LEN &&
			    strncasecmp(p, FIELD, FIELD_LEN) == 0) {
				found = true;
				s = p + FIELD_LEN;
			} else {
				p = e + 1;
				continue;
			}
		}
		/* Unfold: the line's text without its CR LF (3.2.2). */
		for (const char *c = s; c < e; c++) {
			if (*c == '\r' && c + 1 == e)
				break;
			if (n + 1 >= size || n >= EXPIRES_VALUE_MAX) {
				over = true;
				break;
			}
			/* A NUL would cut the value short unseen. */
			value[n++] = *c == '\0' ? '?' : *c;
		}
		value[n] = '\0';
		if (over)
			return -1;
		p = e + 1;
	}
	if (!found)
		return 0;
	/* The value without the white space around it, for the log. */
	while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
		value[--n] = '\0';
	{
		size_t lead = strspn(value, " \t");

		memmove(value, value + lead, n - lead + 1);
	}
	return 1;
}

int
expires_parse(const char *value, int64_t *when, const char **error_r)
{
	time_t t;
	int tz;

	if (imap_date_rfc5322(value, &t, &tz) < 0) {
		*error_r = "not an RFC 5322 date-time";
		return -1;
	}
	if (t < 0) {
		*error_r = "before 1970";
		return -1;
	}
	*when = (int64_t)t;
	return 0;
}

int
expires_header(const char *msg, size_t len, char *value, size_t size,
    int64_t *when, const char **error_r)
{
	switch (expires_find(msg, len, value, size)) {
	case 0:
		return 0;
	case -1:
		*error_r = "field too long";
		return -1;
	}
	return expires_parse(value, when, error_r) < 0 ? -1 : 1;
}

void
expires_log_value(const char *value, char *out, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return;
	for (const unsigned char *p = (const unsigned char *)value;
	    *p != '\0' && p - (const unsigned char *)value < 200; p++) {
		int n = *p >= 0x20 && *p < 0x7f && *p != '\\' ?
		    snprintf(out + o, size - o, "%c", *p) :
		    snprintf(out + o, size - o, "\\x%02x", *p);

		if (n < 0 || (size_t)n >= size - o)
			break;
		o += (size_t)n;
	}
	out[o] = '\0';
}

void
expires_format(int64_t when, char *out, size_t size)
{
	time_t t = (time_t)when;
	struct tm tm;

	/* UTC needs no zone database (the daemons run chrooted). */
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, size, "%lld", (long long)when);
}

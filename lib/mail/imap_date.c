/*
 * NAME
 *	imap_date - IMAP and RFC 5322 dates
 * DESCRIPTION
 *	Civil dates to day numbers and back with Howard Hinnant's
 *	algorithms (days_from_civil, civil_from_days), so nothing depends
 *	on the locale or a zone database.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/imap_date.h"

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* days_from_civil - days since 1970-01-01 of y-m-d */
static long
days_from_civil(long y, unsigned m, unsigned d)
{
	long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

/* civil_from_days - y-m-d of a day number */
static void
civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
	long era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long)yoe + era * 400 + (*m <= 2);
}

long
imap_date_day(time_t t, int tz)
{
	long long s = (long long)t + (long long)tz * 60;

	return (long)(s >= 0 ? s / 86400 : (s - 86399) / 86400);
}

void
imap_date_format(time_t t, int tz, char *out, size_t size)
{
	long long s = (long long)t + (long long)tz * 60;
	long day = imap_date_day(t, tz), y;
	unsigned m, d, secs = (unsigned)(s - (long long)day * 86400);
	int a = tz < 0 ? -tz : tz;

	civil_from_days(day, &y, &m, &d);
	snprintf(out, size, "%2u-%s-%04ld %02u:%02u:%02u %c%02d%02d", d,
	    months[m - 1], y, secs / 3600, secs / 60 % 60, secs % 60,
	    tz < 0 ? '-' : '+', a / 60, a % 60);
}

/* month - "Jan".."Dec" at p (any case): 1-12, or 0 */
static unsigned
month(const char *p)
{
	for (unsigned i = 0; i < 12; i++)
		if (strncasecmp(p, months[i], 3) == 0)
			return i + 1;
	return 0;
}

int
imap_date_parse(const char *s, size_t len, long *day)
{
	char buf[16];
	unsigned d, y, m;
	char mon[4];
	int n = 0;

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (sscanf(buf, "%2u-%3[A-Za-z]-%4u%n", &d, mon, &y, &n) != 3 ||
	    (size_t)n != len || (m = month(mon)) == 0 || d < 1 || d > 31 ||
	    y < 1)
		return -1;
	*day = days_from_civil(y, m, d);
	return 0;
}

int
imap_date_time_parse(const char *s, time_t *t, int *tz)
{
	unsigned d, y, hh, mm, ss, m;
	char mon[4], sign;
	int n = 0, zone;

	while (*s == ' ')
		s++;
	if (sscanf(s, "%2u-%3[A-Za-z]-%4u %2u:%2u:%2u %c%4d%n", &d, mon, &y,
	    &hh, &mm, &ss, &sign, &zone, &n) != 8 || s[n] != '\0' ||
	    (sign != '+' && sign != '-') || (m = month(mon)) == 0 || d < 1 ||
	    d > 31 || hh > 23 || mm > 59 || ss > 60 || zone > 2359 ||
	    zone % 100 > 59)
		return -1;
	*tz = (zone / 100 * 60 + zone % 100) * (sign == '-' ? -1 : 1);
	*t = (time_t)(days_from_civil(y, m, d) * 86400LL + hh * 3600 +
	    mm * 60 + ss - *tz * 60);
	return 0;
}

/* skip_cfws - white space and (nested) comments */
static const char *
skip_cfws(const char *p)
{
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '(')
			return p;
		for (int depth = 0; *p != '\0'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
		}
	}
}

int
imap_date_rfc5322(const char *s, time_t *t, int *tz)
{
	static const struct {
		const char *name;
		int minutes;
	} zones[] = {
		{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
		{ "EST", -300 }, { "EDT", -240 }, { "CST", -360 },
		{ "CDT", -300 }, { "MST", -420 }, { "MDT", -360 },
		{ "PST", -480 }, { "PDT", -420 },
	};
	unsigned long d, y, hh, mm, ss = 0;
	const char *p = skip_cfws(s);
	unsigned m;
	char *end;

	/* Optional day of week. */
	if (isalpha((unsigned char)*p)) {
		while (isalpha((unsigned char)*p))
			p++;
		p = skip_cfws(p);
		if (*p == ',')
			p = skip_cfws(p + 1);
	}
	d = strtoul(p, &end, 10);
	if (end == p || end - p > 2 || d < 1 || d > 31)
		return -1;
	p = skip_cfws(end);
	if ((m = month(p)) == 0)
		return -1;
	while (isalpha((unsigned char)*p))
		p++;
	p = skip_cfws(p);
	y = strtoul(p, &end, 10);
	/* At most four digits: a huge year would overflow the day count
	 * (RFC 5322 3.3 has 4*DIGIT, but no real date needs five). */
	if (end == p || end - p > 4)
		return -1;
	/* RFC 5322 4.3: two digits are 19xx from 50, else 20xx; three
	 * digits add 1900. */
	if (end - p <= 2)
		y += y < 50 ? 2000 : 1900;
	else if (end - p == 3)
		y += 1900;
	p = skip_cfws(end);
	hh = strtoul(p, &end, 10);
	if (end == p || end - p > 2 || *end != ':')
		return -1;
	p = end + 1;
	mm = strtoul(p, &end, 10);
	if (end == p || end - p > 2)
		return -1;
	p = end;
	if (*p == ':') {
		ss = strtoul(p + 1, &end, 10);
		if (end == p + 1 || end - p > 3)
			return -1;
		p = end;
	}
	if (hh > 23 || mm > 59 || ss > 60)
		return -1;
	p = skip_cfws(p);
	*tz = 0;
	if (*p == '+' || *p == '-') {
		unsigned long z = strtoul(p + 1, &end, 10);

		if (end - p != 5 || z % 100 > 59)
			return -1;
		*tz = (int)(z / 100 * 60 + z % 100) * (*p == '-' ? -1 : 1);
	} else if (isalpha((unsigned char)*p)) {
		/* Unknown zones mean UTC (RFC 5322 4.3: "-0000"). */
		for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
			if (strncasecmp(p, zones[i].name,
			    strlen(zones[i].name)) == 0 &&
			    !isalpha((unsigned char)p[strlen(zones[i].name)]))
				*tz = zones[i].minutes;
	}
	*t = (time_t)(days_from_civil((long)y, m, (unsigned)d) * 86400LL +
	    (long long)(hh * 3600 + mm * 60 + ss) - *tz * 60);
	return 0;
}

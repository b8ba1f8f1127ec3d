/*
 * NAME
 *	smtp_resp - SMTP replies as a client reads them
 * DESCRIPTION
 *	See smtp_resp.h.  Strict where a mistake would change an outcome
 *	(the code and the class of an enhanced status code), lenient
 *	elsewhere: unknown EHLO keywords and malformed parameters are
 *	ignored, as RFC 5321 4.1.1.1 lets a client do.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail/smtp_resp.h"

#define IS_DIGIT(c)	((c) >= '0' && (c) <= '9')

int
smtp_resp_line(const char *l, size_t len, unsigned *code)
{
	if (len < 3 || l[0] < '2' || l[0] > '5' || !IS_DIGIT(l[1]) ||
	    !IS_DIGIT(l[2]))
		return -1;
	if (len > 3 && l[3] != ' ' && l[3] != '-')
		return -1;
	*code = (unsigned)((l[0] - '0') * 100 + (l[1] - '0') * 10 +
	    (l[2] - '0'));
	return len == 3 || l[3] == ' ' ? 1 : 0;
}

/* digits - 1 to max digits at *p, advanced past them; -1 if none */
static int
digits(const char **p, size_t max, unsigned *out)
{
	size_t n = 0;

	*out = 0;
	while (IS_DIGIT(**p) && n < max) {
		*out = *out * 10 + (unsigned)(**p - '0');
		(*p)++;
		n++;
	}
	return n == 0 || IS_DIGIT(**p) ? -1 : 0;
}

void
smtp_resp_dsn(unsigned code, const char *text, char *out, size_t size)
{
	const char *p = text;
	unsigned a, b, c;

	/* RFC 3463 2: class "." subject (1-3 digits) "." detail (1-3). */
	if (digits(&p, 1, &a) == 0 && a == code / 100 && *p++ == '.' &&
	    digits(&p, 3, &b) == 0 && *p++ == '.' &&
	    digits(&p, 3, &c) == 0 && (*p == ' ' || *p == '\0')) {
		snprintf(out, size, "%u.%u.%u", a, b, c);
		return;
	}
	snprintf(out, size, "%u.0.0", code / 100);
}

unsigned
smtp_resp_ehlo(const char *lines, uint64_t *size_max)
{
	static const struct {
		const char *word;
		unsigned bit;
	} known[] = {
		{ "PIPELINING", SMTP_EXT_PIPELINING },
		{ "SIZE", SMTP_EXT_SIZE },
		{ "8BITMIME", SMTP_EXT_8BITMIME },
		{ "SMTPUTF8", SMTP_EXT_SMTPUTF8 },
		{ "STARTTLS", SMTP_EXT_STARTTLS },
		{ "DSN", SMTP_EXT_DSN },
	};
	const char *l = strchr(lines, '\n');
	unsigned bits = 0;

	*size_max = 0;
	while (l != NULL) {
		const char *w = l + 1, *end = strchr(w, '\n');
		size_t wl = strcspn(w, " \n");

		l = end;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]);
		    i++) {
			if (strlen(known[i].word) != wl ||
			    strncasecmp(w, known[i].word, wl) != 0)
				continue;
			bits |= known[i].bit;
			if (known[i].bit == SMTP_EXT_SIZE && w[wl] == ' ') {
				const char *p = w + wl + 1;
				uint64_t v = 0;
				size_t n = 0;

				/* RFC 1870 4: SIZE [limit]; 0 or none: no
				 * fixed limit.  Up to 19 digits fit. */
				while (IS_DIGIT(p[n]) && n < 19) {
					v = v * 10 + (uint64_t)(p[n] - '0');
					n++;
				}
				if (n > 0 && (p[n] == '\0' || p[n] == '\n' ||
				    p[n] == ' '))
					*size_max = v;
			}
		}
	}
	return bits;
}

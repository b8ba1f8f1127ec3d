/*
 * NAME
 *	imap_seqset - IMAP sequence sets
 * DESCRIPTION
 *	See imap_seqset.h.  "5:3" is the same range as "3:5" (RFC 3501
 *	9: the order of the two numbers does not matter).
 */
#include <stdlib.h>

#include "mail/imap_seqset.h"
#include "util/mem.h"

/* number - one seq-number at *p; 0 or -1 */
static int
number(const char **p, const char *end, uint32_t *v)
{
	uint64_t n = 0;

	if (*p < end && **p == '*') {
		(*p)++;
		*v = IMAP_SEQ_STAR;
		return 0;
	}
	if (*p >= end || **p < '1' || **p > '9')
		return -1;
	while (*p < end && **p >= '0' && **p <= '9') {
		n = n * 10 + (uint64_t)(**p - '0');
		if (n >= UINT32_MAX)
			return -1;
		(*p)++;
	}
	*v = (uint32_t)n;
	return 0;
}

int
imap_seqset_parse(const char *s, size_t len, struct imap_seqset *set)
{
	const char *p = s, *end = s + len;
	size_t cap = 0;

	set->r = NULL;
	set->n = 0;
	for (;;) {
		struct imap_seqrange r;

		if (number(&p, end, &r.lo) < 0)
			goto bad;
		r.hi = r.lo;
		if (p < end && *p == ':') {
			p++;
			if (number(&p, end, &r.hi) < 0)
				goto bad;
		}
		if (r.lo > r.hi) {
			uint32_t t = r.lo;

			r.lo = r.hi;
			r.hi = t;
		}
		if (set->n == IMAP_SEQSET_MAX)
			goto bad;
		if (set->n == cap) {
			cap = cap ? 2 * cap : 4;
			set->r = xrealloc(set->r, cap * sizeof(*set->r));
		}
		set->r[set->n++] = r;
		if (p == end)
			return 0;
		if (*p++ != ',')
			goto bad;
	}
bad:
	imap_seqset_free(set);
	return -1;
}

void
imap_seqset_free(struct imap_seqset *set)
{
	free(set->r);
	set->r = NULL;
	set->n = 0;
}

/* resolve - a range with "*" replaced by star, in order */
static struct imap_seqrange
resolve(struct imap_seqrange r, uint32_t star)
{
	if (r.lo == IMAP_SEQ_STAR)
		r.lo = star;
	if (r.hi == IMAP_SEQ_STAR)
		r.hi = star;
	if (r.lo > r.hi) {
		uint32_t t = r.lo;

		r.lo = r.hi;
		r.hi = t;
	}
	return r;
}

bool
imap_seqset_has(const struct imap_seqset *set, uint32_t v, uint32_t star)
{
	for (size_t i = 0; i < set->n; i++) {
		struct imap_seqrange r = resolve(set->r[i], star);

		if (v >= r.lo && v <= r.hi)
			return true;
	}
	return false;
}

bool
imap_seqset_bounds(const struct imap_seqset *set, uint32_t star,
    uint32_t *lo, uint32_t *hi)
{
	bool any = false;

	for (size_t i = 0; i < set->n; i++) {
		struct imap_seqrange r = resolve(set->r[i], star);

		if (r.hi == 0)
			continue;
		if (r.lo == 0)
			r.lo = 1;
		if (!any || r.lo < *lo)
			*lo = r.lo;
		if (!any || r.hi > *hi)
			*hi = r.hi;
		any = true;
	}
	return any;
}

/*
 * NAME
 *	rate - sliding-window rate counters kept by master
 * DESCRIPTION
 *	smtpd asks over the master channel (RATE, doc/ipc/master-chan.md)
 *	before it accepts a recipient of an authenticated user's mail to
 *	another domain, so that every smtpd process of every service shares
 *	one count per sender and per recipient domain.
 *
 *	Each key keeps two fixed windows, the current one and the one
 *	before, and estimates the sliding count as the current count plus
 *	the part of the previous one that still overlaps the window: two
 *	numbers a key, however many events, and never more than the limit
 *	let through within one window.  The table is bounded (RATE_MAX);
 *	when it is full and nothing has aged out, a new key passes
 *	uncounted (limits fail open, as anvil and greylisting do).
 */
#include <stdlib.h>
#include <string.h>

#include "master/master.h"
#include "util/ev.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/mem.h"

#define RATE_BUCKETS	4096
#define RATE_MAX	100000

struct rate {
	char *key;
	uint64_t start_ms;	/* of the current window */
	uint64_t window_ms;
	uint64_t prev, cur;
	struct rate *next;
};

static struct rate *buckets[RATE_BUCKETS];
static size_t n_rates;

/* advance - move r's windows up to now */
static void
advance(struct rate *r, uint64_t now)
{
	uint64_t n = (now - r->start_ms) / r->window_ms;

	if (n == 1) {
		r->prev = r->cur;
		r->cur = 0;
		r->start_ms += r->window_ms;
	} else if (n > 1) {
		r->prev = r->cur = 0;
		r->start_ms = now;
	}
}

/* estimate - events within the last window, as of now */
static uint64_t
estimate(const struct rate *r, uint64_t now)
{
	uint64_t left = r->window_ms - (now - r->start_ms);

	return r->cur + (r->prev * left + r->window_ms - 1) / r->window_ms;
}

/* sweep - drop keys with nothing in their last two windows */
static size_t
sweep(uint64_t now)
{
	size_t gone = 0;

	for (size_t b = 0; b < RATE_BUCKETS; b++)
		for (struct rate **p = &buckets[b]; *p != NULL;) {
			struct rate *r = *p;

			if (now - r->start_ms < 2 * r->window_ms) {
				p = &r->next;
				continue;
			}
			*p = r->next;
			free(r->key);
			free(r);
			n_rates--;
			gone++;
		}
	return gone;
}

int
rate_check(const char *key, uint64_t window_s, uint64_t limit,
    uint64_t cost, uint64_t *count, uint64_t *wait)
{
	uint64_t now = ev_now_ms(), window_ms = window_s * 1000, est;
	unsigned b = hash_str(key) % RATE_BUCKETS;
	struct rate *r;

	*count = *wait = 0;
	if (window_ms == 0 || limit == 0)
		return 1;
	for (r = buckets[b]; r != NULL; r = r->next)
		if (strcmp(r->key, key) == 0)
			break;
	if (r == NULL) {
		if (n_rates >= RATE_MAX && sweep(now) == 0) {
			msg_warn("rate: table full (%d keys): passing new "
			    "ones uncounted", RATE_MAX);
			return 1;
		}
		r = xcalloc(1, sizeof(*r));
		r->key = xstrdup(key);
		r->next = buckets[b];
		buckets[b] = r;
		n_rates++;
	}
	if (r->window_ms != window_ms) {	/* new, or the setting changed */
		r->window_ms = window_ms;
		r->start_ms = now;
		r->prev = r->cur = 0;
	}
	advance(r, now);
	est = estimate(r, now);
	if (est + cost > limit) {
		*count = est;
		/* The current window's own count only ages out with it. */
		*wait = (r->start_ms + (r->cur + cost > limit ? 2 : 1) *
		    window_ms - now + 999) / 1000;
		return 0;
	}
	r->cur += cost;
	*count = est + cost;
	return 1;
}

/*
 * NAME
 *	greylist - the triplets of greylisting (RFC 6647), kept by master
 * DESCRIPTION
 *	smtpd asks over the master channel (GREYLIST,
 *	doc/ipc/master-chan.md) about each (client network, sender,
 *	recipient) triplet of mail from outside, so that every smtpd
 *	process sees the same triplets.  The first delivery attempt of a
 *	triplet is deferred; one retried after `delay` and within
 *	`window` passes, and the triplet then passes at once for `lifetime`
 *	after its last use.  A triplet not retried within the window starts
 *	over.
 *
 *	The table lives in memory and is bounded (GREYLIST_MAX): when it is
 *	full, expired entries go first, and if none has expired a new
 *	triplet passes unrecorded (greylisting fails open, as the anvil
 *	limits do).  A master restart forgets the table: senders retry once
 *	more, and nothing is lost.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "master/master.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/mem.h"

#define GREYLIST_BUCKETS	8192
#define GREYLIST_MAX		200000

struct grey {
	char *key;
	uint64_t first;		/* first attempt (s) */
	uint64_t passed_until;	/* passes at once until then; 0: not yet */
	struct grey *next;
};

static struct grey *buckets[GREYLIST_BUCKETS];
static size_t n_grey;

static bool
expired(const struct grey *g, uint64_t now, uint64_t window)
{
	return g->passed_until != 0 ? now > g->passed_until :
	    now > g->first + window;
}

/* sweep - drop every expired entry; how many went */
static size_t
sweep(uint64_t now, uint64_t window)
{
	size_t gone = 0;

	for (size_t b = 0; b < GREYLIST_BUCKETS; b++)
		for (struct grey **p = &buckets[b]; *p != NULL;) {
			struct grey *g = *p;

			if (!expired(g, now, window)) {
				p = &g->next;
				continue;
			}
			*p = g->next;
			free(g->key);
			free(g);
			n_grey--;
			gone++;
		}
	return gone;
}

int
greylist_check(const char *key, uint64_t delay, uint64_t window,
    uint64_t lifetime, uint64_t *wait)
{
	uint64_t now = (uint64_t)time(NULL);
	unsigned b = hash_str(key) % GREYLIST_BUCKETS;
	struct grey *g;

	*wait = 0;
	for (g = buckets[b]; g != NULL; g = g->next)
		if (strcmp(g->key, key) == 0)
			break;
	if (g != NULL && expired(g, now, window)) {
		g->first = now;		/* start over */
		g->passed_until = 0;
	} else if (g != NULL && g->passed_until != 0) {
		g->passed_until = now + lifetime;
		return 1;
	} else if (g != NULL && now >= g->first + delay) {
		g->passed_until = now + lifetime;
		return 1;
	} else if (g != NULL) {
		*wait = g->first + delay - now;
		return 0;
	}
	if (g == NULL) {
		if (n_grey >= GREYLIST_MAX && sweep(now, window) == 0) {
			msg_warn("greylist: table full (%d triplets): "
			    "passing new ones unrecorded", GREYLIST_MAX);
			return 1;
		}
		g = xcalloc(1, sizeof(*g));
		g->key = xstrdup(key);
		g->first = now;
		g->next = buckets[b];
		buckets[b] = g;
		n_grey++;
	}
	*wait = delay;
	return delay == 0 ? 1 : 0;
}

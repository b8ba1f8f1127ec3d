/*
 * NAME
 *	anvil - per client address connection counts and rates for master
 * DESCRIPTION
 *	smtpd asks over the master channel (ANVIL, doc/ipc/master-chan.md)
 *	when a client connects and when it leaves.  Counts are kept per
 *	service and address; each child's share is remembered, so that a
 *	child killed with its connections open gives them back when it is
 *	reaped.  Memory is bounded: entries with no connection and no
 *	recent connect are dropped, and at most ANVIL_MAX entries exist.
 */
#include <stdlib.h>
#include <string.h>

#include "master/master.h"
#include "util/ev.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/mem.h"

#define ANVIL_BUCKETS	4096
#define ANVIL_MAX	100000	/* entries, all services */
#define ANVIL_TIMES	4096	/* connect times kept per entry */

struct anvil_entry {
	char *key;		/* "service address" */
	uint32_t count;
	uint64_t times[ANVIL_TIMES];	/* ring of connect times (ms) */
	unsigned head, n_times;
	struct anvil_entry *next;
};

static struct anvil_entry *buckets[ANVIL_BUCKETS];
static size_t n_entries;

/* prune - forget connect times older than window ms */
static void
prune(struct anvil_entry *e, uint64_t now, uint64_t window)
{
	while (e->n_times > 0) {
		unsigned oldest = (e->head + ANVIL_TIMES - e->n_times) %
		    ANVIL_TIMES;

		if (now - e->times[oldest] < window)
			break;
		e->n_times--;
	}
}

/* find - the entry for key; create it if asked and there is room */
static struct anvil_entry *
find(const char *key, bool create)
{
	struct anvil_entry **pp = &buckets[hash_str(key) % ANVIL_BUCKETS], *e;
	uint64_t now = ev_now_ms();

	while ((e = *pp) != NULL) {
		if (strcmp(e->key, key) == 0)
			return e;
		/* Sweep idle neighbours while passing by. */
		prune(e, now, 3600 * 1000);
		if (e->count == 0 && e->n_times == 0) {
			*pp = e->next;
			free(e->key);
			free(e);
			n_entries--;
			continue;
		}
		pp = &e->next;
	}
	if (!create || n_entries >= ANVIL_MAX)
		return NULL;
	e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key);
	e->next = buckets[hash_str(key) % ANVIL_BUCKETS];
	buckets[hash_str(key) % ANVIL_BUCKETS] = e;
	n_entries++;
	return e;
}

/* hold - remember that child c holds one connection of key */
static void
hold(struct child *c, const char *key, int delta)
{
	struct anvil_hold **pp, *h;

	for (pp = &c->holds; (h = *pp) != NULL; pp = &h->next)
		if (strcmp(h->key, key) == 0)
			break;
	if (h == NULL) {
		if (delta < 0)
			return;
		h = xcalloc(1, sizeof(*h));
		h->key = xstrdup(key);
		h->next = c->holds;
		c->holds = h;
		pp = &c->holds;
	}
	if (delta < 0 && h->n > 0)
		h->n--;
	else if (delta > 0)
		h->n++;
	if (h->n == 0) {
		*pp = h->next;
		free(h->key);
		free(h);
	}
}

int
anvil_update(struct child *c, const char *addr, bool connect,
    uint64_t window_s, uint64_t *count, uint64_t *rate)
{
	char *key = xasprintf("%s %s", c->svc->cfg->name, addr);
	struct anvil_entry *e = find(key, connect);
	uint64_t now = ev_now_ms();

	*count = *rate = 0;
	if (e == NULL) {
		free(key);
		return connect ? -1 : 0;
	}
	if (connect) {
		e->count++;
		e->times[e->head] = now;
		e->head = (e->head + 1) % ANVIL_TIMES;
		if (e->n_times < ANVIL_TIMES)
			e->n_times++;
		hold(c, key, 1);
	} else if (e->count > 0) {
		e->count--;
		hold(c, key, -1);
	}
	if (connect)
		prune(e, now, window_s * 1000);
	*count = e->count;
	*rate = e->n_times;
	free(key);
	return 0;
}

void
anvil_child_gone(struct child *c)
{
	struct anvil_hold *h, *next;

	for (h = c->holds; h != NULL; h = next) {
		struct anvil_entry *e = find(h->key, false);

		next = h->next;
		if (e != NULL)
			e->count = e->count > h->n ? e->count - h->n : 0;
		free(h->key);
		free(h);
	}
	c->holds = NULL;
}

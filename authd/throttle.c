/*
 * NAME
 *	throttle - slow down and then stop password guessing
 * DESCRIPTION
 *	Each failure is remembered for a minute, per client address and per
 *	account.  The answer to a failed login waits 0.25 s doubled for
 *	each further recent failure of that address or account, up to
 *	auth_failure_delay_max.  An address with auth_block_threshold
 *	failures in a minute is blocked for auth_block_time: its logins are
 *	refused without looking at the password.  Accounts are never
 *	blocked (that would let anyone lock a user out); they only slow
 *	down.  The state is authd's own, in memory, bounded.
 */
#include <stdlib.h>
#include <string.h>

#include "authd/authd.h"
#include "mail/params.h"
#include "util/ev.h"
#include "util/log.h"
#include "util/mem.h"

#define WINDOW_MS	60000
#define KEEP		64	/* failure times remembered per key */
#define MAX_KEYS	65536

struct entry {
	char *key;		/* "ip 1.2.3.4" or "user a@b" */
	uint64_t times[KEEP];
	unsigned n, head;
	uint64_t blocked_until;
	struct entry *next;
};

static struct entry *entries;
static unsigned n_entries;

/* recent - failures within the window */
static unsigned
recent(struct entry *e, uint64_t now)
{
	unsigned n = 0;

	for (unsigned i = 0; i < e->n; i++)
		if (now - e->times[(e->head + KEEP - 1 - i) % KEEP] < WINDOW_MS)
			n++;
	return n;
}

/* sweep - forget keys with no recent failure and no block */
static void
sweep(void)
{
	uint64_t now = ev_now_ms();
	struct entry **pp, *e;

	for (pp = &entries; (e = *pp) != NULL;) {
		if (recent(e, now) == 0 && e->blocked_until <= now) {
			*pp = e->next;
			free(e->key);
			free(e);
			n_entries--;
			continue;
		}
		pp = &e->next;
	}
}

/* get - the entry of key (created if asked and there is room) */
static struct entry *
get(const char *kind, const char *name, bool create)
{
	char *key = xasprintf("%s %s", kind, name);
	struct entry *e;

	for (e = entries; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			break;
	if (e == NULL && create && n_entries < MAX_KEYS) {
		e = xcalloc(1, sizeof(*e));
		e->key = key;
		key = NULL;
		e->next = entries;
		entries = e;
		n_entries++;
	}
	free(key);
	return e;
}

/* add - one failure now */
static unsigned
add(struct entry *e)
{
	uint64_t now = ev_now_ms();

	e->times[e->head] = now;
	e->head = (e->head + 1) % KEEP;
	if (e->n < KEEP)
		e->n++;
	return recent(e, now);
}

bool
throttle_blocked(const char *rip)
{
	struct entry *e = get("ip", rip, false);

	return e != NULL && e->blocked_until > ev_now_ms();
}

uint64_t
throttle_failed(const char *rip, const char *user)
{
	struct entry *ip, *acct;
	unsigned n = 0, m;
	uint64_t delay = 250;

	sweep();
	ip = get("ip", rip, true);
	acct = get("user", user, true);
	if (ip != NULL) {
		n = add(ip);
		if (n >= var_auth_block_threshold &&
		    ip->blocked_until <= ev_now_ms()) {
			ip->blocked_until = ev_now_ms() +
			    var_auth_block_time * 1000;
			msg_warn("authentication blocked: rip=%s failures=%u "
			    "(auth_block_threshold=%llu, for %llus)", rip, n,
			    (unsigned long long)var_auth_block_threshold,
			    (unsigned long long)var_auth_block_time);
		}
	}
	if (acct != NULL && (m = add(acct)) > n)
		n = m;
	for (unsigned i = 1; i < n && delay < var_auth_failure_delay_max *
	    1000; i++)
		delay *= 2;
	if (delay > var_auth_failure_delay_max * 1000)
		delay = var_auth_failure_delay_max * 1000;
	return delay;
}

void
throttle_ok(const char *user)
{
	struct entry *e = get("user", user, false);

	if (e != NULL)
		e->n = 0;
}

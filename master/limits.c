/*
 * NAME
 *	limits - counting and logging the limits that stop a service's work
 * DESCRIPTION
 *	Whatever limit stops work of a service (its process_limit, a
 *	child's client_limit, a per-client connection count or rate, an
 *	outbound sending rate) is reported here under the name of the
 *	setting that set it.  Master counts each per service for `postern
 *	status`, and logs the first hit at once and then at most once per
 *	limit_log_interval, with how many hits the quiet time held back and
 *	a hint naming what to raise: under a flood the log stays readable,
 *	and an operator never has to guess which knob was hit.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master/master.h"
#include "util/buf.h"
#include "util/counters.h"
#include "util/daemon.h"
#include "util/ev.h"
#include "util/log.h"
#include "util/mem.h"

/* Setting names come from children too: at most this many per service. */
#define LIMITS_MAX	16

struct limit_stat {
	char *setting;
	uint64_t hits;
	uint64_t held;		/* hits not logged yet */
	uint64_t last_log_ms;
	struct limit_stat *next;
};

/* find - the counter of setting in s; create it if there is room */
static struct limit_stat *
find(struct service *s, const char *setting)
{
	struct limit_stat *l;
	unsigned n = 0;

	for (l = s->limits; l != NULL; l = l->next, n++)
		if (strcmp(l->setting, setting) == 0)
			return l;
	if (n >= LIMITS_MAX)
		return NULL;
	l = xcalloc(1, sizeof(*l));
	l->setting = xstrdup(setting);
	l->next = s->limits;
	s->limits = l;
	return l;
}

/* hint - what an operator can raise, and where */
static void
hint(const struct service *s, const char *setting, char *out, size_t size)
{
	if (strcmp(setting, "process_limit") == 0)
		snprintf(out, size, "raise the process limit column of %s "
		    "in master.conf (%s)", s->cfg->name, s->cfg->origin);
	else
		snprintf(out, size, "raise %s in postern.conf, or for this "
		    "service only with -o %s=N on its line in master.conf "
		    "(%s)%s", setting, setting, s->cfg->origin,
		    strcmp(setting, "client_limit") == 0 ? "" :
		    "; 0 turns the limit off");
}

void
limit_hit(struct service *s, const char *setting, const char *fmt, ...)
{
	struct limit_stat *l = find(s, setting);
	uint64_t now = ev_now_ms();
	char what[512], how[512];
	va_list ap;

	if (l == NULL)
		return;
	l->hits++;
	snprintf(how, sizeof(how), "setting=%s", setting);
	if (counters_labels_ok(how, strlen(how)))
		metrics_add(s->cfg->name, "master_limit_hits_total", how,
		    COUNTER_COUNTER, 1);
	if (l->last_log_ms != 0 &&
	    now - l->last_log_ms < var_limit_log_interval * 1000) {
		l->held++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	hint(s, setting, how, sizeof(how));
	if (l->held > 0)
		msg_warn("service %s: %s reached: %s (and %llu more times "
		    "since the last report; %llu in all). Hint: %s",
		    s->cfg->name, setting, what,
		    (unsigned long long)l->held, (unsigned long long)l->hits,
		    how);
	else
		msg_warn("service %s: %s reached: %s (%llu in all). Hint: %s",
		    s->cfg->name, setting, what,
		    (unsigned long long)l->hits, how);
	l->held = 0;
	l->last_log_ms = now;
}

uint64_t
limit_hits(const struct service *s, const char *setting)
{
	for (const struct limit_stat *l = s->limits; l != NULL; l = l->next)
		if (strcmp(l->setting, setting) == 0)
			return l->hits;
	return 0;
}

int
limits_text(const struct service *s, struct buf *out)
{
	for (const struct limit_stat *l = s->limits; l != NULL; l = l->next)
		if (buf_appendf(out, "%s%s=%llu", out->len > 0 ? " " : "",
		    l->setting, (unsigned long long)l->hits) < 0)
			return -1;
	return 0;
}

void
limits_free(struct service *s)
{
	struct limit_stat *l, *next;

	for (l = s->limits; l != NULL; l = next) {
		next = l->next;
		free(l->setting);
		free(l);
	}
	s->limits = NULL;
}

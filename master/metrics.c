/*
 * NAME
 *	metrics - master adds up its children's counters per service
 * DESCRIPTION
 *	Children send COUNTERS frames (lib/util/counters.h, doc/ipc/
 *	master-chan.md) with deltas; master keeps the totals per service
 *	name, so they survive child restarts and reloads, and forgets them
 *	when it restarts.  Gauges keep the last value a service reported.
 *	At most METRICS_MAX_SERIES series: further ones are dropped with one
 *	warning.  metrics_render() writes the Prometheus text format
 *	(version 0.0.4), names prefixed "postern_", a service label first.
 * SECURITY
 *	The lines come from children that may be compromised (smtpd faces
 *	the network): each is parsed by counters_parse_line, which bounds and
 *	checks every field; a bad frame is logged and ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master/master.h"
#include "util/counters.h"
#include "util/log.h"
#include "util/mem.h"

#define METRICS_MAX_SERIES	4096
#define METRICS_SERVICE_MAX	64

struct mseries {
	char service[METRICS_SERVICE_MAX + 1];
	struct counter_line v;	/* totals */
};

static struct mseries *table;
static size_t n_table;
static bool warned_full;

/* cmp - order by name, then service, then labels: one HELP per name */
static int
cmp(const char *name, const char *service, const char *labels,
    const struct mseries *s)
{
	int c = strcmp(name, s->v.name);

	if (c == 0)
		c = strcmp(service, s->service);
	if (c == 0)
		c = strcmp(labels, s->v.labels);
	return c;
}

/* lookup - the series, created in order if there is room */
static struct mseries *
lookup(const char *service, const struct counter_line *cl)
{
	size_t lo = 0, hi = n_table;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp(cl->name, service, cl->labels, &table[mid]);

		if (c == 0)
			return table[mid].v.kind == cl->kind ? &table[mid] :
			    NULL;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (n_table == METRICS_MAX_SERIES) {
		if (!warned_full)
			msg_warn("metrics: more than %d series; %s from "
			    "service %s and later new ones are dropped",
			    METRICS_MAX_SERIES, cl->name, service);
		warned_full = true;
		return NULL;
	}
	if (table == NULL)
		table = xcalloc(METRICS_MAX_SERIES, sizeof(*table));
	memmove(&table[lo + 1], &table[lo], (n_table - lo) * sizeof(*table));
	n_table++;
	memset(&table[lo], 0, sizeof(table[lo]));
	(void)snprintf(table[lo].service, sizeof(table[lo].service), "%s",
	    service);
	table[lo].v.kind = cl->kind;
	memcpy(table[lo].v.name, cl->name, sizeof(cl->name));
	memcpy(table[lo].v.labels, cl->labels, sizeof(cl->labels));
	return &table[lo];
}

/* apply - one parsed line into the totals */
static void
apply(const char *service, const struct counter_line *cl)
{
	struct mseries *s = lookup(service, cl);

	if (s == NULL)
		return;
	if (cl->kind == COUNTER_GAUGE) {
		s->v.value = cl->value;
		return;
	}
	s->v.value += cl->value;
	s->v.sum_ms += cl->sum_ms;
	for (size_t b = 0; b < COUNTERS_N_BUCKETS; b++)
		s->v.buckets[b] += cl->buckets[b];
}

void
metrics_add(const char *service, const char *name, const char *labels,
    enum counter_kind kind, uint64_t v)
{
	struct counter_line cl = { .kind = kind, .value = v };

	if (strlen(service) > METRICS_SERVICE_MAX)
		return;
	(void)snprintf(cl.name, sizeof(cl.name), "%s", name);
	(void)snprintf(cl.labels, sizeof(cl.labels), "%s", labels);
	apply(service, &cl);
}

int
metrics_frame(const char *service, const char *text)
{
	struct counter_line cl;
	const char *why;

	if (strlen(service) > METRICS_SERVICE_MAX)
		return -1;
	while (*text != '\0') {
		const char *nl = strchr(text, '\n');

		if (nl == NULL)
			return -1;
		if (counters_parse_line(text, (size_t)(nl - text), &cl,
		    &why) < 0) {
			msg_warn("service %s: bad COUNTERS line: %s", service,
			    why);
			return -1;
		}
		apply(service, &cl);
		text = nl + 1;
	}
	return 0;
}

/* put_labels - {service="x",k="v",...} with values escaped (0.0.4) */
static void
put_labels(struct buf *out, const struct mseries *s, const char *extra)
{
	const char *p = s->v.labels;

	buf_printf(out, "{service=\"");
	for (const char *q = s->service; *q != '\0'; q++) {
		if (*q == '\\' || *q == '"')
			buf_putc(out, '\\');
		buf_putc(out, (uint8_t)*q);
	}
	buf_putc(out, '"');
	while (*p != '\0') {
		size_t k = strcspn(p, "="), v;

		p += k + 1;
		v = strcspn(p, ",");
		buf_printf(out, ",%.*s=\"", (int)k, p - k - 1);
		/* The wire allows no '"', '\\' or newline in values. */
		buf_put(out, p, v);
		buf_putc(out, '"');
		p += v;
		if (*p == ',')
			p++;
	}
	if (extra != NULL)
		buf_printf(out, ",%s", extra);
	buf_putc(out, '}');
}

/* gauges_now - master's own gauges, taken at render time */
static void
gauges_now(void)
{
	for (size_t i = 0; i < n_services; i++) {
		const struct service *s = services[i];
		uint64_t conns = 0;

		for (const struct child *c = children; c != NULL; c = c->next)
			if (c->svc == s)
				conns += c->conns;
		metrics_add(s->cfg->name, "master_processes", "",
		    COUNTER_GAUGE, s->n_children);
		metrics_add(s->cfg->name, "master_connections", "",
		    COUNTER_GAUGE, conns);
	}
}

void
metrics_render(struct buf *out)
{
	const char *last = "";

	gauges_now();
	for (size_t i = 0; i < n_table; i++) {
		const struct mseries *s = &table[i];
		const char *type = s->v.kind == COUNTER_COUNTER ? "counter" :
		    s->v.kind == COUNTER_GAUGE ? "gauge" : "histogram";
		uint64_t cum = 0;

		if (strcmp(last, s->v.name) != 0) {
			buf_printf(out, "# HELP postern_%s %s\n# TYPE "
			    "postern_%s %s\n", s->v.name,
			    metrics_help(s->v.name), s->v.name, type);
			last = s->v.name;
		}
		if (s->v.kind != COUNTER_HISTOGRAM) {
			buf_printf(out, "postern_%s", s->v.name);
			put_labels(out, s, NULL);
			buf_printf(out, " %llu\n",
			    (unsigned long long)s->v.value);
			continue;
		}
		for (size_t b = 0; b < COUNTERS_N_BUCKETS; b++) {
			char le[32];

			cum += s->v.buckets[b];
			(void)snprintf(le, sizeof(le), "le=\"%g\"",
			    (double)counters_bucket_ms[b] / 1000.0);
			buf_printf(out, "postern_%s_bucket", s->v.name);
			put_labels(out, s, le);
			buf_printf(out, " %llu\n", (unsigned long long)cum);
		}
		buf_printf(out, "postern_%s_bucket", s->v.name);
		put_labels(out, s, "le=\"+Inf\"");
		buf_printf(out, " %llu\npostern_%s_sum", (unsigned long long)
		    s->v.value, s->v.name);
		put_labels(out, s, NULL);
		buf_printf(out, " %.3f\npostern_%s_count",
		    (double)s->v.sum_ms / 1000.0, s->v.name);
		put_labels(out, s, NULL);
		buf_printf(out, " %llu\n", (unsigned long long)s->v.value);
	}
}

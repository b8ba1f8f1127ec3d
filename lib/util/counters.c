/*
 * NAME
 *	counters - a process's metric counters and their wire text
 * DESCRIPTION
 *	A fixed table of series, each holding what changed since the last
 *	frame reached master (deltas for counters and histograms, the
 *	latest value for gauges).  See counters.h.
 * SEE ALSO
 *	master/metrics.c, doc/ipc/master-chan.md (COUNTERS)
 */
#include <stdio.h>
#include <string.h>

#include "util/counters.h"
#include "util/log.h"
#include "util/strnum.h"

const uint64_t counters_bucket_ms[COUNTERS_N_BUCKETS] = {
	50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000
};

struct series {
	enum counter_kind kind;
	bool dirty;		/* changed since the last frame */
	bool sending;		/* in the frame being sent */
	bool known;		/* a gauge master has seen */
	char name[COUNTERS_NAME_MAX + 1];
	char labels[COUNTERS_LABELS_MAX + 1];
	uint64_t value;
	uint64_t sum_ms;
	uint64_t buckets[COUNTERS_N_BUCKETS];
};

static struct series table[COUNTERS_MAX_SERIES];
static size_t n_series;
static bool any_dirty, warned_full;

/* label_byte_ok - what a label value may hold on the wire */
static bool
label_byte_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("_.:+-", c) != NULL;
}

/* key_byte_ok - lower_snake */
static bool
key_byte_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool
counters_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > COUNTERS_NAME_MAX || !(name[0] >= 'a' &&
	    name[0] <= 'z'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!key_byte_ok(name[i]))
			return false;
	return true;
}

bool
counters_labels_ok(const char *labels, size_t len)
{
	size_t i = 0;

	if (len > COUNTERS_LABELS_MAX)
		return false;
	while (i < len) {
		size_t k = i, v;

		while (i < len && key_byte_ok(labels[i]))
			i++;
		if (i == k || i >= len || labels[i] != '=' ||
		    !(labels[k] >= 'a' && labels[k] <= 'z'))
			return false;
		v = ++i;
		while (i < len && label_byte_ok(labels[i]))
			i++;
		if (i == v)
			return false;
		if (i < len && (labels[i] != ',' || i + 1 == len))
			return false;
		if (i < len)
			i++;
	}
	return true;
}

/* find - the series name{labels} of kind, created if there is room */
static struct series *
find(enum counter_kind kind, const char *name, const char *labels)
{
	char clean[COUNTERS_LABELS_MAX + 1];
	size_t n = strlen(labels);
	struct series *s;

	if (!counters_name_ok(name, strlen(name)))
		msg_panic("%s: bad metric name '%s'", __func__, name);
	if (n > COUNTERS_LABELS_MAX)
		msg_panic("%s: labels of %s too long", __func__, name);
	/* Label values may come from a library (a TLS version): keep them
	 * to bytes the wire carries unquoted. */
	for (size_t i = 0; i <= n; i++) {
		char c = labels[i];

		clean[i] = c == '\0' || c == '=' || c == ',' ||
		    label_byte_ok(c) ? c : '_';
	}
	if (!counters_labels_ok(clean, n))
		msg_panic("%s: bad labels '%s' for %s", __func__, clean, name);
	for (size_t i = 0; i < n_series; i++) {
		s = &table[i];
		if (s->kind == kind && strcmp(s->name, name) == 0 &&
		    strcmp(s->labels, clean) == 0)
			return s;
	}
	if (n_series == COUNTERS_MAX_SERIES) {
		if (!warned_full)
			msg_warn("metrics: more than %d series in this process; "
			    "%s{%s} and later ones are not counted",
			    COUNTERS_MAX_SERIES, name, clean);
		warned_full = true;
		return NULL;
	}
	s = &table[n_series++];
	s->kind = kind;
	(void)snprintf(s->name, sizeof(s->name), "%s", name);
	(void)snprintf(s->labels, sizeof(s->labels), "%s", clean);
	return s;
}

void
counter_add(const char *name, const char *labels, uint64_t n)
{
	struct series *s = find(COUNTER_COUNTER, name, labels);

	if (s == NULL || n == 0)
		return;
	s->value += n;
	s->dirty = any_dirty = true;
}

void
command_count(const char *name, const char *verb)
{
	char labels[COUNTERS_LABELS_MAX + 1];

	snprintf(labels, sizeof(labels), "verb=%s",
	    verb != NULL ? verb : "unknown");
	counter_add(name, labels, 1);
}

void
gauge_set(const char *name, const char *labels, uint64_t v)
{
	struct series *s = find(COUNTER_GAUGE, name, labels);

	if (s == NULL || (s->value == v && s->known))
		return;
	s->value = v;
	s->known = true;
	s->dirty = any_dirty = true;
}

void
histogram_observe(const char *name, const char *labels, uint64_t ms)
{
	struct series *s = find(COUNTER_HISTOGRAM, name, labels);
	size_t b;

	if (s == NULL)
		return;
	for (b = 0; b < COUNTERS_N_BUCKETS; b++)
		if (ms <= counters_bucket_ms[b])
			break;
	if (b < COUNTERS_N_BUCKETS)
		s->buckets[b]++;	/* above the last bound: +Inf only */
	s->value++;
	s->sum_ms += ms;
	s->dirty = any_dirty = true;
}

bool
counters_changed(void)
{
	return any_dirty;
}

/* encode_one - the wire line of s */
static int
encode_one(struct buf *out, const struct series *s)
{
	const char *labels = s->labels[0] != '\0' ? s->labels : "-";

	if (s->kind != COUNTER_HISTOGRAM)
		return buf_appendf(out, "%c %s %s %llu\n", (char)s->kind,
		    s->name, labels, (unsigned long long)s->value);
	if (buf_appendf(out, "h %s %s %llu %llu", s->name, labels,
	    (unsigned long long)s->value, (unsigned long long)s->sum_ms) < 0)
		return -1;
	for (size_t b = 0; b < COUNTERS_N_BUCKETS; b++)
		if (buf_appendf(out, " %llu",
		    (unsigned long long)s->buckets[b]) < 0)
			return -1;
	return buf_append_byte(out, '\n');
}

size_t
counters_encode(struct buf *out, size_t max)
{
	size_t n = 0, keep;

	buf_reset(out);
	for (size_t i = 0; i < n_series; i++) {
		table[i].sending = false;
		if (!table[i].dirty)
			continue;
		keep = out->len;
		if (encode_one(out, &table[i]) < 0 || out->len > max) {
			buf_truncate(out, keep);
			continue;
		}
		table[i].sending = true;
		n++;
	}
	return n;
}

void
counters_sent(void)
{
	any_dirty = false;
	for (size_t i = 0; i < n_series; i++) {
		struct series *s = &table[i];

		if (s->sending) {
			s->sending = s->dirty = false;
			if (s->kind != COUNTER_GAUGE) {
				s->value = s->sum_ms = 0;
				memset(s->buckets, 0, sizeof(s->buckets));
			}
		}
		any_dirty = any_dirty || s->dirty;
	}
}

/* next_word - the next space-separated word of line[*pos..len) */
static int
next_word(const char *line, size_t len, size_t *pos, char *out,
    size_t size)
{
	size_t start = *pos, n;

	while (*pos < len && line[*pos] != ' ')
		(*pos)++;
	n = *pos - start;
	if (n == 0 || n >= size)
		return -1;
	memcpy(out, line + start, n);
	out[n] = '\0';
	if (*pos < len)
		(*pos)++;	/* the space */
	return 0;
}

/* next_u64 - the next word as a number */
static int
next_u64(const char *line, size_t len, size_t *pos, uint64_t *v)
{
	char word[24];
	const char *why;

	if (next_word(line, len, pos, word, sizeof(word)) < 0)
		return -1;
	return strnum_u64(word, 0, UINT64_MAX, v, &why);
}

int
counters_parse_line(const char *line, size_t len, struct counter_line *out,
    const char **error_r)
{
	size_t pos = 2;

	memset(out, 0, sizeof(*out));
	if (len < 2 || memchr(line, '\0', len) != NULL || line[1] != ' ' || (line[0] != COUNTER_COUNTER &&
	    line[0] != COUNTER_GAUGE && line[0] != COUNTER_HISTOGRAM)) {
		*error_r = "bad kind";
		return -1;
	}
	out->kind = (enum counter_kind)line[0];
	if (next_word(line, len, &pos, out->name, sizeof(out->name)) < 0 ||
	    !counters_name_ok(out->name, strlen(out->name))) {
		*error_r = "bad name";
		return -1;
	}
	if (next_word(line, len, &pos, out->labels, sizeof(out->labels)) < 0) {
		*error_r = "bad labels";
		return -1;
	}
	if (strcmp(out->labels, "-") == 0)
		out->labels[0] = '\0';
	else if (!counters_labels_ok(out->labels, strlen(out->labels))) {
		*error_r = "bad labels";
		return -1;
	}
	if (next_u64(line, len, &pos, &out->value) < 0) {
		*error_r = "bad value";
		return -1;
	}
	if (out->kind == COUNTER_HISTOGRAM) {
		if (next_u64(line, len, &pos, &out->sum_ms) < 0) {
			*error_r = "bad histogram sum";
			return -1;
		}
		for (size_t b = 0; b < COUNTERS_N_BUCKETS; b++)
			if (next_u64(line, len, &pos, &out->buckets[b]) < 0) {
				*error_r = "bad histogram bucket";
				return -1;
			}
	}
	if (pos != len || line[len - 1] == ' ') {
		*error_r = "trailing bytes";
		return -1;
	}
	return 0;
}

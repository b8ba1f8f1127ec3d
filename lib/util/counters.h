/*
 * counters.h - a process's metric counters, and their wire text.
 *
 * A daemon counts events with counter_add("smtpd_messages_total",
 * "result=accepted", 1), sets gauges with gauge_set and records latencies
 * with histogram_observe.  The skeleton (daemon.c) sends what changed to
 * master as a COUNTERS frame (doc/ipc/master-chan.md) at most once a
 * second and when the process exits normally; master adds the deltas up
 * per service and serves them (master/metrics.c).
 *
 * Names are lower_snake, at most COUNTERS_NAME_MAX bytes, and come from
 * the code (a bad one is a bug: msg_panic).  Labels are "key=value,..."
 * with lower_snake keys; a value byte outside [A-Za-z0-9_.:+-] becomes
 * '_', so label sets stay bounded and need no quoting on the wire.
 * A process has at most COUNTERS_MAX_SERIES series; further ones are
 * dropped with one warning.  Not thread-safe: call from the event loop.
 */
#ifndef POSTERN_COUNTERS_H
#define POSTERN_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define COUNTERS_MAX_SERIES	256
#define COUNTERS_NAME_MAX	64
#define COUNTERS_LABELS_MAX	128
#define COUNTERS_N_BUCKETS	11	/* finite ones; +Inf is the count */

/* Histogram bucket upper bounds in milliseconds (le="0.05" ... "300"). */
extern const uint64_t counters_bucket_ms[COUNTERS_N_BUCKETS];

enum counter_kind {
	COUNTER_COUNTER = 'c',
	COUNTER_GAUGE = 'g',
	COUNTER_HISTOGRAM = 'h',
};

/* counter_add - add n to the counter name{labels} (labels may be ""). */
void counter_add(const char *name, const char *labels, uint64_t n);
/* command_count - one more of name{verb=VERB}; verb is a name from the
 * daemon's command table (never the client's text), NULL: "unknown". */
void command_count(const char *name, const char *verb);
/* gauge_set - the gauge name{labels} is now v. */
void gauge_set(const char *name, const char *labels, uint64_t v);
/* histogram_observe - one observation of ms milliseconds. */
void histogram_observe(const char *name, const char *labels, uint64_t ms);

/* counters_changed - whether anything changed since counters_sent(). */
bool counters_changed(void);
/*
 * counters_encode - the changes since the last counters_sent() as wire
 * text into out (reset first), one line per series, at most max bytes
 * (series that do not fit wait for the next frame).  Returns the number
 * of series encoded.
 */
size_t counters_encode(struct buf *out, size_t max);
/* counters_sent - the last counters_encode() reached master: its deltas
 * are spent. */
void counters_sent(void);

/* One parsed wire line (master's side). */
struct counter_line {
	enum counter_kind kind;
	char name[COUNTERS_NAME_MAX + 1];
	char labels[COUNTERS_LABELS_MAX + 1];	/* "" for none */
	uint64_t value;		/* counter delta, gauge value, histogram
				   count delta */
	uint64_t sum_ms;	/* histogram: sum delta */
	uint64_t buckets[COUNTERS_N_BUCKETS];	/* histogram: per bucket
						   deltas, not cumulative */
};

/*
 * counters_parse_line - one wire line (without its newline) from a child:
 * "c NAME LABELS N", "g NAME LABELS N" or "h NAME LABELS COUNT SUM_MS B1
 * .. B11", LABELS "-" for none.  Returns 0, or -1 with *error_r for
 * anything else (the sender is a daemon that may be compromised).
 */
int counters_parse_line(const char *line, size_t len,
    struct counter_line *out, const char **error_r)
	__attribute__((warn_unused_result));

/* counters_name_ok - lower_snake, 1..COUNTERS_NAME_MAX bytes. */
bool counters_name_ok(const char *name, size_t len);
/* counters_labels_ok - "" or "key=value,..." as the wire allows. */
bool counters_labels_ok(const char *labels, size_t len);

#endif

/*
 * master.h - state shared by the files of master (not a public API).
 */
#ifndef POSTERN_MASTER_H
#define POSTERN_MASTER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/buf.h"
#include "util/conf.h"
#include "util/counters.h"
#include "util/ipc.h"
#include "util/master_fds.h"
#include "util/svc.h"

/* Connections a child holds per "service address" (anvil.c). */
struct anvil_hold {
	char *key;
	uint32_t n;
	struct anvil_hold *next;
};

struct child {
	pid_t pid;
	uint32_t gen;
	uint32_t state;		/* enum master_state */
	uint32_t conns;
	uint32_t served;
	uint32_t limit_hits;
	uint64_t started_ms;
	bool retired;		/* told to go; not counted against limits */
	bool ready;		/* has reported from its event loop */
	struct service *svc;	/* NULL once the service is gone */
	struct ipc_conn *conn;	/* master channel, our end */
	struct anvil_hold *holds;
	struct child *next;
};

struct service {
	const struct svc *cfg;	/* its line in the current service table */
	int *fds;		/* listeners */
	unsigned n_fds;
	bool watching;		/* master watches the listeners */
	unsigned n_children;	/* not retired */
	unsigned n_avail;	/* not retired, can take connections */
	long limit;		/* effective process_limit (0: unlimited) */
	uint64_t process_min;
	uint32_t gen;
	unsigned fails;		/* early crashes in a row */
	bool throttled;
	struct ev_timer *throttle_timer;
	struct limit_stat *limits;	/* hits per setting (limits.c) */
	uint64_t spawned;
	struct ev_timer *pause_timer;	/* after a process_limit hit */
};

/* service.c */
extern struct service **services;
extern size_t n_services;
extern struct child *children;
extern bool master_unprivileged;
/* services_start - open every listener; services_run - start children. */
int services_start(struct svc_table *t, struct buf *errors);
void services_run(void);
int services_reload(struct svc_table *t, bool conf_changed,
    struct buf *errors);
extern bool master_stopping;
void services_stop(void);
void services_reaped(pid_t pid, int status);
void services_status(const struct master_status *rec);
void services_check(struct service *s);
unsigned children_alive(void);

/* anvil.c */
/* anvil_update - count a connect or disconnect of addr for c's service;
 * *count: connections now, *rate: connects in the last window_s. */
int anvil_update(struct child *c, const char *addr, bool connect,
    uint64_t window_s, uint64_t *count, uint64_t *rate);
/* anvil_child_gone - give back what a dead child held. */
void anvil_child_gone(struct child *c);

/* limits.c */
/* limit_hit - the limit set by setting stopped work of s; fmt says what
 * happened.  Counted always, logged at most once per interval. */
void limit_hit(struct service *s, const char *setting, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
/* limit_hits - how often setting stopped s so far */
uint64_t limit_hits(const struct service *s, const char *setting);
/* limits_text - "setting=hits ..." of every limit s has hit */
int limits_text(const struct service *s, struct buf *out);
void limits_free(struct service *s);

/* rate.c */
/* rate_check - count cost events for key unless that would put more than
 * limit in the last window_s seconds: 1 counted, 0 over (*count: the
 * events in the window, *wait: seconds until cost fits again). */
int rate_check(const char *key, uint64_t window_s, uint64_t limit,
    uint64_t cost, uint64_t *count, uint64_t *wait);

/* greylist.c */
/* greylist_check - the triplet key seen now: 1 pass, 0 defer (*wait:
 * seconds until a retry may pass). */
int greylist_check(const char *key, uint64_t delay, uint64_t window,
    uint64_t lifetime, uint64_t *wait);

/* metrics.c */
/* metrics_frame - a COUNTERS frame's series text from a child of service;
 * 0, or -1 when a line is malformed (lines before it are counted). */
int metrics_frame(const char *service, const char *text);
/* metrics_add - master's own count (kind counter: add v; gauge: set v). */
void metrics_add(const char *service, const char *name, const char *labels,
    enum counter_kind kind, uint64_t v);
/* metrics_render - every series in the Prometheus text format 0.0.4. */
void metrics_render(struct buf *out);
/* metrics_help.c: metrics_help - the HELP text of a metric name. */
const char *metrics_help(const char *name);

/* metrics_http.c */
/* metrics_http_start - serve GET /metrics on spec (metrics_listen; ""
 * is off): 0, or -1 with *error_r (also for a non-loopback address). */
int metrics_http_start(const char *spec, const char **error_r);
void metrics_http_stop(void);

/* ctl.c */
int ctl_start(const char *path);
void ctl_stop(void);

/* notify.c */
void notify_systemd(const char *state);

/* main.c */
extern const char *master_config_dir;
extern struct conf *master_conf;
extern int master_status_pipe[2];
extern int master_log_pipe[2];
extern char *master_snapshot;

#endif

/*
 * ev.h - the epoll event loop with timers and signals.
 *
 * One loop per process.  File descriptors are watched for reading and/or
 * writing with one callback each; timers are one-shot with millisecond
 * resolution on CLOCK_MONOTONIC; signals arrive through signalfd, so their
 * callbacks run in normal context.  Callbacks may add and remove any
 * watcher, including their own.
 */
#ifndef POSTERN_EV_H
#define POSTERN_EV_H

#include <stdbool.h>
#include <stdint.h>

#define EV_READ		1
#define EV_WRITE	2

typedef void ev_io_fn(int fd, int events, void *ctx);
typedef void ev_timer_fn(void *ctx);
typedef void ev_signal_fn(int signo, void *ctx);

struct ev_timer;

/* ev_init - create the process's loop (fatal on failure). */
void ev_init(void);
/* ev_io_set - watch fd for events (EV_READ|EV_WRITE); 0 stops watching. */
void ev_io_set(int fd, int events, ev_io_fn *fn, void *ctx);
/* ev_io_del - forget fd; call before close(fd). */
void ev_io_del(int fd);
/* ev_io_exclusive - watch a listening socket with EPOLLEXCLUSIVE. */
void ev_io_exclusive(int fd, ev_io_fn *fn, void *ctx);
/*
 * ev_timer_add - call fn(ctx) once after ms milliseconds.  The returned
 * handle is valid until the timer fires or ev_timer_del() is called.
 */
struct ev_timer *ev_timer_add(uint64_t ms, ev_timer_fn *fn, void *ctx);
/* ev_timer_del - cancel *tp (if not NULL) and set it to NULL. */
void ev_timer_del(struct ev_timer **tp);
/* ev_signal - route signo to fn; blocks its default delivery. */
void ev_signal(int signo, ev_signal_fn *fn, void *ctx);
/* ev_now_ms - monotonic milliseconds, refreshed each loop iteration. */
uint64_t ev_now_ms(void);
/* ev_run - dispatch until ev_break(). */
void ev_run(void);
void ev_break(void);
/* ev_fork_child - in a forked child: drop the loop without touching the
 * parent's epoll state, unblock signals. */
void ev_fork_child(void);

#endif

/*
 * NAME
 *	ev - epoll event loop with timers and signals
 * DESCRIPTION
 *	File descriptor watchers live in a table indexed by fd (fds are small
 *	and dense).  Timers sit in a binary min-heap keyed by deadline; a
 *	cancelled timer is removed from the heap at once, so handles never
 *	dangle.  Signals are read from one signalfd.
 *
 *	A watcher removed while events for it are still pending in the
 *	current epoll batch is skipped: each slot carries a generation that
 *	the dispatcher compares.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "util/ev.h"
#include "util/log.h"
#include "util/mem.h"

struct ev_io {
	ev_io_fn *fn;
	void *ctx;
	int events;		/* EV_READ|EV_WRITE as registered */
	bool added;		/* known to epoll */
	uint32_t gen;
};

struct ev_timer {
	uint64_t when;
	uint64_t seq;		/* FIFO order for equal deadlines */
	size_t idx;		/* position in the heap */
	ev_timer_fn *fn;
	void *ctx;
};

struct ev_sig {
	ev_signal_fn *fn;
	void *ctx;
};

static int ep = -1;
static struct ev_io *ios;
static size_t n_ios;
static struct ev_timer **heap;
static size_t heap_len, heap_cap;
static uint64_t timer_seq;
static uint64_t now_ms;
static bool running;
static int sig_fd = -1;
static sigset_t sig_mask;
static struct ev_sig sigs[65];

/* clock_ms - read the monotonic clock */
static uint64_t
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
ev_now_ms(void)
{
	return now_ms != 0 ? now_ms : clock_ms();
}

void
ev_init(void)
{
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		msg_fatal("epoll_create1: %m");
	sigemptyset(&sig_mask);
	now_ms = clock_ms();
}

/* io_slot - the watcher slot for fd, growing the table */
static struct ev_io *
io_slot(int fd)
{
	if (fd < 0)
		msg_panic("%s: bad fd %d", __func__, fd);
	if ((size_t)fd >= n_ios) {
		size_t n = n_ios > 0 ? n_ios : 64;

		while (n <= (size_t)fd)
			n *= 2;
		ios = xrealloc(ios, n * sizeof(*ios));
		memset(ios + n_ios, 0, (n - n_ios) * sizeof(*ios));
		n_ios = n;
	}
	return &ios[fd];
}

/* io_ctl - tell epoll about fd's new interest set */
static void
io_ctl(int fd, struct ev_io *io, uint32_t extra)
{
	struct epoll_event e = { .data.fd = fd };

	if (io->events & EV_READ)
		e.events |= EPOLLIN;
	if (io->events & EV_WRITE)
		e.events |= EPOLLOUT;
	e.events |= extra;
	if (!io->added) {
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0)
			msg_panic("%s: epoll add fd %d: %m", __func__, fd);
		io->added = true;
	} else if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e) < 0) {
		msg_panic("%s: epoll mod fd %d: %m", __func__, fd);
	}
}

void
ev_io_set(int fd, int events, ev_io_fn *fn, void *ctx)
{
	struct ev_io *io = io_slot(fd);

	io->fn = fn;
	io->ctx = ctx;
	if (io->added && io->events == events)
		return;
	io->events = events;
	io_ctl(fd, io, 0);
}

void
ev_io_exclusive(int fd, ev_io_fn *fn, void *ctx)
{
	struct ev_io *io = io_slot(fd);

	io->fn = fn;
	io->ctx = ctx;
	io->events = EV_READ;
	io_ctl(fd, io, EPOLLEXCLUSIVE);
}

void
ev_io_del(int fd)
{
	struct ev_io *io;

	if (fd < 0 || (size_t)fd >= n_ios)
		return;
	io = &ios[fd];
	if (io->added)
		(void)epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	io->added = false;
	io->fn = NULL;
	io->events = 0;
	io->gen++;
}

/* timer_less - heap order: deadline, then insertion order */
static bool
timer_less(const struct ev_timer *a, const struct ev_timer *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

/* heap_swap - exchange two heap slots and fix their indexes */
static void
heap_swap(size_t i, size_t j)
{
	struct ev_timer *t = heap[i];

	heap[i] = heap[j];
	heap[j] = t;
	heap[i]->idx = i;
	heap[j]->idx = j;
}

/* heap_up - restore order above i */
static void
heap_up(size_t i)
{
	while (i > 0 && timer_less(heap[i], heap[(i - 1) / 2])) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

/* heap_down - restore order below i */
static void
heap_down(size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < heap_len && timer_less(heap[l], heap[m]))
			m = l;
		if (r < heap_len && timer_less(heap[r], heap[m]))
			m = r;
		if (m == i)
			return;
		heap_swap(i, m);
		i = m;
	}
}

struct ev_timer *
ev_timer_add(uint64_t ms, ev_timer_fn *fn, void *ctx)
{
	struct ev_timer *t = xmalloc(sizeof(*t));

	t->when = ev_now_ms() + ms;
	t->seq = timer_seq++;
	t->fn = fn;
	t->ctx = ctx;
	if (heap_len == heap_cap) {
		heap_cap = heap_cap > 0 ? heap_cap * 2 : 64;
		heap = xrealloc(heap, heap_cap * sizeof(*heap));
	}
	t->idx = heap_len;
	heap[heap_len++] = t;
	heap_up(t->idx);
	return t;
}

/* heap_remove - take t out of the heap */
static void
heap_remove(struct ev_timer *t)
{
	size_t i = t->idx;

	heap_len--;
	if (i != heap_len) {
		heap[i] = heap[heap_len];
		heap[i]->idx = i;
		heap_up(i);
		heap_down(heap[i]->idx);
	}
}

void
ev_timer_del(struct ev_timer **tp)
{
	if (*tp == NULL)
		return;
	heap_remove(*tp);
	free(*tp);
	*tp = NULL;
}

/* sig_read - dispatch pending signals from the signalfd */
static void
sig_read(int fd, int events, void *ctx)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int s = (int)si.ssi_signo;

		if (s > 0 && s < 65 && sigs[s].fn != NULL)
			sigs[s].fn(s, sigs[s].ctx);
	}
}

void
ev_signal(int signo, ev_signal_fn *fn, void *ctx)
{
	sigs[signo].fn = fn;
	sigs[signo].ctx = ctx;
	sigaddset(&sig_mask, signo);
	if (sigprocmask(SIG_BLOCK, &sig_mask, NULL) < 0)
		msg_fatal("sigprocmask: %m");
	sig_fd = signalfd(sig_fd, &sig_mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sig_fd < 0)
		msg_fatal("signalfd: %m");
	ev_io_set(sig_fd, EV_READ, sig_read, NULL);
}

/* run_timers - fire every timer that is due */
static void
run_timers(void)
{
	while (heap_len > 0 && heap[0]->when <= now_ms) {
		struct ev_timer *t = heap[0];
		ev_timer_fn *fn = t->fn;
		void *ctx = t->ctx;

		heap_remove(t);
		free(t);
		fn(ctx);
	}
}

void
ev_run(void)
{
	struct epoll_event evs[64];

	running = true;
	while (running) {
		int timeout = -1, n, i;
		uint32_t gens[64];

		now_ms = clock_ms();
		run_timers();
		if (!running)
			break;
		if (heap_len > 0)
			timeout = (int)(heap[0]->when - now_ms);
		n = epoll_wait(ep, evs, 64, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			msg_fatal("epoll_wait: %m");
		}
		now_ms = clock_ms();
		for (i = 0; i < n; i++)
			gens[i] = ios[evs[i].data.fd].gen;
		for (i = 0; i < n && running; i++) {
			int fd = evs[i].data.fd, what = 0;
			struct ev_io *io = &ios[fd];

			if (io->gen != gens[i] || io->fn == NULL)
				continue;
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				what |= EV_READ;
			if (evs[i].events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
				what |= EV_WRITE;
			what &= io->events;
			if (what == 0)
				what = io->events;	/* report HUP/ERR */
			io->fn(fd, what, io->ctx);
		}
	}
}

void
ev_break(void)
{
	running = false;
}

void
ev_fork_child(void)
{
	sigset_t none;

	if (ep >= 0)
		close(ep);
	if (sig_fd >= 0)
		close(sig_fd);
	ep = sig_fd = -1;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

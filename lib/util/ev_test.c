/*
 * NAME
 *	ev_test - unit tests for the event loop
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "util/ev.h"
#include "util/test.h"

static char order[64];
static size_t n_order;
static struct ev_timer *victim;

/* mark - record that a timer fired */
static void
mark(void *ctx)
{
	order[n_order++] = *(const char *)ctx;
	if (n_order == 4)
		ev_break();
}

/* cancel_victim - a timer that cancels another one before it fires */
static void
cancel_victim(void *ctx)
{
	ev_timer_del(&victim);
	mark(ctx);
}

/* test_timers - deadline order, FIFO on ties, cancellation */
static void
test_timers(void)
{
	static const char a = 'a', b = 'b', c = 'c', d = 'd', x = 'x';
	uint64_t t0 = ev_now_ms();

	TEST_BEGIN("ev: timers fire in deadline order, cancelled never");
	n_order = 0;
	(void)ev_timer_add(30, mark, (void *)&c);
	(void)ev_timer_add(10, mark, (void *)&a);
	(void)ev_timer_add(10, cancel_victim, (void *)&b);
	victim = ev_timer_add(20, mark, (void *)&x);
	(void)ev_timer_add(40, mark, (void *)&d);
	ev_run();
	order[n_order] = '\0';
	CHECK_STR_EQ(order, "abcd");
	CHECK(victim == NULL);
	CHECK(ev_now_ms() - t0 >= 40);
	TEST_END();
}

static int reads;

/* on_read - count reads; the first removes the other pipe's watcher,
 * whose event is already in the same epoll batch */
static void
on_read(int fd, int events, void *ctx)
{
	char buf[16];

	CHECK(events & EV_READ);
	CHECK(read(fd, buf, sizeof(buf)) > 0);
	reads++;
	ev_io_del(*(int *)ctx);
}

/* stop - end the loop */
static void
stop(void *ctx)
{
	ev_break();
}

/* on_signal - SIGUSR1 arrives through the loop */
static void
on_signal(int signo, void *ctx)
{
	*(int *)ctx = signo;
	ev_break();
}

/* test_io - a watcher removed during the batch is not called */
static void
test_io(void)
{
	int p1[2], p2[2], got = 0;

	TEST_BEGIN("ev: io readiness, removal inside a callback, signals");
	CHECK(pipe(p1) == 0 && pipe(p2) == 0);
	ev_io_set(p1[0], EV_READ, on_read, &p2[0]);
	ev_io_set(p2[0], EV_READ, on_read, &p1[0]);
	CHECK(write(p1[1], "x", 1) == 1 && write(p2[1], "y", 1) == 1);
	(void)ev_timer_add(50, stop, NULL);
	ev_run();
	CHECK(reads == 1);
	ev_io_del(p1[0]);
	ev_signal(SIGUSR1, on_signal, &got);
	kill(getpid(), SIGUSR1);
	ev_run();
	CHECK(got == SIGUSR1);
	TEST_END();
}

int
main(void)
{
	ev_init();
	test_timers();
	test_io();
	return test_exit();
}

/*
 * NAME
 *	stream - non-blocking line I/O with limits and timeouts
 * DESCRIPTION
 *	Input is read only while the consumer keeps up: at most max_line + 2
 *	bytes plus one read chunk are ever buffered, whatever the peer sends.
 *	The stream is freed only from the event loop's point of view safely:
 *	a close requested inside on_input is carried out when on_input
 *	returns.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/counters.h"
#include "util/ev.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/stream.h"

#include <openssl/err.h>

#define STREAM_CHUNK	4096
/* An empty buffer bigger than this is given back: one large response or
 * upload must not stay with a session that goes idle for hours. */
#define STREAM_KEEP	65536

struct stream {
	int fd;
	size_t max_line;
	uint64_t timeout_ms;
	struct buf in, out;
	size_t consumed;	/* bytes of in already returned as lines */
	bool discarding;	/* skipping the rest of an overlong line */
	bool close_after_flush;
	bool in_callback;
	bool paused;		/* the consumer waits; read nothing */
	struct ev_timer *resume_timer;
	const char *close_reason;
	struct ev_timer *timer;
	SSL *ssl;
	bool tls_pending;	/* STARTTLS: clear output still queued */
	bool handshaking;
	bool ssl_want_write;	/* SSL needs the socket writable */
	bool ssl_want_read;	/* SSL needs the socket readable */
	stream_tls_fn *tls_done;
	stream_input_fn *on_input;
	stream_close_fn *on_close;
	stream_input_fn *on_drain;	/* once output is down to drain_low */
	size_t drain_low;
	void *ctx;
};

static void on_io(int fd, int events, void *ctx);

/* finish - run on_close and free */
static void
finish(struct stream *s)
{
	ev_timer_del(&s->timer);
	ev_timer_del(&s->resume_timer);
	ev_io_del(s->fd);
	if (s->ssl != NULL)
		SSL_free(s->ssl);
	close(s->fd);
	s->on_close(s, s->close_reason, s->ctx);
	buf_free(&s->in);
	buf_free(&s->out);
	free(s);
}

/* timed_out - nothing came in for timeout_ms */
static void
timed_out(void *ctx)
{
	struct stream *s = ctx;

	s->timer = NULL;
	stream_close(s, "timeout");
}

/* arm - restart the inactivity timer */
static void
arm(struct stream *s)
{
	ev_timer_del(&s->timer);
	if (s->timeout_ms > 0)
		s->timer = ev_timer_add(s->timeout_ms, timed_out, s);
}

/* watch - read unless closing; write while output waits */
static void
watch(struct stream *s)
{
	int ev = 0;

	if (s->tls_pending) {
		ev_io_set(s->fd, EV_WRITE, on_io, s);
		return;
	}
	if ((!s->close_after_flush && !s->paused) || s->ssl_want_read)
		ev |= EV_READ;
	if ((s->out.len > 0 && !s->handshaking) || s->ssl_want_write)
		ev |= EV_WRITE;
	ev_io_set(s->fd, ev, on_io, s);
}

struct stream *
stream_new(int fd, size_t max_line, uint64_t timeout_ms,
    stream_input_fn *on_input, stream_close_fn *on_close, void *ctx)
{
	struct stream *s = xcalloc(1, sizeof(*s));

	s->fd = fd;
	s->max_line = max_line;
	s->timeout_ms = timeout_ms;
	s->on_input = on_input;
	s->on_close = on_close;
	s->ctx = ctx;
	buf_init(&s->in, 0);
	buf_init(&s->out, 0);
	arm(s);
	watch(s);
	return s;
}

int
stream_line(struct stream *s, const char **line, size_t *len)
{
	if (s->in.data == NULL)
		return 0;	/* released: nothing waits */
	for (;;) {
		uint8_t *start = s->in.data + s->consumed;
		size_t avail = s->in.len - s->consumed;
		uint8_t *lf = avail > 0 ? memchr(start, '\n', avail) : NULL;
		size_t n;

		if (s->discarding) {
			if (lf == NULL) {
				s->consumed = s->in.len;
				return 0;
			}
			s->consumed += (size_t)(lf - start) + 1;
			s->discarding = false;
			continue;
		}
		if (lf == NULL) {
			if (avail > s->max_line + 1) {
				s->discarding = true;
				s->consumed = s->in.len;
				return STREAM_LINE_TOO_LONG;
			}
			return 0;
		}
		n = (size_t)(lf - start);
		s->consumed += n + 1;
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (n > s->max_line)
			return STREAM_LINE_TOO_LONG;
		start[n] = '\0';
		*line = (const char *)start;
		*len = n;
		return 1;
	}
}

size_t
stream_bytes(struct stream *s, const uint8_t **data, size_t max)
{
	size_t avail = s->in.len - s->consumed;

	if (avail > max)
		avail = max;
	if (avail == 0) {
		*data = (const uint8_t *)"";
		return 0;
	}
	*data = s->in.data + s->consumed;
	s->consumed += avail;
	return avail;
}

void
stream_unread(struct stream *s, size_t n)
{
	ASSERT(n <= s->consumed);
	s->consumed -= n;
}

size_t
stream_pending(const struct stream *s)
{
	return s->in.len - s->consumed;
}

/* flush - write what we can */
static int
flush(struct stream *s)
{
	while (s->out.len > 0 && !s->handshaking) {
		ssize_t n;

		if (s->ssl != NULL && !s->tls_pending) {
			int r = SSL_write(s->ssl, s->out.data, s->out.len > INT_MAX ?
			    INT_MAX : (int)s->out.len);

			s->ssl_want_write = s->ssl_want_read = false;
			if (r <= 0) {
				int e = SSL_get_error(s->ssl, r);

				if (e == SSL_ERROR_WANT_WRITE) {
					s->ssl_want_write = true;
					return 0;
				}
				if (e == SSL_ERROR_WANT_READ) {
					s->ssl_want_read = true;
					return 0;
				}
				ERR_clear_error();
				return -1;
			}
			n = r;
		} else {
			n = write(s->fd, s->out.data, s->out.len);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					return 0;
				return -1;
			}
		}
		buf_consume(&s->out, (size_t)n);
		/* A peer reading a long answer is not idle. */
		if (n > 0 && s->out.len > 0)
			arm(s);
	}
	if (s->out.len == 0 && s->out.cap > STREAM_KEEP) {
		buf_free(&s->out);
	}
	if (s->tls_pending && s->out.len == 0) {
		s->tls_pending = false;
		s->handshaking = true;
		s->ssl_want_read = true;
	}
	return 0;
}

/* do_read - read a chunk, through TLS if on: bytes, 0 at EOF, -2 when
 * nothing is there yet, -1 on error */
static ssize_t
do_read(struct stream *s)
{
	ssize_t n;

	if (s->ssl != NULL) {
		int r = SSL_read(s->ssl, s->in.data + s->in.len, STREAM_CHUNK);

		s->ssl_want_write = s->ssl_want_read = false;
		if (r > 0)
			return r;
		switch (SSL_get_error(s->ssl, r)) {
		case SSL_ERROR_WANT_READ:
			return -2;
		case SSL_ERROR_WANT_WRITE:
			s->ssl_want_write = true;
			return -2;
		case SSL_ERROR_ZERO_RETURN:
			return 0;
		default:
			ERR_clear_error();
			return -1;
		}
	}
	n = read(s->fd, s->in.data + s->in.len, STREAM_CHUNK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -2;
	return n;
}

/* handshake - advance the TLS handshake; -1 closes the stream */
static int
handshake(struct stream *s)
{
	int r = SSL_do_handshake(s->ssl);
	static char why[160];

	s->ssl_want_write = s->ssl_want_read = false;
	if (r == 1) {
		char labels[64];

		snprintf(labels, sizeof(labels), "result=ok,version=%s",
		    SSL_get_version(s->ssl));
		counter_add("tls_handshakes_total", labels, 1);
		s->handshaking = false;
		arm(s);
		if (s->tls_done != NULL) {
			s->in_callback = true;
			s->tls_done(s, s->ctx);
			s->in_callback = false;
		}
		return 0;
	}
	switch (SSL_get_error(s->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		s->ssl_want_read = true;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		s->ssl_want_write = true;
		return 0;
	default:
		counter_add("tls_handshakes_total", "result=failed", 1);
		snprintf(why, sizeof(why), "TLS handshake failed: %s",
		    ERR_reason_error_string(ERR_peek_last_error()) != NULL ?
		    ERR_reason_error_string(ERR_peek_last_error()) :
		    "connection closed");
		ERR_clear_error();
		stream_close(s, why);
		return -1;
	}
}

/* run_input - hand buffered input to the consumer; -1 if it closed the
 * stream (which is then freed) */
static int
run_input(struct stream *s)
{
	s->in_callback = true;
	s->on_input(s, s->ctx);
	s->in_callback = false;
	if (s->close_reason != NULL) {
		finish(s);
		return -1;
	}
	return 0;
}

/* drained - run on_drain if output is low enough; -1 if it closed the
 * stream (which is then freed) */
static int
drained(struct stream *s)
{
	stream_input_fn *fn = s->on_drain;

	if (fn == NULL || s->out.len > s->drain_low)
		return 0;
	s->on_drain = NULL;
	s->in_callback = true;
	fn(s, s->ctx);
	s->in_callback = false;
	if (s->close_reason != NULL) {
		finish(s);
		return -1;
	}
	return 0;
}

/* release - give back buffers that hold nothing: a connection that waits
 * for its peer (an IMAP client in IDLE) then costs only its struct */
static void
release(struct stream *s)
{
	if (s->consumed == s->in.len) {
		buf_free(&s->in);
		s->consumed = 0;
	}
	if (s->out.len == 0)
		buf_free(&s->out);
}

/* after_input - answer at once (most replies fit the socket buffer),
 * close if asked, and watch for what comes next */
static void
after_input(struct stream *s)
{
	if (s->out.len > 0 && flush(s) < 0) {
		stream_close(s, "write error");
		return;
	}
	if (drained(s) < 0)
		return;
	if (s->close_after_flush && s->out.len == 0) {
		stream_close(s, "done");
		return;
	}
	release(s);
	watch(s);
}

/* on_io - the loop says we can read and/or write */
static void
on_io(int fd, int events, void *ctx)
{
	struct stream *s = ctx;

	if (s->tls_pending) {
		/* The clear-text reply to STARTTLS goes out first. */
		if (flush(s) < 0) {
			stream_close(s, "write error");
			return;
		}
		if (s->tls_pending) {
			watch(s);
			return;
		}
	}
	if (s->handshaking) {
		if (handshake(s) < 0)
			return;
		if (s->close_reason != NULL) {
			finish(s);
			return;
		}
		if (s->handshaking) {
			watch(s);
			return;
		}
		events = EV_READ | EV_WRITE;	/* SSL may hold data */
	}

	if ((events & EV_WRITE) && flush(s) < 0) {
		stream_close(s, "write error");
		return;
	}
	if ((events & EV_WRITE) && drained(s) < 0)
		return;
	if (s->close_after_flush && s->out.len == 0) {
		stream_close(s, "done");
		return;
	}
	/* TLS may hold decrypted bytes the socket no longer signals. */
	while (!s->paused && ((events & EV_READ) || (s->ssl != NULL &&
	    !s->handshaking && SSL_pending(s->ssl) > 0))) {
		ssize_t n;

		events &= ~EV_READ;
		/* Drop what was consumed before reading more. */
		buf_consume(&s->in, s->consumed);
		s->consumed = 0;
		if (s->in.len == 0 && s->in.cap > STREAM_KEEP) {
			buf_free(&s->in);
		}
		if (buf_reserve(&s->in, STREAM_CHUNK) < 0) {
			stream_close(s, "input buffer limit");
			return;
		}
		n = do_read(s);
		if (n == 0) {
			stream_close(s, "eof");
			return;
		}
		if (n == -2) {
			watch(s);
			return;
		}
		if (n < 0) {
			stream_close(s, "read error");
			return;
		}
		s->in.len += (size_t)n;
		arm(s);
		if (run_input(s) < 0)
			return;
	}
	after_input(s);
}

void
stream_write(struct stream *s, const void *data, size_t len)
{
	if (s->close_reason != NULL)
		return;
	if (buf_append(&s->out, data, len) < 0)
		msg_panic("%s: unbounded buffer refused data", __func__);
	if (!s->in_callback)
		watch(s);
}

void
stream_printf(struct stream *s, const char *fmt, ...)
{
	char small[1024], *p = small;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small)) {
		p = xmalloc((size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	stream_write(s, p, (size_t)n);
	if (p != small)
		free(p);
}

size_t
stream_held(const struct stream *s)
{
	return s->in.cap + s->out.cap;
}

size_t
stream_out_pending(const struct stream *s)
{
	return s->out.len;
}

void
stream_on_drain(struct stream *s, size_t low, stream_input_fn *fn)
{
	s->on_drain = fn;
	s->drain_low = low;
	if (!s->in_callback)
		watch(s);
}

void
stream_pause(struct stream *s)
{
	s->paused = true;
	if (!s->in_callback)
		watch(s);
}

/* resumed - hand the consumer what it left buffered, as if just read */
static void
resumed(void *ctx)
{
	struct stream *s = ctx;

	s->resume_timer = NULL;
	if (s->paused || run_input(s) < 0)
		return;
	after_input(s);
}

void
stream_resume(struct stream *s)
{
	s->paused = false;
	arm(s);
	if (s->resume_timer == NULL)
		s->resume_timer = ev_timer_add(0, resumed, s);
}

void
stream_set_timeout(struct stream *s, uint64_t timeout_ms)
{
	s->timeout_ms = timeout_ms;
	arm(s);
}

void
stream_close_after_flush(struct stream *s)
{
	s->close_after_flush = true;
	if (!s->in_callback) {
		if (s->out.len == 0)
			stream_close(s, "done");
		else
			watch(s);
	}
}

void
stream_close(struct stream *s, const char *reason)
{
	if (s->close_reason != NULL)
		return;
	s->close_reason = reason;
	if (!s->in_callback)
		finish(s);
}

int
stream_start_tls(struct stream *s, SSL_CTX *ctx, stream_tls_fn *done)
{
	if (s->ssl != NULL)
		return -1;
	s->ssl = SSL_new(ctx);
	if (s->ssl == NULL || SSL_set_fd(s->ssl, s->fd) != 1)
		return -1;
	SSL_set_mode(s->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	if (SSL_is_server(s->ssl))
		SSL_set_accept_state(s->ssl);
	else
		SSL_set_connect_state(s->ssl);
	/* Whatever came before the handshake is not to be trusted. */
	buf_reset(&s->in);
	s->consumed = 0;
	s->discarding = false;
	s->tls_done = done;
	if (s->out.len > 0) {
		s->tls_pending = true;
	} else {
		s->handshaking = true;
		s->ssl_want_read = true;
	}
	if (!s->in_callback)
		watch(s);
	return 0;
}

SSL *
stream_tls(const struct stream *s)
{
	return s->ssl != NULL && !s->handshaking ? s->ssl : NULL;
}

int
stream_fd(const struct stream *s)
{
	return s->fd;
}

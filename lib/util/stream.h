/*
 * stream.h - a non-blocking connection with bounded line input, buffered
 * output and an inactivity timeout, driven by the event loop.
 *
 * on_input runs when new bytes have arrived; it takes complete lines with
 * stream_line() until that returns 0.  A line longer than max_line is
 * reported once as STREAM_LINE_TOO_LONG, and its remaining bytes up to the
 * next LF are discarded, so the protocol can answer "line too long" and go
 * on.  on_close runs once, with the reason, when the peer closes, an error
 * occurs, or nothing was read for timeout_ms; the stream is freed after.
 */
#ifndef POSTERN_STREAM_H
#define POSTERN_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#define STREAM_LINE_TOO_LONG	(-1)

struct stream;

typedef void stream_input_fn(struct stream *s, void *ctx);
typedef void stream_close_fn(struct stream *s, const char *reason,
    void *ctx);

struct stream *stream_new(int fd, size_t max_line, uint64_t timeout_ms,
    stream_input_fn *on_input, stream_close_fn *on_close, void *ctx);
/*
 * stream_line - the next complete line without its line end (CRLF or a
 * bare LF), valid until the next stream call.  Returns 1, 0 when no whole
 * line is buffered, or STREAM_LINE_TOO_LONG.
 */
int stream_line(struct stream *s, const char **line, size_t *len);
/*
 * stream_bytes - take up to max buffered input bytes as they are (for
 * DATA and BDAT, which frame by content, not by line).  Returns the count
 * (0: nothing buffered); *data is valid until the next stream call.
 */
size_t stream_bytes(struct stream *s, const uint8_t **data, size_t max);
/* stream_unread - give back the last n bytes stream_bytes returned. */
void stream_unread(struct stream *s, size_t n);
/* stream_pending - buffered input bytes not yet taken. */
size_t stream_pending(const struct stream *s);
/* stream_write / stream_printf - queue output; flushed by the loop. */
void stream_write(struct stream *s, const void *data, size_t len);
void stream_printf(struct stream *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* stream_out_pending - output bytes queued and not yet written. */
size_t stream_out_pending(const struct stream *s);
/* stream_held - bytes of buffer the stream holds: 0 once a peer's
 * request has been read and answered, so an idle connection costs only
 * its struct. */
size_t stream_held(const struct stream *s);
/*
 * stream_on_drain - run fn once, from the loop, when at most low bytes of
 * output are left unwritten: a producer of a long response (IMAP FETCH of
 * a whole folder) writes a slice, pauses, and goes on from fn, so that
 * what it queues stays bounded by the client's reading speed.
 */
void stream_on_drain(struct stream *s, size_t low, stream_input_fn *fn);
/*
 * stream_pause - read nothing more until stream_resume (the consumer
 * waits for something, e.g. a disk commit, and must not take the next
 * pipelined command yet).  stream_resume runs on_input again soon, from
 * the loop, so input already buffered is not forgotten.
 */
void stream_pause(struct stream *s);
void stream_resume(struct stream *s);
/* stream_set_timeout - change the inactivity timeout (0: none). */
void stream_set_timeout(struct stream *s, uint64_t timeout_ms);
/* stream_close_after_flush - close (with reason "done") once output is
 * written. */
void stream_close_after_flush(struct stream *s);
/* stream_close - close now; on_close runs. */
void stream_close(struct stream *s, const char *reason);
int stream_fd(const struct stream *s);

/*
 * stream_start_tls - switch to TLS (STARTTLS, or at once for implicit TLS
 * ports).  Every input byte already buffered is discarded first, so that
 * nothing a client pipelined before the handshake is read as if it had
 * come over TLS (RFC 3207 4.2; the 2011 STARTTLS injection).  Output
 * queued before the call is sent in clear first.  done runs once the
 * handshake is over; a failed handshake closes the stream with a reason
 * instead.  Returns 0, or -1 if TLS is already on.
 */
typedef void stream_tls_fn(struct stream *s, void *ctx);
int stream_start_tls(struct stream *s, SSL_CTX *ctx, stream_tls_fn *done);
/* stream_tls - the SSL of the stream once TLS is on, else NULL. */
SSL *stream_tls(const struct stream *s);

#endif

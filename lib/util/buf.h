/*
 * buf.h - the one growable byte buffer (see Postfix vstring.c).
 *
 * A buffer holds len bytes in data, always followed by a hidden NUL, so
 * buf_cstr() is free.  It never grows past max (0 = no limit): an append
 * that would returns -1 and leaves the buffer unchanged, and the caller
 * turns that into a protocol error; nothing is truncated silently.
 */
#ifndef POSTERN_BUF_H
#define POSTERN_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max;
};

#define BUF_INIT { NULL, 0, 0, 0 }

/* buf_init - empty buffer with a size limit (0: none). */
void buf_init(struct buf *b, size_t max);
/* buf_free - release storage; the buffer may be reused after buf_init. */
void buf_free(struct buf *b);
/* buf_free_wipe - as buf_free, wiping the contents (secrets) first. */
void buf_free_wipe(struct buf *b);
void buf_reset(struct buf *b);
/* buf_truncate - shorten to len (no-op if already shorter). */
void buf_truncate(struct buf *b, size_t len);
/* buf_reserve - make room for n more bytes: 0, or -1 past max. */
int buf_reserve(struct buf *b, size_t n) __attribute__((warn_unused_result));
/* buf_reserve_wipe - buf_reserve for secrets: when the data moves, the
 * old copy is wiped before it is freed (realloc would leave it behind). */
int buf_reserve_wipe(struct buf *b, size_t n)
	__attribute__((warn_unused_result));
int buf_append(struct buf *b, const void *p, size_t n)
	__attribute__((warn_unused_result));
int buf_append_str(struct buf *b, const char *s)
	__attribute__((warn_unused_result));
int buf_append_byte(struct buf *b, uint8_t c)
	__attribute__((warn_unused_result));
/* buf_append_fill - n copies of byte c */
int buf_append_fill(struct buf *b, uint8_t c, size_t n)
	__attribute__((warn_unused_result));
int buf_appendf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), warn_unused_result));
/*
 * buf_put, buf_puts, buf_putc, buf_printf - the same for buffers without
 * a limit, which cannot refuse (building a response): they panic if the
 * buffer has a limit that would be passed.
 */
void buf_put(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, uint8_t c);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* buf_consume - drop the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);
/* buf_cstr - the contents as a NUL-terminated string (never NULL). */
const char *buf_cstr(const struct buf *b);

#endif

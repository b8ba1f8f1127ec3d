/*
 * NAME
 *	buf - bounded growable byte buffer
 * DESCRIPTION
 *	See buf.h.  Growth doubles, capped at max + 1 (the hidden NUL).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_free_wipe(struct buf *b)
{
	mem_wipe(b->data, b->cap);
	buf_free(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
buf_truncate(struct buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

/* grown - the capacity b needs for n more bytes; 0 if it has it, -1
 * (as SIZE_MAX) past its limit */
static size_t
grown(const struct buf *b, size_t n)
{
	size_t need, cap;

	if (n > SIZE_MAX / 2 - b->len)
		return SIZE_MAX;
	need = b->len + n + 1;		/* UNSAFE: bounded just above */
	if (b->max > 0 && b->len + n > b->max)
		return SIZE_MAX;
	if (need <= b->cap)
		return 0;
	cap = b->cap > 0 ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	if (b->max > 0 && cap > b->max + 1)
		cap = b->max + 1;
	return cap;
}

int
buf_reserve(struct buf *b, size_t n)
{
	size_t cap = grown(b, n);

	if (cap == SIZE_MAX)
		return -1;
	if (cap > 0) {
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	return 0;
}

int
buf_reserve_wipe(struct buf *b, size_t n)
{
	size_t cap = grown(b, n);
	uint8_t *p;

	if (cap == SIZE_MAX)
		return -1;
	if (cap > 0) {
		p = xmalloc(cap);
		if (b->len > 0)
			memcpy(p, b->data, b->len);
		mem_wipe(b->data, b->len);
		free(b->data);
		b->data = p;
		b->cap = cap;
	}
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_append_byte(struct buf *b, uint8_t c)
{
	return buf_append(b, &c, 1);
}

int
buf_append_fill(struct buf *b, uint8_t c, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -1;
	memset(b->data + b->len, c, n);
	b->len += n;
	return 0;
}

int
buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void
buf_put(struct buf *b, const void *p, size_t n)
{
	if (buf_append(b, p, n) < 0)
		msg_panic("buf_put: a bounded buffer is full");
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void
buf_putc(struct buf *b, uint8_t c)
{
	buf_put(b, &c, 1);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) < 0)
		msg_panic("buf_printf: a bounded buffer is full");
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

const char *
buf_cstr(const struct buf *b)
{
	return b->data != NULL ? (const char *)b->data : "";
}

/*
 * NAME
 *	imap_utf7 - modified UTF-7 mailbox names (RFC 3501 5.1.3)
 * DESCRIPTION
 *	See imap_utf7.h.  Decoding is strict, as the RFC asks of a name
 *	that will be stored: one spelling per name, so that two clients
 *	cannot make two folders that look the same.
 */
#include <stdint.h>
#include <string.h>

#include "mail/imap_utf7.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* b64_value - the 6 bits of c, or -1 */
static int
b64_value(unsigned char c)
{
	const char *p = c != '\0' ? strchr(b64, c) : NULL;

	return p != NULL ? (int)(p - b64) : -1;
}

/* put_utf8 - code point cp as UTF-8 */
static void
put_utf8(struct buf *out, uint32_t cp)
{
	if (cp < 0x80) {
		buf_putc(out, (uint8_t)cp);
	} else if (cp < 0x800) {
		buf_putc(out, (uint8_t)(0xc0 | cp >> 6));
		buf_putc(out, (uint8_t)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_putc(out, (uint8_t)(0xe0 | cp >> 12));
		buf_putc(out, (uint8_t)(0x80 | (cp >> 6 & 0x3f)));
		buf_putc(out, (uint8_t)(0x80 | (cp & 0x3f)));
	} else {
		buf_putc(out, (uint8_t)(0xf0 | cp >> 18));
		buf_putc(out, (uint8_t)(0x80 | (cp >> 12 & 0x3f)));
		buf_putc(out, (uint8_t)(0x80 | (cp >> 6 & 0x3f)));
		buf_putc(out, (uint8_t)(0x80 | (cp & 0x3f)));
	}
}

/* next_utf8 - the code point at *p (advanced), or -1 if malformed */
static int32_t
next_utf8(const unsigned char **p, const unsigned char *end)
{
	const unsigned char *s = *p;
	uint32_t cp;
	int more;

	if (s[0] < 0x80) {
		*p = s + 1;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		cp = s[0] & 0x1f;
		more = 1;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		cp = s[0] & 0x0f;
		more = 2;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		cp = s[0] & 0x07;
		more = 3;
	} else {
		return -1;
	}
	if (end - s <= more)
		return -1;
	for (int i = 1; i <= more; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*p = s + more + 1;
	return (int32_t)cp;
}

bool
imap_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end)
		if (next_utf8(&p, end) < 0)
			return false;
	return true;
}

/* shifted - decode the base64 run in[0..n) (between "&" and "-") */
static int
shifted(const char *in, size_t n, struct buf *out)
{
	uint32_t bits = 0, high = 0;
	int nbits = 0;

	if (n == 0)
		return -1;	/* "&-" is handled by the caller */
	for (size_t i = 0; i < n; i++) {
		int v = b64_value((unsigned char)in[i]);

		if (v < 0)
			return -1;
		bits = bits << 6 | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		{
			uint32_t u = bits >> nbits & 0xffff;

			if (high != 0) {
				if (u < 0xdc00 || u > 0xdfff)
					return -1;
				put_utf8(out, 0x10000 + ((high - 0xd800) << 10) +
				    (u - 0xdc00));
				high = 0;
			} else if (u >= 0xd800 && u <= 0xdbff) {
				high = u;
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				return -1;
			} else if (u >= 0x20 && u <= 0x7e) {
				return -1;	/* must be itself */
			} else {
				put_utf8(out, u);
			}
		}
	}
	/* Leftover bits are padding: fewer than 6 and all zero. */
	if (high != 0 || nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0)
		return -1;
	return 0;
}

int
imap_utf7_decode(const char *in, size_t n, struct buf *out)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)in[i];
		const char *dash;

		if (c < 0x20 || c > 0x7e)
			return -1;
		if (c != '&') {
			buf_putc(out, c);
			i++;
			continue;
		}
		dash = memchr(in + i + 1, '-', n - i - 1);
		if (dash == NULL)
			return -1;
		if (dash == in + i + 1)
			buf_putc(out, '&');
		else if (shifted(in + i + 1, (size_t)(dash - in - i - 1),
		    out) < 0)
			return -1;
		i = (size_t)(dash - in) + 1;
	}
	return 0;
}

/* flush_shift - the UTF-16 units u[0..n) in modified base64, "&...-" */
static void
flush_shift(struct buf *out, const uint16_t *u, size_t n)
{
	uint32_t bits = 0;
	int nbits = 0;

	buf_putc(out, '&');
	for (size_t i = 0; i < n; i++) {
		bits = bits << 16 | u[i];
		nbits += 16;
		while (nbits >= 6) {
			nbits -= 6;
			buf_putc(out, (uint8_t)b64[bits >> nbits & 0x3f]);
		}
	}
	if (nbits > 0)
		buf_putc(out, (uint8_t)b64[bits << (6 - nbits) & 0x3f]);
	buf_putc(out, '-');
}

int
imap_utf7_encode(const char *text, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)text;
	const unsigned char *end = p + strlen(text);
	uint16_t run[1024];
	size_t n = 0;

	while (p < end) {
		int32_t cp = next_utf8(&p, end);

		if (cp < 0)
			return -1;
		if (cp >= 0x20 && cp <= 0x7e) {
			if (n > 0)
				flush_shift(out, run, n);
			n = 0;
			if (cp == '&')
				buf_puts(out, "&-");
			else
				buf_putc(out, (uint8_t)cp);
			continue;
		}
		/* One shift per run (two in a row are not the shortest
		 * form); a longer run is not a name imapd takes. */
		if (n + 2 > sizeof(run) / sizeof(run[0]))
			return -1;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			run[n++] = (uint16_t)(0xd800 + (cp >> 10));
			run[n++] = (uint16_t)(0xdc00 + (cp & 0x3ff));
		} else {
			run[n++] = (uint16_t)cp;
		}
	}
	if (n > 0)
		flush_shift(out, run, n);
	return 0;
}

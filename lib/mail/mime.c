/*
 * NAME
 *	mime - header fields and MIME structure
 * DESCRIPTION
 *	Line ends may be CRLF or bare LF (stored mail is CRLF; messages
 *	appended by clients may not be).
 */
#include <ctype.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "mail/mime.h"
#include "util/mem.h"

/* line_end - offset just past the line starting at p (or len) */
static size_t
line_end(const char *d, size_t len, size_t p)
{
	const char *nl = p < len ? memchr(d + p, '\n', len - p) : NULL;

	return nl != NULL ? (size_t)(nl - d) + 1 : len;
}

/* blank - the line at p is empty (CRLF or LF) */
static bool
blank(const char *d, size_t len, size_t p)
{
	return (p < len && d[p] == '\n') ||
	    (p + 1 < len && d[p] == '\r' && d[p + 1] == '\n');
}

/* header_end - offset of the body: after the first blank line */
static size_t
header_end(const char *d, size_t len, size_t p)
{
	while (p < len) {
		if (blank(d, len, p))
			return line_end(d, len, p);
		p = line_end(d, len, p);
	}
	return len;
}

int
mime_header(const char *d, size_t len, size_t hdr, const char *name,
    struct buf *out)
{
	size_t nl = strlen(name), p = hdr;

	buf_reset(out);
	while (p < len && !blank(d, len, p)) {
		size_t e = line_end(d, len, p);

		if (e - p > nl && d[p + nl] == ':' &&
		    strncasecmp(d + p, name, nl) == 0) {
			size_t v = p + nl + 1;

			/* Unfold: continuation lines start with space/tab. */
			for (;;) {
				size_t end = e;

				while (end > v && (d[end - 1] == '\n' ||
				    d[end - 1] == '\r'))
					end--;
				if (buf_append(out, d + v, end - v) < 0)
					return -1;
				if (e >= len || (d[e] != ' ' && d[e] != '\t'))
					break;
				v = e;
				e = line_end(d, len, e);
			}
			/* Trim the leading space of the value. */
			{
				size_t skip = 0;

				while (skip < out->len &&
				    (out->data[skip] == ' ' ||
				    out->data[skip] == '\t'))
					skip++;
				buf_consume(out, skip);
			}
			return 1;
		}
		p = e;
	}
	return 0;
}

/* token - lower-case copy of the token at *pp (type/subtype) */
static void
token(const char **pp, char *out, size_t size)
{
	const char *p = *pp;
	size_t n = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	while (*p != '\0' && *p != '/' && *p != ';' && *p != ' ' &&
	    *p != '\t' && n + 1 < size) {
		out[n++] = (char)tolower((unsigned char)*p);
		p++;
	}
	out[n] = '\0';
	*pp = p;
}

/* content_type - type and subtype of the part at hdr (default text/plain,
 * or message/rfc822 inside multipart/digest) */
static void
content_type(struct mime_message *m, struct mime_part *part,
    bool digest)
{
	struct buf v = BUF_INIT;
	const char *p;

	snprintf(part->type, sizeof(part->type), digest ? "message" : "text");
	snprintf(part->subtype, sizeof(part->subtype), digest ? "rfc822" :
	    "plain");
	if (mime_header(m->data, m->len, part->hdr_start, "Content-Type", &v)
	    == 1) {
		char t[64], s[64];

		p = buf_cstr(&v);
		token(&p, t, sizeof(t));
		if (*p == '/') {
			p++;
			token(&p, s, sizeof(s));
			if (t[0] != '\0' && s[0] != '\0') {
				memcpy(part->type, t, sizeof(t));
				memcpy(part->subtype, s, sizeof(s));
			}
		}
	}
	buf_free(&v);
}

/* count_lines - lines in [a, b): LFs, and a last line without one
 * (the CRLF before a boundary belongs to the boundary) */
static size_t
count_lines(const char *d, size_t a, size_t b)
{
	size_t n = 0;

	for (size_t i = a; i < b; i++)
		n += d[i] == '\n';
	return n + (b > a && d[b - 1] != '\n');
}

static struct mime_part *parse_part(struct mime_message *m, size_t start,
    size_t end, int depth, bool digest);

/* is_boundary - the line at p is "--boundary" or "--boundary--" */
static int
is_boundary(const char *d, size_t len, size_t p, const char *b, size_t bl)
{
	if (p + 2 + bl > len || d[p] != '-' || d[p + 1] != '-' ||
	    memcmp(d + p + 2, b, bl) != 0)
		return 0;
	p += 2 + bl;
	if (p + 1 < len && d[p] == '-' && d[p + 1] == '-')
		return 2;
	return 1;
}

/* multipart - the children of part, split at its boundary */
static void
multipart(struct mime_message *m, struct mime_part *part, int depth)
{
	struct buf v = BUF_INIT, b = BUF_INIT;
	struct mime_part **tail = &part->child;
	size_t p = part->body_start, child_start = 0;
	bool in = false, digest = strcmp(part->subtype, "digest") == 0;
	const char *bs;
	size_t bl;

	if (mime_header(m->data, m->len, part->hdr_start, "Content-Type",
	    &v) != 1 || mime_param(buf_cstr(&v), "boundary", &b) != 1 ||
	    b.len == 0 || b.len > 70) {
		buf_free(&v);
		buf_free(&b);
		return;
	}
	bs = buf_cstr(&b);
	bl = b.len;
	while (p < part->body_end) {
		size_t e = line_end(m->data, part->body_end, p);
		int kind = is_boundary(m->data, part->body_end, p, bs, bl);

		if (kind != 0) {
			if (in) {
				/* The CRLF before the boundary is not the
				 * part's. */
				size_t end = p;

				if (end > child_start && m->data[end - 1] ==
				    '\n')
					end--;
				if (end > child_start && m->data[end - 1] ==
				    '\r')
					end--;
				*tail = parse_part(m, child_start, end,
				    depth + 1, digest);
				if (*tail != NULL) {
					tail = &(*tail)->next;
					part->n_children++;
				}
			}
			if (kind == 2)
				break;
			in = true;
			child_start = e;
		}
		p = e;
	}
	buf_free(&v);
	buf_free(&b);
}

/* new_part - a zeroed part, or NULL past MIME_PARTS_MAX */
static struct mime_part *
new_part(struct mime_message *m)
{
	if (m->used >= MIME_PARTS_MAX)
		return NULL;
	m->used++;
	return arena_alloc(&m->parts, sizeof(struct mime_part));
}

static struct mime_part *
parse_part(struct mime_message *m, size_t start, size_t end, int depth,
    bool digest)
{
	struct mime_part *part;

	if ((part = new_part(m)) == NULL)
		return NULL;
	part->hdr_start = start;
	part->body_start = header_end(m->data, end, start);
	part->body_end = end;
	part->lines = count_lines(m->data, part->body_start, end);
	content_type(m, part, digest);
	if (depth >= MIME_DEPTH_MAX)
		return part;	/* deeper: opaque */
	if (strcmp(part->type, "multipart") == 0)
		multipart(m, part, depth);
	else if (strcmp(part->type, "message") == 0 &&
	    strcmp(part->subtype, "rfc822") == 0)
		part->child = parse_part(m, part->body_start, end, depth + 1,
		    false);
	return part;
}

void
mime_parse(struct mime_message *m, const char *data, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->data = data;
	m->len = len;
	m->root = parse_part(m, 0, len, 0, false);
}

void
mime_free(struct mime_message *m)
{
	arena_free(&m->parts);
	memset(m, 0, sizeof(*m));
}

int
mime_to_utf8(const char *charset, const char *in, size_t n, struct buf *out)
{
	iconv_t cd;
	char tmp[1024];

	if (charset == NULL || strcasecmp(charset, "utf-8") == 0 ||
	    strcasecmp(charset, "us-ascii") == 0 ||
	    (cd = iconv_open("UTF-8", charset)) == (iconv_t)-1)
		return buf_append(out, in, n);
	while (n > 0) {
		char *o = tmp;
		size_t ol = sizeof(tmp);
		size_t r = iconv(cd, (char **)&in, &n, &o, &ol);

		if (buf_append(out, tmp, sizeof(tmp) - ol) < 0) {
			iconv_close(cd);
			return -1;
		}
		if (r == (size_t)-1 && ol == sizeof(tmp)) {
			/* An invalid byte: keep it visible and go on. */
			if (buf_append_byte(out, '?') < 0) {
				iconv_close(cd);
				return -1;
			}
			in++;
			n--;
		}
	}
	iconv_close(cd);
	return 0;
}

/* hexval - one hex digit, or -1 */
static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* split_charset - take "charset'lang'" off the front of v[0..n) */
static void
split_charset(const char **v, size_t *n, char *charset, size_t size)
{
	const char *a = memchr(*v, '\'', *n);
	const char *b = a != NULL ? memchr(a + 1, '\'', *n - (size_t)(a + 1 -
	    *v)) : NULL;

	if (a == NULL || b == NULL)
		return;
	snprintf(charset, size, "%.*s", (int)(a - *v), *v);
	*n -= (size_t)(b + 1 - *v);
	*v = b + 1;
}

int
mime_param(const char *value, const char *name, struct buf *out)
{
	size_t nl = strlen(name);
	char charset[64] = "";
	int found = 0;
	struct buf raw = BUF_INIT;

	buf_reset(out);
	/* Plain name=value first; name*=, name*0=, name*0*= pieces after. */
	for (const char *p = strchr(value, ';'); p != NULL;
	    p = strchr(p + 1, ';')) {
		const char *q = p + 1, *v;
		bool ext = false, cont = false;
		size_t n = 0;

		while (*q == ' ' || *q == '\t')
			q++;
		if (strncasecmp(q, name, nl) != 0)
			continue;
		v = q + nl;
		if (*v == '*') {
			v++;
			if (*v >= '0' && *v <= '9') {
				cont = true;
				while (*v >= '0' && *v <= '9')
					v++;
			}
			if (*v == '*') {
				ext = true;
				v++;
			} else if (!cont) {
				ext = true;	/* name*=charset'lang'value */
			}
		}
		if (*v != '=')
			continue;
		v++;
		if (*v == '"') {
			for (v++; *v != '\0' && *v != '"'; v++) {
				if (*v == '\\' && v[1] != '\0')
					v++;
				if (buf_append_byte(&raw, (uint8_t)*v) < 0)
					return -1;
			}
		} else {
			while (v[n] != '\0' && v[n] != ';' && v[n] != ' ' &&
			    v[n] != '\t')
				n++;
			/* The first extended piece may start with
			 * charset'language'. */
			if (ext && (cont ? found == 0 : charset[0] == '\0'))
				split_charset(&v, &n, charset,
				    sizeof(charset));
			for (size_t i = 0; i < n; i++) {
				int c = (unsigned char)v[i];

				if (ext && c == '%' && i + 2 < n + 1 &&
				    hexval(v[i + 1]) >= 0 &&
				    hexval(v[i + 2]) >= 0) {
					c = hexval(v[i + 1]) * 16 +
					    hexval(v[i + 2]);
					i += 2;
				}
				if (buf_append_byte(&raw, (uint8_t)c) < 0)
					return -1;
			}
		}
		found++;
		if (!cont)
			break;
	}
	if (found > 0 && mime_to_utf8(charset[0] != '\0' ? charset : NULL,
	    (const char *)raw.data, raw.len, out) < 0)
		found = -1;
	buf_free(&raw);
	return found > 0 ? 1 : found;
}

int
mime_decode_words(const char *text, size_t len, struct buf *out)
{
	const char *p = text, *end = text + len, *pending_ws = NULL;
	bool last_was_word = false;

	buf_reset(out);
	while (p < end) {
		const char *q, *cs_end, *enc_end, *w_end;
		char charset[64];
		struct buf dec = BUF_INIT;
		int rc = 0;

		if (!(p + 1 < end && p[0] == '=' && p[1] == '?') ||
		    (cs_end = memchr(p + 2, '?', (size_t)(end - p - 2))) ==
		    NULL || cs_end + 2 >= end || cs_end[2] != '?' ||
		    (w_end = memmem(cs_end + 3, (size_t)(end - cs_end - 3),
		    "?=", 2)) == NULL ||
		    cs_end - p - 2 >= (long)sizeof(charset)) {
			/* Plain text; whitespace between two encoded words
			 * disappears (RFC 2047 6.2). */
			if (*p == ' ' || *p == '\t' || *p == '\r' ||
			    *p == '\n') {
				if (pending_ws == NULL)
					pending_ws = p;
				p++;
				continue;
			}
			if (pending_ws != NULL && buf_append(out, pending_ws,
			    (size_t)(p - pending_ws)) < 0)
				return -1;
			pending_ws = NULL;
			if (buf_append_byte(out, (uint8_t)*p++) < 0)
				return -1;
			last_was_word = false;
			continue;
		}
		if (pending_ws != NULL && !last_was_word &&
		    buf_append(out, pending_ws, (size_t)(p - pending_ws)) < 0)
			return -1;
		pending_ws = NULL;
		snprintf(charset, sizeof(charset), "%.*s", (int)(cs_end - p -
		    2), p + 2);
		/* charset*language (RFC 2231 5) */
		charset[strcspn(charset, "*")] = '\0';
		enc_end = cs_end + 3;
		q = enc_end;
		if (toupper((unsigned char)cs_end[1]) == 'B') {
			size_t n;
			char *bin = xmalloc((size_t)(w_end - q) + 1);

			if (sodium_base642bin((unsigned char *)bin,
			    (size_t)(w_end - q) + 1, q, (size_t)(w_end - q),
			    NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) ==
			    0)
				rc = buf_append(&dec, bin, n);
			free(bin);
		} else {
			for (; q < w_end; q++) {
				int c = (unsigned char)*q;

				if (c == '_')
					c = ' ';
				else if (c == '=' && q + 2 < w_end + 1 &&
				    hexval(q[1]) >= 0 && hexval(q[2]) >= 0) {
					c = hexval(q[1]) * 16 + hexval(q[2]);
					q += 2;
				}
				rc |= buf_append_byte(&dec, (uint8_t)c);
			}
		}
		if (rc < 0 || mime_to_utf8(charset, (const char *)dec.data,
		    dec.len, out) < 0) {
			buf_free(&dec);
			return -1;
		}
		buf_free(&dec);
		p = w_end + 2;
		last_was_word = true;
	}
	if (pending_ws != NULL && buf_append(out, pending_ws,
	    (size_t)(end - pending_ws)) < 0)
		return -1;
	return 0;
}

/* b64val - one base64 digit, or -1 */
static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int
mime_decode_body(const char *cte, const char *in, size_t len,
    struct buf *out)
{
	if (cte == NULL || cte[0] == '\0' || strcasecmp(cte, "7bit") == 0 ||
	    strcasecmp(cte, "8bit") == 0 || strcasecmp(cte, "binary") == 0)
		return buf_append(out, in, len);
	if (strcasecmp(cte, "base64") == 0) {
		unsigned acc = 0, bits = 0;

		/* Leniently: anything not in the alphabet is skipped. */
		for (size_t i = 0; i < len && in[i] != '='; i++) {
			int v = b64val((unsigned char)in[i]);

			if (v < 0)
				continue;
			acc = (acc << 6) | (unsigned)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				if (buf_append_byte(out, (uint8_t)(acc >> bits)) <
				    0)
					return -1;
			}
		}
		return 0;
	}
	if (strcasecmp(cte, "quoted-printable") == 0) {
		for (size_t i = 0; i < len; i++) {
			int c = (unsigned char)in[i];

			if (c == '=' && i + 2 < len && hexval(in[i + 1]) >= 0 &&
			    hexval(in[i + 2]) >= 0) {
				c = hexval(in[i + 1]) * 16 + hexval(in[i + 2]);
				i += 2;
			} else if (c == '=') {
				/* A soft line break: "=" CRLF, or "=" LF. */
				size_t j = i + 1;

				while (j < len && (in[j] == ' ' || in[j] == '\t'))
					j++;
				if (j < len && in[j] == '\r')
					j++;
				if (j < len && in[j] == '\n') {
					i = j;
					continue;
				}
				if (j >= len) {
					i = j;
					continue;
				}
			}
			if (buf_append_byte(out, (uint8_t)c) < 0)
				return -1;
		}
		return 0;
	}
	return -2;
}

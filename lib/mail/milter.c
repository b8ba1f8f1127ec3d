/*
 * NAME
 *	milter - encode MTA packets, decode milter replies (milter.h)
 * DESCRIPTION
 *	The packet layout is libmilter's (mfdef.h, Sendmail's milter
 *	protocol version 6), which Postfix's milter8.c also speaks; only
 *	the constants and the layout are shared, no code.  The decoder is
 *	strict: a reply with data where none belongs, a string that does not
 *	end inside its frame, or a command we never offered is an error,
 *	and the caller treats the milter as failed.
 * SEE ALSO
 *	Postfix MILTER_README, src/milter/milter8.c; libmilter/mfdef.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "mail/milter.h"

/* put32 - network byte order */
static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* begin - the length and command of a packet whose data follows; the
 * length is filled in by end() */
static int
begin(struct buf *out, uint8_t cmd, size_t *at)
{
	uint8_t h[5] = { 0, 0, 0, 0, cmd };

	*at = out->len;
	return buf_append(out, h, sizeof(h));
}

static int
end(struct buf *out, size_t at)
{
	/* UNSAFE: at + 4 <= out->len, begin() put 5 bytes there */
	size_t n = out->len - at - 4;

	if (n > MILTER_FRAME_HARD_MAX)
		return -1;
	put32((uint8_t *)out->data + at, (uint32_t)n);
	return 0;
}

int
milter_enc(struct buf *out, uint8_t cmd, const void *data, size_t n)
{
	size_t at;

	if (begin(out, cmd, &at) < 0 || buf_append(out, data, n) < 0)
		return -1;
	return end(out, at);
}

int
milter_enc_optneg(struct buf *out, uint32_t version, uint32_t actions,
    uint32_t protocol)
{
	uint8_t d[12];

	put32(d, version);
	put32(d + 4, actions);
	put32(d + 8, protocol);
	return milter_enc(out, MILTER_C_OPTNEG, d, sizeof(d));
}

int
milter_enc_strings(struct buf *out, uint8_t cmd, const char *const *s,
    size_t n)
{
	size_t at;

	if (begin(out, cmd, &at) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (buf_append(out, s[i], strlen(s[i]) + 1) < 0)
			return -1;
	return end(out, at);
}

int
milter_enc_macros(struct buf *out, uint8_t stage, const char *const *pairs,
    size_t n_pairs)
{
	size_t at;

	if (begin(out, MILTER_C_MACRO, &at) < 0 ||
	    buf_append_byte(out, stage) < 0)
		return -1;
	for (size_t i = 0; i < n_pairs; i++) {
		const char *name = pairs[2 * i], *value = pairs[2 * i + 1];

		if (value == NULL || value[0] == '\0')
			continue;
		if (buf_append(out, name, strlen(name) + 1) < 0 ||
		    buf_append(out, value, strlen(value) + 1) < 0)
			return -1;
	}
	return end(out, at);
}

int
milter_enc_connect(struct buf *out, const char *host, char family,
    uint16_t port, const char *addr)
{
	uint8_t p[2] = { (uint8_t)(port >> 8), (uint8_t)port };
	size_t at;

	if (begin(out, MILTER_C_CONNECT, &at) < 0 ||
	    buf_append(out, host, strlen(host) + 1) < 0 ||
	    buf_append_byte(out, (uint8_t)family) < 0)
		return -1;
	if (family != 'U' && (buf_append(out, p, 2) < 0 ||
	    buf_append(out, addr, strlen(addr) + 1) < 0))
		return -1;
	return end(out, at);
}

int
milter_enc_header(struct buf *out, const char *field, size_t n)
{
	const char *colon = memchr(field, ':', n), *v, *e = field + n;
	size_t at, nlen;

	if (colon == NULL)
		return -1;
	/* "Name : value" is obsolete syntax (RFC 5322 4.5): the name is
	 * what stands before the white space. */
	nlen = (size_t)(colon - field);
	while (nlen > 0 && (field[nlen - 1] == ' ' || field[nlen - 1] == '\t'))
		nlen--;
	if (nlen == 0 || memchr(field, '\0', n) != NULL)
		return -1;
	v = colon + 1;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	if (e - v >= 2 && e[-2] == '\r' && e[-1] == '\n')
		e -= 2;
	else if (e > v && e[-1] == '\n')
		e--;
	if (begin(out, MILTER_C_HEADER, &at) < 0 ||
	    buf_append(out, field, nlen) < 0 || buf_append_byte(out, 0) < 0)
		return -1;
	for (; v < e; v++) {
		if (*v == '\r' && v + 1 < e && v[1] == '\n')
			continue;	/* CRLF inside: LF alone */
		if (buf_append_byte(out, (uint8_t)*v) < 0)
			return -1;
	}
	if (buf_append_byte(out, 0) < 0)
		return -1;
	return end(out, at);
}

int
milter_frame_length(const uint8_t hdr[4], size_t max, size_t *len_r)
{
	uint32_t len = get32(hdr);

	if (max > MILTER_FRAME_HARD_MAX)
		max = MILTER_FRAME_HARD_MAX;
	/* UNSAFE: max <= 16 MiB, so max + 1 cannot wrap */
	if (len < MILTER_FRAME_MIN || len > max + 1)
		return -1;
	*len_r = len;
	return 0;
}

/* strings - data is exactly k NUL-terminated strings; out[i] each */
static int
strings(const uint8_t *d, size_t n, size_t k, const char **out)
{
	size_t off = 0;

	for (size_t i = 0; i < k; i++) {
		const uint8_t *nul = off < n ? memchr(d + off, 0, n - off) :
		    NULL;

		if (nul == NULL)
			return -1;
		out[i] = (const char *)d + off;
		off = (size_t)(nul - d) + 1;
	}
	return off == n ? 0 : -1;
}

int
milter_decode(const uint8_t *p, size_t n, size_t max,
    struct milter_reply *r, size_t *used, const char **error_r)
{
	const uint8_t *d;
	const char *s[2];
	size_t len, dn;

	*used = 0;
	memset(r, 0, sizeof(*r));
	if (n < 4)
		return 0;
	if (milter_frame_length(p, max, &len) < 0) {
		*error_r = get32(p) == 0 ? "empty packet" : "packet too long";
		return -1;
	}
	if (n - 4 < len)
		return 0;
	r->cmd = p[4];
	d = p + 5;
	dn = len - 1;
	switch (r->cmd) {
	case MILTER_R_OPTNEG:
		/* Version 6 may append macro lists (SETSYMLIST): ignored,
		 * as that action is not offered. */
		if (dn < 12) {
			*error_r = "short OPTNEG";
			return -1;
		}
		r->version = get32(d);
		r->actions = get32(d + 4);
		r->protocol = get32(d + 8);
		break;
	case MILTER_R_ACCEPT:
	case MILTER_R_CONTINUE:
	case MILTER_R_DISCARD:
	case MILTER_R_REJECT:
	case MILTER_R_TEMPFAIL:
	case MILTER_R_PROGRESS:
	case MILTER_R_SKIP:
		if (dn != 0) {
			*error_r = "data after a reply that takes none";
			return -1;
		}
		break;
	case MILTER_R_REPLYCODE:
	case MILTER_R_QUARANTINE:
		if (strings(d, dn, 1, s) < 0) {
			*error_r = "bad string";
			return -1;
		}
		r->value = s[0];
		break;
	case MILTER_R_ADDHEADER:
		if (strings(d, dn, 2, s) < 0) {
			*error_r = "bad header name or value";
			return -1;
		}
		r->name = s[0];
		r->value = s[1];
		break;
	case MILTER_R_INSHEADER:
	case MILTER_R_CHGHEADER:
		if (dn < 4 || strings(d + 4, dn - 4, 2, s) < 0) {
			*error_r = "bad header index, name or value";
			return -1;
		}
		r->index = get32(d);
		r->name = s[0];
		r->value = s[1];
		break;
	case MILTER_R_ADDRCPT:
	case MILTER_R_DELRCPT:
	case MILTER_R_ADDRCPT_PAR:
	case MILTER_R_CHGFROM:
	case MILTER_R_REPLBODY:
		*error_r = "an action that was not offered";
		return -1;
	default:
		*error_r = "unknown reply";
		return -1;
	}
	*used = 4 + len;
	return 1;
}

bool
milter_header_ok(const char *name, const char *value)
{
	const unsigned char *v = (const unsigned char *)value;

	if (name[0] == '\0')
		return false;
	for (const char *c = name; *c != '\0'; c++)
		if (*c < 33 || *c > 126 || *c == ':')
			return false;
	for (; *v != '\0'; v++) {
		if (*v == '\r' && v[1] == '\n')
			v++;
		if (*v == '\n') {
			if (v[1] != ' ' && v[1] != '\t')
				return false;
		} else if ((*v < 32 && *v != '\t') || *v == 127) {
			return false;
		}
	}
	return true;
}

int
milter_header_text(struct buf *out, const char *name, const char *value)
{
	if (buf_append_str(out, name) < 0 || buf_append_str(out, ":") < 0)
		return -1;
	/* libmilter strips the space after the colon (no HDR_LEADSPC);
	 * put one back, unless the value starts a folded line. */
	if (value[0] != '\0' && value[0] != '\r' && value[0] != '\n' &&
	    buf_append_byte(out, ' ') < 0)
		return -1;
	for (const char *v = value; *v != '\0'; v++) {
		if (*v == '\r')
			continue;	/* only before LF (milter_header_ok) */
		if (*v == '\n' && buf_append_byte(out, '\r') < 0)
			return -1;
		if (buf_append_byte(out, (uint8_t)*v) < 0)
			return -1;
	}
	return buf_append_str(out, "\r\n");
}

int
milter_replycode(const char *s, int *code_r, char *enh, size_t enh_size,
    const char **text_r)
{
	const char *t;
	size_t n;

	if ((s[0] != '4' && s[0] != '5') || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]) || (s[3] != ' ' && s[3] != '\0'))
		return -1;
	for (t = s; *t != '\0'; t++)
		if ((unsigned char)*t < 32 || (unsigned char)*t > 126)
			return -1;
	*code_r = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	enh[0] = '\0';
	t = s[3] == ' ' ? s + 4 : s + 3;
	/* An enhanced code: class.subject.detail, the class the code's
	 * (RFC 3463 2), at most 3 digits each. */
	if (t[0] == s[0] && t[1] == '.') {
		const char *e = t + 2;
		int parts = 1;

		for (;;) {
			size_t digits = strspn(e, "0123456789");

			if (digits == 0 || digits > 3)
				return -1;
			e += digits;
			if (++parts == 3 || *e != '.')
				break;
			e++;
		}
		if (parts != 3 || (*e != ' ' && *e != '\0'))
			return -1;
		n = (size_t)(e - t);
		if (n + 1 > enh_size)
			return -1;
		memcpy(enh, t, n);
		enh[n] = '\0';
		t = *e == ' ' ? e + 1 : e;
	}
	*text_r = t;
	return 0;
}

const char *
milter_cmd_name(uint8_t cmd)
{
	switch (cmd) {
	case MILTER_R_ACCEPT:		return "accept";
	case MILTER_R_CONTINUE:		return "continue";
	case MILTER_R_DISCARD:		return "discard";
	case MILTER_R_REJECT:		return "reject";
	case MILTER_R_TEMPFAIL:		return "tempfail";
	case MILTER_R_REPLYCODE:	return "replycode";
	case MILTER_R_ADDHEADER:	return "addheader";
	case MILTER_R_INSHEADER:	return "insheader";
	case MILTER_R_CHGHEADER:	return "chgheader";
	case MILTER_R_QUARANTINE:	return "quarantine";
	case MILTER_R_PROGRESS:		return "progress";
	case MILTER_R_SKIP:		return "skip";
	case MILTER_R_OPTNEG:		return "optneg";
	default:			return "?";
	}
}

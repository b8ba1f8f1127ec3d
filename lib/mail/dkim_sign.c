/*
 * NAME
 *	dkim_sign - DKIM signatures for mail going out, keys in cryptd
 * DESCRIPTION
 *	See dkim_sign.h.  The body is canonicalized byte by byte into a
 *	small output buffer that feeds SHA-256; empty lines are counted,
 *	not kept, until a line with content shows they were not at the
 *	end (RFC 6376 3.4.4).  The header is kept whole (bounded) because
 *	the fields to sign are picked from the bottom up (RFC 6376 5.4.2)
 *	and only the end of the header tells how many of each there are.
 * SEE ALSO
 *	RFC 6376 3.4, 3.5, 3.7, 5.4; RFC 8463; doc/ipc/crypt.md
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "mail/addr.h"
#include "mail/dkim_sign.h"
#include "mail/fromaddr.h"
#include "mail/proto_crypt.h"
#include "util/mem.h"

#define FOLD_COL	76	/* fold the fields we write before this */

/*
 * The header fields signed when present (RFC 6376 5.4.1), each listed in
 * h= once per occurrence, From once more than it occurs, so that a From:
 * added on the way breaks the signature (RFC 6376 8.15).
 */
static const char *const signed_names[] = {
	"from", "sender", "reply-to", "subject", "date", "message-id", "to",
	"cc", "mime-version", "content-type", "content-transfer-encoding",
	"content-id", "content-description", "resent-date", "resent-from",
	"resent-sender", "resent-to", "resent-cc", "resent-message-id",
	"in-reply-to", "references", "list-id", "list-help",
	"list-unsubscribe", "list-unsubscribe-post", "list-subscribe",
	"list-post", "list-owner", "list-archive", NULL,
};

/* Relaxed body canonicalization into SHA-256 (or a buffer, for tests). */
struct body {
	crypto_hash_sha256_state sha;
	struct buf *copy;	/* tests: the canonical body itself */
	uint64_t blank;		/* empty lines not yet known to be inside */
	bool wsp;		/* white space seen, not yet written */
	bool content;		/* the line has had something */
	bool cr;		/* a CR seen, not yet known to end the line */
	size_t olen;
	uint8_t out[4096];
};

struct field {
	size_t off, len;	/* in hdr, without the final CRLF */
	size_t name_len;	/* the name, trailing white space removed */
};

struct dkim_signer {
	struct buf hdr;		/* the header block as it came */
	bool in_body;
	bool overflow;		/* hdr went past DKIM_HEADER_MAX */
	bool finished;
	size_t line_len;	/* bytes of the header line so far */
	struct body body;
	uint8_t bh[DKIM_DIGEST_LEN];
	struct field *fields;
	size_t n_fields;
	char domain[ADDR_DOMAIN_MAX + 1];
};

/* body_flush - hand the buffered canonical bytes on */
static void
body_flush(struct body *b)
{
	if (b->olen == 0)
		return;
	if (b->copy != NULL)
		buf_put(b->copy, b->out, b->olen);
	else
		crypto_hash_sha256_update(&b->sha, b->out, b->olen);
	b->olen = 0;
}

/* body_emit - one canonical byte */
static void
body_emit(struct body *b, uint8_t c)
{
	if (b->olen == sizeof(b->out))
		body_flush(b);
	b->out[b->olen++] = c;
}

/* body_content - a byte that is neither white space nor a line end */
static void
body_content(struct body *b, uint8_t c)
{
	for (; b->blank > 0; b->blank--) {
		body_emit(b, '\r');
		body_emit(b, '\n');
	}
	/* Runs of WSP become one SP; WSP at the end of a line goes. */
	if (b->wsp)
		body_emit(b, ' ');
	b->wsp = false;
	body_emit(b, c);
	b->content = true;
}

/* body_byte - the next byte of the body */
static void
body_byte(struct body *b, uint8_t c)
{
	if (b->cr) {
		b->cr = false;
		if (c == '\n') {
			b->wsp = false;
			if (b->content) {
				body_emit(b, '\r');
				body_emit(b, '\n');
			} else {
				b->blank++;
			}
			b->content = false;
			return;
		}
		body_content(b, '\r');	/* a bare CR is just a byte */
	}
	if (c == '\r')
		b->cr = true;
	else if (c == ' ' || c == '\t')
		b->wsp = true;
	else
		body_content(b, c);
}

/* body_end - the last line gets its CRLF; empty lines at the end go */
static void
body_end(struct body *b)
{
	if (b->cr) {
		b->cr = false;
		body_content(b, '\r');
	}
	if (b->content) {
		body_emit(b, '\r');
		body_emit(b, '\n');
	}
	body_flush(b);
}

void
dkim_canon_body(const void *body, size_t n, struct buf *out)
{
	struct body b = { .copy = out };

	for (size_t i = 0; i < n; i++)
		body_byte(&b, ((const uint8_t *)body)[i]);
	body_end(&b);
}

void
dkim_canon_header(const char *f, size_t n, struct buf *out)
{
	const char *colon = memchr(f, ':', n), *v, *end = f + n;
	size_t nl;
	bool wsp = false, any = false;

	if (colon == NULL)
		colon = end;
	/* The name in lower case, white space before the colon removed. */
	for (nl = (size_t)(colon - f); nl > 0 && (f[nl - 1] == ' ' ||
	    f[nl - 1] == '\t'); nl--)
		;
	for (size_t i = 0; i < nl; i++)
		buf_putc(out, (uint8_t)(f[i] >= 'A' && f[i] <= 'Z' ?
		    f[i] - 'A' + 'a' : f[i]));
	buf_putc(out, ':');
	/* The value unfolded, WSP runs as one SP, none at either end. */
	for (v = colon < end ? colon + 1 : end; v < end; v++) {
		if (*v == '\r' || *v == '\n')
			continue;
		if (*v == ' ' || *v == '\t') {
			wsp = true;
			continue;
		}
		if (wsp && any)
			buf_putc(out, ' ');
		wsp = false;
		any = true;
		buf_putc(out, (uint8_t)*v);
	}
	buf_puts(out, "\r\n");
}

struct dkim_signer *
dkim_signer_new(void)
{
	struct dkim_signer *s = xcalloc(1, sizeof(*s));

	crypto_hash_sha256_init(&s->body.sha);
	return s;
}

void
dkim_signer_update(struct dkim_signer *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i = 0;

	for (; i < len && !s->in_body; i++) {
		if (s->hdr.len < DKIM_HEADER_MAX)
			buf_putc(&s->hdr, p[i]);
		else
			s->overflow = true;
		if (p[i] != '\n') {
			s->line_len++;
			continue;
		}
		/* An empty line (CRLF, or a lone LF) ends the header. */
		if (s->line_len == 0 || (s->line_len == 1 &&
		    s->hdr.len >= 2 && s->hdr.data[s->hdr.len - 2] == '\r')) {
			s->in_body = true;
			if (!s->overflow)
				buf_truncate(&s->hdr, s->hdr.len -
				    s->line_len - 1);
		}
		s->line_len = 0;
	}
	for (; i < len; i++)
		body_byte(&s->body, p[i]);
}

/* name_is - field f's name is name (case ignored) */
static bool
name_is(const struct dkim_signer *s, const struct field *f,
    const char *name, size_t n)
{
	return f->name_len == n && strncasecmp((const char *)s->hdr.data +
	    f->off, name, n) == 0;
}

/* split - the header block into fields */
static void
split(struct dkim_signer *s)
{
	const char *h = (const char *)s->hdr.data;
	size_t i = 0, cap = 0;

	while (i < s->hdr.len) {
		const char *nl = memchr(h + i, '\n', s->hdr.len - i);
		size_t end = nl != NULL ? (size_t)(nl - h) : s->hdr.len;
		size_t next = nl != NULL ? end + 1 : end;

		if (end > i && h[end - 1] == '\r')
			end--;
		if ((h[i] == ' ' || h[i] == '\t') && s->n_fields > 0) {
			/* A continuation line: the field goes on. */
			s->fields[s->n_fields - 1].len = end -
			    s->fields[s->n_fields - 1].off;
		} else {
			const char *colon = memchr(h + i, ':', end - i);
			struct field *f;

			if (s->n_fields == cap) {
				cap = cap == 0 ? 32 : cap * 2;
				/* UNSAFE: cap <= hdr.len + 32, far below
				 * SIZE_MAX / sizeof(struct field). */
				s->fields = xrealloc(s->fields, cap *
				    sizeof(*s->fields));
			}
			f = &s->fields[s->n_fields++];
			f->off = i;
			f->len = end - i;
			f->name_len = colon != NULL ? (size_t)(colon -
			    (h + i)) : 0;	/* no colon: never signed */
			while (f->name_len > 0 && (h[i + f->name_len - 1] ==
			    ' ' || h[i + f->name_len - 1] == '\t'))
				f->name_len--;
		}
		i = next;
	}
}

/* find_domain - the domain of the one address of the one From: */
static void
find_domain(struct dkim_signer *s)
{
	const struct field *from = NULL;
	char addr[ADDR_PATH_MAX + 1];
	const char *at, *v;

	for (size_t i = 0; i < s->n_fields; i++) {
		if (!name_is(s, &s->fields[i], "from", 4))
			continue;
		if (from != NULL)
			return;		/* two From: fields: whose? */
		from = &s->fields[i];
	}
	if (from == NULL)
		return;
	v = memchr((const char *)s->hdr.data + from->off, ':', from->len) +
	    1;
	if (!fromaddr_parse(v, from->len - (size_t)(v - (const char *)
	    s->hdr.data - from->off), addr, sizeof(addr)) ||
	    (at = strrchr(addr, '@')) == NULL)
		return;
	if (!dkim_name_lower(at + 1, s->domain, sizeof(s->domain)))
		s->domain[0] = '\0';
}

int
dkim_signer_finish(struct dkim_signer *s, const char **error_r)
{
	if (s->overflow) {
		*error_r = "the header is too large to sign";
		return -1;
	}
	if (s->finished)
		return 0;
	s->finished = true;
	body_end(&s->body);
	crypto_hash_sha256_final(&s->body.sha, s->bh);
	split(s);
	find_domain(s);
	return 0;
}

const char *
dkim_signer_domain(const struct dkim_signer *s)
{
	return s->finished && s->domain[0] != '\0' ? s->domain : NULL;
}

void
dkim_signer_body_hash(const struct dkim_signer *s,
    uint8_t bh[DKIM_DIGEST_LEN])
{
	memcpy(bh, s->bh, DKIM_DIGEST_LEN);
}

void
dkim_header_digest(const struct dkim_signer *s, const char *hlist,
    const char *sig, size_t n, uint8_t digest[DKIM_DIGEST_LEN])
{
	crypto_hash_sha256_state sha;
	struct buf c = BUF_INIT;
	bool *used = xcalloc(s->n_fields + 1, sizeof(bool));
	const char *p = hlist;

	crypto_hash_sha256_init(&sha);
	while (*p != '\0') {
		const char *e = strchr(p, ':');
		size_t len;

		if (e == NULL)
			e = p + strlen(p);
		p += strspn(p, " \t\r\n");
		for (len = (size_t)(e - p); len > 0 && strchr(" \t\r\n",
		    p[len - 1]) != NULL; len--)
			;
		/* The last instance not signed yet; none: nothing (RFC 6376
		 * 5.4.2), which is what oversigning relies on. */
		for (size_t i = s->n_fields; len > 0 && i-- > 0;) {
			if (used[i] || !name_is(s, &s->fields[i], p, len))
				continue;
			used[i] = true;
			buf_reset(&c);
			dkim_canon_header((const char *)s->hdr.data +
			    s->fields[i].off, s->fields[i].len, &c);
			crypto_hash_sha256_update(&sha, c.data, c.len);
			break;
		}
		p = *e == ':' ? e + 1 : e;
	}
	/* The signature field itself, without its CRLF (RFC 6376 3.7). */
	buf_reset(&c);
	dkim_canon_header(sig, n, &c);
	crypto_hash_sha256_update(&sha, c.data, c.len - 2);
	crypto_hash_sha256_final(&sha, digest);
	buf_free(&c);
	free(used);
}

/* fold - append tok to a field, first sep or, if the line would grow
 * past FOLD_COL, a fold (CRLF TAB) */
static void
fold(struct buf *f, size_t *col, const char *sep, const char *tok)
{
	size_t n = strlen(tok);

	if (*col + strlen(sep) + n > FOLD_COL) {
		buf_puts(f, "\r\n\t");
		*col = 8;
	} else {
		buf_puts(f, sep);
		*col += strlen(sep);
	}
	buf_puts(f, tok);
	*col += n;
}

void
dkim_signer_field(const struct dkim_signer *s, enum dkim_alg alg,
    const char *selector, uint64_t t, struct buf *field,
    uint8_t digest[DKIM_DIGEST_LEN])
{
	struct buf h = BUF_INIT, tok = BUF_INIT;
	char bh[sodium_base64_ENCODED_LEN(DKIM_DIGEST_LEN,
	    sodium_base64_VARIANT_ORIGINAL)];
	size_t col;

	/* h=: each name as often as it occurs, From once more. */
	for (const char *const *n = signed_names; *n != NULL; n++) {
		size_t count = strcmp(*n, "from") == 0 ? 1 : 0;

		for (size_t i = 0; i < s->n_fields; i++)
			if (name_is(s, &s->fields[i], *n, strlen(*n)))
				count++;
		while (count-- > 0)
			buf_printf(&h, "%s%s", h.len > 0 ? ":" : "", *n);
	}
	sodium_bin2base64(bh, sizeof(bh), s->bh, DKIM_DIGEST_LEN,
	    sodium_base64_VARIANT_ORIGINAL);

	buf_reset(field);
	buf_printf(field, "DKIM-Signature: v=1; a=%s; c=relaxed/relaxed;",
	    dkim_alg_sig(alg));
	col = field->len;
	buf_printf(&tok, "d=%s;", s->domain);
	fold(field, &col, " ", buf_cstr(&tok));
	buf_reset(&tok);
	buf_printf(&tok, "s=%s;", selector);
	fold(field, &col, " ", buf_cstr(&tok));
	buf_reset(&tok);
	buf_printf(&tok, "t=%llu;", (unsigned long long)t);
	fold(field, &col, " ", buf_cstr(&tok));
	/* h= may fold after any colon (RFC 6376 3.5, sig-h-tag). */
	for (const char *p = buf_cstr(&h), *first = p; *p != '\0';) {
		size_t n = strcspn(p, ":");

		buf_reset(&tok);
		buf_printf(&tok, "%s%.*s%s", p == first ? "h=" : "", (int)n, p,
		    p[n] == ':' ? ":" : ";");
		fold(field, &col, p == first ? " " : "", buf_cstr(&tok));
		p += n + (p[n] == ':' ? 1 : 0);
	}
	buf_reset(&tok);
	buf_printf(&tok, "bh=%s;", bh);
	fold(field, &col, " ", buf_cstr(&tok));
	buf_puts(field, "\r\n\tb=");
	dkim_header_digest(s, buf_cstr(&h), (const char *)field->data,
	    field->len, digest);
	buf_free(&h);
	buf_free(&tok);
}

void
dkim_field_sign(struct buf *field, const uint8_t *sig, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n,
	    sodium_base64_VARIANT_ORIGINAL);
	char *b64 = xmalloc(cap);
	size_t len, col = 8 + 2;	/* TAB "b=" */

	sodium_bin2base64(b64, cap, sig, n, sodium_base64_VARIANT_ORIGINAL);
	len = strlen(b64);
	for (size_t o = 0; o < len;) {
		size_t room = FOLD_COL > col ? FOLD_COL - col : 1;
		size_t take = len - o < room ? len - o : room;

		if (o > 0) {
			buf_puts(field, "\r\n\t");
			col = 8;
		}
		buf_put(field, b64 + o, take);
		col += take;
		o += take;
	}
	buf_puts(field, "\r\n");
	free(b64);
}

/* ask - one request to cryptd and its reply; 0, or -1 with err */
static int
ask(int fd, struct ipc_msg *m, struct ipc_msg *r, char *err, size_t errlen)
{
	const char *why, *e;
	uint64_t status;

	if (ipc_put_u64(m, "id", 1) < 0 ||
	    ipc_sync_send(fd, m, DKIM_IPC_TIMEOUT_MS) < 0) {
		snprintf(err, errlen, "cryptd: cannot send the request");
		return -1;
	}
	if (ipc_sync_recv(fd, r, IPC_MAX_FRAME, DKIM_IPC_TIMEOUT_MS,
	    &why) < 0) {
		snprintf(err, errlen, "cryptd: %s", why);
		return -1;
	}
	if (r->type != CRYPT_T_REPLY ||
	    ipc_get_u64(r, "status", IPC_REQUIRED, &status) < 0) {
		snprintf(err, errlen, "cryptd: malformed reply");
		ipc_msg_free(r);
		return -1;
	}
	if (status != IPC_OK) {
		if (ipc_get_str(r, "error", IPC_OPTIONAL, &e) <= 0)
			e = "refused";
		snprintf(err, errlen, "cryptd: %s", e);
		ipc_msg_free(r);
		return -1;
	}
	return 0;
}

/* sign - ask cryptd for the keys, then for the signatures; as
 * dkim_signer_end, after finish */
static int
sign(struct dkim_signer *s, int cryptd_fd, struct buf *out, char *err,
    size_t errlen)
{
	char sel[DKIM_N_ALGS][DKIM_NAME_MAX + 1], name[32];
	uint8_t digest[DKIM_N_ALGS][DKIM_DIGEST_LEN];
	struct buf field[DKIM_N_ALGS] = { BUF_INIT, BUF_INIT };
	struct ipc_msg m, r;
	const char *v;
	const uint8_t *sig;
	size_t siglen;
	uint64_t now = (uint64_t)time(NULL);
	size_t start = out->len;
	int rc = -1, n = 0;

	if (errlen > 0)
		err[0] = '\0';
	/* Which keys, so that a= and s= can be signed too. */
	ipc_msg_init(&m, CRYPT_T_DKIM_KEYS);
	if (ipc_put_str(&m, "domain", s->domain) < 0 ||
	    ask(cryptd_fd, &m, &r, err, errlen) < 0) {
		ipc_msg_free(&m);
		return -1;
	}
	ipc_msg_free(&m);
	for (int a = 0; a < DKIM_N_ALGS; a++) {
		snprintf(name, sizeof(name), "%s_selector",
		    dkim_alg_name((enum dkim_alg)a));
		sel[a][0] = '\0';
		if (ipc_get_str(&r, name, IPC_OPTIONAL, &v) == 1 &&
		    dkim_name_ok(v)) {
			snprintf(sel[a], sizeof(sel[a]), "%s", v);
			n++;
		}
	}
	ipc_msg_free(&r);
	if (n == 0) {
		snprintf(err, errlen, "no DKIM key for %s", s->domain);
		return 1;
	}

	ipc_msg_init(&m, CRYPT_T_DKIM_SIGN);
	if (ipc_put_str(&m, "domain", s->domain) < 0)
		goto out;
	for (int a = 0; a < DKIM_N_ALGS; a++) {
		const char *an = dkim_alg_name((enum dkim_alg)a);

		if (sel[a][0] == '\0')
			continue;
		dkim_signer_field(s, (enum dkim_alg)a, sel[a], now, &field[a],
		    digest[a]);
		snprintf(name, sizeof(name), "%s_selector", an);
		if (ipc_put_str(&m, name, sel[a]) < 0)
			goto out;
		snprintf(name, sizeof(name), "%s_digest", an);
		if (ipc_put_bytes(&m, name, digest[a], DKIM_DIGEST_LEN) < 0)
			goto out;
	}
	if (ask(cryptd_fd, &m, &r, err, errlen) < 0)
		goto out;
	for (int a = 0; a < DKIM_N_ALGS; a++) {
		if (sel[a][0] == '\0')
			continue;
		snprintf(name, sizeof(name), "%s_signature",
		    dkim_alg_name((enum dkim_alg)a));
		if (ipc_get_bytes(&r, name, IPC_REQUIRED, &sig, &siglen) < 0 ||
		    siglen == 0 || siglen > DKIM_SIG_MAX) {
			snprintf(err, errlen, "cryptd: no %s", name);
			ipc_msg_free(&r);
			goto out;
		}
		dkim_field_sign(&field[a], sig, siglen);
	}
	ipc_msg_free(&r);
	for (int a = 0; a < DKIM_N_ALGS; a++)
		if (sel[a][0] != '\0' && buf_append(out, field[a].data,
		    field[a].len) < 0) {
			buf_truncate(out, start);	/* all or none */
			snprintf(err, errlen, "no room for the signature");
			goto out;
		}
	rc = 0;
out:
	if (rc < 0 && err[0] == '\0')
		snprintf(err, errlen, "cannot build the request");
	ipc_msg_free(&m);
	for (int a = 0; a < DKIM_N_ALGS; a++)
		buf_free(&field[a]);
	return rc;
}

int
dkim_signer_end(struct dkim_signer *s, int cryptd_fd, struct buf *out,
    char *err, size_t errlen)
{
	const char *why;
	int rc;

	if (dkim_signer_finish(s, &why) < 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (dkim_signer_domain(s) == NULL) {
		snprintf(err, errlen, "no single From: address to sign for");
		return 1;
	}
	rc = sign(s, cryptd_fd, out, err, errlen);
	/* The key changed between the two requests: once more. */
	if (rc < 0 && strstr(err, "selector is not current") != NULL)
		rc = sign(s, cryptd_fd, out, err, errlen);
	return rc;
}

void
dkim_signer_free(struct dkim_signer **sp)
{
	struct dkim_signer *s = *sp;

	if (s == NULL)
		return;
	buf_free(&s->hdr);
	free(s->fields);
	free(s);
	*sp = NULL;
}

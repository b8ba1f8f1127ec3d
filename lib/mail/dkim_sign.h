/*
 * dkim_sign - DKIM signatures for mail going out (RFC 6376, RFC 8463),
 * made in the smtp agent without its ever holding a private key
 *
 * The agent streams the message through a signer as it reads it from the
 * queue file.  The signer canonicalizes the body (relaxed, RFC 6376
 * 3.4.4) into a SHA-256 hash as it goes, in constant memory, and keeps
 * the header block (at most DKIM_HEADER_MAX bytes).  At the end it asks
 * cryptd which keys the From: domain has (DKIM_KEYS), builds one
 * DKIM-Signature field per key (relaxed/relaxed, the usual header set,
 * From: oversigned, t=), hashes the signed header fields and the field
 * with an empty b= (RFC 6376 3.7), and sends cryptd only those SHA-256
 * digests (DKIM_SIGN); cryptd answers the signatures.  See
 * doc/ipc/crypt.md.
 *
 * Typical use:
 *	s = dkim_signer_new();
 *	while ((n = read(...)) > 0)
 *		dkim_signer_update(s, chunk, n);
 *	switch (dkim_signer_end(s, crypt_fd, &fields, err, sizeof(err))) {
 *	case 0: send fields, then the message; break;
 *	case 1: nothing to sign with (err says why): send as it is; break;
 *	case -1: could not sign (err says why): defer, or send unsigned;
 *	}
 *	dkim_signer_free(&s);
 */
#ifndef POSTERN_DKIM_SIGN_H
#define POSTERN_DKIM_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "mail/dkim_key.h"
#include "util/buf.h"

#define DKIM_HEADER_MAX	(256 * 1024)	/* header block kept for signing */
#define DKIM_IPC_TIMEOUT_MS	10000	/* each cryptd request */

struct dkim_signer;

/* dkim_signer_new - a signer for one message; never NULL. */
struct dkim_signer *dkim_signer_new(void);

/*
 * dkim_signer_update - the next len bytes of the message as stored:
 * CRLF lines, the header, an empty line, the body.  Chunks may split
 * lines, CRLF pairs and fields anywhere.
 */
void dkim_signer_update(struct dkim_signer *s, const void *data,
    size_t len);

/*
 * dkim_signer_end - the message is complete: sign it through cryptd.
 * cryptd_fd is a connection to cryptd on which the HELLO exchange is
 * done (proto "crypt", ipc_sync_hello); it is used with blocking I/O and
 * DKIM_IPC_TIMEOUT_MS per request, and left open.  On 0 the
 * DKIM-Signature fields (folded, each ending in CRLF) are appended to
 * out, to be sent before the message.  Returns 0 signed; 1 nothing to
 * sign with: no single From: address, or cryptd has no key for its
 * domain (err says which); -1 error: header too large, cryptd did not
 * answer or refused (err says why); out is then unchanged, and the
 * connection may be out of step: close it.  Call once.
 */
int dkim_signer_end(struct dkim_signer *s, int cryptd_fd, struct buf *out,
    char *err, size_t errlen);

/* dkim_signer_free - release s and set *sp to NULL. */
void dkim_signer_free(struct dkim_signer **sp);

/* ---- The parts below dkim_signer_end, for tests and other callers. ---- */

/*
 * dkim_signer_finish - end of the message without cryptd: finishes the
 * body hash and splits the header into fields.  0, or -1 with *error_r
 * (the header was over DKIM_HEADER_MAX).  Idempotent.
 */
int dkim_signer_finish(struct dkim_signer *s, const char **error_r)
	__attribute__((warn_unused_result));
/* dkim_signer_domain - after finish: the d= domain, lower case (the
 * domain of the one address of the one From: field), or NULL. */
const char *dkim_signer_domain(const struct dkim_signer *s);
/* dkim_signer_body_hash - after finish: the bh= value, raw. */
void dkim_signer_body_hash(const struct dkim_signer *s,
    uint8_t bh[DKIM_DIGEST_LEN]);

/*
 * dkim_signer_field - after finish: the DKIM-Signature field for alg,
 * selector and time t, written to field (reset first) up to and
 * including "b=" without CRLF, and the SHA-256 digest to be signed.
 */
void dkim_signer_field(const struct dkim_signer *s, enum dkim_alg alg,
    const char *selector, uint64_t t, struct buf *field,
    uint8_t digest[DKIM_DIGEST_LEN]);

/*
 * dkim_header_digest - after finish: the digest of RFC 6376 3.7 for the
 * h= list hlist ("from : to : ..." as written in a signature) and the
 * signature field sig (n bytes, "DKIM-Signature: ... b=", the b= value
 * empty), both canonicalized relaxed.
 */
void dkim_header_digest(const struct dkim_signer *s, const char *hlist,
    const char *sig, size_t n, uint8_t digest[DKIM_DIGEST_LEN]);

/* dkim_field_sign - append the b= value (base64 of sig, folded) and
 * CRLF to a field from dkim_signer_field. */
void dkim_field_sign(struct buf *field, const uint8_t *sig, size_t n);

/* dkim_canon_header - one header field (n bytes, folded, without the
 * final CRLF) in relaxed form, "name:value" CRLF, appended to out
 * (RFC 6376 3.4.2). */
void dkim_canon_header(const char *field, size_t n, struct buf *out);

/* dkim_canon_body - a whole body in relaxed form appended to out (RFC
 * 6376 3.4.4); the streaming code of the signer, for tests. */
void dkim_canon_body(const void *body, size_t n, struct buf *out);

#endif

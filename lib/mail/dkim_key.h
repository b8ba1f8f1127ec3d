/*
 * dkim_key - DKIM private keys: make, load, sign a digest, publish
 *
 * Two algorithms: Ed25519-SHA256 (RFC 8463) and RSA-SHA256 (RFC 6376
 * 3.3.1, RFC 8301).  A key is a PEM PKCS#8 file ("BEGIN PRIVATE KEY"), so
 * `openssl pkey` reads both kinds.  Only cryptd loads keys to sign; the
 * postern command makes them and reads their public halves.
 *
 * A loaded Ed25519 key lives in sodium_malloc memory (locked, guarded,
 * wiped on free) and signs with libsodium; an RSA key is an OpenSSL
 * EVP_PKEY, whose private numbers land in OpenSSL's secure heap when the
 * caller set one up with CRYPTO_secure_malloc_init (cryptd does).
 *
 * The file layout under key_directory (cryptd(8)):
 *	dkim/DOMAIN/SELECTOR.pem	a key, mode 0600, crypt_owner's
 *	dkim/DOMAIN/current		the selectors to sign with, one a line
 */
#ifndef POSTERN_DKIM_KEY_H
#define POSTERN_DKIM_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

enum dkim_alg {
	DKIM_ED25519,
	DKIM_RSA,
};
#define DKIM_N_ALGS	2

#define DKIM_DIGEST_LEN		32	/* SHA-256 */
#define DKIM_SIG_MAX		512	/* RSA-4096 */
#define DKIM_NAME_MAX		253	/* a domain or selector */
#define DKIM_RSA_BITS_MIN	1024	/* RFC 8301 3.2 */
#define DKIM_RSA_BITS_MAX	4096
#define DKIM_RSA_BITS		2048

struct dkim_key {
	enum dkim_alg alg;
	uint8_t *ed_sk;		/* Ed25519: libsodium sk (64), locked */
	void *rsa;		/* RSA: EVP_PKEY * */
};

/* dkim_alg_name - "ed25519" or "rsa": the k= tag and the -a option */
const char *dkim_alg_name(enum dkim_alg alg);
/* dkim_alg_sig - "ed25519-sha256" or "rsa-sha256": the a= tag */
const char *dkim_alg_sig(enum dkim_alg alg);
/* dkim_alg_parse - from dkim_alg_name's words; 0 or -1 */
int dkim_alg_parse(const char *s, enum dkim_alg *alg)
	__attribute__((warn_unused_result));

/*
 * dkim_name_ok - s is fit to be a domain or selector here and a path
 * component in the key directory: 1..253 bytes of lower-case letters,
 * digits, '-', '_' and '.', neither starting nor ending with '.', no
 * "..".  Callers lower-case first.
 */
bool dkim_name_ok(const char *s);
/* dkim_name_lower - s lower-cased into out (size bytes); true if it fits
 * and then passes dkim_name_ok */
bool dkim_name_lower(const char *s, char *out, size_t size);

/*
 * dkim_key_generate - a new key as PEM text into pem (wiped by the
 * caller with buf_free_wipe).  bits is for RSA only.  0, or -1 with
 * *error_r.
 */
int dkim_key_generate(enum dkim_alg alg, unsigned bits, struct buf *pem,
    const char **error_r) __attribute__((warn_unused_result));

/*
 * dkim_key_load - read the PEM key at path (relative paths from the
 * working directory) into k.  0, or -1 with *error_r (k untouched).
 */
int dkim_key_load(const char *path, struct dkim_key *k,
    const char **error_r) __attribute__((warn_unused_result));
/* dkim_key_parse - the same from PEM text in memory */
int dkim_key_parse(const void *pem, size_t len, struct dkim_key *k,
    const char **error_r) __attribute__((warn_unused_result));
/* dkim_key_free - wipe and release; k may be zeroed or freed already */
void dkim_key_free(struct dkim_key *k);

/*
 * dkim_key_sign - sign a SHA-256 digest (the header hash, RFC 6376 3.7):
 * Ed25519 over the 32 digest bytes (RFC 8463 3), or RSASSA-PKCS1-v1_5
 * with SHA-256 (RFC 8017 8.2).  sig has room for DKIM_SIG_MAX bytes; the
 * length goes to *len.  0 or -1.
 */
int dkim_key_sign(const struct dkim_key *k,
    const uint8_t digest[DKIM_DIGEST_LEN], uint8_t *sig, size_t *len)
	__attribute__((warn_unused_result));

/*
 * dkim_key_public - the p= value of the key's DNS record, base64: the
 * raw 32-byte public key for Ed25519 (RFC 8463 4), the DER
 * SubjectPublicKeyInfo for RSA (RFC 6376 3.6.1).  Appended to out.
 */
int dkim_key_public(const struct dkim_key *k, struct buf *out)
	__attribute__((warn_unused_result));

/*
 * dkim_record - the TXT record text for the key: "v=DKIM1; k=...; p=..."
 * appended to out.
 */
int dkim_record(const struct dkim_key *k, struct buf *out)
	__attribute__((warn_unused_result));

/*
 * dkim_record_zone - the record as a zone-file line appended to out:
 * "SELECTOR._domainkey.DOMAIN. IN TXT ( "..." "..." )", the text cut
 * into strings of at most 255 bytes (RFC 1035 3.3.14).
 */
void dkim_record_zone(const char *domain, const char *selector,
    const char *text, struct buf *out);

/*
 * dkim_record_tag - the value of tag (e.g. "p", "k") in a key record,
 * white space removed, into out; 1 found, 0 absent.
 */
int dkim_record_tag(const char *record, const char *tag, struct buf *out);

#endif

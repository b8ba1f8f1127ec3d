/*
 * NAME
 *	dkim_key - DKIM private keys: make, load, sign a digest, publish
 * DESCRIPTION
 *	See dkim_key.h.  OpenSSL reads and writes the PEM files of both
 *	kinds; libsodium signs with Ed25519 (the seed is taken out of the
 *	OpenSSL key into locked memory), OpenSSL with RSA.
 * SEE ALSO
 *	RFC 6376 3.3 and 3.6.1, RFC 8463, RFC 8301, cryptd(8)
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "mail/dkim_key.h"
#include "util/mem.h"

#define PEM_MAX		16384	/* a 4096-bit RSA key is about 3.3 KB */

const char *
dkim_alg_name(enum dkim_alg alg)
{
	return alg == DKIM_ED25519 ? "ed25519" : "rsa";
}

const char *
dkim_alg_sig(enum dkim_alg alg)
{
	return alg == DKIM_ED25519 ? "ed25519-sha256" : "rsa-sha256";
}

int
dkim_alg_parse(const char *s, enum dkim_alg *alg)
{
	if (strcmp(s, "ed25519") == 0)
		*alg = DKIM_ED25519;
	else if (strcmp(s, "rsa") == 0)
		*alg = DKIM_RSA;
	else
		return -1;
	return 0;
}

bool
dkim_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > DKIM_NAME_MAX || s[0] == '.' || s[n - 1] == '.' ||
	    strstr(s, "..") != NULL)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == n;
}

bool
dkim_name_lower(const char *s, char *out, size_t size)
{
	size_t i;
	bool fits;

	if (size == 0)
		return false;
	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' :
		    s[i]);
	fits = s[i] == '\0';	/* before out[i] is written: s may be out */
	out[i] = '\0';
	return fits && dkim_name_ok(out);
}

int
dkim_key_generate(enum dkim_alg alg, unsigned bits, struct buf *pem,
    const char **error_r)
{
	EVP_PKEY *pk;
	BIO *b;
	char *p;
	long n;
	int rc = -1;

	if (alg == DKIM_RSA && (bits < DKIM_RSA_BITS_MIN ||
	    bits > DKIM_RSA_BITS_MAX)) {
		*error_r = "RSA keys have 1024 to 4096 bits";
		return -1;
	}
	pk = alg == DKIM_ED25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") :
	    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	if (pk == NULL) {
		*error_r = "cannot make a key (OpenSSL)";
		return -1;
	}
	b = BIO_new(BIO_s_secmem());
	if (b != NULL && PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL,
	    NULL) == 1 && (n = BIO_get_mem_data(b, &p)) > 0 &&
	    buf_reserve_wipe(pem, (size_t)n) == 0) {
		buf_put(pem, p, (size_t)n);
		rc = 0;
	} else {
		*error_r = "cannot write the key (OpenSSL)";
	}
	BIO_free(b);
	EVP_PKEY_free(pk);
	return rc;
}

int
dkim_key_parse(const void *pem, size_t len, struct dkim_key *k,
    const char **error_r)
{
	uint8_t seed[crypto_sign_SEEDBYTES], pub[crypto_sign_PUBLICKEYBYTES];
	size_t slen = sizeof(seed);
	EVP_PKEY *pk;
	BIO *b;
	int rc = -1;

	if (sodium_init() < 0 || len > INT_MAX ||
	    (b = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		*error_r = "cannot read the key";
		return -1;
	}
	pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (pk == NULL) {
		*error_r = "not a PEM private key";
		return -1;
	}
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_ED25519:
		if (EVP_PKEY_get_raw_private_key(pk, seed, &slen) != 1 ||
		    slen != sizeof(seed)) {
			*error_r = "cannot read the Ed25519 key";
			break;
		}
		k->ed_sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
		if (k->ed_sk == NULL) {
			*error_r = "out of locked memory";
			break;
		}
		crypto_sign_seed_keypair(pub, k->ed_sk, seed);
		k->alg = DKIM_ED25519;
		k->rsa = NULL;
		rc = 0;
		break;
	case EVP_PKEY_RSA:
		if (EVP_PKEY_get_bits(pk) < DKIM_RSA_BITS_MIN ||
		    EVP_PKEY_get_bits(pk) > DKIM_RSA_BITS_MAX) {
			*error_r = "RSA keys must have 1024 to 4096 bits";
			break;
		}
		k->alg = DKIM_RSA;
		k->rsa = pk;
		k->ed_sk = NULL;
		pk = NULL;
		rc = 0;
		break;
	default:
		*error_r = "neither an Ed25519 nor an RSA key";
		break;
	}
	sodium_memzero(seed, sizeof(seed));
	EVP_PKEY_free(pk);
	return rc;
}

int
dkim_key_load(const char *path, struct dkim_key *k, const char **error_r)
{
	static char why[160];
	uint8_t *pem;
	ssize_t n;
	size_t len = 0;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		*error_r = why;
		return -1;
	}
	/* sodium_malloc needs it; callers need not know. */
	if (sodium_init() < 0 || (pem = sodium_malloc(PEM_MAX)) == NULL) {
		close(fd);
		*error_r = "out of locked memory";
		return -1;
	}
	while (len < PEM_MAX && (n = read(fd, pem + len, PEM_MAX - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (len == PEM_MAX) {
		*error_r = "file too large for a key";
		rc = -1;
	} else {
		rc = dkim_key_parse(pem, len, k, error_r);
	}
	sodium_free(pem);
	return rc;
}

void
dkim_key_free(struct dkim_key *k)
{
	if (k->ed_sk != NULL)
		sodium_free(k->ed_sk);
	k->ed_sk = NULL;
	EVP_PKEY_free(k->rsa);
	k->rsa = NULL;
}

int
dkim_key_sign(const struct dkim_key *k,
    const uint8_t digest[DKIM_DIGEST_LEN], uint8_t *sig, size_t *len)
{
	unsigned long long slen;
	EVP_PKEY_CTX *ctx;
	int rc = -1;

	if (k->alg == DKIM_ED25519) {
		if (k->ed_sk == NULL || crypto_sign_detached(sig, &slen,
		    digest, DKIM_DIGEST_LEN, k->ed_sk) != 0)
			return -1;
		*len = (size_t)slen;
		return 0;
	}
	if (k->rsa == NULL || (ctx = EVP_PKEY_CTX_new(k->rsa, NULL)) == NULL)
		return -1;
	*len = DKIM_SIG_MAX;
	if (EVP_PKEY_sign_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
	    EVP_PKEY_sign(ctx, sig, len, digest, DKIM_DIGEST_LEN) == 1)
		rc = 0;
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* base64 - data as base64 (with padding) appended to out */
static int
base64(const uint8_t *data, size_t n, struct buf *out)
{
	size_t cap = sodium_base64_ENCODED_LEN(n,
	    sodium_base64_VARIANT_ORIGINAL);

	if (buf_reserve(out, cap) < 0)
		return -1;
	sodium_bin2base64((char *)out->data + out->len, cap, data, n,
	    sodium_base64_VARIANT_ORIGINAL);
	out->len += cap - 1;
	out->data[out->len] = '\0';
	return 0;
}

int
dkim_key_public(const struct dkim_key *k, struct buf *out)
{
	uint8_t *der = NULL;
	int n, rc;

	if (k->alg == DKIM_ED25519)
		return base64(k->ed_sk + crypto_sign_SEEDBYTES,
		    crypto_sign_PUBLICKEYBYTES, out);
	if ((n = i2d_PUBKEY(k->rsa, &der)) <= 0)
		return -1;
	rc = base64(der, (size_t)n, out);
	OPENSSL_free(der);
	return rc;
}

int
dkim_record(const struct dkim_key *k, struct buf *out)
{
	if (buf_appendf(out, "v=DKIM1; k=%s; p=", dkim_alg_name(k->alg)) < 0)
		return -1;
	return dkim_key_public(k, out);
}

void
dkim_record_zone(const char *domain, const char *selector,
    const char *text, struct buf *out)
{
	size_t n = strlen(text);

	buf_printf(out, "%s._domainkey.%s. IN TXT ", selector, domain);
	if (n <= 255) {
		buf_printf(out, "\"%s\"", text);
		return;
	}
	buf_puts(out, "(");
	for (size_t o = 0; o < n; o += 255)
		buf_printf(out, " \"%.*s\"", (int)(n - o > 255 ? 255 : n - o),
		    text + o);
	buf_puts(out, " )");
}

int
dkim_record_tag(const char *record, const char *tag, struct buf *out)
{
	size_t tl = strlen(tag);
	const char *p = record;

	/* tag-list = tag-spec *( ";" tag-spec ) [ ";" ], RFC 6376 3.2 */
	while (*p != '\0') {
		const char *end = strchr(p, ';'), *eq;

		if (end == NULL)
			end = p + strlen(p);
		p += strspn(p, " \t\r\n");
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq != NULL) {
			const char *ne = eq;

			while (ne > p && strchr(" \t\r\n", ne[-1]) != NULL)
				ne--;
			if ((size_t)(ne - p) == tl && strncmp(p, tag, tl) == 0) {
				buf_reset(out);
				for (const char *v = eq + 1; v < end; v++)
					if (strchr(" \t\r\n", *v) == NULL)
						buf_putc(out, (uint8_t)*v);
				return 1;
			}
		}
		p = *end == ';' ? end + 1 : end;
	}
	return 0;
}

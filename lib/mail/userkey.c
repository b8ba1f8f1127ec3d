/*
 * NAME
 *	userkey - password verifier and wrapped private keys
 * DESCRIPTION
 *	See userkey.h.  Derived keys live in sodium_malloc'ed memory
 *	(guarded, locked, wiped on free).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/record.h"
#include "mail/userkey.h"

#define B64	sodium_base64_VARIANT_URLSAFE_NO_PADDING

uint8_t *
userkey_derive(const struct userkey *u, const char *password, size_t len)
{
	uint8_t *out = sodium_malloc(2 * USERKEY_HALF);

	if (out == NULL)
		return NULL;
	if (crypto_pwhash(out, 2 * USERKEY_HALF, password, len, u->salt,
	    u->ops, (size_t)u->mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_free(out);
		return NULL;
	}
	return out;
}

bool
userkey_check(const struct userkey *u, const uint8_t *derived)
{
	uint8_t v[USERKEY_HALF];
	bool ok;

	crypto_generichash(v, sizeof(v), derived, USERKEY_HALF, NULL, 0);
	ok = sodium_memcmp(v, u->verifier, sizeof(v)) == 0;
	sodium_memzero(v, sizeof(v));
	return ok;
}

void
userkey_wrap(const uint8_t sk[USERKEY_SK_LEN], const uint8_t *kek,
    const char *address, uint8_t out[USERKEY_WRAP_LEN])
{
	randombytes_buf(out, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out +
	    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, NULL, sk,
	    USERKEY_SK_LEN, (const uint8_t *)address, strlen(address), NULL,
	    out, kek);
}

int
userkey_unwrap(const uint8_t in[USERKEY_WRAP_LEN], const uint8_t *kek,
    const char *address, uint8_t sk[USERKEY_SK_LEN])
{
	return crypto_aead_xchacha20poly1305_ietf_decrypt(sk, NULL, NULL,
	    in + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	    USERKEY_WRAP_LEN - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	    (const uint8_t *)address, strlen(address), in, kek) == 0 ? 0 : -1;
}

void
userkey_recovery_kek(const uint8_t rec[USERKEY_RECOVERY_LEN],
    uint8_t kek[USERKEY_HALF])
{
	static const uint8_t ctx[] = "postern recovery key v1";

	crypto_generichash(kek, USERKEY_HALF, rec, USERKEY_RECOVERY_LEN, ctx,
	    sizeof(ctx) - 1);
}

int
userkey_set_password(struct userkey *u, const char *address,
    const char *password, size_t len, const uint8_t sk[USERKEY_SK_LEN])
{
	uint8_t *d;

	randombytes_buf(u->salt, sizeof(u->salt));
	d = userkey_derive(u, password, len);
	if (d == NULL)
		return -1;
	crypto_generichash(u->verifier, sizeof(u->verifier), d, USERKEY_HALF,
	    NULL, 0);
	userkey_wrap(sk, d + USERKEY_HALF, address, u->wrap);
	sodium_free(d);
	return 0;
}

/* put_b64 - " name=base64" */
static int
put_b64(struct buf *out, const char *name, const uint8_t *p, size_t n)
{
	char text[256];

	sodium_bin2base64(text, sizeof(text), p, n, B64);
	return buf_appendf(out, " %s=%s", name, text);
}

int
userkey_encode(const struct userkey *u, struct buf *out)
{
	int rc = buf_appendf(out, "v=1 enabled=%s created=%llu quota=%llu "
	    "ops=%llu mem=%llu", u->enabled ? "yes" : "no",
	    (unsigned long long)u->created, (unsigned long long)u->quota,
	    (unsigned long long)u->ops, (unsigned long long)u->mem);

	rc |= put_b64(out, "salt", u->salt, sizeof(u->salt));
	rc |= put_b64(out, "verifier", u->verifier, sizeof(u->verifier));
	rc |= put_b64(out, "pk", u->pk, sizeof(u->pk));
	rc |= put_b64(out, "wrap", u->wrap, sizeof(u->wrap));
	if (u->has_recovery)
		rc |= put_b64(out, "recovery", u->recovery,
		    sizeof(u->recovery));
	return rc;
}

int
userkey_decode(const char *text, struct userkey *u)
{
	char en[8];

	memset(u, 0, sizeof(*u));
	if (strncmp(text, "v=1 ", 4) != 0 ||
	    record_field(text, "enabled", en, sizeof(en)) < 0 ||
	    record_u64(text, "created", &u->created) < 0 ||
	    record_u64(text, "quota", &u->quota) < 0 ||
	    record_u64(text, "ops", &u->ops) < 0 ||
	    record_u64(text, "mem", &u->mem) < 0 ||
	    record_bytes(text, "salt", u->salt, sizeof(u->salt)) < 0 ||
	    record_bytes(text, "verifier", u->verifier, sizeof(u->verifier)) < 0 ||
	    record_bytes(text, "pk", u->pk, sizeof(u->pk)) < 0 ||
	    record_bytes(text, "wrap", u->wrap, sizeof(u->wrap)) < 0)
		return -1;
	u->enabled = strcmp(en, "yes") == 0;
	u->has_recovery = record_bytes(text, "recovery", u->recovery,
	    sizeof(u->recovery)) == 0;
	return 0;
}

void
userkey_recovery_text(const uint8_t rec[USERKEY_RECOVERY_LEN], char out[80])
{
	size_t o = 0;

	for (size_t i = 0; i < USERKEY_RECOVERY_LEN; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = '-';
		snprintf(out + o, 3, "%02x", rec[i]);
		o += 2;
	}
	out[o] = '\0';
}

int
userkey_recovery_parse(const char *text, uint8_t rec[USERKEY_RECOVERY_LEN])
{
	char hex[2 * USERKEY_RECOVERY_LEN + 1];
	size_t n = 0, got;

	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '-' || *p == ' ' || *p == '\n' || *p == '\r')
			continue;
		if (n + 1 >= sizeof(hex))
			return -1;
		hex[n++] = *p;
	}
	hex[n] = '\0';
	if (sodium_hex2bin(rec, USERKEY_RECOVERY_LEN, hex, n, NULL, &got,
	    NULL) != 0 || got != USERKEY_RECOVERY_LEN)
		return -1;
	return 0;
}

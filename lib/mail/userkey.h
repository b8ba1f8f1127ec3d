/*
 * userkey.h - a user's keys and password verifier (DESIGN 5;
 * postern-crypto(7)).
 *
 * One Argon2id run (crypto_pwhash) over the password and the user's salt
 * gives 64 bytes: the first half's BLAKE2b hash is the stored verifier,
 * the second half is the key that wraps (XChaCha20-Poly1305, the address
 * as additional data) the user's X25519 private key.  A recovery key,
 * printed once and never stored, can wrap it a second time.
 *
 * The record is one line of name=value fields in authd's users table.
 */
#ifndef POSTERN_USERKEY_H
#define POSTERN_USERKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "util/buf.h"

#define USERKEY_SALT_LEN	crypto_pwhash_SALTBYTES
#define USERKEY_HALF		32
#define USERKEY_SK_LEN		crypto_box_SECRETKEYBYTES
#define USERKEY_PK_LEN		crypto_box_PUBLICKEYBYTES
#define USERKEY_WRAP_LEN	(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES \
				 + USERKEY_SK_LEN + \
				 crypto_aead_xchacha20poly1305_ietf_ABYTES)
#define USERKEY_RECOVERY_LEN	32

struct userkey {
	bool enabled;
	uint64_t created;
	uint64_t quota;
	uint64_t ops, mem;		/* Argon2id cost */
	uint8_t salt[USERKEY_SALT_LEN];
	uint8_t verifier[USERKEY_HALF];
	uint8_t pk[USERKEY_PK_LEN];
	uint8_t wrap[USERKEY_WRAP_LEN];		/* by the password */
	bool has_recovery;
	uint8_t recovery[USERKEY_WRAP_LEN];	/* by the recovery key */
};

/*
 * userkey_derive - Argon2id of the password with u's salt and cost: the
 * verifier half and the wrapping half (out[0..32), out[32..64)), in
 * locked memory the caller frees with sodium_free.  NULL when out of
 * memory.
 */
uint8_t *userkey_derive(const struct userkey *u, const char *password,
    size_t len);
/* userkey_check - does the verifier half match?  (constant time) */
bool userkey_check(const struct userkey *u, const uint8_t *derived);
/* userkey_wrap, userkey_unwrap - the private key under a 32-byte key,
 * bound to the address.  unwrap: 0, or -1 if the key is wrong. */
void userkey_wrap(const uint8_t sk[USERKEY_SK_LEN], const uint8_t *kek,
    const char *address, uint8_t out[USERKEY_WRAP_LEN]);
int userkey_unwrap(const uint8_t in[USERKEY_WRAP_LEN], const uint8_t *kek,
    const char *address, uint8_t sk[USERKEY_SK_LEN])
	__attribute__((warn_unused_result));
/* userkey_recovery_kek - the wrapping key of a recovery key. */
void userkey_recovery_kek(const uint8_t rec[USERKEY_RECOVERY_LEN],
    uint8_t kek[USERKEY_HALF]);

/*
 * userkey_set_password - new salt, derive, store the verifier, and wrap
 * sk with the new key.  0, or -1 when out of memory.
 */
int userkey_set_password(struct userkey *u, const char *address,
    const char *password, size_t len, const uint8_t sk[USERKEY_SK_LEN])
	__attribute__((warn_unused_result));

/* userkey_encode, userkey_decode - the table record. */
int userkey_encode(const struct userkey *u, struct buf *out)
	__attribute__((warn_unused_result));
int userkey_decode(const char *text, struct userkey *u)
	__attribute__((warn_unused_result));

/* userkey_recovery_text - 32 bytes as 8 groups of 8 hex digits, and back
 * (spaces and dashes ignored). */
void userkey_recovery_text(const uint8_t rec[USERKEY_RECOVERY_LEN],
    char out[80]);
int userkey_recovery_parse(const char *text,
    uint8_t rec[USERKEY_RECOVERY_LEN]) __attribute__((warn_unused_result));

#endif

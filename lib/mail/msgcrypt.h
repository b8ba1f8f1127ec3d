/*
 * msgcrypt.h - the stored message format of the zero-access store
 * (DESIGN 5; postern-crypto(7)).
 *
 *   "PSTRNMSG" | version 1 | 3 zero bytes          12 bytes
 *   content key sealed to the user's X25519 key     80 (crypto_box_seal)
 *   secretstream header                             24
 *   chunks: u32 length (big endian) | ciphertext    each at most
 *           MSGCRYPT_CHUNK plaintext bytes + 17; the last one is tagged
 *           FINAL
 *
 * The content key is fresh for every message.  Writing needs only the
 * public key (local seals on its own); reading needs the content key,
 * which only cryptd can unseal, for a logged-in session of that user.
 * Chunks are authenticated with the 12-byte prefix as additional data; a
 * truncated, reordered or altered file fails to decrypt and is reported
 * as an error, never returned as text.  Messages stream both ways: memory
 * use is one chunk, whatever the message size.
 */
#ifndef POSTERN_MSGCRYPT_H
#define POSTERN_MSGCRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sodium.h>

#define MSGCRYPT_MAGIC		"PSTRNMSG"
#define MSGCRYPT_VERSION	1
#define MSGCRYPT_PREFIX_LEN	12
#define MSGCRYPT_SEALED_LEN	(crypto_secretstream_xchacha20poly1305_KEYBYTES \
				 + crypto_box_SEALBYTES)
#define MSGCRYPT_HEAD_LEN	(MSGCRYPT_PREFIX_LEN + MSGCRYPT_SEALED_LEN + \
	crypto_secretstream_xchacha20poly1305_HEADERBYTES)
#define MSGCRYPT_CHUNK		65536
#define MSGCRYPT_KEY_LEN	crypto_secretstream_xchacha20poly1305_KEYBYTES

struct msgcrypt_writer {
	int fd;
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t *chunk;		/* plaintext waiting, MSGCRYPT_CHUNK bytes */
	size_t len;
	uint64_t plain;		/* plaintext bytes written so far */
};

/* msgcrypt_write_begin - write the header for a new message sealed to pk;
 * 0, or -1 with errno. */
int msgcrypt_write_begin(struct msgcrypt_writer *w, int fd,
    const uint8_t pk[crypto_box_PUBLICKEYBYTES])
	__attribute__((warn_unused_result));
int msgcrypt_write(struct msgcrypt_writer *w, const void *p, size_t n)
	__attribute__((warn_unused_result));
/* msgcrypt_write_end - the final chunk; 0 or -1 (the caller fsyncs). */
int msgcrypt_write_end(struct msgcrypt_writer *w)
	__attribute__((warn_unused_result));
/* msgcrypt_write_free - wipe the state (after end, or to abandon). */
void msgcrypt_write_free(struct msgcrypt_writer *w);

/* msgcrypt_read_sealed - the sealed content key of the file on fd (read
 * with pread at offset 0); 0, or -1 with *error_r. */
int msgcrypt_read_sealed(int fd, uint8_t sealed[MSGCRYPT_SEALED_LEN],
    const char **error_r) __attribute__((warn_unused_result));

/* msgcrypt_open_key - unseal a content key with a key pair (cryptd). */
int msgcrypt_open_key(const uint8_t sealed[MSGCRYPT_SEALED_LEN],
    const uint8_t pk[crypto_box_PUBLICKEYBYTES],
    const uint8_t sk[crypto_box_SECRETKEYBYTES],
    uint8_t key[MSGCRYPT_KEY_LEN]) __attribute__((warn_unused_result));

struct msgcrypt_reader {
	int fd;
	off_t off;		/* next ciphertext byte in the file */
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t *plain;		/* the current chunk, decrypted */
	size_t pos, len;
	size_t plain_max;	/* most of plain ever written: what to wipe */
	uint8_t *cipher;
	bool final;		/* the FINAL chunk was read */
};

/* msgcrypt_read_begin - check the header of fd and start decrypting with
 * the content key; 0, or -1 with *error_r. */
int msgcrypt_read_begin(struct msgcrypt_reader *r, int fd,
    const uint8_t key[MSGCRYPT_KEY_LEN], const char **error_r)
	__attribute__((warn_unused_result));
/* msgcrypt_read_open - for a holder of the key pair (postern user
 * export, tests): unseal the content key of fd and begin; 0, or -1 with
 * *error_r. */
int msgcrypt_read_open(struct msgcrypt_reader *r, int fd,
    const uint8_t pk[crypto_box_PUBLICKEYBYTES],
    const uint8_t sk[crypto_box_SECRETKEYBYTES], const char **error_r)
	__attribute__((warn_unused_result));
/* msgcrypt_read - up to n plaintext bytes: the count, 0 at the proper end
 * of the message, -1 with *error_r for a damaged file. */
ssize_t msgcrypt_read(struct msgcrypt_reader *r, void *p, size_t n,
    const char **error_r) __attribute__((warn_unused_result));
void msgcrypt_read_free(struct msgcrypt_reader *r);

#endif

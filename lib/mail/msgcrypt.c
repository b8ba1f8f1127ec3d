/*
 * NAME
 *	msgcrypt - seal and stream stored messages
 * DESCRIPTION
 *	See msgcrypt.h and postern-crypto(7).  Every buffer that held
 *	plaintext or a key is wiped before it is freed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/msgcrypt.h"
#include "util/file.h"
#include "util/mem.h"

#define ABYTES	crypto_secretstream_xchacha20poly1305_ABYTES

/* prefix - magic, version, zeros */
static void
prefix(uint8_t out[MSGCRYPT_PREFIX_LEN])
{
	memset(out, 0, MSGCRYPT_PREFIX_LEN);
	memcpy(out, MSGCRYPT_MAGIC, 8);
	out[8] = MSGCRYPT_VERSION;
}

int
msgcrypt_write_begin(struct msgcrypt_writer *w, int fd,
    const uint8_t pk[crypto_box_PUBLICKEYBYTES])
{
	uint8_t head[MSGCRYPT_HEAD_LEN], key[MSGCRYPT_KEY_LEN];
	uint8_t *sealed = head + MSGCRYPT_PREFIX_LEN;
	uint8_t *sshead = sealed + MSGCRYPT_SEALED_LEN;
	int rc = 0;

	memset(w, 0, sizeof(*w));
	w->fd = fd;
	prefix(head);
	crypto_secretstream_xchacha20poly1305_keygen(key);
	if (crypto_box_seal(sealed, key, sizeof(key), pk) != 0 ||
	    crypto_secretstream_xchacha20poly1305_init_push(&w->st, sshead,
	    key) != 0) {
		errno = EINVAL;
		rc = -1;
	}
	sodium_memzero(key, sizeof(key));
	if (rc == 0)
		rc = file_write_all(fd, head, sizeof(head));
	if (rc == 0)
		w->chunk = xmalloc(MSGCRYPT_CHUNK);
	return rc;
}

/* push - encrypt and write one chunk of len bytes with tag */
static int
push(struct msgcrypt_writer *w, const uint8_t *p, size_t len, uint8_t tag)
{
	uint8_t out[4 + MSGCRYPT_CHUNK + ABYTES], pfx[MSGCRYPT_PREFIX_LEN];
	unsigned long long clen;

	prefix(pfx);
	if (crypto_secretstream_xchacha20poly1305_push(&w->st, out + 4, &clen,
	    p, len, pfx, sizeof(pfx), tag) != 0) {
		errno = EINVAL;
		return -1;
	}
	out[0] = (uint8_t)(clen >> 24);
	out[1] = (uint8_t)(clen >> 16);
	out[2] = (uint8_t)(clen >> 8);
	out[3] = (uint8_t)clen;
	return file_write_all(w->fd, out, 4 + (size_t)clen);
}

int
msgcrypt_write(struct msgcrypt_writer *w, const void *p, size_t n)
{
	const uint8_t *c = p;

	while (n > 0) {
		size_t take = MSGCRYPT_CHUNK - w->len;

		if (take > n)
			take = n;
		memcpy(w->chunk + w->len, c, take);
		w->len += take;
		w->plain += take;
		c += take;
		n -= take;
		/* A full chunk goes out only when more follows, so that the
		 * last one can carry the FINAL tag. */
		if (w->len == MSGCRYPT_CHUNK && n > 0) {
			if (push(w, w->chunk, w->len,
			    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)
			    < 0)
				return -1;
			w->len = 0;
		}
	}
	if (w->len == MSGCRYPT_CHUNK) {
		if (push(w, w->chunk, w->len,
		    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) < 0)
			return -1;
		w->len = 0;
	}
	return 0;
}

int
msgcrypt_write_end(struct msgcrypt_writer *w)
{
	int rc = push(w, w->chunk, w->len,
	    crypto_secretstream_xchacha20poly1305_TAG_FINAL);

	w->len = 0;
	return rc;
}

void
msgcrypt_write_free(struct msgcrypt_writer *w)
{
	if (w->chunk != NULL) {
		sodium_memzero(w->chunk, MSGCRYPT_CHUNK);
		free(w->chunk);
	}
	sodium_memzero(&w->st, sizeof(w->st));
	w->chunk = NULL;
}

/* read_exact - n bytes at off, or -1 (short read: *short_r) */
static int
read_exact(int fd, void *p, size_t n, off_t off, bool *short_r)
{
	size_t got = 0;

	*short_r = false;
	while (got < n) {
		ssize_t r = pread(fd, (uint8_t *)p + got, n - got,
		    off + (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			*short_r = r == 0;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

int
msgcrypt_read_sealed(int fd, uint8_t sealed[MSGCRYPT_SEALED_LEN],
    const char **error_r)
{
	uint8_t head[MSGCRYPT_PREFIX_LEN + MSGCRYPT_SEALED_LEN], want[12];
	bool short_read;

	prefix(want);
	if (read_exact(fd, head, sizeof(head), 0, &short_read) < 0) {
		*error_r = short_read ? "truncated message file" :
		    "cannot read message file";
		return -1;
	}
	if (memcmp(head, want, MSGCRYPT_PREFIX_LEN) != 0) {
		*error_r = "not an encrypted message of a known version";
		return -1;
	}
	memcpy(sealed, head + MSGCRYPT_PREFIX_LEN, MSGCRYPT_SEALED_LEN);
	return 0;
}

int
msgcrypt_open_key(const uint8_t sealed[MSGCRYPT_SEALED_LEN],
    const uint8_t pk[crypto_box_PUBLICKEYBYTES],
    const uint8_t sk[crypto_box_SECRETKEYBYTES],
    uint8_t key[MSGCRYPT_KEY_LEN])
{
	return crypto_box_seal_open(key, sealed, MSGCRYPT_SEALED_LEN, pk,
	    sk) == 0 ? 0 : -1;
}

int
msgcrypt_read_begin(struct msgcrypt_reader *r, int fd,
    const uint8_t key[MSGCRYPT_KEY_LEN], const char **error_r)
{
	uint8_t sealed[MSGCRYPT_SEALED_LEN];
	uint8_t sshead[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	bool short_read;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	if (msgcrypt_read_sealed(fd, sealed, error_r) < 0)
		return -1;
	if (read_exact(fd, sshead, sizeof(sshead), MSGCRYPT_PREFIX_LEN +
	    MSGCRYPT_SEALED_LEN, &short_read) < 0) {
		*error_r = "truncated message file";
		return -1;
	}
	if (crypto_secretstream_xchacha20poly1305_init_pull(&r->st, sshead,
	    key) != 0) {
		*error_r = "damaged message header";
		return -1;
	}
	r->off = MSGCRYPT_HEAD_LEN;
	r->plain = xmalloc(MSGCRYPT_CHUNK);
	r->plain_max = 0;
	r->cipher = xmalloc(MSGCRYPT_CHUNK + ABYTES);
	return 0;
}

int
msgcrypt_read_open(struct msgcrypt_reader *r, int fd,
    const uint8_t pk[crypto_box_PUBLICKEYBYTES],
    const uint8_t sk[crypto_box_SECRETKEYBYTES], const char **error_r)
{
	uint8_t sealed[MSGCRYPT_SEALED_LEN], key[MSGCRYPT_KEY_LEN];
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (msgcrypt_read_sealed(fd, sealed, error_r) < 0)
		return -1;
	if (msgcrypt_open_key(sealed, pk, sk, key) < 0)
		*error_r = "not sealed to this key";
	else
		rc = msgcrypt_read_begin(r, fd, key, error_r);
	sodium_memzero(key, sizeof(key));
	return rc;
}

/* pull - the next chunk; 0, or -1 with *error_r */
static int
pull(struct msgcrypt_reader *r, const char **error_r)
{
	uint8_t lenb[4], tag, pfx[MSGCRYPT_PREFIX_LEN];
	unsigned long long plen;
	bool short_read;
	size_t clen;

	if (read_exact(r->fd, lenb, 4, r->off, &short_read) < 0) {
		*error_r = short_read ? "message file is truncated" :
		    "cannot read message file";
		return -1;
	}
	clen = (size_t)lenb[0] << 24 | (size_t)lenb[1] << 16 |
	    (size_t)lenb[2] << 8 | lenb[3];
	if (clen < ABYTES || clen > MSGCRYPT_CHUNK + ABYTES) {
		*error_r = "message file is damaged (bad chunk length)";
		return -1;
	}
	if (read_exact(r->fd, r->cipher, clen, r->off + 4, &short_read) < 0) {
		*error_r = short_read ? "message file is truncated" :
		    "cannot read message file";
		return -1;
	}
	prefix(pfx);
	if (crypto_secretstream_xchacha20poly1305_pull(&r->st, r->plain,
	    &plen, &tag, r->cipher, clen, pfx, sizeof(pfx)) != 0) {
		*error_r = "message file is damaged or was altered";
		return -1;
	}
	r->off += 4 + (off_t)clen;
	r->pos = 0;
	r->len = (size_t)plen;
	if (r->len > r->plain_max)
		r->plain_max = r->len;
	r->final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
	return 0;
}

ssize_t
msgcrypt_read(struct msgcrypt_reader *r, void *p, size_t n,
    const char **error_r)
{
	size_t done = 0;

	while (done < n) {
		if (r->pos == r->len) {
			if (r->final) {
				/* Anything after FINAL was appended. */
				uint8_t extra;
				bool short_read;

				if (read_exact(r->fd, &extra, 1, r->off,
				    &short_read) == 0) {
					*error_r = "message file has data "
					    "after its end";
					return -1;
				}
				break;
			}
			if (pull(r, error_r) < 0)
				return -1;
			continue;
		}
		{
			size_t take = r->len - r->pos;

			if (take > n - done)
				take = n - done;
			memcpy((uint8_t *)p + done, r->plain + r->pos, take);
			r->pos += take;
			done += take;
		}
	}
	return (ssize_t)done;
}

void
msgcrypt_read_free(struct msgcrypt_reader *r)
{
	if (r->plain != NULL) {
		/* Only what was written: wiping the whole chunk would touch
		 * (and fault in) pages a small message never used. */
		sodium_memzero(r->plain, r->plain_max);
		free(r->plain);
	}
	free(r->cipher);
	sodium_memzero(&r->st, sizeof(r->st));
	r->plain = r->cipher = NULL;
}

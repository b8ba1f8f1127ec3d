/*
 * fuzz_msgcrypt.c - the encrypted message reader, on a file that may be
 * damaged in any way: prefix, sealed key, stream header, chunk lengths.
 * The key pair is fixed (from a zero seed), so that seeds written with
 * it (gen_msgcrypt) decrypt and mutations reach every chunk check.
 */
#include "fuzz.h"

#include "mail/msgcrypt.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[crypto_box_PUBLICKEYBYTES];
	static uint8_t sk[crypto_box_SECRETKEYBYTES];
	static int ready;
	struct msgcrypt_reader r;
	const char *why = NULL;
	uint8_t out[4096];
	uint64_t total = 0;
	ssize_t n;
	int fd;

	if (size > (1u << 20))
		return 0;
	if (!ready) {
		static const uint8_t seed[crypto_box_SEEDBYTES];

		FUZZ_CHECK(sodium_init() >= 0);
		crypto_box_seed_keypair(pk, sk, seed);
		ready = 1;
	}
	fd = fuzz_memfd(data, size);
	if (msgcrypt_read_open(&r, fd, pk, sk, &why) == 0) {
		while ((n = msgcrypt_read(&r, out, sizeof(out), &why)) > 0) {
			FUZZ_CHECK((size_t)n <= sizeof(out));
			total += (uint64_t)n;
		}
		/* Plaintext never outgrows the ciphertext. */
		FUZZ_CHECK(total <= size);
		FUZZ_CHECK(n == 0 || why != NULL);
		msgcrypt_read_free(&r);
	} else {
		FUZZ_CHECK(why != NULL);
	}
	close(fd);
	return 0;
}

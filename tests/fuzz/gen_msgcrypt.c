/*
 * gen_msgcrypt.c - write the seed corpus of fuzz_msgcrypt: messages of a
 * few sizes (empty, one byte, a chunk boundary, several chunks) sealed to
 * the fixed fuzz key pair.  Run once by hand: gen_msgcrypt DIR.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/msgcrypt.h"

int
main(int argc, char **argv)
{
	static const uint8_t seed[crypto_box_SEEDBYTES];
	static const size_t sizes[] = { 0, 1, 100,
	    MSGCRYPT_CHUNK + 1 };
	uint8_t pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
	char path[4096];

	if (argc != 2 || sodium_init() < 0)
		return 2;
	crypto_box_seed_keypair(pk, sk, seed);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct msgcrypt_writer w;
		uint8_t *msg = malloc(sizes[i] + 1);
		int fd;

		for (size_t j = 0; j < sizes[i]; j++)
			msg[j] = (uint8_t)("Subject: x\r\n\r\nhello\r\n"[j % 21]);
		snprintf(path, sizeof(path), "%s/%02zu", argv[1], i);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || msgcrypt_write_begin(&w, fd, pk) < 0 ||
		    msgcrypt_write(&w, msg, sizes[i]) < 0 ||
		    msgcrypt_write_end(&w) < 0)
			return 1;
		msgcrypt_write_free(&w);
		close(fd);
		free(msg);
	}
	return 0;
}

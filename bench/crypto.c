/*
 * NAME
 *	bench-crypto - the cost of the zero-access store's operations
 * SYNOPSIS
 *	build/bench/bench-crypto [ops [memory_mb]]
 * DESCRIPTION
 *	Prints, on this machine: one Argon2id login at the given cost
 *	(default: postern.conf's defaults, 2 passes and 64 MiB), sealing a
 *	content key (per delivered message), writing and reading a 4 KB
 *	message in the stored format, and streaming a 10 MB message.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mail/msgcrypt.h"
#include "mail/userkey.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* round_trip - write then read back n bytes through the format */
static void
round_trip(const uint8_t *pk, const uint8_t *sk, const uint8_t *msg,
    size_t n, const char *path)
{
	struct msgcrypt_writer w;
	struct msgcrypt_reader r;
	static uint8_t back[65536];
	const char *why;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (msgcrypt_write_begin(&w, fd, pk) < 0 ||
	    msgcrypt_write(&w, msg, n) < 0 || msgcrypt_write_end(&w) < 0)
		exit(1);
	msgcrypt_write_free(&w);
	if (msgcrypt_read_open(&r, fd, pk, sk, &why) < 0)
		exit(1);
	while (msgcrypt_read(&r, back, sizeof(back), &why) > 0)
		;
	msgcrypt_read_free(&r);
	close(fd);
}

int
main(int argc, char **argv)
{
	struct userkey u = { .ops = 2, .mem = 64ull << 20 };
	uint8_t pk[32], sk[32], key[32], sealed[MSGCRYPT_SEALED_LEN], *d;
	static uint8_t msg4k[4096];
	uint8_t *big = calloc(1, 10 << 20);
	const char *base = getenv("TMPDIR");
	char path[512];
	int n, fd;
	double t;

	snprintf(path, sizeof(path), "%s/bench-crypto-XXXXXX",
	    base != NULL && base[0] == '/' ? base : "/tmp");
	fd = mkstemp(path);
	if (sodium_init() < 0 || big == NULL || fd < 0)
		return 1;
	close(fd);
	if (argc > 1)
		u.ops = strtoull(argv[1], NULL, 10);
	if (argc > 2)
		u.mem = strtoull(argv[2], NULL, 10) << 20;
	crypto_box_keypair(pk, sk);
	randombytes_buf(u.salt, sizeof(u.salt));

	t = now();
	for (n = 0; n < 5; n++) {
		d = userkey_derive(&u, "a password", 10);
		if (d == NULL)
			return 1;
		sodium_free(d);
	}
	printf("Argon2id login (%llu passes, %llu MiB): %.1f ms\n",
	    (unsigned long long)u.ops, (unsigned long long)(u.mem >> 20),
	    (now() - t) / n * 1000);

	t = now();
	for (n = 0; n < 5000; n++)
		crypto_box_seal(sealed, key, sizeof(key), pk);
	printf("seal a content key: %.1f us (%.0f/s)\n",
	    (now() - t) / n * 1e6, n / (now() - t));
	t = now();
	for (n = 0; n < 5000; n++)
		if (msgcrypt_open_key(sealed, pk, sk, key) < 0)
			return 1;
	printf("open a content key (cryptd): %.1f us (%.0f/s)\n",
	    (now() - t) / n * 1e6, n / (now() - t));

	t = now();
	for (n = 0; n < 2000; n++)
		round_trip(pk, sk, msg4k, sizeof(msg4k), path);
	printf("4 KB message written and read back: %.1f us (%.0f/s)\n",
	    (now() - t) / n * 1e6, n / (now() - t));
	t = now();
	for (n = 0; n < 5; n++)
		round_trip(pk, sk, big, 10 << 20, path);
	printf("10 MB message written and read back: %.0f MB/s\n",
	    10.0 * n / (now() - t));
	unlink(path);
	free(big);
	return 0;
}

/*
 * NAME
 *	msgcrypt_test - round trips and every kind of damage
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/msgcrypt.h"
#include "util/test.h"

static uint8_t pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];

/* store - write msg (n bytes) encrypted to path */
static int
store(const char *path, const uint8_t *msg, size_t n)
{
	struct msgcrypt_writer w;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), rc;

	rc = msgcrypt_write_begin(&w, fd, pk);
	/* Odd pieces, so chunk boundaries fall anywhere. */
	for (size_t off = 0; rc == 0 && off < n; off += 1000)
		rc = msgcrypt_write(&w, msg + off, n - off < 1000 ? n - off :
		    1000);
	if (rc == 0)
		rc = msgcrypt_write_end(&w);
	msgcrypt_write_free(&w);
	close(fd);
	return rc;
}

/* load - decrypt path into out; returns bytes, or -1 with *why */
static ssize_t
load(const char *path, uint8_t *out, size_t max, const char **why)
{
	struct msgcrypt_reader r;
	int fd = open(path, O_RDONLY);
	ssize_t got = 0, n;

	*why = NULL;
	if (msgcrypt_read_open(&r, fd, pk, sk, why) < 0) {
		msgcrypt_read_free(&r);
		close(fd);
		return -1;
	}
	while ((n = msgcrypt_read(&r, out + got, 777, why)) > 0 &&
	    (size_t)got + 777 <= max)
		got += n;
	msgcrypt_read_free(&r);
	close(fd);
	return n < 0 ? -1 : got;
}

/* patch - change the file: fn gets its bytes */
static void
rewrite(const char *path, size_t cut, long flip)
{
	FILE *f = fopen(path, "rb");
	static uint8_t buf[400000];
	size_t n = fread(buf, 1, sizeof(buf), f);

	fclose(f);
	if (flip >= 0)
		buf[flip] ^= 1;
	f = fopen(path, "wb");
	fwrite(buf, 1, cut > 0 ? cut : n, f);
	fclose(f);
}

static void
test_round_trip(void)
{
	static uint8_t msg[200000], back[210000];
	size_t sizes[] = { 0, 1, 65535, 65536, 65537, 131072, 200000 };
	const char *why;

	TEST_BEGIN("msgcrypt: round trips across chunk boundaries");
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + i / 251);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		CHECK_IDX(store("m", msg, sizes[i]) == 0, i);
		CHECK_IDX(load("m", back, sizeof(back), &why) ==
		    (ssize_t)sizes[i], i);
		CHECK_IDX(memcmp(msg, back, sizes[i]) == 0, i);
	}
	TEST_END();
}

static void
test_damage(void)
{
	static uint8_t msg[150000], back[200000];
	uint8_t opk[crypto_box_PUBLICKEYBYTES], osk[crypto_box_SECRETKEYBYTES];
	const char *why;
	long size;
	FILE *f;

	TEST_BEGIN("msgcrypt: truncation, alteration, reordering, wrong key");
	memset(msg, 'a', sizeof(msg));
	CHECK(store("m", msg, sizeof(msg)) == 0);
	f = fopen("m", "rb");
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	/* The plaintext is nowhere in the file. */
	CHECK(size > (long)sizeof(msg));

	rewrite("m", (size_t)size - 10, -1);
	CHECK(load("m", back, sizeof(back), &why) == -1);
	CHECK(why != NULL && strstr(why, "truncated") != NULL);

	CHECK(store("m", msg, sizeof(msg)) == 0);
	rewrite("m", (size_t)MSGCRYPT_HEAD_LEN + 4 + 65536 + 17, -1);
	CHECK(load("m", back, sizeof(back), &why) == -1);

	CHECK(store("m", msg, sizeof(msg)) == 0);
	rewrite("m", 0, 5000);
	CHECK(load("m", back, sizeof(back), &why) == -1);
	CHECK(why != NULL && strstr(why, "altered") != NULL);

	CHECK(store("m", msg, sizeof(msg)) == 0);
	rewrite("m", 0, 20);		/* inside the sealed key */
	CHECK(load("m", back, sizeof(back), &why) == -1);

	CHECK(store("m", msg, sizeof(msg)) == 0);
	rewrite("m", 0, 8);		/* the version */
	CHECK(load("m", back, sizeof(back), &why) == -1);

	/* Another user's keys open nothing. */
	CHECK(store("m", msg, sizeof(msg)) == 0);
	memcpy(opk, pk, sizeof(pk));
	memcpy(osk, sk, sizeof(sk));
	crypto_box_keypair(pk, sk);
	CHECK(load("m", back, sizeof(back), &why) == -1);
	memcpy(pk, opk, sizeof(pk));
	memcpy(sk, osk, sizeof(sk));
	CHECK(load("m", back, sizeof(back), &why) == (ssize_t)sizeof(msg));
	TEST_END();
}

int
main(void)
{
	if (sodium_init() < 0 || chdir(test_tmpdir()) < 0)
		return 1;
	crypto_box_keypair(pk, sk);
	test_round_trip();
	test_damage();
	return test_exit();
}

/*
 * NAME
 *	mstore_test - delivering into the Maildir-style store
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/msgcrypt.h"
#include "mail/mstore.h"
#include "util/test.h"

static int src;
static uint8_t pk[32], sk[32];

/* decrypt - the plaintext of the one file in dir */
static char *
decrypt_only_file(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[1024], *out = NULL;

	while (d != NULL && (e = readdir(d)) != NULL) {
		struct msgcrypt_reader r;
		const char *why;
		ssize_t n;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fd = open(path, O_RDONLY);
		out = calloc(1, 4096);
		if (msgcrypt_read_open(&r, fd, pk, sk, &why) < 0 ||
		    (n = msgcrypt_read(&r, out, 4095, &why)) < 0)
			out[0] = '\0';
		msgcrypt_read_free(&r);
		close(fd);
	}
	if (d != NULL)
		closedir(d);
	return out;
}

/* read_all - the one file in dir, whole */
static char *
read_only_file(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[1024], *out = NULL;

	while (d != NULL && (e = readdir(d)) != NULL) {
		FILE *f;
		long n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		out = calloc(1, (size_t)n + 1);
		if (fread(out, 1, (size_t)n, f) != (size_t)n)
			out[0] = '\0';
		fclose(f);
	}
	if (d != NULL)
		closedir(d);
	return out;
}

static void
test_deliver(void)
{
	struct buf prefix = BUF_INIT;
	struct mstore_result r;
	char *text;

	TEST_BEGIN("mstore: prefix plus the message slice, in new/");
	CHECK(buf_append_str(&prefix, "Delivered-To: a@x.test\r\n") == 0);
	/* The message is bytes 4..20 of the source file. */
	CHECK(mstore_deliver("a@x.test", "", pk, &prefix, src, 4, 18, 0, &r) ==
	    0);
	CHECK(strncmp(r.text, "x.test/a/new/", 13) == 0);
	CHECK(strstr(r.text, ",S=42") != NULL);
	/* On disk only ciphertext; sealed to pk, it opens with sk. */
	text = read_only_file("x.test/a/new");
	CHECK(text != NULL && strstr(text, "Subject") == NULL &&
	    strncmp(text, MSGCRYPT_MAGIC, 8) == 0);
	free(text);
	text = decrypt_only_file("x.test/a/new");
	CHECK(text != NULL && strcmp(text, "Delivered-To: a@x.test\r\n"
	    "Subject: s\r\n\r\nhi\r\n") == 0);
	free(text);
	CHECK(mstore_usage("a@x.test") == 42);
	CHECK(mstore_folder_exists("a@x.test", ""));
	CHECK(!mstore_folder_exists("a@x.test", "Junk"));
	buf_free(&prefix);
	TEST_END();
}

static void
test_quota_and_names(void)
{
	struct buf prefix = BUF_INIT;
	struct mstore_result r;

	TEST_BEGIN("mstore: quota is permanent, unsafe names refused");
	CHECK(mstore_deliver("a@x.test", "", pk, &prefix, src, 4, 18, 50, &r) ==
	    -1);
	CHECK(!r.temporary && strcmp(r.dsn, "5.2.2") == 0);
	CHECK(mstore_deliver("../a@x.test", "", pk, &prefix, src, 4, 16, 0,
	    &r) == -1);
	CHECK(!r.temporary);
	CHECK(mstore_deliver("a@x/y", "", pk, &prefix, src, 4, 16, 0, &r) == -1);
	CHECK(mstore_deliver("a@x.test", "../b", pk, &prefix, src, 4, 16, 0,
	    &r) == -1);
	/* A short source is a temporary failure, and leaves nothing. */
	CHECK(mstore_deliver("b@x.test", "", pk, &prefix, src, 4, 1000, 0, &r) ==
	    -1);
	CHECK(r.temporary);
	CHECK(read_only_file("x.test/b/tmp") == NULL);
	CHECK(read_only_file("x.test/b/new") == NULL);
	TEST_END();
}

int
main(void)
{
	char path[512];

	if (sodium_init() < 0 || chdir(test_tmpdir()) < 0)
		return 1;
	crypto_box_keypair(pk, sk);
	snprintf(path, sizeof(path), "source");
	src = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (src < 0 || write(src, "xxxxSubject: s\r\n\r\nhi\r\nyyyy", 26) !=
	    26)
		return 1;
	test_deliver();
	test_quota_and_names();
	return test_exit();
}

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
#include "mail/mexpire.h"
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

/* due_cb - collect the due entries mexpire_due_scan reports */
static int
due_cb(int64_t when, const char *mailbox, const char *folder,
    const char *name, void *ctx)
{
	char *out = ctx;

	snprintf(out, 512, "%lld %s %s %s", (long long)when, mailbox, folder,
	    name);
	return 0;
}

static void
test_expiry(void)
{
	struct buf prefix = BUF_INIT;
	struct mstore_result r;
	char seen[512] = "", want[512], name[256];
	const char *base;

	TEST_BEGIN("mstore: an expiring message: ,E= and a due entry");
	CHECK(mstore_deliver_until("e@x.test", "Junk", pk, &prefix, src, 4,
	    18, 0, 1893456000LL, &r) == 0);
	base = strrchr(r.text, '/') + 1;
	snprintf(name, sizeof(name), "%s", base);
	CHECK(strstr(name, ",S=18,E=1893456000") != NULL);
	CHECK(mstore_name_size(name) == 18);
	CHECK(mexpire_name_time(name) == 1893456000LL);
	/* Not due before its time, due at it; the entry then goes. */
	CHECK(mexpire_due_scan(1893455999LL, due_cb, seen) == 0 &&
	    seen[0] == '\0');
	CHECK(mexpire_due_scan(1893456000LL, due_cb, seen) == 1);
	snprintf(want, sizeof(want), "1893456000 e@x.test Junk %s", name);
	CHECK_STR_EQ(seen, want);
	seen[0] = '\0';
	CHECK(mexpire_due_scan(1893460000LL, due_cb, seen) == 0 &&
	    seen[0] == '\0');
	/* The past hour, empty now, is gone; a late entry makes it again. */
	CHECK(access(MEXPIRE_DIR "/1893456000", F_OK) < 0);
	CHECK(mexpire_due_add(1893456001LL, "e@x.test", "", "n1,S=1") == 0);
	CHECK(mexpire_due_add(1893456001LL, "e@x.test", "", "n1,S=1") == 0);
	CHECK(mexpire_due_scan(1893460000LL, due_cb, seen) == 1);
	CHECK_STR_EQ(seen, "1893456001 e@x.test  n1,S=1");
	/* Names without a usable ,E= */
	CHECK(mexpire_name_time("1.M1P1Q1.h,S=10") == 0);
	CHECK(mexpire_name_time("1.M1P1Q1.h,S=10,E=") == 0);
	CHECK(mexpire_name_time("1.M1P1Q1.h,S=10,E=-5") == 0);
	CHECK(mexpire_name_time("1.M1P1Q1.h,S=10,E=12x") == 0);
	CHECK(mexpire_name_time("1.M1P1Q1.h,S=10,E=12:2,S") == 12);
	CHECK(mexpire_due_add(1, "e@x.test", "", "a/b") < 0);
	TEST_END();

	TEST_BEGIN("mstore: folder names as IMAP shows them");
	mstore_folder_name("", name, sizeof(name));
	CHECK_STR_EQ(name, "INBOX");
	mstore_folder_name("Lists.Work", name, sizeof(name));
	CHECK_STR_EQ(name, "Lists/Work");
	mstore_folder_name("v1%2E2%25", name, sizeof(name));
	CHECK_STR_EQ(name, "v1.2%");
	mstore_folder_name("bad%2", name, sizeof(name));
	CHECK_STR_EQ(name, "bad%2");
	mstore_folder_name("x%2Gy", name, sizeof(name));
	CHECK_STR_EQ(name, "x%2Gy");
	mstore_folder_name("Junk", name, 3);
	CHECK_STR_EQ(name, "Ju");
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
	test_expiry();
	return test_exit();
}

/*
 * NAME
 *	mindex_test - UIDs, flags, expunges, two sessions, torn records
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/mindex.h"
#include "util/test.h"

/* deliver - a file into new/ */
static void
deliver(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "f/new/%s", name);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	if (fd >= 0)
		close(fd);
}

static void
test_sessions(void)
{
	struct mindex a, b;
	const char *why;
	uint32_t validity;

	TEST_BEGIN("mindex: UIDs, flags and expunges seen by another session");
	mkdir("f", 0700);
	mkdir("f/new", 0700);
	mkdir("f/cur", 0700);
	CHECK(mindex_open(&a, "f", &why) == 0);
	CHECK(a.uidvalidity != 0 && a.uidnext == 1);
	validity = a.uidvalidity;
	deliver("m1");
	deliver("m2");
	CHECK(mindex_sync_new(&a) == 2);
	CHECK(a.n == 2 && a.msgs[0].uid == 1 && a.msgs[1].uid == 2);
	CHECK(access("f/cur/m1", F_OK) == 0 && access("f/new/m1", F_OK) < 0);
	CHECK(mindex_open(&b, "f", &why) == 0);
	CHECK(b.uidvalidity == validity && b.n == 2 && b.uidnext == 3);
	CHECK(mindex_set_flags(&b, 2, MF_SEEN | MF_FLAGGED) == 0);
	CHECK(mindex_refresh(&a) == 1);
	CHECK(mindex_find(&a, 2)->flags == (MF_SEEN | MF_FLAGGED));
	CHECK(mindex_find(&a, 2)->modseq > mindex_find(&a, 1)->modseq);
	CHECK(mindex_expunge(&a, 2) == 0);
	CHECK(access("f/cur/m2", F_OK) < 0);
	CHECK(mindex_refresh(&b) == 1 && b.n == 1 && b.n_expunged == 1 &&
	    b.expunged[0] == 2);
	/* UIDs are never handed out again. */
	deliver("m3");
	CHECK(mindex_sync_new(&b) == 1 && mindex_find(&b, 3) != NULL);
	CHECK(mindex_set_flags(&b, 2, MF_SEEN) == -1);
	mindex_close(&a);
	mindex_close(&b);
	TEST_END();
}

static void
test_torn_record(void)
{
	struct mindex a;
	const char *why;
	int fd;

	TEST_BEGIN("mindex: a torn last record is ignored, then cut");
	fd = open("f/" MINDEX_FILE, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "F 1 99 31", 9) == 9);
	close(fd);
	CHECK(mindex_open(&a, "f", &why) == 0);
	CHECK(mindex_find(&a, 1)->flags == 0);
	CHECK(a.uidnext == 4);
	CHECK(mindex_set_flags(&a, 1, MF_ANSWERED) == 0);
	mindex_close(&a);
	CHECK(mindex_open(&a, "f", &why) == 0);
	CHECK(mindex_find(&a, 1)->flags == MF_ANSWERED);
	mindex_close(&a);
	TEST_END();
}

static void
test_keywords_add(void)
{
	struct mindex a, b;
	const char *why;
	uint32_t uid;
	int k;

	TEST_BEGIN("mindex: keywords shared by sessions; add with flags");
	CHECK(mindex_open(&a, "f", &why) == 0);
	CHECK(mindex_open(&b, "f", &why) == 0);
	CHECK(mindex_keyword(&a, "$Junk", 5, false) == -1);
	k = mindex_keyword(&a, "$Junk", 5, true);
	CHECK(k == 0);
	CHECK(mindex_keyword(&b, "$junk", 5, true) == 0);
	CHECK(b.n_keywords == 1);
	CHECK(mindex_keyword(&a, "bad key", 7, true) == -1);
	CHECK(mindex_keyword(&a, "\\Seen", 5, true) == -1);
	deliver("m9");
	CHECK(mindex_add(&a, "m9", MF_SEEN | MF_KEYWORD(k), &uid) == 0);
	CHECK(access("f/cur/m9", F_OK) == 0);
	CHECK(mindex_refresh(&b) >= 1);
	CHECK(mindex_find(&b, uid) != NULL &&
	    mindex_find(&b, uid)->flags == (MF_SEEN | MF_KEYWORD(0)));
	CHECK(mindex_lock(&a) == 0 && mindex_lock(&a) == 0);
	CHECK(mindex_set_flags(&a, uid, 0) == 0);
	mindex_unlock(&a);
	mindex_unlock(&a);
	CHECK(a.lock_depth == 0);
	CHECK(mindex_add(&a, "../x", 0, &uid) == -1);
	mindex_close(&a);
	mindex_close(&b);
	TEST_END();
}

int
main(void)
{
	if (chdir(test_tmpdir()) < 0)
		return 1;
	test_sessions();
	test_torn_record();
	test_keywords_add();
	return test_exit();
}

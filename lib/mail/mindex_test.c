/*
 * NAME
 *	mindex_test - UIDs, flags, expunges, two sessions, torn records
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

static off_t
log_size(void)
{
	struct stat st;

	return stat("f/" MINDEX_FILE, &st) == 0 ? st.st_size : -1;
}

static void
test_compaction(void)
{
	struct mindex a, b, c;
	const char *why;
	uint32_t u1, u2, u3, validity, next;
	uint64_t modseq;
	off_t before;
	uint32_t *gone;
	size_t n_gone;

	TEST_BEGIN("mindex: a long log is compacted; other sessions follow");
	mkdir("g", 0700);
	mkdir("g/new", 0700);
	mkdir("g/cur", 0700);
	CHECK(rename("f", "f.old") == 0 && rename("g", "f") == 0);
	CHECK(mindex_open(&a, "f", &why) == 0);
	CHECK(mindex_open(&b, "f", &why) == 0);
	deliver("c1");
	deliver("c2");
	deliver("c3");
	CHECK(mindex_add(&a, "c1", 0, &u1) == 0);
	CHECK(mindex_add(&a, "c2", 0, &u2) == 0);
	CHECK(mindex_add(&a, "c3", 0, &u3) == 0);
	CHECK(mindex_keyword(&a, "$Work", 5, true) == 0);
	/* The highest UID goes: UIDNEXT must survive the rewrite. */
	CHECK(mindex_expunge(&a, u3) == 0);
	/* Flag changes until the log is long: the last unlock compacts. */
	for (int i = 0; i < MINDEX_COMPACT_MIN; i++)
		CHECK_IDX(mindex_set_flags(&a, u1, (uint64_t)(i % 2) *
		    MF_SEEN) == 0, i);
	CHECK(mindex_set_flags(&a, u2, MF_FLAGGED | MF_KEYWORD(0)) == 0);
	before = log_size();
	CHECK(before > 0 && before < 4096);
	CHECK(a.lines < 20);
	validity = a.uidvalidity;
	next = a.uidnext;
	modseq = a.highestmodseq;
	CHECK(next == u3 + 1);
	/* b still has the old file open: it notices, and reloads. */
	CHECK(mindex_stale(&b));
	CHECK(mindex_refresh(&b) >= 0 && !mindex_stale(&b));
	CHECK(b.uidnext == next && b.highestmodseq == modseq);
	CHECK(mindex_find(&b, u1) != NULL && mindex_find(&b, u1)->flags ==
	    ((MINDEX_COMPACT_MIN - 1) % 2) * MF_SEEN);
	CHECK(mindex_find(&b, u2) != NULL && mindex_find(&b, u2)->flags ==
	    (MF_FLAGGED | MF_KEYWORD(0)));
	CHECK(mindex_find(&b, u3) == NULL);
	/* A change through b lands in the new file, where a sees it. */
	CHECK(mindex_set_flags(&b, u2, MF_ANSWERED) == 0);
	CHECK(mindex_refresh(&a) >= 1 &&
	    mindex_find(&a, u2)->flags == MF_ANSWERED);
	/* A fresh open: same state, expunges kept for QRESYNC. */
	CHECK(mindex_open(&c, "f", &why) == 0);
	CHECK(c.uidvalidity == validity && c.uidnext == next);
	CHECK(c.n_keywords == 1 && strcmp(c.keywords[0], "$Work") == 0);
	CHECK(c.highestmodseq == b.highestmodseq);
	CHECK(mindex_expunged_since(&c, 0, &gone, &n_gone) == 0 &&
	    n_gone == 1 && gone[0] == u3);
	free(gone);
	deliver("c4");
	CHECK(mindex_add(&c, "c4", 0, &u1) == 0 && u1 == next);
	/* An explicit compaction while b holds a stale view. */
	CHECK(mindex_compact(&a) == 0);
	CHECK(mindex_refresh(&b) >= 0 && mindex_find(&b, u1) != NULL);
	mindex_close(&a);
	mindex_close(&b);
	mindex_close(&c);
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
	test_compaction();
	return test_exit();
}

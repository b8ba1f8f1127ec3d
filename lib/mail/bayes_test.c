/*
 * NAME
 *	bayes_test - training and classifying: the file written and read
 *	back, learning twice, moving between classes, the token limit,
 *	damaged files, Fisher's combination, and verdicts on a generated
 *	corpus that training changes
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mail/bayes.h"
#include "mail/params.h"
#include "util/buf.h"
#include "util/test.h"

static const char *const ham_words[] = {
	"meeting", "agenda", "project", "quarterly", "review", "lunch",
	"tomorrow", "deadline", "draft", "report", "colleague", "schedule",
	"minutes", "budget", "conference", "attached", "thanks", "regards",
	"family", "weekend", "kernel", "compiler", "patch", "release",
};
static const char *const spam_words[] = {
	"viagra", "lottery", "winner", "casino", "unclaimed", "inheritance",
	"pharmacy", "discount", "guaranteed", "bitcoin", "millionaire",
	"prize", "urgent", "beneficiary", "replica", "rolex", "enlargement",
	"crypto", "jackpot", "bonus", "miracle", "pills", "wire", "offer",
};
static const char *const common[] = {
	"the", "and", "you", "your", "for", "this", "with", "have", "are",
	"will", "please", "about", "from", "that", "today", "time",
};
#define N(a) (sizeof(a) / sizeof(a[0]))

static unsigned long rng = 12345;

static unsigned
rnd(unsigned n)
{
	rng = rng * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)((rng >> 33) % n);
}

/* gen - a message of class spam (or ham), number i */
static void
gen(struct buf *b, bool spam, unsigned i)
{
	const char *const *w = spam ? spam_words : ham_words;

	buf_reset(b);
	buf_printf(b, "Message-ID: <%s%u@gen.test>\r\nFrom: %s\r\n"
	    "Subject: %s %s\r\n\r\n", spam ? "s" : "h", i,
	    spam ? "promo@deals.test" : "colleague@work.test",
	    w[rnd(24)], common[rnd(N(common))]);
	for (unsigned k = 0; k < 60; k++)
		buf_printf(b, "%s ", k % 3 == 0 ? w[rnd(24)] :
		    common[rnd(N(common))]);
	buf_puts(b, "\r\n");
}

static void
test_fisher(void)
{
	double lo[10], hi[10], mid[4] = { 0.4, 0.6, 0.4, 0.6 };

	TEST_BEGIN("bayes_fisher");
	for (int i = 0; i < 10; i++) {
		lo[i] = 0.01;
		hi[i] = 0.99;
	}
	CHECK(bayes_fisher(NULL, 0) == 0.5);
	CHECK(bayes_fisher(lo, 10) < 0.01);
	CHECK(bayes_fisher(hi, 10) > 0.99);
	CHECK(fabs(bayes_fisher(mid, 4) - 0.5) < 1e-9);
	/* 150 extreme tokens do not underflow into nonsense */
	{
		double many[150];

		for (int i = 0; i < 150; i++)
			many[i] = 1e-4;
		CHECK(bayes_fisher(many, 150) < 0.001);
		for (int i = 0; i < 150; i++)
			many[i] = 1 - 1e-4;
		CHECK(bayes_fisher(many, 150) > 0.999);
	}
	TEST_END();
}

static void
test_store(void)
{
	char path[512];
	struct bayes_db *db;
	struct buf m = BUF_INIT;
	struct stat st;

	TEST_BEGIN("bayes store: create, read back, learn twice, move");
	snprintf(path, sizeof(path), "%s/store/sub/bayes", test_tmpdir());
	/* a missing file is an empty database */
	CHECK(bayes_open(path, &db) == 0);
	CHECK(bayes_nspam(db) == 0 && bayes_nham(db) == 0);
	CHECK(bayes_classify(db, "x", 1) == -1);
	bayes_close(&db);
	CHECK(db == NULL);
	/* the parent of sub/ is missing: one level only is made */
	buf_init(&m, 0);
	gen(&m, true, 1);
	CHECK(bayes_train(path, (char *)m.data, m.len, true) == -1);
	snprintf(path, sizeof(path), "%s/store", test_tmpdir());
	CHECK(mkdir(path, 0700) == 0);
	snprintf(path, sizeof(path), "%s/store/sub/bayes", test_tmpdir());
	CHECK(bayes_train(path, (char *)m.data, m.len, true) ==
	    BAYES_LEARNED);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(bayes_open(path, &db) == 0);
	CHECK(bayes_nspam(db) == 1 && bayes_nham(db) == 0);
	CHECK(bayes_ntokens(db) > 10);
	bayes_close(&db);
	/* the same message again: nothing */
	CHECK(bayes_train(path, (char *)m.data, m.len, true) == BAYES_KNOWN);
	CHECK(bayes_open(path, &db) == 0);
	CHECK(bayes_nspam(db) == 1 && bayes_nham(db) == 0);
	bayes_close(&db);
	/* as ham: moved, the token counts too (none left at spam) */
	CHECK(bayes_train(path, (char *)m.data, m.len, false) ==
	    BAYES_MOVED);
	CHECK(bayes_open(path, &db) == 0);
	CHECK(bayes_nspam(db) == 0 && bayes_nham(db) == 1);
	bayes_close(&db);
	/* a second message, different id: merged with the first */
	gen(&m, false, 2);
	CHECK(bayes_train(path, (char *)m.data, m.len, false) ==
	    BAYES_LEARNED);
	CHECK(bayes_open(path, &db) == 0);
	CHECK(bayes_nspam(db) == 0 && bayes_nham(db) == 2);
	bayes_close(&db);
	/* a second trainer waits, or with try_begin does not */
	{
		struct bayes_writer *w1, *w2 = NULL;

		CHECK(bayes_write_begin(path, &w1) == 0);
		CHECK(bayes_write_try_begin(path, &w2) == -1 &&
		    errno == EWOULDBLOCK && w2 == NULL);
		bayes_write_abort(&w1);
		CHECK(w1 == NULL);
		CHECK(bayes_write_try_begin(path, &w2) == 0);
		bayes_write_abort(&w2);
	}
	/* a commit that learned nothing keeps everything */
	{
		struct bayes_writer *w1;

		CHECK(bayes_write_begin(path, &w1) == 0);
		CHECK(bayes_write_commit(&w1) == 0);
		CHECK(bayes_open(path, &db) == 0);
		CHECK(bayes_nspam(db) == 0 && bayes_nham(db) == 2);
		bayes_close(&db);
	}
	/* no temporary file is left */
	snprintf(path, sizeof(path), "%s/store/sub/bayes.tmp", test_tmpdir());
	CHECK(access(path, F_OK) < 0 && errno == ENOENT);
	buf_free(&m);
	TEST_END();
}

static void
test_damaged(void)
{
	char path[512];
	struct bayes_db *db = NULL;
	int fd;

	TEST_BEGIN("bayes damaged files are refused, never overwritten");
	snprintf(path, sizeof(path), "%s/damaged", test_tmpdir());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, "PSTBAYS1garbage", 15) == 15);
	close(fd);
	CHECK(bayes_open(path, &db) == -1 && errno == EINVAL && db == NULL);
	CHECK(bayes_train(path, "\n\nhello world", 13, true) == -1);
	CHECK(bayes_open(path, &db) == -1);
	/* empty file: also not a database */
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	CHECK(bayes_open(path, &db) == -1 && errno == EINVAL);
	TEST_END();
}

static void
test_limit(void)
{
	char path[512];
	struct bayes_writer *w;
	struct bayes_db *db;
	struct buf m = BUF_INIT;
	uint64_t save = var_bayes_token_limit, save2 = var_bayes_learned_limit;

	TEST_BEGIN("bayes token and learned limits");
	snprintf(path, sizeof(path), "%s/limit", test_tmpdir());
	buf_init(&m, 0);
	var_bayes_token_limit = 50;
	var_bayes_learned_limit = 5;
	CHECK(bayes_write_begin(path, &w) == 0);
	/* "keepme" in every message, a unique word in each */
	for (unsigned i = 0; i < 100; i++) {
		buf_reset(&m);
		buf_printf(&m, "Message-ID: <%u@x>\n\nkeepme uniq%u\n", i, i);
		CHECK_IDX(bayes_write_learn(w, (char *)m.data, m.len,
		    i % 2 == 0) == BAYES_LEARNED, i);
	}
	CHECK(bayes_write_commit(&w) == 0 && w == NULL);
	CHECK(bayes_open(path, &db) == 0);
	CHECK(bayes_ntokens(db) == 50);
	CHECK(bayes_nspam(db) == 50 && bayes_nham(db) == 50);
	bayes_close(&db);
	/* message 99 is remembered, message 0 forgotten */
	CHECK(bayes_train(path, "Message-ID: <99@x>\n\nkeepme uniq99\n", 33,
	    false) == BAYES_KNOWN);
	CHECK(bayes_train(path, "Message-ID: <0@x>\n\nkeepme uniq0\n", 31,
	    true) == BAYES_LEARNED);
	var_bayes_token_limit = save;
	var_bayes_learned_limit = save2;
	buf_free(&m);
	TEST_END();
}

/* verdicts - mean probability of n fresh messages of a class */
static double
verdict(const struct bayes_db *db, bool spam, unsigned from, unsigned n)
{
	struct buf m = BUF_INIT;
	double sum = 0;

	buf_init(&m, 0);
	for (unsigned i = from; i < from + n; i++) {
		gen(&m, spam, i);
		sum += bayes_classify(db, (char *)m.data, m.len);
	}
	buf_free(&m);
	return sum / n;
}

static void
test_corpus(void)
{
	char path[512];
	struct bayes_writer *w;
	struct bayes_db *db;
	struct buf m = BUF_INIT;
	struct bayes_verdict v;
	double before, after;

	TEST_BEGIN("bayes classify a generated corpus; training changes it");
	snprintf(path, sizeof(path), "%s/corpus", test_tmpdir());
	buf_init(&m, 0);
	CHECK(bayes_write_begin(path, &w) == 0);
	for (unsigned i = 0; i < 40; i++) {
		gen(&m, true, i);
		CHECK_IDX(bayes_write_learn(w, (char *)m.data, m.len, true) ==
		    BAYES_LEARNED, i);
		gen(&m, false, i);
		CHECK_IDX(bayes_write_learn(w, (char *)m.data, m.len, false)
		    == BAYES_LEARNED, i);
	}
	CHECK(bayes_write_commit(&w) == 0);
	CHECK(bayes_open(path, &db) == 0);
	CHECK(bayes_nspam(db) == 40 && bayes_nham(db) == 40);
	CHECK(verdict(db, true, 1000, 20) > 0.9);
	CHECK(verdict(db, false, 1000, 20) < 0.1);
	gen(&m, true, 5000);
	CHECK(bayes_classify_ex(db, (char *)m.data, m.len, &v) > 0.9);
	CHECK(v.used > 5 && v.used <= v.tokens && v.used <= 150);
	/* below bayes_min_spam: no verdict */
	var_bayes_min_spam = 41;
	CHECK(bayes_classify(db, (char *)m.data, m.len) == -1);
	var_bayes_min_spam = 20;
	/* a message about neither: after it is learned as spam a dozen
	 * times (its variants), its verdict rises */
	buf_reset(&m);
	buf_puts(&m, "Subject: garden\n\ntomatoes cucumbers greenhouse "
	    "seedlings compost mulch the and you\n");
	before = bayes_classify(db, (char *)m.data, m.len);
	bayes_close(&db);
	CHECK(bayes_write_begin(path, &w) == 0);
	for (unsigned i = 0; i < 12; i++) {
		struct buf t = BUF_INIT;

		buf_init(&t, 0);
		buf_printf(&t, "Message-ID: <g%u@x>\n\ntomatoes cucumbers "
		    "greenhouse seedlings compost mulch offer%u\n", i, i);
		CHECK_IDX(bayes_write_learn(w, (char *)t.data, t.len, true)
		    == BAYES_LEARNED, i);
		buf_free(&t);
	}
	CHECK(bayes_write_commit(&w) == 0);
	CHECK(bayes_open(path, &db) == 0);
	after = bayes_classify(db, (char *)m.data, m.len);
	CHECK(before > 0.3 && before < 0.7);
	CHECK(after > 0.9);
	bayes_close(&db);
	buf_free(&m);
	TEST_END();
}

static void
test_concurrent(void)
{
	char path[512];
	struct bayes_db *db;
	pid_t kids[4];

	TEST_BEGIN("bayes concurrent trainers lose nothing");
	snprintf(path, sizeof(path), "%s/conc", test_tmpdir());
	for (int k = 0; k < 4; k++) {
		if ((kids[k] = fork()) == 0) {
			for (int i = 0; i < 25; i++) {
				char msg[128];
				int n = snprintf(msg, sizeof(msg),
				    "Message-ID: <%d.%d@c>\n\nword%d%d\n", k,
				    i, k, i);

				if (bayes_train(path, msg, (size_t)n,
				    i % 2 == 0) != BAYES_LEARNED)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (int k = 0; k < 4; k++) {
		int status;

		CHECK_IDX(waitpid(kids[k], &status, 0) == kids[k] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0, k);
	}
	CHECK(bayes_open(path, &db) == 0);
	CHECK(bayes_nspam(db) + bayes_nham(db) == 100);
	CHECK(bayes_nspam(db) == 52);
	bayes_close(&db);
	TEST_END();
}

static void
test_paths(void)
{
	char out[256];

	TEST_BEGIN("bayes paths");
	CHECK(bayes_site_path(NULL, out, sizeof(out)) == 0);
	CHECK_STR_EQ(out, ".postern/bayes");
	CHECK(bayes_site_path("/var/mail", out, sizeof(out)) == 0);
	CHECK_STR_EQ(out, "/var/mail/.postern/bayes");
	CHECK(bayes_user_path("/s", "alice@example.test", out,
	    sizeof(out)) == 0);
	CHECK_STR_EQ(out, "/s/example.test/alice/bayes");
	CHECK(bayes_user_path(NULL, "../x@example.test", out,
	    sizeof(out)) == -1);
	CHECK(bayes_site_path("/long/root", out, 10) == -1);
	TEST_END();
}

int
main(void)
{
	var_bayes_min_spam = 20;
	var_bayes_min_ham = 20;
	var_bayes_scan_limit = 256 * 1024;
	var_bayes_token_limit = 500000;
	var_bayes_learned_limit = 200000;
	test_fisher();
	test_store();
	test_damaged();
	test_limit();
	test_corpus();
	test_concurrent();
	test_paths();
	return test_exit();
}

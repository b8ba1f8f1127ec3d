/*
 * NAME
 *	bench-spam - how fast the Bayesian classifier tokenizes and
 *	classifies
 * SYNOPSIS
 *	build/bench/bench-spam [-n messages] [-t training] [-w DIR]
 * DESCRIPTION
 *	Generates a corpus of 4 KB messages (half spam, half ham, from two
 *	word lists and a shared one, with headers like real mail, some
 *	quoted-printable, some HTML), trains a token database in a temporary
 *	directory on the first -t of each class (default 500), then times
 *	tokenizing and classifying -n fresh messages (default 5000).
 *	Prints messages per second for both, and the training time; then
 *	the rules of smtpd's scoring (spamscan + spamscore, no DNS) over the
 *	same messages, with the settings' defaults.
 *	With -w DIR it also writes the training and test messages as files
 *	under DIR/{train-spam,train-ham,test} for bench/spam/run, which
 *	times bogofilter on the same corpus.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mail/bayes.h"
#include "mail/bayes_tok.h"
#include "mail/params.h"
#include "mail/spamscore.h"
#include "util/conf.h"
#include "util/buf.h"
#include "util/mem.h"

static const char *const spam_w[] = {
	"viagra", "lottery", "winner", "casino", "unclaimed", "inheritance",
	"pharmacy", "discount", "guaranteed", "bitcoin", "millionaire",
	"prize", "urgent", "beneficiary", "replica", "rolex", "enlargement",
	"crypto", "jackpot", "bonus", "miracle", "pills", "wire", "offer",
	"cheap", "limited", "exclusive", "investment", "claim", "free",
};
static const char *const ham_w[] = {
	"meeting", "agenda", "project", "quarterly", "review", "lunch",
	"tomorrow", "deadline", "draft", "report", "colleague", "schedule",
	"minutes", "budget", "conference", "attached", "thanks", "regards",
	"family", "weekend", "kernel", "compiler", "patch", "release",
	"invoice", "travel", "holiday", "question", "feedback", "notes",
};
/* a larger shared vocabulary, so the database is not trivially small */
#define SHARED 3000

static unsigned long rng = 42;

static unsigned
rnd(unsigned n)
{
	rng = rng * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)((rng >> 33) % n);
}

/* shared_word - word i of the shared vocabulary */
static void
shared_word(struct buf *b, unsigned i)
{
	static const char syl[][4] = { "ka", "lo", "mi", "ne", "ru", "ta",
	    "vo", "si", "da", "pe", "gu", "bo" };

	buf_printf(b, "%s%s%s", syl[i % 12], syl[(i / 12) % 12],
	    syl[(i / 144) % 12]);
	if (i >= 1728)
		buf_puts(b, "x");
}

/* gen - a message of about size bytes */
static void
gen(struct buf *b, bool spam, unsigned i, size_t size)
{
	const char *const *w = spam ? spam_w : ham_w;
	unsigned style = rnd(3);	/* plain, quoted-printable, html */

	buf_reset(b);
	buf_printf(b, "Received: from mx%u.%s (mx%u.%s [192.0.2.%u])\r\n"
	    "\tby mx.example.test with ESMTPS id 4Q%08X\r\n"
	    "From: %s <%s%u@%s>\r\nTo: user@example.test\r\n"
	    "Subject: %s %s %s\r\nMessage-ID: <%c%u.%u@bench.test>\r\n"
	    "Date: Tue, 1 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n",
	    rnd(9), spam ? "deals.test" : "work.test", rnd(9),
	    spam ? "deals.test" : "work.test", rnd(250), i,
	    spam ? "Promo" : "Colleague", spam ? "promo" : "c", rnd(50),
	    spam ? "deals.test" : "work.test", w[rnd(30)], w[rnd(30)],
	    w[rnd(30)], spam ? 's' : 'h', i, (unsigned)rng);
	buf_printf(b, "Content-Type: text/%s; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: %s\r\n\r\n", style == 2 ? "html" :
	    "plain", style == 1 ? "quoted-printable" : "8bit");
	if (style == 2)
		buf_puts(b, "<html><body><p>");
	while (b->len < size - 40) {
		unsigned r = rnd(10);

		if (r < 2)
			buf_puts(b, w[rnd(30)]);
		else
			shared_word(b, rnd(SHARED));
		if (style == 1 && rnd(20) == 0)
			buf_puts(b, "=\r\n");
		else if (rnd(12) == 0)
			buf_puts(b, style == 2 ? "</p>\r\n<p>" : ".\r\n");
		else
			buf_puts(b, " ");
		if (style == 2 && rnd(60) == 0)
			buf_printf(b, "<a href=\"http://%s%u.test/x\">"
			    "here</a> ",
			    spam ? "shop" : "wiki", rnd(20));
	}
	if (style == 2)
		buf_puts(b, "</p></body></html>");
	buf_puts(b, "\r\n");
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
write_file(const char *dir, const char *sub, unsigned i, const struct buf *b)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%06u", dir, sub, i);
	if ((f = fopen(path, "w")) == NULL ||
	    fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0) {
		fprintf(stderr, "bench-spam: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	unsigned n = 5000, train = 500;
	const char *out = NULL;
	char tmpl[] = "/tmp/bench-spam.XXXXXX", path[1100], dbpath[1100];
	struct bayes_writer *w;
	struct bayes_db *db;
	struct bayes_tokens t = { 0 };
	struct buf *msgs, b = BUF_INIT;
	double t0, t_train, t_tok, t_cls, t_files = 0, t_rules, sum = 0;
	size_t bytes = 0, toks = 0;
	unsigned wrong = 0;
	int ch;

	while ((ch = getopt(argc, argv, "n:t:w:")) != -1) {
		if (ch == 'n')
			n = (unsigned)strtoul(optarg, NULL, 10);
		else if (ch == 't')
			train = (unsigned)strtoul(optarg, NULL, 10);
		else if (ch == 'w')
			out = optarg;
		else {
			fprintf(stderr, "usage: bench-spam [-n messages] "
			    "[-t training] [-w DIR]\n");
			return 2;
		}
	}
	if (n == 0 || train == 0)
		return 2;
	{
		struct conf *c;
		struct buf err = BUF_INIT;

		params_register();	/* every default, the rules' too */
		c = conf_new();
		if (conf_finish(c, &err) < 0)
			return 1;
		conf_apply(c);
		conf_free(&c);
		buf_free(&err);
	}
	var_bayes_min_spam = var_bayes_min_ham = 20;
	var_bayes_scan_limit = 256 * 1024;
	var_bayes_token_limit = 500000;
	var_bayes_learned_limit = 200000;
	if (out != NULL) {
		static const char *const subs[] = { "", "/train-spam",
		    "/train-ham", "/test" };

		for (int i = 0; i < 4; i++) {
			snprintf(path, sizeof(path), "%s%s", out, subs[i]);
			if (mkdir(path, 0755) < 0 && errno != EEXIST) {
				perror(path);
				return 1;
			}
		}
	}
	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/bayes", tmpl);

	/* training */
	buf_init(&b, 0);
	t0 = now();
	if (bayes_write_begin(dbpath, &w) < 0) {
		perror(dbpath);
		return 1;
	}
	for (unsigned i = 0; i < 2 * train; i++) {
		gen(&b, i % 2 == 0, i, 4096);
		(void)bayes_write_learn(w, (char *)b.data, b.len, i % 2 == 0);
		if (out != NULL)
			write_file(out, i % 2 == 0 ? "train-spam" :
			    "train-ham", i, &b);
	}
	if (bayes_write_commit(&w) < 0) {
		perror(dbpath);
		return 1;
	}
	t_train = now() - t0;

	/* the test messages, made before the clock starts */
	msgs = xcalloc(n, sizeof(*msgs));
	for (unsigned i = 0; i < n; i++) {
		buf_init(&msgs[i], 0);
		gen(&msgs[i], i % 2 == 0, 1000000 + i, 4096);
		bytes += msgs[i].len;
		if (out != NULL)
			write_file(out, "test", i, &msgs[i]);
	}

	t0 = now();
	for (unsigned i = 0; i < n; i++) {
		bayes_tokenize((char *)msgs[i].data, msgs[i].len,
		    var_bayes_scan_limit, &t);
		toks += t.n;
	}
	t_tok = now() - t0;

	if (bayes_open(dbpath, &db) < 0) {
		perror(dbpath);
		return 1;
	}
	t0 = now();
	for (unsigned i = 0; i < n; i++) {
		double p = bayes_classify(db, (char *)msgs[i].data,
		    msgs[i].len);

		sum += p;
		wrong += (i % 2 == 0) != (p > 0.5);
	}
	t_cls = now() - t0;

	/* as bogofilter -B does it: each message read from its file */
	if (out != NULL) {
		struct buf f = BUF_INIT;

		buf_init(&f, 0);
		t0 = now();
		for (unsigned i = 0; i < n; i++) {
			FILE *fp;
			char chunk[8192];
			size_t k;

			snprintf(path, sizeof(path), "%s/test/%06u", out, i);
			if ((fp = fopen(path, "r")) == NULL) {
				perror(path);
				return 1;
			}
			buf_reset(&f);
			while ((k = fread(chunk, 1, sizeof(chunk), fp)) > 0)
				buf_put(&f, chunk, k);
			fclose(fp);
			sum += bayes_classify(db, (char *)f.data, f.len);
		}
		t_files = now() - t0;
		buf_free(&f);
	}

	/* smtpd's rules, as at the end of DATA (no DNS asked here) */
	{
		struct spam_scan *s = xcalloc(1, sizeof(*s));
		struct spam_verdict v;
		double score = 0;

		t0 = now();
		for (unsigned i = 0; i < n; i++) {
			struct spam_input in = { .spf_checked = true,
			    .spf = SPF_NONE, .helo_resolves = 1,
			    .helo = "mx.example.net", .scan = s };

			spam_scan((char *)msgs[i].data, msgs[i].len, s);
			spam_judge(&in, &v);
			score += v.score;
		}
		t_rules = now() - t0;
		free(s);
		(void)score;
	}

	printf("corpus: %u test messages of %zu bytes on average, trained "
	    "on %u spam + %u ham\n", n, bytes / n, train, train);
	printf("database: %u tokens, %ld KB; generating and training took "
	    "%.3f s "
	    "(%.0f msg/s)\n", bayes_ntokens(db), (long)(sizeof(uint64_t) +
	    8) * bayes_ntokens(db) / 1024, t_train, 2 * train / t_train);
	printf("tokenized: %.0f msg/s (%.1f MB/s, %zu distinct tokens per "
	    "message)\n", n / t_tok, bytes / t_tok / 1e6, toks / n);
	printf("classified: %.0f msg/s (%.1f us each), %u wrong verdicts\n",
	    n / t_cls, t_cls / n * 1e6, wrong);
	if (t_files > 0)
		printf("classified from files: %.0f msg/s\n", n / t_files);
	printf("rules scored: %.0f msg/s (%.1f us each)\n", n / t_rules,
	    t_rules / n * 1e6);
	bayes_close(&db);
	for (unsigned i = 0; i < n; i++)
		buf_free(&msgs[i]);
	free(msgs);
	buf_free(&b);
	bayes_tokens_free(&t);
	(void)sum;
	snprintf(path, sizeof(path), "rm -rf '%s'", tmpl);
	if (system(path) != 0)
		fprintf(stderr, "bench-spam: cannot remove %s\n", tmpl);
	return 0;
}

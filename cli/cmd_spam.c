/*
 * NAME
 *	cmd_spam - postern spam: train, inspect and try the Bayesian
 *	classifier's token databases
 * SYNOPSIS
 *	postern spam train --spam|--ham [--user ADDRESS] FILE|DIR...
 *	postern spam stats [--user ADDRESS]
 *	postern spam classify [--user ADDRESS] FILE
 * DESCRIPTION
 *	train learns messages into the site database (store/.postern/bayes)
 *	or a user's (store/DOMAIN/USER/bayes): files are single RFC 5322
 *	messages, or mbox files (they start with "From "; lib/mail/mbox.h,
 *	so the output of postern user export works); a directory is read
 *	for its files, and its
 *	subdirectories (Maildir cur/ and new/, not tmp/) up to a small
 *	depth.  All messages of a run are one commit: one lock, one
 *	rewrite.  Only the first bayes_scan_limit bytes of each file are
 *	read, which is all the classifier looks at.
 *
 *	Run by root, the databases are written as store_owner (the
 *	effective ids switch to it around each database access), while
 *	the messages are read with root's rights, so an administrator can
 *	train from any directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "mail/bayes.h"
#include "mail/mbox.h"
#include "mail/mstore.h"
#include "mail/params.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/log.h"
#include "util/mem.h"

#define DIR_DEPTH_MAX	4

static struct passwd *owner;	/* when root: store_owner */

/* as_owner - effective ids: store_owner's (true) or back to root's */
static void
as_owner(bool on)
{
	if (owner == NULL)
		return;
	if (on) {
		if (setegid(owner->pw_gid) < 0 || seteuid(owner->pw_uid) < 0) {
			fprintf(stderr, "postern spam: cannot become %s "
			    "(store_owner): %s\n", owner->pw_name,
			    strerror(errno));
			exit(1);
		}
	} else if (seteuid(0) < 0 || setegid(0) < 0) {
		fprintf(stderr, "postern spam: cannot get root back: %s\n",
		    strerror(errno));
		exit(1);
	}
}

/* find_owner - store_owner, when we are root */
static int
find_owner(void)
{
	if (geteuid() != 0)
		return 0;
	if ((owner = getpwnam(var_store_owner)) == NULL) {
		fprintf(stderr, "postern spam: user '%s' (store_owner) does "
		    "not exist\n", var_store_owner);
		return -1;
	}
	/* the ids switch back and forth: drop root's supplementary
	 * groups for good, keep store_owner's group alone */
	if (setgroups(1, &owner->pw_gid) < 0) {
		fprintf(stderr, "postern spam: setgroups: %s\n",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* db_path - the database: the user's or the site's; -1 after saying */
static int
db_path(const char *cmd, const char *user, char *out, size_t size)
{
	char address[512];

	if (user == NULL) {
		if (bayes_site_path(var_store_dir, out, size) == 0)
			return 0;
	} else {
		if (cli_parse_address(cmd, user, address, sizeof(address)) < 0)
			return -1;
		if (bayes_user_path(var_store_dir, address, out, size) == 0)
			return 0;
	}
	fprintf(stderr, "postern %s: no database path for %s\n", cmd,
	    user != NULL ? user : "the site");
	return -1;
}

/* read_head - the first bayes_scan_limit bytes of path into b */
static int
read_head(const char *path, struct buf *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	buf_reset(b);
	if (fd < 0)
		return -1;
	if (buf_reserve(b, var_bayes_scan_limit + 1) < 0) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	while (b->len < var_bayes_scan_limit && (n = read(fd, b->data +
	    b->len, var_bayes_scan_limit - b->len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		b->len += (size_t)n;
	}
	close(fd);
	return 0;
}

struct train {
	struct bayes_writer *w;
	bool spam;
	struct buf msg;
	unsigned learned, known, moved, failed;
};

static void train_path(struct train *t, const char *path, int depth);
static void learn(struct train *t);

/* train_mbox - each message of an mbox file */
static void
train_mbox(struct train *t, const char *path)
{
	FILE *f = fopen(path, "re");
	struct mbox m;
	bool truncated;
	int rc;

	if (f == NULL) {
		fprintf(stderr, "postern spam train: %s: %s\n", path,
		    strerror(errno));
		t->failed++;
		return;
	}
	mbox_open(&m, f);
	while ((rc = mbox_next(&m, var_bayes_scan_limit, &t->msg,
	    &truncated)) == 1)
		learn(t);
	if (rc < 0) {
		fprintf(stderr, "postern spam train: %s: %s\n", path,
		    strerror(errno));
		t->failed++;
	}
	fclose(f);
}

/* train_dir - the files of a directory, and its subdirectories */
static void
train_dir(struct train *t, const char *path, int depth)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (d == NULL) {
		fprintf(stderr, "postern spam train: %s: %s\n", path,
		    strerror(errno));
		t->failed++;
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char *sub;

		/* dot files: ., .., Maildir++ folders and our own files;
		 * tmp/: Maildir messages still being written */
		if (e->d_name[0] == '.' || strcmp(e->d_name, "tmp") == 0)
			continue;
		sub = xasprintf("%s/%s", path, e->d_name);
		train_path(t, sub, depth + 1);
		free(sub);
	}
	closedir(d);
}

/* train_path - a message file, or a directory of them */
static void
train_path(struct train *t, const char *path, int depth)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "postern spam train: %s: %s\n", path,
		    strerror(errno));
		t->failed++;
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		if (depth < DIR_DEPTH_MAX)
			train_dir(t, path, depth);
		return;
	}
	if (!S_ISREG(st.st_mode))
		return;
	if (read_head(path, &t->msg) < 0) {
		fprintf(stderr, "postern spam train: %s: %s\n", path,
		    strerror(errno));
		t->failed++;
		return;
	}
	if (mbox_is((const char *)t->msg.data, t->msg.len)) {
		train_mbox(t, path);
		return;
	}
	learn(t);
}

/* learn - the message in t->msg */
static void
learn(struct train *t)
{
	int rc = bayes_write_learn(t->w, (const char *)t->msg.data,
	    t->msg.len, t->spam);

	if (rc == BAYES_LEARNED)
		t->learned++;
	else if (rc == BAYES_KNOWN)
		t->known++;
	else
		t->moved++;
}

/* stats_line - the counts of the database at path */
static int
stats_line(const char *cmd, const char *path, bool verbose)
{
	struct bayes_db *db;

	as_owner(true);
	if (bayes_open(path, &db) < 0) {
		fprintf(stderr, "postern %s: %s: %s\n", cmd, path,
		    errno == EINVAL ? "not a token database (damaged?)" :
		    strerror(errno));
		as_owner(false);
		return -1;
	}
	as_owner(false);
	if (verbose)
		printf("database: %s\nspam: %u\nham: %u\ntokens: %u\n"
		    "ready: %s\n", path, bayes_nspam(db), bayes_nham(db),
		    bayes_ntokens(db), bayes_nspam(db) >= var_bayes_min_spam &&
		    bayes_nham(db) >= var_bayes_min_ham ? "yes" : "no (needs "
		    "bayes_min_spam spam and bayes_min_ham ham messages)");
	else
		printf("%s: %u spam, %u ham, %u tokens\n", path,
		    bayes_nspam(db), bayes_nham(db), bayes_ntokens(db));
	bayes_close(&db);
	return 0;
}

static const struct option opts[] = {
	{ "spam", no_argument, NULL, 's' },
	{ "ham", no_argument, NULL, 'h' },
	{ "user", required_argument, NULL, 'u' },
	{ NULL, 0, NULL, 0 },
};

/* user_option - the only option of stats and classify: --user */
static int
user_option(int argc, char **argv, const char **user)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts + 2, NULL)) != -1) {
		if (ch != 'u')
			return -1;
		*user = optarg;
	}
	return 0;
}

/* spam_train - postern spam train */
static int
spam_train(int argc, char **argv)
{
	struct train t = { 0 };
	const char *user = NULL;
	char path[1024];
	int ch, cls = -1;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 's' || ch == 'h') {
			if (cls >= 0 && cls != (ch == 's'))
				return 2;
			cls = ch == 's';
		} else if (ch == 'u')
			user = optarg;
		else
			return 2;
	}
	if (cls < 0 || optind >= argc)
		return 2;
	t.spam = cls == 1;
	if (db_path("spam train", user, path, sizeof(path)) < 0)
		return 1;
	buf_init(&t.msg, 0);
	as_owner(true);
	if (user != NULL) {
		/* the mailbox directory, if nothing was delivered yet */
		char *dir = xstrdup(path);

		*strrchr(dir, '/') = '\0';
		if (file_mkdirs(dir, 0700) < 0) {
			fprintf(stderr, "postern spam train: %s: %s\n", dir,
			    strerror(errno));
			free(dir);
			return 1;
		}
		free(dir);
	}
	if (bayes_write_begin(path, &t.w) < 0) {
		fprintf(stderr, "postern spam train: %s: %s\n", path,
		    errno == EINVAL ? "not a token database (damaged?); "
		    "move it away to start afresh" : strerror(errno));
		return 1;
	}
	as_owner(false);
	for (int i = optind; i < argc; i++)
		train_path(&t, argv[i], 0);
	buf_free(&t.msg);
	as_owner(true);
	if (bayes_write_commit(&t.w) < 0) {
		fprintf(stderr, "postern spam train: %s: %s (nothing was "
		    "learned)\n", path, strerror(errno));
		return 1;
	}
	as_owner(false);
	printf("learned %u as %s, %u moved from %s, %u learned before, %u "
	    "unreadable\n", t.learned, t.spam ? "spam" : "ham", t.moved,
	    t.spam ? "ham" : "spam", t.known, t.failed);
	(void)stats_line("spam train", path, false);
	return t.failed > 0 ? 1 : 0;
}

/* spam_stats - postern spam stats */
static int
spam_stats(int argc, char **argv)
{
	const char *user = NULL;
	char path[1024];

	if (user_option(argc, argv, &user) < 0)
		return 2;
	if (optind != argc)
		return 2;
	if (db_path("spam stats", user, path, sizeof(path)) < 0)
		return 1;
	return stats_line("spam stats", path, true) < 0 ? 1 : 0;
}

/* spam_classify - postern spam classify */
static int
spam_classify(int argc, char **argv)
{
	struct bayes_verdict v;
	struct bayes_db *db;
	const char *user = NULL;
	struct buf msg = BUF_INIT;
	char path[1024];

	if (user_option(argc, argv, &user) < 0)
		return 2;
	if (optind + 1 != argc)
		return 2;
	if (db_path("spam classify", user, path, sizeof(path)) < 0)
		return 1;
	buf_init(&msg, 0);
	if (read_head(argv[optind], &msg) < 0) {
		fprintf(stderr, "postern spam classify: %s: %s\n",
		    argv[optind], strerror(errno));
		return 1;
	}
	as_owner(true);
	if (bayes_open(path, &db) < 0) {
		fprintf(stderr, "postern spam classify: %s: %s\n", path,
		    errno == EINVAL ? "not a token database (damaged?)" :
		    strerror(errno));
		return 1;
	}
	as_owner(false);
	if (bayes_classify_ex(db, (const char *)msg.data, msg.len, &v) < 0) {
		printf("-1\n");
		fprintf(stderr, "postern spam classify: %s has learned %u "
		    "spam and %u ham messages; verdicts need %lu and %lu "
		    "(bayes_min_spam, bayes_min_ham)\n", path, bayes_nspam(db),
		    bayes_nham(db), (unsigned long)var_bayes_min_spam,
		    (unsigned long)var_bayes_min_ham);
	} else
		printf("%.6f\n", v.prob);
	if (log_verbose > 0)
		fprintf(stderr, "tokens=%zu used=%zu\n", v.tokens, v.used);
	bayes_close(&db);
	buf_free(&msg);
	return 0;
}

int
cmd_spam(int argc, char **argv)
{
	int rc = 2;

	cli_load_quiet();
	if (argc >= 2 && find_owner() < 0)
		return 1;
	if (argc >= 2 && strcmp(argv[1], "train") == 0)
		rc = spam_train(argc - 1, argv + 1);
	else if (argc >= 2 && strcmp(argv[1], "stats") == 0)
		rc = spam_stats(argc - 1, argv + 1);
	else if (argc >= 2 && strcmp(argv[1], "classify") == 0)
		rc = spam_classify(argc - 1, argv + 1);
	if (rc != 2)
		return rc;
	fprintf(stderr, "usage: postern spam train --spam|--ham [--user "
	    "ADDRESS] FILE|DIR...\n"
	    "       postern spam stats [--user ADDRESS]\n"
	    "       postern spam classify [--user ADDRESS] FILE\n");
	return 2;
}

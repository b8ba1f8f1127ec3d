/*
 * NAME
 *	train - the user's spam filter learns from COPY and MOVE
 * DESCRIPTION
 *	A message copied or moved into the Junk folder (local_junk_folder,
 *	or the folder with the \Junk special use) is learned as spam into
 *	the user's own token database (DOMAIN/USER/bayes, lib/mail/bayes.h);
 *	one copied or moved out of Junk into another folder is learned as
 *	ham (it had been learned as spam if it got there by a move: its
 *	counts move).  Never the site database: one user must not be able
 *	to teach the filter of others.
 *
 *	imapd is the one place where the user's plaintext exists after
 *	delivery: the message is decrypted here, at most bayes_scan_limit
 *	bytes of it, tokenized and wiped.  A command learns at most
 *	spam_user_learning_limit messages and rewrites the database once.
 *	Any failure is logged and the command goes on: training is a side
 *	effect, never a reason to fail COPY or MOVE.
 * SECURITY
 *	The database holds 64-bit token hashes and counts, no text; it is
 *	written in the user's mailbox directory, which imapd (store owner,
 *	chrooted to the store) writes anyway.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "imapd/imapd.h"
#include "mail/bayes.h"
#include "mail/msgcrypt.h"
#include "mail/params.h"
#include "util/log.h"
#include "util/mem.h"

/* is_junk - whether a folder name is the Junk folder */
static bool
is_junk(const char *name)
{
	const char *use = folder_special(name);

	return strcasecmp(name, var_local_junk_folder) == 0 ||
	    (use != NULL && strcmp(use, "\\Junk") == 0);
}

void
train_start(struct session *ss, const char *dst, struct train *t)
{
	bool from = is_junk(ss->sel->name), to = is_junk(dst);

	memset(t, 0, sizeof(*t));
	t->on = var_spam_user_learning && from != to;
	t->spam = to;
}

/* read_head - the first max plaintext bytes of the stored file at path */
static int
read_head(struct session *ss, const char *path, size_t max, struct buf *out,
    const char **error_r)
{
	struct msgcrypt_reader r;
	uint8_t key[MSGCRYPT_KEY_LEN];
	ssize_t n = 0;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		*error_r = "cannot open the message";
		return -1;
	}
	buf_init(out, 0);
	if (buf_reserve(out, max + 1) < 0)
		msg_panic("%s: %zu bytes refused", __func__, max);
	if (keys_open(ss, fd, key, error_r) == 0 &&
	    msgcrypt_read_begin(&r, fd, key, error_r) == 0) {
		while (out->len < max && (n = msgcrypt_read(&r, out->data +
		    out->len, max - out->len, error_r)) > 0)
			out->len += (size_t)n;
		rc = n < 0 ? -1 : 0;
		msgcrypt_read_free(&r);
	}
	sodium_memzero(key, sizeof(key));
	close(fd);
	return rc;
}

void
train_add(struct session *ss, struct train *t, const char *path)
{
	struct buf msg = BUF_INIT;
	const char *why = NULL;
	char db[1024];
	int rc;

	if (!t->on)
		return;
	if (t->tried >= var_spam_user_learning_limit) {
		t->skipped++;
		return;
	}
	t->tried++;
	if (t->w == NULL && !t->broken) {
		/* Never wait for another trainer (postern spam train
		 * --user): the whole process would wait with us. */
		if (bayes_user_path(NULL, ss->acc.user, db, sizeof(db)) < 0 ||
		    bayes_write_try_begin(db, &t->w) < 0) {
			msg_warn("%s: bayes: cannot open %s: %s", ss->acc.user,
			    db, errno == EINVAL ? "not a token database" :
			    errno == EWOULDBLOCK ? "busy (another trainer "
			    "holds the lock); not learned" : strerror(errno));
			t->broken = true;
		}
	}
	if (t->broken) {
		t->failed++;
		return;
	}
	if (read_head(ss, path, var_bayes_scan_limit, &msg, &why) < 0) {
		msg_warn("%s: bayes: %s: %s", ss->acc.user, path, why != NULL ?
		    why : "cannot read");
		t->failed++;
	} else {
		rc = bayes_write_learn(t->w, (const char *)msg.data, msg.len,
		    t->spam);
		if (rc == BAYES_LEARNED)
			t->learned++;
		else if (rc == BAYES_MOVED)
			t->moved++;
		else
			t->known++;
	}
	mem_wipe(msg.data, msg.len);
	buf_free(&msg);
}

void
train_finish(struct session *ss, struct train *t)
{
	if (!t->on || t->tried + t->skipped == 0)
		return;
	if (t->w != NULL && t->learned + t->moved == 0)
		bayes_write_abort(&t->w);
	else if (t->w != NULL && bayes_write_commit(&t->w) < 0) {
		msg_warn("%s: bayes: cannot write the database: %m",
		    ss->acc.user);
		t->failed += t->learned + t->moved;
		t->learned = t->moved = 0;
	}
	msg_info("%s: bayes: class=%s learned=%u moved=%u known=%u "
	    "failed=%u skipped=%u", ss->acc.user, t->spam ? "spam" : "ham",
	    t->learned, t->moved, t->known, t->failed, t->skipped);
}

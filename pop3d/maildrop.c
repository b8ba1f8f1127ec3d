/*
 * NAME
 *	maildrop - the user's INBOX for one POP3 session: lock, snapshot,
 *	STAT, LIST, UIDL, DELE, RSET, and the UPDATE state
 * DESCRIPTION
 *	At login the session takes an exclusive flock on MAILDROP_LOCK in
 *	the mailbox; a second POP3 session gets -ERR [IN-USE] (RFC 2449
 *	8.1.1).  IMAP sessions take no such lock: they go on, and see what
 *	UPDATE changed as ordinary expunges and flag changes.
 *
 *	The maildrop is the INBOX index (lib/mail/mindex) as it was at
 *	login, after new deliveries were given UIDs: messages delivered
 *	later wait for the next session (RFC 1939 does not let the list
 *	grow).  Sizes are the plaintext sizes recorded in the file names
 *	at delivery, which are exactly the octets RETR sends before
 *	dot-stuffing: RETR sends the stored bytes unchanged.  A UIDL is
 *	"UIDVALIDITY.UID": stable across sessions and restarts, never
 *	reused, and new for every message if the mailbox is ever rebuilt.
 *
 *	DELE only marks.  UPDATE (QUIT in TRANSACTION) expunges the marked
 *	messages under the index lock and sets \Seen on the retrieved
 *	ones; a connection that ends any other way changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/mstore.h"
#include "pop3d/pop3d.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strnum.h"

#define MAILDROP_LOCK	"postern-pop3.lock"

/* lock - the maildrop's POP3 lock; 0, 1 held by another session, -1 */
static int
lock(struct session *ss)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/" MAILDROP_LOCK, ss->mdir);
	ss->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (ss->lock_fd < 0) {
		msg_warn("%s: cannot open %s: %m", ss->acc.user, path);
		return -1;
	}
	if (flock(ss->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	close(ss->lock_fd);
	ss->lock_fd = -1;
	return errno == EWOULDBLOCK ? 1 : -1;
}

int
maildrop_open(struct session *ss)
{
	char mdir[512];
	struct stat st;
	const char *why;
	int rc;

	if (mstore_mailbox_dir(ss->acc.user, mdir, sizeof(mdir)) < 0) {
		msg_warn("%s: the address cannot name a mailbox", ss->acc.user);
		err(ss, false, "[SYS/PERM] This account has no usable "
		    "mailbox");
		return -1;
	}
	ss->mdir = xstrdup(mdir);
	if (stat(mdir, &st) < 0 && errno == ENOENT)
		return 0;	/* nothing delivered yet: an empty maildrop */
	if ((rc = lock(ss)) != 0) {
		if (rc > 0)
			msg_info("[%s] %s: maildrop in use", ss->addr,
			    ss->acc.user);
		err(ss, false, rc > 0 ? "[IN-USE] Another POP3 session holds "
		    "this maildrop" : "[SYS/TEMP] Cannot lock the maildrop");
		return -1;
	}
	if (mindex_open(&ss->x, mdir, &why) < 0 ||
	    (ss->x_open = true, mindex_sync_new(&ss->x) < 0) ||
	    mindex_refresh(&ss->x) < 0) {
		msg_warn("%s: %s: cannot read the index: %s", ss->acc.user,
		    mdir, ss->x_open ? "read error" : why);
		err(ss, false, "[SYS/TEMP] Cannot read the maildrop");
		return -1;
	}
	ss->msgs = xcalloc(ss->x.n + 1, sizeof(*ss->msgs));
	for (size_t i = 0; i < ss->x.n; i++) {
		struct mindex_msg *m = &ss->x.msgs[i];

		ss->msgs[i] = (struct pop3_msg){ .uid = m->uid,
		    .size = mstore_name_size(m->name), .name = xstrdup(m->name) };
	}
	ss->n_msgs = ss->x.n;
	return 0;
}

void
maildrop_close(struct session *ss)
{
	for (size_t i = 0; i < ss->n_msgs; i++)
		free(ss->msgs[i].name);
	free(ss->msgs);
	ss->msgs = NULL;
	ss->n_msgs = 0;
	if (ss->x_open)
		mindex_close(&ss->x);
	ss->x_open = false;
	if (ss->lock_fd >= 0)
		close(ss->lock_fd);	/* releases the flock */
	ss->lock_fd = -1;
	free(ss->mdir);
	ss->mdir = NULL;
}

int
maildrop_update(struct session *ss)
{
	unsigned deleted = 0, seen = 0, failed = 0;

	if (!ss->x_open)
		return 0;
	if (mindex_lock(&ss->x) < 0) {
		msg_warn("%s: cannot lock the index for UPDATE", ss->acc.user);
		return -1;
	}
	(void)mindex_refresh(&ss->x);
	for (size_t i = 0; i < ss->n_msgs; i++) {
		struct pop3_msg *p = &ss->msgs[i];
		struct mindex_msg *m = mindex_find(&ss->x, p->uid);

		if (m == NULL)
			continue;	/* expunged over IMAP meanwhile */
		if (p->deleted) {
			if (mindex_expunge(&ss->x, p->uid) == 0)
				deleted++;
			else
				failed++;
		} else if (p->retrieved && !(m->flags & MF_SEEN)) {
			if (mindex_set_flags(&ss->x, p->uid, m->flags |
			    MF_SEEN) == 0)
				seen++;
		}
	}
	mindex_unlock(&ss->x);
	msg_info("[%s] update: user=%s deleted=%u seen=%u%s", ss->addr,
	    ss->acc.user, deleted, seen, failed ? " (some failed)" : "");
	return failed ? -1 : 0;
}

struct pop3_msg *
maildrop_msg(struct session *ss, const char *arg)
{
	const char *why;
	uint64_t n;

	if (strnum_u64(arg, 1, UINT32_MAX, &n, &why) < 0) {
		err(ss, true, "Bad message number");
		return NULL;
	}
	if (n > ss->n_msgs) {
		err(ss, false, "No such message, only %zu in maildrop",
		    ss->n_msgs);
		return NULL;
	}
	if (ss->msgs[n - 1].deleted) {
		err(ss, false, "Message %llu already deleted",
		    (unsigned long long)n);
		return NULL;
	}
	return &ss->msgs[n - 1];
}

void
cmd_stat(struct session *ss, char *arg)
{
	uint64_t octets = 0;
	size_t n = 0;

	if (*arg != '\0') {
		err(ss, true, "STAT takes no arguments");
		return;
	}
	for (size_t i = 0; i < ss->n_msgs; i++)
		if (!ss->msgs[i].deleted) {
			n++;
			octets += ss->msgs[i].size;
		}
	ok(ss, "%zu %llu", n, (unsigned long long)octets);
}

/* listing - LIST and UIDL: one message, or all that are not deleted */
static void
listing(struct session *ss, const char *arg, bool uidl)
{
	struct pop3_msg *p;

	if (*arg != '\0') {
		if ((p = maildrop_msg(ss, arg)) == NULL)
			return;
		if (uidl)
			ok(ss, "%zu %u.%u", (size_t)(p - ss->msgs) + 1,
			    ss->x.uidvalidity, p->uid);
		else
			ok(ss, "%zu %llu", (size_t)(p - ss->msgs) + 1,
			    (unsigned long long)p->size);
		return;
	}
	ok(ss, uidl ? "Unique-ID listing follows" : "Scan listing follows");
	for (size_t i = 0; i < ss->n_msgs; i++) {
		p = &ss->msgs[i];
		if (p->deleted)
			continue;
		if (uidl)
			stream_printf(ss->s, "%zu %u.%u\r\n", i + 1,
			    ss->x.uidvalidity, p->uid);
		else
			stream_printf(ss->s, "%zu %llu\r\n", i + 1,
			    (unsigned long long)p->size);
	}
	stream_printf(ss->s, ".\r\n");
}

void
cmd_list(struct session *ss, char *arg)
{
	listing(ss, arg, false);
}

void
cmd_uidl(struct session *ss, char *arg)
{
	listing(ss, arg, true);
}

void
cmd_dele(struct session *ss, char *arg)
{
	struct pop3_msg *p = maildrop_msg(ss, arg);

	if (p == NULL)
		return;
	p->deleted = true;
	ok(ss, "Message %zu deleted", (size_t)(p - ss->msgs) + 1);
}

void
cmd_rset(struct session *ss, char *arg)
{
	size_t n = 0;
	uint64_t octets = 0;

	if (*arg != '\0') {
		err(ss, true, "RSET takes no arguments");
		return;
	}
	for (size_t i = 0; i < ss->n_msgs; i++) {
		ss->msgs[i].deleted = false;
		n++;
		octets += ss->msgs[i].size;
	}
	ok(ss, "Maildrop has %zu messages (%llu octets)", n,
	    (unsigned long long)octets);
}

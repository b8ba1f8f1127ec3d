/*
 * NAME
 *	store - commands that change messages: STORE (with UNCHANGEDSINCE),
 *	COPY and MOVE (with COPYUID), APPEND (with APPENDUID)
 *	(RFC 3501 6.4.6-6.4.7, 6.3.11; RFC 6851; RFC 4315; RFC 7162 3.1.3)
 * DESCRIPTION
 *	A copy shares the encrypted file: the copy is a hard link under a
 *	new name in the target folder, logged there with the same flags.
 *	Nothing is re-encrypted and nothing is decrypted: the content key
 *	is sealed to the same user.  MOVE is COPY, then the source's
 *	expunge, so a crash in between leaves a copy, never a loss.
 *	APPEND seals the new message to the user's public key through
 *	mstore, the one writer of stored messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imapd/imapd.h"
#include "mail/expires.h"
#include "mail/imap_date.h"
#include "mail/mexpire.h"
#include "mail/mstore.h"
#include "mail/params.h"
#include "util/log.h"
#include "util/mem.h"

int
flags_parse(struct mindex *x, const struct imap_arg *a, bool create,
    uint64_t *flags)
{
	static const char *const names[] = { "\\Seen", "\\Answered",
	    "\\Flagged", "\\Deleted", "\\Draft" };
	const struct imap_arg *f = a->type == IMAP_LIST ? a->list : a;

	*flags = 0;
	for (; f != NULL; f = a->type == IMAP_LIST ? f->next : NULL) {
		bool found = false;
		int k;

		if (f->type != IMAP_ATOM)
			return -1;
		for (unsigned i = 0; i < 5 && !found; i++)
			if (imap_arg_is_atom(f, names[i])) {
				*flags |= 1u << i;
				found = true;
			}
		if (found || imap_arg_is_atom(f, "\\Recent"))
			continue;
		if (f->len > 0 && f->data[0] == '\\')
			return -1;	/* no other system flags exist */
		k = mindex_keyword(x, f->data, f->len, create);
		if (k >= 0)
			*flags |= MF_KEYWORD(k);
		else if (create)
			return -1;
	}
	return 0;
}

/* ---- STORE. ---- */

struct store {
	char op;		/* '=', '+', '-' */
	bool silent;
	uint64_t flags;
	uint64_t unchangedsince;	/* 0: none */
	struct buf modified;	/* RFC 7162 MODIFIED set */
	bool failed;
	bool uid;
};

static int
store_one(struct session *ss, uint32_t seq, void *ctx)
{
	struct store *st = ctx;
	struct mindex *x = &ss->sel->f->x;
	struct mindex_msg *m = view_msg(ss, seq);
	struct buf out = BUF_INIT;
	uint64_t flags;

	if (m == NULL)
		return 0;
	if (st->unchangedsince > 0 && m->modseq > st->unchangedsince) {
		buf_printf(&st->modified, "%s%u",
		    st->modified.len ? "," : "", st->uid ? m->uid : seq);
		return 0;
	}
	flags = st->op == '=' ? st->flags : st->op == '+' ?
	    m->flags | st->flags : m->flags & ~st->flags;
	if (flags != m->flags || st->unchangedsince > 0) {
		if (mindex_set_flags(x, m->uid, flags) < 0) {
			st->failed = true;
			return 0;
		}
		m = mindex_find(x, ss->sel->uids[seq - 1]);
		if (m == NULL)
			return 0;
	}
	if (st->silent && !(ss->condstore && st->unchangedsince > 0))
		return 0;
	buf_printf(&out, "* %u FETCH (", seq);
	if (st->uid)
		buf_printf(&out, "UID %u ", m->uid);
	if (!st->silent) {
		buf_puts(&out, "FLAGS ");
		view_flags(ss, seq, m->flags, &out);
	}
	if (ss->condstore)
		buf_printf(&out, "%sMODSEQ (%llu)", st->silent ? "" :
		    " ", (unsigned long long)m->modseq);
	buf_puts(&out, ")\r\n");
	session_write(ss, out.data, out.len);
	buf_free(&out);
	return 0;
}

void
cmd_store(struct session *ss, struct imap_command *c, bool uid)
{
	struct store st = { .uid = uid };
	struct mindex *x = &ss->sel->f->x;
	const struct imap_arg *a = c->args, *item, *flags;
	struct imap_seqset set;
	char num[32];
	int rc;

	if (c->n_args < 3 || a->type != IMAP_ATOM) {
		tagged(ss, c->tag, "BAD", "STORE needs a message set, an item "
		    "and flags");
		return;
	}
	item = a->next;
	if (item->type == IMAP_LIST) {
		/* (UNCHANGEDSINCE n), RFC 7162 3.1.3 */
		if (item->count != 2 ||
		    !imap_arg_is_atom(item->list, "UNCHANGEDSINCE") ||
		    item->list->next->len >= sizeof(num)) {
			tagged(ss, c->tag, "BAD", "Bad STORE modifier");
			return;
		}
		snprintf(num, sizeof(num), "%.*s", (int)item->list->next->len,
		    item->list->next->data);
		if (sscanf(num, "%llu",
		    (unsigned long long *)&st.unchangedsince) != 1) {
			tagged(ss, c->tag, "BAD", "Bad UNCHANGEDSINCE");
			return;
		}
		ss->condstore = true;
		item = item->next;
	}
	flags = item != NULL ? item->next : NULL;
	if (item == NULL || item->type != IMAP_ATOM || flags == NULL ||
	    flags->next != NULL) {
		tagged(ss, c->tag, "BAD", "STORE needs an item and flags");
		return;
	}
	st.op = item->data[0] == '+' ? '+' : item->data[0] == '-' ? '-' : '=';
	{
		const char *name = item->data + (st.op != '=');
		size_t len = item->len - (st.op != '=');

		st.silent = len == 12 && strncasecmp(name, "FLAGS.SILENT",
		    12) == 0;
		if (!st.silent && !(len == 5 && strncasecmp(name, "FLAGS",
		    5) == 0)) {
			tagged(ss, c->tag, "BAD", "STORE item must be FLAGS, "
			    "+FLAGS or -FLAGS (.SILENT)");
			return;
		}
	}
	if (ss->sel->readonly) {
		tagged(ss, c->tag, "NO", "[READ-ONLY] The folder is read-only");
		return;
	}
	if (flags_parse(x, flags, st.op != '-', &st.flags) < 0) {
		tagged(ss, c->tag, "BAD", "Bad flag (or no room for more "
		    "keywords)");
		return;
	}
	if (imap_seqset_parse(a->data, a->len, &set) < 0) {
		tagged(ss, c->tag, "BAD", "Bad message set");
		return;
	}
	/* Others' changes first, so that ours are not reported twice. */
	view_sync(ss, uid);
	if (mindex_lock(x) < 0) {
		imap_seqset_free(&set);
		tagged(ss, c->tag, "NO", "[SERVERBUG] Cannot lock the index");
		return;
	}
	rc = view_set(ss, &set, uid, store_one, &st);
	mindex_unlock(x);
	ss->sel->modseq_seen = x->highestmodseq;
	imap_seqset_free(&set);
	folder_changed(ss->sel->f);
	if (rc == -1)
		tagged(ss, c->tag, "BAD", "Message sequence number out of "
		    "range");
	else if (st.failed)
		tagged(ss, c->tag, "NO", "[SERVERBUG] Some flags could not be "
		    "stored");
	else if (st.modified.len > 0)
		tagged(ss, c->tag, "OK", "[MODIFIED %s] Conditional STORE "
		    "failed for some messages", buf_cstr(&st.modified));
	else
		tagged(ss, c->tag, "OK", "%sSTORE completed", uid ? "UID " :
		    "");
	buf_free(&st.modified);
}

/* ---- COPY and MOVE. ---- */

struct copy {
	struct folder *dst;
	const char *dst_disk;	/* its name for mstore ("" inbox) */
	struct buf src_uids, dst_uids;
	uint32_t *moved;	/* source UIDs to expunge (MOVE) */
	size_t n_moved;
	bool failed;
	struct train train;	/* into or out of Junk: the spam filter */
};

static int
copy_one(struct session *ss, uint32_t seq, void *ctx)
{
	struct copy *cp = ctx;
	struct mindex_msg *m = view_msg(ss, seq);
	char from[1400], name[256], to[1400];
	uint32_t new_uid;
	int64_t expires;

	if (m == NULL)
		return 0;
	snprintf(from, sizeof(from), "%s/cur/%s", ss->sel->f->path, m->name);
	mstore_new_name(message_size(m), name, sizeof(name));
	/* A copy expires with its original (mexpire.h). */
	if ((expires = mexpire_name_time(m->name)) > 0) {
		snprintf(name + strlen(name), sizeof(name) - strlen(name),
		    ",E=%lld", (long long)expires);
		if (mexpire_due_add(expires, ss->acc.user, cp->dst_disk, name) <
		    0)
			msg_warn("%s: copy: cannot record the expiry: %m (the "
			    "hourly store pass will find it)", ss->acc.user);
	}
	snprintf(to, sizeof(to), "%s/new/%s", cp->dst->path, name);
	if (link(from, to) < 0 || mindex_add(&cp->dst->x, name,
	    m->flags & MF_SYSTEM, &new_uid) < 0) {
		msg_warn("%s: copy %s to %s: %m", ss->acc.user, from, to);
		(void)unlink(to);
		cp->failed = true;
		return -1;
	}
	buf_printf(&cp->src_uids, "%s%u", cp->src_uids.len ? "," : "",
	    m->uid);
	buf_printf(&cp->dst_uids, "%s%u", cp->dst_uids.len ? "," : "",
	    new_uid);
	cp->moved = xrealloc(cp->moved, (cp->n_moved + 1) * sizeof(uint32_t));
	cp->moved[cp->n_moved++] = m->uid;
	train_add(ss, &cp->train, from);
	return 0;
}

void
cmd_copy(struct session *ss, struct imap_command *c, bool uid)
{
	bool move = strcmp(c->name, "MOVE") == 0;
	struct copy cp = { 0 };
	char name[512], dir[1100];
	struct imap_seqset set;
	const char *why;
	int rc;

	if (c->n_args != 2 || c->args->type != IMAP_ATOM ||
	    mailbox_name(ss, c->args->next, name, sizeof(name)) == NULL) {
		tagged(ss, c->tag, "BAD", "%s needs a message set and a folder%s",
		    c->name, name_coding(ss));
		return;
	}
	if (move && ss->sel->readonly) {
		tagged(ss, c->tag, "NO", "[READ-ONLY] The folder is read-only");
		return;
	}
	if (imap_seqset_parse(c->args->data, c->args->len, &set) < 0) {
		tagged(ss, c->tag, "BAD", "Bad message set");
		return;
	}
	if (folder_dir(ss, name, dir, sizeof(dir)) < 0 ||
	    (cp.dst = folder_get(dir, &why)) == NULL) {
		imap_seqset_free(&set);
		tagged(ss, c->tag, "NO", "[TRYCREATE] No such folder");
		return;
	}
	train_start(ss, name, &cp.train);
	cp.dst_disk = folder_is_inbox(name) ? "" : dir + strlen(ss->mdir) + 2;
	rc = view_set(ss, &set, uid, copy_one, &cp);
	imap_seqset_free(&set);
	/* Before MOVE's expunge: a crash in between leaves the copy, and
	 * relearning it is a no-op (the database remembers it). */
	train_finish(ss, &cp.train);
	if (move && cp.n_moved > 0 && cp.dst != ss->sel->f) {
		struct mindex *x = &ss->sel->f->x;

		if (mindex_lock(x) == 0) {
			for (size_t i = 0; i < cp.n_moved; i++)
				(void)mindex_expunge(x, cp.moved[i]);
			mindex_unlock(x);
		}
		folder_changed(ss->sel->f);
	}
	folder_changed(cp.dst);
	if (rc == -1)
		tagged(ss, c->tag, "BAD", "Message sequence number out of "
		    "range");
	else if (cp.failed)
		tagged(ss, c->tag, "NO", "[SERVERBUG] %s failed; nothing was "
		    "removed", c->name);
	else if (cp.src_uids.len == 0)
		tagged(ss, c->tag, "OK", "%s completed (no messages)", c->name);
	else if (move) {
		/* RFC 6851 4.3: COPYUID comes untagged, before EXPUNGEs. */
		untagged(ss, "OK [COPYUID %u %s %s] Moved",
		    cp.dst->x.uidvalidity, buf_cstr(&cp.src_uids),
		    buf_cstr(&cp.dst_uids));
		tagged(ss, c->tag, "OK", "MOVE completed");
	} else
		tagged(ss, c->tag, "OK", "[COPYUID %u %s %s] COPY completed",
		    cp.dst->x.uidvalidity, buf_cstr(&cp.src_uids),
		    buf_cstr(&cp.dst_uids));
	folder_put(cp.dst);
	free(cp.moved);
	buf_free(&cp.src_uids);
	buf_free(&cp.dst_uids);
}

/* ---- APPEND. ---- */

/* crlf_lines - when text has a line end that is a bare LF, text with
 * CRLF there into out, and true; false (out untouched) if it has none */
static bool
crlf_lines(const char *text, size_t len, struct buf *out)
{
	const char *p = text, *end = text + len, *lf;
	bool bare = false;

	for (lf = memchr(p, '\n', len); lf != NULL && !bare;
	    lf = memchr(lf + 1, '\n', (size_t)(end - lf - 1)))
		bare = lf == text || lf[-1] != '\r';
	if (!bare)
		return false;
	buf_init(out, 0);
	while ((lf = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		buf_put(out, p, (size_t)(lf - p));
		if (lf == text || lf[-1] != '\r')
			buf_putc(out, '\r');
		buf_putc(out, '\n');
		p = lf + 1;
	}
	buf_put(out, p, (size_t)(end - p));
	return true;
}

/* append_expiry - the Expires: time of an appended message (a client's
 * sent copy, say), 0 if none or unusable: the plaintext is in hand only
 * here, so the expiry is recorded now (lib/mail/mexpire.h) */
static int64_t
append_expiry(const struct session *ss, const struct buf *data)
{
	char value[EXPIRES_VALUE_MAX + 1], safe[1024];
	const char *why;
	int64_t when = 0;

	if (!var_expire_from_header)
		return 0;
	switch (expires_header((const char *)data->data, data->len, value,
	    sizeof(value), &when, &why)) {
	case 1:
		return when;
	case -1:
		expires_log_value(value, safe, sizeof(safe));
		msg_info("%s: APPEND: Expires: \"%s\" ignored: %s",
		    ss->acc.user, safe, why);
		break;
	}
	return 0;
}

void
cmd_append(struct session *ss, struct imap_command *c, bool uid)
{
	const struct imap_arg *a = c->args->next, *flag_arg = NULL, *msg;
	char name[512], dir[1100], fname[256];
	struct mstore_result r = { 0 };
	struct buf data = BUF_INIT;
	struct folder *f;
	const char *why, *disk, *base;
	uint64_t flags = 0;
	time_t date = 0;
	struct buf fixed = BUF_INIT;
	int tz = 0, rc;
	uint32_t new_uid;

	(void)uid;
	if (c->n_args < 2 || mailbox_name(ss, c->args, name, sizeof(name)) ==
	    NULL) {
		tagged(ss, c->tag, "BAD", "APPEND needs a folder and a "
		    "message%s", name_coding(ss));
		return;
	}
	if (a->type == IMAP_LIST) {
		flag_arg = a;
		a = a->next;
	}
	if (a != NULL && a->type == IMAP_QUOTED) {
		char text[64];

		snprintf(text, sizeof(text), "%.*s", (int)(a->len < 63 ?
		    a->len : 63), a->data);
		if (imap_date_time_parse(text, &date, &tz) < 0) {
			tagged(ss, c->tag, "BAD", "Bad date-time");
			return;
		}
		a = a->next;
	}
	msg = a;
	if (msg == NULL || msg->type != IMAP_LITERAL || msg->next != NULL) {
		tagged(ss, c->tag, "BAD", "APPEND needs the message as a "
		    "literal (one message per APPEND)");
		return;
	}
	if (msg->len == 0) {
		tagged(ss, c->tag, "NO", "An empty message cannot be stored");
		return;
	}
	if (msg->len > var_message_size_limit) {
		tagged(ss, c->tag, "NO", "[TOOBIG] Message larger than "
		    "message_size_limit");
		return;
	}
	if (!ss->acc.has_public_key) {
		tagged(ss, c->tag, "NO", "[UNAVAILABLE] This account has no key "
		    "to seal messages with");
		return;
	}
	if (folder_dir(ss, name, dir, sizeof(dir)) < 0 ||
	    (f = folder_get(dir, &why)) == NULL) {
		tagged(ss, c->tag, "NO", "[TRYCREATE] No such folder");
		return;
	}
	if (flag_arg != NULL && flags_parse(&f->x, flag_arg, true, &flags) <
	    0) {
		folder_put(f);
		tagged(ss, c->tag, "BAD", "Bad flag");
		return;
	}
	/* mstore names folders as they are on disk, without the dot. */
	disk = folder_is_inbox(name) ? "" : dir + strlen(ss->mdir) + 2;
	data.data = (uint8_t *)msg->data;
	data.len = msg->len;
	/* Lines end in CRLF in the store, as they do in mail that came over
	 * SMTP, so that sizes are what IMAP and POP3 send; a literal8 is
	 * binary and kept as it is. */
	if (!msg->literal8 && crlf_lines(msg->data, msg->len, &fixed))
		data = fixed;
	rc = mstore_deliver_until(ss->acc.user, disk, ss->acc.public_key,
	    &data, -1, 0, 0, folder_quota_limit(ss), append_expiry(ss, &data),
	    &r);
	buf_free_wipe(&fixed);
	if (rc < 0) {
		folder_put(f);
		if (strcmp(r.dsn, "5.2.2") == 0)
			tagged(ss, c->tag, "NO", "[OVERQUOTA] Over quota");
		else
			tagged(ss, c->tag, "NO", "[SERVERBUG] Cannot store the "
			    "message: %s", r.text);
		return;
	}
	base = strrchr(r.text, '/');
	snprintf(fname, sizeof(fname), "%s", base != NULL ? base + 1 : r.text);
	if (date != 0) {
		struct timespec ts[2] = { { date, 0 }, { date, 0 } };
		char path[1400];

		snprintf(path, sizeof(path), "%s/new/%s", dir, fname);
		(void)utimensat(AT_FDCWD, path, ts, 0);
	}
	if (mindex_add(&f->x, fname, flags, &new_uid) < 0) {
		folder_put(f);
		tagged(ss, c->tag, "NO", "[SERVERBUG] Cannot index the message");
		return;
	}
	folder_changed(f);
	tagged(ss, c->tag, "OK", "[APPENDUID %u %u] APPEND completed",
	    f->x.uidvalidity, new_uid);
	folder_put(f);
}

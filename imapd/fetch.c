/*
 * NAME
 *	fetch - FETCH and UID FETCH (RFC 3501 6.4.5, RFC 9051 6.4.5, RFC
 *	3516 BINARY, RFC 7162 CHANGEDSINCE and VANISHED)
 * DESCRIPTION
 *	The items are parsed once into a list; each message then gets one
 *	FETCH response.  Sections decrypt the message once for all of them;
 *	ENVELOPE, BODY and BODYSTRUCTURE come from the folder's encrypted
 *	cache (cache.c) unless the message is decrypted anyway; FLAGS, UID,
 *	RFC822.SIZE, INTERNALDATE and MODSEQ need no decryption.  A message another session expunged meanwhile is
 *	skipped without error (RFC 2180 4.1.2 lets the server choose).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapd/imapd.h"
#include "mail/imap_date.h"
#include "mail/imap_fetch.h"
#include "mail/imap_section.h"
#include "util/log.h"
#include "util/mem.h"

#define ITEMS_MAX	64
/* A FETCH writes until this much output waits for the client, and goes on
 * once the client has read it down to FETCH_LOW: memory per session stays
 * bounded whatever the folder's size. */
#define FETCH_HIGH	(256 * 1024)
#define FETCH_LOW	(64 * 1024)

enum item_kind {
	I_FLAGS, I_UID, I_SIZE, I_DATE, I_ENVELOPE, I_BODY, I_BODYSTRUCTURE,
	I_MODSEQ, I_SECTION,
};

struct item {
	enum item_kind kind;
	struct imap_section sec;	/* I_SECTION */
};

struct fetch {
	struct item items[ITEMS_MAX];
	size_t n;
	bool content;		/* some item needs the decrypted message */
	bool derived;		/* ENVELOPE, BODY or BODYSTRUCTURE */
	struct cache *cache;	/* for derived items without content */
	bool sets_seen;		/* a non-PEEK body section */
	bool has_flags, has_uid, has_modseq;
	uint64_t changedsince;
	bool vanished;
	const char *error;	/* the first failure, for NO */
	bool uid;		/* UID FETCH: every response has UID */
	struct imap_seqset set;
	size_t next;		/* view index to go on from */
	char tag[IMAP_TAG_MAX + 1];
};

/* add - one item; 0, or -1 with *error_r */
static int
add(struct fetch *f, const struct imap_arg *a, const char **error_r)
{
	static const struct {
		const char *name;
		enum item_kind kind;
	} simple[] = {
		{ "FLAGS", I_FLAGS }, { "UID", I_UID },
		{ "RFC822.SIZE", I_SIZE }, { "INTERNALDATE", I_DATE },
		{ "ENVELOPE", I_ENVELOPE }, { "BODY", I_BODY },
		{ "BODYSTRUCTURE", I_BODYSTRUCTURE }, { "MODSEQ", I_MODSEQ },
	};
	struct item *it;

	if (a->type != IMAP_ATOM) {
		*error_r = "fetch items are atoms";
		return -1;
	}
	if (f->n == ITEMS_MAX) {
		*error_r = "too many fetch items";
		return -1;
	}
	it = &f->items[f->n];
	memset(it, 0, sizeof(*it));
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		if (imap_arg_is_atom(a, simple[i].name)) {
			it->kind = simple[i].kind;
			f->n++;
			f->derived |= it->kind == I_ENVELOPE ||
			    it->kind == I_BODY || it->kind == I_BODYSTRUCTURE;
			f->has_flags |= it->kind == I_FLAGS;
			f->has_uid |= it->kind == I_UID;
			f->has_modseq |= it->kind == I_MODSEQ;
			return 0;
		}
	if (imap_section_parse(a->data, a->len, &it->sec, error_r) < 0)
		return -1;
	it->kind = I_SECTION;
	f->n++;
	f->content = true;
	f->sets_seen |= it->sec.sets_seen;
	return 0;
}

/* parse - the items argument: a macro, one item or a list */
static int
parse(struct fetch *f, const struct imap_arg *a, const char **error_r)
{
	static const char *const macros[][5] = {
		{ "ALL", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE" },
		{ "FAST", "FLAGS", "INTERNALDATE", "RFC822.SIZE", NULL },
		{ "FULL", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE" },
	};

	if (a->type == IMAP_ATOM)
		for (size_t m = 0; m < 3; m++) {
			if (!imap_arg_is_atom(a, macros[m][0]))
				continue;
			for (size_t i = 1; i < 5 && macros[m][i] != NULL; i++) {
				struct imap_arg one = { .type = IMAP_ATOM,
				    .data = macros[m][i],
				    .len = strlen(macros[m][i]) };

				(void)add(f, &one, error_r);
			}
			if (m == 2) {
				struct imap_arg body = { .type = IMAP_ATOM,
				    .data = "BODY", .len = 4 };

				(void)add(f, &body, error_r);
			}
			return 0;
		}
	if (a->type != IMAP_LIST)
		return add(f, a, error_r);
	if (a->count == 0) {
		*error_r = "empty fetch item list";
		return -1;
	}
	for (const struct imap_arg *i = a->list; i != NULL; i = i->next)
		if (add(f, i, error_r) < 0)
			return -1;
	return 0;
}

/* modifiers - "(CHANGEDSINCE n [VANISHED])" (RFC 7162 3.1.4, 3.2.6) */
static int
modifiers(struct session *ss, struct fetch *f, const struct imap_arg *a,
    bool uid, const char **error_r)
{
	char num[32];

	*error_r = "bad FETCH modifiers";
	if (a->type != IMAP_LIST)
		return -1;
	for (const struct imap_arg *m = a->list; m != NULL; m = m->next) {
		if (imap_arg_is_atom(m, "CHANGEDSINCE") && m->next != NULL &&
		    m->next->len < sizeof(num)) {
			snprintf(num, sizeof(num), "%.*s", (int)m->next->len,
			    m->next->data);
			if (sscanf(num, "%llu",
			    (unsigned long long *)&f->changedsince) != 1)
				return -1;
			m = m->next;
			ss->condstore = true;
		} else if (imap_arg_is_atom(m, "VANISHED") && uid &&
		    ss->qresync) {
			f->vanished = true;
		} else {
			return -1;
		}
	}
	/* VANISHED needs CHANGEDSINCE (RFC 7162 3.2.6). */
	return f->vanished && f->changedsince == 0 ? -1 : 0;
}

/* literal - bytes as an IMAP literal (literal8 for BINARY with NUL) */
static void
literal(struct buf *out, const struct buf *b, bool binary)
{
	bool nul = binary && memchr(b->data, '\0', b->len) != NULL;

	buf_printf(out, "%s{%zu}\r\n", nul ? "~" : "", b->len);
	buf_put(out, b->data, b->len);
}

/* one - the FETCH response of message seq */
static int
one(struct session *ss, uint32_t seq, void *ctx)
{
	struct fetch *f = ctx;
	struct mindex_msg *m = view_msg(ss, seq);
	struct buf out = BUF_INIT, part = BUF_INIT;
	struct cache_entry ce = { 0 };
	uint64_t flags;
	bool space = false, seen_now = false;
	const char *why;

#define SEP() do { if (space) buf_putc(&out, ' '); \
	space = true; } while (0)
	if (m == NULL)
		return 0;
	if (f->changedsince > 0 && m->modseq <= f->changedsince)
		return 0;
	if ((f->content && message_load(ss, m, &why) < 0) ||
	    (f->derived && !f->content && cache_get(f->cache, m, &ce,
	    &why) < 0)) {
		if (f->error == NULL)
			f->error = why;
		return 0;
	}
	flags = m->flags;
	if (f->sets_seen && !ss->sel->readonly && !(flags & MF_SEEN)) {
		/* RFC 3501 6.4.5: BODY[...] sets \Seen; say so in FLAGS. */
		if (mindex_set_flags(&ss->sel->f->x, m->uid, flags | MF_SEEN) ==
		    0) {
			seen_now = true;
			m = mindex_find(&ss->sel->f->x, ss->sel->uids[seq - 1]);
			if (m == NULL)
				return 0;
			flags = m->flags;
		}
	}
	buf_printf(&out, "* %u FETCH (", seq);
	if (f->has_uid || f->uid) {
		SEP();
		buf_printf(&out, "UID %u", m->uid);
	}
	for (size_t i = 0; i < f->n; i++) {
		const struct item *it = &f->items[i];
		char date[64];

		switch (it->kind) {
		case I_UID:
			break;	/* first, above */
		case I_FLAGS:
			SEP();
			buf_puts(&out, "FLAGS ");
			view_flags(ss, seq, flags, &out);
			break;
		case I_MODSEQ:
			SEP();
			buf_printf(&out, "MODSEQ (%llu)",
			    (unsigned long long)m->modseq);
			break;
		case I_SIZE:
			SEP();
			buf_printf(&out, "RFC822.SIZE %llu",
			    (unsigned long long)message_size(m));
			break;
		case I_DATE:
			SEP();
			imap_date_format((time_t)message_date(ss, m), 0, date,
			    sizeof(date));
			buf_printf(&out, "INTERNALDATE \"%s\"", date);
			break;
		case I_ENVELOPE:
			SEP();
			buf_puts(&out, "ENVELOPE ");
			if (!f->content)
				buf_put(&out, ce.envelope, ce.envelope_len);
			else
				(void)imap_envelope(&out, (const char *)
				    ss->msg.data.data, ss->msg.data.len, 0);
			break;
		case I_BODY:
		case I_BODYSTRUCTURE:
			SEP();
			buf_puts(&out, it->kind == I_BODY ? "BODY " :
			    "BODYSTRUCTURE ");
			if (!f->content && it->kind == I_BODY)
				buf_put(&out, ce.body, ce.body_len);
			else if (!f->content)
				buf_put(&out, ce.bodystructure,
				    ce.bodystructure_len);
			else
				(void)imap_bodystructure(&out, &ss->msg.mime,
				    ss->msg.mime.root,
				    it->kind == I_BODYSTRUCTURE);
			break;
		case I_SECTION:
			buf_reset(&part);
			if (imap_section_fetch(&it->sec, &ss->msg.mime, &part,
			    &why) < 0) {
				if (f->error == NULL)
					f->error = why;
				break;
			}
			SEP();
			(void)imap_section_name(&it->sec, &out);
			buf_putc(&out, ' ');
			if (it->sec.kind == IMAP_SECTION_BINARY_SIZE)
				buf_printf(&out, "%zu", part.len);
			else
				literal(&out, &part, it->sec.kind ==
				    IMAP_SECTION_BINARY);
			break;
		}
	}
	if (!f->has_flags && seen_now) {
		SEP();
		buf_puts(&out, "FLAGS ");
		view_flags(ss, seq, flags, &out);
	}
	if (!f->has_modseq && (f->changedsince > 0 || (ss->condstore &&
	    seen_now))) {
		SEP();
		buf_printf(&out, "MODSEQ (%llu)",
		    (unsigned long long)m->modseq);
	}
#undef SEP
	buf_puts(&out, ")\r\n");
	session_write(ss, out.data, out.len);
	buf_free_wipe(&out);
	buf_free_wipe(&part);
	return 0;
}

/* fetch_free - the items, the set and the cache */
static void
fetch_free(struct fetch *f)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->items[i].kind == I_SECTION)
			imap_section_free(&f->items[i].sec);
	imap_seqset_free(&f->set);
	cache_end(f->cache);
	free(f);
}

/* run - answer from f->next on; stop when the client falls behind */
static void
run(struct session *ss, struct fetch *f)
{
	struct view *v = ss->sel;

	for (; f->next < v->n; f->next++) {
		if (!view_in_set(v, &f->set, f->uid, f->next))
			continue;
		(void)one(ss, (uint32_t)f->next + 1, f);
		if (stream_out_pending(ss->s) > FETCH_HIGH &&
		    f->next + 1 < v->n) {
			f->next++;
			return;
		}
	}
	cache_end(f->cache);
	f->cache = NULL;
	if (f->sets_seen)
		folder_changed(v->f);
	ss->reply_expunges = f->uid;
	if (f->error != NULL)
		tagged(ss, f->tag, "NO", "[SERVERBUG] Some messages could not "
		    "be read: %s", f->error);
	else
		tagged(ss, f->tag, "OK", "%sFETCH completed", f->uid ? "UID " :
		    "");
	f->next = SIZE_MAX;	/* done */
}

/* drained - the client has read enough: go on */
static void
drained(struct stream *s, void *ctx)
{
	struct session *ss = ctx;
	struct fetch *f = ss->fetch;

	run(ss, f);
	message_drop(ss);
	if (f->next != SIZE_MAX) {
		stream_on_drain(s, FETCH_LOW, drained);
		return;
	}
	ss->fetch = NULL;
	fetch_free(f);
	stream_resume(s);
}

void
fetch_abort(struct session *ss)
{
	if (ss->fetch != NULL)
		fetch_free(ss->fetch);
	ss->fetch = NULL;
}

void
cmd_fetch(struct session *ss, struct imap_command *c, bool uid)
{
	struct fetch *f = xcalloc(1, sizeof(*f));
	const char *why = "FETCH needs a message set and items";

	if (c->n_args < 2 || c->n_args > 3 || c->args->type != IMAP_ATOM ||
	    parse(f, c->args->next, &why) < 0 || (c->n_args == 3 &&
	    modifiers(ss, f, c->args->next->next, uid, &why) < 0)) {
		tagged(ss, c->tag, "BAD", "%s", why);
		fetch_free(f);
		return;
	}
	if (imap_seqset_parse(c->args->data, c->args->len, &f->set) < 0) {
		tagged(ss, c->tag, "BAD", "Bad message set");
		fetch_free(f);
		return;
	}
	if (view_set_check(ss, &f->set, uid) < 0) {
		tagged(ss, c->tag, "BAD", "Message sequence number out of "
		    "range");
		fetch_free(f);
		return;
	}
	if (f->vanished) {
		uint32_t *gone = NULL;
		size_t n_gone = 0;
		struct buf b = BUF_INIT;

		if (mindex_expunged_since(&ss->sel->f->x, f->changedsince,
		    &gone, &n_gone) == 0)
			for (size_t i = 0; i < n_gone; i++)
				if (imap_seqset_has(&f->set, gone[i],
				    UINT32_MAX))
					buf_printf(&b, "%s%u",
					    b.len ? "," : "", gone[i]);
		if (b.len > 0)
			untagged(ss, "VANISHED (EARLIER) %s", buf_cstr(&b));
		buf_free(&b);
		free(gone);
	}
	f->uid = uid;
	snprintf(f->tag, sizeof(f->tag), "%s", c->tag);
	if (f->derived && !f->content)
		f->cache = cache_begin(ss);
	run(ss, f);
	if (f->next == SIZE_MAX) {
		fetch_free(f);
		return;
	}
	/* The rest once the client has read this much; no next command
	 * until then. */
	ss->fetch = f;
	stream_pause(ss->s);
	stream_on_drain(ss->s, FETCH_LOW, drained);
}

/*
 * NAME
 *	view - the selected folder as one session sees it: sequence
 *	numbers, untagged updates, EXPUNGE, CLOSE, IDLE
 * DESCRIPTION
 *	A view is the list of UIDs the client knows, in order; the shared
 *	index (folder.c) is the truth.  view_sync compares the two: a UID
 *	gone from the index is reported as EXPUNGE (or VANISHED with
 *	QRESYNC), UIDs past the view's end as EXISTS, and messages whose
 *	MODSEQ passed what the view last reported as FETCH FLAGS.  That is
 *	how each session learns of the others' changes, in this process or
 *	another, without any message between them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapd/imapd.h"
#include "mail/params.h"
#include "util/ev.h"
#include "util/log.h"
#include "util/mem.h"

static struct session *idlers;
static struct ev_timer *idle_timer;

uint32_t
view_seq(const struct view *v, uint32_t uid)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v->uids[mid] == uid)
			return (uint32_t)mid + 1;
		if (v->uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

struct mindex_msg *
view_msg(struct session *ss, uint32_t seq)
{
	if (seq == 0 || seq > ss->sel->n)
		return NULL;
	return mindex_find(&ss->sel->f->x, ss->sel->uids[seq - 1]);
}

void
view_flags(struct session *ss, uint32_t seq, uint64_t flags,
    struct buf *out)
{
	static const char *const names[] = { "\\Seen", "\\Answered",
	    "\\Flagged", "\\Deleted", "\\Draft" };
	struct mindex *x = &ss->sel->f->x;
	bool first = true;

	buf_putc(out, '(');
	for (unsigned i = 0; i < 5; i++)
		if (flags & (1u << i)) {
			buf_printf(out, "%s%s", first ? "" : " ",
			    names[i]);
			first = false;
		}
	for (size_t k = 0; k < x->n_keywords; k++)
		if (flags & MF_KEYWORD(k)) {
			buf_printf(out, "%s%s", first ? "" : " ",
			    x->keywords[k]);
			first = false;
		}
	if (!ss->rev2 && seq > 0 && ss->sel->uids[seq - 1] >=
	    ss->sel->recent_from)
		buf_printf(out, "%s\\Recent", first ? "" : " ");
	buf_putc(out, ')');
}

/* uid_set_add - append uid to a compact UID set text ("1:3,7") */
static void
uid_set_add(struct buf *b, uint32_t *run_lo, uint32_t *run_hi, uint32_t uid)
{
	if (*run_lo != 0 && uid == *run_hi + 1) {
		*run_hi = uid;
		return;
	}
	if (*run_lo != 0) {
		if (*run_lo == *run_hi)
			buf_printf(b, "%s%u", b->len ? "," : "", *run_lo);
		else
			buf_printf(b, "%s%u:%u", b->len ? "," : "",
			    *run_lo, *run_hi);
	}
	*run_lo = *run_hi = uid;
}

void
view_sync(struct session *ss, bool expunges)
{
	struct view *v = ss->sel;
	struct mindex *x;
	struct buf out = BUF_INIT, vanished = BUF_INIT;
	uint32_t lo = 0, hi = 0, last;
	size_t old_n, i, j, kept;
	bool gone = false;

	if (v == NULL)
		return;
	x = &v->f->x;
	(void)folder_sync(v->f);
	if (expunges) {
		/* Back to front, so each number is right when sent. */
		for (i = v->n; i-- > 0;) {
			if (mindex_find(x, v->uids[i]) != NULL)
				continue;
			gone = true;
			if (!ss->qresync)
				buf_printf(&out, "* %zu EXPUNGE\r\n", i + 1);
		}
		if (gone) {
			for (i = 0, kept = 0; i < v->n; i++)
				if (mindex_find(x, v->uids[i]) != NULL)
					v->uids[kept++] = v->uids[i];
				else if (ss->qresync)
					uid_set_add(&vanished, &lo, &hi,
					    v->uids[i]);
			v->n = kept;
			if (ss->qresync) {
				uid_set_add(&vanished, &lo, &hi, 0);
				buf_printf(&out, "* VANISHED %s\r\n",
				    buf_cstr(&vanished));
			}
		}
	}
	/* Flag changes of the messages the client knows. */
	for (i = 0, j = 0; i < v->n && j < x->n; i++) {
		struct mindex_msg *m;

		while (j < x->n && x->msgs[j].uid < v->uids[i])
			j++;
		if (j == x->n || x->msgs[j].uid != v->uids[i])
			continue;
		m = &x->msgs[j];
		if (m->modseq <= v->modseq_seen)
			continue;
		buf_printf(&out, "* %zu FETCH (", i + 1);
		if (ss->qresync)
			buf_printf(&out, "UID %u ", m->uid);
		buf_puts(&out, "FLAGS ");
		view_flags(ss, (uint32_t)i + 1, m->flags, &out);
		if (ss->condstore)
			buf_printf(&out, " MODSEQ (%llu)",
			    (unsigned long long)m->modseq);
		buf_puts(&out, ")\r\n");
	}
	/* New messages. */
	old_n = v->n;
	last = v->n > 0 ? v->uids[v->n - 1] : 0;
	for (j = 0; j < x->n; j++) {
		if (x->msgs[j].uid <= last)
			continue;
		if (v->n == v->cap) {
			v->cap = v->cap ? 2 * v->cap : 64;
			v->uids = xrealloc(v->uids, v->cap * sizeof(uint32_t));
		}
		v->uids[v->n++] = x->msgs[j].uid;
	}
	if (v->n != old_n) {
		size_t recent = 0;

		buf_printf(&out, "* %zu EXISTS\r\n", v->n);
		for (i = 0; i < v->n; i++)
			if (v->uids[i] >= v->recent_from)
				recent++;
		if (!ss->rev2)
			buf_printf(&out, "* %zu RECENT\r\n", recent);
	}
	v->modseq_seen = x->highestmodseq;
	if (out.len > 0 && ss->s != NULL)
		session_write(ss, out.data, out.len);
	buf_free(&out);
	buf_free(&vanished);
}

/* view_open - a view of f with every message in it */
struct view *
view_open(struct session *ss, struct folder *f, const char *name,
    bool readonly)
{
	struct view *v = xcalloc(1, sizeof(*v));
	struct mindex *x = &f->x;

	(void)ss;
	v->f = f;
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->readonly = readonly;
	v->cap = x->n > 0 ? x->n : 16;
	v->uids = xmalloc(v->cap * sizeof(uint32_t));
	for (size_t i = 0; i < x->n; i++)
		v->uids[i] = x->msgs[i].uid;
	v->n = x->n;
	v->recent_from = x->uidnext;
	v->modseq_seen = x->highestmodseq;
	return v;
}

void
view_close(struct session *ss)
{
	struct view *v = ss->sel;

	if (v == NULL)
		return;
	idle_stop(ss);
	folder_put(v->f);
	free(v->uids);
	free(v);
	ss->sel = NULL;
	if (ss->state == ST_SELECTED)
		ss->state = ST_AUTH;
}

/* in_set - whether message seq (uid) is named by set */
bool
view_in_set(const struct view *v, const struct imap_seqset *set, bool uid,
    size_t i)
{
	if (uid)
		return imap_seqset_has(set, v->uids[i],
		    v->n > 0 ? v->uids[v->n - 1] : 0);
	return imap_seqset_has(set, (uint32_t)i + 1, (uint32_t)v->n);
}

int
view_set_check(struct session *ss, const struct imap_seqset *set, bool uid)
{
	struct view *v = ss->sel;

	if (uid)
		return 0;
	/* Numbers past the end are the client's mistake (BAD). */
	for (size_t r = 0; r < set->n; r++)
		if ((set->r[r].hi != IMAP_SEQ_STAR && set->r[r].hi > v->n) ||
		    (set->r[r].lo != IMAP_SEQ_STAR && set->r[r].lo > v->n))
			return -1;
	return 0;
}

int
view_set(struct session *ss, const struct imap_seqset *set, bool uid,
    view_fn *fn, void *ctx)
{
	struct view *v = ss->sel;

	if (view_set_check(ss, set, uid) < 0)
		return -1;
	for (size_t i = 0; i < v->n; i++)
		if (view_in_set(v, set, uid, i) &&
		    fn(ss, (uint32_t)i + 1, ctx) < 0)
			return -2;
	return 0;
}

void
cmd_noop(struct session *ss, struct imap_command *c, bool uid)
{
	(void)uid;
	tagged(ss, c->tag, "OK", "%s completed", c->name);
}

/* expunge_deleted - expunge \Deleted messages (in set, if given) */
static int
expunge_deleted(struct session *ss, const struct imap_seqset *set)
{
	struct view *v = ss->sel;
	struct mindex *x = &v->f->x;
	int n = 0;

	if (mindex_lock(x) < 0)
		return -1;
	(void)mindex_refresh(x);
	for (size_t i = 0; i < v->n; i++) {
		struct mindex_msg *m = mindex_find(x, v->uids[i]);

		if (m != NULL && (m->flags & MF_DELETED) &&
		    (set == NULL || view_in_set(v, set, true, i)) &&
		    mindex_expunge(x, m->uid) == 0)
			n++;
	}
	mindex_unlock(x);
	if (n > 0)
		folder_changed(v->f);
	return n;
}

void
cmd_close(struct session *ss, struct imap_command *c, bool uid)
{
	(void)uid;
	if (strcmp(c->name, "CLOSE") == 0 && !ss->sel->readonly)
		(void)expunge_deleted(ss, NULL);
	view_close(ss);
	tagged(ss, c->tag, "OK", "%s completed", c->name);
}

void
cmd_expunge(struct session *ss, struct imap_command *c, bool uid)
{
	struct imap_seqset set = { 0 };

	if ((uid && (c->n_args != 1 || c->args->type != IMAP_ATOM ||
	    imap_seqset_parse(c->args->data, c->args->len, &set) < 0)) ||
	    (!uid && c->n_args != 0)) {
		tagged(ss, c->tag, "BAD", uid ? "UID EXPUNGE needs a UID set" :
		    "EXPUNGE takes no arguments");
		return;
	}
	if (ss->sel->readonly) {
		tagged(ss, c->tag, "NO", "[READ-ONLY] The folder is read-only");
	} else if (expunge_deleted(ss, uid ? &set : NULL) < 0) {
		tagged(ss, c->tag, "NO", "[SERVERBUG] Cannot update the folder "
		    "index");
	} else {
		tagged(ss, c->tag, "OK", "%sEXPUNGE completed", uid ? "UID " :
		    "");
	}
	imap_seqset_free(&set);
}

/* ---- IDLE (RFC 2177). ---- */

/* idle_tick - the fallback look at every folder with idlers */
static void
idle_tick(void *ctx)
{
	(void)ctx;
	idle_timer = NULL;
	for (struct session *ss = idlers; ss != NULL; ss = ss->idle_next)
		if (ss->sel != NULL)
			ss->sel->f->dirty = true;
	for (struct session *ss = idlers; ss != NULL; ss = ss->idle_next)
		if (ss->sel != NULL && ss->sel->f->dirty) {
			ss->sel->f->dirty = false;
			if (folder_sync(ss->sel->f))
				folder_changed(ss->sel->f);
		}
	if (idlers != NULL)
		idle_timer = ev_timer_add(var_imapd_idle_interval * 1000,
		    idle_tick, NULL);
}

void
folder_changed(struct folder *f)
{
	for (struct session *ss = idlers; ss != NULL; ss = ss->idle_next)
		if (ss->sel != NULL && ss->sel->f == f)
			view_sync(ss, true);
}

void
cmd_idle(struct session *ss, struct imap_command *c, bool uid)
{
	(void)uid;
	if (c->n_args != 0) {
		tagged(ss, c->tag, "BAD", "IDLE takes no arguments");
		return;
	}
	snprintf(ss->tag, sizeof(ss->tag), "%s", c->tag);
	ss->mode = MODE_IDLE;
	ss->idle_next = idlers;
	idlers = ss;
	if (ss->sel != NULL) {
		folder_watch(ss->sel->f);
		view_sync(ss, true);
	}
	stream_printf(ss->s, "+ idling\r\n");
	if (idle_timer == NULL)
		idle_timer = ev_timer_add(var_imapd_idle_interval * 1000,
		    idle_tick, NULL);
}

void
idle_stop(struct session *ss)
{
	struct session **p;

	for (p = &idlers; *p != NULL; p = &(*p)->idle_next)
		if (*p == ss) {
			*p = ss->idle_next;
			break;
		}
	ss->idle_next = NULL;
	if (idlers == NULL)
		ev_timer_del(&idle_timer);
}

void
idle_input(struct session *ss, const char *line, size_t len)
{
	idle_stop(ss);
	ss->mode = MODE_COMMAND;
	if (len == 4 && strncasecmp(line, "DONE", 4) == 0)
		tagged(ss, ss->tag, "OK", "IDLE terminated");
	else
		tagged(ss, ss->tag, "BAD", "Expected DONE to end IDLE");
}

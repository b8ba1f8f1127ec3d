/*
 * NAME
 *	search - SEARCH and UID SEARCH, with ESEARCH results (RFC 4731,
 *	RFC 9051 6.4.4), SEARCHRES (RFC 5182) and MODSEQ (RFC 7162)
 * DESCRIPTION
 *	The program is lib/mail/imap_search; messages are decrypted only
 *	when a key looks at their content, one at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "imapd/imapd.h"
#include "mail/imap_search.h"
#include "util/mem.h"

struct search_run {
	struct session *ss;
	const struct imap_search *prog;
	struct imap_search_ctx ctx;
	uint32_t *hits;		/* sequence numbers */
	size_t n;
	uint64_t max_modseq;
	const char *error;
};

static int
keyword(void *ctx, const char *name, size_t len)
{
	struct session *ss = ctx;

	return mindex_keyword(&ss->sel->f->x, name, len, false);
}

static bool
saved(void *ctx, uint32_t uid)
{
	struct session *ss = ctx;

	for (size_t i = 0; i < ss->n_saved; i++)
		if (ss->saved[i] == uid)
			return true;
	return false;
}

/* load - the decrypted message of the one being tested */
static int
load(void *ctx, const struct mime_message **m)
{
	struct search_run *r = ctx;

	/* test_one loaded it when the program needs content. */
	*m = &r->ss->msg.mime;
	return r->ss->msg.data.data != NULL ? 0 : -1;
}

/* test_one - whether message seq matches */
static int
test_one(struct search_run *r, uint32_t seq)
{
	struct session *ss = r->ss;
	struct mindex_msg *m = view_msg(ss, seq);
	struct imap_search_msg msg;
	const char *why;
	int rc;

	if (m == NULL)
		return 0;
	msg = (struct imap_search_msg){
		.seq = seq, .uid = m->uid, .flags = m->flags,
		.recent = !ss->rev2 && m->uid >= ss->sel->recent_from,
		.modseq = m->modseq, .size = message_size(m),
		.internaldate = (time_t)message_date(ss, m),
		.load = load, .ctx = r,
	};
	if (imap_search_needs_content(r->prog) &&
	    message_load(ss, m, &why) < 0) {
		r->error = why;
		return 0;
	}
	rc = imap_search_match(r->prog, &r->ctx, &msg);
	message_drop(ss);
	if (rc == 1 && m->modseq > r->max_modseq)
		r->max_modseq = m->modseq;
	return rc == 1;
}

/* set_text - numbers as a compact set "1:3,7" */
static void
set_text(struct buf *b, const uint32_t *v, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j + 1 < n && v[j + 1] == v[j] + 1)
			j++;
		if (j == i)
			buf_printf(b, "%s%u", i ? "," : "", v[i]);
		else
			buf_printf(b, "%s%u:%u", i ? "," : "", v[i],
			    v[j]);
		i = j + 1;
	}
}

/* run - the sequence numbers of the messages the keys at a match, in
 * r->hits; 0, or -1 with *why (the keys do not parse) */
static int
run(struct search_run *r, const struct imap_arg *a, const char **why)
{
	struct session *ss = r->ss;
	struct imap_search *prog;

	if (imap_search_parse(a, &prog, why) < 0)
		return -1;
	r->prog = prog;
	r->ctx = (struct imap_search_ctx){
		.max_seq = (uint32_t)ss->sel->n,
		.max_uid = ss->sel->n ? ss->sel->uids[ss->sel->n - 1] : 0,
		.keyword = keyword, .saved = saved, .ctx = ss,
	};
	for (size_t i = 0; i < ss->sel->n; i++)
		if (test_one(r, (uint32_t)i + 1)) {
			r->hits = xrealloc(r->hits, (r->n + 1) *
			    sizeof(uint32_t));
			r->hits[r->n++] = (uint32_t)i + 1;
		}
	imap_search_free(prog);
	return 0;
}

int
search_select(struct session *ss, const struct imap_arg *a, uint32_t **seqs,
    size_t *n, const char **why, const char **read_error)
{
	struct search_run r = { .ss = ss };

	if (run(&r, a, why) < 0)
		return -1;
	*seqs = r.hits;
	*n = r.n;
	*read_error = r.error;
	return 0;
}

void
cmd_search(struct session *ss, struct imap_command *c, bool uid)
{
	const struct imap_arg *a = c->args;
	struct search_run r = { .ss = ss };
	bool esearch = ss->rev2, r_min = false, r_max = false, r_all = false,
	    r_count = false, r_save = false, modseq_key;
	struct buf out = BUF_INIT;
	const char *why;

	if (a != NULL && imap_arg_is_atom(a, "RETURN") && a->next != NULL &&
	    a->next->type == IMAP_LIST) {
		esearch = true;
		for (const struct imap_arg *o = a->next->list; o != NULL;
		    o = o->next) {
			if (imap_arg_is_atom(o, "MIN"))
				r_min = true;
			else if (imap_arg_is_atom(o, "MAX"))
				r_max = true;
			else if (imap_arg_is_atom(o, "ALL"))
				r_all = true;
			else if (imap_arg_is_atom(o, "COUNT"))
				r_count = true;
			else if (imap_arg_is_atom(o, "SAVE"))
				r_save = true;
			else {
				tagged(ss, c->tag, "BAD", "Unknown RETURN "
				    "option");
				return;
			}
		}
		/* RETURN () means ALL (RFC 4731 3.1). */
		if (!r_min && !r_max && !r_count && !r_save)
			r_all = true;
		a = a->next->next;
	} else if (esearch) {
		r_all = true;
	}
	if (imap_search_charset(&a) < 0) {
		tagged(ss, c->tag, "NO", "[BADCHARSET (UTF-8 US-ASCII)] "
		    "Unsupported charset");
		return;
	}
	if (run(&r, a, &why) < 0) {
		tagged(ss, c->tag, "BAD", "%s", why);
		return;
	}
	modseq_key = false;
	for (const struct imap_arg *k = a; k != NULL; k = k->next)
		if (imap_arg_is_atom(k, "MODSEQ"))
			modseq_key = ss->condstore = true;
	if (uid)
		for (size_t i = 0; i < r.n; i++)
			r.hits[i] = ss->sel->uids[r.hits[i] - 1];
	if (r_save) {
		free(ss->saved);
		ss->saved = xmalloc((r.n ? r.n : 1) * sizeof(uint32_t));
		ss->n_saved = r.n;
		for (size_t i = 0; i < r.n; i++)
			ss->saved[i] = uid ? r.hits[i] :
			    ss->sel->uids[r.hits[i] - 1];
	}
	if (esearch) {
		buf_printf(&out, "* ESEARCH (TAG \"%s\")%s", c->tag,
		    uid ? " UID" : "");
		if (r_min && r.n > 0)
			buf_printf(&out, " MIN %u", r.hits[0]);
		if (r_max && r.n > 0)
			buf_printf(&out, " MAX %u", r.hits[r.n - 1]);
		if (r_count)
			buf_printf(&out, " COUNT %zu", r.n);
		if (r_all && r.n > 0) {
			buf_puts(&out, " ALL ");
			set_text(&out, r.hits, r.n);
		}
		if (modseq_key && r.n > 0)
			buf_printf(&out, " MODSEQ %llu",
			    (unsigned long long)r.max_modseq);
		/* SAVE alone returns nothing (RFC 5182 2.4). */
		buf_puts(&out, "\r\n");
		if (r_min || r_max || r_count || r_all)
			session_write(ss, out.data, out.len);
	} else {
		buf_puts(&out, "* SEARCH");
		for (size_t i = 0; i < r.n; i++)
			buf_printf(&out, " %u", r.hits[i]);
		if (modseq_key && r.n > 0)
			buf_printf(&out, " (MODSEQ %llu)",
			    (unsigned long long)r.max_modseq);
		buf_puts(&out, "\r\n");
		session_write(ss, out.data, out.len);
	}
	buf_free(&out);
	free(r.hits);
	if (r.error != NULL)
		tagged(ss, c->tag, "NO", "[SERVERBUG] Some messages could not "
		    "be read: %s", r.error);
	else
		tagged(ss, c->tag, "OK", "%sSEARCH completed", uid ? "UID " :
		    "");
}

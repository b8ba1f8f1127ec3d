/*
 * NAME
 *	sort - SORT and THREAD=ORDEREDSUBJECT, and their UID forms
 *	(RFC 5256)
 * DESCRIPTION
 *	SORT (criteria) charset search-keys, THREAD algorithm charset
 *	search-keys: the messages the keys match (search.c), ordered or
 *	threaded by lib/mail/imap_sort.  The keys come from the
 *	ENVELOPE in the folder's encrypted cache (cache.c), so a folder
 *	whose envelopes a client has fetched sorts without decrypting a
 *	message; INTERNALDATE and size come from the index.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapd/imapd.h"
#include "mail/imap_sort.h"
#include "util/mem.h"

/* charset_ok - the charset argument SORT and THREAD require (RFC 5256
 * 3); -1 having answered */
static int
charset_ok(struct session *ss, struct imap_command *c,
    const struct imap_arg *a)
{
	if (a == NULL || (a->type != IMAP_ATOM && a->type != IMAP_QUOTED)) {
		tagged(ss, c->tag, "BAD", "%s needs a charset and search keys",
		    c->name);
		return -1;
	}
	if ((a->len != 5 || strncasecmp(a->data, "UTF-8", 5) != 0) &&
	    (a->len != 8 || strncasecmp(a->data, "US-ASCII", 8) != 0)) {
		tagged(ss, c->tag, "NO", "[BADCHARSET (UTF-8 US-ASCII)] "
		    "Unsupported charset");
		return -1;
	}
	return 0;
}

/* collect - the keys of the messages the search keys at a match; NULL
 * having answered BAD.  *read_error: why some could not be read. */
static struct imap_sort_msg *
collect(struct session *ss, struct imap_command *c, const struct imap_arg *a,
    bool uid, size_t *n, const char **read_error)
{
	struct imap_sort_msg *msgs;
	struct cache *cache;
	uint32_t *seqs;
	const char *why;

	*read_error = NULL;
	if (search_select(ss, a, &seqs, n, &why, read_error) < 0) {
		tagged(ss, c->tag, "BAD", "%s", why);
		return NULL;
	}
	msgs = xcalloc(*n + 1, sizeof(*msgs));
	cache = cache_begin(ss);
	for (size_t i = 0; i < *n; i++) {
		struct mindex_msg *m = view_msg(ss, seqs[i]);
		struct imap_sort_msg *s = &msgs[i];
		struct cache_entry e;

		s->seq = seqs[i];
		s->id = uid ? ss->sel->uids[seqs[i] - 1] : seqs[i];
		s->arrival = (time_t)message_date(ss, m);
		s->size = message_size(m);
		if (cache_get(cache, m, &e, &why) < 0) {
			*read_error = why;
			e.envelope = "NIL";
			e.envelope_len = 3;
		}
		(void)imap_sort_keys(s, e.envelope, e.envelope_len);
	}
	cache_end(cache);
	free(seqs);
	return msgs;
}

/* finish - the untagged result, then the tagged end */
static void
finish(struct session *ss, struct imap_command *c, bool uid,
    struct imap_sort_msg *msgs, size_t n, struct buf *out,
    const char *read_error)
{
	buf_puts(out, "\r\n");
	session_write(ss, out->data, out->len);
	buf_free(out);
	for (size_t i = 0; i < n; i++)
		imap_sort_msg_free(&msgs[i]);
	free(msgs);
	if (read_error != NULL)
		tagged(ss, c->tag, "NO", "[SERVERBUG] Some messages could not "
		    "be read: %s", read_error);
	else
		tagged(ss, c->tag, "OK", "%s%s completed", uid ? "UID " : "",
		    c->name);
}

void
cmd_sort(struct session *ss, struct imap_command *c, bool uid)
{
	struct imap_sort_crit crit[IMAP_SORT_CRIT_MAX];
	struct imap_sort_msg *msgs;
	struct buf out = BUF_INIT;
	const char *why, *read_error;
	size_t n_crit, n;

	if (imap_sort_parse(c->args, crit, &n_crit, &why) < 0) {
		tagged(ss, c->tag, "BAD", "%s", why);
		return;
	}
	if (charset_ok(ss, c, c->args->next) < 0 ||
	    (msgs = collect(ss, c, c->args->next->next, uid, &n,
	    &read_error)) == NULL)
		return;
	imap_sort(msgs, n, crit, n_crit);
	buf_puts(&out, "* SORT");
	for (size_t i = 0; i < n; i++)
		buf_printf(&out, " %u", msgs[i].id);
	finish(ss, c, uid, msgs, n, &out, read_error);
}

void
cmd_thread(struct session *ss, struct imap_command *c, bool uid)
{
	struct imap_sort_msg *msgs;
	struct buf out = BUF_INIT;
	const char *read_error;
	size_t n;

	if (c->args == NULL || !imap_arg_is_atom(c->args, "ORDEREDSUBJECT")) {
		tagged(ss, c->tag, "BAD", "THREAD algorithm not supported "
		    "(ORDEREDSUBJECT is)");
		return;
	}
	if (charset_ok(ss, c, c->args->next) < 0 ||
	    (msgs = collect(ss, c, c->args->next->next, uid, &n,
	    &read_error)) == NULL)
		return;
	buf_puts(&out, "* THREAD ");
	imap_thread_orderedsubject(msgs, n, &out);
	finish(ss, c, uid, msgs, n, &out, read_error);
}

/*
 * NAME
 *	sort - SORT and UID SORT (RFC 5256)
 * DESCRIPTION
 *	SORT (criteria) charset search-keys: the messages the keys match
 *	(search.c), ordered by lib/mail/imap_sort.  The keys come from the
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

void
cmd_sort(struct session *ss, struct imap_command *c, bool uid)
{
	struct imap_sort_crit crit[IMAP_SORT_CRIT_MAX];
	const struct imap_arg *a = c->args;
	struct imap_sort_msg *msgs;
	const char *why, *read_error = NULL;
	struct cache *cache;
	struct buf out = BUF_INIT;
	uint32_t *seqs;
	size_t n_crit, n;

	if (imap_sort_parse(a, crit, &n_crit, &why) < 0) {
		tagged(ss, c->tag, "BAD", "%s", why);
		return;
	}
	/* The charset is not optional here (RFC 5256 3). */
	if ((a = a->next) == NULL || (a->type != IMAP_ATOM &&
	    a->type != IMAP_QUOTED)) {
		tagged(ss, c->tag, "BAD", "SORT needs a charset and search "
		    "keys");
		return;
	}
	if ((a->len != 5 || strncasecmp(a->data, "UTF-8", 5) != 0) &&
	    (a->len != 8 || strncasecmp(a->data, "US-ASCII", 8) != 0)) {
		tagged(ss, c->tag, "NO", "[BADCHARSET (UTF-8 US-ASCII)] "
		    "Unsupported charset");
		return;
	}
	if (search_select(ss, a->next, &seqs, &n, &why, &read_error) < 0) {
		tagged(ss, c->tag, "BAD", "%s", why);
		return;
	}
	msgs = xcalloc(n + 1, sizeof(*msgs));
	cache = cache_begin(ss);
	for (size_t i = 0; i < n; i++) {
		struct mindex_msg *m = view_msg(ss, seqs[i]);
		struct imap_sort_msg *s = &msgs[i];
		struct cache_entry e;

		s->seq = seqs[i];
		s->id = uid ? ss->sel->uids[seqs[i] - 1] : seqs[i];
		s->arrival = (time_t)message_date(ss, m);
		s->size = message_size(m);
		if (cache_get(cache, m, &e, &why) < 0) {
			read_error = why;
			e.envelope = "NIL";
			e.envelope_len = 3;
		}
		(void)imap_sort_keys(s, e.envelope, e.envelope_len);
	}
	cache_end(cache);
	imap_sort(msgs, n, crit, n_crit);
	buf_puts(&out, "* SORT");
	for (size_t i = 0; i < n; i++) {
		buf_printf(&out, " %u", msgs[i].id);
		imap_sort_msg_free(&msgs[i]);
	}
	buf_puts(&out, "\r\n");
	session_write(ss, out.data, out.len);
	buf_free(&out);
	free(msgs);
	free(seqs);
	if (read_error != NULL)
		tagged(ss, c->tag, "NO", "[SERVERBUG] Some messages could not "
		    "be read: %s", read_error);
	else
		tagged(ss, c->tag, "OK", "%sSORT completed", uid ? "UID " : "");
}

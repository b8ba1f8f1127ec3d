/*
 * imap_sort - SORT (RFC 5256): criteria, keys from an ENVELOPE, the base
 * subject, and the order
 *
 * The keys of a message come from its ENVELOPE as imapd sends it (and
 * keeps in its encrypted cache), so sorting a folder whose envelopes are
 * cached decrypts no message.  Strings compare after the case folding of
 * SEARCH (i;unicode-casemap for the letters it folds); equal keys keep
 * the folder's order.
 */
#ifndef POSTERN_IMAP_SORT_H
#define POSTERN_IMAP_SORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mail/imap_parse.h"
#include "util/buf.h"

#define IMAP_SORT_CRIT_MAX	16

enum imap_sort_key {
	SORT_ARRIVAL, SORT_CC, SORT_DATE, SORT_FROM, SORT_SIZE, SORT_SUBJECT,
	SORT_TO,
};

struct imap_sort_crit {
	enum imap_sort_key key;
	bool reverse;
};

struct imap_sort_msg {
	uint32_t seq;		/* folder order, the last tie-breaker */
	uint32_t id;		/* what the response lists (seq or UID) */
	time_t arrival;		/* INTERNALDATE */
	time_t date;		/* the Date: field in UTC, else arrival */
	uint64_t size;
	char *from, *to, *cc;	/* first addr-mailbox, folded; "" if none */
	char *subject;		/* base subject, folded */
};

/* imap_sort_parse - the parenthesised criteria list; 0, or -1 with
 * *error_r. */
int imap_sort_parse(const struct imap_arg *list, struct imap_sort_crit *out,
    size_t *n, const char **error_r);
/* imap_sort_keys - m's string and date keys from its ENVELOPE (len bytes,
 * as FETCH ENVELOPE sends it); arrival must be set first.  0, or -1 if
 * it does not parse (the string keys are then empty). */
int imap_sort_keys(struct imap_sort_msg *m, const char *envelope,
    size_t len);
/* imap_sort - order m[0..n) by the criteria. */
void imap_sort(struct imap_sort_msg *m, size_t n,
    const struct imap_sort_crit *crit, size_t n_crit);
void imap_sort_msg_free(struct imap_sort_msg *m);
/* imap_thread_orderedsubject - THREAD=ORDEREDSUBJECT (RFC 5256 3):
 * messages with one base subject make a thread, the earliest the parent
 * of the others; threads in the order of their first message's date.
 * Reorders m; appends the thread list ("(1)(2 3)(4 (5)(6))") to out. */
void imap_thread_orderedsubject(struct imap_sort_msg *m, size_t n,
    struct buf *out);
/* imap_sort_base_subject - RFC 5256 2.1: subject (decoded, UTF-8)
 * without "Re:", "Fwd:", "[list]" leaders and "(fwd)" trailers, blanks
 * collapsed; appended to out. */
void imap_sort_base_subject(const char *subject, struct buf *out);

#endif

/*
 * imap_search.h - the SEARCH program (RFC 3501 6.4.4, RFC 9051 6.4.4,
 * RFC 7162 MODSEQ, RFC 5182 "$"): parsed once into a tree, then matched
 * against each message.  Text keys compare case-insensitively over
 * UTF-8 (ASCII, Latin, Greek and Cyrillic letters folded), after RFC
 * 2047 decoding of header fields and transfer and charset decoding of
 * text parts.
 */
#ifndef POSTERN_IMAP_SEARCH_H
#define POSTERN_IMAP_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mail/imap_parse.h"
#include "mail/imap_seqset.h"
#include "mail/mime.h"

#define IMAP_SEARCH_KEYS_MAX	256
#define IMAP_SEARCH_DEPTH_MAX	16

struct imap_search;

/* What a key may ask about one message. */
struct imap_search_msg {
	uint32_t seq, uid;
	uint64_t flags;		/* MF_* bits and keyword bits (mindex.h) */
	bool recent;
	uint64_t modseq;
	uint64_t size;
	time_t internaldate;
	/* The decrypted message, parsed, loaded only when a key needs it:
	 * 0, or -1. */
	int (*load)(void *ctx, const struct mime_message **m);
	void *ctx;
};

struct imap_search_ctx {
	uint32_t max_seq, max_uid;	/* what "*" means */
	/* The bit index of a keyword, or -1 if the folder has none such. */
	int (*keyword)(void *ctx, const char *name, size_t len);
	/* The saved result "$" (RFC 5182): whether uid is in it. */
	bool (*saved)(void *ctx, uint32_t uid);
	void *ctx;
};

/*
 * imap_search_charset - skip a leading "CHARSET name": *args moves past
 * it.  0 when absent or UTF-8/US-ASCII, -1 for another charset (NO
 * [BADCHARSET (UTF-8 US-ASCII)]).
 */
int imap_search_charset(const struct imap_arg **args);
/* imap_search_parse - the keys from args on; 0, or -1 with *error_r. */
int imap_search_parse(const struct imap_arg *args, struct imap_search **out,
    const char **error_r);
void imap_search_free(struct imap_search *s);
bool imap_search_needs_content(const struct imap_search *s);
/* imap_search_match - 1 matches, 0 not, -1 the message could not be
 * loaded. */
int imap_search_match(const struct imap_search *s,
    const struct imap_search_ctx *ctx, struct imap_search_msg *msg);
/* imap_search_contains - case-insensitive substring test over UTF-8
 * (also for other callers: SORT, filters). */
bool imap_search_contains(const char *hay, size_t hlen, const char *needle,
    size_t nlen);
/* imap_search_fold - UTF-8 text folded to lower case, appended to out
 * (i;unicode-casemap for the letters SEARCH folds); bytes that are not
 * UTF-8 are kept.  0, or -1 past out's limit. */
int imap_search_fold(const char *s, size_t n, struct buf *out);

#endif

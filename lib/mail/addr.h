/*
 * addr.h - RFC 5321 paths and mailboxes (section 4.1.2), strictly.
 *
 * A path is "<" mailbox ">", or "<>" for the null reverse-path.  What is
 * refused, and why (each is an old open-relay or parsing trick):
 *   - source routes "<@a,@b:user@c>": RFC 5321 4.1.1.3 lets a server
 *     ignore them; we refuse them instead, so that no route reaches a
 *     routing decision;
 *   - anything outside the grammar: bare addresses without "<>" (unless
 *     ADDR_LAX), spaces, control characters, unbalanced quotes;
 *   - over-long parts: local part 64 octets, domain 255, path 256
 *     (RFC 5321 4.5.3.1).
 * What parses but is never relayed is the caller's business: a '%', '!'
 * or '@' inside the local part, an address literal, a trailing dot
 * (addr_is_suspicious() says so).
 *
 * Non-ASCII (RFC 6531) is accepted only with ADDR_UTF8.
 */
#ifndef POSTERN_ADDR_H
#define POSTERN_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#define ADDR_LOCAL_MAX	64
#define ADDR_DOMAIN_MAX	255
#define ADDR_PATH_MAX	256

/* Flags for addr_parse_path. */
#define ADDR_UTF8	1	/* SMTPUTF8 was given */
#define ADDR_NULL_OK	2	/* "<>" is allowed (MAIL FROM) */
#define ADDR_POSTMASTER	4	/* "<postmaster>" without domain (RCPT) */
#define ADDR_LAX	8	/* accept a path without "<>" */

struct mail_addr {
	char local[ADDR_LOCAL_MAX + 1];	/* as written, quotes included */
	char domain[ADDR_DOMAIN_MAX + 1];	/* as written */
	bool null;		/* "<>" */
	bool quoted;		/* the local part is a quoted string */
	bool literal;		/* the domain is an address literal */
	bool utf8;		/* non-ASCII somewhere */
};

/*
 * addr_parse_path - parse a path at the start of s (len bytes).  Returns
 * 0 and sets *used to the bytes consumed, or -1 with *error_r, a static
 * phrase fit for an SMTP reply ("source routes are not accepted").
 */
int addr_parse_path(const char *s, size_t len, int flags,
    struct mail_addr *a, size_t *used, const char **error_r)
	__attribute__((warn_unused_result));

/* addr_text - "local@domain", "postmaster" or "" into out. */
const char *addr_text(const struct mail_addr *a, char *out, size_t size);

/*
 * addr_is_suspicious - non-NULL (the reason) for a mailbox that must not
 * be relayed: '%', '!' or '@' in the local part, an address literal, a
 * domain ending in '.'.
 */
const char *addr_is_suspicious(const struct mail_addr *a);

/* addr_domain_equal - compare domains ignoring ASCII case. */
bool addr_domain_equal(const char *a, const char *b);

#endif

/*
 * spamscan - what a message's own bytes say about it: the header fields
 * spam gets wrong, and the links, names and words that phishing uses.
 *
 * The scan reads a message in memory (RFC 5322, CRLF or LF), decodes its
 * text parts (quoted-printable, base64, charset left alone: the words it
 * looks for are ASCII), strips HTML, and records what smtpd's scorer
 * (spamscore.h) weighs.  Bounded: the caller passes at most
 * spam_scan_limit bytes, links and hosts stop at fixed counts, and
 * nothing here asks DNS; the hosts it found are looked up by the caller.
 */
#ifndef POSTERN_SPAMSCAN_H
#define POSTERN_SPAMSCAN_H

#include <stdbool.h>
#include <stddef.h>

#define SPAM_LINKS_MAX	64	/* links kept for the checks */
#define SPAM_HOSTS_MAX	32	/* distinct link hosts kept for URI lists */
#define SPAM_HOST_MAX	255

struct spam_link {
	char host[SPAM_HOST_MAX + 1];	/* the target's host, lower case */
	char shown[SPAM_HOST_MAX + 1];	/* a domain the link text names */
	bool ip;			/* host is a bare IPv4 address */
};

struct spam_scan {
	bool has_date, date_ok;		/* Date: present, and parsable */
	bool has_msgid, msgid_ok;	/* Message-ID: present, <a@b> form */
	size_t to_count;		/* addresses in To: */
	bool html_only;			/* HTML without a plain-text part */
	bool html_hidden;		/* text styled not to be seen */
	char from_addr[320];		/* From:'s address, "" if not one */
	char from_domain[SPAM_HOST_MAX + 1];
	char display_addr[320];		/* another address in the display
					   name, or "" */
	char credentials[64];		/* a credential-request phrase found,
					   or "" */
	struct spam_link links[SPAM_LINKS_MAX];
	size_t n_links;
	char hosts[SPAM_HOSTS_MAX][SPAM_HOST_MAX + 1];	/* distinct */
	size_t n_hosts;
};

/* spam_scan - scan len bytes of msg into *s (never fails: broken mail is
 * scanned as far as it makes sense). */
void spam_scan(const char *msg, size_t len, struct spam_scan *s);

/* spam_link_mismatch - the link's text names a domain its target is not
 * in (nor the other way round: www.example.com for example.com). */
bool spam_link_mismatch(const struct spam_link *l);

#endif

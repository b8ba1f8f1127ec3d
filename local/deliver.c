/*
 * NAME
 *	deliver - one message to one local mailbox
 * DESCRIPTION
 *	Adds Return-Path (RFC 5321 4.4) and Delivered-To, refuses a message
 *	that already carries our Delivered-To for this recipient (it has
 *	been here before: a forwarding loop, RFC 5321 6.3), and picks the
 *	folder: local_junk_folder for a message smtpd quarantined (DMARC
 *	p=quarantine) or that scores junk_threshold (spam.c), the extension's folder when local_extension_folders
 *	is on and the user made that folder, else the inbox.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "local/local.h"
#include "mail/params.h"

#define HEADER_SCAN_MAX	(256 * 1024)

/* seen_before - a Delivered-To: naming rcpt in the header of the message */
static int
seen_before(const struct local_job *j)
{
	static char head[HEADER_SCAN_MAX + 1];
	size_t want = j->req.length < HEADER_SCAN_MAX ? (size_t)j->req.length :
	    HEADER_SCAN_MAX;
	ssize_t n = pread(j->req.fd, head, want, (off_t)j->req.offset);
	char *line, *end;
	size_t rlen = strlen(j->req.recipient);

	if (n < 0)
		return -1;
	head[n] = '\0';
	for (line = head; *line != '\0'; line = end + 1) {
		end = strchr(line, '\n');
		if (end == NULL || line[0] == '\r' || line[0] == '\n')
			break;	/* end of the header */
		if (strncasecmp(line, "Delivered-To:", 13) == 0) {
			char *v = line + 13;

			v += strspn(v, " \t");
			if (strncasecmp(v, j->req.recipient, rlen) == 0 &&
			    strspn(v + rlen, " \t\r") == (size_t)(end - v -
			    (long)rlen))
				return 1;
		}
	}
	return 0;
}

int
local_deliver(const struct local_job *j, struct mstore_result *r)
{
	const char *folder = "";
	struct buf prefix = BUF_INIT;
	bool spam = false;
	int rc;

	switch (seen_before(j)) {
	case 1:
		r->temporary = false;
		r->dsn = "5.4.6";
		snprintf(r->text, sizeof(r->text), "mail forwarding loop for "
		    "%s", j->req.recipient);
		return -1;
	case -1:
		r->temporary = true;
		r->dsn = "4.3.0";
		snprintf(r->text, sizeof(r->text), "cannot read queue file");
		return -1;
	}
	if (buf_appendf(&prefix, "Return-Path: <%s>\r\nDelivered-To: %s\r\n",
	    j->req.sender, j->req.recipient) < 0 ||
	    local_spam(j, &prefix, &spam) < 0) {
		r->temporary = true;
		r->dsn = "4.3.0";
		snprintf(r->text, sizeof(r->text), "out of memory");
		return -1;
	}
	if (j->junk != NULL || spam)
		folder = var_local_junk_folder;	/* quarantined, or spam */
	else if (var_local_extension_folders && j->extension[0] != '\0' &&
	    mstore_folder_exists(j->mailbox, j->extension))
		folder = j->extension;
	rc = mstore_deliver_until(j->mailbox, folder, j->pk, &prefix,
	    j->req.fd, j->req.offset, j->req.length, j->quota, local_expiry(j),
	    r);
	/* imapd and pop3d report the quota; they cannot read the table. */
	if (rc == 0)
		mstore_set_quota(j->mailbox, j->quota);
	buf_free(&prefix);
	return rc;
}

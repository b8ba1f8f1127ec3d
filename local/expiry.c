/*
 * NAME
 *	expiry - the Expires: time of a message being delivered
 * DESCRIPTION
 *	Reads the message header from the queue file (the plaintext is in
 *	hand only here, before sealing) and returns the Expires: time
 *	(RFC 4021) for mstore to record in the clear (lib/mail/mexpire.h),
 *	so that expire(8) deletes the message then.  A field that is not a
 *	usable date is ignored and logged: the message is delivered as if
 *	it had none.  A time already past is kept: the message is
 *	delivered and the next sweep deletes it, so a sender's clock skew
 *	never silently loses mail.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "local/local.h"
#include "mail/expires.h"
#include "mail/params.h"
#include "util/log.h"

/* Enough for any real header; a field beyond it is not looked at. */
#define EXPIRY_SCAN_MAX	(64 * 1024)

int64_t
local_expiry(const struct local_job *j)
{
	static char head[EXPIRY_SCAN_MAX];
	char value[EXPIRES_VALUE_MAX + 1], safe[1024], when_text[32];
	size_t want = j->req.length < sizeof(head) ? (size_t)j->req.length :
	    sizeof(head);
	const char *why;
	int64_t when = 0;
	ssize_t n;

	if (!var_expire_from_header)
		return 0;
	if ((n = pread(j->req.fd, head, want, (off_t)j->req.offset)) <= 0)
		return 0;	/* seen_before reads it too, and fails first */
	switch (expires_header(head, (size_t)n, value, sizeof(value), &when,
	    &why)) {
	case 0:
		return 0;
	case -1:
		expires_log_value(value, safe, sizeof(safe));
		msg_warn("%s: to=<%s>: Expires: \"%s\" ignored: %s",
		    j->req.qid, j->req.recipient, safe, why);
		return 0;
	}
	expires_format(when, when_text, sizeof(when_text));
	msg_info("%s: to=<%s>: expires=%s%s", j->req.qid, j->req.recipient,
	    when_text, when <= (int64_t)time(NULL) ? " (already past: the "
	    "next expire sweep deletes it)" : "");
	return when;
}

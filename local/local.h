/*
 * local.h - the local delivery agent; local(8).
 */
#ifndef POSTERN_LOCAL_H
#define POSTERN_LOCAL_H

#include <stdbool.h>
#include <stdint.h>

#include "mail/agent.h"
#include "mail/mstore.h"

struct local_job {
	struct agent_request req;	/* qid, sender, recipient, the file */
	const char *mailbox;
	const char *extension;
	const char *junk;		/* quarantine reason, or NULL */
	const char *spam;		/* smtpd's "score rules", or NULL */
	uint64_t quota;
	const uint8_t *pk;		/* 32 bytes */
};

/* spam.c: the X-Spam-* fields into prefix, and whether the message goes
 * to Junk; 0, or -1 out of memory */
int local_spam(const struct local_job *j, struct buf *prefix, bool *junk);

/* deliver.c: one recipient; 0, or -1 with *r */
int local_deliver(const struct local_job *j, struct mstore_result *r);

/* expiry.c: the message's Expires: time (logged), 0 if none or unusable */
int64_t local_expiry(const struct local_job *j);

#endif

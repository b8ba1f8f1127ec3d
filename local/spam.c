/*
 * NAME
 *	spam - the recipient's spam verdict, at delivery
 * DESCRIPTION
 *	smtpd scored the message's rules at the end of DATA and left the
 *	score and the rules in the queue file (qmgr passes them as the
 *	"spam" attribute).  Here, with the plaintext still in hand and
 *	before it is sealed, the recipient's own part is added, the
 *	X-Spam-Score and X-Spam-Status fields are written at the top of the
 *	stored message, and a total of junk_threshold or more sends it to
 *	local_junk_folder.  Messages smtpd did not score (our own users'
 *	mail, spam_filter = no) get no fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "local/local.h"
#include "mail/params.h"
#include "mail/spamscore.h"
#include "util/log.h"

int
local_spam(const struct local_job *j, struct buf *prefix, bool *junk)
{
	const char *rules;
	char *end;
	double score;

	*junk = false;
	if (j->spam == NULL)
		return 0;
	score = strtod(j->spam, &end);
	if (end == j->spam || *end != ' ') {
		msg_warn("%s: spam: bad score record \"%s\" (ignored)",
		    j->req.qid, j->spam);
		return 0;
	}
	rules = end + 1;
	*junk = score >= var_junk_threshold;
	msg_info("%s: to=<%s>, spam: score=%.2f, junk=%s", j->req.qid,
	    j->req.recipient, score, *junk ? "yes" : "no");
	return buf_appendf(prefix, "X-Spam-Score: %.2f\r\n"
	    "X-Spam-Status: %s, score=%.2f required=%.2f tests=%s\r\n",
	    score, *junk ? "Yes" : "No", score, var_junk_threshold, rules);
}

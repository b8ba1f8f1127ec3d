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
 *
 *	The recipient's part is the Bayesian classifier's: the user's own
 *	database (trained by moving mail into and out of Junk over IMAP,
 *	or by postern spam train --user) when it has learned enough, else
 *	the site's.  A probability p adds (p - 0.5) * 2 * spam_bayes_spam
 *	above one half, (0.5 - p) * 2 * spam_bayes_ham below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "local/local.h"
#include "mail/bayes.h"
#include "mail/params.h"
#include "mail/spamscore.h"
#include "util/log.h"

/* classify - p from the database at path; -1 if it cannot judge */
static double
classify(const char *path, const char *msg, size_t len)
{
	struct bayes_db *db;
	double p;

	if (bayes_open(path, &db) < 0)
		return -1;
	p = bayes_classify(db, msg, len);
	bayes_close(&db);
	return p;
}

/* bayes - the recipient's probability, and whose database said it */
static double
bayes(const struct local_job *j, const char **whose)
{
	size_t len = j->req.length < var_bayes_scan_limit ?
	    (size_t)j->req.length : (size_t)var_bayes_scan_limit;
	char path[1024], *msg = malloc(len + 1);
	double p = -1;

	if (msg == NULL || pread(j->req.fd, msg, len, (off_t)j->req.offset) !=
	    (ssize_t)len) {
		free(msg);
		return -1;
	}
	if (bayes_user_path(NULL, j->mailbox, path, sizeof(path)) == 0 &&
	    (p = classify(path, msg, len)) >= 0)
		*whose = "user";
	else if (bayes_site_path(NULL, path, sizeof(path)) == 0 &&
	    (p = classify(path, msg, len)) >= 0)
		*whose = "site";
	free(msg);
	return p;
}

int
local_spam(const struct local_job *j, struct buf *prefix, bool *junk)
{
	const char *rules, *whose = NULL;
	char *end, extra[96] = "";
	double score, p, add;

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
	if ((p = bayes(j, &whose)) >= 0) {
		add = p >= 0.5 ? (p - 0.5) * 2 * var_spam_bayes_spam :
		    (0.5 - p) * 2 * var_spam_bayes_ham;
		add = (double)(long)(add * 100 + (add < 0 ? -0.5 : 0.5)) / 100;
		score += add;
		snprintf(extra, sizeof(extra), "%sBAYES=%g bayes=%.3f (%s)",
		    strcmp(rules, "-") == 0 ? "" : ",", add, p, whose);
		if (strcmp(rules, "-") == 0)
			rules = "";
	}
	*junk = score >= var_junk_threshold;
	msg_info("%s: to=<%s>, spam: score=%.2f, %s%s%sjunk=%s", j->req.qid,
	    j->req.recipient, score, whose != NULL ? "bayes=" : "",
	    whose != NULL ? whose : "", whose != NULL ? ", " : "",
	    *junk ? "yes" : "no");
	return buf_appendf(prefix, "X-Spam-Score: %.2f\r\n"
	    "X-Spam-Status: %s, score=%.2f required=%.2f tests=%s%s\r\n",
	    score, *junk ? "Yes" : "No", score, var_junk_threshold, rules,
	    extra);
}

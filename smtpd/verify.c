/*
 * NAME
 *	verify - the end of a message: DKIM, DMARC, Authentication-Results
 * DESCRIPTION
 *	While the message streams into the queue file, verify_see_field
 *	looks at each header field: the From: address (its domain is what
 *	DMARC aligns with; on submission it must be the user's own) and
 *	whether any DKIM-Signature is there at all.
 *
 *	At the end of DATA, a worker thread (key and policy lookups ask DNS)
 *	reads the message back from the queue file, which is still in the
 *	page cache, verifies its DKIM signatures and judges DMARC.  Back in
 *	the loop the verdict is applied: DMARC p=reject gets 550 5.7.1 (or
 *	quarantine, by smtpd_dmarc_reject_action), p=quarantine sends the
 *	message to the Junk folder, a DNS failure may defer.  The
 *	Authentication-Results field (RFC 8601) goes into the head room
 *	kept in front of the message (doc/queue-file.md), so that it stands
 *	at the top although it is known only at the end.  Then the message
 *	is committed as before.
 *
 *	The milters (milter.c) run on the same worker after DMARC, and for
 *	our own users' mail too; their verdict is applied after DMARC's,
 *	and the fields they add follow ours in the head room.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail/fromaddr.h"
#include "mail/params.h"
#include "smtpd/smtpd.h"
#include "util/counters.h"
#include "util/log.h"
#include "util/mem.h"

void
verify_begin(struct session *ss)
{
	ss->from_fields = 0;
	ss->from_addr[0] = '\0';
	ss->from_domain[0] = '\0';
	ss->dkim_fields = 0;
	if (qfile_write_reserve(&ss->q.w,
	    (size_t)var_smtpd_head_room) < 0)
		ss->q_errno = errno;
	ss->hd.see = verify_see_field;
}

/* is_field - whether f is a field called name */
static const char *
is_field(const char *f, size_t n, const char *name)
{
	size_t l = strlen(name);
	const char *colon;

	if (n <= l || strncasecmp(f, name, l) != 0 ||
	    (colon = memchr(f, ':', n)) == NULL ||
	    strspn(f + l, " \t") != (size_t)(colon - f - (long)l))
		return NULL;
	return colon + 1;
}

void
verify_see_field(void *ctx, const char *f, size_t n)
{
	struct session *ss = ctx;
	const char *v, *at;

	if (is_field(f, n, "DKIM-Signature") != NULL) {
		ss->dkim_fields++;
		return;
	}
	if ((v = is_field(f, n, "From")) == NULL)
		return;
	ss->from_fields++;
	ss->from_domain[0] = '\0';
	if (!fromaddr_parse(v, n - (size_t)(v - f), ss->from_addr,
	    sizeof(ss->from_addr))) {
		ss->from_addr[0] = '\0';
		return;
	}
	if ((at = strrchr(ss->from_addr, '@')) != NULL && at[1] != '\0') {
		size_t i;

		for (i = 0; at[1 + i] != '\0' && i + 1 < sizeof(ss->from_domain);
		    i++)
			ss->from_domain[i] = (char)tolower((unsigned char)at[1 +
			    i]);
		ss->from_domain[i] = '\0';
	}
}

/* work - in a worker thread: DKIM, then DMARC */
static void
work(struct workq_job *j)
{
	struct verify_job *c = (struct verify_job *)j;
	struct session *ss = c->ss;
	struct qfile_writer *w = &ss->q.w;
	char from[ADDR_PATH_MAX + 1];
	const char *spf_domain = ss->helo, *at;
	size_t max = (size_t)var_smtpd_dkim_signature_limit;

	c->n_sigs = 0;
	c->dkim_error = false;
	if (max > VERIFY_SIGS_MAX)
		max = VERIFY_SIGS_MAX;
	if (var_smtpd_dkim && ss->dkim_fields > 0) {
		/* The message is read back: what is buffered goes first. */
		if (qfile_write_flush(w) < 0 || dkimv_verify(w->fd,
		    w->msg_start, w->msg_len, c->sigs, max, &c->n_sigs) < 0)
			c->dkim_error = true;
	}
	if (!ss->mail.from.null) {
		addr_text(&ss->mail.from, from, sizeof(from));
		spf_domain = (at = strrchr(from, '@')) != NULL ? at + 1 : "";
	}
	if (var_smtpd_dmarc)
		dmarc_check(ss->from_fields == 1 ? ss->from_domain : "",
		    var_smtpd_spf ? spf_domain : "", ss->spf, c->sigs, c->n_sigs, &c->dmarc);
	if (spam_wanted(ss))
		spam_work(c);
	milter_work(ss, &c->milter);
}

/* results - the Authentication-Results field, with at most max_sigs
 * signatures reported */
static int
results(const struct session *ss, const struct verify_job *c,
    size_t max_sigs, struct buf *b)
{
	char from[ADDR_PATH_MAX + 1];
	int rc = buf_appendf(b, "Authentication-Results: %s", var_myhostname);
	bool any = false;

	if (ss->auth_user[0] != '\0')
		return rc | buf_appendf(b, ";\r\n\tauth=pass smtp.auth=%s\r\n",
		    ss->auth_user);
	if (var_smtpd_spf) {
		any = true;
		if (ss->mail.from.null)
			rc |= buf_appendf(b, ";\r\n\tspf=%s smtp.helo=%s",
			    spf_name(ss->spf), ss->helo);
		else
			rc |= buf_appendf(b, ";\r\n\tspf=%s smtp.mailfrom=%s",
			    spf_name(ss->spf), addr_text(&ss->mail.from, from,
			    sizeof(from)));
	}
	if (var_smtpd_dkim) {
		any = true;
		if (c->dkim_error)
			rc |= buf_append_str(b, ";\r\n\tdkim=temperror "
			    "(verifier unavailable)");
		else if (c->n_sigs == 0)
			rc |= buf_append_str(b, ";\r\n\tdkim=none");
		for (size_t i = 0; i < c->n_sigs && i < max_sigs; i++) {
			const struct dkimv_sig *s = &c->sigs[i];

			rc |= buf_appendf(b, ";\r\n\tdkim=%s", dkimv_name(
			    s->result));
			if (s->why[0] != '\0')
				rc |= buf_appendf(b, " (%s)", s->why);
			rc |= buf_appendf(b, " header.d=%s header.s=%s",
			    s->domain, s->selector);
			if (s->algorithm[0] != '\0')
				rc |= buf_appendf(b, " header.a=%s",
				    s->algorithm);
			if (s->b[0] != '\0')
				rc |= buf_appendf(b, " header.b=%s", s->b);
		}
	}
	if (var_smtpd_dmarc) {
		any = true;
		rc |= buf_appendf(b, ";\r\n\tdmarc=%s", dmarc_name(
		    c->dmarc.result));
		if (c->dmarc.result == DMARC_PASS ||
		    c->dmarc.result == DMARC_FAIL)
			rc |= buf_appendf(b, " (p=%s dis=%s)",
			    dmarc_dis_name(c->dmarc.policy),
			    dmarc_dis_name(c->dmarc.result == DMARC_FAIL ?
			    c->dmarc.dis : DMARC_DIS_NONE));
		if (c->dmarc.from_domain[0] != '\0')
			rc |= buf_appendf(b, " header.from=%s",
			    c->dmarc.from_domain);
	}
	if (!any)
		rc |= buf_append_str(b, "; none");
	return rc | buf_append_str(b, "\r\n");
}

/* log_results - one line for the queue ID */
static void
log_results(const struct session *ss, const struct verify_job *c)
{
	char dkim[256] = "none";
	size_t o = 0;

	for (size_t i = 0; i < c->n_sigs && o < sizeof(dkim) - 1; i++)
		o += (size_t)snprintf(dkim + o, sizeof(dkim) - o, "%s%s(%s)",
		    i > 0 ? "," : "", dkimv_name(c->sigs[i].result),
		    c->sigs[i].domain);
	msg_info("%s: spf=%s, dkim=%s, dmarc=%s%s%s", ss->q.qid,
	    spf_name(ss->spf), c->dkim_error ? "temperror" : dkim,
	    dmarc_name(c->dmarc.result), c->dmarc.from_domain[0] != '\0' ?
	    " header.from=" : "", c->dmarc.from_domain);
}

/* checked - back in the loop: apply the verdict, then commit */
static void
checked(struct workq_job *j)
{
	struct verify_job *c = (struct verify_job *)j;
	struct session *ss = c->ss;
	const struct dmarc_verdict *d = &c->dmarc;
	struct buf ar = BUF_INIT, extra = BUF_INIT;
	struct qfile_head head = { 0 };
	char why[384];
	const char *quarantine = NULL, *junk = NULL;
	size_t shown = c->n_sigs;
	bool reject = false;

	ss->verify = NULL;
	if (ss->gone) {
		free(c);
		session_free(ss);
		return;
	}
	if (ss->auth_user[0] == '\0')
		log_results(ss, c);
	if (d->result == DMARC_FAIL && d->dis == DMARC_DIS_REJECT) {
		if (strcmp(var_smtpd_dmarc_reject_action, "reject") == 0)
			reject = true;
		else if (strcmp(var_smtpd_dmarc_reject_action,
		    "quarantine") == 0)
			quarantine = "reject";
	} else if (d->result == DMARC_FAIL && d->dis == DMARC_DIS_QUARANTINE)
		quarantine = "quarantine";
	if (reject) {
		counter_add("smtpd_rejects_total", "reason=dmarc", 1);
		msg_info("reject: %s from [%s]: DMARC policy of %s is reject",
		    ss->commit_verb, ss->addr, d->from_domain);
		reply(ss, 550, "5.7.1", "Error: the message fails the DMARC "
		    "policy of %s (reject)", d->from_domain);
		goto refused;
	}
	if (d->result == DMARC_TEMPERROR && var_smtpd_dmarc_defer_temperror) {
		reply(ss, 451, "4.7.5", "Error: the DMARC policy of %s cannot "
		    "be fetched now, try again later", d->from_domain);
		goto refused;
	}
	if (spam_apply(ss, c, &extra, &head) < 0)
		goto refused;
	if (quarantine != NULL) {
		snprintf(why, sizeof(why), "DMARC policy of %s: %s",
		    d->from_domain, quarantine);
		msg_info("%s: quarantine: %s", ss->q.qid, why);
		junk = why;
	}
	if (milter_checked(ss, &c->milter, &junk) < 0)
		goto refused;
	head.quarantine = junk;
	/* Fewer signatures reported until the field fits the room. */
	for (;;) {
		buf_reset(&ar);
		if (results(ss, c, shown, &ar) != 0 || buf_append(&ar,
		    c->milter.head, c->milter.head_len) < 0 ||
		    buf_append(&ar, extra.data, extra.len) < 0) {
			ss->q_errno = ENOMEM;
			break;
		}
		if (qfile_write_head(&ss->q.w, &head, ar.data, ar.len) == 0)
			break;
		if (errno == ENOSPC && shown == 0 && extra.len > 0) {
			/* The warning is what can go; the message cannot. */
			msg_warn("%s: no head room left for the "
			    "X-Phishing-Warning field (smtpd_head_room)",
			    ss->q.qid);
			buf_reset(&extra);
			shown = c->n_sigs;
			continue;
		}
		if (errno != ENOSPC || shown == 0) {
			ss->q_errno = errno;
			break;
		}
		shown--;
	}
	buf_free(&ar);
	buf_free(&extra);
	if (ss->q_errno != 0) {
		msg_warn("[%s]: queue file write error: %s", ss->addr,
		    strerror(ss->q_errno));
		reply(ss, 451, "4.3.0", "Error: queue file write error");
		goto refused;
	}
	free(c);
	commit_message(ss);
	return;
refused:
	buf_free(&extra);
	free(c);
	session_reset(ss);
	session_set_mode(ss, MODE_COMMAND);
	stream_resume(ss->s);
}

void
verify_message(struct session *ss)
{
	struct verify_job *c = xcalloc(1, sizeof(*c));

	ss->verify = c;
	c->ss = ss;
	c->job.work = work;
	c->job.done = checked;
	session_set_mode(ss, MODE_COMMIT);
	stream_pause(ss->s);
	if (ss->auth_user[0] != '\0') {
		/* Our own user's mail: nothing to verify, no DNS to ask;
		 * only the milters, if any, see it. */
		c->job.work = milter_job;
		if (!milter_enabled()) {
			checked(&c->job);
			return;
		}
	}
	sender_submit(&c->job);
}

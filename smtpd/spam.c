/*
 * NAME
 *	spam - score a message from outside at the end of DATA
 * DESCRIPTION
 *	Runs on the worker thread after DKIM and DMARC (verify.c), since
 *	the DNS lists and the HELO name are DNS questions: the message is
 *	read back from the queue file (at most spam_scan_limit bytes),
 *	scanned (lib/mail/spamscan), the client's address asked of the
 *	block and allow lists, the link hosts of the URI lists, and the
 *	rules weighed (lib/mail/spamscore).
 *
 *	Back in the loop, a rules score of reject_threshold or more is
 *	refused with 550 5.7.1; otherwise the score and rules go into the
 *	queue file ("Y" record) for local, which adds the recipient's
 *	Bayesian verdict, writes X-Spam-Score and X-Spam-Status, and files
 *	the message in Junk at junk_threshold.  A phishing verdict adds an
 *	X-Phishing-Warning field saying what was seen.
 *
 *	Mail from our own logged-in users is not scored.  Loopback clients
 *	are not looked up in DNS lists (127.0.0.2 is every list's test
 *	entry).
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/dns.h"
#include "mail/dnsbl.h"
#include "mail/params.h"
#include "smtpd/smtpd.h"
#include "util/counters.h"
#include "util/log.h"
#include "util/mem.h"

bool
spam_wanted(const struct session *ss)
{
	return var_spam_filter && ss->auth_user[0] == '\0';
}

/* listed - the first zone of the list setting that lists the address */
static const char *
listed(const char *zones, const char *ip, char *zone, size_t size)
{
	const char *p = zones, *w;
	size_t n;

	while ((w = spam_list_next(&p, &n)) != NULL) {
		if (n >= size)
			continue;
		memcpy(zone, w, n);
		zone[n] = '\0';
		if (dnsbl_ip(ip, zone) == 1)
			return zone;
	}
	return NULL;
}

/* registered - the last two labels of host (three under co.uk-like
 * second levels are not told apart: the URI lists take either) */
static const char *
registered(const char *host)
{
	const char *last = strrchr(host, '.'), *p;

	if (last == NULL)
		return host;
	for (p = last - 1; p > host && *p != '.'; p--)
		;
	return p > host ? p + 1 : host;
}

static const char *
uri_listed(const struct spam_scan *s, char *found, size_t size)
{
	size_t asked = 0;

	for (size_t i = 0; i < s->n_hosts && asked <
	    var_spam_uribl_lookup_limit; i++) {
		const char *h = s->hosts[i], *p = var_spam_uribl_zones, *w;
		const char *reg = registered(h);
		struct in_addr a;
		size_t n;
		char zone[NS_MAXDNAME];

		if (inet_pton(AF_INET, h, &a) == 1)
			continue;
		asked++;
		while ((w = spam_list_next(&p, &n)) != NULL) {
			if (n >= sizeof(zone))
				continue;
			memcpy(zone, w, n);
			zone[n] = '\0';
			if (dnsbl_domain(h, zone) == 1 || (reg != h &&
			    dnsbl_domain(reg, zone) == 1)) {
				snprintf(found, size, "%s", h);
				return found;
			}
		}
	}
	return NULL;
}

/* helo_resolves - 1 the HELO name has an address, 0 not, -1 unknown */
static int
helo_resolves(const char *helo)
{
	struct dns_reply r;
	enum dns_status st;

	if (helo[0] == '\0' || helo[0] == '[' || strchr(helo, '.') == NULL)
		return helo[0] == '[' ? -1 : 0;
	dns_query(helo, ns_t_a, &r);
	st = r.status;
	dns_reply_free(&r);
	if (st == DNS_NODATA) {
		dns_query(helo, ns_t_aaaa, &r);
		st = r.status;
		dns_reply_free(&r);
	}
	return st == DNS_OK ? 1 : st == DNS_TEMPFAIL ? -1 : 0;
}

static bool
loopback(const char *ip)
{
	return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0;
}

void
spam_work(struct verify_job *c)
{
	struct session *ss = c->ss;
	struct qfile_writer *w = &ss->q.w;
	struct spam_scan *s = xcalloc(1, sizeof(*s));
	struct spam_input in = { 0 };
	size_t len = w->msg_len < var_spam_scan_limit ? (size_t)w->msg_len :
	    (size_t)var_spam_scan_limit;
	char *msg = xmalloc(len + 1);
	char dnsbl[NS_MAXDNAME], dnswl[NS_MAXDNAME], uri[SPAM_HOST_MAX + 1];

	if (qfile_write_flush(w) < 0 || pread(w->fd, msg, len,
	    (off_t)w->msg_start) != (ssize_t)len) {
		msg_warn("%s: spam: cannot read the message back: %s",
		    ss->q.qid, strerror(errno));
		goto out;
	}
	spam_scan(msg, len, s);
	in.spf_checked = var_smtpd_spf;
	in.spf = ss->spf;
	/* For the null sender the HELO name was the identity already. */
	in.spf_helo_checked = ss->spf_helo_known && !ss->mail.from.null;
	in.spf_helo = ss->spf_helo;
	in.dkim_checked = var_smtpd_dkim && !c->dkim_error;
	in.sigs = c->sigs;
	in.n_sigs = c->n_sigs;
	in.dmarc_checked = var_smtpd_dmarc;
	in.dmarc = c->dmarc.result;
	if (!loopback(ss->addr)) {
		in.dnsbl = listed(var_spam_dnsbl_zones, ss->addr, dnsbl,
		    sizeof(dnsbl));
		in.dnswl = listed(var_spam_dnswl_zones, ss->addr, dnswl,
		    sizeof(dnswl));
	}
	in.uribl = uri_listed(s, uri, sizeof(uri));
	in.helo = ss->helo;
	in.helo_resolves = helo_resolves(ss->helo);
	in.scan = s;
	spam_judge(&in, &c->spam);
	spam_verdict_text(&c->spam, c->spam_text, sizeof(c->spam_text));
	if (in.dnsbl != NULL)
		snprintf(c->spam_lists, sizeof(c->spam_lists), "dnsbl=%s",
		    in.dnsbl);
	if (in.uribl != NULL)
		snprintf(c->spam_lists + strlen(c->spam_lists),
		    sizeof(c->spam_lists) - strlen(c->spam_lists), "%suribl=%s",
		    c->spam_lists[0] != '\0' ? ", " : "", in.uribl);
	c->spam_done = true;
out:
	free(msg);
	free(s);
}

int
spam_apply(struct session *ss, struct verify_job *c, struct buf *fields,
    struct qfile_head *h)
{
	if (!c->spam_done)
		return 0;
	msg_info("%s: spam: score=%.2f, rules=%s%s%s", ss->q.qid,
	    c->spam.score, strchr(c->spam_text, ' ') + 1,
	    c->spam_lists[0] != '\0' ? ", " : "", c->spam_lists);
	if (c->spam.score >= var_reject_threshold) {
		counter_add("smtpd_rejects_total", "reason=spam", 1);
		msg_info("reject: %s from [%s]: spam score %.2f >= %.2f",
		    ss->commit_verb, ss->addr, c->spam.score,
		    var_reject_threshold);
		reply(ss, 550, "5.7.1", "Error: the message looks like spam "
		    "(score %.1f), not accepted", c->spam.score);
		return -1;
	}
	h->spam = c->spam_text;
	if (c->spam.phish >= var_phish_threshold && c->spam.why[0] != '\0') {
		msg_info("%s: phishing: %s", ss->q.qid, c->spam.why);
		if (buf_appendf(fields, "X-Phishing-Warning: this message may "
		    "be phishing: %s\r\n", c->spam.why) < 0)
			ss->q_errno = ENOMEM;
	}
	return 0;
}

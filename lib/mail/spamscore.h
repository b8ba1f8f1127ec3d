/*
 * spamscore - the weighted rules: what smtpd learned about a message
 * (sender authentication, DNS lists, its HELO, spamscan's findings) in,
 * a score and the rules that made it out.
 *
 * Every weight is a setting (spam_score_<rule>, lib/mail/params_spam.c),
 * and so are the thresholds: junk_threshold (local files the message in
 * Junk), reject_threshold (smtpd refuses it at the end of DATA) and
 * phish_threshold (the phishing rules alone: a warning header).  The
 * Bayesian part is added per recipient by local (spam_bayes_weight).
 */
#ifndef POSTERN_SPAMSCORE_H
#define POSTERN_SPAMSCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mail/dkimv.h"
#include "mail/dmarc.h"
#include "mail/spamscan.h"
#include "mail/spf.h"

enum spam_rule {
	SR_SPF_FAIL, SR_SPF_SOFTFAIL, SR_SPF_HELO_FAIL, SR_DKIM_FAIL, SR_DMARC_FAIL, SR_NO_AUTH,
	SR_DNSBL, SR_DNSWL, SR_URIBL,
	SR_NO_DATE, SR_BAD_DATE, SR_NO_MESSAGE_ID, SR_BAD_MESSAGE_ID,
	SR_HELO_NO_RESOLVE, SR_HELO_FORGED, SR_MANY_TO, SR_HTML_ONLY,
	SR_HTML_HIDDEN,
	SR_PHISH_DISPLAY_ADDR, SR_PHISH_LOOKALIKE, SR_PHISH_IDN,
	SR_PHISH_LINK_MISMATCH, SR_PHISH_IP_LINK, SR_PHISH_CREDENTIALS,
	SR_COUNT
};

extern double spam_weight[SR_COUNT];
extern double var_junk_threshold;
extern double var_reject_threshold;
extern double var_phish_threshold;
extern double var_spam_bayes_spam;
extern double var_spam_bayes_ham;
extern bool var_spam_filter;
extern char *var_spam_dnsbl_zones;
extern char *var_spam_dnswl_zones;
extern char *var_spam_uribl_zones;
extern char *var_spam_protected_domains;
extern char *var_spam_brand_domains;
extern uint64_t var_spam_many_recipients;
extern uint64_t var_spam_scan_limit;
extern uint64_t var_spam_uribl_lookup_limit;
extern bool var_smtpd_greylist;
extern uint64_t var_smtpd_greylist_delay;
extern uint64_t var_smtpd_greylist_retry_window;
extern uint64_t var_smtpd_greylist_lifetime;
extern char *var_smtpd_greylist_exempt_networks;

/* What smtpd knows besides the message's bytes. */
struct spam_input {
	bool spf_checked;
	enum spf_result spf;
	bool spf_helo_checked;		/* the HELO name on its own */
	enum spf_result spf_helo;
	bool dkim_checked;
	const struct dkimv_sig *sigs;
	size_t n_sigs;
	bool dmarc_checked;
	enum dmarc_result dmarc;
	const char *dnsbl;	/* the zone that lists the client, or NULL */
	const char *dnswl;	/* the allow list that lists it, or NULL */
	const char *uribl;	/* a link's host that a URI list has, or NULL */
	int helo_resolves;	/* 1, 0, or -1 unknown (DNS failed, literal) */
	const char *helo;
	const struct spam_scan *scan;
};

#define SPAM_WHY_MAX	512

struct spam_verdict {
	double score;		/* sum of the rules that hit */
	double phish;		/* sum of the phishing rules */
	bool hit[SR_COUNT];
	char why[SPAM_WHY_MAX];	/* what the phishing rules saw, for people */
};

/* spam_rule_name - "SPF_FAIL" */
const char *spam_rule_name(enum spam_rule r);

/* spam_judge - the rules over what is known */
void spam_judge(const struct spam_input *in, struct spam_verdict *v);

/* spam_verdict_text - "4.50 SPF_FAIL=3,NO_DATE=1.5" into out (the
 * queue file's Y record, and what local writes in X-Spam-Status) */
void spam_verdict_text(const struct spam_verdict *v, char *out,
    size_t size);

/* spam_list_next - the next word of a list setting ("a, b c"): its start
 * and length, or NULL at the end; *p is advanced. */
const char *spam_list_next(const char **p, size_t *len);

#endif

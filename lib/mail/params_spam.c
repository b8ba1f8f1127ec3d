/*
 * NAME
 *	params_spam - the settings of spam and phishing scoring
 * DESCRIPTION
 *	The weight of every rule of spamscore.h (spam_score_<rule>), the
 *	thresholds, the DNS lists and the names that phishing imitates.  A
 *	table of its own so that the rule list and its settings stay side
 *	by side.
 */
#include "mail/params.h"
#include "mail/spamscore.h"

double spam_weight[SR_COUNT];
double var_junk_threshold;
double var_reject_threshold;
double var_phish_threshold;
double var_spam_bayes_spam;
double var_spam_bayes_ham;
bool var_spam_filter;
char *var_spam_dnsbl_zones;
char *var_spam_dnswl_zones;
char *var_spam_uribl_zones;
char *var_spam_protected_domains;
char *var_spam_brand_domains;
uint64_t var_spam_many_recipients;
uint64_t var_spam_scan_limit;
uint64_t var_spam_uribl_lookup_limit;
bool var_smtpd_greylist;
uint64_t var_smtpd_greylist_delay;
uint64_t var_smtpd_greylist_retry_window;
uint64_t var_smtpd_greylist_lifetime;
char *var_smtpd_greylist_exempt_networks;

#define WEIGHT(rule, name, def, doc) \
	{ "spam_score_" name, CONF_SCORE, def, &spam_weight[rule], 0, 0, \
	    "weight of " doc }

const struct conf_def spam_params[] = {
	{ "spam_filter", CONF_BOOL, "yes", &var_spam_filter, 0, 0,
	    "score mail from outside for spam and phishing at the end of "
	    "DATA (smtpd) and per recipient with the Bayesian classifier "
	    "(local); mail from our own logged-in users is not scored" },
	{ "junk_threshold", CONF_SCORE, "5", &var_junk_threshold, 0, 0,
	    "a message scoring at least this goes to the recipient's Junk "
	    "folder (local_junk_folder)" },
	{ "reject_threshold", CONF_SCORE, "12", &var_reject_threshold, 0, 0,
	    "smtpd refuses a message whose rules score at least this with "
	    "550 5.7.1 at the end of DATA (the Bayesian part, which is per "
	    "recipient, is not counted here)" },
	{ "phish_threshold", CONF_SCORE, "3", &var_phish_threshold, 0, 0,
	    "when the phishing rules (PHISH_*) together score at least this, "
	    "the message gets an X-Phishing-Warning field that says why" },
	{ "spam_bayes_spam", CONF_SCORE, "5", &var_spam_bayes_spam, 0, 0,
	    "what the Bayesian classifier adds at a spam probability of 1 "
	    "(scaled down to 0 at 0.5)" },
	{ "spam_bayes_ham", CONF_SCORE, "-3", &var_spam_bayes_ham, 0, 0,
	    "what the Bayesian classifier adds at a spam probability of 0 "
	    "(scaled down to 0 at 0.5)" },
	{ "spam_dnsbl_zones", CONF_STR, "", &var_spam_dnsbl_zones, 0, 0,
	    "DNS block lists (RFC 5782) asked about the client's address, "
	    "e.g. zen.spamhaus.org; empty: none" },
	{ "spam_dnswl_zones", CONF_STR, "", &var_spam_dnswl_zones, 0, 0,
	    "DNS allow lists asked about the client's address (a listing "
	    "adds spam_score_dnswl, which is negative)" },
	{ "spam_uribl_zones", CONF_STR, "", &var_spam_uribl_zones, 0, 0,
	    "URI block lists asked about the hosts that the message's links "
	    "lead to (the host, and its registered domain), e.g. "
	    "multi.surbl.org" },
	{ "spam_uribl_lookup_limit", CONF_INT, "10",
	    &var_spam_uribl_lookup_limit, 0, 32, "ask the URI lists about at "
	    "most this many link hosts of one message (the first ones)" },
	{ "spam_protected_domains", CONF_STR, "$mydomain",
	    &var_spam_protected_domains, 0, 0, "our own domains: a HELO "
	    "that claims one of them (or myhostname) is forged, and a sender "
	    "or link domain that looks like one is phishing" },
	{ "spam_brand_domains", CONF_STR, "paypal.com, apple.com, "
	    "microsoft.com, google.com, amazon.com, facebook.com, "
	    "netflix.com, linkedin.com, dhl.com, ups.com, fedex.com, "
	    "ebay.com, instagram.com, docusign.com, dropbox.com",
	    &var_spam_brand_domains, 0, 0, "well-known domains that phishing "
	    "imitates: a sender or link domain that looks like one of them "
	    "(confusable letters, punycode, one letter off, or the name "
	    "inside another) is phishing" },
	{ "spam_many_recipients", CONF_INT, "10", &var_spam_many_recipients,
	    0, 100000, "a To: field with at least this many addresses counts "
	    "against a message (MANY_TO); 0: never" },
	{ "spam_scan_limit", CONF_SIZE, "512k", &var_spam_scan_limit, 4096,
	    (uint64_t)64 << 20, "scan at most this much of a message for "
	    "links, words and HTML (the header is always read whole)" },
	{ "smtpd_greylist", CONF_BOOL, "no", &var_smtpd_greylist, 0, 0,
	    "greylisting (RFC 6647): the first RCPT of an unknown (client "
	    "/24 or /64, sender, recipient) triplet from outside gets 451 "
	    "4.7.1; a retry after smtpd_greylist_delay passes" },
	{ "smtpd_greylist_delay", CONF_TIME, "5m", &var_smtpd_greylist_delay,
	    0, 86400, "how long a new triplet is deferred" },
	{ "smtpd_greylist_retry_window", CONF_TIME, "1d",
	    &var_smtpd_greylist_retry_window, 60, 2592000, "a triplet not "
	    "retried within this long after its first attempt starts over" },
	{ "smtpd_greylist_lifetime", CONF_TIME, "36d",
	    &var_smtpd_greylist_lifetime, 60, 31536000, "a triplet that "
	    "passed passes at once for this long after its last use" },
	{ "smtpd_greylist_exempt_networks", CONF_STR, "127.0.0.0/8",
	    &var_smtpd_greylist_exempt_networks, 0, 0, "clients (IPv4 "
	    "address/prefix list) that are never greylisted" },
	WEIGHT(SR_SPF_FAIL, "spf_fail", "3", "SPF fail (-all)"),
	WEIGHT(SR_SPF_SOFTFAIL, "spf_softfail", "1", "SPF softfail (~all)"),
	WEIGHT(SR_SPF_HELO_FAIL, "spf_helo_fail", "2",
	    "SPF fail of the HELO name (smtpd_spf_helo)"),
	WEIGHT(SR_DKIM_FAIL, "dkim_fail", "1.5", "a DKIM signature that "
	    "fails, none passing"),
	WEIGHT(SR_DMARC_FAIL, "dmarc_fail", "2", "a DMARC fail (whatever "
	    "the domain's policy; p=reject and p=quarantine also act on "
	    "their own, see smtpd_dmarc_reject_action)"),
	WEIGHT(SR_NO_AUTH, "no_auth", "1", "neither SPF nor DKIM vouching "
	    "for the message"),
	WEIGHT(SR_DNSBL, "dnsbl", "4", "the client listed in "
	    "spam_dnsbl_zones"),
	WEIGHT(SR_DNSWL, "dnswl", "-4", "the client listed in "
	    "spam_dnswl_zones"),
	WEIGHT(SR_URIBL, "uribl", "4", "a link host listed in "
	    "spam_uribl_zones"),
	WEIGHT(SR_NO_DATE, "no_date", "1", "no Date: field"),
	WEIGHT(SR_BAD_DATE, "bad_date", "1", "a Date: that is not an RFC "
	    "5322 date"),
	WEIGHT(SR_NO_MESSAGE_ID, "no_message_id", "0.5", "no Message-ID:"),
	WEIGHT(SR_BAD_MESSAGE_ID, "bad_message_id", "0.5", "a Message-ID: "
	    "not of the form <left@right>"),
	WEIGHT(SR_HELO_NO_RESOLVE, "helo_no_resolve", "1", "a HELO name "
	    "that has no address in DNS"),
	WEIGHT(SR_HELO_FORGED, "helo_forged", "3", "a HELO that claims to "
	    "be us (myhostname or spam_protected_domains)"),
	WEIGHT(SR_MANY_TO, "many_to", "1", "a To: with "
	    "spam_many_recipients addresses or more"),
	WEIGHT(SR_HTML_ONLY, "html_only", "0.5", "HTML without a plain-text "
	    "alternative"),
	WEIGHT(SR_HTML_HIDDEN, "html_hidden", "1.5", "HTML text styled not "
	    "to be seen (display:none, font-size:0, ...)"),
	WEIGHT(SR_PHISH_DISPLAY_ADDR, "phish_display_addr", "2.5", "a "
	    "display name that shows another address than the sender's"),
	WEIGHT(SR_PHISH_LOOKALIKE, "phish_lookalike", "4", "a sender or "
	    "link domain that looks like ours or a brand's"),
	WEIGHT(SR_PHISH_IDN, "phish_idn", "1", "a sender domain in punycode "
	    "(xn--)"),
	WEIGHT(SR_PHISH_LINK_MISMATCH, "phish_link_mismatch", "3", "a link "
	    "whose text names another domain than it leads to"),
	WEIGHT(SR_PHISH_IP_LINK, "phish_ip_link", "2", "a link to a bare IP "
	    "address"),
	WEIGHT(SR_PHISH_CREDENTIALS, "phish_credentials", "3", "wording that "
	    "asks for passwords or account details, in a message that no SPF, "
	    "DKIM or DMARC pass vouches for"),
	CONF_END
};

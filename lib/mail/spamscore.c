/*
 * NAME
 *	spamscore - the weighted rules (spamscore.h)
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail/lookalike.h"
#include "mail/params.h"
#include "mail/spamscore.h"

static const char *const names[SR_COUNT] = {
	[SR_SPF_FAIL] = "SPF_FAIL", [SR_SPF_SOFTFAIL] = "SPF_SOFTFAIL",
	[SR_SPF_HELO_FAIL] = "SPF_HELO_FAIL",
	[SR_DKIM_FAIL] = "DKIM_FAIL", [SR_DMARC_FAIL] = "DMARC_FAIL",
	[SR_NO_AUTH] = "NO_AUTH", [SR_DNSBL] = "DNSBL", [SR_DNSWL] = "DNSWL",
	[SR_URIBL] = "URIBL", [SR_NO_DATE] = "NO_DATE",
	[SR_BAD_DATE] = "BAD_DATE", [SR_NO_MESSAGE_ID] = "NO_MESSAGE_ID",
	[SR_BAD_MESSAGE_ID] = "BAD_MESSAGE_ID",
	[SR_HELO_NO_RESOLVE] = "HELO_NO_RESOLVE",
	[SR_HELO_FORGED] = "HELO_FORGED", [SR_MANY_TO] = "MANY_TO",
	[SR_HTML_ONLY] = "HTML_ONLY", [SR_HTML_HIDDEN] = "HTML_HIDDEN",
	[SR_PHISH_DISPLAY_ADDR] = "PHISH_DISPLAY_ADDR",
	[SR_PHISH_LOOKALIKE] = "PHISH_LOOKALIKE",
	[SR_PHISH_IDN] = "PHISH_IDN",
	[SR_PHISH_LINK_MISMATCH] = "PHISH_LINK_MISMATCH",
	[SR_PHISH_IP_LINK] = "PHISH_IP_LINK",
	[SR_PHISH_CREDENTIALS] = "PHISH_CREDENTIALS",
};

const char *
spam_rule_name(enum spam_rule r)
{
	return names[r];
}

const char *
spam_list_next(const char **p, size_t *len)
{
	const char *s = *p + strspn(*p, " \t,");

	if (*s == '\0')
		return NULL;
	*len = strcspn(s, " \t,");
	*p = s + *len;
	return s;
}

static bool
is_phish(enum spam_rule r)
{
	return r >= SR_PHISH_DISPLAY_ADDR;
}

static void
hit(struct spam_verdict *v, enum spam_rule r)
{
	if (v->hit[r] || spam_weight[r] == 0)
		return;		/* a weight of 0 turns the rule off */
	v->hit[r] = true;
	v->score += spam_weight[r];
	if (is_phish(r))
		v->phish += spam_weight[r];
}

/* why - add a sentence for people to the phishing explanation */
static void __attribute__((format(printf, 2, 3)))
why(struct spam_verdict *v, const char *fmt, ...)
{
	size_t o = strlen(v->why);
	va_list ap;

	if (o + 3 >= sizeof(v->why))
		return;
	if (o > 0) {
		memcpy(v->why + o, "; ", 3);
		o += 2;
	}
	va_start(ap, fmt);
	vsnprintf(v->why + o, sizeof(v->why) - o, fmt, ap);
	va_end(ap);
}

/* posing - the protected name host poses as, from either list */
static const char *
posing(const char *host, char *out, size_t size)
{
	const char *lists[2] = { var_spam_protected_domains,
	    var_spam_brand_domains };

	for (int i = 0; i < 2; i++) {
		const char *p = lists[i], *w;
		size_t n;

		while ((w = spam_list_next(&p, &n)) != NULL) {
			if (n >= size)
				continue;
			memcpy(out, w, n);
			out[n] = '\0';
			if (lookalike_of(host, out))
				return out;
		}
	}
	return NULL;
}

/* authenticated - SPF or a DKIM signature vouches for the message */
static bool
vouched(const struct spam_input *in, bool *dkim_fail)
{
	bool pass = in->spf_checked && in->spf == SPF_PASS;

	*dkim_fail = false;
	for (size_t i = 0; i < in->n_sigs; i++) {
		if (in->sigs[i].result == DKIMV_PASS)
			pass = true;
		else if (in->sigs[i].result == DKIMV_FAIL)
			*dkim_fail = true;
	}
	return pass || (in->dmarc_checked && in->dmarc == DMARC_PASS);
}

static void
judge_phishing(const struct spam_input *in, bool vouched,
    struct spam_verdict *v)
{
	const struct spam_scan *s = in->scan;
	char prot[LOOKALIKE_NAME_MAX + 1];

	if (s->display_addr[0] != '\0') {
		hit(v, SR_PHISH_DISPLAY_ADDR);
		why(v, "the sender's name shows %s but the mail is from %s",
		    s->display_addr, s->from_addr);
	}
	if (s->from_domain[0] != '\0') {
		if (posing(s->from_domain, prot, sizeof(prot)) != NULL) {
			hit(v, SR_PHISH_LOOKALIKE);
			why(v, "the sender's domain %s looks like %s",
			    s->from_domain, prot);
		}
		if (lookalike_idn(s->from_domain))
			hit(v, SR_PHISH_IDN);
	}
	for (size_t i = 0; i < s->n_links; i++) {
		const struct spam_link *l = &s->links[i];

		if (!v->hit[SR_PHISH_LINK_MISMATCH] &&
		    spam_link_mismatch(l)) {
			hit(v, SR_PHISH_LINK_MISMATCH);
			why(v, "a link shows %s but leads to %s", l->shown,
			    l->host);
		}
		if (!v->hit[SR_PHISH_IP_LINK] && l->ip) {
			hit(v, SR_PHISH_IP_LINK);
			why(v, "a link leads to the bare address %s",
			    l->host);
		}
		if (!v->hit[SR_PHISH_LOOKALIKE] && !l->ip &&
		    posing(l->host, prot, sizeof(prot)) != NULL) {
			hit(v, SR_PHISH_LOOKALIKE);
			why(v, "a link leads to %s, which looks like %s",
			    l->host, prot);
		}
	}
	if (s->credentials[0] != '\0' && !vouched) {
		hit(v, SR_PHISH_CREDENTIALS);
		why(v, "it asks you to \"%s\" and its sender is not "
		    "authenticated", s->credentials);
	}
}

void
spam_judge(const struct spam_input *in, struct spam_verdict *v)
{
	const struct spam_scan *s = in->scan;
	bool dkim_fail, ok;

	memset(v, 0, sizeof(*v));
	ok = vouched(in, &dkim_fail);
	if (in->spf_checked && in->spf == SPF_FAIL)
		hit(v, SR_SPF_FAIL);
	if (in->spf_checked && in->spf == SPF_SOFTFAIL)
		hit(v, SR_SPF_SOFTFAIL);
	if (in->spf_helo_checked && in->spf_helo == SPF_FAIL)
		hit(v, SR_SPF_HELO_FAIL);
	if (in->dkim_checked && dkim_fail && !ok)
		hit(v, SR_DKIM_FAIL);
	if (in->dmarc_checked && in->dmarc == DMARC_FAIL)
		hit(v, SR_DMARC_FAIL);
	if ((in->spf_checked || in->dkim_checked) && !ok)
		hit(v, SR_NO_AUTH);
	if (in->dnsbl != NULL)
		hit(v, SR_DNSBL);
	if (in->dnswl != NULL)
		hit(v, SR_DNSWL);
	if (in->uribl != NULL)
		hit(v, SR_URIBL);
	if (!s->has_date)
		hit(v, SR_NO_DATE);
	else if (!s->date_ok)
		hit(v, SR_BAD_DATE);
	if (!s->has_msgid)
		hit(v, SR_NO_MESSAGE_ID);
	else if (!s->msgid_ok)
		hit(v, SR_BAD_MESSAGE_ID);
	if (in->helo_resolves == 0)
		hit(v, SR_HELO_NO_RESOLVE);
	if (in->helo != NULL && in->helo[0] != '\0') {
		const char *p = var_spam_protected_domains, *w;
		size_t n;

		if (strcasecmp(in->helo, var_myhostname) == 0)
			hit(v, SR_HELO_FORGED);	/* a client claims to be us */

		while ((w = spam_list_next(&p, &n)) != NULL)
			if (strlen(in->helo) == n && strncasecmp(in->helo, w,
			    n) == 0)
				hit(v, SR_HELO_FORGED);
	}
	if (var_spam_many_recipients > 0 &&
	    s->to_count >= var_spam_many_recipients)
		hit(v, SR_MANY_TO);
	if (s->html_only)
		hit(v, SR_HTML_ONLY);
	if (s->html_hidden)
		hit(v, SR_HTML_HIDDEN);
	judge_phishing(in, ok, v);
}

void
spam_verdict_text(const struct spam_verdict *v, char *out, size_t size)
{
	size_t o = (size_t)snprintf(out, size, "%.2f ", v->score);
	bool first = true;

	for (int r = 0; r < SR_COUNT && o < size; r++) {
		if (!v->hit[r])
			continue;
		o += (size_t)snprintf(out + o, size - o, "%s%s=%g",
		    first ? "" : ",", names[r], spam_weight[r]);
		first = false;
	}
	if (first && o < size)
		snprintf(out + o, size - o, "-");
}

/*
 * NAME
 *	dmarc - DMARC through libopendmarc, the record fetched over dns.c
 * DESCRIPTION
 *	libopendmarc can look the record up itself, but only through the
 *	system resolver with its own timeouts and no cache; it also takes
 *	a record handed to it (opendmarc_policy_store_dmarc), which is what
 *	this file does.  A record is a TXT record starting "v=DMARC1"; more
 *	than one at a name counts as none (RFC 7489 6.6.3).  pct= samples
 *	(RFC 7489 6.6.4): a failing message outside the sample gets the next
 *	milder policy (reject -> quarantine -> none), which shows as dis= in
 *	Authentication-Results.
 *
 *	The library parses the record and holds the public suffix list;
 *	alignment is judged here, because libopendmarc 1.4.2 compares
 *	organizational domains even under adkim=s or aspf=s (strict
 *	alignment would pass a subdomain's signature).
 */
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opendmarc/dmarc.h>
#include <sodium.h>

#include "mail/dmarc.h"
#include "mail/dns.h"

/* Exported by libopendmarc 1.4, not declared in its header. */
int opendmarc_get_tld(u_char *domain, u_char *tld, size_t tld_len);

static OPENDMARC_LIB_T lib;

const char *
dmarc_name(enum dmarc_result r)
{
	static const char *const names[] = { "none", "pass", "fail",
	    "temperror", "permerror" };

	return names[r];
}

const char *
dmarc_dis_name(enum dmarc_disposition d)
{
	static const char *const names[] = { "none", "quarantine",
	    "reject" };

	return names[d];
}

int
dmarc_setup(const char *suffix_list, const char **error_r)
{
	memset(&lib, 0, sizeof(lib));
	lib.tld_type = OPENDMARC_TLD_TYPE_MOZILLA;
	if (strlen(suffix_list) >= sizeof(lib.tld_source_file)) {
		*error_r = "the public suffix list path is too long";
		return -1;
	}
	memcpy(lib.tld_source_file, suffix_list, strlen(suffix_list) + 1);
	if (opendmarc_policy_library_init(&lib) != DMARC_PARSE_OKAY) {
		*error_r = "cannot read the public suffix list";
		return -1;
	}
	return 0;
}

/* record - the one DMARC record at _dmarc.domain into out; DNS_OK with
 * one, DNS_NODATA with none (or several), DNS_TEMPFAIL */
static enum dns_status
record(const char *domain, char *out, size_t size)
{
	char name[NS_MAXDNAME + 8];
	struct dns_reply r;
	char *txt;
	unsigned found = 0;
	enum dns_status st;

	snprintf(name, sizeof(name), "_dmarc.%s", domain);
	dns_query(name, ns_t_txt, &r);
	st = r.status;
	for (size_t i = 0; st == DNS_OK && (txt = dns_txt(&r, i)) != NULL;
	    i++) {
		if (strncasecmp(txt, "v=DMARC1", 8) == 0 && (txt[8] == ';' ||
		    txt[8] == ' ' || txt[8] == '\0') && found++ == 0)
			snprintf(out, size, "%s", txt);
		free(txt);
	}
	dns_reply_free(&r);
	if (st == DNS_TEMPFAIL)
		return DNS_TEMPFAIL;
	return found == 1 ? DNS_OK : DNS_NODATA;
}

/* org - the organizational domain of d (the public suffix list) */
static void
org(const char *d, char *out, size_t size)
{
	if (opendmarc_get_tld((u_char *)d, (u_char *)out, size) != 0 ||
	    out[0] == '\0')
		snprintf(out, size, "%s", d);
}

/* aligned - RFC 7489 3.1: the same domain (strict), or the same
 * organizational domain (relaxed) */
static bool
aligned(const char *d, const char *from, bool strict)
{
	char a[256], b[256];

	if (strcasecmp(d, from) == 0)
		return true;
	if (strict)
		return false;
	org(d, a, sizeof(a));
	org(from, b, sizeof(b));
	return strcasecmp(a, b) == 0;
}

/* sampled - pct= (RFC 7489 6.6.4): the policy for pct% of failing
 * messages, the next milder one for the rest */
static enum dmarc_disposition
sampled(enum dmarc_disposition policy, int pct)
{
	if (pct >= 100 || (pct > 0 && (int)randombytes_uniform(100) < pct))
		return policy;
	return policy == DMARC_DIS_REJECT ? DMARC_DIS_QUARANTINE :
	    DMARC_DIS_NONE;
}

/* disposition - p= or sp= as ours */
static enum dmarc_disposition
disposition(int p)
{
	return p == DMARC_RECORD_P_REJECT ? DMARC_DIS_REJECT :
	    p == DMARC_RECORD_P_QUARANTINE ? DMARC_DIS_QUARANTINE :
	    DMARC_DIS_NONE;
}

void
dmarc_check(const char *from_domain, const char *spf_domain,
    enum spf_result spf, const struct dkimv_sig *sigs, size_t n,
    struct dmarc_verdict *v)
{
	char rec[1024], orgd[256] = "";
	DMARC_POLICY_T *p;
	enum dns_status st;
	int p_tag = 0, sp_tag = 0, adkim = 0, aspf = 0, pct = 100;
	bool at_org = false, pass;

	memset(v, 0, sizeof(*v));
	snprintf(v->from_domain, sizeof(v->from_domain), "%s", from_domain);
	if (from_domain[0] == '\0')
		return;		/* none: nothing to align with */
	st = record(from_domain, rec, sizeof(rec));
	if (st == DNS_NODATA &&
	    opendmarc_get_tld((u_char *)from_domain, (u_char *)orgd,
	    sizeof(orgd)) == 0 && orgd[0] != '\0' &&
	    strcasecmp(orgd, from_domain) != 0) {
		st = record(orgd, rec, sizeof(rec));
		at_org = true;
	}
	if (st == DNS_TEMPFAIL) {
		v->result = DMARC_TEMPERROR;
		return;
	}
	if (st != DNS_OK)
		return;
	p = opendmarc_policy_connect_init((u_char *)"0.0.0.0",
	    DMARC_POLICY_IP_TYPE_IPV4);
	if (p == NULL) {
		v->result = DMARC_TEMPERROR;
		return;
	}
	if (opendmarc_policy_store_dmarc(p, (u_char *)rec,
	    (u_char *)from_domain, at_org ? (u_char *)orgd : NULL) !=
	    DMARC_PARSE_OKAY) {
		v->result = DMARC_PERMERROR;
		goto done;
	}
	(void)opendmarc_policy_fetch_p(p, &p_tag);
	(void)opendmarc_policy_fetch_sp(p, &sp_tag);
	(void)opendmarc_policy_fetch_adkim(p, &adkim);
	(void)opendmarc_policy_fetch_aspf(p, &aspf);
	if (opendmarc_policy_fetch_pct(p, &pct) != DMARC_PARSE_OKAY ||
	    pct < 0 || pct > 100)
		pct = 100;	/* absent or out of range: all of them */
	/* sp= governs a From: below the domain that published it. */
	v->policy = disposition(at_org && sp_tag != 0 ? sp_tag : p_tag);
	pass = spf == SPF_PASS && spf_domain[0] != '\0' &&
	    aligned(spf_domain, from_domain, aspf == DMARC_RECORD_A_STRICT);
	for (size_t i = 0; i < n && !pass; i++)
		pass = sigs[i].result == DKIMV_PASS && aligned(sigs[i].domain,
		    from_domain, adkim == DMARC_RECORD_A_STRICT);
	v->result = pass ? DMARC_PASS : DMARC_FAIL;
	v->dis = pass ? DMARC_DIS_NONE : sampled(v->policy, pct);
done:
	(void)opendmarc_policy_connect_shutdown(p);
}

/*
 * NAME
 *	spf - SPF through libspf2 over dns.c
 * DESCRIPTION
 *	libspf2's own resolver layer cannot be pointed at a server
 *	(FACTS.md), so this file is its DNS layer: a lookup function that
 *	asks dns_query and builds libspf2's records (A, AAAA, MX, PTR, TXT)
 *	from the answer.  libspf2 reports DNS and syntax errors as
 *	"invalid": they are told apart here by the error code.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <spf2/spf.h>

#include "mail/dns.h"
#include "mail/spf.h"

static __thread SPF_server_t *server;

const char *
spf_name(enum spf_result r)
{
	static const char *const names[] = { "none", "neutral", "pass",
	    "fail", "softfail", "temperror", "permerror" };

	return names[r];
}

/* fill - the records of type from an answer into rr */
static void
fill(SPF_dns_rr_t *rr, const uint8_t *msg, size_t len, ns_type type)
{
	ns_msg h;
	ns_rr one;
	int n = 0;

	if (ns_initparse(msg, (int)len, &h) < 0)
		return;
	for (int i = 0; i < ns_msg_count(h, ns_s_an); i++) {
		const uint8_t *rd;
		size_t rdlen;
		char name[NS_MAXDNAME];

		if (ns_parserr(&h, ns_s_an, i, &one) < 0 ||
		    ns_rr_type(one) != type)
			continue;
		rd = ns_rr_rdata(one);
		rdlen = ns_rr_rdlen(one);
		switch (type) {
		case ns_t_a:
			if (rdlen != 4 || SPF_dns_rr_buf_realloc(rr, n, 4))
				continue;
			memcpy(&rr->rr[n]->a, rd, 4);
			break;
		case ns_t_aaaa:
			if (rdlen != 16 || SPF_dns_rr_buf_realloc(rr, n, 16))
				continue;
			memcpy(&rr->rr[n]->aaaa, rd, 16);
			break;
		case ns_t_mx:
		case ns_t_ptr:
			if (ns_name_uncompress(ns_msg_base(h), ns_msg_end(h),
			    rd + (type == ns_t_mx ? 2 : 0), name,
			    sizeof(name)) < 0 ||
			    SPF_dns_rr_buf_realloc(rr, n, strlen(name) + 1))
				continue;
			memcpy(rr->rr[n]->mx, name, strlen(name) + 1);
			break;
		case ns_t_txt: {
			/* The character-strings of one record, joined. */
			if (SPF_dns_rr_buf_realloc(rr, n, rdlen + 1))
				continue;
			(void)dns_txt_join(rd, rdlen, rr->rr[n]->txt);
			break;
		}
		default:
			continue;
		}
		n++;
	}
	rr->num_rr = n;
}

/* lookup - libspf2's DNS layer over dns_query */
static SPF_dns_rr_t *
lookup(SPF_dns_server_t *layer, const char *domain, ns_type type,
    int should_cache)
{
	struct dns_reply r;
	SPF_dns_rr_t *rr;
	int herrno;

	(void)should_cache;
	dns_query(domain, type, &r);
	herrno = r.status == DNS_OK ? NETDB_SUCCESS :
	    r.status == DNS_NXDOMAIN ? HOST_NOT_FOUND :
	    r.status == DNS_NODATA ? NO_DATA : TRY_AGAIN;
	rr = SPF_dns_rr_new_init(layer, domain, type, 0, herrno);
	if (rr != NULL && r.status == DNS_OK) {
		fill(rr, r.msg, r.len, type);
		if (rr->num_rr == 0)
			rr->herrno = NO_DATA;
	}
	dns_reply_free(&r);
	return rr;
}

/* layer - this suite's libspf2 DNS layer (one per thread, never freed:
 * threads live as long as the process) */
static SPF_dns_server_t *
layer(void)
{
	static __thread SPF_dns_server_t l;

	l.lookup = lookup;
	l.name = "postern";
	return &l;
}

enum spf_result
spf_check(const char *ip, const char *helo, const char *from, char *why,
    size_t why_size)
{
	SPF_request_t *req;
	SPF_response_t *res = NULL;
	enum spf_result out = SPF_TEMPERROR;
	SPF_errcode_t err;
	struct in6_addr a6;
	const char *c;

	why[0] = '\0';
	if (server == NULL && (server = SPF_server_new_dns(layer(), 0)) ==
	    NULL)
		return SPF_TEMPERROR;
	if ((req = SPF_request_new(server)) == NULL)
		return SPF_TEMPERROR;
	if ((inet_pton(AF_INET6, ip, &a6) == 1 ?
	    SPF_request_set_ipv6_str(req, ip) :
	    SPF_request_set_ipv4_str(req, ip)) != SPF_E_SUCCESS ||
	    SPF_request_set_helo_dom(req, helo[0] != '\0' ? helo :
	    "unknown") != SPF_E_SUCCESS ||
	    (from[0] != '\0' && SPF_request_set_env_from(req, from) != 0)) {
		SPF_request_free(req);
		return SPF_PERMERROR;
	}
	err = SPF_request_query_mailfrom(req, &res);
	switch (res != NULL ? SPF_response_result(res) : SPF_RESULT_INVALID) {
	case SPF_RESULT_PASS:
		out = SPF_PASS;
		break;
	case SPF_RESULT_FAIL:
		out = SPF_FAIL;
		break;
	case SPF_RESULT_SOFTFAIL:
		out = SPF_SOFTFAIL;
		break;
	case SPF_RESULT_NEUTRAL:
		out = SPF_NEUTRAL;
		break;
	case SPF_RESULT_NONE:
		out = SPF_NONE;
		break;
	case SPF_RESULT_PERMERROR:
		out = SPF_PERMERROR;
		break;
	case SPF_RESULT_TEMPERROR:
		out = SPF_TEMPERROR;
		break;
	default:
		/* "invalid": a DNS failure is temporary, the rest is the
		 * record's fault. */
		if (err == SPF_E_SUCCESS && res != NULL)
			err = SPF_response_errcode(res);
		out = err == SPF_E_DNS_ERROR ? SPF_TEMPERROR : SPF_PERMERROR;
		break;
	}
	if (res != NULL && (c = SPF_response_get_smtp_comment(res)) != NULL)
		snprintf(why, why_size, "%s", c);
	if (res != NULL)
		SPF_response_free(res);
	SPF_request_free(req);
	return out;
}

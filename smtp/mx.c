/*
 * NAME
 *	mx - from a next hop to the addresses to try
 * DESCRIPTION
 *	RFC 5321 5.1: MX records in preference order, hosts of equal
 *	preference in random order so that load spreads; no MX records
 *	(the name exists without them): the name itself, "implicit MX".
 *	RFC 7505: a null MX ("0 .") says the domain takes no mail, a
 *	bounce with 5.1.10.  "[host]" and "[host]:port" name the host
 *	itself (an address literal or a name looked up for A/AAAA), as in
 *	Postfix.  Every query goes through lib/mail/dns (dns_resolvers),
 *	which never turns a failure into an empty answer.
 * SEE ALSO
 *	Postfix src/smtp/smtp_addr.c
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/dns.h"
#include "mail/params.h"
#include "smtp/smtp.h"
#include "util/ipc.h"
#include "util/strnum.h"

#define MX_MAX	64

struct mx {
	unsigned pref;
	unsigned rnd;
	char name[SMTP_HOST_MAX];
};

/* fail - the outcome of a next hop that gives no address; 0 */
#define fail(r, temporary, dsn, ...) \
	(smtp_result((r), (temporary) ? IPC_ETEMP : IPC_EFAIL, (dsn), \
	    __VA_ARGS__), (size_t)0)

void
mx_domain(const char *nexthop, char *out, size_t size)
{
	const char *p = nexthop, *end;
	size_t n, i;

	if (*p == '[') {
		p++;
		end = strchr(p, ']');
	} else
		end = strchr(p, ':');
	n = end != NULL ? (size_t)(end - p) : strlen(p);
	for (i = 0; i + 1 < size && i < n; i++)
		out[i] = (p[i] >= 'A' && p[i] <= 'Z') ? (char)(p[i] - 'A' +
		    'a') : p[i];
	out[i] = '\0';
}

/* add_literal - host is an IPv4 or IPv6 address: 1 added, 0 not one */
static int
add_literal(const char *host, unsigned port, struct smtp_addr *a)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a->sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->sa;
	const char *h = strncasecmp(host, "ipv6:", 5) == 0 ? host + 5 : host;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, h, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		a->salen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, h, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		a->salen = sizeof(*s6);
	} else
		return 0;
	snprintf(a->host, sizeof(a->host), "%s", h);
	snprintf(a->ip, sizeof(a->ip), "%s", h);
	a->port = port;
	return 1;
}

/*
 * host_addrs - A then AAAA records of host, appended to out[*n..max).
 * Returns 1 some found, 0 the name has none, -1 DNS failed.
 */
static int
host_addrs(const char *host, unsigned port, bool dnssec,
    struct smtp_addr *out, size_t *n, size_t max)
{
	static const int types[] = { ns_t_a, ns_t_aaaa };
	bool temp = false, found = false;

	for (size_t t = 0; t < 2; t++) {
		struct dns_reply rep;
		ns_msg h;
		ns_rr rr;

		dns_query(host, types[t], &rep);
		if (rep.status == DNS_TEMPFAIL)
			temp = true;
		if (rep.status != DNS_OK ||
		    ns_initparse(rep.msg, (int)rep.len, &h) < 0) {
			dns_reply_free(&rep);
			continue;
		}
		for (int i = 0; i < ns_msg_count(h, ns_s_an) && *n < max;
		    i++) {
			char ip[64];
			struct smtp_addr *a = &out[*n];

			if (ns_parserr(&h, ns_s_an, i, &rr) < 0 ||
			    (int)ns_rr_type(rr) != types[t] ||
			    ns_rr_rdlen(rr) != (t == 0 ? 4 : 16) ||
			    inet_ntop(t == 0 ? AF_INET : AF_INET6,
			    ns_rr_rdata(rr), ip, sizeof(ip)) == NULL ||
			    add_literal(ip, port, a) != 1)
				continue;
			snprintf(a->host, sizeof(a->host), "%s", host);
			a->dnssec = dnssec;
			(*n)++;
			found = true;
		}
		dns_reply_free(&rep);
	}
	return found ? 1 : temp ? -1 : 0;
}

/* cmp_mx - by preference, then the random tie-breaker */
static int
cmp_mx(const void *a, const void *b)
{
	const struct mx *x = a, *y = b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	return x->rnd < y->rnd ? -1 : x->rnd > y->rnd;
}

/*
 * mx_records - the MX records of domain into mx[], sorted; *secure: the
 * answer was validated.  Returns the count (0: none, implicit MX), -1
 * null MX, -2 NXDOMAIN, -3 DNS failure.
 */
static int
mx_records(const char *domain, struct mx *mx, size_t max, bool *secure)
{
	struct dns_reply rep;
	ns_msg h;
	ns_rr rr;
	int n = 0, rc;

	dns_query(domain, ns_t_mx, &rep);
	*secure = dns_reply_secure(&rep) != 0;
	switch (rep.status) {
	case DNS_TEMPFAIL:
		return -3;
	case DNS_NXDOMAIN:
		return -2;
	case DNS_NODATA:
		dns_reply_free(&rep);
		return 0;
	case DNS_OK:
		break;
	}
	if (ns_initparse(rep.msg, (int)rep.len, &h) < 0) {
		dns_reply_free(&rep);
		return -3;
	}
	rc = 0;
	for (int i = 0; i < ns_msg_count(h, ns_s_an) && (size_t)n < max;
	    i++) {
		if (ns_parserr(&h, ns_s_an, i, &rr) < 0 ||
		    ns_rr_type(rr) != ns_t_mx || ns_rr_rdlen(rr) < 3)
			continue;
		mx[n].pref = ns_get16(ns_rr_rdata(rr));
		mx[n].rnd = (unsigned)random();
		if (ns_name_uncompress(ns_msg_base(h), ns_msg_end(h),
		    ns_rr_rdata(rr) + 2, mx[n].name, sizeof(mx[n].name)) < 0)
			continue;
		/* RFC 7505 3: the root as exchange means no mail at all. */
		if (mx[n].name[0] == '\0' || strcmp(mx[n].name, ".") == 0) {
			rc = -1;
			break;
		}
		n++;
	}
	dns_reply_free(&rep);
	if (rc < 0)
		return rc;
	if (n == 0)
		return -3;	/* an answer without usable records */
	qsort(mx, (size_t)n, sizeof(*mx), cmp_mx);
	return n;
}

/* own_host - host is its own mail host (so its TLSA records count, RFC
 * 7672 2.2.2): its addresses, or 0 and r */
static size_t
own_host(const char *host, unsigned port, struct smtp_addr *out,
    size_t max, const char *none_dsn, const char *none, struct smtp_result *r)
{
	size_t n = 0;
	int rc = host_addrs(host, port, true, out, &n, max);

	if (rc > 0)
		return n;
	return fail(r, rc < 0, rc < 0 ? "4.4.3" : none_dsn, "Host or domain "
	    "name %s: %s (no %s record)", rc < 0 ? "lookup failed" :
	    "not found", host, none);
}

size_t
mx_resolve(const char *nexthop, struct smtp_addr *out, size_t max,
    struct smtp_result *r)
{
	char host[SMTP_HOST_MAX];
	const char *colon;
	unsigned port = (unsigned)var_smtp_port;
	bool literal_hop = nexthop[0] == '[';
	struct mx mx[MX_MAX];
	size_t n = 0;
	int count;
	bool temp = false, secure = false;

	mx_domain(nexthop, host, sizeof(host));
	colon = literal_hop ? strchr(nexthop, ']') : strrchr(nexthop, ':');
	if (literal_hop && colon != NULL)
		colon = colon[1] == ':' ? colon + 1 : NULL;
	if (colon != NULL) {
		uint64_t p;
		const char *why;

		if (strnum_u64(colon + 1, 1, 65535, &p, &why) < 0)
			return fail(r, true, "4.3.5", "bad next hop \"%s\" "
			    "(transport_maps)", nexthop);
		port = (unsigned)p;
	}
	if (host[0] == '\0')
		return fail(r, true, "4.3.5", "bad next hop \"%s\"",
		    nexthop);
	if (literal_hop) {
		if (add_literal(host, port, &out[0]) == 1)
			return 1;
		return own_host(host, port, out, max, "5.4.4", "A or AAAA", r);
	}
	count = mx_records(host, mx, MX_MAX, &secure);
	switch (count) {
	case -1:
		return fail(r, false, "5.1.10", "Domain %s does not accept "
		    "mail (nullMX)", host);
	case -2:
		return fail(r, false, "5.1.2", "Host or domain name not found. "
		    "Name service error for name=%s type=MX: Host not found",
		    host);
	case -3:
		return fail(r, true, "4.4.3", "Host or domain name lookup "
		    "failed: %s type=MX: temporary failure", host);
	case 0:
		/* Implicit MX: the domain is its own mail host. */
		return own_host(host, port, out, max, "5.1.2", "MX, A or AAAA",
		    r);
	}
	for (int i = 0; i < count && n < max; i++)
		if (host_addrs(mx[i].name, port, secure, out, &n, max) < 0)
			temp = true;
	if (n > 0)
		return n;
	return fail(r, true, temp ? "4.4.3" : "4.4.4", "%s %s", temp ? "MX "
	    "host lookup failed for" : "no address for the MX hosts of",
	    host);
}

int
mx_tlsa(const struct smtp_addr *a, struct smtp_tlsa *out, size_t max)
{
	char name[SMTP_HOST_MAX + 16];
	struct dns_reply rep;
	ns_msg h;
	ns_rr rr;
	int n = 0, seen = 0;

	if (!smtp_dnssec || !a->dnssec)
		return 0;
	/* RFC 7672 2.2.3: _port._tcp.host of the MX host. */
	snprintf(name, sizeof(name), "_%u._tcp.%s", a->port, a->host);
	dns_query(name, ns_t_tlsa, &rep);
	if (rep.status == DNS_TEMPFAIL)
		return -1;
	if (rep.status != DNS_OK || !dns_reply_secure(&rep) ||
	    ns_initparse(rep.msg, (int)rep.len, &h) < 0) {
		dns_reply_free(&rep);
		return 0;
	}
	for (int i = 0; i < ns_msg_count(h, ns_s_an) && (size_t)n < max;
	    i++) {
		const uint8_t *d;
		size_t len;

		if (ns_parserr(&h, ns_s_an, i, &rr) < 0 ||
		    ns_rr_type(rr) != ns_t_tlsa || ns_rr_rdlen(rr) < 4)
			continue;
		seen++;
		d = ns_rr_rdata(rr);
		len = ns_rr_rdlen(rr) - 3;
		/* RFC 7672 3.1.3: PKIX-TA(0) and PKIX-EE(1) are unusable
		 * for SMTP; selectors 0, 1; matching types 0, 1, 2. */
		if ((d[0] != 2 && d[0] != 3) || d[1] > 1 || d[2] > 2 ||
		    len > SMTP_TLSA_DATA_MAX)
			continue;
		out[n].usage = d[0];
		out[n].selector = d[1];
		out[n].mtype = d[2];
		out[n].len = len;
		memcpy(out[n].data, d + 3, len);
		n++;
	}
	dns_reply_free(&rep);
	return n > 0 ? n : seen > 0 ? -2 : 0;
}

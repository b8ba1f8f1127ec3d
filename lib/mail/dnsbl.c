/*
 * NAME
 *	dnsbl - DNS block and allow lists (dnsbl.h)
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mail/dns.h"
#include "mail/dnsbl.h"

int
dnsbl_name(const char *ip, const char *zone, char *out, size_t size)
{
	uint8_t a[16];
	size_t o = 0;
	int n;

	if (inet_pton(AF_INET, ip, a) == 1)
		n = snprintf(out, size, "%u.%u.%u.%u.%s", a[3], a[2], a[1],
		    a[0], zone);
	else if (inet_pton(AF_INET6, ip, a) == 1) {
		/* RFC 5782 2.4: 32 nibbles, least significant first. */
		for (int i = 15; i >= 0; i--) {
			/* UNSAFE: "x.y." is 4 bytes; with the NUL it
			 * needs o + 5 <= size, so snprintf never cuts. */
			if (o + 4 >= size)
				return -1;
			o += (size_t)snprintf(out + o, size - o, "%x.%x.",
			    a[i] & 0xf, a[i] >> 4);
		}
		n = (int)o + snprintf(out + o, size - o, "%s", zone);
	} else
		return -1;
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int
dnsbl_listed(const char *name)
{
	struct dns_reply r;
	ns_msg h;
	ns_rr rr;
	int listed = 0;

	dns_query(name, ns_t_a, &r);
	switch (r.status) {
	case DNS_TEMPFAIL:
		dns_reply_free(&r);
		return -1;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		dns_reply_free(&r);
		return 0;
	case DNS_OK:
		break;
	}
	if (ns_initparse(r.msg, (int)r.len, &h) == 0)
		for (int i = 0; i < ns_msg_count(h, ns_s_an); i++) {
			const uint8_t *d;

			if (ns_parserr(&h, ns_s_an, i, &rr) < 0 ||
			    ns_rr_type(rr) != ns_t_a || ns_rr_rdlen(rr) != 4)
				continue;
			d = ns_rr_rdata(rr);
			if (d[0] == 127 && !(d[1] == 255 && d[2] == 255))
				listed = 1;
		}
	dns_reply_free(&r);
	return listed;
}

int
dnsbl_ip(const char *ip, const char *zone)
{
	char name[NS_MAXDNAME];

	if (dnsbl_name(ip, zone, name, sizeof(name)) < 0)
		return 0;
	return dnsbl_listed(name);
}

int
dnsbl_domain(const char *domain, const char *zone)
{
	char name[NS_MAXDNAME];
	int n = snprintf(name, sizeof(name), "%s.%s", domain, zone);

	if (n < 0 || (size_t)n >= sizeof(name))
		return 0;
	return dnsbl_listed(name);
}

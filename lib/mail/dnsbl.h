/*
 * dnsbl - DNS lists (RFC 5782): is an address or a domain in a zone?
 *
 * A listing is an A record in 127.0.0.0/8 under the reversed address
 * (2.0.0.192.zone) or the domain (evil.example.zone).  127.255.255.0/24
 * answers are the lists' own errors (query refused, over quota): they
 * are not listings.  Every question goes through dns.c.
 */
#ifndef POSTERN_DNSBL_H
#define POSTERN_DNSBL_H

#include <stddef.h>

/* dnsbl_name - the name to ask for ip (IPv4 or IPv6 text) in zone, into
 * out; -1 if ip is not an address or the name does not fit. */
int dnsbl_name(const char *ip, const char *zone, char *out, size_t size);

/* dnsbl_listed - ask about name: 1 listed, 0 not, -1 no answer now */
int dnsbl_listed(const char *name);

/* dnsbl_ip / dnsbl_domain - the same for an address or domain in zone */
int dnsbl_ip(const char *ip, const char *zone);
int dnsbl_domain(const char *domain, const char *zone);

#endif

/*
 * dns - the suite's one resolver: dns_resolvers (address:port list, or
 * the system's /etc/resolv.conf), short timeouts, a small cache
 *
 * Everything that asks DNS goes through here: SPF (libspf2, through the
 * lookup layer in spf.c), DKIM and DMARC, MX/A/AAAA for mail out.  A
 * failure to get an answer is DNS_TEMPFAIL, never an empty answer.
 * Safe to call from worker threads: each thread has its own resolver
 * state, and the cache is locked.
 */
#ifndef POSTERN_DNS_H
#define POSTERN_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <resolv.h>

enum dns_status {
	DNS_OK,			/* an answer (it may hold no record: NODATA) */
	DNS_NXDOMAIN,		/* the name does not exist */
	DNS_NODATA,		/* the name exists, without this type */
	DNS_TEMPFAIL,		/* no answer: timeout, SERVFAIL, refused */
};

struct dns_reply {
	enum dns_status status;
	uint8_t *msg;		/* the answer message (DNS_OK) */
	size_t len;
};

/* dns_setup - resolvers "ip:port[,ip:port...]" ("" for the system's),
 * timeout per try in seconds; before the jail.  0, or -1 with *error_r. */
int dns_setup(const char *resolvers, unsigned timeout_s,
    const char **error_r);
/* dns_trust_ad - keep the AD bit of answers (glibc clears it unless
 * told, RES_TRUSTAD) and ask for it: only for resolvers trusted to
 * validate DNSSEC (smtp_dns_support_level = dnssec).  After dns_setup,
 * before the first query. */
void dns_trust_ad(void);
/* dns_reply_secure - the answer carries the AD bit: the resolver says it
 * validated it (RFC 4035 3.2.3).  False without an answer message. */
int dns_reply_secure(const struct dns_reply *r);
/* dns_query - name/type (ns_t_txt, ...), from the cache or the
 * resolvers; free with dns_reply_free. */
void dns_query(const char *name, int type, struct dns_reply *r);
void dns_reply_free(struct dns_reply *r);
/* dns_txt_join - the character-strings of one TXT record's rdata
 * joined into out (room for rdlen + 1 bytes, NUL-terminated); the
 * length. */
size_t dns_txt_join(const uint8_t *rd, size_t rdlen, char *out);
/* dns_txt - the i-th TXT record of a DNS_OK answer, joined, as a string
 * (free it); NULL when there are fewer. */
char *dns_txt(const struct dns_reply *r, size_t i);
/* dns_res_new - a resolver state set up as dns_setup said, for a library
 * that takes one (libopendkim frees it itself). */
res_state dns_res_new(void);

#endif

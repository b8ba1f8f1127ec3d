/*
 * dmarc - the DMARC verdict on a message (RFC 7489) through
 * libopendmarc, its policy record fetched over the suite's resolver
 *
 * libopendmarc judges alignment (relaxed or strict, by the public suffix
 * list) from the SPF and DKIM results it is given; the record itself is
 * looked up here (dns.h: cache, timeouts, the suite's resolvers), at the
 * From: domain and then at its organizational domain (RFC 7489 6.6.3).
 * Blocking: call dmarc_check from a worker thread.
 */
#ifndef POSTERN_DMARC_H
#define POSTERN_DMARC_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/dkimv.h"
#include "mail/spf.h"

enum dmarc_result {
	DMARC_NONE, DMARC_PASS, DMARC_FAIL, DMARC_TEMPERROR, DMARC_PERMERROR,
};

/* What the domain owner asks for a failing message. */
enum dmarc_disposition { DMARC_DIS_NONE, DMARC_DIS_QUARANTINE,
	DMARC_DIS_REJECT };

struct dmarc_verdict {
	enum dmarc_result result;
	enum dmarc_disposition policy;	/* p= (or sp=) that applies */
	enum dmarc_disposition dis;	/* what a fail calls for */
	char from_domain[256];
};

const char *dmarc_name(enum dmarc_result r);
const char *dmarc_dis_name(enum dmarc_disposition d);

/* dmarc_setup - load the public suffix list (before the jail and before
 * any thread); 0, or -1 with *error_r. */
int dmarc_setup(const char *suffix_list, const char **error_r);

/*
 * dmarc_check - the verdict for a message whose From: domain is
 * from_domain ("" when the header had no single usable From:), whose
 * SPF result spf was for spf_domain (the MAIL FROM domain, or the HELO
 * name for the null sender), and whose DKIM signatures are sigs[0..n).
 */
void dmarc_check(const char *from_domain, const char *spf_domain,
    enum spf_result spf, const struct dkimv_sig *sigs, size_t n,
    struct dmarc_verdict *v);

#endif

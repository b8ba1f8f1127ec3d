/*
 * spf - Sender Policy Framework (RFC 7208) through libspf2, over the
 * suite's resolver (dns.h)
 *
 * Blocking (it asks DNS): call it from a worker thread.  Each thread
 * keeps its own libspf2 server.
 */
#ifndef POSTERN_SPF_H
#define POSTERN_SPF_H

#include <stddef.h>

enum spf_result {
	SPF_NONE, SPF_NEUTRAL, SPF_PASS, SPF_FAIL, SPF_SOFTFAIL,
	SPF_TEMPERROR, SPF_PERMERROR,
};

/* spf_name - "pass", "fail", ... as RFC 8601 writes them */
const char *spf_name(enum spf_result r);

/*
 * spf_check - the result for client address ip (text, v4 or v6), HELO
 * name helo and envelope sender from ("" for the null sender: then the
 * HELO identity is checked, RFC 7208 2.4).  why gets libspf2's comment
 * (for a 550's text), or "".
 */
enum spf_result spf_check(const char *ip, const char *helo,
    const char *from, char *why, size_t why_size);

#endif

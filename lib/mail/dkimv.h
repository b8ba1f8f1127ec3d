/*
 * dkimv - verify the DKIM signatures of a message (RFC 6376, Ed25519
 * RFC 8463) through libopendkim, over the suite's resolver (dns.h)
 *
 * Blocking (key lookups ask DNS): call it from a worker thread.  Each
 * thread keeps its own library handle, whose DNS layer is dns_query, so
 * keys share the suite's cache and timeouts.
 */
#ifndef POSTERN_DKIMV_H
#define POSTERN_DKIMV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 8601 2.7.1 */
enum dkimv_result {
	DKIMV_NONE, DKIMV_PASS, DKIMV_FAIL, DKIMV_NEUTRAL, DKIMV_TEMPERROR,
	DKIMV_PERMERROR,
};

struct dkimv_sig {
	enum dkimv_result result;
	char domain[256];	/* d= */
	char selector[64];	/* s= */
	char algorithm[24];	/* "rsa-sha256", "ed25519-sha256" */
	char b[12];		/* the first characters of b=, RFC 6008 */
	char why[96];		/* for a comment: "body hash mismatch" */
};

/* dkimv_name - "pass", "fail", ... */
const char *dkimv_name(enum dkimv_result r);

/*
 * dkimv_verify - check the signatures of the message of len bytes at
 * offset off of fd (CRLF lines), at most max of them (the first ones);
 * results into sigs, their number into *n (0: unsigned).  Returns 0, or
 * -1 when the library cannot be used (*n is 0; the caller reports
 * temperror).
 */
int dkimv_verify(int fd, uint64_t off, uint64_t len, struct dkimv_sig *sigs,
    size_t max, size_t *n);

#endif

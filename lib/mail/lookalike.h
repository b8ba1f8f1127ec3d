/*
 * lookalike - does a domain pose as another one?
 *
 * Phishing mail comes from domains made to be misread as a bank's or as
 * ours: letters from another script that look Latin (pаypal.com with a
 * Cyrillic а, sent as punycode xn--pypal-4ve.com), digits for letters
 * (paypa1), one letter off (paypall), or the name inside a longer one
 * (paypal-secure.com).  Each name is reduced to a *skeleton* (UTS #39's
 * idea, with a small table of the confusables that matter in domain
 * names), and names are compared label against label.
 */
#ifndef POSTERN_LOOKALIKE_H
#define POSTERN_LOOKALIKE_H

#include <stdbool.h>
#include <stddef.h>

#define LOOKALIKE_NAME_MAX	253

/*
 * punycode_decode - one label's RFC 3492 encoding (without "xn--") to
 * UTF-8 in out; false if it is not valid punycode or does not fit.
 */
bool punycode_decode(const char *in, size_t len, char *out, size_t size);

/*
 * lookalike_of - whether domain (ASCII, punycode allowed) poses as
 * protected: not the same domain nor one under it, but the same after
 * confusables are folded, one edit away, or carrying its name as a part
 * ("paypal-login.com").  Short names (under 4 letters) match only by
 * confusables, to keep "ibm.com" from flagging "ibn.com".
 */
bool lookalike_of(const char *domain, const char *protected);

/* lookalike_idn - whether some label of domain is punycode (xn--) */
bool lookalike_idn(const char *domain);

#endif

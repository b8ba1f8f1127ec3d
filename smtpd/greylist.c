/*
 * NAME
 *	greylist - defer the first attempt of an unknown triplet (RFC 6647)
 * DESCRIPTION
 *	With smtpd_greylist on, a RCPT of mail from outside is answered 451
 *	4.7.1 the first time its triplet is seen: the client's network (an
 *	IPv4 /24, an IPv6 /64: big senders retry from a neighbour), the
 *	envelope sender and the recipient.  Real mail servers retry;
 *	much spamware does not.  Master keeps the triplets for every smtpd
 *	process (master/greylist.c).  Our own logged-in users and clients in
 *	smtpd_greylist_exempt_networks pass.
 *	If master cannot answer, the recipient passes.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "mail/params.h"
#include "smtpd/smtpd.h"
#include "util/counters.h"
#include "util/daemon.h"
#include "util/log.h"

/* network - the client's /24 or /64, as text */
static void
network(const char *addr, char *out, size_t size)
{
	uint8_t a[16];

	if (inet_pton(AF_INET, addr, a) == 1)
		snprintf(out, size, "%u.%u.%u.0/24", a[0], a[1], a[2]);
	else if (inet_pton(AF_INET6, addr, a) == 1) {
		char text[INET6_ADDRSTRLEN];

		memset(a + 8, 0, 8);
		inet_ntop(AF_INET6, a, text, sizeof(text));
		snprintf(out, size, "%s/64", text);
	} else
		snprintf(out, size, "%s", addr);
}

int
greylist_rcpt(struct session *ss, const char *rcpt)
{
	char net[64 + 8], from[ADDR_PATH_MAX + 1];
	char key[sizeof(net) + sizeof(from) + ADDR_PATH_MAX + 4];
	uint64_t wait;
	int n;

	if (!var_smtpd_greylist || ss->auth_user[0] != '\0' ||
	    sender_in_networks(ss->addr, var_smtpd_greylist_exempt_networks))
		return 0;
	network(ss->addr, net, sizeof(net));
	if (ss->mail.from.null)
		snprintf(from, sizeof(from), "<>");
	else
		addr_text(&ss->mail.from, from, sizeof(from));
	n = snprintf(key, sizeof(key), "%s %s %s", net, from, rcpt);
	if (n < 0 || (size_t)n >= sizeof(key))
		return 0;
	for (char *p = key; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	switch (daemon_greylist(key, var_smtpd_greylist_delay,
	    var_smtpd_greylist_retry_window, var_smtpd_greylist_lifetime,
	    &wait)) {
	case 0:
		counter_add("smtpd_rejects_total", "reason=greylist", 1);
		msg_info("greylist: RCPT from [%s]: from=<%s> to=<%s>: "
		    "deferred for %llus", ss->addr, from, rcpt,
		    (unsigned long long)wait);
		reply(ss, 451, "4.7.1", "<%s>: Recipient address rejected: "
		    "Greylisted, try again in %llu seconds", rcpt,
		    (unsigned long long)(wait > 0 ? wait : 1));
		return -1;
	case -1:
		msg_warn("greylist: master did not answer; [%s] passes",
		    ss->addr);
		return 0;
	}
	return 0;
}

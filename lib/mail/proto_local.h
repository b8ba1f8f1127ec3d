/*
 * proto_local.h - "local": qmgr asks a delivery agent (local, or smtp
 * for other hosts) to deliver one recipient of one message
 * (doc/ipc/local.md).
 *
 * DELIVER carries the open queue file (read-only descriptor) so that
 * local, which lives in the mail store and cannot see the queue, reads
 * the message itself without a copy through the socket.
 */
#ifndef POSTERN_PROTO_LOCAL_H
#define POSTERN_PROTO_LOCAL_H

#include "util/ipc.h"

#define LOCAL_PROTO	"local"
#define LOCAL_MAJOR	1
#define LOCAL_MINOR	3

/*
 * DELIVER attributes: id, qid, sender (str, "" for <>), recipient (the
 * address as queued), mailbox (user@domain, lower case), extension (str,
 * may be ""), quota (u64, 0: none), public_key (bytes, 32: the user's
 * X25519 key the message is sealed to; local refuses to store without
 * it), junk (str, optional: why smtpd quarantined the message; local
 * delivers it to local_junk_folder), offset and length (u64: where the
 * message is in the file); the queue file rides along.
 *
 * Minor 1 adds, for smtp, all optional (local ignores them): nexthop
 * (str: the recipient's domain, or what transport_maps gave, "host",
 * "[host]" or "[host]:port"), body (str: "7BIT", "8BITMIME",
 * "BINARYMIME"), smtputf8 (bool), sign (bool: our user's mail or our
 * bounce, to be DKIM-signed), arrival (u64: microseconds since the
 * epoch, for the delay= of the agent's log line).
 *
 * Minor 2 adds spam (str, optional: smtpd's rules score and rules, "4.50
 * SPF_FAIL=3,NO_DATE=1.5", the queue file's Y record; local adds the
 * recipient's Bayesian part, writes X-Spam-Score/X-Spam-Status and files
 * the message in Junk at junk_threshold).
 *
 * Minor 3 adds the envelope's DSN parameters, for smtp, all optional:
 * ret (str: "FULL" or "HDRS"), envid (str, decoded), orcpt (str,
 * "rfc822;address" decoded), notify (u64: SMTP_NOTIFY_* bits); and to
 * REPLY dsn_relay (u64, optional: AGENT_DSN_PASSED, the next hop took
 * the parameters and reports itself; AGENT_DSN_RELAYED, it offered no
 * DSN, so a success notice says "relayed").
 */
#define LOCAL_T_DELIVER	(IPC_T_FIRST_PROTO + 0)
/*
 * REPLY: id, status (IPC_OK delivered, IPC_ETEMP try later, IPC_EFAIL
 * bounce), dsn (str, "2.0.0", "4.3.0", "5.2.2", ...), text (str);
 * dsn_relay (minor 3, above).
 */
#define LOCAL_T_REPLY	(IPC_T_FIRST_PROTO + 1)

#endif

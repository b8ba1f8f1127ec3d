/*
 * NAME
 *	local - the local delivery agent
 * DESCRIPTION
 *	See local(8).  qmgr connects (through master) and sends DELIVER
 *	requests (lib/mail/proto_local.h), one at a time per connection,
 *	each with the queue file's descriptor; local writes the mailbox
 *	and answers.  It runs as store_owner, chrooted to the mail store.
 * SECURITY
 *	Not network facing; trusts qmgr's requests only as far as the
 *	mailbox name, which is checked before it becomes a path.
 */
#include <unistd.h>

#include "local/local.h"
#include "mail/agent.h"
#include "mail/params.h"
#include "mail/proto_local.h"
#include "util/daemon.h"
#include "util/log.h"

/* on_msg - one DELIVER */
static void
on_msg(struct ipc_conn *c, struct ipc_msg *m, void *ctx)
{
	struct local_job j = { 0 };
	struct mstore_result r = { 0 };
	size_t pklen = 0;

	(void)ctx;
	if (agent_request_get(c, m, &j.req) < 0)
		return;
	if (ipc_get_str(m, "mailbox", IPC_REQUIRED, &j.mailbox) < 0 ||
	    ipc_get_str(m, "extension", IPC_REQUIRED, &j.extension) < 0 ||
	    ipc_get_u64(m, "quota", IPC_REQUIRED, &j.quota) < 0 ||
	    ipc_get_bytes(m, "public_key", IPC_OPTIONAL, &j.pk, &pklen) < 0 ||
	    ipc_get_str(m, "junk", IPC_OPTIONAL, &j.junk) < 0 ||
	    ipc_get_str(m, "spam", IPC_OPTIONAL, &j.spam) < 0) {
		agent_malformed(c, &j.req);
		return;
	}
	if (j.pk == NULL || pklen != 32) {
		/* No key, no delivery: nothing is ever stored in the clear. */
		msg_warn("%s: to=<%s>: the user has no public key (make the "
		    "user with postern user add)", j.req.qid, j.req.recipient);
		agent_answer(c, j.req.id, IPC_ETEMP, "4.3.0",
		    "recipient has no key");
		return;
	}
	if (local_deliver(&j, &r) == 0) {
		msg_info("%s: to=<%s>, relay=local, status=sent (delivered to "
		    "%s)", j.req.qid, j.req.recipient, r.text);
		agent_answer(c, j.req.id, IPC_OK, "2.0.0",
		    "delivered to mailbox");
	} else {
		msg_info("%s: to=<%s>, relay=local, status=%s (%s %s)",
		    j.req.qid, j.req.recipient, r.temporary ? "deferred" :
		    "bounced", r.dsn, r.text);
		agent_answer(c, j.req.id, r.temporary ? IPC_ETEMP : IPC_EFAIL,
		    r.dsn, r.text);
	}
}

/* on_accept - qmgr connected */
static void
on_accept(int fd, unsigned li)
{
	(void)li;
	daemon_ipc_serve(fd, LOCAL_PROTO, LOCAL_MAJOR, LOCAL_MINOR, on_msg,
	    NULL);
}

int
main(int argc, char **argv)
{
	static const struct daemon_spec spec = {
		.user_param = "store_owner",
		.chroot_param = "store_directory",
		.on_accept = on_accept,
	};

	params_register();
	daemon_main(argc, argv, &spec);
}

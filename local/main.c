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
#include "mail/params.h"
#include "mail/proto_local.h"
#include "util/daemon.h"
#include "util/log.h"

/* answer - the reply to one request */
static void
answer(struct ipc_conn *c, uint64_t id, uint64_t status, const char *dsn,
    const char *text)
{
	struct ipc_msg r;

	ipc_msg_init(&r, LOCAL_T_REPLY);
	if (ipc_put_u64(&r, "id", id) < 0 ||
	    ipc_put_u64(&r, "status", status) < 0 ||
	    ipc_put_str(&r, "dsn", dsn) < 0 ||
	    ipc_put_str(&r, "text", text) < 0 || ipc_conn_send(c, &r) < 0)
		msg_warn("cannot answer qmgr");
	ipc_msg_free(&r);
}

/* on_msg - one DELIVER */
static void
on_msg(struct ipc_conn *c, struct ipc_msg *m, void *ctx)
{
	struct local_job j = { 0 };
	struct mstore_result r = { 0 };
	uint64_t id = 0;
	size_t pklen = 0;

	(void)ctx;
	if (m->type != LOCAL_T_DELIVER || m->fd < 0 ||
	    ipc_get_u64(m, "id", IPC_REQUIRED, &id) < 0 ||
	    ipc_get_str(m, "qid", IPC_REQUIRED, &j.qid) < 0 ||
	    ipc_get_str(m, "sender", IPC_REQUIRED, &j.sender) < 0 ||
	    ipc_get_str(m, "recipient", IPC_REQUIRED, &j.recipient) < 0 ||
	    ipc_get_str(m, "mailbox", IPC_REQUIRED, &j.mailbox) < 0 ||
	    ipc_get_str(m, "extension", IPC_REQUIRED, &j.extension) < 0 ||
	    ipc_get_u64(m, "quota", IPC_REQUIRED, &j.quota) < 0 ||
	    ipc_get_u64(m, "offset", IPC_REQUIRED, &j.offset) < 0 ||
	    ipc_get_u64(m, "length", IPC_REQUIRED, &j.length) < 0 ||
	    ipc_get_bytes(m, "public_key", IPC_OPTIONAL, &j.pk, &pklen) < 0 ||
	    ipc_get_str(m, "junk", IPC_OPTIONAL, &j.junk) < 0) {
		msg_warn("malformed request from qmgr (type %u, fd %d, %zu "
		    "attributes)", m->type, m->fd, m->n_attrs);
		answer(c, id, IPC_EPROTO, "4.3.0", "malformed request");
		return;
	}
	j.fd = m->fd;
	if (j.pk == NULL || pklen != 32) {
		/* No key, no delivery: nothing is ever stored in the clear. */
		msg_warn("%s: to=<%s>: the user has no public key (make the "
		    "user with postern user add)", j.qid, j.recipient);
		answer(c, id, IPC_ETEMP, "4.3.0", "recipient has no key");
		return;
	}
	if (local_deliver(&j, &r) == 0) {
		msg_info("%s: to=<%s>, relay=local, status=sent (delivered to "
		    "%s)", j.qid, j.recipient, r.text);
		answer(c, id, IPC_OK, "2.0.0", "delivered to mailbox");
	} else {
		msg_info("%s: to=<%s>, relay=local, status=%s (%s %s)", j.qid,
		    j.recipient, r.temporary ? "deferred" : "bounced", r.dsn,
		    r.text);
		answer(c, id, r.temporary ? IPC_ETEMP : IPC_EFAIL, r.dsn,
		    r.text);
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

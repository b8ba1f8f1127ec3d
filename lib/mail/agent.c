/*
 * NAME
 *	agent - the request and reply of a delivery agent
 * DESCRIPTION
 *	See agent.h.  A malformed request is answered, not dropped, so
 *	that qmgr settles the recipient at once instead of waiting for
 *	delivery_timeout.
 */
#include "mail/agent.h"
#include "mail/proto_local.h"
#include "util/log.h"

void
agent_answer(struct ipc_conn *c, uint64_t id, uint64_t status,
    const char *dsn, const char *text)
{
	agent_answer_dsn(c, id, status, dsn, text, 0);
}

void
agent_answer_dsn(struct ipc_conn *c, uint64_t id, uint64_t status,
    const char *dsn, const char *text, unsigned dsn_relay)
{
	struct ipc_msg r;

	ipc_msg_init(&r, LOCAL_T_REPLY);
	if (ipc_put_u64(&r, "id", id) < 0 ||
	    ipc_put_u64(&r, "status", status) < 0 ||
	    ipc_put_str(&r, "dsn", dsn) < 0 ||
	    ipc_put_str(&r, "text", text) < 0 ||
	    (dsn_relay != 0 && ipc_put_u64(&r, "dsn_relay", dsn_relay) < 0) ||
	    ipc_conn_send(c, &r) < 0)
		msg_warn("cannot answer qmgr");
	ipc_msg_free(&r);
}

int
agent_request_get(struct ipc_conn *c, const struct ipc_msg *m,
    struct agent_request *req)
{
	req->id = 0;
	req->fd = m->fd;
	if (m->type != LOCAL_T_DELIVER || m->fd < 0 ||
	    ipc_get_u64(m, "id", IPC_REQUIRED, &req->id) < 0 ||
	    ipc_get_str(m, "qid", IPC_REQUIRED, &req->qid) < 0 ||
	    ipc_get_str(m, "sender", IPC_REQUIRED, &req->sender) < 0 ||
	    ipc_get_str(m, "recipient", IPC_REQUIRED, &req->recipient) < 0 ||
	    ipc_get_u64(m, "offset", IPC_REQUIRED, &req->offset) < 0 ||
	    ipc_get_u64(m, "length", IPC_REQUIRED, &req->length) < 0) {
		msg_warn("malformed request from qmgr (type %u, fd %d, %zu "
		    "attributes)", m->type, m->fd, m->n_attrs);
		agent_answer(c, req->id, IPC_EPROTO, "4.3.0",
		    "malformed request");
		return -1;
	}
	return 0;
}

void
agent_malformed(struct ipc_conn *c, const struct agent_request *req)
{
	msg_warn("%s: malformed request from qmgr", req->qid);
	agent_answer(c, req->id, IPC_EPROTO, "4.3.0", "malformed request");
}

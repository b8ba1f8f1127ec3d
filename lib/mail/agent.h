/*
 * agent.h - what qmgr's delivery agents (local, smtp) share: reading a
 * DELIVER request and answering it (proto_local.h, doc/ipc/local.md).
 */
#ifndef POSTERN_AGENT_H
#define POSTERN_AGENT_H

#include <stdint.h>

#include "util/ipc.h"

/* The attributes every DELIVER carries; strings point into the frame. */
struct agent_request {
	uint64_t id;
	const char *qid;
	const char *sender;	/* "" for <> */
	const char *recipient;
	int fd;			/* the queue file, read-only */
	uint64_t offset, length;	/* the message in it */
};

/*
 * agent_request_get - the common attributes of a DELIVER.  Returns 0;
 * -1 for anything else or a malformed one, after a warning and an
 * IPC_EPROTO answer (when the id could be read).  The caller takes the
 * transport's own attributes from m after this.
 */
int agent_request_get(struct ipc_conn *c, const struct ipc_msg *m,
    struct agent_request *req) __attribute__((warn_unused_result));
/* agent_malformed - a transport's own attributes of req are missing or
 * wrong: warn and answer IPC_EPROTO. */
void agent_malformed(struct ipc_conn *c, const struct agent_request *req);
/* agent_answer - the REPLY to request id: status (IPC_OK, IPC_ETEMP,
 * IPC_EFAIL, IPC_EPROTO), dsn and text for qmgr and the bounce. */
void agent_answer(struct ipc_conn *c, uint64_t id, uint64_t status,
    const char *dsn, const char *text);
/* What became of the DSN duty of a message handed to another MTA
 * (RFC 3461 6.2): that server took it on (it offered DSN and got the
 * parameters), or it did not, and a success notice says "relayed". */
#define AGENT_DSN_PASSED	1
#define AGENT_DSN_RELAYED	2
/* agent_answer_dsn - agent_answer, with one of AGENT_DSN_* (0: none) */
void agent_answer_dsn(struct ipc_conn *c, uint64_t id, uint64_t status,
    const char *dsn, const char *text, unsigned dsn_relay);

#endif

/*
 * proto_qmgr.h - "qmgr": the queue manager's socket (doc/ipc/qmgr.md).
 *
 * `postern queue` sends one request per connection; qmgr is the only
 * process that moves queue files, so holding, releasing, deleting and
 * flushing are asked of it.  Every request has "id"; the reply has "id",
 * "status" and, on failure, "error".
 */
#ifndef POSTERN_PROTO_QMGR_H
#define POSTERN_PROTO_QMGR_H

#include "util/ipc.h"

#define QMGR_PROTO	"qmgr"
#define QMGR_MAJOR	1
#define QMGR_MINOR	0

#define QMGR_T_FLUSH	(IPC_T_FIRST_PROTO + 0)	/* retry deferred now */
#define QMGR_T_HOLD	(IPC_T_FIRST_PROTO + 1)	/* qid */
#define QMGR_T_RELEASE	(IPC_T_FIRST_PROTO + 2)	/* qid */
#define QMGR_T_DELETE	(IPC_T_FIRST_PROTO + 3)	/* qid */
#define QMGR_T_REPLY	(IPC_T_FIRST_PROTO + 4)	/* id, status, error */

#endif

/*
 * proto_master.h - "master-ctl", the control socket of master
 * (wire spec: doc/ipc/master-ctl.md).
 *
 * The `postern` command connects to run_directory/master.sock, exchanges
 * HELLO, and sends STATUS; master answers with one MASTER frame, one
 * SERVICE frame per service, and END.
 */
#ifndef POSTERN_PROTO_MASTER_H
#define POSTERN_PROTO_MASTER_H

#include "util/ipc.h"

#define MASTER_CTL_PROTO	"master-ctl"
#define MASTER_CTL_MAJOR	1
#define MASTER_CTL_MINOR	1
#define MASTER_CTL_SOCKET	"master.sock"
#define MASTER_LOCK_FILE	"master.pid"

#define MASTER_CTL_T_STATUS	(IPC_T_FIRST_PROTO + 0)	/* request */
#define MASTER_CTL_T_MASTER	(IPC_T_FIRST_PROTO + 1)	/* pid, version,
							   unprivileged,
							   uptime */
#define MASTER_CTL_T_SERVICE	(IPC_T_FIRST_PROTO + 2)	/* see below */
#define MASTER_CTL_T_END	(IPC_T_FIRST_PROTO + 3)	/* status */
#define MASTER_CTL_T_METRICS	(IPC_T_FIRST_PROTO + 4)	/* request (minor 1);
							   answered by TEXT
							   frames and END */
#define MASTER_CTL_T_TEXT	(IPC_T_FIRST_PROTO + 5)	/* text: a piece of
							   the metrics */
#define MASTER_CTL_TEXT_CHUNK	60000

/*
 * SERVICE attributes: name, type, listen, process_limit (0: unlimited),
 * processes, available, connections, served, client_limit_hits,
 * process_limit_hits, limits ("setting=hits ..."), throttled (bool), pids (space-separated), origin.
 */

#endif

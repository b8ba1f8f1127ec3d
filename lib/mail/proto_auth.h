/*
 * proto_auth.h - "auth": authd's socket (doc/ipc/auth.md).
 *
 * LOGIN: id, user, password (bytes), rip (client address), service
 * ("imap", "pop3", "submission"), verify_only (u64, optional) -> REPLY
 * status IPC_OK with user (the canonical address), handle (a cryptd
 * session; "" with verify_only: none is opened) and public_key (bytes
 * 32, what APPEND seals new messages to), or IPC_EFAIL with
 * error "authentication failed" whatever the reason (IPC_ETEMP when the
 * key service is down).
 * LOGOUT: id, handle -> REPLY status (the cryptd session is wiped).
 */
#ifndef POSTERN_PROTO_AUTH_H
#define POSTERN_PROTO_AUTH_H

#include "util/ipc.h"

#define AUTH_PROTO	"auth"
#define AUTH_MAJOR	1
#define AUTH_MINOR	0

#define AUTH_T_LOGIN	(IPC_T_FIRST_PROTO + 0)
#define AUTH_T_LOGOUT	(IPC_T_FIRST_PROTO + 1)
#define AUTH_T_REPLY	(IPC_T_FIRST_PROTO + 2)

#endif

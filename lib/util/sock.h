/*
 * sock.h - listening sockets and addresses.
 */
#ifndef POSTERN_SOCK_H
#define POSTERN_SOCK_H

#include <stdbool.h>
#include <sys/socket.h>

/*
 * sock_parse_inet - "host:port", "[v6]:port" or "*:port" (host numeric, or
 * "localhost") into ss.  Returns 0, or -1 with *error_r.
 */
int sock_parse_inet(const char *spec, struct sockaddr_storage *ss,
    socklen_t *len_r, const char **error_r)
	__attribute__((warn_unused_result));
/* sock_listen_inet - a non-blocking, close-on-exec listener on spec. */
int sock_listen_inet(const char *spec, int backlog, const char **error_r);
/*
 * sock_listen_unix - a non-blocking listener at path (a stale socket there
 * is replaced), chmod'ed to mode.
 */
int sock_listen_unix(const char *path, unsigned mode, int backlog,
    const char **error_r);
/* sock_nonblock - set or clear O_NONBLOCK; 0 or -1. */
int sock_nonblock(int fd, bool on);
/* sock_peer_text - "ip" of a connected socket's peer (or "unix"). */
const char *sock_peer_text(int fd, char *out, size_t size);
/* sock_text_is_local - whether a sock_peer_text address is this machine's
 * own: 127.0.0.0/8, ::1 or a unix socket (for *_cleartext_login). */
bool sock_text_is_local(const char *addr);

#endif

/*
 * NAME
 *	notify - systemd readiness notification without libsystemd
 * DESCRIPTION
 *	The sd_notify protocol is one datagram to $NOTIFY_SOCKET (a path,
 *	or an abstract name when it starts with '@').  Written directly so
 *	that Postern needs no libsystemd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "master/master.h"
#include "util/log.h"

void
notify_systemd(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (path == NULL || path[0] == '\0')
		return;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sun.sun_path)) {
		msg_warn("NOTIFY_SOCKET is not a usable socket address");
		return;
	}
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		msg_warn("sd_notify %s: %m", path);
	close(fd);
}

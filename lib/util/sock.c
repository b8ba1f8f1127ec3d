/*
 * NAME
 *	sock - listening sockets and addresses
 * DESCRIPTION
 *	Listeners are created by master and inherited by its children, who
 *	accept on them with non-blocking accept4(): several children may
 *	wake for one connection and all but one see EAGAIN.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/sock.h"
#include "util/strnum.h"

int
sock_parse_inet(const char *spec, struct sockaddr_storage *ss,
    socklen_t *len_r, const char **error_r)
{
	char host[256];
	const char *colon, *port_text, *why;
	uint64_t port;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	size_t hlen;

	memset(ss, 0, sizeof(*ss));
	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (end == NULL || end[1] != ':') {
			*error_r = "expected [ipv6-address]:port";
			return -1;
		}
		hlen = (size_t)(end - spec - 1);
		if (hlen >= sizeof(host)) {
			*error_r = "address too long";
			return -1;
		}
		memcpy(host, spec + 1, hlen);
		host[hlen] = '\0';
		port_text = end + 2;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL) {
			*error_r = "expected host:port";
			return -1;
		}
		hlen = (size_t)(colon - spec);
		if (hlen >= sizeof(host)) {
			*error_r = "address too long";
			return -1;
		}
		memcpy(host, spec, hlen);
		host[hlen] = '\0';
		port_text = colon + 1;
	}
	if (strnum_u64(port_text, 1, 65535, &port, &why) < 0) {
		*error_r = "port must be a number from 1 to 65535";
		return -1;
	}
	if (strcmp(host, "*") == 0 || strcmp(host, "") == 0) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
	} else if (strcmp(host, "localhost") == 0) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len_r = sizeof(*sin6);
		return 0;
	} else {
		*error_r = "host must be a numeric address, * or localhost";
		return -1;
	}
	sin->sin_port = htons((uint16_t)port);
	*len_r = sizeof(*sin);
	return 0;
}

int
sock_listen_inet(const char *spec, int backlog, const char **error_r)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, on = 1;

	if (sock_parse_inet(spec, &ss, &len, error_r) < 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
		    sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    listen(fd, backlog) < 0) {
		*error_r = strerror(errno);
		close(fd);
		return -1;
	}
	return fd;
}

int
sock_listen_unix(const char *path, unsigned mode, int backlog,
    const char **error_r)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		*error_r = "socket path too long";
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* Replace a stale socket, never another kind of file. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			*error_r = "exists and is not a socket";
			return -1;
		}
		(void)unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(path, mode) < 0 || listen(fd, backlog) < 0) {
		*error_r = strerror(errno);
		close(fd);
		return -1;
	}
	return fd;
}

int
sock_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl);
}

const char *
sock_peer_text(int fd, char *out, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	snprintf(out, size, "unknown");
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return out;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
		    out, (socklen_t)size);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    out, (socklen_t)size);
	else if (ss.ss_family == AF_UNIX)
		snprintf(out, size, "unix");
	return out;
}

bool
sock_text_is_local(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
	    strcmp(addr, "unix") == 0;
}

/*
 * NAME
 *	metrics_http - master serves GET /metrics (metrics_listen)
 * DESCRIPTION
 *	Off unless metrics_listen is set: "unix:/path" or a loopback
 *	"127.0.0.1:PORT" / "[::1]:PORT" (anything else is refused at start).
 *	HTTP/1.0 and 1.1, one request per connection (Connection: close):
 *	GET /metrics answers metrics_render()'s text, another path 404,
 *	another method 405.  The request head is bounded (4 KiB) and must
 *	arrive within 5 seconds; at most 16 clients at once.
 * SECURITY
 *	Runs in master (root), from its event loop, so it is small: it reads
 *	one bounded line and skips the rest of the head, and never parses
 *	header fields.  Only loopback or a unix socket (mode 0600) can reach
 *	it; the metrics hold no secrets.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "master/master.h"
#include "util/ev.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/sock.h"

#define HTTP_HEAD_MAX		4096
#define HTTP_TIMEOUT_MS		5000
#define HTTP_MAX_CLIENTS	16

struct hclient {
	int fd;
	struct buf in;
	struct buf out;
	bool replying;
	struct ev_timer *timer;
};

static int listen_fd = -1;
static char *unix_sock;
static unsigned n_clients;

/* hclient_free - end a client */
static void
hclient_free(struct hclient *h)
{
	ev_io_del(h->fd);
	close(h->fd);
	ev_timer_del(&h->timer);
	buf_free(&h->in);
	buf_free(&h->out);
	free(h);
	n_clients--;
}

/* on_timeout - a client too slow to ask or to read */
static void
on_timeout(void *ctx)
{
	struct hclient *h = ctx;

	h->timer = NULL;
	hclient_free(h);
}

/* on_write - send the response, then close */
static void
on_write(int fd, int events, void *ctx)
{
	struct hclient *h = ctx;

	while (h->out.len > 0) {
		ssize_t n = send(fd, h->out.data, h->out.len, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0)
			break;
		buf_consume(&h->out, (size_t)n);
	}
	hclient_free(h);
}

/* respond - the status line, headers and body of the answer */
static void
respond(struct hclient *h, const char *status, const struct buf *body)
{
	const char *text = body != NULL ? buf_cstr(body) : status;
	size_t len = body != NULL ? body->len : strlen(status);

	buf_printf(&h->out, "HTTP/1.0 %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", status,
	    body != NULL ? "text/plain; version=0.0.4" : "text/plain", len +
	    (body != NULL ? 0 : 1));
	buf_put(&h->out, text, len);
	if (body == NULL)
		buf_putc(&h->out, '\n');
	h->replying = true;
	ev_io_set(h->fd, EV_WRITE, on_write, h);
}

/* answer - look at the request line once the head is complete */
static void
answer(struct hclient *h)
{
	const char *line = buf_cstr(&h->in);
	size_t n = strcspn(line, "\r\n");
	struct buf body = BUF_INIT;

	if (n > 4 && strncmp(line, "GET ", 4) == 0) {
		if (n == 21 && strncmp(line, "GET /metrics HTTP/1.", 20) == 0 &&
		    (line[20] == '0' || line[20] == '1')) {
			metrics_render(&body);
			respond(h, "200 OK", &body);
			buf_free(&body);
		} else {
			respond(h, "404 Not Found", NULL);
		}
	} else if (n > 0 && strchr(line, ' ') != NULL &&
	    strstr(line, " HTTP/1.") != NULL) {
		respond(h, "405 Method Not Allowed", NULL);
	} else {
		respond(h, "400 Bad Request", NULL);
	}
}

/* on_read - gather the request head */
static void
on_read(int fd, int events, void *ctx)
{
	struct hclient *h = ctx;
	char chunk[1024];
	ssize_t n = recv(fd, chunk, sizeof(chunk), 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		hclient_free(h);
		return;
	}
	if (buf_append(&h->in, chunk, (size_t)n) < 0) {
		respond(h, "431 Request Header Fields Too Large", NULL);
		return;
	}
	/* memmem: a NUL in the head must not hide its end. */
	if (memmem(h->in.data, h->in.len, "\r\n\r\n", 4) != NULL ||
	    memmem(h->in.data, h->in.len, "\n\n", 2) != NULL)
		answer(h);
}

/* on_accept - a scraper connects */
static void
on_accept(int fd, int events, void *ctx)
{
	int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct hclient *h;

	if (c < 0)
		return;
	if (n_clients >= HTTP_MAX_CLIENTS) {
		close(c);
		return;
	}
	h = xcalloc(1, sizeof(*h));
	h->fd = c;
	buf_init(&h->in, HTTP_HEAD_MAX);
	h->timer = ev_timer_add(HTTP_TIMEOUT_MS, on_timeout, h);
	n_clients++;
	ev_io_set(c, EV_READ, on_read, h);
}

/* is_loopback - 127.0.0.0/8 or ::1 */
static bool
is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr)
		    >> 24) == 127;
	if (ss->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr,
		    &in6addr_loopback, sizeof(in6addr_loopback)) == 0;
	return false;
}

int
metrics_http_start(const char *spec, const char **error_r)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *why;

	if (spec[0] == '\0')
		return 0;
	if (strncmp(spec, "unix:", 5) == 0) {
		listen_fd = sock_listen_unix(spec + 5, 0600, 16, &why);
		if (listen_fd >= 0)
			unix_sock = xstrdup(spec + 5);
	} else if (sock_parse_inet(spec, &ss, &len, &why) < 0) {
		listen_fd = -1;
	} else if (!is_loopback(&ss)) {
		why = "not a loopback address (127.0.0.0/8 or [::1]; the "
		    "metrics are served without authentication)";
		listen_fd = -1;
	} else {
		listen_fd = sock_listen_inet(spec, 16, &why);
	}
	if (listen_fd < 0) {
		*error_r = why;
		return -1;
	}
	ev_io_set(listen_fd, EV_READ, on_accept, NULL);
	return 0;
}

void
metrics_http_stop(void)
{
	if (listen_fd < 0)
		return;
	ev_io_del(listen_fd);
	close(listen_fd);
	listen_fd = -1;
	if (unix_sock != NULL)
		(void)unlink(unix_sock);
	xfree(&unix_sock);
}

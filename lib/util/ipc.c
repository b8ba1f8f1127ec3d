/*
 * NAME
 *	ipc - framed attributes over UNIX sockets (DESIGN 3, STYLE 3)
 * DESCRIPTION
 *	The codec (encode, decode, getters) is pure and bounded: it never
 *	reads past its input and checks every length before it allocates,
 *	so it can be fuzzed directly.  A decoded message owns a private
 *	copy of its attributes, each name and value NUL-terminated.
 *
 *	Event-driven connections read into a bounded buffer, decode whole
 *	frames, and queue output.  A descriptor arriving with SCM_RIGHTS is
 *	attached to the next frame that completes from the bytes it came
 *	with: senders send a frame's bytes and its descriptor in one
 *	sendmsg, so the descriptor travels with the frame's first byte.
 *	The wire format is specified in doc/ipc/framing.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/ev.h"
#include "util/ipc.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/sock.h"

#define IPC_ATTR_HDR	2	/* kind, name_len */
#define IPC_VALUE_HDR	4	/* value_len */

void
ipc_msg_init(struct ipc_msg *m, uint16_t type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->fd = -1;
	buf_init(&m->payload, IPC_MAX_FRAME - IPC_HDR_LEN);
}

void
ipc_msg_free(struct ipc_msg *m)
{
	buf_free(&m->payload);
	free(m->attrs);
	m->attrs = NULL;
	m->n_attrs = 0;
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

/* valid_name - 1..255 bytes of [a-z0-9_] */
static bool
valid_name(const uint8_t *p, size_t len)
{
	if (len == 0 || len > 255)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
			return false;
	return true;
}

/* put - append one attribute; all or nothing */
static int
put(struct ipc_msg *m, const char *name, enum ipc_kind kind,
    const void *value, size_t len)
{
	size_t nlen = strlen(name), before = m->payload.len;
	uint8_t hdr[IPC_ATTR_HDR], vlen[IPC_VALUE_HDR];
	uint32_t n32;

	if (!valid_name((const uint8_t *)name, nlen) || len > UINT32_MAX)
		return -1;
	hdr[0] = (uint8_t)kind;
	hdr[1] = (uint8_t)nlen;
	n32 = htonl((uint32_t)len);
	memcpy(vlen, &n32, sizeof(vlen));
	if (buf_append(&m->payload, hdr, sizeof(hdr)) < 0 ||
	    buf_append(&m->payload, name, nlen) < 0 ||
	    buf_append(&m->payload, vlen, sizeof(vlen)) < 0 ||
	    buf_append(&m->payload, value, len) < 0) {
		buf_truncate(&m->payload, before);
		return -1;
	}
	return 0;
}

int
ipc_put_str(struct ipc_msg *m, const char *name, const char *value)
{
	return put(m, name, IPC_KIND_STR, value, strlen(value));
}

int
ipc_put_u64(struct ipc_msg *m, const char *name, uint64_t value)
{
	uint8_t b[8];

	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)(value & 0xff);
		value >>= 8;
	}
	return put(m, name, IPC_KIND_U64, b, sizeof(b));
}

int
ipc_put_bool(struct ipc_msg *m, const char *name, bool value)
{
	uint8_t b = value ? 1 : 0;

	return put(m, name, IPC_KIND_BOOL, &b, 1);
}

int
ipc_put_bytes(struct ipc_msg *m, const char *name, const void *value,
    size_t len)
{
	return put(m, name, IPC_KIND_BYTES, value, len);
}

/* find - the attribute called name, or NULL */
static const struct ipc_attr *
find(const struct ipc_msg *m, const char *name)
{
	for (size_t i = 0; i < m->n_attrs; i++)
		if (strcmp(m->attrs[i].name, name) == 0)
			return &m->attrs[i];
	return NULL;
}

/* lookup - find name of kind; 1, 0 (optional, absent) or -1 */
static int
lookup(const struct ipc_msg *m, const char *name, int flags,
    enum ipc_kind kind, const struct ipc_attr **a_r)
{
	const struct ipc_attr *a = find(m, name);

	if (a == NULL)
		return (flags & IPC_REQUIRED) ? -1 : 0;
	if (a->kind != kind)
		return -1;
	*a_r = a;
	return 1;
}

int
ipc_get_str(const struct ipc_msg *m, const char *name, int flags,
    const char **out)
{
	const struct ipc_attr *a;
	int rc = lookup(m, name, flags, IPC_KIND_STR, &a);

	if (rc <= 0)
		return rc;
	if (memchr(a->value, '\0', a->len) != NULL)
		return -1;
	*out = (const char *)a->value;
	return 1;
}

int
ipc_get_u64(const struct ipc_msg *m, const char *name, int flags,
    uint64_t *out)
{
	const struct ipc_attr *a;
	int rc = lookup(m, name, flags, IPC_KIND_U64, &a);
	uint64_t v = 0;

	if (rc <= 0)
		return rc;
	if (a->len != 8)
		return -1;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | a->value[i];
	*out = v;
	return 1;
}

int
ipc_get_bool(const struct ipc_msg *m, const char *name, int flags,
    bool *out)
{
	const struct ipc_attr *a;
	int rc = lookup(m, name, flags, IPC_KIND_BOOL, &a);

	if (rc <= 0)
		return rc;
	if (a->len != 1 || a->value[0] > 1)
		return -1;
	*out = a->value[0] == 1;
	return 1;
}

int
ipc_get_bytes(const struct ipc_msg *m, const char *name, int flags,
    const uint8_t **out, size_t *len)
{
	const struct ipc_attr *a;
	int rc = lookup(m, name, flags, IPC_KIND_BYTES, &a);

	if (rc <= 0)
		return rc;
	*out = a->value;
	*len = a->len;
	return 1;
}

int
ipc_frame_encode(const struct ipc_msg *m, struct buf *out)
{
	uint8_t hdr[IPC_HDR_LEN];
	uint32_t len = htonl((uint32_t)m->payload.len);
	uint16_t type = htons(m->type);
	uint16_t flags = htons((uint16_t)((m->flags & ~IPC_F_FD) |
	    (m->fd >= 0 ? IPC_F_FD : 0)));

	if (m->payload.len > IPC_MAX_FRAME - IPC_HDR_LEN)
		return -1;
	memcpy(hdr, &len, 4);
	memcpy(hdr + 4, &type, 2);
	memcpy(hdr + 6, &flags, 2);
	if (buf_append(out, hdr, sizeof(hdr)) < 0 ||
	    buf_append(out, m->payload.data, m->payload.len) < 0)
		return -1;
	return 0;
}

int
ipc_frame_decode(const uint8_t *data, size_t len, size_t max,
    struct ipc_msg *m, size_t *used, const char **error_r)
{
	uint32_t plen32;
	size_t plen, off, n = 0, i;
	uint8_t *copy;
	uint16_t v16;

	if (len < IPC_HDR_LEN)
		return -2;
	memcpy(&plen32, data, 4);
	plen = ntohl(plen32);
	if (plen > max - IPC_HDR_LEN || max < IPC_HDR_LEN) {
		*error_r = "frame larger than the maximum";
		return -1;
	}
	if (len - IPC_HDR_LEN < plen)
		return -2;
	/* First pass: check the layout and count attributes. */
	for (off = 0; off < plen; n++) {
		size_t nlen, vlen;
		uint32_t v32;

		if (n == IPC_MAX_ATTRS) {
			*error_r = "too many attributes";
			return -1;
		}
		if (plen - off < IPC_ATTR_HDR) {
			*error_r = "attribute header runs past the frame";
			return -1;
		}
		if (data[IPC_HDR_LEN + off] < IPC_KIND_STR ||
		    data[IPC_HDR_LEN + off] > IPC_KIND_BYTES) {
			*error_r = "unknown attribute kind";
			return -1;
		}
		nlen = data[IPC_HDR_LEN + off + 1];
		off += IPC_ATTR_HDR;
		if (plen - off < nlen + IPC_VALUE_HDR) {
			*error_r = "attribute name runs past the frame";
			return -1;
		}
		if (!valid_name(data + IPC_HDR_LEN + off, nlen)) {
			*error_r = "bad attribute name";
			return -1;
		}
		off += nlen;
		memcpy(&v32, data + IPC_HDR_LEN + off, 4);
		vlen = ntohl(v32);
		off += IPC_VALUE_HDR;
		if (plen - off < vlen) {
			*error_r = "attribute value runs past the frame";
			return -1;
		}
		off += vlen;	/* UNSAFE: vlen <= plen - off just above */
	}
	/* Second pass: copy, with a NUL after every name and value. */
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	memcpy(&v16, data + 4, 2);
	m->type = ntohs(v16);
	memcpy(&v16, data + 6, 2);
	m->flags = ntohs(v16);
	buf_init(&m->payload, 0);
	/* UNSAFE: at most plen + 2 bytes of NULs per attribute, n <= 256 */
	if (buf_reserve(&m->payload, plen + 2 * n + 1) < 0) {
		*error_r = "out of memory";
		return -1;
	}
	copy = m->payload.data;
	m->attrs = xcalloc(n + 1, sizeof(*m->attrs));
	m->n_attrs = n;
	for (off = 0, i = 0; i < n; i++) {
		const uint8_t *p = data + IPC_HDR_LEN + off;
		size_t nlen = p[1], vlen;
		uint32_t v32;
		struct ipc_attr *a = &m->attrs[i];

		a->kind = (enum ipc_kind)p[0];
		memcpy(&v32, p + 2 + nlen, 4);
		vlen = ntohl(v32);
		a->name = (const char *)copy;
		memcpy(copy, p + 2, nlen);
		copy[nlen] = '\0';
		copy += nlen + 1;
		a->value = copy;
		a->len = vlen;
		memcpy(copy, p + 2 + nlen + 4, vlen);
		copy[vlen] = '\0';
		copy += vlen + 1;
		off += IPC_ATTR_HDR + nlen + IPC_VALUE_HDR + vlen;
	}
	m->payload.len = (size_t)(copy - m->payload.data);
	*used = IPC_HDR_LEN + plen;
	return 1;
}

void
ipc_hello(struct ipc_msg *m, const char *proto, unsigned major,
    unsigned minor)
{
	ipc_msg_init(m, IPC_T_HELLO);
	if (ipc_put_str(m, "proto", proto) < 0 ||
	    ipc_put_u64(m, "major", major) < 0 ||
	    ipc_put_u64(m, "minor", minor) < 0 ||
	    ipc_put_u64(m, "pid", (uint64_t)getpid()) < 0)
		msg_panic("%s: cannot build HELLO", __func__);
}

int
ipc_hello_check(const struct ipc_msg *m, const char *proto, unsigned major,
    unsigned minor, unsigned *minor_r, const char **error_r)
{
	static char why[160];
	const char *peer;
	uint64_t pmajor, pminor;

	if (m->type != IPC_T_HELLO) {
		*error_r = "first frame is not HELLO";
		return -1;
	}
	if (ipc_get_str(m, "proto", IPC_REQUIRED, &peer) < 0 ||
	    ipc_get_u64(m, "major", IPC_REQUIRED, &pmajor) < 0 ||
	    ipc_get_u64(m, "minor", IPC_REQUIRED, &pminor) < 0) {
		*error_r = "malformed HELLO";
		return -1;
	}
	if (strcmp(peer, proto) != 0) {
		snprintf(why, sizeof(why), "peer protocol %.60s, expected "
		    "%.60s", peer, proto);
		*error_r = why;
		return -1;
	}
	if (pmajor != major) {
		snprintf(why, sizeof(why), "peer %s version %llu, expected %u",
		    proto, (unsigned long long)pmajor, major);
		*error_r = why;
		return -1;
	}
	*minor_r = pminor < minor ? (unsigned)pminor : minor;
	return 0;
}

/* ---- descriptor passing ---- */

ssize_t
fdpass_send(int sock, const void *data, size_t len, int fd)
{
	union {
		struct cmsghdr hdr;
		char space[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.space;
		mh.msg_controllen = sizeof(u.space);
		u.hdr.cmsg_level = SOL_SOCKET;
		u.hdr.cmsg_type = SCM_RIGHTS;
		u.hdr.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&u.hdr), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

ssize_t
fdpass_recv(int sock, void *data, size_t len, int *fd_r)
{
	union {
		struct cmsghdr hdr;
		char space[CMSG_SPACE(sizeof(int) * 8)];
	} u;
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.space, .msg_controllen = sizeof(u.space),
	};
	struct cmsghdr *c;
	ssize_t n;

	*fd_r = -1;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return n;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		size_t nfd, i;
		int fds[8];

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (nfd > 8)
			nfd = 8;
		memcpy(fds, CMSG_DATA(c), nfd * sizeof(int));
		/* One descriptor per frame: keep the first, close extras. */
		for (i = 0; i < nfd; i++) {
			if (*fd_r < 0)
				*fd_r = fds[i];
			else
				close(fds[i]);
		}
	}
	return n;
}

/* ---- blocking use ---- */

/* wait_fd - poll one fd; 1 ready, 0 timeout, -1 error */
static int
wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int rc;

	do
		rc = poll(&p, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	return rc;
}

int
ipc_sync_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
ipc_sync_send(int fd, const struct ipc_msg *m, int timeout_ms)
{
	struct buf out = BUF_INIT;
	size_t off = 0;
	int rc = 0;

	if (ipc_frame_encode(m, &out) < 0) {
		buf_free(&out);
		errno = EMSGSIZE;
		return -1;
	}
	while (off < out.len) {
		ssize_t n;

		if (wait_fd(fd, POLLOUT, timeout_ms) <= 0) {
			errno = ETIMEDOUT;
			rc = -1;
			break;
		}
		n = off == 0 ? fdpass_send(fd, out.data, out.len, m->fd) :
		    send(fd, out.data + off, out.len - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN)
				continue;
			rc = -1;
			break;
		}
		off += (size_t)n;
	}
	buf_free(&out);
	return rc;
}

int
ipc_sync_recv(int fd, struct ipc_msg *m, size_t max, int timeout_ms,
    const char **error_r)
{
	struct buf in = BUF_INIT;
	int passed = -1, rc;
	size_t used;

	buf_init(&in, max);
	for (;;) {
		uint8_t chunk[4096];
		int got;
		ssize_t n;
		size_t want = sizeof(chunk);

		rc = ipc_frame_decode(in.data != NULL ? in.data :
		    (const uint8_t *)"", in.len, max, m, &used, error_r);
		if (rc != -2)
			break;
		/* Read no further than this frame: the next one is not ours. */
		if (in.len >= IPC_HDR_LEN) {
			uint32_t p32;

			memcpy(&p32, in.data, 4);
			want = IPC_HDR_LEN + ntohl(p32) - in.len;
		} else {
			want = IPC_HDR_LEN - in.len;
		}
		if (want > sizeof(chunk))
			want = sizeof(chunk);
		if (wait_fd(fd, POLLIN, timeout_ms) <= 0) {
			*error_r = "timeout";
			rc = -1;
			break;
		}
		n = fdpass_recv(fd, chunk, want, &got);
		if (got >= 0) {
			if (passed >= 0)
				close(got);
			else
				passed = got;
		}
		if (n <= 0) {
			*error_r = n == 0 ? "connection closed" :
			    "read error";
			rc = -1;
			break;
		}
		if (buf_append(&in, chunk, (size_t)n) < 0) {
			*error_r = "frame larger than the maximum";
			rc = -1;
			break;
		}
	}
	buf_free(&in);
	if (rc == 1) {
		m->fd = passed;
		return 0;
	}
	if (passed >= 0)
		close(passed);
	return -1;
}

int
ipc_sync_hello(int fd, const char *proto, unsigned major, unsigned minor,
    int timeout_ms, const char **error_r)
{
	struct ipc_msg m;
	unsigned working;
	int rc;

	ipc_hello(&m, proto, major, minor);
	rc = ipc_sync_send(fd, &m, timeout_ms);
	ipc_msg_free(&m);
	if (rc < 0) {
		*error_r = "cannot send HELLO";
		return -1;
	}
	if (ipc_sync_recv(fd, &m, IPC_MAX_FRAME, timeout_ms, error_r) < 0)
		return -1;
	rc = ipc_hello_check(&m, proto, major, minor, &working, error_r);
	ipc_msg_free(&m);
	return rc;
}

/* ---- event-driven connections ---- */

struct ipc_pending {
	uint64_t id;
	ipc_reply_fn *fn;
	void *ctx;
	struct ev_timer *timer;
	struct ipc_conn *conn;
	struct ipc_pending *next;
};

struct ipc_conn {
	int fd;
	char *proto;
	unsigned major, minor, working_minor;
	size_t max_frame;
	bool hello_done;
	bool closing;		/* closed inside a callback */
	int depth;		/* callbacks on the stack */
	const char *close_reason;
	bool notify_close;
	struct buf in, out;
	int *out_fds;		/* descriptors to send, by output offset */
	size_t *out_fd_off;
	size_t n_out_fds;
	int in_fd;		/* received, waiting for its frame */
	uint64_t next_id;
	struct ipc_pending *pending;
	ipc_msg_fn *on_msg;
	ipc_close_fn *on_close;
	void *ctx;
};

static void conn_io(int fd, int events, void *ctx);

/* conn_watch - read always; write while output waits */
static void
conn_watch(struct ipc_conn *c)
{
	ev_io_set(c->fd, EV_READ | (c->out.len > 0 ? EV_WRITE : 0), conn_io,
	    c);
}

/* conn_free - release everything; reply callbacks get NULL first */
static void
conn_free(struct ipc_conn *c)
{
	struct ipc_pending *p;

	ev_io_del(c->fd);
	close(c->fd);
	c->fd = -1;
	while ((p = c->pending) != NULL) {
		c->pending = p->next;
		ev_timer_del(&p->timer);
		p->fn(c, NULL, p->ctx);
		free(p);
	}
	if (c->notify_close && c->on_close != NULL)
		c->on_close(c, c->close_reason, c->ctx);
	for (size_t i = 0; i < c->n_out_fds; i++)
		close(c->out_fds[i]);
	free(c->out_fds);
	free(c->out_fd_off);
	if (c->in_fd >= 0)
		close(c->in_fd);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c->proto);
	free(c);
}

/* conn_fail - end the connection, telling on_close why */
static void
conn_fail(struct ipc_conn *c, const char *reason)
{
	if (c->closing)
		return;
	c->closing = true;
	c->close_reason = reason;
	c->notify_close = true;
	if (c->depth == 0)
		conn_free(c);
}

struct ipc_conn *
ipc_conn_new(int fd, const char *proto, unsigned major, unsigned minor,
    size_t max_frame, ipc_msg_fn *on_msg, ipc_close_fn *on_close, void *ctx)
{
	struct ipc_conn *c = xcalloc(1, sizeof(*c));
	struct ipc_msg hello;

	c->fd = fd;
	c->proto = xstrdup(proto);
	c->major = major;
	c->minor = minor;
	c->max_frame = max_frame > 0 ? max_frame : IPC_MAX_FRAME;
	c->on_msg = on_msg;
	c->on_close = on_close;
	c->ctx = ctx;
	c->in_fd = -1;
	c->next_id = 1;
	buf_init(&c->in, c->max_frame + 4096);
	buf_init(&c->out, 0);
	(void)sock_nonblock(fd, true);
	ipc_hello(&hello, proto, major, minor);
	(void)ipc_conn_send(c, &hello);
	ipc_msg_free(&hello);
	conn_watch(c);
	return c;
}

int
ipc_conn_send(struct ipc_conn *c, const struct ipc_msg *m)
{
	size_t off = c->out.len;

	if (c->closing)
		return -1;
	if (ipc_frame_encode(m, &c->out) < 0)
		return -1;
	if (m->fd >= 0) {
		int dup = fcntl(m->fd, F_DUPFD_CLOEXEC, 3);

		if (dup < 0) {
			buf_truncate(&c->out, off);
			return -1;
		}
		c->out_fds = xrealloc(c->out_fds, (c->n_out_fds + 1) *
		    sizeof(int));
		c->out_fd_off = xrealloc(c->out_fd_off, (c->n_out_fds + 1) *
		    sizeof(size_t));
		c->out_fds[c->n_out_fds] = dup;
		c->out_fd_off[c->n_out_fds] = off;
		c->n_out_fds++;
	}
	if (c->depth == 0)
		conn_watch(c);
	return 0;
}

/* conn_flush - write queued frames; a descriptor goes with the first
 * byte of its frame, so each sendmsg stops before the next such frame */
static int
conn_flush(struct ipc_conn *c)
{
	while (c->out.len > 0) {
		size_t len = c->out.len;
		int fd = -1;
		ssize_t n;

		if (c->n_out_fds > 0) {
			if (c->out_fd_off[0] == 0) {
				fd = c->out_fds[0];
				if (c->n_out_fds > 1)
					len = c->out_fd_off[1];
			} else {
				len = c->out_fd_off[0];
			}
		}
		n = fdpass_send(c->fd, c->out.data, len, fd);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (fd >= 0) {
			close(fd);
			c->n_out_fds--;
			memmove(c->out_fds, c->out_fds + 1, c->n_out_fds *
			    sizeof(int));
			memmove(c->out_fd_off, c->out_fd_off + 1,
			    c->n_out_fds * sizeof(size_t));
		}
		buf_consume(&c->out, (size_t)n);
		for (size_t i = 0; i < c->n_out_fds; i++)
			c->out_fd_off[i] -= (size_t)n;
	}
	return 0;
}

/* reply_timeout - a request got no answer in time */
static void
reply_timeout(void *ctx)
{
	struct ipc_pending *p = ctx, **pp;
	struct ipc_conn *c = p->conn;

	p->timer = NULL;
	for (pp = &c->pending; *pp != NULL && *pp != p; pp = &(*pp)->next)
		;
	if (*pp != NULL)
		*pp = p->next;
	c->depth++;
	p->fn(c, NULL, p->ctx);
	c->depth--;
	free(p);
	if (c->closing && c->depth == 0)
		conn_free(c);
}

/* dispatch - one decoded frame: HELLO, a reply, or a message */
static void
dispatch(struct ipc_conn *c, struct ipc_msg *m)
{
	struct ipc_pending *p, **pp;
	const char *why;
	uint64_t id;

	if (!c->hello_done) {
		if (ipc_hello_check(m, c->proto, c->major, c->minor,
		    &c->working_minor, &why) < 0) {
			conn_fail(c, why);
			return;
		}
		c->hello_done = true;
		return;
	}
	if (m->type == IPC_T_HELLO) {
		conn_fail(c, "malformed frame: a second HELLO");
		return;
	}
	if (c->pending != NULL && ipc_get_u64(m, "id", IPC_OPTIONAL,
	    &id) == 1) {
		for (pp = &c->pending; (p = *pp) != NULL; pp = &p->next) {
			if (p->id == id) {
				*pp = p->next;
				ev_timer_del(&p->timer);
				p->fn(c, m, p->ctx);
				free(p);
				return;
			}
		}
	}
	c->on_msg(c, m, c->ctx);
}

/* conn_read - read, then dispatch every complete frame */
static void
conn_read(struct ipc_conn *c)
{
	uint8_t chunk[16384];
	int got;
	ssize_t n = fdpass_recv(c->fd, chunk, sizeof(chunk), &got);
	size_t off = 0;

	if (got >= 0) {
		if (c->in_fd >= 0) {
			close(got);
			conn_fail(c, "malformed frame: two descriptors");
			return;
		}
		c->in_fd = got;
	}
	if (n == 0) {
		conn_fail(c, "eof");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN)
			conn_fail(c, "read error");
		return;
	}
	if (buf_append(&c->in, chunk, (size_t)n) < 0) {
		conn_fail(c, "malformed frame: input over the limit");
		return;
	}
	while (!c->closing) {
		struct ipc_msg m;
		const char *why;
		size_t used;
		int rc = ipc_frame_decode(c->in.data + off, c->in.len - off,
		    c->max_frame, &m, &used, &why);
		static char reason[96];

		if (rc == -2)
			break;
		if (rc < 0) {
			snprintf(reason, sizeof(reason), "malformed frame: %s",
			    why);
			conn_fail(c, reason);
			break;
		}
		off += used;
		/* One recv may bring earlier frames along with the one the
		 * descriptor was sent with: the flag says which it is. */
		m.fd = -1;
		if (m.flags & IPC_F_FD) {
			m.fd = c->in_fd;
			c->in_fd = -1;
		}
		dispatch(c, &m);
		ipc_msg_free(&m);
	}
	buf_consume(&c->in, off);
}

/* conn_io - the loop says the socket is ready */
static void
conn_io(int fd, int events, void *ctx)
{
	struct ipc_conn *c = ctx;

	c->depth++;
	if ((events & EV_WRITE) && conn_flush(c) < 0)
		conn_fail(c, "write error");
	if (!c->closing && (events & EV_READ))
		conn_read(c);
	if (!c->closing && c->out.len > 0 && conn_flush(c) < 0)
		conn_fail(c, "write error");
	c->depth--;
	if (c->closing) {
		if (c->depth == 0)
			conn_free(c);
		return;
	}
	conn_watch(c);
}

int
ipc_conn_request(struct ipc_conn *c, struct ipc_msg *m, uint64_t timeout_ms,
    ipc_reply_fn *fn, void *ctx)
{
	struct ipc_pending *p;

	if (c->closing || ipc_put_u64(m, "id", c->next_id) < 0)
		return -1;
	if (ipc_conn_send(c, m) < 0)
		return -1;
	p = xcalloc(1, sizeof(*p));
	p->id = c->next_id++;
	p->fn = fn;
	p->ctx = ctx;
	p->conn = c;
	p->timer = ev_timer_add(timeout_ms, reply_timeout, p);
	p->next = c->pending;
	c->pending = p;
	return 0;
}

unsigned
ipc_conn_minor(const struct ipc_conn *c)
{
	return c->working_minor;
}

void
ipc_conn_close(struct ipc_conn **cp)
{
	struct ipc_conn *c = *cp;

	if (c == NULL)
		return;
	*cp = NULL;
	if (c->closing)
		return;
	c->closing = true;
	c->notify_close = false;
	if (c->depth == 0)
		conn_free(c);
}

/*
 * NAME
 *	conn - one SMTP client connection, plain or TLS, with deadlines
 * DESCRIPTION
 *	Blocking in effect, non-blocking underneath: every connect, read,
 *	write and handshake waits in poll() for at most its timeout, so a
 *	silent peer costs one timeout, never a hung process.  Output is
 *	queued with conn_put and written by conn_flush, so that pipelined
 *	commands (RFC 2920) leave in one packet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "smtp/smtp.h"
#include "util/log.h"
#include "util/mem.h"

uint64_t
conn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* wait_fd - poll fd for events until deadline; 0 ready, -1 timed out */
static int
wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		uint64_t now = conn_now_ms();
		int n;

		if (now >= deadline)
			return -1;
		n = poll(&p, 1, (int)(deadline - now));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

struct smtp_conn *
conn_open(const struct smtp_addr *a, unsigned timeout_s, char *why,
    size_t size)
{
	int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	struct smtp_conn *c;
	int err = 0;
	socklen_t len = sizeof(err);

	if (fd < 0) {
		snprintf(why, size, "cannot make a socket: %s",
		    strerror(errno));
		return NULL;
	}
	if (connect(fd, (const struct sockaddr *)&a->sa, a->salen) < 0) {
		if (errno != EINPROGRESS)
			err = errno;
		else if (wait_fd(fd, POLLOUT, conn_now_ms() +
		    timeout_s * 1000) < 0)
			err = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
	}
	if (err != 0) {
		snprintf(why, size, "connect to %s[%s]:%u: %s", a->host,
		    a->ip, a->port, err == ETIMEDOUT ? "Connection timed out"
		    : strerror(err));
		close(fd);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->addr = *a;
	buf_init(&c->in, 0);
	buf_init(&c->out, 0);
	return c;
}

/* io_error - a failed read or write; sets c->error, returns -1 */
static int
io_error(struct smtp_conn *c, const char *what)
{
	c->broken = true;
	c->error = what;
	return -1;
}

/* tls_wait - after SSL_ERROR_WANT_*: wait for the socket; 0 or -1 */
static int
tls_wait(struct smtp_conn *c, int rc, uint64_t deadline)
{
	int e = SSL_get_error(c->ssl, rc);

	if (e == SSL_ERROR_WANT_READ)
		return wait_fd(c->fd, POLLIN, deadline) < 0 ?
		    io_error(c, "timed out") : 0;
	if (e == SSL_ERROR_WANT_WRITE)
		return wait_fd(c->fd, POLLOUT, deadline) < 0 ?
		    io_error(c, "timed out") : 0;
	ERR_clear_error();
	return io_error(c, "lost connection");
}

void
conn_put(struct smtp_conn *c, const void *p, size_t n)
{
	buf_put(&c->out, p, n);
}

int
conn_flush(struct smtp_conn *c, unsigned timeout_s)
{
	uint64_t deadline = conn_now_ms() + timeout_s * 1000;
	size_t done = 0;

	if (c->broken)
		return -1;
	while (done < c->out.len) {
		const uint8_t *p = c->out.data + done;
		size_t left = c->out.len - done;

		if (c->ssl != NULL) {
			int n = SSL_write(c->ssl, p, left > INT32_MAX ?
			    INT32_MAX : (int)left);

			if (n > 0)
				done += (size_t)n;
			else if (tls_wait(c, n, deadline) < 0)
				return -1;
			continue;
		}
		ssize_t n = write(c->fd, p, left);

		if (n > 0)
			done += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && errno == EAGAIN) {
			if (wait_fd(c->fd, POLLOUT, deadline) < 0)
				return io_error(c, "timed out");
		} else
			return io_error(c, "lost connection");
	}
	buf_reset(&c->out);
	return 0;
}

/* fill - read more input; 0, or -1 with c->error */
static int
fill(struct smtp_conn *c, uint64_t deadline)
{
	uint8_t tmp[4096];

	for (;;) {
		if (c->ssl != NULL) {
			int n = SSL_read(c->ssl, tmp, sizeof(tmp));

			if (n > 0) {
				buf_put(&c->in, tmp, (size_t)n);
				return 0;
			}
			if (tls_wait(c, n, deadline) < 0)
				return -1;
			continue;
		}
		ssize_t n = read(c->fd, tmp, sizeof(tmp));

		if (n > 0) {
			buf_put(&c->in, tmp, (size_t)n);
			return 0;
		}
		if (n == 0)
			return io_error(c, "lost connection");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return io_error(c, "lost connection");
		if (wait_fd(c->fd, POLLIN, deadline) < 0)
			return io_error(c, "timed out");
	}
}

int
conn_line(struct smtp_conn *c, struct buf *line, size_t max,
    unsigned timeout_s)
{
	uint64_t deadline = conn_now_ms() + timeout_s * 1000;
	uint8_t *nl;

	if (c->broken)
		return -1;
	/* An empty buf has no data pointer: memchr must not see it. */
	while ((nl = c->in.len > 0 ? memchr(c->in.data, '\n', c->in.len) :
	    NULL) == NULL) {
		if (c->in.len > max)
			return io_error(c, "reply line too long");
		if (fill(c, deadline) < 0)
			return -1;
	}
	{
		size_t n = (size_t)(nl - c->in.data);

		if (n > max)
			return io_error(c, "reply line too long");
		buf_reset(line);
		buf_put(line, c->in.data, n > 0 && nl[-1] == '\r' ? n - 1 :
		    n);
		buf_consume(&c->in, n + 1);
	}
	return 0;
}

int
conn_starttls(struct smtp_conn *c, SSL_CTX *ctx, const char *name,
    bool verify, const struct smtp_tlsa *tlsa, size_t n_tlsa,
    unsigned timeout_s, char *why, size_t size)
{
	uint64_t deadline = conn_now_ms() + timeout_s * 1000;
	unsigned char tmp[16];
	bool is_ip = inet_pton(AF_INET, name, tmp) == 1 ||
	    inet_pton(AF_INET6, name, tmp) == 1;
	int rc;

	ASSERT(ctx != NULL);
	/* RFC 3207 4.2: nothing may be buffered across the handshake. */
	buf_reset(&c->in);
	c->ssl = SSL_new(ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		/* Past STARTTLS: the session cannot go on in the clear. */
		c->broken = true;
		snprintf(why, size, "cannot set up TLS");
		ERR_clear_error();
		return -1;
	}
	if (!is_ip)
		(void)SSL_set_tlsext_host_name(c->ssl, name);
	if (n_tlsa > 0) {
		size_t ok = 0;

		/* The MX host's name is the reference identifier that
		 * DANE-TA(2) checks; DANE-EE(3) checks no name (RFC 7672
		 * 3.1.1). */
		if (SSL_dane_enable(c->ssl, name) <= 0) {
			c->broken = true;
			snprintf(why, size, "cannot enable DANE");
			ERR_clear_error();
			return -1;
		}
		for (size_t i = 0; i < n_tlsa; i++)
			if (SSL_dane_tlsa_add(c->ssl, tlsa[i].usage,
			    tlsa[i].selector, tlsa[i].mtype, tlsa[i].data,
			    tlsa[i].len) > 0)
				ok++;
		ERR_clear_error();
		if (ok == 0) {
			c->broken = true;
			snprintf(why, size, "no usable TLSA record");
			return -1;
		}
		SSL_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
		verify = true;
	} else if (verify) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);

		if (is_ip)
			(void)X509_VERIFY_PARAM_set1_ip_asc(vp, name);
		else {
			X509_VERIFY_PARAM_set_hostflags(vp,
			    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			(void)SSL_set1_host(c->ssl, name);
		}
		SSL_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
	} else
		SSL_set_verify(c->ssl, SSL_VERIFY_NONE, NULL);
	while ((rc = SSL_connect(c->ssl)) != 1) {
		int e = SSL_get_error(c->ssl, rc);

		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			if (wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN :
			    POLLOUT, deadline) < 0) {
				snprintf(why, size, "TLS handshake timed out");
				c->broken = true;
				return -1;
			}
			continue;
		}
		if (verify && SSL_get_verify_result(c->ssl) != X509_V_OK)
			snprintf(why, size, "certificate verification "
			    "failed: %s", X509_verify_cert_error_string(
			    SSL_get_verify_result(c->ssl)));
		else {
			unsigned long err = ERR_peek_error();

			snprintf(why, size, "TLS handshake failed: %s",
			    err != 0 ? ERR_reason_error_string(err) :
			    "connection lost");
		}
		ERR_clear_error();
		c->broken = true;
		return -1;
	}
	return 0;
}

void
conn_close(struct smtp_conn **cp)
{
	struct smtp_conn *c = *cp;

	if (c == NULL)
		return;
	if (c->ssl != NULL) {
		if (!c->broken)
			(void)SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
	*cp = NULL;
}

/*
 * NAME
 *	ctl - master's control socket (master-ctl protocol)
 * DESCRIPTION
 *	`postern status` asks here; see lib/mail/proto_master.h and
 *	doc/ipc/master-ctl.md.  The socket is mode 0600 in run_directory:
 *	only master's own user (root, or the developer) can ask.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "paths.h"
#include "mail/proto_master.h"
#include "master/master.h"
#include "util/ev.h"
#include "util/ipc.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/sock.h"

static int ctl_fd = -1;
static char *ctl_path;
static uint64_t started_ms;

/* put_service - one SERVICE frame */
static int
put_service(struct ipc_msg *m, const struct service *s)
{
	struct buf pids = BUF_INIT, limits = BUF_INIT;
	uint64_t conns = 0, served = 0;
	int rc = 0;

	for (const struct child *c = children; c != NULL; c = c->next) {
		if (c->svc != s)
			continue;
		conns += c->conns;
		served += c->served;
		if (buf_appendf(&pids, "%s%ld", pids.len > 0 ? " " : "",
		    (long)c->pid) < 0)
			rc = -1;
	}
	if (limits_text(s, &limits) < 0)
		rc = -1;
	if (rc < 0 ||
	    ipc_put_str(m, "name", s->cfg->name) < 0 ||
	    ipc_put_str(m, "type", s->cfg->type == SVC_INET ? "inet" :
	    "unix") < 0 ||
	    ipc_put_str(m, "listen", s->cfg->listen != NULL ?
	    s->cfg->listen : "-") < 0 ||
	    ipc_put_u64(m, "process_limit", (uint64_t)s->limit) < 0 ||
	    ipc_put_u64(m, "processes", s->n_children) < 0 ||
	    ipc_put_u64(m, "available", s->n_avail) < 0 ||
	    ipc_put_u64(m, "connections", conns) < 0 ||
	    ipc_put_u64(m, "served", served) < 0 ||
	    ipc_put_u64(m, "client_limit_hits",
	    limit_hits(s, "client_limit")) < 0 ||
	    ipc_put_u64(m, "process_limit_hits",
	    limit_hits(s, "process_limit")) < 0 ||
	    ipc_put_str(m, "limits", buf_cstr(&limits)) < 0 ||
	    ipc_put_bool(m, "throttled", s->throttled) < 0 ||
	    ipc_put_str(m, "pids", buf_cstr(&pids)) < 0 ||
	    ipc_put_str(m, "origin", s->cfg->origin) < 0)
		rc = -1;
	buf_free(&pids);
	buf_free(&limits);
	return rc;
}

/* send_status - answer STATUS */
static void
send_status(struct ipc_conn *c)
{
	struct ipc_msg m;
	int rc = 0;

	ipc_msg_init(&m, MASTER_CTL_T_MASTER);
	if (ipc_put_u64(&m, "pid", (uint64_t)getpid()) < 0 ||
	    ipc_put_str(&m, "version", POSTERN_VERSION) < 0 ||
	    ipc_put_bool(&m, "unprivileged", master_unprivileged) < 0 ||
	    ipc_put_u64(&m, "uptime", (ev_now_ms() - started_ms) / 1000) < 0 ||
	    ipc_put_str(&m, "config_directory", master_config_dir) < 0 ||
	    ipc_conn_send(c, &m) < 0)
		rc = -1;
	ipc_msg_free(&m);
	for (size_t i = 0; i < n_services && rc == 0; i++) {
		ipc_msg_init(&m, MASTER_CTL_T_SERVICE);
		if (put_service(&m, services[i]) < 0 ||
		    ipc_conn_send(c, &m) < 0)
			rc = -1;
		ipc_msg_free(&m);
	}
	ipc_msg_init(&m, MASTER_CTL_T_END);
	if (ipc_put_u64(&m, "status", rc == 0 ? IPC_OK : IPC_EFAIL) < 0 ||
	    ipc_conn_send(c, &m) < 0)
		msg_warn("control: cannot send status reply");
	ipc_msg_free(&m);
}

/* send_metrics - answer METRICS: the endpoint's text in TEXT frames */
static void
send_metrics(struct ipc_conn *c)
{
	struct buf text = BUF_INIT;
	struct ipc_msg m;
	int rc = 0;

	metrics_render(&text);
	for (size_t off = 0; off < text.len && rc == 0;) {
		size_t n = text.len - off > MASTER_CTL_TEXT_CHUNK ?
		    MASTER_CTL_TEXT_CHUNK : text.len - off;
		char save = (char)text.data[off + n];

		/* The text is ASCII lines: any cut is a valid str. */
		text.data[off + n] = '\0';
		ipc_msg_init(&m, MASTER_CTL_T_TEXT);
		if (ipc_put_str(&m, "text", (char *)text.data + off) < 0 ||
		    ipc_conn_send(c, &m) < 0)
			rc = -1;
		ipc_msg_free(&m);
		text.data[off + n] = (uint8_t)save;
		off += n;
	}
	buf_free(&text);
	ipc_msg_init(&m, MASTER_CTL_T_END);
	if (ipc_put_u64(&m, "status", rc == 0 ? IPC_OK : IPC_EFAIL) < 0 ||
	    ipc_conn_send(c, &m) < 0)
		msg_warn("control: cannot send metrics reply");
	ipc_msg_free(&m);
}

/* on_msg - one request from `postern` */
static void
on_msg(struct ipc_conn *c, struct ipc_msg *m, void *ctx)
{
	if (m->type == MASTER_CTL_T_STATUS) {
		send_status(c);
		return;
	}
	if (m->type == MASTER_CTL_T_METRICS) {
		send_metrics(c);
		return;
	}
	msg_warn("control: unknown request type %u", m->type);
	ipc_conn_close(&c);
}

/* on_close - a control client went away */
static void
on_close(struct ipc_conn *c, const char *reason, void *ctx)
{
	if (strcmp(reason, "eof") != 0)
		msg_warn("control connection closed: %s", reason);
}

/* on_accept - a new control client */
static void
on_accept(int fd, int events, void *ctx)
{
	int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (c < 0)
		return;
	(void)ipc_conn_new(c, MASTER_CTL_PROTO, MASTER_CTL_MAJOR,
	    MASTER_CTL_MINOR, 0, on_msg, on_close, NULL);
}

int
ctl_start(const char *path)
{
	const char *why;

	started_ms = ev_now_ms();
	ctl_fd = sock_listen_unix(path, 0600, 16, &why);
	if (ctl_fd < 0) {
		msg_error("cannot listen on control socket %s: %s", path, why);
		return -1;
	}
	ctl_path = xstrdup(path);
	ev_io_set(ctl_fd, EV_READ, on_accept, NULL);
	return 0;
}

void
ctl_stop(void)
{
	if (ctl_fd < 0)
		return;
	ev_io_del(ctl_fd);
	close(ctl_fd);
	ctl_fd = -1;
	(void)unlink(ctl_path);
	xfree(&ctl_path);
}

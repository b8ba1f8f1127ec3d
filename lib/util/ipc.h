/*
 * ipc.h - framed attributes, the one protocol of every internal socket
 * (DESIGN 3, STYLE 3; wire spec in doc/ipc/framing.md).
 *
 * Frame: 8-byte header {u32 payload_len, u16 type, u16 flags}, network byte
 * order, then attributes {u8 kind, u8 name_len, name, u32 value_len, value}.
 * At most one file descriptor rides along with a frame (SCM_RIGHTS).  The
 * first frame each way is HELLO {proto, major, minor, pid}; a different
 * proto or major closes the connection, and the lower minor is used.
 * Requests carry "id" (u64) and replies echo it, with "status" (u64,
 * IPC_OK or an error) and, on error, "error" (str).
 */
#ifndef POSTERN_IPC_H
#define POSTERN_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/buf.h"

#define IPC_HDR_LEN		8
#define IPC_MAX_FRAME		(64 * 1024)
#define IPC_MAX_ATTRS		256

/* Frame types: append-only.  Each protocol numbers its own from 16. */
#define IPC_T_HELLO		1
#define IPC_T_FIRST_PROTO	16

/* Header flags. */
#define IPC_F_FD		1	/* a descriptor was sent with this frame */

/* Attribute kinds on the wire. */
enum ipc_kind {
	IPC_KIND_STR = 1,	/* UTF-8 text, no NUL */
	IPC_KIND_U64 = 2,	/* 8 bytes, network order */
	IPC_KIND_BOOL = 3,	/* 1 byte, 0 or 1 */
	IPC_KIND_BYTES = 4,	/* any bytes */
};

/* Reply status values. */
#define IPC_OK		0
#define IPC_EFAIL	1	/* the request failed; see "error" */
#define IPC_EPROTO	2	/* the request was malformed */
#define IPC_ETEMP	3	/* try again later */

/* Getter flags. */
#define IPC_REQUIRED	1
#define IPC_OPTIONAL	0

struct ipc_attr {
	const char *name;	/* NUL-terminated, points into msg storage */
	enum ipc_kind kind;
	const uint8_t *value;	/* NUL follows value[len] */
	size_t len;
};

/*
 * An outgoing message is built with ipc_put_*; an incoming one is parsed
 * into attrs.  fd is the descriptor travelling with the frame, or -1; a
 * received fd belongs to the receiver (ipc_msg_free closes it unless the
 * receiver set msg->fd = -1 after taking it).
 */
struct ipc_msg {
	uint16_t type;
	uint16_t flags;
	struct buf payload;
	struct ipc_attr *attrs;
	size_t n_attrs;
	int fd;
};

void ipc_msg_init(struct ipc_msg *m, uint16_t type);
void ipc_msg_free(struct ipc_msg *m);
/* ipc_put_* - append an attribute: 0, or -1 when the frame would exceed
 * IPC_MAX_FRAME or the name is not 1..255 lower_snake bytes. */
int ipc_put_str(struct ipc_msg *m, const char *name, const char *value)
	__attribute__((warn_unused_result));
int ipc_put_u64(struct ipc_msg *m, const char *name, uint64_t value)
	__attribute__((warn_unused_result));
int ipc_put_bool(struct ipc_msg *m, const char *name, bool value)
	__attribute__((warn_unused_result));
int ipc_put_bytes(struct ipc_msg *m, const char *name, const void *value,
    size_t len) __attribute__((warn_unused_result));

/*
 * ipc_get_* - find name in a received (decoded) message.  Returns 1 found, 0 absent and IPC_OPTIONAL, -1
 * absent and IPC_REQUIRED, wrong kind, a str with an embedded NUL, or a
 * bool/u64 of the wrong length.  Pointers stay valid while m lives.
 */
int ipc_get_str(const struct ipc_msg *m, const char *name, int flags,
    const char **out) __attribute__((warn_unused_result));
int ipc_get_u64(const struct ipc_msg *m, const char *name, int flags,
    uint64_t *out) __attribute__((warn_unused_result));
int ipc_get_bool(const struct ipc_msg *m, const char *name, int flags,
    bool *out) __attribute__((warn_unused_result));
int ipc_get_bytes(const struct ipc_msg *m, const char *name, int flags,
    const uint8_t **out, size_t *len) __attribute__((warn_unused_result));

/*
 * ipc_frame_encode - header + payload of m into out.  Returns 0 or -1.
 */
int ipc_frame_encode(const struct ipc_msg *m, struct buf *out)
	__attribute__((warn_unused_result));
/*
 * ipc_frame_decode - parse one frame from data[0..len).  Returns 1 and sets
 * *used when a whole frame was decoded into m (m->fd = -1), -2 when more
 * bytes are needed, -1 with *error_r for a malformed frame: payload over
 * max, an attribute running past the payload, a zero-length or non
 * lower_snake name, an unknown kind, more than IPC_MAX_ATTRS attributes.
 */
int ipc_frame_decode(const uint8_t *data, size_t len, size_t max,
    struct ipc_msg *m, size_t *used, const char **error_r)
	__attribute__((warn_unused_result));

/* ipc_hello - build the HELLO frame for proto/major/minor. */
void ipc_hello(struct ipc_msg *m, const char *proto, unsigned major,
    unsigned minor);
/*
 * ipc_hello_check - check a peer's HELLO against ours.  Returns 0 with
 * *minor_r = the working minor version, or -1 with *error_r.
 */
int ipc_hello_check(const struct ipc_msg *m, const char *proto,
    unsigned major, unsigned minor, unsigned *minor_r, const char **error_r)
	__attribute__((warn_unused_result));

/* ---- Blocking use (commands, simple clients), each with a timeout. ---- */

/* ipc_sync_connect - connect to a UNIX socket; fd or -1 (errno set). */
int ipc_sync_connect(const char *path);
/* ipc_sync_send - write one frame (and m->fd, if >= 0). 0 or -1. */
int ipc_sync_send(int fd, const struct ipc_msg *m, int timeout_ms);
/* ipc_sync_recv - read one frame; 0, or -1 with *error_r. */
int ipc_sync_recv(int fd, struct ipc_msg *m, size_t max, int timeout_ms,
    const char **error_r);
/* ipc_sync_hello - exchange HELLOs; 0, or -1 with *error_r. */
int ipc_sync_hello(int fd, const char *proto, unsigned major,
    unsigned minor, int timeout_ms, const char **error_r);

/* ---- Event-driven connections (lib/util/ev.h). ---- */

struct ipc_conn;

/* Called with each frame after HELLO; m is freed when the callback
 * returns (take m->fd by setting it to -1). */
typedef void ipc_msg_fn(struct ipc_conn *c, struct ipc_msg *m, void *ctx);
/* Called once when the connection ends (EOF, error, bad frame, bad HELLO,
 * timeout); c is freed after it returns. */
typedef void ipc_close_fn(struct ipc_conn *c, const char *reason, void *ctx);
/* Called with the reply to ipc_request, or with NULL on timeout/close. */
typedef void ipc_reply_fn(struct ipc_conn *c, struct ipc_msg *reply,
    void *ctx);

/*
 * ipc_conn_new - take over connected fd (made non-blocking), send our HELLO
 * and expect the peer's.  max_frame 0 means IPC_MAX_FRAME.
 */
struct ipc_conn *ipc_conn_new(int fd, const char *proto, unsigned major,
    unsigned minor, size_t max_frame, ipc_msg_fn *on_msg,
    ipc_close_fn *on_close, void *ctx);
/* ipc_conn_send - queue a frame (with m->fd, duplicated); 0 or -1. */
int ipc_conn_send(struct ipc_conn *c, const struct ipc_msg *m);
/* ipc_conn_request - send m with a fresh "id"; fn gets the reply whose id
 * matches, or NULL after timeout_ms or on close. */
int ipc_conn_request(struct ipc_conn *c, struct ipc_msg *m,
    uint64_t timeout_ms, ipc_reply_fn *fn, void *ctx);
/* ipc_conn_minor - the working minor version (after HELLO). */
unsigned ipc_conn_minor(const struct ipc_conn *c);
/* ipc_conn_close - close now; on_close is not called. */
void ipc_conn_close(struct ipc_conn **cp);

/* ---- Descriptor passing. ---- */

/* fdpass_send - send len bytes with fd (or -1) attached; bytes or -1. */
ssize_t fdpass_send(int sock, const void *data, size_t len, int fd);
/* fdpass_recv - receive up to len bytes; a passed fd goes to *fd_r (else
 * -1); extra descriptors are closed.  Bytes, 0 at EOF, or -1. */
ssize_t fdpass_recv(int sock, void *data, size_t len, int *fd_r);

#endif

/*
 * NAME
 *	message - the decrypted message a command works on
 * DESCRIPTION
 *	One message at a time: FETCH and SEARCH go through a folder message
 *	by message, and the plaintext of the previous one is wiped when the
 *	next is loaded, and at the end of every command.  An idle session
 *	holds no message data.  Size and date need no decryption: the size
 *	is in the file name (",S=", written by mstore), the date is the
 *	file's mtime (delivery time, or APPEND's date-time).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "imapd/imapd.h"
#include "mail/msgcrypt.h"
#include "mail/mstore.h"
#include "mail/params.h"
#include "util/log.h"
#include "util/mem.h"

uint64_t
message_size(const struct mindex_msg *m)
{
	return mstore_name_size(m->name);
}

int64_t
message_date(struct session *ss, const struct mindex_msg *m)
{
	char path[1400];
	struct stat st;

	snprintf(path, sizeof(path), "%s/cur/%s", ss->sel->f->path, m->name);
	return stat(path, &st) == 0 ? (int64_t)st.st_mtime : 0;
}

void
message_drop(struct session *ss)
{
	if (ss->msg.uid == 0 && ss->msg.data.data == NULL)
		return;
	mime_free(&ss->msg.mime);
	/* message_read_sealed only appends: nothing past len was written,
	 * and wiping the untouched rest would only fault pages in. */
	mem_wipe(ss->msg.data.data, ss->msg.data.len);
	buf_free(&ss->msg.data);
	memset(&ss->msg.mime, 0, sizeof(ss->msg.mime));
	ss->msg.uid = 0;
}

/* Most messages are a few KB: grow by this, not by a whole chunk. */
#define READ_STEP	16384

int
message_read_sealed(struct session *ss, int fd, size_t max, size_t size,
    struct buf *out, const char **error_r)
{
	struct msgcrypt_reader r;
	uint8_t key[MSGCRYPT_KEY_LEN], probe = 0;
	ssize_t n;
	int rc = -1;

	buf_init(out, max);
	if (size > 0 && size <= max && buf_reserve(out, size) < 0)
		msg_panic("%s: %zu bytes within %zu refused", __func__, size,
		    max);
	if (keys_open(ss, fd, key, error_r) == 0 &&
	    msgcrypt_read_begin(&r, fd, key, error_r) == 0) {
		for (;;) {
			size_t room = out->cap > out->len + 1 ?
			    out->cap - out->len - 1 : 0;

			if (room > 0) {
				n = msgcrypt_read(&r, out->data + out->len,
				    room, error_r);
				if (n <= 0) {
					rc = n == 0 ? 0 : -1;
					break;
				}
				out->len += (size_t)n;
				continue;
			}
			/* Full (the size was right, or not known): grow
			 * only if there is more. */
			n = msgcrypt_read(&r, &probe, 1, error_r);
			if (n <= 0) {
				rc = n == 0 ? 0 : -1;
				break;
			}
			if (buf_reserve_wipe(out, READ_STEP) < 0 &&
			    buf_reserve_wipe(out, 1) < 0) {
				*error_r = "the file is too large";
				break;
			}
			out->data[out->len++] = probe;
		}
		msgcrypt_read_free(&r);
	}
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&probe, sizeof(probe));
	if (rc < 0) {
		mem_wipe(out->data, out->len);
		buf_free(out);
	}
	return rc;
}

int
message_load(struct session *ss, const struct mindex_msg *m,
    const char **error_r)
{
	char path[1400];
	int fd, rc;

	if (ss->msg.uid == m->uid && ss->msg.data.data != NULL)
		return 0;
	message_drop(ss);
	snprintf(path, sizeof(path), "%s/cur/%s", ss->sel->f->path, m->name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		*error_r = errno == ENOENT ? "the message was expunged" :
		    "cannot open the message";
		return -1;
	}
	rc = message_read_sealed(ss, fd, var_message_size_limit * 2 + 65536,
	    message_size(m), &ss->msg.data, error_r);
	close(fd);
	if (rc < 0) {
		msg_warn("%s: %s: %s", ss->acc.user, path, *error_r);
		return -1;
	}
	mime_parse(&ss->msg.mime, (const char *)ss->msg.data.data,
	    ss->msg.data.len);
	ss->msg.uid = m->uid;
	return 0;
}

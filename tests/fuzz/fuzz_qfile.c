/*
 * fuzz_qfile.c - the queue file reader (qfile_read), as qmgr reads a
 * file from incoming/ or deferred/: the envelope, the message length and
 * its end mark, and the appended state records.
 */
#include "fuzz.h"

#include "mail/qfile.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qfile_env e;
	const char *why = NULL;
	int fd;

	if (size > (1u << 20))
		return 0;
	fd = fuzz_memfd(data, size);
	memset(&e, 0, sizeof(e));
	if (qfile_read(fd, &e, &why) == 0) {
		FUZZ_CHECK(e.msg_offset <= size);
		FUZZ_CHECK(e.msg_len <= size - e.msg_offset);
		FUZZ_CHECK(e.n_rcpts <= QFILE_RCPT_MAX);
		FUZZ_CHECK(e.sender != NULL);
		for (size_t i = 0; i < e.n_rcpts; i++)
			FUZZ_CHECK(e.rcpts[i].address != NULL);
	} else {
		FUZZ_CHECK(why != NULL);
	}
	qfile_env_free(&e);
	close(fd);
	return 0;
}

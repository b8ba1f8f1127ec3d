/*
 * fuzz_ipc.c - the internal frame decoder.  Every daemon decodes frames
 * from less privileged peers, so the input is a byte stream of frames;
 * each decoded frame is read back through the getters and must encode
 * and decode again to the same attributes.
 */
#include "fuzz.h"

#include "util/buf.h"
#include "util/ipc.h"

/*
 * check_roundtrip - m's attributes, put again (as bytes, the one kind
 * that takes any value), encode and decode to the same names and values:
 * whatever the decoder accepts, the encoder can say.
 */
static void
check_roundtrip(const struct ipc_msg *m)
{
	struct ipc_msg out, again;
	struct buf wire;
	const char *why;
	size_t used;

	ipc_msg_init(&out, m->type);
	for (size_t i = 0; i < m->n_attrs; i++)
		FUZZ_CHECK(ipc_put_bytes(&out, m->attrs[i].name,
		    m->attrs[i].value, m->attrs[i].len) == 0);
	buf_init(&wire, 0);
	FUZZ_CHECK(ipc_frame_encode(&out, &wire) == 0);
	FUZZ_CHECK(ipc_frame_decode(wire.data, wire.len, IPC_MAX_FRAME, &again,
	    &used, &why) == 1);
	FUZZ_CHECK(used == wire.len);
	FUZZ_CHECK(again.type == m->type && again.n_attrs == m->n_attrs);
	for (size_t i = 0; i < m->n_attrs; i++) {
		FUZZ_CHECK(strcmp(again.attrs[i].name, m->attrs[i].name) == 0);
		FUZZ_CHECK(again.attrs[i].len == m->attrs[i].len);
		FUZZ_CHECK(memcmp(again.attrs[i].value, m->attrs[i].value,
		    m->attrs[i].len) == 0);
	}
	ipc_msg_free(&again);
	ipc_msg_free(&out);
	buf_free(&wire);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	while (size > 0) {
		struct ipc_msg m;
		const char *why = NULL, *s;
		const uint8_t *b;
		uint64_t u;
		bool flag;
		size_t used = 0, n;
		int rc;

		rc = ipc_frame_decode(data, size, IPC_MAX_FRAME, &m, &used, &why);
		if (rc == -1)
			FUZZ_CHECK(why != NULL);
		if (rc != 1)
			break;
		FUZZ_CHECK(used >= IPC_HDR_LEN && used <= size);
		FUZZ_CHECK(m.n_attrs <= IPC_MAX_ATTRS && m.fd == -1);
		for (size_t i = 0; i < m.n_attrs; i++) {
			const struct ipc_attr *a = &m.attrs[i];

			FUZZ_CHECK(a->value[a->len] == '\0');
			/* The first attribute of a name is what getters see. */
			if (ipc_get_str(&m, a->name, IPC_OPTIONAL, &s) == 1)
				FUZZ_CHECK(s != NULL && strlen(s) <= a->len);
			if (ipc_get_u64(&m, a->name, IPC_OPTIONAL, &u) == 1)
				FUZZ_CHECK(u == u);
			if (ipc_get_bool(&m, a->name, IPC_OPTIONAL, &flag) == 1)
				FUZZ_CHECK(flag == 0 || flag == 1);
			if (ipc_get_bytes(&m, a->name, IPC_OPTIONAL, &b, &n) == 1)
				FUZZ_CHECK(b != NULL || n == 0);
		}
		if (ipc_get_str(&m, "error", IPC_REQUIRED, &s) == 1)
			FUZZ_CHECK(s != NULL);
		{
			unsigned minor;

			if (ipc_hello_check(&m, "fuzz", 1, 0, &minor, &why) == 0)
				FUZZ_CHECK(minor == 0 && m.type == IPC_T_HELLO);
		}
		check_roundtrip(&m);
		ipc_msg_free(&m);
		data += used;
		size -= used;
	}
	return 0;
}

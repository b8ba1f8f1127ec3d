/*
 * fuzz_mime.c - a message as imapd serves it: the MIME structure
 * (mime_parse), then for every part its header fields (mime_header),
 * Content-Type parameters (mime_param), encoded words
 * (mime_decode_words) and body decoding (mime_decode_body).
 */
#include "fuzz.h"

#include "mail/mime.h"
#include "util/buf.h"

#define OUT_MAX	(1u << 20)

static size_t
visit(const struct mime_message *m, const struct mime_part *p, unsigned depth)
{
	struct buf v, out;
	size_t n = 0;

	buf_init(&v, OUT_MAX);
	buf_init(&out, OUT_MAX);
	for (; p != NULL; p = p->next, n++) {
		FUZZ_CHECK(depth <= MIME_DEPTH_MAX + 1);
		FUZZ_CHECK(p->hdr_start <= p->body_start);
		FUZZ_CHECK(p->body_start <= p->body_end);
		FUZZ_CHECK(p->body_end <= m->len);
		FUZZ_CHECK(strlen(p->type) < sizeof(p->type));
		FUZZ_CHECK(strlen(p->subtype) < sizeof(p->subtype));
		if (mime_header(m->data, m->len, p->hdr_start, "Content-Type",
		    &v) == 1) {
			const char *ct = buf_cstr(&v);

			(void)mime_param(ct, "boundary", &out);
			buf_reset(&out);
			if (mime_param(ct, "charset", &out) == 1)
				buf_reset(&out);
			(void)mime_param(ct, "name", &out);
			buf_reset(&out);
		}
		buf_reset(&v);
		if (mime_header(m->data, m->len, p->hdr_start, "Subject",
		    &v) == 1) {
			(void)mime_decode_words((const char *)v.data, v.len,
			    &out);
			buf_reset(&out);
		}
		buf_reset(&v);
		if (mime_header(m->data, m->len, p->hdr_start,
		    "Content-Transfer-Encoding", &v) == 1) {
			(void)mime_decode_body(buf_cstr(&v),
			    m->data + p->body_start,
			    p->body_end - p->body_start, &out);
			buf_reset(&out);
		}
		buf_reset(&v);
		n += visit(m, p->child, depth + 1);
	}
	buf_free(&v);
	buf_free(&out);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_message m;
	struct buf out;

	if (size > (1u << 20))
		return 0;
	mime_parse(&m, (const char *)data, size);
	FUZZ_CHECK(visit(&m, m.root, 0) <= MIME_PARTS_MAX + 1);
	mime_free(&m);
	/* The decoders also on raw input: clients send what they like. */
	buf_init(&out, OUT_MAX);
	(void)mime_decode_words((const char *)data, size, &out);
	buf_reset(&out);
	(void)mime_decode_body("quoted-printable", (const char *)data, size,
	    &out);
	buf_reset(&out);
	(void)mime_decode_body("base64", (const char *)data, size, &out);
	buf_free(&out);
	return 0;
}

/*
 * fuzz_imap_section.c - FETCH body sections: the first line is a
 * fetch-att atom from the client ("BODY.PEEK[1.2.HEADER.FIELDS (TO)]<0.10>",
 * imap_section_parse and imap_section_name), the rest a message
 * (mime_parse) to cut the section from (imap_section_fetch).
 */
#include "fuzz.h"

#include "mail/imap_section.h"
#include "mail/mime.h"
#include "util/buf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	struct imap_section s;
	struct mime_message m;
	struct buf out;
	const char *why = NULL;
	size_t alen;

	if (nl == NULL || size > (1u << 20))
		return 0;
	alen = (size_t)(nl - data);
	memset(&s, 0, sizeof(s));
	if (imap_section_parse((const char *)data, alen, &s, &why) < 0) {
		FUZZ_CHECK(why != NULL);
		imap_section_free(&s);
		return 0;
	}
	FUZZ_CHECK(s.n_part <= IMAP_SECTION_DEPTH);
	FUZZ_CHECK(s.n_fields <= IMAP_SECTION_FIELDS);
	FUZZ_CHECK(strlen(s.spec) < sizeof(s.spec));
	buf_init(&out, 1u << 22);
	FUZZ_CHECK(imap_section_name(&s, &out) == 0);
	buf_reset(&out);
	mime_parse(&m, (const char *)nl + 1, size - alen - 1);
	if (imap_section_fetch(&s, &m, &out, &why) == 0 && s.partial &&
	    s.kind == IMAP_SECTION_BODY)
		FUZZ_CHECK(out.len <= s.length);
	mime_free(&m);
	buf_free(&out);
	imap_section_free(&s);
	return 0;
}

/*
 * fuzz_pop3.c - POP3 command lines as pop3d takes them: lines end at LF
 * (CR dropped), a line with a NUL is refused, the rest splits into
 * keyword and argument (pop3_cmd_split), and message numbers and TOP's
 * line count go through strnum_u64 with pop3d's bounds.
 */
#include "fuzz.h"

#include "mail/pop3_cmd.h"
#include "util/strnum.h"

static void
command(char *line)
{
	char name[POP3_NAME_MAX + 1];
	const char *arg, *why, *sp;
	size_t off;
	uint64_t n;

	if (pop3_cmd_split(line, name, &off) < 0)
		return;
	FUZZ_CHECK(strlen(name) >= 1 && strlen(name) <= POP3_NAME_MAX);
	FUZZ_CHECK(off <= strlen(line));
	arg = line + off;
	if (strnum_u64(arg, 1, UINT32_MAX, &n, &why) == 0)
		FUZZ_CHECK(n >= 1 && n <= UINT32_MAX);
	if ((sp = strchr(arg, ' ')) != NULL &&
	    strnum_u64(sp + 1, 0, UINT64_MAX, &n, &why) < 0)
		FUZZ_CHECK(why != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	size_t start = 0;

	if (size > 65536)
		return 0;
	text = fuzz_cstr(data, size);
	for (size_t i = 0; i < size; i++) {
		if (data[i] != '\n')
			continue;
		size_t n = i - start;

		if (n > 0 && text[start + n - 1] == '\r')
			n--;
		text[start + n] = '\0';
		if (memchr(data + start, '\0', n) == NULL)
			command(text + start);
		start = i + 1;
	}
	free(text);
	return 0;
}

/*
 * NAME
 *	imap_parse_test - IMAP command syntax
 */
#include <string.h>

#include "mail/imap_parse.h"
#include "util/buf.h"
#include "util/test.h"

/* parse - shorthand */
static int
parse(const char *s, struct imap_command *c, const char **why)
{
	return imap_parse(s, strlen(s), c, why);
}

static void
test_commands(void)
{
	struct imap_command c;
	const char *why;
	struct imap_arg *a;

	TEST_BEGIN("imap_parse: commands, strings, lists, sections");
	CHECK(parse("a1 login bob \"p \\\"w\\\\\"", &c, &why) == 0);
	CHECK_STR_EQ(c.tag, "a1");
	CHECK_STR_EQ(c.name, "LOGIN");
	CHECK(c.n_args == 2);
	a = c.args;
	CHECK(imap_arg_is_atom(a, "BOB"));
	CHECK(a->next->type == IMAP_QUOTED && a->next->len == 5 &&
	    memcmp(a->next->data, "p \"w\\", 5) == 0);
	imap_command_free(&c);

	CHECK(parse("x UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]"
	    "<0.100> RFC822.SIZE)", &c, &why) == 0);
	CHECK(c.n_args == 3);
	a = c.args->next->next;
	CHECK(a->type == IMAP_LIST && a->count == 3);
	CHECK(a->list->next->len == strlen("BODY.PEEK[HEADER.FIELDS (FROM TO)]"
	    "<0.100>"));
	imap_command_free(&c);

	CHECK(parse("t APPEND INBOX (\\Seen) {11}\r\nHello world", &c, &why)
	    == 0);
	a = c.args->next->next;
	CHECK(a->type == IMAP_LITERAL && a->len == 11 &&
	    memcmp(a->data, "Hello world", 11) == 0);
	CHECK(c.args->next->list->len == 5);
	imap_command_free(&c);

	CHECK(imap_parse("t APPEND INBOX ~{3}\r\na\0b", 24, &c, &why) == 0);
	CHECK(c.args->next->literal8 && c.args->next->len == 3);
	imap_command_free(&c);

	CHECK(parse("n SEARCH NIL (((a)))", &c, &why) == 0);
	CHECK(c.args->type == IMAP_NIL);
	imap_command_free(&c);
	CHECK(parse("n NOOP", &c, &why) == 0 && c.n_args == 0);
	imap_command_free(&c);
	TEST_END();
}

static void
test_bad_input(void)
{
	struct imap_command c;
	const char *why;
	char deep[64];

	TEST_BEGIN("imap_parse: bad input, with and without a usable tag");
	CHECK(parse("", &c, &why) == IMAP_PARSE_NO_TAG);
	imap_command_free(&c);
	CHECK(parse("+ NOOP", &c, &why) == IMAP_PARSE_NO_TAG);
	imap_command_free(&c);
	CHECK(parse("a\"b NOOP", &c, &why) == IMAP_PARSE_NO_TAG);
	imap_command_free(&c);
	CHECK(parse("a ", &c, &why) == IMAP_PARSE_BAD);
	CHECK_STR_EQ(c.tag, "a");
	imap_command_free(&c);
	CHECK(parse("a LOGIN \"unterminated", &c, &why) == IMAP_PARSE_BAD);
	imap_command_free(&c);
	CHECK(parse("a LOGIN (x", &c, &why) == IMAP_PARSE_BAD);
	imap_command_free(&c);
	CHECK(parse("a LOGIN  x", &c, &why) == IMAP_PARSE_BAD);
	imap_command_free(&c);
	CHECK(parse("a X {5}\r\nabc", &c, &why) == IMAP_PARSE_BAD);
	imap_command_free(&c);
	CHECK(parse("a X {99999999999999999999}\r\n", &c, &why) ==
	    IMAP_PARSE_BAD);
	imap_command_free(&c);
	CHECK(imap_parse("a X {3}\r\na\0b", 12, &c, &why) == IMAP_PARSE_BAD);
	imap_command_free(&c);
	CHECK(imap_parse("a X a\0b", 7, &c, &why) == IMAP_PARSE_BAD);
	imap_command_free(&c);
	memset(deep, '(', 30);
	memcpy(deep, "a X ", 4);
	deep[30] = '\0';
	CHECK(parse(deep, &c, &why) == IMAP_PARSE_BAD);
	CHECK(strstr(why, "nested") != NULL);
	imap_command_free(&c);
	TEST_END();
}

static void
test_line_literal(void)
{
	uint64_t n;
	bool ns, l8;

	TEST_BEGIN("imap_parse: literal markers at line end");
	CHECK(imap_line_literal("a APPEND X {12}", 15, &n, &ns, &l8) == 1 &&
	    n == 12 && !ns && !l8);
	CHECK(imap_line_literal("a APPEND X ~{7+}", 16, &n, &ns, &l8) == 1 &&
	    n == 7 && ns && l8);
	CHECK(imap_line_literal("a NOOP", 6, &n, &ns, &l8) == 0);
	CHECK(imap_line_literal("a X {1x}", 8, &n, &ns, &l8) == -1);
	TEST_END();
}

/* test_quoted_memory - memory grows with the command, not its square */
static void
test_quoted_memory(void)
{
	struct imap_command c;
	struct buf line = BUF_INIT;
	const char *why;

	TEST_BEGIN("imap_parse: many quoted strings cost linear memory");
	buf_puts(&line, "q SEARCH");
	for (int i = 0; i < 2000; i++)
		buf_puts(&line, " \"ab\\\"c\"");
	CHECK(imap_parse((const char *)line.data, line.len, &c, &why) == 0);
	CHECK(c.n_args == 2000 && c.args->len == 4 &&
	    memcmp(c.args->data, "ab\"c", 4) == 0);
	CHECK(c.arena.bytes < 2000 * 128);
	imap_command_free(&c);
	buf_free(&line);
	TEST_END();
}

int
main(void)
{
	test_commands();
	test_bad_input();
	test_line_literal();
	test_quoted_memory();
	return test_exit();
}

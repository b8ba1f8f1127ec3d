/*
 * pop3_cmd.h - the syntax of a POP3 command line (RFC 1939 3): a keyword
 * of at most POP3_NAME_MAX characters, then its arguments after one
 * space.  pop3d looks the keyword up and hands the arguments on; message
 * numbers and line counts are parsed with strnum_u64.
 */
#ifndef POSTERN_POP3_CMD_H
#define POSTERN_POP3_CMD_H

#include <stddef.h>

#define POP3_NAME_MAX	7	/* longest keyword we know (4) and room */

/*
 * pop3_cmd_split - the keyword of line (NUL-ended, without CRLF) into
 * name, and in *arg where the arguments start: past the keyword and the
 * one space after it (at the NUL if none).  An offset, so that a caller
 * with a writable line keeps writing to it.  0, or -1 for an empty or
 * over-long keyword.
 */
int pop3_cmd_split(const char *line, char name[POP3_NAME_MAX + 1],
    size_t *arg) __attribute__((warn_unused_result));

#endif

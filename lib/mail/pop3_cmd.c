/*
 * pop3_cmd.c - see pop3_cmd.h.  Kept out of pop3d so that the unit test
 * and the fuzz target reach it.
 */
#include <string.h>

#include "mail/pop3_cmd.h"

int
pop3_cmd_split(const char *line, char name[POP3_NAME_MAX + 1], size_t *arg)
{
	size_t n = strcspn(line, " ");

	if (n == 0 || n > POP3_NAME_MAX)
		return -1;
	memcpy(name, line, n);
	name[n] = '\0';
	*arg = n + (line[n] == ' ');
	return 0;
}

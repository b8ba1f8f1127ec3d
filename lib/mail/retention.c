/*
 * NAME
 *	retention - parse expire_folder_retention
 * DESCRIPTION
 *	Checked when expire(8) starts: a bad setting stops it with the
 *	reason rather than deleting by a guess.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mail/retention.h"

/* unit - seconds in unit c, 0 if it is not one */
static uint64_t
unit(char c)
{
	switch (c) {
	case 's': return 1;
	case 'm': return 60;
	case 'h': return 3600;
	case 'd': return 86400;
	case 'w': return 7 * 86400;
	}
	return 0;
}

int
retention_parse(const char *spec, struct retention *r,
    const char **error_r)
{
	const char *p = spec;

	r->n = 0;
	for (;;) {
		const char *name, *eq, *end;
		unsigned long long v, scale = 1;
		char *num_end;

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			return 0;
		name = p;
		while (*p != '\0' && *p != '=' && *p != ',' &&
		    !isspace((unsigned char)*p))
			p++;
		eq = p;
		if (*eq != '=' || eq == name) {
			*error_r = "expected folder=time";
			return -1;
		}
		if ((size_t)(eq - name) > RETENTION_NAME_MAX || name[0] == '.') {
			*error_r = "folder name not usable";
			return -1;
		}
		p = eq + 1;
		if (!isdigit((unsigned char)*p)) {
			*error_r = "expected a time after =";
			return -1;
		}
		errno = 0;
		v = strtoull(p, &num_end, 10);
		end = num_end;
		if (*end != '\0' && *end != ',' && !isspace((unsigned char)*end)) {
			if ((scale = unit(*end)) == 0) {
				*error_r = "unknown time unit (s, m, h, d, w)";
				return -1;
			}
			end++;
		}
		if (errno != 0 || v > 100ULL * 365 * 86400 / scale) {
			*error_r = "time too large";
			return -1;
		}
		if (*end != '\0' && *end != ',' && !isspace((unsigned char)*end)) {
			*error_r = "garbage after the time";
			return -1;
		}
		if (r->n == RETENTION_FOLDERS_MAX) {
			*error_r = "too many folders";
			return -1;
		}
		memcpy(r->rules[r->n].folder, name, (size_t)(eq - name));
		r->rules[r->n].folder[eq - name] = '\0';
		r->rules[r->n].seconds = v * scale;
		r->n++;
		p = end;
	}
}

uint64_t
retention_for(const struct retention *r, const char *folder)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->rules[i].folder, folder) == 0)
			return r->rules[i].seconds;
	return 0;
}

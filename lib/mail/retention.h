/*
 * retention.h - the expire_folder_retention setting: "Junk=30d,
 * Trash=30d", how long a message may stay in a folder (expire(8)).
 */
#ifndef POSTERN_RETENTION_H
#define POSTERN_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#define RETENTION_FOLDERS_MAX	32
#define RETENTION_NAME_MAX	200

struct retention {
	struct {
		char folder[RETENTION_NAME_MAX + 1];	/* as IMAP shows it */
		uint64_t seconds;	/* 0: kept forever */
	} rules[RETENTION_FOLDERS_MAX];
	size_t n;
};

/*
 * retention_parse - "folder=time" pairs separated by commas or white
 * space; time is a number with an optional unit s, m, h, d or w (0: keep
 * forever).  Empty: no rule.  0, or -1 with *error_r.
 */
int retention_parse(const char *spec, struct retention *r,
    const char **error_r);

/* retention_for - seconds messages may stay in folder (its exact IMAP
 * name: "INBOX", "Lists/Old"); 0 for none. */
uint64_t retention_for(const struct retention *r, const char *folder);

#endif

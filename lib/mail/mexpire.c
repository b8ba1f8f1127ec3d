/*
 * NAME
 *	mexpire - expiry records of the mail store
 * DESCRIPTION
 *	See mexpire.h.  Due entries are not fsync'ed: after a power loss
 *	one may be missing while its message is there, and the message
 *	then goes at the next whole-store pass of expire(8), which reads
 *	",E=" from file names.  An entry is written before its message is
 *	renamed into new/, so a crash between the two leaves an entry
 *	without a message, which the sweep skips.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/mexpire.h"
#include "util/file.h"
#include "util/log.h"

#define ENTRY_MAX	2048	/* bytes of "mailbox\nfolder\n" */

int64_t
mexpire_name_time(const char *name)
{
	const char *s = strstr(name, ",E=");
	char *end;
	long long t;

	if (s == NULL)
		return 0;
	errno = 0;
	t = strtoll(s + 3, &end, 10);
	if (errno != 0 || end == s + 3 || t <= 0 ||
	    (*end != '\0' && *end != ',' && *end != ':'))
		return 0;
	return (int64_t)t;
}

int
mexpire_due_add(int64_t when, const char *mailbox, const char *folder,
    const char *name)
{
	char dir[64], path[512], text[ENTRY_MAX];
	int n, fd = -1;

	n = snprintf(text, sizeof(text), "%s\n%s\n", mailbox, folder);
	if (n < 0 || (size_t)n >= sizeof(text) || strchr(name, '/') != NULL) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(dir, sizeof(dir), MEXPIRE_DIR "/%lld",
	    (long long)(when - when % MEXPIRE_BUCKET));
	if ((size_t)snprintf(path, sizeof(path), "%s/%lld.%s", dir,
	    (long long)when, name) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* The sweep removes empty past hours: make the hour again if it
	 * went between our mkdir and open. */
	for (int tries = 0; tries < 3 && fd < 0; tries++) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST)
			return 0;	/* recorded already */
		if (fd < 0 && (errno != ENOENT || file_mkdirs(dir, 0700) < 0))
			return -1;
	}
	if (fd < 0)
		return -1;
	if (file_write_all(fd, text, (size_t)n) < 0) {
		int e = errno;

		close(fd);
		(void)unlink(path);
		errno = e;
		return -1;
	}
	return close(fd);
}

/* all_digits - a bucket name */
static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* read_entry - "mailbox\nfolder\n" of path into text, split; 0 or -1 */
static int
read_entry(const char *path, char *text, size_t size, char **mailbox,
    char **folder)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;
	char *nl;

	if (fd < 0)
		return -1;
	n = read(fd, text, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	if ((nl = strchr(text, '\n')) == NULL)
		return -1;
	*nl = '\0';
	*mailbox = text;
	*folder = nl + 1;
	if ((nl = strchr(*folder, '\n')) == NULL || nl[1] != '\0')
		return -1;
	*nl = '\0';
	return **mailbox != '\0' ? 0 : -1;
}

/* scan_bucket - the due entries of one hour */
static int
scan_bucket(const char *dir, int64_t now, mexpire_due_fn *fn, void *ctx)
{
	struct dirent **names;
	char path[600], text[ENTRY_MAX], *mailbox, *folder, *end;
	int n, seen = 0;

	if ((n = scandir(dir, &names, NULL, alphasort)) < 0)
		return 0;
	for (int i = 0; i < n; i++) {
		const char *e = names[i]->d_name;
		long long when;

		if (e[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%.256s", dir, e);
		errno = 0;
		when = strtoll(e, &end, 10);
		if (errno != 0 || end == e || *end != '.' || end[1] == '\0') {
			msg_warn("expiry entry %s: bad name; removed", path);
			(void)unlink(path);
			continue;
		}
		if (when > now)
			continue;
		seen++;
		if (read_entry(path, text, sizeof(text), &mailbox, &folder) <
		    0) {
			/* Torn by a crash: the message, if stored, still
			 * carries ,E= and goes at the whole-store pass. */
			msg_warn("expiry entry %s: unreadable; removed", path);
			(void)unlink(path);
			continue;
		}
		if (fn(when, mailbox, folder, end + 1, ctx) == 0)
			(void)unlink(path);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return seen;
}

int
mexpire_due_scan(int64_t now, mexpire_due_fn *fn, void *ctx)
{
	struct dirent **names;
	char dir[64];
	int n, seen = 0;

	if ((n = scandir(MEXPIRE_DIR, &names, NULL, alphasort)) < 0)
		return errno == ENOENT ? 0 : -1;
	for (int i = 0; i < n; i++) {
		const char *b = names[i]->d_name;
		long long hour;

		if (!all_digits(b) || strlen(b) > 18)
			continue;
		hour = strtoll(b, NULL, 10);
		if (hour > now)
			continue;
		if (snprintf(dir, sizeof(dir), MEXPIRE_DIR "/%s", b) >=
		    (int)sizeof(dir))
			continue;	/* not one of ours: 18 digits at most */
		seen += scan_bucket(dir, now, fn, ctx);
		/* A past hour gets no new entries but from deliveries of
		 * mail already expired; mexpire_due_add makes it again. */
		if (hour + MEXPIRE_BUCKET <= now)
			(void)rmdir(dir);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return seen;
}

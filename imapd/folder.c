/*
 * NAME
 *	folder - folder names, the folder indexes shared by the sessions of
 *	this process, and change notification
 * DESCRIPTION
 *	IMAP names use "/" as hierarchy delimiter; on disk a folder is a
 *	Maildir++ directory ".A.B" for "A/B", with "." and "%" in a name
 *	written as %2E and %25 so that every name maps to one directory
 *	and back.  INBOX is the mailbox directory itself.
 *
 *	Sessions that select the same folder share its index (struct
 *	folder): one read of the log serves all of them.  New mail is
 *	noticed by looking at new/ (its mtime) and the log (its size),
 *	and, for folders with IDLE sessions, through inotify at once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imapd/imapd.h"
#include "mail/mstore.h"
#include "mail/params.h"
#include "util/ev.h"
#include "util/file.h"
#include "util/log.h"
#include "util/mem.h"

#define MADE_FILE	"postern-folders-made"

static struct folder *folders;

bool
folder_is_inbox(const char *name)
{
	return strcasecmp(name, "INBOX") == 0;
}

int
folder_dir(const struct session *ss, const char *name, char *out,
    size_t size)
{
	size_t off, len = strlen(name);
	int n;

	if (folder_is_inbox(name)) {
		n = snprintf(out, size, "%s", ss->mdir);
		return n < 0 || (size_t)n >= size ? -1 : 0;
	}
	if (len == 0 || len > 200 || name[0] == '/' || name[len - 1] == '/' ||
	    strstr(name, "//") != NULL)
		return -1;
	n = snprintf(out, size, "%s/.", ss->mdir);
	if (n < 0 || (size_t)n >= size)
		return -1;
	off = (size_t)n;
	for (const char *p = name; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < ' ' || c == 0x7f)
			return -1;
		if (off + 4 >= size)
			return -1;
		if (c == '/')
			out[off++] = '.';
		else if (c == '.' || c == '%')
			off += (size_t)snprintf(out + off, size - off, "%%%02X",
			    c);
		else
			out[off++] = (char)c;
	}
	out[off] = '\0';
	return 0;
}

/* decode - the IMAP name of directory entry ".A.B" */
static char *
decode(const char *entry)
{
	char *out = xmalloc(strlen(entry) + 1), *o = out;

	for (const char *p = entry + 1; *p != '\0'; p++) {
		if (*p == '.')
			*o++ = '/';
		else if (*p == '%' && strncmp(p, "%2E", 3) == 0)
			*o++ = '.', p += 2;
		else if (*p == '%' && strncmp(p, "%25", 3) == 0)
			*o++ = '%', p += 2;
		else
			*o++ = *p;
	}
	*o = '\0';
	return out;
}

struct folder *
folder_get(const char *path, const char **error_r)
{
	struct folder *f;
	struct stat st;

	for (f = folders; f != NULL; f = f->next)
		if (strcmp(f->path, path) == 0) {
			f->refs++;
			return f;
		}
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		*error_r = "no such folder";
		return NULL;
	}
	f = xcalloc(1, sizeof(*f));
	if (mindex_open(&f->x, path, error_r) < 0) {
		free(f);
		return NULL;
	}
	f->path = xstrdup(path);
	f->refs = 1;
	f->new_mtime_ns = -1;
	f->wd = f->wd_log = -1;
	f->next = folders;
	folders = f;
	(void)folder_sync(f);
	return f;
}

void
folder_put(struct folder *f)
{
	struct folder **fp;

	if (f == NULL || --f->refs > 0)
		return;
	for (fp = &folders; *fp != NULL; fp = &(*fp)->next)
		if (*fp == f) {
			*fp = f->next;
			break;
		}
	if (f->wd >= 0)
		(void)inotify_rm_watch(folder_inotify_fd(), f->wd);
	if (f->wd_log >= 0)
		(void)inotify_rm_watch(folder_inotify_fd(), f->wd_log);
	mindex_close(&f->x);
	free(f->path);
	free(f);
}

bool
folder_sync(struct folder *f)
{
	char path[1100];
	struct stat st;
	bool changed = false;
	int64_t ns;

	snprintf(path, sizeof(path), "%s/new", f->path);
	if (stat(path, &st) == 0) {
		ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
		    st.st_mtim.tv_nsec;
		if (ns != f->new_mtime_ns) {
			f->new_mtime_ns = ns;
			if (mindex_sync_new(&f->x) > 0)
				changed = true;
		}
	}
	/* Appended to, or replaced by a compaction. */
	if (mindex_stale(&f->x) || (fstat(f->x.fd, &st) == 0 &&
	    st.st_size != f->log_size)) {
		if (mindex_refresh(&f->x) > 0 || f->x.n_expunged > 0)
			changed = true;
		if (fstat(f->x.fd, &st) == 0)
			f->log_size = st.st_size;
	}
	/* Sessions find expunges by comparing with their views. */
	f->x.n_expunged = 0;
	return changed;
}

const char *
folder_special(const char *name)
{
	static const char *const uses[][2] = {
		{ "Sent", "\\Sent" }, { "Drafts", "\\Drafts" },
		{ "Junk", "\\Junk" }, { "Trash", "\\Trash" },
		{ "Archive", "\\Archive" },
	};
	const char *list = var_imapd_special_folders;
	size_t len = strlen(name);

	/* Only the names the administrator chose carry the attribute. */
	for (const char *p = list; *p != '\0';) {
		size_t n = strcspn(p, " ,\t");

		if (n == len && strncasecmp(p, name, n) == 0)
			for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]);
			    i++)
				if (strcasecmp(uses[i][0], name) == 0)
					return uses[i][1];
		p += n;
		p += strspn(p, " ,\t");
	}
	return NULL;
}

/* make - a folder directory with tmp, new and cur */
static int
make(const char *dir)
{
	static const char *const subs[] = { "tmp", "new", "cur" };
	char path[1100];

	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, subs[i]);
		if (file_mkdirs(path, 0700) < 0)
			return -1;
	}
	return 0;
}

int
folder_make(const char *dir)
{
	return make(dir);
}

void
folder_make_special(struct session *ss)
{
	char path[1100], dir[1100], name[64];
	const char *p = var_imapd_special_folders;
	int fd;

	snprintf(path, sizeof(path), "%s/" MADE_FILE, ss->mdir);
	if (access(path, F_OK) == 0)
		return;
	if (make(ss->mdir) < 0) {
		msg_warn("%s: cannot make the mailbox: %m", ss->mdir);
		return;
	}
	while (*p != '\0') {
		size_t n = strcspn(p, " ,\t");

		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		if (n > 0 && folder_dir(ss, name, dir, sizeof(dir)) == 0 &&
		    make(dir) < 0)
			msg_warn("%s: cannot make folder %s: %m", ss->mdir,
			    name);
		p += n;
		p += strspn(p, " ,\t");
	}
	/* Once: a folder the user deletes stays deleted. */
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
}

/* by_name - INBOX first, then byte order */
static int
by_name(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	if (folder_is_inbox(x) != folder_is_inbox(y))
		return folder_is_inbox(x) ? -1 : 1;
	return strcmp(x, y);
}

size_t
folder_list(const struct session *ss, char ***names)
{
	DIR *d = opendir(ss->mdir);
	struct dirent *e;
	size_t n = 0, cap = 16;

	*names = xmalloc(cap * sizeof(char *));
	(*names)[n++] = xstrdup("INBOX");
	if (d == NULL)
		return n;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.' || strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0)
			continue;
		if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN)
			continue;
		if (n == cap) {
			cap *= 2;
			*names = xrealloc(*names, cap * sizeof(char *));
		}
		(*names)[n++] = decode(e->d_name);
	}
	closedir(d);
	qsort(*names, n, sizeof(char *), by_name);
	return n;
}

/* ---- Change notification. ---- */

static int inotify_fd = -1;

/* on_inotify - something changed in a watched folder */
static void
on_inotify(int fd, int events, void *ctx)
{
	char ev[4096] __attribute__((aligned(8)));
	ssize_t n;

	(void)events;
	(void)ctx;
	while ((n = read(fd, ev, sizeof(ev))) > 0) {
		for (char *p = ev; p < ev + n;) {
			struct inotify_event *ie = (struct inotify_event *)p;

			for (struct folder *f = folders; f != NULL; f = f->next)
				if (f->watched && (f->wd == ie->wd ||
				    (f->wd_log == ie->wd && ie->len > 0 &&
				    strcmp(ie->name, MINDEX_FILE) == 0)))
					f->dirty = true;
			p += sizeof(*ie) + ie->len;
		}
	}
	for (struct folder *f = folders; f != NULL; f = f->next)
		if (f->dirty) {
			f->dirty = false;
			folder_changed(f);
		}
}

int
folder_inotify_fd(void)
{
	if (inotify_fd < 0) {
		inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (inotify_fd < 0)
			msg_warn("inotify: %m (IDLE falls back to looking "
			    "every imapd_idle_interval)");
		else
			ev_io_set(inotify_fd, EV_READ, on_inotify, NULL);
	}
	return inotify_fd;
}

void
folder_watch(struct folder *f)
{
	char path[1100];
	int fd = folder_inotify_fd();

	if (f->watched || fd < 0)
		return;
	snprintf(path, sizeof(path), "%s/new", f->path);
	f->wd = inotify_add_watch(fd, path, IN_MOVED_TO | IN_CREATE);
	/* The log through its directory: a compaction renames a new file
	 * into place, which a watch on the file itself would miss. */
	f->wd_log = inotify_add_watch(fd, f->path, IN_MODIFY | IN_MOVED_TO);
	f->watched = f->wd >= 0;
}

uint64_t
folder_quota_usage(const struct session *ss)
{
	return mstore_usage(ss->acc.user);
}

uint64_t
folder_quota_limit(const struct session *ss)
{
	return mstore_quota(ss->acc.user);
}

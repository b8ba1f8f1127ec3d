/*
 * NAME
 *	mindex - the append-only folder index
 * DESCRIPTION
 *	See mindex.h.  Writers hold an exclusive fcntl lock on the log while
 *	they refresh and append, so that UIDs and MODSEQs are assigned from
 *	the latest state.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mail/mindex.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"

#define LINE_MAX_LEN	1024

static int reopen(struct mindex *x);
static int compact(struct mindex *x);

bool
mindex_stale(const struct mindex *x)
{
	struct stat st;

	return stat(x->path, &st) == 0 && (st.st_ino != x->ino ||
	    st.st_dev != x->dev);
}

/* worth_compacting - is the log over twice the size of its state? */
static bool
worth_compacting(const struct mindex *x)
{
	return x->lines > MINDEX_COMPACT_MIN &&
	    x->lines > 2 * (x->n + x->n_x + x->n_keywords + 2);
}

/* lock - exclusive (F_WRLCK) or release (F_UNLCK) the whole log; the
 * outermost of nested calls takes and drops the real lock, on the file
 * that is at the path (a compaction may have replaced ours), and the
 * last release compacts a long log */
static int
lock(struct mindex *x, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET };

	if (type == F_UNLCK ? --x->lock_depth > 0 : x->lock_depth++ > 0)
		return 0;
	if (type == F_UNLCK && worth_compacting(x))
		(void)compact(x);
	for (;;) {
		while (fcntl(x->fd, F_SETLKW, &fl) < 0)
			if (errno != EINTR) {
				if (type != F_UNLCK)
					x->lock_depth--;
				return -1;
			}
		if (type == F_UNLCK || !mindex_stale(x))
			return 0;
		if (reopen(x) < 0) {
			x->lock_depth--;
			return -1;
		}
	}
}

int
mindex_lock(struct mindex *x)
{
	return lock(x, F_WRLCK);
}

void
mindex_unlock(struct mindex *x)
{
	(void)lock(x, F_UNLCK);
}

/* insert - add a live message, keeping UID order */
static void
insert(struct mindex *x, uint32_t uid, uint64_t modseq, uint64_t flags,
    const char *name)
{
	size_t i = x->n;

	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 64;
		x->msgs = xrealloc(x->msgs, x->cap * sizeof(*x->msgs));
	}
	while (i > 0 && x->msgs[i - 1].uid > uid)
		i--;
	memmove(&x->msgs[i + 1], &x->msgs[i], (x->n - i) * sizeof(*x->msgs));
	x->msgs[i] = (struct mindex_msg){ uid, modseq, flags, xstrdup(name) };
	x->n++;
}

struct mindex_msg *
mindex_find(struct mindex *x, uint32_t uid)
{
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (x->msgs[mid].uid == uid)
			return &x->msgs[mid];
		if (x->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* apply - one record line (NUL-terminated, no newline) */
static void
apply(struct mindex *x, char *line)
{
	unsigned long long a, b, c;
	char name[LINE_MAX_LEN];
	struct mindex_msg *m;

	switch (line[0]) {
	case 'I':
		if (sscanf(line, "I %llu", &a) == 1)
			x->uidvalidity = (uint32_t)a;
		break;
	case 'A':
		if (sscanf(line, "A %llu %llu %llu %1000s", &a, &b, &c,
		    name) == 4 && a > 0 && a < UINT32_MAX &&
		    mindex_find(x, (uint32_t)a) == NULL) {
			insert(x, (uint32_t)a, b, c, name);
			if (a >= x->uidnext)
				x->uidnext = (uint32_t)a + 1;
			if (b > x->highestmodseq)
				x->highestmodseq = b;
		}
		break;
	case 'F':
		if (sscanf(line, "F %llu %llu %llu", &a, &b, &c) == 3 &&
		    (m = mindex_find(x, (uint32_t)a)) != NULL) {
			m->flags = c;
			m->modseq = b;
			if (b > x->highestmodseq)
				x->highestmodseq = b;
		}
		break;
	case 'K':
		if (sscanf(line, "K %llu %64s", &a, name) == 2 &&
		    a == x->n_keywords && a < MINDEX_KEYWORDS_MAX)
			x->keywords[x->n_keywords++] = xstrdup(name);
		break;
	case 'U':
		if (sscanf(line, "U %llu %llu", &a, &b) == 2 &&
		    a < UINT32_MAX) {
			if (a > x->uidnext)
				x->uidnext = (uint32_t)a;
			if (b > x->highestmodseq)
				x->highestmodseq = b;
		}
		break;
	case 'X':
		x->n_x++;
		if (sscanf(line, "X %llu %llu", &a, &b) == 2 && a > 0 &&
		    a < UINT32_MAX && a >= x->uidnext)
			x->uidnext = (uint32_t)a + 1;
		if (sscanf(line, "X %llu %llu", &a, &b) == 2 &&
		    (m = mindex_find(x, (uint32_t)a)) != NULL) {
			size_t i = (size_t)(m - x->msgs);

			free(m->name);
			memmove(m, m + 1, (x->n - i - 1) * sizeof(*m));
			x->n--;
			x->expunged = xrealloc(x->expunged,
			    (x->n_expunged + 1) * sizeof(uint32_t));
			x->expunged[x->n_expunged++] = (uint32_t)a;
			if (b > x->highestmodseq)
				x->highestmodseq = b;
		}
		break;
	}
}

int
mindex_refresh(struct mindex *x)
{
	char chunk[8192];
	struct buf line = BUF_INIT;
	off_t off, line_start;
	int applied = 0;
	ssize_t n;

	/* Under the lock the file cannot have been replaced. */
	if (x->lock_depth == 0 && mindex_stale(x) && reopen(x) < 0)
		return -1;
	off = line_start = x->read_off;
	while ((n = pread(x->fd, chunk, sizeof(chunk), off)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (chunk[i] != '\n') {
				if (line.len < LINE_MAX_LEN &&
				    buf_append_byte(&line, (uint8_t)chunk[i]) < 0)
					break;
				continue;
			}
			apply(x, (char *)buf_cstr(&line));
			applied++;
			x->lines++;
			buf_reset(&line);
			line_start = off + i + 1;
		}
		off += n;
	}
	buf_free(&line);
	/* A torn last line (no newline) is not applied: it is not there. */
	x->read_off = line_start;
	return n < 0 ? -1 : applied;
}

/* append - one record, under the lock the caller holds */
static int
append(struct mindex *x, const char *text)
{
	struct stat st;

	/* Cut a torn line a killed writer left behind. */
	if (fstat(x->fd, &st) == 0 && st.st_size > x->read_off &&
	    ftruncate(x->fd, x->read_off) < 0)
		return -1;
	if (pwrite(x->fd, text, strlen(text), x->read_off) !=
	    (ssize_t)strlen(text))
		return -1;
	return mindex_refresh(x) < 0 ? -1 : 0;
}

int
mindex_open(struct mindex *x, const char *dir, const char **error_r)
{
	char rec[64];
	struct stat st;

	memset(x, 0, sizeof(*x));
	x->dir = xstrdup(dir);
	x->path = xasprintf("%s/" MINDEX_FILE, dir);
	x->uidnext = 1;
	x->fd = open(x->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (x->fd >= 0 && fstat(x->fd, &st) == 0) {
		x->dev = st.st_dev;
		x->ino = st.st_ino;
	}
	if (x->fd < 0 || lock(x, F_WRLCK) < 0) {
		*error_r = "cannot open the folder index";
		return -1;
	}
	if (mindex_refresh(x) < 0 || (x->uidvalidity == 0 &&
	    (snprintf(rec, sizeof(rec), "I %lld\n", (long long)time(NULL)),
	    append(x, rec) < 0))) {
		(void)lock(x, F_UNLCK);
		*error_r = "cannot read the folder index";
		return -1;
	}
	(void)lock(x, F_UNLCK);
	return 0;
}

void
mindex_close(struct mindex *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->msgs[i].name);
	free(x->msgs);
	for (size_t i = 0; i < x->n_keywords; i++)
		free(x->keywords[i]);
	free(x->expunged);
	free(x->dir);
	free(x->path);
	if (x->fd >= 0)
		close(x->fd);
	memset(x, 0, sizeof(*x));
	x->fd = -1;
}

/* logged - is name already a live message? */
static bool
logged(const struct mindex *x, const char *name)
{
	for (size_t i = x->n; i > 0; i--)
		if (strcmp(x->msgs[i - 1].name, name) == 0)
			return true;
	return false;
}

/* add_locked - log new/<name> with flags and move it to cur/ (lock held).
 * The UID is logged first: a crash between the two leaves a logged
 * message still in new/, found again by mindex_sync_new (which then only
 * moves it). */
static int
add_locked(struct mindex *x, const char *name, uint64_t flags,
    uint32_t *uid)
{
	char rec[LINE_MAX_LEN + 64], *from, *to;
	int rc = -1;

	if (name[0] == '.' || strlen(name) > LINE_MAX_LEN - 100 ||
	    strpbrk(name, " /\n") != NULL) {
		errno = EINVAL;
		return -1;
	}
	from = xasprintf("%s/new/%s", x->dir, name);
	to = xasprintf("%s/cur/%s", x->dir, name);
	*uid = x->uidnext;
	snprintf(rec, sizeof(rec), "A %u %llu %llu %s\n", x->uidnext,
	    (unsigned long long)x->highestmodseq + 1,
	    (unsigned long long)flags, name);
	if (append(x, rec) == 0 && rename(from, to) == 0)
		rc = 0;
	free(from);
	free(to);
	return rc;
}

int
mindex_add(struct mindex *x, const char *name, uint64_t flags,
    uint32_t *uid)
{
	int rc = -1;

	if (lock(x, F_WRLCK) < 0)
		return -1;
	if (mindex_refresh(x) >= 0)
		rc = add_locked(x, name, flags, uid);
	(void)lock(x, F_UNLCK);
	return rc;
}

int
mindex_sync_new(struct mindex *x)
{
	char *newdir = xasprintf("%s/new", x->dir);
	struct dirent **names;
	int n, added = 0;
	uint32_t uid;

	n = scandir(newdir, &names, NULL, alphasort);
	if (n < 0) {
		free(newdir);
		return errno == ENOENT ? 0 : -1;
	}
	if (lock(x, F_WRLCK) < 0 || mindex_refresh(x) < 0) {
		added = -1;
		goto out;
	}
	for (int i = 0; i < n && added >= 0; i++) {
		const char *name = names[i]->d_name;

		if (name[0] == '.' || strlen(name) > LINE_MAX_LEN - 100 ||
		    strchr(name, ' ') != NULL)
			continue;
		if (logged(x, name)) {
			/* Logged before a crash, never moved: move it now. */
			char *from = xasprintf("%s/%s", newdir, name);
			char *to = xasprintf("%s/cur/%s", x->dir, name);

			if (rename(from, to) < 0)
				added = -1;
			free(from);
			free(to);
		} else if (add_locked(x, name, 0, &uid) < 0) {
			added = -1;
		} else {
			added++;
		}
	}
	(void)lock(x, F_UNLCK);
out:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(newdir);
	return added;
}

int
mindex_set_flags(struct mindex *x, uint32_t uid, uint64_t flags)
{
	char rec[96];
	int rc = -1;

	if (lock(x, F_WRLCK) < 0)
		return -1;
	if (mindex_refresh(x) >= 0 && mindex_find(x, uid) != NULL) {
		snprintf(rec, sizeof(rec), "F %u %llu %llu\n", uid,
		    (unsigned long long)x->highestmodseq + 1,
		    (unsigned long long)flags);
		rc = append(x, rec);
	}
	(void)lock(x, F_UNLCK);
	return rc;
}

/* keyword_ok - an IMAP atom that can be a keyword (RFC 3501 flag-keyword:
 * atom characters, not "\" which starts system flags) */
static bool
keyword_ok(const char *name, size_t len)
{
	if (len == 0 || len > MINDEX_KEYWORD_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= ' ' || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return false;
	}
	return true;
}

int
mindex_keyword(struct mindex *x, const char *name, size_t len, bool create)
{
	char rec[MINDEX_KEYWORD_LEN + 32];
	int rc = -1;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < x->n_keywords; i++)
			if (strlen(x->keywords[i]) == len &&
			    strncasecmp(x->keywords[i], name, len) == 0)
				return (int)i;
		if (pass == 1 || !create || !keyword_ok(name, len))
			return -1;
		/* Another process may have logged it meanwhile. */
		if (lock(x, F_WRLCK) < 0)
			return -1;
		if (mindex_refresh(x) < 0) {
			(void)lock(x, F_UNLCK);
			return -1;
		}
		for (size_t i = 0; i < x->n_keywords; i++)
			if (strlen(x->keywords[i]) == len &&
			    strncasecmp(x->keywords[i], name, len) == 0)
				rc = (int)i;
		if (rc < 0 && x->n_keywords < MINDEX_KEYWORDS_MAX) {
			snprintf(rec, sizeof(rec), "K %zu %.*s\n",
			    x->n_keywords, (int)len, name);
			(void)append(x, rec);
		}
		(void)lock(x, F_UNLCK);
		if (rc >= 0)
			return rc;
	}
	return -1;
}

int
mindex_expunge(struct mindex *x, uint32_t uid)
{
	struct mindex_msg *m;
	char rec[96], rel[LINE_MAX_LEN + 8], path[LINE_MAX_LEN + 1200];
	int rc = -1;

	if (lock(x, F_WRLCK) < 0)
		return -1;
	if (mindex_refresh(x) >= 0 && (m = mindex_find(x, uid)) != NULL) {
		snprintf(path, sizeof(path), "%.1100s/%s", x->dir,
		    mindex_path(m, rel, sizeof(rel)));
		snprintf(rec, sizeof(rec), "X %u %llu\n", uid,
		    (unsigned long long)x->highestmodseq + 1);
		rc = append(x, rec);
		if (rc == 0)
			(void)unlink(path);
	}
	(void)lock(x, F_UNLCK);
	return rc;
}

int
mindex_expunged_since(struct mindex *x, uint64_t modseq, uint32_t **uids,
    size_t *n)
{
	char chunk[8192], line[64];
	size_t len = 0, cap = 0;
	off_t off = 0;
	ssize_t got;

	*uids = NULL;
	*n = 0;
	while ((got = pread(x->fd, chunk, sizeof(chunk), off)) > 0) {
		for (ssize_t i = 0; i < got; i++) {
			unsigned long long u, m;

			if (chunk[i] != '\n') {
				if (len < sizeof(line) - 1)
					line[len++] = chunk[i];
				continue;
			}
			line[len] = '\0';
			len = 0;
			if (line[0] != 'X' || sscanf(line, "X %llu %llu", &u,
			    &m) != 2 || m <= modseq)
				continue;
			if (*n == cap) {
				cap = cap ? 2 * cap : 64;
				*uids = xrealloc(*uids, cap * sizeof(uint32_t));
			}
			(*uids)[(*n)++] = (uint32_t)u;
		}
		off += got;
	}
	return got < 0 ? -1 : 0;
}

/* reopen - the log at the path replaced ours: load it from the start;
 * messages gone meanwhile are reported as expunged */
static int
reopen(struct mindex *x)
{
	struct mindex_msg *old = x->msgs;
	size_t n_old = x->n;
	uint32_t uidnext = x->uidnext;
	struct stat st;
	int fd;

	if ((fd = open(x->path, O_RDWR | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(x->fd);		/* drops a lock held on the dead file */
	x->fd = fd;
	x->dev = st.st_dev;
	x->ino = st.st_ino;
	for (size_t i = 0; i < x->n_keywords; i++)
		free(x->keywords[i]);
	x->n_keywords = 0;
	x->msgs = NULL;
	x->n = x->cap = 0;
	x->read_off = 0;
	x->lines = x->n_x = 0;
	if (mindex_refresh(x) < 0) {
		x->msgs = old;	/* keep what we knew; the caller fails */
		x->n = x->cap = n_old;
		return -1;
	}
	if (x->uidnext < uidnext)
		x->uidnext = uidnext;
	for (size_t i = 0; i < n_old; i++) {
		if (mindex_find(x, old[i].uid) == NULL) {
			x->expunged = xrealloc(x->expunged,
			    (x->n_expunged + 1) * sizeof(uint32_t));
			x->expunged[x->n_expunged++] = old[i].uid;
		}
		free(old[i].name);
	}
	free(old);
	return 0;
}

/* x_records - every X line of the log, as they are, into out */
static int
x_records(struct mindex *x, struct buf *out)
{
	char chunk[8192], line[64];
	size_t len = 0;
	off_t off = 0;
	ssize_t got;

	while ((got = pread(x->fd, chunk, sizeof(chunk), off)) > 0) {
		for (ssize_t i = 0; i < got && off + i < x->read_off; i++) {
			if (chunk[i] != '\n') {
				if (len < sizeof(line) - 1)
					line[len++] = chunk[i];
				continue;
			}
			if (len > 0 && line[0] == 'X') {
				line[len++] = '\n';
				buf_put(out, line, len);
			}
			len = 0;
		}
		off += got;
	}
	return got < 0 ? -1 : 0;
}

/* compact - write the state as a new log and put it in place (lock
 * held); our fd moves to the new file, the lock on the old one goes */
static int
compact(struct mindex *x)
{
	char *tmp = xasprintf("%s.%ld.tmp", x->path, (long)getpid());
	struct buf b = BUF_INIT;
	struct stat st;
	size_t lines;
	int fd = -1, rc = -1;

	buf_printf(&b, "I %u\n", x->uidvalidity);
	for (size_t i = 0; i < x->n_keywords; i++)
		buf_printf(&b, "K %zu %s\n", i, x->keywords[i]);
	buf_printf(&b, "U %u %llu\n", x->uidnext,
	    (unsigned long long)x->highestmodseq);
	for (size_t i = 0; i < x->n; i++)
		buf_printf(&b, "A %u %llu %llu %s\n", x->msgs[i].uid,
		    (unsigned long long)x->msgs[i].modseq,
		    (unsigned long long)x->msgs[i].flags, x->msgs[i].name);
	if (x_records(x, &b) < 0)
		goto out;
	lines = 2 + x->n_keywords + x->n + x->n_x;
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, b.data, b.len) != (ssize_t)b.len ||
	    fsync(fd) < 0 || fstat(fd, &st) < 0 || rename(tmp, x->path) < 0) {
		(void)unlink(tmp);
		goto out;
	}
	close(x->fd);
	x->fd = fd;
	fd = -1;
	x->dev = st.st_dev;
	x->ino = st.st_ino;
	x->read_off = (off_t)b.len;
	x->lines = lines;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_free(&b);
	free(tmp);
	return rc;
}

int
mindex_compact(struct mindex *x)
{
	int rc;

	if (lock(x, F_WRLCK) < 0)
		return -1;
	rc = mindex_refresh(x) < 0 ? -1 : compact(x);
	(void)lock(x, F_UNLCK);
	return rc;
}

const char *
mindex_path(const struct mindex_msg *m, char *out, size_t size)
{
	snprintf(out, size, "cur/%s", m->name);
	return out;
}

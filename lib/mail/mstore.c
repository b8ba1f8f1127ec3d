/*
 * NAME
 *	mstore - deliver into Maildir-style folders
 * DESCRIPTION
 *	Messages are stored with CRLF line ends, exactly as they were
 *	queued, so that IMAP's RFC822.SIZE and POP3's octet counts are the
 *	stored size without conversion.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "mail/mexpire.h"
#include "mail/msgcrypt.h"
#include "mail/mstore.h"
#include "util/file.h"

#define COPY_CHUNK	65536

/* safe_part - one path component from a mail address */
static bool
safe_part(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || (unsigned char)s[i] < ' ')
			return false;
	return true;
}

int
mstore_mailbox_dir(const char *mailbox, char *out, size_t size)
{
	const char *at = strrchr(mailbox, '@');
	int n;

	if (at == NULL || !safe_part(mailbox, (size_t)(at - mailbox)) ||
	    !safe_part(at + 1, strlen(at + 1)))
		return -1;
	n = snprintf(out, size, "%s/%.*s", at + 1, (int)(at - mailbox),
	    mailbox);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* folder_dir - the directory of folder in mailbox dir */
static int
folder_dir(const char *mdir, const char *folder, char *out, size_t size)
{
	int n;

	if (folder[0] != '\0' && !safe_part(folder, strlen(folder)))
		return -1;
	n = folder[0] == '\0' ? snprintf(out, size, "%s", mdir) :
	    snprintf(out, size, "%s/.%s", mdir, folder);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

bool
mstore_folder_exists(const char *mailbox, const char *folder)
{
	char mdir[512], fdir[600];
	struct stat st;

	return mstore_mailbox_dir(mailbox, mdir, sizeof(mdir)) == 0 &&
	    folder_dir(mdir, folder, fdir, sizeof(fdir)) == 0 &&
	    stat(fdir, &st) == 0 && S_ISDIR(st.st_mode);
}

uint64_t
mstore_name_size(const char *name)
{
	const char *s = strstr(name, ",S=");

	return s != NULL ? strtoull(s + 3, NULL, 10) : 0;
}

/* dir_usage - sum of ",S=" sizes of the files in dir */
static uint64_t
dir_usage(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	uint64_t sum = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		sum += mstore_name_size(e->d_name);
	closedir(d);
	return sum;
}

uint64_t
mstore_usage_at(const char *root, const char *mailbox)
{
	char rel[512], mdir[1100], sub[1400];
	uint64_t sum = 0;
	struct dirent *e;
	DIR *d;

	if (mstore_mailbox_dir(mailbox, rel, sizeof(rel)) < 0)
		return 0;
	snprintf(mdir, sizeof(mdir), "%.500s/%s", root, rel);
	snprintf(sub, sizeof(sub), "%s/new", mdir);
	sum += dir_usage(sub);
	snprintf(sub, sizeof(sub), "%s/cur", mdir);
	sum += dir_usage(sub);
	if ((d = opendir(mdir)) == NULL)
		return sum;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.' || strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%.256s/new", mdir, e->d_name);
		sum += dir_usage(sub);
		snprintf(sub, sizeof(sub), "%s/%.256s/cur", mdir, e->d_name);
		sum += dir_usage(sub);
	}
	closedir(d);
	return sum;
}

uint64_t
mstore_usage(const char *mailbox)
{
	return mstore_usage_at(".", mailbox);
}

#define QUOTA_FILE	"postern-quota"

uint64_t
mstore_quota(const char *mailbox)
{
	char mdir[512], path[600], text[32];
	unsigned long long q = 0;
	ssize_t n;
	int fd;

	if (mstore_mailbox_dir(mailbox, mdir, sizeof(mdir)) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/" QUOTA_FILE, mdir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	if (sscanf(text, "%llu", &q) != 1)
		return 0;
	return q;
}

void
mstore_set_quota(const char *mailbox, uint64_t quota)
{
	char mdir[512], path[600], tmp[620], text[32];
	int fd, n;

	if (mstore_quota(mailbox) == quota ||
	    mstore_mailbox_dir(mailbox, mdir, sizeof(mdir)) < 0)
		return;
	snprintf(path, sizeof(path), "%s/" QUOTA_FILE, mdir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	n = snprintf(text, sizeof(text), "%llu\n", (unsigned long long)quota);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if ((write(fd, text, (size_t)n) != n) | (close(fd) < 0) ||
	    rename(tmp, path) < 0)
		(void)unlink(tmp);
}

/* make_folder - fdir and its tmp, new, cur */
static int
make_folder(const char *fdir)
{
	static const char *const subs[] = { "tmp", "new", "cur", NULL };
	char sub[1100];

	for (const char *const *s = subs; *s != NULL; s++) {
		snprintf(sub, sizeof(sub), "%s/%s", fdir, *s);
		if (file_mkdirs(sub, 0700) < 0)
			return -1;
	}
	return 0;
}

/* copy - len bytes of src at off through the encrypting writer */
static int
copy(struct msgcrypt_writer *w, int src, uint64_t off, uint64_t len)
{
	static char chunk[COPY_CHUNK];

	while (len > 0) {
		size_t want = len < sizeof(chunk) ? (size_t)len : sizeof(chunk);
		ssize_t got = pread(src, chunk, want, (off_t)off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got == 0)
				errno = EIO;	/* the queue file is short */
			return -1;
		}
		if (msgcrypt_write(w, chunk, (size_t)got) < 0)
			return -1;
		off += (uint64_t)got;
		len -= (uint64_t)got;
	}
	sodium_memzero(chunk, sizeof(chunk));
	return 0;
}

/* fail - fill *r */
static int
fail(struct mstore_result *r, bool temporary, const char *dsn,
    const char *what, int err)
{
	r->temporary = temporary;
	r->dsn = dsn;
	snprintf(r->text, sizeof(r->text), "%s%s%s", what,
	    err != 0 ? ": " : "", err != 0 ? strerror(err) : "");
	return -1;
}

void
mstore_new_name(uint64_t size, char *out, size_t len)
{
	static unsigned counter;
	static char host[64];
	struct timeval tv;

	gettimeofday(&tv, NULL);
	if (host[0] == '\0') {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "localhost");
		host[strcspn(host, "/:,")] = '\0';
	}
	snprintf(out, len, "%lld.M%06ldP%ldQ%u.%s,S=%llu",
	    (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
	    ++counter, host, (unsigned long long)size);
}

void
mstore_folder_name(const char *disk, char *out, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return;
	if (disk[0] == '\0')
		disk = "INBOX";
	/* The inverse of imapd's folder_dir: "/" is stored as ".", and
	 * "." and "%" as %XX. */
	for (const char *p = disk; *p != '\0' && o + 1 < size; p++) {
		unsigned v;

		if (*p == '.')
			out[o++] = '/';
		else if (*p == '%' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2]) &&
		    sscanf(p + 1, "%2X", &v) == 1) {
			out[o++] = (char)v;
			p += 2;
		} else
			out[o++] = *p;
	}
	out[o] = '\0';
}

int
mstore_folder_dir(const char *mailbox, const char *folder, char *out,
    size_t size)
{
	char mdir[512];

	return mstore_mailbox_dir(mailbox, mdir, sizeof(mdir)) < 0 ? -1 :
	    folder_dir(mdir, folder, out, size);
}

int
mstore_deliver(const char *mailbox, const char *folder,
    const uint8_t pk[32], const struct buf *prefix, int src, uint64_t off,
    uint64_t len, uint64_t quota, struct mstore_result *r)
{
	return mstore_deliver_until(mailbox, folder, pk, prefix, src, off, len,
	    quota, 0, r);
}

int
mstore_deliver_until(const char *mailbox, const char *folder,
    const uint8_t pk[32], const struct buf *prefix, int src, uint64_t off,
    uint64_t len, uint64_t quota, int64_t expires, struct mstore_result *r)
{
	struct msgcrypt_writer w = { 0 };
	char mdir[512], fdir[600], name[256], tmp[1024], dst[1024];
	uint64_t size = prefix->len + len;
	int fd, e;

	if (mstore_mailbox_dir(mailbox, mdir, sizeof(mdir)) < 0 ||
	    folder_dir(mdir, folder, fdir, sizeof(fdir)) < 0)
		return fail(r, false, "5.1.3", "mailbox name not usable as a "
		    "path", 0);
	if (quota > 0 && mstore_usage(mailbox) + size > quota)
		return fail(r, false, "5.2.2", "mailbox full (over quota)",
		    0);
	mstore_new_name(size, name, sizeof(name));
	if (expires > 0)
		snprintf(name + strlen(name), sizeof(name) - strlen(name),
		    ",E=%lld", (long long)expires);
	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", fdir, name);
	snprintf(dst, sizeof(dst), "%s/new/%s", fdir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	/* The mailbox is made on its first delivery. */
	if (fd < 0 && errno == ENOENT) {
		if (make_folder(fdir) < 0)
			return fail(r, true, "4.3.0", "cannot create mailbox",
			    errno);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return fail(r, true, "4.3.0", "cannot create message file",
		    errno);
	if (msgcrypt_write_begin(&w, fd, pk) < 0 ||
	    msgcrypt_write(&w, prefix->data, prefix->len) < 0 ||
	    copy(&w, src, off, len) < 0 || msgcrypt_write_end(&w) < 0 ||
	    fsync(fd) < 0)
		goto failed;
	msgcrypt_write_free(&w);
	if (close(fd) < 0) {
		fd = -1;
		goto failed;
	}
	fd = -1;
	/* The expiry is on record before the message can be seen. */
	if (expires > 0 && mexpire_due_add(expires, mailbox, folder, name) <
	    0) {
		e = errno;
		(void)unlink(tmp);
		return fail(r, true, "4.3.0", "cannot record the expiry", e);
	}
	if (rename(tmp, dst) < 0 && (errno != ENOENT ||
	    make_folder(fdir) < 0 || rename(tmp, dst) < 0))
		goto failed;
	snprintf(tmp, sizeof(tmp), "%s/new", fdir);
	if (file_fsync_dir(AT_FDCWD, tmp) < 0) {
		e = errno;
		(void)unlink(dst);
		return fail(r, true, "4.3.0", "cannot sync mailbox", e);
	}
	snprintf(r->text, sizeof(r->text), "%.200s", dst);
	r->dsn = "2.0.0";
	r->temporary = false;
	return 0;
failed:
	e = errno;
	msgcrypt_write_free(&w);
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);
	return fail(r, true, e == ENOSPC || e == EDQUOT ? "4.3.1" : "4.3.0",
	    "cannot write message", e);
}

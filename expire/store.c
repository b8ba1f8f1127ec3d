/*
 * NAME
 *	store - the whole-store pass: folder retention, missed expiries
 * DESCRIPTION
 *	Walks every DOMAIN/USER mailbox and each of its folders, reading
 *	only file names (",E=" expiry) and, in folders with a retention
 *	time, file times (the arrival time, or the date an APPEND gave:
 *	what IMAP reports as INTERNALDATE).  Nothing is decrypted.  It
 *	also deletes expiring messages whose due entry was lost (a power
 *	failure after delivery) or that a due entry cannot name.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "expire/expire.h"
#include "mail/mexpire.h"
#include "mail/mstore.h"
#include "util/log.h"
#include "util/mem.h"

struct pass {
	int64_t now;
	struct expire_stats st;
	unsigned mailboxes;
};

/* subdirs - the entries of dir that are directories, not "." or ".." */
static int
subdirs(const char *dir, struct dirent ***names)
{
	return scandir(dir, names, NULL, alphasort);
}

/* scan_sub - add the due messages of fdir/sub to *items */
static void
scan_sub(const char *fdir, const char *sub, uint64_t keep, int64_t now,
    struct expire_item **items, size_t *n, size_t *cap)
{
	char dir[1200], path[1500];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", fdir, sub);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		int64_t when = 0, ex;
		const char *reason = NULL;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if ((ex = mexpire_name_time(e->d_name)) > 0 && ex <= now) {
			when = ex;
			reason = "expires";
		} else if (keep > 0) {
			snprintf(path, sizeof(path), "%s/%.256s", dir,
			    e->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
			    (int64_t)st.st_mtime + (int64_t)keep <= now) {
				when = (int64_t)st.st_mtime + (int64_t)keep;
				reason = "retention";
			}
		}
		if (reason == NULL)
			continue;
		if (*n == *cap) {
			*cap = *cap ? 2 * *cap : 16;
			*items = xrealloc(*items, *cap * sizeof(**items));
		}
		/* The index knows messages by name without ":2,". */
		(*items)[*n] = (struct expire_item){ xstrdup(e->d_name), when,
		    reason };
		(*items)[*n].name[strcspn((*items)[*n].name, ":")] = '\0';
		(*n)++;
	}
	closedir(d);
}

/* one_folder - folder ("" inbox) of mailbox, whose directory is fdir */
static void
one_folder(struct pass *p, const char *mailbox, const char *folder,
    const char *fdir)
{
	struct expire_item *items = NULL;
	size_t n = 0, cap = 0;
	char name[300];
	uint64_t keep;

	mstore_folder_name(folder, name, sizeof(name));
	keep = retention_for(&expire_retention, name);

	scan_sub(fdir, "new", keep, p->now, &items, &n, &cap);
	scan_sub(fdir, "cur", keep, p->now, &items, &n, &cap);
	if (n > 0)
		(void)expire_folder(mailbox, folder, items, n, &p->st);
	for (size_t i = 0; i < n; i++)
		free(items[i].name);
	free(items);
}

/* one_mailbox - the inbox and every folder of domain/user */
static void
one_mailbox(struct pass *p, const char *domain, const char *user)
{
	char mdir[600], fdir[1100], mailbox[600];
	struct dirent **names;
	struct stat st;
	int n;

	snprintf(mdir, sizeof(mdir), "%.250s/%.250s", domain, user);
	snprintf(mailbox, sizeof(mailbox), "%.250s@%.250s", user, domain);
	p->mailboxes++;
	one_folder(p, mailbox, "", mdir);
	if ((n = subdirs(mdir, &names)) < 0)
		return;
	for (int i = 0; i < n; i++) {
		const char *f = names[i]->d_name;

		/* Maildir++ folders are ".NAME" directories. */
		if (f[0] == '.' && f[1] != '\0' && strcmp(f, "..") != 0) {
			snprintf(fdir, sizeof(fdir), "%s/%.256s", mdir, f);
			if (stat(fdir, &st) == 0 && S_ISDIR(st.st_mode))
				one_folder(p, mailbox, f + 1, fdir);
		}
		free(names[i]);
	}
	free(names);
}

void
expire_store_pass(int64_t now)
{
	struct pass p = { .now = now };
	struct dirent **domains, **users;
	char path[600];
	struct stat st;
	int nd, nu;

	if ((nd = subdirs(".", &domains)) < 0) {
		msg_warn("cannot read the mail store: %m");
		return;
	}
	for (int i = 0; i < nd; i++) {
		const char *dom = domains[i]->d_name;

		/* Dot names are ours (MEXPIRE_DIR), never a domain. */
		if (dom[0] != '.' && stat(dom, &st) == 0 &&
		    S_ISDIR(st.st_mode) && (nu = subdirs(dom, &users)) >= 0) {
			for (int j = 0; j < nu; j++) {
				const char *u = users[j]->d_name;

				snprintf(path, sizeof(path), "%.250s/%.250s",
				    dom, u);
				if (u[0] != '.' && stat(path, &st) == 0 &&
				    S_ISDIR(st.st_mode))
					one_mailbox(&p, dom, u);
				free(users[j]);
			}
			free(users);
		}
		free(domains[i]);
	}
	free(domains);
	if (p.st.expired + p.st.retained + p.st.failed > 0)
		msg_info("store pass: mailboxes=%u, expired=%u, retention=%u, "
		    "gone=%u, failed=%u", p.mailboxes, p.st.expired,
		    p.st.retained, p.st.gone, p.st.failed);
}

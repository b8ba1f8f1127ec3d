/*
 * NAME
 *	mailbox - commands on folders: SELECT, EXAMINE, CREATE, DELETE,
 *	RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST (with LIST-EXTENDED,
 *	LIST-STATUS, SPECIAL-USE), LSUB, STATUS, NAMESPACE, GETQUOTA,
 *	GETQUOTAROOT (RFC 3501 6.3, RFC 9051 6.3, 5258, 5819, 6154, 9208)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imapd/imapd.h"
#include "mail/imap_fetch.h"
#include "mail/imap_utf7.h"
#include "util/log.h"
#include "util/mem.h"

#define SUBS_FILE	"postern-subscriptions"
#define NAME_MAX_LEN	400

/*
 * name_in - n bytes of a client's name (or pattern) as UTF-8, in out:
 * decoded from modified UTF-7 unless IMAP4rev2 is on (RFC 9051 5.1:
 * then it is UTF-8 already, and must be well-formed).  NULL if it is
 * malformed or too long.
 */
static const char *
name_in(const struct session *ss, const char *data, size_t n, char *out,
    size_t size)
{
	struct buf b = BUF_INIT;
	const char *rc = NULL;

	if (memchr(data, '\0', n) != NULL)
		return NULL;
	if (ss->rev2 ? imap_utf8_valid(data, n) && buf_append(&b, data, n) ==
	    0 : imap_utf7_decode(data, n, &b) == 0) {
		if (b.len < size) {
			memcpy(out, b.data != NULL ? (char *)b.data : "", b.len);
			out[b.len] = '\0';
			rc = out;
		}
	}
	buf_free(&b);
	return rc;
}

const char *
name_coding(const struct session *ss)
{
	return ss->rev2 ? " (in UTF-8)" : " (in modified UTF-7)";
}

const char *
mailbox_name(const struct session *ss, const struct imap_arg *a, char *out,
    size_t size)
{
	if (a == NULL || (a->type != IMAP_ATOM && a->type != IMAP_QUOTED &&
	    a->type != IMAP_LITERAL) ||
	    name_in(ss, a->data, a->len, out, size) == NULL)
		return NULL;
	if (folder_is_inbox(out))
		strcpy(out, "INBOX");
	return out;
}

/* quoted_name - a folder name as the client reads names (modified UTF-7
 * before IMAP4rev2), as an atom when it can be one (as most servers send
 * them), else as an IMAP string */
static void
quoted_name(const struct session *ss, struct buf *b, const char *name)
{
	struct buf enc = BUF_INIT;
	const char *p;

	if (!ss->rev2 && imap_utf7_encode(name, &enc) == 0)
		name = buf_cstr(&enc);
	for (p = name; *p != '\0' && (unsigned char)*p > ' ' && *p < 0x7f &&
	    strchr("(){%*\"\\]", *p) == NULL; p++)
		;
	if (*p == '\0' && p != name)
		buf_puts(b, name);
	else if (imap_string(b, name, strlen(name)) < 0)
		buf_puts(b, "\"\"");
	buf_free(&enc);
}

/* ---- SELECT and EXAMINE. ---- */

/* flag_list - the FLAGS of a folder: system flags and its keywords */
static void
flag_list(struct buf *b, const struct mindex *x, bool permanent)
{
	buf_puts(b, "(\\Answered \\Flagged \\Deleted \\Seen "
	    "\\Draft");
	for (size_t k = 0; k < x->n_keywords; k++)
		buf_printf(b, " %s", x->keywords[k]);
	if (permanent && x->n_keywords < MINDEX_KEYWORDS_MAX)
		buf_puts(b, " \\*");
	buf_putc(b, ')');
}

/* qresync_param - "(QRESYNC (uidvalidity modseq [known-uids]))" */
static int
qresync_param(const struct imap_arg *a, uint32_t *validity,
    uint64_t *modseq, struct imap_seqset *known)
{
	const struct imap_arg *p;
	unsigned long long v, m;
	char num[32];

	if (a->type != IMAP_LIST || a->count != 2 ||
	    !imap_arg_is_atom(a->list, "QRESYNC") ||
	    (p = a->list->next)->type != IMAP_LIST || p->count < 2 ||
	    p->list->len >= sizeof(num))
		return -1;
	snprintf(num, sizeof(num), "%.*s", (int)p->list->len, p->list->data);
	if (sscanf(num, "%llu", &v) != 1 || p->list->next->len >= sizeof(num))
		return -1;
	snprintf(num, sizeof(num), "%.*s", (int)p->list->next->len,
	    p->list->next->data);
	if (sscanf(num, "%llu", &m) != 1)
		return -1;
	*validity = (uint32_t)v;
	*modseq = m;
	if (p->count >= 3 && imap_seqset_parse(p->list->next->next->data,
	    p->list->next->next->len, known) < 0)
		return -1;
	return 0;
}

void
cmd_select(struct session *ss, struct imap_command *c, bool uid)
{
	bool examine = strcmp(c->name, "EXAMINE") == 0, qresync = false;
	char name[NAME_MAX_LEN + 1], dir[1100];
	struct imap_seqset known = { 0 };
	struct buf b = BUF_INIT;
	uint32_t validity = 0, unseen = 0;
	uint64_t since = 0;
	struct folder *f;
	struct mindex *x;
	const char *why;

	(void)uid;
	if (c->n_args < 1 || c->n_args > 2 ||
	    mailbox_name(ss, c->args, name, sizeof(name)) == NULL) {
		tagged(ss, c->tag, "BAD", "%s needs a folder name%s", c->name,
		    name_coding(ss));
		return;
	}
	if (c->n_args == 2) {
		const struct imap_arg *o = c->args->next;

		if (o->type == IMAP_LIST && o->count == 1 &&
		    imap_arg_is_atom(o->list, "CONDSTORE")) {
			ss->condstore = true;
		} else if (ss->qresync && qresync_param(o, &validity, &since,
		    &known) == 0) {
			qresync = true;
		} else {
			tagged(ss, c->tag, "BAD", "Unknown %s parameters%s",
			    c->name, ss->qresync ? "" : " (QRESYNC needs "
			    "ENABLE QRESYNC first)");
			return;
		}
	}
	if (ss->sel != NULL) {
		view_close(ss);
		if (ss->qresync || ss->rev2)
			untagged(ss, "OK [CLOSED] Previous folder closed");
	}
	if (folder_dir(ss, name, dir, sizeof(dir)) < 0 ||
	    (f = folder_get(dir, &why)) == NULL) {
		imap_seqset_free(&known);
		tagged(ss, c->tag, "NO", "[NONEXISTENT] No such folder");
		return;
	}
	(void)folder_sync(f);
	ss->sel = view_open(ss, f, name, examine);
	ss->state = ST_SELECTED;
	x = &f->x;
	flag_list(&b, x, false);
	untagged(ss, "FLAGS %s", buf_cstr(&b));
	buf_reset(&b);
	flag_list(&b, x, !examine);
	untagged(ss, "OK [PERMANENTFLAGS %s] Flags permitted",
	    examine ? "()" : buf_cstr(&b));
	untagged(ss, "%zu EXISTS", ss->sel->n);
	if (!ss->rev2) {
		untagged(ss, "0 RECENT");
		for (size_t i = 0; i < x->n; i++)
			if (!(x->msgs[i].flags & MF_SEEN)) {
				unseen = (uint32_t)i + 1;
				break;
			}
		if (unseen > 0)
			untagged(ss, "OK [UNSEEN %u] First unseen", unseen);
	}
	untagged(ss, "OK [UIDVALIDITY %u] UIDs valid", x->uidvalidity);
	untagged(ss, "OK [UIDNEXT %u] Predicted next UID", x->uidnext);
	untagged(ss, "OK [HIGHESTMODSEQ %llu] Highest",
	    (unsigned long long)(x->highestmodseq ? x->highestmodseq : 1));
	if (ss->rev2) {
		buf_reset(&b);
		quoted_name(ss, &b, name);
		untagged(ss, "LIST () \"/\" %s", buf_cstr(&b));
	}
	if (qresync && validity == x->uidvalidity) {
		uint32_t *gone = NULL;
		size_t n_gone = 0;

		/* What changed since the client's last look (RFC 7162
		 * 3.2.5): expunged UIDs, then changed flags. */
		if (mindex_expunged_since(x, since, &gone, &n_gone) == 0 &&
		    n_gone > 0) {
			buf_reset(&b);
			for (size_t i = 0; i < n_gone; i++)
				if (known.n == 0 ||
				    imap_seqset_has(&known, gone[i], UINT32_MAX))
					buf_printf(&b, "%s%u",
					    b.len ? "," : "", gone[i]);
			if (b.len > 0)
				untagged(ss, "VANISHED (EARLIER) %s",
				    buf_cstr(&b));
		}
		free(gone);
		for (size_t i = 0; i < ss->sel->n; i++) {
			struct mindex_msg *m = mindex_find(x, ss->sel->uids[i]);

			if (m == NULL || m->modseq <= since)
				continue;
			buf_reset(&b);
			view_flags(ss, (uint32_t)i + 1, m->flags, &b);
			untagged(ss, "%zu FETCH (UID %u FLAGS %s MODSEQ (%llu))",
			    i + 1, m->uid, buf_cstr(&b),
			    (unsigned long long)m->modseq);
		}
	}
	imap_seqset_free(&known);
	buf_free(&b);
	tagged(ss, c->tag, "OK", "[%s] %s completed", examine ? "READ-ONLY" :
	    "READ-WRITE", c->name);
}

/* ---- CREATE, DELETE, RENAME. ---- */

/* name_ok - a name a client may create (no wildcards, no empty parts) */
static bool
name_ok(const struct session *ss, const char *name)
{
	char dir[1100];

	return strpbrk(name, "*%") == NULL &&
	    folder_dir(ss, name, dir, sizeof(dir)) == 0;
}

void
cmd_create(struct session *ss, struct imap_command *c, bool uid)
{
	char name[NAME_MAX_LEN + 1], dir[1100];
	size_t len;

	(void)uid;
	if (c->n_args < 1 || mailbox_name(ss, c->args, name, sizeof(name)) ==
	    NULL) {
		tagged(ss, c->tag, "BAD", "CREATE needs a folder name%s",
		    name_coding(ss));
		return;
	}
	/* A trailing delimiter only says children will follow. */
	len = strlen(name);
	if (len > 1 && name[len - 1] == '/')
		name[len - 1] = '\0';
	if (folder_is_inbox(name)) {
		tagged(ss, c->tag, "NO", "[ALREADYEXISTS] INBOX always exists");
		return;
	}
	if (!name_ok(ss, name)) {
		tagged(ss, c->tag, "NO", "[CANNOT] Not a valid folder name");
		return;
	}
	(void)folder_dir(ss, name, dir, sizeof(dir));
	if (access(dir, F_OK) == 0) {
		tagged(ss, c->tag, "NO", "[ALREADYEXISTS] Folder exists");
		return;
	}
	/* The superior folders too (RFC 3501 6.3.3). */
	for (char *p = strchr(name, '/'); p != NULL; p = strchr(p + 1, '/')) {
		char parent[1100];

		*p = '\0';
		if (folder_dir(ss, name, parent, sizeof(parent)) == 0 &&
		    access(parent, F_OK) < 0)
			(void)folder_make(parent);
		*p = '/';
	}
	if (folder_make(dir) < 0) {
		msg_warn("%s: cannot create %s: %m", ss->acc.user, dir);
		tagged(ss, c->tag, "NO", "[SERVERBUG] Cannot create the folder");
		return;
	}
	tagged(ss, c->tag, "OK", "CREATE completed");
}

/* remove_tree - a folder directory and everything in it: tmp, new, cur
 * and the files beside them (index, cache chunks) */
static int
remove_tree(const char *dir)
{
	static const char *const subs[] = { "tmp", "new", "cur" };
	char path[1400];
	struct dirent *e;
	DIR *d;

	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, subs[i]);
		if ((d = opendir(path)) == NULL)
			continue;
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s/%s", dir,
				    subs[i], e->d_name);
				(void)unlink(path);
			}
		closedir(d);
		snprintf(path, sizeof(path), "%s/%s", dir, subs[i]);
		(void)rmdir(path);
	}
	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 &&
			    strcmp(e->d_name, "..") != 0) {
				snprintf(path, sizeof(path), "%s/%s", dir,
				    e->d_name);
				(void)unlink(path);
			}
		closedir(d);
	}
	return rmdir(dir);
}

void
cmd_delete(struct session *ss, struct imap_command *c, bool uid)
{
	char name[NAME_MAX_LEN + 1], dir[1100];

	(void)uid;
	if (c->n_args != 1 || mailbox_name(ss, c->args, name, sizeof(name)) ==
	    NULL) {
		tagged(ss, c->tag, "BAD", "DELETE needs a folder name%s",
		    name_coding(ss));
		return;
	}
	if (folder_is_inbox(name)) {
		tagged(ss, c->tag, "NO", "[CANNOT] INBOX cannot be deleted");
		return;
	}
	if (folder_dir(ss, name, dir, sizeof(dir)) < 0 ||
	    access(dir, F_OK) < 0) {
		tagged(ss, c->tag, "NO", "[NONEXISTENT] No such folder");
		return;
	}
	if (ss->sel != NULL && strcmp(ss->sel->f->path, dir) == 0)
		view_close(ss);
	if (remove_tree(dir) < 0) {
		msg_warn("%s: cannot delete %s: %m", ss->acc.user, dir);
		tagged(ss, c->tag, "NO", "[SERVERBUG] Cannot delete the folder");
		return;
	}
	tagged(ss, c->tag, "OK", "DELETE completed");
}

/* rename_inbox - RFC 3501 6.3.5: INBOX's messages move to the new folder
 * and INBOX stays, empty */
static int
rename_inbox(struct session *ss, const char *to)
{
	struct folder *src, *dst;
	const char *why;
	int rc = 0;

	if (folder_make(to) < 0 ||
	    (src = folder_get(ss->mdir, &why)) == NULL)
		return -1;
	if ((dst = folder_get(to, &why)) == NULL) {
		folder_put(src);
		return -1;
	}
	(void)folder_sync(src);
	while (src->x.n > 0 && rc == 0) {
		struct mindex_msg *m = &src->x.msgs[0];
		char from[1400], into[1400];
		uint32_t new_uid;

		snprintf(from, sizeof(from), "%s/cur/%s", src->path, m->name);
		snprintf(into, sizeof(into), "%s/new/%s", to, m->name);
		if (rename(from, into) < 0 ||
		    mindex_add(&dst->x, m->name, m->flags, &new_uid) < 0 ||
		    mindex_expunge(&src->x, m->uid) < 0)
			rc = -1;
	}
	folder_changed(src);
	folder_put(src);
	folder_put(dst);
	return rc;
}

void
cmd_rename(struct session *ss, struct imap_command *c, bool uid)
{
	char from[NAME_MAX_LEN + 1], to[NAME_MAX_LEN + 1];
	char fdir[1100], tdir[1100];
	char **names;
	size_t n, flen;

	(void)uid;
	if (c->n_args != 2 || mailbox_name(ss, c->args, from, sizeof(from)) ==
	    NULL || mailbox_name(ss, c->args->next, to, sizeof(to)) == NULL) {
		tagged(ss, c->tag, "BAD", "RENAME needs two folder names%s",
		    name_coding(ss));
		return;
	}
	if (folder_dir(ss, from, fdir, sizeof(fdir)) < 0 ||
	    access(fdir, F_OK) < 0) {
		tagged(ss, c->tag, "NO", "[NONEXISTENT] No such folder");
		return;
	}
	if (folder_is_inbox(to) || !name_ok(ss, to)) {
		tagged(ss, c->tag, "NO", "[CANNOT] Not a valid new name");
		return;
	}
	(void)folder_dir(ss, to, tdir, sizeof(tdir));
	if (access(tdir, F_OK) == 0) {
		tagged(ss, c->tag, "NO", "[ALREADYEXISTS] Folder exists");
		return;
	}
	if (folder_is_inbox(from)) {
		if (rename_inbox(ss, tdir) < 0)
			tagged(ss, c->tag, "NO", "[SERVERBUG] Cannot move "
			    "INBOX's messages");
		else
			tagged(ss, c->tag, "OK", "RENAME completed");
		return;
	}
	if (ss->sel != NULL && strcmp(ss->sel->f->path, fdir) == 0)
		view_close(ss);
	/* Children move with their parent (RFC 3501 6.3.5). */
	n = folder_list(ss, &names);
	flen = strlen(from);
	for (size_t i = 0; i < n; i++) {
		char child[NAME_MAX_LEN * 2 + 2], cdir[1100], ndir[1100];

		if (strncmp(names[i], from, flen) == 0 &&
		    names[i][flen] == '/') {
			snprintf(child, sizeof(child), "%s%s", to,
			    names[i] + flen);
			if (folder_dir(ss, names[i], cdir, sizeof(cdir)) == 0 &&
			    folder_dir(ss, child, ndir, sizeof(ndir)) == 0)
				(void)rename(cdir, ndir);
		}
		free(names[i]);
	}
	free(names);
	if (rename(fdir, tdir) < 0) {
		tagged(ss, c->tag, "NO", "[SERVERBUG] Cannot rename: %s",
		    strerror(errno));
		return;
	}
	tagged(ss, c->tag, "OK", "RENAME completed");
}

/* ---- Subscriptions. ---- */

/* subs_load - the subscribed names, one per line */
static size_t
subs_load(const struct session *ss, char ***out)
{
	char path[600], line[NAME_MAX_LEN + 2];
	size_t n = 0, cap = 0;
	FILE *fp;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/" SUBS_FILE, ss->mdir);
	if ((fp = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = xrealloc(*out, cap * sizeof(char *));
		}
		(*out)[n++] = xstrdup(line);
	}
	fclose(fp);
	return n;
}

static void
subs_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static bool
subscribed(char **subs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(subs[i], name) == 0)
			return true;
	return false;
}

void
cmd_subscribe(struct session *ss, struct imap_command *c, bool uid)
{
	bool on = strcmp(c->name, "SUBSCRIBE") == 0;
	char name[NAME_MAX_LEN + 1], path[600], tmp[620];
	char **subs;
	size_t n;
	FILE *fp;

	(void)uid;
	if (c->n_args != 1 || mailbox_name(ss, c->args, name, sizeof(name)) ==
	    NULL || strchr(name, '\n') != NULL) {
		tagged(ss, c->tag, "BAD", "%s needs a folder name%s", c->name,
		    name_coding(ss));
		return;
	}
	n = subs_load(ss, &subs);
	if (subscribed(subs, n, name) == on) {
		subs_free(subs, n);
		tagged(ss, c->tag, "OK", "%s completed", c->name);
		return;
	}
	snprintf(path, sizeof(path), "%s/" SUBS_FILE, ss->mdir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "we")) == NULL) {
		subs_free(subs, n);
		tagged(ss, c->tag, "NO", "[SERVERBUG] Cannot save "
		    "subscriptions");
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(subs[i], name) != 0)
			fprintf(fp, "%s\n", subs[i]);
	if (on)
		fprintf(fp, "%s\n", name);
	subs_free(subs, n);
	if ((fclose(fp) != 0) | (rename(tmp, path) < 0)) {
		(void)unlink(tmp);
		tagged(ss, c->tag, "NO", "[SERVERBUG] Cannot save "
		    "subscriptions");
		return;
	}
	tagged(ss, c->tag, "OK", "%s completed", c->name);
}

/* ---- LIST and LSUB. ---- */

/* match - RFC 3501 6.3.8 wildcards: * anything, % anything but "/" */
static bool
match(const char *pat, const char *name)
{
	for (; *pat != '\0'; pat++, name++) {
		if (*pat == '*' || *pat == '%') {
			for (const char *n = name;; n++) {
				if (match(pat + 1, n))
					return true;
				if (*n == '\0' || (*pat == '%' && *n == '/'))
					return false;
			}
		}
		if (*name == '\0' || *pat != *name)
			return false;
	}
	return *name == '\0';
}

/* match_any - name against every pattern (INBOX without case) */
static bool
match_any(char **pats, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		char p[NAME_MAX_LEN * 2 + 2];

		snprintf(p, sizeof(p), "%s", pats[i]);
		if (strncasecmp(p, "INBOX", 5) == 0 && (p[5] == '\0' ||
		    p[5] == '/'))
			memcpy(p, "INBOX", 5);
		if (match(p, name))
			return true;
	}
	return false;
}

struct list_opts {
	bool lsub, subscribed_only, special_only, recursive;
	bool ret_subscribed, ret_children, ret_special;
	const struct imap_arg *status;	/* RETURN (STATUS (...)) items */
};

static void status_items(struct session *ss, const char *name,
    const struct imap_arg *items, struct buf *out);

/* A name LIST may show: a folder, a parent implied by a folder's name, or
 * a subscription (which may outlive its folder). */
struct list_cand {
	char *name;
	bool exists, children, sub, sub_child;
};

static int
by_cand(const void *a, const void *b)
{
	return strcmp(((const struct list_cand *)a)->name,
	    ((const struct list_cand *)b)->name);
}

/* by_cand_inbox - INBOX first (clients show it on top), then byte order */
static int
by_cand_inbox(const void *a, const void *b)
{
	bool x = folder_is_inbox(((const struct list_cand *)a)->name);
	bool y = folder_is_inbox(((const struct list_cand *)b)->name);

	return x != y ? (x ? -1 : 1) : by_cand(a, b);
}

/* under - is name a descendant of parent? */
static bool
under(const char *name, const char *parent)
{
	size_t len = strlen(parent);

	return strncmp(name, parent, len) == 0 && name[len] == '/';
}

/* list_candidates - every name with its facts, sorted and unique */
static size_t
list_candidates(struct session *ss, struct list_cand **out)
{
	char **names, **subs;
	size_t n_names = folder_list(ss, &names);
	size_t n_subs = subs_load(ss, &subs), n = 0, cap = 16, m;
	struct list_cand *k = xmalloc(cap * sizeof(*k));

#define ADD(s, ex, sb) do { \
	if (n == cap) \
		k = xrealloc(k, (cap *= 2) * sizeof(*k)); \
	k[n++] = (struct list_cand){ .name = xstrdup(s), .exists = (ex), \
	    .sub = (sb) }; } while (0)
	for (size_t i = 0; i < n_names; i++) {
		ADD(names[i], true, false);
		for (char *p = strchr(names[i], '/'); p != NULL;
		    p = strchr(p + 1, '/')) {
			*p = '\0';
			ADD(names[i], false, false);
			*p = '/';
		}
	}
	for (size_t i = 0; i < n_subs; i++)
		ADD(subs[i], false, true);
#undef ADD
	qsort(k, n, sizeof(*k), by_cand);
	/* Merge duplicates: a name exists or is subscribed if any copy is. */
	m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m > 0 && strcmp(k[m - 1].name, k[i].name) == 0) {
			k[m - 1].exists |= k[i].exists;
			k[m - 1].sub |= k[i].sub;
			free(k[i].name);
		} else
			k[m++] = k[i];
	}
	for (size_t i = 0; i < m; i++)
		for (size_t j = i + 1; j < m && under(k[j].name, k[i].name);
		    j++) {
			k[i].children |= k[j].exists;
			k[i].sub_child |= k[j].sub;
		}
	qsort(k, m, sizeof(*k), by_cand_inbox);
	subs_free(names, n_names);
	subs_free(subs, n_subs);
	*out = k;
	return m;
}

/* wildcard_pct - does any pattern use "%"? */
static bool
wildcard_pct(char **pats, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strchr(pats[i], '%') != NULL)
			return true;
	return false;
}

/* list_one - one LIST/LSUB line (and its STATUS with LIST-STATUS) */
static void
list_one(struct session *ss, const struct list_opts *o,
    const struct list_cand *k, bool childinfo)
{
	const char *use = folder_special(k->name);
	struct buf b = BUF_INIT;
	bool first = true;

#define ATTR(s) do { buf_printf(&b, "%s%s", first ? "" : " ", s); \
	first = false; } while (0)
	buf_printf(&b, "%s (", o->lsub ? "LSUB" : "LIST");
	if (!k->exists)
		ATTR(!k->children && !o->lsub ? "\\NonExistent" :
		    "\\Noselect");
	if (!o->lsub) {
		if (k->exists || k->children)
			ATTR(k->children ? "\\HasChildren" :
			    "\\HasNoChildren");
		if ((o->ret_subscribed || o->subscribed_only) && k->sub)
			ATTR("\\Subscribed");
		if (use != NULL && k->exists)
			ATTR(use);
	}
#undef ATTR
	buf_puts(&b, ") \"/\" ");
	quoted_name(ss, &b, k->name);
	if (childinfo)
		buf_puts(&b, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	untagged(ss, "%s", buf_cstr(&b));
	if (o->status != NULL && k->exists) {
		buf_reset(&b);
		status_items(ss, k->name, o->status, &b);
		if (b.len > 0)
			untagged(ss, "%s", buf_cstr(&b));
	}
	buf_free(&b);
}

/* list_options - LIST-EXTENDED selection and return options */
static int
list_options(const struct imap_arg *sel, const struct imap_arg *ret,
    struct list_opts *o)
{
	for (const struct imap_arg *a = sel ? sel->list : NULL; a != NULL;
	    a = a->next) {
		if (imap_arg_is_atom(a, "SUBSCRIBED"))
			o->subscribed_only = o->ret_subscribed = true;
		else if (imap_arg_is_atom(a, "SPECIAL-USE"))
			o->special_only = true;
		else if (imap_arg_is_atom(a, "RECURSIVEMATCH"))
			o->recursive = true;
		else if (!imap_arg_is_atom(a, "REMOTE"))
			return -1;
	}
	if (o->recursive && !o->subscribed_only)
		return -1;	/* RFC 5258 3: RECURSIVEMATCH alone is BAD */
	for (const struct imap_arg *a = ret ? ret->list : NULL; a != NULL;
	    a = a->next) {
		if (imap_arg_is_atom(a, "SUBSCRIBED"))
			o->ret_subscribed = true;
		else if (imap_arg_is_atom(a, "CHILDREN"))
			o->ret_children = true;
		else if (imap_arg_is_atom(a, "SPECIAL-USE"))
			o->ret_special = true;
		else if (imap_arg_is_atom(a, "STATUS") && a->next != NULL &&
		    a->next->type == IMAP_LIST) {
			o->status = a->next;
			a = a->next;
		} else
			return -1;
	}
	return 0;
}

void
cmd_list(struct session *ss, struct imap_command *c, bool uid)
{
	struct list_opts o = { .lsub = strcmp(c->name, "LSUB") == 0 };
	const struct imap_arg *a = c->args, *sel = NULL, *ret = NULL, *pat;
	char ref[NAME_MAX_LEN + 1], *pats[20];
	struct list_cand *cands;
	size_t n_pats = 0, n;

	(void)uid;
	if (a != NULL && a->type == IMAP_LIST && !o.lsub) {
		sel = a;
		a = a->next;
	}
	if (a == NULL || mailbox_name(ss, a, ref, sizeof(ref)) == NULL ||
	    (pat = a->next) == NULL) {
		tagged(ss, c->tag, "BAD", "%s needs a reference and a pattern",
		    c->name);
		return;
	}
	if (pat->next != NULL) {
		if (o.lsub || !imap_arg_is_atom(pat->next, "RETURN") ||
		    pat->next->next == NULL ||
		    pat->next->next->type != IMAP_LIST ||
		    pat->next->next->next != NULL) {
			tagged(ss, c->tag, "BAD", "Bad %s arguments", c->name);
			return;
		}
		ret = pat->next->next;
	}
	if (list_options(sel, ret, &o) < 0) {
		tagged(ss, c->tag, "BAD", "Unknown LIST option");
		return;
	}
	for (const struct imap_arg *p = pat->type == IMAP_LIST ? pat->list :
	    pat; p != NULL && n_pats < 20; p = pat->type == IMAP_LIST ?
	    p->next : NULL) {
		char one[NAME_MAX_LEN + 1];

		if (p->type == IMAP_LIST || p->len >= sizeof(one) ||
		    p->type == IMAP_NIL) {
			while (n_pats > 0)
				free(pats[--n_pats]);
			tagged(ss, c->tag, "BAD", "Bad %s pattern", c->name);
			return;
		}
		if (name_in(ss, p->data, p->len, one, sizeof(one)) == NULL) {
			while (n_pats > 0)
				free(pats[--n_pats]);
			tagged(ss, c->tag, "BAD", "Bad %s pattern (not %s)",
			    c->name, ss->rev2 ? "UTF-8" : "modified UTF-7");
			return;
		}
		pats[n_pats++] = xasprintf("%s%s", ref, one);
	}
	if (n_pats == 1 && pats[0][0] == '\0') {
		/* LIST "" "": the delimiter and the root (RFC 3501 6.3.8). */
		free(pats[0]);
		untagged(ss, "%s (\\Noselect) \"/\" \"\"", o.lsub ? "LSUB" :
		    "LIST");
		tagged(ss, c->tag, "OK", "%s completed", c->name);
		return;
	}
	n = list_candidates(ss, &cands);
	for (size_t i = 0; i < n; i++) {
		const struct list_cand *k = &cands[i];
		bool childinfo = false;

		if (!match_any(pats, n_pats, k->name))
			continue;
		if (o.lsub || o.subscribed_only) {
			/* RFC 5258 4 (RECURSIVEMATCH), RFC 3501 6.3.9 (LSUB
			 * with "%" shows an unsubscribed parent). */
			childinfo = o.recursive && k->sub_child;
			if (!k->sub && !childinfo && !(o.lsub && k->sub_child &&
			    wildcard_pct(pats, n_pats)))
				continue;
		} else if (!k->exists && !k->children)
			continue;	/* subscribed only, gone */
		if (o.special_only && folder_special(k->name) == NULL)
			continue;
		list_one(ss, &o, k, childinfo);
	}
	for (size_t i = 0; i < n; i++)
		free(cands[i].name);
	free(cands);
	while (n_pats > 0)
		free(pats[--n_pats]);
	tagged(ss, c->tag, "OK", "%s completed", c->name);
}

/* ---- STATUS. ---- */

/* status_items - "STATUS name (MESSAGES 3 ...)" into out; empty if the
 * folder cannot be opened or an item is unknown */
static void
status_items(struct session *ss, const char *name,
    const struct imap_arg *items, struct buf *out)
{
	char dir[1100];
	struct folder *f;
	struct mindex *x;
	const char *why;
	uint64_t unseen = 0, deleted = 0, size = 0;
	bool first = true;

	if (folder_dir(ss, name, dir, sizeof(dir)) < 0 ||
	    (f = folder_get(dir, &why)) == NULL)
		return;
	(void)folder_sync(f);
	x = &f->x;
	for (size_t i = 0; i < x->n; i++) {
		if (!(x->msgs[i].flags & MF_SEEN))
			unseen++;
		if (x->msgs[i].flags & MF_DELETED)
			deleted++;
		size += message_size(&x->msgs[i]);
	}
	buf_puts(out, "STATUS ");
	quoted_name(ss, out, name);
	buf_puts(out, " (");
	for (const struct imap_arg *a = items->list; a != NULL; a = a->next) {
		unsigned long long v;
		const char *item;

		if (imap_arg_is_atom(a, "MESSAGES"))
			item = "MESSAGES", v = x->n;
		else if (imap_arg_is_atom(a, "UIDNEXT"))
			item = "UIDNEXT", v = x->uidnext;
		else if (imap_arg_is_atom(a, "UIDVALIDITY"))
			item = "UIDVALIDITY", v = x->uidvalidity;
		else if (imap_arg_is_atom(a, "UNSEEN"))
			item = "UNSEEN", v = unseen;
		else if (imap_arg_is_atom(a, "RECENT"))
			item = "RECENT", v = 0;
		else if (imap_arg_is_atom(a, "DELETED"))
			item = "DELETED", v = deleted;
		else if (imap_arg_is_atom(a, "SIZE"))
			item = "SIZE", v = size;
		else if (imap_arg_is_atom(a, "HIGHESTMODSEQ"))
			item = "HIGHESTMODSEQ", v = x->highestmodseq ?
			    x->highestmodseq : 1;
		else {
			buf_reset(out);
			break;
		}
		buf_printf(out, "%s%s %llu", first ? "" : " ", item, v);
		first = false;
	}
	if (out->len > 0)
		buf_putc(out, ')');
	folder_put(f);
}

void
cmd_status(struct session *ss, struct imap_command *c, bool uid)
{
	char name[NAME_MAX_LEN + 1], dir[1100];
	struct buf b = BUF_INIT;

	(void)uid;
	if (c->n_args != 2 || mailbox_name(ss, c->args, name, sizeof(name)) ==
	    NULL || c->args->next->type != IMAP_LIST ||
	    c->args->next->count == 0) {
		tagged(ss, c->tag, "BAD", "STATUS needs a folder and items%s",
		    name_coding(ss));
		return;
	}
	if (folder_dir(ss, name, dir, sizeof(dir)) < 0 ||
	    access(dir, F_OK) < 0) {
		tagged(ss, c->tag, "NO", "[NONEXISTENT] No such folder");
		return;
	}
	status_items(ss, name, c->args->next, &b);
	if (b.len == 0) {
		buf_free(&b);
		tagged(ss, c->tag, "BAD", "Unknown STATUS item");
		return;
	}
	untagged(ss, "%s", buf_cstr(&b));
	buf_free(&b);
	tagged(ss, c->tag, "OK", "STATUS completed");
}

/* ---- NAMESPACE, QUOTA. ---- */

void
cmd_namespace(struct session *ss, struct imap_command *c, bool uid)
{
	(void)uid;
	untagged(ss, "NAMESPACE ((\"\" \"/\")) NIL NIL");
	tagged(ss, c->tag, "OK", "NAMESPACE completed");
}

void
cmd_getquota(struct session *ss, struct imap_command *c, bool uid)
{
	bool root = strcmp(c->name, "GETQUOTAROOT") == 0;
	uint64_t limit = folder_quota_limit(ss);
	char name[NAME_MAX_LEN + 1];
	struct buf b = BUF_INIT;

	(void)uid;
	if (c->n_args != 1 || mailbox_name(ss, c->args, name, sizeof(name)) ==
	    NULL) {
		tagged(ss, c->tag, "BAD", "%s needs a %s", c->name,
		    root ? "folder name" : "quota root");
		return;
	}
	if (!root && (name[0] != '\0' || limit == 0)) {
		tagged(ss, c->tag, "NO", "[NONEXISTENT] No such quota root");
		return;
	}
	if (root) {
		quoted_name(ss, &b, name);
		untagged(ss, "QUOTAROOT %s%s", buf_cstr(&b), limit ? " \"\"" :
		    "");
	}
	/* RFC 9208: STORAGE in units of 1024 octets. */
	if (limit > 0)
		untagged(ss, "QUOTA \"\" (STORAGE %llu %llu)",
		    (unsigned long long)(folder_quota_usage(ss) + 1023) / 1024,
		    (unsigned long long)limit / 1024);
	buf_free(&b);
	tagged(ss, c->tag, "OK", "%s completed", c->name);
}

/* cmd_setquota - quotas are the administrator's (postern user add --quota) */
void
cmd_setquota(struct session *ss, struct imap_command *c, bool uid)
{
	(void)uid;
	tagged(ss, c->tag, "NO", "[NOPERM] Quotas are set by the "
	    "administrator");
}

/*
 * NAME
 *	bayes_write - training: learning messages into a Bayes database
 * DESCRIPTION
 *	A writer locks PATH.lock (flock: concurrent trainers wait, readers
 *	never do), maps the current file, and gathers the changes of the
 *	messages it learns as (token, +-spam, +-ham) deltas.  Commit sorts
 *	the deltas, merges them with the old tokens into a new sorted
 *	array, drops the rarest tokens beyond bayes_token_limit and the
 *	oldest learned ids beyond bayes_learned_limit, and writes PATH.tmp,
 *	fsync, rename over PATH, fsync of the directory (qmail's way: the
 *	file is whole or absent).  The cost of a commit is one pass over
 *	the database, so `postern spam train` commits once per run.
 * SEE ALSO
 *	bayes.h, bayes_db.h
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/bayes.h"
#include "mail/bayes_db.h"
#include "mail/bayes_tok.h"
#include "mail/params.h"
#include "util/file.h"
#include "util/mem.h"

struct delta {
	uint64_t h;
	int32_t spam, ham;
};

struct bayes_writer {
	char *path;
	int lock_fd;
	void *map;		/* the old file, or NULL */
	size_t map_size;
	struct bayes_view old;
	uint32_t nspam, nham, seq;
	struct bayes_seen *seen;	/* sorted by id */
	size_t n_seen, cap_seen;
	struct delta *d;
	size_t n_d, cap_d;
	struct bayes_tokens t;
};

/* parent_dir - make the directory of path if missing (the site
 * database's .postern) */
static int
parent_dir(const char *path)
{
	char *copy = xstrdup(path), *dir = dirname(copy);
	int rc = 0;

	if (strcmp(dir, ".") != 0 && mkdir(dir, 0700) < 0 && errno != EEXIST)
		rc = -1;
	free(copy);
	return rc;
}

/* begin - bayes_write_begin, waiting for the lock or not */
static int
begin(const char *path, bool wait, struct bayes_writer **out)
{
	struct bayes_writer *w;
	char *lock;
	struct stat st;
	int fd, e;

	*out = NULL;
	if (parent_dir(path) < 0)
		return -1;
	w = xcalloc(1, sizeof(*w));
	w->lock_fd = -1;
	w->path = xstrdup(path);
	lock = xasprintf("%s.lock", path);
	w->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(lock);
	if (w->lock_fd < 0 || flock(w->lock_fd, wait ? LOCK_EX :
	    LOCK_EX | LOCK_NB) < 0)
		goto fail;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		if (fstat(fd, &st) < 0) {
			close(fd);
			goto fail;
		}
		w->map_size = (size_t)st.st_size;
		w->map = w->map_size == 0 ? MAP_FAILED : mmap(NULL,
		    w->map_size, PROT_READ, MAP_SHARED, fd, 0);
		close(fd);
		if (w->map == MAP_FAILED || bayes_db_check(w->map,
		    w->map_size, &w->old) < 0) {
			/* Never overwrite what we do not understand. */
			if (w->map != MAP_FAILED)
				munmap(w->map, w->map_size);
			w->map = NULL;
			errno = EINVAL;
			goto fail;
		}
		w->nspam = w->old.hdr->nspam;
		w->nham = w->old.hdr->nham;
		w->seq = w->old.hdr->seq;
		w->n_seen = w->cap_seen = w->old.hdr->nlearned;
		w->seen = xmalloc((w->cap_seen + 1) * sizeof(*w->seen));
		memcpy(w->seen, w->old.seen, w->n_seen * sizeof(*w->seen));
	} else if (errno != ENOENT)
		goto fail;
	*out = w;
	return 0;
fail:
	e = errno;
	bayes_write_abort(&w);
	errno = e;
	return -1;
}

int
bayes_write_begin(const char *path, struct bayes_writer **out)
{
	return begin(path, true, out);
}

int
bayes_write_try_begin(const char *path, struct bayes_writer **out)
{
	return begin(path, false, out);
}

void
bayes_write_abort(struct bayes_writer **wp)
{
	struct bayes_writer *w = *wp;

	if (w == NULL)
		return;
	if (w->map != NULL)
		munmap(w->map, w->map_size);
	if (w->lock_fd >= 0)
		close(w->lock_fd);	/* releases the flock */
	free(w->seen);
	free(w->d);
	bayes_tokens_free(&w->t);
	free(w->path);
	free(w);
	*wp = NULL;
}

/* find_seen - index of id in seen, or where it would go */
static size_t
find_seen(const struct bayes_writer *w, uint64_t id)
{
	size_t lo = 0, hi = w->n_seen;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->seen[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* add_deltas - the message's tokens, spam and ham changed by ds, dh */
static void
add_deltas(struct bayes_writer *w, int32_t ds, int32_t dh)
{
	if (w->n_d + w->t.n > w->cap_d) {
		w->cap_d = (w->n_d + w->t.n) * 2;
		w->d = xrealloc(w->d, w->cap_d * sizeof(*w->d));
	}
	for (size_t i = 0; i < w->t.n; i++)
		w->d[w->n_d++] = (struct delta){ w->t.h[i], ds, dh };
}

int
bayes_write_learn(struct bayes_writer *w, const char *msg, size_t len,
    bool spam)
{
	uint64_t id = bayes_msg_id(msg, len);
	size_t i = find_seen(w, id);
	int32_t one = 1;

	w->seq++;
	bayes_tokenize(msg, len, var_bayes_scan_limit, &w->t);
	if (i < w->n_seen && w->seen[i].id == id) {
		if ((w->seen[i].spam != 0) == spam)
			return BAYES_KNOWN;
		/* learned as the other class: take it back, then learn */
		if (spam) {
			add_deltas(w, one, -one);
			w->nham -= w->nham > 0;
			w->nspam++;
		} else {
			add_deltas(w, -one, one);
			w->nspam -= w->nspam > 0;
			w->nham++;
		}
		w->seen[i].spam = spam;
		w->seen[i].seq = w->seq;
		return BAYES_MOVED;
	}
	if (w->n_seen == w->cap_seen) {
		w->cap_seen = w->cap_seen < 64 ? 64 : w->cap_seen * 2;
		w->seen = xrealloc(w->seen, w->cap_seen * sizeof(*w->seen));
	}
	memmove(w->seen + i + 1, w->seen + i,
	    (w->n_seen - i) * sizeof(*w->seen));
	w->seen[i] = (struct bayes_seen){ id, w->seq, spam };
	w->n_seen++;
	add_deltas(w, spam ? one : 0, spam ? 0 : one);
	if (spam)
		w->nspam++;
	else
		w->nham++;
	return BAYES_LEARNED;
}

static int
by_hash(const void *a, const void *b)
{
	uint64_t x = ((const struct delta *)a)->h;
	uint64_t y = ((const struct delta *)b)->h;

	return x < y ? -1 : x > y;
}

static int
by_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* apply - count + d, never below 0 (a count can be less than a move
 * takes back once the token was dropped as rare) */
static uint32_t
apply(uint32_t count, int64_t d)
{
	int64_t v = (int64_t)count + d;

	return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* merge - old tokens and the sorted, summed deltas into a new array */
static struct bayes_tok *
merge(struct bayes_writer *w, size_t *n_r)
{
	size_t no = w->map != NULL ? w->old.hdr->ntokens : 0;
	size_t i = 0, j = 0, n = 0;
	struct bayes_tok *out = xmalloc((no + w->n_d + 1) * sizeof(*out));

	if (w->n_d > 0)
		qsort(w->d, w->n_d, sizeof(*w->d), by_hash);
	while (i < no || j < w->n_d) {
		struct bayes_tok k;

		if (j >= w->n_d || (i < no && w->old.tok[i].h < w->d[j].h))
			k = w->old.tok[i++];
		else {
			int64_t ds = 0, dh = 0;
			uint64_t h = w->d[j].h;

			for (; j < w->n_d && w->d[j].h == h; j++) {
				ds += w->d[j].spam;
				dh += w->d[j].ham;
			}
			k = (struct bayes_tok){ h, 0, 0 };
			if (i < no && w->old.tok[i].h == h)
				k = w->old.tok[i++];
			k.spam = apply(k.spam, ds);
			k.ham = apply(k.ham, dh);
		}
		if (k.spam > 0 || k.ham > 0)
			out[n++] = k;
	}
	*n_r = n;
	return out;
}

/* prune - keep the limit most frequent tokens (order kept) */
static size_t
prune(struct bayes_tok *tok, size_t n, size_t limit)
{
	uint32_t *tot, cut;
	size_t above = 0, w = 0, at_cut;

	if (n <= limit)
		return n;
	tot = xmalloc(n * sizeof(*tot));
	for (size_t i = 0; i < n; i++)
		tot[i] = apply(tok[i].spam, tok[i].ham);
	qsort(tot, n, sizeof(*tot), by_u32);
	cut = tot[n - limit];	/* the limit-th largest total */
	for (size_t i = 0; i < n; i++)
		above += tot[i] > cut;
	free(tot);
	at_cut = limit - above;	/* ties at the cut that still fit */
	for (size_t i = 0; i < n; i++) {
		uint32_t t = apply(tok[i].spam, tok[i].ham);

		if (t > cut || (t == cut && at_cut > 0)) {
			if (t == cut)
				at_cut--;
			tok[w++] = tok[i];
		}
	}
	return w;
}

/* prune_seen - keep the limit newest learned ids (order kept) */
static void
prune_seen(struct bayes_writer *w, size_t limit)
{
	uint32_t *seq, cut;
	size_t k = 0;

	if (w->n_seen <= limit)
		return;
	seq = xmalloc(w->n_seen * sizeof(*seq));
	for (size_t i = 0; i < w->n_seen; i++)
		seq[i] = w->seen[i].seq;
	qsort(seq, w->n_seen, sizeof(*seq), by_u32);
	cut = seq[w->n_seen - limit];	/* sequences are unique */
	free(seq);
	for (size_t i = 0; i < w->n_seen; i++)
		if (w->seen[i].seq >= cut)
			w->seen[k++] = w->seen[i];
	w->n_seen = k;
}

int
bayes_write_commit(struct bayes_writer **wp)
{
	struct bayes_writer *w = *wp;
	struct bayes_hdr h = { 0 };
	struct bayes_tok *tok;
	size_t ntok;
	char *tmp = xasprintf("%s.tmp", w->path), *copy;
	int fd, rc = -1, e = 0;

	tok = merge(w, &ntok);
	ntok = prune(tok, ntok, var_bayes_token_limit);
	prune_seen(w, var_bayes_learned_limit);
	memcpy(h.magic, BAYES_MAGIC, 8);
	h.version = BAYES_VERSION;
	h.nspam = w->nspam;
	h.nham = w->nham;
	h.ntokens = (uint32_t)ntok;
	h.nlearned = (uint32_t)w->n_seen;
	h.seq = w->seq;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0 && file_write_all(fd, &h, sizeof(h)) == 0 &&
	    file_write_all(fd, tok, ntok * sizeof(*tok)) == 0 &&
	    file_write_all(fd, w->seen, w->n_seen * sizeof(*w->seen)) == 0 &&
	    fsync(fd) == 0 && close(fd) == 0) {
		fd = -1;
		if (rename(tmp, w->path) == 0) {
			copy = xstrdup(w->path);
			/* The new file is in place either way; a failed
			 * directory fsync only risks the old one after a
			 * crash, which is still a whole database. */
			if (file_fsync_dir(AT_FDCWD, dirname(copy)) < 0) {
				/* nothing to undo */
			}
			free(copy);
			rc = 0;
		}
	}
	if (rc < 0) {
		e = errno;
		if (fd >= 0)
			close(fd);
		(void)unlink(tmp);
	}
	free(tmp);
	free(tok);
	bayes_write_abort(wp);
	if (rc < 0)
		errno = e;
	return rc;
}

int
bayes_train(const char *path, const char *msg, size_t len, bool spam)
{
	struct bayes_writer *w;
	int rc;

	if (bayes_write_begin(path, &w) < 0)
		return -1;
	rc = bayes_write_learn(w, msg, len, spam);
	if (rc == BAYES_KNOWN) {
		bayes_write_abort(&w);
		return rc;
	}
	if (bayes_write_commit(&w) < 0)
		return -1;
	return rc;
}

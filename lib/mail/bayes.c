/*
 * NAME
 *	bayes - reading a Bayes database and classifying a message
 * DESCRIPTION
 *	Robinson's f(w) for each token of the message (s = 1, x = 0.5),
 *	tokens with |f - 0.5| < 0.1 ignored, the 150 farthest from 0.5
 *	combined with Fisher's chi-square method (SpamBayes chi2_spamprob,
 *	bogofilter's "fisher"): I = (1 + H - S) / 2, where
 *	H = C^-1(-2 sum ln f, 2n) and S = C^-1(-2 sum ln(1 - f), 2n).
 *	The chi-square tail is summed in log space, so 150 tiny f cannot
 *	underflow it.
 * SEE ALSO
 *	bayes.h; Robinson, "A Statistical Approach to the Spam Problem",
 *	Linux Journal 107 (2003); spambayes/classifier.py.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/bayes.h"
#include "mail/bayes_db.h"
#include "mail/bayes_tok.h"
#include "mail/mime.h"
#include "mail/mstore.h"
#include "mail/params.h"
#include "util/mem.h"

struct bayes_db {
	void *map;
	size_t size;
	struct bayes_view v;
	struct bayes_hdr empty;
};

int
bayes_db_check(const void *p, size_t size, struct bayes_view *v)
{
	const struct bayes_hdr *h = p;
	uint64_t need;

	if (size < sizeof(*h) || memcmp(h->magic, BAYES_MAGIC, 8) != 0 ||
	    h->version != BAYES_VERSION)
		return -1;
	/* UNSAFE: 64-bit arithmetic of 32-bit counts cannot overflow. */
	need = sizeof(*h) + (uint64_t)h->ntokens * sizeof(struct bayes_tok) +
	    (uint64_t)h->nlearned * sizeof(struct bayes_seen);
	if (need != size)
		return -1;
	v->hdr = h;
	v->tok = (const struct bayes_tok *)(h + 1);
	v->seen = (const struct bayes_seen *)(v->tok + h->ntokens);
	return 0;
}

int
bayes_open(const char *path, struct bayes_db **out)
{
	struct bayes_db *db = xcalloc(1, sizeof(*db));
	struct stat st;
	int fd;

	*out = NULL;
	db->v.hdr = &db->empty;
	db->v.tok = NULL;
	db->v.seen = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno != ENOENT) {
			free(db);
			return -1;
		}
		*out = db;
		return 0;
	}
	if (fstat(fd, &st) < 0 || st.st_size < 0) {
		int e = errno;

		close(fd);
		free(db);
		errno = e;
		return -1;
	}
	db->size = (size_t)st.st_size;
	db->map = db->size == 0 ? MAP_FAILED : mmap(NULL, db->size,
	    PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (db->map == MAP_FAILED || bayes_db_check(db->map, db->size,
	    &db->v) < 0) {
		if (db->map != MAP_FAILED)
			munmap(db->map, db->size);
		free(db);
		errno = EINVAL;
		return -1;
	}
	*out = db;
	return 0;
}

void
bayes_close(struct bayes_db **dbp)
{
	struct bayes_db *db = *dbp;

	if (db == NULL)
		return;
	if (db->map != NULL && db->map != MAP_FAILED)
		munmap(db->map, db->size);
	free(db);
	*dbp = NULL;
}

uint32_t
bayes_nspam(const struct bayes_db *db)
{
	return db->v.hdr->nspam;
}

uint32_t
bayes_nham(const struct bayes_db *db)
{
	return db->v.hdr->nham;
}

uint32_t
bayes_ntokens(const struct bayes_db *db)
{
	return db->v.hdr->ntokens;
}

/* lookup - the counts of token h, or NULL */
static const struct bayes_tok *
lookup(const struct bayes_db *db, uint64_t h)
{
	size_t lo = 0, hi = db->v.hdr->ntokens;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (db->v.tok[mid].h < h)
			lo = mid + 1;
		else if (db->v.tok[mid].h > h)
			hi = mid;
		else
			return &db->v.tok[mid];
	}
	return NULL;
}

/* chi2q - P(chi-square with 2k degrees of freedom >= x2), in log space:
 * sum over i < k of exp(-m) m^i / i!, m = x2 / 2 */
static double
chi2q(double x2, size_t k)
{
	double m = x2 / 2, sum = 0;

	if (m <= 0)
		return 1;
	for (size_t i = 0; i < k; i++)
		sum += exp(-m + (double)i * log(m) - lgamma((double)i + 1));
	return sum > 1 ? 1 : sum;
}

double
bayes_fisher(const double *f, size_t n)
{
	double ln_f = 0, ln_1f = 0, h, s;

	if (n == 0)
		return 0.5;
	for (size_t i = 0; i < n; i++) {
		ln_f += log(f[i]);
		ln_1f += log1p(-f[i]);
	}
	h = chi2q(-2 * ln_f, n);	/* small when the f are small: hammy */
	s = chi2q(-2 * ln_1f, n);	/* small when they are large: spammy */
	return (1 + h - s) / 2;
}

static int
by_dev(const void *a, const void *b)
{
	double x = fabs(*(const double *)a - 0.5);
	double y = fabs(*(const double *)b - 0.5);

	return x < y ? 1 : x > y ? -1 : 0;
}

double
bayes_classify_ex(const struct bayes_db *db, const char *msg, size_t len,
    struct bayes_verdict *v)
{
	const struct bayes_hdr *hd = db->v.hdr;
	struct bayes_tokens t = { 0 };
	double *f, p;
	size_t n = 0;

	memset(v, 0, sizeof(*v));
	if (hd->nspam < var_bayes_min_spam || hd->nham < var_bayes_min_ham ||
	    hd->nspam == 0 || hd->nham == 0) {
		v->prob = -1;
		return -1;
	}
	bayes_tokenize(msg, len, var_bayes_scan_limit, &t);
	f = xmalloc((t.n + 1) * sizeof(*f));
	for (size_t i = 0; i < t.n; i++) {
		const struct bayes_tok *k = lookup(db, t.h[i]);
		double b, g, pw, cnt, fw;

		if (k == NULL)
			continue;	/* f = x: never interesting */
		b = (double)k->spam / hd->nspam;
		g = (double)k->ham / hd->nham;
		if (b + g <= 0)
			continue;
		pw = b / (b + g);
		cnt = (double)k->spam + k->ham;
		fw = (BAYES_S * BAYES_X + cnt * pw) / (BAYES_S + cnt);
		if (fabs(fw - 0.5) >= BAYES_MIN_DEV)
			f[n++] = fw;
	}
	if (n > BAYES_MAX_DISCRIM) {
		qsort(f, n, sizeof(*f), by_dev);
		n = BAYES_MAX_DISCRIM;
	}
	p = bayes_fisher(f, n);
	v->prob = p;
	v->tokens = t.n;
	v->used = n;
	free(f);
	bayes_tokens_free(&t);
	return p;
}

double
bayes_classify(const struct bayes_db *db, const char *msg, size_t len)
{
	struct bayes_verdict v;

	return bayes_classify_ex(db, msg, len, &v);
}

uint64_t
bayes_msg_id(const char *msg, size_t len)
{
	struct buf v = BUF_INIT;
	uint64_t id;
	size_t body = 0;

	if (mime_header(msg, len, 0, "Message-ID", &v) == 1) {
		size_t a = 0, b = v.len;

		while (a < b && (v.data[a] == ' ' || v.data[a] == '\t'))
			a++;
		while (b > a && (v.data[b - 1] == ' ' || v.data[b - 1] == '\t'
		    || v.data[b - 1] == '\r' || v.data[b - 1] == '\n'))
			b--;
		if (b > a) {
			id = bayes_hash((const char *)v.data + a, b - a);
			buf_free(&v);
			return id;
		}
	}
	buf_free(&v);
	/* No Message-ID: the body, which transport does not change
	 * (Received fields are added on the way). */
	for (size_t i = 0; i + 1 < len; i++)
		if (msg[i] == '\n' && (msg[i + 1] == '\n' || (msg[i + 1] ==
		    '\r' && i + 2 < len && msg[i + 2] == '\n'))) {
			body = i + 1;
			break;
		}
	return bayes_hash(msg + body, len - body) ^ 0x5bd1e995ULL;
}

int
bayes_site_path(const char *root, char *out, size_t size)
{
	int n = snprintf(out, size, "%s%s" BAYES_SITE_FILE,
	    root != NULL ? root : "", root != NULL ? "/" : "");

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int
bayes_user_path(const char *root, const char *mailbox, char *out,
    size_t size)
{
	char dir[512];
	int n;

	if (mstore_mailbox_dir(mailbox, dir, sizeof(dir)) < 0)
		return -1;
	n = snprintf(out, size, "%s%s%s/" BAYES_USER_FILE,
	    root != NULL ? root : "", root != NULL ? "/" : "", dir);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

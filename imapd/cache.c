/*
 * NAME
 *	cache - ENVELOPE, BODY and BODYSTRUCTURE kept on disk, encrypted
 * DESCRIPTION
 *	Clients ask for the envelopes and structures of a whole folder at
 *	every sync; computing them means decrypting and parsing every
 *	message.  So the results are kept per folder, in chunks of
 *	CACHE_UIDS consecutive UIDs, each chunk one file in the stored
 *	format (DESIGN 5: a fresh content key sealed to the user, the
 *	content in the AEAD stream).  The server cannot read them any more
 *	than it can read the messages.
 *
 *	A FETCH loads at most one chunk at a time (one cryptd round trip),
 *	and wipes it when it moves on or ends: nothing decrypted stays with
 *	the session.  Entries computed during the command are merged into
 *	the chunk and written back, sealed, by rename; entries of expunged
 *	messages are dropped then.  It is only a cache: a missing, damaged
 *	or stale file (other UIDVALIDITY) is ignored and rebuilt, and a
 *	crash loses at most what one command computed.
 *
 *	Chunk plaintext: "PCACHE1\n", UIDVALIDITY (u32), then records in
 *	ascending UID order: uid, envelope length, body length,
 *	bodystructure length (u32 each, little endian), then the three
 *	strings as sent on the wire.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imapd/imapd.h"
#include "mail/imap_fetch.h"
#include "mail/msgcrypt.h"
#include "util/log.h"
#include "util/mem.h"

#define CACHE_UIDS	1024		/* UIDs per chunk file */
#define CACHE_MAX	(64u << 20)	/* a larger chunk is not ours */
#define CACHE_MAGIC	"PCACHE1\n"
#define CACHE_HEAD	12		/* magic + UIDVALIDITY */
#define REC_HEAD	16

struct rec {
	uint32_t uid;
	size_t off;		/* of the record in its buffer */
};

struct recs {
	struct buf data;
	struct rec *r;
	size_t n, cap;
};

struct cache {
	struct session *ss;
	struct folder *f;
	uint32_t chunk;
	bool loaded;
	struct recs disk;	/* the chunk as loaded */
	struct recs added;	/* computed by this command */
};

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put32(struct buf *b, uint32_t v)
{
	uint8_t p[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 24) };

	buf_put(b, p, 4);
}

static void
recs_push(struct recs *rs, uint32_t uid, size_t off)
{
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 64;
		rs->r = xrealloc(rs->r, rs->cap * sizeof(*rs->r));
	}
	rs->r[rs->n++] = (struct rec){ uid, off };
}

static void
recs_free(struct recs *rs)
{
	buf_free_wipe(&rs->data);
	free(rs->r);
	memset(rs, 0, sizeof(*rs));
}

/* rec_len - the whole length of the record at off */
static size_t
rec_len(const struct recs *rs, size_t off)
{
	const uint8_t *p = rs->data.data + off;

	return REC_HEAD + (size_t)get32(p + 4) + get32(p + 8) + get32(p + 12);
}

/* rec_find - the record of uid, or NULL */
static const struct rec *
rec_find(const struct recs *rs, uint32_t uid)
{
	size_t lo = 0, hi = rs->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (rs->r[mid].uid == uid)
			return &rs->r[mid];
		if (rs->r[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void
chunk_path(const struct cache *c, uint32_t chunk, char *out, size_t size)
{
	snprintf(out, size, "%s/postern-cache.%u", c->f->path, chunk);
}

/* parse - index the records of a loaded chunk; -1 if it is not sound */
static int
parse(struct cache *c)
{
	struct recs *rs = &c->disk;
	const uint8_t *d = rs->data.data;
	size_t off = CACHE_HEAD, len = rs->data.len;
	uint32_t last = 0;

	if (len < CACHE_HEAD || memcmp(d, CACHE_MAGIC, 8) != 0 ||
	    get32(d + 8) != c->f->x.uidvalidity)
		return -1;
	while (off < len) {
		uint32_t uid;

		if (len - off < REC_HEAD)
			return -1;
		uid = get32(d + off);
		if (uid <= last || rec_len(rs, off) > len - off)
			return -1;
		recs_push(rs, uid, off);
		last = uid;
		off += rec_len(rs, off);
	}
	return 0;
}

/* load - chunk into c->disk (empty if there is none usable) */
static void
load(struct cache *c, uint32_t chunk)
{
	char path[1400];
	const char *why;
	int fd;

	c->chunk = chunk;
	c->loaded = true;
	chunk_path(c, chunk, path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if (message_read_sealed(c->ss, fd, CACHE_MAX, 0, &c->disk.data,
	    &why) < 0 || parse(c) < 0) {
		msg_warn("%s: %s: damaged or stale cache, rebuilding it",
		    c->ss->acc.user, path);
		recs_free(&c->disk);
	}
	close(fd);
}

/* by_uid - qsort order of records */
static int
by_uid(const void *a, const void *b)
{
	uint32_t x = ((const struct rec *)a)->uid;
	uint32_t y = ((const struct rec *)b)->uid;

	return x < y ? -1 : x > y;
}

/* save - the chunk with this command's entries merged in, sealed, by
 * rename; entries of messages no longer in the index are dropped */
static void
save(struct cache *c)
{
	struct recs *d = &c->disk, *a = &c->added;
	struct msgcrypt_writer w;
	struct buf out = BUF_INIT;
	char path[1400], tmp[1450];
	size_t i = 0, j = 0;
	int fd, rc;

	qsort(a->r, a->n, sizeof(*a->r), by_uid);
	buf_put(&out, CACHE_MAGIC, 8);
	put32(&out, c->f->x.uidvalidity);
	while (i < d->n || j < a->n) {
		const struct recs *from;
		const struct rec *r;

		if (j == a->n || (i < d->n && d->r[i].uid < a->r[j].uid)) {
			from = d;
			r = &d->r[i++];
		} else {
			if (i < d->n && d->r[i].uid == a->r[j].uid)
				i++;	/* recomputed */
			from = a;
			r = &a->r[j++];
		}
		if (mindex_find(&c->f->x, r->uid) == NULL)
			continue;
		buf_put(&out, from->data.data + r->off, rec_len(from, r->off));
	}
	chunk_path(c, c->chunk, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	rc = fd < 0 ? -1 : 0;
	if (rc == 0) {
		rc = msgcrypt_write_begin(&w, fd, c->ss->acc.public_key);
		if (rc == 0) {
			rc = msgcrypt_write(&w, out.data, out.len);
			if (rc == 0)
				rc = msgcrypt_write_end(&w);
			msgcrypt_write_free(&w);
		}
		rc |= close(fd);
	}
	/* No fsync: losing a cache file after a crash costs time only. */
	if (rc < 0 || rename(tmp, path) < 0) {
		msg_warn("%s: cannot write %s: %s", c->ss->acc.user, path,
		    strerror(errno));
		(void)unlink(tmp);
	}
	buf_free_wipe(&out);
}

/* flush - write what was added to the current chunk, and forget it */
static void
flush(struct cache *c)
{
	if (c->added.n > 0 && c->ss->acc.has_public_key)
		save(c);
	recs_free(&c->disk);
	recs_free(&c->added);
	c->loaded = false;
}

/* compute - the entry of m from the decrypted message, into c->added */
static int
compute(struct cache *c, const struct mindex_msg *m, const char **error_r)
{
	struct session *ss = c->ss;
	struct recs *a = &c->added;
	struct buf env = BUF_INIT, body = BUF_INIT, bs = BUF_INIT;

	if (message_load(ss, m, error_r) < 0)
		return -1;
	(void)imap_envelope(&env, (const char *)ss->msg.data.data,
	    ss->msg.data.len, 0);
	(void)imap_bodystructure(&body, &ss->msg.mime, ss->msg.mime.root,
	    false);
	(void)imap_bodystructure(&bs, &ss->msg.mime, ss->msg.mime.root,
	    true);
	recs_push(a, m->uid, a->data.len);
	put32(&a->data, m->uid);
	put32(&a->data, (uint32_t)env.len);
	put32(&a->data, (uint32_t)body.len);
	put32(&a->data, (uint32_t)bs.len);
	buf_put(&a->data, env.data, env.len);
	buf_put(&a->data, body.data, body.len);
	buf_put(&a->data, bs.data, bs.len);
	buf_free_wipe(&env);
	buf_free_wipe(&body);
	buf_free_wipe(&bs);
	return 0;
}

struct cache *
cache_begin(struct session *ss)
{
	struct cache *c = xcalloc(1, sizeof(*c));

	c->ss = ss;
	c->f = ss->sel->f;
	return c;
}

int
cache_get(struct cache *c, const struct mindex_msg *m,
    struct cache_entry *e, const char **error_r)
{
	uint32_t chunk = m->uid / CACHE_UIDS;
	const struct recs *from = &c->disk;
	const struct rec *r;
	const uint8_t *p;

	if (!c->loaded || c->chunk != chunk) {
		flush(c);
		load(c, chunk);
	}
	if ((r = rec_find(from, m->uid)) == NULL) {
		from = &c->added;
		for (size_t i = 0; i < c->added.n && r == NULL; i++)
			if (c->added.r[i].uid == m->uid)
				r = &c->added.r[i];
	}
	if (r == NULL) {
		if (compute(c, m, error_r) < 0)
			return -1;
		r = &c->added.r[c->added.n - 1];
	}
	p = from->data.data + r->off;
	e->envelope = (const char *)p + REC_HEAD;
	e->envelope_len = get32(p + 4);
	e->body = e->envelope + e->envelope_len;
	e->body_len = get32(p + 8);
	e->bodystructure = e->body + e->body_len;
	e->bodystructure_len = get32(p + 12);
	return 0;
}

void
cache_end(struct cache *c)
{
	if (c == NULL)
		return;
	flush(c);
	free(c);
}

/*
 * NAME
 *	dns - the suite's one resolver
 * DESCRIPTION
 *	See dns.h.  glibc's res_n* functions with a per-thread state copied
 *	from the one dns_setup made (FACTS.md: nsaddr_list takes a port;
 *	retrans/retry low, or a dead server costs seconds).  The cache is
 *	direct-mapped: DNS_CACHE_SLOTS slots, "type/name" hashed to one,
 *	a newer answer replacing what was there; positive answers live for
 *	their smallest TTL (at most an hour), negative ones for a minute,
 *	temporary failures not at all.  Fixed size: it cannot grow.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail/dns.h"
#include "util/hash.h"
#include "util/mem.h"

#define DNS_CACHE_SLOTS	1024
#define DNS_TTL_MAX	3600
#define DNS_NEG_TTL	60
#define DNS_MSG_MAX	65535

static struct __res_state base;
static bool base_ready;
static __thread struct __res_state *mine;

struct entry {
	char *key;		/* NULL: empty */
	time_t expires;
	enum dns_status status;
	uint8_t *msg;
	size_t len;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry cache[DNS_CACHE_SLOTS];

/* slot - the cache slot of key (FNV-1a) */
static struct entry *
slot(const char *key)
{
	return &cache[hash_str(key) % DNS_CACHE_SLOTS];
}

int
dns_setup(const char *resolvers, unsigned timeout_s, const char **error_r)
{
	char *list, *one, *save = NULL;
	int n = 0;

	memset(&base, 0, sizeof(base));
	if (res_ninit(&base) < 0) {
		*error_r = "cannot initialise the resolver";
		return -1;
	}
	base.retrans = (int)(timeout_s > 0 ? timeout_s : 1);
	base.retry = 2;
	if (resolvers != NULL && resolvers[0] != '\0') {
		list = xstrdup(resolvers);
		for (one = strtok_r(list, ", ", &save); one != NULL;
		    one = strtok_r(NULL, ", ", &save)) {
			char *colon = strrchr(one, ':');
			struct sockaddr_in sin = { .sin_family = AF_INET,
			    .sin_port = htons(53) };
			unsigned long port;

			if (colon != NULL) {
				*colon = '\0';
				port = strtoul(colon + 1, NULL, 10);
				if (port == 0 || port > 65535)
					break;
				sin.sin_port = htons((uint16_t)port);
			}
			if (inet_pton(AF_INET, one, &sin.sin_addr) != 1 ||
			    n == MAXNS)
				break;
			base.nsaddr_list[n++] = sin;
		}
		free(list);
		if (one != NULL || n == 0) {
			*error_r = "dns_resolvers: not a list of IPv4 "
			    "address[:port]";
			return -1;
		}
		base.nscount = n;
		/* resolv.conf's IPv6 servers sit in the extension area and
		 * would be asked instead: forget them (glibc owns that
		 * memory), and let the resolver build the area again from
		 * nsaddr_list. */
		for (int i = 0; i < MAXNS; i++)
			base._u._ext.nsaddrs[i] = NULL;
		base._u._ext.nscount = 0;
	}
	base_ready = true;
	return 0;
}

void
dns_trust_ad(void)
{
	base.options |= RES_TRUSTAD;
}

int
dns_reply_secure(const struct dns_reply *r)
{
	ns_msg h;

	if (r->msg == NULL || ns_initparse(r->msg, (int)r->len, &h) < 0)
		return 0;
	return ns_msg_getflag(h, ns_f_ad) != 0;
}

res_state
dns_res_new(void)
{
	res_state st = xcalloc(1, sizeof(*st));

	if (!base_ready) {
		const char *why;

		(void)dns_setup("", 2, &why);
	}
	*st = base;
	return st;
}

/* state - this thread's resolver */
static res_state
state(void)
{
	if (mine == NULL)
		mine = dns_res_new();
	return mine;
}

/* ttl_of - the smallest TTL of the answer section, capped */
static time_t
ttl_of(const uint8_t *msg, size_t len)
{
	ns_msg h;
	ns_rr rr;
	time_t ttl = DNS_TTL_MAX;

	if (ns_initparse(msg, (int)len, &h) < 0)
		return 0;
	for (int i = 0; i < ns_msg_count(h, ns_s_an); i++)
		if (ns_parserr(&h, ns_s_an, i, &rr) == 0 &&
		    (time_t)ns_rr_ttl(rr) < ttl)
			ttl = (time_t)ns_rr_ttl(rr);
	return ttl;
}

/* lookup - ask the resolvers */
static void
lookup(const char *name, int type, struct dns_reply *r)
{
	res_state st = state();
	uint8_t *msg = xmalloc(DNS_MSG_MAX);
	int n;

	n = res_nquery(st, name, ns_c_in, type, msg, DNS_MSG_MAX);
	if (n < 0) {
		free(msg);
		r->msg = NULL;
		r->len = 0;
		r->status = st->res_h_errno == HOST_NOT_FOUND ? DNS_NXDOMAIN :
		    st->res_h_errno == NO_DATA ? DNS_NODATA : DNS_TEMPFAIL;
		return;
	}
	r->msg = xrealloc(msg, (size_t)n);
	r->len = (size_t)n;
	r->status = DNS_OK;
	{
		ns_msg h;

		if (ns_initparse(r->msg, n, &h) == 0 &&
		    ns_msg_count(h, ns_s_an) == 0)
			r->status = DNS_NODATA;
	}
}

void
dns_query(const char *name, int type, struct dns_reply *r)
{
	char key[NS_MAXDNAME + 16];
	struct entry *e;
	time_t now = time(NULL);

	snprintf(key, sizeof(key), "%d/%s", type, name);
	for (char *p = key; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	pthread_mutex_lock(&cache_lock);
	e = slot(key);
	if (e->key != NULL && strcmp(e->key, key) == 0 && e->expires > now) {
		r->status = e->status;
		r->len = e->len;
		r->msg = e->len > 0 ? xmalloc(e->len) : NULL;
		if (e->len > 0)
			memcpy(r->msg, e->msg, e->len);
		pthread_mutex_unlock(&cache_lock);
		return;
	}
	pthread_mutex_unlock(&cache_lock);
	lookup(name, type, r);
	if (r->status == DNS_TEMPFAIL)
		return;
	pthread_mutex_lock(&cache_lock);
	e = slot(key);
	free(e->key);
	free(e->msg);
	e->key = xstrdup(key);
	e->status = r->status;
	e->expires = now + (r->status == DNS_OK ? ttl_of(r->msg, r->len) :
	    DNS_NEG_TTL);
	e->msg = NULL;
	e->len = r->len;
	if (r->len > 0) {
		e->msg = xmalloc(r->len);
		memcpy(e->msg, r->msg, r->len);
	}
	pthread_mutex_unlock(&cache_lock);
}

size_t
dns_txt_join(const uint8_t *rd, size_t rdlen, char *out)
{
	size_t o = 0, p = 0;

	while (p < rdlen) {
		size_t l = rd[p++];

		if (l > rdlen - p)
			l = rdlen - p;
		memcpy(out + o, rd + p, l);
		o += l;
		p += l;
	}
	out[o] = '\0';
	return o;
}

char *
dns_txt(const struct dns_reply *r, size_t i)
{
	ns_msg h;
	ns_rr rr;

	if (r->status != DNS_OK || r->msg == NULL ||
	    ns_initparse(r->msg, (int)r->len, &h) < 0)
		return NULL;
	for (int k = 0; k < ns_msg_count(h, ns_s_an); k++) {
		char *out;

		if (ns_parserr(&h, ns_s_an, k, &rr) < 0 ||
		    ns_rr_type(rr) != ns_t_txt || i-- > 0)
			continue;
		out = xmalloc(ns_rr_rdlen(rr) + 1);
		(void)dns_txt_join(ns_rr_rdata(rr), ns_rr_rdlen(rr), out);
		return out;
	}
	return NULL;
}

void
dns_reply_free(struct dns_reply *r)
{
	free(r->msg);
	r->msg = NULL;
	r->len = 0;
}

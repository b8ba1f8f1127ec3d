/*
 * NAME
 *	resolve - classify recipients and expand aliases
 * DESCRIPTION
 *	Local parts are compared without regard to ASCII case, like every
 *	mail system admins know; a site that needs case-sensitive local
 *	parts is rare enough to be a later setting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/params.h"
#include "mail/record.h"
#include "mail/resolve.h"
#include "util/daemon.h"
#include "util/log.h"
#include "util/mem.h"

/* Expansion bound for a sender check: a list bigger than this is not
 * a sender address of its members. */
#define RESOLVE_OWNS_LIMIT	1000

void
resolve_lower(const char *in, char *out, size_t size)
{
	size_t i;

	for (i = 0; i + 1 < size && in[i] != '\0'; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ?
		    (char)(in[i] - 'A' + 'a') : in[i];
	out[i] = '\0';
}

/* open_one - "" means no table */
static int
open_one(const char *spec, struct map **m, const char **error_r)
{
	*m = NULL;
	if (spec == NULL || spec[0] == '\0')
		return 0;
	*m = map_open(spec, MAP_RDONLY, error_r);
	return *m == NULL ? -1 : 0;
}

int
resolver_open(struct resolver *r, const char *domains, const char *users,
    const char *aliases, const char *delimiter, const char **error_r)
{
	memset(r, 0, sizeof(*r));
	r->delimiter = delimiter != NULL ? delimiter[0] : '\0';
	if (open_one(domains, &r->domains, error_r) < 0 ||
	    open_one(users, &r->users, error_r) < 0 ||
	    open_one(aliases, &r->aliases, error_r) < 0) {
		resolver_close(r);
		return -1;
	}
	return 0;
}

void
resolver_open_daemon(struct resolver *r)
{
	char *d = daemon_map_spec(var_local_domains_map);
	char *u = daemon_map_spec(var_local_users_map);
	char *a = daemon_map_spec(var_alias_map);
	const char *why;

	if (resolver_open(r, d, u, a, var_recipient_delimiter, &why) < 0)
		msg_fatal("recipient tables: %s (local_domains_map, "
		    "local_users_map, alias_map)", why);
	free(d);
	free(u);
	free(a);
}

void
resolver_close(struct resolver *r)
{
	map_close(&r->domains);
	map_close(&r->users);
	map_close(&r->aliases);
}

void
resolved_init(struct resolved *out)
{
	memset(out, 0, sizeof(*out));
	buf_init(&out->alias, 64 * 1024);
}

void
resolved_free(struct resolved *out)
{
	buf_free(&out->alias);
}

/* lookup - 1/0 as map_lookup; -1 records the error */
static int
lookup(struct resolver *r, struct map *m, const char *key, struct buf *v)
{
	int rc;

	if (m == NULL)
		return 0;
	rc = map_lookup(m, key, v);
	if (rc < 0)
		snprintf(r->error, sizeof(r->error), "%s",
		    map_error(m));
	return rc;
}

int
resolve_domain_is_local(struct resolver *r, const char *domain)
{
	char d[ADDR_DOMAIN_MAX + 1];
	struct buf v = BUF_INIT;
	int rc;

	resolve_lower(domain, d, sizeof(d));
	rc = lookup(r, r->domains, d, &v);
	buf_free(&v);
	return rc;
}

/* classify_key - is key (lower case, full address) a user or alias? */
static int
classify_key(struct resolver *r, const char *key, bool aliases,
    struct resolved *out)
{
	struct buf v = BUF_INIT;
	int rc;

	rc = aliases ? lookup(r, r->aliases, key, &out->alias) : 0;
	if (rc != 0) {
		out->class = rc > 0 ? RESOLVE_ALIAS : RESOLVE_TEMP;
		return 1;
	}
	rc = lookup(r, r->users, key, &v);
	if (rc != 0) {
		out->class = rc > 0 ? RESOLVE_USER : RESOLVE_TEMP;
		if (rc > 0) {
			if (record_u64(buf_cstr(&v), "quota", &out->quota) < 0)
				out->quota = 0;
			out->has_pk = record_bytes(buf_cstr(&v), "pk", out->pk,
			    sizeof(out->pk)) == 0;
		}
		buf_free(&v);
		return 1;
	}
	buf_free(&v);
	return 0;
}

/* classify - see resolve_address; aliases: look them up */
static enum resolve_class
classify(struct resolver *r, const char *address, bool aliases,
    struct resolved *out)
{
	char lower[ADDR_PATH_MAX + 1];
	char *at, *delim;
	int rc;

	buf_reset(&out->alias);
	out->ext[0] = '\0';
	out->quota = 0;
	out->has_pk = false;
	resolve_lower(address, lower, sizeof(lower));
	snprintf(out->key, sizeof(out->key), "%s", lower);
	at = strrchr(lower, '@');
	if (at == NULL)
		return out->class = RESOLVE_UNKNOWN;
	rc = resolve_domain_is_local(r, at + 1);
	if (rc <= 0)
		return out->class = rc < 0 ? RESOLVE_TEMP : RESOLVE_REMOTE;
	if (classify_key(r, lower, aliases, out))
		return out->class;
	/* user+ext@domain -> user@domain, extension ext */
	delim = r->delimiter != '\0' ? memchr(lower, r->delimiter,
	    (size_t)(at - lower)) : NULL;
	if (delim != NULL && delim > lower) {
		snprintf(out->ext, sizeof(out->ext), "%.*s",
		    (int)(at - delim - 1), delim + 1);
		memmove(delim, at, strlen(at) + 1);
		snprintf(out->key, sizeof(out->key), "%s", lower);
		if (classify_key(r, lower, aliases, out))
			return out->class;
		out->ext[0] = '\0';
	}
	return out->class = RESOLVE_UNKNOWN;
}

enum resolve_class
resolve_address(struct resolver *r, const char *address,
    struct resolved *out)
{
	return classify(r, address, true, out);
}

enum resolve_class
resolve_mailbox(struct resolver *r, const char *address,
    struct resolved *out)
{
	return classify(r, address, false, out);
}

/* have - is s already in list? */
static bool
have(char **list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/* expand - one level; see resolve_expand */
static int
expand(struct resolver *r, const char *address, unsigned depth,
    char ***list, size_t *n, size_t limit, bool *permanent,
    const char **error_r)
{
	struct resolved res;
	char *targets, *t, *save = NULL;
	int rc = 0;

	if (depth > RESOLVE_MAX_DEPTH) {
		*permanent = true;
		*error_r = "alias nesting too deep (a loop?)";
		return -1;
	}
	resolved_init(&res);
	switch (resolve_address(r, address, &res)) {
	case RESOLVE_TEMP:
		*permanent = false;
		*error_r = r->error;
		rc = -1;
		break;
	case RESOLVE_ALIAS:
		targets = xstrdup(buf_cstr(&res.alias));
		for (t = strtok_r(targets, ", \t", &save); t != NULL && rc == 0;
		    t = strtok_r(NULL, ", \t", &save)) {
			char lt[ADDR_PATH_MAX + 1];

			resolve_lower(t, lt, sizeof(lt));
			/* An alias naming itself delivers to the user. */
			if (strcmp(lt, res.key) == 0) {
				if (!have(*list, *n, lt)) {
					if (*n >= limit)
						goto too_many;
					*list = xrealloc(*list, (*n + 1) *
					    sizeof(char *));
					(*list)[(*n)++] = xstrdup(lt);
				}
				continue;
			}
			rc = expand(r, lt, depth + 1, list, n, limit,
			    permanent, error_r);
		}
		free(targets);
		break;
	default:
		if (!have(*list, *n, address)) {
			if (*n >= limit)
				goto too_many;
			*list = xrealloc(*list, (*n + 1) * sizeof(char *));
			(*list)[(*n)++] = xstrdup(address);
		}
		break;
	}
	resolved_free(&res);
	return rc;
too_many:
	resolved_free(&res);
	*permanent = true;
	*error_r = "alias expands to too many addresses";
	return -1;
}

int
resolve_expand(struct resolver *r, const char *address, char ***list,
    size_t *n, size_t limit, bool *permanent, const char **error_r)
{
	return expand(r, address, 0, list, n, limit, permanent, error_r);
}

int
resolve_owns(struct resolver *r, const char *user, const char *address)
{
	char **list = NULL;
	size_t n = 0;
	bool permanent = false;
	const char *why;
	int owns = 0;

	if (strcasecmp(user, address) == 0)
		return 1;
	if (expand(r, address, 0, &list, &n, RESOLVE_OWNS_LIMIT, &permanent,
	    &why) < 0) {
		snprintf(r->error, sizeof(r->error), "%s", why);
		owns = permanent ? 0 : -1;
	}
	for (size_t i = 0; i < n; i++) {
		owns |= owns >= 0 && strcasecmp(list[i], user) == 0;
		free(list[i]);
	}
	free(list);
	return owns;
}

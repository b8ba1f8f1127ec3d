/*
 * resolve.h - what a recipient address means here: a local user, an
 * alias, an unknown user of a local domain, or a remote address
 * (DESIGN 6).  smtpd asks at RCPT time (so that unknown users are refused
 * then, not bounced later) and expands aliases when it queues a message;
 * qmgr asks again at delivery time.
 *
 * Three lookup tables (lib/util/map.h), keys in lower case:
 *   local_domains_map   domain -> anything
 *   local_users_map     user@domain -> "quota=BYTES pk=BASE64" (the public
 *                       half of the user's record; secrets are authd's)
 *   alias_map           address -> "target, target, ..."
 * An address "user+ext@domain" that is not itself a user or alias falls
 * back to "user@domain" with extension "ext" (recipient_delimiter).
 */
#ifndef POSTERN_RESOLVE_H
#define POSTERN_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mail/addr.h"
#include "util/buf.h"
#include "util/map.h"

#define RESOLVE_MAX_DEPTH	10	/* alias nesting */

struct resolver {
	struct map *domains;
	struct map *users;
	struct map *aliases;
	char delimiter;		/* '\0': no address extensions */
	char error[256];	/* after RESOLVE_TEMP */
};

enum resolve_class {
	RESOLVE_REMOTE,		/* not one of our domains */
	RESOLVE_USER,		/* a mailbox here */
	RESOLVE_ALIAS,		/* expands to other addresses */
	RESOLVE_UNKNOWN,	/* our domain, nobody of that name */
	RESOLVE_TEMP,		/* a table could not be read: try later */
};

struct resolved {
	enum resolve_class class;
	char key[ADDR_PATH_MAX + 1];	/* user or alias, lower case */
	char ext[ADDR_LOCAL_MAX + 1];	/* extension, "" if none */
	uint64_t quota;			/* RESOLVE_USER: 0 = none */
	bool has_pk;			/* RESOLVE_USER: pk is set */
	uint8_t pk[32];			/* the user's X25519 public key */
	struct buf alias;		/* RESOLVE_ALIAS: the targets */
};

/*
 * resolver_open - open the three tables named by specs (any may be "" for
 * none).  Returns 0, or -1 with *error_r.
 */
int resolver_open(struct resolver *r, const char *domains,
    const char *users, const char *aliases, const char *delimiter,
    const char **error_r);
void resolver_close(struct resolver *r);
/* resolver_open_daemon - the tables of postern.conf as a daemon sees them
 * from inside its jail; fatal with the reason on failure. */
void resolver_open_daemon(struct resolver *r);

/* resolve_domain_is_local - 1 yes, 0 no, -1 the table failed. */
int resolve_domain_is_local(struct resolver *r, const char *domain);
/* resolve_address - classify "local@domain" into *out (init'ed with
 * resolved_init).  Returns out->class. */
enum resolve_class resolve_address(struct resolver *r, const char *address,
    struct resolved *out);
/* resolve_mailbox - the same, aliases not consulted: what qmgr asks of
 * an address that alias expansion already produced. */
enum resolve_class resolve_mailbox(struct resolver *r, const char *address,
    struct resolved *out);
void resolved_init(struct resolved *out);
void resolved_free(struct resolved *out);

/*
 * resolve_expand - the final addresses of address after alias expansion
 * (nested up to RESOLVE_MAX_DEPTH, each address once, at most limit).
 * Users and remote addresses are final; an unknown local address is too
 * (delivery then fails for it alone).  Results are appended to *list as
 * malloc'ed strings.  Returns 0, or -1 with *error_r (a table failed:
 * temporary; or a loop or the limit: permanent, *permanent set).
 */
int resolve_expand(struct resolver *r, const char *address, char ***list,
    size_t *n, size_t limit, bool *permanent, const char **error_r);

/*
 * resolve_owns - whether the user may send as address (submission): it is
 * the user's own, or an alias whose expansion reaches the user.  1 yes,
 * 0 no, -1 a table failed (r->error says why).
 */
int resolve_owns(struct resolver *r, const char *user, const char *address);

/* resolve_lower - ASCII lower case copy into out (size bytes). */
void resolve_lower(const char *in, char *out, size_t size);

#endif

/*
 * cli.h - shared by the sub-commands of `postern`.
 */
#ifndef POSTERN_CLI_H
#define POSTERN_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/dkim_key.h"
#include "util/conf.h"
#include "util/svc.h"

/* The instance named by -c (or the installed default). */
extern const char *cli_config_dir;

/*
 * cli_load - load and apply the instance's configuration; on errors print
 * each "file:line: text" and exit 1 (or return -1 if soft).
 */
int cli_load(struct conf **cp, struct svc_table *t, bool soft);
/* cli_load_lenient - as cli_load, but on errors warn and apply what is
 * good (for stop and status, which must work with a broken file). */
void cli_load_lenient(void);
/* cli_master_pid - pid of the running master of the instance, or 0. */
long cli_master_pid(void);

int cmd_init(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_domain(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_alias(int argc, char **argv);
/* cmd_map - postern map add|del|list TABLE: the routing tables */
int cmd_map(int argc, char **argv);
int cmd_queue(int argc, char **argv);
int cmd_dkim(int argc, char **argv);
/* cmd_spam - postern spam train|stats|classify: the Bayes databases */
int cmd_spam(int argc, char **argv);

/* cmd_maps.c: open a recipient table for editing (created if missing,
 * readable by the daemons); exits with the reason on failure. */
struct map *cli_map_edit(const char *param, const char *spec);
/* cli_domain_add - make domain local; 0 or 1 after saying why. */
int cli_domain_add(const char *domain);
void cli_load_quiet(void);
/* cli_auth_map - auth_users_map for editing, mode 0600, auth_owner's */
struct map *cli_auth_map(void);
int cli_parse_address(const char *cmd, const char *in, char *out,
    size_t size);
int cli_domain_check(const char *cmd, const char *address);
int cli_map_list(const char *param, const char *spec, bool values);
int cli_map_del(const char *cmd, const char *param, const char *spec,
    const char *key);

/* cmd_dkim.c: one DKIM key file under key_directory/dkim. */
struct cli_dkim_key {
	const char *domain, *selector;
	char *path;
	bool current;		/* named in DOMAIN/current */
	struct dkim_key key;	/* alg DKIM_N_ALGS: it did not load */
};
typedef void cli_dkim_fn(const struct cli_dkim_key *k, const char *why,
    void *ctx);
/* cli_dkim_walk - fn for each key (of domain only, if not NULL), why
 * saying why it did not load (or NULL); the number of keys. */
int cli_dkim_walk(const char *only, cli_dkim_fn *fn, void *ctx);

#endif

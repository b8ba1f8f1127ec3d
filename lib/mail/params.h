/*
 * params.h - the mail parameters of postern.conf (see Postfix mail_params.h).
 *
 * Every parameter of every program is defined once, here or in
 * lib/util/daemon.c, so that `postern config` and postern.conf(5) know all
 * of them.  params_register() must run before any configuration is read.
 */
#ifndef POSTERN_PARAMS_H
#define POSTERN_PARAMS_H

#include <stdint.h>

#include "util/conf.h"

extern char *var_myhostname;
extern char *var_mydomain;
extern char *var_mail_owner;
extern char *var_store_owner;
extern char *var_auth_owner;
extern char *var_crypt_owner;
extern char *var_queue_dir;
extern char *var_store_dir;
extern char *var_auth_dir;
extern char *var_key_dir;
extern char *var_tls_cert_file;
extern char *var_tls_key_file;
extern char *var_tls_ciphers;
extern char *var_tls_ciphersuites;
extern char *var_tls_min_version;

extern const struct conf_def mail_params[];

/* params_register - register daemon_params and mail_params. */
void params_register(void);

#endif

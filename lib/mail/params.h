/*
 * params.h - the mail parameters of postern.conf (see Postfix mail_params.h).
 *
 * Every parameter of every program is defined once, here or in
 * lib/util/daemon.c, so that `postern config` and postern.conf(5) know all
 * of them.  params_register() must run before any configuration is read.
 */
#ifndef POSTERN_PARAMS_H
#define POSTERN_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/conf.h"
#include "util/tls.h"

extern char *var_myhostname;
extern char *var_metrics_listen;
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
extern char *var_local_domains_map;
extern char *var_local_users_map;
extern char *var_alias_map;
extern char *var_recipient_delimiter;
extern uint64_t var_alias_expansion_limit;
extern char *var_smtpd_banner;
extern bool var_smtpd_submission;
extern bool var_smtpd_tls_wrapper;
extern bool var_smtpd_starttls;
extern uint64_t var_message_size_limit;
extern uint64_t var_smtpd_recipient_limit;
extern uint64_t var_smtpd_line_limit;
extern uint64_t var_smtpd_junk_command_limit;
extern uint64_t var_smtpd_error_limit;
extern uint64_t var_smtpd_timeout;
extern uint64_t var_smtpd_data_timeout;
extern uint64_t var_smtpd_client_connection_limit;
extern uint64_t var_smtpd_client_rate_limit;
extern uint64_t var_smtpd_client_rate_window;
extern uint64_t var_outbound_sender_rate_limit;
extern uint64_t var_outbound_domain_rate_limit;
extern uint64_t var_outbound_rate_window;
extern uint64_t var_smtpd_greeting_delay;
extern bool var_smtpd_vrfy;
extern uint64_t var_smtpd_commit_threads;
extern char *var_smtpd_xclient_networks;
extern char *var_smtpd_cleartext_login;
extern bool var_smtpd_spf;
extern bool var_smtpd_spf_helo;
extern bool var_smtpd_spf_reject_fail;
extern bool var_smtpd_spf_defer_temperror;
extern uint64_t var_smtpd_dns_threads;
extern bool var_smtpd_dkim;
extern uint64_t var_smtpd_dkim_signature_limit;
extern bool var_smtpd_dmarc;
extern char *var_smtpd_dmarc_reject_action;
extern bool var_smtpd_dmarc_defer_temperror;
extern char *var_dmarc_public_suffix_list;
extern char *var_local_junk_folder;
extern uint64_t var_bayes_min_spam;
extern uint64_t var_bayes_min_ham;
extern uint64_t var_bayes_scan_limit;
extern uint64_t var_bayes_token_limit;
extern uint64_t var_bayes_learned_limit;
extern bool var_spam_user_learning;
extern uint64_t var_spam_user_learning_limit;
extern bool var_expire_from_header;
extern uint64_t var_expire_sweep_interval;
extern uint64_t var_expire_retention_interval;
extern char *var_expire_folder_retention;
extern uint64_t var_expire_clock_offset;
extern uint64_t var_smtpd_head_room;
extern char *var_smtpd_milters;
extern uint64_t var_milter_connect_timeout;
extern uint64_t var_milter_command_timeout;
extern uint64_t var_milter_content_timeout;
extern char *var_milter_default_action;
extern uint64_t var_milter_reply_limit;
extern char *var_dns_resolvers;
extern uint64_t var_dns_timeout;
extern bool var_imapd_tls_wrapper;
extern bool var_imapd_starttls;
extern char *var_imapd_cleartext_login;
extern uint64_t var_imapd_line_limit;
extern uint64_t var_imapd_literal_limit;
extern uint64_t var_imapd_bad_command_limit;
extern uint64_t var_imapd_login_timeout;
extern uint64_t var_imapd_timeout;
extern uint64_t var_imapd_user_connection_limit;
extern uint64_t var_imapd_idle_interval;
extern char *var_imapd_special_folders;
extern bool var_pop3d_tls_wrapper;
extern bool var_pop3d_starttls;
extern char *var_pop3d_cleartext_login;
extern uint64_t var_pop3d_line_limit;
extern uint64_t var_pop3d_bad_command_limit;
extern uint64_t var_pop3d_timeout;
extern uint64_t var_pop3d_user_connection_limit;
extern char *var_pop3d_expire;
extern uint64_t var_pop3d_login_delay;
extern uint64_t var_queue_run_delay;
extern uint64_t var_minimal_backoff_time;
extern uint64_t var_maximal_backoff_time;
extern uint64_t var_maximal_queue_lifetime;
extern uint64_t var_delay_warning_time;
extern uint64_t var_local_concurrency_limit;
extern uint64_t var_qmgr_active_limit;
extern uint64_t var_delivery_timeout;
extern uint64_t var_bounce_size_limit;
extern char *var_relay_transport;
extern char *var_local_transport;
extern bool var_local_extension_folders;
extern char *var_transport_maps;
extern uint64_t var_smtp_concurrency_limit;
extern uint64_t var_smtp_dest_concurrency_limit;
extern uint64_t var_smtp_dest_rate_delay;
extern uint64_t var_smtp_port;
extern char *var_smtp_helo_name;
extern char *var_smtp_tls_security_level;
extern char *var_smtp_tls_policy_maps;
extern char *var_smtp_tls_ca_file;
extern uint64_t var_smtp_connect_timeout;
extern uint64_t var_smtp_helo_timeout;
extern uint64_t var_smtp_command_timeout;
extern uint64_t var_smtp_data_timeout;
extern uint64_t var_smtp_mx_address_limit;
extern uint64_t var_smtp_reply_limit;
extern uint64_t var_smtp_connection_reuse_time;
extern char *var_smtp_dns_support_level;
extern char *var_auth_users_map;
extern uint64_t var_password_hash_ops;
extern uint64_t var_password_hash_memory;
extern uint64_t var_cryptd_session_timeout;
extern uint64_t var_cryptd_session_limit;
extern uint64_t var_auth_failure_delay_max;
extern uint64_t var_auth_block_threshold;
extern uint64_t var_auth_block_time;
extern uint64_t var_authd_hash_threads;

extern const struct conf_def mail_params[];
extern const struct conf_def spam_params[];	/* params_spam.c */

struct tls_settings;
/* params_tls_server - the server TLS settings of postern.conf. */
void params_tls_server(struct tls_settings *ts);
/*
 * params_tls_server_ctx - a server's TLS context, made before its jail:
 * NULL when neither starttls nor wrapper is on.  A certificate that does
 * not load is fatal with wrapper (the port speaks only TLS), else a
 * warning, and NULL: the server then does not offer STARTTLS/STLS.
 */
SSL_CTX *params_tls_server_ctx(bool starttls, bool wrapper);

/*
 * params_smtp_tls_level - a level word of smtp_tls_security_level or
 * smtp_tls_policy_maps: 0 none, 1 may, 2 encrypt, 3 verify (case
 * ignored); -1 for anything else.
 */
int params_smtp_tls_level(const char *word);

/* params_register - register daemon_params, mail_params, spam_params. */
void params_register(void);

#endif

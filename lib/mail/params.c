/*
 * NAME
 *	params - the mail parameters of postern.conf
 * DESCRIPTION
 *	One row per parameter: name, type, default, variable, range, and the
 *	line that postern.conf(5) and `postern config -d` show.  The man
 *	page is checked against this table by the test suite.
 */
#include <strings.h>

#include "paths.h"
#include "mail/params.h"
#include "util/daemon.h"
#include "util/log.h"
#include "util/tls.h"

char *var_myhostname;
char *var_metrics_listen;
char *var_mydomain;
char *var_mail_owner;
char *var_store_owner;
char *var_auth_owner;
char *var_crypt_owner;
char *var_queue_dir;
char *var_store_dir;
char *var_auth_dir;
char *var_key_dir;
char *var_tls_cert_file;
char *var_tls_key_file;
char *var_tls_ciphers;
char *var_tls_ciphersuites;
char *var_tls_min_version;

/* Recipients (lib/mail/resolve.h) */
char *var_local_domains_map;
char *var_local_users_map;
char *var_alias_map;
char *var_recipient_delimiter;
uint64_t var_alias_expansion_limit;

/* smtpd */
char *var_smtpd_banner;
bool var_smtpd_submission;
bool var_smtpd_tls_wrapper;
bool var_smtpd_starttls;
uint64_t var_message_size_limit;
uint64_t var_smtpd_recipient_limit;
uint64_t var_smtpd_line_limit;
uint64_t var_smtpd_junk_command_limit;
uint64_t var_smtpd_error_limit;
uint64_t var_smtpd_timeout;
uint64_t var_smtpd_data_timeout;
uint64_t var_smtpd_client_connection_limit;
uint64_t var_smtpd_client_rate_limit;
uint64_t var_smtpd_client_rate_window;
uint64_t var_outbound_sender_rate_limit;
uint64_t var_outbound_domain_rate_limit;
uint64_t var_outbound_rate_window;
uint64_t var_smtpd_greeting_delay;
bool var_smtpd_vrfy;
uint64_t var_smtpd_commit_threads;
char *var_smtpd_xclient_networks;
char *var_smtpd_cleartext_login;
bool var_smtpd_spf;
bool var_smtpd_spf_helo;
bool var_smtpd_spf_reject_fail;
bool var_smtpd_spf_defer_temperror;
uint64_t var_smtpd_dns_threads;
bool var_smtpd_dkim;
uint64_t var_smtpd_dkim_signature_limit;
bool var_smtpd_dmarc;
char *var_smtpd_dmarc_reject_action;
bool var_smtpd_dmarc_defer_temperror;
char *var_dmarc_public_suffix_list;
char *var_local_junk_folder;

/* Bayesian spam classifier (lib/mail/bayes.h) */
uint64_t var_bayes_min_spam;
uint64_t var_bayes_min_ham;
uint64_t var_bayes_scan_limit;
uint64_t var_bayes_token_limit;
uint64_t var_bayes_learned_limit;
bool var_spam_user_learning;
uint64_t var_spam_user_learning_limit;

/* Message expiration (expire(8)) */
bool var_expire_from_header;
uint64_t var_expire_sweep_interval;
uint64_t var_expire_retention_interval;
char *var_expire_folder_retention;
uint64_t var_expire_clock_offset;

/* Milters (smtpd/milter.c) */
uint64_t var_smtpd_head_room;
char *var_smtpd_milters;
uint64_t var_milter_connect_timeout;
uint64_t var_milter_command_timeout;
uint64_t var_milter_content_timeout;
char *var_milter_default_action;
uint64_t var_milter_reply_limit;
char *var_dns_resolvers;
uint64_t var_dns_timeout;

/* qmgr */
uint64_t var_queue_run_delay;
uint64_t var_minimal_backoff_time;
uint64_t var_maximal_backoff_time;
uint64_t var_maximal_queue_lifetime;
uint64_t var_delay_warning_time;
uint64_t var_local_concurrency_limit;
uint64_t var_qmgr_active_limit;
uint64_t var_delivery_timeout;
uint64_t var_bounce_size_limit;
char *var_relay_transport;
char *var_local_transport;

/* local */
bool var_local_extension_folders;

/* smtp, and qmgr's side of it */
char *var_transport_maps;
uint64_t var_smtp_concurrency_limit;
uint64_t var_smtp_dest_concurrency_limit;
uint64_t var_smtp_dest_rate_delay;
uint64_t var_smtp_port;
char *var_smtp_helo_name;
char *var_smtp_tls_security_level;
char *var_smtp_tls_policy_maps;
char *var_smtp_tls_ca_file;
uint64_t var_smtp_connect_timeout;
uint64_t var_smtp_helo_timeout;
uint64_t var_smtp_command_timeout;
uint64_t var_smtp_data_timeout;
uint64_t var_smtp_mx_address_limit;
uint64_t var_smtp_reply_limit;
uint64_t var_smtp_connection_reuse_time;
char *var_smtp_dns_support_level;

/* users and keys (authd, cryptd, postern user) */
char *var_auth_users_map;
uint64_t var_password_hash_ops;
uint64_t var_password_hash_memory;
uint64_t var_cryptd_session_timeout;
bool var_imapd_tls_wrapper;
bool var_imapd_starttls;
char *var_imapd_cleartext_login;
uint64_t var_imapd_line_limit;
uint64_t var_imapd_literal_limit;
uint64_t var_imapd_bad_command_limit;
uint64_t var_imapd_login_timeout;
uint64_t var_imapd_timeout;
uint64_t var_imapd_user_connection_limit;
uint64_t var_imapd_idle_interval;
char *var_imapd_special_folders;
bool var_pop3d_tls_wrapper;
bool var_pop3d_starttls;
char *var_pop3d_cleartext_login;
uint64_t var_pop3d_line_limit;
uint64_t var_pop3d_bad_command_limit;
uint64_t var_pop3d_timeout;
uint64_t var_pop3d_user_connection_limit;
char *var_pop3d_expire;
uint64_t var_pop3d_login_delay;
uint64_t var_cryptd_session_limit;
uint64_t var_auth_failure_delay_max;
uint64_t var_auth_block_threshold;
uint64_t var_auth_block_time;
uint64_t var_authd_hash_threads;

const struct conf_def mail_params[] = {
	{ "metrics_listen", CONF_STR, "", &var_metrics_listen, 0, 0,
	    "where master serves GET /metrics (Prometheus text): "
	    "unix:/path, 127.0.0.1:PORT or [::1]:PORT (empty: off; only "
	    "loopback)" },
	{ "myhostname", CONF_STR, "localhost", &var_myhostname, 0, 0,
	    "this host's fully qualified name, used in greetings" },
	{ "mydomain", CONF_STR, "localdomain", &var_mydomain, 0, 0,
	    "this host's mail domain" },
	{ "mail_owner", CONF_STR, "postern", &var_mail_owner, 0, 0,
	    "user of smtpd, qmgr and smtp" },
	{ "store_owner", CONF_STR, "postern-mail", &var_store_owner, 0, 0,
	    "user of local, imapd and pop3d, owner of the mail store" },
	{ "auth_owner", CONF_STR, "postern-auth", &var_auth_owner, 0, 0,
	    "user of authd, owner of the user database" },
	{ "crypt_owner", CONF_STR, "postern-crypt", &var_crypt_owner, 0, 0,
	    "user of cryptd, owner of the key directory" },
	{ "queue_directory", CONF_STR, POSTERN_SPOOL_DIR, &var_queue_dir, 0,
	    0, "the mail queue; chroot of smtpd, qmgr and smtp" },
	{ "store_directory", CONF_STR, POSTERN_STATE_DIR "/store",
	    &var_store_dir, 0, 0,
	    "the encrypted mail store; chroot of local, imapd and pop3d" },
	{ "auth_directory", CONF_STR, POSTERN_STATE_DIR "/auth",
	    &var_auth_dir, 0, 0, "the user database; chroot of authd" },
	{ "key_directory", CONF_STR, POSTERN_STATE_DIR "/keys",
	    &var_key_dir, 0, 0, "wrapped user keys and DKIM keys; chroot of "
	    "cryptd" },
	{ "tls_cert_file", CONF_STR, "$config_directory/tls/cert.pem",
	    &var_tls_cert_file, 0, 0, "server certificate chain (PEM)" },
	{ "tls_key_file", CONF_STR, "$config_directory/tls/key.pem",
	    &var_tls_key_file, 0, 0, "server private key (PEM, mode 0600)" },
	{ "tls_ciphers", CONF_STR,
	    "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!MD5:!SHA1",
	    &var_tls_ciphers, 0, 0, "OpenSSL cipher list for TLS 1.2" },
	{ "tls_ciphersuites", CONF_STR, "TLS_AES_256_GCM_SHA384:"
	    "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256",
	    &var_tls_ciphersuites, 0, 0, "OpenSSL cipher suites for TLS 1.3" },
	{ "tls_min_version", CONF_STR, "TLSv1.2", &var_tls_min_version, 0, 0,
	    "lowest TLS version offered: TLSv1.2 or TLSv1.3" },
	/* Recipients: lookup tables as type:name (DESIGN 6). */
	{ "local_domains_map", CONF_STR, "hash:$queue_directory/maps/domains",
	    &var_local_domains_map, 0, 0,
	    "the domains delivered here (postern domain add)" },
	{ "local_users_map", CONF_STR, "hash:$queue_directory/maps/users",
	    &var_local_users_map, 0, 0,
	    "the mailboxes of those domains (postern user add)" },
	{ "alias_map", CONF_STR, "hash:$queue_directory/maps/aliases",
	    &var_alias_map, 0, 0,
	    "aliases, address to addresses (postern alias add)" },
	{ "recipient_delimiter", CONF_STR, "+", &var_recipient_delimiter, 0,
	    0, "separates user and extension (user+tag); empty: none" },
	{ "alias_expansion_limit", CONF_INT, "1000",
	    &var_alias_expansion_limit, 1, 100000,
	    "most addresses one recipient may expand to" },

	/* smtpd (smtpd(8)); per service with -o in master.conf. */
	{ "smtpd_banner", CONF_STR, "$myhostname ESMTP Postern",
	    &var_smtpd_banner, 0, 0, "text of the 220 greeting" },
	{ "smtpd_submission", CONF_BOOL, "no", &var_smtpd_submission, 0, 0,
	    "this service takes mail from our users (587, 465)" },
	{ "smtpd_tls_wrapper", CONF_BOOL, "no", &var_smtpd_tls_wrapper, 0,
	    0, "TLS from the first byte (port 465, RFC 8314)" },
	{ "smtpd_starttls", CONF_BOOL, "yes", &var_smtpd_starttls, 0, 0,
	    "offer STARTTLS (RFC 3207)" },
	{ "message_size_limit", CONF_SIZE, "50m", &var_message_size_limit,
	    1024, UINT64_C(1) << 40,
	    "largest message accepted (552 5.3.4), announced in SIZE" },
	{ "smtpd_recipient_limit", CONF_INT, "1000",
	    &var_smtpd_recipient_limit, 1, 100000,
	    "recipients per message (then 452 4.5.3)" },
	{ "smtpd_line_limit", CONF_SIZE, "2048", &var_smtpd_line_limit, 512,
	    65536, "longest command line (then 500 5.5.2)" },
	{ "smtpd_junk_command_limit", CONF_INT, "100",
	    &var_smtpd_junk_command_limit, 1, 100000,
	    "commands other than MAIL, RCPT, DATA, BDAT between messages "
	    "(then 421)" },
	{ "smtpd_error_limit", CONF_INT, "20", &var_smtpd_error_limit, 1,
	    10000, "errors in one session before 421 and disconnect" },
	{ "smtpd_timeout", CONF_TIME, "300s", &var_smtpd_timeout, 1, 86400,
	    "time to wait for each command (RFC 5321 4.5.3.2: 5 minutes)" },
	{ "smtpd_data_timeout", CONF_TIME, "600s", &var_smtpd_data_timeout,
	    1, 86400, "time to wait for more of a message during DATA or BDAT"
	    },
	{ "smtpd_client_connection_limit", CONF_INT, "50",
	    &var_smtpd_client_connection_limit, 0, 100000,
	    "connections at once from one client address, all smtpd "
	    "processes of the service together (0: no limit)" },
	{ "smtpd_client_rate_limit", CONF_INT, "0",
	    &var_smtpd_client_rate_limit, 0, 1000000,
	    "connections one client address may open per "
	    "smtpd_client_rate_window (0: no limit)" },
	{ "smtpd_client_rate_window", CONF_TIME, "60s",
	    &var_smtpd_client_rate_window, 1, 3600,
	    "the time window of smtpd_client_rate_limit" },
	{ "outbound_sender_rate_limit", CONF_INT, "1000",
	    &var_outbound_sender_rate_limit, 0, 100000000,
	    "recipients in other domains one logged-in user may send to per "
	    "outbound_rate_window, every submission service together; more "
	    "get 450 4.7.1 (0: no limit)" },
	{ "outbound_domain_rate_limit", CONF_INT, "0",
	    &var_outbound_domain_rate_limit, 0, 100000000,
	    "recipients in one other domain all our users together may send "
	    "to per outbound_rate_window; more get 450 4.7.1 (0: no limit)" },
	{ "outbound_rate_window", CONF_TIME, "1h", &var_outbound_rate_window,
	    1, 7 * 86400, "the time window of outbound_sender_rate_limit and "
	    "outbound_domain_rate_limit" },
	{ "smtpd_greeting_delay", CONF_TIME, "0s", &var_smtpd_greeting_delay,
	    0, 60, "wait this long before the greeting; a client that talks "
	    "first is refused (554 5.5.1)" },
	{ "smtpd_vrfy", CONF_BOOL, "no", &var_smtpd_vrfy, 0, 0,
	    "answer VRFY truthfully (no: always 252)" },
	{ "smtpd_cleartext_login", CONF_STR, "loopback",
	    &var_smtpd_cleartext_login, 0, 0,
	    "where AUTH works without TLS on a submission service: no, "
	    "loopback (clients on 127.0.0.0/8 and ::1) or yes; elsewhere "
	    "AUTH gets 538 5.7.11 and EHLO does not offer it" },
	{ "smtpd_xclient_networks", CONF_STR, "", &var_smtpd_xclient_networks,
	    0, 0, "clients (addresses or address/prefix, IPv4) that may use "
	    "XCLIENT to give the real client address and HELO name (a "
	    "trusted proxy, the tests); empty: nobody" },
	{ "smtpd_spf", CONF_BOOL, "yes", &var_smtpd_spf, 0, 0,
	    "check SPF (RFC 7208) on MAIL FROM (the HELO name for the null "
	    "sender) and report it in Authentication-Results" },
	{ "smtpd_spf_helo", CONF_BOOL, "yes", &var_smtpd_spf_helo, 0, 0,
	    "also check the HELO name's SPF record on its own (RFC 7208 2.3), "
	    "once per name a session gives: a fail is refused like a MAIL "
	    "FROM fail (smtpd_spf_reject_fail) and scored "
	    "(spam_score_spf_helo_fail); other results are logged" },
	{ "smtpd_spf_reject_fail", CONF_BOOL, "no", &var_smtpd_spf_reject_fail,
	    0, 0, "refuse MAIL FROM with 550 5.7.23 when SPF fails (the "
	    "domain's -all), for MAIL FROM or, with smtpd_spf_helo, the "
	    "HELO name" },
	{ "smtpd_spf_defer_temperror", CONF_BOOL, "no",
	    &var_smtpd_spf_defer_temperror, 0, 0, "answer MAIL FROM with "
	    "451 4.7.24 when SPF cannot be checked now (DNS failure)" },
	{ "smtpd_dkim", CONF_BOOL, "yes", &var_smtpd_dkim, 0, 0,
	    "verify the DKIM signatures (RFC 6376, RFC 8463) of every message "
	    "at the end of DATA and report them in Authentication-Results" },
	{ "smtpd_dkim_signature_limit", CONF_INT, "5",
	    &var_smtpd_dkim_signature_limit, 1, 50, "check at most this many "
	    "DKIM signatures of one message (the first ones); each costs a "
	    "DNS lookup and a public-key operation" },
	{ "smtpd_dmarc", CONF_BOOL, "yes", &var_smtpd_dmarc, 0, 0,
	    "apply the DMARC policy (RFC 7489) of the From: domain, with SPF "
	    "and DKIM alignment judged by dmarc_public_suffix_list" },
	{ "smtpd_dmarc_reject_action", CONF_STR, "reject",
	    &var_smtpd_dmarc_reject_action, 0, 0, "what a DMARC fail under "
	    "p=reject gets: reject (550 5.7.1 at the end of DATA), "
	    "quarantine (delivered to local_junk_folder) or none "
	    "(delivered; the result is only reported)" },
	{ "smtpd_dmarc_defer_temperror", CONF_BOOL, "no",
	    &var_smtpd_dmarc_defer_temperror, 0, 0, "answer the end of DATA "
	    "with 451 4.7.5 when the DMARC record cannot be fetched now (DNS "
	    "failure)" },
	{ "dmarc_public_suffix_list", CONF_STR,
	    "/usr/share/publicsuffix/public_suffix_list.dat",
	    &var_dmarc_public_suffix_list, 0, 0, "the public suffix list that "
	    "finds organizational domains for DMARC (Debian package "
	    "publicsuffix)" },
	{ "smtpd_dns_threads", CONF_INT, "4", &var_smtpd_dns_threads, 1, 64,
	    "threads per smtpd process for DNS checks (SPF), so that a slow "
	    "answer holds up only its own session" },
	{ "smtpd_commit_threads", CONF_INT, "4", &var_smtpd_commit_threads,
	    1, 64, "threads per smtpd process that fsync accepted messages, "
	    "so that sessions do not wait for each other's disk flushes" },
	{ "smtpd_head_room", CONF_SIZE, "4096", &var_smtpd_head_room, 1024,
	    8000, "room kept in front of each message in the queue file for "
	    "the header fields known only at its end: Authentication-Results "
	    "and the fields milters add (doc/queue-file.md)" },

	/* Milters (smtpd(8) MILTERS); per service with -o in master.conf. */
	{ "smtpd_milters", CONF_STR, "", &var_smtpd_milters, 0, 0,
	    "milters (Sendmail milter protocol 6) that see each message at the "
	    "end of DATA, in order, separated by commas or spaces: "
	    "inet:address:port or unix:path (relative to queue_directory; "
	    "absolute paths are inside its jail); empty: none" },
	{ "milter_connect_timeout", CONF_TIME, "30s",
	    &var_milter_connect_timeout, 1, 3600,
	    "time to connect to a milter and agree on the protocol" },
	{ "milter_command_timeout", CONF_TIME, "30s",
	    &var_milter_command_timeout, 1, 3600,
	    "time a milter may take to answer one command (CONNECT, HELO, "
	    "MAIL, RCPT, a header field)" },
	{ "milter_content_timeout", CONF_TIME, "300s",
	    &var_milter_content_timeout, 1, 3600,
	    "time a milter may take to answer a body chunk or the end of the "
	    "message (a PROGRESS reply starts it again)" },
	{ "milter_default_action", CONF_STR, "tempfail",
	    &var_milter_default_action, 0, 0,
	    "what a message gets when a milter cannot be reached, times out "
	    "or breaks the protocol: tempfail (451 4.7.1), accept (as if that "
	    "milter were not configured) or reject (550 5.7.1)" },
	{ "milter_reply_limit", CONF_SIZE, "64k", &var_milter_reply_limit,
	    1024, 16u << 20, "largest packet accepted from a milter; a longer "
	    "one counts as a protocol error" },

	/* qmgr (qmgr(8)) */
	{ "queue_run_delay", CONF_TIME, "300s", &var_queue_run_delay, 1,
	    86400, "how often the deferred queue is scanned" },
	{ "minimal_backoff_time", CONF_TIME, "300s",
	    &var_minimal_backoff_time, 1, 86400 * 7,
	    "least time before a deferred message is tried again" },
	{ "maximal_backoff_time", CONF_TIME, "4000s",
	    &var_maximal_backoff_time, 1, 86400 * 7,
	    "most time between two tries of a deferred message" },
	{ "maximal_queue_lifetime", CONF_TIME, "5d",
	    &var_maximal_queue_lifetime, 0, 86400 * 100,
	    "after this a deferred message is returned to its sender" },
	{ "delay_warning_time", CONF_TIME, "4h", &var_delay_warning_time, 0,
	    86400 * 100, "tell the sender once when a message has waited "
	    "this long and is still being retried (a DSN with Action: "
	    "delayed, for recipients that gave no NOTIFY or NOTIFY with "
	    "DELAY); 0: never" },
	{ "local_destination_concurrency_limit", CONF_INT, "8",
	    &var_local_concurrency_limit, 1, 1000,
	    "local deliveries at once" },
	{ "qmgr_message_active_limit", CONF_INT, "10000",
	    &var_qmgr_active_limit, 10, 1000000,
	    "messages qmgr holds in memory at once" },
	{ "delivery_timeout", CONF_TIME, "300s", &var_delivery_timeout, 1,
	    86400, "time a delivery agent has to answer for one message" },
	{ "bounce_size_limit", CONF_SIZE, "50k", &var_bounce_size_limit, 0,
	    UINT64_C(1) << 30,
	    "most of the original message a bounce returns" },
	{ "local_transport", CONF_STR, "local", &var_local_transport, 0, 0,
	    "the service (master.conf) that delivers to local mailboxes" },
	{ "relay_transport", CONF_STR, "smtp-out", &var_relay_transport, 0,
	    0, "the service (master.conf) that delivers to other hosts" },

	/* Users and keys (authd(8), cryptd(8), postern-crypto(7)) */
	{ "auth_users_map", CONF_STR, "hash:$auth_directory/users",
	    &var_auth_users_map, 0, 0, "password verifiers and wrapped "
	    "private keys; only authd and postern user read it" },
	{ "password_hash_ops", CONF_INT, "2", &var_password_hash_ops, 1, 20,
	    "Argon2id passes for a new password (crypto_pwhash opslimit)" },
	{ "password_hash_memory", CONF_SIZE, "64m",
	    &var_password_hash_memory, 8192, UINT64_C(4) << 30,
	    "Argon2id memory for a new password (crypto_pwhash memlimit)" },
	{ "cryptd_session_timeout", CONF_TIME, "30m",
	    &var_cryptd_session_timeout, 10, 86400 * 7,
	    "a logged-in user's unlocked key is wiped after this long unused" },
	{ "cryptd_session_limit", CONF_INT, "10000",
	    &var_cryptd_session_limit, 1, 10000000,
	    "unlocked sessions cryptd holds at once" },
	{ "auth_failure_delay_max", CONF_TIME, "4s",
	    &var_auth_failure_delay_max, 0, 60,
	    "longest delay before answering a failed login; delays grow "
	    "from 0.25s with each recent failure of the address or account" },
	{ "auth_block_threshold", CONF_INT, "20", &var_auth_block_threshold,
	    1, 100000, "failed logins from one client address within a minute "
	    "that block it for auth_block_time" },
	{ "authd_hash_threads", CONF_INT, "2", &var_authd_hash_threads, 1,
	    64, "Argon2id runs authd does at once (each takes "
	    "password_hash_memory)" },
	{ "auth_block_time", CONF_TIME, "10m", &var_auth_block_time, 1, 86400,
	    "how long a client address stays blocked" },

	/* DNS (every daemon that asks) */
	{ "dns_resolvers", CONF_STR, "", &var_dns_resolvers, 0, 0,
	    "the DNS servers to ask, IPv4 address[:port] separated by commas "
	    "(empty: those of /etc/resolv.conf)" },
	{ "dns_timeout", CONF_TIME, "2s", &var_dns_timeout, 1, 30,
	    "time one DNS server has to answer one try (two tries each)" },

	/* imapd (imapd(8)); per service with -o in master.conf. */
	{ "imapd_tls_wrapper", CONF_BOOL, "no", &var_imapd_tls_wrapper, 0, 0,
	    "TLS from the first byte (port 993)" },
	{ "imapd_starttls", CONF_BOOL, "yes", &var_imapd_starttls, 0, 0,
	    "offer STARTTLS on the plain port (RFC 3501 6.2.1)" },
	{ "imapd_cleartext_login", CONF_STR, "loopback",
	    &var_imapd_cleartext_login, 0, 0,
	    "where LOGIN and AUTHENTICATE work without TLS: no, loopback "
	    "(clients on 127.0.0.0/8 and ::1) or yes; elsewhere the server "
	    "says LOGINDISABLED" },
	{ "imapd_line_limit", CONF_SIZE, "64k", &var_imapd_line_limit, 1024,
	    1048576, "longest command line, literals not counted (then BAD "
	    "[TOOBIG])" },
	{ "imapd_literal_limit", CONF_SIZE, "64k", &var_imapd_literal_limit,
	    1024, UINT64_C(1) << 30, "largest literal outside APPEND, and "
	    "all literals of one command together (APPEND may send up to "
	    "message_size_limit)" },
	{ "imapd_bad_command_limit", CONF_INT, "20",
	    &var_imapd_bad_command_limit, 1, 10000,
	    "BAD responses in a row before BYE and disconnect" },
	{ "imapd_login_timeout", CONF_TIME, "60s", &var_imapd_login_timeout,
	    5, 3600, "time a client has to log in (not-authenticated state)"
	    },
	{ "imapd_timeout", CONF_TIME, "30m", &var_imapd_timeout, 60, 86400,
	    "autologout after this long without a command once logged in, "
	    "also during IDLE (RFC 9051 5.4: at least 30 minutes)" },
	{ "imapd_user_connection_limit", CONF_INT, "10",
	    &var_imapd_user_connection_limit, 0, 100000,
	    "sessions one user may have from one client address on this "
	    "service (0: no limit)" },
	{ "imapd_idle_interval", CONF_TIME, "5s",
	    &var_imapd_idle_interval, 1, 3600, "how often an IDLE session "
	    "looks for changes when inotify has not told of any (a "
	    "fallback: inotify reports deliveries at once)" },
	{ "imapd_special_folders", CONF_STR,
	    "Sent Drafts Junk Trash Archive", &var_imapd_special_folders, 0,
	    0, "folders made at a user's first login, with their SPECIAL-USE "
	    "attribute (RFC 6154)" },

	/* pop3d (pop3d(8)); per service with -o in master.conf. */
	{ "pop3d_tls_wrapper", CONF_BOOL, "no", &var_pop3d_tls_wrapper, 0, 0,
	    "TLS from the first byte (port 995)" },
	{ "pop3d_starttls", CONF_BOOL, "yes", &var_pop3d_starttls, 0, 0,
	    "offer STLS on the plain port (RFC 2595 4)" },
	{ "pop3d_cleartext_login", CONF_STR, "loopback",
	    &var_pop3d_cleartext_login, 0, 0,
	    "where USER, PASS and AUTH work without TLS: no, loopback "
	    "(clients on 127.0.0.0/8 and ::1) or yes; elsewhere they get "
	    "-ERR [AUTH] and CAPA lists neither USER nor SASL" },
	{ "pop3d_line_limit", CONF_SIZE, "1k", &var_pop3d_line_limit, 256,
	    65536, "longest command line (RFC 2449 4: 255 octets; AUTH "
	    "responses may need more)" },
	{ "pop3d_bad_command_limit", CONF_INT, "10",
	    &var_pop3d_bad_command_limit, 1, 10000,
	    "unknown, malformed or misplaced commands in a row before the "
	    "session is closed" },
	{ "pop3d_timeout", CONF_TIME, "10m", &var_pop3d_timeout, 10, 86400,
	    "inactivity before the session is closed without UPDATE (RFC "
	    "1939 3 asks for at least 10 minutes)" },
	{ "pop3d_user_connection_limit", CONF_INT, "3",
	    &var_pop3d_user_connection_limit, 0, 100000,
	    "sessions one user may have from one client address on this "
	    "service (0: no limit)" },
	{ "pop3d_expire", CONF_STR, "NEVER", &var_pop3d_expire, 0, 0,
	    "the EXPIRE capability (RFC 2449 6.7): days the server keeps "
	    "retrieved mail, or NEVER; announced only, Postern deletes "
	    "nothing by itself" },
	{ "pop3d_login_delay", CONF_TIME, "0", &var_pop3d_login_delay, 0,
	    86400, "least time between two logins of one user on a service "
	    "(LOGIN-DELAY, RFC 2449 6.8; 0: none, not announced)" },

	/* local (local(8)) */
	{ "local_extension_folders", CONF_BOOL, "no",
	    &var_local_extension_folders, 0, 0,
	    "deliver user+tag into the user's folder tag when it exists" },
	{ "local_junk_folder", CONF_STR, "Junk", &var_local_junk_folder, 0, 0,
	    "the folder that quarantined messages (DMARC p=quarantine) are "
	    "delivered to; made when missing" },
	{ "expire_from_header", CONF_BOOL, "yes",
	    &var_expire_from_header, 0, 0,
	    "honour a message's Expires: field (RFC 4021) at delivery (local) "
	    "and APPEND (imapd): record its time in the clear so that "
	    "expire(8) deletes the message then" },

	/* expire (expire(8)) */
	{ "expire_sweep_interval", CONF_TIME, "30s",
	    &var_expire_sweep_interval, 1, 3600,
	    "how often expire(8) deletes messages whose Expires: time has "
	    "passed" },
	{ "expire_retention_interval", CONF_TIME, "1h",
	    &var_expire_retention_interval, 1, 604800,
	    "how often expire(8) walks every mailbox for folder retention "
	    "(and for expiring messages the sweep missed); also once at start" },
	{ "expire_folder_retention", CONF_STR, "Junk=30d, Trash=30d",
	    &var_expire_folder_retention, 0, 0,
	    "folder=time pairs: messages that arrived in such a folder longer "
	    "ago than its time are deleted (0 or empty: kept forever)" },
	{ "expire_clock_offset", CONF_TIME, "0", &var_expire_clock_offset, 0,
	    3650 * 86400,
	    "for testing only: seconds added to expire(8)'s idea of now" },

	/* The Bayesian classifier (lib/mail/bayes.h, postern(1) spam) */
	{ "bayes_min_spam", CONF_INT, "20", &var_bayes_min_spam, 1, 1000000,
	    "spam messages a token database must have learned before its "
	    "verdicts count" },
	{ "bayes_min_ham", CONF_INT, "20", &var_bayes_min_ham, 1, 1000000,
	    "ham (good) messages a token database must have learned before "
	    "its verdicts count" },
	{ "bayes_scan_limit", CONF_SIZE, "256k", &var_bayes_scan_limit, 1024,
	    1073741824, "bytes of a message read to classify or learn it "
	    "(the rest is not looked at)" },
	{ "bayes_token_limit", CONF_INT, "500000", &var_bayes_token_limit,
	    1000, 100000000, "distinct tokens a token database keeps; when "
	    "training goes past it, the rarest are dropped" },
	{ "bayes_learned_limit", CONF_INT, "200000", &var_bayes_learned_limit,
	    100, 100000000, "messages a token database remembers having "
	    "learned (so that learning one twice changes nothing); the "
	    "oldest are forgotten first" },
	{ "spam_user_learning", CONF_BOOL, "yes", &var_spam_user_learning, 0,
	    0, "whether imapd trains the user's own token database when "
	    "the user moves or copies a message into the Junk folder (spam) "
	    "or out of it (ham)" },
	{ "spam_user_learning_limit", CONF_INT, "100",
	    &var_spam_user_learning_limit, 0, 100000, "messages one COPY or "
	    "MOVE command learns at most (each costs a decryption of up to "
	    "bayes_scan_limit bytes while the session waits); the rest are "
	    "moved without being learned" },

	/* smtp (smtp(8)), and what qmgr(8) does for it */
	{ "transport_maps", CONF_STR, "", &var_transport_maps, 0, 0,
	    "domain (or .parent for its subdomains) to \"smtp:nexthop\": "
	    "\"smtp:[host]:port\" skips the MX lookup, \"smtp:host\" "
	    "uses host's MX records; empty: no table, mail goes to each "
	    "domain's MX hosts" },
	{ "smtp_concurrency_limit", CONF_INT, "20",
	    &var_smtp_concurrency_limit, 1, 1000,
	    "deliveries to other hosts at once, all destinations together "
	    "(qmgr's connections to relay_transport)" },
	{ "smtp_destination_concurrency_limit", CONF_INT, "20",
	    &var_smtp_dest_concurrency_limit, 1, 1000,
	    "deliveries at once to one next hop (a domain, or a "
	    "transport_maps next hop)" },
	{ "smtp_destination_rate_delay", CONF_TIME, "0s",
	    &var_smtp_dest_rate_delay, 0, 3600,
	    "least time between two deliveries to one next hop (0: none)" },
	{ "smtp_port", CONF_INT, "25", &var_smtp_port, 1, 65535,
	    "the port of MX hosts and of next hops given without one" },
	{ "smtp_helo_name", CONF_STR, "$myhostname", &var_smtp_helo_name, 0,
	    0, "the name smtp gives in EHLO and HELO" },
	{ "smtp_tls_security_level", CONF_STR, "may",
	    &var_smtp_tls_security_level, 0, 0,
	    "TLS to other hosts: none, may (STARTTLS when offered, "
	    "certificate not checked), encrypt (STARTTLS or defer), verify "
	    "(STARTTLS with a certificate for the host name that "
	    "smtp_tls_ca_file vouches for, or defer)" },
	{ "smtp_tls_policy_maps", CONF_STR, "", &var_smtp_tls_policy_maps, 0,
	    0, "next hop to a TLS level (none, may, encrypt, verify) that "
	    "replaces smtp_tls_security_level for it; empty: no table" },
	{ "smtp_tls_ca_file", CONF_STR, "/etc/ssl/certs/ca-certificates.crt",
	    &var_smtp_tls_ca_file, 0, 0, "the roots smtp trusts for the "
	    "verify level (PEM; read before the chroot)" },
	{ "smtp_connect_timeout", CONF_TIME, "30s", &var_smtp_connect_timeout,
	    1, 3600, "time to set up one TCP connection to a host" },
	{ "smtp_helo_timeout", CONF_TIME, "300s", &var_smtp_helo_timeout, 1,
	    3600, "time to wait for the greeting and the answers to EHLO, "
	    "HELO and STARTTLS, and for the TLS handshake" },
	{ "smtp_command_timeout", CONF_TIME, "300s",
	    &var_smtp_command_timeout, 1, 3600, "time to send a command and "
	    "read its answer: MAIL, RCPT, DATA, RSET, QUIT (RFC 5321 "
	    "4.5.3.2)" },
	{ "smtp_data_timeout", CONF_TIME, "600s", &var_smtp_data_timeout, 1,
	    86400, "time to send each part of a message, and to wait for the "
	    "answer after its final dot (RFC 5321 4.5.3.2.6: 10 minutes)" },
	{ "smtp_mx_address_limit", CONF_INT, "5", &var_smtp_mx_address_limit,
	    1, 100, "addresses of MX hosts tried for one delivery" },
	{ "smtp_reply_limit", CONF_SIZE, "4k", &var_smtp_reply_limit, 512,
	    65536, "longest reply line taken from a server; longer is an "
	    "error, deferred (RFC 5321 4.5.3.1.5: 512)" },
	{ "smtp_connection_reuse_time", CONF_TIME, "2s",
	    &var_smtp_connection_reuse_time, 0, 300,
	    "how long an smtp process keeps an idle connection open for the "
	    "next message to the same next hop (0: QUIT after each)" },
	{ "smtp_dns_support_level", CONF_STR, "enabled",
	    &var_smtp_dns_support_level, 0, 0, "enabled, or dnssec: the "
	    "resolvers of dns_resolvers validate DNSSEC and are trusted (on "
	    "this host or over a trusted path), so smtp believes the AD bit "
	    "of their answers and uses DANE TLSA records (RFC 7672) that "
	    "come with it" },
	CONF_END
};

void
params_tls_server(struct tls_settings *ts)
{
	*ts = (struct tls_settings){
		.cert_file = var_tls_cert_file,
		.key_file = var_tls_key_file,
		.ciphers = var_tls_ciphers,
		.ciphersuites = var_tls_ciphersuites,
		.min_version = var_tls_min_version,
	};
}

SSL_CTX *
params_tls_server_ctx(bool starttls, bool wrapper)
{
	struct tls_settings ts;
	const char *why;
	SSL_CTX *ctx;

	if (!starttls && !wrapper)
		return NULL;
	params_tls_server(&ts);
	if ((ctx = tls_server_ctx_new(&ts, &why)) != NULL)
		return ctx;
	if (wrapper)
		msg_fatal("TLS: %s (tls_cert_file=%s, tls_key_file=%s)", why,
		    var_tls_cert_file, var_tls_key_file);
	msg_warn("TLS: %s (tls_cert_file=%s, tls_key_file=%s); STARTTLS is "
	    "not offered", why, var_tls_cert_file, var_tls_key_file);
	return NULL;
}

int
params_smtp_tls_level(const char *word)
{
	static const char *const names[] = { "none", "may", "encrypt",
	    "verify" };

	for (int i = 0; i < 4; i++)
		if (strcasecmp(word, names[i]) == 0)
			return i;
	return -1;
}

void
params_register(void)
{
	conf_register(daemon_params);
	conf_register(mail_params);
	conf_register(spam_params);
}

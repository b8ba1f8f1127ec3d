/*
 * NAME
 *	smtp - the outbound SMTP delivery agent
 * DESCRIPTION
 *	See smtp(8).  qmgr connects (through master) and sends DELIVER
 *	requests (lib/mail/proto_local.h, minor 1), one at a time per
 *	connection, each with the queue file's descriptor and the
 *	recipient's next hop; smtp finds the next hop's mail hosts, speaks
 *	SMTP to them, logs the outcome and answers: delivered, deferred
 *	(4xx, no connection, TLS required and not had), or bounced (5xx).
 *	One delivery at a time per process: master.conf gives the service
 *	client_limit=1, and its process_limit is how many run at once.
 * SECURITY
 *	Network facing as a client: every reply from a server is read
 *	with a length limit and a deadline, and its text only ever goes
 *	into logs and bounces.  Runs as mail_owner, chrooted to the queue
 *	directory, and holds nothing secret: it reads queue files only
 *	through the read-only descriptors qmgr hands it.  A compromise
 *	could read the messages it is given and send mail anywhere.
 * SEE ALSO
 *	Postfix src/smtp/smtp.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "mail/agent.h"
#include "mail/dns.h"
#include "mail/params.h"
#include "mail/proto_local.h"
#include "smtp/smtp.h"
#include "util/daemon.h"
#include "util/log.h"
#include "util/tls.h"

SSL_CTX *smtp_tls_ctx;
bool smtp_dnssec;

/* delay_s - seconds since arrival (microseconds since the epoch) */
static double
delay_s(uint64_t arrival_us)
{
	struct timeval now;
	double d;

	gettimeofday(&now, NULL);
	d = (double)now.tv_sec + (double)now.tv_usec / 1e6 -
	    (double)arrival_us / 1e6;
	return arrival_us == 0 || d < 0 ? 0 : d;
}

/* on_msg - one DELIVER */
static void
on_msg(struct ipc_conn *c, struct ipc_msg *m, void *ctx)
{
	struct smtp_job j = { 0 };
	struct smtp_result r;

	(void)ctx;
	if (agent_request_get(c, m, &j.req) < 0)
		return;
	j.body = "7BIT";
	if (ipc_get_str(m, "nexthop", IPC_REQUIRED, &j.nexthop) < 0 ||
	    ipc_get_str(m, "body", IPC_OPTIONAL, &j.body) < 0 ||
	    ipc_get_bool(m, "smtputf8", IPC_OPTIONAL, &j.smtputf8) < 0 ||
	    ipc_get_bool(m, "sign", IPC_OPTIONAL, &j.sign) < 0 ||
	    ipc_get_u64(m, "arrival", IPC_OPTIONAL, &j.arrival_us) < 0 ||
	    ipc_get_str(m, "ret", IPC_OPTIONAL, &j.ret) < 0 ||
	    ipc_get_str(m, "envid", IPC_OPTIONAL, &j.envid) < 0 ||
	    ipc_get_str(m, "orcpt", IPC_OPTIONAL, &j.orcpt) < 0 ||
	    ipc_get_u64(m, "notify", IPC_OPTIONAL, &j.notify) < 0) {
		agent_malformed(c, &j.req);
		return;
	}
	smtp_deliver(&j, &r);
	msg_info("%s: to=<%s>, relay=%s, delay=%.2f, dsn=%s, status=%s (%s)",
	    j.req.qid, j.req.recipient, r.relay, delay_s(j.arrival_us), r.dsn,
	    r.status == IPC_OK ? "sent" : r.status == IPC_EFAIL ? "bounced" :
	    "deferred", r.text);
	agent_answer_dsn(c, j.req.id, (uint64_t)r.status, r.dsn, r.text,
	    r.dsn_relay);
}

/* on_accept - qmgr connected */
static void
on_accept(int fd, unsigned li)
{
	(void)li;
	daemon_ipc_serve(fd, LOCAL_PROTO, LOCAL_MAJOR, LOCAL_MINOR, on_msg,
	    NULL);
}

/* pre_jail - the resolver and the TLS context need files outside */
static void
pre_jail(void)
{
	struct tls_settings ts = {
		.ca_file = var_smtp_tls_ca_file[0] != '\0' &&
		    access(var_smtp_tls_ca_file, R_OK) == 0 ?
		    var_smtp_tls_ca_file : NULL,
		.ciphers = var_tls_ciphers,
		.ciphersuites = var_tls_ciphersuites,
		.min_version = var_tls_min_version,
	};
	const char *why;

	if (dns_setup(var_dns_resolvers, (unsigned)var_dns_timeout, &why) < 0)
		msg_fatal("%s (dns_resolvers=%s)", why, var_dns_resolvers);
	if (strcmp(var_smtp_dns_support_level, "dnssec") == 0)
		smtp_dnssec = true;
	else if (strcmp(var_smtp_dns_support_level, "enabled") != 0)
		msg_fatal("smtp_dns_support_level = %s: not enabled or dnssec",
		    var_smtp_dns_support_level);
	if (smtp_dnssec)
		dns_trust_ad();
	if (var_smtp_tls_ca_file[0] != '\0' && ts.ca_file == NULL)
		msg_warn("smtp_tls_ca_file = %s: cannot read it; no server "
		    "certificate can be verified", var_smtp_tls_ca_file);
	smtp_tls_ctx = tls_client_ctx_new(&ts, &why);
	if (smtp_tls_ctx == NULL)
		msg_warn("TLS: %s; STARTTLS is not used", why);
	else if (smtp_dnssec) {
		if (SSL_CTX_dane_enable(smtp_tls_ctx) <= 0)
			msg_fatal("TLS: cannot enable DANE");
		/* RFC 7672 3.1.1: DANE-EE(3) pins the key, not a name. */
		(void)SSL_CTX_dane_set_flags(smtp_tls_ctx,
		    DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	}
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
}

/* on_stop - no new delivery will come */
static void
on_stop(void)
{
	smtp_idle_close();
}

int
main(int argc, char **argv)
{
	static const struct daemon_spec spec = {
		.user_param = "mail_owner",
		.chroot_param = "queue_directory",
		.pre_jail = pre_jail,
		.post_jail = smtp_policy_open,
		.on_accept = on_accept,
		.on_stop = on_stop,
	};

	params_register();
	daemon_main(argc, argv, &spec);
}

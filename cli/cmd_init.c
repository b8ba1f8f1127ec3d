/*
 * NAME
 *	cmd_init - postern init: write a complete, self-contained instance
 * DESCRIPTION
 *	Everything the instance needs lives under one directory: both
 *	configuration files with every path under it, a self-signed TLS
 *	certificate, and the queue, store, key, auth, run and log
 *	directories.  Services listen on 127.0.0.1 at port-base + the
 *	standard port; a service whose daemon is not built yet is left out
 *	of master.conf.  Run as root, it also creates the system users.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "paths.h"
#include "cli/cli.h"
#include "mail/params.h"
#include "mail/queue.h"
#include "util/map.h"
#include "util/mem.h"
#include "util/strnum.h"
#include "util/tls.h"

/* The services of a full instance, in master.conf order. */
static const struct init_service {
	const char *name;
	const char *type;
	unsigned port;		/* added to the port base; 0: unix */
	const char *command;
	const char *args;
} init_services[] = {
	{ "smtp", "inet", 25, "smtpd", "" },
	{ "submission", "inet", 587, "smtpd", "-o smtpd_submission=yes" },
	{ "smtps", "inet", 465, "smtpd",
	    "-o smtpd_submission=yes -o smtpd_tls_wrapper=yes" },
	{ "imap", "inet", 143, "imapd", "" },
	{ "imaps", "inet", 993, "imapd", "-o imapd_tls_wrapper=yes" },
	{ "pop3", "inet", 110, "pop3d", "" },
	{ "pop3s", "inet", 995, "pop3d", "-o pop3d_tls_wrapper=yes" },
	{ "qmgr", "unix", 0, "qmgr", "-o process_min=1" },
	{ "local", "unix", 0, "local", "-o client_limit=1" },
	{ "expire", "unix", 0, "expire", "-o process_min=1" },
	{ "smtp-out", "unix", 0, "smtp", "-o client_limit=1" },
	{ "authd", "unix", 0, "authd",
	    "-o allowed_clients=submission,smtps,imap,imaps,pop3,pop3s" },
	{ "cryptd", "unix", 0, "cryptd",
	    "-o allowed_clients=authd,imap,imaps,pop3,pop3s,smtp-out" },
	{ NULL, NULL, 0, NULL, NULL },
};

/* The directories: name, mode, owner parameter (root only). */
static const struct init_dir {
	const char *name;
	unsigned mode;
	const char *owner;
} init_dirs[] = {
	{ "queue", 0700, "mail_owner" },
	{ "store", 0700, "store_owner" },
	{ "auth", 0700, "auth_owner" },
	{ "keys", 0700, "crypt_owner" },
	{ "run", 0755, NULL },
	{ "tls", 0755, NULL },
	{ "log", 0755, NULL },
	{ NULL, 0, NULL },
};

static const char *const system_users[] = {
	"postern", "postern-mail", "postern-auth", "postern-crypt", NULL,
};

/* find_daemon_dir - the installed daemons, or those beside this binary */
static char *
find_daemon_dir(void)
{
	char exe[PATH_MAX], *slash, *dir, *probe;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			/* sbin/postern and libexec/postern/ are siblings in
			 * the build tree and in the installed tree alike. */
			dir = xasprintf("%s/../libexec/postern", exe);
			probe = xasprintf("%s/master", dir);
			if (access(probe, X_OK) == 0) {
				char real[PATH_MAX];

				free(probe);
				if (realpath(dir, real) != NULL) {
					free(dir);
					return xstrdup(real);
				}
				return dir;
			}
			free(probe);
			free(dir);
		}
	}
	return xstrdup(POSTERN_DAEMON_DIR);
}

/* make_user - create a system user and its group if missing */
static int
make_user(const char *name)
{
	pid_t pid;
	int status;

	if (getpwnam(name) != NULL)
		return 0;
	pid = fork();
	if (pid == 0) {
		execlp("useradd", "useradd", "--system", "--user-group",
		    "--no-create-home", "--home-dir", "/nonexistent",
		    "--shell", "/usr/sbin/nologin", "--comment",
		    "Postern mail server", name, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "postern init: cannot create system user %s "
		    "(useradd failed)\n", name);
		return -1;
	}
	printf("postern init: created system user %s\n", name);
	return 0;
}

/* owner_of - the default user for an owner parameter */
static const char *
owner_of(const char *param)
{
	const struct conf_def *d = conf_def_find(param);

	return d != NULL ? d->def : NULL;
}

/* write_file - create path with text, failing if it exists */
static int
write_file(const char *path, const char *text, unsigned mode)
{
	FILE *fp;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "postern init: cannot create %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	fputs(text, fp);
	if (fflush(fp) != 0 || fsync(fd) < 0 || fclose(fp) != 0) {
		fprintf(stderr, "postern init: cannot write %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* master_conf_text - the service table, with what is built; a system
 * table (daemon_dir NULL) lists every service on every address at the
 * standard ports */
static char *
master_conf_text(const char *daemon_dir, unsigned base)
{
	struct buf b = BUF_INIT;
	int rc = 0;

	rc |= buf_append_str(&b,
	    "# master.conf - Postern service table; see master.conf(5).\n"
	    "# A line per service; \"-\" takes the default.  -o name=value\n"
	    "# overrides a postern.conf setting for that service alone.\n"
	    "#\n"
	    "# service    type  listen               unpriv chroot limit "
	    "command\n");
	for (const struct init_service *s = init_services; s->name != NULL;
	    s++) {
		char *probe = daemon_dir == NULL ? NULL :
		    xasprintf("%s/%s", daemon_dir, s->command);
		bool built = probe == NULL || access(probe, X_OK) == 0;
		char listen[64];

		free(probe);
		if (s->port > 0)
			snprintf(listen, sizeof(listen), "%s:%u",
			    daemon_dir == NULL ? "*" : "127.0.0.1",
			    base + s->port);
		else
			snprintf(listen, sizeof(listen), "%s", s->name);
		/* One queue manager: it alone moves queue files; one
		 * sweeper: two would only race for the same messages. */
		rc |= buf_appendf(&b, "%s%-12s %-5s %-20s -      -      %-5s "
		    "%s%s%s\n", built ? "" : "#", s->name, s->type, listen,
		    strcmp(s->command, "qmgr") == 0 ||
		    strcmp(s->command, "expire") == 0 ? "1" : "-",
		    s->command, s->args[0] != '\0' ? " " : "", s->args);
	}
	rc |= buf_append_str(&b, "# Lines starting with # name services "
	    "whose daemon is not built yet.\n");
	if (rc != 0) {
		buf_free(&b);
		return NULL;
	}
	{
		char *text = xstrdup(buf_cstr(&b));

		buf_free(&b);
		return text;
	}
}

/* init_queue_and_maps - queue directories and recipient tables of the
 * instance configured in config_dir, and domain (if any) made local */
static int
init_queue_and_maps(const char *config_dir, const char *domain)
{
	struct conf *c;
	struct svc_table t;
	struct map *m;
	const char *which;
	int qfd;
	struct passwd *pw;

	cli_config_dir = config_dir;
	if (cli_load(&c, &t, true) < 0)
		return -1;
	pw = geteuid() == 0 ? getpwnam(owner_of("mail_owner")) : NULL;
	qfd = open(var_queue_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (qfd < 0 || queue_make_dirs(qfd, &which) < 0) {
		fprintf(stderr, "postern init: cannot create %s/%s: %s\n",
		    var_queue_dir, qfd < 0 ? "" : which, strerror(errno));
		return -1;
	}
	for (const char *const *d = queue_dirs; pw != NULL && *d != NULL;
	    d++)
		if (fchownat(qfd, *d, pw->pw_uid, pw->pw_gid, 0) < 0) {
			fprintf(stderr, "postern init: cannot give %s/%s to "
			    "%s\n", var_queue_dir, *d, pw->pw_name);
			return -1;
		}
	close(qfd);
	/* Empty tables, so that every daemon finds what it opens. */
	m = cli_map_edit("local_domains_map", var_local_domains_map);
	map_close(&m);
	m = cli_map_edit("local_users_map", var_local_users_map);
	map_close(&m);
	m = cli_map_edit("alias_map", var_alias_map);
	map_close(&m);
	m = cli_auth_map();
	map_close(&m);
	svc_table_free(&t);
	conf_free(&c);
	return domain != NULL && cli_domain_add(domain) != 0 ? -1 : 0;
}

/* usage - how to call init */
static int
usage(void)
{
	fprintf(stderr, "usage: postern init DIR [--domain D] [--hostname H] "
	    "[--port-base N]\n"
	    "       postern init --system-config DIR\n"
	    "       postern [-c DIR] init --system\n");
	return 2;
}

/* system_config - the packaged /etc/postern: the build's paths are the
 * defaults, so postern.conf names none; master.conf is the same table as
 * an instance's, at the standard ports on every address.  The text
 * depends on nothing but this source, so builds are reproducible. */
static int
system_config(const char *dir)
{
	char *path, *text;
	int rc = 0;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "postern init: cannot create %s: %s\n", dir,
		    strerror(errno));
		return 1;
	}
	path = xasprintf("%s/postern.conf", dir);
	(void)unlink(path);
	rc |= write_file(path,
	    "# postern.conf - Postern settings; see postern.conf(5).\n"
	    "# Every setting has a default; `postern config -d` lists them,\n"
	    "# `postern config -n` those changed here.  Set at least:\n\n"
	    "#myhostname = mail.example.org\n"
	    "#mydomain = example.org\n\n"
	    "# TLS: the package makes a self-signed certificate here if\n"
	    "# none exists; point these at your own.\n"
	    "#tls_cert_file = $config_directory/tls/cert.pem\n"
	    "#tls_key_file = $config_directory/tls/key.pem\n", 0644);
	free(path);
	path = xasprintf("%s/master.conf", dir);
	(void)unlink(path);
	text = master_conf_text(NULL, 0);
	rc |= text == NULL ? -1 : write_file(path, text, 0644);
	free(text);
	free(path);
	return rc != 0 ? 1 : 0;
}

int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "hostname", required_argument, NULL, 'h' },
		{ "port-base", required_argument, NULL, 'p' },
		{ "system-config", required_argument, NULL, 's' },
		{ "system", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const char *domain = "example.test", *hostname = NULL, *why;
	char real[PATH_MAX], *path, *daemon_dir, *text, *host_buf = NULL;
	uint64_t base = 10000;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			domain = optarg;
			break;
		case 'h':
			hostname = optarg;
			break;
		case 'p':
			if (strnum_u64(optarg, 0, 64000, &base, &why) < 0) {
				fprintf(stderr, "postern init: --port-base %s "
				    "%s (0 to 64000)\n", optarg, why);
				return 2;
			}
			break;
		case 's':
			return system_config(optarg);
		case 'S':
			/* The packaged instance: its directories come from
			 * tmpfiles.d, its users from sysusers.d; this adds
			 * what lives inside them.  Safe to run again. */
			return init_queue_and_maps(cli_config_dir, NULL) < 0 ?
			    1 : 0;
		default:
			return usage();
		}
	}
	if (optind + 1 != argc)
		return usage();
	if (hostname == NULL)
		hostname = host_buf = xasprintf("mail.%s", domain);
	if (mkdir(argv[optind], 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "postern init: cannot create %s: %s\n",
		    argv[optind], strerror(errno));
		return 1;
	}
	if (realpath(argv[optind], real) == NULL) {
		fprintf(stderr, "postern init: %s: %s\n", argv[optind],
		    strerror(errno));
		return 1;
	}
	path = xasprintf("%s/postern.conf", real);
	if (access(path, F_OK) == 0) {
		fprintf(stderr, "postern init: %s already exists; %s is "
		    "already an instance\n", path, real);
		return 1;
	}
	free(path);
	if (geteuid() == 0)
		for (size_t i = 0; system_users[i] != NULL; i++)
			if (make_user(system_users[i]) < 0)
				return 1;
	for (const struct init_dir *d = init_dirs; d->name != NULL; d++) {
		path = xasprintf("%s/%s", real, d->name);
		if (mkdir(path, d->mode) < 0 && errno != EEXIST) {
			fprintf(stderr, "postern init: cannot create %s: %s\n",
			    path, strerror(errno));
			return 1;
		}
		(void)chmod(path, d->mode);
		if (geteuid() == 0 && d->owner != NULL) {
			struct passwd *pw = getpwnam(owner_of(d->owner));

			if (pw == NULL || chown(path, pw->pw_uid,
			    pw->pw_gid) < 0) {
				fprintf(stderr, "postern init: cannot give %s "
				    "to %s\n", path, owner_of(d->owner));
				return 1;
			}
		}
		free(path);
	}
	daemon_dir = find_daemon_dir();
	text = xasprintf(
	    "# postern.conf - written by postern init; see postern.conf(5).\n"
	    "# `postern -c %s config -d` lists every setting with its "
	    "default.\n\n"
	    "myhostname = %s\n"
	    "mydomain = %s\n\n"
	    "daemon_directory = %s\n"
	    "run_directory = %s/run\n"
	    "queue_directory = %s/queue\n"
	    "store_directory = %s/store\n"
	    "auth_directory = %s/auth\n"
	    "key_directory = %s/keys\n"
	    "maillog_file = %s/log/postern.log\n\n"
	    "tls_cert_file = %s/tls/cert.pem\n"
	    "tls_key_file = %s/tls/key.pem\n",
	    real, hostname, domain, daemon_dir, real, real, real, real, real,
	    real, real, real);
	path = xasprintf("%s/postern.conf", real);
	if (write_file(path, text, 0644) < 0)
		return 1;
	free(path);
	free(text);
	text = master_conf_text(daemon_dir, (unsigned)base);
	path = xasprintf("%s/master.conf", real);
	if (text == NULL || write_file(path, text, 0644) < 0)
		return 1;
	free(path);
	free(text);
	{
		char *cert = xasprintf("%s/tls/cert.pem", real);
		char *key = xasprintf("%s/tls/key.pem", real);

		if (tls_selfsigned_write(cert, key, hostname, &why) < 0) {
			fprintf(stderr, "postern init: TLS certificate: %s\n",
			    why);
			return 1;
		}
		free(cert);
		free(key);
	}
	if (init_queue_and_maps(real, domain) < 0)
		return 1;
	printf("postern init: created instance %s (domain %s, host %s, "
	    "ports %llu+)\n"
	    "start it with: postern -c %s start\n", real, domain, hostname,
	    (unsigned long long)base, real);
	free(daemon_dir);
	free(host_buf);
	return 0;
}

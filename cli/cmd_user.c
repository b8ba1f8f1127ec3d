/*
 * NAME
 *	cmd_user - postern user: mailboxes, passwords and keys
 * DESCRIPTION
 *	A user is two records: the public one in local_users_map (quota,
 *	public key: what smtpd, qmgr and local need) and the secret one in
 *	auth_users_map (Argon2id salt, cost and verifier, the private key
 *	wrapped by the password and optionally by a recovery key), which
 *	only authd and this command read.  See postern-crypto(7).
 *
 *	Passwords come from the terminal, or one per line from standard
 *	input with --password-stdin.  Every password, derived key and
 *	private key is wiped after use.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "mail/addr.h"
#include "mail/msgcrypt.h"
#include "mail/mstore.h"
#include "mail/params.h"
#include "mail/userkey.h"
#include "util/file.h"
#include "util/map.h"
#include "util/mem.h"

#define PW_MAX	1024

static bool pw_stdin;

/* read_secret - one line from stdin or the terminal (no echo) into
 * locked memory; NULL at end of input */
static char *
read_secret(const char *prompt)
{
	char *pw = sodium_malloc(PW_MAX);
	struct termios old, quiet;
	bool tty = !pw_stdin && isatty(0);
	size_t n;

	if (pw == NULL)
		return NULL;
	if (!pw_stdin && !tty) {
		fprintf(stderr, "postern user: no terminal for the password: "
		    "use --password-stdin\n");
		sodium_free(pw);
		return NULL;
	}
	if (tty) {
		fprintf(stderr, "%s", prompt);
		tcgetattr(0, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSANOW, &quiet);
	}
	if (fgets(pw, PW_MAX, stdin) == NULL) {
		sodium_free(pw);
		pw = NULL;
	}
	if (tty) {
		tcsetattr(0, TCSANOW, &old);
		fputc('\n', stderr);
	}
	if (pw != NULL) {
		n = strcspn(pw, "\r\n");
		pw[n] = '\0';
	}
	return pw;
}

/* new_password - asked twice on a terminal; NULL after saying why */
static char *
new_password(void)
{
	char *pw = read_secret("New password: "), *again;

	if (pw == NULL || pw[0] == '\0') {
		fprintf(stderr, "postern user: no password given\n");
		if (pw != NULL)
			sodium_free(pw);
		return NULL;
	}
	if (!pw_stdin) {
		again = read_secret("Again: ");
		if (again == NULL || strcmp(pw, again) != 0) {
			fprintf(stderr, "postern user: the passwords differ\n");
			sodium_free(pw);
			if (again != NULL)
				sodium_free(again);
			return NULL;
		}
		sodium_free(again);
	}
	return pw;
}

/* cli_auth_map - the secret table, private to auth_owner */
struct map *
cli_auth_map(void)
{
	struct map *m = cli_map_edit("auth_users_map", var_auth_users_map);
	const char *file = strncmp(var_auth_users_map, "hash:", 5) == 0 ?
	    var_auth_users_map + 5 : NULL;

	if (file != NULL) {
		struct passwd *pw = geteuid() == 0 ?
		    getpwnam(var_auth_owner) : NULL;

		(void)chmod(file, 0600);
		if (pw != NULL && chown(file, pw->pw_uid, pw->pw_gid) < 0)
			fprintf(stderr, "postern user: cannot give %s to %s\n",
			    file, var_auth_owner);
	}
	return m;
}

/* load_user - the secret record of address; -1 after saying why */
static int
load_user(const char *address, struct userkey *u)
{
	struct map *m = cli_auth_map();
	struct buf v = BUF_INIT;
	int rc = map_lookup(m, address, &v);

	map_close(&m);
	if (rc <= 0 || userkey_decode(buf_cstr(&v), u) < 0) {
		fprintf(stderr, "postern user: %s: %s\n", address, rc == 0 ?
		    "no such user" : "unreadable user record");
		buf_free_wipe(&v);
		return -1;
	}
	buf_free_wipe(&v);
	return 0;
}

/* save_user - both records */
static int
save_user(const char *address, const struct userkey *u)
{
	struct buf rec = BUF_INIT, pub = BUF_INIT;
	char pk[64];
	struct map *m;
	int rc;

	sodium_bin2base64(pk, sizeof(pk), u->pk, sizeof(u->pk),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if (userkey_encode(u, &rec) < 0 || buf_appendf(&pub,
	    "quota=%llu pk=%s", (unsigned long long)u->quota, pk) < 0) {
		buf_free(&rec);
		buf_free(&pub);
		return -1;
	}
	m = cli_auth_map();
	rc = map_update(m, address, rec.data, rec.len);
	map_close(&m);
	if (rc == 0) {
		m = cli_map_edit("local_users_map", var_local_users_map);
		rc = map_update(m, address, pub.data, pub.len);
		map_close(&m);
	}
	buf_free_wipe(&rec);
	buf_free(&pub);
	if (rc < 0)
		fprintf(stderr, "postern user: cannot write %s\n", address);
	return rc;
}

/* unlock - the private key of u with password; -1 if it is wrong */
static int
unlock(const char *address, const struct userkey *u, const char *password,
    uint8_t sk[USERKEY_SK_LEN])
{
	uint8_t *d = userkey_derive(u, password, strlen(password));
	int rc = -1;

	if (d != NULL && userkey_check(u, d) &&
	    userkey_unwrap(u->wrap, d + USERKEY_HALF, address, sk) == 0)
		rc = 0;
	if (d != NULL)
		sodium_free(d);
	return rc;
}

/* give_recovery - wrap sk by a new recovery key and print it once */
static void
give_recovery(struct userkey *u, const char *address,
    const uint8_t sk[USERKEY_SK_LEN])
{
	uint8_t rec[USERKEY_RECOVERY_LEN], kek[USERKEY_HALF];
	char text[80];

	randombytes_buf(rec, sizeof(rec));
	userkey_recovery_kek(rec, kek);
	userkey_wrap(sk, kek, address, u->recovery);
	u->has_recovery = true;
	userkey_recovery_text(rec, text);
	printf("recovery key for %s (shown once, never stored; keep it "
	    "safe):\n  %s\n", address, text);
	sodium_memzero(rec, sizeof(rec));
	sodium_memzero(kek, sizeof(kek));
	sodium_memzero(text, sizeof(text));
}

static int
user_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quota", required_argument, NULL, 'q' },
		{ "password-stdin", no_argument, NULL, 's' },
		{ "recovery-key", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct userkey u = { .enabled = true };
	uint8_t sk[USERKEY_SK_LEN];
	char address[ADDR_PATH_MAX + 1], *pw;
	bool recovery = false;
	const char *why;
	int ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'q':
			if (conf_parse_value(&(struct conf_def){ "quota",
			    CONF_SIZE, "0", NULL, 0, UINT64_MAX, NULL },
			    optarg, &u.quota, &why) < 0) {
				fprintf(stderr, "postern user add: bad --quota "
				    "%s: %s\n", optarg, why);
				return 2;
			}
			break;
		case 's':
			pw_stdin = true;
			break;
		case 'r':
			recovery = true;
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc)
		return 2;
	if (cli_parse_address("user add", argv[optind], address,
	    sizeof(address)) < 0 || cli_domain_check("user add", address) < 0)
		return 1;
	{
		struct map *m = cli_auth_map();
		struct buf v = BUF_INIT;
		int exists = map_lookup(m, address, &v);

		map_close(&m);
		buf_free_wipe(&v);
		if (exists > 0) {
			fprintf(stderr, "postern user add: %s exists (postern "
			    "user passwd changes its password)\n", address);
			return 1;
		}
	}
	if ((pw = new_password()) == NULL)
		return 1;
	u.created = (uint64_t)time(NULL);
	u.ops = var_password_hash_ops;
	u.mem = var_password_hash_memory;
	crypto_box_keypair(u.pk, sk);
	rc = userkey_set_password(&u, address, pw, strlen(pw), sk);
	sodium_free(pw);
	if (rc == 0 && recovery)
		give_recovery(&u, address, sk);
	sodium_memzero(sk, sizeof(sk));
	if (rc < 0 || save_user(address, &u) < 0) {
		fprintf(stderr, "postern user add: %s: cannot derive or store "
		    "the keys (password_hash_memory too large?)\n", address);
		return 1;
	}
	printf("postern user add: %s (quota %s)\n", address,
	    u.quota == 0 ? "none" : "set");
	return 0;
}

static int
user_passwd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "password-stdin", no_argument, NULL, 's' },
		{ "recovery-key", no_argument, NULL, 'r' },
		{ "reset", no_argument, NULL, 'R' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct userkey u;
	uint8_t sk[USERKEY_SK_LEN];
	char address[ADDR_PATH_MAX + 1], *old = NULL, *pw;
	bool by_recovery = false, reset = false, force = false;
	int ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 's')
			pw_stdin = true;
		else if (ch == 'r')
			by_recovery = true;
		else if (ch == 'R')
			reset = true;
		else if (ch == 'f')
			force = true;
		else
			return 2;
	}
	if (optind + 1 != argc || (reset && by_recovery))
		return 2;
	if (cli_parse_address("user passwd", argv[optind], address,
	    sizeof(address)) < 0 || load_user(address, &u) < 0)
		return 1;
	if (reset) {
		fprintf(stderr, "postern user passwd: --reset makes a new key "
		    "pair for %s: every message stored for this user so far "
		    "becomes unreadable, for good, by anyone.\n", address);
		if (!force) {
			fprintf(stderr, "postern user passwd: add --force to "
			    "do it\n");
			return 1;
		}
		crypto_box_keypair(u.pk, sk);
		u.has_recovery = false;
	} else if (by_recovery) {
		uint8_t rec[USERKEY_RECOVERY_LEN], kek[USERKEY_HALF];

		old = read_secret("Recovery key: ");
		if (old == NULL || userkey_recovery_parse(old, rec) < 0 ||
		    !u.has_recovery) {
			fprintf(stderr, "postern user passwd: %s\n",
			    u.has_recovery ? "that is not a recovery key" :
			    "this user has no recovery key");
			if (old != NULL)
				sodium_free(old);
			return 1;
		}
		userkey_recovery_kek(rec, kek);
		rc = userkey_unwrap(u.recovery, kek, address, sk);
		sodium_memzero(rec, sizeof(rec));
		sodium_memzero(kek, sizeof(kek));
		sodium_free(old);
		if (rc < 0) {
			fprintf(stderr, "postern user passwd: wrong recovery "
			    "key\n");
			return 1;
		}
	} else {
		old = read_secret("Old password: ");
		if (old == NULL || unlock(address, &u, old, sk) < 0) {
			fprintf(stderr, "postern user passwd: wrong password\n");
			if (old != NULL)
				sodium_free(old);
			return 1;
		}
		sodium_free(old);
	}
	if ((pw = new_password()) == NULL) {
		sodium_memzero(sk, sizeof(sk));
		return 1;
	}
	u.ops = var_password_hash_ops;
	u.mem = var_password_hash_memory;
	rc = userkey_set_password(&u, address, pw, strlen(pw), sk);
	sodium_free(pw);
	sodium_memzero(sk, sizeof(sk));
	if (rc < 0 || save_user(address, &u) < 0)
		return 1;
	printf("postern user passwd: %s: password changed%s\n", address,
	    reset ? " (new keys)" : "");
	return 0;
}

static int
user_show(const char *arg)
{
	struct userkey u;
	char address[ADDR_PATH_MAX + 1], pk[64], when[32];
	struct tm tm;
	time_t t;

	if (cli_parse_address("user show", arg, address, sizeof(address)) < 0
	    || load_user(address, &u) < 0)
		return 1;
	t = (time_t)u.created;
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	sodium_bin2base64(pk, sizeof(pk), u.pk, sizeof(u.pk),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	printf("address: %s\nenabled: %s\ncreated: %s\nquota: %llu\n"
	    "stored: %llu bytes\npublic key: %s\nrecovery key: %s\n"
	    "password hash: Argon2id, %llu passes, %llu KiB\n", address,
	    u.enabled ? "yes" : "no", when, (unsigned long long)u.quota,
	    (unsigned long long)mstore_usage_at(var_store_dir, address), pk,
	    u.has_recovery ? "yes" : "no", (unsigned long long)u.ops,
	    (unsigned long long)(u.mem / 1024));
	return 0;
}

static int
user_del(const char *arg)
{
	char address[ADDR_PATH_MAX + 1];
	struct map *m;
	int rc;

	if (cli_parse_address("user del", arg, address, sizeof(address)) < 0)
		return 1;
	m = cli_auth_map();
	rc = map_delete(m, address);
	map_close(&m);
	if (cli_map_del("user del", "local_users_map", var_local_users_map,
	    address) != 0 && rc != 1)
		return 1;
	printf("postern user del: %s removed (stored mail stays under %s "
	    "until you remove it)\n", address, var_store_dir);
	return 0;
}

/* from_line - the mbox separator: the Return-Path local added, and the
 * delivery time (the file's) */
static void
from_line(FILE *out, int fd, const char *head, size_t n)
{
	char sender[ADDR_PATH_MAX + 1] = "MAILER-DAEMON", when[64];
	struct stat st;
	struct tm tm;
	time_t t = 0;

	if (n > 14 && memcmp(head, "Return-Path: <", 14) == 0) {
		const char *end = memchr(head + 14, '>', n - 14);
		size_t len = end != NULL ? (size_t)(end - head - 14) : 0;

		if (len > 0 && len < sizeof(sender) &&
		    memchr(head + 14, ' ', len) == NULL) {
			memcpy(sender, head + 14, len);
			sender[len] = '\0';
		}
	}
	if (fstat(fd, &st) == 0)
		t = st.st_mtime;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
	fprintf(out, "From %s %s\n", sender, when);
}

/* mbox_message - one decrypted message as an mbox entry on out */
static int
mbox_message(FILE *out, const char *path, const uint8_t pk[32],
    const uint8_t sk[32])
{
	struct msgcrypt_reader r = { 0 };
	char buf[8192];
	const char *why = "cannot open";
	bool bol = true;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || msgcrypt_read_open(&r, fd, pk, sk, &why) < 0) {
		fprintf(stderr, "postern user export: %s: %s\n", path, why);
		msgcrypt_read_free(&r);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* mboxrd: ">From " quoting, LF line ends. */
	for (bool first = true; (n = msgcrypt_read(&r, buf, sizeof(buf),
	    &why)) > 0; first = false) {
		if (first)
			from_line(out, fd, buf, (size_t)n);
		for (ssize_t i = 0; i < n; i++) {
			if (bol) {
				size_t k = (size_t)i;

				while (k < (size_t)n && buf[k] == '>')
					k++;
				if ((size_t)n - k >= 5 &&
				    memcmp(buf + k, "From ", 5) == 0)
					fputc('>', out);
			}
			bol = buf[i] == '\n';
			if (buf[i] != '\r' || (i + 1 < n && buf[i + 1] != '\n'))
				fputc(buf[i], out);
		}
	}
	sodium_memzero(buf, sizeof(buf));
	msgcrypt_read_free(&r);
	close(fd);
	if (n < 0) {
		fprintf(stderr, "postern user export: %s: %s\n", path, why);
		return -1;
	}
	fputs(bol ? "\n" : "\n\n", out);
	return 0;
}

/* raw_message - one decrypted message, byte for byte, into path */
static int
raw_message(const char *path, const char *dest, const uint8_t pk[32],
    const uint8_t sk[32])
{
	FILE *out = fopen(dest, "wbx");
	struct msgcrypt_reader r = { 0 };
	const char *why = "cannot open";
	char buf[8192];
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (out != NULL && fd >= 0 &&
	    msgcrypt_read_open(&r, fd, pk, sk, &why) == 0) {
		while ((n = msgcrypt_read(&r, buf, sizeof(buf), &why)) > 0)
			fwrite(buf, 1, (size_t)n, out);
		sodium_memzero(buf, sizeof(buf));
	}
	msgcrypt_read_free(&r);
	if (fd >= 0)
		close(fd);
	if (out == NULL || fclose(out) != 0 || n < 0) {
		fprintf(stderr, "postern user export: %s: %s\n", path,
		    out == NULL ? strerror(errno) : why);
		(void)unlink(dest);
		return -1;
	}
	return 0;
}

/* export_dir - every message file of one Maildir folder: as mbox entries
 * on out, or (maildir != NULL) as files under maildir/rel */
static int
export_dir(FILE *out, const char *maildir, const char *rel,
    const char *dir, const uint8_t pk[32], const uint8_t sk[32],
    unsigned *count)
{
	static const char *const subs[] = { "cur", "new", NULL };
	int bad = 0;

	for (const char *const *s = subs; *s != NULL; s++) {
		char *path = xasprintf("%s/%s", dir, *s);
		struct dirent **names;
		int n = scandir(path, &names, NULL, alphasort);

		for (int i = 0; i < n; i++) {
			if (names[i]->d_name[0] != '.') {
				char *f = xasprintf("%s/%s", path,
				    names[i]->d_name);
				int rc;

				if (maildir != NULL) {
					char *dd = xasprintf("%s/%s%s", maildir,
					    rel, *s);
					char *df = xasprintf("%s/%s", dd,
					    names[i]->d_name);

					rc = file_mkdirs(dd, 0700) < 0 ? -1 :
					    raw_message(f, df, pk, sk);
					free(dd);
					free(df);
				} else {
					rc = mbox_message(out, f, pk, sk);
				}
				if (rc < 0)
					bad++;
				else
					(*count)++;
				free(f);
			}
			free(names[i]);
		}
		if (n >= 0)
			free(names);
		free(path);
	}
	return bad;
}

static int
user_export(int argc, char **argv)
{
	struct userkey u;
	uint8_t sk[USERKEY_SK_LEN];
	char address[ADDR_PATH_MAX + 1], rel[600], *pw, *root;
	const char *maildir = NULL;
	unsigned count = 0;
	int bad = 0;
	DIR *d;
	struct dirent *e;

	for (;;) {
		if (argc >= 3 && strcmp(argv[1], "--password-stdin") == 0) {
			pw_stdin = true;
			argv++;
			argc--;
		} else if (argc >= 4 && strcmp(argv[1], "--maildir") == 0) {
			maildir = argv[2];
			argv += 2;
			argc -= 2;
		} else {
			break;
		}
	}
	if (argc != 2)
		return 2;
	if (cli_parse_address("user export", argv[1], address,
	    sizeof(address)) < 0 || load_user(address, &u) < 0)
		return 1;
	pw = read_secret("Password: ");
	if (pw == NULL || unlock(address, &u, pw, sk) < 0) {
		fprintf(stderr, "postern user export: wrong password\n");
		if (pw != NULL)
			sodium_free(pw);
		return 1;
	}
	sodium_free(pw);
	if (mstore_mailbox_dir(address, rel, sizeof(rel)) < 0) {
		sodium_memzero(sk, sizeof(sk));
		return 1;
	}
	root = xasprintf("%s/%s", var_store_dir, rel);
	bad += export_dir(stdout, maildir, "", root, u.pk, sk, &count);
	if ((d = opendir(root)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			char *sub;

			if (e->d_name[0] != '.' || strcmp(e->d_name, ".") == 0
			    || strcmp(e->d_name, "..") == 0)
				continue;
			sub = xasprintf("%s/%s", root, e->d_name);
			{
				char *r2 = xasprintf("%s/", e->d_name);

				bad += export_dir(stdout, maildir, r2, sub,
				    u.pk, sk, &count);
				free(r2);
			}
			free(sub);
		}
		closedir(d);
	}
	sodium_memzero(sk, sizeof(sk));
	free(root);
	fflush(stdout);
	fprintf(stderr, "postern user export: %s: %u messages%s\n", address,
	    count, bad > 0 ? ", some unreadable (above)" : "");
	return bad > 0 ? 1 : 0;
}

int
cmd_user(int argc, char **argv)
{
	cli_load_quiet();
	if (sodium_init() < 0) {
		fprintf(stderr, "postern user: libsodium failed to start\n");
		return 1;
	}
	if (argc >= 2 && strcmp(argv[1], "add") == 0) {
		int rc = user_add(argc - 1, argv + 1);

		if (rc != 2)
			return rc;
	} else if (argc >= 2 && strcmp(argv[1], "passwd") == 0) {
		int rc = user_passwd(argc - 1, argv + 1);

		if (rc != 2)
			return rc;
	} else if (argc == 3 && strcmp(argv[1], "del") == 0) {
		return user_del(argv[2]);
	} else if (argc == 3 && strcmp(argv[1], "show") == 0) {
		return user_show(argv[2]);
	} else if (argc >= 3 && strcmp(argv[1], "export") == 0) {
		int rc = user_export(argc - 1, argv + 1);

		if (rc != 2)
			return rc;
	} else if (argc == 2 && strcmp(argv[1], "list") == 0) {
		return cli_map_list("local_users_map", var_local_users_map,
		    true);
	}
	fprintf(stderr, "usage: postern user add ADDRESS [--quota SIZE] "
	    "[--recovery-key] [--password-stdin]\n"
	    "       postern user passwd ADDRESS [--recovery-key | --reset "
	    "--force] [--password-stdin]\n"
	    "       postern user del|show ADDRESS\n"
	    "       postern user export [--password-stdin] [--maildir DIR] "
	    "ADDRESS [> FILE]\n"
	    "       postern user list\n");
	return 2;
}

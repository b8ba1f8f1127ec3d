/*
 * NAME
 *	cmd_dkim - postern dkim: the DKIM keys cryptd signs with
 * DESCRIPTION
 *	keygen makes keys under key_directory/dkim/DOMAIN/ (SELECTOR.pem,
 *	mode 0600, crypt_owner's), makes them current unless -n, and prints
 *	the TXT records to publish; use makes an existing key current;
 *	list shows the keys; record prints the TXT records again.  The
 *	layout is cryptd(8)'s; lib/mail/dkim_key.h reads and writes the
 *	keys.  postern check compares the keys with DNS (cmd_check.c).
 *
 *	With -a both (the default) one SELECTOR makes two selectors,
 *	SELECTOR-ed25519 and SELECTOR-rsa, since a selector names one key
 *	(RFC 8463 dual signing).
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
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "mail/dkim_key.h"
#include "mail/params.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/strnum.h"

/* give - path to crypt_owner when we are root; 0 or -1 after saying why */
static int
give(const char *path)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if ((pw = getpwnam(var_crypt_owner)) == NULL ||
	    chown(path, pw->pw_uid, pw->pw_gid) < 0) {
		fprintf(stderr, "postern dkim: cannot give %s to %s "
		    "(crypt_owner)\n", path, var_crypt_owner);
		return -1;
	}
	return 0;
}

/* domain_dir - key_directory/dkim/DOMAIN, made (0700) if make */
static char *
domain_dir(const char *domain, bool make)
{
	char *top = xasprintf("%s/dkim", var_key_dir);
	char *dir = xasprintf("%s/%s", top, domain);

	if (make) {
		if ((mkdir(top, 0700) < 0 && errno != EEXIST) ||
		    give(top) < 0 || (mkdir(dir, 0700) < 0 &&
		    errno != EEXIST) || give(dir) < 0) {
			fprintf(stderr, "postern dkim: cannot create %s: %s\n",
			    dir, strerror(errno));
			exit(1);
		}
	}
	free(top);
	return dir;
}

/* read_current - the selectors of dir/current, one a line, into sel
 * (NULL-terminated, allocated) */
static char **
read_current(const char *dir)
{
	char *path = xasprintf("%s/current", dir), line[512];
	char **sel = xcalloc(1, sizeof(char *));
	size_t n = 0;
	FILE *f = fopen(path, "r");

	free(path);
	if (f == NULL)
		return sel;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, " \t\r\n#")] = '\0';
		if (line[0] == '\0')
			continue;
		/* UNSAFE: n + 2 entries, one more each line, never near
		 * SIZE_MAX / sizeof(char *). */
		sel = xrealloc(sel, (n + 2) * sizeof(char *));
		sel[n++] = xstrdup(line);
		sel[n] = NULL;
	}
	fclose(f);
	return sel;
}

static void
free_list(char **l)
{
	for (size_t i = 0; l[i] != NULL; i++)
		free(l[i]);
	free(l);
}

/* load - dir/SELECTOR.pem; 0, or -1 with *why */
static int
load(const char *dir, const char *selector, struct dkim_key *k,
    const char **why)
{
	char *path = xasprintf("%s/%s.pem", dir, selector);
	int rc = dkim_key_load(path, k, why);

	free(path);
	return rc;
}

/* write_current - dir/current holds sel (atomically); 0 or -1 */
static int
write_current(const char *dir, char **sel)
{
	char *path = xasprintf("%s/current", dir);
	char *tmp = xasprintf("%s/.current.tmp", dir);
	struct buf text = BUF_INIT;
	int fd, rc = -1;

	for (size_t i = 0; sel[i] != NULL; i++)
		buf_printf(&text, "%s\n", sel[i]);
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0 && file_write_all(fd, text.data, text.len) == 0 &&
	    fsync(fd) == 0 && close(fd) == 0 && give(tmp) == 0 &&
	    rename(tmp, path) == 0)
		rc = 0;
	else if (fd >= 0)
		(void)close(fd);
	if (rc < 0) {
		fprintf(stderr, "postern dkim: cannot write %s: %s\n", path,
		    strerror(errno));
		(void)unlink(tmp);
	}
	buf_free(&text);
	free(tmp);
	free(path);
	return rc;
}

/* make_current - selector becomes the current key of its algorithm */
static int
make_current(const char *dir, const char *selector, enum dkim_alg alg)
{
	char **cur = read_current(dir), **next;
	size_t n = 0;
	int rc;

	for (n = 0; cur[n] != NULL; n++)
		;
	next = xcalloc(n + 2, sizeof(char *));
	n = 0;
	for (size_t i = 0; cur[i] != NULL; i++) {
		struct dkim_key k = { 0 };
		const char *why;

		if (strcmp(cur[i], selector) == 0)
			continue;
		/* A key of the other kind stays; one that no longer loads
		 * goes (cryptd could not use it). */
		if (load(dir, cur[i], &k, &why) == 0 && k.alg != alg)
			next[n++] = cur[i];
		else
			fprintf(stderr, "postern dkim: %s is no longer "
			    "current\n", cur[i]);
		dkim_key_free(&k);
	}
	next[n] = (char *)selector;
	rc = write_current(dir, next);
	free(next);
	free_list(cur);
	return rc;
}

/* print_record - the zone line of a loaded key */
static int
print_record(const char *domain, const char *selector,
    const struct dkim_key *k)
{
	struct buf rec = BUF_INIT, zone = BUF_INIT;

	if (dkim_record(k, &rec) < 0)
		return -1;
	dkim_record_zone(domain, selector, buf_cstr(&rec), &zone);
	printf("%s\n", buf_cstr(&zone));
	buf_free(&rec);
	buf_free(&zone);
	return 0;
}

/* keygen_one - make dir/SELECTOR.pem; 0 or -1 after saying why */
static int
keygen_one(const char *domain, const char *dir, const char *selector,
    enum dkim_alg alg, unsigned bits, bool activate)
{
	char *path = xasprintf("%s/%s.pem", dir, selector);
	struct buf pem = BUF_INIT;
	struct dkim_key k = { 0 };
	const char *why;
	int fd = -1, rc = -1;

	if (dkim_key_generate(alg, bits, &pem, &why) < 0) {
		fprintf(stderr, "postern dkim: %s\n", why);
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "postern dkim: %s: %s%s\n", path,
		    strerror(errno), errno == EEXIST ? " (a selector names "
		    "one key for ever: choose a new one)" : "");
		goto out;
	}
	if (file_write_all(fd, pem.data, pem.len) < 0 || fsync(fd) < 0 ||
	    close(fd) < 0) {
		fprintf(stderr, "postern dkim: cannot write %s: %s\n", path,
		    strerror(errno));
		fd = -1;
		(void)unlink(path);
		goto out;
	}
	fd = -1;
	if (give(path) < 0 || dkim_key_parse(pem.data, pem.len, &k,
	    &why) < 0 || (activate && make_current(dir, selector, alg) < 0) ||
	    print_record(domain, selector, &k) < 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		(void)close(fd);
	dkim_key_free(&k);
	buf_free_wipe(&pem);
	free(path);
	return rc;
}

/* names - DOMAIN and SELECTOR checked and lowered; -1 after saying why */
static int
names(char *domain, char *selector)
{
	/* Lowered in place: never longer. */
	if (!dkim_name_lower(domain, domain, strlen(domain) + 1)) {
		fprintf(stderr, "postern dkim: bad domain '%s'\n", domain);
		return -1;
	}
	if (selector != NULL && !dkim_name_lower(selector, selector,
	    strlen(selector) + 1)) {
		fprintf(stderr, "postern dkim: bad selector '%s' (letters, "
		    "digits, '-', '_', '.')\n", selector);
		return -1;
	}
	return 0;
}

/* dkim_keygen - keygen DOMAIN SELECTOR [-a ed25519|rsa|both] [-b bits] [-n] */
static int
dkim_keygen(int argc, char **argv)
{
	const char *algs = "both", *why;
	uint64_t bits = DKIM_RSA_BITS;
	bool activate = true;
	char *dir, *sel;
	enum dkim_alg alg;
	int ch, rc = 0;

	while ((ch = getopt(argc, argv, "a:b:n")) != -1) {
		switch (ch) {
		case 'a':
			algs = optarg;
			break;
		case 'b':
			if (strnum_u64(optarg, DKIM_RSA_BITS_MIN,
			    DKIM_RSA_BITS_MAX, &bits, &why) < 0) {
				fprintf(stderr, "postern dkim: -b %s: RSA "
				    "keys have %d to %d bits\n", optarg,
				    DKIM_RSA_BITS_MIN, DKIM_RSA_BITS_MAX);
				return 2;
			}
			break;
		case 'n':
			activate = false;
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 2 || (strcmp(algs, "both") != 0 &&
	    dkim_alg_parse(algs, &alg) < 0)) {
		fprintf(stderr, "usage: postern dkim keygen DOMAIN SELECTOR "
		    "[-a ed25519|rsa|both] [-b bits] [-n]\n");
		return 2;
	}
	if (names(argv[optind], argv[optind + 1]) < 0)
		return 2;
	cli_load_quiet();
	dir = domain_dir(argv[optind], true);
	if (strcmp(algs, "both") != 0) {
		rc = keygen_one(argv[optind], dir, argv[optind + 1], alg,
		    (unsigned)bits, activate) < 0 ? 1 : 0;
		free(dir);
		return rc;
	}
	for (int a = 0; a < DKIM_N_ALGS && rc == 0; a++) {
		sel = xasprintf("%s-%s", argv[optind + 1],
		    dkim_alg_name((enum dkim_alg)a));
		if (!dkim_name_ok(sel) || keygen_one(argv[optind], dir, sel,
		    (enum dkim_alg)a, (unsigned)bits, activate) < 0)
			rc = 1;
		free(sel);
	}
	free(dir);
	return rc;
}

/* dkim_use - use DOMAIN SELECTOR: make an existing key current */
static int
dkim_use(int argc, char **argv)
{
	struct dkim_key k = { 0 };
	const char *why;
	char *dir;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: postern dkim use DOMAIN SELECTOR\n");
		return 2;
	}
	if (names(argv[1], argv[2]) < 0)
		return 2;
	cli_load_quiet();
	dir = domain_dir(argv[1], false);
	if (load(dir, argv[2], &k, &why) < 0) {
		fprintf(stderr, "postern dkim: %s/%s.pem: %s\n", dir, argv[2],
		    why);
		free(dir);
		return 1;
	}
	rc = make_current(dir, argv[2], k.alg) < 0 ? 1 : 0;
	dkim_key_free(&k);
	free(dir);
	return rc;
}

int
cli_dkim_walk(const char *only, cli_dkim_fn *fn, void *ctx)
{
	char *top = xasprintf("%s/dkim", var_key_dir);
	DIR *d = opendir(top), *dd;
	struct dirent *e, *f;
	int n = 0;

	if (d == NULL) {
		free(top);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		char *dir, **cur;

		if (e->d_name[0] == '.' || !dkim_name_ok(e->d_name) ||
		    (only != NULL && strcmp(only, e->d_name) != 0))
			continue;
		dir = xasprintf("%s/%s", top, e->d_name);
		if ((dd = opendir(dir)) == NULL) {
			free(dir);
			continue;
		}
		cur = read_current(dir);
		while ((f = readdir(dd)) != NULL) {
			size_t l = strlen(f->d_name);
			struct cli_dkim_key k = { .domain = e->d_name };
			const char *why = NULL;
			char sel[DKIM_NAME_MAX + 1];

			if (f->d_name[0] == '.' || l <= 4 || l - 4 >=
			    sizeof(sel) || strcmp(f->d_name + l - 4,
			    ".pem") != 0)
				continue;
			snprintf(sel, sizeof(sel), "%.*s", (int)(l - 4),
			    f->d_name);
			k.selector = sel;
			k.path = xasprintf("%s/%s", dir, f->d_name);
			for (size_t i = 0; cur[i] != NULL; i++)
				if (strcmp(cur[i], sel) == 0)
					k.current = true;
			if (dkim_key_load(k.path, &k.key, &why) < 0)
				k.key.alg = DKIM_N_ALGS;
			fn(&k, why, ctx);
			dkim_key_free(&k.key);
			free(k.path);
			n++;
		}
		closedir(dd);
		free_list(cur);
		free(dir);
	}
	closedir(d);
	free(top);
	return n;
}

/* list_one - one line of dkim list */
static void
list_one(const struct cli_dkim_key *k, const char *why, void *ctx)
{
	(void)ctx;
	if (why != NULL) {
		printf("%s %s - %s (%s)\n", k->domain, k->selector,
		    k->current ? "current" : "inactive", why);
		return;
	}
	printf("%s %s %s %s\n", k->domain, k->selector,
	    dkim_alg_name(k->key.alg), k->current ? "current" : "inactive");
}

/* record_one - the zone line of a key (dkim record) */
static void
record_one(const struct cli_dkim_key *k, const char *why, void *ctx)
{
	const char *selector = ctx;

	if (why != NULL || (selector != NULL ? strcmp(selector,
	    k->selector) != 0 : !k->current))
		return;
	(void)print_record(k->domain, k->selector, &k->key);
}

int
cmd_dkim(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (sodium_init() < 0) {
		fprintf(stderr, "postern dkim: libsodium does not start\n");
		return 1;
	}
	if (strcmp(sub, "keygen") == 0)
		return dkim_keygen(argc - 1, argv + 1);
	if (strcmp(sub, "use") == 0)
		return dkim_use(argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0 && argc == 2) {
		cli_load_quiet();
		(void)cli_dkim_walk(NULL, list_one, NULL);
		return 0;
	}
	if (strcmp(sub, "record") == 0 && (argc == 3 || argc == 4)) {
		if (names(argv[2], argc == 4 ? argv[3] : NULL) < 0)
			return 2;
		cli_load_quiet();
		(void)cli_dkim_walk(argv[2], record_one, argc == 4 ? argv[3] :
		    NULL);
		return 0;
	}
	fprintf(stderr, "usage: postern dkim keygen DOMAIN SELECTOR "
	    "[-a ed25519|rsa|both] [-b bits] [-n]\n"
	    "       postern dkim use DOMAIN SELECTOR\n"
	    "       postern dkim list\n"
	    "       postern dkim record DOMAIN [SELECTOR]\n");
	return 2;
}

/*
 * replay.c - run a fuzz target over saved inputs, without libFuzzer.
 *
 * Each argument is a file or a directory of files; every file becomes one
 * call of LLVMFuzzerTestOneInput, in a heap block of exactly its size so
 * that ASan sees a read past the end.  Built with any compiler, this is
 * how every corpus runs as an ordinary ctest test.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_FILE_MAX	(4u << 20)	/* corpus files are small */

/* replay_file - one input; -1 if it cannot be read */
static int
replay_file(const char *path)
{
	FILE *f;
	uint8_t *data;
	long n;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    (unsigned long)n > REPLAY_FILE_MAX || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "%s: unreadable or too big\n", path);
		fclose(f);
		return -1;
	}
	/* Exactly n bytes (one for an empty file, never looked at): no
	 * spare byte to hide a read past the end. */
	if ((data = malloc(n > 0 ? (size_t)n : 1)) == NULL ||
	    fread(data, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "%s: read failed\n", path);
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	(void)LLVMFuzzerTestOneInput(data, (size_t)n);
	free(data);
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* replay_dir - every regular file of dir, in name order */
static int
replay_dir(const char *dir, unsigned *count)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		perror(dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn;

			cap = cap ? cap * 2 : 64;
			if ((nn = realloc(names, cap * sizeof(*names))) == NULL) {
				rc = -1;
				break;
			}
			names = nn;
		}
		if ((names[n] = strdup(e->d_name)) == NULL) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) < 0)
				rc = -1;
			else
				(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	unsigned count = 0;
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s file-or-directory...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &count) < 0)
				rc = 1;
		} else if (replay_file(argv[i]) < 0) {
			rc = 1;
		} else {
			count++;
		}
	}
	printf("%u inputs replayed\n", count);
	/* An empty corpus is a mistake: the test would prove nothing. */
	return rc != 0 || count == 0;
}

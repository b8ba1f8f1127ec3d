/*
 * file.h - the few file operations durability is built from.
 */
#ifndef POSTERN_FILE_H
#define POSTERN_FILE_H

#include <stddef.h>

/* file_write_all - all n bytes at the current offset (EINTR retried);
 * 0, or -1 with errno. */
int file_write_all(int fd, const void *p, size_t n)
	__attribute__((warn_unused_result));
/* file_fsync_dir - fsync directory dir (relative to at, e.g. AT_FDCWD),
 * which makes a rename or a new name in it survive a crash; 0 or -1. */
int file_fsync_dir(int at, const char *dir)
	__attribute__((warn_unused_result));

/* file_mkdirs - create path and its missing parents with mode; 0, or -1
 * with errno. */
int file_mkdirs(const char *path, unsigned mode)
	__attribute__((warn_unused_result));

#endif

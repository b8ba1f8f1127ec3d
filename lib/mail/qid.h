/*
 * qid.h - queue IDs: unique, sortable, safe as file names (DESIGN 4).
 *
 * 16 characters from a vowel-free alphabet in ASCII order, so that string
 * order is time order: seconds since the epoch (7 digits base 32),
 * microseconds (4), and the process ID (5).  Two IDs made by one process
 * are always different: a clock that has not moved on is stepped by one
 * microsecond.  Every ID from outside is checked with qid_valid() before
 * it becomes part of a path.
 */
#ifndef POSTERN_QID_H
#define POSTERN_QID_H

#include <stdbool.h>
#include <sys/time.h>

#define QID_LEN		16
#define QID_SIZE	(QID_LEN + 1)

/* qid_new - a new ID into out (NUL-terminated). */
void qid_new(char out[QID_SIZE]);
/* qid_valid - exactly QID_LEN characters of the alphabet. */
bool qid_valid(const char *s);
/* qid_time - the time inside a valid ID; 0, or -1 if not valid. */
int qid_time(const char *id, struct timeval *tv);

#endif

/*
 * NAME
 *	qid - unique, time-sortable queue IDs
 * DESCRIPTION
 *	See qid.h.  The alphabet leaves out vowels so that no ID spells a
 *	word, and keeps ASCII order so that fixed-width IDs sort by time.
 */
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "mail/qid.h"

static const char alphabet[] = "0123456789BCDFGHJKLMNPQRSTVWXZbc";
static struct timeval last;

/* put - v in width base-32 digits, most significant first */
static void
put(char *out, unsigned long long v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		out[i] = alphabet[v & 31];
		v >>= 5;
	}
}

/* digit - the value of one character, or -1 */
static int
digit(char c)
{
	const char *p = c != '\0' ? strchr(alphabet, c) : NULL;

	return p != NULL ? (int)(p - alphabet) : -1;
}

void
qid_new(char out[QID_SIZE])
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	if (tv.tv_sec < last.tv_sec || (tv.tv_sec == last.tv_sec &&
	    tv.tv_usec <= last.tv_usec)) {
		tv = last;
		if (++tv.tv_usec == 1000000) {
			tv.tv_usec = 0;
			tv.tv_sec++;
		}
	}
	last = tv;
	put(out, (unsigned long long)tv.tv_sec, 7);
	put(out + 7, (unsigned long long)tv.tv_usec, 4);
	put(out + 11, (unsigned long long)getpid(), 5);
	out[QID_LEN] = '\0';
}

bool
qid_valid(const char *s)
{
	size_t i;

	for (i = 0; i < QID_LEN; i++)
		if (digit(s[i]) < 0)
			return false;
	return s[QID_LEN] == '\0';
}

int
qid_time(const char *id, struct timeval *tv)
{
	unsigned long long sec = 0, usec = 0;
	int i;

	if (!qid_valid(id))
		return -1;
	for (i = 0; i < 7; i++)
		sec = (sec << 5) | (unsigned)digit(id[i]);
	for (i = 7; i < 11; i++)
		usec = (usec << 5) | (unsigned)digit(id[i]);
	if (usec >= 1000000)
		return -1;
	tv->tv_sec = (time_t)sec;
	tv->tv_usec = (suseconds_t)usec;
	return 0;
}

/*
 * authd.h - the authentication service; authd(8).
 */
#ifndef POSTERN_AUTHD_H
#define POSTERN_AUTHD_H

#include <stdbool.h>
#include <stdint.h>

/* throttle.c: failures per client address and per account, in memory */
/* throttle_blocked - is the address blocked right now? */
bool throttle_blocked(const char *rip);
/* throttle_failed - count a failure; returns the delay (ms) before the
 * answer; logs once when the address becomes blocked. */
uint64_t throttle_failed(const char *rip, const char *user);
/* throttle_ok - a success clears the account's count. */
void throttle_ok(const char *user);

#endif

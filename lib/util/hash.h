/*
 * hash.h - the one string hash of the in-memory tables (master's anvil
 * and greylist, the DNS cache): FNV-1a, 32 bits.  Not for input an
 * attacker chooses to collide where that matters; the tables it serves
 * are bounded by count, not by chain length.
 */
#ifndef POSTERN_HASH_H
#define POSTERN_HASH_H

#include <stdint.h>

static inline uint32_t
hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

#endif

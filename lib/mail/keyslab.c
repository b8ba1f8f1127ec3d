/*
 * NAME
 *	keyslab - slots of locked, guarded memory for secret keys
 * DESCRIPTION
 *	See keyslab.h.  A slab is SLAB_SLOTS slots in one sodium_malloc
 *	region; its bookkeeping (which slots are taken) lives in ordinary
 *	memory because it is no secret.  Slabs are few (one per 255 keys),
 *	so a list is enough.
 */
#include <string.h>

#include <sodium.h>

#include "mail/keyslab.h"
#include "util/log.h"
#include "util/mem.h"

/* 255 slots and libsodium's 16-byte canary fit four pages exactly. */
#define SLAB_SLOTS	255
#define SLAB_WORDS	((SLAB_SLOTS + 63) / 64)

struct slab {
	uint8_t *mem;			/* sodium_malloc'ed slots */
	uint64_t taken[SLAB_WORDS];	/* bit i: slot i in use */
	unsigned used;
	struct slab *next;
};

static struct slab *slabs;
static size_t n_used, n_slabs;

uint8_t *
keyslab_get(void)
{
	struct slab *sl;

	for (sl = slabs; sl != NULL && sl->used == SLAB_SLOTS; sl = sl->next)
		;
	if (sl == NULL) {
		sl = xcalloc(1, sizeof(*sl));
		sl->mem = sodium_malloc((size_t)SLAB_SLOTS * KEYSLAB_SLOT);
		if (sl->mem == NULL) {
			free(sl);
			return NULL;
		}
		sodium_memzero(sl->mem, (size_t)SLAB_SLOTS * KEYSLAB_SLOT);
		sl->next = slabs;
		slabs = sl;
		n_slabs++;
	}
	for (unsigned i = 0; i < SLAB_SLOTS; i++) {
		uint64_t bit = UINT64_C(1) << (i % 64);

		if (sl->taken[i / 64] & bit)
			continue;
		sl->taken[i / 64] |= bit;
		sl->used++;
		n_used++;
		return sl->mem + (size_t)i * KEYSLAB_SLOT;
	}
	msg_panic("%s: slab count out of step", __func__);
}

void
keyslab_put(uint8_t *slot)
{
	struct slab **pp, *sl;
	size_t i;

	if (slot == NULL)
		return;
	for (pp = &slabs; (sl = *pp) != NULL; pp = &sl->next)
		if (slot >= sl->mem &&
		    slot < sl->mem + (size_t)SLAB_SLOTS * KEYSLAB_SLOT)
			break;
	if (sl == NULL)
		msg_panic("%s: not a slab slot", __func__);
	i = (size_t)(slot - sl->mem) / KEYSLAB_SLOT;
	if (slot != sl->mem + i * KEYSLAB_SLOT ||
	    !(sl->taken[i / 64] & (UINT64_C(1) << (i % 64))))
		msg_panic("%s: slot not in use", __func__);
	sodium_memzero(slot, KEYSLAB_SLOT);
	sl->taken[i / 64] &= ~(UINT64_C(1) << (i % 64));
	sl->used--;
	n_used--;
	/* Keep one slab for the next login; give back the rest. */
	if (sl->used == 0 && n_slabs > 1) {
		*pp = sl->next;
		sodium_free(sl->mem);
		free(sl);
		n_slabs--;
	}
}

void
keyslab_stats(size_t *used, size_t *n)
{
	*used = n_used;
	*n = n_slabs;
}

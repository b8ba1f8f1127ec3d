/*
 * keyslab - fixed-size slots of locked, guarded memory for secret keys
 *
 * sodium_malloc gives each allocation its own guard pages and locks a
 * whole page: two resident pages (8 KB) for 64 bytes of key.  cryptd
 * holds one key pair per logged-in session, so that was most of the
 * memory an idle IMAP connection cost.  A slab takes one sodium_malloc
 * region (guard pages around it, locked, never swapped, wiped on free) and
 * cuts it into KEYSLAB_SLOT-byte slots.  Slots of one slab are adjacent:
 * the guard pages stop a run off the slab, not off a slot, which is why
 * the slots are fixed-size and written only whole by their owner.
 */
#ifndef POSTERN_KEYSLAB_H
#define POSTERN_KEYSLAB_H

#include <stddef.h>
#include <stdint.h>

#define KEYSLAB_SLOT	64	/* an X25519 pair: pk (32) | sk (32) */

/* keyslab_get - a zeroed slot, or NULL when locked memory is exhausted */
uint8_t *keyslab_get(void);
/* keyslab_put - wipe slot and give it back; an emptied slab is freed */
void keyslab_put(uint8_t *slot);
/* keyslab_stats - slots in use and slabs held (for tests and logs) */
void keyslab_stats(size_t *used, size_t *slabs);

#endif

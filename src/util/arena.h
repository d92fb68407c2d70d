/*
 * arena -- region allocator with one lifetime (STYLE.md habit 17).
 *
 * Objects are never freed one by one: arena_reset() drops everything but
 * keeps the first block for reuse (the per-request pattern: reset when the
 * answer is sent, no malloc on the next request while it fits), and
 * arena_destroy() gives every block back.
 *
 * Invariants:
 *  (1) every pointer returned is aligned to 16 bytes;
 *  (2) a pointer stays valid until the next arena_reset/arena_destroy;
 *  (3) allocation failure returns NULL and leaves the arena usable.
 *
 * Thread context: one arena belongs to one thread (one shard) at a time.
 */
#ifndef RINGDB_UTIL_ARENA_H
#define RINGDB_UTIL_ARENA_H

#include <stddef.h>

struct arena_block;

typedef struct arena {
    struct arena_block *head; /* newest block, allocation happens here */
    size_t block_sz;          /* default size of a new block */
    size_t sz_used;           /* bytes handed out since last reset (stats) */
} arena;

void arena_init(arena *a, size_t block_sz);
void *arena_alloc(arena *a, size_t sz);                 /* 16-aligned; NULL on OOM */
void *arena_calloc(arena *a, size_t sz);                /* zeroed */
char *arena_strndup(arena *a, const char *s, size_t n); /* NUL-terminated copy */
void *arena_memdup(arena *a, const void *p, size_t n);
void arena_reset(arena *a);   /* drop all objects, keep the first block */
void arena_destroy(arena *a); /* free all blocks; arena_init before reuse */

#endif

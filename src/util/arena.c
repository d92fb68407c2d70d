/*
 * arena.c -- see arena.h. Blocks form a singly linked list, newest first.
 * A request larger than a quarter of block_sz gets a block of its own so a
 * big value does not waste the rest of a normal block.
 */
#include "util/arena.h"
#include "util/mem.h"

#include <stdint.h>
#include <string.h>

struct arena_block {
    struct arena_block *next;
    size_t sz;  /* usable bytes in data[] */
    size_t off; /* next free offset in data[] */
    _Alignas(16) unsigned char data[];
};

#define ALIGN16(x) (((x) + 15u) & ~(size_t)15u)

void arena_init(arena *a, size_t block_sz)
{
    a->head = NULL;
    a->block_sz = block_sz ? block_sz : 8192;
    a->sz_used = 0;
}

static struct arena_block *new_block(size_t sz)
{
    struct arena_block *b = mem_alloc(sizeof(*b) + sz);
    if (!b) return NULL;
    b->next = NULL;
    b->sz = sz;
    b->off = 0;
    return b;
}

void *arena_alloc(arena *a, size_t sz)
{
    sz = ALIGN16(sz ? sz : 1);
    struct arena_block *b = a->head;
    if (b && b->sz - b->off >= sz) {
        void *p = b->data + b->off;
        b->off += sz;
        a->sz_used += sz;
        return p;
    }
    if (sz > a->block_sz / 4) {
        /* Oversized: own block, linked behind the head so the head keeps
         * serving small allocations. */
        struct arena_block *big = new_block(sz);
        if (!big) return NULL;
        big->off = sz;
        if (b) {
            big->next = b->next;
            b->next = big;
        } else {
            a->head = big;
        }
        a->sz_used += sz;
        return big->data;
    }
    struct arena_block *nb = new_block(a->block_sz);
    if (!nb) return NULL;
    nb->next = a->head;
    a->head = nb;
    nb->off = sz;
    a->sz_used += sz;
    return nb->data;
}

void *arena_calloc(arena *a, size_t sz)
{
    void *p = arena_alloc(a, sz);
    if (p) memset(p, 0, sz);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, s, n);
    d[n] = 0;
    return d;
}

void *arena_memdup(arena *a, const void *p, size_t n)
{
    void *d = arena_alloc(a, n);
    if (d && n) memcpy(d, p, n);
    return d;
}

void arena_reset(arena *a)
{
    /* Keep the oldest normal-sized block (the tail of the list), free the rest. */
    struct arena_block *keep = NULL, *b = a->head;
    while (b) {
        struct arena_block *next = b->next;
        if (!keep && next == NULL && b->sz == a->block_sz) {
            keep = b;
        } else {
            mem_free(b);
        }
        b = next;
    }
    if (keep) keep->off = 0;
    a->head = keep;
    a->sz_used = 0;
}

void arena_destroy(arena *a)
{
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *next = b->next;
        mem_free(b);
        b = next;
    }
    a->head = NULL;
    a->sz_used = 0;
}

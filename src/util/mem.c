/*
 * mem.c -- counting allocator over libc (see mem.h).
 */
#include "util/mem.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_int_least64_t n_outstanding;
static atomic_int_least64_t fail_countdown = -1;

static int should_fail(void)
{
    int64_t c = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    if (c < 0) return 0;
    if (c == 0) return 1;
    atomic_fetch_sub_explicit(&fail_countdown, 1, memory_order_relaxed);
    return 0;
}

void *mem_alloc(size_t sz)
{
    if (should_fail()) return NULL;
    void *p = malloc(sz ? sz : 1);
    if (p) atomic_fetch_add_explicit(&n_outstanding, 1, memory_order_relaxed);
    return p;
}

void *mem_calloc(size_t n, size_t sz)
{
    if (should_fail()) return NULL;
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (p) atomic_fetch_add_explicit(&n_outstanding, 1, memory_order_relaxed);
    return p;
}

void *mem_realloc(void *p, size_t sz)
{
    if (!p) return mem_alloc(sz);
    if (should_fail()) return NULL;
    return realloc(p, sz ? sz : 1);
}

void mem_free(void *p)
{
    if (!p) return;
    atomic_fetch_sub_explicit(&n_outstanding, 1, memory_order_relaxed);
    free(p);
}

char *mem_strndup(const char *s, size_t n)
{
    char *d = mem_alloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

int64_t mem_outstanding(void)
{
    return atomic_load(&n_outstanding);
}

void mem_fail_after(int64_t n)
{
    atomic_store(&fail_countdown, n);
}

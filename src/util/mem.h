/*
 * mem -- the one door to the heap.
 *
 * Every allocation in ringdb goes through mem_alloc/mem_calloc/mem_realloc/
 * mem_free so that tests can count allocations and make the Nth one fail
 * (STYLE.md habit 19). Out of memory returns NULL; callers fail the request,
 * never abort the node.
 *
 * Thread context: any thread. The counters are atomics; the failure
 * injection (mem_fail_after) is meant for single-threaded unit tests.
 */
#ifndef RINGDB_UTIL_MEM_H
#define RINGDB_UTIL_MEM_H

#include <stddef.h>
#include <stdint.h>

void *mem_alloc(size_t sz);                 /* NULL on failure; caller frees with mem_free */
void *mem_calloc(size_t n, size_t sz);      /* zeroed; NULL on failure or overflow */
void *mem_realloc(void *p, size_t sz);      /* NULL on failure, p still valid then */
void mem_free(void *p);                     /* NULL is fine */
char *mem_strndup(const char *s, size_t n); /* NUL-terminated copy; caller frees */

/* Number of successful allocations minus frees since start (leak checks). */
int64_t mem_outstanding(void);

/* Test hook: after n more successful allocations, every allocation fails
 * until mem_fail_after(-1) is called. */
void mem_fail_after(int64_t n);

#endif

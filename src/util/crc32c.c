/*
 * crc32c.c -- CRC-32C, see crc32c.h.
 *
 * Why two implementations: every commit-log record and every sstable chunk
 * is checksummed, so the CRC sits on the write path of every mutation and on
 * every read. x86-64 CPUs since Nehalem (2008) compute CRC-32C in hardware
 * (SSE4.2 `crc32`, 8 bytes per instruction, ~3 cycle latency): roughly
 * 8-20 GB/s against ~1.5-3 GB/s for the best table method. But the
 * instruction is not part of the x86-64 baseline, and other CPUs (or an old
 * VM that masks the flag) need a fallback, so the choice is made at run time
 * with __builtin_cpu_supports("sse4.2") instead of compiling with -msse4.2
 * (which would make the binary die with SIGILL on such machines). The
 * fallback is slicing-by-8 (Intel's 2006 algorithm: 8 table look-ups per 8
 * input bytes, no carried dependency between them), several times faster
 * than the byte-at-a-time table.
 *
 * Invariants:
 *  (1) both implementations compute the same function (tested on random
 *      buffers in tests/unit/test_crc32c.c);
 *  (2) the tables are built once (pthread_once) and read-only after that;
 *      the dispatch pointer is written once with the same value by whichever
 *      thread gets there first, so a race on it is benign (atomic anyway).
 */
#include "util/crc32c.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CRC32C_HAVE_SSE42 1
#include <nmmintrin.h>
#endif

#define POLY 0x82F63B78u /* 0x1EDC6F41 bit-reversed */

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void build_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (POLY & (0u - (c & 1u)));
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
}

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t n)
{
    pthread_once(&table_once, build_tables);
    const uint8_t *p = buf;
    uint32_t c = ~crc;
    while (n && ((uintptr_t)p & 7)) {
        c = (c >> 8) ^ table[0][(c ^ *p++) & 0xff];
        n--;
    }
    while (n >= 8) {
        uint64_t v = load_le64(p) ^ c;
        c = table[7][v & 0xff] ^ table[6][(v >> 8) & 0xff] ^ table[5][(v >> 16) & 0xff] ^
            table[4][(v >> 24) & 0xff] ^ table[3][(v >> 32) & 0xff] ^ table[2][(v >> 40) & 0xff] ^
            table[1][(v >> 48) & 0xff] ^ table[0][v >> 56];
        p += 8;
        n -= 8;
    }
    while (n--)
        c = (c >> 8) ^ table[0][(c ^ *p++) & 0xff];
    return ~c;
}

#ifdef CRC32C_HAVE_SSE42
__attribute__((target("sse4.2"))) uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    uint64_t c = ~crc;
    while (n && ((uintptr_t)p & 7)) {
        c = _mm_crc32_u8((uint32_t)c, *p++);
        n--;
    }
    /* Four independent 8-byte steps per iteration would need a combine
     * step; one stream already runs at memory speed for commit-log batches. */
    while (n >= 32) {
        uint64_t a, b, d, e;
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, 8);
        memcpy(&d, p + 16, 8);
        memcpy(&e, p + 24, 8);
        c = _mm_crc32_u64(c, a);
        c = _mm_crc32_u64(c, b);
        c = _mm_crc32_u64(c, d);
        c = _mm_crc32_u64(c, e);
        p += 32;
        n -= 32;
    }
    while (n >= 8) {
        uint64_t a;
        memcpy(&a, p, 8);
        c = _mm_crc32_u64(c, a);
        p += 8;
        n -= 8;
    }
    while (n--)
        c = _mm_crc32_u8((uint32_t)c, *p++);
    return ~(uint32_t)c;
}

int crc32c_hw_available(void)
{
    return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}
#else
uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t n)
{
    return crc32c_sw(crc, buf, n);
}

int crc32c_hw_available(void)
{
    return 0;
}
#endif

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);
static _Atomic(crc_fn) impl; /* invariant (2) */

uint32_t crc32c_extend(uint32_t crc, const void *p, size_t n)
{
    crc_fn f = atomic_load_explicit(&impl, memory_order_relaxed);
    if (!f) {
        f = crc32c_hw_available() ? crc32c_hw : crc32c_sw;
        atomic_store_explicit(&impl, f, memory_order_relaxed);
    }
    return f(crc, p, n);
}

uint32_t crc32c(const void *p, size_t n)
{
    return crc32c_extend(0, p, n);
}

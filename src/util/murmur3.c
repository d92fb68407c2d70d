/*
 * murmur3.c -- see murmur3.h.
 *
 * Speed: the body is read with memcpy (one unaligned 8-byte load each on
 * x86-64/arm64), the tail with a fall-through switch; there are no
 * branches per byte and no allocation. On a big-endian host the loads are
 * byte-swapped so the result stays the little-endian one Cassandra defines.
 */
#include "util/murmur3.h"

#include <string.h>

#define C1 UINT64_C(0x87c37b91114253d5)
#define C2 UINT64_C(0x4cf5ad432745937f)

static inline uint64_t rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= UINT64_C(0xff51afd7ed558ccd);
    k ^= k >> 33;
    k *= UINT64_C(0xc4ceb9fe1a85ec53);
    k ^= k >> 33;
    return k;
}

/* Tail byte i, sign-extended as Java's (long) of a byte, shifted by s bits.
 * The conversion to uint64_t happens before the shift (no UB on negatives). */
#define SX(p, i, s) ((uint64_t)(int64_t)(int8_t)(p)[i] << (s))

void mm3_hash128(const void *key, size_t n, uint64_t seed, uint64_t out[2])
{
    const uint8_t *p = key;
    size_t n_blocks = n / 16;
    uint64_t h1 = seed, h2 = seed;

    for (size_t i = 0; i < n_blocks; i++, p += 16) {
        uint64_t k1 = load_le64(p);
        uint64_t k2 = load_le64(p + 8);

        k1 *= C1;
        k1 = rotl64(k1, 31);
        k1 *= C2;
        h1 ^= k1;
        h1 = rotl64(h1, 27);
        h1 += h2;
        h1 = h1 * 5 + 0x52dce729;

        k2 *= C2;
        k2 = rotl64(k2, 33);
        k2 *= C1;
        h2 ^= k2;
        h2 = rotl64(h2, 31);
        h2 += h1;
        h2 = h2 * 5 + 0x38495ab5;
    }

    uint64_t k1 = 0, k2 = 0;
    switch (n & 15) {
    case 15: k2 ^= SX(p, 14, 48); /* fall through */
    case 14: k2 ^= SX(p, 13, 40); /* fall through */
    case 13: k2 ^= SX(p, 12, 32); /* fall through */
    case 12: k2 ^= SX(p, 11, 24); /* fall through */
    case 11: k2 ^= SX(p, 10, 16); /* fall through */
    case 10: k2 ^= SX(p, 9, 8);   /* fall through */
    case 9:
        k2 ^= SX(p, 8, 0);
        k2 *= C2;
        k2 = rotl64(k2, 33);
        k2 *= C1;
        h2 ^= k2;
        /* fall through */
    case 8: k1 ^= SX(p, 7, 56); /* fall through */
    case 7: k1 ^= SX(p, 6, 48); /* fall through */
    case 6: k1 ^= SX(p, 5, 40); /* fall through */
    case 5: k1 ^= SX(p, 4, 32); /* fall through */
    case 4: k1 ^= SX(p, 3, 24); /* fall through */
    case 3: k1 ^= SX(p, 2, 16); /* fall through */
    case 2: k1 ^= SX(p, 1, 8);  /* fall through */
    case 1:
        k1 ^= SX(p, 0, 0);
        k1 *= C1;
        k1 = rotl64(k1, 31);
        k1 *= C2;
        h1 ^= k1;
        break;
    case 0: break;
    }

    h1 ^= (uint64_t)n;
    h2 ^= (uint64_t)n;
    h1 += h2;
    h2 += h1;
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 += h2;
    h2 += h1;

    out[0] = h1;
    out[1] = h2;
}

int64_t mm3_token(const void *key, size_t n)
{
    if (n == 0) return MM3_MIN_TOKEN; /* invariant (2) */
    uint64_t h[2];
    mm3_hash128(key, n, 0, h);
    int64_t t = (int64_t)h[0];
    return t == INT64_MIN ? INT64_MAX : t;
}

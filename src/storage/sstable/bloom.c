/*
 * bloom.c -- the bloom filter over partition keys (Filter.db), sized by
 * bloom_filter_fp_chance as Cassandra does: m = -n ln(p) / ln(2)^2 bits,
 * k = round(m/n ln 2) hash functions (1..20).
 *
 * Hashes: Cassandra's Murmur3 x64_128 of the key bytes (seed 0) gives
 * (h1, h2); probe i sets bit (h1 + i * h2) mod m (Kirsch-Mitzenmacher
 * double hashing, as Cassandra's BloomFilter). Bits are 64-bit words,
 * little-endian on disk, bit j of the filter = word j/64, bit j%64.
 *
 * Invariant: a key added is always reported present (no false negatives).
 */
#include "storage/sstable/sst_int.h"
#include "util/mem.h"
#include "util/murmur3.h"

#include <errno.h>
#include <math.h>

int bloom_init(struct bloom *b, uint64_t n, double fp)
{
    b->n_bits = 0;
    b->k = 0;
    b->bits = NULL;
    if (n == 0 || !(fp < 1.0)) return 0;
    if (fp < 1e-9) fp = 1e-9;
    double ln2 = log(2.0);
    double m = ceil(-(double)n * log(fp) / (ln2 * ln2));
    if (m < 64) m = 64;
    if (m > (double)(1ull << 40)) m = (double)(1ull << 40);
    double k = round(m / (double)n * ln2);
    if (k < 1) k = 1;
    if (k > 20) k = 20;
    b->n_bits = (uint64_t)m;
    b->k = (uint32_t)k;
    b->bits = mem_calloc((size_t)((b->n_bits + 63) / 64), 8);
    if (!b->bits) {
        b->n_bits = 0;
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void bloom_free(struct bloom *b)
{
    mem_free(b->bits);
    b->bits = NULL;
    b->n_bits = 0;
}

void bloom_hash(db_val key, uint64_t h[2])
{
    mm3_hash128(key.p, key.len > 0 ? (size_t)key.len : 0, 0, h);
}

void bloom_add(struct bloom *b, const uint64_t h[2])
{
    if (!b->n_bits) return;
    for (uint32_t i = 0; i < b->k; i++) {
        uint64_t j = (h[0] + (uint64_t)i * h[1]) % b->n_bits;
        b->bits[j / 64] |= 1ull << (j % 64);
    }
}

int bloom_test(const struct bloom *b, const uint64_t h[2])
{
    if (!b->n_bits) return 1;
    for (uint32_t i = 0; i < b->k; i++) {
        uint64_t j = (h[0] + (uint64_t)i * h[1]) % b->n_bits;
        if (!(b->bits[j / 64] & (1ull << (j % 64)))) return 0;
    }
    return 1;
}

/*
 * murmur3 -- Cassandra's Murmur3 x64_128, bit for bit, and the partition
 * token that Murmur3Partitioner derives from it.
 *
 * Cassandra's MurmurHash.hash3_x64_128 differs from Appleby's reference
 * MurmurHash3_x64_128 in one place: the tail (the last len % 16 bytes) is
 * read as Java bytes, which are signed, so every tail byte >= 0x80 is
 * sign-extended to 64 bits before it is shifted and XORed in. The 16-byte
 * body blocks are read as unsigned little-endian words, as in the
 * reference. Drivers (token-aware routing) reproduce the same quirk; so must
 * we, or a key would be owned by a different replica than the driver thinks.
 *
 * Invariants:
 *  (1) mm3_hash128() equals Cassandra's hash3_x64_128(key, 0, n, seed) for
 *      every input, including tails with bytes >= 0x80;
 *  (2) mm3_token() never returns INT64_MIN for a non-empty key (INT64_MIN
 *      is the ring's minimum token, which no key may own) and returns
 *      INT64_MIN for the empty key, as Murmur3Partitioner.getToken does.
 *
 * Thread context: pure functions, any thread.
 */
#ifndef RINGDB_UTIL_MURMUR3_H
#define RINGDB_UTIL_MURMUR3_H

#include <stddef.h>
#include <stdint.h>

/* Minimum token of the ring (Murmur3Partitioner.MINIMUM). */
#define MM3_MIN_TOKEN INT64_MIN
#define MM3_MAX_TOKEN INT64_MAX

/* Cassandra's hash3_x64_128 of key[0..n) with the given seed.
 * OUT: out[0] = h1, out[1] = h2 (Cassandra's result[0], result[1]). */
void mm3_hash128(const void *key, size_t n, uint64_t seed, uint64_t out[2]);

/* The Murmur3Partitioner token of a partition key (its serialized bytes):
 * (int64_t)h1 with seed 0; INT64_MIN is mapped to INT64_MAX (normalize());
 * the empty key gets MM3_MIN_TOKEN. */
int64_t mm3_token(const void *key, size_t n);

#endif

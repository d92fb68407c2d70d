/*
 * uuid -- 16-byte UUIDs: random (v4), time-based (v1, Cassandra's
 * timeuuid), name-based (v3), text form, and timeuuid timestamps.
 *
 * Layout is RFC 4122 network order, the same 16 bytes the CQL `uuid` and
 * `timeuuid` types carry on the wire: b[0..3] time_low, b[4..5] time_mid,
 * b[6..7] version (high nibble) + time_hi, b[8] variant (10xxxxxx) +
 * clock_seq_hi, b[9] clock_seq_low, b[10..15] node.
 *
 * Timeuuid generation follows Cassandra's TimeUUID/UUIDGen:
 *  - the timestamp counts 100 ns intervals since 1582-10-15T00:00Z;
 *  - clock_seq + node are fixed for a generator: the node is random with the
 *    multicast bit (the low bit of b[10]) set, because it is not a MAC;
 *  - if the clock has not moved past the last timestamp handed out, the last
 *    one + 1 is used ("borrowing" future ticks), so a generator never
 *    repeats or goes backwards, however often it is called per tick.
 * ringdb keeps one generator per thread (no lock, no atomics on the hot
 * path). The node is random per process; each thread takes a distinct
 * clock_seq (a process-random base + a per-thread counter, mod 2^14), so
 * two threads never produce the same uuid, even in the same tick, for up
 * to 16384 threads per process.
 *
 * Invariants:
 *  (1) uuids from one thread are strictly increasing in timestamp;
 *  (2) uuids from different threads of one process differ in clock_seq;
 *  (3) uuid_format() output is 36 lowercase characters; uuid_parse()
 *      accepts exactly the 8-4-4-4-12 hex form (either case) and nothing else.
 *
 * Thread context: all functions may run on any thread. uuid_v1() keeps
 * thread-local state; uuid_v4() calls getrandom(2) (never blocks once the
 * kernel's pool is initialised, which it is long before ringdb starts).
 */
#ifndef RINGDB_UTIL_UUID_H
#define RINGDB_UTIL_UUID_H

#include <stddef.h>
#include <stdint.h>

#define UUID_STR_LEN 36 /* text form, without the NUL */

typedef struct uuid {
    uint8_t b[16];
} uuid;

/* 100 ns intervals between 1582-10-15 and 1970-01-01. */
#define UUID_EPOCH_OFFSET_100NS INT64_C(122192928000000000)

/* Random version 4 uuid. OUT: *out. Returns 0, or -1 if getrandom failed
 * (then *out is zeroed). */
int uuid_v4(uuid *out);

/* New time-based version 1 uuid (timeuuid) for the current time, from this
 * thread's generator (see above). OUT: *out. Cannot fail: should
 * getrandom(2) ever fail when the process state is seeded, the node and
 * clock_seq base are derived from the clock and the pid instead. */
void uuid_v1(uuid *out);

/* Version 1 uuid from explicit parts: ts_100ns is the 60-bit timestamp
 * (100 ns since 1582-10-15), clock_seq_node the low 64 bits as Cassandra's
 * "clockSeqAndNode" long (variant bits included by the caller). */
void uuid_v1_make(uuid *out, uint64_t ts_100ns, uint64_t clock_seq_node);

/* Smallest / largest timeuuid of a Unix millisecond, as Cassandra's
 * minTimeuuid()/maxTimeuuid() CQL functions build them (lsb 0x8080...80
 * and 0x7f7f...7f, max timestamp = ms * 10000 + 9999). */
void uuid_min_timeuuid(uuid *out, int64_t unix_ms);
void uuid_max_timeuuid(uuid *out, int64_t unix_ms);

/* Type 3 name-based uuid: MD5 of name[0..n) with version 3 and RFC 4122
 * variant bits set -- Java's UUID.nameUUIDFromBytes, which Cassandra uses
 * for deterministic ids (e.g. system table ids are the uuid of
 * keyspace name bytes + table name bytes). Returns 0, or -1 if MD5 failed. */
int uuid_from_md5_name(uuid *out, const void *name, size_t n);

/* Text form. OUT: out receives 36 lowercase chars and a NUL. */
void uuid_format(const uuid *u, char out[UUID_STR_LEN + 1]);

/* Parse s[0..n) (not necessarily NUL-terminated), which must be exactly
 * the 36-char 8-4-4-4-12 hex form. Returns 0, or -1 (then *out is untouched). */
int uuid_parse(uuid *out, const char *s, size_t n);

/* The version nibble (1, 3, 4, ...). */
static inline int uuid_version(const uuid *u)
{
    return u->b[6] >> 4;
}

/* The 60-bit timestamp of a version 1 uuid (100 ns since 1582-10-15). The
 * result is meaningless for other versions. */
uint64_t uuid_timestamp_100ns(const uuid *u);

/* Unix time in milliseconds of a version 1 uuid (may be negative for
 * timestamps before 1970; floor division, as Cassandra's
 * TimeUUID.unixTimestamp). The result is meaningless for other versions:
 * check uuid_version() == 1 first. */
int64_t uuid_timestamp_ms(const uuid *u);

#endif

/*
 * crc32c -- CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78),
 * the checksum of the commit log, iSCSI (RFC 3720), ext4 and Cassandra's
 * commit log and sstables.
 *
 * crc32c("123456789") == 0xE3069283; 32 zero bytes -> 0x8A9136AA.
 *
 * Two implementations give the same answers: the SSE4.2 CRC32 instruction
 * (picked at run time when the CPU has it) and a portable slicing-by-8 table
 * walk. Thread context: any thread; no state apart from tables built once.
 */
#ifndef RINGDB_UTIL_CRC32C_H
#define RINGDB_UTIL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of n bytes at p (n may be 0; p may then be NULL). */
uint32_t crc32c(const void *p, size_t n);

/* Continues a CRC: crc32c_extend(crc32c(a, na), b, nb) == crc32c(a||b).
 * crc32c_extend(0, p, n) == crc32c(p, n). */
uint32_t crc32c_extend(uint32_t crc, const void *p, size_t n);

/* For tests and benchmarks: each implementation by name. crc32c_hw is only
 * valid when crc32c_hw_available() returns 1. */
uint32_t crc32c_sw(uint32_t crc, const void *p, size_t n);
uint32_t crc32c_hw(uint32_t crc, const void *p, size_t n);
int crc32c_hw_available(void);

#endif

/*
 * md5 -- MD5 digests through OpenSSL's libcrypto (EVP).
 *
 * Used where Cassandra uses MD5: prepared statement ids (MD5 of the query
 * string, with the keyspace prefixed when one is in use), schema versions,
 * and type 3 name-based UUIDs (uuid_from_md5_name). Not a security
 * primitive anywhere in ringdb.
 *
 * Thread context: any thread; no shared state (EVP_md5() is a static
 * method table, EVP_Digest allocates its context on each call).
 */
#ifndef RINGDB_UTIL_MD5_H
#define RINGDB_UTIL_MD5_H

#include <stddef.h>
#include <stdint.h>

#define MD5_DIGEST_SZ 16

/* MD5 of p[0..n). OUT: out receives 16 bytes. p may be NULL when n == 0.
 * Returns 0, or -1 if libcrypto failed (out of memory); out is then zeroed. */
int md5_digest(const void *p, size_t n, uint8_t out[MD5_DIGEST_SZ]);

#endif

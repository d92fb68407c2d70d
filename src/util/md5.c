/*
 * md5.c -- see md5.h. One EVP_Digest call per digest; libcrypto allocates
 * (with its own malloc, not mem_) and frees the digest context inside it.
 */
#include "util/md5.h"

#include <string.h>

#include <openssl/evp.h>

int md5_digest(const void *p, size_t n, uint8_t out[MD5_DIGEST_SZ])
{
    static const uint8_t empty[1];
    unsigned int len = 0;
    if (!p) p = empty;
    if (EVP_Digest(p, n, out, &len, EVP_md5(), NULL) != 1 || len != MD5_DIGEST_SZ) {
        memset(out, 0, MD5_DIGEST_SZ);
        return -1;
    }
    return 0;
}

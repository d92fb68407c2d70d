/*
 * test_md5 -- md5_digest against the RFC 1321 test suite and friends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "util/md5.h"
#include "util/mem.h"

static void hex(const uint8_t d[MD5_DIGEST_SZ], char out[33])
{
    for (int i = 0; i < MD5_DIGEST_SZ; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void check(const void *p, size_t n, const char *want)
{
    uint8_t d[MD5_DIGEST_SZ];
    char got[33];
    assert_int_equal(md5_digest(p, n, d), 0);
    hex(d, got);
    assert_string_equal(got, want);
}

static void test_rfc1321(void **state)
{
    (void)state;
    static const struct {
        const char *in, *md5;
    } v[] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"a", "0cc175b9c0f1b6a831c399e269772661"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
         "d174ab98d277d9f5a5611c2c9f419d9f"},
        {"1234567890123456789012345678901234567890"
         "1234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"},
        {"The quick brown fox jumps over the lazy dog", "9e107d9d372bb6826bd81d3542a419d6"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        check(v[i].in, strlen(v[i].in), v[i].md5);
}

static void test_null_empty_and_binary(void **state)
{
    (void)state;
    check(NULL, 0, "d41d8cd98f00b204e9800998ecf8427e");
    const uint8_t bin[4] = {0x00, 0xff, 0x80, 0x00};
    check(bin, sizeof(bin), "c5efce613410db797c9b1b235d8906b8"); /* python3 hashlib */
}

static void test_million_a(void **state)
{
    (void)state;
    size_t n = 1000000;
    char *p = mem_alloc(n);
    assert_non_null(p);
    memset(p, 'a', n);
    check(p, n, "7707d6ae4e027c70eea2a935c2296f21");
    mem_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc1321),
        cmocka_unit_test(test_null_empty_and_binary),
        cmocka_unit_test(test_million_a),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_crc32c.c -- CRC-32C test vectors (RFC 3720 B.4, the "123456789"
 * check value) and hardware/software equality on random buffers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "util/crc32c.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_all(const void *p, size_t n, uint32_t want)
{
    assert_int_equal(crc32c(p, n), want);
    assert_int_equal(crc32c_sw(0, p, n), want);
    if (crc32c_hw_available()) assert_int_equal(crc32c_hw(0, p, n), want);
}

static void test_check_value(void **st)
{
    check_all("123456789", 9, 0xE3069283u);
    check_all("", 0, 0);
    check_all(NULL, 0, 0);
    check_all("a", 1, 0xC1D04330u);
}

/* RFC 3720 appendix B.4 */
static void test_rfc3720_vectors(void **st)
{
    uint8_t b[48];
    memset(b, 0, 32);
    check_all(b, 32, 0x8A9136AAu);
    memset(b, 0xff, 32);
    check_all(b, 32, 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)i;
    check_all(b, 32, 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)(31 - i);
    check_all(b, 32, 0x113FDB5Cu);
    /* iSCSI SCSI Read (10) command PDU */
    static const uint8_t pdu[48] = {
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    check_all(pdu, sizeof(pdu), 0xD9963A56u);
}

static void test_extend_equals_whole(void **st)
{
    const char *s = "The quick brown fox jumps over the lazy dog";
    size_t n = strlen(s);
    uint32_t whole = crc32c(s, n);
    assert_int_equal(whole, 0x22620404u);
    for (size_t k = 0; k <= n; k++)
        assert_int_equal(crc32c_extend(crc32c(s, k), s + k, n - k), whole);
}

static void test_hw_equals_sw_random(void **st)
{
    if (!crc32c_hw_available()) {
        print_message("SSE4.2 not available: only the software path is tested\n");
        return;
    }
    srand(12345);
    enum { MAX = 9000 };
    uint8_t *b = malloc(MAX + 16);
    assert_non_null(b);
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = (size_t)rand() % MAX;
        size_t off = (size_t)rand() % 16; /* every alignment */
        for (size_t i = 0; i < n; i++)
            b[off + i] = (uint8_t)rand();
        uint32_t seed = (iter & 1) ? (uint32_t)rand() : 0;
        assert_int_equal(crc32c_hw(seed, b + off, n), crc32c_sw(seed, b + off, n));
    }
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_value),
        cmocka_unit_test(test_rfc3720_vectors),
        cmocka_unit_test(test_extend_equals_whole),
        cmocka_unit_test(test_hw_equals_sw_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

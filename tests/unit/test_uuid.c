/*
 * test_uuid -- uuid_ generation, text form, timestamps, name-based ids.
 * Expected values were checked with python3's uuid module and Debian's
 * python3-cassandra (cassandra.util.min_uuid_from_time).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <cmocka.h>

#include "util/uuid.h"

static void parse_ok(uuid *u, const char *s)
{
    assert_int_equal(uuid_parse(u, s, strlen(s)), 0);
}

static void assert_text(const uuid *u, const char *want)
{
    char got[UUID_STR_LEN + 1];
    uuid_format(u, got);
    assert_string_equal(got, want);
}

static int cmp_timeuuid(const uuid *a, const uuid *b)
{
    uint64_t ta = uuid_timestamp_100ns(a), tb = uuid_timestamp_100ns(b);
    if (ta != tb) return ta < tb ? -1 : 1;
    return memcmp(a->b + 8, b->b + 8, 8);
}

static void test_format_parse_roundtrip(void **state)
{
    (void)state;
    uuid u;
    parse_ok(&u, "7ad54392-bcdd-35a6-8417-4e047860b377");
    assert_int_equal(u.b[0], 0x7a);
    assert_int_equal(u.b[15], 0x77);
    assert_int_equal(uuid_version(&u), 3);
    assert_text(&u, "7ad54392-bcdd-35a6-8417-4e047860b377");
    /* Upper case is accepted, output is lower case. */
    parse_ok(&u, "A75A9687-2C29-11EA-9234-0123456789AB");
    assert_text(&u, "a75a9687-2c29-11ea-9234-0123456789ab");
    parse_ok(&u, "00000000-0000-0000-0000-000000000000");
    assert_text(&u, "00000000-0000-0000-0000-000000000000");
    parse_ok(&u, "ffffffff-ffff-ffff-ffff-ffffffffffff");
    assert_text(&u, "ffffffff-ffff-ffff-ffff-ffffffffffff");
    /* Length is taken from n, not from a NUL. */
    const char *s = "7ad54392-bcdd-35a6-8417-4e047860b377trailing";
    assert_int_equal(uuid_parse(&u, s, UUID_STR_LEN), 0);
}

static void test_parse_strict(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "7ad54392bcdd35a684174e047860b377",        /* no hyphens */
        "{7ad54392-bcdd-35a6-8417-4e047860b377}",  /* braces */
        "7ad54392-bcdd-35a6-8417-4e047860b37",     /* short */
        "7ad54392-bcdd-35a6-8417-4e047860b3777",   /* long */
        "7ad54392-bcdd-35a6-8417_4e047860b377",    /* wrong separator */
        "7ad5439-2bcdd-35a6-8417-4e047860b377",    /* hyphen moved */
        "7ad54392-bcdd-35a6-8417-4e047860b37g",    /* not hex */
        " 7ad5439-bcdd-35a6-8417-4e047860b377",    /* space */
        "7ad54392-bcdd-35a6-8417-4e047860b37\x80", /* high byte */
        "urn:uuid:7ad54392-bcdd-35a6-8417-4e0478", /* urn form */
        "+ad54392-bcdd-35a6-8417-4e047860b377",
    };
    uuid u;
    memset(&u, 0xaa, sizeof(u));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (uuid_parse(&u, bad[i], strlen(bad[i])) != -1) fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(u.b[0], 0xaa); /* untouched on failure */
    }
    /* Embedded NUL. */
    char z[UUID_STR_LEN] = "7ad54392-bcdd-35a6-8417-4e047860b37";
    assert_int_equal(uuid_parse(&u, z, sizeof(z)), -1);
}

static void test_v4(void **state)
{
    (void)state;
    uuid a, b;
    assert_int_equal(uuid_v4(&a), 0);
    assert_int_equal(uuid_v4(&b), 0);
    assert_int_equal(uuid_version(&a), 4);
    assert_int_equal(a.b[8] & 0xc0, 0x80);
    assert_memory_not_equal(a.b, b.b, 16);
}

static void test_md5_name(void **state)
{
    (void)state;
    uuid u;
    /* Cassandra's table id of system.local: nameUUIDFromBytes("system" + "local"). */
    assert_int_equal(uuid_from_md5_name(&u, "systemlocal", 11), 0);
    assert_text(&u, "7ad54392-bcdd-35a6-8417-4e047860b377");
    assert_int_equal(uuid_from_md5_name(&u, "systempeers_v2", 14), 0);
    assert_text(&u, "c4325fbb-8e5e-3baf-bd07-0f9250ed818e");
    assert_int_equal(uuid_from_md5_name(&u, NULL, 0), 0);
    assert_text(&u, "d41d8cd9-8f00-3204-a980-0998ecf8427e");
}

static void test_v1_make_and_timestamp(void **state)
{
    (void)state;
    /* 2020-01-01T00:00:00.123Z + 4567 x 100 ns. */
    int64_t ms = INT64_C(1577836800123);
    uint64_t ts = (uint64_t)ms * 10000u + 4567u + (uint64_t)UUID_EPOCH_OFFSET_100NS;
    uuid u;
    uuid_v1_make(&u, ts, UINT64_C(0x92340123456789ab));
    assert_text(&u, "a75a9687-2c29-11ea-9234-0123456789ab");
    assert_int_equal(uuid_version(&u), 1);
    assert_int_equal(uuid_timestamp_100ns(&u), ts);
    assert_int_equal(uuid_timestamp_ms(&u), ms);

    /* Before 1970: floor, as Cassandra (raw / 10000 + epoch millis). */
    uuid_v1_make(&u, (uint64_t)UUID_EPOCH_OFFSET_100NS - 1, UINT64_C(0x8000000000000000));
    assert_int_equal(uuid_timestamp_ms(&u), -1);
    uuid_v1_make(&u, 0, UINT64_C(0x8000000000000000));
    assert_int_equal(uuid_timestamp_ms(&u), INT64_C(-12219292800000));
    /* The largest 60-bit timestamp survives the round trip. */
    uuid_v1_make(&u, UINT64_C(0x0fffffffffffffff), 0);
    assert_int_equal(uuid_timestamp_100ns(&u), UINT64_C(0x0fffffffffffffff));
    assert_int_equal(uuid_version(&u), 1);
}

static void test_min_max_timeuuid(void **state)
{
    (void)state;
    int64_t ms = INT64_C(1577836800123);
    uuid lo, hi, mid;
    uuid_min_timeuuid(&lo, ms);
    uuid_max_timeuuid(&hi, ms);
    assert_text(&lo, "a75a84b0-2c29-11ea-8080-808080808080"); /* as the python driver */
    assert_text(&hi, "a75aabbf-2c29-11ea-7f7f-7f7f7f7f7f7f");
    assert_int_equal(uuid_timestamp_ms(&lo), ms);
    assert_int_equal(uuid_timestamp_ms(&hi), ms);
    uuid_v1_make(&mid, uuid_timestamp_100ns(&lo) + 5000, UINT64_C(0x8000000000000001));
    assert_true(cmp_timeuuid(&lo, &mid) < 0 && cmp_timeuuid(&mid, &hi) < 0);
}

static void test_v1_now_and_monotonic(void **state)
{
    (void)state;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t before = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    uuid prev, u;
    uuid_v1(&prev);
    assert_int_equal(uuid_version(&prev), 1);
    assert_int_equal(prev.b[8] & 0xc0, 0x80);  /* RFC 4122 variant */
    assert_int_equal(prev.b[10] & 0x01, 0x01); /* multicast bit: not a MAC */
    assert_true(uuid_timestamp_ms(&prev) >= before);
    assert_true(uuid_timestamp_ms(&prev) < before + 5000);
    /* Far more calls than 100 ns ticks pass: strictly increasing timestamps,
     * same clock_seq and node. */
    for (int i = 0; i < 200000; i++) {
        uuid_v1(&u);
        if (uuid_timestamp_100ns(&u) <= uuid_timestamp_100ns(&prev))
            fail_msg("timestamp did not increase at call %d", i);
        assert_memory_equal(u.b + 8, prev.b + 8, 8);
        prev = u;
    }
}

#define N_THREADS    4
#define N_PER_THREAD 20000
static uuid thread_out[N_THREADS][N_PER_THREAD];

static void *gen_thread(void *arg)
{
    uuid *out = arg;
    for (int i = 0; i < N_PER_THREAD; i++)
        uuid_v1(&out[i]);
    return NULL;
}

static int cmp_bytes(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(uuid));
}

static void test_v1_threads_distinct(void **state)
{
    (void)state;
    pthread_t t[N_THREADS];
    for (int i = 0; i < N_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, gen_thread, thread_out[i]), 0);
    for (int i = 0; i < N_THREADS; i++)
        pthread_join(t[i], NULL);
    /* Each thread has its own clock_seq; the node is the process's. */
    for (int i = 0; i < N_THREADS; i++) {
        for (int j = i + 1; j < N_THREADS; j++) {
            assert_memory_not_equal(thread_out[i][0].b + 8, thread_out[j][0].b + 8, 2);
            assert_memory_equal(thread_out[i][0].b + 10, thread_out[j][0].b + 10, 6);
        }
    }
    qsort(thread_out, (size_t)N_THREADS * N_PER_THREAD, sizeof(uuid), cmp_bytes);
    uuid *all = &thread_out[0][0];
    for (size_t i = 1; i < (size_t)N_THREADS * N_PER_THREAD; i++)
        if (memcmp(&all[i - 1], &all[i], sizeof(uuid)) == 0) fail_msg("duplicate uuid");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_parse_roundtrip),
        cmocka_unit_test(test_parse_strict),
        cmocka_unit_test(test_v4),
        cmocka_unit_test(test_md5_name),
        cmocka_unit_test(test_v1_make_and_timestamp),
        cmocka_unit_test(test_min_max_timeuuid),
        cmocka_unit_test(test_v1_now_and_monotonic),
        cmocka_unit_test(test_v1_threads_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_schema.c -- schema snapshots: built-ins, clone/edit, serialization
 * round trip, corruption detection, version stability.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "schema/schema.h"
#include "util/mem.h"

#include <string.h>

static struct schema *with_user_ks(void)
{
    struct schema *base = schema_new_builtin();
    assert_non_null(base);
    struct schema *s = schema_clone(base);
    schema_unref(base);
    struct schema_keyspace *ks = schema_ks_new("ks1");
    const char *k[] = {"class", "replication_factor"};
    const char *v[] = {"org.apache.cassandra.locator.SimpleStrategy", "3"};
    assert_int_equal(schema_ks_set_repl(ks, 2, k, v), 0);
    ks->durable_writes = 0;
    assert_int_equal(schema_put_ks(s, ks), 0);
    schema_update_version(s);
    return s;
}

static void test_builtins(void **st)
{
    struct schema *s = schema_new_builtin();
    const struct schema_keyspace *sys = schema_find_ks(s, "system");
    assert_non_null(sys);
    const struct schema_table *local = schema_find_table(sys, "local");
    assert_non_null(local);
    assert_int_equal(local->n_pk, 1);
    assert_string_equal(local->cols[0].name, "key");
    const struct schema_column *tok = schema_find_column(local, "tokens");
    assert_non_null(tok);
    assert_int_equal(tok->type->kind, TYPE_SET);
    const struct schema_table *pv2 = schema_find_table(sys, "peers_v2");
    assert_int_equal(pv2->n_ck, 1);
    assert_string_equal(pv2->cols[1].name, "peer_port");
    assert_non_null(schema_find_table(schema_find_ks(s, "system_schema"), "columns"));
    assert_true(schema_find_ks(s, "system_views")->is_virtual);
    schema_unref(s);
}

static void test_roundtrip_and_version(void **st)
{
    struct schema *s = with_user_ks();
    buf b;
    buf_init(&b);
    schema_serialize(s, &b);
    assert_true(buf_ok(&b));
    char err[256];
    struct schema *d = schema_deserialize(b.data, b.len, err, sizeof(err));
    assert_non_null(d);
    const struct schema_keyspace *ks = schema_find_ks(d, "ks1");
    assert_non_null(ks);
    assert_int_equal(ks->durable_writes, 0);
    assert_string_equal(schema_repl_get(ks, "replication_factor"), "3");
    assert_memory_equal(s->version, d->version, 16);
    /* built-ins are not stored, but come back */
    assert_non_null(schema_find_ks(d, "system"));
    schema_unref(d);
    buf_free(&b);
    schema_unref(s);
}

static void test_corruption_detected(void **st)
{
    struct schema *s = with_user_ks();
    buf b;
    buf_init(&b);
    schema_serialize(s, &b);
    char err[256];
    for (size_t i = 0; i < b.len; i++) {
        b.data[i] ^= 0x5a;
        struct schema *d = schema_deserialize(b.data, b.len, err, sizeof(err));
        assert_null(d);
        assert_true(strlen(err) > 0);
        b.data[i] ^= 0x5a;
    }
    for (size_t n = 0; n < b.len; n++)
        assert_null(schema_deserialize(b.data, n, err, sizeof(err)));
    buf_free(&b);
    schema_unref(s);
}

static void test_drop_and_names(void **st)
{
    struct schema *s = with_user_ks();
    uint8_t v1[16];
    memcpy(v1, s->version, 16);
    assert_int_equal(schema_drop_ks(s, "ks1"), 0);
    assert_int_equal(schema_drop_ks(s, "ks1"), -1);
    schema_update_version(s);
    assert_memory_not_equal(v1, s->version, 16);
    assert_true(schema_name_valid("abc_123"));
    assert_true(schema_name_valid("Abc"));
    assert_false(schema_name_valid(""));
    assert_false(schema_name_valid("a-b"));
    assert_false(schema_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); /* 49 */
    assert_true(schema_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));   /* 48 */
    schema_unref(s);
}

static void test_oom_never_crashes(void **st)
{
    for (int64_t n = 0; n < 2000; n++) {
        mem_fail_after(n);
        struct schema *s = schema_new_builtin();
        struct schema *c = s ? schema_clone(s) : NULL;
        mem_fail_after(-1);
        schema_unref(c);
        schema_unref(s);
        if (s && c) break;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtins),
        cmocka_unit_test(test_roundtrip_and_version),
        cmocka_unit_test(test_corruption_detected),
        cmocka_unit_test(test_drop_and_names),
        cmocka_unit_test(test_oom_never_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_wire -- proto_ notation readers/writers, strict UTF-8, request body
 * decoders and ERROR body encoders (src/transport/wire.c).
 *
 * Every notation is written, read back, and read again from every strict
 * prefix of its encoding, which must fail (sticky rd->err) without reading
 * past the prefix (ASan would see it: prefixes are copied into exact-size
 * heap blocks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "transport/frame.h"
#include "transport/wire.h"
#include "util/arena.h"
#include "util/buf.h"

/* Decode callback: read from rd, return 0 if the value matches. */
typedef int (*decode_fn)(proto_rd *rd, arena *a, const void *ctx);

/* Full input must decode and consume everything; every strict prefix, in an
 * exact-size heap copy, must fail. */
static void check_all_prefixes(const uint8_t *p, size_t n, decode_fn fn, const void *ctx)
{
    arena a;
    arena_init(&a, 4096);
    for (size_t k = 0; k <= n; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        memcpy(copy, p, k);
        proto_rd rd;
        proto_rd_init(&rd, copy, k);
        int bad = fn(&rd, &a, ctx);
        if (k == n) {
            if (rd.err) fail_msg("full input failed: %s", rd.msg);
            assert_int_equal(bad, 0);
            assert_int_equal(rd.pos, n);
        } else {
            if (!rd.err) fail_msg("prefix %zu/%zu accepted", k, n);
            assert_true(rd.msg[0] != 0);
        }
        free(copy);
        arena_reset(&a);
    }
    arena_destroy(&a);
}

/* ---- scalar notations -------------------------------------------------- */

static int dec_scalars(proto_rd *rd, arena *a, const void *ctx)
{
    (void)a;
    (void)ctx;
    int bad = 0;
    bad |= proto_rd_byte(rd) != 0xAB;
    bad |= proto_rd_short(rd) != 0xBEEF;
    bad |= proto_rd_int(rd) != -123456789;
    bad |= proto_rd_long(rd) != INT64_C(-1234567890123456789);
    const uint8_t *u = proto_rd_uuid(rd);
    bad |= !u || u[0] != 0 || u[15] != 15;
    bad |= proto_rd_consistency(rd) != PROTO_CL_LOCAL_QUORUM;
    return bad;
}

static void test_scalars(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    uint8_t uuid[16];
    for (int i = 0; i < 16; i++)
        uuid[i] = (uint8_t)i;
    assert_int_equal(proto_wr_byte(&b, 0xAB), 0);
    assert_int_equal(proto_wr_short(&b, 0xBEEF), 0);
    assert_int_equal(proto_wr_int(&b, -123456789), 0);
    assert_int_equal(proto_wr_long(&b, INT64_C(-1234567890123456789)), 0);
    assert_int_equal(proto_wr_uuid(&b, uuid), 0);
    assert_int_equal(proto_wr_consistency(&b, PROTO_CL_LOCAL_QUORUM), 0);
    assert_int_equal(proto_wr_consistency(&b, 11), PROTO_EINVAL);
    assert_int_equal(b.len, 1 + 2 + 4 + 8 + 16 + 2);
    check_all_prefixes(b.data, b.len, dec_scalars, NULL);
    buf_free(&b);
}

/* ---- strings ----------------------------------------------------------- */

static int dec_strings(proto_rd *rd, arena *a, const void *ctx)
{
    (void)a;
    (void)ctx;
    proto_str s1 = proto_rd_string(rd);
    proto_str s2 = proto_rd_long_string(rd);
    proto_str s3 = proto_rd_string(rd);
    if (rd->err) return 1;
    return !(s1.n == 5 && memcmp(s1.p, "hello", 5) == 0 && s2.n == 10 &&
             memcmp(s2.p, "h\xc3\xa9llo \xe2\x82\xac", 10) == 0 && s3.n == 0);
}

static void test_strings(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    assert_int_equal(proto_wr_string(&b, "hello", 5), 0);
    assert_int_equal(proto_wr_long_string(&b, "h\xc3\xa9llo \xe2\x82\xac", 10), 0);
    assert_int_equal(proto_wr_cstring(&b, ""), 0);
    check_all_prefixes(b.data, b.len, dec_strings, NULL);

    /* too long for a [string]: nothing appended */
    size_t before = b.len;
    char *big = calloc(70000, 1);
    memset(big, 'x', 70000);
    assert_int_equal(proto_wr_string(&b, big, 70000), PROTO_EINVAL);
    assert_int_equal(b.len, before);
    assert_int_equal(proto_wr_string(&b, big, 65535), 0);
    proto_rd rd;
    proto_rd_init(&rd, b.data + before, b.len - before);
    proto_str s = proto_rd_string(&rd);
    assert_int_equal(s.n, 65535);
    assert_int_equal(rd.err, 0);
    free(big);

    /* invalid UTF-8 in a [string] / negative [long string] */
    static const uint8_t bad_utf8[] = {0, 2, 0xC0, 0x80};
    proto_rd_init(&rd, bad_utf8, sizeof(bad_utf8));
    proto_rd_string(&rd);
    assert_int_equal(rd.err, PROTO_EPROTO);
    assert_non_null(strstr(rd.msg, "Cannot decode string as UTF8"));
    static const uint8_t neg[] = {0xFF, 0xFF, 0xFF, 0xFE};
    proto_rd_init(&rd, neg, sizeof(neg));
    proto_rd_long_string(&rd);
    assert_int_equal(rd.err, PROTO_EPROTO);
    /* sticky: later reads return zero and do not move */
    size_t pos = rd.pos;
    assert_int_equal(proto_rd_int(&rd), 0);
    assert_int_equal(rd.pos, pos);
    buf_free(&b);
}

/* ---- bytes / value / short bytes --------------------------------------- */

static int dec_values(proto_rd *rd, arena *a, const void *ctx)
{
    (void)a;
    int version = *(const int *)ctx;
    int bad = 0;
    proto_value v = proto_rd_bytes(rd);
    bad |= v.len != 3 || memcmp(v.p, "abc", 3) != 0;
    v = proto_rd_bytes(rd);
    bad |= v.len != PROTO_VALUE_NULL || v.p != NULL;
    v = proto_rd_bytes(rd);
    bad |= v.len != 0;
    v = proto_rd_value(rd, version);
    bad |= v.len != 2 || memcmp(v.p, "xy", 2) != 0;
    v = proto_rd_value(rd, version);
    bad |= v.len != PROTO_VALUE_NULL;
    if (version >= PROTO_V4) {
        v = proto_rd_value(rd, version);
        bad |= v.len != PROTO_VALUE_UNSET;
    }
    v = proto_rd_short_bytes(rd);
    bad |= v.len != 4 || memcmp(v.p, "\x01\x02\x03\x04", 4) != 0;
    return bad;
}

static void test_values(void **state)
{
    (void)state;
    for (int version = PROTO_V3; version <= PROTO_V5; version++) {
        buf b;
        buf_init(&b);
        assert_int_equal(proto_wr_bytes(&b, "abc", 3), 0);
        assert_int_equal(proto_wr_bytes(&b, NULL, PROTO_VALUE_NULL), 0);
        assert_int_equal(proto_wr_bytes(&b, "", 0), 0);
        assert_int_equal(proto_wr_bytes(&b, NULL, PROTO_VALUE_UNSET), PROTO_EINVAL);
        assert_int_equal(proto_wr_value(&b, "xy", 2), 0);
        assert_int_equal(proto_wr_value(&b, NULL, PROTO_VALUE_NULL), 0);
        if (version >= PROTO_V4) assert_int_equal(proto_wr_value(&b, NULL, PROTO_VALUE_UNSET), 0);
        assert_int_equal(proto_wr_short_bytes(&b, "\x01\x02\x03\x04", 4), 0);
        check_all_prefixes(b.data, b.len, dec_values, &version);
        buf_free(&b);
    }
    /* [bytes]: any negative is null; [value]: -2 unset only v4+, < -2 error */
    static const uint8_t m5[] = {0xFF, 0xFF, 0xFF, 0xFB};
    static const uint8_t m2[] = {0xFF, 0xFF, 0xFF, 0xFE};
    proto_rd rd;
    proto_rd_init(&rd, m5, 4);
    assert_int_equal(proto_rd_bytes(&rd).len, PROTO_VALUE_NULL);
    assert_int_equal(rd.err, 0);
    proto_rd_init(&rd, m5, 4);
    proto_rd_value(&rd, PROTO_V4);
    assert_int_equal(rd.err, PROTO_EPROTO);
    assert_string_equal(rd.msg, "Invalid ByteBuf length -5");
    proto_rd_init(&rd, m2, 4);
    proto_rd_value(&rd, PROTO_V3);
    assert_int_equal(rd.err, PROTO_EPROTO);
    proto_rd_init(&rd, m2, 4);
    assert_int_equal(proto_rd_value(&rd, PROTO_V5).len, PROTO_VALUE_UNSET);
    /* a length beyond the data */
    static const uint8_t over[] = {0x00, 0x00, 0x10, 0x00, 'a'};
    proto_rd_init(&rd, over, sizeof(over));
    proto_rd_bytes(&rd);
    assert_int_equal(rd.err, PROTO_EPROTO);
}

/* ---- vints --------------------------------------------------------------- */

static const uint64_t uvals[] = {0,
                                 1,
                                 127,
                                 128,
                                 255,
                                 256000,
                                 (1u << 14) - 1,
                                 1u << 14,
                                 UINT64_C(1) << 35,
                                 (UINT64_C(1) << 56) - 1,
                                 UINT64_C(1) << 56,
                                 (UINT64_C(1) << 63) + 12345,
                                 UINT64_MAX};
static const int64_t svals[] = {0,   -1, 1,         -2,        2,         63,
                                -64, 64, INT32_MIN, INT32_MAX, INT64_MIN, INT64_MAX};

static int dec_vints(proto_rd *rd, arena *a, const void *ctx)
{
    (void)a;
    (void)ctx;
    int bad = 0;
    for (size_t i = 0; i < sizeof(uvals) / sizeof(uvals[0]); i++)
        bad |= proto_rd_uvint(rd) != uvals[i];
    for (size_t i = 0; i < sizeof(svals) / sizeof(svals[0]); i++)
        bad |= proto_rd_vint(rd) != svals[i];
    return bad;
}

static void test_vints(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    /* the spec's example: 256000 = [110]00011 11101000 00000000 */
    proto_wr_uvint(&b, 256000);
    assert_int_equal(b.len, 3);
    assert_int_equal(b.data[0], 0xC3);
    assert_int_equal(b.data[1], 0xE8);
    assert_int_equal(b.data[2], 0x00);
    buf_clear(&b);
    proto_wr_uvint(&b, UINT64_MAX);
    assert_int_equal(b.len, 9);
    assert_int_equal(b.data[0], 0xFF);
    buf_clear(&b);
    proto_wr_vint(&b, -1); /* zig-zag 1 */
    assert_int_equal(b.len, 1);
    assert_int_equal(b.data[0], 1);
    buf_clear(&b);
    for (size_t i = 0; i < sizeof(uvals) / sizeof(uvals[0]); i++)
        proto_wr_uvint(&b, uvals[i]);
    for (size_t i = 0; i < sizeof(svals) / sizeof(svals[0]); i++)
        proto_wr_vint(&b, svals[i]);
    check_all_prefixes(b.data, b.len, dec_vints, NULL);
    /* sizes: 7 bits per byte up to 8 extra bytes */
    for (int bits = 0; bits <= 64; bits++) {
        uint64_t v = bits == 0 ? 0 : (bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1);
        buf_clear(&b);
        proto_wr_uvint(&b, v);
        size_t want = bits <= 7 ? 1 : bits >= 57 ? 9 : (size_t)(bits + 6) / 7;
        assert_int_equal(b.len, want);
        proto_rd rd;
        proto_rd_init(&rd, b.data, b.len);
        assert_true(proto_rd_uvint(&rd) == v);
        assert_int_equal(rd.pos, b.len);
    }
    buf_free(&b);
}

/* ---- inet ---------------------------------------------------------------- */

static int dec_inets(proto_rd *rd, arena *a, const void *ctx)
{
    (void)a;
    (void)ctx;
    proto_inet x, y, z;
    proto_rd_inet(rd, &x);
    proto_rd_inet(rd, &y);
    proto_rd_inetaddr(rd, &z);
    if (rd->err) return 1;
    return !(x.n_addr == 4 && x.addr[0] == 127 && x.addr[3] == 1 && x.port == 9042 &&
             y.n_addr == 16 && y.addr[15] == 1 && y.port == 7000 && z.n_addr == 4 &&
             z.addr[0] == 10 && z.port == 0);
}

static void test_inet(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    proto_inet v4 = {4, {127, 0, 0, 1}, 9042};
    proto_inet v6 = {16, {0}, 7000};
    v6.addr[15] = 1;
    proto_inet a = {4, {10, 1, 2, 3}, 0};
    assert_int_equal(proto_wr_inet(&b, &v4), 0);
    assert_int_equal(proto_wr_inet(&b, &v6), 0);
    assert_int_equal(proto_wr_inetaddr(&b, &a), 0);
    check_all_prefixes(b.data, b.len, dec_inets, NULL);
    proto_inet bad = {5, {0}, 0};
    assert_int_equal(proto_wr_inet(&b, &bad), PROTO_EINVAL);
    static const uint8_t five[] = {5, 1, 2, 3, 4, 5, 0, 0, 0, 1};
    proto_rd rd;
    proto_rd_init(&rd, five, sizeof(five));
    proto_rd_inet(&rd, &a);
    assert_int_equal(rd.err, PROTO_EPROTO);
    buf_free(&b);
}

/* ---- lists and maps ------------------------------------------------------ */

static proto_str S(const char *s)
{
    proto_str r = {s, (uint32_t)strlen(s)};
    return r;
}

static int eq(proto_str s, const char *c)
{
    return s.n == strlen(c) && memcmp(s.p, c, s.n) == 0;
}

static int dec_collections(proto_rd *rd, arena *a, const void *ctx)
{
    (void)ctx;
    proto_str *l;
    uint16_t n;
    proto_str_pair *m;
    uint16_t nm;
    proto_multimap_entry *mm;
    uint16_t nmm;
    proto_bytes_pair *bm;
    uint16_t nbm;
    proto_str *empty;
    uint16_t nempty;
    proto_rd_string_list(rd, a, &l, &n);
    proto_rd_string_map(rd, a, &m, &nm);
    proto_rd_string_multimap(rd, a, &mm, &nmm);
    proto_rd_bytes_map(rd, a, &bm, &nbm);
    proto_rd_string_list(rd, a, &empty, &nempty);
    if (rd->err) return 1;
    int ok = n == 3 && eq(l[0], "a") && eq(l[1], "") && eq(l[2], "ccc");
    ok &= nm == 2 && eq(m[0].key, "CQL_VERSION") && eq(m[0].val, "3.0.0") &&
          eq(m[1].key, "COMPRESSION") && eq(m[1].val, "lz4");
    ok &= nmm == 2 && eq(mm[0].key, "COMPRESSION") && mm[0].n_vals == 2 &&
          eq(mm[0].vals[1], "snappy") && mm[1].n_vals == 0;
    ok &= nbm == 2 && eq(bm[0].key, "k") && bm[0].val.len == 2 && bm[1].val.len == -1;
    ok &= nempty == 0 && empty == NULL;
    return !ok;
}

static void test_collections(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    proto_str l[] = {S("a"), S(""), S("ccc")};
    proto_str_pair m[] = {{S("CQL_VERSION"), S("3.0.0")}, {S("COMPRESSION"), S("lz4")}};
    proto_str comp[] = {S("lz4"), S("snappy")};
    proto_multimap_entry mm[] = {{S("COMPRESSION"), comp, 2}, {S("X"), NULL, 0}};
    proto_bytes_pair bm[] = {{S("k"), {(const uint8_t *)"vv", 2}}, {S("n"), {NULL, -1}}};
    assert_int_equal(proto_wr_string_list(&b, l, 3), 0);
    assert_int_equal(proto_wr_string_map(&b, m, 2), 0);
    assert_int_equal(proto_wr_string_multimap(&b, mm, 2), 0);
    assert_int_equal(proto_wr_bytes_map(&b, bm, 2), 0);
    assert_int_equal(proto_wr_string_list(&b, NULL, 0), 0);
    check_all_prefixes(b.data, b.len, dec_collections, NULL);

    /* a count far beyond the remaining bytes allocates nothing and fails */
    static const uint8_t huge[] = {0xFF, 0xFF, 0, 0};
    arena a;
    arena_init(&a, 4096);
    proto_rd rd;
    proto_rd_init(&rd, huge, sizeof(huge));
    proto_str *out;
    uint16_t n;
    assert_int_equal(proto_rd_string_list(&rd, &a, &out, &n), PROTO_EPROTO);
    assert_true(a.sz_used == 0);
    arena_destroy(&a);
    buf_free(&b);
}

/* ---- [option] ------------------------------------------------------------ */

static proto_type T(uint16_t id)
{
    proto_type t;
    memset(&t, 0, sizeof(t));
    t.id = id;
    return t;
}

static int types_equal(const proto_type *x, const proto_type *y)
{
    if (x->id != y->id || x->n_sub != y->n_sub) return 0;
    if (x->id == PROTO_TYPE_CUSTOM &&
        (x->custom.n != y->custom.n || memcmp(x->custom.p, y->custom.p, x->custom.n)))
        return 0;
    if (x->id == PROTO_TYPE_UDT) {
        if (x->ks.n != y->ks.n || memcmp(x->ks.p, y->ks.p, x->ks.n)) return 0;
        if (x->name.n != y->name.n || memcmp(x->name.p, y->name.p, x->name.n)) return 0;
        for (int i = 0; i < x->n_sub; i++)
            if (x->field_names[i].n != y->field_names[i].n ||
                memcmp(x->field_names[i].p, y->field_names[i].p, x->field_names[i].n))
                return 0;
    }
    for (int i = 0; i < x->n_sub; i++)
        if (!types_equal(x->sub[i], y->sub[i])) return 0;
    return 1;
}

static proto_type *g_opt_list[3];

static int dec_options(proto_rd *rd, arena *a, const void *ctx)
{
    (void)ctx;
    proto_type **l;
    uint16_t n;
    proto_rd_option_list(rd, a, &l, &n);
    if (rd->err || n != 3) return 1;
    for (int i = 0; i < 3; i++)
        if (!types_equal(l[i], g_opt_list[i])) return 1;
    return 0;
}

static void test_options(void **state)
{
    (void)state;
    /* map<text, frozen<list<tuple<int, udt ks.addr{street text, zip custom}>>>> */
    proto_type text = T(PROTO_TYPE_VARCHAR), i32 = T(PROTO_TYPE_INT);
    proto_type custom = T(PROTO_TYPE_CUSTOM);
    custom.custom = S("org.apache.cassandra.db.marshal.VectorType(FloatType,3)");
    proto_type udt = T(PROTO_TYPE_UDT);
    proto_type *udt_sub[] = {&text, &custom};
    proto_str udt_names[] = {S("street"), S("zip")};
    udt.ks = S("ks");
    udt.name = S("addr");
    udt.n_sub = 2;
    udt.sub = udt_sub;
    udt.field_names = udt_names;
    proto_type tup = T(PROTO_TYPE_TUPLE);
    proto_type *tup_sub[] = {&i32, &udt};
    tup.n_sub = 2;
    tup.sub = tup_sub;
    proto_type list = T(PROTO_TYPE_LIST);
    proto_type *list_sub[] = {&tup};
    list.n_sub = 1;
    list.sub = list_sub;
    proto_type map = T(PROTO_TYPE_MAP);
    proto_type *map_sub[] = {&text, &list};
    map.n_sub = 2;
    map.sub = map_sub;
    proto_type dur = T(PROTO_TYPE_DURATION);
    proto_type set = T(PROTO_TYPE_SET);
    proto_type *set_sub[] = {&dur};
    set.n_sub = 1;
    set.sub = set_sub;
    g_opt_list[0] = &map;
    g_opt_list[1] = &set;
    g_opt_list[2] = &text;

    buf b;
    buf_init(&b);
    assert_int_equal(proto_wr_option_list(&b, g_opt_list, 3), 0);
    check_all_prefixes(b.data, b.len, dec_options, NULL);

    /* unknown ids, 0x000A, too deep nesting */
    arena a;
    arena_init(&a, 4096);
    proto_rd rd;
    static const uint8_t unk[] = {0x00, 0x0A};
    proto_rd_init(&rd, unk, 2);
    assert_null(proto_rd_option(&rd, &a));
    assert_int_equal(rd.err, PROTO_EPROTO);
    uint8_t deep[2 * 40 + 2];
    for (int i = 0; i < 40; i++) {
        deep[2 * i] = 0;
        deep[2 * i + 1] = 0x20;
    }
    deep[80] = 0;
    deep[81] = 9;
    proto_rd_init(&rd, deep, sizeof(deep));
    assert_null(proto_rd_option(&rd, &a));
    assert_int_equal(rd.err, PROTO_EPROTO);
    proto_rd_init(&rd, deep + 2 * 20, sizeof(deep) - 40); /* 20 levels: fine */
    assert_non_null(proto_rd_option(&rd, &a));
    proto_type bad = T(0x0A);
    size_t before = b.len;
    assert_int_equal(proto_wr_option(&b, &bad), PROTO_EINVAL);
    assert_int_equal(b.len, before);
    arena_destroy(&a);
    buf_free(&b);
}

/* ---- UTF-8 --------------------------------------------------------------- */

/* Reference: decode by the definition, no tricks. */
static int ref_utf8(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t c = s[i], cp;
        size_t k;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            k = 1, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3, cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i - 1 < k) return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += k + 1;
    }
    return 1;
}

static void test_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int ok;
    } v[] = {
        {"", 1},
        {"plain ascii text, long enough for the 8-byte path", 1},
        {"\xc3\xa9", 1},
        {"\xe2\x82\xac", 1},
        {"\xef\xbf\xbf", 1},
        {"\xf0\x90\x80\x80", 1},
        {"\xf4\x8f\xbf\xbf", 1},
        {"\xc0\x80", 0},         /* overlong NUL */
        {"\xc1\xbf", 0},         /* overlong */
        {"\xe0\x80\x80", 0},     /* overlong */
        {"\xe0\x9f\xbf", 0},     /* overlong */
        {"\xf0\x80\x80\x80", 0}, /* overlong */
        {"\xf0\x8f\xbf\xbf", 0}, /* overlong */
        {"\xed\xa0\x80", 0},     /* U+D800 */
        {"\xed\xbf\xbf", 0},     /* U+DFFF */
        {"\xf4\x90\x80\x80", 0}, /* U+110000 */
        {"\xf5\x80\x80\x80", 0},
        {"\xff", 0},
        {"\x80", 0},
        {"\xe2\x82", 0},         /* truncated */
        {"abcdefgh\xe2\x82", 0}, /* truncated after the fast path */
        {"abcdefg\xc3\xa9xyz", 1},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        if (proto_utf8_valid(v[i].s, strlen(v[i].s)) != v[i].ok) fail_msg("case %zu", i);
    }
    assert_int_equal(proto_utf8_valid("a\0b", 3), 1); /* NUL is a valid code point */

    /* exhaustive against the reference: all 1-2 byte strings, all 3-byte
     * strings led by 0xE0..0xEF, and 4-byte strings over boundary bytes */
    uint8_t s[4];
    for (unsigned x = 0; x < 65536; x++) {
        s[0] = (uint8_t)(x >> 8);
        s[1] = (uint8_t)x;
        assert_int_equal(proto_utf8_valid(s, 1), ref_utf8(s, 1));
        assert_int_equal(proto_utf8_valid(s, 2), ref_utf8(s, 2));
    }
    for (unsigned l = 0xE0; l <= 0xEF; l++)
        for (unsigned x = 0; x < 65536; x++) {
            s[0] = (uint8_t)l;
            s[1] = (uint8_t)(x >> 8);
            s[2] = (uint8_t)x;
            if (proto_utf8_valid(s, 3) != ref_utf8(s, 3)) fail_msg("%02x %04x", l, x);
        }
    static const uint8_t edge[] = {0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
    for (unsigned l = 0xF0; l <= 0xFF; l++)
        for (size_t a = 0; a < sizeof(edge); a++)
            for (size_t b2 = 0; b2 < sizeof(edge); b2++)
                for (size_t c = 0; c < sizeof(edge); c++) {
                    s[0] = (uint8_t)l;
                    s[1] = edge[a];
                    s[2] = edge[b2];
                    s[3] = edge[c];
                    assert_int_equal(proto_utf8_valid(s, 4), ref_utf8(s, 4));
                }
}

/* ---- request bodies ------------------------------------------------------ */

static void put_params(buf *b, int version, uint32_t flags, int named)
{
    proto_wr_consistency(b, PROTO_CL_QUORUM);
    if (version >= PROTO_V5)
        proto_wr_int(b, (int32_t)flags);
    else
        proto_wr_byte(b, (uint8_t)flags);
    if (flags & PROTO_QF_VALUES) {
        proto_wr_short(b, version >= PROTO_V4 ? 3 : 2);
        if (named) proto_wr_cstring(b, "a");
        proto_wr_value(b, "\x00\x00\x00\x2a", 4);
        if (named) proto_wr_cstring(b, "b");
        proto_wr_value(b, NULL, PROTO_VALUE_NULL);
        if (version >= PROTO_V4) {
            if (named) proto_wr_cstring(b, "c");
            proto_wr_value(b, NULL, PROTO_VALUE_UNSET);
        }
    }
    if (flags & PROTO_QF_PAGE_SIZE) proto_wr_int(b, 5000);
    if (flags & PROTO_QF_PAGING_STATE) proto_wr_bytes(b, "\x01\x02", 2);
    if (flags & PROTO_QF_SERIAL_CONSISTENCY) proto_wr_consistency(b, PROTO_CL_LOCAL_SERIAL);
    if (flags & PROTO_QF_TIMESTAMP) proto_wr_long(b, INT64_C(1700000000000000));
    if (flags & PROTO_QF_KEYSPACE) proto_wr_cstring(b, "ks1");
    if (flags & PROTO_QF_NOW_IN_SECONDS) proto_wr_int(b, 1700000000);
}

static int check_params(const proto_query_params *p, int version, uint32_t flags, int named)
{
    int ok = p->consistency == PROTO_CL_QUORUM && p->flags == flags;
    if (flags & PROTO_QF_VALUES) {
        ok &= p->n_values == (version >= PROTO_V4 ? 3 : 2);
        ok &= p->values[0].len == 4 && p->values[0].p[3] == 0x2a;
        ok &= p->values[1].len == PROTO_VALUE_NULL;
        if (version >= PROTO_V4) ok &= p->values[2].len == PROTO_VALUE_UNSET;
        if (named)
            ok &= p->names && eq(p->names[0], "a") && eq(p->names[1], "b");
        else
            ok &= p->names == NULL;
    } else {
        ok &= p->n_values == 0;
    }
    ok &= p->skip_metadata == ((flags & PROTO_QF_SKIP_METADATA) != 0);
    ok &= p->page_size == ((flags & PROTO_QF_PAGE_SIZE) ? 5000 : -1);
    ok &= p->has_paging_state == ((flags & PROTO_QF_PAGING_STATE) != 0);
    if (flags & PROTO_QF_PAGING_STATE) ok &= p->paging_state.len == 2;
    ok &= p->serial_consistency ==
          ((flags & PROTO_QF_SERIAL_CONSISTENCY) ? PROTO_CL_LOCAL_SERIAL : PROTO_CL_SERIAL);
    ok &= p->timestamp ==
          ((flags & PROTO_QF_TIMESTAMP) ? INT64_C(1700000000000000) : PROTO_NO_TIMESTAMP);
    if (flags & PROTO_QF_KEYSPACE)
        ok &= eq(p->keyspace, "ks1");
    else
        ok &= p->keyspace.p == NULL;
    ok &= p->has_now_in_seconds == ((flags & PROTO_QF_NOW_IN_SECONDS) != 0);
    if (flags & PROTO_QF_NOW_IN_SECONDS) ok &= p->now_in_seconds == 1700000000u;
    return ok;
}

struct qctx {
    int version;
    uint32_t flags;
    int named;
    uint8_t opcode;
};

static int dec_request(proto_rd *rd, arena *a, const void *vctx)
{
    const struct qctx *c = vctx;
    struct proto_frame_hdr h = {(uint8_t)c->version, 0, 0, 7, c->opcode, 0};
    proto_request r;
    /* proto_decode_request re-inits the reader: run it over rd's bytes and
     * copy the outcome back so check_all_prefixes sees it */
    proto_rd inner;
    int rc = proto_decode_request(&h, rd->p, rd->len, a, &inner, &r);
    *rd = inner;
    if (rc) return 1;
    switch (c->opcode) {
    case PROTO_OP_QUERY:
        return !(eq(r.u.query.query, "SELECT * FROM t WHERE k = ?") &&
                 check_params(&r.u.query.params, c->version, c->flags, c->named));
    case PROTO_OP_EXECUTE:
        return !(r.u.execute.id.len == 16 &&
                 (c->version >= PROTO_V5 ? r.u.execute.result_metadata_id.len == 16
                                         : r.u.execute.result_metadata_id.len == -1) &&
                 check_params(&r.u.execute.params, c->version, c->flags, c->named));
    default: return 1;
    }
}

static const uint8_t ID16[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static void test_query_execute(void **state)
{
    (void)state;
    for (int version = PROTO_V3; version <= PROTO_V5; version++) {
        uint32_t all = version >= PROTO_V5 ? PROTO_QF_V5_ALL : 0x7F;
        uint32_t sets[] = {0, PROTO_QF_VALUES, all & ~(uint32_t)PROTO_QF_NAMES_FOR_VALUES, all,
                           PROTO_QF_PAGE_SIZE | PROTO_QF_TIMESTAMP};
        for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
            int named = (sets[i] & PROTO_QF_NAMES_FOR_VALUES) && (sets[i] & PROTO_QF_VALUES);
            buf b;
            buf_init(&b);
            proto_wr_long_string(&b, "SELECT * FROM t WHERE k = ?", 27);
            put_params(&b, version, sets[i], named);
            struct qctx c = {version, sets[i], named, PROTO_OP_QUERY};
            check_all_prefixes(b.data, b.len, dec_request, &c);
            buf_clear(&b);
            proto_wr_short_bytes(&b, ID16, 16);
            if (version >= PROTO_V5) proto_wr_short_bytes(&b, ID16, 16);
            put_params(&b, version, sets[i], named);
            c.opcode = PROTO_OP_EXECUTE;
            check_all_prefixes(b.data, b.len, dec_request, &c);
            buf_free(&b);
        }
    }
}

/* decode `body` as opcode/version; expect failure rc and message prefix */
static void expect_fail(int version, uint8_t opcode, uint8_t flags, const uint8_t *body, size_t n,
                        int rc, const char *msg_prefix)
{
    arena a;
    arena_init(&a, 4096);
    struct proto_frame_hdr h = {(uint8_t)version, 0, flags, 1, opcode, (uint32_t)n};
    proto_rd rd;
    proto_request r;
    int got = proto_decode_request(&h, body, n, &a, &rd, &r);
    if (got != rc) fail_msg("rc %d want %d (%s)", got, rc, rd.msg);
    if (strncmp(rd.msg, msg_prefix, strlen(msg_prefix)) != 0)
        fail_msg("msg '%s' want '%s'", rd.msg, msg_prefix);
    arena_destroy(&a);
}

static void test_query_errors(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    /* invalid consistency */
    proto_wr_long_string(&b, "x", 1);
    proto_wr_short(&b, 11);
    proto_wr_byte(&b, 0);
    expect_fail(4, PROTO_OP_QUERY, 0, b.data, b.len, PROTO_EPROTO,
                "Unknown code 11 for a consistency level");
    /* unknown v5 flags */
    buf_clear(&b);
    proto_wr_long_string(&b, "x", 1);
    proto_wr_short(&b, 1);
    proto_wr_int(&b, 0x200);
    expect_fail(5, PROTO_OP_QUERY, 0, b.data, b.len, PROTO_EPROTO, "Unknown flags 0x200");
    /* unset value in v3 */
    buf_clear(&b);
    proto_wr_long_string(&b, "x", 1);
    proto_wr_short(&b, 1);
    proto_wr_byte(&b, PROTO_QF_VALUES);
    proto_wr_short(&b, 1);
    proto_wr_int(&b, -2);
    expect_fail(3, PROTO_OP_QUERY, 0, b.data, b.len, PROTO_EPROTO, "Unset values");
    /* ...and a negative size below -2 in v4 */
    buf_clear(&b);
    proto_wr_long_string(&b, "x", 1);
    proto_wr_short(&b, 1);
    proto_wr_byte(&b, PROTO_QF_VALUES);
    proto_wr_short(&b, 1);
    proto_wr_int(&b, -3);
    expect_fail(4, PROTO_OP_QUERY, 0, b.data, b.len, PROTO_EPROTO, "Invalid ByteBuf length -3");
    /* timestamp INT64_MIN, page size 0 */
    buf_clear(&b);
    proto_wr_long_string(&b, "x", 1);
    proto_wr_short(&b, 1);
    proto_wr_byte(&b, PROTO_QF_TIMESTAMP);
    proto_wr_long(&b, INT64_MIN);
    expect_fail(4, PROTO_OP_QUERY, 0, b.data, b.len, PROTO_EPROTO, "Out of bound timestamp");
    buf_clear(&b);
    proto_wr_long_string(&b, "x", 1);
    proto_wr_short(&b, 1);
    proto_wr_byte(&b, PROTO_QF_PAGE_SIZE);
    proto_wr_int(&b, 0);
    expect_fail(4, PROTO_OP_QUERY, 0, b.data, b.len, PROTO_EPROTO, "The page size cannot be 0");
    /* invalid UTF-8 in the query */
    buf_clear(&b);
    proto_wr_long_string(&b, "SELECT \xff", 8);
    proto_wr_short(&b, 1);
    proto_wr_byte(&b, 0);
    expect_fail(4, PROTO_OP_QUERY, 0, b.data, b.len, PROTO_EPROTO, "Cannot decode string as UTF8");
    /* custom payload before v4; CREDENTIALS; response opcode */
    expect_fail(3, PROTO_OP_QUERY, PROTO_F_CUSTOM_PAYLOAD, b.data, b.len, PROTO_EPROTO,
                "Received frame with CUSTOM_PAYLOAD flag");
    expect_fail(4, PROTO_OP_CREDENTIALS, 0, NULL, 0, PROTO_EPROTO, "Unsupported message");
    expect_fail(4, PROTO_OP_READY, 0, NULL, 0, PROTO_EDIRECTION, "Unexpected RESPONSE message");
    expect_fail(4, 0x42, 0, NULL, 0, PROTO_EOPCODE, "Unknown opcode 66");
    /* v5 PREPARE with an unknown flag */
    buf_clear(&b);
    proto_wr_long_string(&b, "x", 1);
    proto_wr_int(&b, 2);
    expect_fail(5, PROTO_OP_PREPARE, 0, b.data, b.len, PROTO_EPROTO, "Unknown flags 0x2");
    buf_free(&b);
}

static int dec_misc(proto_rd *rd, arena *a, const void *vctx)
{
    const struct qctx *c = vctx;
    struct proto_frame_hdr h = {(uint8_t)c->version, 0, (uint8_t)c->flags, 3, c->opcode, 0};
    proto_request r;
    proto_rd inner;
    int rc = proto_decode_request(&h, rd->p, rd->len, a, &inner, &r);
    *rd = inner;
    if (rc) return 1;
    int ok = 1;
    if (c->flags & PROTO_F_CUSTOM_PAYLOAD)
        ok &= r.n_custom_payload == 1 && eq(r.custom_payload[0].key, "cp");
    switch (c->opcode) {
    case PROTO_OP_STARTUP:
        ok &= r.u.startup.n_options == 2 && eq(r.u.startup.options[0].key, "CQL_VERSION");
        break;
    case PROTO_OP_AUTH_RESPONSE:
        ok &= r.u.auth_response.token.len == 14 &&
              memcmp(r.u.auth_response.token.p, "\0cassandra\0pw!", 14) == 0;
        break;
    case PROTO_OP_REGISTER:
        ok &= r.u.reg.n_events == 3 && eq(r.u.reg.events[2], "SCHEMA_CHANGE");
        break;
    case PROTO_OP_PREPARE:
        ok &= eq(r.u.prepare.query, "INSERT INTO t (k) VALUES (?)");
        if (c->version >= PROTO_V5)
            ok &= r.u.prepare.flags == 1 && eq(r.u.prepare.keyspace, "ks");
        else
            ok &= r.u.prepare.keyspace.p == NULL;
        break;
    case PROTO_OP_BATCH: {
        const struct proto_batch *bt = &r.u.batch;
        ok &= bt->type == PROTO_BATCH_UNLOGGED && bt->n_stmts == 2;
        ok &= bt->stmts[0].kind == 0 && eq(bt->stmts[0].query, "INSERT INTO t (k) VALUES (1)") &&
              bt->stmts[0].n_values == 0;
        ok &= bt->stmts[1].kind == 1 && bt->stmts[1].id.len == 16 && bt->stmts[1].n_values == 2 &&
              bt->stmts[1].values[1].len == PROTO_VALUE_NULL;
        ok &= bt->params.consistency == PROTO_CL_ONE &&
              bt->params.serial_consistency == PROTO_CL_LOCAL_SERIAL && bt->params.timestamp == 42;
        if (c->version >= PROTO_V5)
            ok &= eq(bt->params.keyspace, "ks") && bt->params.has_now_in_seconds &&
                  bt->params.now_in_seconds == 7;
        break;
    }
    default: ok = 0;
    }
    return !ok;
}

static void test_other_requests(void **state)
{
    (void)state;
    for (int version = PROTO_V3; version <= PROTO_V5; version++) {
        for (int cp = 0; cp <= (version >= PROTO_V4); cp++) {
            uint8_t flags = cp ? PROTO_F_CUSTOM_PAYLOAD : 0;
            buf b;
            buf_init(&b);
            proto_bytes_pair pay[] = {{S("cp"), {(const uint8_t *)"v", 1}}};
            struct qctx c = {version, flags, 0, 0};
#define PREFIX()                                                                                   \
    do {                                                                                           \
        buf_clear(&b);                                                                             \
        if (cp) proto_wr_bytes_map(&b, pay, 1);                                                    \
    } while (0)
            PREFIX();
            proto_str_pair opts[] = {{S("CQL_VERSION"), S("3.0.0")}, {S("COMPRESSION"), S("lz4")}};
            proto_wr_string_map(&b, opts, 2);
            c.opcode = PROTO_OP_STARTUP;
            check_all_prefixes(b.data, b.len, dec_misc, &c);

            PREFIX();
            proto_wr_bytes(&b, "\0cassandra\0pw!", 14);
            c.opcode = PROTO_OP_AUTH_RESPONSE;
            check_all_prefixes(b.data, b.len, dec_misc, &c);

            PREFIX();
            proto_str ev[] = {S("TOPOLOGY_CHANGE"), S("STATUS_CHANGE"), S("SCHEMA_CHANGE")};
            proto_wr_string_list(&b, ev, 3);
            c.opcode = PROTO_OP_REGISTER;
            check_all_prefixes(b.data, b.len, dec_misc, &c);

            PREFIX();
            proto_wr_long_string(&b, "INSERT INTO t (k) VALUES (?)", 28);
            if (version >= PROTO_V5) {
                proto_wr_int(&b, 1);
                proto_wr_cstring(&b, "ks");
            }
            c.opcode = PROTO_OP_PREPARE;
            check_all_prefixes(b.data, b.len, dec_misc, &c);

            PREFIX();
            proto_wr_byte(&b, PROTO_BATCH_UNLOGGED);
            proto_wr_short(&b, 2);
            proto_wr_byte(&b, 0);
            proto_wr_long_string(&b, "INSERT INTO t (k) VALUES (1)", 28);
            proto_wr_short(&b, 0);
            proto_wr_byte(&b, 1);
            proto_wr_short_bytes(&b, ID16, 16);
            proto_wr_short(&b, 2);
            proto_wr_value(&b, "\0\0\0\1", 4);
            proto_wr_value(&b, NULL, PROTO_VALUE_NULL);
            proto_wr_consistency(&b, PROTO_CL_ONE);
            uint32_t bf = PROTO_QF_SERIAL_CONSISTENCY | PROTO_QF_TIMESTAMP;
            if (version >= PROTO_V5) {
                bf |= PROTO_QF_KEYSPACE | PROTO_QF_NOW_IN_SECONDS;
                proto_wr_int(&b, (int32_t)bf);
            } else {
                proto_wr_byte(&b, (uint8_t)bf);
            }
            proto_wr_consistency(&b, PROTO_CL_LOCAL_SERIAL);
            proto_wr_long(&b, 42);
            if (version >= PROTO_V5) {
                proto_wr_cstring(&b, "ks");
                proto_wr_int(&b, 7);
            }
            c.opcode = PROTO_OP_BATCH;
            check_all_prefixes(b.data, b.len, dec_misc, &c);
            buf_free(&b);
#undef PREFIX
        }
    }
    /* OPTIONS: empty body; trailing bytes after a body are ignored */
    static const uint8_t junk[] = {1, 2, 3};
    arena a;
    arena_init(&a, 4096);
    struct proto_frame_hdr h = {4, 0, 0, 0, PROTO_OP_OPTIONS, 3};
    proto_rd rd;
    proto_request r;
    assert_int_equal(proto_decode_request(&h, junk, 3, &a, &rd, &r), 0);
    /* batch errors */
    static const uint8_t bt3[] = {3, 0, 0, 0, 1, 0};
    expect_fail(4, PROTO_OP_BATCH, 0, bt3, sizeof(bt3), PROTO_EPROTO,
                "Invalid BATCH message type 3");
    static const uint8_t kind2[] = {0, 0, 1, 2, 0, 0, 0, 0, 0, 0};
    expect_fail(4, PROTO_OP_BATCH, 0, kind2, sizeof(kind2), PROTO_EPROTO,
                "Invalid query kind in BATCH messages. Must be 0 or 1 but got 2");
    static const uint8_t v5vals[] = {0, 0, 0, 0, 1, 0, 0, 0, 1}; /* flag 0x01 in a v5 batch */
    expect_fail(5, PROTO_OP_BATCH, 0, v5vals, sizeof(v5vals), PROTO_EPROTO, "Unknown flags 0x1");
    arena_destroy(&a);
}

/* ---- ERROR bodies -------------------------------------------------------- */

static void read_head(proto_rd *rd, const buf *b, int32_t code, const char *msg)
{
    proto_rd_init(rd, b->data, b->len);
    assert_int_equal(proto_rd_int(rd), code);
    proto_str m = proto_rd_string(rd);
    assert_int_equal(rd->err, 0);
    assert_true(eq(m, msg));
}

static void test_error_bodies(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    proto_rd rd;
    arena a;
    arena_init(&a, 4096);

    assert_int_equal(
        proto_write_error(&b, PROTO_ERR_SYNTAX, "line %d:%d no viable alternative", 1, 7), 0);
    read_head(&rd, &b, 0x2000, "line 1:7 no viable alternative");
    assert_int_equal(rd.pos, b.len);

    /* a message too long for a [string] is cut at a character boundary */
    buf_clear(&b);
    char *longmsg = malloc(70001);
    for (int i = 0; i < 70000; i += 2)
        memcpy(longmsg + i, "\xc3\xa9", 2);
    longmsg[70000] = 0;
    assert_int_equal(proto_write_error(&b, PROTO_ERR_INVALID, "%s", longmsg), 0);
    proto_rd_init(&rd, b.data, b.len);
    proto_rd_int(&rd);
    proto_str m = proto_rd_string(&rd);
    assert_int_equal(rd.err, 0);
    assert_int_equal(m.n, 65534);
    free(longmsg);

    buf_clear(&b);
    proto_write_error_unavailable(&b, "Cannot achieve consistency level QUORUM", PROTO_CL_QUORUM, 2,
                                  1);
    read_head(&rd, &b, 0x1000, "Cannot achieve consistency level QUORUM");
    assert_int_equal(proto_rd_consistency(&rd), PROTO_CL_QUORUM);
    assert_int_equal(proto_rd_int(&rd), 2);
    assert_int_equal(proto_rd_int(&rd), 1);
    assert_int_equal(proto_rd_left(&rd), 0);

    for (int v = 3; v <= 5; v++) {
        buf_clear(&b);
        proto_write_error_write_timeout(&b, v, "wt", PROTO_CL_SERIAL, 0, 1, "CAS", 3);
        read_head(&rd, &b, 0x1100, "wt");
        assert_int_equal(proto_rd_consistency(&rd), PROTO_CL_SERIAL);
        proto_rd_int(&rd);
        proto_rd_int(&rd);
        assert_true(eq(proto_rd_string(&rd), "CAS"));
        if (v >= 5) assert_int_equal(proto_rd_short(&rd), 3);
        assert_int_equal(proto_rd_left(&rd), 0);

        buf_clear(&b);
        proto_write_error_read_timeout(&b, "rt", PROTO_CL_ONE, 0, 1, 1);
        read_head(&rd, &b, 0x1200, "rt");
        proto_rd_consistency(&rd);
        proto_rd_int(&rd);
        proto_rd_int(&rd);
        assert_int_equal(proto_rd_byte(&rd), 1);
        assert_int_equal(proto_rd_left(&rd), 0);

        struct proto_failure f[2] = {{{4, {127, 0, 0, 2}, 0}, 0x0001},
                                     {{16, {0xfe, 0x80}, 0}, 0x0000}};
        buf_clear(&b);
        proto_write_error_read_failure(&b, v, "rf", PROTO_CL_ALL, 1, 3, f, 2, 0);
        read_head(&rd, &b, v >= 4 ? 0x1300 : 0x1200, "rf");
        proto_rd_consistency(&rd);
        assert_int_equal(proto_rd_int(&rd), 1);
        assert_int_equal(proto_rd_int(&rd), 3);
        if (v >= 4) {
            assert_int_equal(proto_rd_int(&rd), 2);
            if (v >= 5) {
                proto_inet ia;
                proto_rd_inetaddr(&rd, &ia);
                assert_int_equal(ia.addr[3], 2);
                assert_int_equal(proto_rd_short(&rd), 1);
                proto_rd_inetaddr(&rd, &ia);
                assert_int_equal(ia.n_addr, 16);
                assert_int_equal(proto_rd_short(&rd), 0);
            }
        }
        assert_int_equal(proto_rd_byte(&rd), 0);
        assert_int_equal(proto_rd_left(&rd), 0);

        buf_clear(&b);
        proto_write_error_write_failure(&b, v, "wf", PROTO_CL_ALL, 1, 3, f, 2, "BATCH_LOG");
        read_head(&rd, &b, v >= 4 ? 0x1500 : 0x1100, "wf");
        proto_rd_consistency(&rd);
        proto_rd_int(&rd);
        proto_rd_int(&rd);
        if (v >= 4) {
            assert_int_equal(proto_rd_int(&rd), 2);
            if (v >= 5) {
                proto_inet ia;
                proto_rd_inetaddr(&rd, &ia);
                proto_rd_short(&rd);
                proto_rd_inetaddr(&rd, &ia);
                proto_rd_short(&rd);
            }
        }
        assert_true(eq(proto_rd_string(&rd), "BATCH_LOG"));
        assert_int_equal(proto_rd_left(&rd), 0);

        buf_clear(&b);
        proto_str args[] = {S("int"), S("text")};
        proto_write_error_function_failure(&b, v, "boom", "ks", "fn", args, 2);
        if (v >= 4) {
            read_head(&rd, &b, 0x1400, "boom");
            assert_true(eq(proto_rd_string(&rd), "ks"));
            assert_true(eq(proto_rd_string(&rd), "fn"));
            proto_str *l;
            uint16_t n;
            proto_rd_string_list(&rd, &a, &l, &n);
            assert_int_equal(n, 2);
            assert_true(eq(l[1], "text"));
        } else {
            read_head(&rd, &b, 0x2200, "ERROR FUNCTION_FAILURE: boom");
        }
        assert_int_equal(proto_rd_left(&rd), 0);

        buf_clear(&b);
        proto_write_error_cdc_write_failure(&b, v, "cdc full");
        read_head(&rd, &b, v >= 4 ? 0x1600 : 0x2200,
                  v >= 4 ? "cdc full" : "ERROR CDC_WRITE_FAILURE: cdc full");
        assert_int_equal(proto_rd_left(&rd), 0);

        buf_clear(&b);
        proto_write_error_cas_write_unknown(&b, v, "cas?", PROTO_CL_SERIAL, 1, 2);
        read_head(&rd, &b, v >= 5 ? 0x1700 : 0x1100, "cas?");
        proto_rd_consistency(&rd);
        assert_int_equal(proto_rd_int(&rd), 1);
        assert_int_equal(proto_rd_int(&rd), 2);
        if (v < 5) assert_true(eq(proto_rd_string(&rd), "CAS"));
        assert_int_equal(proto_rd_left(&rd), 0);
    }

    buf_clear(&b);
    proto_write_error_already_exists(&b, "Cannot add existing keyspace \"ks\"", "ks", "");
    read_head(&rd, &b, 0x2400, "Cannot add existing keyspace \"ks\"");
    assert_true(eq(proto_rd_string(&rd), "ks"));
    assert_true(eq(proto_rd_string(&rd), ""));
    assert_int_equal(proto_rd_left(&rd), 0);

    buf_clear(&b);
    proto_write_error_unprepared(&b, "Prepared query with ID 0102 not found", ID16, 16);
    read_head(&rd, &b, 0x2500, "Prepared query with ID 0102 not found");
    proto_value id = proto_rd_short_bytes(&rd);
    assert_int_equal(id.len, 16);
    assert_memory_equal(id.p, ID16, 16);
    assert_int_equal(proto_rd_left(&rd), 0);

    /* every error code constant */
    static const int32_t codes[] = {0x0000, 0x000A, 0x0100, 0x1000, 0x1001, 0x1002, 0x1003,
                                    0x1100, 0x1200, 0x1300, 0x1400, 0x1500, 0x1600, 0x1700,
                                    0x2000, 0x2100, 0x2200, 0x2300, 0x2400, 0x2500};
    static const int32_t mine[] = {PROTO_ERR_SERVER,
                                   PROTO_ERR_PROTOCOL,
                                   PROTO_ERR_BAD_CREDENTIALS,
                                   PROTO_ERR_UNAVAILABLE,
                                   PROTO_ERR_OVERLOADED,
                                   PROTO_ERR_IS_BOOTSTRAPPING,
                                   PROTO_ERR_TRUNCATE,
                                   PROTO_ERR_WRITE_TIMEOUT,
                                   PROTO_ERR_READ_TIMEOUT,
                                   PROTO_ERR_READ_FAILURE,
                                   PROTO_ERR_FUNCTION_FAILURE,
                                   PROTO_ERR_WRITE_FAILURE,
                                   PROTO_ERR_CDC_WRITE_FAILURE,
                                   PROTO_ERR_CAS_WRITE_UNKNOWN,
                                   PROTO_ERR_SYNTAX,
                                   PROTO_ERR_UNAUTHORIZED,
                                   PROTO_ERR_INVALID,
                                   PROTO_ERR_CONFIG,
                                   PROTO_ERR_ALREADY_EXISTS,
                                   PROTO_ERR_UNPREPARED};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        assert_int_equal(codes[i], mine[i]);
    assert_string_equal(proto_consistency_name(PROTO_CL_LOCAL_ONE), "LOCAL_ONE");
    assert_null(proto_consistency_name(11));

    arena_destroy(&a);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_values),         cmocka_unit_test(test_vints),
        cmocka_unit_test(test_inet),           cmocka_unit_test(test_collections),
        cmocka_unit_test(test_options),        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_query_execute),  cmocka_unit_test(test_query_errors),
        cmocka_unit_test(test_other_requests), cmocka_unit_test(test_error_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * fuzz_json.c -- libFuzzer harness for src/types/json.h: arbitrary bytes
 * through json_parse and, when they parse, through type_from_json for a
 * handful of types, type_to_json of what that produced, and the Java
 * views used in messages. Must never crash, leak, hang or read out of
 * bounds. Invariants checked:
 *  (1) a parse result is either a tree (rc 0) or an error message;
 *  (2) for types whose JSON text reads back to the same bytes (no floats),
 *      from_json(parse(to_json(v))) == v.
 */
#include "types/json.h"
#include "types/type.h"
#include "util/arena.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const types[] = {
    "map<text, frozen<list<int>>>",
    "frozen<tuple<bigint, text, frozen<set<varint>>>>",
    "map<frozen<list<int>>, boolean>",
    "list<decimal>",
    "vector<float, 3>",
    "set<timestamp>",
    "blob",
};
/* 1 if JSON text of the type reads back to identical bytes (not so for
 * decimals, which come back through a Java double, floats, or timestamps
 * before year 1, printed as years of era) */
static const int exact[] = {1, 1, 1, 0, 0, 0, 1};

static struct type *parsed[sizeof(types) / sizeof(types[0])];

static void check_round_trip(const struct type *t, const buf *v)
{
    buf j, back;
    buf_init(&j);
    buf_init(&back);
    arena a;
    arena_init(&a, 1024);
    char err[256];
    struct json_val *jv;
    if (type_to_json(t, v->data, (int32_t)v->len, &j) != 0) abort();
    if (json_parse((const char *)j.data, j.len, &a, &jv, err, sizeof(err)) != 0) abort();
    int rc = type_from_json(t, jv, &back, err, sizeof(err));
    if (rc != 0 || back.len != v->len || (v->len && memcmp(back.data, v->data, v->len) != 0))
        abort();
    arena_destroy(&a);
    buf_free(&j);
    buf_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    if (!parsed[0])
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
            parsed[i] = type_parse(types[i], strlen(types[i]), NULL, err, sizeof(err));
    arena a;
    arena_init(&a, 4096);
    struct json_val *v = NULL;
    err[0] = 0;
    int rc = json_parse((const char *)data, size, &a, &v, err, sizeof(err));
    if (rc == 0 && !v) abort();
    if (rc != 0 && (v || err[0] == 0)) abort();
    if (rc == 0) {
        buf s;
        buf_init(&s);
        json_java_string(v, &s);
        (void)json_java_class(v);
        (void)json_object_get_column(v, "k", 1);
        buf_free(&s);
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
            if (!parsed[i]) continue;
            buf out;
            buf_init(&out);
            rc = type_from_json(parsed[i], v, &out, err, sizeof(err));
            if (rc == 0 && exact[i]) check_round_trip(parsed[i], &out);
            if (rc == 0 && !exact[i]) {
                buf j;
                buf_init(&j);
                if (type_to_json(parsed[i], out.data, (int32_t)out.len, &j) != 0) abort();
                buf_free(&j);
            }
            buf_free(&out);
        }
    }
    arena_destroy(&a);
    return 0;
}

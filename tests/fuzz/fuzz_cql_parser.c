/*
 * fuzz_cql_parser.c -- libFuzzer harness: arbitrary bytes through the CQL
 * lexer and parser. Must never crash, leak, hang or read out of bounds; a
 * result is either a statement or a "line L:C ..." syntax error.
 */
#include "cql/cql_parse.h"
#include "util/arena.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena a;
    arena_init(&a, 4096);
    struct cql_stmt *st = NULL;
    cql_parse_error err;
    int rc = cql_parse((const char *)data, size, &a, &st, &err);
    if (rc == 0 && !st) abort();
    if (rc == -1 && strncmp(err.msg, "line ", 5) != 0 && err.msg[0] == 0) abort();
    arena_destroy(&a);
    return 0;
}

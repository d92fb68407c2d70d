/*
 * cql_parse.h -- the CQL language front: text -> AST (see ast.h).
 *
 * Accepts the CQL grammar of Apache Cassandra 5.0 (Parser.g/Lexer.g) and
 * reports syntax errors with the text Cassandra sends in its "Syntax error"
 * response: `line L:C <message> (<snippet>)`, L 1-based, C a 0-based
 * character offset in that line.
 *
 * Thread context: any thread; no global state. Stack use is bounded
 * (CQL_PARSE_MAX_DEPTH nesting levels), time is linear in the input.
 */
#ifndef RINGDB_CQL_PARSE_H
#define RINGDB_CQL_PARSE_H

#include <stddef.h>

#include "cql/ast.h"
#include "util/arena.h"

/* Deepest nesting of (), [], {}, <>, unary minus and type hints accepted;
 * deeper input is a syntax error, never a stack overflow. */
#define CQL_PARSE_MAX_DEPTH 128

typedef struct cql_parse_error {
    int line, col; /* where the error was found (1-based line, 0-based col) */
    char msg[512]; /* full message, NUL-terminated, valid UTF-8 */
} cql_parse_error;

/*
 * Parses exactly one statement: q[0..len) (NOT NUL-terminated; may contain
 * NUL bytes and invalid UTF-8), optionally followed by ';'s, whitespace and
 * comments.
 *
 * IN:  q, len; a -- arena receiving the AST (and scratch memory).
 * OUT: *out -- the statement, valid until a is reset or destroyed (only set
 *      on success); *err -- filled on -1 (may be NULL).
 * Returns 0 on success, -1 on a syntax error (err->msg holds the message
 * Cassandra would send), -2 when the arena ran out of memory.
 */
int cql_parse(const char *q, size_t len, arena *a, struct cql_stmt **out, cql_parse_error *err);

#endif

/*
 * lexer.h -- private interface between src/cql/lexer.c and src/cql/parser.c.
 *
 * Nothing outside src/cql includes this file; the module's public interface
 * is cql_parse.h (+ ast.h for the tree it returns).
 *
 * The lexer follows Cassandra 5.0's Lexer.g (facts, not code):
 *  (1) tokens are chosen by longest match; on a tie the rule listed first in
 *      Lexer.g wins (keywords and BOOLEAN before IDENT, DURATION before IDENT,
 *      INTEGER before FLOAT, ...);
 *  (2) keywords are case-insensitive; "schema" lexes as K_KEYSPACE, "table" as
 *      K_COLUMNFAMILY and "columnfamilies" as K_TABLES, as in Lexer.g;
 *  (3) whitespace and comments are kept as hidden tokens (hidden = 1): the
 *      parser skips them, the error snippet counts them like ANTLR does;
 *  (4) the token list always ends with exactly one TK_EOF token;
 *  (5) positions: line is 1-based and counts '\n' only, col is 0-based and
 *      counts UTF-16 code units (what Java's ANTLR reports): one per byte
 *      that is not a UTF-8 continuation byte, two for a 4-byte sequence;
 *  (6) a lexing error does not stop lexing: like ANTLR, the bad character
 *      is skipped (or the unterminated token dropped) and the first error is
 *      remembered; the parser decides which error the user sees.
 */
#ifndef RINGDB_CQL_LEXER_H
#define RINGDB_CQL_LEXER_H

#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

/* Keyword table. Flags: R reserved, B basic_unreserved_keyword, N native type
 * (unreserved), U other unreserved (TTL, COUNT, WRITETIME, MAXWRITETIME, KEY,
 * CAST, JSON, DISTINCT). */
#define CQL_KW_R 1
#define CQL_KW_B 2
#define CQL_KW_N 4
#define CQL_KW_U 8

#define CQL_KEYWORDS(X)                                                                            \
    X(SELECT, "select", CQL_KW_R)                                                                  \
    X(FROM, "from", CQL_KW_R)                                                                      \
    X(AS, "as", CQL_KW_B)                                                                          \
    X(WHERE, "where", CQL_KW_R)                                                                    \
    X(AND, "and", CQL_KW_R)                                                                        \
    X(KEY, "key", CQL_KW_U)                                                                        \
    X(KEYS, "keys", CQL_KW_B)                                                                      \
    X(ENTRIES, "entries", CQL_KW_R)                                                                \
    X(FULL, "full", CQL_KW_R)                                                                      \
    X(INSERT, "insert", CQL_KW_R)                                                                  \
    X(UPDATE, "update", CQL_KW_R)                                                                  \
    X(WITH, "with", CQL_KW_R)                                                                      \
    X(LIMIT, "limit", CQL_KW_R)                                                                    \
    X(PER, "per", CQL_KW_B)                                                                        \
    X(PARTITION, "partition", CQL_KW_B)                                                            \
    X(USING, "using", CQL_KW_R)                                                                    \
    X(USE, "use", CQL_KW_R)                                                                        \
    X(DISTINCT, "distinct", CQL_KW_U)                                                              \
    X(COUNT, "count", CQL_KW_U)                                                                    \
    X(SET, "set", CQL_KW_R)                                                                        \
    X(BEGIN, "begin", CQL_KW_R)                                                                    \
    X(UNLOGGED, "unlogged", CQL_KW_R)                                                              \
    X(BATCH, "batch", CQL_KW_R)                                                                    \
    X(APPLY, "apply", CQL_KW_R)                                                                    \
    X(TRUNCATE, "truncate", CQL_KW_R)                                                              \
    X(DELETE, "delete", CQL_KW_R)                                                                  \
    X(IN, "in", CQL_KW_R)                                                                          \
    X(CREATE, "create", CQL_KW_R)                                                                  \
    X(KEYSPACE, "keyspace", CQL_KW_R)                                                              \
    X(KEYSPACES, "keyspaces", CQL_KW_B)                                                            \
    X(COLUMNFAMILY, "columnfamily", CQL_KW_R)                                                      \
    X(TABLES, "tables", CQL_KW_B)                                                                  \
    X(MATERIALIZED, "materialized", CQL_KW_R)                                                      \
    X(VIEW, "view", CQL_KW_R)                                                                      \
    X(INDEX, "index", CQL_KW_R)                                                                    \
    X(CUSTOM, "custom", CQL_KW_B)                                                                  \
    X(ON, "on", CQL_KW_R)                                                                          \
    X(TO, "to", CQL_KW_R)                                                                          \
    X(DROP, "drop", CQL_KW_R)                                                                      \
    X(PRIMARY, "primary", CQL_KW_R)                                                                \
    X(INTO, "into", CQL_KW_R)                                                                      \
    X(VALUES, "values", CQL_KW_B)                                                                  \
    X(TIMESTAMP, "timestamp", CQL_KW_N)                                                            \
    X(TTL, "ttl", CQL_KW_U)                                                                        \
    X(CAST, "cast", CQL_KW_U)                                                                      \
    X(ALTER, "alter", CQL_KW_R)                                                                    \
    X(RENAME, "rename", CQL_KW_R)                                                                  \
    X(ADD, "add", CQL_KW_R)                                                                        \
    X(TYPE, "type", CQL_KW_B)                                                                      \
    X(TYPES, "types", CQL_KW_B)                                                                    \
    X(COMPACT, "compact", CQL_KW_B)                                                                \
    X(STORAGE, "storage", CQL_KW_B)                                                                \
    X(ORDER, "order", CQL_KW_R)                                                                    \
    X(BY, "by", CQL_KW_R)                                                                          \
    X(ASC, "asc", CQL_KW_R)                                                                        \
    X(DESC, "desc", CQL_KW_R)                                                                      \
    X(ALLOW, "allow", CQL_KW_R)                                                                    \
    X(FILTERING, "filtering", CQL_KW_B)                                                            \
    X(IF, "if", CQL_KW_R)                                                                          \
    X(IS, "is", CQL_KW_R)                                                                          \
    X(CONTAINS, "contains", CQL_KW_B)                                                              \
    X(GROUP, "group", CQL_KW_B)                                                                    \
    X(CLUSTER, "cluster", CQL_KW_B)                                                                \
    X(INTERNALS, "internals", CQL_KW_B)                                                            \
    X(ONLY, "only", CQL_KW_B)                                                                      \
    X(GRANT, "grant", CQL_KW_R)                                                                    \
    X(ALL, "all", CQL_KW_B)                                                                        \
    X(PERMISSION, "permission", CQL_KW_B)                                                          \
    X(PERMISSIONS, "permissions", CQL_KW_B)                                                        \
    X(OF, "of", CQL_KW_R)                                                                          \
    X(REVOKE, "revoke", CQL_KW_R)                                                                  \
    X(MODIFY, "modify", CQL_KW_R)                                                                  \
    X(AUTHORIZE, "authorize", CQL_KW_R)                                                            \
    X(DESCRIBE, "describe", CQL_KW_R)                                                              \
    X(EXECUTE, "execute", CQL_KW_R)                                                                \
    X(NORECURSIVE, "norecursive", CQL_KW_R)                                                        \
    X(MBEAN, "mbean", CQL_KW_B)                                                                    \
    X(MBEANS, "mbeans", CQL_KW_B)                                                                  \
    X(USER, "user", CQL_KW_B)                                                                      \
    X(USERS, "users", CQL_KW_B)                                                                    \
    X(ROLE, "role", CQL_KW_B)                                                                      \
    X(ROLES, "roles", CQL_KW_B)                                                                    \
    X(SUPERUSER, "superuser", CQL_KW_B)                                                            \
    X(NOSUPERUSER, "nosuperuser", CQL_KW_B)                                                        \
    X(PASSWORD, "password", CQL_KW_B)                                                              \
    X(HASHED, "hashed", CQL_KW_B)                                                                  \
    X(LOGIN, "login", CQL_KW_B)                                                                    \
    X(NOLOGIN, "nologin", CQL_KW_B)                                                                \
    X(OPTIONS, "options", CQL_KW_B)                                                                \
    X(ACCESS, "access", CQL_KW_B)                                                                  \
    X(DATACENTERS, "datacenters", CQL_KW_B)                                                        \
    X(CIDRS, "cidrs", CQL_KW_B)                                                                    \
    X(IDENTITY, "identity", CQL_KW_B)                                                              \
    X(CLUSTERING, "clustering", CQL_KW_B)                                                          \
    X(ASCII, "ascii", CQL_KW_N)                                                                    \
    X(BIGINT, "bigint", CQL_KW_N)                                                                  \
    X(BLOB, "blob", CQL_KW_N)                                                                      \
    X(BOOLEAN, "boolean", CQL_KW_N)                                                                \
    X(COUNTER, "counter", CQL_KW_N)                                                                \
    X(DECIMAL, "decimal", CQL_KW_N)                                                                \
    X(DOUBLE, "double", CQL_KW_N)                                                                  \
    X(DURATION, "duration", CQL_KW_N)                                                              \
    X(FLOAT, "float", CQL_KW_N)                                                                    \
    X(INET, "inet", CQL_KW_N)                                                                      \
    X(INT, "int", CQL_KW_N)                                                                        \
    X(SMALLINT, "smallint", CQL_KW_N)                                                              \
    X(TINYINT, "tinyint", CQL_KW_N)                                                                \
    X(TEXT, "text", CQL_KW_N)                                                                      \
    X(UUID, "uuid", CQL_KW_N)                                                                      \
    X(VARCHAR, "varchar", CQL_KW_N)                                                                \
    X(VARINT, "varint", CQL_KW_N)                                                                  \
    X(TIMEUUID, "timeuuid", CQL_KW_N)                                                              \
    X(TOKEN, "token", CQL_KW_R)                                                                    \
    X(WRITETIME, "writetime", CQL_KW_U)                                                            \
    X(MAXWRITETIME, "maxwritetime", CQL_KW_U)                                                      \
    X(DATE, "date", CQL_KW_N)                                                                      \
    X(TIME, "time", CQL_KW_N)                                                                      \
    X(NULL, "null", CQL_KW_R)                                                                      \
    X(NOT, "not", CQL_KW_R)                                                                        \
    X(EXISTS, "exists", CQL_KW_B)                                                                  \
    X(MAP, "map", CQL_KW_B)                                                                        \
    X(LIST, "list", CQL_KW_B)                                                                      \
    X(NAN, "nan", CQL_KW_R)                                                                        \
    X(INFINITY, "infinity", CQL_KW_R)                                                              \
    X(TUPLE, "tuple", CQL_KW_B)                                                                    \
    X(TRIGGER, "trigger", CQL_KW_B)                                                                \
    X(STATIC, "static", CQL_KW_B)                                                                  \
    X(FROZEN, "frozen", CQL_KW_B)                                                                  \
    X(FUNCTION, "function", CQL_KW_B)                                                              \
    X(FUNCTIONS, "functions", CQL_KW_B)                                                            \
    X(AGGREGATE, "aggregate", CQL_KW_B)                                                            \
    X(AGGREGATES, "aggregates", CQL_KW_B)                                                          \
    X(SFUNC, "sfunc", CQL_KW_B)                                                                    \
    X(STYPE, "stype", CQL_KW_B)                                                                    \
    X(FINALFUNC, "finalfunc", CQL_KW_B)                                                            \
    X(INITCOND, "initcond", CQL_KW_B)                                                              \
    X(RETURNS, "returns", CQL_KW_B)                                                                \
    X(CALLED, "called", CQL_KW_B)                                                                  \
    X(INPUT, "input", CQL_KW_B)                                                                    \
    X(LANGUAGE, "language", CQL_KW_B)                                                              \
    X(OR, "or", CQL_KW_R)                                                                          \
    X(REPLACE, "replace", CQL_KW_B)                                                                \
    X(JSON, "json", CQL_KW_U)                                                                      \
    X(DEFAULT, "default", CQL_KW_B)                                                                \
    X(UNSET, "unset", CQL_KW_B)                                                                    \
    X(LIKE, "like", CQL_KW_B)                                                                      \
    X(MASKED, "masked", CQL_KW_B)                                                                  \
    X(UNMASK, "unmask", CQL_KW_B)                                                                  \
    X(SELECT_MASKED, "select_masked", CQL_KW_B)                                                    \
    X(VECTOR, "vector", CQL_KW_B)                                                                  \
    X(ANN, "ann", CQL_KW_B)

enum cql_tok_type {
    TK_EOF = 0,
    TK_IDENT,
    TK_QUOTED_NAME,
    TK_EMPTY_QUOTED_NAME,
    TK_STRING,
    TK_INTEGER,
    TK_FLOAT,
    TK_BOOLEAN,
    TK_DURATION,
    TK_UUID,
    TK_HEX,
    TK_QMARK,
    TK_RANGE, /* .. */
    TK_LPAREN,
    TK_RPAREN,
    TK_LBRACKET,
    TK_RBRACKET,
    TK_LBRACE,
    TK_RBRACE,
    TK_COMMA,
    TK_SEMI,
    TK_COLON,
    TK_DOT,
    TK_EQ,
    TK_LT,
    TK_LTE,
    TK_GT,
    TK_GTE,
    TK_NEQ,
    TK_PLUS,
    TK_MINUS,
    TK_STAR,
    TK_SLASH,
    TK_PERCENT,
    TK_PLUS_EQ,
    TK_MINUS_EQ,
    TK_EXPR,         /* the literal 'expr(' of customIndexExpression */
    TK_NEG_NAN,      /* -NaN */
    TK_NEG_INFINITY, /* -Infinity */
    TK_WS,           /* hidden */
    TK_COMMENT,      /* hidden: -- // and block comments */
#define CQL_KW_ENUM(id, s, f) K_##id,
    CQL_KEYWORDS(CQL_KW_ENUM)
#undef CQL_KW_ENUM
        TK_COUNT_
};

struct cql_tok {
    uint16_t type;    /* enum cql_tok_type */
    uint8_t hidden;   /* whitespace or comment */
    uint32_t off;     /* byte offset of the token in the query */
    uint32_t len;     /* bytes of source the token spans */
    int line, col;    /* see (5) */
    const char *text; /* ANTLR's token text: unescaped contents for strings and
                         quoted names, else the source bytes; NOT NUL-terminated */
    uint32_t text_len;
};

struct cql_lex_result {
    struct cql_tok *toks; /* arena; n_toks entries, last one is TK_EOF */
    int n_toks;
    /* first lexing error, if any (has_err) */
    int has_err;
    uint32_t err_tok_off; /* start of the token being lexed when it failed */
    int err_line, err_col;
    char err_msg[256]; /* ANTLR's text without the "line L:C " header */
};

/* Lexes q[0..len) into tokens allocated in a. Returns 0, or -2 when the arena
 * ran out of memory (res is then unusable). Lexing errors are returned in res
 * (has_err), never as a failure. */
int cql_lex(const char *q, size_t len, arena *a, struct cql_lex_result *res);

/* ANTLR's name of a token type for "expecting X" ("K_FROM", "')'", "IDENT"). */
const char *cql_tok_name(int type);

/* Keyword flags (CQL_KW_*) of a token type, 0 if it is not a keyword. */
int cql_kw_flags(int type);

/* Lower-case spelling of a keyword ("select"); NULL if not a keyword. */
const char *cql_kw_text(int type);

/* UTF-16 length of n bytes of (possibly invalid) UTF-8, as in (5). */
int cql_u16_len(const char *s, size_t n);

#endif

/*
 * parser_int.h -- internals shared by the parser's files: parser.c (core:
 * token access, errors, names, types, terms, properties, selectors, WHERE,
 * DML, BATCH, USE, TRUNCATE, keyspace DDL, statement dispatch) and
 * parser_ddl.c (tables, indexes, types, views, functions, aggregates,
 * triggers, roles/users, permissions, identities, DESCRIBE).
 *
 * Error convention: a parse function that fails returns NULL / -1 after
 * setting p->failed (-1 syntax error with p->err filled, -2 out of memory);
 * once failed, every helper returns failure at once, so callers can chain
 * calls and check p->failed at the end.
 */
#ifndef RINGDB_CQL_PARSER_INT_H
#define RINGDB_CQL_PARSER_INT_H

#include "cql/ast.h"
#include "cql/cql_parse.h"
#include "cql/lexer.h"

struct cql_parser {
    const char *src;
    size_t len;
    arena *a;
    struct cql_tok *t; /* visible tokens only; t[n - 1] is TK_EOF */
    int n, pos;
    int depth;  /* nesting, bounded by CQL_PARSE_MAX_DEPTH */
    int failed; /* 0, -1 syntax error, -2 out of memory */
    cql_parse_error *err;
    /* bind markers, in textual order */
    struct cql_bind_marker *binds;
    int n_binds, cap_binds;
    int stmt_index; /* index inside a batch, -1 outside */
    /* context given to the markers created from now on (see ast.h) */
    enum cql_bind_ctx bctx;
    const void *bowner;
    int bvalue_index;
};

/* ---- tokens ---- */
const struct cql_tok *pk(struct cql_parser *p);           /* current token */
const struct cql_tok *pk_at(struct cql_parser *p, int k); /* k-th after current (k=0: current) */
int at(struct cql_parser *p, int type);                   /* current token has this type */
int accept(struct cql_parser *p, int type);               /* consume if it matches; 1 if consumed */
int expect(struct cql_parser *p, int type); /* consume, or "mismatched input" error; 0/-1 */

/* ---- errors (always return -1, or NULL through the macros' callers) ---- */
int fail_at(struct cql_parser *p, const struct cql_tok *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4))); /* GCC/clang: -Wformat checks calls */
int fail_nva(struct cql_parser *p);        /* "no viable alternative at input 'X'" here */
int fail_msg(struct cql_parser *p, const char *fmt, ...) __attribute__((format(
    printf, 2, 3))); /* Cassandra's own message (addRecognitionError), at the current token */

/* ---- memory (arena; zeroed; OOM sets failed = -2) ---- */
void *palloc(struct cql_parser *p, size_t sz);
char *pstrdup(struct cql_parser *p, const char *s, size_t n);
/* Appends item to a growable arena array of pointers. 0 ok, -1 OOM. */
int plist_push(struct cql_parser *p, void ***arr, int *n, int *cap, void *item);

/* ---- names ---- */
int is_ident(struct cql_parser *p);            /* current token can be an identifier */
const char *parse_ident(struct cql_parser *p); /* IDENT (lower-cased), QUOTED_NAME, unreserved kw */
int parse_qname(struct cql_parser *p, struct cql_qname *out); /* [ks.]name */
/* A role/user name: identifier, or 'string' (case kept). */
const char *parse_role_name(struct cql_parser *p);

/* ---- types, terms, properties ---- */
struct cql_type *parse_type(struct cql_parser *p);
/* A term; bind markers get the context currently in p->bctx/bowner. */
struct cql_term *parse_term(struct cql_parser *p);
/* A constant (STRING, INTEGER, FLOAT, BOOLEAN, UUID, HEX, DURATION, NaN, Infinity). */
struct cql_term *parse_constant(struct cql_parser *p);
/* property (AND property)*: name = constant | name = {map}; rejects duplicates. */
int parse_props(struct cql_parser *p, struct cql_props *out);
int parse_if_not_exists(struct cql_parser *p); /* consumes IF NOT EXISTS; 1/0, -1 error */
int parse_if_exists(struct cql_parser *p);     /* consumes IF EXISTS; 1/0, -1 error */

/* ---- SELECT pieces (used by CREATE MATERIALIZED VIEW) ---- */
/* '*' | item (',' item)*; sets *wildcard. */
int parse_select_items(struct cql_parser *p, struct cql_select_item ***items, int *n,
                       bool *wildcard);
/* relation (AND relation)* after WHERE. */
int parse_where(struct cql_parser *p, struct cql_relation ***out, int *n);

/* ---- parser_ddl.c ---- */
/* Called with the current token just after CREATE / ALTER / DROP (KEYSPACE
 * excluded: the core handles it). Fill st (kind and payload). 0 / -1. */
int ddl_parse_create(struct cql_parser *p, struct cql_stmt *st);
int ddl_parse_alter(struct cql_parser *p, struct cql_stmt *st);
int ddl_parse_drop(struct cql_parser *p, struct cql_stmt *st);
/* GRANT / REVOKE / LIST / ADD IDENTITY / DROP IDENTITY (first keyword
 * already consumed and given as kw), and DESCRIBE / DESC. */
int ddl_parse_grant_revoke(struct cql_parser *p, struct cql_stmt *st, int kw);
int ddl_parse_list(struct cql_parser *p, struct cql_stmt *st);
int ddl_parse_add_identity(struct cql_parser *p, struct cql_stmt *st);
int ddl_parse_describe(struct cql_parser *p, struct cql_stmt *st);

#endif

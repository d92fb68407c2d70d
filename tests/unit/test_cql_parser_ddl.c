/*
 * test_cql_parser_ddl -- the DDL, auth and DESCRIBE statements of the CQL
 * parser (src/cql/parser_ddl.c) through the public cql_parse(): one test
 * per statement family checking the AST fields, then the refused forms with
 * the messages Cassandra 5.0 gives (Parser.g's addRecognitionError and
 * ANTLR's "mismatched input" / "no viable alternative").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cql/cql_parse.h"

static arena A;

static int setup(void **state)
{
    (void)state;
    arena_init(&A, 4096);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_destroy(&A);
    return 0;
}

static struct cql_stmt *ok(const char *q)
{
    struct cql_stmt *st = NULL;
    cql_parse_error e;
    int r = cql_parse(q, strlen(q), &A, &st, &e);
    if (r != 0) fail_msg("%s\n  -> %d %s", q, r, e.msg);
    assert_non_null(st);
    return st;
}

/* Refused with a message containing want. */
static void bad(const char *q, const char *want)
{
    struct cql_stmt *st = NULL;
    cql_parse_error e;
    int r = cql_parse(q, strlen(q), &A, &st, &e);
    if (r != -1) fail_msg("accepted: %s", q);
    if (want && !strstr(e.msg, want)) fail_msg("%s\n  got:  %s\n  want: %s", q, e.msg, want);
}

/* Refused with exactly this message. */
static void bad_exact(const char *q, const char *want)
{
    struct cql_stmt *st = NULL;
    cql_parse_error e;
    int r = cql_parse(q, strlen(q), &A, &st, &e);
    if (r != -1) fail_msg("accepted: %s", q);
    assert_string_equal(e.msg, want);
}

#define assert_str(a, b) assert_string_equal((a), (b))

static void assert_qname(struct cql_qname q, const char *ks, const char *name)
{
    if (ks)
        assert_str(q.ks, ks);
    else
        assert_null(q.ks);
    assert_str(q.name, name);
}

/* ------------------------------------------------------------ CREATE TABLE */

static void test_create_table(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("CREATE TABLE ks.T1 (k int PRIMARY KEY, v text, s set<int> STATIC)");
    assert_int_equal(st->kind, CQL_STMT_CREATE_TABLE);
    struct cql_create_table *ct = &st->create_table;
    assert_qname(ct->name, "ks", "t1");
    assert_false(ct->if_not_exists);
    assert_int_equal(ct->n_columns, 3);
    assert_str(ct->columns[0]->name, "k");
    assert_int_equal(ct->columns[0]->type->kind, CQL_TYPE_NATIVE);
    assert_int_equal(ct->columns[0]->type->native, CQL_NATIVE_INT);
    assert_false(ct->columns[0]->is_static);
    assert_int_equal(ct->columns[2]->type->kind, CQL_TYPE_SET);
    assert_true(ct->columns[2]->is_static);
    assert_int_equal(ct->n_primary_key_decls, 1);
    assert_int_equal(ct->n_partition_key, 1);
    assert_str(ct->partition_key[0], "k");
    assert_int_equal(ct->n_clustering, 0);
    assert_int_equal(ct->props.n, 0);

    st = ok("create columnfamily if not exists t (a int, b int, c int, d text, "
            "PRIMARY KEY ((a, b), c, \"D\"))");
    ct = &st->create_table;
    assert_true(ct->if_not_exists);
    assert_qname(ct->name, NULL, "t");
    assert_int_equal(ct->n_columns, 4);
    assert_int_equal(ct->n_partition_key, 2);
    assert_str(ct->partition_key[0], "a");
    assert_str(ct->partition_key[1], "b");
    assert_int_equal(ct->n_clustering, 2);
    assert_str(ct->clustering[0], "c");
    assert_str(ct->clustering[1], "D");

    st = ok("CREATE TABLE t (a int, b int, PRIMARY KEY (a, b)) WITH comment = 'x' AND "
            "CLUSTERING ORDER BY (b DESC) AND gc_grace_seconds = 10 AND "
            "compaction = {'class': 'LeveledCompactionStrategy'} AND COMPACT STORAGE");
    ct = &st->create_table;
    assert_int_equal(ct->n_partition_key, 1);
    assert_int_equal(ct->n_clustering, 1);
    assert_true(ct->compact_storage);
    assert_int_equal(ct->n_clustering_order, 1);
    assert_str(ct->clustering_order[0]->column, "b");
    assert_true(ct->clustering_order[0]->desc);
    assert_int_equal(ct->props.n, 3);
    assert_str(ct->props.items[0]->name, "comment");
    assert_str(ct->props.items[0]->value->constant.text, "x");
    assert_str(ct->props.items[1]->name, "gc_grace_seconds");
    assert_str(ct->props.items[1]->value->constant.text, "10");
    assert_str(ct->props.items[2]->name, "compaction");
    assert_true(ct->props.items[2]->is_map);
    assert_int_equal(ct->props.items[2]->n_entries, 1);

    /* clustering order first, several orders, several clauses */
    st = ok("CREATE TABLE t (a int, b int, c int, PRIMARY KEY (a, b, c)) WITH CLUSTERING ORDER "
            "BY (b ASC, c DESC)");
    ct = &st->create_table;
    assert_int_equal(ct->n_clustering_order, 2);
    assert_false(ct->clustering_order[0]->desc);
    assert_true(ct->clustering_order[1]->desc);
    assert_int_equal(ct->props.n, 0);

    /* a property named like the special clauses' first word */
    st = ok("CREATE TABLE t (a int PRIMARY KEY) WITH clustering = 1 AND compact = 2");
    assert_int_equal(st->create_table.props.n, 2);
    assert_str(st->create_table.props.items[0]->name, "clustering");

    /* trailing and doubled commas are accepted by Parser.g */
    st = ok("CREATE TABLE t (a int PRIMARY KEY,, b int,)");
    assert_int_equal(st->create_table.n_columns, 2);

    /* masks */
    st = ok("CREATE TABLE t (a int PRIMARY KEY, b text MASKED WITH DEFAULT, "
            "c text MASKED WITH mask_inner(1, ?), d int STATIC MASKED WITH ks.f())");
    ct = &st->create_table;
    assert_null(ct->columns[0]->mask);
    assert_true(ct->columns[1]->mask->is_default);
    assert_str(ct->columns[1]->mask->func.name, "mask_default");
    assert_false(ct->columns[2]->mask->is_default);
    assert_qname(ct->columns[2]->mask->func, NULL, "mask_inner");
    assert_int_equal(ct->columns[2]->mask->n_args, 2);
    assert_int_equal(ct->columns[2]->mask->args[0]->kind, CQL_TERM_CONST);
    assert_int_equal(ct->columns[2]->mask->args[1]->kind, CQL_TERM_BIND);
    assert_int_equal(st->n_binds, 1);
    assert_int_equal(st->binds[0].ctx, CQL_BIND_OTHER);
    assert_true(ct->columns[3]->is_static);
    assert_qname(ct->columns[3]->mask->func, "ks", "f");
    assert_int_equal(ct->columns[3]->mask->n_args, 0);
    /* "default" as a function name */
    st = ok("CREATE TABLE t (a int PRIMARY KEY, b text MASKED WITH default(1))");
    assert_false(st->create_table.columns[1]->mask->is_default);

    /* two PRIMARY KEY declarations: the executor's error, the first is kept */
    st = ok("CREATE TABLE t (a int PRIMARY KEY, b int, PRIMARY KEY (b))");
    assert_int_equal(st->create_table.n_primary_key_decls, 2);
    assert_str(st->create_table.partition_key[0], "a");
    st = ok("CREATE TABLE t (a int)");
    assert_int_equal(st->create_table.n_primary_key_decls, 0);
}

static void test_create_table_invalid(void **state)
{
    (void)state;
    bad("CREATE TABLE t (a int PRIMARY KEY) WITH CLUSTERING ORDER BY (a)",
        "no viable alternative at input ')'");
    bad("CREATE TABLE t (a int PRIMARY KEY", "mismatched input '<EOF>' expecting ')'");
    bad("CREATE TABLE t (a int, SELECT int)", "mismatched input 'SELECT' expecting ')'");
    bad("CREATE TABLE t a int", "mismatched input 'a' expecting '('");
    bad_exact("CREATE TABLE ? (a int PRIMARY KEY)",
              "Bind variables cannot be used for table names");
    bad_exact("CREATE TABLE ?.t (a int PRIMARY KEY)",
              "Bind variables cannot be used for keyspace names");
    /* within one run of properties the core's parse_props() checks */
    bad("CREATE TABLE t (a int PRIMARY KEY) WITH a = 1 AND a = 2",
        "Multiple definition for property");
    bad_exact("CREATE TABLE t (a int PRIMARY KEY) WITH a = 1 AND COMPACT STORAGE AND a = 2",
              "Multiple definition for property 'a'");
    bad_exact("CREATE MATERIALIZED VIEW v AS SELECT * FROM t PRIMARY KEY (a) WITH b = {} AND "
              "CLUSTERING ORDER BY (a ASC) AND b = 1",
              "Multiple definition for property 'b'");
    bad("CREATE TABLE t (a int PRIMARY KEY) WITH a = AND CLUSTERING ORDER BY (a ASC)", "'AND'");
    bad("CREATE TABLE t (PRIMARY KEY a)", "mismatched input 'a' expecting '('");
    bad("CREATE TABLE t (a int PRIMARY)", "mismatched input ')' expecting K_KEY");
    bad("CREATE TABLE t (a int MASKED WITH)", "no viable alternative at input ')'");
    bad("CREATE TABLE t (a int MASKED DEFAULT)", "mismatched input 'DEFAULT' expecting K_WITH");
    bad("CREATE TABLES t (a int)", "no viable alternative at input 'TABLES'");
    bad("CREATE TABLE t (a int PRIMARY KEY) WITH", "<EOF>");
}

/* ------------------------------------------------------------ indexes */

static void test_create_index(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("CREATE INDEX ON ks.t (v)");
    assert_int_equal(st->kind, CQL_STMT_CREATE_INDEX);
    struct cql_create_index *ci = &st->create_index;
    assert_false(ci->custom);
    assert_null(ci->name);
    assert_qname(ci->table, "ks", "t");
    assert_int_equal(ci->n_targets, 1);
    assert_int_equal(ci->targets[0]->kind, CQL_INDEX_SIMPLE);
    assert_str(ci->targets[0]->column, "v");
    assert_null(ci->using_class);

    st = ok("CREATE INDEX IF NOT EXISTS Idx ON t (keys(m), values(l), entries(m2), full(f), "
            "\"Keys\", keys, \"\")");
    ci = &st->create_index;
    assert_true(ci->if_not_exists);
    assert_str(ci->name, "idx");
    assert_int_equal(ci->n_targets, 7);
    assert_int_equal(ci->targets[0]->kind, CQL_INDEX_KEYS);
    assert_str(ci->targets[0]->column, "m");
    assert_int_equal(ci->targets[1]->kind, CQL_INDEX_VALUES);
    assert_int_equal(ci->targets[2]->kind, CQL_INDEX_ENTRIES);
    assert_int_equal(ci->targets[3]->kind, CQL_INDEX_FULL);
    assert_int_equal(ci->targets[4]->kind, CQL_INDEX_SIMPLE);
    assert_str(ci->targets[4]->column, "Keys");
    assert_int_equal(ci->targets[5]->kind, CQL_INDEX_SIMPLE);
    assert_str(ci->targets[5]->column, "keys");
    assert_str(ci->targets[6]->column, "");

    st = ok("CREATE CUSTOM INDEX i ON t (v) USING 'StorageAttachedIndex' WITH OPTIONS = "
            "{'case_sensitive': 'false'}");
    ci = &st->create_index;
    assert_true(ci->custom);
    assert_str(ci->name, "i");
    assert_str(ci->using_class, "StorageAttachedIndex");
    assert_int_equal(ci->props.n, 1);
    assert_str(ci->props.items[0]->name, "options");
    assert_true(ci->props.items[0]->is_map);

    st = ok("CREATE INDEX i ON t ()");
    assert_int_equal(st->create_index.n_targets, 0);
    st = ok("CREATE INDEX on_x ON t (a, b)");
    assert_int_equal(st->create_index.n_targets, 2);
}

static void test_create_index_invalid(void **state)
{
    (void)state;
    bad_exact("CREATE INDEX ? ON t (v)", "Bind variables cannot be used for index names");
    bad("CREATE INDEX i t (v)", "mismatched input 't' expecting K_ON");
    bad("CREATE CUSTOM i ON t (v)", "mismatched input 'i' expecting K_INDEX");
    bad("CREATE INDEX i ON t (v) USING cls", "mismatched input 'cls' expecting STRING_LITERAL");
    bad("CREATE INDEX i ON t (entries m)", "mismatched input 'm' expecting '('");
    bad("CREATE INDEX i ON t (v", "mismatched input '<EOF>' expecting ')'");
}

/* ------------------------------------------------------------ types */

static void test_types(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("CREATE TYPE ks.Addr (street text, \"Zip\" int, tags set<text>,)");
    assert_int_equal(st->kind, CQL_STMT_CREATE_TYPE);
    struct cql_create_type *ct = &st->create_type;
    assert_qname(ct->name, "ks", "addr");
    assert_int_equal(ct->n_fields, 3);
    assert_str(ct->fields[0]->name, "street");
    assert_str(ct->fields[1]->name, "Zip");
    assert_int_equal(ct->fields[2]->type->kind, CQL_TYPE_SET);

    st = ok("CREATE TYPE IF NOT EXISTS key (a int)");
    assert_true(st->create_type.if_not_exists);
    assert_str(st->create_type.name.name, "key");

    st = ok("ALTER TYPE IF EXISTS ks.a ALTER f TYPE bigint");
    assert_int_equal(st->kind, CQL_STMT_ALTER_TYPE);
    assert_true(st->alter_type.if_exists);
    assert_int_equal(st->alter_type.kind, CQL_ALTER_TYPE_ALTER);
    assert_str(st->alter_type.field, "f");
    assert_int_equal(st->alter_type.type->native, CQL_NATIVE_BIGINT);

    st = ok("ALTER TYPE a ADD IF NOT EXISTS g frozen<list<int>>");
    assert_int_equal(st->alter_type.kind, CQL_ALTER_TYPE_ADD);
    assert_true(st->alter_type.if_field_not_exists);
    assert_str(st->alter_type.field, "g");
    assert_int_equal(st->alter_type.type->kind, CQL_TYPE_LIST);

    st = ok("ALTER TYPE a RENAME IF EXISTS x TO y AND \"Z\" TO w");
    assert_int_equal(st->alter_type.kind, CQL_ALTER_TYPE_RENAME);
    assert_true(st->alter_type.if_field_exists);
    assert_int_equal(st->alter_type.n_renames, 2);
    assert_str(st->alter_type.rename_from[1], "Z");
    assert_str(st->alter_type.rename_to[1], "w");

    st = ok("DROP TYPE IF EXISTS ks.a");
    assert_int_equal(st->kind, CQL_STMT_DROP_TYPE);
    assert_true(st->drop.if_exists);
    assert_qname(st->drop.name, "ks", "a");

    bad_exact("CREATE TYPE byte (a int)", "Invalid (reserved) user type name byte");
    bad("CREATE TYPE int (a int)", "no viable alternative at input 'int'");
    bad("CREATE TYPE ttl (a int)", "no viable alternative at input 'ttl'");
    bad("CREATE TYPE t (a)", "no viable alternative at input ')'");
    bad("ALTER TYPE t DROP f", "no viable alternative at input 'DROP'");
    bad("ALTER TYPE t ALTER f int", "mismatched input 'int' expecting K_TYPE");
}

/* ------------------------------------------------------------ ALTER TABLE */

static void test_alter_table(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("ALTER TABLE ks.t ALTER c TYPE text");
    assert_int_equal(st->kind, CQL_STMT_ALTER_TABLE);
    struct cql_alter_table *a = &st->alter_table;
    assert_qname(a->name, "ks", "t");
    assert_int_equal(a->kind, CQL_ALTER_TABLE_ALTER_TYPE);
    assert_str(a->column, "c");
    assert_int_equal(a->type->native, CQL_NATIVE_TEXT);

    st = ok("ALTER TABLE IF EXISTS t ALTER IF EXISTS c MASKED WITH mask_null()");
    a = &st->alter_table;
    assert_true(a->if_exists);
    assert_true(a->if_column_exists);
    assert_int_equal(a->kind, CQL_ALTER_TABLE_MASK);
    assert_str(a->mask->func.name, "mask_null");

    st = ok("ALTER TABLE t ALTER c DROP MASKED");
    assert_int_equal(st->alter_table.kind, CQL_ALTER_TABLE_DROP_MASK);
    assert_false(st->alter_table.if_column_exists);

    st = ok("ALTER TABLE t ADD IF NOT EXISTS c int STATIC MASKED WITH DEFAULT");
    a = &st->alter_table;
    assert_int_equal(a->kind, CQL_ALTER_TABLE_ADD);
    assert_true(a->if_column_not_exists);
    assert_int_equal(a->n_add, 1);
    assert_true(a->add[0]->is_static);
    assert_true(a->add[0]->mask->is_default);

    st = ok("ALTER TABLE t ADD (a int, b map<text, int> STATIC, c text MASKED WITH DEFAULT)");
    a = &st->alter_table;
    assert_int_equal(a->n_add, 3);
    assert_str(a->add[1]->name, "b");
    assert_int_equal(a->add[1]->type->kind, CQL_TYPE_MAP);
    assert_true(a->add[1]->is_static);
    assert_non_null(a->add[2]->mask);

    st = ok("ALTER TABLE t DROP IF EXISTS c");
    a = &st->alter_table;
    assert_int_equal(a->kind, CQL_ALTER_TABLE_DROP);
    assert_true(a->if_column_exists);
    assert_int_equal(a->n_drop, 1);
    assert_str(a->drop[0], "c");
    assert_null(a->drop_timestamp);

    st = ok("ALTER TABLE t DROP (a, b, c) USING TIMESTAMP 1234");
    a = &st->alter_table;
    assert_int_equal(a->n_drop, 3);
    assert_str(a->drop[2], "c");
    assert_int_equal(a->drop_timestamp->constant.kind, CQL_CONST_INTEGER);
    assert_str(a->drop_timestamp->constant.text, "1234");

    st = ok("ALTER TABLE t DROP compact");
    assert_int_equal(st->alter_table.kind, CQL_ALTER_TABLE_DROP);
    assert_str(st->alter_table.drop[0], "compact");
    st = ok("ALTER TABLE t DROP COMPACT STORAGE");
    assert_int_equal(st->alter_table.kind, CQL_ALTER_TABLE_DROP_COMPACT);

    st = ok("ALTER TABLE t RENAME IF EXISTS a TO b AND c TO \"D\" AND e TO f");
    a = &st->alter_table;
    assert_int_equal(a->kind, CQL_ALTER_TABLE_RENAME);
    assert_true(a->if_column_exists);
    assert_int_equal(a->n_renames, 3);
    assert_str(a->rename_from[0], "a");
    assert_str(a->rename_to[0], "b");
    assert_str(a->rename_to[1], "D");
    assert_str(a->rename_from[2], "e");
    assert_str(a->rename_to[2], "f");

    st = ok("ALTER TABLE t WITH comment = 'c' AND default_time_to_live = 5");
    a = &st->alter_table;
    assert_int_equal(a->kind, CQL_ALTER_TABLE_WITH);
    assert_int_equal(a->props.n, 2);

    bad("ALTER TABLE t ALTER IF EXISTS c TYPE int", "no viable alternative at input 'TYPE'");
    bad("ALTER TABLE t ALTER c int", "no viable alternative at input 'int'");
    bad("ALTER TABLE t DROP c USING TIMESTAMP ?", "mismatched input '?' expecting INTEGER");
    bad("ALTER TABLE t DROP c USING TTL 5", "mismatched input 'TTL' expecting K_TIMESTAMP");
    bad("ALTER TABLE t RENAME a b", "mismatched input 'b' expecting K_TO");
    bad("ALTER TABLE t FOO", "no viable alternative at input 'FOO'");
    bad("ALTER TABLE t ADD (a int", "mismatched input '<EOF>' expecting ')'");
    bad("ALTER TABLE t ALTER c DROP", "mismatched input '<EOF>' expecting K_MASKED");
    bad("ALTER TABLES t WITH a = 1", "no viable alternative at input 'TABLES'");
}

/* ------------------------------------------------------------ views */

static void test_views(void **state)
{
    (void)state;
    struct cql_stmt *st =
        ok("CREATE MATERIALIZED VIEW IF NOT EXISTS ks.mv AS SELECT a, b AS x FROM ks.t WHERE a "
           "IS NOT NULL AND b IS NOT NULL PRIMARY KEY ((b, a), c) WITH CLUSTERING ORDER BY (c "
           "DESC) AND comment = 'v'");
    assert_int_equal(st->kind, CQL_STMT_CREATE_VIEW);
    struct cql_create_view *v = &st->create_view;
    assert_true(v->if_not_exists);
    assert_qname(v->name, "ks", "mv");
    assert_qname(v->base, "ks", "t");
    assert_false(v->wildcard);
    assert_int_equal(v->n_selectors, 2);
    assert_str(v->selectors[1]->alias, "x");
    assert_int_equal(v->n_where, 2);
    assert_int_equal(v->where[0]->op, CQL_OP_IS_NOT);
    assert_int_equal(v->n_partition_key, 2);
    assert_str(v->partition_key[0], "b");
    assert_int_equal(v->n_clustering, 1);
    assert_str(v->clustering[0], "c");
    assert_int_equal(v->n_clustering_order, 1);
    assert_true(v->clustering_order[0]->desc);
    assert_int_equal(v->props.n, 1);

    st = ok("CREATE MATERIALIZED VIEW mv AS SELECT * FROM t PRIMARY KEY (a)");
    assert_true(st->create_view.wildcard);
    assert_int_equal(st->create_view.n_where, 0);
    assert_int_equal(st->create_view.n_partition_key, 1);

    st = ok("ALTER MATERIALIZED VIEW IF EXISTS mv WITH comment = 'x'");
    assert_int_equal(st->kind, CQL_STMT_ALTER_VIEW);
    assert_true(st->alter_view.if_exists);
    assert_qname(st->alter_view.name, NULL, "mv");
    assert_int_equal(st->alter_view.props.n, 1);

    st = ok("DROP MATERIALIZED VIEW ks.mv");
    assert_int_equal(st->kind, CQL_STMT_DROP_VIEW);
    assert_qname(st->drop.name, "ks", "mv");

    bad_exact("CREATE MATERIALIZED VIEW mv AS SELECT * FROM t PRIMARY KEY (a) WITH COMPACT "
              "STORAGE",
              "COMPACT STORAGE tables are not allowed starting with version 4.0");
    bad("CREATE MATERIALIZED VIEW mv AS SELECT * FROM t", "expecting K_PRIMARY");
    bad("CREATE MATERIALIZED mv AS SELECT * FROM t PRIMARY KEY (a)",
        "mismatched input 'mv' expecting K_VIEW");
    bad("CREATE MATERIALIZED VIEW mv SELECT * FROM t PRIMARY KEY (a)",
        "mismatched input 'SELECT' expecting K_AS");
    bad("ALTER MATERIALIZED VIEW mv", "mismatched input '<EOF>' expecting K_WITH");
}

/* ------------------------------------------------------------ functions */

static void test_functions(void **state)
{
    (void)state;
    struct cql_stmt *st =
        ok("CREATE OR REPLACE FUNCTION ks.Fn(a int, \"B\" list<text>) CALLED ON NULL INPUT "
           "RETURNS text LANGUAGE Java AS $$ return \"x\"; $$");
    assert_int_equal(st->kind, CQL_STMT_CREATE_FUNCTION);
    struct cql_create_function *f = &st->create_function;
    assert_true(f->or_replace);
    assert_false(f->if_not_exists);
    assert_qname(f->name, "ks", "fn");
    assert_int_equal(f->n_args, 2);
    assert_str(f->arg_names[0], "a");
    assert_str(f->arg_names[1], "B");
    assert_int_equal(f->arg_types[1]->kind, CQL_TYPE_LIST);
    assert_true(f->called_on_null_input);
    assert_int_equal(f->return_type->native, CQL_NATIVE_TEXT);
    assert_str(f->language, "java");
    assert_str(f->body, " return \"x\"; ");
    assert_int_equal(f->body_len, strlen(" return \"x\"; "));

    st = ok("CREATE FUNCTION IF NOT EXISTS f() RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE "
            "javascript AS '1'");
    f = &st->create_function;
    assert_false(f->or_replace);
    assert_true(f->if_not_exists);
    assert_qname(f->name, NULL, "f");
    assert_int_equal(f->n_args, 0);
    assert_false(f->called_on_null_input);
    assert_str(f->body, "1");

    /* function names that are keywords */
    st = ok("CREATE FUNCTION ks.token() CALLED ON NULL INPUT RETURNS int LANGUAGE java AS 'x'");
    assert_str(st->create_function.name.name, "token");
    st = ok("CREATE FUNCTION ks.Int() CALLED ON NULL INPUT RETURNS int LANGUAGE java AS 'x'");
    assert_str(st->create_function.name.name, "int");

    st = ok("DROP FUNCTION IF EXISTS ks.f");
    assert_int_equal(st->kind, CQL_STMT_DROP_FUNCTION);
    assert_true(st->drop_function.if_exists);
    assert_false(st->drop_function.args_specified);
    assert_qname(st->drop_function.name, "ks", "f");
    st = ok("DROP FUNCTION f(int, frozen<map<int, text>>)");
    assert_true(st->drop_function.args_specified);
    assert_int_equal(st->drop_function.n_args, 2);
    st = ok("DROP FUNCTION f()");
    assert_true(st->drop_function.args_specified);
    assert_int_equal(st->drop_function.n_args, 0);

    bad("CREATE FUNCTION f() ON NULL INPUT RETURNS int LANGUAGE java AS 'x'",
        "no viable alternative at input 'ON'");
    bad("CREATE FUNCTION f() CALLED ON INPUT RETURNS int LANGUAGE java AS 'x'",
        "mismatched input 'INPUT' expecting K_NULL");
    bad("CREATE FUNCTION f() CALLED ON NULL INPUT RETURNS int LANGUAGE 'java' AS 'x'",
        "mismatched input ''java'' expecting IDENT");
    bad("CREATE FUNCTION f() CALLED ON NULL INPUT RETURNS int LANGUAGE java AS x",
        "mismatched input 'x' expecting STRING_LITERAL");
    bad("CREATE FUNCTION f(int) CALLED ON NULL INPUT RETURNS int LANGUAGE java AS 'x'",
        "no viable alternative");
    bad_exact("CREATE FUNCTION ?.f() CALLED ON NULL INPUT RETURNS int LANGUAGE java AS 'x'",
              "Bind variables cannot be used for keyspace names");
    bad("CREATE OR FUNCTION f() CALLED ON NULL INPUT RETURNS int LANGUAGE java AS 'x'",
        "mismatched input 'FUNCTION' expecting K_REPLACE");
    bad("CREATE OR REPLACE TABLE t (a int PRIMARY KEY)", "no viable alternative at input 'TABLE'");
}

static void test_aggregates(void **state)
{
    (void)state;
    struct cql_stmt *st =
        ok("CREATE OR REPLACE AGGREGATE IF NOT EXISTS ks.Avg(int, bigint) SFUNC State STYPE "
           "tuple<int, bigint> FINALFUNC fin INITCOND (0, 0)");
    assert_int_equal(st->kind, CQL_STMT_CREATE_AGGREGATE);
    struct cql_create_aggregate *a = &st->create_aggregate;
    assert_true(a->or_replace);
    assert_true(a->if_not_exists);
    assert_qname(a->name, "ks", "avg");
    assert_int_equal(a->n_args, 2);
    assert_str(a->sfunc, "state");
    assert_int_equal(a->stype->kind, CQL_TYPE_TUPLE);
    assert_str(a->finalfunc, "fin");
    assert_int_equal(a->initcond->kind, CQL_TERM_TUPLE);

    st = ok("CREATE AGGREGATE a() SFUNC s STYPE int INITCOND ?");
    a = &st->create_aggregate;
    assert_int_equal(a->n_args, 0);
    assert_null(a->finalfunc);
    assert_int_equal(a->initcond->kind, CQL_TERM_BIND);
    assert_int_equal(st->n_binds, 1);
    assert_int_equal(st->binds[0].ctx, CQL_BIND_OTHER);
    assert_null(st->binds[0].owner);

    st = ok("CREATE AGGREGATE a(int) SFUNC s STYPE int");
    assert_null(st->create_aggregate.initcond);
    assert_null(st->create_aggregate.finalfunc);

    st = ok("DROP AGGREGATE IF EXISTS ks.a(int)");
    assert_int_equal(st->kind, CQL_STMT_DROP_AGGREGATE);
    assert_true(st->drop_function.if_exists);
    assert_true(st->drop_function.args_specified);
    assert_int_equal(st->drop_function.n_args, 1);

    bad("CREATE AGGREGATE a(int) STYPE int", "mismatched input 'STYPE' expecting K_SFUNC");
    bad("CREATE AGGREGATE a(int) SFUNC ks.s STYPE int", "mismatched input '.' expecting K_STYPE");
    bad("CREATE AGGREGATE a SFUNC s STYPE int", "mismatched input 'SFUNC' expecting '('");
}

/* ------------------------------------------------------------ triggers */

static void test_triggers(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("CREATE TRIGGER IF NOT EXISTS Trig ON ks.t USING 'org.Foo'");
    assert_int_equal(st->kind, CQL_STMT_CREATE_TRIGGER);
    assert_true(st->create_trigger.if_not_exists);
    assert_str(st->create_trigger.name, "trig");
    assert_qname(st->create_trigger.table, "ks", "t");
    assert_str(st->create_trigger.using_class, "org.Foo");

    st = ok("DROP TRIGGER IF EXISTS trig ON t");
    assert_int_equal(st->kind, CQL_STMT_DROP_TRIGGER);
    assert_true(st->drop_trigger.if_exists);
    assert_str(st->drop_trigger.name, "trig");
    assert_qname(st->drop_trigger.table, NULL, "t");

    bad("CREATE TRIGGER trig ON t", "mismatched input '<EOF>' expecting K_USING");
    bad("CREATE TRIGGER trig ON t USING Foo", "mismatched input 'Foo' expecting STRING_LITERAL");
    bad("DROP TRIGGER trig", "mismatched input '<EOF>' expecting K_ON");
}

/* ------------------------------------------------------------ DROP */

static void test_drops(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("DROP TABLE IF EXISTS ks.t");
    assert_int_equal(st->kind, CQL_STMT_DROP_TABLE);
    assert_true(st->drop.if_exists);
    assert_qname(st->drop.name, "ks", "t");
    st = ok("DROP COLUMNFAMILY t");
    assert_int_equal(st->kind, CQL_STMT_DROP_TABLE);
    assert_false(st->drop.if_exists);

    st = ok("DROP INDEX ks.\"Idx\"");
    assert_int_equal(st->kind, CQL_STMT_DROP_INDEX);
    assert_qname(st->drop.name, "ks", "Idx");
    st = ok("DROP INDEX IF EXISTS idx");
    assert_true(st->drop.if_exists);
    assert_qname(st->drop.name, NULL, "idx");

    st = ok("DROP ROLE IF EXISTS 'Bob'");
    assert_int_equal(st->kind, CQL_STMT_DROP_ROLE);
    assert_true(st->drop.if_exists);
    assert_str(st->drop.name.name, "Bob");
    st = ok("DROP ROLE Bob");
    assert_str(st->drop.name.name, "bob");

    st = ok("DROP USER IF EXISTS Bob");
    assert_int_equal(st->kind, CQL_STMT_DROP_USER);
    assert_true(st->drop.if_exists);
    assert_str(st->drop.name.name, "Bob");

    st = ok("DROP IDENTITY IF EXISTS 'spiffe://x/y'");
    assert_int_equal(st->kind, CQL_STMT_DROP_IDENTITY);
    assert_true(st->identity.if_exists);
    assert_str(st->identity.identity, "spiffe://x/y");

    bad_exact("DROP INDEX ?", "Bind variables cannot be used for index names");
    bad_exact("DROP INDEX ?.i", "Bind variables cannot be used for keyspace names");
    bad_exact("DROP ROLE ?", "Bind variables cannot be used for role names");
    bad_exact("DROP USER \"Bob\"", "Quoted strings are are not supported for user names and USER "
                                   "is deprecated, please use ROLE");
    bad("DROP USER user", "no viable alternative at input 'user'");
    bad_exact("DROP IDENTITY \"x\"", "Quoted strings are are not supported for identity");
    bad("DROP SOMETHING x", "no viable alternative at input 'SOMETHING'");
    bad("DROP MATERIALIZED mv", "mismatched input 'mv' expecting K_VIEW");
    bad("DROP TABLE IF t", "mismatched input 't' expecting K_EXISTS");
}

/* ------------------------------------------------------------ roles and users */

static void test_roles(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("CREATE ROLE r");
    assert_int_equal(st->kind, CQL_STMT_CREATE_ROLE);
    assert_str(st->role.name, "r");
    assert_int_equal(st->role.opts.login, CQL_UNSET);
    assert_int_equal(st->role.opts.superuser, CQL_UNSET);

    st = ok("CREATE ROLE IF NOT EXISTS 'Admin' WITH PASSWORD = 'pw' AND LOGIN = true AND "
            "SUPERUSER = FALSE AND OPTIONS = {'a': 1, 'b': 'c'} AND ACCESS TO DATACENTERS "
            "{'dc1', 'dc2'} AND ACCESS FROM ALL CIDRS");
    struct cql_role_stmt *r = &st->role;
    assert_true(r->if_not_exists);
    assert_str(r->name, "Admin");
    assert_str(r->opts.password, "pw");
    assert_null(r->opts.hashed_password);
    assert_int_equal(r->opts.login, CQL_TRUE);
    assert_int_equal(r->opts.superuser, CQL_FALSE);
    assert_true(r->opts.has_options);
    assert_int_equal(r->opts.n_options, 2);
    assert_str(r->opts.option_keys[1]->constant.text, "b");
    assert_str(r->opts.option_values[1]->constant.text, "c");
    assert_true(r->opts.dc_set);
    assert_false(r->opts.dc_all);
    assert_int_equal(r->opts.n_dcs, 2);
    assert_str(r->opts.dcs[1], "dc2");
    assert_true(r->opts.cidr_set);
    assert_true(r->opts.cidr_all);
    assert_int_equal(r->opts.n_cidrs, 0);

    st = ok("CREATE ROLE r WITH HASHED PASSWORD = '$2a$10$x' AND ACCESS TO ALL DATACENTERS AND "
            "ACCESS FROM CIDRS {'g1'} AND OPTIONS = {}");
    r = &st->role;
    assert_str(r->opts.hashed_password, "$2a$10$x");
    assert_true(r->opts.dc_all);
    assert_int_equal(r->opts.n_cidrs, 1);
    assert_str(r->opts.cidrs[0], "g1");
    assert_true(r->opts.has_options);
    assert_int_equal(r->opts.n_options, 0);

    st = ok("ALTER ROLE IF EXISTS r WITH SUPERUSER = true");
    assert_int_equal(st->kind, CQL_STMT_ALTER_ROLE);
    assert_true(st->role.if_exists);
    assert_int_equal(st->role.opts.superuser, CQL_TRUE);
    assert_int_equal(st->role.opts.login, CQL_UNSET);
    st = ok("ALTER ROLE r");
    assert_int_equal(st->kind, CQL_STMT_ALTER_ROLE);

    st = ok("CREATE USER IF NOT EXISTS Alice WITH PASSWORD 'pw' SUPERUSER");
    assert_int_equal(st->kind, CQL_STMT_CREATE_USER);
    assert_true(st->role.if_not_exists);
    assert_str(st->role.name, "Alice");
    assert_str(st->role.opts.password, "pw");
    assert_int_equal(st->role.opts.superuser, CQL_TRUE);
    st = ok("CREATE USER 'bob'");
    assert_str(st->role.name, "bob");
    assert_int_equal(st->role.opts.superuser, CQL_FALSE);
    st = ok("CREATE USER bob WITH HASHED PASSWORD 'h' NOSUPERUSER");
    assert_str(st->role.opts.hashed_password, "h");
    assert_int_equal(st->role.opts.superuser, CQL_FALSE);

    st = ok("ALTER USER IF EXISTS bob NOSUPERUSER");
    assert_int_equal(st->kind, CQL_STMT_ALTER_USER);
    assert_true(st->role.if_exists);
    assert_int_equal(st->role.opts.superuser, CQL_FALSE);
    st = ok("ALTER USER bob WITH PASSWORD 'x'");
    assert_int_equal(st->role.opts.superuser, CQL_UNSET);
    assert_str(st->role.opts.password, "x");
}

static void test_roles_invalid(void **state)
{
    (void)state;
    bad_exact("CREATE ROLE r WITH PASSWORD = 'a' AND HASHED PASSWORD = 'b'",
              "Options 'password' and 'hashed password' are mutually exclusive");
    bad_exact("CREATE ROLE r WITH LOGIN = true AND LOGIN = false",
              "Multiple definition for property 'LOGIN'");
    bad_exact("ALTER ROLE r WITH OPTIONS = {'a': 1} AND OPTIONS = {'b': 2}",
              "Multiple definition for property 'OPTIONS'");
    bad_exact("CREATE ROLE r WITH OPTIONS = {'a': 1, 'a': 2}",
              "Multiple definition for property a");
    bad_exact("CREATE ROLE r WITH OPTIONS = {?: 1}",
              "Invalid property name: ? (bind variables are not supported in DDL queries)");
    bad_exact("CREATE ROLE r WITH OPTIONS = {'k': ?}",
              "Invalid property value: ? for property: 'k' (bind variables are not supported in "
              "DDL queries)");
    bad_exact("CREATE ROLE r WITH OPTIONS = {'k': [1, 2]}",
              "Invalid property value: [1, 2] for property: 'k'");
    bad("CREATE ROLE r WITH OPTIONS = {'k', 'v'}", "mismatched input ',' expecting ':'");
    bad("CREATE ROLE r WITH LOGIN = 'true'", "mismatched input ''true'' expecting BOOLEAN");
    bad("CREATE ROLE r WITH PASSWORD 'x'", "mismatched input ''x'' expecting '='");
    bad("CREATE ROLE r WITH ACCESS TO foo", "no viable alternative at input 'foo'");
    bad("CREATE ROLE r WITH ACCESS foo", "no viable alternative at input 'foo'");
    bad("CREATE ROLE r WITH NOLOGIN", "no viable alternative at input 'NOLOGIN'");
    bad_exact("CREATE ROLE r WITH ACCESS TO ALL DATACENTERS AND ACCESS TO DATACENTERS {'a'}",
              "Failed parsing statement: [CREATE ROLE r WITH ACCESS TO ALL DATACENTERS AND "
              "ACCESS TO DATACENTERS {'a'}] reason: IllegalArgumentException All has been set");
    bad("CREATE ROLE r WITH ACCESS FROM CIDRS {'a'} AND ACCESS FROM ALL CIDRS",
        "reason: IllegalArgumentException CIDR Groups have already been set");
    bad_exact("CREATE ROLE ?", "Bind variables cannot be used for role names");
    bad("CREATE USER bob WITH PASSWORD = 'x'", "mismatched input '=' expecting STRING_LITERAL");
    bad("CREATE USER bob WITH LOGIN", "no viable alternative at input 'LOGIN'");
    bad("CREATE USER bob SUPERUSER NOSUPERUSER", "mismatched input 'NOSUPERUSER' expecting EOF");
    bad_exact("ALTER USER \"bob\"", "Quoted strings are are not supported for user names and "
                                    "USER is deprecated, please use ROLE");
    bad("ALTER FOO x", "no viable alternative at input 'FOO'");
}

/* ------------------------------------------------------------ GRANT / REVOKE / LIST */

static void test_grant_revoke(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("GRANT SELECT ON ks.t TO bob");
    assert_int_equal(st->kind, CQL_STMT_GRANT_PERMISSIONS);
    struct cql_permissions_stmt *ps = &st->perms;
    assert_int_equal(ps->perms, CQL_PERM_SELECT);
    assert_false(ps->all);
    assert_int_equal(ps->resource.kind, CQL_RES_TABLE);
    assert_qname(ps->resource.name, "ks", "t");
    assert_str(ps->role, "bob");

    st = ok("GRANT ALL PERMISSIONS ON KEYSPACE ks TO 'Bob'");
    ps = &st->perms;
    assert_true(ps->all);
    assert_int_equal(ps->resource.kind, CQL_RES_KEYSPACE);
    assert_str(ps->resource.name.ks, "ks");
    assert_str(ps->role, "Bob");
    /* ALL is narrowed to what a keyspace supports */
    assert_int_equal(ps->perms, CQL_PERM_CREATE | CQL_PERM_ALTER | CQL_PERM_DROP | CQL_PERM_SELECT |
                                    CQL_PERM_MODIFY | CQL_PERM_AUTHORIZE | CQL_PERM_UNMASK |
                                    CQL_PERM_SELECT_MASKED);

    st = ok("GRANT CREATE PERMISSION, select, UNMASK, SELECT_MASKED ON TABLE t TO r");
    ps = &st->perms;
    /* CREATE does not apply to a table: filtered away */
    assert_int_equal(ps->perms, CQL_PERM_SELECT | CQL_PERM_UNMASK | CQL_PERM_SELECT_MASKED);
    assert_int_equal(ps->resource.kind, CQL_RES_TABLE);
    assert_qname(ps->resource.name, NULL, "t");

    st = ok("REVOKE EXECUTE ON FUNCTION ks.f(int, text) FROM r");
    assert_int_equal(st->kind, CQL_STMT_REVOKE_PERMISSIONS);
    ps = &st->perms;
    assert_int_equal(ps->perms, CQL_PERM_EXECUTE);
    assert_int_equal(ps->resource.kind, CQL_RES_FUNCTION);
    assert_qname(ps->resource.name, "ks", "f");
    assert_int_equal(ps->resource.n_arg_types, 2);
    assert_str(ps->role, "r");

    st = ok("GRANT EXECUTE ON ALL FUNCTIONS TO r");
    assert_int_equal(st->perms.resource.kind, CQL_RES_ALL_FUNCTIONS);
    st = ok("GRANT EXECUTE ON ALL FUNCTIONS IN KEYSPACE ks TO r");
    assert_int_equal(st->perms.resource.kind, CQL_RES_ALL_FUNCTIONS_IN_KS);
    assert_str(st->perms.resource.name.ks, "ks");
    st = ok("GRANT MODIFY ON ALL KEYSPACES TO r");
    assert_int_equal(st->perms.resource.kind, CQL_RES_ALL_KEYSPACES);
    st = ok("GRANT SELECT ON ALL TABLES IN KEYSPACE ks TO r");
    assert_int_equal(st->perms.resource.kind, CQL_RES_ALL_TABLES);
    assert_str(st->perms.resource.name.ks, "ks");
    st = ok("GRANT DESCRIBE ON ALL ROLES TO r");
    assert_int_equal(st->perms.resource.kind, CQL_RES_ALL_ROLES);
    assert_int_equal(st->perms.perms, CQL_PERM_DESCRIBE);
    st = ok("GRANT ALTER ON ROLE 'Other' TO r");
    assert_int_equal(st->perms.resource.kind, CQL_RES_ROLE);
    assert_str(st->perms.resource.name.name, "Other");
    st = ok("GRANT EXECUTE ON ALL MBEANS TO r");
    assert_int_equal(st->perms.resource.kind, CQL_RES_ALL_MBEANS);
    st = ok("GRANT SELECT ON MBEAN 'org.apache.cassandra.db:type=Tables' TO r");
    assert_int_equal(st->perms.resource.kind, CQL_RES_MBEAN);
    assert_str(st->perms.resource.name.name, "org.apache.cassandra.db:type=Tables");
    st = ok("GRANT SELECT ON MBEANS 'org.apache.cassandra.db:type=*' TO r");
    assert_int_equal(st->perms.resource.kind, CQL_RES_MBEANS);

    /* keywords that are also names */
    st = ok("GRANT SELECT ON all TO r");
    assert_int_equal(st->perms.resource.kind, CQL_RES_TABLE);
    assert_str(st->perms.resource.name.name, "all");
    st = ok("GRANT SELECT ON role TO r");
    assert_int_equal(st->perms.resource.kind, CQL_RES_TABLE);
    assert_str(st->perms.resource.name.name, "role");
    st = ok("GRANT SELECT ON function.x TO r");
    assert_qname(st->perms.resource.name, "function", "x");
    st = ok("GRANT SELECT ON mbean TO r");
    assert_str(st->perms.resource.name.name, "mbean");

    /* role grants */
    st = ok("GRANT manager TO 'Alice'");
    assert_int_equal(st->kind, CQL_STMT_GRANT_ROLE);
    assert_str(st->role_grant.role, "manager");
    assert_str(st->role_grant.grantee, "Alice");
    st = ok("REVOKE all FROM bob");
    assert_int_equal(st->kind, CQL_STMT_REVOKE_ROLE);
    assert_str(st->role_grant.role, "all");
    assert_str(st->role_grant.grantee, "bob");
    st = ok("GRANT unmask TO bob");
    assert_int_equal(st->kind, CQL_STMT_GRANT_ROLE);
    assert_str(st->role_grant.role, "unmask");
}

static void test_grant_invalid(void **state)
{
    (void)state;
    bad_exact("GRANT EXECUTE ON KEYSPACE ks TO r",
              "Resource type DataResource does not support any of the requested permissions");
    bad_exact("GRANT SELECT ON ALL ROLES TO r",
              "Resource type RoleResource does not support any of the requested permissions");
    bad_exact("GRANT SELECT ON ALL FUNCTIONS TO r",
              "Resource type FunctionResource does not support any of the requested permissions");
    bad_exact("GRANT CREATE ON ALL MBEANS TO r",
              "Resource type JMXResource does not support any of the requested permissions");
    bad_exact("GRANT SELECT ON MBEAN '' TO r", "Empty JMX object name supplied");
    bad_exact("GRANT SELECT ON MBEAN '*:*' TO r",
              "Please use ALL MBEANS instead of wildcard pattern");
    bad_exact("GRANT SELECT ON MBEAN 'nocolon' TO r", "nocolon is not a valid JMX object name");
    bad_exact("GRANT SELECT ON MBEANS 'a:type=b' TO r",
              "Plural form used, but non-pattern JMX object name specified (a:type=b)");
    bad("GRANT SELECT ON FUNCTION f TO r", "mismatched input 'TO' expecting '('");
    bad("GRANT SELECT ks.t TO r", "mismatched input 'ks' expecting K_ON");
    bad("GRANT SELECT ON ks.t FROM r", "mismatched input 'FROM' expecting K_TO");
    bad("REVOKE SELECT ON ks.t TO r", "mismatched input 'TO' expecting K_FROM");
    bad("GRANT SELECT ON ALL foo TO r", "no viable alternative at input 'foo'");
    bad("GRANT SELECT ON ALL TABLES ks TO r", "mismatched input 'ks' expecting K_IN");
    bad("GRANT SELECT, ON t TO r", "no viable alternative at input 'ON'");
    bad("GRANT r bob", "mismatched input 'bob' expecting K_TO");
    bad_exact("GRANT SELECT ON t TO ?", "Bind variables cannot be used for role names");
    bad_exact("GRANT SELECT ON KEYSPACE ? TO r",
              "Bind variables cannot be used for keyspace names");
    bad_exact("GRANT SELECT ON ? TO r", "Bind variables cannot be used for table names");
}

static void test_list(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("LIST USERS");
    assert_int_equal(st->kind, CQL_STMT_LIST_USERS);

    st = ok("LIST ROLES");
    assert_int_equal(st->kind, CQL_STMT_LIST_ROLES);
    assert_null(st->list_roles.of);
    assert_true(st->list_roles.recursive);
    st = ok("LIST ROLES OF 'Bob' NORECURSIVE");
    assert_str(st->list_roles.of, "Bob");
    assert_false(st->list_roles.recursive);

    st = ok("LIST ALL");
    assert_int_equal(st->kind, CQL_STMT_LIST_PERMISSIONS);
    assert_true(st->perms.all);
    assert_int_equal(st->perms.resource.kind, CQL_RES_NONE);
    assert_null(st->perms.role);
    assert_true(st->perms.recursive);

    st = ok("LIST SELECT, MODIFY PERMISSION ON KEYSPACE ks OF bob NORECURSIVE");
    assert_int_equal(st->kind, CQL_STMT_LIST_PERMISSIONS);
    assert_int_equal(st->perms.perms, CQL_PERM_SELECT | CQL_PERM_MODIFY);
    assert_int_equal(st->perms.resource.kind, CQL_RES_KEYSPACE);
    assert_str(st->perms.role, "bob");
    assert_false(st->perms.recursive);

    /* LIST does not filter permissions by resource */
    st = ok("LIST EXECUTE ON ks.t");
    assert_int_equal(st->perms.perms, CQL_PERM_EXECUTE);
    st = ok("LIST ALL PERMISSIONS OF r");
    assert_str(st->perms.role, "r");

    bad("LIST FOO", "no viable alternative at input 'FOO'");
    bad("LIST ROLES OF", "no viable alternative at input '<EOF>'");
    bad("LIST ALL ON", "no viable alternative at input '<EOF>'");
}

static void test_identity(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("ADD IDENTITY IF NOT EXISTS 'spiffe://a/b' TO ROLE 'Reader'");
    assert_int_equal(st->kind, CQL_STMT_ADD_IDENTITY);
    assert_true(st->identity.if_not_exists);
    assert_str(st->identity.identity, "spiffe://a/b");
    assert_str(st->identity.role, "Reader");
    st = ok("ADD IDENTITY Id TO ROLE Reader");
    assert_false(st->identity.if_not_exists);
    assert_str(st->identity.identity, "Id");
    assert_str(st->identity.role, "Reader");

    bad("ADD IDENTITY 'x' TO 'r'", "mismatched input ''r'' expecting K_ROLE");
    bad("ADD 'x' TO ROLE r", "mismatched input ''x'' expecting K_IDENTITY");
    bad_exact("ADD IDENTITY 'x' TO ROLE \"r\"",
              "Quoted strings are are not supported for identity");
}

/* ------------------------------------------------------------ DESCRIBE */

static void test_describe(void **state)
{
    (void)state;
    struct {
        const char *q;
        enum cql_describe_kind kind;
        const char *ks, *name;
        bool full, only, internals;
    } cases[] = {
        {"DESCRIBE CLUSTER", CQL_DESC_CLUSTER, NULL, NULL, 0, 0, 0},
        {"DESC SCHEMA", CQL_DESC_SCHEMA, NULL, NULL, 0, 0, 0},
        {"DESCRIBE FULL SCHEMA WITH INTERNALS", CQL_DESC_SCHEMA, NULL, NULL, 1, 0, 1},
        {"DESCRIBE KEYSPACES", CQL_DESC_KEYSPACES, NULL, NULL, 0, 0, 0},
        {"DESCRIBE KEYSPACE", CQL_DESC_KEYSPACE, NULL, NULL, 0, 0, 0},
        {"DESCRIBE ONLY KEYSPACE Ks WITH INTERNALS", CQL_DESC_KEYSPACE, NULL, "ks", 0, 1, 1},
        {"DESCRIBE KEYSPACE WITH INTERNALS", CQL_DESC_KEYSPACE, NULL, NULL, 0, 0, 1},
        {"DESCRIBE TABLES", CQL_DESC_TABLES, NULL, NULL, 0, 0, 0},
        {"DESCRIBE COLUMNFAMILIES", CQL_DESC_TABLES, NULL, NULL, 0, 0, 0},
        {"DESCRIBE TABLE ks.t", CQL_DESC_TABLE, "ks", "t", 0, 0, 0},
        {"DESCRIBE COLUMNFAMILY t", CQL_DESC_TABLE, NULL, "t", 0, 0, 0},
        {"DESCRIBE INDEX ks.i", CQL_DESC_INDEX, "ks", "i", 0, 0, 0},
        {"DESCRIBE MATERIALIZED VIEW mv", CQL_DESC_VIEW, NULL, "mv", 0, 0, 0},
        {"DESCRIBE TYPES", CQL_DESC_TYPES, NULL, NULL, 0, 0, 0},
        {"DESCRIBE TYPE ks.addr", CQL_DESC_TYPE, "ks", "addr", 0, 0, 0},
        {"DESCRIBE FUNCTIONS", CQL_DESC_FUNCTIONS, NULL, NULL, 0, 0, 0},
        {"DESCRIBE FUNCTION ks.f", CQL_DESC_FUNCTION, "ks", "f", 0, 0, 0},
        {"DESCRIBE AGGREGATES", CQL_DESC_AGGREGATES, NULL, NULL, 0, 0, 0},
        {"DESCRIBE AGGREGATE a", CQL_DESC_AGGREGATE, NULL, "a", 0, 0, 0},
        {"DESCRIBE ks.\"T\" WITH INTERNALS", CQL_DESC_GENERIC, "ks", "T", 0, 0, 1},
        {"DESC Thing", CQL_DESC_GENERIC, NULL, "thing", 0, 0, 0},
        {"DESCRIBE type", CQL_DESC_GENERIC, NULL, "type", 0, 0, 0},
        {"DESCRIBE type.x", CQL_DESC_GENERIC, "type", "x", 0, 0, 0},
        {"DESCRIBE function WITH INTERNALS", CQL_DESC_GENERIC, NULL, "function", 0, 0, 1},
        {"DESCRIBE only", CQL_DESC_GENERIC, NULL, "only", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cql_stmt *st = ok(cases[i].q);
        assert_int_equal(st->kind, CQL_STMT_DESCRIBE);
        struct cql_describe *d = &st->describe;
        if (d->kind != cases[i].kind) fail_msg("%s: kind %d", cases[i].q, d->kind);
        if (cases[i].ks)
            assert_str(d->name.ks, cases[i].ks);
        else
            assert_null(d->name.ks);
        if (cases[i].name)
            assert_str(d->name.name, cases[i].name);
        else
            assert_null(d->name.name);
        assert_int_equal(d->full, cases[i].full);
        assert_int_equal(d->only, cases[i].only);
        assert_int_equal(d->with_internals, cases[i].internals);
    }

    bad("DESCRIBE", "no viable alternative at input '<EOF>'");
    bad("DESCRIBE FULL KEYSPACE", "mismatched input 'KEYSPACE' expecting K_SCHEMA");
    bad("DESCRIBE TABLE", "no viable alternative at input '<EOF>'");
    bad("DESCRIBE MATERIALIZED mv", "mismatched input 'mv' expecting K_VIEW");
    bad("DESCRIBE CLUSTER WITH", "mismatched input '<EOF>' expecting K_INTERNALS");
    bad("DESCRIBE ks.", "no viable alternative at input '<EOF>'");
    bad("DESCRIBE ?", "no viable alternative at input '?'");
    bad_exact("DESCRIBE KEYSPACE ?", "Bind variables cannot be used for keyspace names");
    bad("DESCRIBE KEYSPACES ks", "mismatched input 'ks' expecting EOF");
}

/* Errors carry the ANTLR header "line L:C" (the snippet after it is the core's). */
static void bad_prefix(const char *q, const char *want)
{
    struct cql_stmt *st = NULL;
    cql_parse_error e;
    if (cql_parse(q, strlen(q), &A, &st, &e) != -1) fail_msg("accepted: %s", q);
    if (strncmp(e.msg, want, strlen(want)) != 0)
        fail_msg("%s\n  got:  %s\n  want: %s...", q, e.msg, want);
}

static void test_error_format(void **state)
{
    (void)state;
    bad_prefix("CREATE INDEX i t (v)", "line 1:15 mismatched input 't' expecting K_ON (");
    bad_prefix("DROP FOO", "line 1:5 no viable alternative at input 'FOO' (");
    bad_prefix("CREATE TABLE t (a int PRIMARY KEY) WITH\n  CLUSTERING ORDER BY (a UP)",
               "line 2:25 no viable alternative at input 'UP' (");
    bad_prefix("GRANT SELECT ON ALL foo TO r", "line 1:20 no viable alternative at input 'foo' (");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_table_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_index_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alter_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_views, setup, teardown),
        cmocka_unit_test_setup_teardown(test_functions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aggregates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_triggers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roles_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grant_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grant_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_describe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_format, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
